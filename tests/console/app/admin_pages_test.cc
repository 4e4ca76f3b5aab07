// 操作ログ for administrators and システム設定 at the hub console (ConsoleOptions::manage_staff),
// through http::dispatch with the in-memory store (console_fixture.h).
#include <catch2/catch.hpp>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>

#include "console_fixture.h"
#include "internal.h"
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
                                       {"require_upper", "1"}, {"require_lower", "1"}, {"require_digit", "1"},
                                       {"booking_days_ahead", "60"}, {"reminder_days_before", "1"},
                                       {"receipt_number_rule", "%7BYYYY%7D%7BMM%7D%7BDD%7D-%7BSEQ4%7D"}, {"mail_from", ""},
                                       {"mail_text_booking_made", ""}, {"mail_text_booking_changed", ""},
                                       {"mail_text_booking_cancelled", ""}, {"mail_text_booking_reminder", ""}};
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
  domain::Role auditor{"auditor", "監査", {Menu::home, Menu::oplog}};
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

// ---- 予約 and メール settings (MST-7, RSV-13, RSV-14) ----

namespace {

// The page from the mail preview's heading on (the form above it holds the texts as typed).
std::string preview_part(const std::string& body) {
  const auto at = body.find("id=\"preview-heading\"");
  return at == std::string::npos ? std::string() : body.substr(at);
}

std::size_t count_of(const std::string& s, const std::string& part) {
  std::size_t n = 0;
  for (auto at = s.find(part); at != std::string::npos; at = s.find(part, at + part.size())) ++n;
  return n;
}

std::string repeated(const std::string& unit, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += unit;
  return out;
}

}  // namespace

TEST_CASE("The settings form shows the booking and mail settings, today's first receipt number and the made mail's preview", "[admin_pages]") {
  Admin a;
  auto form = a.b.send("GET", "/settings");
  REQUIRE(form.status == 200);
  CHECK(contains(form.body, "<legend>予約</legend>"));
  CHECK(contains(form.body, "<legend>メール</legend>"));
  CHECK(contains(form.body, "name=\"booking_days_ahead\" value=\"60\""));
  CHECK(contains(form.body, "name=\"reminder_days_before\" value=\"1\""));
  CHECK(contains(form.body, "name=\"mail_from\" value=\"\""));
  for (const char* kind : {"booking_made", "booking_changed", "booking_cancelled", "booking_reminder"}) {
    CHECK(contains(form.body, "<textarea id=\"mail_text_" + std::string(kind) + "\""));
  }
  for (const char* p : {"{municipality}", "{service}", "{receipt}", "{password}", "{date}", "{time}", "{counter}",
                        "{people}", "{url}", "{YYYY}", "{YY}", "{MM}", "{DD}", "{SEQn}"}) {
    CHECK(contains(form.body, p));
  }
  // The ManualClock's wall time is 2023-11-15 07:13 JST: the default rule's first number that day.
  CHECK(contains(form.body, "今日の最初の受付番号は「20231115-0001」"));
  const std::string preview = preview_part(form.body);
  REQUIRE(!preview.empty());
  CHECK(contains(preview, "来庁予約を受け付けました（受付番号 20231115-0001）"));
  CHECK(contains(preview, "2023年11月22日（水） 9:30"));
  CHECK(contains(preview, "第1窓口"));
  CHECK(contains(preview, "2名"));
}

TEST_CASE("Each booking and mail setting is saved, texts with CRLF become LF and an emptied text falls back to the built-in one", "[admin_pages]") {
  Admin a;
  auto r = a.post("/settings",
                  settings_form("&booking_days_ahead=90&receipt_number_rule=A-%7BYY%7D%7BMM%7D-%7BSEQ5%7D"
                                "&reminder_days_before=0&mail_from=+yoyaku%40city.example.jp+"
                                "&mail_text_booking_made=%7Breceipt%7D%0D%0A%7Bpassword%7D%0D%0A"
                                "&mail_text_booking_reminder=%E6%98%8E%E6%97%A5%E3%81%A7%E3%81%99%0D%0A"));
  REQUIRE(r.status == 200);
  CHECK(contains(r.body, "システム設定を保存しました。"));
  REQUIRE(a.w.store.settings_saves == 1);
  const Settings& s = a.w.store.stored_settings;
  CHECK(s.booking_days_ahead == 90);
  CHECK(s.receipt_number_rule == "A-{YY}{MM}-{SEQ5}");
  CHECK(s.reminder_days_before == 0);
  CHECK(s.mail_from == "yoyaku@city.example.jp");
  REQUIRE(s.mail_texts.count("booking_made") == 1);
  CHECK(s.mail_texts.at("booking_made") == "{receipt}\n{password}\n");
  CHECK(s.mail_texts.at("booking_reminder") == "明日です\n");
  CHECK(s.mail_texts.count("booking_changed") == 0);
  CHECK(s.mail_texts.count("booking_cancelled") == 0);
  // Shown again as saved, the example following the new rule, the preview with the new text.
  CHECK(contains(r.body, "name=\"booking_days_ahead\" value=\"90\""));
  CHECK(contains(r.body, "今日の最初の受付番号は「A-2311-00001」"));
  CHECK(contains(preview_part(r.body), "A-2311-00001\n7KQ3M9TX2P\n"));
  bool found = false;
  for (const auto& e : a.w.store.log) {
    if (e.action != "settings.update") continue;
    found = true;
    for (const char* f : {"booking_days_ahead", "receipt_number_rule", "reminder_days_before", "mail_from",
                          "mail_texts.booking_made", "mail_texts.booking_reminder"}) {
      CHECK(contains(e.detail, f));
    }
    CHECK(!contains(e.detail, "mail_texts.booking_changed"));
    CHECK(!contains(e.detail, "yoyaku"));  // field names only
  }
  CHECK(found);

  // Emptying a text (spaces and line breaks only) removes it: the built-in text applies again.
  auto cleared = a.post("/settings", settings_form("&booking_days_ahead=90&receipt_number_rule=A-%7BYY%7D%7BMM%7D-%7BSEQ5%7D"
                                                   "&reminder_days_before=0&mail_from=yoyaku%40city.example.jp"
                                                   "&mail_text_booking_made=+%0D%0A+"
                                                   "&mail_text_booking_reminder=%E6%98%8E%E6%97%A5%E3%81%A7%E3%81%99%0D%0A"));
  REQUIRE(cleared.status == 200);
  CHECK(a.w.store.settings_saves == 2);
  CHECK(a.w.store.stored_settings.mail_texts.count("booking_made") == 0);
  CHECK(a.w.store.stored_settings.mail_texts.count("booking_reminder") == 1);
  CHECK(contains(preview_part(cleared.body), "パスワード：7KQ3M9TX2P"));  // the built-in text
  // Nothing changed: nothing written, nothing logged.
  auto same = a.post("/settings", settings_form("&booking_days_ahead=90&receipt_number_rule=A-%7BYY%7D%7BMM%7D-%7BSEQ5%7D"
                                                "&reminder_days_before=0&mail_from=yoyaku%40city.example.jp"
                                                "&mail_text_booking_reminder=%E6%98%8E%E6%97%A5%E3%81%A7%E3%81%99%0D%0A"));
  REQUIRE(same.status == 200);
  CHECK(a.w.store.settings_saves == 2);
}

TEST_CASE("Each booking and mail setting the domain refuses gets its Japanese message next to it and nothing is saved", "[admin_pages]") {
  Admin a;
  struct Case {
    std::string overrides;
    std::string field;
    std::string message;
  };
  const std::string too_long = repeated("%E3%81%82", kMaxMailTextChars + 1);  // あ × 2001
  const std::vector<Case> cases{
      {"&booking_days_ahead=0", "booking_days_ahead", "予約を受け付ける日数は1から365までの整数で入力してください。"},
      {"&booking_days_ahead=366", "booking_days_ahead", "予約を受け付ける日数は1から365までの整数で入力してください。"},
      {"&booking_days_ahead=x", "booking_days_ahead", "予約を受け付ける日数は1から365までの整数で入力してください。"},
      {"&reminder_days_before=31", "reminder_days_before", "リマインドメールを送る日は0から30までの整数で入力してください。"},
      {"&reminder_days_before=", "reminder_days_before", "リマインドメールを送る日は0から30までの整数で入力してください。"},
      {"&receipt_number_rule=%7BYYYY%7D%7BMM%7D", "receipt_number_rule", "連番の{SEQ3}〜{SEQ8}をちょうど1つ入れてください。"},
      {"&receipt_number_rule=%7BHH%7D%7BSEQ4%7D", "receipt_number_rule", "使える記号は{YYYY}{YY}{MM}{DD}{SEQ3}〜{SEQ8}だけです。"},
      {"&receipt_number_rule=%E5%8F%97%7BSEQ4%7D", "receipt_number_rule", "記号の外に使える文字は半角英数字と「-」「_」だけです。"},
      {"&receipt_number_rule=", "receipt_number_rule", "受付番号の形式が正しくありません。"},
      {"&mail_from=yoyaku", "mail_from", "送信元メールアドレスは「yoyaku@city.example.jp」のような半角のメールアドレスを1つ入力してください。"},
      {"&mail_from=a%40b.jp%2Cc%40d.jp", "mail_from", "送信元メールアドレスは「yoyaku@city.example.jp」のような半角のメールアドレスを1つ入力してください。"},
      {"&mail_text_booking_changed=" + too_long, "mail_text_booking_changed", "メールの文面は2000文字以内で入力してください。"},
      {"&mail_text_booking_cancelled=a%01b", "mail_text_booking_cancelled", "メールの文面に使えない文字（制御文字）が含まれています。"},
  };
  for (const Case& c : cases) {
    INFO(c.overrides.substr(0, 80));
    auto r = a.post("/settings", settings_form(c.overrides));
    REQUIRE(r.status == 422);
    CHECK(contains(r.body, "id=\"" + c.field + "-error\""));
    CHECK(contains(r.body, c.message));
    CHECK(contains(r.body, "href=\"#" + c.field + "\""));  // the error summary links to the field
    CHECK(preview_part(r.body).empty());
  }
  CHECK(a.w.store.settings_saves == 0);
  CHECK(!a.w.store.logged("settings.update", "admin01"));

  // Several refusals at once: every field says its own, and what was typed is kept.
  auto r = a.post("/settings", settings_form("&receipt_number_rule=%7BYYYY%7D&mail_from=nobody"
                                             "&mail_text_booking_made=a%01b&booking_days_ahead=0"));
  REQUIRE(r.status == 422);
  for (const char* f : {"receipt_number_rule", "mail_from", "mail_text_booking_made", "booking_days_ahead"}) {
    CHECK(contains(r.body, "id=\"" + std::string(f) + "-error\""));
  }
  CHECK(contains(r.body, "name=\"mail_from\" value=\"nobody\""));
  CHECK(contains(r.body, "name=\"receipt_number_rule\" value=\"{YYYY}\""));
  CHECK(contains(r.body, ">\na\x01" "b</textarea>"));
  CHECK(a.w.store.settings_saves == 0);
}

TEST_CASE("The mail preview fills every placeholder, saves nothing, and shows the password in the made mail only", "[admin_pages]") {
  Admin a;
  // Every placeholder in the made text; {password} in the changed and reminder texts too.
  const std::string all = "%7Bmunicipality%7D%7C%7Bservice%7D%7C%7Breceipt%7D%7C%7Bpassword%7D%7C%7Bdate%7D%7C%7Btime%7D%7C"
                          "%7Bcounter%7D%7C%7Bpeople%7D%7C%7Burl%7D%7C%7Bother%7D";
  auto r = a.post("/settings", settings_form("&preview=1&municipality_name=%E3%82%B5%E3%83%B3%E3%83%97%E3%83%AB%E5%B8%82"
                                             "&mail_text_booking_made=" + all +
                                             "&mail_text_booking_changed=PW%3A%7Bpassword%7D%3AEND"
                                             "&mail_text_booking_reminder=R%3A%7Bpassword%7D%3AEND"));
  REQUIRE(r.status == 200);
  CHECK(a.w.store.settings_saves == 0);
  CHECK(!a.w.store.logged("settings.update", "admin01"));
  CHECK(!contains(r.body, "システム設定を保存しました。"));
  const std::string preview = preview_part(r.body);
  REQUIRE(!preview.empty());
  CHECK(contains(preview, "まだ保存していません"));
  CHECK(contains(preview, "サンプル市|窓口|20231115-0001|7KQ3M9TX2P|2023年11月22日（水）|9:30|第1窓口|2名|"
                          "https:&#x2F;&#x2F;（予約サイトのアドレス）&#x2F;|{other}"));  // mstch escapes "/"
  CHECK(contains(preview, "【サンプル市】来庁予約を受け付けました（受付番号 20231115-0001）"));
  // The password is in the made mail only: the other kinds' {password} is empty.
  CHECK(count_of(preview, "7KQ3M9TX2P") == 1);
  CHECK(contains(preview, "PW::END"));
  CHECK(contains(preview, "R::END"));
  // The form keeps what was typed.
  CHECK(contains(r.body, "name=\"municipality_name\" value=\"サンプル市\""));
  CHECK(contains(r.body, ">\nPW:{password}:END</textarea>"));
  // A refused field: no preview, the error instead.
  auto bad = a.post("/settings", settings_form("&preview=1&mail_from=x"));
  REQUIRE(bad.status == 422);
  CHECK(preview_part(bad.body).empty());
  CHECK(a.w.store.settings_saves == 0);
}

// ---- Operation log labels (SYS-3) ----

namespace {

// The string literals inside the first argument of every call `log(...)` or `shell.log(...)` in
// `code` (not `oplog(`, `Shell::log(`, `x.log(`), skipping comment lines: the action ids logged
// directly, also through `cond ? "a" : "b"`.
std::set<std::string> logged_ids(const std::string& code) {
  std::set<std::string> ids;
  std::size_t at = 0;
  while ((at = code.find("log(", at)) != std::string::npos) {
    const std::size_t call = at;
    at += 4;
    // The page modules' log() and the shell's (shell.log, shell_.log) write the operation log.
    const bool shell_log = (call >= 6 && code.compare(call - 6, 6, "shell.") == 0) ||
                           (call >= 7 && code.compare(call - 7, 7, "shell_.") == 0);
    if (call > 0 && !shell_log) {
      const char before = code[call - 1];
      if (std::isalnum(static_cast<unsigned char>(before)) || before == '_' || before == ':' || before == '.' ||
          before == '>') {
        continue;
      }
    }
    const std::size_t line_start = code.rfind('\n', call) + 1;  // npos + 1 == 0
    const std::size_t first = code.find_first_not_of(" \t", line_start);
    if (code.compare(first, 2, "//") == 0) continue;
    int depth = 0;
    for (std::size_t i = at; i < code.size(); ++i) {
      const char ch = code[i];
      if (ch == '"') {
        const std::size_t end = code.find('"', i + 1);
        if (end == std::string::npos) break;
        const std::string lit = code.substr(i + 1, end - i - 1);
        if (!lit.empty() && lit.find_first_not_of("abcdefghijklmnopqrstuvwxyz_.") == std::string::npos) ids.insert(lit);
        i = end;
      } else if (ch == '(' || ch == '[' || ch == '{') {
        ++depth;
      } else if (ch == ')' || ch == ']' || ch == '}') {
        if (depth-- == 0) break;
      } else if (ch == ',' && depth == 0) {
        break;
      }
    }
  }
  return ids;
}

}  // namespace

TEST_CASE("Every action id the console logs has a Japanese label for the operation log", "[admin_pages][oplog_labels]") {
  const std::filesystem::path src = MADOGUCHI_CONSOLE_APP_SRC;
  REQUIRE(std::filesystem::is_directory(src));
  std::string all_code;
  std::set<std::string> ids;
  for (const auto& entry : std::filesystem::directory_iterator(src)) {
    if (entry.path().extension() != ".cc") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    REQUIRE(in);
    const std::string code{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    for (const std::string& id : logged_ids(code)) ids.insert(id);
    all_code += code;
  }
  // The scan works: ids of every kind of call are found (direct, ternary, several files).
  for (const char* id : {"sign_in", "sign_out.idle", "settings.update", "staff.add", "card.export", "card.ledger_import",
                         "card.renewal_import"}) {
    INFO(id);
    CHECK(ids.count(id) == 1);
  }
  CHECK(ids.size() >= 25);
  // Ids the code logs through a variable or a helper's parameter (card_pages.cc save(),
  // role_pages.cc `action`), which the scan cannot follow; each must still be in the code.
  for (const char* id : {"card.add", "card.update", "card.progress", "card.progress_clear", "card.booking",
                         "card.booking_cancel", "role.add", "role.update"}) {
    INFO(id);
    CHECK(contains(all_code, "\"" + std::string(id) + "\""));
    ids.insert(id);
  }
  for (const std::string& id : ids) {
    INFO("action id without a label in action_label(): " << id);
    const std::string label = app::action_label(id);
    CHECK(!label.empty());
    CHECK(label != id);
  }
  CHECK(app::action_label("no.such_action") == "no.such_action");
}
