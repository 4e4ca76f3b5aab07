#include "madoguchi/domain/booking_change.h"

#include <string>
#include <vector>

#include "text.h"

namespace madoguchi::domain {

namespace {

constexpr std::size_t kMaxEventNoteChars = 200;  // an event note is 0-200 characters

}  // namespace

std::string booking_actor_name(const BookingActor& actor) {
  return actor.kind == BookingActor::Kind::staff ? "staff:" + actor.staff_id : std::string("web");
}

Expected<BookingChangeResult> apply_booking_update(const Booking& before, const BookingUpdate& u,
                                                   const BookingActor& actor, std::int64_t now_ms) {
  if (before.cancelled) return make_error(Errc::forbidden, "booking " + before.receipt + " is cancelled");
  const bool staff = actor.kind == BookingActor::Kind::staff;
  Booking after = before;
  std::vector<std::string> seen;      // what the resident sees
  std::vector<std::string> internal;  // 申し送り
  if (u.slot && *u.slot != before.slot) {
    auto ref = parse_slot_key(*u.slot);
    if (!ref) return make_error(Errc::invalid_argument, "slot: not a slot key");
    after.slot = *u.slot;
    after.counter = ref->counter;
    seen.emplace_back("日時");
  }
  if (u.proxy && *u.proxy != before.proxy) {
    after.proxy = *u.proxy;
    seen.emplace_back("代理人");
  }
  if (u.email && *u.email != before.email) {
    after.email = *u.email;
    seen.emplace_back("メールアドレス");
  }
  if (u.phone && *u.phone != before.phone) {
    after.phone = *u.phone;
    seen.emplace_back("電話番号");
  }
  if (u.note && *u.note != before.note) {
    after.note = *u.note;
    internal.emplace_back("申し送り");
  }
  const bool staff_on_phone_booking = staff && before.channel == BookingChannel::phone;
  if (staff_on_phone_booking) after.override_flags = u.override_flags;
  if (seen.empty() && internal.empty() && after.override_flags == before.override_flags) {
    return BookingChangeResult{before, false};
  }
  if (staff_on_phone_booking) after.staff = actor.staff_id;
  after.updated_ms = now_ms;
  std::string what;
  for (const auto* list : {&seen, &internal}) {
    for (const auto& w : *list) what += (what.empty() ? "" : "・") + w;
  }
  add_booking_event(after, BookingEvent{now_ms, seen.empty() ? "note" : "changed", booking_actor_name(actor), after.slot,
                                        what.empty() ? std::string() : what + "を変更"});
  if (auto st = validate_booking(after); !st) return st.error();
  return BookingChangeResult{std::move(after), true};
}

Expected<Booking> apply_booking_cancel(const Booking& before, std::string_view note, const BookingActor& actor,
                                       std::int64_t now_ms) {
  if (before.cancelled) return make_error(Errc::forbidden, "booking " + before.receipt + " is already cancelled");
  Booking after = before;
  after.cancelled = true;
  after.updated_ms = now_ms;
  if (actor.kind == BookingActor::Kind::staff && before.channel == BookingChannel::phone) after.staff = actor.staff_id;
  add_booking_event(after, BookingEvent{now_ms, "cancelled", booking_actor_name(actor), after.slot,
                                        detail::abbreviate(note, kMaxEventNoteChars - 1)});
  if (auto st = validate_booking(after); !st) return st.error();
  return after;
}

}  // namespace madoguchi::domain
