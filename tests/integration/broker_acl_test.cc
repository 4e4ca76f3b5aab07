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

#include <nlohmann/json.hpp>

#include "madoguchi/domain/staff.h"
#include "madoguchi/http/client.h"
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

TEST_CASE("The hub's and the edge's local APIs need their token, answer only their names and never show a "
          "password hash (SEC-2, issue 11)",
          "[e2e][local_api]") {
  TempDir dir;
  Stack s(dir.path(), MADOGUCHI_BIN_DIR);
  s.start_broker();
  s.start_hub();
  s.start_edge({"131016", "counter-01"});
  const auto hub_token = dir.path() / "hub" / "api-token";
  const auto edge_token = s.edge_data_dir("131016.counter-01") / "api-token";
  for (const auto& f : {hub_token, edge_token}) {
    INFO(f);
    REQUIRE(std::filesystem::exists(f));
    // Only the service's user reads it.
    CHECK((std::filesystem::status(f).permissions() & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) ==
          std::filesystem::perms::none);
  }
  const auto hub_port = s.hub_http_port();
  const auto edge_port = s.edge_http_port("131016.counter-01");
  namespace http = madoguchi::http;
  for (auto port : {hub_port, edge_port}) {
    INFO(port);
    // Liveness is open; everything else needs the token.
    CHECK(http::request("127.0.0.1", port, "GET", "/healthz")->status == 200);
    CHECK(http::request("127.0.0.1", port, "GET", "/api/v1/status")->status == 401);
    // A web page's cross-site simple request (text/plain, no preflight) gets nowhere either.
    auto csrf = http::request("127.0.0.1", port, "PUT", "/api/v1/131016/records/staff/evil", "{}", 5s, nullptr,
                              {{"Content-Type", "text/plain"}, {"Origin", "http://evil.example"}});
    CHECK(csrf->status == 401);
    auto wrong = http::request("127.0.0.1", port, "GET", "/api/v1/status", {}, 5s, nullptr,
                               {{"Authorization", "Bearer " + std::string(64, '0')}});
    CHECK(wrong->status == 401);
    // DNS rebinding: the right token under another name is still refused.
    auto rebound = http::request("127.0.0.1", port, "GET", "/api/v1/status", {}, 5s, nullptr,
                                 {{"Host", "evil.example"}});
    CHECK(rebound->status == 421);
  }
  CHECK(s.hub_status().contains("municipalities"));

  // A staff record: stored with its hash, shown without it by either API.
  const std::string hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY";
  const std::string staff = R"({"id":"clerk9","name":"窓口 九郎","role_id":"counter_clerk","password_hash":")" + hash +
                            R"(","enabled":true,"password_changed_ms":1,"must_change_password":false,"previous_hashes":[")" +
                            hash + R"("]})";
  nlohmann::json reply;
  REQUIRE(s.hub_put("131016", "staff", "clerk9", staff, 0, &reply) == 200);
  CHECK(reply.dump().find("argon2id") == std::string::npos);
  nlohmann::json body;
  REQUIRE(s.hub_get("/api/v1/131016/records/staff/clerk9", &body) == 200);
  CHECK(body["body"]["name"] == "窓口 九郎");
  CHECK(body.dump().find("argon2id") == std::string::npos);
  REQUIRE(eventually([&] { return s.edge_get("131016.counter-01", "/api/v1/records/staff/clerk9").contains("body"); }));
  CHECK(s.edge_get("131016.counter-01", "/api/v1/records/staff/clerk9").dump().find("argon2id") == std::string::npos);
  CHECK(s.edge_get("131016.counter-01", "/api/v1/records?entity=staff").dump().find("argon2id") == std::string::npos);
}

TEST_CASE("A counter PC changes only a password proved with the current one, never an administrator's "
          "(issue 11 hole 4, SEC-2)",
          "[e2e][local_api]") {
  namespace d = madoguchi::domain;
  TempDir dir;
  Stack s(dir.path(), MADOGUCHI_BIN_DIR);
  s.start_broker();
  s.start_hub();
  s.start_edge({"131016", "counter-01"});
  const std::string edge = "131016.counter-01";
  auto account = [](const std::string& id, const std::string& role, const std::string& password) {
    d::StaffAccount a;
    a.id = id;
    a.name = "職員 " + id;
    a.role_id = role;
    REQUIRE(d::set_password(a, d::PasswordRules{}, password, 1000, false, /*fast_for_tests=*/true).ok());
    return a;
  };
  const auto admin = account("admin01", "administrator", "Admin-Password-1");
  const auto clerk = account("clerk01", "counter_clerk", "Clerk-Password-1");
  for (const auto& a : {admin, clerk}) REQUIRE(s.hub_put("131016", "staff", a.id, d::staff_to_json(a).dump(), 0) == 200);
  REQUIRE(eventually([&] {
    return s.edge_get(edge, "/api/v1/records/staff/admin01").contains("body") &&
           s.edge_get(edge, "/api/v1/records/staff/clerk01").contains("body");
  }));
  // The hub's stored hash of an account (the hub's own database, read-only).
  auto hub_hash = [&](const std::string& id) {
    for (const auto& line : Stack::dump_records(s.hub_db("131016"), true)) {
      const std::string prefix = "staff/" + id + "=";
      if (line.rfind(prefix, 0) == 0) return nlohmann::json::parse(line.substr(prefix.size()))["password_hash"].get<std::string>();
    }
    return std::string();
  };
  auto forbidden_for = [&](const std::string& key) {
    int n = 0;
    const auto rejections = s.edge_get(edge, "/api/v1/rejections");
    for (const auto& r : rejections["rejections"]) n += r["key"] == key && r["code"] == "forbidden";
    return n;
  };

  // What a local user of the counter PC did: replace the administrator's hash with one of its own.
  auto taken = admin;
  REQUIRE(d::set_password(taken, d::PasswordRules{}, "Attacker-Password-1", 2000, false, true).ok());
  REQUIRE(s.edge_put(edge, "staff", "admin01", d::staff_to_json(taken).dump()) != 0);
  REQUIRE(eventually([&] { return forbidden_for("admin01") == 1; }));
  // Even the administrator's own, proved change is not taken from a counter.
  auto own = admin;
  REQUIRE(d::set_password(own, d::PasswordRules{}, "Admin-Password-2", 2000, false, true).ok());
  REQUIRE(d::prove_password_change(admin, "Admin-Password-1", own).ok());
  REQUIRE(s.edge_put(edge, "staff", "admin01", d::staff_to_json(own).dump()) != 0);
  REQUIRE(eventually([&] { return forbidden_for("admin01") == 2; }));
  CHECK(hub_hash("admin01") == admin.password_hash);

  // A clerk's hash replaced without the current password: refused as well.
  auto unproved = clerk;
  REQUIRE(d::set_password(unproved, d::PasswordRules{}, "Attacker-Password-1", 2000, false, true).ok());
  REQUIRE(s.edge_put(edge, "staff", "clerk01", d::staff_to_json(unproved).dump()) != 0);
  REQUIRE(eventually([&] { return forbidden_for("clerk01") == 1; }));
  CHECK(hub_hash("clerk01") == clerk.password_hash);
  // The clerk's own change, signed with the current password, is accepted.
  auto changed = clerk;
  REQUIRE(d::set_password(changed, d::PasswordRules{}, "Clerk-Password-2", 3000, false, true).ok());
  REQUIRE(d::prove_password_change(clerk, "Clerk-Password-1", changed).ok());
  REQUIRE(s.edge_put(edge, "staff", "clerk01", d::staff_to_json(changed).dump()) != 0);
  REQUIRE(eventually([&] { return hub_hash("clerk01") == changed.password_hash; }));
  CHECK(forbidden_for("clerk01") == 1);
  CHECK(s.hub_status()["counters"]["ops_rejected_by_code"]["forbidden"] == 3);
}
