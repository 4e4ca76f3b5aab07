// One municipality's issuance database, hub/<muni>.konbini.db (KON-6, OPS-2; issue 13): every
// kiosk request and what became of it, the certificate's data as it printed, and the PDF until the
// kiosk confirms it printed (then it is dropped: the data stays, the bytes do not).
//
// Each state change is one BEGIN IMMEDIATE transaction with a conditional update on the request's
// current state, so two web threads, or two hub instances over the same files, never both issue
// one request, and a cancellation that arrives while a certificate is being made wins over it:
//
//   challenged ──claim──► issuing ──► issued ──complete──► completed
//        │                   │  └──► refused          │
//        └── expired         └────────┴── cancel / timeout ──► cancelled
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "madoguchi/error.h"
#include "madoguchi/sqlite/sqlite.h"

namespace madoguchi::hub {

enum class RequestState { challenged, issuing, issued, refused, completed, cancelled, expired };
std::string_view request_state_name(RequestState s) noexcept;

struct StoreInfo {  // the convenience store the kiosk stands in
  std::string id;          // the center's store code
  std::string name;        // "〇〇店"
  std::string prefecture;  // JIS X 0401 code, "01".."47"
  std::string kiosk;       // the kiosk's id within the center
};

struct IssuanceRow {
  std::string request;  // the center's request id
  RequestState state = RequestState::challenged;
  std::string challenge;
  std::int64_t created_ms = 0, updated_ms = 0, challenge_expires_ms = 0;
  StoreInfo store;
  std::string jpki_serial;
  std::string fingerprint;  // SHA-256 of what was asked (certificate, kind, options): a retry asks the same
  std::string kind;         // domain::certificate_kind_name
  std::string options;      // JSON
  std::string subject;      // 宛名番号 of the authenticated resident
  std::string persons;      // JSON array of the 宛名番号 shown
  std::string number;       // 証明書番号
  std::uint32_t fee_yen = 0;
  int age = -1;             // the resident's age at issuance (statistics' age band, OPS-3)
  std::string refusals;     // JSON [{"code","detail"}]
  std::string text;         // domain::certificate_text: what the certificate said (OPS-2)
  std::string digest;       // domain::certificate_digest
  std::string pdf_sha256;
  std::string reason;       // why cancelled or expired
  std::string verification; // the verification code printed on it
};

struct IssuedCertificate {
  std::string jpki_serial, subject, persons, number, text, digest, pdf, pdf_sha256, verification;
  std::uint32_t fee_yen = 0;
  int age = -1;
};

class KonbiniStore {
 public:
  static Expected<KonbiniStore> open(const std::filesystem::path& path, const std::string& municipality);

  // A new request, or the same request again (a retry of this step): its challenge is returned
  // unchanged while it is valid and unused. Errc::conflict when the id is known with another store.
  Expected<IssuanceRow> challenge(const std::string& request, const StoreInfo& store, const std::string& challenge,
                                  std::int64_t now_ms, std::int64_t ttl_ms);
  Expected<std::optional<IssuanceRow>> get(const std::string& request);
  Expected<std::optional<IssuanceRow>> by_number(const std::string& number);
  Expected<std::optional<IssuanceRow>> by_pdf_sha256(const std::string& sha256);

  // challenged → issuing for `fingerprint`; also re-claims an issuing request of the same
  // fingerprint whose claim is older than `stale_ms` (a hub that stopped while making it). Returns
  // the row after the attempt and whether this call made the claim; the caller acts on its state
  // (issued: the same certificate again).
  Expected<IssuanceRow> claim(const std::string& request, const std::string& fingerprint, const std::string& jpki_serial,
                              const std::string& kind, const std::string& options, std::int64_t now_ms, std::int64_t stale_ms,
                              bool* won);
  // issuing → issued with the certificate, only while the claim of `fingerprint` stands:
  // Errc::conflict when it was cancelled or timed out meanwhile (then nothing is stored).
  Status issued(const std::string& request, const std::string& fingerprint, const IssuedCertificate& cert, std::int64_t now_ms);
  // issuing → refused with the reasons (JSON) and the subject when known.
  Status refused(const std::string& request, const std::string& fingerprint, const std::string& jpki_serial,
                 const std::string& subject, const std::string& refusals, std::int64_t now_ms);
  Expected<IssuanceRow> complete(const std::string& request, std::int64_t now_ms);
  Expected<IssuanceRow> cancel(const std::string& request, const std::string& reason, std::int64_t now_ms);
  Expected<std::string> pdf(const std::string& request);

  // Challenges unused past their expiry → expired; requests issuing or issued and not completed
  // within `complete_ms` of their claim → cancelled ("timeout"), their PDF dropped. Returns how many.
  Expected<std::size_t> expire(std::int64_t now_ms, std::int64_t complete_ms);

  // The next 証明書番号 for a kind's letter and year: "R2026-0000001".
  Expected<std::string> next_number(char letter, int year);

  // Requests created in [from_ms, to_ms), newest first, after `before` (a request id; "" = from the newest).
  Expected<std::vector<IssuanceRow>> list(std::int64_t from_ms, std::int64_t to_ms, const std::string& before, std::size_t max);

  // The statistics' columns of every request in [from_ms, to_ms), at most max:
  // state, kind, prefecture, store id, store name, age, created_ms, fee.
  struct Tally {
    std::string state, kind, prefecture, store_id, store_name;
    int age = -1;
    std::int64_t created_ms = 0;
    std::uint32_t fee_yen = 0;
  };
  Expected<std::vector<Tally>> tallies(std::int64_t from_ms, std::int64_t to_ms, std::size_t max);

  Status checkpoint() { return db_.checkpoint_truncate(); }

 private:
  explicit KonbiniStore(sqlite::Db db) : db_(std::move(db)) {}
  Expected<std::optional<IssuanceRow>> get_in_tx(const std::string& request);
  sqlite::Db db_;
};

}  // namespace madoguchi::hub
