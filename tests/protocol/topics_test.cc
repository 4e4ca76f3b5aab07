#include <catch2/catch.hpp>

#include "madoguchi/protocol/topics.h"

namespace p = madoguchi::protocol;
using madoguchi::Errc;

TEST_CASE("Topics carry municipality and device and parse back (EDGE-4)", "[protocol][topics]") {
  CHECK(p::up_topic("131016", "counter-01") == "mg/v1/131016/counter-01/up");
  CHECK(p::down_topic("131016", "counter-01") == "mg/v1/131016/counter-01/down");
  CHECK(p::feed_topic("131016") == "mg/v1/131016/feed");
  CHECK(p::hub_up_subscription() == "$share/hub/mg/v1/+/+/up");
  auto t = p::parse_topic("mg/v1/131016/counter-01/up");
  REQUIRE(t.ok());
  CHECK(t->kind == p::TopicKind::up);
  CHECK(t->municipality == "131016");
  CHECK(t->device == "counter-01");
  auto f = p::parse_topic("mg/v1/282014/feed");
  REQUIRE(f.ok());
  CHECK(f->kind == p::TopicKind::feed);
}

TEST_CASE("Topics with wildcards, bad codes or unknown shapes are refused", "[protocol][topics]") {
  for (const char* bad : {"mg/v1/+/counter-01/up", "mg/v1/13101/x/up", "mg/v2/131016/feed", "mg/v1/131016/Counter/up",
                          "mg/v1/131016/a/sideways", "", "mg/v1/131016/a/up/extra"}) {
    INFO(bad);
    auto t = p::parse_topic(bad);
    REQUIRE_FALSE(t.ok());
    CHECK(t.error().code == Errc::malformed);
  }
}

TEST_CASE("Device ids and municipality codes are validated", "[protocol][topics]") {
  CHECK(p::valid_municipality("131016"));
  CHECK_FALSE(p::valid_municipality("13101a"));
  CHECK(p::valid_device_id("counter-01"));
  CHECK_FALSE(p::valid_device_id("-x"));
  CHECK_FALSE(p::valid_device_id("a.b"));
  CHECK_FALSE(p::valid_device_id(std::string(33, 'a')));
  CHECK(p::device_identity("131016", "linkage") == "131016.linkage");
}
