#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "madoguchi/text/encoding.h"
#include "skip.h"

namespace t = madoguchi::text;
using madoguchi::Errc;

namespace {

std::string utf8_of(std::uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

std::string cp932_bytes(std::uint32_t code) {
  std::string out;
  if (code > 0xFF) out += static_cast<char>(code >> 8);
  out += static_cast<char>(code & 0xFF);
  return out;
}

std::string hex(std::uint32_t v) {
  std::ostringstream s;
  s << "0x" << std::hex << std::uppercase << v;
  return s.str();
}

struct Mapping {
  std::uint32_t code;
  std::uint32_t unicode;
};

// Parses Microsoft's table: "0x8160<TAB>0xFF5E<TAB>#FULLWIDTH TILDE"; lines whose Unicode column
// is empty (#UNDEFINED, #DBCS LEAD BYTE) are skipped.
std::vector<Mapping> read_table(std::istream& in) {
  std::vector<Mapping> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string code, unicode;
    fields >> code >> unicode;
    if (code.rfind("0x", 0) != 0 || unicode.rfind("0x", 0) != 0) continue;
    out.push_back({static_cast<std::uint32_t>(std::stoul(code, nullptr, 16)),
                   static_cast<std::uint32_t>(std::stoul(unicode, nullptr, 16))});
  }
  return out;
}

std::string must_decode(std::string_view cp932) {
  auto r = t::cp932_to_utf8(cp932);
  REQUIRE(r.ok());
  return *r;
}

std::string must_encode(std::string_view utf8) {
  auto r = t::utf8_to_cp932(utf8);
  REQUIRE(r.ok());
  return *r;
}

}  // namespace

TEST_CASE("Every mapping in Microsoft's CP932 table decodes and encodes as Windows does", "[text][encoding][cp932]") {
  std::ifstream file(MADOGUCHI_CP932_TABLE);
  if (!file) {
    madoguchi::testing::skip_test("Microsoft's CP932 table is not at " MADOGUCHI_CP932_TABLE
                                 " (shared/data is not checked out)");
    return;
  }
  const std::vector<Mapping> table = read_table(file);
  // The table has 7,915 codes (PROVENANCE.md); a parse that found few would make this test vacuous.
  REQUIRE(table.size() == 7915);

  std::map<std::uint32_t, std::vector<std::uint32_t>> codes_of;  // Unicode -> its CP932 codes
  for (const Mapping& m : table) codes_of[m.unicode].push_back(m.code);

  std::size_t checked = 0;
  for (const Mapping& m : table) {
    INFO("CP932 " << hex(m.code) << " <-> U+" << hex(m.unicode));
    auto decoded = t::cp932_to_utf8(cp932_bytes(m.code));
    REQUIRE(decoded.ok());
    REQUIRE(*decoded == utf8_of(m.unicode));
    auto encoded = t::utf8_to_cp932(*decoded);
    REQUIRE(encoded.ok());
    // Duplicated characters (NEC row 13 / IBM / NEC-selected IBM) encode to one of their codes,
    // and whichever it is decodes to the same character.
    const auto& candidates = codes_of[m.unicode];
    const std::uint32_t got = encoded->size() == 1 ? static_cast<unsigned char>((*encoded)[0])
                                                   : (static_cast<std::uint32_t>(static_cast<unsigned char>((*encoded)[0])) << 8) |
                                                         static_cast<unsigned char>((*encoded)[1]);
    REQUIRE(encoded->size() <= 2);
    REQUIRE(std::find(candidates.begin(), candidates.end(), got) != candidates.end());
    ++checked;
  }
  CHECK(checked == table.size());

  // The whole table as one text, both ways.
  std::string all_cp932, all_utf8;
  for (const Mapping& m : table) {
    all_cp932 += cp932_bytes(m.code);
    all_utf8 += utf8_of(m.unicode);
  }
  CHECK(must_decode(all_cp932) == all_utf8);
  CHECK(must_decode(must_encode(all_utf8)) == all_utf8);
}

TEST_CASE("CP932 follows Microsoft where it differs from JIS: wave dash, minus and friends", "[text][encoding][cp932]") {
  CHECK(must_decode("\x81\x60") == "～");  // U+FF5E, not U+301C 〜
  CHECK(must_decode("\x81\x7C") == "－");  // U+FF0D, not U+2212 −
  CHECK(must_decode("\x81\x61") == "∥");   // U+2225, not U+2016
  CHECK(must_decode("\x81\x5C") == "―");   // U+2015, not U+2014
  CHECK(must_decode("\x81\x91\x81\x92\x81\xCA") == "￠￡￢");
  CHECK(must_decode("\x5C\x7E") == "\\~");  // not ¥ and ‾
  // Both forms of 〜 and − encode to the one CP932 code; decoding gives the Microsoft form.
  CHECK(must_encode("～") == "\x81\x60");
  CHECK(must_encode("〜") == "\x81\x60");
  CHECK(must_encode("－") == "\x81\x7C");
  CHECK(must_encode("−") == "\x81\x7C");
  CHECK(must_encode("¥") == "\x5C");
}

TEST_CASE("Duplicated CP932 characters encode to the code Windows chooses", "[text][encoding][cp932]") {
  CHECK(must_encode("≒") == "\x81\xE0");  // JIS row 2, not NEC row 13 0x8790
  CHECK(must_encode("Ⅰ") == "\x87\x54");  // NEC row 13, not IBM 0xFA4A
  CHECK(must_encode("ⅰ") == "\xFA\x40");  // IBM, not NEC-selected 0xEEEF
  CHECK(must_encode("髙") == "\xFB\xFC");  // IBM, not NEC-selected 0xEEE0
  CHECK(must_encode("﨑") == "\xFA\xB1");  // IBM, not NEC-selected 0xED95
  CHECK(must_decode("\xEE\xE0") == "髙");
  CHECK(must_decode("\xED\x95") == "﨑");
}

TEST_CASE("Japanese text with extension kanji, half-width katakana, wave dash and full-width minus survives CP932", "[text][encoding][cp932]") {
  const std::string name = "髙﨑 德太郎　ｶﾀｶﾅ ｱｲｳｴｵﾞﾟ 9時～17時 １－２－３ ①Ⅱ㈱ ㌔ \\ ~";
  const std::string sjis = must_encode(name);
  CHECK(sjis.find("\xFB\xFC") != std::string::npos);  // 髙
  CHECK(sjis.find("\xB6\xC0\xB6\xC5") != std::string::npos);  // ｶﾀｶﾅ, one byte each
  CHECK(must_decode(sjis) == name);
}

TEST_CASE("User-defined CP932 characters map to the private use area and back", "[text][encoding][cp932]") {
  CHECK(must_decode("\xF0\x40") == utf8_of(0xE000));
  CHECK(must_decode("\xF9\xFC") == utf8_of(0xE757));
  CHECK(must_encode(utf8_of(0xE000)) == "\xF0\x40");
}

TEST_CASE("Invalid Shift_JIS bytes are refused naming the byte offset", "[text][encoding][cp932]") {
  struct Case {
    std::string bytes;
    std::size_t offset;
  };
  const std::vector<Case> cases = {
      {"ab\x80", 2},            // unassigned single byte
      {"\x82\xA0\xA0", 2},      // 0xA0 unassigned
      {"\x82\xA0x\xFD", 3},     // 0xFD-0xFF unassigned
      {"\x82\xA0\x81\x20", 2},  // bad trail byte
      {"\x85\x40", 0},          // unassigned row
      {"abc\x82", 3},           // lead byte at the end
  };
  for (const Case& c : cases) {
    INFO("offset " << c.offset);
    auto r = t::cp932_to_utf8(c.bytes);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::malformed);
    CHECK(r.error().message.find("byte offset " + std::to_string(c.offset) + ":") != std::string::npos);
  }
}

TEST_CASE("Characters CP932 cannot represent are refused naming the byte offset, not the text", "[text][encoding][cp932]") {
  auto emoji = t::utf8_to_cp932("田中😀");
  REQUIRE_FALSE(emoji.ok());
  CHECK(emoji.error().code == Errc::malformed);
  CHECK(emoji.error().message.find("byte offset 6:") != std::string::npos);
  CHECK(emoji.error().message.find("田中") == std::string::npos);
  auto yoshi = t::utf8_to_cp932("𠮷野");  // the "tsuchi-yoshi" variant is outside CP932
  REQUIRE_FALSE(yoshi.ok());
  CHECK(yoshi.error().message.find("byte offset 0:") != std::string::npos);
  auto invalid = t::utf8_to_cp932("ab\xC3");
  REQUIRE_FALSE(invalid.ok());
  CHECK(invalid.error().message.find("byte offset 2: invalid UTF-8") != std::string::npos);
}

TEST_CASE("Empty text converts to empty text both ways", "[text][encoding][cp932]") {
  CHECK(must_decode("").empty());
  CHECK(must_encode("").empty());
}

TEST_CASE("UTF-8 validation refuses overlong forms, surrogates, truncation and values above U+10FFFF", "[text][encoding][utf8]") {
  CHECK(t::valid_utf8(""));
  CHECK(t::valid_utf8("ascii"));
  CHECK(t::valid_utf8("髙橋ｱ😀"));
  CHECK(t::valid_utf8(utf8_of(0x10FFFF)));
  CHECK(t::valid_utf8(utf8_of(0xFFFD)));
  CHECK_FALSE(t::valid_utf8("\xC0\xAF"));          // overlong '/'
  CHECK_FALSE(t::valid_utf8("\xE0\x80\xAF"));      // overlong
  CHECK_FALSE(t::valid_utf8("\xED\xA0\x80"));      // surrogate U+D800
  CHECK_FALSE(t::valid_utf8("\xF4\x90\x80\x80"));  // U+110000
  CHECK_FALSE(t::valid_utf8("\xF5\x80\x80\x80"));
  CHECK_FALSE(t::valid_utf8("\x80"));
  CHECK_FALSE(t::valid_utf8("\xE9\xAB"));          // truncated
  CHECK(t::first_invalid_utf8("ab髙\xFF") == std::optional<std::size_t>(5));
  CHECK(t::first_invalid_utf8("ab\xE9\xABz") == std::optional<std::size_t>(2));
  CHECK_FALSE(t::first_invalid_utf8("髙").has_value());
}

TEST_CASE("Encoding detection recognises a BOM, UTF-8 text and Shift_JIS bytes", "[text][encoding][detect]") {
  CHECK(t::detect_encoding("\xEF\xBB\xBF" "abc") == t::Encoding::utf8);
  // A BOM decides even when what follows is not valid UTF-8.
  CHECK(t::detect_encoding("\xEF\xBB\xBF\x82\xA0") == t::Encoding::utf8);
  CHECK(t::detect_encoding("氏名,住所\r\n髙橋,東京都\r\n") == t::Encoding::utf8);
  CHECK(t::detect_encoding("name,address\r\n") == t::Encoding::utf8);
  CHECK(t::detect_encoding("") == t::Encoding::utf8);
  CHECK(t::detect_encoding(must_encode("氏名,住所\r\n髙橋,東京都\r\n")) == t::Encoding::cp932);
  CHECK(t::detect_encoding("\xB6\xC0\xB6\xC5") == t::Encoding::cp932);  // half-width ｶﾀｶﾅ
}

TEST_CASE("Stripping the BOM removes exactly the three leading bytes and nothing else", "[text][encoding]") {
  CHECK(t::strip_utf8_bom("\xEF\xBB\xBF" "a") == "a");
  CHECK(t::strip_utf8_bom("\xEF\xBB\xBF\xEF\xBB\xBF" "a") == "\xEF\xBB\xBF" "a");
  CHECK(t::strip_utf8_bom("a\xEF\xBB\xBF") == "a\xEF\xBB\xBF");
  CHECK(t::strip_utf8_bom("\xEF\xBB") == "\xEF\xBB");
  CHECK(t::strip_utf8_bom("").empty());
}
