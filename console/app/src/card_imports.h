// The state 交付管理 keeps between requests: QR import sessions and previewed CSV imports
// (card_import_pages.cc), large exports in progress (card_pages.cc). Not installed.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "madoguchi/console/app/console_app.h"
#include "madoguchi/domain/card.h"
#include "madoguchi/domain/card_import.h"
#include "madoguchi/text/encoding.h"

namespace madoguchi::console::app {

// One code read (from the scanner or a page image), accepted or refused.
struct QrRead {
  std::uint64_t version = 0;  // the session's version when it was read
  bool from_image = false;
  std::int64_t at_ms = 0;
  std::string code;   // jlis::code_key; empty when the bytes did not parse
  std::string label;  // for staff: the list date, sheet and code number
  bool accepted = false;
  std::string reason;       // Japanese, when refused
  std::vector<domain::Card> cards;  // when accepted: its people, numbered in read order
};

// A QR import session (ISS-1 to ISS-3): one per staff session, in memory only; nothing is
// written before the commit.
struct QrSession {
  web::TimePoint last_used;
  domain::ImportBatch batch;
  std::size_t numbered = 0;  // people accepted so far: the next receipt number is start + numbered
  std::vector<QrRead> entries;
  std::set<std::string> codes;   // accepted codes (jlis::code_key)
  std::set<std::string> people;  // accepted manufacture numbers and application ids
  std::uint64_t version = 0;     // grows whenever entries change (the page's poll compares it)
  std::uint64_t dropped = 0;     // scans the queue dropped while this session was open
  std::uint64_t overflow = 0;    // reads refused because the session was full
};

// A previewed ledger or renewal import awaiting its confirmation. Holds the uploaded file (not
// its rows: bounded by max_card_upload_bytes) and what the preview showed; the confirmation plans
// again from the same bytes and applies only when the result is the one shown.
struct PendingCardCsv {
  std::string session_id;
  web::TimePoint expires;
  bool renewal = false;
  std::string bytes;
  std::optional<text::Encoding> encoding;
  std::string list_name;    // renewal
  std::string fingerprint;  // ledger: card count; renewal: matched line:card pairs
};

// A large export in progress (card_pages.cc): the keys of the search result taken when it
// started, written chunk by chunk as the browser follows the progress page.
struct CardExportJob {
  std::string session_id;
  web::TimePoint expires;
  bool xlsx = false;
  text::Encoding encoding = text::Encoding::utf8;
  std::vector<std::string> keys;
  std::size_t next = 0;       // keys[next] is written next
  std::size_t written = 0;    // rows written (cards deleted meanwhile are skipped)
  std::string csv;            // the CSV so far (its encoding)
  std::unique_ptr<TableWriter> sheet;  // the Excel workbook so far
  std::optional<std::string> file;     // the finished file
};

}  // namespace madoguchi::console::app
