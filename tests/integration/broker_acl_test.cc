// EDGE-4 / KON-5 against the real broker: a device certificate of one municipality can neither
// publish to nor receive from another municipality's topics, and nothing it tries reaches the hub.
#include <catch2/catch.hpp>

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include <atomic>
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

  RawClient(const Stack& s, const std::string& identity) {
    mosquitto_lib_init();
    m = mosquitto_new(("test-" + identity).c_str(), true, this);
    mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
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
