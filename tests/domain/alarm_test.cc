// 障害通知's rules (OPS-1, issue 13): domain/alarm.h. What stands for each kind of observation,
// "where and what" in every alarm, office hours for counter PCs, service hours for the center, and
// how stored alarms change (raise, keep with its acknowledgement, clear, escalate).
#include <catch2/catch.hpp>

#include <algorithm>

#include <string>
#include <vector>

#include "madoguchi/domain/alarm.h"

using namespace madoguchi::domain;

namespace {

constexpr std::int64_t kMin = 60'000;
constexpr std::int64_t kNow = 1'800'000'000'000;  // any fixed instant

AlarmInputs quiet_inputs() {
  AlarmInputs in;
  in.now_ms = kNow;
  in.jst_weekday = 2;  // Tuesday
  in.jst_minute_of_day = 10 * 60;
  return in;
}

const AlarmCondition* find(const std::vector<AlarmCondition>& all, AlarmKind kind) {
  for (const auto& c : all) {
    if (c.kind == kind) return &c;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("Nothing observed wrong raises nothing (OPS-1)", "[alarm]") {
  auto in = quiet_inputs();
  in.linkage = std::vector<LinkageFinding>{};
  in.devices = {{"counter-01", "counter", kNow - 5 * kMin, kNow + 400LL * 24 * 60 * kMin}};
  in.issuance = IssuanceHealth{true, kNow - kMin, kNow - 60 * kMin, 0, "", false, "", ""};
  in.disks = {{"/var/lib/madoguchi", 500ULL << 30, 1000ULL << 30}};
  CHECK(observe_alarms(in, AlarmPolicy{}).empty());
}

TEST_CASE("Linkage findings become alarms that say where: suppressing ones critical, a quiet source a warning (OPS-1, KON-4)", "[alarm]") {
  auto in = quiet_inputs();
  in.linkage = std::vector<LinkageFinding>{{LinkageConcern::gap, true, "住民記録/juki: 連携番号 7 から 8 が届いていません。", "resident/juki"},
                                           {LinkageConcern::quiet, false, "税/zei: 12分ファイルが届いていません。", "tax/zei"}};
  const auto all = observe_alarms(in, AlarmPolicy{});
  REQUIRE(all.size() == 2);
  CHECK(all[0].key == "linkage_gap:resident/juki");
  CHECK(all[0].level == AlarmLevel::critical);
  CHECK(all[0].where == "resident/juki");
  CHECK(all[0].what.find("コンビニ交付を止めています") != std::string::npos);
  CHECK(all[1].key == "linkage_quiet:tax/zei");
  CHECK(all[1].level == AlarmLevel::warning);
}

TEST_CASE("Records held for a character being registered raise a warning with their count", "[alarm]") {
  auto in = quiet_inputs();
  in.held_records = 3;
  const auto all = observe_alarms(in, AlarmPolicy{});
  REQUIRE(all.size() == 1);
  CHECK(all[0].kind == AlarmKind::held_records);
  CHECK(all[0].what.find("3 件") != std::string::npos);
}

TEST_CASE("The issuing center's silence is an alarm only within service hours, counted from the hub's start when never heard (OPS-1, KON-4)",
          "[alarm]") {
  AlarmPolicy p;
  auto in = quiet_inputs();
  in.issuance = IssuanceHealth{true, kNow - 11 * kMin, kNow - 60 * kMin, 0, "", false, "", ""};
  auto seen = observe_alarms(in, p);
  const auto* c = find(seen, AlarmKind::center_unreachable);
  REQUIRE(c);
  CHECK(c->level == AlarmLevel::critical);
  CHECK(c->where == "交付センター");
  CHECK(c->what.find("11分") != std::string::npos);

  in.issuance->center_last_ms = kNow - 9 * kMin;
  CHECK_FALSE(find(observe_alarms(in, p), AlarmKind::center_unreachable));

  in.issuance->center_last_ms = kNow - 11 * kMin;
  in.issuance->in_service_hours = false;  // night: the center has nothing to say
  CHECK_FALSE(find(observe_alarms(in, p), AlarmKind::center_unreachable));

  in.issuance = IssuanceHealth{true, 0, kNow - 20 * kMin, 0, "", false, "", ""};  // never since start
  seen = observe_alarms(in, p);
  c = find(seen, AlarmKind::center_unreachable);
  REQUIRE(c);
  CHECK(c->what.find("ハブの起動から") != std::string::npos);
}

TEST_CASE("Failed issuance requests and a stale revocation list are critical alarms (OPS-1, KON-2)", "[alarm]") {
  auto in = quiet_inputs();
  in.issuance = IssuanceHealth{false, 0, kNow, 2, "rendering R-2026-0000004: font missing", true, "失効リストの次回更新予定を過ぎています。", "応答がありません"};
  const auto all = observe_alarms(in, AlarmPolicy{});
  const auto* errors = find(all, AlarmKind::issuance_errors);
  REQUIRE(errors);
  CHECK(errors->level == AlarmLevel::critical);
  CHECK(errors->what.find("2 件") != std::string::npos);
  CHECK(errors->what.find("font missing") != std::string::npos);
  const auto* crl = find(all, AlarmKind::revocation);
  REQUIRE(crl);
  CHECK(crl->what.find("すべての交付を止めています") != std::string::npos);
  // While the CRL is stale, the OCSP responder's trouble adds nothing: everything is stopped anyway.
  CHECK(std::count_if(all.begin(), all.end(), [](const AlarmCondition& c) { return c.kind == AlarmKind::revocation; }) == 1);
}

TEST_CASE("Disk space below the floor warns, below a fifth of it is critical", "[alarm]") {
  AlarmPolicy p;  // 2 GiB or 5 %
  auto in = quiet_inputs();
  in.disks = {{"/data", 3ULL << 30, 100ULL << 30}};  // 3 % of 100 GiB, floor 5 GiB
  auto all = observe_alarms(in, p);
  REQUIRE(all.size() == 1);
  CHECK(all[0].kind == AlarmKind::disk_space);
  CHECK(all[0].level == AlarmLevel::warning);
  CHECK(all[0].where == "ハブ /data");
  CHECK(all[0].what.find("3 GiB") == std::string::npos);  // under 10 GiB it says MiB
  CHECK(all[0].what.find("3072 MiB") != std::string::npos);
  in.disks[0].free_bytes = 512ULL << 20;
  all = observe_alarms(in, p);
  REQUIRE(all.size() == 1);
  CHECK(all[0].level == AlarmLevel::critical);
  in.disks[0].free_bytes = 6ULL << 30;
  CHECK(observe_alarms(in, p).empty());
}

TEST_CASE("A counter PC silent during office hours is an alarm, at night or on Sunday it is not, and certificates near expiry warn", "[alarm]") {
  AlarmPolicy p;
  auto in = quiet_inputs();
  in.devices = {{"counter-01", "counter", kNow - 45 * kMin, 0}, {"linkage-01", "linkage", kNow - 45 * kMin, 0},
                {"counter-02", "counter", 0, 0}};  // never reported: 同期状況 says so, no alarm
  auto all = observe_alarms(in, p);
  REQUIRE(all.size() == 1);
  CHECK(all[0].key == "device_silent:counter-01");
  CHECK(all[0].where == "端末 counter-01");
  in.jst_minute_of_day = 20 * 60;
  CHECK(observe_alarms(in, p).empty());
  in.jst_minute_of_day = 10 * 60;
  in.jst_weekday = 0;
  CHECK(observe_alarms(in, p).empty());
  in.jst_weekday = 6;
  CHECK(observe_alarms(in, p).empty());
  p.office_saturday = true;
  CHECK(observe_alarms(in, p).size() == 1);

  auto cert = quiet_inputs();
  cert.devices = {{"counter-03", "counter", kNow, kNow + 10LL * 24 * 60 * kMin}, {"counter-04", "counter", kNow, kNow - kMin}};
  all = observe_alarms(cert, AlarmPolicy{});
  REQUIRE(all.size() == 2);
  CHECK(all[0].kind == AlarmKind::device_certificate);
  CHECK(all[0].level == AlarmLevel::warning);
  CHECK(all[0].what.find("10日") != std::string::npos);
  CHECK(all[1].level == AlarmLevel::critical);
}

TEST_CASE("Stored alarms: a new condition is raised, one seen again keeps its alarm, one gone is cleared, one escalated is raised anew",
          "[alarm]") {
  AlarmCondition disk{"disk:/data", AlarmKind::disk_space, AlarmLevel::warning, "ハブ /data", "空き 3 GiB"};
  AlarmCondition held{"held_records", AlarmKind::held_records, AlarmLevel::warning, "連携 外字対照表", "3 件"};
  Alarm stored_disk{1, disk, kNow - kMin, kNow - kMin, 0, kNow, "admin"};
  Alarm stored_held{2, held, kNow - kMin, kNow - kMin, 0, 0, ""};
  Alarm cleared_old{3, held, kNow - 99 * kMin, kNow - 90 * kMin, kNow - 90 * kMin, 0, ""};

  AlarmCondition disk_now = disk;
  disk_now.what = "空き 2 GiB";
  AlarmCondition center{"center_unreachable", AlarmKind::center_unreachable, AlarmLevel::critical, "交付センター", "…"};
  auto plan = plan_alarms({stored_disk, stored_held, cleared_old}, {disk_now, center});
  REQUIRE(plan.raise.size() == 1);
  CHECK(plan.raise[0].key == "center_unreachable");
  REQUIRE(plan.update.size() == 1);
  CHECK(plan.update[0].first == 1);
  CHECK(plan.update[0].second.what == "空き 2 GiB");
  CHECK(plan.clear == std::vector<std::int64_t>{2});

  disk_now.level = AlarmLevel::critical;  // acknowledged as a warning, now critical: heard again
  plan = plan_alarms({stored_disk}, {disk_now});
  CHECK(plan.update.empty());
  CHECK(plan.clear == std::vector<std::int64_t>{1});
  REQUIRE(plan.raise.size() == 1);
  CHECK(plan.raise[0].level == AlarmLevel::critical);

  CHECK(plan_alarms({}, {}).empty());
}

TEST_CASE("Alarm kinds and levels have stable codes and Japanese labels", "[alarm]") {
  for (auto k : {AlarmKind::linkage, AlarmKind::held_records, AlarmKind::center_unreachable, AlarmKind::issuance_errors,
                 AlarmKind::revocation, AlarmKind::disk_space, AlarmKind::device_silent, AlarmKind::device_certificate}) {
    CHECK(alarm_kind_from_code(alarm_kind_code(k)) == k);
    CHECK_FALSE(alarm_kind_label(k).empty());
  }
  CHECK_FALSE(alarm_kind_from_code("nonsense"));
  CHECK(alarm_level_from_code("critical") == AlarmLevel::critical);
  CHECK(alarm_level_label(AlarmLevel::warning) == "警告");
}
