// External characters (LNK-4, LNK-7): vendor codes, the 外字対照表, holding what is not confirmed,
// and the MJ data (../shared/data/mj, read here, never copied into the repository).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "madoguchi/domain/gaiji.h"
#include "skip.h"

using namespace madoguchi::domain;
using madoguchi::Errc;

namespace {
std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
const std::string kPuaF040 = "\xEE\x80\x80";  // U+E000
const std::string kPuaF041 = "\xEE\x80\x81";  // U+E001
const std::string kKatsuIvs = "葛\xF3\xA0\x84\x82";  // U+845B U+E0102 (MJ022335)
}  // namespace

TEST_CASE("Vendor codes are CP932's user-defined area: U+E000 is F040, the row skips 7F, U+E757 is F9FC", "[domain][gaiji]") {
  CHECK(vendor_code_of(0xE000) == "F040");
  CHECK(vendor_code_of(0xE03E) == "F07E");
  CHECK(vendor_code_of(0xE03F) == "F080");  // 0x7F is never a trail byte
  CHECK(vendor_code_of(0xE0BB) == "F0FC");
  CHECK(vendor_code_of(0xE0BC) == "F140");
  CHECK(vendor_code_of(0xE757) == "F9FC");
  CHECK_FALSE(vendor_code_of(0xE758));
  CHECK_FALSE(vendor_code_of(0x845B));
  for (char32_t c = 0xE000; c <= 0xE757; ++c) CHECK(code_point_of_vendor_code(*vendor_code_of(c)) == c);
  CHECK_FALSE(code_point_of_vendor_code("F07F"));
  CHECK_FALSE(code_point_of_vendor_code("FA40"));
  CHECK(vendor_codes_in("見本" + kPuaF041 + "村" + kPuaF040 + kPuaF041) == std::vector<std::string>{"F041", "F040"});
  CHECK(vendor_codes_in("葛西 " + kKatsuIvs).empty());  // IVS is not a vendor code
  CHECK(mark_vendor_codes(kPuaF040 + "西" + kKatsuIvs) == "〓(F040)西" + kKatsuIvs);
}

TEST_CASE("A record is held until every vendor code it uses is confirmed, and then prints the confirmed character exactly (LNK-4, LNK-7)",
          "[domain][gaiji]") {
  std::map<std::string, GaijiMapping> table;
  const std::string name = kPuaF040 + "西　花子";
  auto r = resolve_vendor_codes(name, table);
  CHECK(r.text.empty());
  CHECK(r.unresolved == std::vector<std::string>{"F040"});
  // Proposed but not confirmed: still held, never printed with a guess.
  table["F040"] = GaijiMapping{"vendor-2026", "F040", kKatsuIvs, "MJ022335", false, "admin01", 1, "ベンダー対照表"};
  CHECK_FALSE(resolve_vendor_codes(name, table).unresolved.empty());
  table["F040"].confirmed = true;
  r = resolve_vendor_codes(name, table);
  CHECK(r.unresolved.empty());
  CHECK(r.text == kKatsuIvs + "西　花子");  // the IVS kept, nothing shrunk
  CHECK(resolve_vendor_codes("見本　太郎", {}).text == "見本　太郎");

  auto body = gaiji_map_body(table["F040"]);
  auto back = gaiji_map_from_body(body);
  REQUIRE(back.ok());
  CHECK(back->text == kKatsuIvs);
  CHECK(back->confirmed);
  auto bad = table["F040"];
  bad.text = "葛西";  // two characters
  CHECK(gaiji_map_from_body(gaiji_map_body(bad)).error().code == Errc::invalid_argument);
  bad.text = kPuaF040;  // a vendor code is not an identification
  CHECK_FALSE(gaiji_map_from_body(gaiji_map_body(bad)).ok());
}

TEST_CASE("A vendor's code table is read by its header, in TSV or CSV, refused with the line on any doubt", "[domain][gaiji]") {
  auto t = parse_vendor_code_table("外字コード\t文字\tMJ文字図形名\nF040\t" + kKatsuIvs + "\tMJ022335\nf041\t辻\t\n");
  REQUIRE(t.ok());
  REQUIRE(t->size() == 2);
  CHECK((*t)[0].code == "F040");
  CHECK((*t)[0].text == kKatsuIvs);
  CHECK((*t)[1].code == "F041");  // lower-case hex accepted
  auto csv = parse_vendor_code_table("文字,外字コード\r\n𠮷,F044\r\n");
  REQUIRE(csv.ok());
  CHECK((*csv)[0].text == "\xF0\xA0\xAE\xB7");
  CHECK(parse_vendor_code_table("外字コード\t文字\nF040\t葛西\n").error().message.find("2行目") != std::string::npos);
  CHECK(parse_vendor_code_table("外字コード\t文字\nE000\t葛\n").error().message.find("2行目") != std::string::npos);
  CHECK_FALSE(parse_vendor_code_table("code\tchar\nF040\t葛\n").ok());
  CHECK_FALSE(parse_vendor_code_table("\x82\xa0").ok());  // not UTF-8
}

TEST_CASE("The MJ data identifies a character with its IVS, readings and the characters it may shrink to (LNK-4)", "[domain][gaiji][shared]") {
  const std::filesystem::path dir = MADOGUCHI_MJ_DIR;
  if (!std::filesystem::exists(dir / "mji-list.tsv")) {
    madoguchi::testing::skip_test("no MJ data at " + dir.string() + " (../shared/data/mj)");
    return;
  }
  auto idx = MjIndex::load(read(dir / "mji-list.tsv"), read(dir / "mj-readings.tsv"), read(dir / "MJShrinkMap.1.2.0.json"));
  REQUIRE(idx.ok());
  CHECK(idx->size() == 58862);
  const MjCharacter* katsu = idx->find_text(kKatsuIvs);
  REQUIRE(katsu);
  CHECK(katsu->mj == "MJ022335");
  CHECK(katsu->ucs == "葛");
  CHECK(katsu->text() == kKatsuIvs);
  CHECK(katsu->jis == "1-19-75");
  CHECK(std::find(katsu->shrink.begin(), katsu->shrink.end(), "葛") != katsu->shrink.end());
  const MjCharacter* yoshi = idx->find_mj("MJ032129");  // 𠮷, outside CP932 and JIS X 0208
  REQUIRE(yoshi);
  CHECK(yoshi->ucs == "\xF0\xA0\xAE\xB7");
  CHECK(std::find(yoshi->shrink.begin(), yoshi->shrink.end(), "吉") != yoshi->shrink.end());
  CHECK(idx->find_text("葛"));  // a bare character finds its own figure
  CHECK_FALSE(idx->find_text("x"));
  const MjCharacter* watanabe = idx->find_mj("MJ026190");  // 邉 + U+E010F
  REQUIRE(watanabe);
  CHECK(watanabe->readings.find("ヘン") != std::string::npos);
}
