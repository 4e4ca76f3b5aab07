// The booking use cases over one small record port (BookingRecords), the same at the hub and at a
// counter PC. The hub implements the port over a municipality's HubStore, a counter PC over its
// EdgeStore replica; both booking writers (cloud-hub/booking_service, edge-agent/booking_backend)
// call these functions and then store the result their own way: the hub in one transaction whose
// booking rule judges with authority, a counter PC in its outbox after this first check (the hub
// judges again when the operation arrives, EDGE-5).
//
// What each use case decides:
//  - bookable_counters: which counters an actor may book for a business (a resident only visible
//    ones whose validity has not ended: RSV-8, MST-3, MST-6; staff every one, PHN-4).
//  - check_booking_write: whether a booking may be written as `after`: for a resident the window
//    (resident_may_book for a new or moved booking; resident_may_change for any change or a
//    cancellation of an existing one: RSV-8, RSV-12); for staff the booking rule
//    (check_booking_rule, with the override permission: PHN-5).
//  - plan_booking_update / plan_booking_cancel: the stored booking, what the change makes of it
//    (booking_change.h), checked as above.
//  - follow_cards: the cards the booking names as they become (booking_cards.h), each with the
//    version it was read at; a card the records lack is counted, not an error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/domain/booking.h"
#include "madoguchi/domain/booking_backend.h"
#include "madoguchi/domain/booking_cards.h"
#include "madoguchi/domain/card.h"
#include "madoguchi/domain/counter_master.h"
#include "madoguchi/domain/settings.h"
#include "madoguchi/domain/slots.h"
#include "madoguchi/error.h"

namespace madoguchi::domain {

// A record's value with the version the store read it at (the hub's optimistic lock; 0 where the
// store has none).
template <class T>
struct Versioned {
  T value;
  std::uint64_t version = 0;
};

// The records the booking use cases read. A record that does not decode is absent. Errors: the
// store failed (db, unavailable).
class BookingRecords {
 public:
  virtual ~BookingRecords() = default;
  virtual Expected<Settings> settings() = 0;
  // Every counter, ordered by id.
  virtual Expected<std::vector<CounterMaster>> counters() = 0;
  virtual Expected<std::optional<CounterMaster>> counter(std::string_view id) = 0;
  virtual Expected<std::optional<Slot>> slot(std::string_view key) = 0;
  // Places live bookings other than `except_receipt` take in the slot (booking_places).
  virtual Expected<int> places_taken(std::string_view slot_key, std::string_view except_receipt) = 0;
  virtual Expected<std::optional<Versioned<Card>>> card(std::string_view manufacture_no) = 0;
  virtual Expected<std::optional<Versioned<Booking>>> booking(std::string_view receipt) = 0;
};

Expected<std::vector<CounterMaster>> bookable_counters(BookingRecords& records, Business business,
                                                       const BookingActor& actor, const LocalDateTime& now);

// Whether `actor` may book `places` places in the slot now, without override (a slot list's
// "bookable" and its reason): for a resident the window (resident_may_book), for staff the booking
// rule (check_booking_rule) as for a booking of `business` in the slot.
Status may_book_slot(const CounterMaster& counter, const Slot& slot, Business business, int booked, int places,
                     const BookingActor& actor, const LocalDateTime& now, int default_days_ahead);

// `before` is the stored booking (nullptr for a new one).
Status check_booking_write(BookingRecords& records, const Booking* before, const Booking& after,
                           const BookingActor& actor, const LocalDateTime& now);

struct PlannedChange {
  Versioned<Booking> before;
  Booking after;
  bool changed = false;  // false: nothing differs, nothing to write
};
// Errors: not_found (no such booking), the change's and the check's errors, the store's.
Expected<PlannedChange> plan_booking_update(BookingRecords& records, std::string_view receipt,
                                            const BookingUpdate& update, const BookingActor& actor,
                                            std::int64_t now_ms);
Expected<PlannedChange> plan_booking_cancel(BookingRecords& records, std::string_view receipt, std::string_view note,
                                            const BookingActor& actor, std::int64_t now_ms);

struct CardWrites {
  std::vector<Versioned<Card>> changed;  // as they become, with the version read
  std::size_t skipped = 0;               // named by the booking, not in the records
};
// `staff` names the writer in the cards' history ("web" for a resident).
Expected<CardWrites> follow_cards(BookingRecords& records, const Booking* before, const Booking& after,
                                  std::string_view staff, std::int64_t now_ms);
// The same for a list of follows of the booking `receipt` (card_follows, card_refusal_follows).
Expected<CardWrites> apply_card_follows(BookingRecords& records, const std::vector<CardFollow>& follows,
                                        std::string_view staff, const std::string& receipt, std::int64_t now_ms);

}  // namespace madoguchi::domain
