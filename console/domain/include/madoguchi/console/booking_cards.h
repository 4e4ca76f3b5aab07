// A collection booking's cards follow it (ISS-10, RSV-5, RSV-12, PHN-6).
//
// The booking record (entity "booking", booking.h) is the resident's appointment; a card's own
// `booking` field (card.h) is its mirror, shown and searched in 交付管理. Whoever writes a
// collection booking (the hub's HubBookingService, a counter PC's EdgeBookingBackend) writes the
// mirror of every card it names in the same transaction:
//  - made, moved to another slot or counter, un-cancelled, a person added: the card's booking
//    becomes {at: the slot's start, counter};
//  - cancelled, or a person removed: the card's booking is cleared, but only while it still
//    points to this booking's slot start and counter (a newer booking made some other way, e.g.
//    by hand in 交付管理, is left alone);
//  - anything else (e-mail, phone, note, proxy, a reminder) touches no card.
// Each change goes through change_booking (card.h): a booking_history entry with staff "web" for
// a resident's booking or the staff id, and the receipt number as its note. A card changed by hand
// in 交付管理 never changes the booking record.
//
// Pure logic over values, like the rest of console/domain.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/console/booking.h"
#include "madoguchi/console/card.h"
#include "madoguchi/error.h"

namespace madoguchi::console {

struct CardFollow {
  std::string manufacture_no;       // the card (record key)
  std::optional<CardBooking> next;  // set: the card's booking becomes this
  CardBooking clear_if;             // next empty: cleared only while the card shows exactly this
};

// The card changes that writing `after` over `before` (nullptr: a new booking) means, for every
// distinct manufacture number, in the order of the people (after's, then before's removed ones).
// Empty for bookings of other businesses and for changes that keep slot, counter and people.
std::vector<CardFollow> card_follows(const Booking* before, const Booking& after);

// Applies one follow to the card (the card's manufacture_no is not checked). Returns whether the
// card changed (false: already so, or a clear whose booking no longer matches). `staff`: "web" or
// the staff id; the history note is the receipt number. Errors: invalid_argument from
// change_booking.
Expected<bool> apply_card_follow(Card& card, const CardFollow& follow, std::string_view staff,
                                 std::string_view receipt, std::int64_t now_ms);

}  // namespace madoguchi::console
