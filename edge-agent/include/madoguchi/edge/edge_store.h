// The edge agent's local database (EDGE-2, EDGE-3): the municipality's records as the hub last
// confirmed them (the replica), the records as counter staff see them (the view: replica plus
// operations not yet confirmed), and the outbox, the durable queue of those operations.
//
// Durable first, then send; confirm, then forget: every local change is written to the view and
// to the outbox in one BEGIN IMMEDIATE transaction with synchronous=FULL, and an outbox entry is
// deleted only when the hub's acknowledgement for it arrives. Not thread-safe: one owner thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "madoguchi/error.h"
#include "madoguchi/protocol/messages.h"
#include "madoguchi/sqlite/schema.h"
#include "madoguchi/sqlite/sqlite.h"

namespace madoguchi::edge {

class BookingTables;
class CardIndex;

// A record as staff see it at this counter.
struct ViewRecord {
  std::string entity;
  std::string key;
  std::string body;
  std::uint64_t version = 0;  // hub version the view is based on
  bool pending = false;       // a local change not yet confirmed by the hub
};

// An operation the hub refused; kept until staff have seen it (EDGE-5: shown to staff).
struct RejectedOp {
  std::uint64_t seq = 0;
  std::string entity;
  std::string key;
  std::string kind;
  std::string code;
  std::string reason;
  std::int64_t at_ms = 0;
};

struct StoreStats {
  std::uint64_t last_seq = 0;     // last sequence number given to a local operation
  std::uint64_t acked_upto = 0;   // every seq <= this is settled at the hub
  std::uint64_t outbox_depth = 0;
  std::uint64_t feed_seq = 0;     // last hub feed change applied to the replica
  std::uint64_t records = 0;      // rows in the view
  std::uint64_t rejected = 0;
};

class EdgeStore {
 public:
  // Opens or creates the database. The municipality and device are written on first open and
  // checked on every later one: a database never changes identity (Errc::invalid_argument).
  static Expected<EdgeStore> open(const std::filesystem::path& path, const std::string& municipality,
                                  const std::string& device);

  const std::string& municipality() const { return municipality_; }
  // What open() found and did to the schema (edge_schema.cc): versions, and the backup copy
  // taken before an upgrade. The agent logs it.
  const sqlite::MigrationReport& migration() const { return migration_; }
  const std::string& device() const { return device_; }

  // Records a local change: view and outbox in one transaction. Returns the operation's seq.
  // Errors: invalid_argument (entity, key), malformed/too_large (body), not_found (remove of a
  // record the view does not have), db.
  Expected<std::uint64_t> write(const std::string& entity, const std::string& key, protocol::OpKind kind,
                                const std::string& body_json, std::int64_t at_ms);

  // Runs `body` in one BEGIN IMMEDIATE transaction: the local changes it records with
  // write_in_tx() and what it writes through bookings(), card_index() or the linkage tables
  // commit together or not at all. A failure of `body` (its Status) or of the commit rolls back
  // and re-reads the counters. Not reentrant.
  Status transaction(const std::function<Status()>& body);
  // Like write(), inside transaction().
  Expected<std::uint64_t> write_in_tx(const std::string& entity, const std::string& key, protocol::OpKind kind,
                                      const std::string& body_json, std::int64_t at_ms);

  // The tables the edge schema keeps beside the records (edge_schema.cc), with typed operations:
  // the booking writer's (booking_tables.h) and 交付管理's search index (card_index.h). No module
  // gets the connection itself.
  BookingTables bookings();
  CardIndex card_index();
  // Like write_in_tx() for an upsert, but into the outbox only: the view does not keep it. For
  // what this device sends and never reads back (the linkage agent's rows, linkage_inbox.h).
  // `body_json` must be a compact JSON object as nlohmann::json::dump() writes it (the hub
  // checks it again); only its size and braces are checked here.
  Expected<std::uint64_t> send_in_tx(const std::string& entity, const std::string& key, const std::string& body_json,
                                     std::int64_t at_ms);

  // The linkage inbox's tables (edge_schema.cc, version 3), read and written inside transaction().
  // A stream is a source's deltas (run "") or one full copy's run: the last 連携番号 sent and the
  // source state last sent (a linkage_source body, "" for none).
  struct LinkageStream {
    std::uint64_t last_seq = 0;
    std::string state;
  };
  Expected<LinkageStream> linkage_stream(std::string_view kind, std::string_view source, std::string_view run);
  Status set_linkage_stream(std::string_view kind, std::string_view source, std::string_view run, const LinkageStream& stream);
  // The SHA-256 of the file that first sent rows first..last of a stream (a redelivery is checked
  // against it), nullopt when no file covered exactly that range.
  Expected<std::optional<std::string>> linkage_batch_sha(std::string_view kind, std::string_view source, std::string_view run,
                                                         std::uint64_t first, std::uint64_t last);
  Status add_linkage_batch(std::string_view kind, std::string_view source, std::string_view run, std::uint64_t first,
                           std::uint64_t last, std::string_view sha256);
  // Seal impressions already sent, by SHA-256.
  Expected<bool> linkage_image_sent(std::string_view sha256);
  Status mark_linkage_image_sent(std::string_view sha256);

  // Outbox entries with seq >= from, ascending, at most max_ops and about max_bytes of bodies.
  Expected<std::vector<protocol::Op>> outbox_from(std::uint64_t from, std::size_t max_ops, std::size_t max_bytes);

  // Applies a hub acknowledgement: forgets settled entries, records rejections, and puts the
  // hub's current record back into the view for rejected keys. Idempotent.
  Status apply_ack(const protocol::Ack& ack, std::int64_t now_ms);

  // Applies feed changes with version > feed_seq, in order, in one transaction. Returns the new
  // feed_seq. Changes must start at feed_seq + 1 (the caller checks for gaps).
  Expected<std::uint64_t> apply_changes(const std::vector<protocol::Record>& changes);

  // Snapshot staging: begin (clears the stage), add parts, then finish replaces the replica and
  // rebuilds the view (replica + outbox) in one transaction.
  Status snapshot_begin(std::uint64_t snapshot_id);
  Status snapshot_add(const std::vector<protocol::Record>& records);
  Status snapshot_finish(std::uint64_t as_of);

  Expected<std::optional<ViewRecord>> get(const std::string& entity, const std::string& key);
  Expected<std::vector<ViewRecord>> list(const std::string& entity, std::size_t limit, std::size_t offset);
  // Records of `entity` with from_key <= key < to_key, in key order, at most `limit`.
  Expected<std::vector<ViewRecord>> range(const std::string& entity, const std::string& from_key,
                                          const std::string& to_key, std::size_t limit);
  // The body of a live record as the hub last confirmed it (the replica), nullopt when absent.
  Expected<std::optional<std::string>> replica_body(const std::string& entity, const std::string& key);
  // Records of `entity` whose key starts with `prefix`, in descending key order, at most `limit`
  // (the staff console's operation log: the newest entries of one device's chain).
  Expected<std::vector<ViewRecord>> list_prefix_desc(const std::string& entity, const std::string& prefix,
                                                     std::size_t limit);
  Expected<std::vector<RejectedOp>> rejections(std::size_t limit);
  Expected<StoreStats> stats();

  std::uint64_t last_seq() const { return last_seq_; }
  std::uint64_t acked_upto() const { return acked_upto_; }
  std::uint64_t feed_seq() const { return feed_seq_; }

  // Keeps the WAL small when idle (truncating checkpoint).
  Status checkpoint() { return db_.checkpoint_truncate(); }

 private:
  explicit EdgeStore(sqlite::Db db) : db_(std::move(db)) {}
  Status init_schema();
  Status load_identity(const std::string& municipality, const std::string& device);
  Status set_meta(const char* key, std::uint64_t value);
  // The next seq's outbox entry (inside the caller's transaction): write_in_tx and send_in_tx.
  // `viewed`: the view keeps the change (write_in_tx) or not (send_in_tx); a snapshot or a feed
  // change re-applies only the kept ones over the view.
  Expected<std::uint64_t> append_outbox(const std::string& entity, const std::string& key, protocol::OpKind kind,
                                        std::uint64_t base_version, const std::string& body, std::int64_t at_ms, bool viewed);
 public:
  // Recovery when the hub has settled more operations of this device than this database made
  // (the database was restored from a backup, or a new PC took over the device id): renumbers
  // every unacknowledged operation to follow `hub_last`, so none of them is mistaken for one the
  // hub already has. Nothing is lost; the renumbered operations are sent as new ones.
  Status resequence_after(std::uint64_t hub_last);
  // Re-reads the counters from the database (after a caller's transaction was rolled back).
  Status reload_counters();
  // Re-reads the counters if another connection committed since the last call (SQLite's
  // data_version). Lets other processes write operations into the same database.
  Expected<bool> refresh_if_changed();
 private:
  Status rebuild_view_key(const std::string& entity, const std::string& key);
  Status upsert_replica(const protocol::Record& r);

  sqlite::Db db_;
  std::string municipality_;
  std::string device_;
  std::uint64_t last_seq_ = 0;
  std::uint64_t acked_upto_ = 0;
  std::uint64_t feed_seq_ = 0;
  std::uint64_t snapshot_id_ = 0;
  std::int64_t data_version_ = -1;
  sqlite::MigrationReport migration_;
};

}  // namespace madoguchi::edge
