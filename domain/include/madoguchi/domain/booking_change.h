// Changing and cancelling a booking (RSV-12, PHN-5, PHN-6): the one definition of what a change
// makes of a stored booking, used by the hub (citizen site, hub console) and by a counter PC
// (電話予約, offline too). The writer then judges the result with check_booking_rule (booking.h)
// and stores it; the resident's deadline (resident_may_change) is the hub's to check, since
// residents change bookings only there.
//
// A change:
//  - is refused for a cancelled booking (forbidden "booking <receipt> is cancelled") and for a slot
//    that is not a slot key (invalid_argument "slot: not a slot key");
//  - sets what the update names and differs: the slot (and its counter), 代理人, メールアドレス,
//    電話番号, 申し送り;
//  - by staff on a phone booking: names the staff member as the booking's last writer (the booking
//    rule checks that person's permission) and sets the override flags to how the booking stands
//    now (PHN-5); a web booking names no staff and never has flags;
//  - adds one history event: "changed" when something the resident sees changed (slot, proxy,
//    e-mail, phone: the resident is mailed), "note" when only 申し送り or the flags did (internal),
//    with the changed items' labels, e.g. "日時・電話番号を変更";
//  - changes nothing (changed == false, the booking as it was) when nothing differs.
// A cancellation is refused for a booking already cancelled (forbidden "booking <receipt> is
// already cancelled"); it marks the booking cancelled, names staff as above and adds a
// "cancelled" event with the note (a longer note is cut to 199 characters and "…").
// Either result is validated (validate_booking).
#pragma once

#include <cstdint>
#include <string_view>

#include "madoguchi/domain/booking.h"
#include "madoguchi/domain/booking_backend.h"
#include "madoguchi/error.h"

namespace madoguchi::domain {

struct BookingChangeResult {
  Booking after;
  bool changed = false;
};

// The history event's `by` for an actor: "staff:<id>" or "web".
std::string booking_actor_name(const BookingActor& actor);

Expected<BookingChangeResult> apply_booking_update(const Booking& before, const BookingUpdate& update,
                                                   const BookingActor& actor, std::int64_t now_ms);
Expected<Booking> apply_booking_cancel(const Booking& before, std::string_view note, const BookingActor& actor,
                                       std::int64_t now_ms);

}  // namespace madoguchi::domain
