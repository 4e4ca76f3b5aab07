// 職員管理 at the hub console (ConsoleOptions::manage_staff): list, add, edit, disable, password
// reset and CSV export, through http::dispatch with the in-memory store (console_fixture.h).
#include <catch2/catch.hpp>
#include <string>

#include "console_fixture.h"
#include "madoguchi/console/web/csrf.h"
#include "madoguchi/text/csv.h"
#include "madoguchi/text/encoding.h"

using namespace madoguchi::testing::console_app;

namespace {

std::string header_value(const http::Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return {};
}


using Admin = AdminSession;

}  // namespace

TEST_CASE("The staff list shows every account's ID, name, role name and state to an administrator", "[staff_pages]") {
  Admin a;
  a.w.store.accounts["clerk01"].enabled = false;
  auto r = a.b.send("GET", "/staff");
  REQUIRE(r.status == 200);
  CHECK(contains(r.body, "<td><a href=\"/staff/edit?id=clerk01\">clerk01</a></td><td>窓口 花子</td><td>窓口職員</td><td>無効</td>"));
  CHECK(contains(r.body, "<td>管理 太郎</td><td>管理者</td><td>有効</td>"));
  CHECK(contains(r.body, "aria-current=\"page\">職員管理</a>"));
  CHECK(contains(r.body, "/staff/export?encoding=cp932"));
}

TEST_CASE("Staff screens are refused with 403 and logged for a role without the staff menu", "[staff_pages]") {
  World w(true);
  Browser b(w.app);
  REQUIRE(b.sign_in("clerk01", kClerkPw).status == 303);
  const std::string token = b.csrf();
  CHECK(b.send("GET", "/staff").status == 403);
  CHECK(b.send("GET", "/staff/export?encoding=utf8").status == 403);
  CHECK(b.send("GET", "/staff/edit?id=admin01").status == 403);
  const int saves = w.store.saves;
  CHECK(b.send("POST", "/staff/edit", "staff_id=admin01&name=x&role_id=counter_clerk&csrf_token=" + token).status == 403);
  CHECK(w.store.saves == saves);
  CHECK(w.store.accounts["admin01"].role_id == "administrator");
  CHECK(w.store.logged("menu.forbidden", "clerk01"));
}

TEST_CASE("Signed-out visitors to staff screens are sent to sign in", "[staff_pages]") {
  World w(true);
  Browser b(w.app);
  auto r = b.send("GET", "/staff/new");
  CHECK(r.status == 303);
  CHECK(b.location(r) == "/sign-in");
}

TEST_CASE("At the edge console the staff menu points to the hub console instead", "[staff_pages]") {
  World w(false);
  Browser b(w.app);
  REQUIRE(b.sign_in("admin01", kAdminPw).status == 303);
  auto r = b.send("GET", "/staff");
  CHECK(r.status == 200);
  CHECK(contains(r.body, "本庁の管理コンソール"));
  CHECK(b.send("GET", "/staff/new").status == 404);
}

TEST_CASE("An administrator adds a clerk who must change the initial password at first sign-in", "[staff_pages]") {
  Admin a;
  auto form = a.b.send("GET", "/staff/new");
  REQUIRE(form.status == 200);
  CHECK(contains(form.body, "<label for=\"initial_password\">"));
  auto r = a.post("/staff/new", "staff_id=sato03&name=%E4%BD%90%E8%97%A4&role_id=counter_clerk&initial_password=Hajime-2026xy");
  REQUIRE(r.status == 303);
  CHECK(a.b.location(r) == "/staff?done=added");
  REQUIRE(a.w.store.accounts.count("sato03") == 1);
  const StaffAccount& s = a.w.store.accounts["sato03"];
  CHECK(s.name == "佐藤");
  CHECK(s.role_id == "counter_clerk");
  CHECK(s.enabled);
  CHECK(s.must_change_password);
  CHECK(verify_password(s.password_hash, "Hajime-2026xy"));
  CHECK(a.w.store.logged("staff.add", "admin01"));
  CHECK(contains(a.b.send("GET", "/staff?done=added").body, "職員を追加しました。"));

  Browser clerk(a.w.app, "127.0.0.2");
  auto in = clerk.sign_in("sato03", "Hajime-2026xy");
  CHECK(in.status == 303);
  CHECK(clerk.location(in) == "/password");
}

TEST_CASE("Adding refuses bad input with Japanese messages linked to each field and saves nothing", "[staff_pages]") {
  Admin a;
  const int saves = a.w.store.saves;
  auto r = a.post("/staff/new", "staff_id=-bad&name=&role_id=nosuchrole&initial_password=short");
  REQUIRE(r.status == 422);
  CHECK(contains(r.body, "<a href=\"#staff_id\">職員IDは半角英数字"));
  CHECK(contains(r.body, "<a href=\"#name\">氏名を入力してください。</a>"));
  CHECK(contains(r.body, "<a href=\"#role_id\">権限を一覧から選んでください。</a>"));
  CHECK(contains(r.body, "<a href=\"#initial_password\">"));
  CHECK(contains(r.body, "aria-invalid=\"true\""));
  CHECK(!contains(r.body, "short"));  // the password is never echoed
  auto dup = a.post("/staff/new", "staff_id=clerk01&name=x&role_id=counter_clerk&initial_password=Hajime-2026xy");
  CHECK(dup.status == 422);
  CHECK(contains(dup.body, "この職員IDはすでに使われています。"));
  CHECK(a.w.store.saves == saves);
  CHECK(a.w.store.accounts["clerk01"].name == "窓口 花子");
}

TEST_CASE("Editing changes name and role, keeps the password, and logs the fields changed", "[staff_pages]") {
  Admin a;
  const std::string hash = a.w.store.accounts["clerk01"].password_hash;
  auto form = a.b.send("GET", "/staff/edit?id=clerk01");
  REQUIRE(form.status == 200);
  CHECK(contains(form.body, "<option value=\"counter_clerk\" selected>窓口職員</option>"));
  auto r = a.post("/staff/edit", "staff_id=clerk01&name=%E7%AA%93%E5%8F%A3+%E8%8A%B1&role_id=call_center&enabled=1");
  REQUIRE(r.status == 303);
  const StaffAccount& c = a.w.store.accounts["clerk01"];
  CHECK(c.name == "窓口 花");
  CHECK(c.role_id == "call_center");
  CHECK(c.enabled);
  CHECK(c.password_hash == hash);
  REQUIRE(!a.w.store.log.empty());
  CHECK(a.w.store.log.back().action == "staff.update");
  CHECK(a.w.store.log.back().detail == "name, role counter_clerk -> call_center");
  CHECK(a.b.send("GET", "/staff/edit?id=nobody").status == 404);
}

TEST_CASE("Disabling an account signs its person out and keeps them out", "[staff_pages]") {
  Admin a;
  Browser clerk(a.w.app, "127.0.0.2");
  REQUIRE(clerk.sign_in("clerk01", kClerkPw).status == 303);
  auto r = a.post("/staff/edit", "staff_id=clerk01&name=x&role_id=counter_clerk");  // no "enabled": unchecked
  REQUIRE(r.status == 303);
  CHECK(!a.w.store.accounts["clerk01"].enabled);
  CHECK(a.w.store.log.back().detail == "name, disabled");
  CHECK(clerk.location(clerk.send("GET", "/")) == "/sign-in");
  CHECK(clerk.sign_in("clerk01", kClerkPw).status == 200);  // refused: the form again
}

TEST_CASE("The last administrator cannot disable or demote themselves", "[staff_pages]") {
  Admin a;
  auto r = a.post("/staff/edit", "staff_id=admin01&name=x&role_id=counter_clerk&enabled=1");
  CHECK(r.status == 422);
  CHECK(contains(r.body, "職員管理と権限管理の両方を使える有効な職員がいなくなる"));
  CHECK(a.w.store.accounts["admin01"].role_id == "administrator");
  auto off = a.post("/staff/edit", "staff_id=admin01&name=x&role_id=administrator");  // "enabled" unchecked
  CHECK(off.status == 422);
  CHECK(a.w.store.accounts["admin01"].enabled);
}

TEST_CASE("The last administrator cannot move to a role that keeps 職員管理 but not 権限管理 (ACC-2)",
          "[staff_pages]") {
  Admin a;
  auto roles = domain::default_roles();
  roles.push_back({"staff_only", "職員管理のみ", {domain::Menu::home, domain::Menu::staff}});
  a.w.store.stored_roles = roles;
  auto r = a.post("/staff/edit", "staff_id=admin01&name=x&role_id=staff_only&enabled=1");
  CHECK(r.status == 422);
  CHECK(contains(r.body, "職員管理と権限管理の両方を使える有効な職員がいなくなる"));
  CHECK(a.w.store.accounts["admin01"].role_id == "administrator");
}

TEST_CASE("A password reset follows the rules and forces a change at the next sign-in", "[staff_pages]") {
  Admin a;
  auto bad = a.post("/staff/password", "staff_id=clerk01&new_password=clerk01abcdefG1");
  CHECK(bad.status == 422);
  CHECK(contains(bad.body, "IDを含めないでください。"));
  auto r = a.post("/staff/password", "staff_id=clerk01&new_password=Reset-Pass-2026");
  REQUIRE(r.status == 303);
  const StaffAccount& c = a.w.store.accounts["clerk01"];
  CHECK(c.must_change_password);
  CHECK(verify_password(c.password_hash, "Reset-Pass-2026"));
  CHECK(a.w.store.logged("staff.password_reset", "admin01"));
}

TEST_CASE("Staff changes without the session's CSRF token are refused and change nothing", "[staff_pages]") {
  Admin a;
  const int saves = a.w.store.saves;
  CHECK(a.b.send("POST", "/staff/new", "staff_id=x1&name=x&role_id=counter_clerk&initial_password=Hajime-2026xy").status == 403);
  CHECK(a.b.send("POST", "/staff/edit", "staff_id=clerk01&name=x&role_id=counter_clerk&csrf_token=wrong").status == 403);
  CHECK(a.b.send("POST", "/staff/password", "staff_id=clerk01&new_password=Reset-Pass-2026").status == 403);
  CHECK(a.w.store.saves == saves);
  CHECK(a.w.store.accounts.count("x1") == 0);
}

TEST_CASE("The staff CSV export is UTF-8 with a BOM or CP932, as an attachment, without passwords", "[staff_pages]") {
  Admin a;
  a.w.store.accounts["evil"] = account("evil", "=HYPERLINK(\"x\")", "counter_clerk", kClerkPw);
  auto u = a.b.send("GET", "/staff/export?encoding=utf8");
  REQUIRE(u.status == 200);
  CHECK(u.content_type == "text/csv; charset=utf-8");
  CHECK(header_value(u, "Content-Disposition") == "attachment; filename=\"staff.csv\"");
  CHECK(u.body.rfind("\xEF\xBB\xBF", 0) == 0);
  CHECK(!contains(u.body, "argon2"));
  CHECK(contains(u.body, "\"'=HYPERLINK(\"\"x\"\")\""));  // formula-safe
  auto rows = text::parse_csv(u.body);
  REQUIRE(rows);
  CHECK((*rows)[0][0] == "職員ID");
  CHECK(rows->size() == 4);

  auto s = a.b.send("GET", "/staff/export?encoding=cp932");
  REQUIRE(s.status == 200);
  CHECK(s.content_type == "text/csv; charset=Shift_JIS");
  CHECK(s.body.rfind("\xEF\xBB\xBF", 0) != 0);
  auto decoded = text::cp932_to_utf8(s.body);
  REQUIRE(decoded);
  CHECK(contains(*decoded, "窓口 花子"));
  CHECK(a.w.store.logged("staff.export", "admin01"));
  CHECK(a.b.send("GET", "/staff/export?encoding=latin1").status == 400);
}
