// HubMasterStore: counters, slots, the calendar configuration and notices in one municipality's
// hub database, written through HubEngine (plans in one write_local_batch), read back by range
// (MST-1..MST-7, RSV-3, RSV-15). Timings are printed for docs/performance.md, never asserted.
#include <catch2/catch.hpp>

#include <chrono>
#include <iostream>

#include "hub_world.h"
#include "madoguchi/domain/record_body.h"
#include "madoguchi/hub/master_store.h"
#include "temp_dir.h"

using namespace madoguchi;
using namespace madoguchi::console;
using namespace madoguchi::domain;
using madoguchi::testing::TempDir;

namespace {
constexpr int hm(int h, int m) { return h * 60 + m; }

struct Hub : testing::HubWorld {
  Hub() : HubWorld(hub::DeviceRegistry{{"131016", {"counter-01"}}}, 1000000) {}
};

domain::CounterMaster counter(int n) {
  domain::CounterMaster k;
  k.id = "c" + std::to_string(n);
  k.name = "本庁舎 " + std::to_string(n) + "番窓口";
  k.businesses = {domain::Business::collection, domain::Business::application};
  for (auto d : {calendar::Weekday::monday, calendar::Weekday::tuesday, calendar::Weekday::wednesday,
                 calendar::Weekday::thursday, calendar::Weekday::friday}) {
    k.week[static_cast<std::size_t>(d)] = {{hm(9, 0), hm(12, 0)}, {hm(13, 0), hm(17, 0)}};
  }
  k.minutes_per_visit = 15;
  k.capacity_per_slot = 2;
  k.valid_from = {{2026, 4, 1}, 0};
  return k;
}

// A booking body as the hub's place count reads it (booking.h: "slot", "people", "cancelled").
std::optional<hub::SlotPlaces> places_of(std::string_view body) {
  auto j = domain::parse_body(body);
  if (!j || !j->contains("slot") || !(*j)["slot"].is_string()) return std::nullopt;
  if (j->value("cancelled", false)) return std::nullopt;
  return hub::SlotPlaces{(*j)["slot"].get<std::string>(), static_cast<std::int64_t>(j->value("people", nlohmann::json::array()).size())};
}
}  // namespace

TEST_CASE("HubMasterStore: counters are saved, listed, read and removed with their future slots", "[hub][masters]") {
  Hub h;
  hub::HubMasterStore store(h.engine, "131016");
  REQUIRE(store.save_counter(counter(2)).ok());
  REQUIRE(store.save_counter(counter(1)).ok());
  auto all = store.counters();
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].id == "c1");
  auto one = store.counter("c2");
  REQUIRE(one.ok());
  REQUIRE(one->has_value());
  CHECK((*one)->name == "本庁舎 2番窓口");
  CHECK_FALSE(store.counter("nope")->has_value());
  CHECK_FALSE(store.counter("bad:id")->has_value());
  // An invalid master is refused before anything is written.
  auto bad = counter(3);
  bad.minutes_per_visit = 1;
  CHECK(store.save_counter(bad).error().code == Errc::invalid_argument);
  CHECK(store.counters()->size() == 2);

  auto cal = calendar::BusinessCalendar::create({}, {});
  REQUIRE(cal.ok());
  auto gen = domain::generate_slots(counter(1), {2026, 4, 1}, {2026, 4, 30}, *cal);
  REQUIRE(gen.ok());
  auto plan = domain::apply_regeneration({}, *gen, {});
  REQUIRE(plan.ok());
  REQUIRE(store.apply_plan(*plan).ok());
  CHECK(store.slots("c1", {2026, 4, 1}, {2026, 4, 30})->size() == gen->slots.size());
  // Removing from 4/15 keeps the slots before it; the counter is gone.
  REQUIRE(store.remove_counter("c1", {2026, 4, 15}).ok());
  CHECK_FALSE(store.counter("c1")->has_value());
  auto left = store.slots("c1", {2026, 4, 1}, {2026, 4, 30});
  REQUIRE(left.ok());
  REQUIRE_FALSE(left->empty());
  CHECK(left->back().start.date < calendar::Date{2026, 4, 15});
  // c2's records were not touched, and counter "c1" did not take "c10"-like neighbours.
  CHECK(store.counter("c2")->has_value());
}

TEST_CASE("HubMasterStore: a year for 10 counters in one batch, a slot edit kept across regeneration, booked places",
          "[hub][masters]") {
  Hub h;
  hub::HubMasterStore store(h.engine, "131016");
  hub::HubStore* db = h.engine.store("131016");
  REQUIRE(db->set_constraint({}, hub::PlaceCount{"booking", places_of}).ok());
  REQUIRE(store.save_calendar_config(domain::CalendarConfig{{{2026, 8, 14}}, false, "", {}}).ok());
  auto config = store.calendar_config();
  REQUIRE(config.ok());
  auto cal = domain::business_calendar(*config);
  REQUIRE(cal.ok());

  const calendar::Date from{2026, 4, 1}, to{2027, 3, 31};
  domain::RegenerationPlan all;
  for (int n = 1; n <= 10; ++n) {
    REQUIRE(store.save_counter(counter(n)).ok());
    auto gen = domain::generate_slots(counter(n), from, to, *cal);
    REQUIRE(gen.ok());
    auto plan = domain::apply_regeneration({}, *gen, {});
    REQUIRE(plan.ok());
    all.added += plan->added;
    all.upserts.insert(all.upserts.end(), plan->upserts.begin(), plan->upserts.end());
  }
  const auto head_before = db->feed_bounds()->head;
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(store.apply_plan(all).ok());
  const auto t1 = std::chrono::steady_clock::now();
  // One transaction, every slot on the feed.
  CHECK(db->feed_bounds()->head == head_before + all.upserts.size());
  auto c1 = store.slots("c1", from, to);
  REQUIRE(c1.ok());
  CHECK(c1->size() * 10 == all.upserts.size());
  // The closure day and the year-end closure have no slots.
  for (const domain::Slot& s : *c1) {
    CHECK_FALSE(s.start.date == calendar::Date{2026, 8, 14});
    CHECK_FALSE(calendar::in_year_end_closure(s.start.date));
  }
  const auto t2 = std::chrono::steady_clock::now();
  auto month = store.slots("c10", {2026, 11, 1}, {2026, 11, 30});
  const auto t3 = std::chrono::steady_clock::now();
  REQUIRE(month.ok());
  CHECK_FALSE(month->empty());
  for (const domain::Slot& s : *month) CHECK(s.counter == "c10");
  std::cout << "[masters] 10 counters x 1 year: " << all.upserts.size() << " slot records written in one batch in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(t1 - t0).count() << " ms; one counter's month read in "
            << std::chrono::duration_cast<std::chrono::microseconds>(t3 - t2).count() << " us\n";

  // Edit one slot, book another, change the master (capacity 2 -> 3, no afternoon on Mondays)
  // and regenerate counter 1: the edited slot stays as edited, the booked Monday afternoon slot
  // the pattern no longer has is kept, everything else follows the master.
  domain::Slot first = c1->front();
  auto edited = domain::apply_slot_edit(first, domain::SlotEdit{5, std::nullopt, std::string("増員")});
  REQUIRE(edited.ok());
  REQUIRE(store.save_slot(*edited).ok());
  const domain::Slot* monday_pm = nullptr;
  for (const domain::Slot& s : *c1) {
    if (calendar::weekday_of(s.start.date) == calendar::Weekday::monday && s.start.minute == hm(13, 0)) {
      monday_pm = &s;
      break;
    }
  }
  REQUIRE(monday_pm != nullptr);
  const std::string booked_key = domain::slot_key(*monday_pm);
  auto booking = h.engine.write_local("131016", "booking", "20260401-0001", protocol::OpKind::upsert,
                                      R"({"cancelled":false,"people":[{},{}],"slot":")" + booked_key + R"("})", 0);
  REQUIRE(booking.ok());
  auto booked = store.booked_places("c1", from, to);
  REQUIRE(booked.ok());
  REQUIRE(booked->size() == 1);
  CHECK(booked->at(booked_key) == 2);
  CHECK(store.booked_places("c2", from, to)->empty());

  domain::CounterMaster changed = counter(1);
  changed.capacity_per_slot = 3;
  changed.week[static_cast<std::size_t>(calendar::Weekday::monday)] = {{hm(9, 0), hm(12, 0)}};
  REQUIRE(store.save_counter(changed).ok());
  auto stored = store.slots("c1", from, to);
  REQUIRE(stored.ok());
  auto gen = domain::generate_slots(changed, from, to, *cal);
  REQUIRE(gen.ok());
  std::set<std::string> keys;
  for (const auto& [k, n] : *booked) keys.insert(k);
  auto plan = domain::apply_regeneration(*stored, *gen, keys);
  REQUIRE(plan.ok());
  CHECK(plan->kept_edited == 1);
  CHECK(plan->kept_booked == 1);
  CHECK(plan->removed > 0);
  CHECK(plan->changed > 0);
  REQUIRE(store.apply_plan(*plan).ok());
  auto after = store.slot(domain::slot_key(first));
  REQUIRE(after.ok());
  REQUIRE(after->has_value());
  CHECK((*after)->capacity == 5);
  CHECK((*after)->note == "増員");
  CHECK((*after)->edited);
  CHECK(store.slot(booked_key)->has_value());
  auto regenerated = store.slots("c1", from, to);
  REQUIRE(regenerated.ok());
  for (const domain::Slot& s : *regenerated) {
    if (s.edited || domain::slot_key(s) == booked_key) continue;
    CHECK(s.capacity == 3);
    if (calendar::weekday_of(s.start.date) == calendar::Weekday::monday) CHECK(s.start.minute < hm(12, 0));
  }
  // Counter 2 untouched by counter 1's regeneration.
  CHECK(store.slots("c2", from, to)->front().capacity == 2);
}

TEST_CASE("HubMasterStore: the calendar configuration and notices round-trip", "[hub][masters]") {
  Hub h;
  hub::HubMasterStore store(h.engine, "131016");
  auto empty = store.calendar_config();
  REQUIRE(empty.ok());
  CHECK(empty->closures.empty());
  domain::CalendarConfig k;
  k.closures = {{2026, 12, 28}};
  k.has_holidays = true;
  k.holiday_source = "syukujitsu.csv";
  k.holidays = {{{2026, 1, 1}, "元日"}};
  REQUIRE(store.save_calendar_config(k).ok());
  auto back = store.calendar_config();
  REQUIRE(back.ok());
  CHECK(*back == k);

  domain::Notice n;
  n.id = "maint-1";
  n.kind = domain::NoticeKind::maintenance;
  n.title = "システムメンテナンスのお知らせ";
  n.body = "停止します。";
  n.publish_from = {{2026, 11, 28}, 0};
  n.maintenance_from = domain::LocalDateTime{{2026, 12, 5}, hm(22, 0)};
  n.maintenance_until = domain::LocalDateTime{{2026, 12, 6}, hm(6, 0)};
  REQUIRE(store.save_notice(n).ok());
  auto all = store.notices();
  REQUIRE(all.ok());
  REQUIRE(all->size() == 1);
  CHECK(all->front() == n);
  domain::Notice bad = n;
  bad.title = "";
  CHECK_FALSE(store.save_notice(bad).ok());
  REQUIRE(store.remove_notice("maint-1").ok());
  CHECK(store.notices()->empty());
  CHECK(store.remove_notice("maint-1").ok());
}
