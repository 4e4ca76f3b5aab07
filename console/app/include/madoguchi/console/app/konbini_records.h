// What the hub console's コンビニ交付記録 reads (KON-6, OPS-2; issue 13): every convenience-store
// request of the municipality and what became of it, as data (never the PDF). Read-only.
// Implementation: hub::HubKonbiniRecords (cloud-hub), over <muni>.konbini.db through the issuance
// service's own lock; a fake in the tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "madoguchi/domain/konbini.h"
#include "madoguchi/error.h"

namespace madoguchi::console::app {

struct KonbiniRecord {
  std::string request;
  std::string state;      // challenged, issuing, issued, refused, completed, cancelled, expired
  std::int64_t at_ms = 0; // when the request arrived
  std::string store_id, store_name, prefecture, kiosk;
  std::string kind;       // domain::certificate_kind_name, "" when it never got that far
  std::string options;    // JSON as asked
  std::string subject;    // 宛名番号 of the authenticated resident ("" when unknown)
  std::vector<std::string> persons;  // 宛名番号 shown on the certificate
  std::string number;     // 証明書番号
  std::uint32_t fee_yen = 0;
  int age = -1;
  std::vector<domain::Refusal> refusals;
  std::string text;       // the certificate as it printed (domain::certificate_text)
  std::string reason;     // why it was cancelled
};

struct KonbiniRecordPage {
  std::vector<KonbiniRecord> records;  // newest first
  std::string next;                    // the request id to pass for the next (older) page; "" at the end
};

// One request as the statistics count it (交付統計, OPS-3): small, so a year of them fits.
struct KonbiniTally {
  std::string state, kind, prefecture, store_id, store_name;
  int age = -1;
  std::int64_t at_ms = 0;
  std::uint32_t fee_yen = 0;
};

class KonbiniRecords {
 public:
  virtual ~KonbiniRecords() = default;
  // Requests that arrived in [from_ms, to_ms), newest first, older than `before` ("" = newest).
  virtual Expected<KonbiniRecordPage> list(std::int64_t from_ms, std::int64_t to_ms, const std::string& before, std::size_t max) = 0;
  virtual Expected<std::optional<KonbiniRecord>> get(const std::string& request) = 0;
  // Every request that arrived in [from_ms, to_ms), at most `max` (the statistics).
  virtual Expected<std::vector<KonbiniTally>> tallies(std::int64_t from_ms, std::int64_t to_ms, std::size_t max) = 0;
};

}  // namespace madoguchi::console::app
