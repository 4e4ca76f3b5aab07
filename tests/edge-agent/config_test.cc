#include <catch2/catch.hpp>

#include "madoguchi/edge/config.h"

using madoguchi::Errc;
using madoguchi::edge::parse_edge_config;

namespace {
const std::string kBase = R"("municipality":"131016","device":"counter-01","ca_file":"ca.crt","cert_file":"d.crt","key_file":"d.key")";
}

TEST_CASE("An edge config with only the required keys gets the documented defaults", "[edge][config]") {
  auto c = parse_edge_config("{" + kBase + "}");
  REQUIRE(c.ok());
  CHECK(c->broker_port == 8883);
  CHECK(c->http_address == "127.0.0.1");
  CHECK(c->http_port == 0);
  CHECK(c->keepalive_seconds == 10);
  CHECK(c->reconnect_max_seconds == 30);
}

TEST_CASE("Edge config mistakes are refused with the key named", "[edge][config]") {
  struct Case {
    std::string extra;
    std::string mentions;
  };
  for (const auto& c : std::vector<Case>{{R"(,"brokr_port":1)", "brokr_port"},
                                         {R"(,"broker_port":70000)", "broker_port"},
                                         {R"(,"http_port":-1)", "http_port"},
                                         {R"(,"keepalive_seconds":2)", "keepalive"},
                                         {R"(,"role":"kiosk")", "role"},
                                         {R"(,"role":"linkage")", "inbox_dir"},
                                         {R"(,"ack_timeout_ms":5)", "ack_timeout_ms"}}) {
    INFO(c.extra);
    auto r = parse_edge_config("{" + kBase + c.extra + "}");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::malformed);
    CHECK_THAT(r.error().message, Catch::Contains(c.mentions));
  }
  CHECK_FALSE(parse_edge_config(R"({"device":"counter-01"})").ok());
  CHECK_FALSE(parse_edge_config("[]").ok());
}

TEST_CASE("The staff console is off by default and answers only on the counter PC", "[edge][config]") {
  auto c = parse_edge_config("{" + kBase + "}");
  REQUIRE(c.ok());
  CHECK(c->console_port == 0);
  CHECK(c->console_address == "127.0.0.1");
  CHECK(c->console_tls_cert.empty());
  auto on = parse_edge_config("{" + kBase + R"(,"console_port":8443,"console_tls_cert":"c.pem","console_tls_key":"k.pem"})");
  REQUIRE(on.ok());
  CHECK(on->console_port == 8443);
  CHECK(on->console_tls_key == "k.pem");
}

TEST_CASE("A console TLS certificate without its key is refused", "[edge][config]") {
  auto c = parse_edge_config("{" + kBase + R"(,"console_port":8443,"console_tls_cert":"c.pem"})");
  REQUIRE(!c.ok());
  CHECK(c.error().message.find("console_tls_key") != std::string::npos);
}
