// madoguchi-sim residents (town_generator.h). The town is held as small Person records; rows are
// rendered part by part, so 300,000 people take tens of megabytes, not gigabytes.
#include "madoguchi/sim/town_generator.h"

#include "madoguchi/sim/jpki.h"
#include "madoguchi/domain/konbini.h"

#include <openssl/evp.h>
#include <stb_image_write.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <string_view>

#include "madoguchi/domain/linkage_file.h"

namespace madoguchi::sim {

namespace fs = std::filesystem;
using calendar::Date;
using domain::LinkageKind;

namespace {

// Family names: kanji and kana. The last five carry characters a CP932 system holds as vendor
// external characters (a Moji_Joho IVS variant, or a character outside CP932).
struct Name {
  std::string_view kanji, kana;
};
constexpr Name kFamily[] = {
    {"佐藤", "サトウ"},     {"鈴木", "スズキ"},     {"高橋", "タカハシ"},   {"田中", "タナカ"},     {"伊藤", "イトウ"},
    {"渡辺", "ワタナベ"},   {"山本", "ヤマモト"},   {"中村", "ナカムラ"},   {"小林", "コバヤシ"},   {"加藤", "カトウ"},
    {"吉田", "ヨシダ"},     {"山田", "ヤマダ"},     {"佐々木", "ササキ"},   {"山口", "ヤマグチ"},   {"松本", "マツモト"},
    {"井上", "イノウエ"},   {"木村", "キムラ"},     {"林", "ハヤシ"},       {"斎藤", "サイトウ"},   {"清水", "シミズ"},
    {"山崎", "ヤマザキ"},   {"森", "モリ"},         {"池田", "イケダ"},     {"橋本", "ハシモト"},   {"阿部", "アベ"},
    {"石川", "イシカワ"},   {"髙橋", "タカハシ"},   {"前田", "マエダ"},     {"藤田", "フジタ"},     {"小川", "オガワ"},
    {"岡田", "オカダ"},     {"長谷川", "ハセガワ"}, {"村上", "ムラカミ"},   {"近藤", "コンドウ"},   {"石井", "イシイ"},
    {"坂本", "サカモト"},   {"遠藤", "エンドウ"},   {"青木", "アオキ"},     {"藤井", "フジイ"},     {"西村", "ニシムラ"},
    // With external characters (see kGaiji).
    {"葛\xF3\xA0\x84\x82西", "カサイ"}, {"辻\xF3\xA0\x84\x82村", "ツジムラ"}, {"渡邉\xF3\xA0\x84\x8F", "ワタナベ"},
    {"渡邊\xF3\xA0\x84\x88", "ワタナベ"}, {"\xF0\xA0\xAE\xB7田", "ヨシダ"},
};
constexpr std::size_t kPlainFamilies = 40;

// The vendor's external characters: the character as Unicode (with its Moji_Joho IVS), and its
// MJ id from the IVD / MJ list. Vendor code F040 + index.
struct Gaiji {
  std::string_view text, mj;
};
constexpr Gaiji kGaiji[] = {
    {"葛\xF3\xA0\x84\x82", "MJ022335"},  // U+845B U+E0102
    {"辻\xF3\xA0\x84\x82", "MJ025760"},  // U+8FBB U+E0102
    {"邉\xF3\xA0\x84\x8F", "MJ026190"},  // U+9089 U+E010F
    {"邊\xF3\xA0\x84\x88", "MJ026200"},  // U+908A U+E0108
    {"\xF0\xA0\xAE\xB7", "MJ032129"},    // U+20BB7
};

constexpr Name kMale[] = {{"太郎", "タロウ"}, {"一郎", "イチロウ"}, {"健太", "ケンタ"}, {"翔", "ショウ"}, {"大輔", "ダイスケ"},
                          {"誠", "マコト"},   {"拓也", "タクヤ"},   {"浩", "ヒロシ"},   {"蓮", "レン"},   {"悠真", "ユウマ"},
                          {"陽翔", "ハルト"}, {"湊", "ミナト"},     {"隆", "タカシ"},   {"修", "オサム"}, {"茂", "シゲル"}};
constexpr Name kFemale[] = {{"花子", "ハナコ"}, {"陽子", "ヨウコ"}, {"美咲", "ミサキ"}, {"葵", "アオイ"}, {"結衣", "ユイ"},
                            {"恵子", "ケイコ"}, {"幸子", "サチコ"}, {"真由美", "マユミ"}, {"陽菜", "ヒナ"}, {"凛", "リン"},
                            {"芽依", "メイ"},   {"和子", "カズコ"}, {"節子", "セツコ"}, {"裕子", "ユウコ"}, {"紬", "ツムギ"}};
constexpr std::string_view kCity = "東京都見本市";
constexpr std::string_view kTowns[] = {"本町", "栄町", "緑が丘", "旭町", "桜台", "若葉", "中央", "東町", "西が原", "南台"};
constexpr std::string_view kBuildings[] = {
    "", "", "", "", "", "コーポ見本201号室", "見本ハイツ3号棟105号",
    "見本グランドレジデンス・ザ・タワー東館第二期棟三十二階三二〇五号室（管理事務所気付）"};

struct Foreign {
  std::string_view nationality, status, period;
};
constexpr Foreign kForeign[] = {{"中国", "技術・人文知識・国際業務", "5年"}, {"ベトナム", "技能実習", "1年"},
                                {"韓国", "特別永住者", ""},                    {"フィリピン", "永住者", ""},
                                {"ネパール", "留学", "2年"},                  {"ブラジル", "定住者", "3年"},
                                {"米国", "家族滞在", "3年"}};
constexpr std::string_view kForeignFamily[] = {"NGUYEN", "WANG", "SANTOS", "KIM", "SMITH", "GURUNG", "SILVA"};
constexpr std::string_view kForeignGiven[] = {"VAN AN", "LI", "MARIA", "MINJUN", "JOHN", "ANITA", "LUCAS"};

enum class Relation : std::uint8_t { head, spouse, child, parent };
constexpr std::string_view kRelation[] = {"世帯主", "妻", "子", "母"};

struct Person {
  std::uint32_t id = 0;
  std::uint32_t household = 0;
  std::uint32_t address = 0;     // town * 10000 + chome * 1000 + ban * 10 + go
  std::uint16_t family = 0, given = 0, former_family = 0xffff;
  std::uint8_t building = 0;
  bool female = false;
  Relation relation = Relation::head;
  std::uint8_t order = 1;        // 世帯内順位
  std::int8_t foreign = -1;      // index into kForeign
  std::uint8_t support = 0;      // 支援措置
  bool present = true;
  Date birth{}, resident_since{}, address_since{};
  std::uint32_t seal = 0;        // registration number, 0: none
  bool seal_active = false;
  Date seal_since{};
};

std::string pad(std::uint64_t n, std::size_t width) {
  std::string s = std::to_string(n);
  return s.size() >= width ? s : std::string(width - s.size(), '0') + s;
}

// A reconciliation extract's part (parts 0: an ordinary delivery): its header's as_of and part/parts.
struct ExtractPart {
  std::uint64_t as_of = 0;
  std::uint32_t part = 0, parts = 0;
};

class Town {
 public:
  Town(const TownOptions& o, const fs::path& out) : o_(o), out_(out), rng_(o.seed) {}

  Expected<TownSummary> run() {
    if (o_.people == 0 || o_.people > 2'000'000) return Error{Errc::invalid_argument, "people must be 1..2000000"};
    if (o_.part_rows == 0 || o_.part_rows > domain::kMaxLinkageRows) return Error{Errc::invalid_argument, "part_rows must be 1..200000"};
    if (o_.rows_per_delta_file == 0) return Error{Errc::invalid_argument, "rows_per_delta_file must be at least 1"};
    std::error_code ec;
    for (const char* sub : {"resident", "seal", "tax"}) fs::create_directories(out_ / sub, ec);
    if (ec) return Error{Errc::io, "creating " + out_.string() + ": " + ec.message()};
    if (o_.seal_images) fs::create_directories(out_ / "seal" / ("seal-" + o_.seal_source + "-impressions"), ec);
    if (auto s = write_code_table(); !s) return s.error();
    while (people_.size() < o_.people) add_household(o_.as_of, /*moving_in=*/false);
    refresh_heads();
    for (auto& p : people_) {
      if (p.relation != Relation::child && age(p, o_.as_of) >= 15 && chance(0.45)) register_seal(p, p.resident_since);
    }
    if (o_.full) {
      if (auto s = write_full(); !s) return s.error();
    }
    for (std::size_t d = 1; d <= o_.delta_days; ++d) {
      const Date day = calendar::add_days(o_.as_of, static_cast<int>(d));
      for (std::size_t i = 0; i < o_.changes_per_day; ++i) {
        if (auto s = change(day); !s) return s.error();
      }
      for (LinkageKind k : {LinkageKind::resident, LinkageKind::seal, LinkageKind::tax}) {
        if (auto s = flush(k); !s) return s.error();
      }
    }
    if (!o_.reconcile_run.empty()) {
      if (auto s = write_reconcile(); !s) return s.error();
    }
    if (o_.card_holders > 0) {
      // Spread over the register, deterministic: every k-th person who qualifies.
      const std::size_t step = std::max<std::size_t>(1, people_.size() / (o_.card_holders * 2));
      const Date today = calendar::add_days(o_.as_of, static_cast<int>(o_.delta_days));
      for (std::size_t i = 0; i < people_.size() && summary_.card_holders.size() < o_.card_holders; i += step) {
        const Person& p = people_[i];
        if (!p.present || p.foreign >= 0 || p.family >= kPlainFamilies || age(p, today) < 15 || !has_jpki(p)) continue;
        summary_.card_holders.push_back({person_no(p), full_name(p), kana_name(p), p.female, p.birth, address_text(p.address), juminhyo_code(p)});
      }
    }
    for (const auto& p : people_) {
      if (!p.present) continue;
      ++summary_.residents;
      if (p.foreign >= 0) ++summary_.foreign;
      if (p.support) ++summary_.support;
      if (p.family >= kPlainFamilies && p.foreign < 0) ++summary_.gaiji_people;
      if (p.seal_active) ++summary_.seals;
    }
    summary_.households = households_;
    return summary_;
  }

 private:
  // --- randomness -----------------------------------------------------------------------------
  std::uint64_t below(std::uint64_t n) { return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng_); }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  Date date_between(Date from, Date to) {
    const int span = days_between(from, to);
    return calendar::add_days(from, span <= 0 ? 0 : static_cast<int>(below(static_cast<std::uint64_t>(span) + 1)));
  }
  static int days_between(Date a, Date b) {
    int n = 0;
    // Dates here are at most ~110 years apart: count by years first, then days.
    while (Date{a.year + 1, a.month, a.day <= 28 ? a.day : 28} <= b && a.year + 1 <= b.year) {
      a = Date{a.year + 1, a.month, a.day <= 28 ? a.day : 28};
      n += 365;
    }
    while (a < b) {
      a = calendar::add_days(a, 1);
      ++n;
    }
    return n;
  }
  static int age(const Person& p, Date on) {
    int a = on.year - p.birth.year;
    if (Date{on.year, p.birth.month, p.birth.day} > on) --a;
    return a;
  }

  // --- the town ---------------------------------------------------------------------------------
  Person& add_person(std::uint32_t household, Relation rel, std::uint8_t order, bool female, Date birth, std::uint16_t family,
                     std::uint32_t address, Date since) {
    Person p;
    p.id = static_cast<std::uint32_t>(people_.size() + 1);
    p.household = household;
    p.relation = rel;
    p.order = order;
    p.female = female;
    p.birth = birth;
    p.family = family;
    p.given = static_cast<std::uint16_t>(below(female ? std::size(kFemale) : std::size(kMale)));
    p.address = address;
    p.resident_since = since < birth ? birth : since;
    p.address_since = p.resident_since;
    people_.push_back(p);
    return people_.back();
  }

  std::uint32_t new_address() {
    return static_cast<std::uint32_t>(below(std::size(kTowns)) * 10000 + (1 + below(5)) * 1000 + (1 + below(30)) * 10 + (1 + below(9)));
  }

  // A household of one to six; `moving_in`: they arrive on `on` (a 転入), else they have lived
  // here for years.
  std::vector<std::uint32_t> add_household(Date on, bool moving_in) {
    const std::uint32_t hh = ++households_;
    const double r = std::uniform_real_distribution<double>(0, 1)(rng_);
    const int size = r < 0.35 ? 1 : r < 0.63 ? 2 : r < 0.81 ? 3 : r < 0.94 ? 4 : r < 0.98 ? 5 : 6;
    const bool foreign = chance(0.03);
    const auto nationality = static_cast<std::int8_t>(below(std::size(kForeign)));
    const bool gaiji = !foreign && chance(0.03);
    const auto family = static_cast<std::uint16_t>(gaiji ? kPlainFamilies + below(std::size(kGaiji)) : below(kPlainFamilies));
    const std::uint32_t address = new_address();
    const auto building = static_cast<std::uint8_t>(below(std::size(kBuildings)));
    const int head_age = size == 1 ? 20 + static_cast<int>(below(70)) : 28 + static_cast<int>(below(45));
    const Date head_birth = date_between(Date{on.year - head_age - 1, on.month, 1}, Date{on.year - head_age, on.month, 1});
    const Date since = moving_in ? on : date_between(calendar::add_days(head_birth, 18 * 365), on);
    std::vector<std::uint32_t> ids;
    const bool head_female = size == 1 ? chance(0.5) : chance(0.15);
    ids.push_back(add_person(hh, Relation::head, 1, head_female, head_birth, family, address, since).id);
    std::uint8_t order = 1;
    if (size >= 2) {
      const int sa = std::max(20, head_age - 5 + static_cast<int>(below(10)));
      const Date b = date_between(Date{on.year - sa - 1, on.month, 1}, Date{on.year - sa, on.month, 1});
      Person& s = add_person(hh, Relation::spouse, ++order, !head_female, b, family, address, since);
      if (s.female && chance(0.3) && !foreign) s.former_family = static_cast<std::uint16_t>(below(kPlainFamilies));
      ids.push_back(s.id);
    }
    for (int c = 2; c < size; ++c) {
      const bool parent = c == 5 && head_age < 60;
      const int ca = parent ? head_age + 25 + static_cast<int>(below(8)) : static_cast<int>(below(static_cast<std::uint64_t>(std::max(1, head_age - 22))));
      const Date b = date_between(Date{on.year - ca - 1, on.month, 1}, Date{on.year - ca, on.month, 1});
      ids.push_back(add_person(hh, parent ? Relation::parent : Relation::child, ++order, parent || chance(0.5), b, family, address, since).id);
    }
    for (auto id : ids) {
      Person& p = people_[id - 1];
      p.building = building;
      if (foreign) p.foreign = nationality;
      if (chance(0.002)) p.support = chance(0.8) ? 1 : 2;
    }
    return ids;
  }

  void register_seal(Person& p, Date on) {
    p.seal = ++seals_;
    p.seal_active = true;
    p.seal_since = on;
  }

  // --- rendering ----------------------------------------------------------------------------------
  std::string family_name(const Person& p) const {
    if (p.foreign >= 0) return std::string(kForeignFamily[static_cast<std::size_t>(p.foreign)]);
    return std::string(kFamily[p.family].kanji);
  }
  std::string full_name(const Person& p) const {
    if (p.foreign >= 0) return family_name(p) + " " + std::string(kForeignGiven[p.given % std::size(kForeignGiven)]);
    return family_name(p) + "　" + std::string((p.female ? kFemale : kMale)[p.given % std::size(kMale)].kanji);
  }
  std::string kana_name(const Person& p) const {
    if (p.foreign >= 0) return "";
    return std::string(kFamily[p.family].kana) + "　" + std::string((p.female ? kFemale : kMale)[p.given % std::size(kMale)].kana);
  }
  static std::string address_text(std::uint32_t a) {
    return std::string(kCity) + std::string(kTowns[a / 10000]) + std::to_string(a / 1000 % 10) + "丁目" + std::to_string(a / 10 % 100) +
           "番" + std::to_string(a % 10) + "号";
  }
  std::string juminhyo_code(const Person& p) const {
    return pad(20'000'000'000ULL + (static_cast<std::uint64_t>(p.id) * 2'654'435'761ULL) % 10'000'000'000ULL, 11);
  }
  std::string person_no(const Person& p) const { return pad(p.id, 10); }
  // Seven in ten carry a My Number card with a user-authentication certificate (its serial is
  // what the simulated JPKI issues for the person's 住民票コード: jpki::card_serial).
  static bool has_jpki(const Person& p) { return p.id % 10 < 7; }

  static const std::vector<std::string>& resident_columns() {
    static const std::vector<std::string> c = {
        "連携番号", "異動区分", "異動事由", "異動日", "届出日", "宛名番号", "住民票コード", "世帯番号", "世帯内順位", "氏名",
        "氏名フリガナ", "旧氏", "旧氏フリガナ", "通称", "通称フリガナ", "生年月日", "性別", "世帯主氏名", "続柄", "住所", "方書",
        "住所を定めた年月日", "住民となった年月日", "前住所", "本籍", "筆頭者氏名", "国籍・地域", "第30条の45に規定する区分",
        "在留資格", "在留期間", "在留期間の満了の日", "在留カード等の番号", "外国人住民となった年月日", "支援措置", "文字溢れ",
        std::string(domain::kJpkiSerialColumn)};
    return c;
  }
  std::vector<std::string> resident_row(const Person& p, std::uint64_t seq, char change, std::string_view reason, Date on) {
    const Person* head = &people_[head_id(p.household) - 1];
    const bool foreigner = p.foreign >= 0;
    const Foreign* f = foreigner ? &kForeign[static_cast<std::size_t>(p.foreign)] : nullptr;
    const bool special = foreigner && f->status == "特別永住者";
    const std::string building(kBuildings[p.building]);
    std::string card;
    if (foreigner) {
      static constexpr char letters[] = "ABCDEFGHJKLMNPRSTUVWXYZ";
      card = std::string{letters[p.id % 23], letters[(p.id / 23) % 23]} + pad(p.id % 100'000'000, 8) + std::string{letters[(p.id / 7) % 23], letters[(p.id / 11) % 23]};
    }
    return {std::to_string(seq),
            std::string(1, change),
            std::string(reason),
            calendar::format_iso(on),
            calendar::format_iso(on),
            person_no(p),
            juminhyo_code(p),
            pad(p.household, 8),
            std::to_string(p.order),
            full_name(p),
            kana_name(p),
            p.former_family == 0xffff ? "" : std::string(kFamily[p.former_family].kanji),
            p.former_family == 0xffff ? "" : std::string(kFamily[p.former_family].kana),
            foreigner && p.id % 3 == 0 ? std::string("山田　") + std::string(kMale[p.id % std::size(kMale)].kanji) : "",
            foreigner && p.id % 3 == 0 ? std::string("ヤマダ　") + std::string(kMale[p.id % std::size(kMale)].kana) : "",
            calendar::format_iso(p.birth),
            p.female ? "2" : "1",
            full_name(*head),
            p.relation == Relation::spouse ? (p.female ? "妻" : "夫") : std::string(kRelation[static_cast<std::size_t>(p.relation)]),
            address_text(p.address),
            building,
            calendar::format_iso(p.address_since),
            calendar::format_iso(p.resident_since),
            p.resident_since == p.address_since && p.resident_since > o_.as_of ? "大阪府見本郡見本町1番地" : "",
            foreigner ? "" : "東京都見本市" + std::string(kTowns[(p.household * 7) % std::size(kTowns)]) + std::to_string(1 + p.household % 50) + "番地",
            foreigner ? "" : full_name(*head),
            foreigner ? std::string(f->nationality) : "",
            foreigner ? (special ? "特別永住者" : "中長期在留者") : "",
            foreigner && !special ? std::string(f->status) : "",
            foreigner ? std::string(f->period) : "",
            foreigner && !f->period.empty() ? calendar::format_iso(Date{o_.as_of.year + 2, p.birth.month, std::min(p.birth.day, 28)}) : "",
            card,
            foreigner ? calendar::format_iso(p.resident_since) : "",
            std::to_string(p.support),
            building.size() > 90 ? "1" : "",
            has_jpki(p) ? jpki::card_serial(juminhyo_code(p)) : ""};
  }

  static const std::vector<std::string>& seal_columns(bool images) {
    static const std::vector<std::string> with = {"連携番号", "異動区分", "異動事由", "異動日", "届出日", "宛名番号", "印鑑登録番号",
                                                  "登録状態", "登録年月日", "廃止年月日", "登録氏名", "印影ファイル", "印影SHA256"};
    static const std::vector<std::string> without(with.begin(), with.end() - 2);
    return images ? with : without;
  }
  Expected<std::vector<std::string>> seal_row(const Person& p, std::uint64_t seq, char change, std::string_view reason, Date on) {
    const std::string no = "S" + pad(p.seal, 9);
    std::vector<std::string> row = {std::to_string(seq), std::string(1, change), std::string(reason), calendar::format_iso(on),
                                    calendar::format_iso(on), person_no(p), no, p.seal_active ? "1" : "2",
                                    calendar::format_iso(p.seal_since), p.seal_active ? "" : calendar::format_iso(on), full_name(p)};
    if (o_.seal_images) {
      if (p.seal_active) {
        auto sha = write_impression(p, no);
        if (!sha) return sha.error();
        row.push_back(no + ".png");
        row.push_back(*sha);
      } else {
        row.emplace_back();
        row.emplace_back();
      }
    }
    return row;
  }

  static const std::vector<std::string>& tax_columns() {
    static const std::vector<std::string> c = {
        "連携番号", "異動区分", "異動事由", "異動日", "届出日", "宛名番号", "課税年度", "賦課期日住所", "課税区分", "扶養者宛名番号",
        "給与収入", "給与所得", "公的年金等収入", "公的年金等所得", "総所得金額", "合計所得金額", "社会保険料控除", "基礎控除",
        "所得控除合計", "扶養親族数_一般", "課税標準額", "市町村民税_所得割額", "市町村民税_均等割額", "道府県民税_所得割額",
        "道府県民税_均等割額", "年税額"};
    return c;
  }
  std::vector<std::string> tax_row(const Person& p, std::uint64_t seq, char change, std::string_view reason, Date on, double factor) {
    const int a = age(p, Date{o_.as_of.year, 1, 1});
    std::int64_t salary = 0, pension = 0;
    const std::uint64_t h = (static_cast<std::uint64_t>(p.id) * 0x9E3779B97F4A7C15ULL) >> 40;
    if (a >= 65) {
      pension = 1'200'000 + static_cast<std::int64_t>(h % 2'400'000);
    } else if (a >= 22 && h % 10 != 0) {
      salary = 1'000'000 + static_cast<std::int64_t>(h % 7'000'000);
    }
    salary = static_cast<std::int64_t>(static_cast<double>(salary) * factor);
    const std::int64_t salary_income = salary <= 550'000 ? 0 : salary - std::max<std::int64_t>(550'000, salary * 3 / 10);
    const std::int64_t pension_income = pension <= 1'100'000 ? 0 : pension - 1'100'000;
    const std::int64_t total = salary_income + pension_income;
    const std::int64_t social = salary * 15 / 100;
    const std::int64_t basic = 430'000;
    const std::int64_t deductions = social + basic;
    const std::int64_t base = std::max<std::int64_t>(0, (total - deductions) / 1000 * 1000);
    const bool non_taxable = total <= 450'000;
    const bool per_capita_only = !non_taxable && base == 0;
    const std::int64_t city = non_taxable ? 0 : base * 6 / 100 / 100 * 100, pref = non_taxable ? 0 : base * 4 / 100 / 100 * 100;
    const std::int64_t city_pc = non_taxable ? 0 : 3000, pref_pc = non_taxable ? 0 : 1000;
    const char* cls = non_taxable ? "3" : per_capita_only ? "2" : "1";
    if (non_taxable && change != 'M') ++summary_.non_taxable;
    auto amount = [](std::int64_t v) { return std::to_string(v); };
    return {std::to_string(seq), std::string(1, change), std::string(reason), calendar::format_iso(on), calendar::format_iso(on),
            person_no(p), std::to_string(o_.as_of.year), address_text(p.address), cls, "",
            salary ? amount(salary) : "", salary ? amount(salary_income) : "", pension ? amount(pension) : "",
            pension ? amount(pension_income) : "", amount(total), amount(total), amount(social), amount(basic), amount(deductions),
            "0", amount(base), amount(city), amount(city_pc), amount(pref), amount(pref_pc), amount(city + city_pc + pref + pref_pc)};
  }

  std::uint32_t head_id(std::uint32_t household) const {
    auto it = heads_.find(household);
    return it == heads_.end() ? 1 : it->second;
  }

  // A seal impression: a red-brown ring with the registration's strokes inside, 96 px square.
  Expected<std::string> write_impression(const Person& p, const std::string& no) {
    constexpr int kSize = 96;
    std::vector<unsigned char> px(kSize * kSize, 255);
    std::mt19937 r(p.seal * 2654435761u);
    for (int y = 0; y < kSize; ++y) {
      for (int x = 0; x < kSize; ++x) {
        const double dx = x - kSize / 2.0, dy = y - kSize / 2.0, d = std::sqrt(dx * dx + dy * dy);
        if (d > 40 && d < 45) px[static_cast<std::size_t>(y * kSize + x)] = 30;
      }
    }
    for (int s = 0; s < 6; ++s) {
      int x = 25 + static_cast<int>(r() % 46), y = 25 + static_cast<int>(r() % 46);
      const bool horizontal = r() % 2;
      for (int k = 0; k < 18; ++k) {
        const int xx = std::clamp(x + (horizontal ? k : 0), 0, kSize - 1), yy = std::clamp(y + (horizontal ? 0 : k), 0, kSize - 1);
        px[static_cast<std::size_t>(yy * kSize + xx)] = 30;
      }
    }
    std::string png;
    if (stbi_write_png_to_func([](void* ctx, void* data, int size) { static_cast<std::string*>(ctx)->append(static_cast<const char*>(data), static_cast<std::size_t>(size)); },
                               &png, kSize, kSize, 1, px.data(), kSize) == 0) {
      return Error{Errc::internal, "PNG encoding failed"};
    }
    const fs::path path = out_ / "seal" / ("seal-" + o_.seal_source + "-impressions") / (no + ".png");
    if (auto s = write_atomic(path, png); !s) return s.error();
    return sha256_of(png);
  }

  static std::string sha256_of(const std::string& bytes) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) {
      out += hex[md[i] >> 4];
      out += hex[md[i] & 0x0f];
    }
    return out;
  }

  // --- files ------------------------------------------------------------------------------------
  static Status write_atomic(const fs::path& path, const std::string& bytes) {
    const fs::path tmp = path.parent_path() / ("." + path.filename().string());
    {
      std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
      f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      if (!f) return Error{Errc::io, "writing " + tmp.string()};
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) return Error{Errc::io, "renaming " + tmp.string() + ": " + ec.message()};
    return {};
  }

  // In a CP932 delivery, each external character becomes its vendor code (U+E000 + index).
  void to_vendor_codes(std::vector<std::vector<std::string>>& rows) const {
    if (o_.encoding != text::Encoding::cp932) return;
    for (auto& row : rows) {
      for (auto& cell : row) {
        for (std::size_t g = 0; g < std::size(kGaiji); ++g) {
          for (std::size_t at; (at = cell.find(kGaiji[g].text)) != std::string::npos;) {
            const char32_t cp = 0xE000 + static_cast<char32_t>(g);
            const std::string pua{static_cast<char>(0xE0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
                                  static_cast<char>(0x80 | (cp & 0x3F))};
            cell.replace(at, kGaiji[g].text.size(), pua);
          }
        }
      }
    }
  }

  // The record key of a row (domain::linkage_record_key), by its columns.
  static std::string row_key(LinkageKind kind, const std::vector<std::string>& columns, const std::vector<std::string>& row) {
    auto at = [&](std::string_view name) {
      const auto it = std::find(columns.begin(), columns.end(), name);
      return it == columns.end() ? std::string() : row[static_cast<std::size_t>(it - columns.begin())];
    };
    switch (kind) {
      case LinkageKind::resident: return at("宛名番号");
      case LinkageKind::seal: return at("印鑑登録番号");
      case LinkageKind::tax: return at("宛名番号") + ":" + at("課税年度");
    }
    return {};
  }

  Status write_file(LinkageKind kind, const std::string& name, const std::vector<std::string>& columns,
                    std::vector<std::vector<std::string>> rows, bool full, ExtractPart extract = {}) {
    if (!o_.reconcile_run.empty() && extract.parts == 0) {
      // What the core system's register holds, as its files described it: for the extract.
      auto& last = last_rows_[static_cast<std::size_t>(kind)];
      for (const auto& row : rows) {
        std::string key = row_key(kind, columns, row);
        if (row[1] == "D") {
          last.erase(key);
        } else {
          last[std::move(key)] = row;
        }
      }
    }
    to_vendor_codes(rows);
    domain::LinkageFileHeader h;
    h.kind = kind;
    h.source = kind == LinkageKind::resident ? o_.resident_source : kind == LinkageKind::seal ? o_.seal_source : o_.tax_source;
    h.encoding = o_.encoding;
    h.code_table = o_.encoding == text::Encoding::cp932 ? o_.code_table : "";
    h.full = full;
    h.run_id = extract.parts ? o_.reconcile_run : full ? o_.run_id : "";
    h.as_of = extract.as_of;
    h.part = extract.part;
    h.parts = extract.parts;
    auto bytes = domain::write_linkage_file(h, columns, rows);
    if (!bytes) return bytes.error();
    const fs::path path = out_ / (extract.parts ? std::string("reconcile") : std::string(domain::linkage_kind_name(kind))) / name;
    if (auto s = write_atomic(path, *bytes); !s) return s;
    summary_.files.push_back(path);
    (extract.parts ? summary_.reconcile_files : full ? summary_.full_files : summary_.delta_files) += 1;
    return {};
  }

  // The reconciliation extract: every record the files left current, numbered afresh, 'F'.
  Status write_reconcile() {
    std::error_code ec;
    fs::create_directories(out_ / "reconcile", ec);
    if (ec) return Error{Errc::io, "creating " + (out_ / "reconcile").string() + ": " + ec.message()};
    for (LinkageKind kind : {LinkageKind::resident, LinkageKind::seal, LinkageKind::tax}) {
      if (kind == LinkageKind::seal && !o_.seal_images) continue;
      const auto& last = last_rows_[static_cast<std::size_t>(kind)];
      const auto& columns = kind == LinkageKind::resident ? resident_columns() : kind == LinkageKind::seal ? seal_columns(o_.seal_images) : tax_columns();
      const std::size_t parts = std::max<std::size_t>(1, (last.size() + o_.part_rows - 1) / o_.part_rows);
      auto it = last.begin();
      std::uint64_t seq = 0;
      for (std::size_t part = 1; part <= parts; ++part) {
        std::vector<std::vector<std::string>> rows;
        for (; it != last.end() && rows.size() < o_.part_rows; ++it) {
          auto row = it->second;
          row[0] = std::to_string(++seq);
          row[1] = "F";
          rows.push_back(std::move(row));
        }
        const std::string kind_name(domain::linkage_kind_name(kind));
        ExtractPart extract{pending(kind).seq, static_cast<std::uint32_t>(part), static_cast<std::uint32_t>(parts)};
        if (auto s = write_file(kind, kind_name + "-" + source_of(kind) + "-reconcile-" + o_.reconcile_run + "-" + pad(part, 4) + ".csv",
                                columns, std::move(rows), true, extract);
            !s) {
          return s;
        }
      }
    }
    return {};
  }

  std::string source_of(LinkageKind kind) const {
    return kind == LinkageKind::resident ? o_.resident_source : kind == LinkageKind::seal ? o_.seal_source : o_.tax_source;
  }

  Status write_full() {
    // Residents, then seals and assessments, each in parts numbered within the run.
    for (LinkageKind kind : {LinkageKind::resident, LinkageKind::seal, LinkageKind::tax}) {
      if (kind == LinkageKind::seal && !o_.seal_images) continue;  // see seal()
      std::vector<std::vector<std::string>> rows;
      std::uint64_t seq = 0;
      std::size_t part = 0;
      auto flush_part = [&]() -> Status {
        if (rows.empty()) return {};
        const std::string kind_name(domain::linkage_kind_name(kind));
        auto s = write_file(kind, kind_name + "-" + source_of(kind) + "-full-" + o_.run_id + "-" + pad(++part, 4) + ".csv",
                            kind == LinkageKind::resident ? resident_columns() : kind == LinkageKind::seal ? seal_columns(o_.seal_images) : tax_columns(),
                            std::move(rows), true);
        rows.clear();
        return s;
      };
      for (const auto& p : people_) {
        if (kind == LinkageKind::resident) {
          rows.push_back(resident_row(p, ++seq, 'F', "", o_.as_of));
        } else if (kind == LinkageKind::seal) {
          if (!p.seal) continue;
          auto row = seal_row(p, ++seq, 'F', "", o_.as_of);
          if (!row) return row.error();
          rows.push_back(std::move(*row));
        } else {
          if (age(p, Date{o_.as_of.year, 1, 1}) < 16) continue;
          rows.push_back(tax_row(p, ++seq, 'F', "", o_.as_of, 1.0));
          ++summary_.tax_rows;
        }
        if (rows.size() == o_.part_rows) {
          if (auto s = flush_part(); !s) return s;
        }
      }
      if (auto s = flush_part(); !s) return s;
    }
    return {};
  }

  // --- changes ----------------------------------------------------------------------------------
  struct Pending {
    std::uint64_t seq = 0;  // last used
    std::vector<std::vector<std::string>> rows;
  };
  Pending& pending(LinkageKind k) { return pending_[static_cast<std::size_t>(k)]; }

  Status add_row(LinkageKind kind, std::vector<std::string> row) {
    auto& p = pending(kind);
    p.rows.push_back(std::move(row));
    ++summary_.delta_rows;
    if (p.rows.size() >= o_.rows_per_delta_file) return flush(kind);
    return {};
  }
  Status resident(const Person& p, char change, std::string_view reason, Date on) {
    auto& q = pending(LinkageKind::resident);
    return add_row(LinkageKind::resident, resident_row(p, ++q.seq, change, reason, on));
  }
  Status seal(const Person& p, char change, std::string_view reason, Date on) {
    if (!o_.seal_images) return {};  // a registration is delivered with its impression, or not at all
    auto& q = pending(LinkageKind::seal);
    auto row = seal_row(p, ++q.seq, change, reason, on);
    if (!row) return row.error();
    return add_row(LinkageKind::seal, std::move(*row));
  }
  Status tax(const Person& p, Date on) {
    auto& q = pending(LinkageKind::tax);
    return add_row(LinkageKind::tax, tax_row(p, ++q.seq, 'M', "税額変更", on, 0.8 + 0.4 * std::uniform_real_distribution<double>(0, 1)(rng_)));
  }

  Status flush(LinkageKind kind) {
    auto& p = pending(kind);
    if (p.rows.empty()) return {};
    const std::uint64_t last = p.seq, first = last - p.rows.size() + 1;
    const std::string kind_name(domain::linkage_kind_name(kind));
    const auto& columns = kind == LinkageKind::resident ? resident_columns() : kind == LinkageKind::seal ? seal_columns(o_.seal_images) : tax_columns();
    auto s = write_file(kind, kind_name + "-" + source_of(kind) + "-" + pad(first, 12) + "-" + pad(last, 12) + ".csv", columns,
                        std::move(p.rows), false);
    p.rows.clear();
    return s;
  }

  Person* someone(bool adult_only, Date on) {
    for (int tries = 0; tries < 50; ++tries) {
      Person& p = people_[below(people_.size())];
      if (p.present && (!adult_only || age(p, on) >= 18)) return &p;
    }
    return nullptr;
  }

  Status leave(Person& p, char change, std::string_view reason, Date on) {
    p.present = false;
    if (auto s = resident(p, change, reason, on); !s) return s;
    if (p.seal_active) {
      p.seal_active = false;
      if (auto s = seal(p, 'D', "印鑑登録廃止", on); !s) return s;
    }
    return {};
  }

  Status change(Date on) {
    const double r = std::uniform_real_distribution<double>(0, 1)(rng_);
    if (r < 0.30) {  // 転居: the whole household moves within the city
      Person* p = someone(false, on);
      if (!p) return {};
      const std::uint32_t to = new_address();
      for (auto& q : people_) {
        if (q.present && q.household == p->household) {
          q.address = to;
          q.address_since = on;
          if (auto s = resident(q, 'M', "転居", on); !s) return s;
        }
      }
    } else if (r < 0.42) {  // 転入
      const auto ids = add_household(on, true);
      refresh_heads();
      for (auto id : ids) {
        if (auto s = resident(people_[id - 1], 'A', "転入", on); !s) return s;
      }
    } else if (r < 0.54) {  // 転出: the household leaves
      Person* p = someone(false, on);
      if (!p) return {};
      const std::uint32_t hh = p->household;
      for (auto& q : people_) {
        if (q.present && q.household == hh) {
          if (auto s = leave(q, 'D', "転出", on); !s) return s;
        }
      }
    } else if (r < 0.62) {  // 出生
      Person* mother = someone(true, on);
      if (!mother) return {};
      const Person m = *mother;
      Person& b = add_person(m.household, Relation::child, static_cast<std::uint8_t>(std::min(9, m.order + 2)), chance(0.5), on, m.family, m.address, on);
      b.building = m.building;
      b.foreign = m.foreign;
      if (auto s = resident(b, 'A', "出生", on); !s) return s;
    } else if (r < 0.72) {  // 死亡
      Person* p = someone(true, on);
      if (!p) return {};
      if (auto s = leave(*p, 'D', "死亡", on); !s) return s;
    } else if (r < 0.77) {  // 婚姻: she takes his name (旧氏 kept) and joins his household
      Person* a = someone(true, on);
      Person* b = someone(true, on);
      if (!a || !b || a == b || a->household == b->household || a->foreign >= 0 || b->foreign >= 0) return {};
      Person& wife = a->female ? *a : *b;
      Person& husband = a->female ? *b : *a;
      if (!wife.female || husband.female) return {};
      wife.former_family = wife.family;
      wife.family = husband.family;
      wife.household = husband.household;
      wife.relation = Relation::spouse;
      wife.address = husband.address;
      wife.address_since = on;
      wife.building = husband.building;
      if (auto s = resident(wife, 'M', "婚姻", on); !s) return s;
    } else if (r < 0.85) {  // 印鑑登録
      Person* p = someone(true, on);
      if (!p || p->seal_active) return {};
      register_seal(*p, on);
      if (auto s = seal(*p, 'A', "印鑑登録", on); !s) return s;
    } else if (r < 0.90) {  // 印鑑登録廃止
      Person* p = someone(true, on);
      if (!p || !p->seal_active) return {};
      p->seal_active = false;
      if (auto s = seal(*p, 'D', "印鑑登録廃止", on); !s) return s;
    } else {  // 税額変更
      Person* p = someone(true, on);
      if (!p) return {};
      if (auto s = tax(*p, on); !s) return s;
    }
    return {};
  }

  void refresh_heads() {
    for (std::size_t i = heads_seen_; i < people_.size(); ++i) {
      if (people_[i].relation == Relation::head) heads_[people_[i].household] = people_[i].id;
    }
    heads_seen_ = people_.size();
  }

  Status write_code_table() {
    std::string tsv = "外字コード\t文字\tMJ文字図形名\n";
    for (std::size_t g = 0; g < std::size(kGaiji); ++g) {
      char code[8];
      std::snprintf(code, sizeof code, "%04X", static_cast<unsigned>(0xF040 + g));
      tsv += std::string(code) + "\t" + std::string(kGaiji[g].text) + "\t" + std::string(kGaiji[g].mj) + "\n";
    }
    return write_atomic(out_ / ("gaiji-" + o_.code_table + ".tsv"), tsv);
  }

  const TownOptions& o_;
  fs::path out_;
  std::mt19937_64 rng_;
  std::vector<Person> people_;
  std::map<std::uint32_t, std::uint32_t> heads_;  // household -> head's id
  std::size_t heads_seen_ = 0;
  std::uint32_t households_ = 0, seals_ = 0;
  std::array<Pending, 3> pending_{};
  std::array<std::map<std::string, std::vector<std::string>>, 3> last_rows_{};  // by record key, for the extract
  TownSummary summary_;
};

}  // namespace

Expected<TownSummary> write_town(const TownOptions& options, const fs::path& out) {
  Town town(options, out);
  return town.run();
}

std::string card_holders_tsv(const std::vector<CardHolder>& holders) {
  std::string out = "宛名番号\t氏名\t氏名フリガナ\t性別\t生年月日\t住所\t住民票コード\n";
  for (const auto& h : holders) {
    out += h.person + "\t" + h.name + "\t" + h.kana + "\t" + (h.female ? "2" : "1") + "\t" + calendar::format_iso(h.birth) + "\t" +
           h.address + "\t" + h.resident_code + "\n";
  }
  return out;
}

Expected<std::vector<CardHolder>> parse_card_holders_tsv(std::string_view text) {
  std::vector<CardHolder> out;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_no == 1 || line.empty()) continue;  // the header
    std::vector<std::string> cells;
    for (std::size_t at = 0;;) {
      const auto tab = line.find('\t', at);
      cells.emplace_back(line.substr(at, tab == std::string_view::npos ? std::string_view::npos : tab - at));
      if (tab == std::string_view::npos) break;
      at = tab + 1;
    }
    // Files written before the 住民票コード column have six columns.
    auto date = cells.size() == 6 || cells.size() == 7 ? calendar::parse_iso(cells[4]) : std::nullopt;
    if ((cells.size() != 6 && cells.size() != 7) || cells[0].empty() || cells[1].empty() || (cells[3] != "1" && cells[3] != "2") || !date) {
      return Error{Errc::malformed, "card holders line " + std::to_string(line_no) + ": expected 宛名番号, 氏名, 氏名フリガナ, 性別 1|2, 生年月日, 住所[, 住民票コード]"};
    }
    out.push_back({cells[0], cells[1], cells[2], cells[3] == "2", *date, cells[5], cells.size() == 7 ? cells[6] : std::string()});
  }
  return out;
}

}  // namespace madoguchi::sim
