// protocol::broker_allows, the broker plugin's rule (SEC-1, EDGE-4, KON-5, issue 11).
#include <catch2/catch.hpp>

#include "madoguchi/protocol/broker_acl.h"

namespace p = madoguchi::protocol;
using p::BrokerAccess;

namespace {
p::BrokerIdentities ids() {
  p::BrokerIdentities i;
  i.hubs = {"hub", "hub-2"};
  i.devices = {"131016.counter-01", "272035.counter-01"};
  i.linkage = {"131016.linkage"};
  return i;
}
}  // namespace

TEST_CASE("A device reaches only its own up, down and feed topics, exactly", "[protocol][broker_acl]") {
  const auto i = ids();
  const std::string me = "131016.counter-01";
  CHECK(p::broker_allows(i, me, BrokerAccess::write, "mg/v1/131016/counter-01/up", false));
  CHECK(p::broker_allows(i, me, BrokerAccess::read, "mg/v1/131016/counter-01/down", false));
  CHECK(p::broker_allows(i, me, BrokerAccess::read, "mg/v1/131016/feed", false));
  CHECK(p::broker_allows(i, me, BrokerAccess::subscribe, "mg/v1/131016/feed", false));
  CHECK(p::broker_allows(i, me, BrokerAccess::subscribe, "mg/v1/131016/counter-01/down", false));
  CHECK(p::broker_allows(i, me, BrokerAccess::unsubscribe, "mg/v1/131016/feed", false));
  for (const char* t : {"mg/v1/131016/linkage/up", "mg/v1/131016/counter-01/down", "mg/v1/272035/counter-01/up",
                        "mg/v1/131016/feed", "mg/v1/131016/counter-01/up/x"}) {
    INFO(t);
    CHECK_FALSE(p::broker_allows(i, me, BrokerAccess::write, t, false));
  }
  for (const char* f : {"mg/v1/#", "#", "mg/v1/131016/+/down", "mg/v1/+/feed", "mg/v1/272035/feed",
                        "mg/v1/131016/linkage/down", "$share/hub/mg/v1/+/+/up", "$share/x/mg/v1/131016/feed",
                        "$SYS/#", "mg/v1/131016/counter-01/up"}) {
    INFO(f);
    CHECK_FALSE(p::broker_allows(i, me, BrokerAccess::subscribe, f, false));
    CHECK_FALSE(p::broker_allows(i, me, BrokerAccess::read, f, false));
  }
  // Retained messages: nobody.
  CHECK_FALSE(p::broker_allows(i, me, BrokerAccess::write, "mg/v1/131016/counter-01/up", true));
  CHECK_FALSE(p::broker_allows(i, "hub", BrokerAccess::write, "mg/v1/131016/feed", true));
}

TEST_CASE("A linkage server reaches its own up and down topics and never the municipality's feed (KON-5)",
          "[protocol][broker_acl]") {
  const auto i = ids();
  const std::string me = "131016.linkage";
  CHECK(p::broker_allows(i, me, BrokerAccess::write, "mg/v1/131016/linkage/up", false));
  CHECK(p::broker_allows(i, me, BrokerAccess::read, "mg/v1/131016/linkage/down", false));
  CHECK(p::broker_allows(i, me, BrokerAccess::subscribe, "mg/v1/131016/linkage/down", false));
  for (const char* f : {"mg/v1/131016/feed", "mg/v1/131016/counter-01/down", "mg/v1/272035/feed", "mg/v1/#"}) {
    INFO(f);
    CHECK_FALSE(p::broker_allows(i, me, BrokerAccess::subscribe, f, false));
    CHECK_FALSE(p::broker_allows(i, me, BrokerAccess::read, f, false));
  }
  CHECK_FALSE(p::broker_allows(i, me, BrokerAccess::write, "mg/v1/131016/feed", false));
  // A counter's identity is not a linkage server's, and the file says which is which.
  auto back = p::parse_broker_identities(p::render_broker_identities(i));
  REQUIRE(back.ok());
  CHECK(back->linkage == i.linkage);
  CHECK_FALSE(p::parse_broker_identities("device 131016.linkage\nlinkage 131016.linkage\n").ok());
}

TEST_CASE("The hub reaches everything under mg/v1 and alone joins the hub's shared subscription",
          "[protocol][broker_acl]") {
  const auto i = ids();
  for (const char* hub : {"hub", "hub-2"}) {
    INFO(hub);
    CHECK(p::broker_allows(i, hub, BrokerAccess::subscribe, "$share/hub/mg/v1/+/+/up", false));
    CHECK(p::broker_allows(i, hub, BrokerAccess::read, "mg/v1/272035/counter-01/up", false));
    CHECK(p::broker_allows(i, hub, BrokerAccess::write, "mg/v1/131016/feed", false));
    CHECK(p::broker_allows(i, hub, BrokerAccess::write, "mg/v1/131016/counter-01/down", false));
    CHECK_FALSE(p::broker_allows(i, hub, BrokerAccess::subscribe, "$share/other/mg/v1/+/+/up", false));
    CHECK_FALSE(p::broker_allows(i, hub, BrokerAccess::subscribe, "$SYS/#", false));
    CHECK_FALSE(p::broker_allows(i, hub, BrokerAccess::write, "elsewhere/topic", false));
  }
  // An identity nobody listed (a certificate of a device removed from the registry) gets nothing.
  CHECK_FALSE(p::broker_allows(i, "131016.counter-09", BrokerAccess::write, "mg/v1/131016/counter-09/up", false));
  CHECK_FALSE(p::broker_allows(i, "hub-3", BrokerAccess::read, "mg/v1/131016/counter-01/up", false));
  CHECK_FALSE(p::broker_allows(i, "", BrokerAccess::read, "mg/v1/131016/feed", false));
}

TEST_CASE("The identities file round-trips and refuses what is not an identity", "[protocol][broker_acl]") {
  const auto i = ids();
  auto back = p::parse_broker_identities(p::render_broker_identities(i));
  REQUIRE(back.ok());
  CHECK(back->hubs == i.hubs);
  CHECK(back->devices == i.devices);
  for (const char* bad : {"device hub\n", "device 131016.Counter\n", "hub mg/#\n", "owner x\n", "hub\n"}) {
    INFO(bad);
    auto r = p::parse_broker_identities(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == madoguchi::Errc::malformed);
  }
  CHECK(p::parse_broker_identities("# comment\n\nhub hub\n")->hubs.size() == 1);
}
