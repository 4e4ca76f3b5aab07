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
// A write the hub refused (EDGE-5). A counter PC sends the booking and its cards as separate
// operations; the hub judges each on its own, so a refused booking's card changes are applied all
// the same. card_refusal_follows undoes them: every card the refused write named and put on its
// slot goes back to what the booking as the hub holds it now implies (its slot, or none: a refused
// creation, a person the hub's booking does not name), only while the card still shows the
// refused slot (changed since: left alone), with the history note card_refusal_note(receipt).
//
// Pure logic over values, like the rest of domain.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/domain/booking.h"
#include "madoguchi/domain/card.h"
#include "madoguchi/error.h"

namespace madoguchi::domain {

struct CardFollow {
  std::string manufacture_no;       // the card (record key)
  std::optional<CardBooking> next;  // set: the card's booking becomes this
  CardBooking clear_if;             // next empty: cleared only while the card shows exactly this
  std::optional<CardBooking> only_while;  // set: any change only while the card shows exactly this
  std::string note;                       // the history note; empty: the receipt number
};

// The card changes that writing `after` over `before` (nullptr: a new booking) means, for every
// distinct manufacture number, in the order of the people (after's, then before's removed ones).
// Empty for bookings of other businesses and for changes that keep slot, counter and people.
std::vector<CardFollow> card_follows(const Booking* before, const Booking& after);

// The card changes that undo a write the hub refused: `sent` is the booking as the writer sent it,
// `held` the booking as the hub holds it now (nullptr: none, e.g. a refused creation). For every
// distinct manufacture number `sent` names, in its order, when `sent` put its cards on a slot (a
// live collection booking): back to `held`'s slot when `held` is a live collection booking naming
// the card, else cleared, each with only_while = sent's slot and the note card_refusal_note.
// Cards whose slot `held` keeps need nothing. Empty when `sent` put no card on a slot.
std::vector<CardFollow> card_refusal_follows(const Booking& sent, const Booking* held);

// 「受付番号 <receipt> はハブで受け付けられませんでした」: the card history's note for such an undo.
std::string card_refusal_note(std::string_view receipt);

// Applies one follow to the card (the card's manufacture_no is not checked). Returns whether the
// card changed (false: already so, a clear whose booking no longer matches, or only_while not
// shown). `staff`: "web" or the staff id; the history note is follow.note, else the receipt number. Errors: invalid_argument from
// change_booking.
Expected<bool> apply_card_follow(Card& card, const CardFollow& follow, std::string_view staff,
                                 std::string_view receipt, std::int64_t now_ms);

}  // namespace madoguchi::domain
