// HubConsoleStore: the staff console's records in one municipality's hub database, written through
// HubEngine::write_local (so published on the feed) with the hub's own oplog chain.
#include <catch2/catch.hpp>

#include "hub_world.h"
#include "madoguchi/domain/oplog.h"
#include "madoguchi/domain/password.h"
#include "madoguchi/hub/console_store.h"
#include "temp_dir.h"

using namespace madoguchi;
using namespace madoguchi::console;
using namespace madoguchi::domain;
using madoguchi::testing::TempDir;

namespace {
domain::StaffAccount clerk(std::string id) {
  domain::StaffAccount a;
  a.id = std::move(id);
  a.name = "窓口 花子";
  a.role_id = "counter_clerk";
  a.password_hash = *domain::hash_password("Clerk-Pass-2026", true);
  return a;
}

using Hub = testing::HubWorld;
}  // namespace

TEST_CASE("Staff saved at the hub console are read back, listed in id order and published on the feed", "[hub][console]") {
  Hub h;
  hub::HubConsoleStore store(h.engine, "131016", "hub-1");
  auto head_before = h.engine.store("131016")->feed_bounds()->head;
  REQUIRE(store.save_staff(clerk("b2")).ok());
  REQUIRE(store.save_staff(clerk("a1")).ok());
  auto changed = clerk("a1");
  changed.name = "変更 後";
  REQUIRE(store.save_staff(changed).ok());  // an update is based on the stored version
  auto one = store.staff("a1");
  REQUIRE(one.ok());
  REQUIRE(one->has_value());
  CHECK((*one)->name == "変更 後");
  auto all = store.all_staff();
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].id == "a1");
  CHECK((*all)[1].id == "b2");
  CHECK(h.engine.store("131016")->feed_bounds()->head == head_before + 3);
  // Another municipality's database is untouched (KON-5).
  hub::HubConsoleStore other(h.engine, "012345", "hub-1");
  CHECK(other.all_staff()->empty());
  REQUIRE(store.remove_staff("b2").ok());
  REQUIRE(store.remove_staff("b2").ok());  // absent: done
  CHECK(store.all_staff()->size() == 1);
  CHECK(!store.staff("b2")->has_value());
}

TEST_CASE("The hub console's log is one intact chain that continues after a restart", "[hub][console]") {
  Hub h;
  {
    hub::HubConsoleStore store(h.engine, "131016", "hub-1");
    REQUIRE(store.append_oplog("sign_in", "admin01", "staff/admin01", "", 1000).ok());
    REQUIRE(store.append_oplog("staff.add", "admin01", "staff/a1", "role counter_clerk", 2000).ok());
  }
  hub::HubConsoleStore again(h.engine, "131016", "hub-1");
  REQUIRE(again.append_oplog("sign_out", "admin01", "", "", 3000).ok());
  auto recent = again.recent_oplog("admin01", 10);
  REQUIRE(recent.ok());
  REQUIRE(recent->size() == 3);
  CHECK((*recent)[0].action == "sign_out");
  CHECK((*recent)[0].seq == 3);
  std::vector<domain::OpLogEntry> chain(recent->rbegin(), recent->rend());
  CHECK(domain::verify_chain(chain).intact);
  CHECK(again.recent_oplog("someone", 10)->empty());
}

TEST_CASE("Settings and roles read at the hub fall back to defaults while none is stored", "[hub][console]") {
  Hub h;
  hub::HubConsoleStore store(h.engine, "131016", "hub-1");
  CHECK(store.settings().ok());
  auto roles = store.roles();
  REQUIRE(roles.ok());
  CHECK(roles->empty());
}

TEST_CASE("Roles saved at the hub console are read back, replaced by id and removed (ACC-2)", "[hub][console]") {
  Hub h;
  hub::HubConsoleStore store(h.engine, "131016", "hub-1");
  for (const domain::Role& r : domain::default_roles()) REQUIRE(store.save_role(r).ok());
  domain::Role clerk = domain::default_roles()[1];
  clerk.name = "窓口担当";
  clerk.menus.erase(domain::Menu::cards);
  REQUIRE(store.save_role(clerk).ok());
  auto roles = store.roles();
  REQUIRE(roles.ok());
  REQUIRE(roles->size() == 3);
  const domain::Role* back = domain::find_role(*roles, "counter_clerk");
  REQUIRE(back);
  CHECK(back->name == "窓口担当");
  CHECK_FALSE(domain::allowed(*back, domain::Menu::cards));
  REQUIRE(store.remove_role("call_center").ok());
  REQUIRE(store.remove_role("call_center").ok());  // absent: done
  roles = store.roles();
  REQUIRE(roles.ok());
  CHECK(roles->size() == 2);
  CHECK_FALSE(domain::find_role(*roles, "call_center"));
  // Invalid input is refused before anything is written.
  CHECK(store.save_role(domain::Role{"Bad Id", "x", {}}).error().code == Errc::invalid_argument);
  CHECK(store.remove_role("").error().code == Errc::invalid_argument);
}

TEST_CASE("The hub's oplog queries are newest first, filtered and bounded, and a chain reads in seq order", "[hub][console]") {
  Hub h;
  hub::HubConsoleStore one(h.engine, "131016", "hub-1");
  hub::HubConsoleStore two(h.engine, "131016", "hub-2");
  for (int i = 1; i <= 30; ++i) REQUIRE(one.append_oplog("sign_in", "admin01", "", "", 1000 * i).ok());
  REQUIRE(two.append_oplog("staff.add", "admin02", "staff/a1", "", 500).ok());
  REQUIRE(two.append_oplog("sign_out", "admin01", "", "", 99000).ok());

  // recent_oplog: newest first and bounded in the query (it used to read the oldest records).
  auto recent = one.recent_oplog("admin01", 3);
  REQUIRE(recent.ok());
  REQUIRE(recent->size() == 3);
  CHECK((*recent)[0].device == "hub-2");
  CHECK((*recent)[1].at_ms == 30000);
  CHECK((*recent)[2].at_ms == 29000);

  app::OpLogFilter f;
  f.device = "hub-1";
  f.from_ms = 5000;
  f.to_ms = 8000;
  auto window = one.find_oplog(f, 1, 10);
  REQUIRE(window.ok());
  REQUIRE(window->size() == 2);  // 7000 skipped by the offset; 6000, 5000
  CHECK((*window)[0].at_ms == 6000);
  CHECK((*window)[1].at_ms == 5000);
  app::OpLogFilter by_action;
  by_action.action = "staff.add";
  by_action.staff_id = "admin02";
  auto added = one.find_oplog(by_action, 0, 10);
  REQUIRE(added.ok());
  REQUIRE(added->size() == 1);
  CHECK(added->front().device == "hub-2");

  auto devices = one.oplog_devices(10);
  REQUIRE(devices.ok());
  CHECK(*devices == std::vector<std::string>{"hub-1", "hub-2"});
  auto first = one.oplog_chain("hub-1", 0, 20);
  REQUIRE(first.ok());
  REQUIRE(first->size() == 20);
  CHECK(domain::verify_chain(*first).intact);
  auto rest = one.oplog_chain("hub-1", 20, 20);
  REQUIRE(rest.ok());
  REQUIRE(rest->size() == 10);
  CHECK(rest->front().seq == 21);
  CHECK(domain::verify_chain(*rest, domain::ChainAnchor{first->back().seq, first->back().hash}).intact);
}

TEST_CASE("Settings saved at the hub console are read back", "[hub][console]") {
  Hub h;
  hub::HubConsoleStore store(h.engine, "131016", "hub-1");
  domain::Settings s;
  s.password.min_length = 16;
  s.municipality_name = "千代田区";
  REQUIRE(store.save_settings(s).ok());
  auto back = store.settings();
  REQUIRE(back.ok());
  CHECK(back->password.min_length == 16);
  CHECK(back->municipality_name == "千代田区");
}
