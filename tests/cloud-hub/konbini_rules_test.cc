// Every suppression rule through the real hub (issue 13, KON-7): the linkage agent's code takes the
// core system's files into the hub's certificate database (SyncWorld: the real HubEngine and edge
// over a fake bus, simulated time), and the issuance service itself (KonbiniService over
// HubCertificateSource, the JPKI check against the simulated JPKI's CA and CRL) answers a kiosk's
// request. Each case names the rule it proves; the refusal's code is what staff see in the record.
#include <catch2/catch.hpp>

#include <openssl/evp.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "madoguchi/domain/certificate_data.h"
#include "madoguchi/domain/gaiji.h"
#include "madoguchi/domain/konbini.h"
#include "madoguchi/domain/linkage_file.h"
#include "madoguchi/edge/linkage_inbox.h"
#include "madoguchi/hub/jpki_verifier.h"
#include "madoguchi/hub/konbini_flags.h"
#include "madoguchi/hub/konbini_service.h"
#include "madoguchi/hub/konbini_source.h"
#include "madoguchi/hub/linkage_reconciler.h"
#include "madoguchi/sim/jpki.h"
#include "sync_world.h"

namespace fs = std::filesystem;
namespace d = madoguchi::domain;
using namespace madoguchi;
using madoguchi::testing::linkage_routing;
using madoguchi::testing::SyncWorld;
using nlohmann::json;

namespace {

constexpr const char* kPolicy = R"({"name":"見本市","open":"00:00","close":"24:00",
  "kinds":{"residence":{"fee":200,"options":["head_and_relationship"]},"seal":{"fee":200},"tax":{"fee":200}}})";

// A 1×1 PNG: a seal impression as the files deliver it.
const std::string kPng(
    "\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00"
    "\x00\x3a\x7e\x9b\x55\x00\x00\x00\x0a\x49\x44\x41\x54\x78\x9c\x63\x60\x00\x00\x00\x02\x00\x01\x48\xaf\xa4\x71\x00"
    "\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82",
    67);

std::string b64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string sha256(std::string_view data) {
  unsigned char md[32];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

void deliver(const fs::path& inbox, const std::string& kind, const std::string& name, const std::string& bytes) {
  const fs::path tmp = inbox / kind / ("." + name);
  std::ofstream(tmp, std::ios::binary) << bytes;
  fs::rename(tmp, inbox / kind / name);
}

// One resident: 宛名番号 P<n>, 住民票コード 1000000<nnnn>, with a card unless `card` is false.
struct Person {
  std::string id, household, name, birth = "1980-04-02", relation = "世帯主";
  char change = 'A';
  std::string reason = "転入", support = "0", since = "2001-05-01", moving_out;
  bool card = true;
  std::string code() const {
    const std::string n = id.substr(1);
    return "1000000" + std::string(4 - n.size(), '0') + n;
  }
};

Person mk(std::string id, std::string household, std::string name, std::string birth = "1980-04-02", std::string relation = "世帯主",
          char change = 'A', std::string reason = "転入") {
  Person p;
  p.id = std::move(id);
  p.household = std::move(household);
  p.name = std::move(name);
  p.birth = std::move(birth);
  p.relation = std::move(relation);
  p.change = change;
  p.reason = std::move(reason);
  return p;
}

struct Town {
  std::unique_ptr<hub::LinkageReconciler> reconciler;
  SyncWorld w{linkage_routing([this] { return reconciler.get(); })};
  SyncWorld::Edge& agent = w.add_edge("131016", "linkage");
  fs::path inbox = w.dir / "inbox";
  edge::LinkageInbox intake{*agent.store, inbox, "linkage"};
  fs::path jpki = w.dir / "jpki";
  std::mutex app_mutex;
  std::unique_ptr<hub::HubCertificateSource> source;
  std::unique_ptr<hub::JpkiVerifier> verifier;
  std::unique_ptr<hub::KonbiniService> service;
  calendar::Date today;
  std::vector<Person> people;
  std::uint64_t seq = 0;
  int requests = 0;

  explicit Town(const std::string& policy = kPolicy) {
    // Simulated time from now: the cards and the CRL the simulated JPKI makes are valid now.
    const auto real = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    w.clock.advance(std::chrono::milliseconds(real - w.clock.wall_ms()));
    const auto local = w.clock.wall_ms() + 9 * 3600'000LL;
    today = calendar::add_days({1970, 1, 1}, static_cast<int>(local / 86'400'000));
    REQUIRE(intake.init());
    reconciler = std::make_unique<hub::LinkageReconciler>(*w.hub, w.clock);
    REQUIRE(sim::jpki::init_authority(jpki));
    auto v = hub::JpkiVerifier::open(jpki / "ca.pem", jpki / "crl.pem");
    REQUIRE(v);
    verifier = std::move(*v);
    source = std::make_unique<hub::HubCertificateSource>(*w.hub, app_mutex, d::LinkageGuardPolicy{});
    start_service(policy);

    // Household H1: a head, a spouse and a child of 11; then one person for each rule.
    const std::string iso_today = calendar::format_iso(today);
    people = {mk("P1", "H1", "見本　太郎"),
              mk("P2", "H1", "見本　花子", "1982-06-01", "妻"),
              mk("P3", "H1", "見本　一郎", calendar::format_iso(calendar::add_days(today, -11 * 365)), "子"),
              mk("P4", "H4", "保護　京子"),
              mk("P5", "H5", "故人　次郎", "1940-01-01", "世帯主", 'D', "死亡"),
              mk("P6", "H6", "転出　三郎", "1970-01-01", "世帯主", 'D', "転出"),
              mk("P7", "H7", "予定　四郎"),
              mk("P8", "H8", "転入　五郎"),
              mk("P9", "H9", "\xEE\x80\x80田　六郎"),  // a vendor code (F040 of vendor-2026)
              mk("P10", "H10", "無印　七郎"),
              mk("P11", "H11", "未申　八郎"),
              mk("P12", "H12", "抑止　九郎")};
    people[3].support = "1";
    people[6].moving_out = calendar::format_iso(calendar::add_days(today, 10));
    people[7].since = iso_today;
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : people) {
      rows.push_back({std::to_string(++seq), std::string(1, p.change), p.reason, "2026-01-05", p.id, p.code(), p.household,
                      p.name, p.birth, "1", people[0].household == p.household ? "見本　太郎" : p.name, p.relation,
                      "東京都見本市一番町1番地", p.since, p.since, p.support, p.moving_out,
                      p.card ? sim::jpki::card_serial(p.code()) : ""});
    }
    d::LinkageFileHeader h;
    h.kind = d::LinkageKind::resident;
    h.source = "jukiA";
    h.code_table = "vendor-2026";
    deliver(inbox, "resident", "resident-jukiA-1.csv",
            d::write_linkage_file(h,
                                  {"連携番号", "異動区分", "異動事由", "異動日", "宛名番号", "住民票コード", "世帯番号", "氏名", "生年月日", "性別",
                                   "世帯主氏名", "続柄", "住所", "住所を定めた年月日", "住民となった年月日", "支援措置", "転出予定日",
                                   std::string(d::kJpkiSerialColumn)},
                                  rows)
                .value());
    // Seals: P1 and P3 registered (with impressions); P10 none.
    fs::create_directories(inbox / "seal" / "seal-inkan-impressions");
    std::vector<std::vector<std::string>> seals;
    std::uint64_t sseq = 0;
    for (const char* who : {"P1", "P3"}) {
      const std::string reg = std::string("S") + who;
      std::ofstream(inbox / "seal" / "seal-inkan-impressions" / (reg + ".png"), std::ios::binary) << kPng;
      seals.push_back({std::to_string(++sseq), "A", "印鑑登録", "2010-01-05", who, reg, "1", "2010-01-05", "見本", reg + ".png", sha256(kPng)});
    }
    d::LinkageFileHeader sh;
    sh.kind = d::LinkageKind::seal;
    sh.source = "inkan";
    deliver(inbox, "seal", "seal-inkan-1.csv",
            d::write_linkage_file(sh, {"連携番号", "異動区分", "異動事由", "異動日", "宛名番号", "印鑑登録番号", "登録状態", "登録年月日", "登録氏名", "印影ファイル", "印影SHA256"},
                                  seals)
                .value());
    // Assessments of the latest year: P1 課税, P11 未申告.
    const std::string year = std::to_string(d::latest_tax_year(*d::issuance_policy_from_json(policy), today));
    std::vector<std::vector<std::string>> tax;
    std::uint64_t tseq = 0;
    for (auto [who, cls] : {std::pair{"P1", "1"}, {"P11", "4"}}) {
      tax.push_back({std::to_string(++tseq), "A", "当初課税", "2026-06-01", who, year, "東京都見本市一番町1番地", cls, "3560000", "3560000", "1200000",
                     "2360000", "141600", "3500", "94400", "1500", "241000"});
    }
    d::LinkageFileHeader th;
    th.kind = d::LinkageKind::tax;
    th.source = "zeimu";
    deliver(inbox, "tax", "tax-zeimu-1.csv",
            d::write_linkage_file(th, {"連携番号", "異動区分", "異動事由", "異動日", "宛名番号", "課税年度", "賦課期日住所", "課税区分", "総所得金額",
                                       "合計所得金額", "所得控除合計", "課税標準額", "市町村民税_所得割額", "市町村民税_均等割額", "道府県民税_所得割額",
                                       "道府県民税_均等割額", "年税額"},
                                  tax)
                .value());
    scan();
    REQUIRE(cert().record_count("resident").value() == people.size());
    REQUIRE(cert().record_count("seal").value() == 2);
    REQUIRE(cert().record_count("tax").value() == 2);
  }

  void start_service(const std::string& policy) {
    hub::KonbiniOptions o;
    o.policies["131016"] = *d::issuance_policy_from_json(policy);
    o.signing_seed = std::string(32, 'k');
    service = std::make_unique<hub::KonbiniService>(std::move(o), *source, *verifier, w.clock, null_log());
    REQUIRE(service->open(w.dir / "hub"));
  }

  void scan() {
    REQUIRE(intake.scan(w.clock.wall_ms()));
    REQUIRE(w.settle());
  }
  hub::HubStore& cert() { return *w.hub->certificate_store("131016"); }

  fs::path card(const std::string& code) {
    const auto file = w.dir / (code + ".card.json");
    if (!fs::exists(file)) {
      sim::jpki::CardOptions o;
      o.resident_code = code;
      auto c = sim::jpki::issue_card(jpki, o);
      REQUIRE(c);
      REQUIRE(sim::jpki::save_card(file, *c));
    }
    return file;
  }

  http::Response post(const std::string& action, const json& body) {
    http::Request r;
    r.method = "POST";
    r.path = "/kiosk/v1/131016/" + action;
    r.body = body.dump();
    return service->handle(r);
  }

  // The outcome of a kiosk's request for `person`'s card: {"issued"} or the refusal codes.
  std::set<std::string> ask(const std::string& person, const std::string& kind, const json& options = json::object(),
                            std::string* pdf = nullptr) {
    auto it = std::find_if(people.begin(), people.end(), [&](const Person& p) { return p.id == person; });
    const std::string code = it == people.end() ? person : it->code();
    const std::string request = "RULE-" + std::to_string(++requests) + "-" + person;
    auto ch = post("challenge", {{"request", request}, {"store", {{"id", "S1"}, {"name", "見本店"}, {"prefecture", "13"}}}, {"kiosk", "K1"}});
    REQUIRE(ch.status == 200);
    const auto signed_data = json::parse(ch.body).at("signed_data").get<std::string>();
    const auto file = card(code);
    auto sig = sim::jpki::sign_with_card(file, "1234", signed_data);
    REQUIRE(sig);
    auto der = sim::jpki::card_certificate_der(*sim::jpki::load_card(file));
    REQUIRE(der);
    auto res = post("issue", {{"request", request}, {"certificate", b64(*der)}, {"signature", b64(*sig)}, {"kind", kind}, {"options", options}});
    if (res.status == 200) {
      if (pdf) *pdf = res.body;
      REQUIRE(post("complete", {{"request", request}}).status == 200);
      return {"issued"};
    }
    auto row = service->store("131016")->get(request);
    REQUIRE(row);
    REQUIRE(row->has_value());
    std::set<std::string> codes;
    for (const auto& r : json::parse((*row)->refusals)) codes.insert(r.at("code").get<std::string>());
    if (codes.count("authentication")) {
      for (const auto& r : json::parse((*row)->refusals)) codes.insert(r.at("detail").get<std::string>());
    }
    // The kiosk never learns why (DV above all): one of three things to say.
    const auto reason = json::parse(res.body).at("error").value("reason", std::string());
    CHECK((reason.empty() || reason == "ask_counter" || reason == "not_offered" || reason == "outside_hours"));
    return codes;
  }
};

bool has(const std::set<std::string>& codes, const std::string& code) { return codes.count(code) == 1; }

}  // namespace

TEST_CASE("konbini rules: a current resident's card gets each certificate (KON-1)", "[konbini][rules]") {
  Town t;
  CHECK(t.ask("P1", "residence") == std::set<std::string>{"issued"});
  CHECK(t.ask("P1", "seal") == std::set<std::string>{"issued"});
  CHECK(t.ask("P1", "tax") == std::set<std::string>{"issued"});
  CHECK(t.ask("P2", "residence", {{"head_and_relationship", true}}) == std::set<std::string>{"issued"});
}

TEST_CASE("konbini rules: deceased", "[konbini][rules]") { CHECK(has(Town().ask("P5", "residence"), "deceased")); }

TEST_CASE("konbini rules: moved out", "[konbini][rules]") {
  Town t;
  for (const char* kind : {"residence", "seal", "tax"}) CHECK(has(t.ask("P6", kind), "moved_out"));
}

TEST_CASE("konbini rules: moving out (転出予定日): no residence copy", "[konbini][rules]") {
  CHECK(has(Town().ask("P7", "residence"), "moving_out"));
}

TEST_CASE("konbini rules: the day of a move-in", "[konbini][rules]") { CHECK(has(Town().ask("P8", "residence"), "moved_in_today")); }

TEST_CASE("konbini rules: support measures (DV) suppress every certificate", "[konbini][rules]") {
  Town t;
  for (const char* kind : {"residence", "seal", "tax"}) CHECK(has(t.ask("P4", kind), "support_measures"));
}

TEST_CASE("konbini rules: a flag staff set on a person at the hub console (交付停止), until removed", "[konbini][rules][KON-7]") {
  Town t;
  hub::HubKonbiniFlags flags(*t.w.hub, "131016", t.w.clock);  // what the console's 交付停止 calls
  auto who = flags.subject("P12");
  REQUIRE(who);
  REQUIRE(*who);
  CHECK((*who)->name == t.people[11].name);
  CHECK((*who)->current);
  CHECK(flags.subject("P404").value() == std::nullopt);
  auto unknown = flags.set({"P404", "本人申出", "admin01", t.w.clock.wall_ms()});
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == Errc::not_found);

  CHECK(flags.set({"P12", "", "admin01", t.w.clock.wall_ms()}).error().code == Errc::invalid_argument);  // the domain's rule
  REQUIRE(flags.set({"P12", "本人申出", "admin01", t.w.clock.wall_ms()}));
  CHECK(has(t.ask("P12", "residence"), "staff_flag"));
  // Someone else in the household (H1's head) is not stopped by it; a flag on the head stops the
  // household's copy for its members too.
  CHECK(t.ask("P1", "residence") == std::set<std::string>{"issued"});
  REQUIRE(flags.set({"P1", "調査中", "admin01", t.w.clock.wall_ms()}));
  CHECK(has(t.ask("P2", "residence"), "staff_flag"));
  auto list = flags.list(10);
  REQUIRE(list);
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].person == "P1");
  CHECK((*list)[1].reason == "本人申出");
  // Written only where the counter PCs never look: the certificate database, not the feed.
  CHECK(t.w.hub->store("131016")->get(std::string(d::kKonbiniFlagEntity), "P12").value() == std::nullopt);

  REQUIRE(flags.clear("P12"));
  REQUIRE(flags.clear("P1"));
  CHECK(flags.clear("P12").error().code == Errc::not_found);
  CHECK(t.ask("P12", "residence") == std::set<std::string>{"issued"});
}

TEST_CASE("konbini rules: a character being registered suppresses until staff confirm it, then it prints", "[konbini][rules]") {
  Town t;
  CHECK(has(t.ask("P9", "residence"), "character_pending"));
  d::GaijiMapping m;
  m.table = "vendor-2026";
  m.code = "F040";
  m.text = "葛\xF3\xA0\x84\x82";
  m.confirmed = true;
  REQUIRE(t.cert().write_local_batch({{"gaiji_map", d::gaiji_map_key(m.table, m.code), protocol::OpKind::upsert, d::gaiji_map_body(m)}},
                                     t.w.clock.wall_ms()));
  CHECK(t.ask("P9", "residence") == std::set<std::string>{"issued"});
}

TEST_CASE("konbini rules: seal certificates: under 15, not registered", "[konbini][rules]") {
  Town t;
  CHECK(has(t.ask("P3", "seal"), "under_age"));
  CHECK(has(t.ask("P10", "seal"), "seal_not_registered"));
}

TEST_CASE("konbini rules: tax certificates: no record, no declaration (未申告)", "[konbini][rules]") {
  Town t;
  CHECK(has(t.ask("P2", "tax"), "no_tax_record"));
  CHECK(has(t.ask("P11", "tax"), "no_tax_declaration"));
}

TEST_CASE("konbini rules: the tax year switch-over issues the previous year only", "[konbini][rules]") {
  Town t;
  const int latest = d::latest_tax_year(*d::issuance_policy_from_json(kPolicy), t.today);
  CHECK(has(t.ask("P1", "tax", {{"tax_year", latest + 1}}), latest < t.today.year ? "tax_year_switch" : "tax_year_not_offered"));
  CHECK(has(t.ask("P1", "tax", {{"tax_year", latest - 3}}), "tax_year_not_offered"));
}

TEST_CASE("konbini rules: outside the service hours and in a closure, a kind or an option not offered", "[konbini][rules]") {
  Town t;
  const std::string today = calendar::format_iso(t.today);
  t.start_service(R"({"name":"見本市","closures":[{"from":")" + today + R"(","to":")" + today +
                  R"(","reason":"システム更新"}],"kinds":{"residence":{"fee":200}}})");
  CHECK(has(t.ask("P1", "residence"), "outside_hours"));
  t.start_service(R"({"name":"見本市","open":"00:00","close":"24:00","kinds":{"residence":{"fee":200}}})");
  CHECK(has(t.ask("P1", "seal"), "kind_not_offered"));
  CHECK(has(t.ask("P1", "residence", {{"domicile", true}}), "option_not_offered"));
}

TEST_CASE("konbini rules: stale or broken linkage suppresses: a silent agent, a gap", "[konbini][rules]") {
  Town t;
  CHECK(t.ask("P1", "residence") == std::set<std::string>{"issued"});
  t.w.clock.advance(std::chrono::minutes(11));  // no heartbeat for 11 minutes
  CHECK(has(t.ask("P1", "residence"), "linkage_stale"));
  t.scan();  // the agent speaks again
  CHECK(t.ask("P1", "residence") == std::set<std::string>{"issued"});
  d::LinkageFileHeader h;
  h.kind = d::LinkageKind::resident;
  h.source = "jukiA";
  const auto row = std::vector<std::string>{"99", "M", "転居", "2026-01-05", "P1", t.people[0].code(), "H1", "見本　太郎", "1980-04-02", "1",
                                            "見本　太郎", "世帯主", "東京都見本市二番町2番地", "2001-05-01", "2001-05-01", "0"};
  deliver(t.inbox, "resident", "resident-jukiA-99.csv",
          d::write_linkage_file(h, {"連携番号", "異動区分", "異動事由", "異動日", "宛名番号", "住民票コード", "世帯番号", "氏名", "生年月日", "性別",
                                    "世帯主氏名", "続柄", "住所", "住所を定めた年月日", "住民となった年月日", "支援措置"},
                                {row})
              .value());
  t.scan();  // 連携番号 13..98 are missing: held, and certificates are suppressed
  CHECK(has(t.ask("P1", "residence"), "linkage_stale"));
}

TEST_CASE("konbini rules: a card that maps to nobody, and a revoked card", "[konbini][rules]") {
  Town t;
  CHECK(has(t.ask("12345678901", "residence"), "subject_unknown"));  // a card of someone not on this register
  auto card = sim::jpki::load_card(t.card(t.people[0].code()));
  REQUIRE(card);
  REQUIRE(sim::jpki::revoke(t.jpki, card->serial));
  REQUIRE(t.verifier->refresh());
  CHECK(has(t.ask("P1", "residence"), "certificate_revoked"));
}

namespace {
// A certificate database that cannot be read (a broken disk): every request is a failure of the
// hub, not a refusal by rule.
struct BrokenSource final : hub::CertificateSource {
  Expected<d::IssuanceFacts> facts(const std::string&, const std::string&, std::int64_t) override {
    return Error{Errc::db, "disk I/O error"};
  }
  Expected<std::string> seal_image(const std::string&, const std::string&) override { return Error{Errc::db, "disk I/O error"}; }
};
}  // namespace

TEST_CASE("The issuance service tells 障害通知 the center's last word, its own failures (not refusals) and a stale CRL (OPS-1)",
          "[konbini][alarm]") {
  Town t;
  const std::int64_t window = 15 * 60'000;
  auto h = t.service->health("131016", window);
  REQUIRE(h);
  CHECK(h->center_last_ms == 0);
  CHECK(h->watching_since_ms > 0);
  CHECK(h->watching_since_ms <= t.w.clock.wall_ms());
  CHECK_FALSE(t.service->health("271004", window));  // not issued here

  t.w.clock.advance(std::chrono::seconds(30));
  auto beat = t.post("heartbeat", json::object());
  CHECK(beat.status == 200);
  h = t.service->health("131016", window);
  CHECK(h->center_last_ms == t.w.clock.wall_ms());
  CHECK_FALSE(h->revocation_stale);

  CHECK(has(t.ask("P5", "residence"), "deceased"));  // a refusal by rule
  CHECK(t.service->health("131016", window)->errors == 0);

  BrokenSource broken;
  hub::KonbiniOptions o;
  o.policies["131016"] = *d::issuance_policy_from_json(kPolicy);
  o.signing_seed = std::string(32, 'k');
  t.service = std::make_unique<hub::KonbiniService>(std::move(o), broken, *t.verifier, t.w.clock, null_log());
  REQUIRE(t.service->open(t.w.dir / "hub"));
  CHECK(has(t.ask("P1", "residence"), "record_unreadable"));
  h = t.service->health("131016", window);
  CHECK(h->errors == 1);
  CHECK(h->last_error.find("reading the certificate database") != std::string::npos);
  t.w.clock.advance(std::chrono::minutes(16));
  CHECK(t.service->health("131016", window)->errors == 0);  // out of the window

  t.w.clock.advance(std::chrono::hours(24 * 400));  // long past the CRL's next update
  h = t.service->health("131016", window);
  CHECK(h->revocation_stale);
  CHECK(h->revocation_text.find("失効リスト") != std::string::npos);
}
