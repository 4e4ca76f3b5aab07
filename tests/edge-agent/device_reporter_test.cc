// 同期状況's data (EDGE-5, OPS-4): a counter PC reports its version, outbox, refusals and
// certificate expiry through the sync engine while connected; the hub's view lists every device of
// the registry with its last report, the linkage server by its heartbeat.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

#include "madoguchi/domain/linkage_record.h"
#include "madoguchi/edge/device_reporter.h"
#include "madoguchi/edge/linkage_inbox.h"
#include "madoguchi/hub/sync_view.h"
#include "sync_world.h"

using namespace madoguchi;
using madoguchi::testing::SyncWorld;

TEST_CASE("A counter reports its state every ten minutes while connected, and the hub's 同期状況 lists every device (EDGE-5, OPS-4)",
          "[sync][status]") {
  SyncWorld w(testing::linkage_routing());
  auto& counter = w.add_edge("131016", "counter-01");
  auto& linkage = w.add_edge("131016", "linkage");
  edge::DeviceReporter reporter(*counter.store, "counter", "9.9.9", 1'900'000'000'000);
  edge::LinkageInbox inbox(*linkage.store, w.dir / "inbox", "linkage");
  REQUIRE(inbox.init().ok());
  REQUIRE(inbox.scan(w.clock.wall_ms()).ok());  // the linkage server's heartbeat

  // Offline: nothing queued (a stale report is worth nothing).
  counter.link->set_link(false);
  CHECK_FALSE(reporter.tick(w.clock.wall_ms(), counter.link->connected()).value());
  counter.link->set_link(true);
  REQUIRE(w.settle());
  CHECK(reporter.tick(w.clock.wall_ms(), counter.link->connected()).value());
  CHECK_FALSE(reporter.tick(w.clock.wall_ms() + 1000, true).value());  // not due yet
  REQUIRE(w.settle());

  hub::HubSyncView view(*w.hub, "131016", {{"counter-01", "counter"}, {"counter-02", "counter"}, {"linkage", "linkage"}});
  auto rows = view.devices().value();
  REQUIRE(rows.size() == 3);
  REQUIRE(rows[0].device == "counter-01");
  REQUIRE(rows[0].status);
  CHECK(rows[0].status->version == "9.9.9");
  CHECK(rows[0].status->cert_not_after_ms == 1'900'000'000'000);
  CHECK(rows[0].settled_seq == counter.store->acked_upto());
  CHECK_FALSE(rows[1].status);  // counter-02 never reported
  REQUIRE(rows[2].status);      // the linkage server, by its heartbeat in the certificate database
  CHECK(rows[2].role == "linkage");
  CHECK(rows[2].settled_seq >= 1);

  // Ten minutes on: due again, with the outbox as it stands.
  REQUIRE(counter.store->write("card", "A1", protocol::OpKind::upsert, R"({"x":1})", 0).ok());
  counter.link->set_link(false);
  w.clock.advance(std::chrono::minutes(10));
  counter.link->set_link(true);
  const std::int64_t reported_at = w.clock.wall_ms();
  CHECK(reporter.tick(reported_at, true).value());
  REQUIRE(w.settle());
  auto again = view.devices().value();
  CHECK(again[0].status->at_ms == reported_at);
  CHECK(again[0].status->outbox_depth == 1);  // the card written offline, not yet acknowledged when it reported
  CHECK(again[0].status->last_seq == counter.store->last_seq() - 1);
}

TEST_CASE("The expiry of a device certificate is read from its PEM file", "[sync][status]") {
  testing::TempDir dir;
  CHECK(edge::certificate_not_after_ms(dir / "missing.pem") == 0);
  std::ofstream(dir / "bad.pem") << "not a certificate";
  CHECK(edge::certificate_not_after_ms(dir / "bad.pem") == 0);
  const std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=t -keyout " +
                          (dir / "k.pem").string() + " -out " + (dir / "c.pem").string() + " 2>/dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const auto after = edge::certificate_not_after_ms(dir / "c.pem");
  CHECK(after > now + 29LL * 86'400'000);
  CHECK(after < now + 31LL * 86'400'000);
}
