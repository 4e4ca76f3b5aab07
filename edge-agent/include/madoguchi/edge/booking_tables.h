// The edge database's booking tables (edge_schema.cc), with typed operations: what the counter
// PC's booking writer (EdgeBookingBackend) keeps beside the records. Obtained from
// EdgeStore::bookings(); valid while the store is. Writes run inside EdgeStore::transaction().
//
//   booking_dirty, booking_index, booking_person   places per slot and the staff search: keys a
//       trigger marks on every change of a booking record, folded in by the caller (it decodes
//       the bodies) through put_index()
//   edge_booking_seq     this device's receipt number sequence per day
//   edge_booking_sent    per receipt written here: the latest operation's seq and the body sent,
//                        to tell a current refusal from an older one (EDGE-5)
//   edge_booking_refusal_mark   the highest rejection whose cards were put back
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "madoguchi/error.h"
#include "madoguchi/sqlite/sqlite.h"

namespace madoguchi::edge {

// One booking's index rows. A body that does not decode is indexed with decoded = false (no slot,
// no places).
struct BookingIndexRow {
  bool decoded = false;
  std::string slot;
  std::string counter;
  std::string day;  // the slot's YYYY-MM-DD
  bool cancelled = false;
  int places = 0;
  std::vector<std::string> manufacture_nos;
};

// The staff search (PHN-6); empty fields match everything.
struct BookingSearch {
  std::string receipt;
  std::string manufacture_no;
  std::string counter;
  std::string from_day;  // YYYY-MM-DD, inclusive
  std::string to_day;
  bool include_cancelled = false;
};

// A rejection past the refusal mark; `sent` is the body this counter last sent for the booking
// when the rejection is for that operation.
struct BookingRefusal {
  std::uint64_t seq = 0;
  std::string receipt;
  std::optional<std::string> sent;
};

// A refusal of this counter's latest operation on a booking.
struct RefusedBooking {
  std::string receipt;
  std::string code;
  std::string reason;
  std::int64_t at_ms = 0;
  bool created = false;  // the refused write created the booking
  std::string sent;      // the body sent
};

class BookingTables {
 public:

  // Booking keys changed since they were last indexed, at most `limit`.
  Expected<std::vector<std::string>> dirty(std::size_t limit);
  // Replaces the key's index rows (none when `row` is absent: the record is gone) and clears its
  // mark.
  Status put_index(const std::string& key, const std::optional<BookingIndexRow>& row);
  // Places the indexed live bookings other than `except_receipt` take in the slot.
  Expected<int> places(const std::string& slot_key, const std::string& except_receipt);
  // Bodies of the indexed bookings matching, newest slot first, at most `limit` (≤ 1000).
  Expected<std::vector<std::string>> search(const BookingSearch& search, std::size_t offset, std::size_t limit);

  // Today's last receipt sequence (0 before the first).
  Expected<std::uint64_t> day_seq(const std::string& day);
  // Sets the day's sequence and forgets earlier days' (only today's is read again).
  Status set_day_seq(const std::string& day, std::uint64_t seq);
  // Records this counter's operation `seq` on the receipt (created: it made the booking; stays set
  // while an operation after `acked_upto` created it) and drops rows older than `prune_before_ms`.
  Status record_sent(const std::string& receipt, std::uint64_t seq, bool created, const std::string& body,
                     std::int64_t at_ms, std::uint64_t acked_upto, std::int64_t prune_before_ms);

  // Whether a rejection arrived past the mark (one indexed look).
  Expected<bool> refusals_waiting();
  // The rejections past the mark, oldest first, at most `limit`.
  Expected<std::vector<BookingRefusal>> refusals(std::size_t limit);
  Status set_refusal_mark(std::uint64_t seq);

  // The current refusal of the receipt, if any.
  Expected<std::optional<RefusedBooking>> refused(const std::string& receipt);
  // Current refusals staff have not marked handled, newest first.
  Expected<std::vector<RefusedBooking>> refused_unhandled(std::size_t limit);
  Status mark_handled(const std::string& receipt);

 private:
  friend class EdgeStore;
  explicit BookingTables(sqlite::Db& db) : db_(db) {}
  sqlite::Db& db_;
};

}  // namespace madoguchi::edge
