// The edge's local API as a plain function: no sockets needed.
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "fake_bus.h"
#include "madoguchi/edge/api.h"
#include "madoguchi/scanner/fake_transport.h"
#include "temp_dir.h"

using madoguchi::edge::ApiContext;
using madoguchi::edge::EdgeStore;
using madoguchi::edge::SyncEngine;
using madoguchi::http::Request;

namespace {
Request req(std::string method, std::string path, std::string body = {}) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.target = r.path;
  r.body = std::move(body);
  return r;
}
}  // namespace

TEST_CASE("The edge API records, reads and removes records and reports bad input clearly", "[edge][api]") {
  madoguchi::testing::TempDir dir;
  madoguchi::testing::FakeBus bus;
  auto& link = bus.add("edge");
  madoguchi::ManualClock clock;
  auto store = EdgeStore::open(dir / "e.db", "131016", "counter-01");
  REQUIRE(store.ok());
  SyncEngine engine(*store, link, clock);
  int woken = 0;
  ApiContext ctx{*store, engine, link, clock, [&] { ++woken; }};

  auto put = handle_api(ctx, req("PUT", "/api/v1/records/card/0001", R"({"status":"受付"})"));
  CHECK(put.status == 200);
  CHECK(nlohmann::json::parse(put.body)["seq"] == 1);
  CHECK(woken == 1);
  auto get = handle_api(ctx, req("GET", "/api/v1/records/card/0001"));
  REQUIRE(get.status == 200);
  auto j = nlohmann::json::parse(get.body);
  CHECK(j["body"]["status"] == "受付");
  CHECK(j["pending"] == true);

  CHECK(handle_api(ctx, req("PUT", "/api/v1/records/card/0002", "not json")).status == 400);
  CHECK(handle_api(ctx, req("PUT", "/api/v1/records/Bad!/0002", "{}")).status == 400);
  CHECK(handle_api(ctx, req("DELETE", "/api/v1/records/card/none")).status == 404);
  CHECK(handle_api(ctx, req("GET", "/api/v1/records/card/none")).status == 404);
  CHECK(handle_api(ctx, req("POST", "/api/v1/records/card/0001", "{}")).status == 405);
  CHECK(handle_api(ctx, req("GET", "/etc/passwd")).status == 404);
  CHECK(store->stats()->last_seq == 1);  // refused requests changed nothing

  auto status = nlohmann::json::parse(handle_api(ctx, req("GET", "/api/v1/status")).body);
  CHECK(status["outbox_depth"] == 1);
  CHECK(status["connected"] == false);
  CHECK(handle_api(ctx, req("DELETE", "/api/v1/records/card/0001")).status == 200);
  CHECK(handle_api(ctx, req("GET", "/api/v1/records/card/0001")).status == 404);
}

TEST_CASE("The edge status shows the QR scanner: none, stopped, waiting, connected, counts (ISS-1, ISS-13)",
          "[edge][api][scanner]") {
  namespace s = madoguchi::scanner;
  using namespace std::chrono_literals;
  madoguchi::testing::TempDir dir;
  madoguchi::testing::FakeBus bus;
  auto& link = bus.add("edge");
  madoguchi::ManualClock clock;
  auto store = EdgeStore::open(dir / "e.db", "131016", "counter-01");
  REQUIRE(store.ok());
  SyncEngine engine(*store, link, clock);
  ApiContext ctx{*store, engine, link, clock, {}};
  auto scanner_status = [&] {
    auto r = handle_api(ctx, req("GET", "/api/v1/status"));
    REQUIRE(r.status == 200);
    return nlohmann::json::parse(r.body)["scanner"];
  };
  // Polls the status until `ready` holds (deadline 10 s, a hang guard; nothing asserts on timing).
  auto eventually = [&](const std::function<bool(const nlohmann::json&)>& ready) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!ready(scanner_status())) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(2ms);
    }
    return true;
  };

  CHECK(scanner_status() == nlohmann::json{{"state", "none"}});

  s::ScannerConfig config;
  config.id = s::UsbId{0x0c2e, 0x0b61};
  config.rescan_interval = 20ms;
  config.read_timeout = 20ms;
  auto owned = std::make_unique<s::FakeTransport>();
  s::FakeTransport& usb = *owned;
  madoguchi::edge::ScannerFeed feed(config, std::move(owned), clock, {}, 1);
  ctx.scanner = &feed;
  auto st = scanner_status();
  CHECK(st["state"] == "stopped");
  CHECK(st["id"] == "0c2e:0b61");
  CHECK(st["mode"] == "hid_pos");
  CHECK_FALSE(st.contains("layout"));

  REQUIRE(feed.start().ok());
  REQUIRE(eventually([](const auto& j) { return j["state"] == "waiting_for_device"; }));
  usb.plug(config.id);
  REQUIRE(eventually([](const auto& j) { return j["state"] == "connected"; }));
  CHECK(scanner_status()["device"].get<std::string>().find("0c2e:0b61") != std::string::npos);

  for (const char* code : {"ONE", "TWO"}) {
    for (const auto& r : s::encode_hid_pos_reports(code)) REQUIRE(usb.push_report(r));
  }
  REQUIRE(usb.push_report(s::Report(3, 0)));  // garbage: a decoder error
  REQUIRE(eventually([](const auto& j) { return j["scans"] == 2 && j["errors"] == 1; }));
  st = scanner_status();
  CHECK(st["dropped"] == 1);  // the queue holds one: ONE was dropped for TWO
  CHECK(st["queued"] == 1);
  CHECK(st["connects"] == 1);
  CHECK(st["last_error"].get<std::string>().find("malformed") != std::string::npos);
  CHECK(st.dump().find("TWO") == std::string::npos);  // counts, never scanned bytes

  usb.unplug();
  REQUIRE(eventually([](const auto& j) { return j["state"] == "waiting_for_device"; }));
  feed.stop();
  CHECK(scanner_status()["state"] == "stopped");
}
