// コンビニ交付記録 at the hub console (KON-6, OPS-2; issue 13) over in-memory records: the period's
// requests with their outcome and the rules' labels, one request's data as it printed, the CSV,
// the operation log of who looked, and no access for a role without the menu.
#include <catch2/catch.hpp>

#include "console_fixture.h"
#include "madoguchi/console/app/excel_writers.h"
#include "madoguchi/console/app/konbini_records.h"
#include "temp_dir.h"

using namespace madoguchi::testing::console_app;
using namespace madoguchi;

namespace {
struct MemoryRecords final : console::app::KonbiniRecords {
  std::vector<console::app::KonbiniRecord> rows;  // newest first
  Expected<console::app::KonbiniRecordPage> list(std::int64_t from_ms, std::int64_t to_ms, const std::string& before, std::size_t max) override {
    console::app::KonbiniRecordPage page;
    bool after = before.empty();
    for (const auto& r : rows) {
      if (!after) {
        after = r.request == before;
        continue;
      }
      if (r.at_ms < from_ms || r.at_ms >= to_ms) continue;
      if (page.records.size() == max) {
        page.next = page.records.back().request;
        break;
      }
      page.records.push_back(r);
    }
    return page;
  }
  Expected<std::vector<console::app::KonbiniTally>> tallies(std::int64_t from_ms, std::int64_t to_ms, std::size_t max) override {
    std::vector<console::app::KonbiniTally> out;
    for (const auto& r : rows) {
      if (r.at_ms >= from_ms && r.at_ms < to_ms && out.size() < max) {
        out.push_back({r.state, r.kind, r.prefecture, r.store_id, r.store_name, r.age, r.at_ms, r.fee_yen});
      }
    }
    return out;
  }
  Expected<std::optional<console::app::KonbiniRecord>> get(const std::string& request) override {
    for (const auto& r : rows) {
      if (r.request == request) return std::optional<console::app::KonbiniRecord>(r);
    }
    return std::optional<console::app::KonbiniRecord>();
  }
};
}  // namespace

TEST_CASE("コンビニ交付記録 shows each request's outcome, its data as it printed, the CSV, and logs who looked (KON-6, OPS-2)", "[console][konbini]") {
  AdminSession s;
  MemoryRecords records;
  s.w.app.attach_konbini(records);
  const std::int64_t now = s.w.clock.wall_ms();
  console::app::KonbiniRecord issued;
  issued.request = "REQ-0000000001";
  issued.state = "completed";
  issued.at_ms = now - 60'000;
  issued.store_id = "S0001";
  issued.store_name = "見本店";
  issued.prefecture = "27";
  issued.kiosk = "K01";
  issued.kind = "residence";
  issued.options = R"({"head_and_relationship":true})";
  issued.subject = "0000000126";
  issued.persons = {"0000000126", "0000000127"};
  issued.number = "R2026-0000001";
  issued.fee_yen = 200;
  issued.age = 38;
  issued.text = "住民票の写し\n氏名 見本　太郎\n";
  console::app::KonbiniRecord refused = issued;
  refused.request = "REQ-0000000002";
  refused.state = "refused";
  refused.at_ms = now - 30'000;
  refused.number.clear();
  refused.text.clear();
  refused.persons.clear();
  refused.refusals = {{"support_measures", "0000000126"}};
  records.rows = {refused, issued};

  auto list = s.b.send("GET", "/kiosk_log");
  REQUIRE(list.status == 200);
  CHECK(contains(list.body, "R2026-0000001"));
  CHECK(contains(list.body, "交付済み"));
  CHECK(contains(list.body, "交付せず"));
  CHECK(contains(list.body, "支援措置・発行抑止の対象者"));  // the rule's label, for staff
  CHECK(contains(list.body, "見本店（大阪府）"));
  CHECK_FALSE(contains(list.body, "準備中"));

  auto view = s.b.send("GET", "/kiosk_log/view?request=REQ-0000000001");
  REQUIRE(view.status == 200);
  CHECK(contains(view.body, "見本　太郎"));  // the data it showed (OPS-2), never a PDF
  CHECK(contains(view.body, "0000000126、0000000127"));
  CHECK(s.b.send("GET", "/kiosk_log/view?request=NOPE-00000").status == 404);

  auto csv = s.b.send("GET", "/kiosk_log.csv");
  REQUIRE(csv.status == 200);
  CHECK(contains(csv.body, "受付日時,申請番号,結果"));
  CHECK(contains(csv.body, "REQ-0000000002"));
  CHECK(contains(csv.body, "大阪府"));
  CHECK(s.b.send("GET", "/kiosk_log?from=2026-13-01").status == 400);
  CHECK(s.b.send("GET", "/kiosk_log?from=2020-01-01&to=2026-12-31").status == 400);  // more than a year

  auto log = s.b.send("GET", "/oplog");
  CHECK(contains(log.body, "コンビニ交付記録の閲覧"));
  CHECK(contains(log.body, "コンビニ交付記録の出力（CSV・Excel）"));

  Browser clerk(s.w.app);
  REQUIRE(clerk.sign_in("clerk01", kClerkPw).status == 303);
  CHECK(clerk.send("GET", "/kiosk_log").status == 403);
}

TEST_CASE("交付統計 counts the period by certificate, prefecture, store, age band and hour, with charts and CSV (OPS-3)", "[console][konbini]") {
  AdminSession s;
  MemoryRecords records;
  s.w.app.attach_konbini(records);
  const std::int64_t now = s.w.clock.wall_ms();
  auto add = [&](const std::string& id, const std::string& state, const std::string& kind, const std::string& pref, int age) {
    console::app::KonbiniRecord r;
    r.request = id;
    r.state = state;
    r.kind = kind;
    r.prefecture = pref;
    r.store_id = "S" + pref;
    r.store_name = "見本店" + pref;
    r.age = age;
    r.fee_yen = 200;
    r.at_ms = now - 1000;
    records.rows.push_back(r);
  };
  add("STAT-000001", "completed", "residence", "13", 34);
  add("STAT-000002", "completed", "residence", "13", 17);
  add("STAT-000003", "completed", "tax", "27", 81);
  add("STAT-000004", "refused", "seal", "27", -1);
  add("STAT-000005", "cancelled", "residence", "13", 40);
  auto page = s.b.send("GET", "/kiosk_stats");
  REQUIRE(page.status == 200);
  CHECK_FALSE(contains(page.body, "準備中"));
  CHECK(contains(page.body, "<dt>交付</dt><dd>3件</dd>"));
  CHECK(contains(page.body, "<dd>600円</dd>"));
  CHECK(contains(page.body, "<svg"));
  CHECK(contains(page.body, "<th scope=\"row\">住民票の写し</th><td>2</td><td>0</td><td>1</td>"));
  CHECK(contains(page.body, "<th scope=\"row\">東京都</th><td>2</td>"));
  CHECK(contains(page.body, "<th scope=\"row\">15〜19歳</th><td>1</td>"));
  CHECK(contains(page.body, "<th scope=\"row\">30〜39歳</th><td>1</td>"));
  CHECK(contains(page.body, "<th scope=\"row\">80歳以上</th><td>1</td>"));
  auto csv = s.b.send("GET", "/kiosk_stats.csv");
  REQUIRE(csv.status == 200);
  CHECK(contains(csv.body, "都道府県別,大阪府,1,1,0,200"));
  // No Excel writer attached: no Excel link, no route.
  CHECK_FALSE(contains(page.body, "Excelで出力"));
  CHECK(s.b.send("GET", "/kiosk_stats.xlsx").status == 404);
  Browser clerk(s.w.app);
  REQUIRE(clerk.sign_in("clerk01", kClerkPw).status == 303);
  CHECK(clerk.send("GET", "/kiosk_stats").status == 403);
}

TEST_CASE("交付統計 and コンビニ交付記録 download as Excel workbooks where a writer is attached (OPS-3)", "[console][konbini]") {
  AdminSession s;
  MemoryRecords records;
  madoguchi::testing::TempDir spool;
  s.w.app.attach_konbini(records, console::app::excel_table_writers(spool.path()));
  console::app::KonbiniRecord r;
  r.request = "XLSX-000001";
  r.state = "completed";
  r.kind = "residence";
  r.prefecture = "13";
  r.store_id = "S0001";
  r.store_name = "見本店";
  r.number = "R2026-0000001";
  r.subject = "0000000126";
  r.fee_yen = 200;
  r.age = 40;
  r.at_ms = s.w.clock.wall_ms() - 1000;
  records.rows.push_back(r);
  auto page = s.b.send("GET", "/kiosk_stats");
  CHECK(contains(page.body, "Excelで出力"));
  CHECK(contains(s.b.send("GET", "/kiosk_log").body, "/kiosk_log.xlsx?from="));
  for (const char* path : {"/kiosk_stats.xlsx", "/kiosk_log.xlsx"}) {
    INFO(path);
    auto x = s.b.send("GET", path);
    REQUIRE(x.status == 200);
    CHECK(x.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    CHECK(x.body.rfind("PK\x03\x04", 0) == 0);  // a ZIP: the workbook
    CHECK(x.body.size() > 1000);
  }
  CHECK(s.b.send("GET", "/kiosk_stats.xlsx?from=2026-13-01").status == 400);
  auto log = s.b.send("GET", "/oplog");
  CHECK(contains(log.body, "交付統計の出力（CSV・Excel）"));
  CHECK(contains(log.body, " xlsx"));  // the entry's detail: the period and the format
  Browser clerk(s.w.app);
  REQUIRE(clerk.sign_in("clerk01", kClerkPw).status == 303);
  CHECK(clerk.send("GET", "/kiosk_stats.xlsx").status == 403);
}

namespace {
struct MemoryFlags final : console::app::KonbiniFlags {
  std::map<std::string, console::app::FlagSubject> residents;
  std::map<std::string, domain::StaffFlag> flags;
  bool broken = false;
  Expected<std::vector<domain::StaffFlag>> list(std::size_t max) override {
    if (broken) return Error{Errc::db, "disk I/O error"};
    std::vector<domain::StaffFlag> out;
    for (const auto& [k, f] : flags) {
      if (out.size() < max) out.push_back(f);
    }
    return out;
  }
  Expected<std::optional<console::app::FlagSubject>> subject(const std::string& person) override {
    auto it = residents.find(person);
    return it == residents.end() ? std::optional<console::app::FlagSubject>() : std::optional<console::app::FlagSubject>(it->second);
  }
  Status set(const domain::StaffFlag& f) override {
    if (!residents.count(f.person)) return Error{Errc::not_found, "no resident"};
    flags[f.person] = f;
    return {};
  }
  Status clear(const std::string& person) override {
    if (!flags.erase(person)) return Error{Errc::not_found, "no flag"};
    return {};
  }
};
}  // namespace

TEST_CASE("交付停止: staff confirm the resident, stop their convenience-store issuance with a reason, resume it, and each step is logged (KON-7)",
          "[console][konbini][KON-7]") {
  AdminSession s;
  MemoryRecords records;
  MemoryFlags flags;
  flags.residents["0000000126"] = {"0000000126", "見本　太郎", "1980-04-02", "H0001", true};
  s.w.app.attach_konbini(records, {}, &flags);

  auto empty = s.b.send("GET", "/kiosk_log/flags");
  REQUIRE(empty.status == 200);
  CHECK(contains(empty.body, "停止中の方はいません。"));
  CHECK(contains(s.b.send("GET", "/kiosk_log").body, "href=\"/kiosk_log/flags\""));

  // Typed wrong: errors at the fields, nothing stored.
  auto bad = s.post("/kiosk_log/flags/set", "person=0000000126%3Cscript%3E&reason=");
  CHECK(bad.status == 422);
  CHECK(contains(bad.body, "宛名番号を半角英数字20文字以内で入力してください。"));
  CHECK(contains(bad.body, "停止の理由を100文字以内で入力してください"));
  auto nobody = s.post("/kiosk_log/flags/set", "person=0000000999&reason=%E6%9C%AC%E4%BA%BA%E7%94%B3%E5%87%BA");
  CHECK(nobody.status == 422);
  CHECK(contains(nobody.body, "この宛名番号の住民記録がありません。"));
  CHECK(flags.flags.empty());

  // The confirmation shows who it is; nothing is stored until it is confirmed.
  const std::string form = "person=0000000126&reason=%E6%9C%AC%E4%BA%BA%E7%94%B3%E5%87%BA";  // 本人申出
  auto confirm = s.post("/kiosk_log/flags/set", form);
  REQUIRE(confirm.status == 200);
  CHECK(contains(confirm.body, "見本　太郎"));
  CHECK(contains(confirm.body, "1980-04-02"));
  CHECK(contains(confirm.body, "name=\"confirm\" value=\"1\""));
  CHECK(flags.flags.empty());
  auto done = s.post("/kiosk_log/flags/set", form + "&confirm=1");
  REQUIRE(done.status == 303);
  CHECK(s.b.location(done) == "/kiosk_log/flags?done=set&who=0000000126");
  REQUIRE(flags.flags.count("0000000126"));
  CHECK(flags.flags["0000000126"].reason == "本人申出");
  CHECK(flags.flags["0000000126"].by == "admin01");
  CHECK(flags.flags["0000000126"].at_ms == s.w.clock.wall_ms());
  auto listed = s.b.send("GET", s.b.location(done));
  CHECK(contains(listed.body, "宛名番号 0000000126 のコンビニ交付を停止しました。"));
  CHECK(contains(listed.body, "<td>0000000126</td><td>見本　太郎</td><td>本人申出</td><td>admin01</td>"));

  // Without the CSRF token: refused, nothing changes.
  CHECK(s.b.send("POST", "/kiosk_log/flags/clear", "person=0000000126").status == 403);
  CHECK(flags.flags.count("0000000126"));

  // A role that may look but not change: the list without the buttons, and the changes refused.
  s.w.store.stored_roles = domain::default_roles();
  s.w.store.stored_roles.push_back({"konbini_viewer", "交付記録の閲覧", {domain::Menu::home, domain::Menu::kiosk_log}});
  s.w.store.accounts["viewer01"] = account("viewer01", "閲覧 一郎", "konbini_viewer", kClerkPw);
  Browser viewer(s.w.app);
  REQUIRE(viewer.sign_in("viewer01", kClerkPw).status == 303);
  auto seen = viewer.send("GET", "/kiosk_log/flags");
  REQUIRE(seen.status == 200);
  CHECK(contains(seen.body, "本人申出"));
  CHECK_FALSE(contains(seen.body, "停止を解除</button>"));
  CHECK(contains(seen.body, "「コンビニ交付の停止・解除」の権限が必要です"));
  CHECK(viewer.send("POST", "/kiosk_log/flags/clear", "person=0000000126&csrf_token=" + viewer.csrf()).status == 403);
  CHECK(flags.flags.count("0000000126"));

  auto cleared = s.post("/kiosk_log/flags/clear", "person=0000000126");
  REQUIRE(cleared.status == 303);
  CHECK(flags.flags.empty());
  CHECK(s.post("/kiosk_log/flags/clear", "person=0000000126").status == 404);

  auto log = s.b.send("GET", "/oplog");
  CHECK(contains(log.body, "コンビニ交付の停止（住民記録の確認）"));
  CHECK(contains(log.body, "コンビニ交付の停止の解除"));

  flags.broken = true;
  CHECK(s.b.send("GET", "/kiosk_log/flags").status == 503);
}
