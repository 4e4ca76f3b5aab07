// Linkage files (docs/formats/linkage-records.md): checked whole, refused with the line and column
// and never the data (LNK-1..LNK-4, KON-7).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "madoguchi/domain/linkage_file.h"
#include "madoguchi/text/csv.h"
#include "madoguchi/text/encoding.h"

using namespace madoguchi::domain;
using madoguchi::Errc;
namespace text = madoguchi::text;

namespace {

const std::vector<std::string> kResidentColumns = {
    "連携番号", "異動区分", "異動事由", "異動日", "宛名番号", "住民票コード", "世帯番号", "氏名", "生年月日", "性別",
    "世帯主氏名", "続柄", "住所", "住所を定めた年月日", "住民となった年月日", "支援措置"};

// A resident row: seq, change, person, name.
std::vector<std::string> resident(int seq, const std::string& change, const std::string& person, const std::string& name) {
  return {std::to_string(seq), change, change == "D" ? "死亡" : "転入", "2026-12-01", person, "12345678901", "H01", name,
          "1980-04-00", "1", "見本　一郎", "世帯主", "東京都見本区見本町一丁目1番1号", "2026-12-01", "2026-12-01", "0"};
}

// The file: header line, column names, rows, trailer; the body in UTF-8 or CP932.
std::string file(const std::string& kind, const std::vector<std::string>& columns, const std::vector<std::vector<std::string>>& rows,
                 const std::string& encoding = "utf-8", const std::string& mode = "delta", const std::string& run = "") {
  std::string names = text::write_csv({columns}, false);
  std::string data = text::write_csv(text::CsvRows(rows.begin(), rows.end()), false);
  if (rows.empty()) data.clear();
  if (encoding == "cp932") {
    names = text::utf8_to_cp932(names).value();
    data = text::utf8_to_cp932(data).value();
  }
  return "#madoguchi-linkage,1," + kind + ",jukiA," + encoding + ",vendor-2026," + mode + "," + run + "\r\n" + names + data +
         linkage_trailer(rows.size(), data) + "\r\n";
}

std::string error_of(const std::string& bytes) {
  auto f = parse_linkage_file(bytes);
  REQUIRE_FALSE(f.ok());
  return f.error().message;
}

}  // namespace

TEST_CASE("A resident delta is read whole: its rows in order, every field as written, IVS kept", "[domain][linkage]") {
  const std::string ivs_name = "葛\xF3\xA0\x84\x81飾　花子";  // 葛 + VS18 (U+E0101)
  auto f = parse_linkage_file(file("resident", kResidentColumns,
                                   {resident(41, "A", "P0001", ivs_name), resident(42, "M", "P0002", "見本　次郎"),
                                    resident(43, "D", "P0003", "見本　三郎")}));
  REQUIRE(f.ok());
  CHECK(f->kind == LinkageKind::resident);
  CHECK(f->source == "jukiA");
  CHECK(f->code_table == "vendor-2026");
  CHECK_FALSE(f->full);
  REQUIRE(f->rows.size() == 3);
  CHECK(f->rows[0].seq == 41);
  CHECK(f->rows[0].line == 3);
  CHECK(f->rows[0].change == 'A');
  CHECK(f->rows[0].person == "P0001");
  CHECK(f->rows[0].field("氏名") == ivs_name);
  CHECK(f->rows[0].field("生年月日") == "1980-04-00");  // 不詳 day kept as written
  CHECK(f->rows[2].change == 'D');
  CHECK(f->rows[2].line == 5);
  CHECK(f->rows[1].field("方書").empty());  // no such column in this file
}

TEST_CASE("A CP932 file's vendor external characters arrive as private-use characters for the code table", "[domain][linkage]") {
  // 0xF040 is the first user-defined code: U+E000 once decoded.
  std::string bytes = file("resident", kResidentColumns, {resident(1, "A", "P0001", "見本　太郎")}, "cp932");
  const std::string taro = text::utf8_to_cp932("太郎").value();
  const auto at = bytes.find(taro);
  REQUIRE(at != std::string::npos);
  // Replace 太 by the vendor's gaiji and recompute the trailer, as a vendor's file would have it.
  std::string names_and_data = bytes.substr(bytes.find("\r\n") + 2);
  names_and_data = names_and_data.substr(0, names_and_data.rfind("#end"));
  const std::string header = bytes.substr(0, bytes.find("\r\n") + 2);
  const std::string names = names_and_data.substr(0, names_and_data.find("\r\n") + 2);
  std::string data = names_and_data.substr(names.size());
  data.replace(data.find(taro), 2, "\xF0\x40");
  auto f = parse_linkage_file(header + names + data + linkage_trailer(1, data) + "\r\n");
  REQUIRE(f.ok());
  CHECK(f->encoding == text::Encoding::cp932);
  CHECK(f->rows[0].field("氏名") == "見本　\xEE\x80\x80郎");  // U+E000
}

TEST_CASE("A truncated, altered or miscounted file is refused whole, naming the line and never the data", "[domain][linkage]") {
  const std::string good = file("resident", kResidentColumns, {resident(1, "A", "P0001", "見本　秘密"), resident(2, "A", "P0002", "見本　二郎")});
  REQUIRE(parse_linkage_file(good).ok());
  // Cut in the middle of the second row (the trailer is gone).
  const std::string cut = good.substr(0, good.find("見本　二郎"));
  CHECK(error_of(cut).find("最終行") != std::string::npos);
  // A byte changed in the data: the checksum no longer matches.
  std::string altered = good;
  altered[altered.find("P0002") + 4] = '3';
  CHECK(error_of(altered).find("SHA-256") != std::string::npos);
  // A row dropped with the trailer's count left at 2 (and its checksum recomputed).
  {
    const std::string header = good.substr(0, good.find("\r\n") + 2);
    std::string rest = good.substr(header.size());
    const std::string names = rest.substr(0, rest.find("\r\n") + 2);
    const std::string one_row = text::write_csv({resident(1, "A", "P0001", "見本　秘密")}, false);
    CHECK(error_of(header + names + one_row + "#end,2," + linkage_trailer(1, one_row).substr(7) + "\r\n").find("件数") !=
          std::string::npos);
  }
  // Messages never carry the data.
  for (const auto& bad : {cut, altered}) CHECK(error_of(bad).find("秘密") == std::string::npos);
}

TEST_CASE("Rows are checked field by field: the message names the line and the column", "[domain][linkage]") {
  auto bad_date = resident(8, "A", "P0001", "見本　太郎");
  bad_date[3] = "2026-02-30";
  CHECK(error_of(file("resident", kResidentColumns, {resident(7, "A", "P0000", "見本　花子"), bad_date})) == "4行目 異動日: 日付として読めません（YYYY-MM-DD）");
  auto empty_name = resident(1, "A", "P0001", "");
  CHECK(error_of(file("resident", kResidentColumns, {empty_name})) == "3行目 氏名: 必須の項目が空です");
  // The sequence runs on without a gap inside a file.
  CHECK(error_of(file("resident", kResidentColumns, {resident(1, "A", "P1", "甲"), resident(3, "A", "P2", "乙")})) ==
        "4行目 連携番号: 前の行の続きの番号ではありません");
  // A full copy writes F on every row; a delta never does.
  CHECK(error_of(file("resident", kResidentColumns, {resident(1, "M", "P1", "甲")}, "utf-8", "full", "run1")) ==
        "3行目 異動区分: 全件（full）ではFです");
  CHECK(error_of(file("resident", kResidentColumns, {resident(1, "F", "P1", "甲")})) == "3行目 異動区分: A、M、Dのどれかです");
  // Columns: unknown, repeated, a required one missing.
  auto with_unknown = kResidentColumns;
  with_unknown.push_back("マイナンバー");
  auto row = resident(1, "A", "P1", "甲");
  row.push_back("x");
  CHECK(error_of(file("resident", with_unknown, {row})).find("2行目 マイナンバー: この種類（resident）にない列名です") == 0);
  auto without_code = kResidentColumns;
  without_code.erase(without_code.begin() + 5);  // 住民票コード
  auto short_row = resident(1, "A", "P1", "甲");
  short_row.erase(short_row.begin() + 5);
  CHECK(error_of(file("resident", without_code, {short_row})) == "2行目 住民票コード: 必須の列がありません");
  // Wrong header lines.
  CHECK(error_of("#madoguchi-linkage,2,resident,jukiA,utf-8,,delta,\r\nx\r\n#end,0,").find("1行目") == 0);
  CHECK(error_of("name,kana\r\n").find("1行目") == 0);
}

TEST_CASE("Seal registrations: an abolition carries its date, a registration its impression", "[domain][linkage]") {
  const std::vector<std::string> cols = {"連携番号", "異動区分", "異動日", "宛名番号", "印鑑登録番号", "登録状態", "登録年月日",
                                         "廃止年月日", "登録氏名", "印影ファイル", "印影SHA256"};
  const std::string sha(64, 'a');
  auto f = parse_linkage_file(file("seal", cols,
                                   {{"1", "A", "2026-12-01", "P1", "S100", "1", "2020-01-10", "", "見本　一郎", "S100.png", sha},
                                    {"2", "D", "2026-12-02", "P2", "S101", "2", "2019-05-01", "2026-12-02", "見本　二郎", "", ""}}));
  REQUIRE(f.ok());
  CHECK(f->kind == LinkageKind::seal);
  CHECK(f->rows[1].field("登録状態") == "2");
  CHECK(error_of(file("seal", cols, {{"1", "D", "2026-12-02", "P2", "S101", "2", "2019-05-01", "", "見本　二郎", "", ""}})) ==
        "3行目 廃止年月日: 廃止（2）には廃止年月日が要ります");
  CHECK(error_of(file("seal", cols, {{"1", "A", "2026-12-01", "P1", "S100", "1", "2020-01-10", "", "見本　一郎", "", ""}})) ==
        "3行目 印影ファイル: 登録（1）には印影ファイルと印影SHA256が要ります");
}

TEST_CASE("Tax assessments: amounts are whole yen, the class one of four", "[domain][linkage]") {
  const std::vector<std::string> cols = {"連携番号", "異動区分", "異動日", "宛名番号", "課税年度", "賦課期日住所", "課税区分",
                                         "総所得金額", "合計所得金額", "所得控除合計", "課税標準額", "市町村民税_所得割額",
                                         "市町村民税_均等割額", "道府県民税_所得割額", "道府県民税_均等割額", "年税額"};
  std::vector<std::string> row = {"1", "A", "2026-06-01", "P1", "2026", "東京都見本区", "3", "0", "0", "430000", "0", "0", "0", "0", "0", "0"};
  auto f = parse_linkage_file(file("tax", cols, {row}));
  REQUIRE(f.ok());
  CHECK(f->rows[0].field("課税区分") == "3");  // 非課税
  row[7] = "1,200,000";
  CHECK(error_of(file("tax", cols, {row})) == "3行目 総所得金額: 0以上の整数（区切りなし、15桁まで）で書いてください");
  row[7] = "0";
  row[6] = "5";
  CHECK(error_of(file("tax", cols, {row})) == "3行目 課税区分: 1から4のどれかで書いてください");
}

TEST_CASE("A full copy may state the delta 連携番号 it reflects and its part, as a reconciliation extract must", "[domain][linkage][reconcile]") {
  const auto rows = std::vector<std::vector<std::string>>{resident(1, "F", "P1", "見本　一郎")};
  auto f = parse_linkage_file(file("resident", kResidentColumns, rows, "utf-8", "full", "N1,120,2/3"));
  REQUIRE(f.ok());
  CHECK(f->as_of == 120);
  CHECK(f->part == 2);
  CHECK(f->parts == 3);
  auto h = parse_linkage_header(file("resident", kResidentColumns, rows, "utf-8", "full", "N1,120,2/3"));
  REQUIRE(h.ok());
  CHECK(h->run_id == "N1");
  CHECK(h->as_of == 120);
  CHECK(h->parts == 3);
  // Without them, as before.
  CHECK(parse_linkage_file(file("resident", kResidentColumns, rows, "utf-8", "full", "N1"))->parts == 0);
  // Written back the same.
  LinkageFileHeader w{LinkageKind::resident, "jukiA", madoguchi::text::Encoding::utf8, "", true, "N1", 120, 2, 3};
  auto written = write_linkage_file(w, kResidentColumns, rows);
  REQUIRE(written.ok());
  CHECK(parse_linkage_file(*written)->as_of == 120);
  w.part = 4;
  CHECK_FALSE(write_linkage_file(w, kResidentColumns, rows).ok());
  // Only for a full copy, with digits and part/parts in range.
  for (const char* bad : {"N1,x,1/1", "N1,1,0/1", "N1,1,2/1", "N1,1,1", "N1,1,1/x", "N1,1234567890123,1/1"}) {
    INFO(bad);
    CHECK(error_of(file("resident", kResidentColumns, rows, "utf-8", "full", bad)).starts_with("1行目"));
  }
  const auto delta = std::vector<std::vector<std::string>>{resident(1, "A", "P1", "見本　一郎")};
  CHECK(error_of(file("resident", kResidentColumns, delta, "utf-8", "delta", ",5,1/1")).find("全件") != std::string::npos);
}
