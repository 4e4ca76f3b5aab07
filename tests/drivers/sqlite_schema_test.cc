// Versioned schemas and migrations (drivers/sqlite/schema.h, issue 10): new, current, older
// (backup, one transaction), newer (refused, nothing changed), unversioned legacy databases, a
// failing migration that leaves the database as it was.
#include <catch2/catch.hpp>

#include <array>
#include <fstream>
#include <iterator>
#include <string>

#include "madoguchi/sqlite/schema.h"
#include "temp_dir.h"

namespace sq = madoguchi::sqlite;
using madoguchi::Errc;
using madoguchi::testing::TempDir;

namespace {

constexpr std::array<sq::Migration, 1> kV1{{{1, "CREATE TABLE t(k TEXT PRIMARY KEY, v TEXT NOT NULL);"}}};
constexpr std::array<sq::Migration, 2> kV2{{{1, "CREATE TABLE t(k TEXT PRIMARY KEY, v TEXT NOT NULL);"},
                                            {2, "ALTER TABLE t ADD COLUMN n INTEGER NOT NULL DEFAULT 7;"
                                                "CREATE INDEX t_n ON t(n);"}}};
constexpr std::array<sq::Migration, 2> kBroken{{{1, "CREATE TABLE t(k TEXT PRIMARY KEY, v TEXT NOT NULL);"},
                                                {2, "ALTER TABLE t ADD COLUMN n INTEGER; CREATE TABLE t(x);"}}};

sq::Schema schema(std::span<const sq::Migration> m) { return sq::Schema{"test", m, {}, {}}; }

sq::Db open(const std::filesystem::path& p) {
  auto db = sq::Db::open(p);
  REQUIRE(db.ok());
  return std::move(*db);
}

std::int64_t scalar(sq::Db& db, const char* sql) {
  auto st = db.prepare(sql);
  REQUIRE(st.ok());
  auto row = st->step();
  REQUIRE(row.ok());
  REQUIRE(*row);
  return st->column_int(0);
}

std::string bytes_of(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("A new database gets every migration and the newest version", "[sqlite][schema]") {
  TempDir dir;
  auto db = open(dir / "a.db");
  auto r = sq::migrate(db, schema(kV2));
  REQUIRE(r.ok());
  CHECK(r->from == 0);
  CHECK(r->to == 2);
  CHECK_FALSE(r->backup.has_value());
  CHECK(scalar(db, "PRAGMA user_version") == 2);
  CHECK(scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 't_n'") == 1);
  // Opening again changes nothing.
  auto again = sq::migrate(db, schema(kV2));
  REQUIRE(again.ok());
  CHECK(again->from == 2);
  CHECK(again->to == 2);
}

TEST_CASE("An older database is copied, then upgraded in one transaction with every row kept", "[sqlite][schema]") {
  TempDir dir;
  {
    auto db = open(dir / "a.db");
    REQUIRE(sq::migrate(db, schema(kV1)).ok());
    REQUIRE(db.exec("INSERT INTO t(k, v) VALUES('a', '1'), ('b', '2')").ok());
  }
  auto db = open(dir / "a.db");
  auto r = sq::migrate(db, schema(kV2));
  INFO((r.ok() ? std::string() : r.error().message));
  REQUIRE(r.ok());
  CHECK(r->from == 1);
  CHECK(r->to == 2);
  REQUIRE(r->backup.has_value());
  CHECK(scalar(db, "SELECT count(*) FROM t WHERE n = 7") == 2);
  // The copy is the version-1 database, whole.
  auto copy = open(*r->backup);
  CHECK(scalar(copy, "PRAGMA user_version") == 1);
  CHECK(scalar(copy, "SELECT count(*) FROM t") == 2);
}

TEST_CASE("A database of a newer release is refused and not changed", "[sqlite][schema]") {
  TempDir dir;
  {
    auto db = open(dir / "a.db");
    REQUIRE(sq::migrate(db, schema(kV2)).ok());
    REQUIRE(db.exec("INSERT INTO t(k, v) VALUES('a', '1')").ok());
    REQUIRE(db.checkpoint_truncate().ok());
  }
  const std::string before = bytes_of(dir / "a.db");
  {
    auto db = open(dir / "a.db");
    auto r = sq::migrate(db, schema(kV1));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::unsupported_version);
    CHECK(r.error().message.find("newer release") != std::string::npos);
  }
  CHECK(bytes_of(dir / "a.db") == before);
  CHECK_FALSE(std::filesystem::exists(dir / "a.db.schema-v2.bak"));
}

TEST_CASE("A migration that fails leaves the database at its version with its rows", "[sqlite][schema]") {
  TempDir dir;
  auto db = open(dir / "a.db");
  REQUIRE(sq::migrate(db, schema(kV1)).ok());
  REQUIRE(db.exec("INSERT INTO t(k, v) VALUES('a', '1')").ok());
  auto r = sq::migrate(db, schema(kBroken));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("migration to version 2") != std::string::npos);
  CHECK(scalar(db, "PRAGMA user_version") == 1);
  CHECK(scalar(db, "SELECT count(*) FROM pragma_table_info('t')") == 2);  // no column n
  CHECK(scalar(db, "SELECT count(*) FROM t") == 1);
  // And the good list still upgrades it afterwards.
  REQUIRE(sq::migrate(db, schema(kV2)).ok());
  CHECK(scalar(db, "SELECT n FROM t") == 7);
}

TEST_CASE("An unversioned database is placed by the schema's legacy reading, or refused", "[sqlite][schema]") {
  TempDir dir;
  {
    auto db = open(dir / "old.db");
    REQUIRE(db.exec("CREATE TABLE t(k TEXT PRIMARY KEY, v TEXT NOT NULL); INSERT INTO t VALUES('a', '1');").ok());
  }
  int hook_version = 0;
  sq::Schema s{"test", kV2,
               [](sq::Db& db) -> madoguchi::Expected<int> {
                 return scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 't'") == 1 ? 1 : 0;
               },
               [&](sq::Db&, int v) -> madoguchi::Status {
                 hook_version = v;
                 return {};
               }};
  auto db = open(dir / "old.db");
  auto r = sq::migrate(db, s);
  REQUIRE(r.ok());
  CHECK(r->from == 1);
  CHECK(hook_version == 2);
  CHECK(scalar(db, "SELECT n FROM t WHERE k = 'a'") == 7);
  // Tables that no schema reading recognises: refused.
  auto other = open(dir / "other.db");
  REQUIRE(other.exec("CREATE TABLE something(x)").ok());
  auto refused = sq::migrate(other, schema(kV2));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == Errc::unsupported_version);
}
