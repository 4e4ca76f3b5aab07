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

TEST_CASE("The QR scanner is optional and read from the scanner object (ISS-1, ISS-13)", "[edge][config][scanner]") {
  namespace s = madoguchi::scanner;
  auto none = parse_edge_config("{" + kBase + "}");
  REQUIRE(none.ok());
  CHECK_FALSE(none->scanner.has_value());

  auto hid = parse_edge_config("{" + kBase + R"(,"scanner":{"vid":"0x0c2e","pid":"0x0b61"}})");
  REQUIRE(hid.ok());
  REQUIRE(hid->scanner.has_value());
  CHECK(hid->scanner->id == s::UsbId{0x0c2e, 0x0b61});
  CHECK(hid->scanner->mode == s::ScannerMode::hid_pos);  // the default
  CHECK(hid->scanner->layout == s::KeyboardLayout::us);

  auto kb = parse_edge_config("{" + kBase +
                              R"(,"scanner":{"vid":"0C2E","pid":"b61","mode":"keyboard","layout":"jp106"}})");
  REQUIRE(kb.ok());
  REQUIRE(kb->scanner.has_value());
  CHECK(kb->scanner->id == s::UsbId{0x0c2e, 0x0b61});
  CHECK(kb->scanner->mode == s::ScannerMode::keyboard);
  CHECK(kb->scanner->layout == s::KeyboardLayout::jp106);
}

TEST_CASE("Scanner config mistakes stop the start with the key named (ISS-1, ISS-13)", "[edge][config][scanner]") {
  struct Case {
    std::string scanner;
    std::string mentions;
  };
  for (const auto& c : std::vector<Case>{{R"("0c2e:0b61")", "scanner must be an object"},
                                         {R"({"pid":"0x0b61"})", "scanner.vid is required"},
                                         {R"({"vid":"0x0c2e"})", "scanner.pid is required"},
                                         {R"({"vid":3118,"pid":"0x0b61"})", "scanner.vid must be a string"},
                                         {R"({"vid":"0x0c2e","pid":"0x0b61","mode":null})", "scanner.mode must be a string"},
                                         {R"({"vid":"0xzz","pid":"0x0b61"})", "scanner.vid"},
                                         {R"({"vid":"0x0c2e","pid":"0x10000"})", "scanner.pid"},
                                         {R"({"vid":"0x0c2e","pid":"0x0b61","mode":"serial"})", "scanner.mode"},
                                         {R"({"vid":"0x0c2e","pid":"0x0b61","layout":"azerty"})", "scanner.layout"},
                                         {R"({"vid":"0x0c2e","pid":"0x0b61","layuot":"jp106"})", "scanner.layuot"}}) {
    INFO(c.scanner);
    auto r = parse_edge_config("{" + kBase + R"(,"scanner":)" + c.scanner + "}");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::malformed);
    CHECK_THAT(r.error().message, Catch::Contains(c.mentions));
    CHECK_THAT(r.error().message, Catch::StartsWith("edge config: "));
  }
}
