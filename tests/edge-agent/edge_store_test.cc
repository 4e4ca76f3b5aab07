#include <catch2/catch.hpp>

#include "madoguchi/edge/edge_store.h"
#include "temp_dir.h"

using madoguchi::Errc;
using madoguchi::edge::EdgeStore;
using madoguchi::protocol::OpKind;
using madoguchi::testing::TempDir;

TEST_CASE("An edge database keeps its identity and refuses to be opened as another device", "[edge][store]") {
  TempDir dir;
  {
    auto s = EdgeStore::open(dir / "e.db", "131016", "counter-01");
    REQUIRE(s.ok());
    REQUIRE(s->write("card", "X", OpKind::upsert, "{}", 0).ok());
  }
  auto other = EdgeStore::open(dir / "e.db", "131016", "counter-02");
  REQUIRE_FALSE(other.ok());
  CHECK(other.error().code == Errc::invalid_argument);
  auto same = EdgeStore::open(dir / "e.db", "131016", "counter-01");
  REQUIRE(same.ok());
  CHECK(same->last_seq() == 1);
  CHECK(same->stats().value().outbox_depth == 1);
}

TEST_CASE("Local writes are validated and a refused write leaves no trace", "[edge][store]") {
  TempDir dir;
  auto s = EdgeStore::open(dir / "e.db", "131016", "counter-01");
  REQUIRE(s.ok());
  CHECK(s->write("Card", "X", OpKind::upsert, "{}", 0).error().code == Errc::invalid_argument);
  CHECK(s->write("card", "a/b", OpKind::upsert, "{}", 0).error().code == Errc::invalid_argument);
  CHECK(s->write("card", "X", OpKind::upsert, "[1]", 0).error().code == Errc::malformed);
  CHECK(s->write("card", "X", OpKind::remove, "", 0).error().code == Errc::not_found);
  auto st = s->stats();
  REQUIRE(st.ok());
  CHECK(st->last_seq == 0);
  CHECK(st->outbox_depth == 0);
  CHECK(st->records == 0);
  REQUIRE(s->write("card", "X", OpKind::upsert, "{}", 0).value() == 1);
}

TEST_CASE("Outbox batches are consecutive, bounded and survive reopening", "[edge][store]") {
  TempDir dir;
  {
    auto s = EdgeStore::open(dir / "e.db", "131016", "counter-01");
    REQUIRE(s.ok());
    for (int i = 0; i < 50; ++i) REQUIRE(s->write("card", "K" + std::to_string(i), OpKind::upsert, "{}", 0).ok());
  }
  auto s = EdgeStore::open(dir / "e.db", "131016", "counter-01");
  REQUIRE(s.ok());
  auto ops = s->outbox_from(11, 20, 1 << 20);
  REQUIRE(ops.ok());
  REQUIRE(ops->size() == 20);
  CHECK(ops->front().seq == 11);
  CHECK(ops->back().seq == 30);
  CHECK(ops->front().op_id == "131016.counter-01:11");
}

TEST_CASE("A missing or corrupt sync counter is an error, never 0 (issue 10)", "[edge][store]") {
  TempDir dir;
  {
    auto s = EdgeStore::open(dir / "e.db", "131016", "counter-01");
    REQUIRE(s.ok());
    CHECK(s->last_seq() == 0);  // present from the start, at 0
    REQUIRE(s->write("card", "X", OpKind::upsert, "{}", 0).ok());
  }
  auto edit = [&](const char* sql) {
    auto db = madoguchi::sqlite::Db::open(dir / "e.db");
    REQUIRE(db.ok());
    REQUIRE(db->exec(sql).ok());
  };
  edit("UPDATE meta SET v = '1x' WHERE k = 'last_seq'");
  auto corrupt = EdgeStore::open(dir / "e.db", "131016", "counter-01");
  REQUIRE_FALSE(corrupt.ok());
  CHECK(corrupt.error().message.find("last_seq") != std::string::npos);
  edit("DELETE FROM meta WHERE k = 'acked_upto'");
  edit("UPDATE meta SET v = '1' WHERE k = 'last_seq'");
  auto missing = EdgeStore::open(dir / "e.db", "131016", "counter-01");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("acked_upto") != std::string::npos);
}

TEST_CASE("An edge database of a newer release is refused and left as it was (issue 10)", "[edge][store]") {
  TempDir dir;
  {
    auto s = EdgeStore::open(dir / "e.db", "131016", "counter-01");
    REQUIRE(s.ok());
  }
  {
    auto db = madoguchi::sqlite::Db::open(dir / "e.db");
    REQUIRE(db.ok());
    REQUIRE(db->exec("PRAGMA user_version = 99").ok());
  }
  auto s = EdgeStore::open(dir / "e.db", "131016", "counter-01");
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == Errc::unsupported_version);
}
