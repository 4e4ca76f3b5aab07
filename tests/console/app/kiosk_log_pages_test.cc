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
