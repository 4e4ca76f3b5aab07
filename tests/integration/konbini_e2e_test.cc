// Convenience-store issuance through the real components (issue 13, KON-1..KON-7): a generated
// town delivered by the real linkage agent over the real broker into the hub's certificate
// database, the hub's issuance service over mutual TLS, the simulated JPKI (OpenSSL CA, cards with
// PINs, CRL) and the simulated kiosk and center. Every certificate is read back from the PDF's
// text (pdftotext) and checked against the resident the card belongs to.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>
#include <string>

#include "madoguchi/domain/linkage_record.h"
#include "madoguchi/http/client.h"
#include "madoguchi/provisioning/pki.h"
#include "madoguchi/sim/jpki.h"
#include "madoguchi/sim/kiosk.h"
#include "madoguchi/sim/town_generator.h"
#include "pdf_text.h"
#include "skip.h"
#include "stack.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
namespace d = madoguchi::domain;
using madoguchi::testing::EdgeSpec;
using madoguchi::testing::eventually;
using madoguchi::testing::Stack;
using madoguchi::testing::TempDir;
using namespace madoguchi;
using namespace std::chrono_literals;

namespace {

constexpr const char* kPolicy = R"({"name":"見本市","mayor":"見本市長　見本　花子","open":"00:00","close":"24:00",
  "kinds":{"residence":{"fee":200,"options":["head_and_relationship","domicile"]},"seal":{"fee":200},"tax":{"fee":200}}})";

std::vector<std::string> records_of(const fs::path& db, const std::string& entity) {
  std::vector<std::string> out;
  for (auto& r : Stack::dump_records(db, true)) {
    if (r.starts_with(entity + "/")) out.push_back(r.substr(r.find('=') + 1));
  }
  return out;
}

// The text as the data holds it, as pdftotext gives it back (U+3000 as an ASCII space).
std::string as_extracted(std::string s) {
  for (std::size_t at; (at = s.find("\xE3\x80\x80")) != std::string::npos;) s.replace(at, 3, " ");
  return s;
}

// A deployment with a town of `people` on the register and issuance for 131016.
struct KonbiniWorld {
  TempDir dir;
  Stack stack{dir.path(), MADOGUCHI_BIN_DIR};
  fs::path jpki = dir.path() / "jpki";
  fs::path cards = dir.path() / "cards";
  sim::TownSummary town;
  std::map<std::string, d::LinkageRecord> residents;  // 宛名番号 → the current record
  std::uint16_t port = 0;

  explicit KonbiniWorld(std::size_t people = 300, nlohmann::json extra = nlohmann::json::object()) {
    REQUIRE(sim::jpki::init_authority(jpki));
    stack.start_broker();  // makes the deployment's PKI
    provisioning::IssueOptions center;
    center.common_name = "center";
    center.role = provisioning::Role::client;
    REQUIRE(provisioning::issue_certificate(stack.pki(), center));
    port = testing::free_port();
    nlohmann::json konbini = {{"port", port},
                              {"tls_cert", (stack.pki() / "broker.crt").string()},
                              {"tls_key", (stack.pki() / "broker.key").string()},
                              {"client_ca", (stack.pki() / "ca.crt").string()},
                              {"jpki_ca", (jpki / "ca.pem").string()},
                              {"jpki_crl", (jpki / "crl.pem").string()},
                              {"verify_url", "https://yoyaku.example.jp/verify"},
                              {"municipalities", {{"131016", nlohmann::json::parse(kPolicy)}}}};
    for (auto it = extra.begin(); it != extra.end(); ++it) konbini[it.key()] = it.value();
    stack.start_hub({.portal = true, .extra_config = {{"konbini", konbini}}});
    stack.start_edge({"131016", "linkage", false, true});
    const auto inbox = dir.path() / "edges" / "131016.linkage" / "inbox";
    REQUIRE(eventually([&] { return fs::exists(inbox / "resident"); }));
    sim::TownOptions o;
    o.people = people;
    o.card_holders = 40;
    o.seed = 7;
    auto summary = sim::write_town(o, inbox);
    REQUIRE(summary);
    town = *summary;
    const auto cert_db = dir.path() / "hub" / "131016.cert.db";
    REQUIRE(eventually([&] {
      return records_of(cert_db, "resident").size() == town.residents && records_of(cert_db, "tax").size() == town.tax_rows;
    }, 120s));
    for (const auto& body : records_of(cert_db, "resident")) {
      auto r = d::linkage_record_from_body(d::LinkageKind::resident, body);
      REQUIRE(r);
      if (r->change != 'D') residents[r->person] = *r;
    }
    fs::create_directories(cards);
  }

  sim::kiosk::Target target(const std::string& muni = "131016") const {
    sim::kiosk::Target t;
    t.port = port;
    t.ca_file = (stack.pki() / "ca.crt").string();
    t.cert_file = (stack.pki() / "center.crt").string();
    t.key_file = (stack.pki() / "center.key").string();
    t.municipality = muni;
    return t;
  }

  fs::path card_for(const std::string& person, const std::string& pin = "1234") {
    const auto file = cards / (person + ".card.json");
    if (!fs::exists(file)) {
      sim::jpki::CardOptions o;
      o.resident_code = std::string(residents.at(person).field("住民票コード"));
      o.pin = pin;
      auto card = sim::jpki::issue_card(jpki, o);
      REQUIRE(card);
      REQUIRE(sim::jpki::save_card(file, *card));
    }
    return file;
  }

  // A current card holder without support measures, seal or not as asked.
  const sim::CardHolder& holder(std::size_t skip = 0) const {
    for (const auto& h : town.card_holders) {
      if (residents.at(h.person).field("支援措置") == "0" && skip-- == 0) return h;
    }
    FAIL("no card holder");
    return town.card_holders.front();
  }

  std::string pdf_text(const std::string& pdf) const {
    const auto file = dir.path() / "out.pdf";
    std::ofstream(file, std::ios::binary) << pdf;
    auto text = testing::pdf_text(file);
    REQUIRE(text);
    return *text;
  }
};

}  // namespace

TEST_CASE("Convenience-store issuance through the real hub: a resident's card gets their household's residence copy, the same bytes on a retry, and the record (KON-1, KON-2, KON-3, KON-6)",
          "[e2e][konbini]") {
  if (!testing::has_pdftotext()) {
    testing::skip_test("pdftotext is not installed (Debian poppler-utils)");
    return;
  }
  KonbiniWorld w;
  const auto& h = w.holder();
  const auto& me = w.residents.at(h.person);
  sim::kiosk::Order o;
  o.request = "REQ-0000000001";
  o.card = w.card_for(h.person);
  o.pin = "1234";
  o.kind = "residence";
  o.options = R"({"head_and_relationship":true})";
  o.retry_after_success = true;
  auto r = sim::kiosk::run(w.target(), o);
  REQUIRE(r);
  INFO(r->error << " " << r->message);
  REQUIRE(r->status == 200);
  CHECK(r->same_on_retry);  // a retried request returns the same certificate, never a second one
  CHECK(r->final_state == "completed");
  CHECK(r->pdf.substr(0, 5) == "%PDF-");
  const auto text = w.pdf_text(r->pdf);
  // The certificate shows exactly the card holder's household: every current member, nobody else.
  std::size_t members = 0;
  for (const auto& [person, rec] : w.residents) {
    const bool same = rec.field("世帯番号") == me.field("世帯番号");
    const auto name = as_extracted(std::string(rec.field("氏名")));
    if (same) {
      ++members;
      CHECK(text.find(name) != std::string::npos);
    }
  }
  CHECK(members >= 1);
  CHECK(text.find(as_extracted(std::string(me.field("住所")))) != std::string::npos);
  CHECK(text.find("住民票の写し") != std::string::npos);
  CHECK(text.find(r->number) != std::string::npos);

  // The record (KON-6): who, what, where, the data it showed; the PDF itself is dropped.
  const madoguchi::http::ClientTls tls{w.target().ca_file, w.target().cert_file, w.target().key_file};
  auto st = madoguchi::http::request("127.0.0.1", w.port, "GET", "/kiosk/v1/131016/status?request=REQ-0000000001", {}, 5s, &tls);
  REQUIRE(st);
  CHECK(st->body.find("\"completed\"") != std::string::npos);
  CHECK(st->body.find(r->number) != std::string::npos);

  // A request id is one request: the same id with another card or kind is refused, not re-issued.
  sim::kiosk::Order again = o;
  again.kind = "tax";
  auto other = sim::kiosk::run(w.target(), again);
  REQUIRE(other);
  CHECK(other->status != 200);

  // Another municipality's path does not exist for this hub's issuance (KON-5).
  o.request = "REQ-0000000002";
  auto elsewhere = sim::kiosk::run(w.target("282014"), o);
  REQUIRE(elsewhere);
  CHECK(elsewhere->status == 404);

  // Without the center's client certificate there is no connection at all.
  auto anonymous = w.target();
  anonymous.cert_file.clear();
  anonymous.key_file.clear();
  o.request = "REQ-0000000003";
  auto refused = sim::kiosk::run(anonymous, o);
  CHECK((!refused || refused->status != 200));
}

TEST_CASE("Convenience-store issuance refuses a wrong or locked PIN at the card, a revoked card at the hub, and cancels a request the kiosk could not print (KON-2, KON-3)",
          "[e2e][konbini]") {
  KonbiniWorld w(200);
  const auto& h = w.holder();
  sim::kiosk::Order o;
  o.card = w.card_for(h.person);
  o.kind = "residence";
  o.pin = "9999";
  for (int i = 0; i < 3; ++i) {
    o.request = "PIN-000000000" + std::to_string(i);
    auto r = sim::kiosk::run(w.target(), o);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::forbidden);
  }
  o.pin = "1234";  // the right PIN, too late: the card is locked
  o.request = "PIN-0000000009";
  auto locked = sim::kiosk::run(w.target(), o);
  REQUIRE_FALSE(locked);
  CHECK(locked.error().message.find("locked") != std::string::npos);

  // A paper jam: the kiosk cancels; the request ends cancelled and its PDF is gone.
  const auto& h2 = w.holder(1);
  sim::kiosk::Order c;
  c.request = "JAM-0000000001";
  c.card = w.card_for(h2.person);
  c.pin = "1234";
  c.kind = "residence";
  c.complete = false;
  auto jam = sim::kiosk::run(w.target(), c);
  REQUIRE(jam);
  CHECK(jam->status == 200);
  CHECK(jam->final_state == "cancelled");

  // Revoked: the hub reads the new CRL and refuses the card.
  auto card = sim::jpki::load_card(c.card);
  REQUIRE(card);
  REQUIRE(sim::jpki::revoke(w.jpki, card->serial));
  c.complete = true;
  c.request = "REV-0000000001";
  bool refused = false;
  REQUIRE(eventually([&] {
    c.request = "REV-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 10000000000LL);
    auto r = sim::kiosk::run(w.target(), c);
    refused = r && r->status == 403 && r->error == "authentication_failed";
    return refused;
  }, 10s));
  CHECK(refused);
}

TEST_CASE("The verification page confirms a genuine code and PDF and refuses a forged code and a tampered PDF",
          "[e2e][konbini]") {
  KonbiniWorld w(200);
  const auto& h = w.holder();
  sim::kiosk::Order o;
  o.request = "VER-0000000001";
  o.card = w.card_for(h.person);
  o.pin = "1234";
  o.kind = "residence";
  auto r = sim::kiosk::run(w.target(), o);
  REQUIRE(r);
  REQUIRE(r->status == 200);
  REQUIRE_FALSE(r->verification.empty());
  const std::string code = r->verification.substr(r->verification.find("?c=") + 3);
  auto get = [&](const std::string& c) {
    auto res = madoguchi::http::request("127.0.0.1", w.stack.hub_portal_port(), "GET", "/verify?c=" + c);
    REQUIRE(res);
    return res->body;
  };
  CHECK(get(code).find("本物です") != std::string::npos);
  std::string forged = code;
  forged[8] = forged[8] == 'A' ? 'B' : 'A';  // one character of the payload
  CHECK(get(forged).find("確認できません") != std::string::npos);
  CHECK(get("MGV1.garbage").find("確認できません") != std::string::npos);

  auto upload = [&](const std::string& pdf) {
    const std::string boundary = "----madoguchi-test-boundary";
    const std::string body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"pdf\"; filename=\"c.pdf\"\r\n" +
                             "Content-Type: application/pdf\r\n\r\n" + pdf + "\r\n--" + boundary + "--\r\n";
    auto res = madoguchi::http::request("127.0.0.1", w.stack.hub_portal_port(), "POST", "/verify", body, 5s, nullptr,
                                        {{"Content-Type", "multipart/form-data; boundary=" + boundary}});
    REQUIRE(res);
    return res->body;
  };
  CHECK(upload(r->pdf).find("同じです") != std::string::npos);
  std::string tampered = r->pdf;
  const auto at = tampered.find("/Title");
  REQUIRE(at != std::string::npos);
  tampered[at + 8] = tampered[at + 8] == 'x' ? 'y' : 'x';
  CHECK(upload(tampered).find("一致しません") != std::string::npos);
}
