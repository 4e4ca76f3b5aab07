// One municipality's data at the hub (KON-5: each municipality in its own SQLite file, so no
// query can reach another's): the records, the change feed with its own sequence numbers, and
// per device the last operation settled (the idempotency key is (device, seq)).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "madoguchi/error.h"
#include "madoguchi/protocol/messages.h"
#include "madoguchi/sqlite/sqlite.h"

namespace madoguchi::hub {

// The outcome of one batch: what was settled and how.
struct BatchOutcome {
  std::uint64_t last_seq = 0;   // the device's last settled seq after the batch
  std::uint64_t applied = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t newly_rejected = 0;
  std::vector<protocol::Rejection> rejected;  // rejections for seqs in the batch's range (new or earlier)
  bool gap = false;             // the batch started beyond last_seq + 1: nothing applied
};

struct FeedBounds {
  std::uint64_t min = 1;   // oldest retained feed seq (head + 1 when the feed is empty)
  std::uint64_t head = 0;  // newest feed seq
};

// Decides whether an origin ("hub" or a device id) may make a change, before the conflict rule.
// Returns an Error (forbidden, invalid_argument, ...) to refuse; the operation is then rejected
// like a conflict. `current` is the hub's live record for the key, if any.
using WritePolicy = std::function<Status(std::string_view origin, std::string_view entity, std::string_view key,
                                         bool remove, std::string_view body, const std::optional<protocol::Record>& current)>;

class HubStore {
 public:
  static Expected<HubStore> open(const std::filesystem::path& path, const std::string& municipality);

  const std::string& municipality() const { return municipality_; }
  void set_write_policy(WritePolicy policy) { policy_ = std::move(policy); }

  // Applies a device's batch in one transaction, in seq order, idempotently: seqs already settled
  // are skipped (and reported as duplicates), and a batch that starts past the next expected seq
  // is not applied at all. Each op follows the conflict rule (docs/protocol.md, EDGE-5).
  Expected<BatchOutcome> apply_batch(const protocol::OpBatch& batch, std::int64_t now_ms);

  // A change made at the hub itself (citizen site, administrators): same conflict rule, origin
  // "hub". Returns the record as stored, or a conflict/not_found Error.
  Expected<protocol::Record> write_local(const std::string& entity, const std::string& key, protocol::OpKind kind,
                                         const std::string& body_json, std::uint64_t base_version, std::int64_t now_ms);

  Expected<FeedBounds> feed_bounds();
  // Feed entries with seq > after, ascending, at most max.
  Expected<std::vector<protocol::Record>> feed_after(std::uint64_t after, std::size_t max);
  // Live records ordered by (entity, key) strictly after the given position, at most max.
  Expected<std::vector<protocol::Record>> records_after(const std::string& entity, const std::string& key, std::size_t max);
  Expected<std::optional<protocol::Record>> get(const std::string& entity, const std::string& key);
  // The live record of `entity` with the greatest key starting with `prefix` (nullopt: none).
  Expected<std::optional<protocol::Record>> last_with_prefix(const std::string& entity, const std::string& prefix);
  // Operation log records (entity "oplog", console/oplog.h) for the console: live records whose
  // JSON body has the given staff_id / action (empty: any), whose key starts with "<device>:"
  // (empty: any device), and whose at_ms is in [from_ms, to_ms); newest first (at_ms descending,
  // then key descending), skipping `offset`, at most `max`. Bodies that are not valid JSON never
  // match.
  Expected<std::vector<protocol::Record>> oplog_records(const std::string& staff_id, const std::string& device,
                                                        const std::string& action, std::int64_t from_ms,
                                                        std::int64_t to_ms, std::size_t offset, std::size_t max);
  // The distinct devices of the live oplog records (the key part before ':'), ordered, at most max.
  Expected<std::vector<std::string>> oplog_devices(std::size_t max);
  Expected<std::uint64_t> device_last_seq(const std::string& device);
  Expected<std::uint64_t> record_count();

  // Drops feed entries older than the newest `keep` (bounded history; older devices get snapshots).
  Status trim_feed(std::uint64_t keep);
  Status checkpoint() { return db_.checkpoint_truncate(); }

 private:
  explicit HubStore(sqlite::Db db, std::string municipality) : db_(std::move(db)), municipality_(std::move(municipality)) {}
  Status init_schema();
  // Conflict rule + write of one change; returns the stored record or the reason it was refused.
  Expected<protocol::Record> apply_one(const std::string& origin, std::uint64_t origin_seq, const std::string& entity,
                                       const std::string& key, protocol::OpKind kind, const std::string& body,
                                       std::uint64_t base_version, std::int64_t now_ms, bool* no_change);
  Expected<std::uint64_t> next_feed_seq();

  sqlite::Db db_;
  std::string municipality_;
  WritePolicy policy_;

};

}  // namespace madoguchi::hub
