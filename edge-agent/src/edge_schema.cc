// The edge database's schema (edge.db of a counter PC or the linkage server): every table, index
// and trigger, as an ordered list of migrations (drivers/sqlite/schema.h). Nothing else creates
// tables in this database. To change the layout, append a migration; never edit a released one.
#include "edge_schema.h"

#include <array>

namespace madoguchi::edge {

namespace {

// Version 1: the sync engine's tables, as the first releases created them.
constexpr const char* kV1 = R"sql(
CREATE TABLE IF NOT EXISTS meta(
  k TEXT PRIMARY KEY,
  v TEXT NOT NULL
) WITHOUT ROWID;
-- The municipality's records as the hub last confirmed them (tombstones included).
CREATE TABLE IF NOT EXISTS replica(
  entity TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL, deleted INTEGER NOT NULL,
  version INTEGER NOT NULL, origin_device TEXT NOT NULL, origin_seq INTEGER NOT NULL,
  PRIMARY KEY(entity, key)
) WITHOUT ROWID;
-- What staff see: replica plus unconfirmed local operations. Deleted records are absent.
CREATE TABLE IF NOT EXISTS records(
  entity TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL,
  version INTEGER NOT NULL, pending INTEGER NOT NULL,
  PRIMARY KEY(entity, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS records_pending ON records(pending) WHERE pending = 1;
-- The durable queue of local operations, forgotten only after the hub's acknowledgement.
CREATE TABLE IF NOT EXISTS outbox(
  seq INTEGER PRIMARY KEY, op_id TEXT NOT NULL, entity TEXT NOT NULL, key TEXT NOT NULL,
  kind INTEGER NOT NULL, base_version INTEGER NOT NULL, body TEXT NOT NULL, at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_key ON outbox(entity, key);
CREATE TABLE IF NOT EXISTS rejections(
  seq INTEGER PRIMARY KEY, entity TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL,
  code TEXT NOT NULL, reason TEXT NOT NULL, at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshot_stage(
  entity TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL, version INTEGER NOT NULL,
  origin_device TEXT NOT NULL, origin_seq INTEGER NOT NULL,
  PRIMARY KEY(entity, key)
) WITHOUT ROWID;
)sql";

// Version 2: the tables the console's modules used to create on the side (the release before
// versioned migrations created them at start when missing, so an upgraded database may already
// have some: IF NOT EXISTS throughout), and their fills from the view.
//   - 電話予約 (EdgeBookingBackend): places per slot and the people of each booking. Places are
//     computed once, in C++ (domain::booking_places, as at the hub): triggers on `records` only
//     mark the changed booking keys in booking_dirty, whoever writes, and the backend folds them
//     into booking_index and booking_person before it reads them (the card index's pattern;
//     plain SQL, so any connection may still write `records`). Receipt sequences per day, the
//     bookings sent to the hub and the mark of the refusals already handled.
//   - 交付管理 (EdgeCardStore): the card search index, filled from card_dirty by the store (the
//     triggers only mark keys); name prefixes as covering indexes carrying every sort column.
//   - the linkage inbox: the delta files already taken (name and SHA-256).
//   - the sync counters (last_seq, acked_upto, feed_seq) in meta, from here on always present.
constexpr const char* kV2 = R"sql(
CREATE TABLE IF NOT EXISTS booking_index(
  key TEXT PRIMARY KEY, slot TEXT, counter TEXT, day TEXT, cancelled INTEGER NOT NULL, places INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS booking_index_slot ON booking_index(slot, places);
CREATE INDEX IF NOT EXISTS booking_index_day ON booking_index(day, slot, key);
CREATE TABLE IF NOT EXISTS booking_person(key TEXT NOT NULL, manufacture_no TEXT NOT NULL, PRIMARY KEY(key, manufacture_no)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS booking_person_no ON booking_person(manufacture_no);
CREATE TABLE IF NOT EXISTS edge_booking_seq(day TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS edge_booking_sent(
  receipt TEXT PRIMARY KEY, last_seq INTEGER NOT NULL, created INTEGER NOT NULL, body TEXT NOT NULL,
  at_ms INTEGER NOT NULL, handled INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS edge_booking_sent_seq ON edge_booking_sent(last_seq);
CREATE TABLE IF NOT EXISTS edge_booking_refusal_mark(id INTEGER PRIMARY KEY CHECK(id = 1), seq INTEGER NOT NULL);
INSERT OR IGNORE INTO edge_booking_refusal_mark(id, seq) VALUES(1, 0);
-- The release before computed the index in triggers from the JSON body; now the triggers only
-- mark changed keys and EdgeBookingBackend computes places with domain::booking_places.
DROP TRIGGER IF EXISTS booking_index_insert;
DROP TRIGGER IF EXISTS booking_index_update;
DROP TRIGGER IF EXISTS booking_index_delete;
CREATE TABLE IF NOT EXISTS booking_dirty(key TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS booking_dirty_insert AFTER INSERT ON records WHEN new.entity = 'booking'
BEGIN INSERT INTO booking_dirty(key) SELECT new.key WHERE NOT EXISTS (SELECT 1 FROM booking_dirty WHERE key = new.key); END;
CREATE TRIGGER IF NOT EXISTS booking_dirty_update AFTER UPDATE OF body ON records WHEN new.entity = 'booking'
BEGIN INSERT INTO booking_dirty(key) SELECT new.key WHERE NOT EXISTS (SELECT 1 FROM booking_dirty WHERE key = new.key); END;
CREATE TRIGGER IF NOT EXISTS booking_dirty_delete AFTER DELETE ON records WHEN old.entity = 'booking'
BEGIN INSERT INTO booking_dirty(key) SELECT old.key WHERE NOT EXISTS (SELECT 1 FROM booking_dirty WHERE key = old.key); END;

CREATE TABLE IF NOT EXISTS card_index(
  key TEXT PRIMARY KEY, receipt_no INTEGER, counter TEXT, booking_at TEXT, status INTEGER,
  kanji_key TEXT, kana_key TEXT, shipment_no TEXT, renewal INTEGER, application_id TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS card_index_receipt ON card_index(receipt_no, key);
CREATE INDEX IF NOT EXISTS card_index_counter ON card_index(counter, key);
CREATE INDEX IF NOT EXISTS card_index_booking ON card_index(booking_at, key);
CREATE INDEX IF NOT EXISTS card_index_status ON card_index(status, key);
-- Name prefixes: covering indexes carrying every sort column, so a name search that matches
-- thousands of cards (a common family name) counts and sorts from the index alone without a
-- table lookup per match (madoguchi-bench counter: p50 38-48 ms before, with one index per name
-- column and an OR across them).
DROP INDEX IF EXISTS card_index_kanji;
DROP INDEX IF EXISTS card_index_kana;
CREATE INDEX IF NOT EXISTS card_index_kanji_cover ON card_index(kanji_key, receipt_no, counter, booking_at, status, key);
CREATE INDEX IF NOT EXISTS card_index_kana_cover ON card_index(kana_key, receipt_no, counter, booking_at, status, key);
CREATE INDEX IF NOT EXISTS card_index_shipment ON card_index(shipment_no);
-- A filter with the sort the list is usually read in: the page comes straight off the index
-- (status sorted by booking date-time, counter by receipt number), instead of sorting 60,000-75,000
-- rows at 300,000 cards (madoguchi-bench counter: p50 32-40 ms before).
CREATE INDEX IF NOT EXISTS card_index_status_booking ON card_index(status, booking_at, key);
CREATE INDEX IF NOT EXISTS card_index_counter_receipt ON card_index(counter, receipt_no, key);
CREATE INDEX IF NOT EXISTS card_index_application ON card_index(application_id) WHERE application_id <> '';
CREATE TABLE IF NOT EXISTS card_dirty(key TEXT PRIMARY KEY) WITHOUT ROWID;
-- No OR IGNORE inside the triggers: the conflict clause of the statement that fires a trigger
-- (the view's upsert) overrides the trigger's own, so the triggers avoid the conflict instead.
CREATE TRIGGER IF NOT EXISTS card_dirty_insert AFTER INSERT ON records WHEN new.entity = 'card'
BEGIN INSERT INTO card_dirty(key) SELECT new.key WHERE NOT EXISTS (SELECT 1 FROM card_dirty WHERE key = new.key); END;
CREATE TRIGGER IF NOT EXISTS card_dirty_update AFTER UPDATE OF body ON records WHEN new.entity = 'card'
BEGIN INSERT INTO card_dirty(key) SELECT new.key WHERE NOT EXISTS (SELECT 1 FROM card_dirty WHERE key = new.key); END;
CREATE TRIGGER IF NOT EXISTS card_dirty_delete AFTER DELETE ON records WHEN old.entity = 'card'
BEGIN INSERT INTO card_dirty(key) SELECT old.key WHERE NOT EXISTS (SELECT 1 FROM card_dirty WHERE key = old.key); END;

CREATE TABLE IF NOT EXISTS linkage_taken(
  name TEXT NOT NULL, sha256 TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY(name, sha256)
) WITHOUT ROWID;
-- The sync counters exist from here on: a missing one is corruption, never 0. A database that
-- never wrote, acknowledged or received anything had them absent, meaning 0.
INSERT OR IGNORE INTO meta(k, v) VALUES('last_seq', '0'), ('acked_upto', '0'), ('feed_seq', '0');
-- Every booking indexed again by the code that keeps the index; cards the index lacks.
INSERT OR IGNORE INTO booking_dirty(key) SELECT key FROM records WHERE entity = 'booking';
INSERT OR IGNORE INTO card_dirty(key) SELECT key FROM records WHERE entity = 'card' AND key NOT IN (SELECT key FROM card_index);
)sql";

// Version 3: the linkage inbox reads its files (docs/formats/linkage-records.md) and sends one
// operation per row (linkage_inbox.h). linkage_taken (whole files as one opaque operation) is no
// longer written; it stays for the files an older release took.
//   - linkage_stream: per source's deltas (run '') and per full copy's run, the last 連携番号 sent
//     and the source state last sent;
//   - linkage_batches: the range and SHA-256 of each file taken, to verify a redelivery (LNK-6);
//   - linkage_images: seal impressions already sent, by SHA-256.
constexpr const char* kV3 = R"sql(
CREATE TABLE IF NOT EXISTS linkage_stream(
  kind TEXT NOT NULL, source TEXT NOT NULL, run TEXT NOT NULL, last_seq INTEGER NOT NULL, state TEXT NOT NULL,
  PRIMARY KEY(kind, source, run)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS linkage_batches(
  kind TEXT NOT NULL, source TEXT NOT NULL, run TEXT NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
  sha256 TEXT NOT NULL, PRIMARY KEY(kind, source, run, first_seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS linkage_images(sha256 TEXT PRIMARY KEY) WITHOUT ROWID;
)sql";

// Version 4: an operation sent without being kept in the view (EdgeStore::send_in_tx: the linkage
// agent's rows, a counter's device_status) is marked so in the outbox, and a snapshot or a feed
// change re-applies only the others over the view. Before, a snapshot put the waiting rows of a
// linkage agent into its view. Waiting operations of those entities are marked on upgrade.
constexpr const char* kV4 = R"sql(
ALTER TABLE outbox ADD COLUMN viewed INTEGER NOT NULL DEFAULT 1;
UPDATE outbox SET viewed = 0 WHERE entity IN ('resident', 'seal', 'tax', 'seal_image', 'linkage_batch', 'linkage_source',
  'linkage_agent', 'linkage_digest', 'device_status');
)sql";

constexpr std::array<sqlite::Migration, 4> kMigrations{{{1, kV1}, {2, kV2}, {3, kV3}, {4, kV4}}};

}  // namespace

const sqlite::Schema& edge_schema() {
  // Releases up to 93879b9 kept version 1 in the meta table only; they read it and refuse
  // anything but "1", so it mirrors the header's version.
  static const sqlite::Schema schema{"edge", kMigrations, sqlite::legacy_meta_version(1), sqlite::mirror_meta_version};
  return schema;
}

}  // namespace madoguchi::edge
