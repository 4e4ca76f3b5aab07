#include "madoguchi/domain/konbini.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <nlohmann/json.hpp>

#include "digest.h"
#include "text.h"

namespace madoguchi::domain {

using nlohmann::json;

namespace {

constexpr std::array<std::string_view, 3> kKindNames{"residence", "seal", "tax"};
constexpr std::array<std::string_view, 3> kKindLabels{"住民票の写し", "印鑑登録証明書", "所得・課税証明書"};
constexpr std::array<char, 3> kKindLetters{'r', 's', 't'};

// The rules (KON-7 and issue 13), in the order they are judged.
constexpr SuppressionRule kRules[] = {
    {"outside_hours", "サービス提供時間外・休止期間", "rst"},
    {"kind_not_offered", "この証明書のコンビニ交付を行っていない", "rst"},
    {"option_not_offered", "選ばれた記載事項はコンビニ交付で出せない", "rst"},
    {"linkage_stale", "連携データが古いか途切れている", "rst"},
    {"subject_unknown", "利用者証明用電子証明書に対応する住民がいない", "rst"},
    {"subject_ambiguous", "利用者証明用電子証明書に対応する住民が複数いる", "rst"},
    {"record_unreadable", "記録を読めない（連携データの破損）", "rst"},
    {"deceased", "死亡している", "rst"},
    {"moved_out", "転出している（除票）", "rst"},
    {"moving_out", "転出予定（転出届済み）", "r"},
    {"moved_in_today", "転入の当日", "rst"},
    {"support_measures", "支援措置・発行抑止の対象者", "rst"},
    {"staff_flag", "職員が設定した発行抑止", "rst"},
    {"member_not_in_household", "選ばれた人が同じ世帯にいない", "r"},
    {"character_pending", "外字が登録中（対照表で未確定）", "rst"},
    {"under_age", "15歳未満（印鑑登録証明書）", "s"},
    {"seal_not_registered", "印鑑登録がない・廃止・一時停止", "s"},
    {"seal_image_missing", "印影の画像がない", "s"},
    {"tax_year_switch", "課税年度の切替期間（前年度のみ）", "t"},
    {"tax_year_not_offered", "この年度はコンビニ交付で出せない", "t"},
    {"no_tax_record", "課税の記録がない", "t"},
    {"no_tax_declaration", "未申告", "t"},
};

std::size_t kind_index(CertificateKind k) { return static_cast<std::size_t>(k); }

bool judges(const SuppressionRule& r, CertificateKind k) {
  return r.kinds.find(kKindLetters[kind_index(k)]) != std::string_view::npos;
}

std::optional<int> hhmm(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  int h = 0, m = 0;
  if (std::from_chars(s.data(), s.data() + 2, h).ptr != s.data() + 2) return std::nullopt;
  if (std::from_chars(s.data() + 3, s.data() + 5, m).ptr != s.data() + 5) return std::nullopt;
  if (h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0)) return std::nullopt;
  return h * 60 + m;
}

// A resident record's date column (YYYY-MM-DD or YYYYMMDD), nullopt when empty, 不詳 or bad.
std::optional<calendar::Date> date_of(std::string_view v) {
  std::string iso(v);
  if (iso.size() == 8 && std::all_of(iso.begin(), iso.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    iso = iso.substr(0, 4) + "-" + iso.substr(4, 2) + "-" + iso.substr(6, 2);
  }
  return calendar::parse_iso(iso);
}

std::optional<int> age_on(std::string_view birth, const calendar::Date& today) {
  auto b = date_of(birth);
  if (!b) return std::nullopt;
  int age = today.year - b->year;
  if (today.month < b->month || (today.month == b->month && today.day < b->day)) --age;
  return age;
}

bool is_current(const LinkageRecord& r) { return r.change != 'D'; }

int order_of(const LinkageRecord& r) {
  int n = 0;
  auto v = r.field("世帯内順位");
  std::from_chars(v.data(), v.data() + v.size(), n);
  return n;
}

// The columns a certificate of `kind` prints from a resident record (all of them are judged for
// characters being registered, whether the options print them or not: deny by default).
constexpr std::string_view kResidentText[] = {"氏名", "氏名フリガナ", "旧氏", "旧氏フリガナ", "通称", "通称フリガナ", "世帯主氏名",
                                              "続柄", "住所", "方書", "前住所", "本籍", "筆頭者氏名", "国籍・地域"};

}  // namespace

std::string_view prefecture_name(std::string_view code) noexcept {
  static constexpr std::string_view kNames[] = {
      "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県", "群馬県", "埼玉県", "千葉県",
      "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県",
      "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県",
      "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県"};
  if (code.size() != 2 || code[0] < '0' || code[0] > '4' || code[1] < '0' || code[1] > '9') return {};
  const int n = (code[0] - '0') * 10 + (code[1] - '0');
  return n >= 1 && n <= 47 ? kNames[n - 1] : std::string_view();
}

std::string_view certificate_kind_name(CertificateKind kind) noexcept { return kKindNames[kind_index(kind)]; }
std::string_view certificate_kind_label(CertificateKind kind) noexcept { return kKindLabels[kind_index(kind)]; }
std::optional<CertificateKind> certificate_kind_from_name(std::string_view name) noexcept {
  for (auto k : kCertificateKinds) {
    if (certificate_kind_name(k) == name) return k;
  }
  return std::nullopt;
}

std::optional<std::string> normalize_jpki_serial(std::string_view serial) {
  if (serial.empty() || serial.size() > 40) return std::nullopt;
  std::string out;
  for (char c : serial) {
    if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) return std::nullopt;
    if (out.empty() && c == '0') continue;
    out += c;
  }
  return out.empty() ? std::string("0") : out;
}

// ---- options --------------------------------------------------------------------------------------

std::string certificate_options_json(CertificateKind kind, const CertificateOptions& o) {
  json j = json::object();
  switch (kind) {
    case CertificateKind::residence:
      j["whole_household"] = o.whole_household;
      if (!o.whole_household) j["members"] = o.members;
      j["head_and_relationship"] = o.head_and_relationship;
      j["domicile"] = o.domicile;
      j["my_number"] = o.my_number;
      break;
    case CertificateKind::seal:
      break;
    case CertificateKind::tax:
      if (o.tax_year != 0) j["tax_year"] = o.tax_year;
      break;
  }
  return j.dump();
}

Expected<CertificateOptions> certificate_options_from_json(CertificateKind kind, std::string_view text) {
  json j = json::parse(text, nullptr, false);
  const std::string what = "options";
  if (auto s = detail::require_object(j, what); !s) return s.error();
  CertificateOptions o;
  switch (kind) {
    case CertificateKind::residence: {
      if (auto s = detail::refuse_unknown_keys(j, what, {"whole_household", "members", "head_and_relationship", "domicile", "my_number"}); !s) return s.error();
      for (auto [key, out] : {std::pair{"whole_household", &o.whole_household}, {"head_and_relationship", &o.head_and_relationship},
                              {"domicile", &o.domicile}, {"my_number", &o.my_number}}) {
        if (auto s = detail::read_bool(j, what, key, *out, false); !s) return s.error();
      }
      if (auto it = j.find("members"); it != j.end()) {
        if (!it->is_array() || it->size() > 20) return Error{Errc::malformed, "options.members: a list of at most 20 宛名番号"};
        for (const auto& m : *it) {
          if (!m.is_string() || m.get<std::string>().empty() || m.get<std::string>().size() > 20) {
            return Error{Errc::malformed, "options.members: a list of at most 20 宛名番号"};
          }
          o.members.push_back(m.get<std::string>());
        }
      }
      if (o.whole_household != o.members.empty()) {
        return Error{Errc::malformed, "options: members are given exactly when whole_household is false"};
      }
      break;
    }
    case CertificateKind::seal:
      if (auto s = detail::refuse_unknown_keys(j, what, {}); !s) return s.error();
      break;
    case CertificateKind::tax:
      if (auto s = detail::refuse_unknown_keys(j, what, {"tax_year"}); !s) return s.error();
      if (j.contains("tax_year")) {
        if (auto s = detail::read_int_in(j, what, "tax_year", o.tax_year, 1990, 2199, true); !s) return s.error();
      }
      break;
  }
  return o;
}

// ---- policy ---------------------------------------------------------------------------------------

Expected<IssuancePolicy> issuance_policy_from_json(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  const std::string what = "konbini";
  if (auto s = detail::require_object(j, what); !s) return s.error();
  if (auto s = detail::refuse_unknown_keys(j, what, {"name", "mayor", "open", "close", "closures", "kinds", "tax_switch", "seal_min_age"}); !s) {
    return s.error();
  }
  IssuancePolicy p;
  if (auto s = detail::read_string(j, what, "name", p.municipality_name, true); !s) return s.error();
  if (auto s = detail::read_string(j, what, "mayor", p.mayor, false); !s) return s.error();
  for (auto [key, out] : {std::pair{"open", &p.open_minute}, {"close", &p.close_minute}}) {
    std::string v;
    if (auto s = detail::read_string(j, what, key, v, false); !s) return s.error();
    if (v.empty()) continue;
    auto m = hhmm(v);
    if (!m) return Error{Errc::malformed, what + "." + key + ": HH:MM"};
    *out = *m;
  }
  if (p.open_minute >= p.close_minute) return Error{Errc::malformed, what + ": open must be before close"};
  if (auto it = j.find("closures"); it != j.end()) {
    if (!it->is_array() || it->size() > 100) return Error{Errc::malformed, what + ".closures: a list of at most 100"};
    for (const auto& c : *it) {
      if (auto s = detail::require_object(c, what + ".closures[]"); !s) return s.error();
      if (auto s = detail::refuse_unknown_keys(c, what + ".closures[]", {"from", "to", "reason"}); !s) return s.error();
      std::string from, to;
      Closure cl;
      if (auto s = detail::read_string(c, what + ".closures[]", "from", from, true); !s) return s.error();
      if (auto s = detail::read_string(c, what + ".closures[]", "to", to, true); !s) return s.error();
      if (auto s = detail::read_string(c, what + ".closures[]", "reason", cl.reason, false); !s) return s.error();
      auto f = calendar::parse_iso(from), t = calendar::parse_iso(to);
      if (!f || !t || *t < *f) return Error{Errc::malformed, what + ".closures[]: from and to are dates, from ≤ to"};
      cl.from = *f;
      cl.to = *t;
      p.closures.push_back(std::move(cl));
    }
  }
  if (auto it = j.find("kinds"); it != j.end()) {
    if (!it->is_object()) return Error{Errc::malformed, what + ".kinds: an object"};
    for (const auto& [name, k] : it->items()) {
      auto kind = certificate_kind_from_name(name);
      if (!kind) return Error{Errc::malformed, what + ".kinds: unknown certificate " + detail::sanitize(name, 40)};
      const std::string kw = what + ".kinds." + name;
      if (auto s = detail::require_object(k, kw); !s) return s.error();
      if (auto s = detail::refuse_unknown_keys(k, kw, {"fee", "options"}); !s) return s.error();
      KindPolicy kp;
      kp.offered = true;
      int fee = 0;
      if (auto s = detail::read_int_in(k, kw, "fee", fee, 0, 100000, true); !s) return s.error();
      kp.fee_yen = static_cast<std::uint32_t>(fee);
      if (auto o = k.find("options"); o != k.end()) {
        if (!o->is_array()) return Error{Errc::malformed, kw + ".options: a list"};
        for (const auto& v : *o) {
          const std::string opt = v.is_string() ? v.get<std::string>() : "";
          if (*kind == CertificateKind::residence && opt == "head_and_relationship") {
            kp.head_and_relationship = true;
          } else if (*kind == CertificateKind::residence && opt == "domicile") {
            kp.domicile = true;
          } else if (*kind == CertificateKind::residence && opt == "my_number") {
            kp.my_number = true;
          } else {
            return Error{Errc::malformed, kw + ".options: unknown option " + detail::sanitize(opt, 40)};
          }
        }
      }
      p.kinds[*kind] = kp;
    }
  }
  std::string sw;
  if (auto s = detail::read_string(j, what, "tax_switch", sw, false); !s) return s.error();
  if (!sw.empty()) {
    auto d = calendar::parse_iso("2000-" + sw);
    if (sw.size() != 5 || !d) return Error{Errc::malformed, what + ".tax_switch: MM-DD"};
    p.tax_switch_month = d->month;
    p.tax_switch_day = d->day;
  }
  if (auto s = detail::read_int_in(j, what, "seal_min_age", p.seal_min_age, 15, 120, false); !s) return s.error();
  return p;
}

int latest_tax_year(const IssuancePolicy& p, const calendar::Date& today) noexcept {
  const bool switched = today.month > p.tax_switch_month || (today.month == p.tax_switch_month && today.day >= p.tax_switch_day);
  return switched ? today.year : today.year - 1;
}

// ---- staff flags ----------------------------------------------------------------------------------

std::string staff_flag_body(const StaffFlag& f) {
  return json{{"v", 1}, {"person", f.person}, {"reason", f.reason}, {"by", f.by}, {"at_ms", f.at_ms}}.dump();
}

bool valid_staff_flag_reason(std::string_view reason) noexcept {
  return detail::check_text(reason, 1, kMaxStaffFlagReasonChars) == detail::TextProblem::none;
}

Status validate_staff_flag(const StaffFlag& f) {
  if (!valid_linkage_id(f.person)) return detail::field_error("person", "must be 1-20 of 0-9 A-Z a-z _ -");
  return detail::check_line("reason", f.reason, 1, kMaxStaffFlagReasonChars);
}

Expected<StaffFlag> staff_flag_from_body(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  const std::string what = "konbini_flag";
  if (auto s = detail::require_object(j, what); !s) return s.error();
  StaffFlag f;
  std::int64_t v = 0;
  if (auto s = detail::read_i64(j, what, "v", v, true); !s) return s.error();
  if (auto s = detail::read_string(j, what, "person", f.person, true); !s) return s.error();
  if (auto s = detail::read_string(j, what, "reason", f.reason, false); !s) return s.error();
  if (auto s = detail::read_string(j, what, "by", f.by, false); !s) return s.error();
  if (auto s = detail::read_i64(j, what, "at_ms", f.at_ms, false); !s) return s.error();
  return f;
}

// ---- the decision ---------------------------------------------------------------------------------

std::span<const SuppressionRule> suppression_rules() noexcept { return kRules; }

const SuppressionRule* suppression_rule(std::string_view code) noexcept {
  for (const auto& r : kRules) {
    if (r.code == code) return &r;
  }
  return nullptr;
}

namespace {

// Records a refusal by a rule of the table: a code not in it is recorded as record_unreadable
// (never an unnamed refusal), a rule that does not judge this kind is not recorded.
struct Refuse {
  CertificateKind kind;
  IssuanceDecision& d;
  void operator()(std::string_view code, std::string detail = {}) const {
    const SuppressionRule* rule = suppression_rule(code);
    if (!rule) {
      code = "record_unreadable";
    } else if (!judges(*rule, kind)) {
      return;
    }
    d.refusals.push_back({std::string(code), std::move(detail)});
  }
};

// A column of the record has a vendor code without a confirmed mapping.
bool characters_pending(const IssuanceFacts& f, const LinkageRecord& r) {
  const auto& table = gaiji_table(f, r.code_table);
  for (const auto& [name, value] : r.fields) {
    if (!resolve_vendor_codes(value, table).unresolved.empty()) return true;
  }
  return false;
}

// The seal certificate's rules: age, one registration in state 1, its impression.
void judge_seal(const IssuancePolicy& policy, const IssuanceFacts& f, const LinkageRecord& subject, const Refuse& refuse,
                IssuanceDecision& d) {
  auto age = age_on(subject.field("生年月日"), f.today);
  if (!age || *age < policy.seal_min_age) refuse("under_age", subject.person);
  const LinkageRecord* seal = nullptr;
  for (const auto& s : f.seals) {
    if (s.person == subject.person && s.change != 'D' && s.field("登録状態") == "1") {
      if (seal) {
        refuse("record_unreadable", subject.person);  // two registrations at once: the data is broken
      }
      seal = &s;
    }
  }
  if (!seal) {
    refuse("seal_not_registered", subject.person);
  } else {
    if (!f.seal_image_present || seal->field("印影SHA256").empty()) refuse("seal_image_missing", subject.person);
    if (characters_pending(f, *seal)) refuse("character_pending", subject.person);
    d.seal = *seal;
  }
}

// The tax certificate's rules: the year offered, an assessment of it, declared.
void judge_tax(const IssuancePolicy& policy, const CertificateOptions& o, const IssuanceFacts& f, const LinkageRecord& subject,
               const Refuse& refuse, IssuanceDecision& d) {
  const int latest = latest_tax_year(policy, f.today);
  const int year = o.tax_year == 0 ? latest : o.tax_year;
  if (year == latest + 1 && latest < f.today.year) {
    refuse("tax_year_switch");
  } else if (year != latest) {
    refuse("tax_year_not_offered");
  } else {
    const LinkageRecord* tax = nullptr;
    for (const auto& t : f.taxes) {
      if (t.person == subject.person && t.change != 'D' && t.field("課税年度") == std::to_string(year)) tax = &t;
    }
    if (!tax) {
      refuse("no_tax_record", subject.person);
    } else {
      const auto cls = tax->field("課税区分");
      if (cls == "4") {
        refuse("no_tax_declaration", subject.person);
      } else if (cls != "1" && cls != "2" && cls != "3") {
        refuse("record_unreadable", subject.person);
      }
      if (characters_pending(f, *tax)) refuse("character_pending", subject.person);
      d.tax = *tax;
    }
  }
}

}  // namespace

const std::map<std::string, GaijiMapping>& gaiji_table(const IssuanceFacts& facts, std::string_view table) {
  static const std::map<std::string, GaijiMapping> none;
  auto it = facts.gaiji.find(std::string(table));
  return it == facts.gaiji.end() ? none : it->second;
}

bool in_service_hours(const IssuancePolicy& policy, const calendar::Date& today, int minute_of_day) noexcept {
  if (minute_of_day < policy.open_minute || minute_of_day >= policy.close_minute) return false;
  return std::none_of(policy.closures.begin(), policy.closures.end(),
                      [&](const auto& c) { return !(today < c.from) && !(c.to < today); });
}

IssuanceDecision decide_issuance(const IssuancePolicy& policy, CertificateKind kind, const CertificateOptions& o,
                                 const IssuanceFacts& f) {
  IssuanceDecision d;
  Refuse refuse{kind, d};

  // The municipality's offer and hours.
  if (!in_service_hours(policy, f.today, f.minute_of_day)) refuse("outside_hours");
  auto kp = policy.kinds.find(kind);
  if (kp == policy.kinds.end() || !kp->second.offered) {
    refuse("kind_not_offered");
  } else {
    d.fee_yen = kp->second.fee_yen;
    if (kind == CertificateKind::residence &&
        ((o.head_and_relationship && !kp->second.head_and_relationship) || (o.domicile && !kp->second.domicile) ||
         (o.my_number && !kp->second.my_number))) {
      refuse("option_not_offered");
    }
  }
  if (!f.guard.issuable) {
    for (const auto& finding : f.guard.findings) {
      if (finding.suppresses) refuse("linkage_stale", std::string(linkage_concern_code(finding.concern)));
    }
    if (d.refusals.empty() || d.refusals.back().code != "linkage_stale") refuse("linkage_stale");
  }

  for (const auto& key : f.unreadable) refuse("record_unreadable", key);

  // Who the card belongs to: exactly one resident (a current record wins over 除票 of the same
  // card: a person who moved away and came back).
  std::vector<const LinkageRecord*> current, past;
  for (const auto& m : f.matches) (is_current(m) ? current : past).push_back(&m);
  const LinkageRecord* subject = nullptr;
  if (current.size() > 1) {
    refuse("subject_ambiguous");
  } else if (current.size() == 1) {
    subject = current.front();
  } else if (past.size() > 1) {
    refuse("subject_ambiguous");
  } else if (past.size() == 1) {
    const auto reason = past.front()->field("異動事由");
    refuse(reason == "死亡" ? "deceased" : "moved_out", past.front()->person);
  } else {
    refuse("subject_unknown");
  }
  if (!subject) return d;
  d.subject = *subject;

  // Who the certificate shows.
  std::vector<const LinkageRecord*> shown;
  if (kind == CertificateKind::residence) {
    std::vector<const LinkageRecord*> household;
    for (const auto& h : f.household) {
      if (is_current(h) && h.field("世帯番号") == subject->field("世帯番号")) household.push_back(&h);
    }
    if (std::none_of(household.begin(), household.end(), [&](auto* h) { return h->person == subject->person; })) {
      household.push_back(subject);
    }
    std::stable_sort(household.begin(), household.end(), [](auto* a, auto* b) { return order_of(*a) < order_of(*b); });
    if (o.whole_household) {
      shown = household;
    } else {
      for (const auto& want : o.members) {
        auto it = std::find_if(household.begin(), household.end(), [&](auto* h) { return h->person == want; });
        if (it == household.end()) {
          refuse("member_not_in_household");
        } else if (std::find(shown.begin(), shown.end(), *it) == shown.end()) {
          shown.push_back(*it);
        }
      }
      std::stable_sort(shown.begin(), shown.end(), [](auto* a, auto* b) { return order_of(*a) < order_of(*b); });
    }
  } else {
    shown.push_back(subject);
  }

  std::vector<const LinkageRecord*> judged = shown;
  if (std::find(judged.begin(), judged.end(), subject) == judged.end()) judged.push_back(subject);
  for (const auto* p : judged) {
    if (kind == CertificateKind::residence && !p->field("転出予定日").empty()) refuse("moving_out", p->person);
    auto since = date_of(p->field("住民となった年月日"));
    auto changed = date_of(p->field("異動日"));
    if ((since && *since == f.today) || (p->field("異動事由") == "転入" && changed && *changed == f.today)) {
      refuse("moved_in_today", p->person);
    }
    if (p->field("支援措置") != "0") refuse("support_measures", p->person);
    for (const auto& flag : f.flags) {
      if (flag.person == p->person) refuse("staff_flag", p->person);
    }
  }

  // Characters: every text the records carry must print as a confirmed character.
  for (const auto* p : judged) {
    if (characters_pending(f, *p)) refuse("character_pending", p->person);
  }

  if (kind == CertificateKind::seal) judge_seal(policy, f, *subject, refuse, d);
  if (kind == CertificateKind::tax) judge_tax(policy, o, f, *subject, refuse, d);

  for (const auto* p : shown) d.persons.push_back(*p);
  d.issue = d.refusals.empty();
  if (!d.issue) {
    d.persons.clear();
    d.seal.reset();
    d.tax.reset();
  }
  return d;
}

Expected<std::string> seal_image_from_parts(std::string_view sha256, const std::vector<std::string>& bodies) {
  std::map<std::uint64_t, std::string> parts;
  std::uint64_t total = 0, bytes = 0;
  for (const auto& body : bodies) {
    json j = json::parse(body, nullptr, false);
    if (!j.is_object() || !j.contains("part") || !j.contains("parts") || !j.contains("data") || !j["part"].is_number_unsigned() ||
        !j["parts"].is_number_unsigned() || !j["data"].is_string() || j.value("sha256", std::string()) != sha256) {
      return Error{Errc::malformed, "seal_image: a part does not decode"};
    }
    const auto part = j["part"].get<std::uint64_t>(), n = j["parts"].get<std::uint64_t>();
    if (part == 0 || part > n || n > 64 || (total != 0 && n != total)) return Error{Errc::malformed, "seal_image: parts disagree"};
    total = n;
    bytes = j.value("bytes", std::uint64_t{0});
    const auto data = j["data"].get<std::string>();
    std::string bin(data.size(), '\0');
    std::size_t len = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(bin.data()), bin.size(), data.data(), data.size(), nullptr, &len, nullptr,
                          sodium_base64_VARIANT_ORIGINAL) != 0) {
      return Error{Errc::malformed, "seal_image: a part is not base64"};
    }
    bin.resize(len);
    parts[part] = std::move(bin);
  }
  if (total == 0 || parts.size() != total) return Error{Errc::not_found, "seal_image: parts missing"};
  std::string png;
  for (auto& [n, p] : parts) png += p;
  if ((bytes != 0 && png.size() != bytes) || detail::sha256_hex(png) != sha256) return Error{Errc::malformed, "seal_image: the bytes do not match their SHA-256"};
  return png;
}

}  // namespace madoguchi::domain
