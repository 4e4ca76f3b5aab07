// 同期状況 at the hub console (EDGE-5, OPS-4) over an in-memory SyncView: every device, its last
// report, and alarms for a device that stopped reporting, never reported, or whose certificate
// expires soon.
#include <catch2/catch.hpp>

#include "console_fixture.h"
#include "madoguchi/console/app/sync_view.h"

using namespace madoguchi::testing::console_app;
using namespace madoguchi;

namespace {
struct MemorySync final : console::app::SyncView {
  std::vector<console::app::DeviceRow> rows;
  Expected<std::vector<console::app::DeviceRow>> devices() override { return rows; }
};
}  // namespace

TEST_CASE("同期状況 lists every device with its last report and raises what needs a technician (EDGE-5, OPS-4)", "[console][sync]") {
  AdminSession s;
  MemorySync view;
  s.w.app.attach_sync(view);
  const std::int64_t now = s.w.clock.wall_ms();
  constexpr std::int64_t day = 86'400'000;
  view.rows = {{"counter-01", "counter", domain::DeviceStatus{"counter-01", "counter", "0.1.0", now - 60'000, 120, 3, 1, now + 400 * day}, 117},
               {"linkage", "linkage", domain::DeviceStatus{"linkage", "linkage", "0.1.0", now - 30'000, 900, 0, 0, 0}, 900}};
  auto page = s.b.send("GET", "/sync");
  REQUIRE(page.status == 200);
  CHECK(contains(page.body, "すべての端末が定期的に報告しています"));
  CHECK(contains(page.body, "counter-01"));
  CHECK(contains(page.body, "あと400日"));
  CHECK(contains(page.body, "連携サーバー"));

  view.rows.push_back({"counter-02", "counter", std::nullopt, 0});
  view.rows[0].status->cert_not_after_ms = now + 10 * day;
  view.rows[1].status->at_ms = now - 3'600'000;
  page = s.b.send("GET", "/sync");
  CHECK(contains(page.body, "確認が必要な端末があります"));
  CHECK(contains(page.body, "counter-02: まだ報告がありません"));
  CHECK(contains(page.body, "証明書の更新が必要"));
  CHECK(contains(page.body, "linkage: 1時間前から報告がありません"));

  Browser clerk(s.w.app);
  REQUIRE(clerk.sign_in("clerk01", kClerkPw).status == 303);
  CHECK(clerk.send("GET", "/sync").status == 403);
}
