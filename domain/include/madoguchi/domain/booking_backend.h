// Where bookings are made and read: the narrow interface the citizen site (cloud-hub/portal) and the
// staff console's 電話予約 pages (console/app) are written against. Implemented at the hub over the
// municipality's HubStore (cloud-hub/booking_service.h: the booking rule is judged in the
// transaction that writes, so it is authoritative) and at a counter PC over its EdgeStore
// (edge-agent: the rule is a first check against the replica; the hub judges again when the
// operation arrives, and a refusal comes back as a rejection the staff see, EDGE-5).
//
// Implementations are used from one thread (the process's io_context). Errors use the booking
// rule's codes (booking.h: not_found, forbidden, capacity) plus invalid_argument "<field>: <reason>"
// for a request that breaks a record rule, and db/unavailable for the store.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/calendar/date.h"
#include "madoguchi/domain/booking.h"
#include "madoguchi/domain/card.h"
#include "madoguchi/domain/counter_master.h"
#include "madoguchi/domain/notice.h"
#include "madoguchi/domain/settings.h"
#include "madoguchi/domain/slots.h"
#include "madoguchi/error.h"

namespace madoguchi::domain {

// Who is asking. A resident gets the resident's window (resident_may_book); staff get every counter
// (hidden ones too) and may override when their role holds Menu::booking_override (PHN-5).
struct BookingActor {
  enum class Kind { resident, staff };
  Kind kind = Kind::resident;
  std::string staff_id;       // staff only
  bool may_override = false;  // staff only: the role has Menu::booking_override
};

struct SlotAvailability {
  Slot slot;
  int booked = 0;          // places taken by live bookings
  bool bookable = false;   // this actor may book `places` places now (without override)
  std::string reason;      // why not (English, from the rule), empty when bookable
};

struct NewBooking {
  Business business = Business::collection;
  std::optional<ApplicationKind> application_kind;
  std::string slot;                     // slot key
  std::vector<BookingPerson> people;    // collection: manufacture numbers already checked
  bool proxy = false;
  std::string email;
  std::string phone;
  std::string note;
  BookingOverride override_flags;       // staff with the permission only
};

// The record a request makes, before its receipt number and password: the request's fields, the
// counter of its slot (parse_slot_key), channel phone with the staff id and the override flags for
// staff, channel web without either for a resident, created/updated at now_ms, and its first
// history event ("created" by "staff:<id>" or "web"). Both implementations build new bookings
// with it. Not validated here.
Booking booking_from_request(const NewBooking& request, const BookingActor& actor, std::string counter,
                             std::int64_t now_ms);

// A booking as just made: the password in clear exists only here, to be shown once and mailed.
struct MadeBooking {
  Booking booking;
  std::string password;
};

// What can change in an existing booking (fields left empty stay).
struct BookingUpdate {
  std::optional<std::string> slot;     // move to another slot (RSV-12, PHN-6)
  std::optional<bool> proxy;
  std::optional<std::string> email;
  std::optional<std::string> phone;
  std::optional<std::string> note;
  BookingOverride override_flags;
};

struct BookingQuery {
  std::string receipt;            // exact, empty = any
  std::string manufacture_no;     // a person in the booking, empty = any
  std::string counter;            // empty = any
  std::optional<calendar::Date> from;  // slot day range, inclusive
  std::optional<calendar::Date> to;
  bool include_cancelled = false;
};

class BookingBackend {
 public:
  virtual ~BookingBackend() = default;

  // The municipality's local time now (the rule's `now`).
  virtual LocalDateTime now() = 0;
  virtual Expected<Settings> settings() = 0;
  // Counters handling `business`; for a resident only visible ones within their validity (RSV-8,
  // PHN-4), ordered by id.
  virtual Expected<std::vector<CounterMaster>> counters(Business business, const BookingActor& actor) = 0;
  // The slots of one counter whose day is in [from, to] (at most 62 days), in start order, with
  // their fill and whether `actor` may book `places` places for `business` now.
  virtual Expected<std::vector<SlotAvailability>> availability(std::string_view counter, calendar::Date from,
                                                               calendar::Date to, Business business, int places,
                                                               const BookingActor& actor) = 0;
  // RSV-5: the card whose postcard number and birthday match (card_matches), nullopt otherwise.
  // Says nothing about which part did not match.
  virtual Expected<std::optional<Card>> card_by_postcard(std::string_view postcard_no, int birth_month,
                                                         int birth_day) = 0;
  // PHN-2: the card by its manufacture number, for staff.
  virtual Expected<std::optional<Card>> card(std::string_view manufacture_no) = 0;
  // Makes a booking: receipt number by Settings::receipt_number_rule, a new password, the booking
  // rule in the writing transaction, mails queued (resident's and staff bookings with an e-mail).
  virtual Expected<MadeBooking> create(const NewBooking& request, const BookingActor& actor) = 0;
  virtual Expected<std::optional<Booking>> get(std::string_view receipt) = 0;
  virtual Expected<Booking> update(std::string_view receipt, const BookingUpdate& update, const BookingActor& actor) = 0;
  virtual Expected<Booking> cancel(std::string_view receipt, std::string_view note, const BookingActor& actor) = 0;
  // Staff search (PHN-6), newest slot first, at most `limit` from `offset`.
  virtual Expected<std::vector<Booking>> search(const BookingQuery& query, std::size_t offset, std::size_t limit) = 0;
  // Notices (RSV-3, RSV-15) published now, as published_notices() orders them.
  virtual Expected<std::vector<Notice>> notices() = 0;
};

}  // namespace madoguchi::domain
