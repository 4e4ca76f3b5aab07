// The linkage agent's intake (EDGE-1, LNK-1..LNK-6, docs/formats/linkage-records.md): the core
// systems deliver resident, seal and tax files into <inbox>/resident/, <inbox>/seal/ and
// <inbox>/tax/ (seal impressions in <inbox>/seal/seal-<source>-impressions/). For each file:
//   1. domain::parse_linkage_file checks it whole (header, columns, trailer count and SHA-256,
//      encoding, every field); a refused file moves to <inbox>/rejected/ with a .reason.txt naming
//      the line and column, never the data, and nothing of it is sent;
//   2. its 連携番号 must continue the source's stream (a full copy's run from 1): a file that skips
//      ahead stays where it is, held, and the gap is reported (log and the source's state at the
//      hub) until the missing file arrives; rows already sent are skipped as duplicates, and a file
//      delivered again whole is verified against the SHA-256 of the first delivery (LNK-6);
//   3. one operation per row (entity resident, seal or tax, keyed per domain/linkage_record.h),
//      the file's batch record, the source's state and the stream's new last number are written in
//      ONE transaction; only after the commit does the file move to <inbox>/done/. A crash before
//      the commit takes the file again from the start; after it, the stream's number skips it.
// The operations reach the hub's certificate database exactly once and in order (the sync
// engine's (device, seq)); nothing of them is kept in this database's view. A heartbeat record
// every minute lets the hub tell a quiet source from a dead agent (domain::linkage_guard).
//
// Re-requests (LNK-7): the hub's linkage_request records are all this agent's view holds (the hub
// sends them on its down topic; it receives no feed). Each one not yet sent is written as a
// request file to <inbox>/requests/ for the core system, then marked sent.
// Reconciliation: a core system's extract of every current record (a full copy stating as_of and
// part/parts, docs/formats/linkage-records.md) delivered to <inbox>/reconcile/ is read once all
// its parts are there and this agent has sent the source's deltas up to as_of; the digest of each
// record's content goes to the hub (linkage_digest, domain/linkage_reconcile.h), which compares
// and re-requests what differs. Nothing of the extract is applied.
#pragma once

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>

#include "madoguchi/domain/linkage_file.h"
#include "madoguchi/domain/linkage_record.h"
#include "madoguchi/edge/edge_store.h"
#include "madoguchi/log.h"

namespace madoguchi::edge {

inline constexpr std::size_t kMaxSealImageBytes = 512 * 1024;
inline constexpr std::size_t kSealImagePartBytes = 20 * 1024;  // base64 of it fits a record body
inline constexpr std::int64_t kLinkageHeartbeatMs = 60 * 1000;

struct InboxResult {
  std::uint64_t taken = 0;       // files whose rows were sent
  std::uint64_t rows = 0;        // rows sent
  std::uint64_t duplicates = 0;  // files delivered again (every row already sent)
  std::uint64_t rejected = 0;
  std::uint64_t held = 0;        // files waiting for a gap to close
  std::uint64_t requests = 0;    // re-request files written for the core systems
  std::uint64_t reconciled = 0;  // extracts whose digest was sent
};

class LinkageInbox {
 public:
  LinkageInbox(EdgeStore& store, std::filesystem::path inbox, std::string device, LogSink log = null_log());
  Status init();  // creates the folders
  // Takes every complete file present now (names starting with '.' are still being written), in
  // name order per kind, and sends the heartbeat when it is due.
  Expected<InboxResult> scan(std::int64_t now_ms);

 private:
  Status take(const std::filesystem::path& file, domain::LinkageKind kind, std::int64_t now_ms, InboxResult& result);
  Status refuse(const std::filesystem::path& file, domain::LinkageKind kind, const std::string& source, const std::string& why,
                std::int64_t now_ms, InboxResult& result);
  // A file whose first 連携番号 `found` is past `expected`: left in place, the gap reported once.
  Status hold(const std::string& name, domain::LinkageKind kind, const std::string& run, std::uint64_t expected,
              std::uint64_t found, domain::LinkageSourceState& state, std::int64_t now_ms, InboxResult& result);
  Status heartbeat(std::int64_t now_ms);
  Status write_requests(std::int64_t now_ms, InboxResult& result);
  Status reconcile(std::int64_t now_ms, InboxResult& result);
  // Sends the digest of one complete extract (its parts in order) and moves them to done/.
  Status send_digest(const std::vector<std::filesystem::path>& parts, const domain::LinkageFileHeader& header, std::int64_t now_ms,
                     InboxResult& result);
  // A reconciliation extract that cannot be read: to rejected/ with its reason. Unlike a refused
  // delivery it does not suppress issuance (the data itself is not behind).
  void refuse_extract(const std::filesystem::path& file, const std::string& why, InboxResult& result);
  Expected<domain::LinkageSourceState> source_state(domain::LinkageKind kind, const std::string& source);
  Status save_source_state(const domain::LinkageSourceState& state, std::int64_t now_ms);

  EdgeStore& store_;
  std::filesystem::path inbox_;
  std::string device_;
  LogSink log_;
  std::int64_t last_beat_ms_ = 0;
  std::set<std::string> held_reported_;  // files whose hold was logged already
};

// Lower-case hex SHA-256 (OpenSSL).
std::string sha256_hex(std::string_view data);

}  // namespace madoguchi::edge
