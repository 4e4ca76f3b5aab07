// 交付管理's list, card page, hand entry, changes, progress, booking history, deletion, bulk update
// and CSV export (ISS-5 to ISS-13, ISS-15), through http::dispatch with MemoryCards.
#include <catch2/catch.hpp>

#include "card_fixture.h"
#include "madoguchi/text/csv.h"
#include "madoguchi/xlsx/sheet_writer.h"
#include "temp_dir.h"

using namespace madoguchi::testing::console_app;

namespace {
std::size_t count(const std::string& s, const std::string& part) {
  std::size_t n = 0;
  for (auto p = s.find(part); p != std::string::npos; p = s.find(part, p + 1)) ++n;
  return n;
}
// Positions of the manufacture numbers in a list page, in display order.
std::vector<std::string> listed(const std::string& html) {
  std::vector<std::string> out;
  const std::string marker = "/cards/view?id=";
  for (auto p = html.find(marker); p != std::string::npos; p = html.find(marker, p + 1)) {
    out.push_back(html.substr(p + marker.size(), 16));
  }
  return out;
}
}  // namespace

TEST_CASE("The card list searches by name in any script and sorts both ways by each column (ISS-5, ISS-6)",
          "[card_pages]") {
  ClerkCards k;
  k.seed();
  auto r = k.b.send("GET", "/cards?sort=receipt_no");
  REQUIRE(r.status == 200);
  CHECK(listed(r.body) == std::vector<std::string>{"A000000000000002", "B000000000000003", "A000000000000001"});
  CHECK(contains(r.body, "aria-sort=\"ascending\""));
  r = k.b.send("GET", "/cards?sort=receipt_no&dir=desc");
  CHECK(listed(r.body) == std::vector<std::string>{"A000000000000001", "B000000000000003", "A000000000000002"});
  CHECK(contains(r.body, "aria-sort=\"descending\""));
  // The header link of the current column turns the direction round.
  CHECK(contains(r.body, "aria-sort=\"descending\"><a href=\"&#x2F;cards?sort=receipt_no\""));
  r = k.b.send("GET", "/cards?name=%EF%BE%94%EF%BE%8F%EF%BE%80%EF%BE%9E");  // ﾔﾏﾀﾞ (half-width)
  CHECK(listed(r.body).size() == 2);
  CHECK(contains(r.body, "2件"));
  r = k.b.send("GET", "/cards?name=%E3%82%84%E3%81%BE%E3%81%A0%E3%81%AF");  // やまだは
  CHECK(listed(r.body) == std::vector<std::string>{"A000000000000002"});
  r = k.b.send("GET", "/cards?manufacture_no=b0");
  CHECK(listed(r.body) == std::vector<std::string>{"B000000000000003"});
}

TEST_CASE("The list pages through results and keeps the search in its links (ISS-5)", "[card_pages]") {
  ClerkCards k;
  std::vector<Card> many;
  for (int i = 1; i <= 120; ++i) {
    char id[17];
    std::snprintf(id, sizeof id, "C%015d", i);
    many.push_back(sample_card(id, "佐藤 次郎", "サトウ ジロウ", static_cast<std::uint64_t>(i)));
  }
  REQUIRE(k.cards.save_all(many, 0).ok());
  auto r = k.b.send("GET", "/cards?name=%E3%81%95%E3%81%A8%E3%81%86&page=3");
  REQUIRE(r.status == 200);
  CHECK(contains(r.body, "120件中 101〜120件目"));
  CHECK(listed(r.body).front() == "C000000000000101");
  CHECK(contains(r.body, "page=2"));
  CHECK_FALSE(contains(r.body, "page=4"));
  CHECK(contains(r.body, "name=%E3%81%95%E3%81%A8%E3%81%86"));
}

TEST_CASE("Bad search input gets a message next to its field and no search (ISS-5)", "[card_pages]") {
  ClerkCards k;
  k.seed();
  auto r = k.b.send("GET", "/cards?from=2026-02-30&receipt_no=12a");
  CHECK(r.status == 422);
  CHECK(contains(r.body, "予約日（から）は実在する日付を入力してください。"));
  CHECK(contains(r.body, "受付番号は半角数字"));
  CHECK(listed(r.body).empty());
}

TEST_CASE("A card is entered by hand, changed, and its page shows what was recorded (ISS-8, ISS-13)", "[card_pages]") {
  ClerkCards k;
  auto r = k.post("/cards/new",
                  "manufacture_no=d000000000000004&name_kanji=%E9%88%B4%E6%9C%A8+%E4%B8%80&name_kana=&birth_date=1990-"
                  "01-31&sex=2&receipt_no=77&counter=2&shipment_no=&note=");
  REQUIRE(r.status == 303);
  CHECK(k.b.location(r) == "/cards/view?id=D000000000000004&done=created");
  auto stored = k.cards.rows.at("D000000000000004").card;
  CHECK(stored.source == CardSource::manual);
  CHECK(stored.receipt_no == 77);
  CHECK(k.w.store.logged("card.add", "clerk01"));
  CHECK(k.w.store.log.back().target == "card/D000000000000004");
  // The same number again is refused next to its field.
  r = k.post("/cards/new", "manufacture_no=D000000000000004&name_kanji=x&birth_date=1990-01-31");
  CHECK(r.status == 422);
  CHECK(contains(r.body, "すでに登録されています"));
  r = k.post("/cards/new", "manufacture_no=D000000000000005&name_kanji=x&birth_date=1990-02-30");
  CHECK(r.status == 422);
  CHECK(contains(r.body, "生年月日は実在する日付"));
  CHECK(k.cards.rows.size() == 1);
  r = k.post("/cards/edit", "id=D000000000000004&name_kanji=%E9%88%B4%E6%9C%A8+%E4%B8%80&birth_date=1990-01-31&sex=2&"
                            "reissue=1&note=%E7%A2%BA%E8%AA%8D%E6%B8%88");
  REQUIRE(r.status == 303);
  CHECK(k.cards.rows.at("D000000000000004").card.reissue);
  auto page = k.b.send("GET", "/cards/view?id=D000000000000004&done=saved");
  CHECK(page.status == 200);
  CHECK(contains(page.body, "変更を保存しました。"));
  CHECK(contains(page.body, "確認済"));
  CHECK(contains(page.body, "再交付"));
  CHECK(k.b.send("GET", "/cards/view?id=ZZZZ").status == 404);
  CHECK(k.b.send("GET", "/cards/view?id=D000000000000009").status == 404);
}

TEST_CASE("Progress is recorded with date and hand-over note, and can be corrected (ISS-9, ISS-11)", "[card_pages]") {
  ClerkCards k;
  k.seed();
  auto r = k.post("/cards/progress", "id=A000000000000001&kind=issued&date=2026-12-01&time=10:42&counter=3&note=%E6%9C%AC%E4%BA%BA");
  REQUIRE(r.status == 303);
  auto c = k.cards.rows.at("A000000000000001").card;
  REQUIRE(c.issued);
  CHECK(c.issued->at == "2026-12-01T10:42");
  CHECK(c.issued->counter == "3");
  CHECK(c.issued->staff == "clerk01");
  CHECK(card_status(c) == CardStatus::issued);
  r = k.post("/cards/progress", "id=A000000000000001&kind=lost&date=2027-01-05&note=%E5%B1%8A%E5%87%BA");
  REQUIRE(r.status == 303);
  CHECK(card_status(k.cards.rows.at("A000000000000001").card) == CardStatus::lost);
  r = k.post("/cards/progress", "id=A000000000000001&kind=lost&clear=1");
  REQUIRE(r.status == 303);
  CHECK(card_status(k.cards.rows.at("A000000000000001").card) == CardStatus::issued);
  r = k.post("/cards/progress", "id=A000000000000001&kind=disposed&date=2027-13-01");
  CHECK(r.status == 422);
  CHECK(contains(r.body, "日付は実在する日付"));
  r = k.post("/cards/progress", "id=A000000000000001&kind=nonsense&date=2027-01-01");
  CHECK(r.status == 422);
  auto page = k.b.send("GET", "/cards/view?id=A000000000000001");
  CHECK(contains(page.body, "2026-12-01 10:42（窓口 3）"));
  CHECK(k.w.store.logged("card.progress_clear", "clerk01"));
}

TEST_CASE("CardBooking changes keep the earlier values, shown on the card's page (ISS-10)", "[card_pages]") {
  ClerkCards k;
  k.seed();
  REQUIRE(k.post("/cards/booking", "id=B000000000000003&date=2026-12-01&time=10:30&counter=1&note=").status == 303);
  REQUIRE(k.post("/cards/booking", "id=B000000000000003&date=2026-12-03&time=14:00&counter=2&note=%E5%B8%8C%E6%9C%9B")
              .status == 303);
  const auto& c = k.cards.rows.at("B000000000000003").card;
  REQUIRE(c.booking);
  CHECK(c.booking->at == "2026-12-03T14:00");
  REQUIRE(c.booking_history.size() == 2);
  auto page = k.b.send("GET", "/cards/view?id=B000000000000003");
  CHECK(contains(page.body, "予約の変更履歴"));
  CHECK(contains(page.body, "2026-12-01 10:30"));
  CHECK(contains(page.body, "希望"));
  auto r = k.post("/cards/booking", "id=B000000000000003&date=2026-12-03&time=25:00&counter=2");
  CHECK(r.status == 422);
  REQUIRE(k.post("/cards/booking", "id=B000000000000003&cancel=1").status == 303);
  CHECK_FALSE(k.cards.rows.at("B000000000000003").card.booking);
  // The list finds by booking day only booked cards.
  REQUIRE(k.post("/cards/booking", "id=A000000000000002&date=2026-12-05&time=09:00&counter=4").status == 303);
  auto list = k.b.send("GET", "/cards?from=2026-12-05&to=2026-12-05");
  CHECK(listed(list.body) == std::vector<std::string>{"A000000000000002"});
}

TEST_CASE("Bulk update records dates on the selected cards or on every result (ISS-12)", "[card_pages]") {
  ClerkCards k;
  k.seed();
  auto r = k.post("/cards/bulk", "bulk_kind=notice_sent&bulk_date=2026-11-20&scope=selected&id=A000000000000001&id=B000000000000003");
  REQUIRE(r.status == 200);
  CHECK(contains(r.body, "2件のカードに記録しました。"));
  CHECK(card_event(k.cards.rows.at("A000000000000001").card, CardEvent::notice_sent)->date == "2026-11-20");
  CHECK_FALSE(card_event(k.cards.rows.at("A000000000000002").card, CardEvent::notice_sent));
  CHECK(k.cards.batches == 1);  // one transaction
  r = k.post("/cards/bulk", "bulk_kind=shipment&bulk_date=2026-11-25&scope=all&q_name=%E5%B1%B1%E7%94%B0");  // 山田
  REQUIRE(r.status == 200);
  CHECK(contains(r.body, "2件のカードに記録しました。"));
  CHECK(card_event(k.cards.rows.at("A000000000000002").card, CardEvent::shipment));
  CHECK_FALSE(card_event(k.cards.rows.at("B000000000000003").card, CardEvent::shipment));
  r = k.post("/cards/bulk", "bulk_kind=issued&bulk_date=2026-11-31&scope=selected&id=A000000000000001");
  CHECK(r.status == 422);
  k.cards.fail_writes = true;
  r = k.post("/cards/bulk", "bulk_kind=issued&bulk_date=2026-11-30&scope=selected&id=A000000000000001");
  CHECK(r.status == 503);
  CHECK_FALSE(k.cards.rows.at("A000000000000001").card.issued);
}

TEST_CASE("Deleting needs the confirmation box and is logged (ISS-8)", "[card_pages]") {
  ClerkCards k;
  k.seed();
  CHECK(k.post("/cards/delete", "id=A000000000000001").status == 422);
  CHECK(k.cards.rows.count("A000000000000001") == 1);
  CHECK(k.post("/cards/delete", "id=A000000000000001&confirm=1").status == 200);
  CHECK(k.cards.rows.count("A000000000000001") == 0);
  CHECK(k.w.store.logged("card.remove", "clerk01"));
}

TEST_CASE("The search result exports as CSV in UTF-8 or Shift_JIS, every row (ISS-7, ISS-15)", "[card_pages]") {
  ClerkCards k;
  k.seed();
  auto r = k.b.send("GET", "/cards/export?format=csv&encoding=utf8&name=%E5%B1%B1%E7%94%B0&sort=receipt_no");
  REQUIRE(r.status == 200);
  CHECK(r.content_type == "text/csv; charset=utf-8");
  CHECK(r.body.rfind("\xEF\xBB\xBF", 0) == 0);
  CHECK(count(r.body, "\r\n") == 3);  // header + 2 rows
  CHECK(r.body.find("A000000000000002") < r.body.find("A000000000000001"));
  auto sjis = k.b.send("GET", "/cards/export?format=csv&encoding=cp932");
  REQUIRE(sjis.status == 200);
  auto rows = text::read_csv_bytes(sjis.body, text::Encoding::cp932, {});
  REQUIRE(rows.ok());
  CHECK(rows->size() == 4);
  CHECK(k.w.store.logged("card.export", "clerk01"));
  CHECK(k.b.send("GET", "/cards/export?format=pdf").status == 400);
}

TEST_CASE("Every card route needs the cards menu and CSRF on changes (ISS-8, SEC-2)", "[card_pages]") {
  ClerkCards k;
  k.seed();
  CHECK(k.b.send("POST", "/cards/delete", "id=A000000000000001&confirm=1").status == 403);  // no token
  CHECK(k.cards.rows.count("A000000000000001") == 1);
  k.w.store.accounts["call01"] = account("call01", "電話 受付", "call_center", kClerkPw);
  Browser call(k.w.app, "127.0.0.2");
  REQUIRE(call.sign_in("call01", kClerkPw).status == 303);
  CHECK(call.send("GET", "/cards").status == 403);
  CHECK(call.send("GET", "/cards/view?id=A000000000000001").status == 403);
  CHECK(k.w.store.logged("menu.forbidden", "call01"));
  Browser anonymous(k.w.app, "127.0.0.3");
  CHECK(anonymous.send("GET", "/cards/view?id=A000000000000001").status == 303);
}

namespace {
// The Excel writer the edge uses (drivers/xlsx), in a temporary directory.
struct XlsxWriter final : app::TableWriter {
  std::unique_ptr<xlsx::SheetWriter> w;
  Status add_row(const std::vector<std::string>& cells) override { return w->add_row(cells); }
  Expected<std::string> finish() override { return w->finish_bytes(); }
  Status finish_to(const std::filesystem::path& path) override { return w->finish_to(path); }
};
}  // namespace

TEST_CASE("The search result exports as an Excel workbook, every row (ISS-7)", "[card_pages]") {
  madoguchi::testing::TempDir dir;
  app::CardServices services;
  services.excel = [&](std::string_view sheet, const std::vector<std::string>& header)
      -> Expected<std::unique_ptr<app::TableWriter>> {
    auto w = xlsx::SheetWriter::create(dir.path(), sheet, header);
    if (!w) return w.error();
    auto out = std::make_unique<XlsxWriter>();
    out->w = std::move(*w);
    return std::unique_ptr<app::TableWriter>(std::move(out));
  };
  ClerkCards k(services);
  k.seed();
  auto list = k.b.send("GET", "/cards?name=%E5%B1%B1%E7%94%B0");
  CHECK(contains(list.body, "format=xlsx"));
  auto r = k.b.send("GET", "/cards/export?format=xlsx&name=%E5%B1%B1%E7%94%B0");
  REQUIRE(r.status == 200);
  CHECK(r.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  CHECK(r.body.rfind("PK\x03\x04", 0) == 0);  // a ZIP container
  CHECK(k.w.store.log.back().detail == "xlsx 2");
  ClerkCards without;
  CHECK_FALSE(contains(without.b.send("GET", "/cards").body, "format=xlsx"));
  CHECK(without.b.send("GET", "/cards/export?format=xlsx").status == 404);
}

TEST_CASE("A large export runs as a job with a progress page, then downloads once (ISS-7, ISS-15)", "[card_pages]") {
  madoguchi::testing::TempDir spool;
  ClerkCards k({}, [&](app::ConsoleOptions& o) {
    o.card_export_direct_max = 10;
    o.card_export_chunk = 10;
    o.spool_dir = spool.path();
  });
  auto spooled = [&] {
    return std::distance(std::filesystem::directory_iterator(spool.path()), std::filesystem::directory_iterator{});
  };
  std::vector<Card> many;
  for (int i = 1; i <= 25; ++i) {
    char id[17];
    std::snprintf(id, sizeof id, "E%015d", i);
    many.push_back(sample_card(id, "佐藤 次郎", "サトウ ジロウ", static_cast<std::uint64_t>(i)));
  }
  REQUIRE(k.cards.save_all(many, 0).ok());
  auto r = k.b.send("GET", "/cards/export?format=csv&encoding=cp932&sort=receipt_no&dir=desc");
  REQUIRE(r.status == 303);
  const std::string job = k.b.location(r);
  REQUIRE(job.rfind("/cards/export/job?id=", 0) == 0);
  // Someone else cannot follow or download it.
  k.w.store.accounts["clerk02"] = account("clerk02", "窓口 次郎", "counter_clerk", kClerkPw);
  Browser other(k.w.app, "127.0.0.9");
  REQUIRE(other.sign_in("clerk02", kClerkPw).status == 303);
  CHECK(other.send("GET", job).status == 404);
  // A card deleted after the start is left out.
  k.cards.rows.erase("E000000000000013");
  auto page = k.b.send("GET", job);
  REQUIRE(page.status == 200);
  CHECK(contains(page.body, "data-refresh=\"1\""));  // the script looks again each second (never a meta refresh, WCAG 2.2.1)
  CHECK_FALSE(contains(page.body, "http-equiv=\"refresh\""));
  CHECK(contains(page.body, "10件 / 25件（40%）"));
  // Written to a spool file as it goes (constant memory, issue 11), not kept in memory.
  CHECK(spooled() == 1);
  page = k.b.send("GET", job);
  CHECK(contains(page.body, "19件 / 25件（80%）"));
  page = k.b.send("GET", job);
  CHECK(contains(page.body, "出力が終わりました（24件）"));
  CHECK_FALSE(contains(page.body, "data-refresh"));
  const std::string id = job.substr(job.find("id=") + 3);
  auto file = k.b.send("GET", "/cards/export/download?id=" + id);
  REQUIRE(file.status == 200);
  CHECK(file.content_type == "text/csv; charset=Shift_JIS");
  auto rows = text::read_csv_bytes(file.body, text::Encoding::cp932, {});
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 25);  // header + 24
  CHECK((*rows)[1][0] == "E000000000000025");  // in the list's order
  CHECK(k.b.send("GET", "/cards/export/download?id=" + id).status == 404);  // once
  CHECK(spooled() == 0);  // nothing left behind
}
