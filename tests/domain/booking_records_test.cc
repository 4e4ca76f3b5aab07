// The booking use cases over a fake record port (domain/booking_records.h; issue 10, RSV-8,
// RSV-12, PHN-4, PHN-5): the functions the hub and the counter PCs both call.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "madoguchi/domain/booking_records.h"

namespace d = madoguchi::domain;
using madoguchi::Errc;
using madoguchi::Expected;

namespace {

constexpr int hm(int h, int m) { return h * 60 + m; }

d::CounterMaster counter(std::string id, bool visible) {
  d::CounterMaster k;
  k.id = std::move(id);
  k.name = "窓口" + k.id;
  k.businesses = {d::Business::collection};
  k.week[1] = {{hm(9, 0), hm(12, 0)}};
  k.minutes_per_visit = 30;
  k.capacity_per_slot = 2;
  k.valid_from = {{2026, 1, 1}, 0};
  k.deadline_days_before = 1;
  k.deadline_time = hm(17, 0);
  k.visible_on_site = visible;
  return k;
}

d::Slot slot(int minute) {
  d::Slot s;
  s.counter = "1";
  s.start = {{2026, 11, 30}, minute};
  s.minutes = 30;
  s.capacity = 2;
  s.deadline = {{2026, 11, 27}, hm(17, 0)};
  return s;
}

d::Card card(const std::string& no) {
  d::Card c;
  c.manufacture_no = no;
  c.name_kanji = "山田 太郎";
  c.birth_date = "1980-04-01";
  return c;
}

// Records in maps; places are counted from the bookings like booking_places does.
class FakeRecords final : public d::BookingRecords {
 public:
  d::Settings settings_value;
  std::map<std::string, d::CounterMaster> counters_by_id;
  std::map<std::string, d::Slot> slots;
  std::map<std::string, d::Versioned<d::Card>> cards;
  std::map<std::string, d::Versioned<d::Booking>> bookings;

  Expected<d::Settings> settings() override { return settings_value; }
  Expected<std::vector<d::CounterMaster>> counters() override {
    std::vector<d::CounterMaster> out;
    for (const auto& [id, c] : counters_by_id) out.push_back(c);
    return out;
  }
  Expected<std::optional<d::CounterMaster>> counter(std::string_view id) override {
    auto it = counters_by_id.find(std::string(id));
    return it == counters_by_id.end() ? std::optional<d::CounterMaster>() : std::optional<d::CounterMaster>(it->second);
  }
  Expected<std::optional<d::Slot>> slot(std::string_view key) override {
    auto it = slots.find(std::string(key));
    return it == slots.end() ? std::optional<d::Slot>() : std::optional<d::Slot>(it->second);
  }
  Expected<int> places_taken(std::string_view slot_key, std::string_view except) override {
    int n = 0;
    for (const auto& [r, b] : bookings) {
      if (r != except && b.value.slot == slot_key) n += d::booking_places(b.value);
    }
    return n;
  }
  Expected<std::optional<d::Versioned<d::Card>>> card(std::string_view no) override {
    auto it = cards.find(std::string(no));
    return it == cards.end() ? std::optional<d::Versioned<d::Card>>() : std::optional<d::Versioned<d::Card>>(it->second);
  }
  Expected<std::optional<d::Versioned<d::Booking>>> booking(std::string_view receipt) override {
    auto it = bookings.find(std::string(receipt));
    return it == bookings.end() ? std::optional<d::Versioned<d::Booking>>() : std::optional<d::Versioned<d::Booking>>(it->second);
  }

  void add_slot(const d::Slot& s) { slots[d::slot_key(s)] = s; }
  void add_booking(const d::Booking& b) { bookings[b.receipt] = {b, 7}; }
};

const d::BookingActor kResident{d::BookingActor::Kind::resident, "", false};
const d::BookingActor kClerk{d::BookingActor::Kind::staff, "clerk1", false};
const d::BookingActor kChief{d::BookingActor::Kind::staff, "chief1", true};
const d::LocalDateTime kBeforeDeadline{{2026, 11, 20}, hm(10, 0)};
const d::LocalDateTime kAfterDeadline{{2026, 11, 28}, hm(10, 0)};
// 2026-11-20 10:00 JST in Unix milliseconds.
constexpr std::int64_t kBeforeDeadlineMs = 1'763'600'400'000;

d::Booking booking(const std::string& receipt, const d::BookingActor& actor, int minute, std::vector<std::string> cards) {
  d::NewBooking r;
  r.slot = d::slot_key(slot(minute));
  for (auto& c : cards) r.people.push_back({c, ""});
  r.phone = "03-0000-0000";
  d::Booking b = d::booking_from_request(r, actor, "1", 1000);
  b.receipt = receipt;
  b.password_hash = d::hash_booking_password("ABCDEFGH23", true).value();
  return b;
}

FakeRecords records() {
  FakeRecords r;
  r.counters_by_id = {{"1", counter("1", true)}, {"2", counter("2", false)}};
  r.add_slot(slot(hm(9, 0)));
  r.add_slot(slot(hm(9, 30)));
  r.cards["MN00000000000001"] = {card("MN00000000000001"), 3};
  return r;
}

}  // namespace

TEST_CASE("Counters a resident may book are the visible ones still valid, and staff see every one (RSV-8, PHN-4)",
          "[domain][booking_records]") {
  FakeRecords r = records();
  r.counters_by_id["3"] = counter("3", true);
  r.counters_by_id["3"].valid_until = d::LocalDateTime{{2026, 11, 1}, 0};
  auto resident = d::bookable_counters(r, d::Business::collection, kResident, kBeforeDeadline);
  REQUIRE(resident.ok());
  REQUIRE(resident->size() == 1);
  CHECK((*resident)[0].id == "1");
  CHECK(d::bookable_counters(r, d::Business::collection, kClerk, kBeforeDeadline)->size() == 3);
  CHECK(d::bookable_counters(r, d::Business::application, kClerk, kBeforeDeadline)->empty());
}

TEST_CASE("The check before a write: the resident's window, the booking rule for staff with the override permission "
          "(RSV-8, RSV-12, PHN-5)",
          "[domain][booking_records]") {
  FakeRecords r = records();
  d::Booking full = booking("R-1", kClerk, hm(9, 0), {"MN00000000000002", "MN00000000000003"});
  r.add_booking(full);
  // The slot is full: refused for both (capacity); staff with the permission may override the capacity.
  d::Booking web = booking("R-2", kResident, hm(9, 0), {"MN00000000000001"});
  CHECK(d::check_booking_write(r, nullptr, web, kResident, kBeforeDeadline).error().code == Errc::capacity);
  d::Booking phone = booking("R-3", kClerk, hm(9, 0), {"MN00000000000001"});
  CHECK(d::check_booking_write(r, nullptr, phone, kClerk, kBeforeDeadline).error().code == Errc::capacity);
  phone.override_flags.capacity = true;
  CHECK_FALSE(d::check_booking_write(r, nullptr, phone, kClerk, kBeforeDeadline).ok());
  CHECK(d::check_booking_write(r, nullptr, phone, kChief, kBeforeDeadline).ok());
  // After the deadline a resident changes nothing, staff may cancel.
  d::Booking mine = booking("R-4", kResident, hm(9, 30), {"MN00000000000001"});
  r.add_booking(mine);
  d::Booking cancelled = mine;
  cancelled.cancelled = true;
  CHECK(d::check_booking_write(r, &mine, cancelled, kResident, kAfterDeadline).error().code == Errc::forbidden);
  CHECK(d::check_booking_write(r, &mine, cancelled, kResident, kBeforeDeadline).ok());
  CHECK(d::check_booking_write(r, &mine, cancelled, kClerk, kAfterDeadline).ok());
  // A resident moves only to a slot the site would offer: the full one is refused.
  d::Booking moved = mine;
  moved.slot = d::slot_key(slot(hm(9, 0)));
  CHECK_FALSE(d::check_booking_write(r, &mine, moved, kResident, kBeforeDeadline).ok());
  // A slot that is not there.
  d::Booking nowhere = web;
  nowhere.slot = "1:2026-12-01T09:00";
  CHECK(d::check_booking_write(r, nullptr, nowhere, kResident, kBeforeDeadline).error().code == Errc::not_found);
}

TEST_CASE("Planned changes read the stored booking with its version, and the cards follow with theirs (RSV-12, ISS-10)",
          "[domain][booking_records]") {
  FakeRecords r = records();
  CHECK(d::plan_booking_update(r, "R-9", d::BookingUpdate{}, kClerk, kBeforeDeadlineMs).error().code == Errc::not_found);
  d::Booking b = booking("R-1", kClerk, hm(9, 0), {"MN00000000000001", "MN00000000000009"});
  r.add_booking(b);
  d::BookingUpdate u;
  u.slot = d::slot_key(slot(hm(9, 30)));
  auto plan = d::plan_booking_update(r, "R-1", u, kClerk, kBeforeDeadlineMs);
  REQUIRE(plan.ok());
  CHECK(plan->changed);
  CHECK(plan->before.version == 7);
  CHECK(plan->after.slot == "1:2026-11-30T09:30");
  // Nothing differs: nothing to write.
  auto same = d::plan_booking_update(r, "R-1", d::BookingUpdate{}, kClerk, kBeforeDeadlineMs);
  REQUIRE(same.ok());
  CHECK_FALSE(same->changed);
  // The card the records hold follows, at the version read; the one they lack is counted.
  auto cards = d::follow_cards(r, &b, plan->after, "clerk1", kBeforeDeadlineMs);
  REQUIRE(cards.ok());
  REQUIRE(cards->changed.size() == 1);
  CHECK(cards->changed[0].version == 3);
  REQUIRE(cards->changed[0].value.booking.has_value());
  CHECK(cards->changed[0].value.booking->at == "2026-11-30T09:30");
  CHECK(cards->skipped == 1);
  // A cancellation, and a second one refused.
  auto cancel = d::plan_booking_cancel(r, "R-1", "本人から電話", kClerk, kBeforeDeadlineMs);
  REQUIRE(cancel.ok());
  CHECK(cancel->after.cancelled);
  r.add_booking(cancel->after);
  CHECK(d::plan_booking_cancel(r, "R-1", "", kClerk, kBeforeDeadlineMs).error().code == Errc::forbidden);
}

TEST_CASE("A slot list's bookable flag: the resident's window, or the booking rule for staff without override",
          "[domain][booking_records]") {
  const auto k = counter("1", true);
  const auto s = slot(hm(9, 0));
  CHECK(d::may_book_slot(k, s, d::Business::collection, 0, 1, kResident, kBeforeDeadline, 60).ok());
  CHECK_FALSE(d::may_book_slot(k, s, d::Business::collection, 2, 1, kResident, kBeforeDeadline, 60).ok());
  CHECK(d::may_book_slot(k, s, d::Business::collection, 2, 1, kChief, kBeforeDeadline, 60).error().code == Errc::capacity);
  CHECK(d::may_book_slot(k, s, d::Business::collection, 0, 1, kClerk, kAfterDeadline, 60).error().message.find("deadline") !=
        std::string::npos);
  // A counter hidden from the site: staff book it (PHN-4), residents do not.
  d::CounterMaster hidden = counter("1", false);
  CHECK(d::may_book_slot(hidden, s, d::Business::collection, 0, 1, kClerk, kBeforeDeadline, 60).ok());
  CHECK(d::may_book_slot(hidden, s, d::Business::collection, 0, 1, kResident, kBeforeDeadline, 60).error().code ==
        Errc::forbidden);
}
