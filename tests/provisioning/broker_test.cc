// The generated configuration against the real broker: /usr/sbin/mosquitto started on a free port
// from what provisioning wrote, exercised with libmosquitto clients over TLS. This is the only
// place that proves the config and certificates fit mosquitto 2.0, not just our expectations.
#include <openssl/ssl.h>

#include <catch2/catch.hpp>

#include "madoguchi/protocol/topics.h"
#include "madoguchi/provisioning/broker_config.h"
#include "madoguchi/provisioning/dev_pki.h"
#include "madoguchi/provisioning/pki.h"
#include "test_support.h"

namespace mp = madoguchi::provisioning;
namespace protocol = madoguchi::protocol;
using madoguchi::testing::ConnectOutcome;
using madoguchi::testing::MqttTestClient;
using madoguchi::testing::TlsClientConfig;
using namespace std::chrono_literals;

namespace {

constexpr auto kStep = 2s;  // per network step; each normally takes milliseconds

// A broker running the configuration provisioning generates for a two-municipality registry.
struct GeneratedBroker {
  madoguchi::testing::TempDir dir;
  std::uint16_t port = 0;
  std::unique_ptr<madoguchi::testing::BrokerProcess> process;

  GeneratedBroker() {
    auto registry = mp::parse_registry(R"({"municipalities":[
        {"code":"131016","name":"サンプル市","devices":[{"id":"counter-01","role":"counter"}]},
        {"code":"272035","name":"テスト市","devices":[{"id":"counter-01","role":"counter"}]}]})");
    REQUIRE(registry.ok());
    auto pki = mp::ensure_dev_pki(dir / "pki", *registry);
    INFO((pki ? std::string() : pki.error().describe()));
    REQUIRE(pki.ok());
    port = madoguchi::testing::free_port();
    auto options = mp::broker_options_for_pki(dir / "pki", dir / "broker", port, MADOGUCHI_BROKER_PLUGIN);
    // mosquitto started as root switches to its own user, which cannot read our 0600 key.
    options.user = madoguchi::testing::current_user_name();
    auto written = mp::write_broker_config(dir / "broker" / "mosquitto.conf", *registry, options);
    INFO((written ? std::string() : written.error().describe()));
    REQUIRE(written.ok());
    std::string error;
    process = madoguchi::testing::BrokerProcess::start(dir / "broker" / "mosquitto.conf", dir / "broker.log", port,
                                                    3s, error);
    INFO(error);
    REQUIRE(process);
  }

  TlsClientConfig identity(const std::string& stem, const std::string& tls_version = {}) const {
    return {dir / "pki" / "ca.crt", dir / "pki" / (stem + ".crt"), dir / "pki" / (stem + ".key"), tls_version, {}};
  }
};

}  // namespace

TEST_CASE("the generated broker accepts a device certificate over TLS 1.2 and TLS 1.3", "[broker]") {
  GeneratedBroker broker;
  for (auto [name, version] : {std::pair{"tlsv1.2", TLS1_2_VERSION}, std::pair{"tlsv1.3", TLS1_3_VERSION}}) {
    INFO(name << "\n" << broker.process->log());
    MqttTestClient device(std::string("device-") + name);
    auto outcome = device.connect(broker.port, broker.identity("131016.counter-01", name), kStep);
    INFO(device.last_error());
    CHECK(std::string(to_string(outcome)) == "accepted");
    CHECK(device.negotiated_tls_version() == version);
  }
}

TEST_CASE("the generated broker offers TLS 1.2 with forward-secret AEAD suites only (SEC-1, issue 11)", "[broker]") {
  GeneratedBroker broker;
  for (const char* cbc : {"ECDHE-RSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA", "AES128-SHA256", "AES256-GCM-SHA384"}) {
    INFO(cbc);
    MqttTestClient device(std::string("device-") + cbc);
    auto tls = broker.identity("131016.counter-01", "tlsv1.2");
    tls.ciphers = cbc;
    CHECK(std::string(to_string(device.connect(broker.port, tls, kStep))) != "accepted");
  }
  MqttTestClient device("device-gcm");
  auto tls = broker.identity("131016.counter-01", "tlsv1.2");
  tls.ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";
  CHECK(std::string(to_string(device.connect(broker.port, tls, kStep))) == "accepted");
}

TEST_CASE("the generated broker refuses a TLS client without a certificate", "[broker]") {
  GeneratedBroker broker;
  for (const char* version : {"tlsv1.2", "tlsv1.3"}) {
    INFO(version);
    MqttTestClient anonymous(std::string("anonymous-") + version);
    TlsClientConfig tls{broker.dir / "pki" / "ca.crt", std::nullopt, std::nullopt, version, {}};
    auto outcome = anonymous.connect(broker.port, tls, kStep);
    INFO(anonymous.last_error());
    CHECK(std::string(to_string(outcome)) == "refused");
  }
  CHECK_THAT(broker.process->log(), Catch::Contains("peer did not return a certificate"));
}

TEST_CASE("the generated broker refuses a client certificate from another CA, even with CN hub", "[broker]") {
  GeneratedBroker broker;
  madoguchi::testing::TempDir rogue;
  REQUIRE(mp::create_ca(rogue.path(), {}).ok());
  mp::IssueOptions hub;
  hub.common_name = "hub";
  REQUIRE(mp::issue_certificate(rogue.path(), hub).ok());

  MqttTestClient impostor("impostor");
  TlsClientConfig tls{broker.dir / "pki" / "ca.crt", rogue / "hub.crt", rogue / "hub.key", "tlsv1.3", {}};
  auto outcome = impostor.connect(broker.port, tls, kStep);
  INFO(impostor.last_error() << "\n" << broker.process->log());
  CHECK(std::string(to_string(outcome)) == "refused");
}

TEST_CASE("the generated ACL lets a device reach the hub only through its own up topic", "[broker]") {
  GeneratedBroker broker;
  MqttTestClient hub("hub-1");
  REQUIRE(hub.connect(broker.port, broker.identity("hub"), kStep) == ConnectOutcome::accepted);
  // The subscription the real hub makes (a shared subscription) must be served by "mg/v1/#".
  REQUIRE(hub.subscribe(protocol::hub_up_subscription(), 1, kStep) == 1);

  MqttTestClient device("131016.counter-01");
  auto outcome = device.connect(broker.port, broker.identity("131016.counter-01"), kStep);
  INFO(device.last_error() << "\n" << broker.process->log());
  REQUIRE(outcome == ConnectOutcome::accepted);

  // Posing as another municipality's device is refused (MQTT v5 PUBACK 0x87 not authorized) ...
  CHECK(device.publish(protocol::up_topic("272035", "counter-01"), "forged", kStep) == 0x87);
  CHECK(device.publish(protocol::feed_topic("131016"), "forged", kStep) == 0x87);
  // ... its own up topic is not.
  CHECK(device.publish(protocol::up_topic("131016", "counter-01"), "genuine", kStep) == 0);

  // Messages from one publisher arrive in order, so once "genuine" is in, "forged" would be too.
  REQUIRE(hub.wait_for_message([](const auto& m) { return m.payload == "genuine"; }, kStep));
  for (const auto& m : hub.messages()) CHECK(m.payload != "forged");
  CHECK(hub.messages().front().topic == protocol::up_topic("131016", "counter-01"));
}

TEST_CASE("the generated ACL delivers to a device only its own down topic and its municipality's feed",
          "[broker]") {
  GeneratedBroker broker;
  MqttTestClient hub("hub-1");
  REQUIRE(hub.connect(broker.port, broker.identity("hub"), kStep) == ConnectOutcome::accepted);
  MqttTestClient device("131016.counter-01");
  REQUIRE(device.connect(broker.port, broker.identity("131016.counter-01"), kStep) == ConnectOutcome::accepted);

  // The broker plugin refuses every subscription but the device's own down topic and its
  // municipality's feed (SUBACK 0x87), wildcards and other municipalities included.
  for (const auto& topic : {protocol::feed_topic("272035"), protocol::down_topic("272035", "counter-01"),
                            std::string("mg/v1/#"), std::string("mg/v1/131016/+/down"),
                            std::string("$share/hub/mg/v1/+/+/up"), std::string("$share/x/mg/v1/131016/feed")}) {
    INFO(topic);
    CHECK(device.subscribe(topic, 1, kStep) == 0x87);
  }
  for (const auto& topic : {protocol::feed_topic("131016"), protocol::down_topic("131016", "counter-01")}) {
    INFO(topic);
    CHECK(device.subscribe(topic, 1, kStep) == 1);
  }
  // Nobody listens to the others' topics now: PUBACK 0x10 (no matching subscribers) or 0.
  for (const auto& [topic, payload] : std::vector<std::pair<std::string, std::string>>{
           {protocol::feed_topic("272035"), "other-feed"},
           {protocol::down_topic("272035", "counter-01"), "other-down"},
           {protocol::down_topic("131016", "linkage"), "sibling-down"}}) {
    const int rc = hub.publish(topic, payload, kStep);
    CHECK((rc == 0 || rc == 0x10));
  }
  REQUIRE(hub.publish(protocol::feed_topic("131016"), "own-feed", kStep) == 0);
  REQUIRE(hub.publish(protocol::down_topic("131016", "counter-01"), "own-down", kStep) == 0);

  REQUIRE(device.wait_for_message([](const auto& m) { return m.payload == "own-down"; }, kStep));
  bool got_feed = false;
  for (const auto& m : device.messages()) {
    INFO(m.topic);
    CHECK((m.payload == "own-feed" || m.payload == "own-down"));
    got_feed = got_feed || m.payload == "own-feed";
  }
  CHECK(got_feed);
}
