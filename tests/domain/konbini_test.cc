// Convenience-store issuance's rules (issue 13, KON-1, KON-4, KON-7): domain/konbini.h. One case
// per suppression rule, the deny-by-default policy, and what each certificate says.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "madoguchi/domain/konbini.h"

using namespace madoguchi;
using namespace madoguchi::domain;

namespace {

LinkageRecord resident(const std::string& person, const std::string& household, int order, const std::string& name,
                       const std::string& relation, const std::string& birth = "1980-04-02") {
  LinkageRecord r;
  r.kind = LinkageKind::resident;
  r.source = "jukiA";
  r.change = 'F';
  r.person = person;
  r.code_table = "vendor-2026";
  r.fields = {{"宛名番号", person},        {"住民票コード", "12345678901"},   {"世帯番号", household},
              {"世帯内順位", std::to_string(order)}, {"氏名", name},        {"氏名フリガナ", "ミホン"},
              {"生年月日", birth},         {"性別", "1"},                    {"世帯主氏名", "見本　太郎"},
              {"続柄", relation},          {"住所", "東京都千代田区一番町1番地"}, {"住所を定めた年月日", "2001-05-01"},
              {"住民となった年月日", "2001-05-01"}, {"本籍", "東京都千代田区一番町1番地"}, {"筆頭者氏名", "見本　太郎"},
              {"支援措置", "0"}};
  return r;
}

void set(LinkageRecord& r, const std::string& column, const std::string& value) {
  for (auto& [k, v] : r.fields) {
    if (k == column) {
      v = value;
      return;
    }
  }
  r.fields.emplace_back(column, value);
}

LinkageRecord seal_of(const std::string& person, const std::string& state = "1") {
  LinkageRecord s;
  s.kind = LinkageKind::seal;
  s.change = 'F';
  s.person = person;
  s.fields = {{"宛名番号", person}, {"印鑑登録番号", "S" + person}, {"登録状態", state}, {"登録年月日", "2010-01-05"},
              {"登録氏名", "見本　太郎"}, {"印影SHA256", std::string(64, 'a')}};
  return s;
}

LinkageRecord tax_of(const std::string& person, int year, const std::string& cls = "1") {
  LinkageRecord t;
  t.kind = LinkageKind::tax;
  t.change = 'F';
  t.person = person;
  t.fields = {{"宛名番号", person},       {"課税年度", std::to_string(year)}, {"賦課期日住所", "東京都千代田区一番町1番地"},
              {"課税区分", cls},          {"給与収入", "5000000"},          {"給与所得", "3560000"},
              {"総所得金額", "3560000"},  {"合計所得金額", "3560000"},      {"所得控除合計", "1200000"},
              {"課税標準額", "2360000"}, {"市町村民税_所得割額", "141600"}, {"市町村民税_均等割額", "3500"},
              {"道府県民税_所得割額", "94400"}, {"道府県民税_均等割額", "1500"}, {"年税額", "241000"}};
  return t;
}

IssuancePolicy policy() {
  auto p = issuance_policy_from_json(R"({"name":"見本市","mayor":"見本市長　見本　花子",
    "kinds":{"residence":{"fee":200,"options":["head_and_relationship","domicile"]},"seal":{"fee":200},"tax":{"fee":300}}})");
  REQUIRE(p);
  return *p;
}

// A household of three; the card belongs to "P1" (the head).
struct World {
  IssuanceFacts facts;
  World() {
    facts.today = {2026, 12, 6};
    facts.minute_of_day = 10 * 60;
    facts.guard.issuable = true;
    facts.household = {resident("P1", "H1", 1, "見本　太郎", "世帯主"), resident("P2", "H1", 2, "見本　花子", "妻"),
                       resident("P3", "H1", 3, "見本　一郎", "子", "2015-01-01")};
    facts.matches = {facts.household[0]};
    facts.seals = {seal_of("P1")};
    facts.seal_image_present = true;
    facts.taxes = {tax_of("P1", 2026), tax_of("P1", 2025)};
  }
  IssuanceDecision decide(CertificateKind kind, const CertificateOptions& o = {}) const {
    return decide_issuance(policy(), kind, o, facts);
  }
};

std::set<std::string> codes(const IssuanceDecision& d) {
  std::set<std::string> out;
  for (const auto& r : d.refusals) out.insert(r.code);
  return out;
}

}  // namespace

TEST_CASE("konbini: every certificate is issued to a current resident when no rule refuses (KON-1)", "[konbini]") {
  World w;
  for (auto kind : kCertificateKinds) {
    auto d = w.decide(kind);
    INFO(certificate_kind_name(kind));
    CHECK(d.issue);
    CHECK(d.refusals.empty());
    REQUIRE(d.subject);
    CHECK(d.subject->person == "P1");
  }
  auto r = w.decide(CertificateKind::residence);
  REQUIRE(r.persons.size() == 3);
  CHECK(r.persons[0].person == "P1");
  CHECK(r.persons[2].person == "P3");
  CHECK(r.fee_yen == 200);
  CHECK(w.decide(CertificateKind::tax).fee_yen == 300);
}

TEST_CASE("konbini: deny by default: a kind the policy does not list, an option it does not allow", "[konbini]") {
  World w;
  auto p = issuance_policy_from_json(R"({"name":"見本市","kinds":{"residence":{"fee":200}}})");
  REQUIRE(p);
  CHECK(codes(decide_issuance(*p, CertificateKind::seal, {}, w.facts)) == std::set<std::string>{"kind_not_offered"});
  CertificateOptions o;
  o.domicile = true;
  CHECK(codes(decide_issuance(*p, CertificateKind::residence, o, w.facts)) == std::set<std::string>{"option_not_offered"});
  o.domicile = false;
  o.my_number = true;  // not in this municipality's list either
  CHECK(codes(w.decide(CertificateKind::residence, o)) == std::set<std::string>{"option_not_offered"});
  // A policy that is not understood is refused whole: a typo must not widen what is issued.
  CHECK_FALSE(issuance_policy_from_json(R"({"name":"x","kinds":{"residence":{"fee":200,"options":["domicle"]}}})"));
  CHECK_FALSE(issuance_policy_from_json(R"({"name":"x","kinds":{"juminhyo":{"fee":200}}})"));
  CHECK_FALSE(issuance_policy_from_json(R"({"name":"x","hours":"06:30"})"));
  CHECK_FALSE(issuance_policy_from_json(R"({"name":"x","open":"23:00","close":"06:30"})"));
}

TEST_CASE("konbini: service hours 6:30 to 23:00 every day, closures refused (KON-4)", "[konbini]") {
  World w;
  w.facts.today = {2027, 1, 1};  // new year's day: open
  w.facts.minute_of_day = 6 * 60 + 30;
  CHECK(w.decide(CertificateKind::residence).issue);
  w.facts.minute_of_day = 6 * 60 + 29;
  CHECK(codes(w.decide(CertificateKind::residence)) == std::set<std::string>{"outside_hours"});
  w.facts.minute_of_day = 23 * 60;
  CHECK(codes(w.decide(CertificateKind::residence)) == std::set<std::string>{"outside_hours"});
  w.facts.minute_of_day = 22 * 60 + 59;
  CHECK(w.decide(CertificateKind::residence).issue);
  auto p = issuance_policy_from_json(R"({"name":"見本市","open":"08:00","close":"20:00",
    "closures":[{"from":"2027-01-01","to":"2027-01-03","reason":"システム更新"}],"kinds":{"residence":{"fee":200}}})");
  REQUIRE(p);
  w.facts.minute_of_day = 12 * 60;
  CHECK(codes(decide_issuance(*p, CertificateKind::residence, {}, w.facts)) == std::set<std::string>{"outside_hours"});
  w.facts.today = {2027, 1, 4};
  CHECK(decide_issuance(*p, CertificateKind::residence, {}, w.facts).issue);
  w.facts.minute_of_day = 7 * 60 + 59;
  CHECK_FALSE(decide_issuance(*p, CertificateKind::residence, {}, w.facts).issue);
}

TEST_CASE("konbini: stale or broken linkage suppresses every certificate", "[konbini]") {
  World w;
  w.facts.guard.issuable = false;
  w.facts.guard.findings = {{LinkageConcern::gap, true, "gap", "resident/juki"}, {LinkageConcern::quiet, false, "quiet", "tax/zei"}};
  for (auto kind : kCertificateKinds) {
    auto d = w.decide(kind);
    CHECK_FALSE(d.issue);
    CHECK(codes(d) == std::set<std::string>{"linkage_stale"});
    CHECK(d.refusals.front().detail == "linkage_gap");
    CHECK(d.persons.empty());
  }
}

TEST_CASE("konbini: the card must lead to exactly one resident", "[konbini]") {
  World w;
  w.facts.matches.clear();
  CHECK(codes(w.decide(CertificateKind::residence)) == std::set<std::string>{"subject_unknown"});
  w.facts.matches = {w.facts.household[0], w.facts.household[1]};
  CHECK(codes(w.decide(CertificateKind::residence)) == std::set<std::string>{"subject_ambiguous"});
  // A 除票 beside the current record (moved away, came back): the current one is the person.
  auto old = w.facts.household[0];
  old.change = 'D';
  old.person = "P0";
  w.facts.matches = {old, w.facts.household[0]};
  CHECK(w.decide(CertificateKind::residence).issue);
}

TEST_CASE("konbini: deceased and moved out (除票) get nothing, moving out no residence copy", "[konbini]") {
  World w;
  auto dead = w.facts.household[0];
  dead.change = 'D';
  set(dead, "異動事由", "死亡");
  w.facts.matches = {dead};
  for (auto kind : kCertificateKinds) CHECK(codes(w.decide(kind)) == std::set<std::string>{"deceased"});
  set(dead, "異動事由", "転出");
  w.facts.matches = {dead};
  for (auto kind : kCertificateKinds) CHECK(codes(w.decide(kind)) == std::set<std::string>{"moved_out"});

  World m;
  set(m.facts.household[1], "転出予定日", "2026-12-20");  // one member has notified moving out
  auto d = m.decide(CertificateKind::residence);
  CHECK(codes(d) == std::set<std::string>{"moving_out"});
  CHECK(d.refusals.front().detail == "P2");
  CHECK(m.decide(CertificateKind::seal).issue);  // the rule judges residence copies only
}

TEST_CASE("konbini: support measures (DV) and staff flags suppress, for any member shown", "[konbini]") {
  World w;
  set(w.facts.household[2], "支援措置", "1");
  CHECK(codes(w.decide(CertificateKind::residence)) == std::set<std::string>{"support_measures"});
  CertificateOptions only_me;
  only_me.whole_household = false;
  only_me.members = {"P1"};
  CHECK(w.decide(CertificateKind::residence, only_me).issue);
  set(w.facts.household[0], "支援措置", "2");
  w.facts.matches = {w.facts.household[0]};
  for (auto kind : kCertificateKinds) CHECK(codes(w.decide(kind)).count("support_measures"));

  World f;
  f.facts.flags = {{"P2", "本人申出", "staff01", 1}};
  CHECK(codes(f.decide(CertificateKind::residence)) == std::set<std::string>{"staff_flag"});
  CHECK(f.decide(CertificateKind::seal).issue);  // P2 is not on a seal certificate of P1
}

TEST_CASE("konbini: the day of a move-in", "[konbini]") {
  World w;
  set(w.facts.household[0], "住民となった年月日", "2026-12-06");
  w.facts.matches = {w.facts.household[0]};
  for (auto kind : kCertificateKinds) CHECK(codes(w.decide(kind)).count("moved_in_today"));
  w.facts.today = {2026, 12, 7};
  CHECK(w.decide(CertificateKind::residence).issue);
}

TEST_CASE("konbini: chosen members must be of the household", "[konbini]") {
  World w;
  CertificateOptions o;
  o.whole_household = false;
  o.members = {"P3", "P1"};
  auto d = w.decide(CertificateKind::residence, o);
  REQUIRE(d.issue);
  REQUIRE(d.persons.size() == 2);
  CHECK(d.persons[0].person == "P1");  // in 世帯内順位 order, not the order asked
  o.members = {"P1", "X9"};
  CHECK(codes(w.decide(CertificateKind::residence, o)) == std::set<std::string>{"member_not_in_household"});
  CHECK_FALSE(certificate_options_from_json(CertificateKind::residence, R"({"whole_household":false})"));
  CHECK_FALSE(certificate_options_from_json(CertificateKind::residence, R"({"members":["P1"]})"));
  CHECK_FALSE(certificate_options_from_json(CertificateKind::seal, R"({"domicile":true})"));
  for (auto kind : kCertificateKinds) CHECK(certificate_options_from_json(kind, "{}"));  // every option has a default
  CHECK(certificate_options_from_json(CertificateKind::tax, R"({"tax_year":2025})")->tax_year == 2025);
  CHECK_FALSE(certificate_options_from_json(CertificateKind::tax, R"({"tax_year":1800})"));
  auto back = certificate_options_from_json(CertificateKind::residence, certificate_options_json(CertificateKind::residence, o));
  REQUIRE(back);
  CHECK(*back == o);
}

TEST_CASE("konbini: a character still being registered suppresses, a confirmed one prints", "[konbini]") {
  World w;
  set(w.facts.household[1], "氏名", "\xEE\x80\x80田　花子");  // U+E000: vendor code F040 of vendor-2026
  auto d = w.decide(CertificateKind::residence);
  CHECK(codes(d) == std::set<std::string>{"character_pending"});
  GaijiMapping m;
  m.table = "vendor-2026";
  m.code = "F040";
  m.text = "葛\xF3\xA0\x84\x81";  // 葛 with its IVS
  m.confirmed = false;
  w.facts.gaiji["vendor-2026"]["F040"] = m;
  CHECK_FALSE(w.decide(CertificateKind::residence).issue);  // proposed, not confirmed
  w.facts.gaiji["vendor-2026"]["F040"].confirmed = true;
  auto ok = w.decide(CertificateKind::residence);
  REQUIRE(ok.issue);
  auto doc = build_certificate(policy(), CertificateKind::residence, {}, ok, w.facts, {"131016", "R-1"});
  CHECK(certificate_text(doc).find("葛\xF3\xA0\x84\x81田　花子") != std::string::npos);
}

TEST_CASE("konbini: seal certificates: 15 or older, registered, with the impression", "[konbini]") {
  World w;
  w.facts.matches = {w.facts.household[2]};  // born 2015: 11
  w.facts.seals = {seal_of("P3")};
  CHECK(codes(w.decide(CertificateKind::seal)) == std::set<std::string>{"under_age"});
  set(w.facts.household[2], "生年月日", "1990-00-00");  // 不詳: cannot tell, so refused
  w.facts.matches = {w.facts.household[2]};
  CHECK(codes(w.decide(CertificateKind::seal)) == std::set<std::string>{"under_age"});
  set(w.facts.household[2], "生年月日", "2011-12-06");  // 15 today
  w.facts.matches = {w.facts.household[2]};
  CHECK(w.decide(CertificateKind::seal).issue);

  World s;
  s.facts.seals = {seal_of("P1", "2")};  // abolished
  CHECK(codes(s.decide(CertificateKind::seal)) == std::set<std::string>{"seal_not_registered"});
  s.facts.seals = {seal_of("P1", "3")};  // suspended
  CHECK(codes(s.decide(CertificateKind::seal)) == std::set<std::string>{"seal_not_registered"});
  s.facts.seals = {seal_of("P2")};  // another person's
  CHECK(codes(s.decide(CertificateKind::seal)) == std::set<std::string>{"seal_not_registered"});
  s.facts.seals = {seal_of("P1")};
  s.facts.seal_image_present = false;
  CHECK(codes(s.decide(CertificateKind::seal)) == std::set<std::string>{"seal_image_missing"});
}

TEST_CASE("konbini: tax certificates: the latest year, the switch-over, no record, 未申告", "[konbini]") {
  World w;
  auto d = w.decide(CertificateKind::tax);
  REQUIRE(d.issue);
  CHECK(d.tax->field("課税年度") == "2026");
  w.facts.today = {2026, 5, 20};  // before the switch: 2025 is the latest
  CHECK(w.decide(CertificateKind::tax).tax->field("課税年度") == "2025");
  CertificateOptions o;
  o.tax_year = 2026;
  CHECK(codes(w.decide(CertificateKind::tax, o)) == std::set<std::string>{"tax_year_switch"});
  o.tax_year = 2023;
  CHECK(codes(w.decide(CertificateKind::tax, o)) == std::set<std::string>{"tax_year_not_offered"});
  w.facts.taxes = {tax_of("P1", 2026)};
  CHECK(codes(w.decide(CertificateKind::tax)) == std::set<std::string>{"no_tax_record"});
  w.facts.taxes = {tax_of("P1", 2025, "4")};
  CHECK(codes(w.decide(CertificateKind::tax)) == std::set<std::string>{"no_tax_declaration"});
  w.facts.taxes = {tax_of("P1", 2025, "3")};
  auto exempt = w.decide(CertificateKind::tax);
  REQUIRE(exempt.issue);
  auto doc = build_certificate(policy(), CertificateKind::tax, {}, exempt, w.facts, {"131016", "T-1"});
  CHECK(doc.title == "非課税証明書");
}

TEST_CASE("konbini: every rule in the table is named, judges some kind and is unique", "[konbini]") {
  std::set<std::string_view> seen;
  for (const auto& r : suppression_rules()) {
    CHECK(seen.insert(r.code).second);
    CHECK_FALSE(r.label.empty());
    CHECK_FALSE(r.kinds.empty());
  }
  CHECK(suppression_rule("deceased") != nullptr);
  CHECK(suppression_rule("nope") == nullptr);
}

TEST_CASE("konbini: a residence copy shows what was chosen, the digest covers it", "[konbini]") {
  World w;
  CertificateOptions o;
  o.head_and_relationship = true;
  auto d = w.decide(CertificateKind::residence, o);
  REQUIRE(d.issue);
  auto doc = build_certificate(policy(), CertificateKind::residence, o, d, w.facts, {"131016", "R-000001"});
  const auto text = certificate_text(doc);
  CHECK(text.find("住民票の写し") == 0);
  CHECK(text.find("世帯主 見本　太郎") != std::string::npos);
  CHECK(text.find("続柄 妻") != std::string::npos);
  CHECK(text.find("生年月日 昭和55年4月2日") != std::string::npos);
  CHECK(text.find("本籍") == std::string::npos);  // not chosen
  CHECK(text.find("令和8年12月6日") != std::string::npos);
  CHECK(text.find("世帯全員の住民票の原本と相違ない") != std::string::npos);
  auto plain = build_certificate(policy(), CertificateKind::residence, {}, d, w.facts, {"131016", "R-000001"});
  CHECK(certificate_digest(plain) != certificate_digest(doc));
  CHECK(certificate_text(plain).find("続柄") == std::string::npos);
}

TEST_CASE("konbini: the verification code round-trips and refuses what is not one", "[konbini]") {
  World w;
  auto d = w.decide(CertificateKind::seal);
  REQUIRE(d.issue);
  auto doc = build_certificate(policy(), CertificateKind::seal, {}, d, w.facts, {"131016", "S-000042"}, "PNGBYTES");
  const auto payload = verification_payload(doc);
  const auto code = verification_code(payload, std::string(64, 'x'));
  auto back = parse_verification_code(code);
  REQUIRE(back);
  CHECK(back->payload_text == payload);
  CHECK(back->payload.number == "S-000042");
  CHECK(back->payload.kind == CertificateKind::seal);
  CHECK(back->payload.digest == certificate_digest(doc));
  CHECK_FALSE(parse_verification_code("MGV1.abc"));
  CHECK_FALSE(parse_verification_code(code.substr(0, code.size() - 3)));
  CHECK_FALSE(parse_verification_code("MGV2." + code.substr(5)));
  CHECK(normalize_jpki_serial("00ab12") == std::optional<std::string>("AB12"));
  CHECK_FALSE(normalize_jpki_serial("xyz"));
}

TEST_CASE("konbini: a staff flag names a 宛名番号 as the linkage files carry it and gives a one-line reason (KON-7)", "[konbini][KON-7]") {
  CHECK(validate_staff_flag({"0000000126", "本人申出", "admin01", 1}));
  CHECK(validate_staff_flag({"P-12_a", std::string(100, 'x'), "", 0}));
  for (const StaffFlag& bad : {StaffFlag{"", "本人申出", "", 0}, StaffFlag{"000000012600000001260", "本人申出", "", 0},
                               StaffFlag{"0000000126<", "本人申出", "", 0}, StaffFlag{"0000000126", "", "", 0},
                               StaffFlag{"0000000126", std::string(101, 'x'), "", 0}, StaffFlag{"0000000126", "本人\n申出", "", 0}}) {
    auto st = validate_staff_flag(bad);
    REQUIRE_FALSE(st);
    CHECK(st.error().code == Errc::invalid_argument);
  }
  CHECK(valid_staff_flag_reason("調査中"));
  CHECK_FALSE(valid_staff_flag_reason("\xE3\x81"));  // not UTF-8
}
