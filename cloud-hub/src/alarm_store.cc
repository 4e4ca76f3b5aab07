#include "madoguchi/hub/alarm_store.h"

#include <array>

#include "madoguchi/sqlite/schema.h"

namespace madoguchi::hub {

namespace {

// The alarms database's schema. Append a migration to change it.
//   1: alarms, and the municipality the file belongs to.
constexpr const char* kV1 = R"sql(
CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE alarms(
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  kind TEXT NOT NULL,
  level TEXT NOT NULL,
  place TEXT NOT NULL,
  what TEXT NOT NULL,
  raised_ms INTEGER NOT NULL,
  last_ms INTEGER NOT NULL,
  cleared_ms INTEGER NOT NULL DEFAULT 0,
  acked_ms INTEGER NOT NULL DEFAULT 0,
  acked_by TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX alarms_standing ON alarms(key) WHERE cleared_ms = 0;
CREATE INDEX alarms_open ON alarms(id) WHERE cleared_ms = 0 OR acked_ms = 0;
CREATE INDEX alarms_by_time ON alarms(raised_ms, id);
)sql";

constexpr std::array<sqlite::Migration, 1> kMigrations{{{1, kV1}}};

const sqlite::Schema& alarm_schema() {
  static const sqlite::Schema schema{"alarms", kMigrations, {}, {}};
  return schema;
}

constexpr const char* kColumns = "id, key, kind, level, place, what, raised_ms, last_ms, cleared_ms, acked_ms, acked_by";

domain::Alarm read_alarm(const sqlite::Stmt& st) {
  domain::Alarm a;
  a.id = st.column_int(0);
  a.condition.key = st.column_text(1);
  a.condition.kind = domain::alarm_kind_from_code(st.column_text(2)).value_or(domain::AlarmKind::linkage);
  a.condition.level = domain::alarm_level_from_code(st.column_text(3)).value_or(domain::AlarmLevel::critical);
  a.condition.where = st.column_text(4);
  a.condition.what = st.column_text(5);
  a.raised_ms = st.column_int(6);
  a.last_ms = st.column_int(7);
  a.cleared_ms = st.column_int(8);
  a.acked_ms = st.column_int(9);
  a.acked_by = st.column_text(10);
  return a;
}

}  // namespace

Expected<AlarmStore> AlarmStore::open(const std::filesystem::path& path, const std::string& municipality, Limits limits) {
  auto db = sqlite::Db::open(path, {.durability = sqlite::Durability::full});
  if (!db) return db.error();
  if (auto r = sqlite::migrate(*db, alarm_schema()); !r) return r.error();
  if (auto s = sqlite::claim_meta(*db, "municipality", municipality); !s) return s.error();
  return AlarmStore(std::move(*db), limits);
}

Expected<std::vector<domain::Alarm>> AlarmStore::select(const std::string& where_order, std::int64_t from_ms, std::int64_t to_ms,
                                                        std::size_t max) {
  auto st = db_.cached(std::string("SELECT ") + kColumns + " FROM alarms " + where_order + " LIMIT ?3");
  if (!st) return st.error();
  if (where_order.find("?1") != std::string::npos) (*st)->bind(1, from_ms).bind(2, to_ms);
  (*st)->bind(3, static_cast<std::int64_t>(max));
  std::vector<domain::Alarm> out;
  for (;;) {
    auto row = (*st)->step();
    if (!row) {
      (*st)->reset();
      return row.error();
    }
    if (!*row) break;
    out.push_back(read_alarm(**st));
  }
  (*st)->reset();
  return out;
}

Expected<AlarmChanges> AlarmStore::record(const std::vector<domain::AlarmCondition>& observed, std::int64_t now_ms,
                                          const std::vector<domain::AlarmKind>& unread) {
  auto tx = sqlite::Tx::begin(db_);
  if (!tx) return tx.error();
  auto standing = select("WHERE cleared_ms = 0 ORDER BY id", 0, 0, limits_.max_rows);
  if (!standing) return standing.error();
  const auto plan = domain::plan_alarms(*standing, observed, unread);
  AlarmChanges changes;
  if (plan.empty()) return changes;
  for (std::int64_t id : plan.clear) {  // first: an escalated alarm's key is raised again below
    auto st = db_.cached("UPDATE alarms SET cleared_ms = ?2 WHERE id = ?1 AND cleared_ms = 0");
    if (!st) return st.error();
    if (auto s = (*st)->bind(1, id).bind(2, now_ms).run(); !s) return s.error();
    for (const auto& a : *standing) {
      if (a.id == id) {
        changes.cleared.push_back(a);
        changes.cleared.back().cleared_ms = now_ms;
      }
    }
  }
  for (const auto& [id, c] : plan.update) {
    auto st = db_.cached("UPDATE alarms SET what = ?2, place = ?3, last_ms = ?4 WHERE id = ?1");
    if (!st) return st.error();
    if (auto s = (*st)->bind(1, id).bind(2, c.what).bind(3, c.where).bind(4, now_ms).run(); !s) return s.error();
  }
  for (const auto& c : plan.raise) {
    auto st = db_.cached("INSERT INTO alarms(key, kind, level, place, what, raised_ms, last_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?6)");
    if (!st) return st.error();
    if (auto s = (*st)->bind(1, c.key).bind(2, domain::alarm_kind_code(c.kind)).bind(3, domain::alarm_level_code(c.level))
                     .bind(4, c.where).bind(5, c.what).bind(6, now_ms).run();
        !s) {
      return s.error();
    }
    domain::Alarm a;
    a.id = db_.last_insert_rowid();
    a.condition = c;
    a.raised_ms = a.last_ms = now_ms;
    changes.raised.push_back(std::move(a));
  }
  if (auto s = prune(now_ms); !s) return s.error();
  if (auto s = tx->commit(); !s) return s.error();
  return changes;
}

Status AlarmStore::prune(std::int64_t now_ms) {
  if (now_ms - last_prune_ms_ < 60 * 60 * 1000) return {};
  last_prune_ms_ = now_ms;
  // Ended and acknowledged alarms older than keep_days; then, past max_rows, the oldest of those.
  auto old = db_.cached("DELETE FROM alarms WHERE cleared_ms != 0 AND acked_ms != 0 AND raised_ms < ?1");
  if (!old) return old.error();
  if (auto s = (*old)->bind(1, now_ms - std::int64_t{limits_.keep_days} * 24 * 60 * 60 * 1000).run(); !s) return s;
  auto over = db_.cached(
      "DELETE FROM alarms WHERE id IN (SELECT id FROM alarms WHERE cleared_ms != 0 AND acked_ms != 0 ORDER BY id "
      "LIMIT max(0, (SELECT count(*) FROM alarms) - ?1))");
  if (!over) return over.error();
  return (*over)->bind(1, static_cast<std::int64_t>(limits_.max_rows)).run();
}

Expected<std::vector<domain::Alarm>> AlarmStore::current(std::size_t max) {
  return select("WHERE cleared_ms = 0 OR acked_ms = 0 ORDER BY id DESC", 0, 0, max);
}

Expected<std::vector<domain::Alarm>> AlarmStore::raised_between(std::int64_t from_ms, std::int64_t to_ms, std::size_t max) {
  return select("WHERE raised_ms >= ?1 AND raised_ms < ?2 ORDER BY raised_ms DESC, id DESC", from_ms, to_ms, max);
}

Expected<domain::AlarmCounts> AlarmStore::counts() {
  auto st = db_.cached(
      "SELECT coalesce(sum(acked_ms = 0), 0), coalesce(sum(acked_ms = 0 AND level = 'critical'), 0), coalesce(sum(cleared_ms = 0), 0) "
      "FROM alarms WHERE cleared_ms = 0 OR acked_ms = 0");
  if (!st) return st.error();
  auto row = (*st)->step();
  if (!row) return row.error();
  domain::AlarmCounts c;
  if (*row) {
    c.unacknowledged = static_cast<std::size_t>((*st)->column_int(0));
    c.critical = static_cast<std::size_t>((*st)->column_int(1));
    c.standing = static_cast<std::size_t>((*st)->column_int(2));
  }
  (*st)->reset();
  return c;
}

Expected<bool> AlarmStore::acknowledge(std::int64_t id, const std::string& staff, std::int64_t now_ms) {
  auto tx = sqlite::Tx::begin(db_);
  if (!tx) return tx.error();
  auto st = db_.cached("UPDATE alarms SET acked_ms = ?2, acked_by = ?3 WHERE id = ?1 AND acked_ms = 0");
  if (!st) return st.error();
  if (auto s = (*st)->bind(1, id).bind(2, now_ms).bind(3, staff).run(); !s) return s.error();
  const bool done = db_.changes() == 1;
  if (auto s = tx->commit(); !s) return s.error();
  return done;
}

Expected<std::size_t> AlarmStore::acknowledge_all(const std::string& staff, std::int64_t now_ms) {
  auto tx = sqlite::Tx::begin(db_);
  if (!tx) return tx.error();
  auto st = db_.cached("UPDATE alarms SET acked_ms = ?1, acked_by = ?2 WHERE acked_ms = 0");
  if (!st) return st.error();
  if (auto s = (*st)->bind(1, now_ms).bind(2, staff).run(); !s) return s.error();
  const auto n = static_cast<std::size_t>(db_.changes());
  if (auto s = tx->commit(); !s) return s.error();
  return n;
}

}  // namespace madoguchi::hub
