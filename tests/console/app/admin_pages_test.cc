// 操作ログ for administrators and システム設定 at the hub console (ConsoleOptions::manage_staff),
// through http::dispatch with the in-memory store (console_fixture.h).
#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "console_fixture.h"
#include "madoguchi/text/csv.h"
#include "madoguchi/text/encoding.h"

using namespace console_test;

namespace {


std::string header_value(const http::Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return {};
}

// 2026-04-01 00:00 JST as wall ms.
constexpr std::int64_t kApril1Jst = 1'774'969'200'000;
constexpr std::int64_t kHour = 3'600'000;

struct Admin : AdminSession {
  // Appends an entry to another device's chain, as replicated to the hub.
  void add(const std::string& device, const std::string& who, const std::string& action, std::int64_t at_ms,
           const std::string& detail = "") {
    const OpLogEntry* last = nullptr;
    for (const auto& e : w.store.log) {
      if (e.device == device) last = &e;
    }
    w.store.log.push_back(make_entry(last, device, who, at_ms, action, "staff/" + who, detail));
  }
};

// The settings form as the browser posts it: the defaults, with `overrides` ("&k=v..." pairs)
// replacing fields of the same name.
std::string settings_form(const std::string& overrides) {
  std::map<std::string, std::string> f{{"service_name", "%E7%AA%93%E5%8F%A3"}, {"municipality_name", ""}, {"logo_path", ""},
                                       {"session_idle_minutes", "15"}, {"min_length", "12"}, {"lockout_threshold", "5"},
                                       {"lockout_minutes", "15"}, {"max_age_days", "0"}, {"history", "0"},
                                       {"require_upper", "1"}, {"require_lower", "1"}, {"require_digit", "1"}};
  std::string extra;
  std::size_t pos = 0;
  while (pos < overrides.size()) {
    const std::size_t next = overrides.find('&', pos + 1);
    const std::string pair = overrides.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1);
    const std::size_t eq = pair.find('=');
    f[pair.substr(0, eq)] = pair.substr(eq + 1);
    pos = next == std::string::npos ? overrides.size() : next;
  }
  std::string out;
  for (const auto& [k, v] : f) out += (out.empty() ? "" : "&") + k + "=" + v;
  return out;
}

}  // namespace

TEST_CASE("The whole operation log, its export and verification and the settings are refused with 403 to a clerk", "[admin_pages]") {
  World w(true);
  Browser b(w.app);
  REQUIRE(b.sign_in("clerk01", kClerkPw).status == 303);
  const std::string token = b.csrf();
  CHECK(b.send("GET", "/oplog").status == 403);
  CHECK(b.send("GET", "/oplog/export?encoding=utf8").status == 403);
  CHECK(b.send("GET", "/oplog/verify").status == 403);
  CHECK(b.send("GET", "/settings").status == 403);
  CHECK(b.send("POST", "/settings", settings_form("&csrf_token=" + token)).status == 403);
  CHECK(w.store.settings_saves == 0);
  CHECK(w.store.logged("menu.forbidden", "clerk01"));
}

TEST_CASE("A role with the oplog menu but without staff management sees only its own entries and no export", "[admin_pages]") {
  World w(true);
  Role auditor{"auditor", "監査", {Menu::home, Menu::oplog}};
  w.store.stored_roles = default_roles();
  w.store.stored_roles.push_back(auditor);
  w.store.accounts["aud01"] = account("aud01", "監査 次郎", "auditor", kClerkPw);
  Browser b(w.app);
  REQUIRE(b.sign_in("aud01", kClerkPw).status == 303);
  auto r = b.send("GET", "/oplog");
  REQUIRE(r.status == 200);
  CHECK(contains(r.body, "aud01 の最近の操作です"));
  CHECK(b.send("GET", "/oplog/export?encoding=utf8").status == 403);
  CHECK(b.send("GET", "/oplog/verify").status == 403);
}

TEST_CASE("An administrator's oplog lists every device's entries newest first and filters them", "[admin_pages]") {
  Admin a;
  a.w.store.log.clear();
  a.add("counter-02", "clerk01", "sign_in", kApril1Jst + 1 * kHour);
  a.add("counter-03", "clerk02", "sign_in", kApril1Jst + 2 * kHour);
  a.add("counter-02", "clerk01", "sign_out", kApril1Jst + 26 * kHour);  // 2 April
  auto r = a.b.send("GET", "/oplog");
  REQUIRE(r.status == 200);
  const auto p1 = r.body.find("2026-04-02 02:00:00"), p2 = r.body.find("2026-04-01 02:00:00"), p3 = r.body.find("2026-04-01 01:00:00");
  REQUIRE(p1 != std::string::npos);
  REQUIRE(p2 != std::string::npos);
  REQUIRE(p3 != std::string::npos);
  CHECK(p1 < p2);
  CHECK(p2 < p3);
  CHECK(contains(r.body, "counter-03"));

  auto by_staff = a.b.send("GET", "/oplog?staff_id=clerk02");
  CHECK(contains(by_staff.body, "counter-03"));
  CHECK(!contains(by_staff.body, "<td>counter-02</td>"));
  auto by_device = a.b.send("GET", "/oplog?device=counter-02&action=sign_out");
  CHECK(contains(by_device.body, "2026-04-02 02:00:00"));
  CHECK(!contains(by_device.body, "2026-04-01 01:00:00"));
  auto by_day = a.b.send("GET", "/oplog?from=2026-04-01&to=2026-04-01");
  CHECK(contains(by_day.body, "2026-04-01 01:00:00"));
  CHECK(!contains(by_day.body, "2026-04-02 02:00:00"));
  CHECK(contains(by_day.body, "value=\"2026-04-01\""));

  auto bad = a.b.send("GET", "/oplog?from=2026-02-30");
  CHECK(bad.status == 422);
  CHECK(contains(bad.body, "id=\"from-error\""));
  CHECK(contains(bad.body, "正しい日付"));
}

TEST_CASE("An administrator's oplog is paginated with a next link that keeps the filters", "[admin_pages]") {
  Admin a;
  a.w.store.log.clear();
  for (int i = 0; i < 150; ++i) a.add("counter-02", "clerk01", "sign_in", kApril1Jst + i * 1000);
  auto r = a.b.send("GET", "/oplog?staff_id=clerk01");
  REQUIRE(r.status == 200);
  CHECK(contains(r.body, "href=\"&#x2F;oplog?staff_id=clerk01&amp;device=&amp;action=&amp;from=&amp;to=&amp;page=2\">次へ</a>"));
  CHECK(contains(r.body, "2026-04-01 00:02:29"));  // the newest
  CHECK(!contains(r.body, "2026-04-01 00:00:49"));  // the 101st newest
  auto p2 = a.b.send("GET", "/oplog?staff_id=clerk01&page=2");
  REQUIRE(p2.status == 200);
  CHECK(contains(p2.body, "2026-04-01 00:00:49"));
  CHECK(contains(p2.body, "2026-04-01 00:00:00"));
  CHECK(!contains(p2.body, "次へ"));
  CHECK(a.b.send("GET", "/oplog?page=0").status == 400);
  CHECK(a.b.send("GET", "/oplog?page=x").status == 400);
}

TEST_CASE("The oplog export writes the filtered entries as formula-safe UTF-8 with BOM or CP932", "[admin_pages]") {
  Admin a;
  a.w.store.log.clear();
  a.add("counter-02", "clerk01", "staff.update", kApril1Jst, "=HYPERLINK(\"x\")");
  a.add("counter-02", "clerk02", "sign_in", kApril1Jst + 1000);
  auto u = a.b.send("GET", "/oplog/export?staff_id=clerk01&encoding=utf8");
  REQUIRE(u.status == 200);
  CHECK(u.body.rfind("\xEF\xBB\xBF", 0) == 0);
  CHECK(contains(header_value(u, "Content-Disposition"), "attachment; filename=\"oplog.csv\""));
  auto rows = text::parse_csv(u.body);
  REQUIRE(rows);
  REQUIRE(rows->size() == 2);
  CHECK((*rows)[1][1] == "clerk01");
  CHECK((*rows)[1][2] == "職員の変更");
  CHECK((*rows)[1][5] == "'=HYPERLINK(\"x\")");
  auto s = a.b.send("GET", "/oplog/export?encoding=cp932");
  REQUIRE(s.status == 200);
  CHECK(contains(s.content_type, "Shift_JIS"));
  auto decoded = text::read_csv_bytes(s.body, text::Encoding::cp932);
  REQUIRE(decoded);
  CHECK(decoded->size() == 4);  // the two, the first export's log entry, the header
  CHECK((*decoded)[0][0] == "日時");
  CHECK(a.b.send("GET", "/oplog/export?encoding=latin1").status == 400);
  CHECK(a.w.store.logged("oplog.export", "admin01"));
}

TEST_CASE("The oplog verification reports every device's chain and finds a tampered entry", "[admin_pages]") {
  Admin a;
  for (int i = 0; i < 5; ++i) a.add("counter-02", "clerk01", "sign_in", kApril1Jst + i);
  auto ok = a.b.send("GET", "/oplog/verify");
  REQUIRE(ok.status == 200);
  CHECK(contains(ok.body, "<tr><td>counter-02</td><td>5件</td><td>正常</td></tr>"));
  CHECK(contains(ok.body, "<td>counter-01</td>"));  // the console's own chain
  // Someone rewrites the third entry's detail in the database.
  for (auto& e : a.w.store.log) {
    if (e.device == "counter-02" && e.seq == 3) e.detail = "changed";
  }
  auto bad = a.b.send("GET", "/oplog/verify");
  REQUIRE(bad.status == 200);
  CHECK(contains(bad.body, "異常</strong>：番号 3 で"));
  CHECK(a.w.store.logged("oplog.verify", "admin01"));
}

TEST_CASE("The settings form shows Japanese messages next to invalid fields and saves nothing", "[admin_pages]") {
  Admin a;
  auto form = a.b.send("GET", "/settings");
  REQUIRE(form.status == 200);
  CHECK(contains(form.body, "name=\"min_length\" value=\"12\""));
  auto r = a.post("/settings", settings_form("&min_length=7&session_idle_minutes=abc&logo_path=https://evil.example/x.png"));
  REQUIRE(r.status == 422);
  CHECK(contains(r.body, "id=\"min_length-error\""));
  CHECK(contains(r.body, "パスワードの最小文字数は8から64までの整数で入力してください。"));
  CHECK(contains(r.body, "id=\"session_idle_minutes-error\""));
  CHECK(contains(r.body, "value=\"abc\""));
  CHECK(a.w.store.settings_saves == 0);
  auto logo = a.post("/settings", settings_form("&logo_path=https://evil.example/x.png"));
  REQUIRE(logo.status == 422);
  CHECK(contains(logo.body, "id=\"logo_path-error\""));
  CHECK(a.w.store.settings_saves == 0);
}

TEST_CASE("Saving the settings writes the record and logs the changed field names", "[admin_pages]") {
  Admin a;
  auto r = a.post("/settings", settings_form("&min_length=14&session_idle_minutes=30&require_symbol=1&logo_path=/assets/emblem.png"));
  REQUIRE(r.status == 200);
  CHECK(contains(r.body, "システム設定を保存しました。"));
  CHECK(a.w.store.settings_saves == 1);
  CHECK(a.w.store.stored_settings.password.min_length == 14);
  CHECK(a.w.store.stored_settings.password.require_symbol);
  CHECK(a.w.store.stored_settings.session_idle == std::chrono::minutes(30));
  CHECK(a.w.store.stored_settings.logo_path == "/assets/emblem.png");
  CHECK(a.w.store.stored_settings.service_name == "窓口");
  bool found = false;
  for (const auto& e : a.w.store.log) {
    if (e.action == "settings.update") {
      found = true;
      CHECK(contains(e.detail, "password.min_length"));
      CHECK(contains(e.detail, "session_idle_minutes"));
      CHECK(contains(e.detail, "logo_path"));
      CHECK(!contains(e.detail, "14"));
    }
  }
  CHECK(found);
}
