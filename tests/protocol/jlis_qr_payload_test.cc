// JLIS-ISS v1 QR payloads (docs/formats/jlis-qr.md): round trips, the worked example of the doc,
// and refusal of every kind of bad input with a message naming record and field (ISS-1, ISS-13).
#include <catch2/catch.hpp>

#include <string>

#include "madoguchi/jlis/qr_payload.h"
#include "madoguchi/text/encoding.h"

namespace j = madoguchi::jlis;
using madoguchi::Errc;

namespace {

std::string app_id(std::string first22) { return first22 + j::application_id_check_digit(first22); }

j::IssuanceTarget yamada() {
  j::IssuanceTarget p;
  p.application_id = app_id("1310162026112200000001");
  p.card_serial = "AB12CD34EF56GH78";
  p.postcard_number = "K7X000123";
  p.name_kanji = "山田　太郎";
  p.name_kana = "ヤマダ　タロウ";
  p.birth_date = {1985, 4, 1};
  p.sex = j::Sex::male;
  p.address = "東京都千代田区丸の内１丁目２番３号";
  p.card_expiry = {2036, 4, 1};
  p.certificate_expiry = j::Date{2031, 4, 1};
  return p;
}

j::IssuanceTarget watanabe() {
  j::IssuanceTarget p;
  p.application_id = app_id("1310162026112200000002");
  p.card_serial = "ZZ98YY76XX54WW32";
  p.postcard_number = "A1B654321";
  // 渡邉 with the Moji_Joho variation selector U+E0110, and 𠮷 (outside CP932).
  p.name_kanji = "渡\xE9\x82\x89\xF3\xA0\x84\x90　\xF0\xA0\xAE\xB7子";
  p.name_kana = "ワタナベ　ヨシコ";
  p.birth_date = {2000, 2, 29};
  p.sex = j::Sex::female;
  p.address = "東京都千代田区大手町二丁目３－４　ハイツ青葉１０１号室";
  p.card_expiry = {2036, 2, 29};
  p.certificate_expiry.reset();  // no certificate
  return p;
}

j::QrPayload sample() {
  j::QrPayload q;
  q.header.municipality = "131016";
  q.header.list_date = {2026, 11, 22};
  q.header.sheet_number = 123;
  q.header.code_index = 2;
  q.header.code_count = 3;
  q.people = {yamada(), watanabe()};
  return q;
}

std::string encode(const j::QrPayload& q) {
  auto bytes = j::encode_v1(q);
  REQUIRE(bytes.ok());
  return *bytes;
}

// Replaces the trailing checksum so that a changed payload passes the CRC and reaches the check
// that is meant to refuse it.
std::string reseal(std::string bytes) {
  bytes.resize(bytes.size() - 8);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08X", static_cast<unsigned>(j::crc32(bytes)));
  return bytes + buf;
}

// The payload with record `record` (0 = header), field `field` replaced by `value`, resealed.
std::string with_field(const std::string& bytes, std::size_t record, std::size_t field, std::string_view value) {
  std::string body = bytes.substr(0, bytes.size() - 8);
  std::size_t start = 0;
  for (std::size_t r = 0; r < record; ++r) start = body.find('\x1E', start) + 1;
  for (std::size_t f = 0; f < field; ++f) start = body.find('\x1F', start) + 1;
  std::size_t end = body.find_first_of("\x1E\x1F", start);
  body.replace(start, end - start, value);
  return reseal(body + "00000000");
}

std::string parse_error(std::string_view bytes) {
  auto r = j::JlisQrV1Parser().parse(bytes);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::invalid_argument);
  return r.error().message;
}

}  // namespace

TEST_CASE("Check digits: application ID, local government code, CRC-32", "[jlis]") {
  CHECK(j::valid_municipality_code("131016"));  // 千代田区
  CHECK(j::valid_municipality_code("282014"));  // 姫路市
  CHECK(j::valid_municipality_code("011002"));  // 札幌市
  CHECK_FALSE(j::valid_municipality_code("131017"));
  CHECK_FALSE(j::valid_municipality_code("13101"));
  CHECK(j::municipality_check_digit("13101") == '6');
  // Remainder 0 -> 1 and remainder 1 -> 0 (JIS X 0402 keeps the last digit of 11 - r).
  CHECK(j::municipality_check_digit("00002") == '7');    // 4 -> 11-4 = 7
  CHECK(j::municipality_check_digit("01100") == '2');    // 5+4 = 9 -> 2
  CHECK(j::municipality_check_digit("22000") == '1');    // 12+10 = 22 -> r 0 -> 11 -> 1
  CHECK(j::municipality_check_digit("00006") == '0');    // 12 -> r 1 -> 10 -> 0
  // The My Number scheme on the 11 digits of a known valid My Number (123456789018 is the
  // documented example with check digit 8).
  CHECK(j::application_id_check_digit("12345678901") == '8');
  CHECK(j::crc32("123456789") == 0xCBF43926u);  // the standard check value
  CHECK(j::crc32("") == 0u);
}

TEST_CASE("A payload survives encode and parse, IVS and escapes included", "[jlis]") {
  const j::QrPayload q = sample();
  const std::string bytes = encode(q);
  CHECK(bytes.size() <= j::kMaxPayloadBytes);
  CHECK_FALSE(madoguchi::text::valid_utf8(bytes));  // CP932, not UTF-8
  // 𠮷 and the selector are written as escapes; 渡 and 邉 as CP932.
  CHECK(bytes.find("&#x20BB7;") != std::string::npos);
  CHECK(bytes.find("&#xE0110;") != std::string::npos);
  auto parsed = j::JlisQrV1Parser().parse(bytes);
  REQUIRE(parsed.ok());
  CHECK(*parsed == q);
  CHECK(j::code_key(parsed->header) == "JLIS-ISS/1/131016/20261122/000123/02");

  SECTION("scanner suffixes CR, LF and NUL are tolerated") {
    auto again = j::JlisQrV1Parser().parse(bytes + "\r\n");
    REQUIRE(again.ok());
    CHECK(*again == q);
    CHECK(j::JlisQrV1Parser().parse(bytes + std::string("\0\0\n", 3)).ok());
  }
  SECTION("through the interface") {
    const j::JlisQrV1Parser impl;
    const j::QrPayloadParser& parser = impl;
    CHECK(parser.parse(bytes).ok());
  }
}

TEST_CASE("The worked example of docs/formats/jlis-qr.md", "[jlis]") {
  j::QrPayload q;
  q.header.municipality = "131016";
  q.header.list_date = {2026, 11, 22};
  q.header.sheet_number = 1;
  q.header.code_index = 1;
  q.header.code_count = 1;
  j::IssuanceTarget p = yamada();
  p.application_id = app_id("1310162026112200000001");
  p.name_kanji = "山田　太郎";
  p.address = "東京都千代田区";
  q.people = {p};
  const std::string bytes = encode(q);
  const std::string expected_start =
      "JLIS-ISS\x1F" "1\x1F" "131016\x1F" "20261122\x1F" "000001\x1F" "01\x1F" "01\x1F" "01\x1E"
      "13101620261122000000018\x1F" "AB12CD34EF56GH78\x1F" "K7X000123\x1F"
      "\x8E\x52\x93\x63\x81\x40\x91\xBE\x98\x59\x1F"                      // 山田　太郎
      "\x83\x84\x83\x7D\x83\x5F\x81\x40\x83\x5E\x83\x8D\x83\x45\x1F"      // ヤマダ　タロウ
      "19850401\x1F" "1\x1F"
      "\x93\x8C\x8B\x9E\x93\x73\x90\xE7\x91\xE3\x93\x63\x8B\xE6\x1F"      // 東京都千代田区
      "20360401\x1F" "20310401\x1E";
  CHECK(p.application_id == "13101620261122000000018");
  REQUIRE(bytes.size() == expected_start.size() + 8);
  CHECK(bytes.substr(0, expected_start.size()) == expected_start);
  CHECK(bytes.substr(expected_start.size()) == "445B04BB");
}

TEST_CASE("Truncated, corrupted and foreign payloads are refused", "[jlis]") {
  const std::string bytes = encode(sample());
  CHECK(parse_error("").find("空") != std::string::npos);
  CHECK(parse_error("\r\n").find("空") != std::string::npos);
  CHECK(parse_error("https://example.jp/").find("JLIS-ISS") != std::string::npos);
  for (std::size_t cut : {bytes.size() - 1, bytes.size() - 9, bytes.size() / 2, std::size_t{12}}) {
    INFO("cut at " << cut);
    CHECK(parse_error(bytes.substr(0, cut)).find("チェックサム") != std::string::npos);
  }
  std::string flipped = bytes;
  flipped[40] = static_cast<char>(flipped[40] ^ 0x01);
  CHECK(parse_error(flipped).find("チェックサムが合いません") != std::string::npos);
  std::string lower = bytes;
  lower.back() = static_cast<char>(std::tolower(static_cast<unsigned char>(lower.back())));
  if (lower != bytes) CHECK(parse_error(lower).find("チェックサム") != std::string::npos);
  CHECK(parse_error(bytes + "X").find("チェックサム") != std::string::npos);
  CHECK(parse_error(bytes + "\r\nX").find("制御文字") != std::string::npos);
  CHECK(parse_error(std::string(j::kMaxPayloadBytes + 1, 'A')).find("長すぎます") != std::string::npos);
  std::string nul_inside = bytes;
  nul_inside[20] = '\0';
  CHECK(parse_error(nul_inside).find("21バイト目に制御文字（0x00）") != std::string::npos);
}

TEST_CASE("UTF-8 given where CP932 is expected is named as such", "[jlis]") {
  const std::string bytes = encode(sample());
  // Re-encode every text field as UTF-8 (what a misconfigured producer writes).
  std::string body = bytes.substr(0, bytes.size() - 8);
  std::string utf8;
  for (std::size_t i = 0; i < body.size();) {
    std::size_t end = body.find_first_of("\x1E\x1F", i);
    auto text = madoguchi::text::cp932_to_utf8(body.substr(i, end - i));
    REQUIRE(text.ok());
    utf8 += *text;
    utf8 += body[end];
    i = end + 1;
  }
  CHECK(parse_error(reseal(utf8 + "00000000")).find("UTF-8") != std::string::npos);
}

TEST_CASE("Header fields are checked", "[jlis]") {
  const std::string bytes = encode(sample());
  CHECK(parse_error(with_field(bytes, 0, 1, "2")).find("「版」") != std::string::npos);
  CHECK(parse_error(with_field(bytes, 0, 2, "131017")).find("「市区町村コード」: 検査数字") != std::string::npos);
  CHECK(parse_error(with_field(bytes, 0, 2, "13101")).find("「市区町村コード」") != std::string::npos);
  CHECK(parse_error(with_field(bytes, 0, 3, "20261131")).find("「作成日」") != std::string::npos);
  CHECK(parse_error(with_field(bytes, 0, 4, "000000")).find("「シート番号」") != std::string::npos);
  CHECK(parse_error(with_field(bytes, 0, 5, "04")).find("「コード番号」") != std::string::npos);
  CHECK(parse_error(with_field(bytes, 0, 6, "1")).find("「コード数」") != std::string::npos);
  CHECK(parse_error(with_field(bytes, 0, 7, "03")).find("3件とありますが、実際は2件") != std::string::npos);
  CHECK(parse_error(with_field(bytes, 0, 7, "21")).find("「件数」") != std::string::npos);
  CHECK(parse_error(with_field(bytes, 0, 7, "02\x1F" "x")).find("ヘッダーの項目数") != std::string::npos);
}

TEST_CASE("Person fields are checked and errors name record and field", "[jlis]") {
  const std::string bytes = encode(sample());
  auto err = [&](std::size_t field, std::string_view value, std::size_t record = 2) {
    return parse_error(with_field(bytes, record, field, value));
  };
  const std::string good_id = app_id("1310162026112200000002");
  std::string bad_check = good_id;
  bad_check[22] = bad_check[22] == '9' ? '0' : static_cast<char>(bad_check[22] + 1);
  CHECK(err(0, bad_check) == "QRコード: 2件目の「申請書ID」: 検査数字（23桁目）が合いません");
  CHECK(err(0, good_id.substr(0, 22)).find("2件目の「申請書ID」: 23桁") != std::string::npos);
  CHECK(err(0, app_id("1310162026112200000001")).find("1件目と同じ申請書ID") != std::string::npos);
  CHECK(err(1, "AB12CD34EF56GH7").find("「カード製造番号」: 16文字") != std::string::npos);
  CHECK(err(1, "AB12CD34EF56GH7O").find("「カード製造番号」") != std::string::npos);
  CHECK(err(1, "ab12cd34ef56gh78").find("「カード製造番号」") != std::string::npos);
  CHECK(err(2, "K7X00012A").find("「交付通知書番号」") != std::string::npos);
  CHECK(err(2, "K7X00012").find("「交付通知書番号」") != std::string::npos);
  CHECK(err(3, "").find("「氏名」: 空です") != std::string::npos);
  CHECK(err(3, "\x81\x40\x8E\x52").find("「氏名」: 先頭に空白") != std::string::npos);
  CHECK(err(3, "\x8E\x52\x93").find("「氏名」: Shift_JIS") != std::string::npos);  // lead byte at the end
  CHECK(err(3, "\x8E\x52&#x5C71;").find("「氏名」: Shift_JISで書ける文字") != std::string::npos);  // 山 escaped
  CHECK(err(3, "\x8E\x52&#x20bb7;").find("「氏名」") != std::string::npos);  // lower-case hex
  CHECK(err(3, "\x8E\x52&amp;").find("「氏名」") != std::string::npos);
  CHECK(err(3, "&#xE0100;\x8E\x52").find("異体字セレクタ") != std::string::npos);
  CHECK(err(3, "\xF0\x40").find("外字") != std::string::npos);  // CP932 user-defined area
  CHECK(err(4, "\xB6\xC0").find("「氏名カナ」: 全角カタカナ以外") != std::string::npos);   // half-width ｶﾀ
  CHECK(err(4, "\x82\xA9\x82\xBD").find("「氏名カナ」: 全角カタカナ以外") != std::string::npos);  // かた
  CHECK(err(4, "\x83\x4A\x81\x40\x81\x40\x83\x5E").find("空白が続いて") != std::string::npos);
  CHECK(err(5, "20010229").find("「生年月日」: 存在する日付") != std::string::npos);  // not a leap year
  CHECK(err(5, "19000229").find("「生年月日」") != std::string::npos);  // 1900 is not a leap year
  CHECK(err(5, "20261123").find("「生年月日」: 作成日より後") != std::string::npos);
  CHECK(err(5, "2000-2-29").find("「生年月日」") != std::string::npos);
  CHECK(err(6, "3").find("「性別」") != std::string::npos);
  CHECK(err(6, "").find("「性別」") != std::string::npos);
  CHECK(err(7, "").find("「住所」: 空です") != std::string::npos);
  CHECK(err(8, "20261122").find("「カード有効期限」: 作成日より後") != std::string::npos);
  CHECK(err(8, "20310229").find("「カード有効期限」") != std::string::npos);
  CHECK(err(9, "20400101").find("「電子証明書有効期限」: カード有効期限より後") != std::string::npos);
  CHECK(err(9, "2031").find("「電子証明書有効期限」") != std::string::npos);
  CHECK(err(9, "20310401\x1F" "extra").find("2件目: 項目数が違います（10項目のところ11項目）") != std::string::npos);
  CHECK(err(8, "20240229", 1).find("1件目の「カード有効期限」") != std::string::npos);
  // A leap day that exists is fine.
  CHECK(j::JlisQrV1Parser().parse(with_field(bytes, 2, 5, "20040229")).ok());
}

TEST_CASE("The encoder refuses what the parser refuses", "[jlis]") {
  j::QrPayload q = sample();
  SECTION("bad check digit") {
    q.people[0].application_id.back() = q.people[0].application_id.back() == '0' ? '1' : '0';
    auto r = j::encode_v1(q);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("1件目の「申請書ID」") != std::string::npos);
  }
  SECTION("no people") {
    q.people.clear();
    CHECK_FALSE(j::encode_v1(q).ok());
  }
  SECTION("half-width kana name") {
    q.people[1].name_kana = "ﾜﾀﾅﾍﾞ";
    auto r = j::encode_v1(q);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("2件目の「氏名カナ」") != std::string::npos);
  }
  SECTION("'&' in an address") {
    q.people[1].address = "東京都A&B";
    CHECK_FALSE(j::encode_v1(q).ok());
  }
  SECTION("invalid date and impossible order") {
    q.people[0].birth_date = {2023, 2, 29};
    CHECK_FALSE(j::encode_v1(q).ok());
    q.people[0].birth_date = {1985, 4, 1};
    q.people[0].card_expiry = {1985, 4, 1};
    CHECK_FALSE(j::encode_v1(q).ok());
  }
  SECTION("too many people for one code") {
    q.people.clear();
    for (int i = 0; i < 21; ++i) {
      j::IssuanceTarget p = yamada();
      p.application_id = app_id("13101620261122" + std::string(8 - std::to_string(i).size(), '0') + std::to_string(i));
      q.people.push_back(p);
    }
    CHECK_FALSE(j::encode_v1(q).ok());
  }
  SECTION("too many bytes for one code") {
    q.people.clear();
    for (int i = 0; i < 20; ++i) {
      j::IssuanceTarget p = watanabe();
      p.application_id = app_id("13101620261122" + std::string(8 - std::to_string(i).size(), '0') + std::to_string(i));
      p.address = std::string();
      for (int k = 0; k < 50; ++k) p.address += "𠮷";  // 9 bytes each as an escape
      q.people.push_back(p);
    }
    auto r = j::encode_v1(q);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("上限2953バイト") != std::string::npos);
  }
}

TEST_CASE("Dates", "[jlis]") {
  CHECK(j::parse_yyyymmdd("20240229").has_value());
  CHECK_FALSE(j::parse_yyyymmdd("20230229").has_value());
  CHECK(j::parse_yyyymmdd("20000229").has_value());
  CHECK_FALSE(j::parse_yyyymmdd("21000229").has_value());
  CHECK_FALSE(j::parse_yyyymmdd("18991231").has_value());
  CHECK_FALSE(j::parse_yyyymmdd("20241301").has_value());
  CHECK_FALSE(j::parse_yyyymmdd("20240431").has_value());
  CHECK_FALSE(j::parse_yyyymmdd("2024041").has_value());
  CHECK(j::format_yyyymmdd({2024, 2, 9}) == "20240209");
}
