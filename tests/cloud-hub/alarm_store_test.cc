// 障害通知 at the hub (OPS-1, issue 13): the alarms database (AlarmStore), the watch's check over
// narrow views (gather_alarm_inputs with fakes of what the consoles read) and the console's board.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "madoguchi/hub/alarm_service.h"
#include "madoguchi/hub/alarm_store.h"
#include "temp_dir.h"

using namespace madoguchi;
using namespace madoguchi::hub;
using madoguchi::testing::TempDir;

namespace {

constexpr std::int64_t kMin = 60'000;
constexpr std::int64_t kT0 = 1'800'000'000'000;

domain::AlarmCondition condition(const std::string& key, domain::AlarmLevel level = domain::AlarmLevel::warning) {
  return {key, domain::AlarmKind::disk_space, level, "ハブ /data", "空きが少なくなっています。"};
}

class FakeLinkage final : public console::app::LinkageView {
 public:
  console::app::LinkageOverview overview_value;
  bool fail = false;
  Expected<console::app::LinkageOverview> overview() override {
    if (fail) return Error{Errc::db, "disk I/O error"};
    return overview_value;
  }
  Expected<console::app::LinkageBatchPage> batches(const std::string&, std::size_t) override { return console::app::LinkageBatchPage{}; }
  domain::LinkageGuardPolicy policy() const override { return {}; }
};

class FakeSync final : public console::app::SyncView {
 public:
  std::vector<console::app::DeviceRow> rows;
  Expected<std::vector<console::app::DeviceRow>> devices() override { return rows; }
};

}  // namespace

TEST_CASE("The alarms database raises, keeps, clears and counts alarms, and acknowledgements are recorded once (OPS-1)", "[alarm][hub]") {
  TempDir dir;
  auto store = AlarmStore::open(dir.path() / "131016.alarms.db", "131016");
  REQUIRE(store);

  auto changes = store->record({condition("disk:/data"), condition("held_records")}, kT0);
  REQUIRE(changes);
  REQUIRE(changes->raised.size() == 2);
  const auto disk_id = changes->raised[0].id;
  auto counts = store->counts();
  REQUIRE(counts);
  CHECK(counts->unacknowledged == 2);
  CHECK(counts->standing == 2);
  CHECK(counts->critical == 0);

  // Acknowledged once; a second acknowledgement (another console) changes nothing.
  auto ack = store->acknowledge(disk_id, "admin01", kT0 + kMin);
  REQUIRE(ack);
  CHECK(*ack);
  ack = store->acknowledge(disk_id, "clerk02", kT0 + 2 * kMin);
  REQUIRE(ack);
  CHECK_FALSE(*ack);

  // Seen again with new text: the same alarm, still acknowledged. The other is gone: cleared,
  // but still shown until acknowledged.
  auto later = condition("disk:/data");
  later.what = "空きが 1 GiB です。";
  changes = store->record({later}, kT0 + 3 * kMin);
  REQUIRE(changes);
  CHECK(changes->raised.empty());
  REQUIRE(changes->cleared.size() == 1);
  CHECK(changes->cleared[0].condition.key == "held_records");
  auto current = store->current(10);
  REQUIRE(current);
  REQUIRE(current->size() == 2);
  for (const auto& a : *current) {
    if (a.id == disk_id) {
      CHECK(a.active());
      CHECK(a.acked_by == "admin01");
      CHECK(a.condition.what == "空きが 1 GiB です。");
      CHECK(a.last_ms == kT0 + 3 * kMin);
    } else {
      CHECK_FALSE(a.active());
      CHECK_FALSE(a.acknowledged());
    }
  }
  counts = store->counts();
  REQUIRE(counts);
  CHECK(counts->unacknowledged == 1);
  CHECK(counts->standing == 1);

  // Escalated: a new, unacknowledged, critical alarm.
  changes = store->record({condition("disk:/data", domain::AlarmLevel::critical)}, kT0 + 4 * kMin);
  REQUIRE(changes);
  REQUIRE(changes->raised.size() == 1);
  CHECK(changes->raised[0].condition.level == domain::AlarmLevel::critical);
  counts = store->counts();
  REQUIRE(counts);
  CHECK(counts->critical == 1);
  CHECK(counts->unacknowledged == 2);

  auto all = store->acknowledge_all("admin01", kT0 + 5 * kMin);
  REQUIRE(all);
  CHECK(*all == 2);
  current = store->current(10);
  REQUIRE(current);
  REQUIRE(current->size() == 1);  // the standing critical one, acknowledged
  CHECK(current->front().acknowledged());

  auto history = store->raised_between(kT0, kT0 + 10 * kMin, 10);
  REQUIRE(history);
  CHECK(history->size() == 3);
  CHECK(history->front().raised_ms == kT0 + 4 * kMin);  // newest first
}

TEST_CASE("An alarms database belongs to one municipality", "[alarm][hub]") {
  TempDir dir;
  REQUIRE(AlarmStore::open(dir.path() / "a.alarms.db", "131016"));
  auto other = AlarmStore::open(dir.path() / "a.alarms.db", "271004");
  REQUIRE_FALSE(other);
  CHECK(other.error().code == Errc::invalid_argument);
}

TEST_CASE("Ended and acknowledged alarms past their keeping time are removed, standing or unacknowledged ones never", "[alarm][hub]") {
  TempDir dir;
  auto store = AlarmStore::open(dir.path() / "131016.alarms.db", "131016", {.keep_days = 1, .max_rows = 100000});
  REQUIRE(store);
  REQUIRE(store->record({condition("a"), condition("b"), condition("c")}, kT0));
  REQUIRE(store->record({condition("c")}, kT0 + kMin));  // a and b end
  auto current = store->current(10);
  REQUIRE(current);
  for (const auto& a : *current) {
    if (a.condition.key == "a") REQUIRE(store->acknowledge(a.id, "admin01", kT0 + 2 * kMin));
  }
  // Two days later (a check prunes at most hourly): a is gone; b (unacknowledged) and c stay.
  REQUIRE(store->record({condition("c")}, kT0 + 2 * 24 * 60 * kMin));
  auto history = store->raised_between(0, kT0 + 3 * 24 * 60 * kMin, 10);
  REQUIRE(history);
  std::vector<std::string> keys;
  for (const auto& a : *history) keys.push_back(a.condition.key);
  std::sort(keys.begin(), keys.end());
  CHECK(keys == std::vector<std::string>{"b", "c"});
}

TEST_CASE("The watch gathers every source, survives one that fails, and the board shows and acknowledges what it found (OPS-1)",
          "[alarm][hub]") {
  TempDir dir;
  std::vector<std::string> log;
  auto alarms = HubAlarms::open(dir.path(), {"131016"}, domain::AlarmPolicy{}, [&](LogLevel, std::string_view m) { log.emplace_back(m); });
  REQUIRE(alarms);

  FakeLinkage linkage;  // no linkage server has ever reported
  FakeSync sync;
  console::app::DeviceRow row;
  row.device = "counter-01";
  row.role = "counter";
  row.status = domain::DeviceStatus{"counter-01", "counter", "1.0", kT0 - 50 * kMin, 0, 0, 0, kT0 - kMin};  // certificate expired
  sync.rows = {row};
  AlarmSources sources;
  sources.linkage = &linkage;
  sources.sync = &sync;
  sources.issuance = [] { return domain::IssuanceHealth{true, 0, kT0 - 30 * kMin, 1, "rendering: font", false, "", ""}; };
  sources.disks = {dir.path()};

  std::vector<std::string> problems;
  auto inputs = gather_alarm_inputs(sources, kT0, problems);
  CHECK(problems.empty());
  REQUIRE(inputs.linkage);
  REQUIRE((*alarms)->check("131016", inputs));

  HubAlarmBoard board(**alarms, "131016");
  auto current = board.current(50);
  REQUIRE(current);
  std::set<std::string> kinds;
  for (const auto& a : *current) kinds.insert(std::string(domain::alarm_kind_code(a.condition.kind)));
  CHECK(kinds.count("linkage"));
  CHECK(kinds.count("center_unreachable"));
  CHECK(kinds.count("issuance_errors"));
  CHECK(kinds.count("device_certificate"));
  CHECK_FALSE(kinds.count("disk_space"));  // unless the test machine's disk is nearly full
  CHECK(std::any_of(log.begin(), log.end(), [](const std::string& m) { return m.find("raised: center_unreachable at 交付センター") != std::string::npos; }));

  // The linkage view fails: its alarms are not cleared for want of reading; the rest go on.
  linkage.fail = true;
  problems.clear();
  inputs = gather_alarm_inputs(sources, kT0 + kMin, problems);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("disk I/O error") != std::string::npos);
  CHECK_FALSE(inputs.linkage);
  REQUIRE((*alarms)->check("131016", inputs));
  auto after = board.current(50);
  REQUIRE(after);
  CHECK(std::any_of(after->begin(), after->end(),
                    [](const domain::Alarm& a) { return a.condition.kind == domain::AlarmKind::linkage && a.active(); }));

  auto n = board.acknowledge_all("admin01", kT0 + 2 * kMin);
  REQUIRE(n);
  CHECK(*n == current->size());
  auto counts = board.counts();
  REQUIRE(counts);
  CHECK(counts->unacknowledged == 0);
}
