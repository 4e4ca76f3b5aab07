// search_key for name search (ISS-5): width, kana and space folding; MJ variants match their base.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "madoguchi/text/normalize.h"
#include "skip.h"

namespace t = madoguchi::text;
using madoguchi::Errc;

namespace {

std::string key(std::string_view s) {
  auto k = t::search_key(s);
  REQUIRE(k.ok());
  return *k;
}

std::string utf8_of(char32_t cp) {
  std::string out;
  auto b = [&](char32_t v) { out.push_back(static_cast<char>(static_cast<unsigned char>(v))); };
  if (cp < 0x80) {
    b(cp);
  } else if (cp < 0x800) {
    b(0xC0 | (cp >> 6)); b(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    b(0xE0 | (cp >> 12)); b(0x80 | ((cp >> 6) & 0x3F)); b(0x80 | (cp & 0x3F));
  } else {
    b(0xF0 | (cp >> 18)); b(0x80 | ((cp >> 12) & 0x3F)); b(0x80 | ((cp >> 6) & 0x3F)); b(0x80 | (cp & 0x3F));
  }
  return out;
}

}  // namespace

TEST_CASE("Kana names in every width and spacing give one key", "[text][normalize]") {
  const std::string k = key("やまだたろう");
  CHECK(key("ヤマダ タロウ") == k);
  CHECK(key("ﾔﾏﾀﾞ ﾀﾛｳ") == k);
  CHECK(key("ヤマダ　タロウ") == k);
  CHECK(key("ヤマダタロウ") == k);
  CHECK(key(" やまだ・たろう ") == k);
  CHECK(key("ﾔﾏﾀﾞ･ﾀﾛｳ") == k);
  // Decomposed dakuten (macOS) combine like the half-width ones.
  CHECK(key("ヤマタ\u3099タロウ") == k);
  CHECK(key("ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ") == "ぱぴぷぺぽ");
  CHECK(key("ｶﾞｷﾞｸﾞｹﾞｺﾞｻﾞｼﾞｽﾞｾﾞｿﾞﾀﾞﾁﾞﾂﾞﾃﾞﾄﾞﾊﾞﾋﾞﾌﾞﾍﾞﾎﾞ") == "がぎぐげござじずぜぞだぢづでどばびぶべぼ");
  CHECK(key("ｧｨｩｪｫｬｭｮｯ") == "ぁぃぅぇぉゃゅょっ");
  CHECK(key("ｦﾝ") == "をん");
  // A mark that cannot combine stays visible instead of vanishing.
  CHECK(key("ﾝﾞ") == "ん゛");
  CHECK(key("ﾞ") == "゛");
  CHECK(key("ヤマダ") != key("ヤマタ"));
}

TEST_CASE("ヴ, ゔ and the long vowel mark", "[text][normalize]") {
  CHECK(key("ヴァイオリン") == key("ゔぁいおりん"));
  CHECK(key("ｳﾞｧｲｵﾘﾝ") == key("ゔぁいおりん"));
  CHECK(key("ヴ") == "ゔ");
  CHECK(key("ラーメン") == "らーめん");
  CHECK(key("ﾗｰﾒﾝ") == "らーめん");
  CHECK(key("ラーメン") != key("ラメン"));
  CHECK(key("ヶ") == "ゖ");
  CHECK(key("ヷ") == "ヷ");  // no hiragana form
  CHECK(key("ワ\u3099") == "ヷ");
  CHECK(key("ヽヾ") == "ゝゞ");
}

TEST_CASE("Kanji names: spaces go, kanji stay", "[text][normalize]") {
  CHECK(key("山田太郎") == key("山田 太郎"));
  CHECK(key("山田太郎") == key("山田　太郎"));
  CHECK(key("山田太郎") == "山田太郎");
  CHECK(key("髙橋") != key("高橋"));  // different code points are a search policy, not folding
}

TEST_CASE("Latin letters: width and case folded", "[text][normalize]") {
  CHECK(key("SMITH John") == "smithjohn");
  CHECK(key("ＳＭＩＴＨ　Ｊｏｈｎ") == "smithjohn");
  CHECK(key("ｓｍｉｔｈ１２３") == "smith123");
}

TEST_CASE("Variation selectors are dropped so MJ variants match the base", "[text][normalize]") {
  CHECK(key("渡\u9089\U000E0110") == key("渡\u9089"));
  CHECK(key("葛\uFE00") == "葛");
  CHECK(key("") == "");
}

TEST_CASE("Every IVD sequence matches its base character", "[text][normalize]") {
  std::ifstream in(MADOGUCHI_IVD_SEQUENCES);
  if (!in) {
    madoguchi::testing::skip_test("the Ideographic Variation Database is not at " MADOGUCHI_IVD_SEQUENCES
                                 " (shared/data/ivd; see shared/data/PROVENANCE.md)");
    return;
  }
  std::string line;
  std::size_t checked = 0;
  std::size_t moji_joho = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    // "908A E0108; Moji_Joho; MJ026200"
    std::istringstream fields(line);
    std::string base_hex;
    std::string selector_hex;
    fields >> base_hex >> selector_hex;
    REQUIRE(selector_hex.size() > 1);
    selector_hex.pop_back();  // ';'
    const auto base = static_cast<char32_t>(std::stoul(base_hex, nullptr, 16));
    const auto selector = static_cast<char32_t>(std::stoul(selector_hex, nullptr, 16));
    const std::string plain = "田" + utf8_of(base);
    if (key(plain + utf8_of(selector)) != key(plain)) FAIL("sequence " << base_hex << " " << selector_hex);
    ++checked;
    if (line.find("Moji_Joho") != std::string::npos) ++moji_joho;
  }
  CHECK(checked > 39000);
  CHECK(moji_joho > 11000);
}

TEST_CASE("Invalid UTF-8 is refused with its offset", "[text][normalize]") {
  auto k = t::search_key("やま\xFF");
  REQUIRE_FALSE(k.ok());
  CHECK(k.error().code == Errc::invalid_argument);
  CHECK(k.error().message.find("6") != std::string::npos);
  CHECK_FALSE(t::search_key("\xE3\x82").ok());   // truncated
  CHECK_FALSE(t::search_key("\xED\xA0\x80").ok());  // surrogate
}
