#include "madoguchi/provisioning/broker_config.h"

#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <sstream>

#include "test_support.h"

namespace mp = madoguchi::provisioning;
using madoguchi::Errc;

namespace {

const char* const kTwoMunicipalities = R"({"municipalities":[
  {"code":"131016","name":"サンプル市","devices":[{"id":"counter-01","role":"counter"},{"id":"linkage","role":"linkage"}]},
  {"code":"272035","name":"テスト市","devices":[{"id":"counter-01","role":"counter"}]}
]})";

mp::Registry parse_ok(const std::string& text) {
  auto r = mp::parse_registry(text);
  INFO((r ? std::string("ok") : r.error().describe()));
  REQUIRE(r.ok());
  return *r;
}

madoguchi::Error parse_error(const std::string& text) {
  auto r = mp::parse_registry(text);
  REQUIRE_FALSE(r.ok());
  return r.error();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("a valid registry parses into municipalities and devices in file order", "[registry]") {
  auto r = parse_ok(kTwoMunicipalities);
  REQUIRE(r.municipalities.size() == 2);
  CHECK(r.municipalities[0].code == "131016");
  CHECK(r.municipalities[0].name == "サンプル市");
  REQUIRE(r.municipalities[0].devices.size() == 2);
  CHECK(r.municipalities[0].devices[0].id == "counter-01");
  CHECK(r.municipalities[0].devices[0].role == mp::DeviceRole::counter);
  CHECK(r.municipalities[0].devices[1].role == mp::DeviceRole::linkage);
  CHECK(r.municipalities[1].code == "272035");
}

TEST_CASE("broken JSON in the registry is reported as malformed", "[registry]") {
  auto e = parse_error(R"({"municipalities":[{"code":"131016",)");
  CHECK(e.code == Errc::malformed);
  CHECK_THAT(e.message, Catch::Contains("not valid JSON"));
}

TEST_CASE("a municipality code that is not six digits is rejected naming the field", "[registry]") {
  auto e = parse_error(R"({"municipalities":[{"code":"13101","name":"x","devices":[]}]})");
  CHECK(e.code == Errc::malformed);
  CHECK_THAT(e.message, Catch::Contains("municipalities[0].code") && Catch::Contains("'13101'"));
}

TEST_CASE("a duplicate device id within a municipality is rejected naming the device", "[registry]") {
  auto e = parse_error(R"({"municipalities":[{"code":"131016","name":"x","devices":[
      {"id":"counter-01","role":"counter"},{"id":"counter-01","role":"linkage"}]}]})");
  CHECK(e.code == Errc::malformed);
  CHECK_THAT(e.message, Catch::Contains("municipalities[0].devices[1].id") &&
                            Catch::Contains("duplicate device id 'counter-01'"));
}

TEST_CASE("the same device id in two municipalities is allowed", "[registry]") {
  auto r = parse_ok(kTwoMunicipalities);
  CHECK(r.municipalities[0].devices[0].id == r.municipalities[1].devices[0].id);
}

TEST_CASE("a duplicate municipality code is rejected", "[registry]") {
  auto e = parse_error(R"({"municipalities":[{"code":"131016","name":"a","devices":[]},
                                             {"code":"131016","name":"b","devices":[]}]})");
  CHECK(e.code == Errc::malformed);
  CHECK_THAT(e.message, Catch::Contains("municipalities[1].code") && Catch::Contains("duplicate"));
}

TEST_CASE("invalid registry fields are rejected with the path of the field", "[registry]") {
  struct Case {
    const char* json;
    const char* expected;
  };
  const Case cases[] = {
      {R"([])", "top level must be an object"},
      {R"({})", "missing \"municipalities\""},
      {R"({"municipalities":{}})", "municipalities: must be an array"},
      {R"({"municipalities":[{"code":131016,"name":"x","devices":[]}]})", "municipalities[0].code: must be a string"},
      {R"({"municipalities":[{"code":"131016","devices":[]}]})", "municipalities[0]: missing \"name\""},
      {R"({"municipalities":[{"code":"131016","name":"","devices":[]}]})", "municipalities[0].name: must not be empty"},
      {R"({"municipalities":[{"code":"131016","name":"x","devies":[]}]})", "municipalities[0]: unknown key 'devies'"},
      {R"({"municipalities":[{"code":"131016","name":"x","devices":[{"id":"Counter","role":"counter"}]}]})",
       "municipalities[0].devices[0].id: 'Counter' is not a device id"},
      {R"({"municipalities":[{"code":"131016","name":"x","devices":[{"id":"c1","role":"kiosk"}]}]})",
       "municipalities[0].devices[0].role: 'kiosk' is not a role"},
      {R"({"municipalities":[{"code":"131016","name":"x","devices":["c1"]}]})",
       "municipalities[0].devices[0]: must be an object"},
  };
  for (const auto& c : cases) {
    INFO(c.json);
    auto e = parse_error(c.json);
    CHECK(e.code == Errc::malformed);
    CHECK_THAT(e.message, Catch::Contains(c.expected));
  }
}

TEST_CASE("load_registry reports a missing file as io and prefixes parse errors with the path", "[registry]") {
  madoguchi::testing::TempDir dir;
  auto missing = mp::load_registry(dir / "nope.json");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == Errc::io);

  madoguchi::testing::write_text(dir / "registry.json", R"({"municipalities":[{"code":"1","name":"x","devices":[]}]})");
  auto bad = mp::load_registry(dir / "registry.json");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == Errc::malformed);
  CHECK_THAT(bad.error().message, Catch::StartsWith((dir / "registry.json").string()));
}

TEST_CASE("load_registry refuses a file larger than its bound before parsing it", "[registry]") {
  madoguchi::testing::TempDir dir;
  madoguchi::testing::write_text(dir / "registry.json", std::string(mp::kMaxRegistryBytes + 1, ' '));
  auto r = mp::load_registry(dir / "registry.json");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::too_large);
}

TEST_CASE("the broker identities are the registry's devices by role and the hub instances, and nothing else", "[acl]") {
  auto ids = mp::broker_identities(parse_ok(kTwoMunicipalities), {"hub", "hub-2"});
  CHECK(ids.hubs == std::set<std::string>{"hub", "hub-2"});
  REQUIRE(ids.devices.size() == 2);
  CHECK(ids.devices.count("131016.counter-01") == 1);
  CHECK(ids.devices.count("272035.counter-01") == 1);
  // The linkage server gets no feed (KON-5): it is listed as what it is.
  CHECK(ids.linkage == std::set<std::string>{"131016.linkage"});
  const std::string text = madoguchi::protocol::render_broker_identities(ids);
  CHECK(text.find("hub hub-2\n") != std::string::npos);
  CHECK(text.find("device 131016.counter-01\n") != std::string::npos);
  auto back = madoguchi::protocol::parse_broker_identities(text);
  REQUIRE(back.ok());
  CHECK(back->hubs == ids.hubs);
  CHECK(back->devices == ids.devices);
  CHECK(back->linkage == ids.linkage);
  CHECK(text.find("linkage 131016.linkage\n") != std::string::npos);
}

TEST_CASE("mosquitto.conf requires client certificates and carries the listener and limits", "[broker-config]") {
  mp::BrokerOptions o;
  o.port = 18883;
  o.ca_file = "/pki/ca.crt";
  o.cert_file = "/pki/broker.crt";
  o.key_file = "/pki/broker.key";
  o.identities_file = "/etc/madoguchi/identities";
  o.plugin_file = "/usr/lib/madoguchi/madoguchi_broker_acl.so";
  REQUIRE(mp::validate_broker_options(o).ok());
  auto lines = lines_of(mp::render_mosquitto_conf(o));
  auto has = [&](const std::string& l) { return std::find(lines.begin(), lines.end(), l) != lines.end(); };
  for (const char* expected :
       {"per_listener_settings false", "allow_anonymous false", "persistence false", "listener 18883 127.0.0.1",
        "cafile /pki/ca.crt", "certfile /pki/broker.crt", "keyfile /pki/broker.key", "require_certificate true",
        "use_identity_as_username true", "use_username_as_clientid true", "retain_available false",
        "tls_version tlsv1.2",
        "ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
        "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305",
        "auth_plugin /usr/lib/madoguchi/madoguchi_broker_acl.so", "auth_opt_identities /etc/madoguchi/identities",
        "max_packet_size 1048576", "max_inflight_messages 100", "max_queued_messages 10000", "log_dest stderr",
        "log_type error", "log_type warning", "log_type notice", "log_type information",
        "connection_messages true"}) {
    INFO(expected);
    CHECK(has(expected));
  }
  CHECK_FALSE(has("allow_anonymous true"));
  // No acl_file: mosquitto 2.0's lets every subscription through and would run before the plugin.
  for (const auto& l : lines) CHECK(l.rfind("acl_file", 0) != 0);

  o.log_file = "/var/log/madoguchi/broker.log";
  o.user = "madoguchi";
  o.listen_address = "0.0.0.0";
  lines = lines_of(mp::render_mosquitto_conf(o));
  CHECK(has("log_dest file /var/log/madoguchi/broker.log"));
  CHECK_FALSE(has("log_dest stderr"));
  CHECK(has("user madoguchi"));
  CHECK(has("listener 18883 0.0.0.0"));
}

TEST_CASE("broker options that would produce a broken config are rejected", "[broker-config]") {
  auto valid = mp::broker_options_for_pki("/pki", "/out", 8883, "/lib/madoguchi_broker_acl.so");
  REQUIRE(mp::validate_broker_options(valid).ok());
  CHECK(valid.ca_file == "/pki/ca.crt");
  CHECK(valid.key_file == "/pki/broker.key");
  CHECK(valid.identities_file == "/out/identities");
  CHECK(valid.hub_identities == std::vector<std::string>{"hub"});

  auto o = valid;
  o.port = 0;
  CHECK(mp::validate_broker_options(o).error().code == Errc::invalid_argument);
  o = valid;
  o.cert_file = "/pki/broker.crt\nallow_anonymous true";
  CHECK_THAT(mp::validate_broker_options(o).error().message, Catch::Contains("cert_file"));
  o = valid;
  o.identities_file.clear();
  CHECK_THAT(mp::validate_broker_options(o).error().message, Catch::Contains("identities_file"));
  o = valid;
  o.plugin_file.clear();
  CHECK_THAT(mp::validate_broker_options(o).error().message, Catch::Contains("plugin_file"));
  o = valid;
  o.hub_identities = {};
  CHECK_FALSE(mp::validate_broker_options(o).ok());
  o.hub_identities = {"131016.counter-01"};  // a device's identity cannot be a hub's
  CHECK_FALSE(mp::validate_broker_options(o).ok());
  o.hub_identities = {"hub/#"};
  CHECK_FALSE(mp::validate_broker_options(o).ok());
  o = valid;
  o.listen_address = "127.0.0.1 8884";
  CHECK_FALSE(mp::validate_broker_options(o).ok());
  o = valid;
  o.user = "";
  CHECK_FALSE(mp::validate_broker_options(o).ok());
}

TEST_CASE("write_broker_config writes the identities and an absolute-path config", "[broker-config]") {
  madoguchi::testing::TempDir dir;
  auto registry = parse_ok(kTwoMunicipalities);
  auto o = mp::broker_options_for_pki(dir / "pki", dir / "out", 8883, dir / "lib" / "madoguchi_broker_acl.so");
  REQUIRE(mp::write_broker_config(dir / "out" / "mosquitto.conf", registry, o).ok());
  CHECK(madoguchi::testing::read_text(dir / "out" / "identities") ==
        madoguchi::protocol::render_broker_identities(mp::broker_identities(registry, {"hub"})));
  auto conf = madoguchi::testing::read_text(dir / "out" / "mosquitto.conf");
  CHECK_THAT(conf, Catch::Contains("auth_opt_identities " + (dir / "out" / "identities").string() + "\n"));
  CHECK(madoguchi::testing::file_mode(dir / "out" / "mosquitto.conf") == 0644u);

  o.port = 0;
  auto st = mp::write_broker_config(dir / "out2" / "mosquitto.conf", registry, o);
  CHECK_FALSE(st.ok());
  CHECK_FALSE(std::filesystem::exists(dir / "out2"));
}
