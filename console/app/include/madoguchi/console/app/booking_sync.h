// Where a booking made or changed at a counter PC stands on its way to the hub (EDGE-5: conflicts
// between offline counter work and online citizen work are resolved by the hub's booking rule and
// shown to staff). Optional: the 電話予約 pages (booking_pages.cc) use it when it is given to
// ConsoleApp::attach_bookings (a counter PC gives its EdgeBookingBackend; the hub's service is
// authoritative and does not need it).
//
//   confirmed  the hub has the booking as shown (or the booking was not written here)
//   pending    this counter's latest change is stored locally and waits for the hub (未送信)
//   refused    the hub refused this counter's latest change (code: the rejection's errc name,
//              e.g. "capacity", "forbidden", "conflict", "not_found"); the view shows the hub's
//              record again, or nothing when the refused change was the booking's creation
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/domain/booking.h"
#include "madoguchi/error.h"

namespace madoguchi::console::app {

struct BookingSync {
  enum class State { confirmed, pending, refused };
  State state = State::confirmed;
  std::string receipt;
  // refused only:
  std::string code;         // errc name of the rejection
  std::string reason;       // the hub's English reason (not shown as is; code decides the text)
  std::int64_t at_ms = 0;   // when the refusal arrived
  bool created = false;     // the refused change was the booking's creation: it does not exist
  std::optional<domain::Booking> sent;  // the booking as this counter wrote it (to call the resident back)
};

class BookingSyncState {
 public:
  virtual ~BookingSyncState() = default;
  // The state of one booking (confirmed for a receipt never written here). Errors: db.
  virtual Expected<BookingSync> sync_state(std::string_view receipt) = 0;
  // Refusals staff have not marked as dealt with, newest first, at most `limit`. Errors: db.
  virtual Expected<std::vector<BookingSync>> refused(std::size_t limit) = 0;
  // Marks a refusal as dealt with (the resident was called); it leaves refused(). Unknown: done.
  virtual Status mark_refusal_handled(std::string_view receipt) = 0;
};

}  // namespace madoguchi::console::app
