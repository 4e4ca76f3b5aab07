// The people of a made-up town for madoguchi-sim jlis. Names come from a small built-in table of
// common family and given names with their readings; a few carry MJ variants (a base kanji plus
// an ideographic variation selector from the Moji_Joho collection of the IVD) or characters
// outside CP932, as real lists do.
#include "madoguchi/sim/jlis_generator.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string_view>

#include "madoguchi/scanner/reports.h"

namespace madoguchi::sim {

namespace {

// splitmix64: tiny, well mixed, identical on every platform.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform enough in [0, n) for a simulator (n is small).
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  bool chance(int percent) { return below(100) < static_cast<std::size_t>(percent); }

 private:
  std::uint64_t state_;
};

struct Name {
  std::string_view kanji;
  std::string_view kana;
};
struct Given {
  std::string_view kanji;
  std::string_view kana;
  jlis::Sex sex;
};

constexpr std::array<Name, 24> kFamily{{
    {"佐藤", "サトウ"},   {"鈴木", "スズキ"},   {"高橋", "タカハシ"}, {"田中", "タナカ"},
    {"伊藤", "イトウ"},   {"渡辺", "ワタナベ"}, {"山本", "ヤマモト"}, {"中村", "ナカムラ"},
    {"小林", "コバヤシ"}, {"加藤", "カトウ"},   {"吉田", "ヨシダ"},   {"山田", "ヤマダ"},
    {"佐々木", "ササキ"}, {"山口", "ヤマグチ"}, {"松本", "マツモト"}, {"井上", "イノウエ"},
    {"木村", "キムラ"},   {"林", "ハヤシ"},     {"斎藤", "サイトウ"}, {"清水", "シミズ"},
    {"髙橋", "タカハシ"}, {"山﨑", "ヤマザキ"}, {"長谷川", "ハセガワ"}, {"小野寺", "オノデラ"},
}};

// Family names written with MJ variants or characters CP932 lacks (escaped in the payload).
constexpr std::array<Name, 4> kRareFamily{{
    {"渡\xE9\x82\x89\xF3\xA0\x84\x90", "ワタナベ"},  // 渡邉 + U+E0110 (Moji_Joho MJ060248)
    {"\xE8\xBE\xBB\xF3\xA0\x84\x82本", "ツジモト"},  // 辻 + U+E0102 (Moji_Joho MJ025760) 本
    {"\xF0\xA0\xAE\xB7田", "ヨシダ"},                // 𠮷田 (U+20BB7, not in CP932)
    {"渡\xE9\x82\x8A\xF3\xA0\x84\x88", "ワタナベ"},  // 渡邊 + U+E0108 (Moji_Joho MJ026200)
}};

constexpr std::array<Given, 24> kGiven{{
    {"太郎", "タロウ", jlis::Sex::male},     {"一郎", "イチロウ", jlis::Sex::male},
    {"翔太", "ショウタ", jlis::Sex::male},   {"蓮", "レン", jlis::Sex::male},
    {"大輔", "ダイスケ", jlis::Sex::male},   {"健一", "ケンイチ", jlis::Sex::male},
    {"悠真", "ユウマ", jlis::Sex::male},     {"誠", "マコト", jlis::Sex::male},
    {"湊", "ミナト", jlis::Sex::male},       {"浩二", "コウジ", jlis::Sex::male},
    {"勇気", "ユウキ", jlis::Sex::male},     {"修", "オサム", jlis::Sex::male},
    {"花子", "ハナコ", jlis::Sex::female},   {"陽菜", "ヒナ", jlis::Sex::female},
    {"結衣", "ユイ", jlis::Sex::female},     {"美咲", "ミサキ", jlis::Sex::female},
    {"由美子", "ユミコ", jlis::Sex::female}, {"さくら", "サクラ", jlis::Sex::female},
    {"和子", "カズコ", jlis::Sex::female},   {"恵美", "エミ", jlis::Sex::female},
    {"葵", "アオイ", jlis::Sex::female},     {"芽依", "メイ", jlis::Sex::female},
    {"千尋", "チヒロ", jlis::Sex::female},   {"早苗", "サナエ", jlis::Sex::female},
}};

// Foreign residents: the name in Latin letters as registered, the reading in katakana.
constexpr std::array<Given, 4> kForeign{{
    {"SMITH JOHN", "スミス　ジョン", jlis::Sex::male},
    {"NGUYEN THI LAN", "グエン　ティ　ラン", jlis::Sex::female},
    {"SILVA ANA", "シルヴァ　アナ", jlis::Sex::female},
    {"KIM MINJUN", "キム　ミンジュン", jlis::Sex::male},
}};

struct Town {
  std::string_view code;
  std::string_view prefix;  // prefecture and municipality
  std::array<std::string_view, 6> districts;
};

constexpr std::array<Town, 2> kTowns{{
    {"131016", "東京都千代田区", {"丸の内", "大手町", "神田錦町", "麹町", "九段南", "一番町"}},
    {"282014", "兵庫県姫路市", {"本町", "白浜町", "飾磨区清水", "広畑区小坂", "網干区新在家", "大津区天満"}},
}};
constexpr Town kAnyTown{"", "架空県見本市", {"中央", "本町", "東町", "西町", "南町", "北町"}};

constexpr std::array<std::string_view, 5> kBuildings{"ハイツ青葉", "コーポ桜", "グリーンヒル", "メゾン若葉",
                                                      "サンライズ"};

// Digits as full-width characters, as addresses are printed.
std::string wide_number(std::size_t n) {
  static constexpr std::array<std::string_view, 10> kWide{"０", "１", "２", "３", "４", "５", "６", "７", "８", "９"};
  std::string digits = std::to_string(n);
  std::string out;
  for (char c : digits) out += kWide[static_cast<std::size_t>(c - '0')];
  return out;
}

std::string zero_pad(std::uint64_t value, std::size_t width) {
  std::string s = std::to_string(value);
  if (s.size() < width) s.insert(0, width - s.size(), '0');
  return s;
}

constexpr std::string_view kSerialAlphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";  // no I, O

// The date `years` after `d`; 29 February becomes 28 February in a common year.
jlis::Date add_years(jlis::Date d, int years) {
  d.year += years;
  if (d.month == 2 && d.day == 29 && !jlis::valid_date(d)) d.day = 28;
  return d;
}

// The first birthday on or after `from` of someone born on `birth`, plus `extra` years.
jlis::Date birthday_after(const jlis::Date& birth, const jlis::Date& from, int extra) {
  jlis::Date b = add_years(birth, from.year - birth.year);
  if (b < from) b = add_years(birth, from.year - birth.year + 1);
  return add_years(b, extra);
}

jlis::IssuanceTarget make_person(Rng& rng, const JlisOptions& o, const Town& town, std::size_t index) {
  jlis::IssuanceTarget p;
  const std::string first22 =
      o.municipality + jlis::format_yyyymmdd(o.list_date) + zero_pad(index + 1, 8);
  p.application_id = first22 + jlis::application_id_check_digit(first22);

  // Card manufacture number: two letters of the (simulated) plant, then 14 of the alphabet; the
  // last 6 carry the index so numbers never repeat within a list.
  p.card_serial = "JP";
  for (int i = 0; i < 8; ++i) p.card_serial += kSerialAlphabet[rng.below(kSerialAlphabet.size())];
  p.card_serial += zero_pad(index % 1000000, 6);
  p.postcard_number.clear();
  for (int i = 0; i < 3; ++i) p.postcard_number += kSerialAlphabet[rng.below(kSerialAlphabet.size())];
  p.postcard_number += zero_pad(index % 1000000, 6);

  if (rng.chance(3)) {
    const Given& f = kForeign[rng.below(kForeign.size())];
    p.name_kanji = std::string(f.kanji);
    p.name_kana = std::string(f.kana);
    p.sex = f.sex;
  } else {
    const Name& family = rng.chance(6) ? kRareFamily[rng.below(kRareFamily.size())] : kFamily[rng.below(kFamily.size())];
    const Given& given = kGiven[rng.below(kGiven.size())];
    p.name_kanji = std::string(family.kanji) + "　" + std::string(given.kanji);
    p.name_kana = std::string(family.kana) + "　" + std::string(given.kana);
    p.sex = given.sex;
  }

  // Age 0..94 on the list date; any day of the year.
  const int age = static_cast<int>(rng.below(95));
  jlis::Date birth{o.list_date.year - age - 1, 1 + static_cast<int>(rng.below(12)), 1 + static_cast<int>(rng.below(31))};
  while (!jlis::valid_date(birth)) --birth.day;
  if (birth > o.list_date) birth.year -= 1;
  p.birth_date = birth;

  const Town& t = town;
  std::string address = std::string(t.prefix) + std::string(t.districts[rng.below(t.districts.size())]);
  address += wide_number(1 + rng.below(4)) + "丁目" + wide_number(1 + rng.below(30)) + "番" +
             wide_number(1 + rng.below(20)) + "号";
  if (rng.chance(30)) {
    address += "　" + std::string(kBuildings[rng.below(kBuildings.size())]) +
               wide_number((1 + rng.below(8)) * 100 + 1 + rng.below(10)) + "号室";
  }
  p.address = std::move(address);

  if (index < o.identities.size()) {  // a person of the town (the same rng draws: the rest stays as it was)
    const auto& id = o.identities[index];
    p.name_kanji = id.name_kanji;
    p.name_kana = id.name_kana;
    p.sex = id.sex;
    p.birth_date = birth = id.birth_date;
    p.address = id.address;
  }
  // Card: until the 10th birthday after issue (adults) or the 5th (under 18 at issue).
  // Certificate: until the 5th birthday after issue, never after the card; some decline it.
  const int age_at_issue = (o.list_date.year - birth.year) -
                           ((o.list_date.month * 100 + o.list_date.day) < (birth.month * 100 + birth.day) ? 1 : 0);
  p.card_expiry = birthday_after(birth, o.list_date, age_at_issue >= 18 ? 10 : 5);
  if (!rng.chance(5)) {
    jlis::Date cert = birthday_after(birth, o.list_date, 5);
    if (cert > p.card_expiry) cert = p.card_expiry;
    p.certificate_expiry = cert;
  }
  return p;
}

}  // namespace

Expected<std::vector<JlisCode>> generate_jlis_codes(const JlisOptions& o) {
  if (o.people < 1 || o.people > 100000) return make_error(Errc::invalid_argument, "--people must be 1..100000");
  if (o.per_code < 1 || o.per_code > jlis::kMaxPeoplePerCode) {
    return make_error(Errc::invalid_argument, "--per-code must be 1..20");
  }
  if (o.codes_per_page < 1 || o.codes_per_page > 12) {
    return make_error(Errc::invalid_argument, "--codes-per-page must be 1..12");
  }
  if (!jlis::valid_municipality_code(o.municipality)) {
    return make_error(Errc::invalid_argument,
                      "--municipality must be a 6-digit local government code with its check digit (e.g. 131016)");
  }
  if (!jlis::valid_date(o.list_date)) return make_error(Errc::invalid_argument, "the list date does not exist");
  const std::size_t codes = (o.people + o.per_code - 1) / o.per_code;
  const std::size_t pages = (codes + o.codes_per_page - 1) / o.codes_per_page;
  if (pages > jlis::kMaxSheetNumber) return make_error(Errc::invalid_argument, "too many pages");

  const Town* town = &kAnyTown;
  for (const Town& t : kTowns) {
    if (t.code == o.municipality) town = &t;
  }
  Rng rng(o.seed);
  std::vector<JlisCode> out;
  out.reserve(codes);
  std::size_t next_person = 0;
  for (std::size_t c = 0; c < codes; ++c) {
    JlisCode code;
    code.page = c / o.codes_per_page + 1;
    code.position = c % o.codes_per_page;
    const std::size_t on_page = std::min(o.codes_per_page, codes - (code.page - 1) * o.codes_per_page);
    jlis::QrHeader& h = code.payload.header;
    h.municipality = o.municipality;
    h.list_date = o.list_date;
    h.sheet_number = static_cast<std::uint32_t>(code.page);
    h.code_index = static_cast<int>(code.position + 1);
    h.code_count = static_cast<int>(on_page);
    for (std::size_t k = 0; k < o.per_code && next_person < o.people; ++k, ++next_person) {
      code.payload.people.push_back(make_person(rng, o, *town, next_person));
    }
    auto bytes = jlis::encode_v1(code.payload);
    if (!bytes) return bytes.error().with_context("code " + std::to_string(c + 1) + " (lower --per-code)");
    code.bytes = std::move(*bytes);
    out.push_back(std::move(code));
  }
  return out;
}

PageCell page_cell(std::size_t codes_per_page, std::size_t position) {
  constexpr int kMargin = 100;
  const int cols = codes_per_page > 1 ? 2 : 1;
  const int rows = static_cast<int>((codes_per_page + static_cast<std::size_t>(cols) - 1) / static_cast<std::size_t>(cols));
  const int w = (kPageWidth - 2 * kMargin) / cols;
  const int h = (kPageHeight - 2 * kMargin) / rows;
  const int col = static_cast<int>(position % static_cast<std::size_t>(cols));
  const int row = static_cast<int>(position / static_cast<std::size_t>(cols));
  return PageCell{kMargin + col * w, kMargin + row * h, w, h};
}

std::string hid_pos_report_stream(std::string_view bytes) {
  std::string out;
  for (const scanner::Report& report : scanner::encode_hid_pos_reports(bytes, "]Q1")) {
    out.append(report.begin(), report.end());
  }
  return out;
}

std::string expected_json_line(const JlisCode& code, std::size_t codes_per_page) {
  using nlohmann::json;
  const jlis::QrHeader& h = code.payload.header;
  const std::string number = zero_pad((code.page - 1) * codes_per_page + code.position + 1, 4);
  const PageCell cell = page_cell(codes_per_page, code.position);
  json people = json::array();
  for (const jlis::IssuanceTarget& p : code.payload.people) {
    people.push_back(json{
        {"application_id", p.application_id},
        {"card_serial", p.card_serial},
        {"postcard_number", p.postcard_number},
        {"name_kanji", p.name_kanji},
        {"name_kana", p.name_kana},
        {"birth_date", jlis::format_yyyymmdd(p.birth_date)},
        {"sex", static_cast<int>(p.sex)},
        {"address", p.address},
        {"card_expiry", jlis::format_yyyymmdd(p.card_expiry)},
        {"certificate_expiry",
         p.certificate_expiry ? json(jlis::format_yyyymmdd(*p.certificate_expiry)) : json(nullptr)},
    });
  }
  char crc[16];
  std::snprintf(crc, sizeof crc, "%08X", static_cast<unsigned>(jlis::crc32(code.bytes.substr(0, code.bytes.size() - 8))));
  json line{
      {"payload", "payloads/" + number + ".bin"},
      {"page", "pages/" + zero_pad(code.page, 4) + ".png"},
      {"hid", "hid/" + number + ".bin"},
      {"cell", json::array({cell.x, cell.y, cell.width, cell.height})},
      {"bytes", code.bytes.size()},
      {"crc32", crc},
      {"code_key", jlis::code_key(h)},
      {"municipality", h.municipality},
      {"list_date", jlis::format_yyyymmdd(h.list_date)},
      {"sheet_number", h.sheet_number},
      {"code_index", h.code_index},
      {"code_count", h.code_count},
      {"people", people},
  };
  return line.dump();
}

}  // namespace madoguchi::sim
