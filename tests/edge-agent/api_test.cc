// The edge's local API as a plain function: no sockets needed.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "fake_bus.h"
#include "madoguchi/edge/api.h"
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
