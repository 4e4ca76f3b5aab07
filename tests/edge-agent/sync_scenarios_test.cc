// Scenario tests of the sync protocol logic (EDGE-3, EDGE-5, KON-5) with simulated time and an
// in-memory bus. The same properties are proven against the real broker in tests/integration.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "madoguchi/domain/certificate_data.h"
#include "sync_world.h"

using madoguchi::Errc;
using madoguchi::protocol::OpKind;
using madoguchi::testing::SyncWorld;

namespace {
std::string body(int n) { return R"({"n":)" + std::to_string(n) + R"(,"status":"受付"})"; }
}  // namespace

TEST_CASE("A change made at a counter reaches the hub and every other counter of the municipality", "[sync]") {
  SyncWorld w;
  auto& a = w.add_edge("131016", "counter-01");
  w.add_edge("131016", "counter-02");
  REQUIRE(a.store->write("card", "A001", OpKind::upsert, body(1), 0).ok());
  a.engine->tick();
  REQUIRE(w.settle());
  auto other = w.edges.at("131016.counter-02").store->get("card", "A001");
  REQUIRE(other.ok());
  REQUIRE(other->has_value());
  CHECK((*other)->body == R"({"n":1,"status":"受付"})");
  CHECK_FALSE((*other)->pending);
  CHECK(w.edge_records("131016.counter-01") == w.hub_records("131016"));
  CHECK(w.edge_records("131016.counter-02") == w.hub_records("131016"));
}

TEST_CASE("Work done while the link is down arrives exactly once and in order when it returns (EDGE-3)", "[sync]") {
  SyncWorld w;
  auto& a = w.add_edge("131016", "counter-01");
  w.add_edge("131016", "counter-02");
  a.link->set_link(false);
  for (int i = 1; i <= 1500; ++i) {
    REQUIRE(a.store->write("card", "K" + std::to_string(i % 700), OpKind::upsert, body(i), 0).ok());
  }
  w.run(20);
  CHECK(w.hub->store("131016")->device_last_seq("counter-01").value() == 0);
  a.link->set_link(true);
  REQUIRE(w.settle());
  CHECK(w.hub->store("131016")->device_last_seq("counter-01").value() == 1500);
  CHECK(w.hub->counters().ops_applied == 1500);
  CHECK(w.hub->counters().ops_duplicate == 0);
  CHECK(w.hub->counters().ops_rejected == 0);
  // The last write of each key wins, in order: K0 was last written by op 1400.
  auto k0 = w.hub->store("131016")->get("card", "K0");
  REQUIRE(k0.ok());
  CHECK((*k0)->body == R"({"n":1400,"status":"受付"})");
  CHECK(w.edge_records("131016.counter-02") == w.hub_records("131016"));
  CHECK(w.edge_records("131016.counter-01") == w.hub_records("131016"));
}

TEST_CASE("Lost and duplicated deliveries neither lose nor duplicate operations", "[sync]") {
  SyncWorld w;
  auto& a = w.add_edge("131016", "counter-01", {.batch_ops = 16, .window_batches = 4});
  auto& b = w.add_edge("131016", "counter-02", {.batch_ops = 16, .window_batches = 4});
  std::mt19937 rng(20261122);
  w.bus.fate = [&rng](const std::string&) {
    auto r = rng() % 10;
    return r < 2 ? 0 : (r < 4 ? 2 : 1);  // 20 % lost, 20 % delivered twice
  };
  for (int i = 1; i <= 400; ++i) {
    REQUIRE(a.store->write("card", "A" + std::to_string(i), OpKind::upsert, body(i), 0).ok());
    REQUIRE(b.store->write("booking", "B" + std::to_string(i), OpKind::upsert, body(i), 0).ok());
    if (i % 50 == 0) w.run(3);
  }
  w.run(50);
  w.bus.fate = [](const std::string&) { return 1; };
  REQUIRE(w.settle());
  CHECK(w.hub->counters().ops_applied == 800);
  CHECK(w.hub->counters().ops_rejected == 0);
  CHECK(w.hub->store("131016")->record_count().value() == 800);
  CHECK(w.edge_records("131016.counter-01") == w.hub_records("131016"));
  CHECK(w.edge_records("131016.counter-02") == w.hub_records("131016"));
}

TEST_CASE("An offline change to a record changed online meanwhile is rejected, shown to staff and rolled back (EDGE-5)",
          "[sync][conflict]") {
  SyncWorld w;
  auto& a = w.add_edge("131016", "counter-01");
  REQUIRE(a.store->write("booking", "S1", OpKind::upsert, R"({"holder":"A"})", 0).ok());
  REQUIRE(w.settle());
  auto seen = w.hub->store("131016")->get("booking", "S1").value()->version;

  a.link->set_link(false);
  REQUIRE(a.store->write("booking", "S1", OpKind::upsert, R"({"holder":"counter"})", 0).ok());
  // Meanwhile a citizen changes the same record online at the hub: first at the hub wins.
  auto online = w.hub->write_local("131016", "booking", "S1", OpKind::upsert, R"({"holder":"citizen"})", seen);
  REQUIRE(online.ok());
  a.link->set_link(true);
  REQUIRE(w.settle());

  auto rej = a.store->rejections(10);
  REQUIRE(rej.ok());
  REQUIRE(rej->size() == 1);
  CHECK(rej->front().code == "conflict");
  CHECK(rej->front().key == "S1");
  auto now = a.store->get("booking", "S1").value();
  REQUIRE(now.has_value());
  CHECK(now->body == R"({"holder":"citizen"})");
  CHECK_FALSE(now->pending);
  CHECK(w.edge_records("131016.counter-01") == w.hub_records("131016"));
}

TEST_CASE("A counter's own consecutive offline edits of one record are all applied", "[sync][conflict]") {
  SyncWorld w;
  auto& a = w.add_edge("131016", "counter-01");
  a.link->set_link(false);
  REQUIRE(a.store->write("card", "C1", OpKind::upsert, R"({"s":1})", 0).ok());
  REQUIRE(a.store->write("card", "C1", OpKind::upsert, R"({"s":2})", 0).ok());
  REQUIRE(a.store->write("card", "C1", OpKind::remove, "", 0).ok());
  REQUIRE(a.store->write("card", "C1", OpKind::upsert, R"({"s":4})", 0).ok());
  a.link->set_link(true);
  REQUIRE(w.settle());
  CHECK(w.hub->counters().ops_rejected == 0);
  CHECK(w.hub->store("131016")->get("card", "C1").value()->body == R"({"s":4})");
  CHECK(w.edge_records("131016.counter-01") == w.hub_records("131016"));
}

TEST_CASE("Two counters editing the same record offline: the first to reach the hub wins (EDGE-5)", "[sync][conflict]") {
  SyncWorld w;
  auto& a = w.add_edge("131016", "counter-01");
  auto& b = w.add_edge("131016", "counter-02");
  REQUIRE(a.store->write("slot", "2026-12-01T09:00", OpKind::upsert, R"({"free":1})", 0).ok());
  REQUIRE(w.settle());
  a.link->set_link(false);
  b.link->set_link(false);
  REQUIRE(a.store->write("slot", "2026-12-01T09:00", OpKind::upsert, R"({"free":0,"by":"a"})", 0).ok());
  REQUIRE(b.store->write("slot", "2026-12-01T09:00", OpKind::upsert, R"({"free":0,"by":"b"})", 0).ok());
  b.link->set_link(true);
  REQUIRE(w.settle());
  a.link->set_link(true);
  REQUIRE(w.settle());
  CHECK(w.hub->store("131016")->get("slot", "2026-12-01T09:00").value()->body == R"({"by":"b","free":0})");
  CHECK(a.store->rejections(10).value().size() == 1);
  CHECK(b.store->rejections(10).value().empty());
  CHECK(w.edge_records("131016.counter-01") == w.hub_records("131016"));
  CHECK(w.edge_records("131016.counter-02") == w.hub_records("131016"));
}

TEST_CASE("A counter behind the retained feed receives a snapshot and converges", "[sync][snapshot]") {
  SyncWorld w(madoguchi::hub::HubOptions{.feed_retention = 10});
  auto& a = w.add_edge("131016", "counter-01");
  auto& b = w.add_edge("131016", "counter-02");
  b.link->set_link(false);
  REQUIRE(b.store->write("card", "offline-1", OpKind::upsert, R"({"x":1})", 0).ok());
  for (int i = 0; i < 1200; ++i) {
    REQUIRE(a.store->write("card", "K" + std::to_string(i), OpKind::upsert, body(i), 0).ok());
  }
  REQUIRE(a.store->write("card", "K5", OpKind::remove, "", 0).ok());
  REQUIRE(w.settle());
  w.clock.advance(std::chrono::minutes(2));
  w.run(2);  // the hub trims its feed to the newest 10 entries
  b.link->set_link(true);
  REQUIRE(w.settle());
  CHECK(b.engine->counters().snapshots == 1);
  CHECK(w.edge_records("131016.counter-02") == w.hub_records("131016"));
  CHECK(w.hub_records("131016").size() == 1200);  // 1200 + offline-1 - K5
}

TEST_CASE("Each municipality's data stays in its own database and feed (KON-5)", "[sync][separation]") {
  SyncWorld w;
  auto& tokyo = w.add_edge("131016", "counter-01");
  auto& kobe = w.add_edge("282014", "counter-01");
  REQUIRE(tokyo.store->write("card", "T1", OpKind::upsert, R"({"m":"131016"})", 0).ok());
  REQUIRE(kobe.store->write("card", "K1", OpKind::upsert, R"({"m":"282014"})", 0).ok());
  REQUIRE(w.settle());
  CHECK(w.hub_records("131016").size() == 1);
  CHECK(w.hub_records("282014").size() == 1);
  CHECK(w.edge_records("131016.counter-01") == w.hub_records("131016"));
  CHECK(w.edge_records("282014.counter-01") == w.hub_records("282014"));
  CHECK(std::filesystem::exists(w.dir / "hub" / "131016.db"));
  CHECK(std::filesystem::exists(w.dir / "hub" / "282014.db"));
}

TEST_CASE("The hub refuses messages whose identity or content is wrong, and applies nothing", "[sync][refusal]") {
  SyncWorld w;
  auto& a = w.add_edge("131016", "counter-01");
  REQUIRE(w.settle());
  auto before = w.hub->counters().refused_messages;
  std::string good_ops =
      R"({"v":1,"type":"ops","municipality":"131016","device":"counter-01","ops":[{"seq":1,"op_id":"x","entity":"card","key":"k","kind":"upsert","base_version":0,"at_ms":0,"body":{}}]})";
  // A device publishing for another municipality or device (topic and payload disagree).
  w.hub->on_message("mg/v1/282014/counter-01/up", good_ops);
  w.hub->on_message("mg/v1/131016/counter-02/up", good_ops);
  // Unknown device, unknown municipality, malformed, wrong version, unknown type, oversized.
  w.hub->on_message("mg/v1/131016/intruder/up", good_ops);
  w.hub->on_message("mg/v1/999999/counter-01/up", good_ops);
  w.hub->on_message("mg/v1/131016/counter-01/up", "{not json");
  w.hub->on_message("mg/v1/131016/counter-01/up", R"({"v":9,"type":"ops"})");
  w.hub->on_message("mg/v1/131016/counter-01/up", R"({"v":1,"type":"launch"})");
  w.hub->on_message("mg/v1/131016/counter-01/up", std::string(600 * 1024, '{'));
  w.hub->on_message("mg/v1/131016/counter-01/down", good_ops);
  CHECK(w.hub->counters().refused_messages == before + 9);
  CHECK(w.hub->store("131016")->record_count().value() == 0);
  CHECK(w.hub->store("282014")->record_count().value() == 0);
  // The hub keeps serving the rightful device.
  REQUIRE(a.store->write("card", "ok", OpKind::upsert, "{}", 0).ok());
  REQUIRE(w.settle());
  CHECK(w.hub->store("131016")->record_count().value() == 1);
}

TEST_CASE("A counter refuses feed messages of another municipality or another device", "[sync][refusal]") {
  SyncWorld w;
  auto& a = w.add_edge("131016", "counter-01");
  REQUIRE(w.settle());
  a.engine->on_message("mg/v1/282014/feed",
                       R"({"v":1,"type":"changes","municipality":"282014","catchup":false,"head":1,"changes":[{"entity":"card","key":"x","version":1,"origin":"hub","origin_seq":0,"body":{}}]})");
  a.engine->on_message("mg/v1/131016/feed",
                       R"({"v":1,"type":"changes","municipality":"282014","catchup":false,"head":1,"changes":[{"entity":"card","key":"x","version":1,"origin":"hub","origin_seq":0,"body":{}}]})");
  a.engine->on_message("mg/v1/131016/counter-02/down", R"({"v":1,"type":"ack","municipality":"131016","device":"counter-02","upto":5,"expect":6,"rejected":[]})");
  CHECK(a.engine->counters().refused_messages == 3);
  CHECK(a.store->list("", 10, 0).value().empty());
}

TEST_CASE("A hub restart loses nothing that was acknowledged and resumes the stream", "[sync][restart]") {
  SyncWorld w;
  auto& a = w.add_edge("131016", "counter-01");
  auto& b = w.add_edge("131016", "counter-02");
  for (int i = 0; i < 100; ++i) REQUIRE(a.store->write("card", "A" + std::to_string(i), OpKind::upsert, body(i), 0).ok());
  w.run(1);
  w.stop_hub();
  for (int i = 0; i < 100; ++i) REQUIRE(b.store->write("card", "B" + std::to_string(i), OpKind::upsert, body(i), 0).ok());
  w.run(30);
  w.start_hub();
  REQUIRE(w.settle());
  CHECK(w.hub_records("131016").size() == 200);
  CHECK(w.edge_records("131016.counter-01") == w.hub_records("131016"));
  CHECK(w.edge_records("131016.counter-02") == w.hub_records("131016"));
}

TEST_CASE("Operations written into the edge database by another process are sent too", "[sync]") {
  SyncWorld w;
  auto& a = w.add_edge("131016", "counter-01");
  REQUIRE(a.store->write("card", "own", OpKind::upsert, "{}", 0).value() == 1);
  {
    // A second connection to the same file, as another process would have.
    auto other = madoguchi::edge::EdgeStore::open(w.dir / "131016.counter-01.db", "131016", "counter-01");
    REQUIRE(other.ok());
    REQUIRE(other->write("card", "external", OpKind::upsert, "{}", 0).value() == 2);
  }
  REQUIRE(a.store->write("card", "own-again", OpKind::upsert, "{}", 0).value() == 3);
  REQUIRE(w.settle());
  CHECK(w.hub->store("131016")->device_last_seq("counter-01").value() == 3);
  CHECK(w.hub_records("131016").size() == 3);
}

TEST_CASE("A counter PC replaced with an empty database keeps its new work: nothing is mistaken for old operations",
          "[sync][recovery]") {
  SyncWorld w;
  // The old PC of counter-02 made five operations before it was replaced.
  std::vector<madoguchi::protocol::Op> old_ops;
  for (std::uint64_t i = 1; i <= 5; ++i) {
    old_ops.push_back({i, "old:" + std::to_string(i), "card", "old" + std::to_string(i), OpKind::upsert, 0, "{}", 0});
  }
  REQUIRE(w.hub->store("131016")->apply_batch({"131016", "counter-02", old_ops}, 0).ok());
  // The new PC starts from an empty database and works offline first.
  auto& b = w.add_edge("131016", "counter-02");
  b.link->set_link(false);
  for (int i = 0; i < 3; ++i) REQUIRE(b.store->write("card", "new" + std::to_string(i), OpKind::upsert, "{}", 0).ok());
  b.link->set_link(true);
  REQUIRE(w.settle());
  CHECK(b.engine->counters().resequenced == 1);
  CHECK(w.hub->store("131016")->device_last_seq("counter-02").value() == 8);
  for (int i = 0; i < 3; ++i) CHECK(w.hub->store("131016")->get("card", "new" + std::to_string(i)).value().has_value());
  CHECK(w.edge_records("131016.counter-02") == w.hub_records("131016"));
}

TEST_CASE("Large bodies travel in feed messages within the byte bound", "[sync][bounds]") {
  SyncWorld w;
  auto& a = w.add_edge("131016", "counter-01");
  w.add_edge("131016", "counter-02");
  std::string big = R"({"text":")" + std::string(30 * 1024, 'x') + R"("})";
  for (int i = 0; i < 100; ++i) REQUIRE(a.store->write("doc", "D" + std::to_string(i), OpKind::upsert, big, 0).ok());
  REQUIRE(w.settle());
  CHECK(w.edges.at("131016.counter-02").engine->counters().refused_messages == 0);
  CHECK(w.edge_records("131016.counter-02") == w.hub_records("131016"));
  CHECK(w.hub_records("131016").size() == 100);
}

TEST_CASE("A refused operation is logged at the hub with its code and reason, and counted by code (issue 11)",
          "[sync][policy]") {
  madoguchi::hub::HubOptions options;
  options.write_policy = [](std::string_view origin, std::string_view entity, std::string_view, bool, std::string_view,
                            const std::optional<madoguchi::protocol::Record>&) -> madoguchi::Status {
    if (entity == "role" && origin != "hub") return madoguchi::make_error(Errc::forbidden, "counters may not change role records");
    return {};
  };
  SyncWorld w(options);
  auto& a = w.add_edge("131016", "counter-01");
  REQUIRE(a.store->write("role", "administrator", OpKind::upsert, R"({"menus":["staff"]})", 0).ok());
  REQUIRE(a.store->write("card", "A001", OpKind::upsert, body(1), 0).ok());
  a.engine->tick();
  REQUIRE(w.settle());
  CHECK(w.hub->counters().ops_rejected == 1);
  CHECK(w.hub->counters().ops_rejected_by_code.at("forbidden") == 1);
  const auto refused = std::count_if(w.hub_log.begin(), w.hub_log.end(), [](const std::string& line) {
    return line == "refused op 1 of 131016.counter-01 on role: forbidden (counters may not change role records)";
  });
  CHECK(refused == 1);
  // The key (which may be a card number or a receipt) is not in the line.
  for (const auto& line : w.hub_log) CHECK(line.find("administrator") == std::string::npos);
  // The same batch again (a resend) logs nothing new.
  a.engine->tick();
  REQUIRE(w.settle());
  CHECK(w.hub->counters().ops_rejected_by_code.at("forbidden") == 1);
}

namespace {
}  // namespace

TEST_CASE("Resident, seal and tax records go to the certificate database and never reach a counter (KON-5, SEC-2, LNK-3)",
          "[sync][linkage]") {
  namespace d = madoguchi::domain;
  SyncWorld w(madoguchi::testing::linkage_routing());
  auto& linkage = w.add_edge("131016", "linkage");
  auto& counter = w.add_edge("131016", "counter-01");
  for (int i = 0; i < 30; ++i) {
    REQUIRE(linkage.store->write(i % 3 == 0 ? "tax_delta" : "resident_delta", "F" + std::to_string(i), OpKind::upsert,
                                 R"({"text":"異動,)" + std::to_string(i) + R"("})", 0)
                .ok());
  }
  REQUIRE(counter.store->write("card", "A001", OpKind::upsert, body(1), 0).ok());
  REQUIRE(w.settle());
  // Applied, in the certificate database only, and acknowledged.
  auto* cert = w.hub->certificate_store("131016");
  REQUIRE(cert != nullptr);
  CHECK(cert->record_count().value() == 30);
  CHECK(cert->device_last_seq("linkage").value() == 30);
  CHECK(linkage.store->acked_upto() == 30);
  // Nothing of it in the municipality's records, its feed, or the counter's database.
  for (const auto& [entity, key, text] : w.hub_records("131016")) CHECK_FALSE(d::is_certificate_entity(entity));
  for (const auto& [entity, key, text] : w.edge_records("131016.counter-01")) CHECK_FALSE(d::is_certificate_entity(entity));
  CHECK(w.hub->store("131016")->get("card", "A001").value().has_value());  // the counter's own work syncs as ever

  // A counter PC cannot put resident data on the feed, and a linkage agent cannot write
  // anything else into the certificate database: both refused, nothing stored.
  REQUIRE(counter.store->write("resident_delta", "X1", OpKind::upsert, R"({"text":"x"})", 0).ok());
  REQUIRE(linkage.store->write("card", "A002", OpKind::upsert, body(2), 0).ok());
  REQUIRE(w.settle());
  CHECK(w.hub->counters().ops_rejected_by_code.at("forbidden") == 2);
  CHECK_FALSE(w.hub->store("131016")->get("resident_delta", "X1").value().has_value());
  CHECK_FALSE(cert->get("card", "A002").value().has_value());
  CHECK_FALSE(w.hub->store("131016")->get("card", "A002").value().has_value());
}

TEST_CASE("A hub of an older release hands its linkage records to the certificate database and takes them off every counter (KON-5)",
          "[sync][linkage][upgrade]") {
  namespace d = madoguchi::domain;
  SyncWorld w;  // the older release: linkage deltas in the municipality's records and on the feed
  auto& linkage = w.add_edge("131016", "linkage");
  auto& counter = w.add_edge("131016", "counter-01");
  for (int i = 0; i < 5; ++i) {
    REQUIRE(linkage.store->write("resident_delta", "F" + std::to_string(i), OpKind::upsert, R"({"text":"OLD-MARK"})", 0).ok());
  }
  REQUIRE(w.settle());
  auto on_counter = [&] {
    std::size_t n = 0;
    for (const auto& [entity, key, text] : w.edge_records("131016.counter-01")) n += d::is_certificate_entity(entity) ? 1u : 0u;
    return n;
  };
  REQUIRE(on_counter() == 5);  // what the old release did

  w.stop_hub();
  w.set_hub_options(madoguchi::testing::linkage_routing());
  w.start_hub();  // the new release moves them
  auto* cert = w.hub->certificate_store("131016");
  CHECK(cert->record_count().value() == 5);
  CHECK(cert->device_last_seq("linkage").value() == 5);
  for (const auto& [entity, key, text] : w.hub_records("131016")) CHECK_FALSE(d::is_certificate_entity(entity));
  // The linkage agent goes on where it was: no gap, nothing twice.
  REQUIRE(linkage.store->write("tax_delta", "T1", OpKind::upsert, R"({"text":"NEW"})", 0).ok());
  REQUIRE(w.settle());
  CHECK(cert->record_count().value() == 6);
  CHECK(cert->device_last_seq("linkage").value() == 6);
  CHECK(w.hub->counters().gaps == 0);
  // The feed's removals took them off the counter PC.
  CHECK(on_counter() == 0);
  CHECK(counter.store->acked_upto() == counter.store->last_seq());
  // A second start finds nothing more to move.
  w.stop_hub();
  w.start_hub();
  CHECK(w.hub->certificate_store("131016")->record_count().value() == 6);
}
