#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "madoguchi/domain/card_csv.h"
#include "madoguchi/text/csv.h"

namespace c = madoguchi::domain;
using c::CsvRows;

namespace {
constexpr std::int64_t kNow = 1'767'225'600'000;  // 2026-01-01 09:00 JST

c::Card minimal(std::string no, std::string kanji = "山田 太郎", std::string kana = "ヤマダ タロウ",
                std::string birth = "1980-02-29") {
  c::Card k;
  k.manufacture_no = std::move(no);
  k.name_kanji = std::move(kanji);
  k.name_kana = std::move(kana);
  k.birth_date = std::move(birth);
  return k;
}

// Every field a card has, with values that test the CSV (comma, quote, line break, a leading
// '-' and '=' that the Excel formula guard marks).
c::Card full() {
  c::Card k = minimal("AB12CD34EF56GH78");
  k.application_id = "12345678901234567890123";
  k.postcard_no = "AB1123456";
  k.sex = "2";
  k.address = "東京都千代田区霞が関1-1-1, \"本館\"";
  k.card_expiry = "2036-02-28";
  k.cert_expiry = "2031-02-28";
  k.source = c::CardSource::qr;
  k.receipt_no = 1001;
  k.counter = "1";
  k.shipment_no = "S-2026-11";
  k.imported_ms = 5;
  k.booking = c::CardBooking{"2026-12-01T10:30", "2"};
  k.booking_history = {c::BookingChange{"2026-11-30T09:00", "3", kNow - 1000, "tanaka01", "本人の都合"}};
  k.issued = c::Issue{"2026-12-01T10:42", "2", "本人確認済\n暗証番号設定済", "tanaka01"};
  std::size_t day = 1;
  for (c::CardEvent e : c::all_card_events()) {
    c::card_event(k, e) = c::DatedNote{"2026-11-0" + std::to_string(day), "メモ" + std::to_string(day), "suzuki02"};
    ++day;
  }
  c::card_event(k, c::CardEvent::returned)->note = "-不在のため返戻";
  k.reissue = true;
  k.renewal = c::Renewal{"2026-11", "cert", "2027-04-01", 7};
  k.note = "=申し送り\n二行目";
  REQUIRE(c::validate_card(k));
  return k;
}

// Through the real CSV writer and reader, as a file round trip.
CsvRows through_csv(const CsvRows& rows) {
  auto bytes = madoguchi::text::to_excel_csv(rows, madoguchi::text::Encoding::utf8);
  REQUIRE(bytes);
  auto back = madoguchi::text::read_csv_bytes(*bytes);
  REQUIRE(back);
  return *back;
}

std::size_t col(std::string_view name) {
  const auto h = c::card_csv_header();
  auto it = std::find(h.begin(), h.end(), name);
  REQUIRE(it != h.end());
  return static_cast<std::size_t>(it - h.begin());
}

// A file of the full layout: header and one exported row per card.
CsvRows exported(const std::vector<c::Card>& cards) {
  CsvRows rows{c::card_csv_header()};
  for (const auto& k : cards) rows.push_back(c::card_to_csv_row(k));
  return rows;
}

std::string joined(const std::vector<c::LineError>& errors) {
  std::string out;
  for (const auto& e : errors) out += e.message + "\n";
  return out;
}
}  // namespace

TEST_CASE("The card layout has one Japanese column per field, the event pairs, and unique names (ISS-14, ISS-15)",
          "[console][card_csv]") {
  const auto h = c::card_csv_header();
  CHECK(h.front() == "製造番号");
  CHECK(h.back() == "備考");
  CHECK(std::set<std::string>(h.begin(), h.end()).size() == h.size());
  for (std::string_view name : {"申請書ID", "交付通知書番号", "氏名", "氏名カナ", "生年月日", "性別", "住所",
                                "カード有効期限", "電子証明書有効期限", "受付番号", "交付窓口", "発送番号", "予約日時",
                                "予約窓口", "交付日時", "交付実施窓口", "交付担当者", "交付メモ", "再交付", "更新リスト",
                                "更新種別", "更新期限", "状態", "取込元", "取込日時", "予約変更履歴"}) {
    CAPTURE(name);
    col(name);
  }
  for (c::CardEvent e : c::all_card_events()) {
    const std::size_t date = col(c::card_event_label(e));
    CHECK(h[date + 1].find("メモ") != std::string::npos);
    CHECK(h[date + 2].find("担当者") != std::string::npos);
  }
  CHECK(h[col("カード発送日") + 1] == "カード発送メモ");
  CHECK(h[col("個別管理移行日") + 2] == "個別管理移行担当者");
}

TEST_CASE("A fully filled card exports in readable forms (ISS-7, ISS-15)", "[console][card_csv]") {
  const auto row = c::card_to_csv_row(full());
  REQUIRE(row.size() == c::card_csv_header().size());
  CHECK(row[col("製造番号")] == "AB12CD34EF56GH78");
  CHECK(row[col("性別")] == "女");
  CHECK(row[col("受付番号")] == "1001");
  CHECK(row[col("予約日時")] == "2026-12-01 10:30");
  CHECK(row[col("交付日時")] == "2026-12-01 10:42");
  CHECK(row[col("再交付")] == "○");
  CHECK(row[col("更新種別")] == "電子証明書");
  CHECK(row[col("状態")] == "紛失");  // the end state wins
  CHECK(row[col("取込元")] == "QR読取");
  CHECK(row[col("取込日時")] == "1970-01-01 09:00");
  CHECK(row[col("予約変更履歴")] == "2026-11-30 09:00 窓口3（2026-01-01 08:59 変更 tanaka01: 本人の都合）");
  // An empty card leaves its optional cells empty.
  const auto bare = c::card_to_csv_row(minimal("AB12CD34EF56GH79"));
  CHECK(bare[col("受付番号")].empty());
  CHECK(bare[col("予約日時")].empty());
  CHECK(bare[col("再交付")].empty());
  CHECK(bare[col("状態")] == "受入済");
  CHECK(bare[col("取込日時")].empty());
}

TEST_CASE("An exported card imports back with every importable field (ISS-14, ISS-15)", "[console][card_csv]") {
  const c::Card in = full();
  const auto plan = c::plan_card_import(through_csv(exported({in, minimal("AB12CD34EF56GH79")})), kNow);
  INFO(joined(plan.errors));
  REQUIRE(plan.ok());
  REQUIRE(plan.cards.size() == 2);
  CHECK(plan.cards[0].line == 2);
  CHECK(plan.cards[1].line == 3);

  c::Card expected = in;
  expected.source = c::CardSource::ledger;  // the import is what made this record
  expected.imported_ms = kNow;
  expected.renewal->matched_ms = kNow;
  expected.booking_history.clear();  // export only: the operation log keeps the history
  CHECK(c::card_to_json(plan.cards[0].card) == c::card_to_json(expected));

  c::Card bare = minimal("AB12CD34EF56GH79");
  bare.source = c::CardSource::ledger;
  bare.imported_ms = kNow;
  CHECK(c::card_to_json(plan.cards[1].card) == c::card_to_json(bare));
}

TEST_CASE("Dates as Excel re-saves them are accepted (ISS-14)", "[console][card_csv]") {
  CsvRows rows{{"製造番号", "氏名", "生年月日", "カード有効期限", "予約日時", "交付通知書発送日", "受付番号", "性別", "再交付"},
               {"ab12cd34ef56gh78", "山田 太郎", "1980/2/29", "2026/11/22", "2026/12/1 9:05", "２０２６／１１／０３",
                "１２", "男性", "はい"},
               {"AB12CD34EF56GH79", "山田 花子", "1981-03-01", "2026-11-22", "2026-12-01 10:30:00", "", "", "", ""}};
  const auto plan = c::plan_card_import(rows, kNow);
  INFO(joined(plan.errors));
  REQUIRE(plan.ok());
  REQUIRE(plan.cards.size() == 2);
  const auto& k = plan.cards[0].card;
  CHECK(k.manufacture_no == "AB12CD34EF56GH78");
  CHECK(k.birth_date == "1980-02-29");
  CHECK(k.card_expiry == "2026-11-22");
  REQUIRE(k.booking);
  CHECK(k.booking->at == "2026-12-01T09:05");
  REQUIRE(c::card_event(k, c::CardEvent::notice_sent));
  CHECK(c::card_event(k, c::CardEvent::notice_sent)->date == "2026-11-03");
  CHECK(k.receipt_no == 12);
  CHECK(k.sex == "1");
  CHECK(k.reissue);
  CHECK(plan.cards[1].card.booking->at == "2026-12-01T10:30");
  CHECK(plan.cards[1].card.source == c::CardSource::ledger);
}

TEST_CASE("A day that does not exist is refused naming the line and the column (ISS-14)", "[console][card_csv]") {
  auto rows = exported({minimal("AB12CD34EF56GH78"), minimal("AB12CD34EF56GH79")});
  rows[2][col("生年月日")] = "2026-02-30";
  rows[1][col("予約日時")] = "2026-12-01 24:00";
  const auto plan = c::plan_card_import(rows, kNow);
  REQUIRE(plan.errors.size() == 2);
  CHECK(plan.errors[0].line == 2);
  CHECK(plan.errors[0].message.rfind("2行目 N列（予約日時）: 「2026-12-01 24:00」は日時として正しくありません", 0) == 0);
  CHECK(plan.errors[1].line == 3);
  CHECK(plan.errors[1].message.rfind("3行目 F列（生年月日）: 「2026-02-30」は日付として正しくありません", 0) == 0);
  CHECK_FALSE(plan.ok());
}

TEST_CASE("A missing required column, an unknown column or a repeated column refuses the file (ISS-14)",
          "[console][card_csv]") {
  SECTION("missing") {
    const auto plan = c::plan_card_import({{"製造番号", "氏名"}, {"AB12CD34EF56GH78", "山田 太郎"}}, kNow);
    REQUIRE(plan.errors.size() == 1);
    CHECK(plan.errors[0].line == 1);
    CHECK(plan.errors[0].message == "1行目: 列「生年月日」がありません");
    CHECK(plan.cards.empty());
  }
  SECTION("unknown") {
    const auto plan = c::plan_card_import({{"製造番号", "氏名", "生年月日", "備孝"}}, kNow);
    REQUIRE(plan.errors.size() == 2);
    CHECK(plan.errors[0].message == "1行目: D列の「備孝」という列は使えません");
    CHECK(plan.errors[1].message.find("使える列は 製造番号、申請書ID") != std::string::npos);
    CHECK(plan.errors[1].message.find("状態") == std::string::npos);  // export-only columns are not advertised
  }
  SECTION("repeated") {
    const auto plan = c::plan_card_import({{"製造番号", "氏名", "生年月日", "氏名"}}, kNow);
    REQUIRE(plan.errors.size() == 1);
    CHECK(plan.errors[0].message == "1行目: 列「氏名」が2回あります");
  }
  SECTION("empty file") {
    const auto plan = c::plan_card_import({}, kNow);
    REQUIRE(plan.errors.size() == 1);
    CHECK(plan.errors[0].line == 0);
  }
  SECTION("a required value left empty") {
    const auto plan = c::plan_card_import({{"製造番号", "氏名", "生年月日"}, {"AB12CD34EF56GH78", "　", "1980-01-01"}}, kNow);
    REQUIRE(plan.errors.size() == 1);
    CHECK(plan.errors[0].message == "2行目 B列（氏名）: 空です（必須の項目です）");
  }
}

TEST_CASE("The same manufacture number twice in a file is refused (ISS-2, ISS-14)", "[console][card_csv]") {
  auto rows = exported({minimal("AB12CD34EF56GH78"), minimal("AB12CD34EF56GH79"), minimal("AB12CD34EF56GH78")});
  const auto plan = c::plan_card_import(rows, kNow);
  REQUIRE(plan.errors.size() == 1);
  CHECK(plan.errors[0].line == 4);
  CHECK(plan.errors[0].message == "4行目: 製造番号「AB12CD34EF56GH78」が重複しています（2行目と同じ）");
  CHECK_FALSE(plan.ok());
}

TEST_CASE("Columns are found by name in any order and absent optional columns are empty (ISS-14)",
          "[console][card_csv]") {
  const auto plan = c::plan_card_import({{"備考", "生年月日", "氏名カナ", "氏名", "製造番号"},
                                         {"旧台帳から", "1975/4/1", "ｽｽﾞｷ ｲﾁﾛｳ", "鈴木 一郎", "ZZ00000000000001"},
                                         {"", "", "", "", ""},
                                         {"  ", "1990-12-31", "", "佐藤 次郎", "ZZ00000000000002"}},
                                        kNow);
  INFO(joined(plan.errors));
  REQUIRE(plan.ok());
  REQUIRE(plan.cards.size() == 2);
  CHECK(plan.cards[0].card.manufacture_no == "ZZ00000000000001");
  CHECK(plan.cards[0].card.name_kanji == "鈴木 一郎");
  CHECK(plan.cards[0].card.birth_date == "1975-04-01");
  CHECK(plan.cards[0].card.note == "旧台帳から");
  CHECK(plan.cards[0].card.application_id.empty());
  CHECK_FALSE(plan.cards[0].card.booking);
  CHECK(plan.cards[1].line == 4);  // the empty row 3 is skipped
  CHECK(plan.cards[1].card.note.empty());
}

TEST_CASE("Cells that belong together and cell formats are checked per cell (ISS-14)", "[console][card_csv]") {
  CsvRows rows{{"製造番号", "氏名", "生年月日", "カード発送メモ", "予約窓口", "更新リスト", "性別", "再交付", "受付番号"},
               {"AB12CD34EF56GH78", "山田 太郎", "1980-01-01", "書留", "", "", "", "", ""},
               {"AB12CD34EF56GH79", "山田 花子", "1980-01-01", "", "2", "", "", "", ""},
               {"AB12CD34EF56GH80", "山田 次郎", "1980-01-01", "", "", "2026-11", "", "", ""},
               {"1.23457E+15", "山田 三郎", "1980-01-01", "", "", "", "X", "多分", "12a"},
               {"AB12CD34EF56GH81", "山田 四郎"}};
  const auto plan = c::plan_card_import(rows, kNow);
  const std::string all = joined(plan.errors);
  INFO(all);
  CHECK(plan.cards.empty());
  CHECK(all.find("2行目（カード発送日）: メモや担当者があるときは日付も書いてください") != std::string::npos);
  CHECK(all.find("3行目（予約日時）: 予約窓口があるときは予約日時も書いてください") != std::string::npos);
  CHECK(all.find("4行目 F列（更新リスト）: 更新リスト・更新種別・更新期限は3つともそろえて") != std::string::npos);
  CHECK(all.find("5行目 A列（製造番号）: 「1.23457E+15」は製造番号として正しくありません（英数字16桁）。Excelで数値に") !=
        std::string::npos);
  CHECK(all.find("5行目 G列（性別）") != std::string::npos);
  CHECK(all.find("5行目 H列（再交付）") != std::string::npos);
  CHECK(all.find("5行目 I列（受付番号）") != std::string::npos);
  CHECK(all.find("6行目: 列の数が見出しと違います（2列、見出しは9列）") != std::string::npos);
  // In line order.
  CHECK(std::is_sorted(plan.errors.begin(), plan.errors.end(),
                       [](const auto& a, const auto& b) { return a.line < b.line; }));
}

TEST_CASE("The row count is bounded and the messages are capped (ISS-14)", "[console][card_csv]") {
  SECTION("at the bound the file is read, over it refused whole") {
    CsvRows rows{{"製造番号", "氏名", "生年月日"}};
    rows.resize(c::kMaxCardCsvRows + 1, std::vector<std::string>{""});  // empty rows are skipped
    auto plan = c::plan_card_import(rows, kNow);
    CHECK(plan.ok());
    rows.push_back({"AB12CD34EF56GH78", "山田 太郎", "1980-01-01"});
    plan = c::plan_card_import(rows, kNow);
    REQUIRE(plan.errors.size() == 1);
    CHECK(plan.errors[0].line == 0);
    CHECK(plan.errors[0].message.find("500000行まで") != std::string::npos);
    CHECK(plan.cards.empty());
  }
  SECTION("past kMaxCsvErrors the plan stops and says so") {
    CsvRows rows{{"製造番号", "氏名", "生年月日"}};
    for (int i = 0; i < 1500; ++i) rows.push_back({"bad", "山田 太郎", "1980-01-01"});
    const auto plan = c::plan_card_import(rows, kNow);
    REQUIRE(plan.errors.size() == c::kMaxCsvErrors + 1);
    CHECK(plan.errors.back().line == 0);
    CHECK(plan.errors.back().message.find("最初の1000件") != std::string::npos);
  }
}

TEST_CASE("Cards already on record are added as errors on their lines (ISS-2, ISS-14)", "[console][card_csv]") {
  auto rows = exported({minimal("AB12CD34EF56GH78"), minimal("AB12CD34EF56GH79"), minimal("AB12CD34EF56GH80")});
  rows[3][col("生年月日")] = "1980/13/01";
  auto plan = c::plan_card_import(rows, kNow);
  REQUIRE(plan.errors.size() == 1);
  REQUIRE(plan.cards.size() == 2);
  CHECK(c::add_already_on_record(plan, {"AB12CD34EF56GH78", "ZZZZZZZZZZZZZZZZ"}) == 1);
  REQUIRE(plan.errors.size() == 2);
  CHECK(plan.errors[0].message == "2行目: 製造番号「AB12CD34EF56GH78」はすでに登録されています");
  CHECK(plan.errors[1].line == 4);
  CHECK(c::add_already_on_record(plan, {}) == 0);
}

// ---- renewal list (ISS-4) -------------------------------------------------------------------------------

TEST_CASE("A renewal list is read with its kinds and dates (ISS-4)", "[console][card_csv][renewal]") {
  const auto plan = c::plan_renewal_import({{"氏名カナ", "生年月日", "更新種別", "有効期限", "製造番号"},
                                            {"ヤマダ タロウ", "1980/2/29", "電子証明書", "2027/4/1", ""},
                                            {"ｽｽﾞｷ ｲﾁﾛｳ", "1975-04-01", "カード", "2027-04-01", "zz00000000000001"},
                                            {"ヤマダ タロウ", "1980-02-29", "カード更新", "2030-02-28", ""}});
  INFO(joined(plan.errors));
  REQUIRE(plan.ok());
  REQUIRE(plan.lines.size() == 3);
  CHECK(plan.lines[0].line == 2);
  CHECK(plan.lines[0].manufacture_no.empty());
  CHECK(plan.lines[0].birth_date == "1980-02-29");
  CHECK(plan.lines[0].kind == "cert");
  CHECK(plan.lines[0].due == "2027-04-01");
  CHECK(plan.lines[1].manufacture_no == "ZZ00000000000001");
  CHECK(plan.lines[1].kind == "card");
  CHECK(plan.lines[2].kind == "card");
  CHECK(c::renewal_csv_header() == std::vector<std::string>{"製造番号", "氏名カナ", "生年月日", "更新種別", "有効期限"});
}

TEST_CASE("Renewal list errors name line and column, and duplicates and missing columns are refused (ISS-4)",
          "[console][card_csv][renewal]") {
  const auto missing = c::plan_renewal_import({{"氏名カナ", "生年月日", "有効期限"}});
  REQUIRE(missing.errors.size() == 1);
  CHECK(missing.errors[0].message == "1行目: 列「更新種別」がありません");

  const auto plan = c::plan_renewal_import({{"製造番号", "氏名カナ", "生年月日", "更新種別", "有効期限"},
                                            {"", "ヤマダ タロウ", "1980-02-30", "カード", "2027-04-01"},
                                            {"", "ヤマダ タロウ", "1980-02-28", "マイナ", "2027-04-01"},
                                            {"ZZ00000000000001", "スズキ", "1975-04-01", "カード", "2027-04-01"},
                                            {"ZZ00000000000001", "スズキ", "1975-04-01", "カード", "2027-04-01"},
                                            {"", "やまだ たろう", "1980-02-28", "電子証明書", "2027-04-01"},
                                            {"", "ﾔﾏﾀﾞﾀﾛｳ", "1980-02-28", "電子証明書", "2027-04-01"},
                                            {"12", "", "1980-02-28", "電子証明書", ""}});
  const std::string all = joined(plan.errors);
  INFO(all);
  CHECK(all.find("2行目 C列（生年月日）: 「1980-02-30」は日付として正しくありません") != std::string::npos);
  CHECK(all.find("3行目 D列（更新種別）: 「マイナ」は使えません") != std::string::npos);
  CHECK(all.find("5行目: 製造番号「ZZ00000000000001」と更新種別が同じ行があります（4行目）") != std::string::npos);
  CHECK(all.find("7行目: 氏名カナ・生年月日・更新種別が同じ行があります（6行目）") != std::string::npos);
  CHECK(all.find("8行目 A列（製造番号）") != std::string::npos);
  CHECK(all.find("8行目 B列（氏名カナ）: 空です") != std::string::npos);
  CHECK(all.find("8行目 E列（有効期限）: 空です") != std::string::npos);
  CHECK(plan.lines.size() == 2);  // lines 4 and 6
}

TEST_CASE("Renewal lines match by manufacture number, else by folded kana and birth date, never a guess (ISS-4, ISS-5)",
          "[console][card_csv][renewal]") {
  std::vector<c::Card> cards = {minimal("AB12CD34EF56GH78", "山田 太郎", "ヤマダ タロウ", "1980-02-29"),
                                minimal("AB12CD34EF56GH79", "山田 花子", "ヤマダ ハナコ", "1980-02-29"),
                                minimal("AB12CD34EF56GH80", "山田 太朗", "ヤマダ タロウ", "1991-07-07"),
                                minimal("AB12CD34EF56GH81", "渡邊 次郎", "ワタナベ ジロウ", "1970-01-01")};
  c::RenewalLine line;
  line.line = 2;
  line.birth_date = "1980-02-29";
  line.kind = "card";
  line.due = "2027-02-28";
  std::string reason;

  SECTION("half-width kana with voiced marks, no spaces") {
    line.name_kana = "ﾔﾏﾀﾞﾀﾛｳ";
    CHECK(c::match_renewal_line(line, cards, &reason) == std::optional<std::size_t>(0));
    CHECK(reason.empty());
    line.name_kana = "わたなべ　じろう";
    line.birth_date = "1970-01-01";
    CHECK(c::match_renewal_line(line, cards, &reason) == std::optional<std::size_t>(3));
  }
  SECTION("same kana but another birth date does not match") {
    line.name_kana = "ヤマダ タロウ";
    line.birth_date = "1980-03-01";
    CHECK_FALSE(c::match_renewal_line(line, cards, &reason));
    CHECK(reason == "氏名カナと生年月日が一致するカードがありません");
  }
  SECTION("two candidates: ambiguous, no match") {
    cards.push_back(minimal("AB12CD34EF56GH82", "山田 太郎", "ﾔﾏﾀﾞ ﾀﾛｳ", "1980-02-29"));
    line.name_kana = "ヤマダ タロウ";
    CHECK_FALSE(c::match_renewal_line(line, cards, &reason));
    CHECK(reason.find("2件あり、特定できません") != std::string::npos);
    // The old card was lost: the reissued one is the card to renew.
    c::card_event(cards[0], c::CardEvent::lost) = c::DatedNote{"2026-01-10", "", ""};
    CHECK(c::match_renewal_line(line, cards, &reason) == std::optional<std::size_t>(4));
  }
  SECTION("by manufacture number, which wins over the name") {
    line.manufacture_no = "AB12CD34EF56GH79";
    line.name_kana = "ヤマダ タロウ";
    CHECK(c::match_renewal_line(line, cards) == std::optional<std::size_t>(1));
    line.manufacture_no = "AB12CD34EF56GH80";  // 1991-07-07: the birth date must agree
    CHECK_FALSE(c::match_renewal_line(line, cards, &reason));
    CHECK(reason == "製造番号に当たるカードはありますが、生年月日が一致しません");
    line.manufacture_no = "ZZZZZZZZZZZZZZZZ";
    CHECK_FALSE(c::match_renewal_line(line, cards, &reason));
    CHECK(reason == "製造番号に当たるカードがありません");
  }
  SECTION("a card without kana is never matched by name") {
    cards[0].name_kana.clear();
    line.name_kana = "ヤマダ タロウ";
    CHECK_FALSE(c::match_renewal_line(line, cards));
  }
}
