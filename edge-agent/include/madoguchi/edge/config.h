// The edge agent's configuration: a plain struct with a documented default on every field,
// read from a JSON file (docs/operations.md shows a full example).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "madoguchi/edge/sync_engine.h"
#include "madoguchi/error.h"
#include "madoguchi/scanner/service.h"

namespace madoguchi::edge {

enum class Role { counter, linkage };

struct EdgeConfig {
  std::string municipality;                // required: 6-digit local government code
  std::string device;                      // required: device id within the municipality
  Role role = Role::counter;               // "counter" (counter PC) or "linkage" (server room)
  std::filesystem::path data_dir = "var/edge";  // holds edge.db; created if missing
  std::string broker_host = "localhost";   // must match the broker certificate
  std::uint16_t broker_port = 8883;
  std::filesystem::path ca_file;           // required: CA that signed the broker certificate
  std::filesystem::path cert_file;         // required: this device's certificate
  std::filesystem::path key_file;          // required: its private key
  int keepalive_seconds = 10;              // MQTT keepalive: a dead link is noticed in ~1.5x
  int reconnect_max_seconds = 30;          // reconnect backoff doubles from 1 s up to this
  std::string http_address = "127.0.0.1";  // local API/console: this PC only by default (ACC-5)
  std::uint16_t http_port = 0;             // 0 = no HTTP listener
  // The staff console (console/app/README.md). Its own port, so the JSON API above and the
  // console can be exposed differently. 127.0.0.1: only the counter PC itself reaches it (ACC-5).
  std::string console_address = "127.0.0.1";
  std::uint16_t console_port = 0;          // 0 = no console
  // Optional PEM paths; both set = HTTPS, with __Host-/Secure cookies. Neither = plain HTTP.
  std::filesystem::path console_tls_cert;
  std::filesystem::path console_tls_key;
  std::filesystem::path status_file;       // optional: JSON status rewritten every second
  std::filesystem::path inbox_dir;         // linkage role: delta files arrive here
  // Counter role: report version, outbox, refusals and certificate expiry to the hub's 同期状況
  // every ten minutes while connected (device_reporter.h). Off only for tests that count
  // operations exactly.
  bool report_status = true;
  SyncOptions sync;                        // batching, window and timeouts (sync_engine.h)
  // The counter's USB QR scanner (ISS-1, ISS-13): the optional "scanner" object
  // {"vid":"0x0c2e","pid":"0x0b61","mode":"hid_pos","layout":"jp106"} read by
  // scanner::make_scanner_config (drivers/scanner/README.md). Absent = no scanner.
  std::optional<scanner::ScannerConfig> scanner;
};

// Parses the JSON config. Unknown keys are refused (a typo must not silently use a default).
Expected<EdgeConfig> parse_edge_config(std::string_view json_text);
Expected<EdgeConfig> load_edge_config(const std::filesystem::path& file);

}  // namespace madoguchi::edge
