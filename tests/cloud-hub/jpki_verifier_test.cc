// The hub's JPKI check against the simulated service (issue 13, KON-2): the CRL and the OCSP
// responder (madoguchi-sim jpki ocsp) over real HTTP on 127.0.0.1. A revocation the CRL does not
// carry yet is refused through OCSP; a responder that cannot be asked, or whose answer is not the
// authority's, leaves the CRL to decide and is reported for 障害通知 (OPS-1).
#include <catch2/catch.hpp>

#include <chrono>

#include "madoguchi/domain/alarm.h"
#include "madoguchi/hub/jpki_verifier.h"
#include "madoguchi/sim/jpki.h"
#include "madoguchi/sim/jpki_ocsp.h"
#include "process.h"
#include "temp_dir.h"

using namespace madoguchi;
namespace fs = std::filesystem;

namespace {

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct Authority {
  testing::TempDir dir;
  fs::path jpki = dir / "jpki";
  int cards = 0;
  Authority() { REQUIRE(sim::jpki::init_authority(jpki)); }

  fs::path card() {
    sim::jpki::CardOptions o;
    o.resident_code = "1234567890" + std::to_string(cards % 10);
    o.generation = 1 + cards / 10;
    auto c = sim::jpki::issue_card(jpki, o);
    REQUIRE(c);
    const fs::path file = dir / ("card" + std::to_string(cards++) + ".json");
    REQUIRE(sim::jpki::save_card(file, *c));
    return file;
  }

  // A sign-in at a kiosk with `card`: the certificate and its signature over a challenge.
  static Expected<hub::JpkiIdentity> sign_in(hub::JpkiVerifier& v, const fs::path& card) {
    const std::string challenge = "challenge-" + std::to_string(now_s());
    auto sig = sim::jpki::sign_with_card(card, "1234", challenge);
    REQUIRE(sig);
    auto c = sim::jpki::load_card(card);
    REQUIRE(c);
    auto der = sim::jpki::card_certificate_der(*c);
    REQUIRE(der);
    return v.verify(*der, challenge, *sig, now_s());
  }
  static std::string serial(const fs::path& card) { return sim::jpki::load_card(card).value().serial; }
};

std::string refusal(const Expected<hub::JpkiIdentity>& r) { return r ? std::string("accepted") : r.error().message; }

std::unique_ptr<sim::jpki::OcspResponder> responder(const fs::path& dir, std::uint16_t port = 0) {
  sim::jpki::OcspResponder::Options o;
  o.port = port;
  auto r = sim::jpki::OcspResponder::start(dir, o);
  REQUIRE(r);
  return std::move(*r);
}

std::unique_ptr<hub::JpkiVerifier> verifier(const Authority& a, std::uint16_t ocsp_port, std::int64_t cache_seconds = 300) {
  hub::OcspOptions o;
  if (ocsp_port != 0) o.url = "http://127.0.0.1:" + std::to_string(ocsp_port) + "/ocsp";
  o.cache_seconds = cache_seconds;
  auto v = hub::JpkiVerifier::open(a.jpki / "ca.pem", a.jpki / "crl.pem", o);
  REQUIRE(v);
  return std::move(*v);
}

}  // namespace

TEST_CASE("JPKI OCSP: a card revoked since the last CRL is refused at once through the responder, and only through it (KON-2)",
          "[konbini][jpki][ocsp]") {
  Authority a;
  auto ocsp = responder(a.jpki);
  auto with_ocsp = verifier(a, ocsp->port());
  auto crl_only = verifier(a, 0);
  const fs::path card = a.card();

  REQUIRE(refusal(Authority::sign_in(*with_ocsp, card)) == "accepted");
  CHECK(with_ocsp->ocsp_stats().asked == 1);
  CHECK(with_ocsp->ocsp_stats().good == 1);
  REQUIRE(refusal(Authority::sign_in(*with_ocsp, card)) == "accepted");  // the good answer is reused
  CHECK(with_ocsp->ocsp_stats().cached == 1);
  CHECK(ocsp->answered() == 1);

  // Revoked at J-LIS; the CRL the hub holds is still the old one.
  const fs::path other = a.card();
  REQUIRE(sim::jpki::revoke(a.jpki, Authority::serial(other), /*publish_crl=*/false));
  CHECK(refusal(Authority::sign_in(*crl_only, other)) == "accepted");  // what the CRL alone would let through
  CHECK(refusal(Authority::sign_in(*with_ocsp, other)) == "certificate_revoked");
  CHECK(refusal(Authority::sign_in(*with_ocsp, other)) == "certificate_revoked");  // kept: a revocation is for good
  CHECK(with_ocsp->ocsp_stats().revoked == 1);

  // A good answer is reused only for its period: with none, a revocation is seen at the next sign-in.
  auto uncached = verifier(a, ocsp->port(), 0);
  REQUIRE(refusal(Authority::sign_in(*uncached, card)) == "accepted");
  REQUIRE(sim::jpki::revoke(a.jpki, Authority::serial(card), false));
  CHECK(refusal(Authority::sign_in(*uncached, card)) == "certificate_revoked");
  CHECK(uncached->revocation(now_s()).ocsp_trouble.empty());
}

TEST_CASE("JPKI OCSP: a responder that does not answer, or answers for another authority, leaves the CRL to decide and is reported (KON-2, OPS-1)",
          "[konbini][jpki][ocsp][alarm]") {
  Authority a;
  const std::uint16_t port = testing::free_port();
  auto v = verifier(a, port, 0);
  const fs::path card = a.card();

  // Nobody listens: the CRL (current, and without the card) decides; 障害通知 hears of it.
  CHECK(refusal(Authority::sign_in(*v, card)) == "accepted");
  CHECK(v->ocsp_stats().failed == 1);
  auto rev = v->revocation(now_s());
  CHECK_FALSE(rev.stale);
  CHECK(rev.ocsp_trouble == "応答がありません");
  domain::AlarmInputs in;
  in.now_ms = now_s() * 1000;
  in.issuance = domain::IssuanceHealth{};
  in.issuance->ocsp_trouble = rev.ocsp_trouble;
  const auto alarms = domain::observe_alarms(in, domain::AlarmPolicy{});
  REQUIRE(alarms.size() == 1);
  CHECK(alarms[0].key == "ocsp");
  CHECK(alarms[0].level == domain::AlarmLevel::warning);
  CHECK(alarms[0].what.find("失効リストで確認して交付を続けています") != std::string::npos);

  // A card the CRL carries is refused, responder or not.
  const fs::path revoked = a.card();
  REQUIRE(sim::jpki::revoke(a.jpki, Authority::serial(revoked)));
  REQUIRE(v->refresh());
  CHECK(refusal(Authority::sign_in(*v, revoked)) == "certificate_revoked");

  // Someone else's responder on that port: its "good" is signed by another key and counts for nothing.
  Authority impostor;
  auto fake = responder(impostor.jpki, port);
  const fs::path late = a.card();
  REQUIRE(sim::jpki::revoke(a.jpki, Authority::serial(late), false));
  CHECK(refusal(Authority::sign_in(*v, late)) == "accepted");  // the CRL does not know yet, and the answer is not J-LIS's
  CHECK(v->revocation(now_s()).ocsp_trouble == "応答の署名が公的個人認証の認証局のものではありません");
  fake.reset();

  // The real responder is back: the revocation is seen, and the trouble is over.
  auto real = responder(a.jpki, port);
  CHECK(refusal(Authority::sign_in(*v, late)) == "certificate_revoked");
  CHECK(v->revocation(now_s()).ocsp_trouble.empty());
}

TEST_CASE("JPKI OCSP: the responder answers malformed questions with a refusal, and the hub takes only an http URL", "[konbini][jpki][ocsp]") {
  Authority a;
  auto der = sim::jpki::ocsp_respond(a.jpki, "not DER");
  REQUIRE(der);
  CHECK(*der == std::string("\x30\x03\x0a\x01\x01", 5));  // OCSPResponse { malformedRequest }
  for (const char* url : {"https://127.0.0.1/ocsp", "ftp://127.0.0.1/", "127.0.0.1:80", "http://"}) {
    hub::OcspOptions o;
    o.url = url;
    auto v = hub::JpkiVerifier::open(a.jpki / "ca.pem", a.jpki / "crl.pem", o);
    CHECK_FALSE(v);
    if (!v) CHECK(v.error().code == Errc::invalid_argument);
  }
}
