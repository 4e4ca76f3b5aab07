// madoguchi-sim kiosk: a convenience-store kiosk and the issuing center in one (issue 13): reads a
// simulated card (jpki.h), signs the hub's challenge with the card's key after its PIN, asks for a
// certificate over mutual TLS (docs/formats/kiosk-interface.md), retries as the center does, and
// confirms or cancels. Used by the demo, the tests and madoguchi-bench konbini.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "madoguchi/error.h"

namespace madoguchi::sim::kiosk {

struct Target {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string ca_file, cert_file, key_file;  // the hub's CA; the center's client certificate
  std::string municipality;
  std::chrono::milliseconds timeout{10'000};  // per HTTP exchange
};

struct Order {
  std::string request;  // the center's request id (8-64 of A-Z a-z 0-9 - _)
  std::string store_id = "S0001", store_name = "見本店", prefecture = "13", kiosk = "K01";
  std::string kind = "residence";
  std::string options = "{}";  // JSON, as the interface's "options"
  std::filesystem::path card;
  std::string pin;
  bool complete = true;        // confirm the print; false: cancel after receiving (a paper jam)
  int retries = 3;             // the challenge or issue step again (same body) after no answer, 503 or "in progress"
  bool retry_after_success = false;  // ask again after a success: the same bytes must come back
  // Fault injection for the tests and the benchmark: the first issue step waits at most this long
  // (0: the target's timeout), as a center whose line stalls; the retry then uses the full timeout.
  std::chrono::milliseconds first_issue_timeout{0};
  std::chrono::milliseconds think_time{0};  // a slow resident: between the challenge and the issue step
  bool reissue_after_finish = false;        // ask again after complete/cancel (must never be a certificate)
};

struct Result {
  int status = 0;          // of the issue step
  std::string request;
  std::string pdf;         // the certificate (status 200)
  std::string number;      // 証明書番号
  std::string verification;  // the code printed as the QR (the verification page's URL with ?c=)
  std::string error;       // error.code of a refusal ("refused", "authentication_failed", ...)
  std::string reason;      // a refusal's reason for the resident ("ask_counter", ...)
  std::string message;     // what the kiosk shows
  std::string final_state; // after complete or cancel
  int attempts = 0;        // issue steps sent
  bool same_on_retry = true;  // retry_after_success: the bytes were the same
  int reissue_status = 0;     // reissue_after_finish: the status of that last ask
};

// Runs one order to the end. Errc::forbidden for a wrong or locked PIN (the card says so; nothing
// reaches the hub after the challenge), Errc::transport/timeout when the hub cannot be reached.
Expected<Result> run(const Target& target, const Order& order);

// The center's heartbeat (POST /kiosk/v1/{muni}/heartbeat): the hub's 障害通知 alarms when the
// center falls silent during service hours. Returns the HTTP status.
Expected<int> heartbeat(const Target& target);

}  // namespace madoguchi::sim::kiosk
