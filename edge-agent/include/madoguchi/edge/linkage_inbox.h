// The linkage agent's intake (EDGE-1, linkage server): resident-record and tax-system deltas
// arrive as files in <inbox>/resident/ and <inbox>/tax/. Each file becomes one operation in the
// outbox and reaches the hub exactly once:
//   - the operation and a "taken" mark (file name + SHA-256) are written in ONE transaction, so a
//     crash before the commit leaves the file to be taken again, and a crash after it cannot
//     take it twice (the mark is checked first);
//   - only after the commit is the file moved to <inbox>/done/ (a crash in between is harmless).
// Files that are not valid UTF-8 text, are empty or larger than kMaxDeltaBytes go to
// <inbox>/rejected/<source>-<name> with a .reason.txt beside them and change nothing else. The body carries
// the text as received (no vendor format is parsed here).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "madoguchi/edge/edge_store.h"
#include "madoguchi/log.h"

namespace madoguchi::edge {

inline constexpr std::size_t kMaxDeltaBytes = 24 * 1024;

struct InboxResult {
  std::uint64_t taken = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t rejected = 0;
};

class LinkageInbox {
 public:
  LinkageInbox(EdgeStore& store, std::filesystem::path inbox, LogSink log = null_log());
  Status init();  // creates the folders and the taken-marks table
  // Takes every complete file present now (names starting with '.' are still being written).
  Expected<InboxResult> scan(std::int64_t now_ms);

 private:
  Status take(const std::filesystem::path& file, const std::string& source, std::int64_t now_ms, InboxResult& result);
  void reject(const std::filesystem::path& file, const std::string& source, const std::string& why, InboxResult& result);

  EdgeStore& store_;
  std::filesystem::path inbox_;
  LogSink log_;
};

// Lower-case hex SHA-256 (OpenSSL).
std::string sha256_hex(std::string_view data);
bool valid_utf8(std::string_view text);

}  // namespace madoguchi::edge
