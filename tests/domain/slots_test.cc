#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "madoguchi/calendar/business_days.h"
#include "madoguchi/domain/record_body.h"
#include "madoguchi/domain/slots.h"

namespace c = madoguchi::domain;
namespace cal = madoguchi::calendar;
using madoguchi::Errc;

namespace {
constexpr int hm(int h, int m) { return h * 60 + m; }

cal::BusinessCalendar calendar_with(const std::vector<cal::Date>& closures = {}) {
  auto b = cal::BusinessCalendar::create(cal::HolidayCalendar{}, closures);
  REQUIRE(b.ok());
  return *b;
}

// Weekdays 09:00-10:00 in 30-minute visits: two slots a working day.
c::CounterMaster weekday_counter() {
  c::CounterMaster k;
  k.id = "1";
  k.name = "1番窓口";
  k.businesses = {c::Business::collection};
  for (auto d : {cal::Weekday::monday, cal::Weekday::tuesday, cal::Weekday::wednesday, cal::Weekday::thursday,
                 cal::Weekday::friday}) {
    k.week[static_cast<std::size_t>(d)] = {{hm(9, 0), hm(10, 0)}};
  }
  k.minutes_per_visit = 30;
  k.capacity_per_slot = 1;
  k.valid_from = {{2026, 1, 1}, 0};
  k.deadline_days_before = 1;
  k.deadline_time = hm(17, 0);
  return k;
}

std::set<std::string> days_of(const std::vector<c::Slot>& slots) {
  std::set<std::string> out;
  for (const auto& s : slots) out.insert(cal::format_iso(s.start.date));
  return out;
}

std::vector<std::string> keys_of(const std::vector<c::Slot>& slots) {
  std::vector<std::string> out;
  for (const auto& s : slots) out.push_back(c::slot_key(s));
  return out;
}

std::vector<c::Slot> generate(const c::CounterMaster& k, cal::Date from, cal::Date to,
                              const cal::BusinessCalendar& b) {
  auto g = c::generate_slots(k, from, to, b);
  REQUIRE(g.ok());
  return g->slots;
}

const c::Slot* find(const std::vector<c::Slot>& slots, const std::string& key) {
  for (const auto& s : slots) {
    if (c::slot_key(s) == key) return &s;
  }
  return nullptr;
}

// A store of slot records keyed like the records, to which plans are applied.
using Store = std::map<std::string, c::Slot>;
std::vector<c::Slot> values(const Store& st) {
  std::vector<c::Slot> out;
  for (const auto& [k, v] : st) out.push_back(v);
  return out;
}
void apply_plan(Store& st, const c::RegenerationPlan& plan) {
  for (const auto& s : plan.upserts) st[c::slot_key(s)] = s;
  for (const auto& k : plan.removals) st.erase(k);
}
}  // namespace

TEST_CASE("A pattern gives slots on working days only, around Golden Week 2026 (MST-4)", "[console][slots]") {
  const auto b = calendar_with();
  const auto slots = generate(weekday_counter(), {2026, 4, 27}, {2026, 5, 8}, b);
  // 4/29 昭和の日; 5/4 みどりの日, 5/5 こどもの日, 5/6 振替休日 (5/3 was a Sunday); 5/2, 5/3 weekend.
  CHECK(days_of(slots) ==
        std::set<std::string>{"2026-04-27", "2026-04-28", "2026-04-30", "2026-05-01", "2026-05-07", "2026-05-08"});
  REQUIRE(slots.size() == 12);
  CHECK(c::slot_key(slots[0]) == "1:2026-04-27T09:00");
  CHECK(c::slot_key(slots[1]) == "1:2026-04-27T09:30");
  CHECK(slots[0].minutes == 30);
  CHECK(slots[0].capacity == 1);
  CHECK(slots[0].open);
  CHECK_FALSE(slots[0].edited);
  // The slot of 5/7 (Thu), one day before: 5/6..5/2 are closed, so the Friday 5/1 at 17:00 (MST-5).
  const auto* after_gw = find(slots, "1:2026-05-07T09:00");
  REQUIRE(after_gw != nullptr);
  CHECK(c::format_date_time(after_gw->deadline) == "2026-05-01T17:00");
}

TEST_CASE("No slots in the year-end closure, Saturday bands open on Saturdays outside it (MST-4)",
          "[console][slots]") {
  const auto b = calendar_with();
  auto k = weekday_counter();
  k.week[static_cast<std::size_t>(cal::Weekday::saturday)] = {{hm(9, 0), hm(9, 30)}};
  const auto slots = generate(k, {2026, 12, 21}, {2027, 1, 9}, b);
  // 12/29 (Tue) .. 1/3 (Sun) closed; 1/2 is a Saturday inside the closure.
  CHECK(days_of(slots) == std::set<std::string>{"2026-12-21", "2026-12-22", "2026-12-23", "2026-12-24", "2026-12-25",
                                                "2026-12-26", "2026-12-28", "2027-01-04", "2027-01-05", "2027-01-06",
                                                "2027-01-07", "2027-01-08", "2027-01-09"});
  // Deadline of the first day after the closure: 1/3 .. 12/29 are closed, so 12/28 (MST-5).
  const auto* first = find(slots, "1:2027-01-04T09:00");
  REQUIRE(first != nullptr);
  CHECK(c::format_date_time(first->deadline) == "2026-12-28T17:00");
  // A Saturday slot's deadline, one day before: the Friday.
  const auto* sat = find(slots, "1:2026-12-26T09:00");
  REQUIRE(sat != nullptr);
  CHECK(c::format_date_time(sat->deadline) == "2026-12-25T17:00");
}

TEST_CASE("An administrator's closure day has no slots and moves deadlines (MST-4, MST-5)", "[console][slots]") {
  const auto b = calendar_with({{2026, 11, 26}});
  const auto slots = generate(weekday_counter(), {2026, 11, 23}, {2026, 11, 27}, b);
  // 11/23 勤労感謝の日 (Mon), 11/26 closed by the administrator.
  CHECK(days_of(slots) == std::set<std::string>{"2026-11-24", "2026-11-25", "2026-11-27"});
  // 11/24 (Tue), one day before: 11/23 holiday, 11/22-21 weekend, so Friday 11/20.
  CHECK(c::format_date_time(find(slots, "1:2026-11-24T09:00")->deadline) == "2026-11-20T17:00");
  // 11/27, one day before: 11/26 closed, so 11/25.
  CHECK(c::format_date_time(find(slots, "1:2026-11-27T09:30")->deadline) == "2026-11-25T17:00");
}

TEST_CASE("Deadlines on the slot day close at the slot's start at the latest (MST-5)", "[console][slots]") {
  const auto b = calendar_with();
  auto k = weekday_counter();
  k.deadline_days_before = 0;
  k.deadline_time = hm(9, 15);
  const auto slots = generate(k, {2026, 11, 30}, {2026, 11, 30}, b);
  REQUIRE(slots.size() == 2);
  CHECK(c::format_date_time(slots[0].deadline) == "2026-11-30T09:00");
  CHECK(c::format_date_time(slots[1].deadline) == "2026-11-30T09:15");
}

TEST_CASE("Only slots wholly inside valid_from..valid_until are generated (MST-3)", "[console][slots]") {
  const auto b = calendar_with();
  auto k = weekday_counter();
  k.valid_from = {{2026, 11, 25}, hm(9, 30)};
  k.valid_until = c::LocalDateTime{{2026, 11, 27}, hm(9, 45)};
  const auto slots = generate(k, {2026, 11, 24}, {2026, 11, 30}, b);
  CHECK(keys_of(slots) == std::vector<std::string>{"1:2026-11-25T09:30", "1:2026-11-26T09:00", "1:2026-11-26T09:30",
                                                   "1:2026-11-27T09:00"});
}

TEST_CASE("A year for ten counters in one step (MST-1, MST-4)", "[console][slots]") {
  const auto b = calendar_with();
  std::size_t total = 0;
  for (int i = 1; i <= 10; ++i) {
    auto k = weekday_counter();
    k.id = "c" + std::to_string(i);
    const auto mon = static_cast<std::size_t>(cal::Weekday::monday);
    k.week[mon] = {{hm(9, 0), hm(12, 0)}, {hm(13, 0), hm(17, 0)}};  // 14 on Mondays
    auto g = c::generate_slots(k, {2027, 1, 1}, {2027, 12, 31}, b);
    REQUIRE(g.ok());
    CHECK(g->counter == k.id);
    std::size_t mondays = 0;
    std::size_t others = 0;
    for (const auto& s : g->slots) {
      CHECK(b.is_working_day(s.start.date));
      (cal::weekday_of(s.start.date) == cal::Weekday::monday ? mondays : others) += 1;
    }
    // 2027 has 52 Mondays; 1/11 成人の日, 3/22 振替休日 (春分の日 3/21 is a Sunday), 5/3 憲法記念日,
    // 7/19 海の日, 9/20 敬老の日 and 10/11 スポーツの日 are holidays; 1/4 is a working day.
    CHECK(mondays == 46 * 14);
    CHECK_FALSE(find(g->slots, k.id + ":2027-03-22T09:00"));
    CHECK(find(g->slots, k.id + ":2027-01-04T09:00"));
    total += g->slots.size();
  }
  CHECK(total > 10 * 200 * 2);
}

TEST_CASE("A slot round-trips through its slot record and is edited one by one (MST-4)", "[console][slots]") {
  CHECK(c::kSlotEntity == "slot");
  const auto b = calendar_with();
  auto s = generate(weekday_counter(), {2026, 11, 30}, {2026, 11, 30}, b).at(0);
  const auto text = c::dump_body(c::slot_to_json(s));
  CHECK(text == R"({"capacity":1,"counter":"1","deadline":"2026-11-27T17:00","edited":false,"minutes":30,)"
                R"("note":"","open":true,"start":"2026-11-30T09:00"})");
  auto back = c::slot_from_json(*c::parse_body(text));
  REQUIRE(back.ok());
  CHECK(*back == s);

  auto edited = c::apply_slot_edit(s, {.capacity = 3, .open = std::nullopt, .note = "応援職員あり"});
  REQUIRE(edited.ok());
  CHECK(edited->capacity == 3);
  CHECK(edited->open);
  CHECK(edited->edited);
  CHECK(edited->note == "応援職員あり");
  auto closed = c::apply_slot_edit(*edited, {.capacity = std::nullopt, .open = false, .note = std::nullopt});
  REQUIRE(closed.ok());
  CHECK_FALSE(closed->open);
  CHECK(closed->capacity == 3);

  auto too_many = c::apply_slot_edit(s, {.capacity = 100, .open = std::nullopt, .note = std::nullopt});
  REQUIRE_FALSE(too_many.ok());
  CHECK(too_many.error().message == "capacity: must be 0-99");
  CHECK_FALSE(s.edited);  // the input is unchanged
  auto long_note = c::apply_slot_edit(s, {.capacity = std::nullopt, .open = std::nullopt,
                                          .note = std::string(c::kMaxSlotNoteChars + 1, 'x')});
  REQUIRE_FALSE(long_note.ok());
  CHECK(long_note.error().message.rfind("note: ", 0) == 0);
}

TEST_CASE("A slot body from outside is read strictly", "[console][slots]") {
  const auto b = calendar_with();
  const auto s = generate(weekday_counter(), {2026, 11, 30}, {2026, 11, 30}, b).at(0);
  auto refusal = [&](const char* key, const nlohmann::json& value) {
    auto j = c::slot_to_json(s);
    j[key] = value;
    auto r = c::slot_from_json(j);
    REQUIRE_FALSE(r.ok());
    return r.error();
  };
  CHECK(refusal("booked", 1).code == Errc::malformed);  // a booked count is not part of a slot
  CHECK(refusal("capacity", "1").code == Errc::malformed);
  CHECK(refusal("open", 1).code == Errc::malformed);
  CHECK(refusal("start", "2026-11-30 09:00").message.rfind("start: ", 0) == 0);
  CHECK(refusal("counter", "1:2").message.rfind("counter: ", 0) == 0);
  CHECK(refusal("minutes", 4).message == "minutes: must be 5-240");
  CHECK(refusal("deadline", "2026-11-30T09:01").message == "deadline: must not be after the slot's start");
  auto late = c::slot_to_json(s);
  late["start"] = "2026-11-30T23:45";
  auto r = c::slot_from_json(late);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "minutes: the slot must end by 24:00 of its day");
  auto missing = c::slot_to_json(s);
  missing.erase("edited");
  CHECK(c::slot_from_json(missing).error().code == Errc::malformed);
}

TEST_CASE("Generation refuses bad ranges and bad masters", "[console][slots]") {
  const auto b = calendar_with();
  const auto k = weekday_counter();
  auto e = c::generate_slots(k, {2026, 5, 2}, {2026, 5, 1}, b);
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().message == "to: must not be before from");
  e = c::generate_slots(k, {2026, 1, 1}, {2027, 2, 5}, b);  // 401 days
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().code == Errc::invalid_argument);
  CHECK(c::generate_slots(k, {2026, 1, 1}, {2027, 2, 4}, b).ok());  // 400 days
  e = c::generate_slots(k, {2026, 2, 29}, {2026, 3, 1}, b);
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().message == "from: must be a valid date");
  e = c::generate_slots(k, {2099, 12, 30}, {2100, 1, 4}, b);  // the rules end with 2099
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().message == "to: 2100-01-01 is not covered by the holiday calendar");
  auto bad = k;
  bad.minutes_per_visit = 7;  // 60 is not a multiple of 7
  e = c::generate_slots(bad, {2026, 11, 30}, {2026, 11, 30}, b);
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().message.rfind("week.mon[0]: ", 0) == 0);
}

TEST_CASE("Regeneration keeps edited and booked slots and reports what changed (MST-4)", "[console][slots]") {
  const auto b = calendar_with();
  auto k = weekday_counter();
  const cal::Date from{2026, 11, 30};  // Mon
  const cal::Date to{2026, 12, 6};     // Sun

  // Generate in one step into an empty store.
  auto first = c::generate_slots(k, from, to, b);
  REQUIRE(first.ok());
  Store store;
  auto plan = c::apply_regeneration({}, *first, {});
  REQUIRE(plan.ok());
  CHECK(plan->added == 10);
  CHECK(plan->removals.empty());
  apply_plan(store, *plan);
  REQUIRE(store.size() == 10);

  // Slots of another counter and of other days are out of scope and never touched.
  c::Slot other = store.at("1:2026-11-30T09:00");
  other.counter = "2";
  store[c::slot_key(other)] = other;
  c::Slot later = store.at("1:2026-11-30T09:00");
  later.start.date = {2026, 12, 7};
  later.deadline.date = {2026, 12, 4};
  store[c::slot_key(later)] = later;

  // Edit single slots: close Tuesday 09:00; raise Friday 09:30; add a slot by hand on Saturday.
  store["1:2026-12-01T09:00"] =
      *c::apply_slot_edit(store.at("1:2026-12-01T09:00"), {.capacity = std::nullopt, .open = false, .note = "研修"});
  store["1:2026-12-04T09:30"] =
      *c::apply_slot_edit(store.at("1:2026-12-04T09:30"), {.capacity = 5, .open = std::nullopt, .note = std::nullopt});
  c::Slot saturday{.counter = "1", .start = {{2026, 12, 5}, hm(9, 0)}, .minutes = 30, .capacity = 2,
                   .deadline = {{2026, 12, 4}, hm(17, 0)}, .open = true, .edited = true, .note = "休日開庁"};
  REQUIRE(c::validate_slot(saturday).ok());
  store[c::slot_key(saturday)] = saturday;

  // Regenerating the unchanged pattern changes nothing.
  plan = c::apply_regeneration(values(store), *first, {});
  REQUIRE(plan.ok());
  CHECK(plan->upserts.empty());
  CHECK(plan->removals.empty());
  CHECK(plan->unchanged == 8);
  CHECK(plan->kept_edited == 3);

  // The master changes: two bookings a slot, and no Friday any more. Thursday 09:30 has a booking.
  k.capacity_per_slot = 2;
  k.week[static_cast<std::size_t>(cal::Weekday::friday)].clear();
  auto second = c::generate_slots(k, from, to, b);
  REQUIRE(second.ok());
  plan = c::apply_regeneration(values(store), *second, {"1:2026-12-04T09:00"});
  REQUIRE(plan.ok());
  CHECK(plan->added == 0);
  CHECK(plan->changed == 7);      // Mon 2, Tue 09:30, Wed 2, Thu 2
  CHECK(plan->removed == 0);
  CHECK(plan->kept_booked == 1);  // Friday 09:00 has a booking
  CHECK(plan->kept_edited == 3);  // Tuesday 09:00, Friday 09:30, Saturday
  CHECK(plan->unchanged == 0);
  apply_plan(store, *plan);

  CHECK(store.at("1:2026-11-30T09:00").capacity == 2);
  CHECK(store.at("1:2026-12-01T09:30").capacity == 2);
  CHECK_FALSE(store.at("1:2026-12-01T09:00").open);  // the edit survived
  CHECK(store.at("1:2026-12-01T09:00").capacity == 1);
  CHECK(store.at("1:2026-12-01T09:00").note == "研修");
  CHECK(store.at("1:2026-12-04T09:30").capacity == 5);
  CHECK(store.contains("1:2026-12-04T09:00"));
  CHECK(store.contains("1:2026-12-05T09:00"));
  CHECK(store.at("2:2026-11-30T09:00").capacity == 1);  // another counter: untouched
  CHECK(store.contains("1:2026-12-07T09:00"));          // outside the range: untouched

  // Once its booking is gone, the Friday slot goes too.
  plan = c::apply_regeneration(values(store), *second, {});
  REQUIRE(plan.ok());
  CHECK(plan->removals == std::vector<std::string>{"1:2026-12-04T09:00"});
  CHECK(plan->removed == 1);
  CHECK(plan->upserts.empty());
}

TEST_CASE("Regeneration refuses generations that do not describe one counter and range", "[console][slots]") {
  const auto b = calendar_with();
  auto g = c::generate_slots(weekday_counter(), {2026, 11, 30}, {2026, 11, 30}, b);
  REQUIRE(g.ok());
  auto dup = *g;
  dup.slots.push_back(dup.slots.front());
  auto r = c::apply_regeneration({}, dup, {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "generated: slot 1:2026-11-30T09:00 appears twice");

  auto stray = *g;
  stray.slots.front().counter = "2";
  r = c::apply_regeneration({}, stray, {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::invalid_argument);

  std::vector<c::Slot> twice{g->slots.front(), g->slots.front()};
  r = c::apply_regeneration(twice, *g, {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "existing: slot 1:2026-11-30T09:00 appears twice");
}
