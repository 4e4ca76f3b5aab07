#include "madoguchi/edge/edge_store.h"

#include <charconv>

#include "edge_schema.h"
#include "madoguchi/edge/booking_tables.h"
#include "madoguchi/edge/card_index.h"
#include "madoguchi/protocol/topics.h"

namespace madoguchi::edge {

using protocol::OpKind;
using sqlite::Stmt;

namespace {


Expected<std::optional<std::string>> read_meta(sqlite::Db& db, const char* key) {
  auto st = db.cached("SELECT v FROM meta WHERE k = ?1");
  if (!st) return st.error();
  (*st)->bind(1, key);
  auto row = (*st)->step();
  if (!row) return row.error();
  std::optional<std::string> out;
  if (*row) out = (*st)->column_text(0);
  (*st)->reset();
  return out;
}

// Rows of "SELECT entity, key, body, version, pending FROM records ...".
Expected<std::vector<ViewRecord>> read_view_rows(Stmt& st) {
  std::vector<ViewRecord> out;
  while (true) {
    auto row = st.step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back(ViewRecord{st.column_text(0), st.column_text(1), st.column_text(2), st.column_u64(3), st.column_int(4) != 0});
  }
  st.reset();
  return out;
}

// A counter of the meta table: present since schema version 2 and always a decimal number. A
// missing or unreadable one is corruption, never 0 (0 would resend or refetch everything).
Expected<std::uint64_t> counter_value(const std::optional<std::string>& v, const char* key) {
  if (!v) return Error{Errc::db, std::string("edge database: counter ") + key + " is missing"};
  std::uint64_t out = 0;
  const char* end = v->data() + v->size();
  auto [ptr, ec] = std::from_chars(v->data(), end, out);
  if (v->empty() || ec != std::errc() || ptr != end) {
    return Error{Errc::db, std::string("edge database: counter ") + key + " is not a number"};
  }
  return out;
}

}  // namespace

Expected<EdgeStore> EdgeStore::open(const std::filesystem::path& path, const std::string& municipality,
                                    const std::string& device) {
  if (auto s = protocol::validate_identity(municipality, device); !s) return s.error();
  auto db = sqlite::Db::open(path, {.durability = sqlite::Durability::full});
  if (!db) return db.error();
  EdgeStore store(std::move(*db));
  if (auto s = store.init_schema(); !s) return s.error();
  if (auto s = store.load_identity(municipality, device); !s) return s.error();
  return store;
}

Status EdgeStore::init_schema() {
  auto report = sqlite::migrate(db_, edge_schema());
  if (!report) return report.error();
  migration_ = *report;
  return {};
}

Status EdgeStore::load_identity(const std::string& municipality, const std::string& device) {
  auto tx = sqlite::Tx::begin(db_);
  if (!tx) return tx.error();
  auto m = read_meta(db_, "municipality");
  if (!m) return m.error();
  auto d = read_meta(db_, "device");
  if (!d) return d.error();
  if (!*m) {
    auto st = db_.cached("INSERT INTO meta(k, v) VALUES('municipality', ?1), ('device', ?2)");
    if (!st) return st.error();
    if (auto s = (*st)->bind(1, municipality).bind(2, device).run(); !s) return s;
  } else if (**m != municipality || !*d || **d != device) {
    return Error{Errc::invalid_argument, "database belongs to " + **m + "." + (*d ? **d : "?") +
                                             ", not " + municipality + "." + device};
  }
  municipality_ = municipality;
  device_ = device;
  if (auto s = reload_counters(); !s) return s;
  return tx->commit();
}

Status EdgeStore::resequence_after(std::uint64_t hub_last) {
  if (hub_last <= last_seq_) return {};
  auto tx = sqlite::Tx::begin(db_);
  if (!tx) return tx.error();
  if (auto s = reload_counters(); !s) return s;
  if (hub_last <= last_seq_) return {};
  std::uint64_t delta = hub_last - acked_upto_;
  // Two steps through negative numbers so no intermediate row collides with another's key.
  auto neg = db_.cached("UPDATE outbox SET seq = -(seq + ?1)");
  if (!neg) return neg.error();
  if (auto s = (*neg)->bind(1, delta).run(); !s) return s;
  auto pos = db_.cached("UPDATE outbox SET seq = -seq, op_id = ?1 || ':' || CAST(-seq AS TEXT)");
  if (!pos) return pos.error();
  if (auto s = (*pos)->bind(1, protocol::device_identity(municipality_, device_)).run(); !s) return s;
  if (auto s = set_meta("last_seq", last_seq_ + delta); !s) return s;
  if (auto s = set_meta("acked_upto", hub_last); !s) return s;
  if (auto s = tx->commit(); !s) return s;
  return reload_counters();
}

Expected<bool> EdgeStore::refresh_if_changed() {
  auto st = db_.cached("PRAGMA data_version");
  if (!st) return st.error();
  auto row = (*st)->step();
  if (!row) return row.error();
  std::int64_t v = (*st)->column_int(0);
  (*st)->reset();
  if (v == data_version_) return false;
  data_version_ = v;
  if (auto s = reload_counters(); !s) return s.error();
  return true;
}

Status EdgeStore::reload_counters() {
  auto ls = read_meta(db_, "last_seq");
  if (!ls) return ls.error();
  auto au = read_meta(db_, "acked_upto");
  if (!au) return au.error();
  auto fs = read_meta(db_, "feed_seq");
  if (!fs) return fs.error();
  auto last = counter_value(*ls, "last_seq");
  if (!last) return last.error();
  auto acked = counter_value(*au, "acked_upto");
  if (!acked) return acked.error();
  auto feed = counter_value(*fs, "feed_seq");
  if (!feed) return feed.error();
  last_seq_ = *last;
  acked_upto_ = *acked;
  feed_seq_ = *feed;
  return {};
}

Status EdgeStore::set_meta(const char* key, std::uint64_t value) {
  auto st = db_.cached("INSERT INTO meta(k, v) VALUES(?1, ?2) ON CONFLICT(k) DO UPDATE SET v = excluded.v");
  if (!st) return st.error();
  return (*st)->bind(1, key).bind(2, std::to_string(value)).run();
}

Expected<std::uint64_t> EdgeStore::write(const std::string& entity, const std::string& key, OpKind kind,
                                         const std::string& body_json, std::int64_t at_ms) {
  auto tx = sqlite::Tx::begin(db_);
  if (!tx) return tx.error();
  auto seq = write_in_tx(entity, key, kind, body_json, at_ms);
  if (!seq) return seq;  // last_seq_ moves only when write_in_tx succeeded
  if (auto s = tx->commit(); !s) {
    (void)reload_counters();  // rolled back: the in-memory counter must follow the database
    return s.error();
  }
  return seq;
}

Expected<std::uint64_t> EdgeStore::write_in_tx(const std::string& entity, const std::string& key, OpKind kind,
                                               const std::string& body_json, std::int64_t at_ms) {
  if (!protocol::valid_entity(entity)) return make_error(Errc::invalid_argument, "entity name must be 1-32 of a-z, 0-9, _");
  if (!protocol::valid_key(key)) return make_error(Errc::invalid_argument, "record key must be 1-128 printable ASCII characters without '/'");
  std::string body;
  if (kind == OpKind::upsert) {
    auto canon = protocol::canonical_body(body_json);
    if (!canon) return canon.error();
    body = std::move(*canon);
  }

  // The hub version this change is based on: what the hub last confirmed for the key.
  std::uint64_t base_version = 0;
  {
    auto st = db_.cached("SELECT version FROM replica WHERE entity = ?1 AND key = ?2");
    if (!st) return st.error();
    (*st)->bind(1, entity).bind(2, key);
    auto row = (*st)->step();
    if (!row) return row.error();
    if (*row) base_version = (*st)->column_u64(0);
    (*st)->reset();
  }

  if (kind == OpKind::remove) {
    auto st = db_.cached("DELETE FROM records WHERE entity = ?1 AND key = ?2");
    if (!st) return st.error();
    if (auto s = (*st)->bind(1, entity).bind(2, key).run(); !s) return s.error();
    if (db_.changes() == 0) return make_error(Errc::not_found, "no record " + entity + "/" + key + " to remove");
  } else {
    auto st = db_.cached(
        "INSERT INTO records(entity, key, body, version, pending) VALUES(?1, ?2, ?3, ?4, 1) "
        "ON CONFLICT(entity, key) DO UPDATE SET body = excluded.body, pending = 1");
    if (!st) return st.error();
    if (auto s = (*st)->bind(1, entity).bind(2, key).bind(3, body).bind(4, base_version).run(); !s) return s.error();
  }

  return append_outbox(entity, key, kind, base_version, body, at_ms, true);
}

Expected<std::uint64_t> EdgeStore::append_outbox(const std::string& entity, const std::string& key, OpKind kind,
                                                  std::uint64_t base_version, const std::string& body, std::int64_t at_ms,
                                                  bool viewed) {
  // Read the counter inside the transaction: another process (a tool, a benchmark) may share
  // the database, and BEGIN IMMEDIATE makes this read-and-increment atomic across them.
  auto ls = read_meta(db_, "last_seq");
  if (!ls) return ls.error();
  auto last = counter_value(*ls, "last_seq");
  if (!last) return last.error();
  std::uint64_t seq = *last + 1;
  std::string op_id = protocol::device_identity(municipality_, device_) + ":" + std::to_string(seq);
  auto st = db_.cached(
      "INSERT INTO outbox(seq, op_id, entity, key, kind, base_version, body, at_ms, viewed) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  if (!st) return st.error();
  if (auto s = (*st)->bind(1, seq).bind(2, op_id).bind(3, entity).bind(4, key)
                   .bind(5, kind == OpKind::upsert ? 0 : 1).bind(6, base_version).bind(7, body).bind(8, at_ms).bind(9, viewed ? 1 : 0).run();
      !s) {
    return s.error();
  }
  if (auto s = set_meta("last_seq", seq); !s) return s.error();
  last_seq_ = seq;
  return seq;
}

Expected<std::vector<protocol::Op>> EdgeStore::outbox_from(std::uint64_t from, std::size_t max_ops, std::size_t max_bytes) {
  auto st = db_.cached(
      "SELECT seq, op_id, entity, key, kind, base_version, body, at_ms FROM outbox WHERE seq >= ?1 ORDER BY seq LIMIT ?2");
  if (!st) return st.error();
  (*st)->bind(1, from).bind(2, static_cast<std::int64_t>(max_ops));
  std::vector<protocol::Op> out;
  std::size_t bytes = 0;
  while (true) {
    auto row = (*st)->step();
    if (!row) return row.error();
    if (!*row) break;
    protocol::Op op;
    op.seq = (*st)->column_u64(0);
    op.op_id = (*st)->column_text(1);
    op.entity = (*st)->column_text(2);
    op.key = (*st)->column_text(3);
    op.kind = (*st)->column_int(4) == 0 ? OpKind::upsert : OpKind::remove;
    op.base_version = (*st)->column_u64(5);
    op.body = (*st)->column_text(6);
    op.at_ms = (*st)->column_int(7);
    // Keep seq consecutive within a batch (the protocol requires it).
    if (!out.empty() && op.seq != out.back().seq + 1) break;
    bytes += op.body.size() + op.key.size() + 128;
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(std::move(op));
  }
  (*st)->reset();
  return out;
}

Status EdgeStore::upsert_replica(const protocol::Record& r) {
  auto st = db_.cached(
      "INSERT INTO replica(entity, key, body, deleted, version, origin_device, origin_seq) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) "
      "ON CONFLICT(entity, key) DO UPDATE SET body = excluded.body, deleted = excluded.deleted, version = excluded.version, "
      "origin_device = excluded.origin_device, origin_seq = excluded.origin_seq WHERE excluded.version > replica.version");
  if (!st) return st.error();
  return (*st)->bind(1, r.entity).bind(2, r.key).bind(3, r.body).bind(4, r.deleted).bind(5, r.version)
      .bind(6, r.origin_device).bind(7, r.origin_seq).run();
}

// view(key) = replica(key) with every outbox operation for the key applied in seq order.
Status EdgeStore::rebuild_view_key(const std::string& entity, const std::string& key) {
  std::optional<std::string> body;
  std::uint64_t version = 0;
  {
    auto st = db_.cached("SELECT body, deleted, version FROM replica WHERE entity = ?1 AND key = ?2");
    if (!st) return st.error();
    (*st)->bind(1, entity).bind(2, key);
    auto row = (*st)->step();
    if (!row) return row.error();
    if (*row) {
      version = (*st)->column_u64(2);
      if ((*st)->column_int(1) == 0) body = (*st)->column_text(0);
    }
    (*st)->reset();
  }
  bool pending = false;
  {
    auto st = db_.cached("SELECT kind, body FROM outbox WHERE entity = ?1 AND key = ?2 AND viewed = 1 ORDER BY seq");
    if (!st) return st.error();
    (*st)->bind(1, entity).bind(2, key);
    while (true) {
      auto row = (*st)->step();
      if (!row) return row.error();
      if (!*row) break;
      pending = true;
      if ((*st)->column_int(0) == 0) {
        body = (*st)->column_text(1);
      } else {
        body.reset();
      }
    }
    (*st)->reset();
  }
  if (!body) {
    auto st = db_.cached("DELETE FROM records WHERE entity = ?1 AND key = ?2");
    if (!st) return st.error();
    return (*st)->bind(1, entity).bind(2, key).run();
  }
  auto st = db_.cached(
      "INSERT INTO records(entity, key, body, version, pending) VALUES(?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT(entity, key) DO UPDATE SET body = excluded.body, version = excluded.version, pending = excluded.pending");
  if (!st) return st.error();
  return (*st)->bind(1, entity).bind(2, key).bind(3, *body).bind(4, version).bind(5, pending).run();
}

Status EdgeStore::apply_ack(const protocol::Ack& ack, std::int64_t now_ms) {
  if (ack.municipality != municipality_ || ack.device != device_) {
    return Error{Errc::forbidden, "acknowledgement for another device"};
  }
  if (ack.upto > last_seq_) {
    return Error{Errc::conflict, "hub has settled seq " + std::to_string(ack.upto) + " but this database has made only " +
                                     std::to_string(last_seq_) + " operations"};
  }
  if (ack.upto <= acked_upto_ && ack.rejected.empty()) return {};
  auto tx = sqlite::Tx::begin(db_);
  if (!tx) return tx.error();
  std::vector<std::pair<std::string, std::string>> touched;
  for (const auto& r : ack.rejected) {
    if (r.seq > ack.upto || r.seq <= acked_upto_) continue;  // not settled by this ack, or already seen
    auto sel = db_.cached("SELECT entity, key, kind FROM outbox WHERE seq = ?1");
    if (!sel) return sel.error();
    (*sel)->bind(1, r.seq);
    auto row = (*sel)->step();
    if (!row) return row.error();
    if (!*row) {
      (*sel)->reset();
      continue;
    }
    std::string entity = (*sel)->column_text(0), key = (*sel)->column_text(1);
    std::string kind((*sel)->column_int(2) == 0 ? "upsert" : "remove");
    (*sel)->reset();
    auto ins = db_.cached(
        "INSERT OR IGNORE INTO rejections(seq, entity, key, kind, code, reason, at_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!ins) return ins.error();
    if (auto s = (*ins)->bind(1, r.seq).bind(2, entity).bind(3, key).bind(4, kind)
                     .bind(5, errc_name(r.code)).bind(6, r.reason).bind(7, now_ms).run();
        !s) {
      return s;
    }
    if (r.current) {
      if (auto s = upsert_replica(*r.current); !s) return s;
    }
    touched.emplace_back(std::move(entity), std::move(key));
  }
  if (!ack.rejected.empty()) {
    // Staff see the newest rejections; the list is bounded so it cannot grow for ever.
    if (auto s = db_.exec("DELETE FROM rejections WHERE seq <= (SELECT max(seq) FROM rejections) - 10000"); !s) return s;
  }
  if (ack.upto > acked_upto_) {
    // Keys whose last pending operation is now confirmed are no longer pending. Only the keys of
    // the acknowledged range are visited (a scan of every pending record made a replay of a big
    // backlog quadratic: docs/performance.md).
    auto clear = db_.cached(
        "UPDATE records SET pending = 0 WHERE pending = 1 AND (entity, key) IN "
        "(SELECT entity, key FROM outbox WHERE seq <= ?1) AND NOT EXISTS("
        "SELECT 1 FROM outbox o WHERE o.entity = records.entity AND o.key = records.key AND o.seq > ?1)");
    if (!clear) return clear.error();
    if (auto s = (*clear)->bind(1, ack.upto).run(); !s) return s;
    auto del = db_.cached("DELETE FROM outbox WHERE seq <= ?1");
    if (!del) return del.error();
    if (auto s = (*del)->bind(1, ack.upto).run(); !s) return s;
    if (auto s = set_meta("acked_upto", ack.upto); !s) return s;
  }
  for (const auto& [entity, key] : touched) {
    if (auto s = rebuild_view_key(entity, key); !s) return s;
  }
  if (auto s = tx->commit(); !s) return s;
  if (ack.upto > acked_upto_) acked_upto_ = ack.upto;
  return {};
}

Expected<std::uint64_t> EdgeStore::apply_changes(const std::vector<protocol::Record>& changes) {
  auto tx = sqlite::Tx::begin(db_);
  if (!tx) return tx.error();
  std::uint64_t feed = feed_seq_;
  for (const auto& c : changes) {
    if (c.version <= feed) continue;
    if (c.version != feed + 1) break;  // a gap: the caller asks the hub again
    if (auto s = upsert_replica(c); !s) return s.error();
    if (auto s = rebuild_view_key(c.entity, c.key); !s) return s.error();
    feed = c.version;
  }
  if (feed == feed_seq_) return feed;
  if (auto s = set_meta("feed_seq", feed); !s) return s.error();
  if (auto s = tx->commit(); !s) return s.error();
  feed_seq_ = feed;
  return feed;
}

Status EdgeStore::snapshot_begin(std::uint64_t snapshot_id) {
  auto tx = sqlite::Tx::begin(db_);
  if (!tx) return tx.error();
  if (auto s = db_.exec("DELETE FROM snapshot_stage"); !s) return s;
  if (auto s = tx->commit(); !s) return s;
  snapshot_id_ = snapshot_id;
  return {};
}

Status EdgeStore::snapshot_add(const std::vector<protocol::Record>& records) {
  auto tx = sqlite::Tx::begin(db_);
  if (!tx) return tx.error();
  auto st = db_.cached(
      "INSERT OR REPLACE INTO snapshot_stage(entity, key, body, version, origin_device, origin_seq) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
  if (!st) return st.error();
  for (const auto& r : records) {
    if (r.deleted) continue;
    if (auto s = (*st)->bind(1, r.entity).bind(2, r.key).bind(3, r.body).bind(4, r.version)
                     .bind(5, r.origin_device).bind(6, r.origin_seq).run();
        !s) {
      return s;
    }
  }
  return tx->commit();
}

Status EdgeStore::snapshot_finish(std::uint64_t as_of) {
  auto tx = sqlite::Tx::begin(db_);
  if (!tx) return tx.error();
  const char* sql =
      "DELETE FROM replica;"
      "INSERT INTO replica(entity, key, body, deleted, version, origin_device, origin_seq) "
      "  SELECT entity, key, body, 0, version, origin_device, origin_seq FROM snapshot_stage;"
      "DELETE FROM snapshot_stage;"
      "DELETE FROM records;"
      "INSERT INTO records(entity, key, body, version, pending) SELECT entity, key, body, version, 0 FROM replica;";
  if (auto s = db_.exec(sql); !s) return s;
  // Re-apply every operation still waiting for the hub, in order, over the new replica.
  std::vector<std::pair<std::string, std::string>> keys;
  {
    auto st = db_.cached("SELECT DISTINCT entity, key FROM outbox WHERE viewed = 1");
    if (!st) return st.error();
    while (true) {
      auto row = (*st)->step();
      if (!row) return row.error();
      if (!*row) break;
      keys.emplace_back((*st)->column_text(0), (*st)->column_text(1));
    }
    (*st)->reset();
  }
  for (const auto& [entity, key] : keys) {
    if (auto s = rebuild_view_key(entity, key); !s) return s;
  }
  if (auto s = set_meta("feed_seq", as_of); !s) return s;
  if (auto s = tx->commit(); !s) return s;
  feed_seq_ = as_of;
  snapshot_id_ = 0;
  return {};
}

Expected<std::optional<ViewRecord>> EdgeStore::get(const std::string& entity, const std::string& key) {
  auto st = db_.cached("SELECT body, version, pending FROM records WHERE entity = ?1 AND key = ?2");
  if (!st) return st.error();
  (*st)->bind(1, entity).bind(2, key);
  auto row = (*st)->step();
  if (!row) return row.error();
  std::optional<ViewRecord> out;
  if (*row) out = ViewRecord{entity, key, (*st)->column_text(0), (*st)->column_u64(1), (*st)->column_int(2) != 0};
  (*st)->reset();
  return out;
}

Expected<std::vector<ViewRecord>> EdgeStore::list_prefix_desc(const std::string& entity, const std::string& prefix,
                                                                std::size_t limit) {
  // A key range rather than LIKE: keys may hold '%' and '_', and the range uses the primary key.
  // The upper bound is the prefix followed by U+FFFF's UTF-8 (above every character of a key).
  auto st = db_.cached(
      "SELECT entity, key, body, version, pending FROM records WHERE entity = ?1 AND key >= ?2 AND key < ?3 "
      "ORDER BY key DESC LIMIT ?4");
  if (!st) return st.error();
  (*st)->bind(1, entity).bind(2, prefix).bind(3, prefix + "\xEF\xBF\xBF").bind(4, static_cast<std::int64_t>(limit));
  return read_view_rows(**st);
}

Expected<std::vector<ViewRecord>> EdgeStore::list(const std::string& entity, std::size_t limit, std::size_t offset) {
  auto st = db_.cached(
      "SELECT entity, key, body, version, pending FROM records WHERE (?1 = '' OR entity = ?1) "
      "ORDER BY entity, key LIMIT ?2 OFFSET ?3");
  if (!st) return st.error();
  (*st)->bind(1, entity).bind(2, static_cast<std::int64_t>(limit)).bind(3, static_cast<std::int64_t>(offset));
  return read_view_rows(**st);
}

Expected<std::vector<ViewRecord>> EdgeStore::range(const std::string& entity, const std::string& from_key,
                                                    const std::string& to_key, std::size_t limit) {
  auto st = db_.cached(
      "SELECT entity, key, body, version, pending FROM records WHERE entity = ?1 AND key >= ?2 AND key < ?3 "
      "ORDER BY key LIMIT ?4");
  if (!st) return st.error();
  (*st)->bind(1, entity).bind(2, from_key).bind(3, to_key).bind(4, static_cast<std::int64_t>(limit));
  return read_view_rows(**st);
}

Expected<std::optional<std::string>> EdgeStore::replica_body(const std::string& entity, const std::string& key) {
  auto st = db_.cached("SELECT body FROM replica WHERE entity = ?1 AND key = ?2 AND deleted = 0");
  if (!st) return st.error();
  (*st)->bind(1, entity).bind(2, key);
  auto row = (*st)->step();
  std::optional<std::string> body;
  if (row && *row) body = (*st)->column_text(0);
  (*st)->reset();
  if (!row) return row.error();
  return body;
}

Status EdgeStore::transaction(const std::function<Status()>& body) {
  Status result = [&]() -> Status {
    auto tx = sqlite::Tx::begin(db_);
    if (!tx) return tx.error();
    if (auto s = body(); !s) return s;
    return tx->commit();
  }();  // rolled back here unless committed
  if (!result) (void)reload_counters();  // nothing of it stays: the counters follow the database
  return result;
}

BookingTables EdgeStore::bookings() { return BookingTables(db_); }

CardIndex EdgeStore::card_index() { return CardIndex(db_); }

Expected<std::uint64_t> EdgeStore::send_in_tx(const std::string& entity, const std::string& key, const std::string& body_json,
                                              std::int64_t at_ms) {
  if (!protocol::valid_entity(entity)) return make_error(Errc::invalid_argument, "entity name must be 1-32 of a-z, 0-9, _");
  if (!protocol::valid_key(key)) return make_error(Errc::invalid_argument, "record key must be 1-128 printable ASCII characters without '/'");
  // The callers' bodies are nlohmann::json dumps already (compact, keys in order): checked for
  // size and shape here rather than parsed and written again (300,000 rows of an initial copy).
  if (body_json.size() > protocol::kMaxBodyBytes) {
    return make_error(Errc::too_large, "body exceeds " + std::to_string(protocol::kMaxBodyBytes) + " bytes");
  }
  if (body_json.size() < 2 || body_json.front() != '{' || body_json.back() != '}') {
    return make_error(Errc::malformed, "body must be a JSON object");
  }
  return append_outbox(entity, key, OpKind::upsert, 0, body_json, at_ms, false);
}

Expected<EdgeStore::LinkageStream> EdgeStore::linkage_stream(std::string_view kind, std::string_view source, std::string_view run) {
  auto st = db_.cached("SELECT last_seq, state FROM linkage_stream WHERE kind = ?1 AND source = ?2 AND run = ?3");
  if (!st) return st.error();
  (*st)->bind(1, kind).bind(2, source).bind(3, run);
  auto row = (*st)->step();
  if (!row) return row.error();
  LinkageStream out;
  if (*row) out = LinkageStream{(*st)->column_u64(0), (*st)->column_text(1)};
  (*st)->reset();
  return out;
}

Status EdgeStore::set_linkage_stream(std::string_view kind, std::string_view source, std::string_view run,
                                     const LinkageStream& stream) {
  auto st = db_.cached(
      "INSERT INTO linkage_stream(kind, source, run, last_seq, state) VALUES(?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT(kind, source, run) DO UPDATE SET last_seq = excluded.last_seq, state = excluded.state");
  if (!st) return st.error();
  return (*st)->bind(1, kind).bind(2, source).bind(3, run).bind(4, stream.last_seq).bind(5, stream.state).run();
}

Expected<std::optional<std::string>> EdgeStore::linkage_batch_sha(std::string_view kind, std::string_view source,
                                                                  std::string_view run, std::uint64_t first, std::uint64_t last) {
  auto st = db_.cached(
      "SELECT sha256 FROM linkage_batches WHERE kind = ?1 AND source = ?2 AND run = ?3 AND first_seq = ?4 AND last_seq = ?5");
  if (!st) return st.error();
  (*st)->bind(1, kind).bind(2, source).bind(3, run).bind(4, first).bind(5, last);
  auto row = (*st)->step();
  if (!row) return row.error();
  std::optional<std::string> out;
  if (*row) out = (*st)->column_text(0);
  (*st)->reset();
  return out;
}

Status EdgeStore::add_linkage_batch(std::string_view kind, std::string_view source, std::string_view run, std::uint64_t first,
                                    std::uint64_t last, std::string_view sha256) {
  auto st = db_.cached(
      "INSERT OR REPLACE INTO linkage_batches(kind, source, run, first_seq, last_seq, sha256) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
  if (!st) return st.error();
  return (*st)->bind(1, kind).bind(2, source).bind(3, run).bind(4, first).bind(5, last).bind(6, sha256).run();
}

Expected<bool> EdgeStore::linkage_image_sent(std::string_view sha256) {
  auto st = db_.cached("SELECT 1 FROM linkage_images WHERE sha256 = ?1");
  if (!st) return st.error();
  (*st)->bind(1, sha256);
  auto row = (*st)->step();
  (*st)->reset();
  if (!row) return row.error();
  return *row;
}

Status EdgeStore::mark_linkage_image_sent(std::string_view sha256) {
  auto st = db_.cached("INSERT OR IGNORE INTO linkage_images(sha256) VALUES(?1)");
  if (!st) return st.error();
  return (*st)->bind(1, sha256).run();
}

Expected<std::vector<RejectedOp>> EdgeStore::rejections(std::size_t limit) {
  auto st = db_.cached("SELECT seq, entity, key, kind, code, reason, at_ms FROM rejections ORDER BY seq DESC LIMIT ?1");
  if (!st) return st.error();
  (*st)->bind(1, static_cast<std::int64_t>(limit));
  std::vector<RejectedOp> out;
  while (true) {
    auto row = (*st)->step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back(RejectedOp{(*st)->column_u64(0), (*st)->column_text(1), (*st)->column_text(2), (*st)->column_text(3),
                             (*st)->column_text(4), (*st)->column_text(5), (*st)->column_int(6)});
  }
  (*st)->reset();
  return out;
}

Expected<StoreStats> EdgeStore::stats() {
  StoreStats s;
  s.last_seq = last_seq_;
  s.acked_upto = acked_upto_;
  s.feed_seq = feed_seq_;
  auto count = [&](const char* sql) -> Expected<std::uint64_t> {
    auto st = db_.cached(sql);
    if (!st) return st.error();
    auto row = (*st)->step();
    if (!row) return row.error();
    std::uint64_t n = *row ? (*st)->column_u64(0) : 0;
    (*st)->reset();
    return n;
  };
  auto o = count("SELECT count(*) FROM outbox");
  if (!o) return o.error();
  auto r = count("SELECT count(*) FROM records");
  if (!r) return r.error();
  auto j = count("SELECT count(*) FROM rejections");
  if (!j) return j.error();
  s.outbox_depth = *o;
  s.records = *r;
  s.rejected = *j;
  return s;
}

}  // namespace madoguchi::edge
