// EDGE-4 / KON-5 against the real broker: a device certificate of one municipality can neither
// publish to nor receive from another municipality's topics, and nothing it tries reaches the hub.
#include <catch2/catch.hpp>

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "stack.h"
#include "temp_dir.h"

using madoguchi::testing::Stack;
using madoguchi::testing::TempDir;
using madoguchi::testing::eventually;
using namespace std::chrono_literals;

namespace {

// A bare MQTT v5 client with a device's certificate, recording what the broker tells it.
struct RawClient {
  mosquitto* m = nullptr;
  std::atomic<bool> connected{false};
  std::mutex mu;
  std::vector<std::string> received;
  std::vector<int> puback_codes;
  std::vector<int> suback_codes;
  std::atomic<int> disconnects{0};

  // client_id: what the client asks for (the broker makes it the certificate identity).
  // protocol: MQTT_PROTOCOL_V5, or MQTT_PROTOCOL_V311 (whose CONNACK cannot say that retained
  // messages are unavailable, so the library sends them and the broker must refuse them itself).
  RawClient(const Stack& s, const std::string& identity, const std::string& client_id = {},
            int protocol = MQTT_PROTOCOL_V5) {
    mosquitto_lib_init();
    m = mosquitto_new((client_id.empty() ? "test-" + identity : client_id).c_str(), true, this);
    mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, protocol);
    auto pki = s.pki();
    mosquitto_tls_set(m, (pki / "ca.crt").c_str(), nullptr, (pki / (identity + ".crt")).c_str(), (pki / (identity + ".key")).c_str(), nullptr);
    mosquitto_connect_v5_callback_set(m, [](mosquitto*, void* self, int rc, int, const mosquitto_property*) {
      static_cast<RawClient*>(self)->connected = rc == 0;
    });
    mosquitto_message_v5_callback_set(m, [](mosquitto*, void* self, const mosquitto_message* msg, const mosquitto_property*) {
      auto* c = static_cast<RawClient*>(self);
      std::lock_guard lock(c->mu);
      c->received.emplace_back(msg->topic);
    });
    mosquitto_publish_v5_callback_set(m, [](mosquitto*, void* self, int, int reason, const mosquitto_property*) {
      auto* c = static_cast<RawClient*>(self);
      std::lock_guard lock(c->mu);
      c->puback_codes.push_back(reason);
    });
    mosquitto_disconnect_v5_callback_set(m, [](mosquitto*, void* self, int, const mosquitto_property*) {
      auto* c = static_cast<RawClient*>(self);
      c->connected = false;
      ++c->disconnects;
    });
    mosquitto_subscribe_v5_callback_set(m, [](mosquitto*, void* self, int, int count, const int* granted, const mosquitto_property*) {
      auto* c = static_cast<RawClient*>(self);
      std::lock_guard lock(c->mu);
      for (int i = 0; i < count; ++i) c->suback_codes.push_back(granted[i]);
    });
    // No automatic reconnection: a disconnect stays visible.
    mosquitto_reconnect_delay_set(m, 3600, 3600, false);
    mosquitto_connect_async(m, "localhost", s.broker_port(), 10);
    mosquitto_loop_start(m);
  }
  ~RawClient() {
    mosquitto_disconnect(m);
    mosquitto_loop_stop(m, false);
    mosquitto_destroy(m);
  }
};

}  // namespace

TEST_CASE("A device certificate of one municipality cannot publish or subscribe to another's topics (EDGE-4)", "[e2e][acl]") {
  TempDir dir;
  Stack s(dir.path(), MADOGUCHI_BIN_DIR);
  s.start_broker();
  s.start_hub();
  s.start_edge({"131016", "counter-01"});

  RawClient intruder(s, "282014.counter-01");
  REQUIRE(eventually([&] { return intruder.connected.load(); }, 20s));
  // Try to listen to Tokyo's feed and a Tokyo counter's down topic, and everything.
  mosquitto_subscribe_v5(intruder.m, nullptr, "mg/v1/131016/feed", 1, 0, nullptr);
  mosquitto_subscribe_v5(intruder.m, nullptr, "mg/v1/131016/counter-01/down", 1, 0, nullptr);
  mosquitto_subscribe_v5(intruder.m, nullptr, "mg/v1/#", 1, 0, nullptr);
  // Try to write into Tokyo's stream as Tokyo's counter.
  std::string forged =
      R"({"v":1,"type":"ops","municipality":"131016","device":"counter-01","ops":[{"seq":1,"op_id":"x","entity":"memo","key":"forged","kind":"upsert","base_version":0,"at_ms":0,"body":{}}]})";
  mosquitto_publish_v5(intruder.m, nullptr, "mg/v1/131016/counter-01/up", static_cast<int>(forged.size()), forged.data(), 1, false, nullptr);

  // Real traffic in Tokyo meanwhile.
  for (int i = 0; i < 5; ++i) REQUIRE(s.edge_put("131016.counter-01", "memo", "T" + std::to_string(i), "{}") > 0);
  REQUIRE(eventually([&] { return Stack::dump_records(s.hub_db("131016"), true).size() == 5; }));
  REQUIRE(eventually([&] {
    std::lock_guard lock(intruder.mu);
    return !intruder.puback_codes.empty();
  }));
  std::this_thread::sleep_for(500ms);
  {
    std::lock_guard lock(intruder.mu);
    CHECK(intruder.received.empty());  // nothing of Tokyo's reached the intruder
    CHECK(intruder.puback_codes.front() == MQTT_RC_NOT_AUTHORIZED);
  }
  auto hub = Stack::dump_records(s.hub_db("131016"), true);
  for (const auto& line : hub) CHECK(line.find("forged") == std::string::npos);
  CHECK(s.hub_status()["municipalities"]["131016"]["device_last_seq"]["counter-01"] == 5);
}

namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("A device certificate cannot take over another client's session by its client id (SEC-1, issue 11)",
          "[e2e][acl][takeover]") {
  TempDir dir;
  Stack s(dir.path(), MADOGUCHI_BIN_DIR);
  s.start_broker();
  s.start_hub();
  s.start_edge({"131016", "counter-01"});
  REQUIRE(s.edge_put("131016.counter-01", "memo", "before", "{}") > 0);
  REQUIRE(eventually([&] { return Stack::dump_records(s.hub_db("131016"), true).size() == 1; }));

  // Another municipality's certificate asks for the counter's and the hub's client ids, again
  // and again.
  for (const std::string id : {"131016.counter-01", "hub", "hub-1", "131016.counter-01", "hub"}) {
    RawClient attacker(s, "282014.counter-01", id);
    REQUIRE(eventually([&] { return attacker.connected.load(); }, 20s));
    std::this_thread::sleep_for(200ms);
  }
  // The broker renamed each session to the certificate's identity: nobody was disconnected.
  const std::string log = read_file(dir.path() / "logs" / "broker.log");
  CHECK(log.find("Client 131016.counter-01 already connected") == std::string::npos);
  CHECK(log.find("Client hub already connected") == std::string::npos);
  CHECK(log.find("Client hub-1") == std::string::npos);
  CHECK(log.find(" as 282014.counter-01 ") != std::string::npos);
  // And the counter and the hub work on, at once.
  REQUIRE(s.edge_put("131016.counter-01", "memo", "after", "{}") > 0);
  REQUIRE(eventually([&] { return Stack::dump_records(s.hub_db("131016"), true).size() == 2; }, 5s));
}

TEST_CASE("No device joins the hub's shared subscription, subscribes beyond its own topics or retains a message "
          "(SEC-1, issue 11)",
          "[e2e][acl][share]") {
  TempDir dir;
  Stack s(dir.path(), MADOGUCHI_BIN_DIR);
  s.start_broker();
  s.start_hub();
  s.start_edge({"131016", "counter-01"});

  RawClient attacker(s, "282014.counter-01");
  REQUIRE(eventually([&] { return attacker.connected.load(); }, 20s));
  for (const char* filter : {"$share/hub/mg/v1/+/+/up", "$share/other/mg/v1/+/+/up", "mg/v1/+/+/up", "#",
                             "mg/v1/282014/+/down"}) {
    mosquitto_subscribe_v5(attacker.m, nullptr, filter, 1, 0, nullptr);
  }
  REQUIRE(eventually([&] {
    std::lock_guard lock(attacker.mu);
    return attacker.suback_codes.size() == 5;
  }));
  {
    std::lock_guard lock(attacker.mu);
    for (int code : attacker.suback_codes) CHECK(code == MQTT_RC_NOT_AUTHORIZED);
  }
  // With the attacker there, a counter's outbox drains at once: no share of the hub's messages
  // goes astray.
  for (int i = 0; i < 20; ++i) REQUIRE(s.edge_put("131016.counter-01", "memo", "M" + std::to_string(i), "{}") > 0);
  REQUIRE(eventually([&] { return Stack::dump_records(s.hub_db("131016"), true).size() == 20; }, 5s));
  CHECK(s.edge_get("131016.counter-01", "/api/v1/status")["counters"]["resends"] == 0);
  {
    std::lock_guard lock(attacker.mu);
    CHECK(attacker.received.empty());
  }

  // A retained message, even on its own up topic, ends the connection. (An MQTT 5 client's library
  // drops the retain flag itself, since CONNACK says there are none; an MQTT 3.1.1 CONNACK cannot
  // say so, so the broker must refuse it.)
  const std::string body = "{}";
  RawClient old(s, "282014.counter-01", "old-client", MQTT_PROTOCOL_V311);
  REQUIRE(eventually([&] { return old.connected.load(); }, 20s));
  REQUIRE(mosquitto_publish(old.m, nullptr, "mg/v1/282014/counter-01/up", static_cast<int>(body.size()), body.data(), 1,
                            true) == MOSQ_ERR_SUCCESS);
  REQUIRE(eventually([&] { return old.disconnects.load() >= 1; }, 10s));
}
