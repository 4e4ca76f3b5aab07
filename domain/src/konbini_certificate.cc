// What a certificate says (build_certificate), its text and digest, and the verification code's
// format. Labels and statements follow the counter's forms (docs/formats/kiosk-interface.md,
// "The certificates").
#include <sodium.h>

#include <array>
#include <charconv>

#include "digest.h"
#include "madoguchi/domain/konbini.h"
#include "text.h"

namespace madoguchi::domain {

namespace {

// 和暦 as the forms print it: 令和8年12月6日, 元年 for the first year. Dates with an unknown month
// or day (不詳, "1950-00-00") print the known part.
struct Era {
  calendar::Date from;
  std::string_view name;
};
constexpr std::array<Era, 5> kEras{{{{2019, 5, 1}, "令和"},
                                    {{1989, 1, 8}, "平成"},
                                    {{1926, 12, 25}, "昭和"},
                                    {{1912, 7, 30}, "大正"},
                                    {{1868, 10, 23}, "明治"}}};

std::string era_year(const calendar::Date& d) {
  for (const auto& e : kEras) {
    if (!(d < e.from)) {
      const int y = d.year - e.from.year + 1;
      return std::string(e.name) + (y == 1 ? std::string("元") : std::to_string(y)) + "年";
    }
  }
  return std::to_string(d.year) + "年";
}

std::string wareki(std::string_view value) {
  std::string iso(value);
  if (iso.size() == 8) iso = iso.substr(0, 4) + "-" + iso.substr(4, 2) + "-" + iso.substr(6, 2);
  if (iso.size() != 10) return std::string(value);
  int y = 0, m = 0, day = 0;
  std::from_chars(iso.data(), iso.data() + 4, y);
  std::from_chars(iso.data() + 5, iso.data() + 7, m);
  std::from_chars(iso.data() + 8, iso.data() + 10, day);
  if (y == 0) return std::string(value);
  calendar::Date d{y, m == 0 ? 12 : m, day == 0 ? 28 : day};
  std::string out = era_year(d);
  out += m == 0 ? std::string("（月日不詳）") : std::to_string(m) + "月" + (day == 0 ? std::string("（日不詳）") : std::to_string(day) + "日");
  return out;
}

std::string wareki(const calendar::Date& d) { return wareki(calendar::format_iso(d)); }

std::string yen(std::string_view digits) {
  std::string s(digits.empty() ? std::string_view("0") : digits);
  std::string out;
  const std::size_t n = s.size();
  for (std::size_t i = 0; i < n; ++i) {
    out += s[i];
    if ((n - i - 1) % 3 == 0 && i + 1 < n) out += ',';
  }
  return out + "円";
}

// A column of `r` as it prints: vendor codes replaced by the confirmed characters (the decision
// refused any record with one unresolved, so none is left here).
std::string text(const IssuanceFacts& f, const LinkageRecord& r, std::string_view column) {
  return resolve_vendor_codes(r.field(column), gaiji_table(f, r.code_table)).text;
}

void add(std::vector<CertificateField>& out, std::string label, std::string value) {
  if (!value.empty()) out.push_back({std::move(label), std::move(value)});
}

std::string sex(std::string_view v) { return v == "1" ? "男" : v == "2" ? "女" : ""; }

std::string address(const IssuanceFacts& f, const LinkageRecord& r) {
  std::string a = text(f, r, "住所");
  if (auto room = text(f, r, "方書"); !room.empty()) a += "　" + room;
  return a;
}

CertificateBlock resident_block(const IssuanceFacts& f, const LinkageRecord& r, const CertificateOptions& o) {
  CertificateBlock b;
  std::string name = text(f, r, "氏名");
  if (auto former = text(f, r, "旧氏"); !former.empty()) name += "（旧氏　" + former + "）";
  add(b.fields, "氏名", name);
  add(b.fields, "フリガナ", text(f, r, "氏名フリガナ"));
  add(b.fields, "通称", text(f, r, "通称"));
  add(b.fields, "生年月日", wareki(r.field("生年月日")));
  add(b.fields, "性別", sex(r.field("性別")));
  if (o.head_and_relationship) add(b.fields, "続柄", text(f, r, "続柄"));
  add(b.fields, "住民となった年月日", wareki(r.field("住民となった年月日")));
  add(b.fields, "住所を定めた年月日", wareki(r.field("住所を定めた年月日")));
  add(b.fields, "前住所", text(f, r, "前住所"));
  if (o.domicile) {
    add(b.fields, "本籍", text(f, r, "本籍"));
    add(b.fields, "筆頭者", text(f, r, "筆頭者氏名"));
  }
  if (o.my_number) add(b.fields, "個人番号", std::string(r.field("個人番号")));
  add(b.fields, "国籍・地域", text(f, r, "国籍・地域"));
  add(b.fields, "第30条の45に規定する区分", text(f, r, "第30条の45に規定する区分"));
  add(b.fields, "在留資格", text(f, r, "在留資格"));
  add(b.fields, "在留期間", text(f, r, "在留期間"));
  if (auto until = r.field("在留期間の満了の日"); !until.empty()) add(b.fields, "在留期間の満了の日", wareki(until));
  if (auto since = r.field("外国人住民となった年月日"); !since.empty()) add(b.fields, "外国人住民となった年月日", wareki(since));
  return b;
}

constexpr std::pair<std::string_view, std::string_view> kIncome[] = {
    {"給与収入", "給与収入"}, {"給与所得", "給与所得"}, {"公的年金等収入", "公的年金等収入"}, {"公的年金等所得", "公的年金等所得"},
    {"営業等所得", "営業等所得"}, {"農業所得", "農業所得"}, {"不動産所得", "不動産所得"}, {"利子所得", "利子所得"},
    {"配当所得", "配当所得"}, {"雑所得(その他)", "雑所得（その他）"}, {"総合譲渡・一時所得", "総合譲渡・一時所得"},
    {"分離課税所得", "分離課税所得"}, {"総所得金額", "総所得金額"}, {"合計所得金額", "合計所得金額"},
    {"所得控除合計", "所得控除合計"}, {"課税標準額", "課税標準額"}};
constexpr std::pair<std::string_view, std::string_view> kTax[] = {
    {"市町村民税_所得割額", "市町村民税 所得割額"}, {"市町村民税_均等割額", "市町村民税 均等割額"},
    {"道府県民税_所得割額", "道府県民税 所得割額"}, {"道府県民税_均等割額", "道府県民税 均等割額"},
    {"年税額", "年税額"}};

}  // namespace

CertificateDocument build_certificate(const IssuancePolicy& policy, CertificateKind kind, const CertificateOptions& o,
                                      const IssuanceDecision& d, const IssuanceFacts& f, const CertificateMeta& meta,
                                      std::string seal_png) {
  CertificateDocument doc;
  doc.kind = kind;
  doc.number = meta.number;
  doc.municipality = meta.municipality;
  doc.municipality_name = policy.municipality_name;
  doc.mayor = policy.mayor.empty() ? policy.municipality_name + "長" : policy.mayor;
  doc.issued = f.today;
  if (!d.issue || !d.subject) return doc;
  const LinkageRecord& subject = *d.subject;
  switch (kind) {
    case CertificateKind::residence: {
      doc.title = "住民票の写し";
      add(doc.header, "住所", address(f, subject));
      if (o.head_and_relationship) add(doc.header, "世帯主", text(f, subject, "世帯主氏名"));
      for (const auto& p : d.persons) doc.blocks.push_back(resident_block(f, p, o));
      doc.statement = std::string("この写しは、") + (o.whole_household ? "世帯全員" : "世帯の一部") +
                      "の住民票の原本と相違ないことを証明する。";
      break;
    }
    case CertificateKind::seal: {
      doc.title = "印鑑登録証明書";
      CertificateBlock b;
      add(b.fields, "氏名", text(f, subject, "氏名"));
      add(b.fields, "旧氏", text(f, subject, "旧氏"));
      add(b.fields, "通称", text(f, subject, "通称"));
      add(b.fields, "生年月日", wareki(subject.field("生年月日")));
      add(b.fields, "性別", sex(subject.field("性別")));
      add(b.fields, "住所", address(f, subject));
      doc.blocks.push_back(std::move(b));
      doc.seal_png = std::move(seal_png);
      doc.statement = "この写しは、登録されている印影と相違ないことを証明する。";
      break;
    }
    case CertificateKind::tax: {
      const LinkageRecord& t = *d.tax;
      const bool exempt = t.field("課税区分") == "3";
      doc.title = exempt ? "非課税証明書" : "所得・課税証明書";
      int year = 0;
      auto y = t.field("課税年度");
      std::from_chars(y.data(), y.data() + y.size(), year);
      const std::string fiscal = era_year({year, 4, 1}) + "度";
      add(doc.header, "課税年度", fiscal);
      add(doc.header, "所得の年分", era_year({year - 1, 12, 31}) + "分");
      CertificateBlock who;
      add(who.fields, "住所", address(f, subject));
      add(who.fields, "賦課期日現在の住所", text(f, t, "賦課期日住所"));
      add(who.fields, "氏名", text(f, subject, "氏名"));
      add(who.fields, "生年月日", wareki(subject.field("生年月日")));
      doc.blocks.push_back(std::move(who));
      CertificateBlock income;
      for (const auto& [col, label] : kIncome) {
        if (auto v = t.field(col); !v.empty()) add(income.fields, std::string(label), yen(v));
      }
      add(income.fields, "控除対象配偶者", t.field("控除対象配偶者") == "1" ? "有" : "無");
      int dependants = 0;
      for (std::string_view col : {"扶養親族数_一般", "扶養親族数_特定", "扶養親族数_老人", "扶養親族数_同居老親等", "扶養親族数_年少"}) {
        int n = 0;
        auto v = t.field(col);
        std::from_chars(v.data(), v.data() + v.size(), n);
        dependants += n;
      }
      add(income.fields, "扶養親族の数", std::to_string(dependants) + "人");
      doc.blocks.push_back(std::move(income));
      CertificateBlock tax;
      for (const auto& [col, label] : kTax) add(tax.fields, std::string(label), yen(t.field(col)));
      doc.blocks.push_back(std::move(tax));
      doc.statement = exempt ? "上記のとおり、" + fiscal + "の市町村民税・道府県民税が課されていないことを証明する。"
                             : "上記のとおり証明する。";
      break;
    }
  }
  return doc;
}

std::string wareki_date(const calendar::Date& date) { return wareki(date); }

std::string certificate_text(const CertificateDocument& doc) {
  std::string out;
  auto line = [&](std::string_view s) {
    out += s;
    out += '\n';
  };
  line(doc.title);
  line("証明書番号 " + doc.number);
  for (const auto& h : doc.header) line(h.label + " " + h.value);
  for (const auto& b : doc.blocks) {
    for (const auto& fld : b.fields) line(fld.label + " " + fld.value);
  }
  line(doc.statement);
  line(wareki(doc.issued));
  line(doc.mayor);
  return out;
}

std::string certificate_digest(const CertificateDocument& doc) {
  std::string t = certificate_text(doc);
  if (!doc.seal_png.empty()) t += "seal " + detail::sha256_hex(doc.seal_png) + "\n";
  return detail::sha256_hex(t);
}

namespace {
constexpr int kB64 = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
std::string b64(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), kB64), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), kB64);
  out.pop_back();  // the terminating NUL
  return out;
}
std::optional<std::string> unb64(std::string_view text, std::size_t max) {
  std::string out(text.size(), '\0');
  std::size_t n = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr, &n,
                        nullptr, kB64) != 0 || n > max) {
    return std::nullopt;
  }
  out.resize(n);
  return out;
}
}  // namespace

std::string verification_payload(const CertificateDocument& doc) {
  return doc.municipality + "|" + doc.number + "|" + std::string(certificate_kind_name(doc.kind)) + "|" +
         calendar::format_iso(doc.issued) + "|" + certificate_digest(doc);
}

std::string verification_code(std::string_view payload, std::string_view signature) {
  return "MGV1." + b64(payload) + "." + b64(signature);
}

Expected<VerificationCode> parse_verification_code(std::string_view code) {
  const auto refuse = [] { return Error{Errc::malformed, "検証コードの形ではありません"}; };
  if (code.size() > 600 || code.substr(0, 5) != "MGV1.") return refuse();
  code.remove_prefix(5);
  const auto dot = code.find('.');
  if (dot == std::string_view::npos) return refuse();
  auto payload = unb64(code.substr(0, dot), 300);
  auto sig = unb64(code.substr(dot + 1), 64);
  if (!payload || !sig || sig->size() != 64) return refuse();
  VerificationCode v;
  v.payload_text = *payload;
  v.signature = *sig;
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    auto bar = payload->find('|', start);
    parts.push_back(payload->substr(start, bar == std::string::npos ? std::string::npos : bar - start));
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  if (parts.size() != 5) return refuse();
  auto kind = certificate_kind_from_name(parts[2]);
  auto issued = calendar::parse_iso(parts[3]);
  if (!kind || !issued || parts[4].size() != 64 || parts[0].size() != 6 || parts[1].empty() || parts[1].size() > 32) return refuse();
  v.payload = {parts[0], parts[1], *kind, *issued, parts[4]};
  return v;
}

}  // namespace madoguchi::domain
