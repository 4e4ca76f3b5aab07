// Records for booking tests at the hub: a counter "1" handling collection, slots with a chosen
// capacity, roles with and without Menu::booking_override (PHN-5), staff, cards, and booking
// bodies. "Now" is 2026-11-20 10:00 in Japan; the slots are on 2026-11-30 with their deadline on
// 2026-11-27 17:00.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "madoguchi/domain/booking.h"
#include "madoguchi/domain/card.h"
#include "madoguchi/domain/counter_master.h"
#include "madoguchi/domain/permissions.h"
#include "madoguchi/domain/record_body.h"
#include "madoguchi/domain/slots.h"
#include "madoguchi/domain/staff.h"
#include "madoguchi/hub/hub_store.h"

namespace madoguchi::testing::booking {

namespace c = madoguchi::domain;
using madoguchi::protocol::OpKind;

// 2026-11-20T10:00 Japan time (01:00 UTC).
inline constexpr std::int64_t kNowMs = 1'795'136'400'000;
inline const std::string kSlot = "1:2026-11-30T09:00";
inline const std::string kOtherSlot = "1:2026-11-30T09:30";

inline c::LocalDateTime at(std::string_view text) { return c::parse_date_time(text).value(); }

inline c::CounterMaster counter() {
  c::CounterMaster m;
  m.id = "1";
  m.name = "本庁舎窓口";
  m.businesses = {c::Business::collection, c::Business::application};
  for (auto& day : m.week) day = {c::TimeBand{9 * 60, 12 * 60}};
  m.minutes_per_visit = 30;
  m.capacity_per_slot = 3;
  m.valid_from = at("2026-01-01T00:00");
  m.deadline_days_before = 1;
  m.deadline_time = 17 * 60;
  return m;
}

inline c::Slot slot(const std::string& key, int capacity) {
  c::Slot s;
  s.counter = "1";
  s.start = c::parse_slot_key(key).value().start;
  s.minutes = 30;
  s.capacity = capacity;
  s.deadline = at("2026-11-27T17:00");
  return s;
}

inline const std::string& password_hash() {
  static const std::string h = c::hash_booking_password("ABCDEFGH23", true).value();
  return h;
}

inline std::string manufacture_no(int i) {
  std::string digits = std::to_string(i);
  return "MN" + std::string(14 - digits.size(), '0') + digits;
}

// A booking of `people` persons (collection), by a resident (staff empty) or by phone.
inline c::Booking booking(const std::string& receipt, const std::string& slot_key, int people, int first_person,
                          const std::string& staff = "", c::BookingOverride override_flags = {}) {
  c::Booking b;
  b.receipt = receipt;
  b.password_hash = password_hash();
  b.business = c::Business::collection;
  b.counter = "1";
  b.slot = slot_key;
  for (int i = 0; i < people; ++i) b.people.push_back({manufacture_no(first_person + i), ""});
  b.email = "taro@example.jp";
  b.channel = staff.empty() ? c::BookingChannel::web : c::BookingChannel::phone;
  b.staff = staff;
  b.override_flags = override_flags;
  b.created_ms = b.updated_ms = kNowMs;
  c::add_booking_event(b, c::BookingEvent{kNowMs, "created", staff.empty() ? "web" : "staff:" + staff, slot_key, ""});
  return b;
}

inline std::string body(const c::Booking& b) { return c::dump_body(c::booking_to_json(b)); }

// Writes the counter, the two slots, roles "clerk" (phone bookings) and "chief" (also the
// override), and staff "clerk1" / "chief1".
inline void seed(hub::HubStore& store, int capacity) {
  auto put = [&](std::string_view entity, const std::string& key, const nlohmann::json& j) {
    REQUIRE(store.write_local(std::string(entity), key, OpKind::upsert, c::dump_body(j), 0, kNowMs).ok());
  };
  put("counter", "1", c::counter_to_json(counter()));
  put("slot", kSlot, c::slot_to_json(slot(kSlot, capacity)));
  put("slot", kOtherSlot, c::slot_to_json(slot(kOtherSlot, capacity)));
  put(c::kRoleEntity, "clerk", c::role_to_json(c::Role{"clerk", "窓口担当", {c::Menu::home, c::Menu::phone_bookings}}));
  put(c::kRoleEntity, "chief",
      c::role_to_json(c::Role{"chief", "係長", {c::Menu::home, c::Menu::phone_bookings, c::Menu::booking_override}}));
  for (auto [id, role] : {std::pair<std::string, std::string>{"clerk1", "clerk"}, {"chief1", "chief"}}) {
    c::StaffAccount a;
    a.id = id;
    a.name = "職員" + id;
    a.role_id = role;
    a.password_hash = password_hash();
    put(c::kStaffEntity, id, c::staff_to_json(a));
  }
}

inline c::Card card(int i, const std::string& postcard_no, const std::string& birth_date) {
  c::Card k;
  k.manufacture_no = manufacture_no(i);
  k.postcard_no = postcard_no;
  k.name_kanji = "山田太郎";
  k.birth_date = birth_date;
  return k;
}

}  // namespace madoguchi::testing::booking
