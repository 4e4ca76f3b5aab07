#include "madoguchi/provisioning/dev_pki.h"

#include <catch2/catch.hpp>

#include "madoguchi/provisioning/pki.h"
#include "test_support.h"

namespace mp = madoguchi::provisioning;
using madoguchi::Errc;
using madoguchi::testing::read_text;

namespace {

mp::Registry registry_with(std::vector<std::string> devices) {
  mp::Registry r;
  mp::Municipality m{"131016", "サンプル市", {}};
  for (auto& d : devices) m.devices.push_back({std::move(d), mp::DeviceRole::counter});
  r.municipalities.push_back(std::move(m));
  return r;
}

}  // namespace

TEST_CASE("dev-pki creates a CA, the broker, the hub and one client per device, all verifying", "[dev-pki]") {
  madoguchi::testing::TempDir dir;
  auto report = mp::ensure_dev_pki(dir.path(), registry_with({"counter-01", "linkage"}));
  INFO((report ? std::string("ok") : report.error().describe()));
  REQUIRE(report.ok());
  std::vector<std::string> stems;
  for (const auto& e : *report) {
    stems.push_back(e.stem);
    CHECK(e.created);
  }
  CHECK(stems == std::vector<std::string>{"ca", "broker", "hub", "131016.counter-01", "131016.linkage"});
  for (const char* stem : {"broker", "hub", "131016.counter-01", "131016.linkage"}) {
    INFO(stem);
    CHECK(mp::verify_certificate(dir / "ca.crt", dir / (std::string(stem) + ".crt")).ok());
    CHECK(*mp::certificate_common_name(dir / (std::string(stem) + ".crt")) == stem);
  }
}

TEST_CASE("dev-pki run twice keeps every existing key and only adds new devices", "[dev-pki]") {
  madoguchi::testing::TempDir dir;
  REQUIRE(mp::ensure_dev_pki(dir.path(), registry_with({"counter-01"})).ok());
  const auto ca_key = read_text(dir / "ca.key");
  const auto device_key = read_text(dir / "131016.counter-01.key");

  auto second = mp::ensure_dev_pki(dir.path(), registry_with({"counter-01", "counter-02"}));
  REQUIRE(second.ok());
  for (const auto& e : *second) {
    INFO(e.stem);
    CHECK(e.created == (e.stem == "131016.counter-02"));
  }
  CHECK(read_text(dir / "ca.key") == ca_key);
  CHECK(read_text(dir / "131016.counter-01.key") == device_key);
}

TEST_CASE("dev-pki refuses to keep certificates issued by a CA that was since replaced", "[dev-pki]") {
  madoguchi::testing::TempDir dir;
  REQUIRE(mp::ensure_dev_pki(dir.path(), registry_with({"counter-01"})).ok());
  mp::CaOptions force;
  force.force = true;
  REQUIRE(mp::create_ca(dir.path(), force).ok());

  auto again = mp::ensure_dev_pki(dir.path(), registry_with({"counter-01"}));
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == Errc::conflict);
  CHECK_THAT(again.error().message, Catch::Contains("broker.crt"));
}
