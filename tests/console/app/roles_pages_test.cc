// 権限管理 at the hub console (ACC-2, SEC-2, SYS-3): the role list, the edit and add forms, menus
// taking effect on a signed-in person's next request, the lock-out rule, CSRF, the first save
// storing the built-ins, deleting and the operation log; through http::dispatch with the in-memory
// store (console_fixture.h).
#include <catch2/catch.hpp>
#include <string>

#include "card_fixture.h"
#include "console_fixture.h"

using namespace madoguchi::testing::console_app;

namespace {

const domain::Role* stored(const MemoryStore& s, const std::string& id) { return find_role(s.stored_roles, id); }

bool logged_with(const MemoryStore& s, std::string_view action, std::string_view target, std::string_view detail_part) {
  for (const auto& e : s.log) {
    if (e.action == action && e.target == target && e.detail.find(detail_part) != std::string::npos) return true;
  }
  return false;
}

// The counter_clerk role's form, with `menus` checked.
std::string clerk_form(const std::string& menus, const std::string& name = "窓口職員") {
  std::string f = "role_id=counter_clerk&name=" + name;
  std::size_t start = 0;
  while (start < menus.size()) {
    const auto comma = menus.find(',', start);
    f += "&menus=" + menus.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return f;
}

const std::string kEveryMenu =
    "home,cards,bookings,phone_bookings,masters,notices,staff,roles,settings,oplog,kiosk_log,kiosk_stats,linkage,sync,alarms";

}  // namespace

TEST_CASE("The role list shows the built-in roles with their menus and users while none is stored", "[roles_pages]") {
  AdminSession a;
  auto r = a.b.send("GET", "/roles");
  REQUIRE(r.status == 200);
  CHECK(contains(r.body, "aria-current=\"page\">権限管理</a>"));
  CHECK(contains(r.body, "<td><a href=\"/roles/edit?id=counter_clerk\">counter_clerk</a></td><td>窓口職員</td>"
                         "<td>ホーム、交付管理、予約管理、電話予約</td><td>1人</td>"));
  CHECK(contains(r.body, "<td>コールセンター</td><td>ホーム、電話予約</td><td>0人</td>"));
  CHECK(contains(r.body, "権限一覧（3件）"));
  CHECK(contains(r.body, "標準の権限"));  // the built-ins are in use
  CHECK(contains(r.body, "href=\"/roles/new\""));
}

TEST_CASE("The edit form has a labelled checkbox per menu in a fieldset, the current ones checked", "[roles_pages]") {
  AdminSession a;
  auto r = a.b.send("GET", "/roles/edit?id=counter_clerk");
  REQUIRE(r.status == 200);
  CHECK(contains(r.body, "<fieldset class=\"choices\" id=\"menus\""));
  CHECK(contains(r.body, "<legend>使えるメニュー</legend>"));
  for (Menu m : all_menus()) {
    const std::string id = "menu_" + std::string(menu_id(m));
    INFO(id);
    CHECK(contains(r.body, "id=\"" + id + "\" name=\"menus\" value=\"" + std::string(menu_id(m)) + "\""));
    CHECK(contains(r.body, "<label for=\"" + id + "\">" + std::string(menu_label(m))));
  }
  CHECK(contains(r.body, "value=\"cards\" checked>"));
  CHECK(contains(r.body, "value=\"staff\">"));  // not checked
  CHECK(contains(r.body, "name=\"name\" value=\"窓口職員\""));
  CHECK(contains(r.body, "name=\"csrf_token\" value=\"" + a.token + "\""));
  CHECK(contains(r.body, "1人の職員が使っているため削除できません"));
  CHECK_FALSE(contains(r.body, "action=\"/roles/delete\""));
  CHECK(a.b.send("GET", "/roles/edit?id=nobody").status == 404);
}

TEST_CASE("The first save stores every built-in role too, and is logged without personal data", "[roles_pages]") {
  AdminSession a;
  REQUIRE(a.w.store.stored_roles.empty());
  auto r = a.post("/roles/edit", clerk_form("home,cards,bookings", "窓口担当"));
  REQUIRE(r.status == 303);
  CHECK(a.b.location(r) == "/roles?done=updated");
  REQUIRE(a.w.store.stored_roles.size() == 3);
  // The administrator's role is written first (a failure midway must not lock everyone out).
  CHECK(a.w.store.stored_roles.front().id == "administrator");
  CHECK(stored(a.w.store, "administrator")->menus.size() == all_menus().size());
  CHECK(stored(a.w.store, "call_center")->menus == std::set<Menu>{Menu::home, Menu::phone_bookings});
  const domain::Role* clerk = stored(a.w.store, "counter_clerk");
  REQUIRE(clerk);
  CHECK(clerk->name == "窓口担当");
  CHECK(clerk->menus == std::set<Menu>{Menu::home, Menu::cards, Menu::bookings});
  CHECK(logged_with(a.w.store, "role.update", "role/counter_clerk", "name, menus -phone_bookings; built-in roles stored"));
  for (const auto& e : a.w.store.log) CHECK_FALSE(contains(e.detail, "窓口"));

  // The next save writes only the role changed.
  const int saves = a.w.store.role_saves;
  REQUIRE(a.post("/roles/edit", clerk_form("home,cards")).status == 303);
  CHECK(a.w.store.role_saves == saves + 1);
  CHECK(logged_with(a.w.store, "role.update", "role/counter_clerk", "name, menus -bookings"));
  auto list = a.b.send("GET", "/roles?done=updated");
  CHECK(contains(list.body, "権限を変更しました"));
  CHECK(contains(list.body, "<td>窓口職員</td><td>ホーム、交付管理</td>"));
  CHECK_FALSE(contains(list.body, "標準の権限（"));
}

TEST_CASE("A removed menu is refused with 403 on the signed-in clerk's next request, an added one served", "[roles_pages]") {
  AdminSession a;
  MemoryCards cards;
  a.w.app.attach_cards(cards, {});
  Browser clerk(a.w.app, "127.0.0.2");
  REQUIRE(clerk.sign_in("clerk01", kClerkPw).status == 303);
  REQUIRE(clerk.send("GET", "/cards").status == 200);
  CHECK(clerk.send("GET", "/oplog").status == 403);
  CHECK(contains(clerk.send("GET", "/").body, ">交付管理</a>"));

  REQUIRE(a.post("/roles/edit", clerk_form("home,bookings,phone_bookings,oplog")).status == 303);

  CHECK(clerk.send("GET", "/cards").status == 403);  // same session, no new sign-in
  CHECK(a.w.store.logged("menu.forbidden", "clerk01"));
  CHECK(clerk.send("GET", "/oplog").status == 200);
  auto home = clerk.send("GET", "/");
  CHECK_FALSE(contains(home.body, ">交付管理</a>"));
  CHECK(contains(home.body, ">操作ログ</a>"));
}

TEST_CASE("A change that would leave no enabled account with 職員管理 and 権限管理 is refused and saves nothing", "[roles_pages]") {
  AdminSession a;
  auto admin_form = [](const std::string& menus) {
    std::string f = "role_id=administrator&name=管理者";
    for (const char* m : {"home", "oplog"}) f += std::string("&menus=") + m;
    if (!menus.empty()) f += "&menus=" + menus;
    return f;
  };
  for (const std::string keep : {"", "staff", "roles"}) {
    INFO(keep);
    auto r = a.post("/roles/edit", admin_form(keep));
    CHECK(r.status == 422);
    CHECK(contains(r.body, "職員管理と権限管理の両方を使える有効な職員がいなくなるため、保存できません"));
    CHECK(contains(r.body, "<a href=\"#menus\">"));  // the error summary links to the checkbox group
    CHECK(contains(r.body, "aria-describedby=\"menus-hint menus-error\""));
  }
  CHECK(a.w.store.stored_roles.empty());
  CHECK(a.w.store.role_saves == 0);
  CHECK(a.b.send("GET", "/roles").status == 200);  // still in

  // Allowed once another enabled account keeps both menus through another role, but not while
  // that account is disabled.
  REQUIRE(a.post("/roles/new", "role_id=super&name=総括管理者&menus=staff&menus=roles").status == 303);
  a.w.store.accounts["admin02"] = account("admin02", "管理 次郎", "super", kAdminPw);
  a.w.store.accounts["admin02"].enabled = false;
  CHECK(a.post("/roles/edit", admin_form("roles")).status == 422);
  CHECK(allowed(*stored(a.w.store, "administrator"), Menu::staff));
  a.w.store.accounts["admin02"].enabled = true;
  CHECK(a.post("/roles/edit", admin_form("")).status == 303);
  CHECK_FALSE(allowed(*stored(a.w.store, "administrator"), Menu::roles));
  // The administrator has lost the screen with the very next request.
  CHECK(a.b.send("GET", "/roles").status == 403);
}

TEST_CASE("Adding a role validates ID, name and menus in Japanese, then stores it with the built-ins", "[roles_pages]") {
  AdminSession a;
  auto form = a.b.send("GET", "/roles/new");
  REQUIRE(form.status == 200);
  CHECK(contains(form.body, "<label for=\"role_id\">権限ID</label>"));
  CHECK(contains(form.body, "action=\"/roles/new\""));

  auto bad = a.post("/roles/new", "role_id=Bad%20Id&name=&menus=home&menus=nonexistent");
  CHECK(bad.status == 422);
  CHECK(contains(bad.body, "権限IDは半角の英小文字・数字"));
  CHECK(contains(bad.body, "名前を入力してください。"));
  CHECK(contains(bad.body, "メニューの指定が正しくありません"));
  CHECK(contains(bad.body, "aria-invalid=\"true\""));
  CHECK(contains(a.post("/roles/new", "role_id=counter_clerk&name=x").body, "この権限IDはすでに使われています"));
  CHECK(contains(a.post("/roles/new", "role_id=other&name=窓口職員").body, "この名前はほかの権限で使われています"));
  CHECK(contains(a.post("/roles/new", "role_id=other&name=" + std::string(33, 'a')).body, "名前は32文字以内"));
  CHECK(contains(a.post("/roles/new", "role_id=other&name=a%0Ab").body, "名前は32文字以内"));
  CHECK(a.w.store.role_saves == 0);

  auto ok = a.post("/roles/new", "role_id=reception&name=受付&menus=home&menus=bookings");
  REQUIRE(ok.status == 303);
  CHECK(a.b.location(ok) == "/roles?done=added");
  CHECK(a.w.store.stored_roles.size() == 4);
  REQUIRE(stored(a.w.store, "reception"));
  CHECK(stored(a.w.store, "reception")->menus == std::set<Menu>{Menu::home, Menu::bookings});
  CHECK(logged_with(a.w.store, "role.add", "role/reception", "menus home,bookings; built-in roles stored"));
  // The staff form offers the new role.
  CHECK(contains(a.b.send("GET", "/staff/new").body, "<option value=\"reception\">受付</option>"));
}

TEST_CASE("A role no account uses can be deleted, one in use cannot", "[roles_pages]") {
  AdminSession a;
  auto form = a.b.send("GET", "/roles/edit?id=call_center");
  REQUIRE(form.status == 200);
  CHECK(contains(form.body, "action=\"/roles/delete\""));
  auto in_use = a.post("/roles/delete", "role_id=counter_clerk");
  CHECK(in_use.status == 409);
  CHECK(contains(in_use.body, "この権限は1人の職員が使っているため削除できません"));
  CHECK(a.w.store.role_saves == 0);

  // Nothing stored yet: deleting stores the other built-ins.
  auto r = a.post("/roles/delete", "role_id=call_center");
  REQUIRE(r.status == 303);
  CHECK(a.b.location(r) == "/roles?done=removed");
  CHECK(a.w.store.stored_roles.size() == 2);
  CHECK_FALSE(stored(a.w.store, "call_center"));
  CHECK(logged_with(a.w.store, "role.remove", "role/call_center", "built-in roles stored"));
  CHECK(a.b.send("GET", "/roles/edit?id=call_center").status == 404);

  // Stored: deleting removes the record.
  REQUIRE(a.post("/roles/new", "role_id=temp&name=一時&menus=home").status == 303);
  REQUIRE(a.post("/roles/delete", "role_id=temp").status == 303);
  CHECK_FALSE(stored(a.w.store, "temp"));
  CHECK(a.w.store.stored_roles.size() == 2);
  CHECK(a.post("/roles/delete", "role_id=temp").status == 404);
}

TEST_CASE("Role changes without the session's CSRF token are refused and change nothing", "[roles_pages]") {
  AdminSession a;
  CHECK(a.b.send("POST", "/roles/edit", clerk_form("home")).status == 403);
  CHECK(a.b.send("POST", "/roles/edit", clerk_form("home") + "&csrf_token=wrong").status == 403);
  CHECK(a.b.send("POST", "/roles/new", "role_id=x&name=x&menus=home").status == 403);
  CHECK(a.b.send("POST", "/roles/delete", "role_id=call_center&csrf_token=").status == 403);
  CHECK(a.w.store.role_saves == 0);
  CHECK(a.w.store.stored_roles.empty());
}

TEST_CASE("The roles screens are refused with 403 and logged for a role without 権限管理", "[roles_pages]") {
  World w(true);
  // A role with 職員管理 but not 権限管理 is refused too: the roles menu alone decides.
  w.store.stored_roles = default_roles();
  w.store.stored_roles.push_back(domain::Role{"staff_only", "職員担当", {Menu::home, Menu::staff}});
  w.store.accounts["hr01"] = account("hr01", "人事 三郎", "staff_only", kAdminPw);
  for (const auto& [id, pw] : {std::pair{"clerk01", kClerkPw}, std::pair{"hr01", kAdminPw}}) {
    INFO(id);
    Browser b(w.app, std::string("127.0.0.") + (id[0] == 'c' ? "3" : "4"));
    REQUIRE(b.sign_in(id, pw).status == 303);
    const std::string token = b.csrf();
    CHECK(b.send("GET", "/roles").status == 403);
    CHECK(b.send("GET", "/roles/edit?id=counter_clerk").status == 403);
    CHECK(b.send("GET", "/roles/new").status == 403);
    CHECK(b.send("POST", "/roles/edit", clerk_form(kEveryMenu) + "&csrf_token=" + token).status == 403);
    CHECK(b.send("POST", "/roles/delete", "role_id=call_center&csrf_token=" + token).status == 403);
    CHECK(w.store.logged("menu.forbidden", id));
    CHECK_FALSE(contains(b.send("GET", "/").body, ">権限管理</a>"));
  }
  CHECK(w.store.role_saves == 0);
  CHECK(stored(w.store, "counter_clerk")->menus.size() == 4);

  Browser anon(w.app);
  auto r = anon.send("GET", "/roles/edit?id=counter_clerk");
  CHECK(r.status == 303);
  CHECK(anon.location(r) == "/sign-in");
}

TEST_CASE("A storage failure while storing the built-ins keeps the administrator's role and is reported", "[roles_pages]") {
  AdminSession a;
  a.w.store.role_writes_left = 1;  // the first write succeeds, the next fails
  auto r = a.post("/roles/edit", clerk_form("home"));
  CHECK(r.status == 503);
  CHECK(contains(r.body, "保存できなかった権限があります"));
  REQUIRE(a.w.store.stored_roles.size() == 1);
  CHECK(a.w.store.stored_roles.front().id == "administrator");  // the administrator still gets in
  CHECK(logged_with(a.w.store, "role.update", "role/counter_clerk", "failed after 1 of 3 writes"));
  a.w.store.role_writes_left = -1;
  CHECK(a.b.send("GET", "/roles").status == 200);
}

TEST_CASE("Saving a role unchanged writes nothing once roles are stored", "[roles_pages]") {
  AdminSession a;
  a.w.store.stored_roles = default_roles();
  REQUIRE(a.post("/roles/edit", clerk_form("home,cards,bookings,phone_bookings")).status == 303);
  CHECK(a.w.store.role_saves == 0);
  CHECK_FALSE(a.w.store.logged("role.update", "admin01"));
}

TEST_CASE("booking_override is granted on the role form like a menu but is no screen (PHN-5)", "[roles_pages][PHN-5]") {
  AdminSession a;
  auto form = a.b.send("GET", "/roles/edit?id=counter_clerk");
  REQUIRE(form.status == 200);
  CHECK(contains(form.body, "value=\"booking_override\">"));  // offered, not checked for the clerk
  CHECK(contains(form.body, "締切後・定員超過の予約（電話予約で使う権限）</label>"));
  REQUIRE(a.post("/roles/edit", clerk_form("home,cards,bookings,phone_bookings,booking_override")).status == 303);
  const domain::Role* clerk = stored(a.w.store, "counter_clerk");
  REQUIRE(clerk);
  CHECK(allowed(*clerk, Menu::booking_override));
  CHECK(logged_with(a.w.store, "role.update", "role/counter_clerk", "menus +booking_override"));
  auto list = a.b.send("GET", "/roles");
  CHECK(contains(list.body, "<td>ホーム、交付管理、予約管理、電話予約、締切後・定員超過の予約</td>"));
  // The administrator holds it, yet it is not in the navigation and has no page.
  CHECK(allowed(*stored(a.w.store, "administrator"), Menu::booking_override));
  CHECK_FALSE(contains(list.body, "href=\"/booking_override\""));
  CHECK(a.b.send("GET", "/booking_override").status == 404);
}
