// A whole sync system in one process: a hub engine and edge engines joined by the FakeBus,
// with simulated time. For scenario tests of the protocol logic (the real-broker tests live in
// tests/integration).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "fake_bus.h"
#include "madoguchi/domain/certificate_data.h"
#include "madoguchi/edge/sync_engine.h"
#include "madoguchi/hub/hub_engine.h"
#include "madoguchi/hub/linkage_reconciler.h"
#include "madoguchi/protocol/topics.h"
#include "temp_dir.h"

namespace madoguchi::testing {

using RecordSet = std::set<std::tuple<std::string, std::string, std::string>>;

// The hub process's options for linkage (hub_process.cc, hub_options), with 131016's device
// "linkage" as its linkage agent: the rule itself is domain::check_data_route.
// `reconciler` (optional) is called after each of the linkage agent's batches, as the hub process's.
inline hub::HubOptions linkage_routing(std::function<hub::LinkageReconciler*()> reconciler = {}) {
  namespace d = domain;
  hub::HubOptions o;
  o.linkage_devices = {{"131016", {"linkage"}}};
  o.write_policy = [](std::string_view, std::string_view entity, std::string_view, bool remove, std::string_view,
                      const std::optional<protocol::Record>&) { return d::check_data_route(d::DataStore::municipality, entity, remove); };
  hub::set_linkage_options(o, std::move(reconciler));
  return o;
}

class SyncWorld {
 public:
  struct Edge {
    FakeBus::Client* link = nullptr;
    std::unique_ptr<edge::EdgeStore> store;
    std::unique_ptr<edge::SyncEngine> engine;
  };

  // `seed` runs before the hub opens its databases: it may put files into `dir` (the hub's under
  // dir/hub, an edge's at dir/<municipality>.<device>.db), e.g. databases of an older release.
  explicit SyncWorld(hub::HubOptions hub_options = {}, const std::function<void(const std::filesystem::path&)>& seed = {})
      : hub_link_(bus.add("hub")) {
    registry_ = {{"131016", {"counter-01", "counter-02", "linkage"}}, {"282014", {"counter-01"}}};
    if (seed) seed(dir.path());
    hub_options.data_dir = dir / "hub";
    hub_options_ = hub_options;
    hub_link_.subscribe(protocol::hub_up_subscription());
    hub_link_.on_message = [this](const std::string& t, const std::string& p) { hub->on_message(t, p); };
    hub_link_.on_connected = [this] { hub->on_connected(); };
    start_hub();
  }

  void start_hub() {
    hub = std::make_unique<hub::HubEngine>(registry_, hub_options_, hub_link_, clock,
                                           [this](LogLevel, std::string_view line) { hub_log.emplace_back(line); });
    auto s = hub->open();
    REQUIRE(s.ok());
    hub_link_.set_link(true);
  }
  // The options of the next start_hub() (a new release), with the same data directory.
  void set_hub_options(hub::HubOptions options) {
    options.data_dir = hub_options_.data_dir;
    hub_options_ = std::move(options);
  }
  void stop_hub() {
    hub_link_.set_link(false);
    hub.reset();
  }

  bool is_linkage(const std::string& muni, const std::string& device) const {
    auto it = hub_options_.linkage_devices.find(muni);
    return it != hub_options_.linkage_devices.end() && it->second.count(device) > 0;
  }

  Edge& add_edge(const std::string& muni, const std::string& device, edge::SyncOptions options = {}) {
    auto name = muni + "." + device;
    Edge& e = edges[name];
    e.link = &bus.add(name);
    auto st = edge::EdgeStore::open(dir / (name + ".db"), muni, device);
    REQUIRE(st.ok());
    e.store = std::make_unique<edge::EdgeStore>(std::move(*st));
    e.engine = std::make_unique<edge::SyncEngine>(*e.store, *e.link, clock, options);
    e.link->subscribe(protocol::down_topic(muni, device));
    if (!is_linkage(muni, device)) e.link->subscribe(protocol::feed_topic(muni));  // a linkage agent gets no feed (KON-5)
    e.link->on_message = [&e](const std::string& t, const std::string& p) { e.engine->on_message(t, p); };
    e.link->on_connected = [&e] { e.engine->on_connected(); };
    e.link->on_disconnected = [&e] { e.engine->on_disconnected(); };
    e.link->set_link(true);
    return e;
  }

  // Runs deliveries and ticks (100 ms of simulated time each) for at most `rounds`.
  void run(int rounds = 400) {
    for (int i = 0; i < rounds; ++i) {
      bus.run();
      clock.advance(std::chrono::milliseconds(100));
      if (hub && hub_link_.connected()) hub->tick();
      for (auto& [name, e] : edges) e.engine->tick();
      bus.run();
    }
  }

  // Runs until every connected edge has an empty outbox and has applied the hub's whole feed.
  bool settle(int max_rounds = 2000) {
    for (int i = 0; i < max_rounds; ++i) {
      run(1);
      bool done = true;
      for (auto& [name, e] : edges) {
        if (!e.link->connected()) continue;
        auto muni = e.store->municipality();
        if (is_linkage(muni, e.store->device())) {  // no feed: settled when its outbox is
          if (e.store->acked_upto() != e.store->last_seq()) done = false;
          continue;
        }
        auto b = hub->store(muni)->feed_bounds();
        if (!b || e.store->acked_upto() != e.store->last_seq() || e.store->feed_seq() < b->head) done = false;
      }
      if (done) {
        run(5);
        return true;
      }
    }
    return false;
  }

  RecordSet edge_records(const std::string& name) {
    RecordSet out;
    auto rows = edges.at(name).store->list("", 1'000'000, 0);
    REQUIRE(rows.ok());
    for (auto& r : *rows) out.emplace(r.entity, r.key, r.body);
    return out;
  }

  RecordSet hub_records(const std::string& muni) {
    RecordSet out;
    auto* store = hub->store(muni);
    std::string e, k;
    while (true) {
      auto rows = store->records_after(e, k, 1000);
      REQUIRE(rows.ok());
      if (rows->empty()) break;
      for (auto& r : *rows) out.emplace(r.entity, r.key, r.body);
      e = rows->back().entity;
      k = rows->back().key;
    }
    return out;
  }

  TempDir dir;
  std::vector<std::string> hub_log;  // the hub engine's log lines
  FakeBus bus;
  ManualClock clock;
  std::unique_ptr<hub::HubEngine> hub;
  std::map<std::string, Edge> edges;

 private:
  FakeBus::Client& hub_link_;
  hub::DeviceRegistry registry_;
  hub::HubOptions hub_options_;
};

}  // namespace madoguchi::testing
