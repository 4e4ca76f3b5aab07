#include "madoguchi/edge/console_store.h"

#include <catch2/catch.hpp>

#include "madoguchi/domain/oplog.h"
#include "madoguchi/domain/password.h"
#include "madoguchi/domain/record_body.h"
#include "temp_dir.h"

using namespace madoguchi;
using namespace madoguchi::console;
using namespace madoguchi::domain;

TEST_CASE("The edge's operation log continues its hash chain after the agent restarts", "[edge][console]") {
  testing::TempDir dir;
  ManualClock clock;
  {
    auto store = edge::EdgeStore::open(dir.path() / "edge.db", "131016", "counter-01");
    REQUIRE(store.ok());
    edge::EdgeConsoleStore cs(*store, clock, {});
    REQUIRE(cs.append_oplog("sign_in", "clerk01", "staff/clerk01", "", clock.wall_ms()).ok());
    REQUIRE(cs.append_oplog("sign_out", "clerk01", "", "", clock.wall_ms()).ok());
  }
  auto store = edge::EdgeStore::open(dir.path() / "edge.db", "131016", "counter-01");
  REQUIRE(store.ok());
  edge::EdgeConsoleStore cs(*store, clock, {});
  REQUIRE(cs.append_oplog("sign_in", "admin01", "staff/admin01", "", clock.wall_ms()).ok());
  std::vector<domain::OpLogEntry> chain;
  auto records = store->list("oplog", 100, 0);
  REQUIRE(records.ok());
  for (const auto& r : *records) chain.push_back(*domain::oplog_from_json(*domain::parse_body(r.body)));
  REQUIRE(chain.size() == 3);
  CHECK(chain.back().seq == 3);
  CHECK(domain::verify_chain(chain).intact);
  CHECK(store->stats()->outbox_depth == 3);  // on their way to the hub
  auto mine = cs.recent_oplog("clerk01", 10);
  REQUIRE(mine.ok());
  CHECK(mine->size() == 2);
}

TEST_CASE("A staff record whose body names another id is no account at the edge", "[edge][console]") {
  testing::TempDir dir;
  ManualClock clock;
  auto store = edge::EdgeStore::open(dir.path() / "edge.db", "131016", "counter-01");
  REQUIRE(store.ok());
  edge::EdgeConsoleStore cs(*store, clock, {});
  domain::StaffAccount a;
  a.id = "admin01";
  a.name = "管理 太郎";
  a.role_id = "administrator";
  a.password_hash = *domain::hash_password("Admin-Pass-2026", true);
  REQUIRE(cs.save_staff(a).ok());
  CHECK(cs.staff("admin01")->has_value());
  REQUIRE(store->write("staff", "mallory", protocol::OpKind::upsert, domain::dump_body(domain::staff_to_json(a)), 0).ok());
  CHECK(!cs.staff("mallory")->has_value());
  CHECK(cs.settings()->session_idle == std::chrono::minutes(15));  // defaults while none stored
}
