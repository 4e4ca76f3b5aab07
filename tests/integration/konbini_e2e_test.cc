// Convenience-store issuance through the real components (issue 13, KON-1..KON-7): a generated
// town delivered by the real linkage agent over the real broker into the hub's certificate
// database, the hub's issuance service over mutual TLS, the simulated JPKI (OpenSSL CA, cards with
// PINs, CRL) and the simulated kiosk and center. Every certificate is read back from the PDF's
// text (pdftotext) and checked against the resident the card belongs to.
#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>
#include <map>
#include <set>
#include <string>

#include "madoguchi/domain/konbini.h"
#include "madoguchi/domain/linkage_record.h"
#include "madoguchi/http/client.h"
#include "madoguchi/provisioning/pki.h"
#include "madoguchi/sim/jpki.h"
#include "madoguchi/sim/jpki_ocsp.h"
#include "madoguchi/sim/kiosk.h"
#include "madoguchi/sim/town_generator.h"
#include "madoguchi/sqlite/sqlite.h"
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
  nlohmann::json konbini_config;

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
    konbini_config = konbini;
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

TEST_CASE("The hub asks the JPKI OCSP responder: a card revoked since the last CRL is refused at once, and a responder that does not answer leaves the CRL to decide (KON-2)",
          "[e2e][konbini][ocsp]") {
  const std::uint16_t ocsp_port = testing::free_port();
  KonbiniWorld w(200, {{"jpki_ocsp", "http://127.0.0.1:" + std::to_string(ocsp_port) + "/"}});
  sim::jpki::OcspResponder::Options ro;
  ro.port = ocsp_port;
  auto responder = sim::jpki::OcspResponder::start(w.jpki, ro);
  REQUIRE(responder);
  auto ask = [&](std::size_t nth, const std::string& request) {
    sim::kiosk::Order o;
    o.request = request;
    o.card = w.card_for(w.holder(nth).person);
    o.pin = "1234";
    o.kind = "residence";
    auto r = sim::kiosk::run(w.target(), o);
    REQUIRE(r);
    return r->status == 200 ? std::string("issued") : std::to_string(r->status) + " " + r->error;
  };
  CHECK(ask(0, "OCSP-0000000001") == "issued");
  CHECK((*responder)->answered() == 1);

  // Revoked at J-LIS a moment ago; the CRL in the hub's hands does not carry it yet.
  auto card = sim::jpki::load_card(w.card_for(w.holder(1).person));
  REQUIRE(card);
  REQUIRE(sim::jpki::revoke(w.jpki, card->serial, /*publish_crl=*/false));
  CHECK(ask(1, "OCSP-0000000002") == "403 authentication_failed");
  CHECK((*responder)->answered() == 2);

  // The responder is down: the current CRL decides, and issuance goes on.
  responder->reset();
  CHECK(ask(2, "OCSP-0000000003") == "issued");
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

namespace {

std::vector<std::vector<std::string>> sqlite_rows(const fs::path& db, const std::string& sql) {
  std::vector<std::vector<std::string>> out;
  auto conn = sqlite::Db::open(db, {.read_only = true});
  if (!conn) return out;
  auto st = conn->prepare(sql);
  if (!st) return out;
  for (;;) {
    auto row = st->step();
    if (!row || !*row) break;
    std::vector<std::string> cells;
    for (int i = 0; i < 5; ++i) cells.push_back(st->column_text(i));
    out.push_back(std::move(cells));
  }
  return out;
}

// The issuance database's row of a request, read directly (read-only) by the test.
struct IssuedRow {
  std::string state, subject, persons, number, kind;
};
std::optional<IssuedRow> issued_row(const fs::path& db, const std::string& request) {
  auto out = sqlite_rows(db, "SELECT state, subject, persons, number, kind FROM requests WHERE request = '" + request + "'");
  if (out.empty()) return std::nullopt;
  return IssuedRow{out[0][0], out[0][1], out[0][2], out[0][3], out[0][4]};
}

}  // namespace

TEST_CASE("The wrong-person test: concurrent kiosks, same-second requests for one household and for residents of the same name, timeouts, cancellations, retries and a hub restart, and every certificate belongs to the card that asked (issue 13)",
          "[e2e][konbini]") {
  if (!testing::has_pdftotext()) {
    testing::skip_test("pdftotext is not installed (Debian poppler-utils)");
    return;
  }
  KonbiniWorld w(600);
  // The people: members of households of two or more, residents who share a name, then others;
  // each with a card of their own.
  std::map<std::string, std::vector<std::string>> by_household, by_name;
  for (const auto& [person, r] : w.residents) {
    if (r.field(d::kJpkiSerialColumn).empty() || r.field("支援措置") != "0") continue;
    by_household[std::string(r.field("世帯番号"))].push_back(person);
    by_name[std::string(r.field("氏名"))].push_back(person);
  }
  std::vector<std::vector<std::string>> groups;  // fired in the same second from different stores
  for (const auto& [name, people] : by_name) {
    if (people.size() >= 2) groups.push_back(people);
  }
  REQUIRE_FALSE(groups.empty());  // the town has namesakes
  const std::size_t namesakes = groups.size();
  for (const auto& [household, people] : by_household) {
    if (people.size() >= 2 && groups.size() < namesakes + 30) groups.push_back(people);
  }
  REQUIRE(groups.size() > namesakes);  // and households of several card holders
  std::set<std::string> people;
  for (auto& g : groups) {
    if (g.size() > 4) g.resize(4);
    people.insert(g.begin(), g.end());
  }
  for (const auto& p : people) w.card_for(p);
  INFO(namesakes << " groups of namesakes, " << groups.size() - namesakes << " households, " << people.size() << " cards");

  const fs::path konbini_db = w.dir.path() / "hub" / "131016.konbini.db";
  std::mutex mu;
  std::vector<std::string> problems, failures;
  std::map<std::string, int> refusals;  // "status code" -> count, for the message of a failure
  std::atomic<std::size_t> issued{0}, refused{0}, failed{0}, checked{0};
  std::atomic<bool> restarting{false};
  const char* kinds[] = {"residence", "residence", "seal", "tax"};
  auto one = [&](const std::string& person, std::size_t n, std::size_t store) {
    sim::kiosk::Order o;
    o.request = "WP-" + std::to_string(n) + "-" + person;
    o.card = w.cards / (person + ".card.json");
    o.pin = "1234";
    o.kind = kinds[n % 4];
    o.store_id = "S" + std::to_string(store);
    o.kiosk = "K" + std::to_string(store);
    o.prefecture = store % 2 ? "13" : "27";
    o.retries = 30;  // across a hub restart
    o.first_issue_timeout = n % 7 == 0 ? 5ms : 0ms;   // the center's line stalls: the retry must get the same certificate
    o.think_time = n % 11 == 0 ? 300ms : 0ms;         // a slow resident
    o.complete = n % 13 != 0;                          // a paper jam: the kiosk cancels the whole request
    o.reissue_after_finish = n % 13 == 0 || n % 17 == 0;
    o.retry_after_success = n % 5 == 0;
    auto r = sim::kiosk::run(w.target(), o);
    if (!r) {
      ++failed;  // the hub was restarting: a center starts over with a new request
      if (!restarting) {
        std::lock_guard lock(mu);
        if (failures.size() < 5) failures.push_back(o.request + ": " + r.error().message);
      }
      return;
    }
    if (r->status != 200) {
      ++refused;
      {
        std::lock_guard lock(mu);
        ++refusals[std::to_string(r->status) + " " + r->error];
      }
      // A refusal is a decision (403) or a request the restart or a timeout ended (409); anything
      // else is the hub failing a well-formed request.
      if (r->status != 403 && r->status != 409) {
        std::lock_guard lock(mu);
        problems.push_back(o.request + ": status " + std::to_string(r->status) + " " + r->error + " " + r->message);
      }
      return;
    }
    ++issued;
    std::vector<std::string> bad;
    if (!r->same_on_retry) bad.push_back(o.request + ": a retry returned different bytes");
    if (o.reissue_after_finish && r->reissue_status == 200) bad.push_back(o.request + ": a finished request returned a certificate again");
    // Check 1: the data behind it.
    auto row = issued_row(konbini_db, o.request);
    const auto& me = w.residents.at(person);
    if (!row) {
      bad.push_back(o.request + ": no record");
    } else {
      if (row->subject != person) bad.push_back(o.request + ": issued to " + row->subject + ", asked by " + person);
      if (row->number != r->number) bad.push_back(o.request + ": number " + row->number + " but the PDF says " + r->number);
      for (const auto& [other, rec] : w.residents) {
        if (row->persons.find("\"" + other + "\"") != std::string::npos && rec.field("世帯番号") != me.field("世帯番号")) {
          bad.push_back(o.request + ": shows " + other + " of another household");
        }
      }
    }
    // Check 2: the text of the PDF.
    const auto file = w.dir.path() / ("wp-" + std::to_string(n) + ".pdf");
    std::ofstream(file, std::ios::binary) << r->pdf;
    auto text = testing::pdf_text(file);
    fs::remove(file);
    if (!text) {
      bad.push_back(o.request + ": PDF text unreadable");
    } else {
      const auto name = as_extracted(std::string(me.field("氏名")));
      const auto address = as_extracted(std::string(me.field("住所")));
      if (text->find(name) == std::string::npos) bad.push_back(o.request + ": the requester's name is not on it");
      if (o.kind != "tax" && text->find(address) == std::string::npos) bad.push_back(o.request + ": the requester's address is not on it");
      if (text->find(r->number) == std::string::npos) bad.push_back(o.request + ": another certificate number");
      // Every name printed is a name of the requester's household (namesakes elsewhere aside:
      // the data check above tells them apart).
      std::set<std::string> household_names;
      for (const auto& [other, rec] : w.residents) {
        if (rec.field("世帯番号") == me.field("世帯番号")) household_names.insert(as_extracted(std::string(rec.field("氏名"))));
      }
      for (std::size_t at = 0; (at = text->find("\n氏名 ", at)) != std::string::npos;) {
        at += std::string("\n氏名 ").size();
        const auto shown = text->substr(at, text->find('\n', at) - at);
        if (!household_names.count(shown.substr(0, shown.find("（")))) {  // 氏名（旧氏 …）
          bad.push_back(o.request + ": prints the name of someone outside the household: " + shown);
        }
      }
      ++checked;
    }
    if (!bad.empty()) {
      std::lock_guard lock(mu);
      problems.insert(problems.end(), bad.begin(), bad.end());
    }
  };

  // Rounds: every member of a group asks at the same moment from a different store; 12 kiosks.
  // A fixed amount of work, not a time: three rounds of every group; the hub is killed once a
  // third of the requests have been sent, whatever the machine's speed.
  constexpr int kRounds = 3;
  std::size_t per_round = 0;
  for (const auto& g : groups) per_round += g.size();
  std::atomic<std::size_t> n{0};
  std::thread restarter([&] {
    while (n.load() < per_round * kRounds / 3) std::this_thread::sleep_for(20ms);
    restarting = true;
    w.stack.kill_hub();  // SIGKILL in the middle of issuing
    std::this_thread::sleep_for(500ms);
    w.stack.start_hub({.portal = true, .extra_config = {{"konbini", w.konbini_config}}});
    eventually([&] { return testing::port_open(w.port); }, 30s);
    restarting = false;
  });
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::thread> kiosks;
    std::size_t store = 0;
    for (const auto& g : groups) {
      for (const auto& p : g) kiosks.emplace_back(one, p, n++, store++);
      if (kiosks.size() >= 12) {
        for (auto& k : kiosks) k.join();
        kiosks.clear();
      }
    }
    for (auto& k : kiosks) k.join();
  }
  restarter.join();
  INFO(issued << " issued, " << refused << " refused, " << failed << " failed across the restart, " << checked << " checked");
  for (std::size_t i = 0; i < problems.size() && i < 20; ++i) UNSCOPED_INFO(problems[i]);
  for (const auto& f : failures) UNSCOPED_INFO("failed outside the restart: " << f);
  for (const auto& [why, count] : refusals) UNSCOPED_INFO("refused " << why << ": " << count);
  CHECK(problems.empty());
  // Most requests end in a certificate (the rest: no seal, under 15, no assessment, or sent while
  // the hub was down), and every one was checked.
  CHECK(issued + refused + failed == per_round * kRounds);
  CHECK(issued * 2 >= per_round * kRounds);
  CHECK(checked == issued);
}
