// drivers/xlsx (ISS-7): the workbook is read back as the ZIP it is. A small reader below walks the
// central directory and inflates each entry with zlib, so the checks look at the real XML parts.
#include <catch2/catch.hpp>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "madoguchi/xlsx/sheet_writer.h"
#include "temp_dir.h"

namespace x = madoguchi::xlsx;
using madoguchi::Errc;
using madoguchi::testing::TempDir;

namespace {
std::uint32_t u16(const std::string& b, std::size_t at) {
  REQUIRE(at + 2 <= b.size());
  return static_cast<unsigned char>(b[at]) | static_cast<unsigned char>(b[at + 1]) << 8;
}
std::uint32_t u32(const std::string& b, std::size_t at) { return u16(b, at) | u16(b, at + 2) << 16; }

std::string inflate_raw(std::string_view in, std::size_t expected) {
  std::string out(expected, '\0');
  z_stream z{};
  REQUIRE(inflateInit2(&z, -MAX_WBITS) == Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&z, Z_FINISH);
  inflateEnd(&z);
  REQUIRE(rc == Z_STREAM_END);
  REQUIRE(z.total_out == expected);
  return out;
}

// Every entry of a ZIP file by name, uncompressed (stored or deflated; no ZIP64).
std::map<std::string, std::string> unzip(const std::string& zip) {
  REQUIRE(zip.size() > 22);
  REQUIRE(zip.compare(0, 4, "PK\x03\x04") == 0);  // a local file header first
  std::size_t eocd = zip.rfind(std::string("PK\x05\x06", 4));
  REQUIRE(eocd != std::string::npos);
  const std::uint32_t entries = u16(zip, eocd + 10);
  std::size_t at = u32(zip, eocd + 16);  // central directory offset
  std::map<std::string, std::string> files;
  for (std::uint32_t i = 0; i < entries; ++i) {
    REQUIRE(u32(zip, at) == 0x02014b50);
    const std::uint32_t method = u16(zip, at + 10);
    const std::uint32_t packed = u32(zip, at + 20), size = u32(zip, at + 24);
    const std::uint32_t name_len = u16(zip, at + 28), extra_len = u16(zip, at + 30), comment_len = u16(zip, at + 32);
    const std::uint32_t local = u32(zip, at + 42);
    const std::string name = zip.substr(at + 46, name_len);
    REQUIRE(u32(zip, local) == 0x04034b50);
    const std::size_t data = local + 30 + u16(zip, local + 26) + u16(zip, local + 28);
    REQUIRE(data + packed <= zip.size());
    const std::string_view body(zip.data() + data, packed);
    if (method == 0) {
      files[name] = std::string(body);
    } else {
      REQUIRE(method == 8);
      files[name] = inflate_raw(body, size);
    }
    at += 46 + name_len + extra_len + comment_len;
  }
  return files;
}

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

std::size_t files_in(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

const std::vector<std::string> kHeader{"製造番号", "氏名", "受付番号", "備考"};
}  // namespace

TEST_CASE("A sheet is written as text with a bold frozen header, filter and column widths (ISS-7)", "[xlsx]") {
  TempDir dir;
  auto w = x::SheetWriter::create(dir.path(), "カード一覧", kHeader);
  REQUIRE(w);
  REQUIRE((*w)->add_row({"0123456789ABCDEF", "山田 太郎", "0001", "本人確認済 & <封筒>"}));
  REQUIRE((*w)->add_row({"0000000000000002", "ﾔﾏﾀﾞ ﾊﾅｺ", "", "二行の\n申し送り"}));
  REQUIRE((*w)->add_row({"0000000000000003"}));  // shorter rows leave the rest empty
  REQUIRE((*w)->add_row({"0000000000000004", "", "", "a\x01" "b"}));  // a control character stays well-formed XML
  CHECK((*w)->rows() == 4);
  auto bytes = (*w)->finish_bytes();
  REQUIRE(bytes);
  CHECK(files_in(dir.path()) == 0);  // the workbook and libxlsxwriter's temporary files are gone

  const auto files = unzip(*bytes);
  REQUIRE(files.count("xl/workbook.xml"));
  CHECK(has(files.at("xl/workbook.xml"), "name=\"カード一覧\""));
  REQUIRE(files.count("xl/worksheets/sheet1.xml"));
  const std::string& sheet = files.at("xl/worksheets/sheet1.xml");
  INFO(sheet.substr(0, 3000));
  // Text cells (inline strings in constant-memory mode), codes with their leading zeros.
  for (const char* text : {"製造番号", "0123456789ABCDEF", "山田 太郎", "<t>0001</t>", "本人確認済 &amp; &lt;封筒&gt;",
                           "ﾔﾏﾀﾞ ﾊﾅｺ", "二行の\n申し送り", "0000000000000003", "a_x0001_b"}) {
    CAPTURE(text);
    CHECK(has(sheet, text));
  }
  CHECK_FALSE(has(sheet, "<v>"));  // no numeric cell anywhere
  CHECK_FALSE(has(sheet, "r=\"C3\""));  // an empty cell is not written
  CHECK(has(sheet, "<pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/>"));
  CHECK(has(sheet, "<autoFilter ref=\"A1:D5\"/>"));
  // The header cells carry the bold format; styles.xml has it.
  CHECK(has(sheet, "<c r=\"A1\" s=\"1\" t=\"inlineStr\">"));
  CHECK(has(sheet, "<c r=\"A2\" t=\"inlineStr\">"));
  CHECK(has(files.at("xl/styles.xml"), "<b/>"));
  // Widths: the widest cell + 3 (room for the filter button): A 16 ASCII characters.
  CHECK(has(sheet, "<col min=\"1\" max=\"1\" width=\"19.7109375\" customWidth=\"1\"/>"));
  CHECK(has(sheet, "<col min=\"3\" max=\"3\" width=\"11.7109375\" customWidth=\"1\"/>"));  // 受付番号: 8 + 3
}

TEST_CASE("finish_to moves the workbook to the path given (ISS-7)", "[xlsx]") {
  TempDir dir;
  TempDir out;
  auto w = x::SheetWriter::create(dir.path(), "Sheet", {"a"});
  REQUIRE(w);
  REQUIRE((*w)->add_row({"交付済"}));
  const auto path = out / "cards.xlsx";
  REQUIRE((*w)->finish_to(path));
  CHECK(files_in(dir.path()) == 0);
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  CHECK(has(unzip(s.str()).at("xl/worksheets/sheet1.xml"), "交付済"));
  // Finished: everything else is refused.
  CHECK((*w)->add_row({"x"}).error().code == Errc::invalid_argument);
  CHECK_FALSE((*w)->finish_bytes());
}

TEST_CASE("Bad sheet names, long rows and invalid text are refused naming the place (ISS-7)", "[xlsx]") {
  TempDir dir;
  CHECK(x::SheetWriter::create(dir.path(), "a/b", kHeader).error().code == Errc::invalid_argument);
  CHECK(x::SheetWriter::create(dir.path(), std::string(32, 'a'), kHeader).error().code == Errc::invalid_argument);
  CHECK(x::SheetWriter::create(dir.path(), "", kHeader).error().code == Errc::invalid_argument);
  CHECK(x::SheetWriter::create(dir.path(), "s", {}).error().code == Errc::invalid_argument);
  CHECK(x::SheetWriter::create(dir.path() / "absent", "s", kHeader).error().code == Errc::io);
  CHECK(files_in(dir.path()) == 0);

  auto w = x::SheetWriter::create(dir.path(), "s", kHeader);
  REQUIRE(w);
  auto long_row = (*w)->add_row({"1", "2", "3", "4", "5"});
  REQUIRE_FALSE(long_row);
  CHECK(long_row.error().code == Errc::invalid_argument);
  auto bad = (*w)->add_row({"ok", "\xff\xfe"});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == "xlsx: row 2, column B: not valid UTF-8");
  auto huge = (*w)->add_row({std::string(x::kMaxCellBytes + 1, 'a')});
  REQUIRE_FALSE(huge);
  CHECK(huge.error().code == Errc::too_large);
  // The refused rows wrote nothing; the writer goes on.
  REQUIRE((*w)->add_row({"after"}));
  CHECK((*w)->rows() == 1);
  auto bytes = (*w)->finish_bytes();
  REQUIRE(bytes);
  const auto sheet = unzip(*bytes).at("xl/worksheets/sheet1.xml");
  CHECK(has(sheet, "<c r=\"A2\" t=\"inlineStr\"><is><t>after</t></is></c>"));
}

TEST_CASE("A writer dropped unfinished leaves no file behind (ISS-7)", "[xlsx]") {
  TempDir dir;
  {
    auto w = x::SheetWriter::create(dir.path(), "s", kHeader);
    REQUIRE(w);
    REQUIRE((*w)->add_row({"山田 太郎"}));
  }
  CHECK(files_in(dir.path()) == 0);
}

TEST_CASE("A sheet holds Excel's 1,048,576 rows and no more (ISS-7)", "[xlsx]") {
  TempDir dir;
  auto w = x::SheetWriter::create(dir.path(), "s", {"n"});
  REQUIRE(w);
  const std::vector<std::string> row{"1"};
  for (std::size_t i = 1; i < x::kMaxRows; ++i) {
    auto st = (*w)->add_row(row);
    if (!st) FAIL("row " << i << ": " << st.error().message);
  }
  auto over = (*w)->add_row(row);
  REQUIRE_FALSE(over);
  CHECK(over.error().code == Errc::too_large);
  CHECK((*w)->rows() == x::kMaxRows - 1);
  auto bytes = (*w)->finish_bytes();
  REQUIRE(bytes);
  const auto sheet = unzip(*bytes).at("xl/worksheets/sheet1.xml");
  CHECK(has(sheet, "<autoFilter ref=\"A1:A1048576\"/>"));
  CHECK(has(sheet, "r=\"A1048576\""));
}
