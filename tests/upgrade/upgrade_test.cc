// Databases written by the release before versioned schemas (fixtures made by
// tests/upgrade/make-fixtures, see its header) open with this build: upgraded after a backup copy,
// every row kept, and the devices sync on (issue 10). Runs the hub and the edges in one process
// over the fake bus (tests/support/sync_world.h); a real-broker run of the same binaries is in
// tests/integration.
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "madoguchi/hub/hub_mail.h"
#include "madoguchi/mail/transport.h"
#include "madoguchi/sqlite/sqlite.h"
#include "sync_world.h"

namespace fs = std::filesystem;
using madoguchi::protocol::OpKind;
using madoguchi::testing::SyncWorld;

namespace {

const fs::path kFixtures = fs::path(MADOGUCHI_UPGRADE_FIXTURES) / "93879b9";

// Every row of every table, each row's columns joined (the bytes as SQLite gives them as text).
using Tables = std::map<std::string, std::multiset<std::string>>;

Tables read_tables(const fs::path& db_path) {
  auto db = madoguchi::sqlite::Db::open(db_path, {.read_only = true});
  REQUIRE(db.ok());
  std::set<std::string> names;
  {
    auto st = db->prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
    REQUIRE(st.ok());
    while (st->step().value()) names.insert(st->column_text(0));
  }
  Tables out;
  for (const auto& name : names) {
    auto cols = db->prepare("SELECT count(*) FROM pragma_table_info('" + name + "')");
    REQUIRE(cols.ok());
    REQUIRE(cols->step().value());
    const int n = static_cast<int>(cols->column_int(0));
    auto st = db->prepare("SELECT * FROM \"" + name + "\"");
    REQUIRE(st.ok());
    auto& rows = out[name];
    while (st->step().value()) {
      std::string row;
      for (int i = 0; i < n; ++i) row += (st->column_is_null(i) ? std::string("\\N") : st->column_text(i)) + '\x1f';
      rows.insert(row);
    }
  }
  return out;
}

int user_version(const fs::path& db_path) {
  auto db = madoguchi::sqlite::Db::open(db_path, {.read_only = true});
  REQUIRE(db.ok());
  auto st = db->prepare("PRAGMA user_version");
  REQUIRE(st.ok());
  REQUIRE(st->step().value());
  return static_cast<int>(st->column_int(0));
}

// Every row the old database had is in the new one (meta's schema_version excepted: it follows
// the version, so that the old release refuses the upgraded file). A column added since is at the
// end of a row: the old row is a prefix of the new one.
void check_kept(const Tables& before, const Tables& after, const std::string& what) {
  for (const auto& [table, rows] : before) {
    INFO(what << ": table " << table);
    REQUIRE(after.count(table) == 1);
    for (const auto& row : rows) {
      if (table == "meta" && row.rfind("schema_version\x1f", 0) == 0) continue;
      INFO("row " << row);
      const auto& now = after.at(table);
      auto it = now.lower_bound(row);
      CHECK((it != now.end() && it->compare(0, row.size(), row) == 0));
    }
  }
}

struct NoMail : madoguchi::mail::MailTransport {
  madoguchi::mail::SendResult send(const madoguchi::mail::Envelope&, std::string_view) override { return {}; }
};

}  // namespace

TEST_CASE("Databases of release 93879b9 are upgraded with every row kept, and sync on (issue 10)", "[upgrade]") {
  REQUIRE(fs::exists(kFixtures / "hub" / "131016.db"));
  const Tables hub_before = read_tables(kFixtures / "hub" / "131016.db");
  const Tables counter_before = read_tables(kFixtures / "131016.counter-01.db");
  const Tables linkage_before = read_tables(kFixtures / "131016.linkage.db");
  const Tables mail_before = read_tables(kFixtures / "hub" / "131016.mail.db");
  REQUIRE(counter_before.at("outbox").size() == 2);  // written while the hub was away

  SyncWorld w({}, [](const fs::path& dir) {
    fs::create_directories(dir / "hub");
    for (const char* f : {"hub/131016.db", "hub/131016.mail.db", "131016.counter-01.db", "131016.linkage.db"}) {
      fs::copy_file(kFixtures / f, dir / f);
    }
  });
  auto& counter = w.add_edge("131016", "counter-01");
  auto& linkage = w.add_edge("131016", "linkage");

  // The hub's database goes to 3 (2: the certificate database's lookups for convenience-store
  // issuance, issue 13: indexes only; 3: the card search index of 交付管理 at the hub, issue 14,
  // filled from the cards stored), its rows untouched.
  CHECK(w.hub->store("131016")->migration().from == 1);
  CHECK(w.hub->store("131016")->migration().to == 3);
  CHECK(user_version(w.dir / "hub/131016.db") == 3);
  CHECK(w.hub->store("131016")->card_index_count().value() == w.hub->store("131016")->record_count("card").value());
  // The edges go to the current version (2: the tables the modules made on the side, places
  // counted in C++; 3: the linkage inbox's streams; 4: the outbox knows what the view keeps)
  // after a backup copy.
  for (auto* e : {&counter, &linkage}) {
    const auto& m = e->store->migration();
    CHECK(m.from == 1);
    CHECK(m.to == 4);
    REQUIRE(m.backup.has_value());
    CHECK(read_tables(*m.backup) == read_tables(kFixtures / (e->store->municipality() + "." + e->store->device() + ".db")));
  }
  check_kept(hub_before, read_tables(w.dir / "hub/131016.db"), "hub");
  check_kept(counter_before, read_tables(w.dir / "131016.counter-01.db"), "counter");
  const Tables linkage_after = read_tables(w.dir / "131016.linkage.db");
  check_kept(linkage_before, linkage_after, "linkage");
  CHECK(linkage_after.count("booking_index") == 1);  // created for the first time on the linkage server
  CHECK(counter.store->last_seq() == 6);
  CHECK(counter.store->acked_upto() == 4);

  // The mail database: the outbox as it was, now at version 3 (held booking passwords, issue 11).
  {
    madoguchi::hub::HubMailSender sender({w.dir / "hub/131016.mail.db"}, std::make_unique<NoMail>(), w.clock,
                                         madoguchi::null_log());
    REQUIRE(sender.start().ok());
    sender.stop();
  }
  CHECK(user_version(w.dir / "hub/131016.mail.db") == 3);
  check_kept(mail_before, read_tables(w.dir / "hub/131016.mail.db"), "mail");

  // Sync on: the two operations left in the counter's outbox reach the hub exactly once, and new
  // writes on both sides reach every device.
  REQUIRE(w.settle());
  CHECK(counter.store->acked_upto() == 6);
  auto hub_memo = [&](const std::string& key) {
    auto r = w.hub->store("131016")->get("memo", key);
    REQUIRE(r.ok());
    return *r ? (*r)->body : std::string("(absent)");
  };
  CHECK(hub_memo("0001") == R"({"n":1,"status":"交付済"})");
  CHECK(hub_memo("0004") == R"({"n":4,"status":"受付"})");
  REQUIRE(counter.store->write("memo", "0005", OpKind::upsert, R"({"n":5})", 0).ok());
  REQUIRE(w.hub->write_local("131016", "memo", "0006", OpKind::upsert, R"({"n":6})", 0).ok());
  REQUIRE(w.settle());
  CHECK(w.edge_records("131016.counter-01") == w.hub_records("131016"));
  CHECK(w.edge_records("131016.linkage") == w.hub_records("131016"));
  CHECK(hub_memo("0005") == R"({"n":5})");
}
