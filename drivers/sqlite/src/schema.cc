#include "madoguchi/sqlite/schema.h"

#include <sqlite3.h>

#include <string>

namespace madoguchi::sqlite {

namespace {

Expected<int> user_version(Db& db) {
  auto st = db.prepare("PRAGMA user_version");
  if (!st) return st.error();
  auto row = st->step();
  if (!row) return row.error();
  return *row ? static_cast<int>(st->column_int(0)) : 0;
}

Expected<bool> has_tables(Db& db) {
  auto st = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' LIMIT 1");
  if (!st) return st.error();
  auto row = st->step();
  if (!row) return row.error();
  return *row;
}

// The version the database is at: the header's, or the legacy reading of an unversioned one
// (then `legacy` is set).
Expected<int> current_version(Db& db, const Schema& schema, bool& legacy_db) {
  legacy_db = false;
  auto v = user_version(db);
  if (!v) return v.error();
  if (*v != 0) return *v;
  auto tables = has_tables(db);
  if (!tables) return tables.error();
  if (!*tables) return 0;
  int legacy = 0;
  if (schema.legacy_version) {
    auto l = schema.legacy_version(db);
    if (!l) return l.error();
    legacy = *l;
  }
  if (legacy <= 0) {
    return Error{Errc::unsupported_version, db.path().string() + ": not a " + std::string(schema.name) +
                                                " database of any known version (it has tables but no schema version)"};
  }
  legacy_db = true;
  return legacy;
}

}  // namespace

std::function<Expected<int>(Db&)> legacy_meta_version(int recognised) {
  return [recognised](Db& db) -> Expected<int> {
    auto st = db.prepare("SELECT v FROM meta WHERE k = 'schema_version'");
    if (!st) return 0;  // no meta table: not such a database
    auto row = st->step();
    if (!row) return row.error();
    return *row && st->column_text(0) == std::to_string(recognised) ? recognised : 0;
  };
}

Status mirror_meta_version(Db& db, int version) {
  auto st = db.prepare("INSERT INTO meta(k, v) VALUES('schema_version', ?1) ON CONFLICT(k) DO UPDATE SET v = excluded.v");
  if (!st) return st.error();
  return st->bind(1, std::to_string(version)).run();
}

Status claim_meta(Db& db, std::string_view key, std::string_view value) {
  auto tx = Tx::begin(db);
  if (!tx) return tx.error();
  auto st = db.prepare("SELECT v FROM meta WHERE k = ?1");
  if (!st) return st.error();
  auto row = st->bind(1, key).step();
  if (!row) return row.error();
  const std::string found = *row ? st->column_text(0) : "";
  st->reset();
  if (found.empty()) {
    auto ins = db.prepare("INSERT INTO meta(k, v) VALUES(?1, ?2)");
    if (!ins) return ins.error();
    if (auto s = ins->bind(1, key).bind(2, value).run(); !s) return s.error();
  } else if (found != value) {
    return Error{Errc::invalid_argument, db.path().string() + " belongs to " + std::string(key) + " " + found + ", not " + std::string(value)};
  }
  return tx->commit();
}

int latest_version(const Schema& schema) noexcept {
  return schema.migrations.empty() ? 0 : schema.migrations.back().version;
}

Status backup_to(Db& db, const std::filesystem::path& dest) {
  // A connection of its own reads the committed state (WAL: alongside the caller's connection,
  // even while that one holds the write lock of a migration that has not written yet).
  sqlite3* src = nullptr;
  sqlite3* out = nullptr;
  auto close = [&] {
    sqlite3_close_v2(out);
    sqlite3_close_v2(src);
  };
  auto fail = [&](const std::string& what, sqlite3* conn, int rc) -> Status {
    std::string why = conn ? sqlite3_errmsg(conn) : sqlite3_errstr(rc);
    close();
    return Error{Errc::db, what + ": " + why};
  };
  int rc = sqlite3_open_v2(db.path().c_str(), &src, SQLITE_OPEN_READONLY, nullptr);
  if (rc != SQLITE_OK) return fail("opening " + db.path().string() + " for a backup", src, rc);
  sqlite3_busy_timeout(src, 5000);
  rc = sqlite3_open_v2(dest.c_str(), &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) return fail("opening backup " + dest.string(), out, rc);
  sqlite3_backup* b = sqlite3_backup_init(out, "main", src, "main");
  if (!b) return fail("backup of " + db.path().string(), out, SQLITE_ERROR);
  rc = sqlite3_backup_step(b, -1);
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) {
    close();
    return Error{Errc::db, "backup of " + db.path().string() + " to " + dest.string() + ": " + sqlite3_errstr(rc)};
  }
  rc = sqlite3_close_v2(out);
  out = nullptr;
  sqlite3_close_v2(src);
  if (rc != SQLITE_OK) return Error{Errc::db, "closing backup " + dest.string() + ": " + sqlite3_errstr(rc)};
  return {};
}

Expected<MigrationReport> migrate(Db& db, const Schema& schema) {
  const int latest = latest_version(schema);
  for (std::size_t i = 0; i < schema.migrations.size(); ++i) {
    if (schema.migrations[i].version != static_cast<int>(i) + 1) {
      return Error{Errc::internal, std::string(schema.name) + " schema: migrations must be numbered 1, 2, 3, ..."};
    }
  }
  auto tx = Tx::begin(db);
  if (!tx) return tx.error();
  bool legacy = false;
  auto from = current_version(db, schema, legacy);
  if (!from) return from.error();
  MigrationReport report{*from, latest, std::nullopt};
  if (*from > latest) {
    return Error{Errc::unsupported_version,
                 db.path().string() + ": the " + std::string(schema.name) + " database is at schema version " +
                     std::to_string(*from) + ", written by a newer release; this build knows versions up to " +
                     std::to_string(latest) + ". Nothing was changed: run the newer release, or restore a backup"};
  }
  if (*from == latest && !legacy) {
    if (auto s = tx->commit(); !s) return s.error();
    return report;
  }
  if (*from == latest) {
    // Unversioned but already at the newest layout: only the header learns the version.
    if (auto s = db.exec("PRAGMA user_version = " + std::to_string(latest)); !s) return s.error();
    if (auto s = tx->commit(); !s) return s.error();
    return report;
  }
  if (*from > 0) {
    const std::filesystem::path copy = db.path().string() + ".schema-v" + std::to_string(*from) + ".bak";
    if (auto s = backup_to(db, copy); !s) return s.error().with_context("before upgrading the " + std::string(schema.name) + " database");
    report.backup = copy;
  }
  for (const Migration& m : schema.migrations) {
    if (m.version <= *from) continue;
    if (auto s = db.exec(m.sql); !s) {
      return s.error().with_context(std::string(schema.name) + " schema migration to version " + std::to_string(m.version));
    }
  }
  if (auto s = db.exec("PRAGMA user_version = " + std::to_string(latest)); !s) return s.error();
  if (schema.after_migrate) {
    if (auto s = schema.after_migrate(db, latest); !s) return s.error();
  }
  if (auto s = tx->commit(); !s) return s.error();
  return report;
}

}  // namespace madoguchi::sqlite
