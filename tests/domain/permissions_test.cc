#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "madoguchi/domain/permissions.h"

namespace c = madoguchi::domain;
using c::Menu;
using madoguchi::Errc;

TEST_CASE("Every menu has a stable id and a Japanese label, and its id maps back to it (ACC-2)",
          "[console][permissions]") {
  std::set<std::string> ids;
  for (Menu m : c::all_menus()) {
    INFO(c::menu_id(m));
    CHECK_FALSE(c::menu_label(m).empty());
    CHECK(ids.insert(std::string(c::menu_id(m))).second);
    REQUIRE(c::menu_from_id(c::menu_id(m)).has_value());
    CHECK(*c::menu_from_id(c::menu_id(m)) == m);
  }
  CHECK(ids.size() == 17);
  // The ids are stored in role records: they must never change.
  CHECK(c::menu_id(Menu::phone_bookings) == "phone_bookings");
  CHECK(c::menu_id(Menu::kiosk_log) == "kiosk_log");
  CHECK(c::menu_label(Menu::cards) == "交付管理");
  CHECK(c::menu_label(Menu::bookings) == "予約管理");
  CHECK(c::menu_label(Menu::phone_bookings) == "電話予約");
  CHECK(c::menu_label(Menu::masters) == "マスタ管理");
  CHECK(c::menu_label(Menu::notices) == "お知らせ");
  CHECK(c::menu_label(Menu::staff) == "職員管理");
  CHECK(c::menu_label(Menu::roles) == "権限管理");
  CHECK(c::menu_label(Menu::settings) == "システム設定");
  CHECK(c::menu_label(Menu::oplog) == "操作ログ");
  CHECK_FALSE(c::menu_from_id("Cards").has_value());
  CHECK_FALSE(c::menu_from_id("").has_value());
}

TEST_CASE("The built-in administrator has every menu, the counter clerk and the call center only theirs (ACC-2)",
          "[console][permissions]") {
  auto roles = c::default_roles();
  REQUIRE(roles.size() == 3);
  const c::Role* admin = c::find_role(roles, "administrator");
  const c::Role* clerk = c::find_role(roles, "counter_clerk");
  const c::Role* call = c::find_role(roles, "call_center");
  REQUIRE(admin);
  REQUIRE(clerk);
  REQUIRE(call);
  CHECK(admin->name == "管理者");
  CHECK(clerk->name == "窓口職員");
  CHECK(call->name == "コールセンター");
  for (Menu m : c::all_menus()) CHECK(c::allowed(*admin, m));
  CHECK(clerk->menus == std::set<Menu>{Menu::home, Menu::cards, Menu::bookings, Menu::phone_bookings});
  CHECK(call->menus == std::set<Menu>{Menu::home, Menu::phone_bookings});
  for (const auto& r : roles) CHECK(c::validate_role(r).ok());
}

TEST_CASE("Only the role's menus are allowed and shown, in display order (SEC-2)", "[console][permissions]") {
  c::Role r{"desk", "受付", {Menu::oplog, Menu::home, Menu::cards}};
  CHECK(c::allowed(r, Menu::cards));
  CHECK_FALSE(c::allowed(r, Menu::staff));
  CHECK_FALSE(c::allowed(r, Menu::settings));
  CHECK(c::visible_menus(r) == std::vector<Menu>{Menu::home, Menu::cards, Menu::oplog});
  c::Role none{"none", "なし", {}};
  CHECK(c::visible_menus(none).empty());
  for (Menu m : c::all_menus()) CHECK_FALSE(c::allowed(none, m));
}

TEST_CASE("Stored roles replace the built-in ones, and while none is stored the built-in ones apply",
          "[console][permissions]") {
  CHECK(c::effective_roles({}).size() == 3);
  auto stored = c::effective_roles({c::Role{"only", "唯一", {Menu::home}}});
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].id == "only");
  CHECK(c::find_role(stored, "administrator") == nullptr);
}

TEST_CASE("A role round-trips through its record body, and unknown menu ids grant nothing",
          "[console][permissions]") {
  c::Role r{"counter_clerk", "窓口職員", {Menu::bookings, Menu::home}};
  CHECK(c::role_key(r) == "counter_clerk");
  auto j = c::role_to_json(r);
  CHECK(j.dump() == R"({"id":"counter_clerk","menus":["home","bookings"],"name":"窓口職員"})");
  auto back = c::role_from_json(j);
  REQUIRE(back.ok());
  CHECK(back->id == r.id);
  CHECK(back->name == r.name);
  CHECK(back->menus == r.menus);

  j["menus"].push_back("everything_of_a_newer_version");
  auto newer = c::role_from_json(j);
  REQUIRE(newer.ok());
  CHECK(newer->menus == r.menus);
}

TEST_CASE("Role bodies and fields are checked with messages naming the field", "[console][permissions]") {
  auto bad_id = c::validate_role(c::Role{"Admin!", "管理者", {}});
  REQUIRE_FALSE(bad_id.ok());
  CHECK(bad_id.error().code == Errc::invalid_argument);
  CHECK(bad_id.error().message.rfind("id: ", 0) == 0);
  auto bad_name = c::validate_role(c::Role{"x", "", {}});
  REQUIRE_FALSE(bad_name.ok());
  CHECK(bad_name.error().message.rfind("name: ", 0) == 0);

  auto not_object = c::role_from_json(nlohmann::json::array());
  REQUIRE_FALSE(not_object.ok());
  CHECK(not_object.error().code == Errc::malformed);
  auto no_menus = c::role_from_json(nlohmann::json{{"id", "x"}, {"name", "エックス"}});
  REQUIRE_FALSE(no_menus.ok());
  CHECK(no_menus.error().code == Errc::malformed);
  auto menu_number = c::role_from_json(nlohmann::json{{"id", "x"}, {"name", "エックス"}, {"menus", nlohmann::json::array({1})}});
  REQUIRE_FALSE(menu_number.ok());
  CHECK(menu_number.error().code == Errc::malformed);
}

TEST_CASE("booking_override is a permission, not a screen: granted in roles, never in the navigation (PHN-5)",
          "[console][permissions][PHN-5]") {
  CHECK(c::menu_id(Menu::booking_override) == "booking_override");
  CHECK(c::menu_label(Menu::booking_override) == "締切後・定員超過の予約");
  CHECK(c::all_menus()[c::all_menus().size() - 2] == Menu::booking_override);  // added at the end: ids are stored
  for (Menu m : c::all_menus()) CHECK(c::is_permission(m) == (m == Menu::booking_override || m == Menu::kiosk_flag));

  c::Role r{"desk", "受付", {Menu::phone_bookings, Menu::booking_override, Menu::home}};
  CHECK(c::allowed(r, Menu::booking_override));
  CHECK(c::visible_menus(r) == std::vector<Menu>{Menu::home, Menu::phone_bookings});
  // The record keeps it.
  const auto j = c::role_to_json(r);
  CHECK(j["menus"] == nlohmann::json::array({"home", "phone_bookings", "booking_override"}));
  auto back = c::role_from_json(j);
  REQUIRE(back.ok());
  CHECK(back->menus == r.menus);
  // Only the administrator has it among the built-in roles.
  for (const auto& role : c::default_roles()) {
    CHECK(c::allowed(role, Menu::booking_override) == (role.id == c::kAdministratorRoleId));
  }
}

TEST_CASE("kiosk_flag is a permission within コンビニ交付記録: granted in roles, never in the navigation (KON-7)",
          "[console][permissions][KON-7]") {
  CHECK(c::menu_id(Menu::kiosk_flag) == "kiosk_flag");
  CHECK(c::menu_label(Menu::kiosk_flag) == "コンビニ交付の停止・解除");
  CHECK(c::all_menus().back() == Menu::kiosk_flag);  // the newest entry, last
  CHECK(c::is_permission(Menu::kiosk_flag));
  c::Role r{"konbini", "コンビニ交付担当", {Menu::kiosk_log, Menu::kiosk_flag}};
  CHECK(c::visible_menus(r) == std::vector<Menu>{Menu::kiosk_log});
  auto back = c::role_from_json(c::role_to_json(r));
  REQUIRE(back.ok());
  CHECK(back->menus == r.menus);
  for (const auto& role : c::default_roles()) {
    CHECK(c::allowed(role, Menu::kiosk_flag) == (role.id == c::kAdministratorRoleId));
  }
}
