#include <catch2/catch.hpp>

#include <string>

#include "madoguchi/text/csv.h"

namespace t = madoguchi::text;
using madoguchi::Errc;
using Rows = t::CsvRows;

namespace {

Rows must_parse(std::string_view text, const t::CsvOptions& options = {}) {
  auto r = t::parse_csv(text, options);
  if (!r.ok()) FAIL(r.error().describe());
  return *r;
}

// The error of a parse that must fail, checked for its code and its "line L, column C: " prefix.
void require_error(std::string_view text, Errc code, const std::string& where, const t::CsvOptions& options = {}) {
  auto r = t::parse_csv(text, options);
  REQUIRE_FALSE(r.ok());
  INFO(r.error().describe());
  CHECK(r.error().code == code);
  CHECK(r.error().message.rfind(where, 0) == 0);
}

}  // namespace

TEST_CASE("Plain CSV splits into records and fields, with or without a final newline", "[text][csv]") {
  CHECK(must_parse("a,b,c\r\n1,2,3\r\n") == Rows{{"a", "b", "c"}, {"1", "2", "3"}});
  CHECK(must_parse("a,b,c\r\n1,2,3") == Rows{{"a", "b", "c"}, {"1", "2", "3"}});
  CHECK(must_parse("a,b\n1,2\n") == Rows{{"a", "b"}, {"1", "2"}});
  CHECK(must_parse("a,b\r1,2\r") == Rows{{"a", "b"}, {"1", "2"}});  // old Excel for Mac
}

TEST_CASE("Empty CSV input has no records and an empty line is one empty field", "[text][csv]") {
  CHECK(must_parse("").empty());
  CHECK(must_parse("\xEF\xBB\xBF").empty());
  CHECK(must_parse("\r\n") == Rows{{""}});
  CHECK(must_parse("a\r\n\r\nb\r\n") == Rows{{"a"}, {""}, {"b"}});
  CHECK(must_parse(",\r\n,,") == Rows{{"", ""}, {"", "", ""}});
}

TEST_CASE("A comma at the very end of the input ends with an empty field and reads nothing past the end", "[text][csv][regression]") {
  // Found by fuzz_csv: after a final ',' the parser looked at the byte after the input. Here that
  // byte is a quote, so the old code reported an unterminated quoted field.
  const std::string buffer = "a,b\n1,\"x";
  CHECK(must_parse(std::string_view(buffer).substr(0, buffer.size() - 2)) == Rows{{"a", "b"}, {"1", ""}});
}

TEST_CASE("Quoted CSV fields keep commas, doubled quotes and embedded newlines", "[text][csv]") {
  CHECK(must_parse("\"a,b\",\"say \"\"hi\"\"\",\"\"\r\n") == Rows{{"a,b", "say \"hi\"", ""}});
  CHECK(must_parse("\"東京都\n千代田区\",x\r\n\"1\r\n2\",y") == Rows{{"東京都\n千代田区", "x"}, {"1\r\n2", "y"}});
  CHECK(must_parse("\"\"\"\"") == Rows{{"\""}});
}

TEST_CASE("Spaces and apostrophes in unquoted CSV fields are data", "[text][csv]") {
  CHECK(must_parse(" a , b ,'c\r\n") == Rows{{" a ", " b ", "'c"}});
}

TEST_CASE("Records of different lengths are kept as they are", "[text][csv]") {
  CHECK(must_parse("a,b,c\r\n1\r\n1,2,3,4\r\n") == Rows{{"a", "b", "c"}, {"1"}, {"1", "2", "3", "4"}});
}

TEST_CASE("A leading UTF-8 BOM is not part of the first CSV field", "[text][csv]") {
  CHECK(must_parse("\xEF\xBB\xBF" "氏名,住所\r\n") == Rows{{"氏名", "住所"}});
}

TEST_CASE("An unterminated quoted CSV field is reported at the line and column where it opens", "[text][csv]") {
  require_error("a,b,c\r\n1,2,\"3\r\n4,5,6\r\n", Errc::malformed, "line 2, column 3: unterminated quoted field");
}

TEST_CASE("A quote inside an unquoted CSV field is refused with its line and column", "[text][csv]") {
  require_error("a,b\r\n1,2\r\nx,y\"z\r\n", Errc::malformed, "line 3, column 2: quote inside an unquoted field");
  require_error("a, \"b\"\r\n", Errc::malformed, "line 1, column 2: quote");
}

TEST_CASE("Text after a closing quote is refused, counting lines inside quoted fields", "[text][csv]") {
  require_error("a,\"multi\nline\"x\r\n", Errc::malformed, "line 2, column 2: unexpected character after the closing quote");
  require_error("\"1\n2\n3\",ok\r\nz,\"b\"c", Errc::malformed, "line 4, column 2: unexpected character");
}

TEST_CASE("NUL bytes and invalid UTF-8 in CSV are refused with their line and column", "[text][csv]") {
  require_error(std::string("a,b\r\nc,d\0e\r\n", 12), Errc::malformed, "line 2, column 2: NUL byte");
  require_error("a,b\r\n\"x\ny\xFFz\",d\r\n", Errc::malformed, "line 3, column 1: invalid UTF-8");
  require_error("a,\x82\xA0\r\n", Errc::malformed, "line 1, column 2: invalid UTF-8");
}

TEST_CASE("A CSV record with too many fields is refused as too large", "[text][csv]") {
  t::CsvOptions options;
  options.max_fields = 3;
  CHECK(must_parse("1,2,3\r\n", options).size() == 1);
  require_error("1,2,3\r\n1,2,3,4\r\n", Errc::too_large, "line 2, column 4: more than 3 fields", options);
  std::string wide;
  for (int i = 0; i < 256; ++i) wide += "x,";
  require_error(wide + "x", Errc::too_large, "line 1, column 257: more than 256 fields");
}

TEST_CASE("An oversize CSV field, input or record count is refused as too large", "[text][csv]") {
  t::CsvOptions options;
  options.max_field_bytes = 4;
  CHECK(must_parse("abcd,\"ab\"\"c\"", options) == Rows{{"abcd", "ab\"c"}});
  require_error("ok\r\nabcde", Errc::too_large, "line 2, column 1: field longer than 4 bytes", options);
  require_error("ok,\"a\nbcde\"", Errc::too_large, "line 1, column 2: field longer than 4 bytes", options);

  t::CsvOptions small;
  small.max_bytes = 10;
  CHECK(must_parse("0123456789", small).size() == 1);
  auto big = t::parse_csv("0123456789,", small);
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().code == Errc::too_large);

  t::CsvOptions few;
  few.max_rows = 2;
  CHECK(must_parse("a\r\nb\r\n", few).size() == 2);
  require_error("a\r\nb\r\nc\r\n", Errc::too_large, "line 3, column 1: more than 2 records", few);
}

TEST_CASE("CSV bytes in UTF-8, UTF-8 with BOM or CP932 read the same", "[text][csv][encoding]") {
  const std::string utf8 = "氏名,住所\r\n髙﨑 ｱｷﾗ,\"東京都千代田区１－２\"\r\n";
  const Rows expected{{"氏名", "住所"}, {"髙﨑 ｱｷﾗ", "東京都千代田区１－２"}};
  auto cp932 = t::utf8_to_cp932(utf8);
  REQUIRE(cp932.ok());
  for (const std::string& bytes : {utf8, std::string(t::kUtf8Bom) + utf8, *cp932}) {
    auto rows = t::read_csv_bytes(bytes);
    REQUIRE(rows.ok());
    CHECK(*rows == expected);
  }
  auto forced = t::read_csv_bytes(*cp932, t::Encoding::cp932);
  REQUIRE(forced.ok());
  CHECK(*forced == expected);
  auto forced_bom = t::read_csv_bytes(std::string(t::kUtf8Bom) + utf8, t::Encoding::utf8);
  REQUIRE(forced_bom.ok());
  CHECK(*forced_bom == expected);
}

TEST_CASE("CSV bytes that are not valid in the forced encoding are refused", "[text][csv][encoding]") {
  auto cp932 = t::utf8_to_cp932("氏名\r\n");
  REQUIRE(cp932.ok());
  auto as_utf8 = t::read_csv_bytes(*cp932, t::Encoding::utf8);
  REQUIRE_FALSE(as_utf8.ok());
  CHECK(as_utf8.error().message.find("line 1, column 1: invalid UTF-8") != std::string::npos);
  auto bad_sjis = t::read_csv_bytes("a,b\r\n\x82\xA0,\x85\x40\r\n");
  REQUIRE_FALSE(bad_sjis.ok());
  CHECK(bad_sjis.error().code == Errc::malformed);
  CHECK(bad_sjis.error().message.find("byte offset 8") != std::string::npos);
  t::CsvOptions small;
  small.max_bytes = 3;
  auto big = t::read_csv_bytes("a,b\r\n", std::nullopt, small);
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().code == Errc::too_large);
}

TEST_CASE("The CSV writer quotes only what needs quoting and ends every record with CRLF", "[text][csv][writer]") {
  CHECK(t::write_csv({{"a", "b c", "'x"}, {"髙橋"}}) == "a,b c,'x\r\n髙橋\r\n");
  CHECK(t::write_csv({{"a,b", "say \"hi\"", "1\n2", "3\r4"}}) == "\"a,b\",\"say \"\"hi\"\"\",\"1\n2\",\"3\r4\"\r\n");
  CHECK(t::write_csv({}).empty());
  CHECK(t::write_csv({{}, {""}}) == "\r\n\r\n");
}

TEST_CASE("The CSV writer round-trips through the reader when not guarding formulas", "[text][csv][writer]") {
  const Rows rows{{"氏名", "メモ", "金額"},
                  {"髙﨑 ｱｷﾗ", "line1\nline2\r\nline3", "-1,000"},
                  {"\"quoted\"", "", "=SUM(A1)"},
                  {"\xEF\xBB\xBF" "bom first", " spaced ", "@x"},
                  {""}};
  auto back = t::parse_csv(t::write_csv(rows, false));
  REQUIRE(back.ok());
  CHECK(*back == rows);
}

TEST_CASE("The CSV writer prefixes cells that Excel would run as formulas with an apostrophe", "[text][csv][writer]") {
  const Rows rows{{"=HYPERLINK(\"http://x\",\"y\")", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "a=1", "＝1", "－1", "normal"}};
  const std::string out = t::write_csv(rows);
  CHECK(out ==
        "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",'+1,'-1,'@SUM(A1),'\t=1,\"'\r=1\",a=1,'＝1,'－1,normal\r\n");
  auto back = t::parse_csv(out);
  REQUIRE(back.ok());
  CHECK((*back)[0][0] == "'=HYPERLINK(\"http://x\",\"y\")");
  CHECK((*back)[0][6] == "a=1");
  // Without protection the cells are written as they are.
  CHECK(t::write_csv({{"=1", "-1"}}, false) == "=1,-1\r\n");
}

TEST_CASE("Excel CSV in UTF-8 starts with a BOM and guards formulas", "[text][csv][writer]") {
  auto out = t::to_excel_csv({{"氏名", "=1"}}, t::Encoding::utf8);
  REQUIRE(out.ok());
  CHECK(*out == "\xEF\xBB\xBF" "氏名,'=1\r\n");
}

TEST_CASE("Excel CSV in CP932 encodes Japanese text and reads back the same", "[text][csv][writer]") {
  const Rows rows{{"氏名", "住所", "受付時間"}, {"髙﨑 ｱｷﾗ", "東京都１－２－３\n２階", "9時～17時"}, {"=cmd", "", "①"}};
  auto out = t::to_excel_csv(rows, t::Encoding::cp932);
  REQUIRE(out.ok());
  CHECK(t::detect_encoding(*out) == t::Encoding::cp932);
  CHECK(out->find("\xFB\xFC") != std::string::npos);  // 髙 as Windows writes it
  auto back = t::read_csv_bytes(*out);
  REQUIRE(back.ok());
  Rows expected = rows;
  expected[2][0] = "'=cmd";
  CHECK(*back == expected);
}

TEST_CASE("Excel CSV in CP932 refuses an unmappable character naming its row and column", "[text][csv][writer]") {
  auto out = t::to_excel_csv({{"氏名", "メモ"}, {"田中", "OK😀"}}, t::Encoding::cp932);
  REQUIRE_FALSE(out.ok());
  CHECK(out.error().code == Errc::malformed);
  CHECK(out.error().message == "row 2, column 2: character not representable in CP932");
  auto invalid = t::to_excel_csv({{"a", "b\xFF"}}, t::Encoding::utf8);
  REQUIRE_FALSE(invalid.ok());
  CHECK(invalid.error().message == "row 1, column 2: invalid UTF-8");
}

TEST_CASE("A quoted field made of doubled quotes is bounded like any other (found by fuzz_csv)", "[text][csv][regression]") {
  madoguchi::text::CsvOptions options;
  options.max_field_bytes = 8;
  auto ok = madoguchi::text::parse_csv("\"" + std::string(16, '"') + "\"", options);  // 8 quotes
  REQUIRE(ok.ok());
  CHECK((*ok)[0][0] == std::string(8, '"'));
  auto big = madoguchi::text::parse_csv("\"" + std::string(18, '"') + "\"", options);  // 9 quotes
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().code == madoguchi::Errc::too_large);
  auto mixed = madoguchi::text::parse_csv("\"abcdefgh\"\"\"", options);  // 9 bytes once unescaped
  CHECK_FALSE(mixed.ok());
}
