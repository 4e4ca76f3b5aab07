#include "madoguchi/hub/hub_store.h"

#include <algorithm>
#include <array>

#include <sqlite3.h>

#include "madoguchi/console/card_index/card_index.h"
#include "madoguchi/domain/card_search.h"
#include "madoguchi/protocol/topics.h"

namespace madoguchi::hub {

namespace p = madoguchi::protocol;

namespace {

// The schema of a municipality's hub database (hub/<muni>.db). Append a migration to change it.
//   1: as the first releases created it.
//
// Statements write the entity as "entity = +?1", never "entity = ?1": the planner compares a bare
// parameter with the WHERE of the partial index records_card_postcard (entity = 'card') using its
// bound value, and SQLite then compiles the statement again every time ?1 is bound (measured: a
// tenth of a slot page's CPU). The unary plus keeps the primary key's range search and takes the
// parameter out of that comparison (HubStore::statement_reprepares, hub_store_test).
constexpr const char* kV1 = R"sql(
CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records(
  entity TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL, deleted INTEGER NOT NULL,
  version INTEGER NOT NULL, origin_device TEXT NOT NULL, origin_seq INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY(entity, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS feed(
  seq INTEGER PRIMARY KEY, entity TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL,
  deleted INTEGER NOT NULL, origin_device TEXT NOT NULL, origin_seq INTEGER NOT NULL, at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS devices(device TEXT PRIMARY KEY, last_seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rejections(
  device TEXT NOT NULL, seq INTEGER NOT NULL, code TEXT NOT NULL, reason TEXT NOT NULL, at_ms INTEGER NOT NULL,
  PRIMARY KEY(device, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS booking_load(
  key TEXT PRIMARY KEY, slot TEXT NOT NULL, places INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS booking_load_by_slot ON booking_load(slot, places);
CREATE INDEX IF NOT EXISTS records_card_postcard ON records(
  (CASE WHEN json_valid(body) THEN json_extract(body, '$.postcard_no') END)) WHERE entity = 'card';
CREATE TABLE IF NOT EXISTS sequences(name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
)sql";

// 2: the certificate database's lookups for convenience-store issuance (issue 13): a resident by
//    the JPKI certificate's serial and by household, a seal registration by its person. Partial
//    indexes on entities only the certificate database holds, so a municipality's database pays
//    nothing for them.
constexpr const char* kV2 = R"sql(
CREATE INDEX IF NOT EXISTS records_resident_jpki ON records(
  (CASE WHEN json_valid(body) THEN json_extract(body, '$.fields."利用者証明用電子証明書シリアル番号"') END)) WHERE entity = 'resident';
CREATE INDEX IF NOT EXISTS records_resident_household ON records(
  (CASE WHEN json_valid(body) THEN json_extract(body, '$.fields."世帯番号"') END)) WHERE entity = 'resident';
CREATE INDEX IF NOT EXISTS records_seal_person ON records(
  (CASE WHEN json_valid(body) THEN json_extract(body, '$.person') END)) WHERE entity = 'seal';
)sql";

// 3: 交付管理 at the hub (issue 14): the search index over the municipality's cards, the same
//    columns and indexes as the counter's (edge_schema.cc), kept by HubStore in the transaction
//    that writes each card record (update_card_index), and filled from the cards already stored
//    when a database is upgraded to this version (init_schema).
constexpr const char* kV3 = R"sql(
CREATE TABLE IF NOT EXISTS card_index(
  key TEXT PRIMARY KEY, receipt_no INTEGER, counter TEXT, booking_at TEXT, status INTEGER,
  kanji_key TEXT, kana_key TEXT, shipment_no TEXT, renewal INTEGER, application_id TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS card_index_receipt ON card_index(receipt_no, key);
CREATE INDEX IF NOT EXISTS card_index_counter ON card_index(counter, key);
CREATE INDEX IF NOT EXISTS card_index_booking ON card_index(booking_at, key);
CREATE INDEX IF NOT EXISTS card_index_status ON card_index(status, key);
CREATE INDEX IF NOT EXISTS card_index_kanji_cover ON card_index(kanji_key, receipt_no, counter, booking_at, status, key);
CREATE INDEX IF NOT EXISTS card_index_kana_cover ON card_index(kana_key, receipt_no, counter, booking_at, status, key);
CREATE INDEX IF NOT EXISTS card_index_shipment ON card_index(shipment_no);
CREATE INDEX IF NOT EXISTS card_index_status_booking ON card_index(status, booking_at, key);
CREATE INDEX IF NOT EXISTS card_index_counter_receipt ON card_index(counter, receipt_no, key);
CREATE INDEX IF NOT EXISTS card_index_application ON card_index(application_id) WHERE application_id <> '';
)sql";

constexpr std::array<sqlite::Migration, 3> kMigrations{{{1, kV1}, {2, kV2}, {3, kV3}}};

const sqlite::Schema& hub_schema() {
  // Releases up to 93879b9 kept version 1 in the meta table only; they read it and refuse
  // anything but "1", so it mirrors the header's version.
  static const sqlite::Schema schema{"hub", kMigrations, sqlite::legacy_meta_version(1), sqlite::mirror_meta_version};
  return schema;
}

// Rejections are kept for this many of a device's most recent operations, so a resent batch gets
// the same answer; far older ones can no longer be resent (the device forgot them on the ack).
constexpr std::uint64_t kRejectionMemory = 100000;

Errc errc_from(const std::string& name) {
  for (int i = 0; i <= static_cast<int>(Errc::internal); ++i) {
    if (errc_name(static_cast<Errc>(i)) == name) return static_cast<Errc>(i);
  }
  return Errc::internal;
}

}  // namespace

Expected<HubStore> HubStore::open(const std::filesystem::path& path, const std::string& municipality) {
  if (!p::valid_municipality(municipality)) return make_error(Errc::invalid_argument, "bad municipality code");
  auto db = sqlite::Db::open(path, {.durability = sqlite::Durability::full});
  if (!db) return db.error();
  HubStore store(std::move(*db), municipality);
  if (auto s = store.init_schema(); !s) return s.error();
  return store;
}

Status HubStore::init_schema() {
  auto report = sqlite::migrate(db_, hub_schema());
  if (!report) return report.error();
  migration_ = *report;
  auto tx = sqlite::Tx::begin(db_);
  if (!tx) return tx.error();
  auto st = db_.cached("SELECT v FROM meta WHERE k = 'municipality'");
  if (!st) return st.error();
  auto row = (*st)->step();
  if (!row) return row.error();
  const std::optional<std::string> muni = *row ? std::optional<std::string>((*st)->column_text(0)) : std::nullopt;
  (*st)->reset();
  if (!muni) {
    auto ins = db_.cached("INSERT INTO meta(k, v) VALUES('municipality', ?1), ('feed_head', '0')");
    if (!ins) return ins.error();
    if (auto s = (*ins)->bind(1, municipality_).run(); !s) return s;
  } else if (*muni != municipality_) {
    return Error{Errc::invalid_argument, "database belongs to municipality " + *muni + ", not " + municipality_};
  }
  if (migration_.from != 0 && migration_.from < 3) {
    // Upgraded to the card index: every card stored so far, in this one transaction.
    auto cards = db_.prepare("SELECT key, body, deleted FROM records WHERE entity = 'card' AND deleted = 0");
    if (!cards) return cards.error();
    while (true) {
      auto card = cards->step();
      if (!card) return card.error();
      if (!*card) break;
      p::Record r;
      r.entity = "card";
      r.key = cards->column_text(0);
      r.body = cards->column_text(1);
      if (auto s = update_card_index(r); !s) return s;
    }
  }
  return tx->commit();
}

Expected<std::uint64_t> HubStore::next_feed_seq() {
  auto st = db_.cached("UPDATE meta SET v = CAST(v AS INTEGER) + 1 WHERE k = 'feed_head' RETURNING CAST(v AS INTEGER)");
  if (!st) return st.error();
  auto row = (*st)->step();
  if (!row) return row.error();
  if (!*row) return make_error(Errc::internal, "feed_head missing");
  std::uint64_t seq = (*st)->column_u64(0);
  (*st)->reset();
  return seq;
}

Expected<p::Record> HubStore::apply_one(const std::string& origin, std::uint64_t origin_seq, const std::string& entity,
                                        const std::string& key, p::OpKind kind, const std::string& body,
                                        std::uint64_t base_version, std::int64_t now_ms, bool* no_change) {
  *no_change = false;
  auto cur = get(entity, key);
  if (!cur) return cur.error();
  const auto& current = *cur;
  bool absent = !current || current->deleted;
  if (policy_) {
    std::optional<p::Record> live;
    if (current && !current->deleted) live = *current;
    if (auto s = policy_(origin, entity, key, kind == p::OpKind::remove, body, live); !s) return s.error();
  }
  if (kind == p::OpKind::remove && absent) {
    // Removing what is already gone has the outcome the sender wanted, whoever removed it.
    *no_change = true;
    return current ? *current : p::Record{entity, key, "", true, 0, origin, origin_seq};
  }
  // The conflict rule (docs/protocol.md, EDGE-5): first at the hub wins. A change is applied if
  // it was based on the hub's current version, or if the record's last change came from the
  // same origin (whose stream is ordered, so it had seen that change), or if it creates a record
  // that does not exist. Anything else was based on a stale state and is refused.
  bool ok = (current && current->version == base_version) || (current && origin != "hub" && current->origin_device == origin) ||
            (absent && base_version == 0);
  if (!ok) {
    return Error{Errc::conflict, "record " + entity + "/" + key + " changed at the hub (version " +
                                     std::to_string(current ? current->version : 0) + ", this change was based on " +
                                     std::to_string(base_version) + ")"};
  }
  if (constraint_) {
    std::optional<p::Record> live;
    if (current && !current->deleted) live = *current;
    ConstraintInput in{origin, entity, key, kind == p::OpKind::remove, kind == p::OpKind::upsert ? std::string_view(body) : "",
                       live, now_ms};
    TxReader reader(*this);
    if (auto s = constraint_(in, reader); !s) return s.error();
  }
  auto seq = next_feed_seq();
  if (!seq) return seq.error();
  p::Record r{entity, key, kind == p::OpKind::upsert ? body : std::string(), kind == p::OpKind::remove, *seq, origin, origin_seq};
  auto up = db_.cached(
      "INSERT INTO records(entity, key, body, deleted, version, origin_device, origin_seq, updated_ms) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(entity, key) DO UPDATE SET body = excluded.body, "
      "deleted = excluded.deleted, version = excluded.version, origin_device = excluded.origin_device, "
      "origin_seq = excluded.origin_seq, updated_ms = excluded.updated_ms");
  if (!up) return up.error();
  if (auto s = (*up)->bind(1, entity).bind(2, key).bind(3, r.body).bind(4, r.deleted).bind(5, r.version)
                   .bind(6, origin).bind(7, origin_seq).bind(8, now_ms).run();
      !s) {
    return s.error();
  }
  if (auto s = update_card_index(r); !s) return s.error();
  if (!keep_feed_) {  // versions still come from feed_head: they stay unique and increasing
    if (auto s = update_load(r); !s) return s.error();
    return r;
  }
  auto fe = db_.cached(
      "INSERT INTO feed(seq, entity, key, body, deleted, origin_device, origin_seq, at_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!fe) return fe.error();
  if (auto s = (*fe)->bind(1, r.version).bind(2, entity).bind(3, key).bind(4, r.body).bind(5, r.deleted)
                   .bind(6, origin).bind(7, origin_seq).bind(8, now_ms).run();
      !s) {
    return s.error();
  }
  if (auto s = update_load(r); !s) return s.error();
  return r;
}

Status HubStore::update_card_index(const p::Record& stored) {
  if (stored.entity != "card") return {};
  if (stored.deleted) return console::card_index::put(db_, stored.key, std::nullopt);
  return console::card_index::put(db_, stored.key, domain::card_search_fields(stored.body));
}

Expected<std::uint64_t> HubStore::card_index_count() {
  auto st = db_.cached("SELECT count(*) FROM card_index");
  if (!st) return st.error();
  auto row = (*st)->step();
  if (!row) return row.error();
  const std::uint64_t n = *row ? (*st)->column_u64(0) : 0;
  (*st)->reset();
  return n;
}

Status HubStore::update_load(const p::Record& stored) {
  if (!count_.places_of || stored.entity != count_.entity) return {};
  std::optional<SlotPlaces> load;
  if (!stored.deleted) load = count_.places_of(stored.body);
  if (!load || load->places <= 0) {
    auto del = db_.cached("DELETE FROM booking_load WHERE key = ?1");
    if (!del) return del.error();
    return (*del)->bind(1, stored.key).run();
  }
  auto up = db_.cached(
      "INSERT INTO booking_load(key, slot, places) VALUES(?1, ?2, ?3) "
      "ON CONFLICT(key) DO UPDATE SET slot = excluded.slot, places = excluded.places");
  if (!up) return up.error();
  return (*up)->bind(1, stored.key).bind(2, load->slot).bind(3, load->places).run();
}

Expected<std::int64_t> HubStore::booked_places(const std::string& slot_key, const std::string& excluding_key) {
  auto st = db_.cached("SELECT coalesce(sum(places), 0) FROM booking_load WHERE slot = ?1 AND key <> ?2");
  if (!st) return st.error();
  (*st)->bind(1, slot_key).bind(2, excluding_key);
  auto row = (*st)->step();
  if (!row) return row.error();
  std::int64_t v = *row ? (*st)->column_int(0) : 0;
  (*st)->reset();
  return v;
}

Expected<std::optional<p::Record>> TxReader::get(const std::string& entity, const std::string& key) {
  return store_.get(entity, key);
}

Expected<std::int64_t> TxReader::booked_places(const std::string& slot_key, const std::string& excluding_key) {
  return store_.booked_places(slot_key, excluding_key);
}

Expected<std::vector<p::Record>> TxReader::records(const std::string& entity, std::size_t max) {
  // (entity, "") sorts before every key of the entity (keys are never empty).
  auto page = store_.records_after(entity, "", max);
  if (!page) return page.error();
  std::erase_if(*page, [&](const p::Record& r) { return r.entity != entity; });
  return page;
}

Status HubStore::set_constraint(Constraint constraint, PlaceCount count) {
  constraint_ = std::move(constraint);
  count_ = std::move(count);
  // Rebuilt whole: the table is derived, and records written while no count was installed (or by
  // an older build) must count too. Bookings are few next to cards (a year's worth is far below
  // a second of work).
  auto tx = sqlite::Tx::begin(db_);
  if (!tx) return tx.error();
  if (auto s = db_.exec("DELETE FROM booking_load"); !s) return s;
  if (count_.places_of) {
    auto st = db_.prepare(
        "SELECT entity, key, body, deleted, version, origin_device, origin_seq FROM records WHERE entity = +?1 AND deleted = 0");
    if (!st) return st.error();
    st->bind(1, count_.entity);
    while (true) {
      auto row = st->step();
      if (!row) return row.error();
      if (!*row) break;
      p::Record r;
      r.entity = st->column_text(0);
      r.key = st->column_text(1);
      r.body = st->column_text(2);
      if (auto s = update_load(r); !s) return s;
    }
  }
  return tx->commit();
}

Expected<BatchOutcome> HubStore::apply_batch(const p::OpBatch& batch, std::int64_t now_ms) {
  if (batch.municipality != municipality_) return make_error(Errc::forbidden, "batch for another municipality");
  auto tx = sqlite::Tx::begin(db_);
  if (!tx) return tx.error();
  auto last = device_last_seq(batch.device);
  if (!last) return last.error();
  BatchOutcome out;
  out.settled_before = *last;
  out.last_seq = *last;
  if (batch.ops.empty()) return out;
  if (batch.ops.front().seq > out.last_seq + 1) {
    out.gap = true;
    return out;  // rolled back: nothing applied
  }
  for (const auto& op : batch.ops) {
    if (op.seq <= out.last_seq) {
      ++out.duplicates;
      continue;
    }
    bool no_change = false;
    auto r = apply_one(batch.device, op.seq, op.entity, op.key, op.kind, op.body, op.base_version, now_ms, &no_change);
    if (!r) {
      if (r.error().code == Errc::db) return r.error();
      auto ins = db_.cached("INSERT OR REPLACE INTO rejections(device, seq, code, reason, at_ms) VALUES(?1, ?2, ?3, ?4, ?5)");
      if (!ins) return ins.error();
      if (auto s = (*ins)->bind(1, batch.device).bind(2, op.seq).bind(3, errc_name(r.error().code))
                       .bind(4, r.error().message).bind(5, now_ms).run();
          !s) {
        return s.error();
      }
      ++out.newly_rejected;
    } else {
      ++out.applied;
    }
    out.last_seq = op.seq;
  }
  auto dev = db_.cached(
      "INSERT INTO devices(device, last_seq) VALUES(?1, ?2) ON CONFLICT(device) DO UPDATE SET last_seq = excluded.last_seq");
  if (!dev) return dev.error();
  if (auto s = (*dev)->bind(1, batch.device).bind(2, out.last_seq).run(); !s) return s.error();
  if (out.last_seq > kRejectionMemory) {
    auto prune = db_.cached("DELETE FROM rejections WHERE device = ?1 AND seq <= ?2");
    if (!prune) return prune.error();
    if (auto s = (*prune)->bind(1, batch.device).bind(2, out.last_seq - kRejectionMemory).run(); !s) return s.error();
  }
  // Every rejection in the batch's range, new or from an earlier delivery of the same batch, so
  // a device whose acknowledgement was lost still learns what was refused.
  auto rej = db_.cached("SELECT seq, code, reason FROM rejections WHERE device = ?1 AND seq BETWEEN ?2 AND ?3 ORDER BY seq");
  if (!rej) return rej.error();
  (*rej)->bind(1, batch.device).bind(2, batch.ops.front().seq).bind(3, batch.ops.back().seq);
  std::vector<std::tuple<std::uint64_t, std::string, std::string>> rows;
  while (true) {
    auto row = (*rej)->step();
    if (!row) return row.error();
    if (!*row) break;
    rows.emplace_back((*rej)->column_u64(0), (*rej)->column_text(1), (*rej)->column_text(2));
  }
  (*rej)->reset();
  // The current records ride along while the ack stays small; past that the device learns them
  // from the feed instead (the change that won is in it).
  std::size_t current_bytes = 0;
  for (auto& [seq, code, reason] : rows) {
    p::Rejection r{seq, errc_from(code), std::move(reason), std::nullopt};
    const p::Op& op = batch.ops[static_cast<std::size_t>(seq - batch.ops.front().seq)];
    auto cur = get(op.entity, op.key);
    if (!cur) return cur.error();
    if (*cur && current_bytes + (*cur)->body.size() < 192 * 1024) {
      current_bytes += (*cur)->body.size() + 128;
      r.current = *cur;
    }
    out.rejected.push_back(std::move(r));
  }
  if (auto s = tx->commit(); !s) return s.error();
  return out;
}

Expected<p::Record> HubStore::write_local(const std::string& entity, const std::string& key, p::OpKind kind,
                                          const std::string& body_json, std::uint64_t base_version, std::int64_t now_ms) {
  if (!p::valid_entity(entity) || !p::valid_key(key)) return make_error(Errc::invalid_argument, "bad entity or key");
  std::string body;
  if (kind == p::OpKind::upsert) {
    auto c = p::canonical_body(body_json);
    if (!c) return c.error();
    body = std::move(*c);
  }
  auto tx = sqlite::Tx::begin(db_);
  if (!tx) return tx.error();
  bool no_change = false;
  auto r = apply_one(std::string(p::kHubIdentity), 0, entity, key, kind, body, base_version, now_ms, &no_change);
  if (!r) return r.error();
  if (no_change) return make_error(Errc::not_found, "no record " + entity + "/" + key);
  if (auto s = tx->commit(); !s) return s.error();
  return r;
}

Expected<std::vector<p::Record>> HubStore::write_local_batch(const std::vector<LocalWrite>& writes, std::int64_t now_ms) {
  if (writes.size() > kMaxLocalBatch) {
    return make_error(Errc::too_large, std::to_string(writes.size()) + " writes in one batch (at most " +
                                           std::to_string(kMaxLocalBatch) + ")");
  }
  auto refused = [](std::size_t i, const LocalWrite& w, const Error& e) {
    return Error{e.code, "write " + std::to_string(i) + " (" + w.entity + "/" + w.key + "): " + e.message};
  };
  // Checked before the transaction: bad input never holds the write lock.
  std::vector<std::string> bodies(writes.size());
  for (std::size_t i = 0; i < writes.size(); ++i) {
    const auto& w = writes[i];
    if (!p::valid_entity(w.entity) || !p::valid_key(w.key)) {
      return refused(i, w, Error{Errc::invalid_argument, "bad entity or key"});
    }
    if (w.kind == p::OpKind::upsert) {
      auto c = p::canonical_body(w.body_json);
      if (!c) return refused(i, w, c.error());
      bodies[i] = std::move(*c);
    }
  }
  auto tx = sqlite::Tx::begin(db_);
  if (!tx) return tx.error();
  std::vector<p::Record> out;
  out.reserve(writes.size());
  for (std::size_t i = 0; i < writes.size(); ++i) {
    const auto& w = writes[i];
    auto cur = get(w.entity, w.key);
    if (!cur) return cur.error();
    const std::uint64_t base = w.base_version ? *w.base_version : (*cur ? (*cur)->version : 0);
    bool no_change = false;
    auto r = apply_one(std::string(p::kHubIdentity), 0, w.entity, w.key, w.kind, bodies[i], base, now_ms, &no_change);
    if (!r) return r.error().code == Errc::db ? r.error() : refused(i, w, r.error());
    if (!no_change) out.push_back(std::move(*r));
  }
  if (auto s = tx->commit(); !s) return s.error();
  return out;
}

Expected<FeedBounds> HubStore::feed_bounds() {
  auto st = db_.cached("SELECT (SELECT min(seq) FROM feed), (SELECT CAST(v AS INTEGER) FROM meta WHERE k = 'feed_head')");
  if (!st) return st.error();
  auto row = (*st)->step();
  if (!row) return row.error();
  FeedBounds b;
  b.head = (*st)->column_u64(1);
  b.min = (*st)->column_is_null(0) ? b.head + 1 : (*st)->column_u64(0);
  (*st)->reset();
  return b;
}

namespace {
p::Record read_record(sqlite::Stmt& st) {
  p::Record r;
  r.entity = st.column_text(0);
  r.key = st.column_text(1);
  r.body = st.column_text(2);
  r.deleted = st.column_int(3) != 0;
  r.version = st.column_u64(4);
  r.origin_device = st.column_text(5);
  r.origin_seq = st.column_u64(6);
  return r;
}

Expected<std::vector<p::Record>> collect(sqlite::Stmt& st) {
  std::vector<p::Record> out;
  while (true) {
    auto row = st.step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back(read_record(st));
  }
  st.reset();
  return out;
}
}  // namespace

Expected<std::vector<p::Record>> HubStore::feed_after(std::uint64_t after, std::size_t max) {
  auto st = db_.cached(
      "SELECT entity, key, body, deleted, seq, origin_device, origin_seq FROM feed WHERE seq > ?1 ORDER BY seq LIMIT ?2");
  if (!st) return st.error();
  (*st)->bind(1, after).bind(2, static_cast<std::int64_t>(max));
  return collect(**st);
}

Expected<std::vector<p::Record>> HubStore::records_after(const std::string& entity, const std::string& key, std::size_t max) {
  auto st = db_.cached(
      "SELECT entity, key, body, deleted, version, origin_device, origin_seq FROM records "
      "WHERE deleted = 0 AND (entity, key) > (?1, ?2) ORDER BY entity, key LIMIT ?3");
  if (!st) return st.error();
  (*st)->bind(1, entity).bind(2, key).bind(3, static_cast<std::int64_t>(max));
  return collect(**st);
}

Expected<CardSearchPage> HubStore::search_cards(const console::card_index::Filter& filter, std::size_t offset, std::size_t limit) {
  CardSearchPage page;
  auto total = console::card_index::count(db_, filter);
  if (!total) return total.error();
  page.total = *total;
  // The page is picked from card_index alone and only its rows are joined to records; CROSS JOIN
  // keeps card_index the outer loop (the counter's plan, edge card_index.cc).
  const auto w = console::card_index::where_of(filter);
  auto st = db_.prepare("SELECT 'card', c.key, r.body, r.deleted, r.version, r.origin_device, r.origin_seq FROM (" +
                        console::card_index::page_sql(filter, w) +
                        ") c CROSS JOIN records r ON r.entity = 'card' AND r.key = c.key" + console::card_index::outer_order_by(filter));
  if (!st) return st.error();
  w.bind(*st);
  const int n = static_cast<int>(w.params.size());
  st->bind(n + 1, static_cast<std::int64_t>(std::min<std::size_t>(limit, 1000))).bind(n + 2, static_cast<std::int64_t>(offset));
  auto rows = collect(*st);
  if (!rows) return rows.error();
  page.rows = std::move(*rows);
  return page;
}

Status HubStore::for_each_card(const console::card_index::Filter& filter, const std::function<bool(const p::Record&)>& each) {
  const auto w = console::card_index::where_of(filter);
  auto st = db_.prepare(
      "SELECT 'card', c.key, r.body, r.deleted, r.version, r.origin_device, r.origin_seq FROM card_index c "
      "CROSS JOIN records r ON r.entity = 'card' AND r.key = c.key" + w.sql + console::card_index::order_by(filter));
  if (!st) return st.error();
  w.bind(*st);
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) return {};
    if (!each(read_record(*st))) return {};
  }
}

Expected<bool> HubStore::card_taken(const std::string& manufacture_no, const std::string& application_id) {
  // "application_id <> ''" on the column so that SQLite may use the partial index (edge card_index.cc).
  auto st = db_.cached(
      "SELECT 1 FROM records WHERE entity = +'card' AND key = ?1 AND deleted = 0 UNION ALL "
      "SELECT 1 FROM card_index WHERE application_id <> '' AND application_id = ?2 AND key <> ?1 LIMIT 1");
  if (!st) return st.error();
  (*st)->bind(1, manufacture_no).bind(2, application_id);
  auto row = (*st)->step();
  (*st)->reset();
  if (!row) return row.error();
  return *row;
}

Expected<std::optional<p::Record>> HubStore::get(const std::string& entity, const std::string& key) {
  auto st = db_.cached(
      "SELECT entity, key, body, deleted, version, origin_device, origin_seq FROM records WHERE entity = +?1 AND key = ?2");
  if (!st) return st.error();
  (*st)->bind(1, entity).bind(2, key);
  auto rows = collect(**st);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<p::Record>{};
  return std::optional<p::Record>{std::move(rows->front())};
}

Expected<std::vector<p::Record>> HubStore::records_between(const std::string& entity, const std::string& from_key,
                                                            const std::string& to_key, std::size_t max) {
  auto st = to_key.empty()
                ? db_.cached("SELECT entity, key, body, deleted, version, origin_device, origin_seq FROM records "
                             "WHERE entity = +?1 AND key > ?2 AND deleted = 0 ORDER BY key LIMIT ?3")
                : db_.cached("SELECT entity, key, body, deleted, version, origin_device, origin_seq FROM records "
                             "WHERE entity = +?1 AND key > ?2 AND key < ?4 AND deleted = 0 ORDER BY key LIMIT ?3");
  if (!st) return st.error();
  (*st)->bind(1, entity).bind(2, from_key).bind(3, static_cast<std::int64_t>(max));
  if (!to_key.empty()) (*st)->bind(4, to_key);
  return collect(**st);
}

Expected<std::vector<HubStore::RecordPlaces>> HubStore::records_between_with_places(const std::string& entity,
                                                                                   const std::string& from_key,
                                                                                   const std::string& to_key,
                                                                                   std::size_t max) {
  // The sum per record through booking_load_by_slot (slot, places): an index-only lookup each,
  // inside the one statement.
  // Two statements rather than "(?4 = '' OR key < ?4)", which would not bound the index range.
  auto st = to_key.empty()
                ? db_.cached("SELECT entity, key, body, deleted, version, origin_device, origin_seq, "
                             "(SELECT coalesce(sum(places), 0) FROM booking_load WHERE slot = records.key) FROM records "
                             "WHERE entity = +?1 AND key > ?2 AND deleted = 0 ORDER BY key LIMIT ?3")
                : db_.cached("SELECT entity, key, body, deleted, version, origin_device, origin_seq, "
                             "(SELECT coalesce(sum(places), 0) FROM booking_load WHERE slot = records.key) FROM records "
                             "WHERE entity = +?1 AND key > ?2 AND key < ?4 AND deleted = 0 ORDER BY key LIMIT ?3");
  if (!st) return st.error();
  (*st)->bind(1, entity).bind(2, from_key).bind(3, static_cast<std::int64_t>(max));
  if (!to_key.empty()) (*st)->bind(4, to_key);
  std::vector<RecordPlaces> out;
  while (true) {
    auto row = (*st)->step();
    if (!row) {
      (*st)->reset();
      return row.error();
    }
    if (!*row) break;
    out.push_back(RecordPlaces{read_record(**st), (*st)->column_int(7)});
  }
  (*st)->reset();
  return out;
}

HubStore::ReadScope::~ReadScope() {
  if (db_) (void)db_->exec("COMMIT");
}

Expected<HubStore::DataVersion> HubStore::data_version() {
  auto st = db_.cached("PRAGMA data_version");
  if (!st) return st.error();
  auto row = (*st)->step();
  if (!row) return row.error();
  DataVersion v;
  v.others = *row ? (*st)->column_int(0) : 0;
  (*st)->reset();
  v.own = sqlite3_total_changes64(db_.handle());
  return v;
}

Expected<HubStore::ReadScope> HubStore::read_scope() {
  if (!sqlite3_get_autocommit(db_.handle())) return ReadScope(nullptr);  // already in a transaction
  if (auto s = db_.exec("BEGIN DEFERRED"); !s) return s.error();
  return ReadScope(&db_);
}

Expected<std::optional<p::Record>> HubStore::last_with_prefix(const std::string& entity, const std::string& prefix) {
  // Keys with the prefix are those in [prefix, prefix + U+10FFFF-ish): compared as bytes, every
  // key starting with `prefix` is >= prefix and < prefix + "\xff".
  auto st = db_.cached(
      "SELECT entity, key, body, deleted, version, origin_device, origin_seq FROM records "
      "WHERE deleted = 0 AND entity = +?1 AND key >= ?2 AND key < ?3 ORDER BY key DESC LIMIT 1");
  if (!st) return st.error();
  (*st)->bind(1, entity).bind(2, prefix).bind(3, prefix + "\xff");
  auto rows = collect(**st);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<p::Record>{};
  return std::optional<p::Record>{std::move(rows->front())};
}

Expected<std::vector<p::Record>> HubStore::oplog_records(const std::string& staff_id, const std::string& device,
                                                         const std::string& action, std::int64_t from_ms,
                                                         std::int64_t to_ms, std::size_t offset, std::size_t max) {
  // CASE guards json_extract: SQLite does not promise to evaluate AND's operands in order, and
  // json_extract of a body that is not JSON is an error for the whole query.
  auto st = db_.cached(
      "SELECT entity, key, body, deleted, version, origin_device, origin_seq FROM ("
      " SELECT *, CASE WHEN json_valid(body) THEN json_extract(body, '$.at_ms') END AS j_at,"
      "  CASE WHEN json_valid(body) THEN json_extract(body, '$.staff_id') END AS j_staff,"
      "  CASE WHEN json_valid(body) THEN json_extract(body, '$.action') END AS j_action"
      " FROM records WHERE entity = 'oplog' AND deleted = 0"
      "  AND (?2 = '' OR (key >= ?2 || ':' AND key < ?2 || ';'))) "
      "WHERE j_at IS NOT NULL AND (?1 = '' OR j_staff = ?1) AND (?3 = '' OR j_action = ?3)"
      " AND j_at >= ?4 AND j_at < ?5 "
      "ORDER BY j_at DESC, key DESC LIMIT ?6 OFFSET ?7");
  if (!st) return st.error();
  (*st)->bind(1, staff_id).bind(2, device).bind(3, action).bind(4, from_ms).bind(5, to_ms)
      .bind(6, static_cast<std::int64_t>(max)).bind(7, static_cast<std::int64_t>(offset));
  return collect(**st);
}

Expected<std::vector<std::string>> HubStore::load_keys_between_days(const std::string& from_day, const std::string& to_day,
                                                                   std::size_t max) {
  auto st = db_.cached(
      "SELECT key FROM booking_load WHERE substr(slot, instr(slot, ':') + 1, 10) BETWEEN ?1 AND ?2 "
      "ORDER BY slot, key LIMIT ?3");
  if (!st) return st.error();
  (*st)->bind(1, from_day).bind(2, to_day).bind(3, static_cast<std::int64_t>(max));
  std::vector<std::string> out;
  while (true) {
    auto row = (*st)->step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back((*st)->column_text(0));
  }
  (*st)->reset();
  return out;
}

Expected<std::vector<std::string>> HubStore::oplog_devices(std::size_t max) {
  auto st = db_.cached(
      "SELECT DISTINCT substr(key, 1, instr(key, ':') - 1) AS d FROM records "
      "WHERE entity = 'oplog' AND deleted = 0 AND instr(key, ':') > 1 ORDER BY d LIMIT ?1");
  if (!st) return st.error();
  (*st)->bind(1, static_cast<std::int64_t>(max));
  std::vector<std::string> out;
  while (true) {
    auto row = (*st)->step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back((*st)->column_text(0));
  }
  (*st)->reset();
  return out;
}

Expected<std::vector<p::Record>> HubStore::cards_by_postcard(const std::string& postcard_no, std::size_t max) {
  // The expression must be the index's expression exactly for the planner to use the index.
  auto st = db_.cached(
      "SELECT entity, key, body, deleted, version, origin_device, origin_seq FROM records "
      "WHERE entity = 'card' AND deleted = 0 "
      "AND (CASE WHEN json_valid(body) THEN json_extract(body, '$.postcard_no') END) = ?1 ORDER BY key LIMIT ?2");
  if (!st) return st.error();
  (*st)->bind(1, postcard_no).bind(2, static_cast<std::int64_t>(max));
  return collect(**st);
}

// Live records of `entity` whose body's JSON `path` is `value`, through schema 2's partial
// indexes: the statement's expression must be the index's exactly for the planner to use it.
Expected<std::vector<p::Record>> HubStore::records_by_field(std::string_view entity, std::string_view path, const std::string& value,
                                                            std::size_t max) {
  auto st = db_.cached(std::string("SELECT entity, key, body, deleted, version, origin_device, origin_seq FROM records WHERE entity = '") +
                       std::string(entity) + "' AND deleted = 0 AND (CASE WHEN json_valid(body) THEN json_extract(body, '" + std::string(path) +
                       "') END) = ?1 ORDER BY key LIMIT ?2");
  if (!st) return st.error();
  (*st)->bind(1, value).bind(2, static_cast<std::int64_t>(max));
  return collect(**st);
}

Expected<std::vector<p::Record>> HubStore::residents_by_jpki_serial(const std::string& serial, std::size_t max) {
  return records_by_field("resident", "$.fields.\"利用者証明用電子証明書シリアル番号\"", serial, max);
}

Expected<std::vector<p::Record>> HubStore::residents_by_household(const std::string& household, std::size_t max) {
  return records_by_field("resident", "$.fields.\"世帯番号\"", household, max);
}

Expected<std::vector<p::Record>> HubStore::seals_by_person(const std::string& person, std::size_t max) {
  return records_by_field("seal", "$.person", person, max);
}

Expected<std::int64_t> HubStore::next_sequence(const std::string& name) {
  auto tx = sqlite::Tx::begin(db_);
  if (!tx) return tx.error();
  auto st = db_.cached(
      "INSERT INTO sequences(name, value) VALUES(?1, 1) ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value");
  if (!st) return st.error();
  (*st)->bind(1, name);
  auto row = (*st)->step();
  if (!row) return row.error();
  if (!*row) return make_error(Errc::internal, "sequence " + name + " not returned");
  std::int64_t v = (*st)->column_int(0);
  (*st)->reset();
  if (auto s = tx->commit(); !s) return s.error();
  return v;
}

Status HubStore::raise_device_seq(const std::string& device, std::uint64_t seq) {
  auto st = db_.cached(
      "INSERT INTO devices(device, last_seq) VALUES(?1, ?2) "
      "ON CONFLICT(device) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq)");
  if (!st) return st.error();
  return (*st)->bind(1, device).bind(2, seq).run();
}

Expected<std::uint64_t> HubStore::device_last_seq(const std::string& device) {
  auto st = db_.cached("SELECT last_seq FROM devices WHERE device = ?1");
  if (!st) return st.error();
  (*st)->bind(1, device);
  auto row = (*st)->step();
  if (!row) return row.error();
  std::uint64_t v = *row ? (*st)->column_u64(0) : 0;
  (*st)->reset();
  return v;
}

Expected<std::vector<p::Record>> HubStore::records_before(const std::string& entity, const std::string& before_key,
                                                           std::size_t max) {
  auto st = before_key.empty()
                ? db_.cached("SELECT entity, key, body, deleted, version, origin_device, origin_seq FROM records "
                             "WHERE entity = +?1 AND deleted = 0 ORDER BY key DESC LIMIT ?2")
                : db_.cached("SELECT entity, key, body, deleted, version, origin_device, origin_seq FROM records "
                             "WHERE entity = +?1 AND key < ?3 AND deleted = 0 ORDER BY key DESC LIMIT ?2");
  if (!st) return st.error();
  (*st)->bind(1, entity).bind(2, static_cast<std::int64_t>(max));
  if (!before_key.empty()) (*st)->bind(3, before_key);
  return collect(**st);
}

Expected<std::vector<p::Record>> HubStore::records_matching(const std::string& entity, const std::string& glob, std::size_t max) {
  auto st = db_.cached("SELECT entity, key, body, deleted, version, origin_device, origin_seq FROM records "
                       "WHERE entity = +?1 AND deleted = 0 AND body GLOB ?2 ORDER BY key LIMIT ?3");
  if (!st) return st.error();
  (*st)->bind(1, entity).bind(2, glob).bind(3, static_cast<std::int64_t>(max));
  return collect(**st);
}

Expected<std::uint64_t> HubStore::record_count(const std::string& entity) {
  auto st = db_.cached("SELECT count(*) FROM records WHERE entity = +?1 AND deleted = 0");
  if (!st) return st.error();
  (*st)->bind(1, entity);
  auto row = (*st)->step();
  if (!row) return row.error();
  std::uint64_t v = (*st)->column_u64(0);
  (*st)->reset();
  return v;
}

Expected<std::uint64_t> HubStore::record_count() {
  auto st = db_.cached("SELECT count(*) FROM records WHERE deleted = 0");
  if (!st) return st.error();
  auto row = (*st)->step();
  if (!row) return row.error();
  std::uint64_t v = (*st)->column_u64(0);
  (*st)->reset();
  return v;
}

Status HubStore::trim_feed(std::uint64_t keep) {
  auto b = feed_bounds();
  if (!b) return b.error();
  if (b->head <= keep || b->min > b->head - keep) return {};
  auto tx = sqlite::Tx::begin(db_);
  if (!tx) return tx.error();
  auto st = db_.cached("DELETE FROM feed WHERE seq <= ?1");
  if (!st) return st.error();
  if (auto s = (*st)->bind(1, b->head - keep).run(); !s) return s;
  return tx->commit();
}

}  // namespace madoguchi::hub
