// Changing and cancelling a booking: the one definition the hub and the counter PC call
// (domain/booking_change.h; RSV-12, PHN-5, PHN-6, issue 10).
#include <catch2/catch.hpp>

#include "madoguchi/domain/booking_change.h"

namespace d = madoguchi::domain;
using madoguchi::Errc;

namespace {
d::Booking phone_booking() {
  d::NewBooking r;
  r.slot = "1:2026-11-30T09:00";
  r.people = {{"MN00000000000001", ""}};
  r.phone = "03-0000-0000";
  d::Booking b = d::booking_from_request(r, {d::BookingActor::Kind::staff, "clerk1", false}, "1", 1000);
  b.receipt = "R-0001";
  b.password_hash = d::hash_booking_password("ABCDEFGH23", true).value();
  return b;
}
const d::BookingActor kChief{d::BookingActor::Kind::staff, "chief1", true};
}  // namespace

TEST_CASE("A change names what the resident sees, and 申し送り alone is an internal note", "[domain][booking_change]") {
  const d::Booking b = phone_booking();
  REQUIRE(b.history.size() == 1);
  CHECK(b.history[0].action == "created");
  CHECK(b.history[0].by == "staff:clerk1");
  d::BookingUpdate u;
  u.slot = "1:2026-11-30T09:30";
  u.phone = "090-0000-0000";
  u.note = "付き添いあり";
  auto r = d::apply_booking_update(b, u, kChief, 2000);
  REQUIRE(r.ok());
  CHECK(r->changed);
  CHECK(r->after.counter == "1");
  CHECK(r->after.staff == "chief1");
  CHECK(r->after.updated_ms == 2000);
  CHECK(r->after.history.back().action == "changed");
  CHECK(r->after.history.back().note == "日時・電話番号・申し送りを変更");
  d::BookingUpdate note;
  note.note = "来庁済み";
  auto n = d::apply_booking_update(r->after, note, kChief, 3000);
  REQUIRE(n.ok());
  CHECK(n->after.history.back().action == "note");
  CHECK(n->after.history.back().note == "申し送りを変更");
  // Nothing differs: nothing changes.
  auto same = d::apply_booking_update(n->after, note, kChief, 4000);
  REQUIRE(same.ok());
  CHECK_FALSE(same->changed);
  CHECK(same->after == n->after);
}

TEST_CASE("Override flags follow staff changes of phone bookings only, and a resident's update never sets them (PHN-5)",
          "[domain][booking_change]") {
  const d::Booking b = phone_booking();
  d::BookingUpdate u;
  u.override_flags.capacity = true;
  auto r = d::apply_booking_update(b, u, kChief, 2000);
  REQUIRE(r.ok());
  CHECK(r->changed);
  CHECK(r->after.override_flags.capacity);
  CHECK(r->after.history.back().action == "note");
  d::Booking web = b;
  web.channel = d::BookingChannel::web;
  web.staff.clear();
  auto resident = d::apply_booking_update(web, u, d::BookingActor{}, 2000);
  REQUIRE(resident.ok());
  CHECK_FALSE(resident->changed);
  CHECK_FALSE(resident->after.override_flags.capacity);
}

TEST_CASE("A cancellation is recorded once, and a cancelled booking is neither changed nor cancelled again",
          "[domain][booking_change]") {
  const d::Booking b = phone_booking();
  auto c = d::apply_booking_cancel(b, std::string(250, 'x'), kChief, 2000);
  REQUIRE(c.ok());
  CHECK(c->cancelled);
  CHECK(d::booking_places(*c) == 0);
  CHECK(c->history.back().action == "cancelled");
  CHECK(c->history.back().note == std::string(199, 'x') + "…");  // 200 characters
  CHECK(d::apply_booking_cancel(*c, "", kChief, 3000).error().code == Errc::forbidden);
  d::BookingUpdate u;
  u.note = "x";
  CHECK(d::apply_booking_update(*c, u, kChief, 3000).error().code == Errc::forbidden);
  d::BookingUpdate bad;
  bad.slot = "not a slot";
  CHECK(d::apply_booking_update(b, bad, kChief, 3000).error().code == Errc::invalid_argument);
}
