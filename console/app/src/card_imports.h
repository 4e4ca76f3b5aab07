// The state 交付管理 keeps between requests: QR import sessions and previewed CSV imports
// (card_import_pages.cc), large exports in progress (card_pages.cc). Not installed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "madoguchi/console/app/console_app.h"
#include "madoguchi/http/server.h"
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

// A file a large export is written to (ConsoleOptions::spool_dir, mode 0600), removed when this
// goes (the finished file lives on while a response still sends it: BodyFile holds it open).
class SpoolFile {
 public:
  // Creates an empty file of a random name in `dir` (made 0700 when missing). Errors: io.
  static Expected<std::unique_ptr<SpoolFile>> create(const std::filesystem::path& dir);
  ~SpoolFile();
  SpoolFile(const SpoolFile&) = delete;
  SpoolFile& operator=(const SpoolFile&) = delete;
  const std::filesystem::path& path() const { return path_; }
  // Appends bytes. Errors: io (disk full).
  Status append(std::string_view bytes);
  // Opens the file for the response and removes its name. Errors: io.
  Expected<std::shared_ptr<const http::BodyFile>> finish();

 private:
  SpoolFile(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::filesystem::path path_;
  int fd_ = -1;
};

// The keys of an export's result, packed: 300,000 manufacture numbers in one string and an array
// of ends (about 7 MB) rather than 300,000 strings on the heap.
class KeyList {
 public:
  void push_back(std::string_view key) {
    chars_ += key;
    ends_.push_back(static_cast<std::uint32_t>(chars_.size()));
  }
  std::size_t size() const { return ends_.size(); }
  std::string_view operator[](std::size_t i) const {
    const std::uint32_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(chars_).substr(begin, ends_[i] - begin);
  }

 private:
  std::string chars_;
  std::vector<std::uint32_t> ends_;
};

// A large export in progress (card_pages.cc): the keys of the search result taken when it
// started, written chunk by chunk to a spool file as the browser follows the progress page, so
// the console's memory does not grow with the export (issue 11: under 50 MB at 300,000 cards).
struct CardExportJob {
  std::string session_id;
  web::TimePoint expires;
  bool xlsx = false;
  text::Encoding encoding = text::Encoding::utf8;
  KeyList keys;
  std::size_t next = 0;       // keys[next] is written next
  std::size_t written = 0;    // rows written (cards deleted meanwhile are skipped)
  std::unique_ptr<SpoolFile> csv;      // the CSV so far (its encoding)
  std::unique_ptr<TableWriter> sheet;  // the Excel workbook so far (its own work file)
  std::shared_ptr<const http::BodyFile> file;  // the finished file
};

}  // namespace madoguchi::console::app
