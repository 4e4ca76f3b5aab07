// domain::regenerate_slots over fake slot records (MST-4, MST-5): preview writes nothing, apply
// writes one plan per counter, a failing counter leaves the others done, edited and booked slots
// stay, and the log detail names counts and dates.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "madoguchi/calendar/business_days.h"
#include "madoguchi/domain/slot_regeneration.h"

namespace d = madoguchi::domain;
namespace cal = madoguchi::calendar;
using madoguchi::Errc;
using madoguchi::Expected;
using madoguchi::Status;

namespace {

constexpr int hm(int h, int m) { return h * 60 + m; }

d::CounterMaster counter(std::string id) {
  d::CounterMaster k;
  k.id = std::move(id);
  k.name = "窓口" + k.id;
  k.businesses = {d::Business::collection};
  for (auto day : {cal::Weekday::monday, cal::Weekday::tuesday, cal::Weekday::wednesday, cal::Weekday::thursday,
                   cal::Weekday::friday}) {
    k.week[static_cast<std::size_t>(day)] = {{hm(9, 0), hm(10, 0)}};
  }
  k.minutes_per_visit = 30;
  k.capacity_per_slot = 2;
  k.valid_from = {{2026, 1, 1}, 0};
  k.deadline_days_before = 1;
  k.deadline_time = hm(17, 0);
  return k;
}

// Slot records by key, with booked places per key; apply_plan fails for the counters in `fail`.
class FakeSlots final : public d::SlotRecords {
 public:
  std::map<std::string, d::Slot> slots_by_key;
  std::map<std::string, std::int64_t> booked;
  std::vector<std::string> fail;
  int plans_applied = 0;

  Expected<std::vector<d::Slot>> slots(std::string_view counter, cal::Date from, cal::Date to) override {
    std::vector<d::Slot> out;
    for (const auto& [k, s] : slots_by_key) {
      if (s.counter == counter && !(s.start.date < from) && !(to < s.start.date)) out.push_back(s);
    }
    return out;
  }
  Expected<std::map<std::string, std::int64_t>> booked_places(std::string_view counter, cal::Date, cal::Date) override {
    std::map<std::string, std::int64_t> out;
    for (const auto& [k, n] : booked) {
      if (k.rfind(std::string(counter) + ":", 0) == 0) out[k] = n;
    }
    return out;
  }
  Status apply_plan(const d::RegenerationPlan& plan) override {
    for (const auto& s : plan.upserts) {
      for (const auto& f : fail) {
        if (s.counter == f) return madoguchi::make_error(Errc::db, "disk I/O error");
      }
    }
    ++plans_applied;
    for (const auto& s : plan.upserts) slots_by_key[d::slot_key(s)] = s;
    for (const auto& k : plan.removals) slots_by_key.erase(k);
    return {};
  }
};

cal::BusinessCalendar calendar() {
  auto b = cal::BusinessCalendar::create(cal::HolidayCalendar{}, {});
  REQUIRE(b.ok());
  return *b;
}

}  // namespace

TEST_CASE("Slot regeneration: a preview writes nothing, apply writes each counter's plan and logs its counts (MST-4)",
          "[domain][slots][regeneration]") {
  FakeSlots records;
  const auto b = calendar();
  const std::vector<d::CounterMaster> counters{counter("1"), counter("2")};
  // Mon 2026-12-07 .. Fri 2026-12-11: five working days, two slots each.
  auto preview = d::regenerate_slots(records, counters, {2026, 12, 7}, {2026, 12, 11}, b, false);
  REQUIRE(preview.ok());
  REQUIRE(preview->size() == 2);
  CHECK((*preview)[0].state == d::RegenerationOutcome::State::planned);
  CHECK((*preview)[0].plan.added == 10);
  CHECK((*preview)[0].log_detail.empty());
  CHECK(records.slots_by_key.empty());
  CHECK(records.plans_applied == 0);

  auto applied = d::regenerate_slots(records, counters, {2026, 12, 7}, {2026, 12, 11}, b, true);
  REQUIRE(applied.ok());
  CHECK((*applied)[1].state == d::RegenerationOutcome::State::applied);
  CHECK(records.slots_by_key.size() == 20);
  CHECK((*applied)[0].log_detail ==
        "from 2026-12-07 to 2026-12-11: added 10, changed 0, removed 0, kept edited 0, kept booked 0");

  // The 09:00 visits are dropped from the pattern: a booked or edited 09:00 slot stays.
  records.booked["1:2026-12-07T09:00"] = 1;
  records.slots_by_key["1:2026-12-08T09:00"].edited = true;
  auto changed = counters;
  for (auto& bands : changed[0].week) {
    if (!bands.empty()) bands = {{hm(9, 30), hm(10, 0)}};
  }
  auto again = d::regenerate_slots(records, {changed[0]}, {2026, 12, 7}, {2026, 12, 11}, b, true);
  REQUIRE(again.ok());
  const auto& plan = (*again)[0].plan;
  CHECK(plan.kept_booked == 1);
  CHECK(plan.kept_edited == 1);
  CHECK(plan.removed == 3);
  CHECK(records.slots_by_key.count("1:2026-12-07T09:00") == 1);
  CHECK(records.slots_by_key.count("1:2026-12-08T09:00") == 1);
  CHECK(records.slots_by_key.count("1:2026-12-09T09:00") == 0);
}

TEST_CASE("Slot regeneration: one counter failing to write leaves the others done and says why (MST-4)",
          "[domain][slots][regeneration]") {
  FakeSlots records;
  records.fail = {"1"};
  const auto b = calendar();
  auto out = d::regenerate_slots(records, {counter("1"), counter("2")}, {2026, 12, 7}, {2026, 12, 8}, b, true);
  REQUIRE(out.ok());
  CHECK((*out)[0].state == d::RegenerationOutcome::State::failed);
  CHECK((*out)[0].error.code == Errc::db);
  CHECK((*out)[0].log_detail.find("; failed: db") != std::string::npos);
  CHECK((*out)[1].state == d::RegenerationOutcome::State::applied);
  CHECK(records.slots_by_key.size() == 4);
  CHECK(records.slots_by_key.begin()->second.counter == "2");

  // A range the holiday rules do not cover: not generated, nothing written for that counter.
  auto far = d::regenerate_slots(records, {counter("2")}, {2099, 12, 30}, {2100, 1, 4}, b, true);
  REQUIRE(far.ok());
  CHECK((*far)[0].state == d::RegenerationOutcome::State::not_generated);
}
