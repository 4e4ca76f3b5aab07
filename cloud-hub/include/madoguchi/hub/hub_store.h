// One municipality's data at the hub (KON-5: each municipality in its own SQLite file, so no
// query can reach another's): the records, the change feed with its own sequence numbers, and
// per device the last operation settled (the idempotency key is (device, seq)).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "madoguchi/console/card_index/card_index.h"
#include "madoguchi/error.h"
#include "madoguchi/protocol/messages.h"
#include "madoguchi/sqlite/schema.h"
#include "madoguchi/sqlite/sqlite.h"

namespace madoguchi::hub {

// The outcome of one batch: what was settled and how.
struct BatchOutcome {
  std::uint64_t settled_before = 0;  // the device's last settled seq before the batch
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

// One change made at the hub, for HubStore::write_local_batch (HubEngine::LocalWrite).
struct LocalWrite {
  std::string entity;
  std::string key;
  protocol::OpKind kind = protocol::OpKind::upsert;
  std::string body_json;  // empty for a removal
  // The version this change was based on (a record read earlier: a change stored since then is a
  // conflict, like write_local's base_version). Empty: the version stored at that moment.
  std::optional<std::uint64_t> base_version = std::nullopt;
};

// A page of 交付管理's search at the hub (HubStore::search_cards).
struct CardSearchPage {
  std::uint64_t total = 0;              // cards matching, all pages
  std::vector<protocol::Record> rows;   // the page's card records, in the filter's order
};

class HubStore;

// Reads inside the transaction that is applying a change (for a Constraint): what it sees is
// what the change will be judged against and committed with, whichever process or HubStore
// handle writes next (BEGIN IMMEDIATE serialises writers of one database file).
class TxReader {
 public:
  explicit TxReader(HubStore& store) : store_(store) {}
  // The stored record (live or deleted) of entity/key, nullopt when never written.
  Expected<std::optional<protocol::Record>> get(const std::string& entity, const std::string& key);
  // Places the live counted records (see PlaceCount) take in `slot_key`, leaving out the record
  // with key `excluding_key` (the one being changed; empty: leave out none).
  Expected<std::int64_t> booked_places(const std::string& slot_key, const std::string& excluding_key);
  // The live records of one entity in key order, at most max (small entities: roles).
  Expected<std::vector<protocol::Record>> records(const std::string& entity, std::size_t max);

 private:
  HubStore& store_;
};

// One change as a Constraint sees it, after the write policy and the conflict rule accepted it.
struct ConstraintInput {
  std::string_view origin;  // "hub" or a device id
  std::string_view entity;
  std::string_view key;
  bool remove = false;
  std::string_view body;                          // the canonical body to be stored ("" for a removal)
  const std::optional<protocol::Record>& current;  // the live record before the change, if any
  std::int64_t now_ms = 0;
};

// A rule across records, judged in the writing transaction (the booking rule, EDGE-5, PHN-5).
// Returns an Error to refuse; the change is then rejected like a conflict, with the Error's code
// (capacity, forbidden, not_found, ...), and nothing of it is stored.
using Constraint = std::function<Status(const ConstraintInput& input, TxReader& tx)>;

// Which records take places in a slot, kept in the derived table booking_load(key, slot, places)
// in the same transaction as every write of `entity`. `places_of` reads a body and returns the
// slot key and the places it takes (0 or nullopt: none, e.g. a cancelled booking or a body that
// does not decode). Removed records take none.
struct SlotPlaces {
  std::string slot;
  std::int64_t places = 0;
};
struct PlaceCount {
  std::string entity;
  std::function<std::optional<SlotPlaces>(std::string_view body)> places_of;
};

class HubStore {
 public:
  static Expected<HubStore> open(const std::filesystem::path& path, const std::string& municipality);

  const std::string& municipality() const { return municipality_; }
  // What open() found and did to the schema (versions, the backup copy taken before an upgrade).
  const sqlite::MigrationReport& migration() const { return migration_; }
  void set_write_policy(WritePolicy policy) { policy_ = std::move(policy); }

  // Installs the cross-record rule and the place count it reads (booking_load), and rebuilds
  // booking_load from the live records of count.entity (so a table written without the count is
  // made right). Either may be empty. Errors: db.
  Status set_constraint(Constraint constraint, PlaceCount count);
  // Whether changes are also written to the feed (default true). A store nothing publishes (a
  // certificate database) turns it off: each record is then written once instead of twice, and
  // versions still come from the feed's head counter.
  void set_feed_kept(bool keep) { keep_feed_ = keep; }

  // Applies a device's batch in one transaction, in seq order, idempotently: seqs already settled
  // are skipped (and reported as duplicates), and a batch that starts past the next expected seq
  // is not applied at all. Each op follows the conflict rule (docs/protocol.md, EDGE-5).
  Expected<BatchOutcome> apply_batch(const protocol::OpBatch& batch, std::int64_t now_ms);

  // A change made at the hub itself (citizen site, administrators): same conflict rule, origin
  // "hub". Returns the record as stored, or a conflict/not_found Error.
  Expected<protocol::Record> write_local(const std::string& entity, const std::string& key, protocol::OpKind kind,
                                         const std::string& body_json, std::uint64_t base_version, std::int64_t now_ms);

  // Several changes made at the hub in ONE transaction (BEGIN IMMEDIATE), in order, origin "hub".
  // Each is based on the version stored at that moment (a change at the hub wins, like
  // HubConsoleStore::write; a later write of the same key sees the earlier one) unless it names
  // its LocalWrite::base_version (then a change stored since is a conflict), and passes the
  // write policy and the constraint. Removing a record that is absent changes nothing and is
  // left out of the result. The first refusal rolls back everything and is returned with its
  // code and "write <index> (<entity>/<key>): <reason>". At most kMaxLocalBatch writes
  // (too_large). Returns the records as stored, in order.
  static constexpr std::size_t kMaxLocalBatch = 100000;
  Expected<std::vector<protocol::Record>> write_local_batch(const std::vector<LocalWrite>& writes, std::int64_t now_ms);

  Expected<FeedBounds> feed_bounds();
  // Feed entries with seq > after, ascending, at most max.
  Expected<std::vector<protocol::Record>> feed_after(std::uint64_t after, std::size_t max);
  // Live records ordered by (entity, key) strictly after the given position, at most max.
  Expected<std::vector<protocol::Record>> records_after(const std::string& entity, const std::string& key, std::size_t max);
  Expected<std::optional<protocol::Record>> get(const std::string& entity, const std::string& key);
  // Live records of `entity` with from_key < key < to_key (to_key empty: no upper bound), in key
  // order, at most max: one statement that stops at the range's end (records_after pages on into
  // the next entities).
  Expected<std::vector<protocol::Record>> records_between(const std::string& entity, const std::string& from_key,
                                                          const std::string& to_key, std::size_t max);
  // Live records of `entity` with key < before_key (empty: no bound), in descending key order, at
  // most max: the newest first where keys start with a time (linkage_batch).
  Expected<std::vector<protocol::Record>> records_before(const std::string& entity, const std::string& before_key, std::size_t max);
  // Live records of `entity` whose body matches the GLOB pattern (SQLite's: '*', '?', '[a-z]' with
  // UTF-8 ranges), in key order, at most max. Reads every body of the entity, in SQLite.
  Expected<std::vector<protocol::Record>> records_matching(const std::string& entity, const std::string& glob, std::size_t max);
  // The same, each with the places the counted records take in it (booking_load, as
  // slot_places): the slots of a range with their fill in one statement (availability).
  struct RecordPlaces {
    protocol::Record record;
    std::int64_t places = 0;
  };
  Expected<std::vector<RecordPlaces>> records_between_with_places(const std::string& entity, const std::string& from_key,
                                                                  const std::string& to_key, std::size_t max);
  // A read transaction (BEGIN DEFERRED) for several reads that belong together: they see one
  // state and take the database's read lock once instead of once per statement. Ended (COMMIT;
  // nothing was written) when the object goes. Inside a transaction already open on this
  // handle it does nothing. Errors: db.
  class ReadScope {
   public:
    ReadScope(ReadScope&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
    ReadScope& operator=(ReadScope&&) = delete;
    ReadScope(const ReadScope&) = delete;
    ~ReadScope();

   private:
    friend class HubStore;
    explicit ReadScope(sqlite::Db* db) : db_(db) {}
    sqlite::Db* db_;
  };
  Expected<ReadScope> read_scope();
  // Changes whenever the database may have changed since the last call: commits of other
  // connections (PRAGMA data_version) or changes made through this handle (total changes). For
  // caches of what was read. Errors: db.
  struct DataVersion {
    std::int64_t others = 0;
    std::int64_t own = 0;
    bool operator==(const DataVersion&) const = default;
  };
  Expected<DataVersion> data_version();
  // How often SQLite compiled this store's statements again (sqlite::Db::cached_reprepares): 0
  // in steady state (see the schema's note in hub_store.cc).
  std::uint64_t statement_reprepares() const { return db_.cached_reprepares(); }
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
  // Live card records (entity "card") whose body's postcard_no is exactly `postcard_no`: one
  // lookup in the expression index records_card_postcard, however many cards (RSV-5). At most max.
  Expected<std::vector<protocol::Record>> cards_by_postcard(const std::string& postcard_no, std::size_t max);
  // The certificate database's lookups for convenience-store issuance (schema 2's indexes): live
  // resident records by the JPKI serial column and by 世帯番号, seal records by 宛名番号.
  Expected<std::vector<protocol::Record>> residents_by_jpki_serial(const std::string& serial, std::size_t max);
  Expected<std::vector<protocol::Record>> residents_by_household(const std::string& household, std::size_t max);
  Expected<std::vector<protocol::Record>> seals_by_person(const std::string& person, std::size_t max);
  // Places the counted records take in a slot (booking_load, see PlaceCount), leaving out the
  // record with key `excluding_key` (empty: none), outside any write.
  Expected<std::int64_t> booked_places(const std::string& slot_key, const std::string& excluding_key);
  Expected<std::int64_t> slot_places(const std::string& slot_key) { return booked_places(slot_key, ""); }
  // Keys of the counted records (booking_load: the live bookings) whose slot day, the date after
  // the slot key's ':', is in [from_day, to_day] (YYYY-MM-DD), by slot, at most max: the reminder
  // job's candidates without decoding every booking ever made.
  Expected<std::vector<std::string>> load_keys_between_days(const std::string& from_day, const std::string& to_day,
                                                            std::size_t max);
  // Increments the named counter in its own small transaction and returns the new value (1 first).
  // Not part of the records and never on the feed (receipt number sequences, per day).
  Expected<std::int64_t> next_sequence(const std::string& name);
  // Sets the device's last settled seq to `seq` unless it is already higher: its operations up to
  // `seq` were settled elsewhere (HubEngine moving an older release's linkage records). Errors: db.
  Status raise_device_seq(const std::string& device, std::uint64_t seq);
  Expected<std::uint64_t> device_last_seq(const std::string& device);
  Expected<std::uint64_t> record_count();
  // Rows of the card search index (one per live card record).
  Expected<std::uint64_t> card_index_count();
  // 交付管理's search over card_index (console/card_index): the page [offset, offset + limit),
  // limit at most 1,000, and how many match in all.
  Expected<CardSearchPage> search_cards(const console::card_index::Filter& filter, std::size_t offset, std::size_t limit);
  // Every card matching, in the filter's order, until `each` returns false (exports, bulk updates).
  Status for_each_card(const console::card_index::Filter& filter, const std::function<bool(const protocol::Record&)>& each);
  // Whether a live card has this manufacture number, or another card this application id (a
  // non-empty one) (ISS-2).
  Expected<bool> card_taken(const std::string& manufacture_no, const std::string& application_id);
  Expected<std::uint64_t> record_count(const std::string& entity);  // live records of one entity

  // Drops feed entries older than the newest `keep` (bounded history; older devices get snapshots).
  Status trim_feed(std::uint64_t keep);
  Status checkpoint() { return db_.checkpoint_truncate(); }

 private:
  // residents_by_jpki_serial and the others: `entity` and `path` are constants of this class.
  Expected<std::vector<protocol::Record>> records_by_field(std::string_view entity, std::string_view path, const std::string& value,
                                                           std::size_t max);
  friend class TxReader;
  explicit HubStore(sqlite::Db db, std::string municipality) : db_(std::move(db)), municipality_(std::move(municipality)) {}
  Status init_schema();
  // Conflict rule + write of one change; returns the stored record or the reason it was refused.
  Expected<protocol::Record> apply_one(const std::string& origin, std::uint64_t origin_seq, const std::string& entity,
                                       const std::string& key, protocol::OpKind kind, const std::string& body,
                                       std::uint64_t base_version, std::int64_t now_ms, bool* no_change);
  Expected<std::uint64_t> next_feed_seq();
  // Keeps booking_load in step with one stored record (inside the caller's transaction).
  Status update_load(const protocol::Record& stored);
  // Keeps card_index (the 交付管理 search, domain/card_search.h) for a card record just written,
  // in the same transaction.
  Status update_card_index(const protocol::Record& stored);

  sqlite::Db db_;
  std::string municipality_;
  WritePolicy policy_;
  Constraint constraint_;
  PlaceCount count_;
  sqlite::MigrationReport migration_;
  bool keep_feed_ = true;
};

}  // namespace madoguchi::hub
