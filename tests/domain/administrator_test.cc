// The administrator-remains invariant, one definition for every path (ACC-1, ACC-2).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "madoguchi/domain/administrator.h"

namespace d = madoguchi::domain;
using d::Menu;
using madoguchi::Errc;

namespace {
d::StaffAccount account(std::string id, std::string role, bool enabled = true) {
  d::StaffAccount a;
  a.id = std::move(id);
  a.name = "職員";
  a.role_id = std::move(role);
  a.enabled = enabled;
  return a;
}
// Roles: the built-ins plus one with 職員管理 only and one with 権限管理 only.
std::vector<d::Role> roles() {
  auto r = d::default_roles();
  r.push_back({"staff_only", "職員管理のみ", {Menu::home, Menu::staff}});
  r.push_back({"roles_only", "権限管理のみ", {Menu::home, Menu::roles}});
  return r;
}
}  // namespace

TEST_CASE("An administrator is an enabled account whose role grants both staff and roles management",
          "[domain][administrator]") {
  const auto rs = roles();
  CHECK(d::is_administrator(account("a", "administrator"), rs));
  CHECK_FALSE(d::is_administrator(account("a", "administrator", false), rs));
  CHECK_FALSE(d::is_administrator(account("a", "staff_only"), rs));
  CHECK_FALSE(d::is_administrator(account("a", "roles_only"), rs));
  CHECK_FALSE(d::is_administrator(account("a", "no_such_role"), rs));
  CHECK(d::administrator_remains({account("a", "counter_clerk"), account("b", "administrator")}, rs));
  CHECK_FALSE(d::administrator_remains({account("a", "staff_only"), account("b", "roles_only")}, rs));
}

TEST_CASE("A change that leaves nobody with both staff and roles management is refused (ACC-2)",
          "[domain][administrator]") {
  const auto rs = roles();
  const std::vector<d::StaffAccount> before{account("admin01", "administrator"), account("clerk01", "counter_clerk")};
  // Demoted to a role that keeps 職員管理 but not 権限管理: refused (the old staff edit allowed it).
  auto demoted = d::with_account(before, account("admin01", "staff_only"));
  auto st = d::check_administrator_remains(before, rs, demoted, rs);
  REQUIRE_FALSE(st);
  CHECK(st.error().code == Errc::forbidden);
  CHECK_FALSE(d::check_administrator_remains(before, rs, d::with_account(before, account("admin01", "administrator", false)), rs));
  // A role edit that takes 権限管理 from the administrator role.
  auto edited = rs;
  edited[0].menus.erase(Menu::roles);
  REQUIRE(edited[0].id == "administrator");
  CHECK_FALSE(d::check_administrator_remains(before, rs, before, edited));
  // Handing over first is fine.
  auto handed = d::with_account(before, account("clerk01", "administrator"));
  CHECK(d::check_administrator_remains(before, rs, d::with_account(handed, account("admin01", "staff_only")), rs));
  // Nobody administers before: a change that still leaves nobody is not refused (it may be the repair).
  const std::vector<d::StaffAccount> broken{account("x", "staff_only")};
  CHECK(d::check_administrator_remains(broken, rs, d::with_account(broken, account("x", "roles_only")), rs));
  // with_account appends an account it does not know.
  CHECK(d::with_account(before, account("new01", "call_center")).size() == 3);
}
