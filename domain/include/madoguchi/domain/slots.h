// Booking slots (予約枠, MST-2..MST-5): the visits a counter offers, generated from its master's
// weekly pattern for a year in one step, then editable one by one (MST-4).
//
// Record: entity "slot" (kSlotEntity), key = "<counter>:<YYYY-MM-DD>T<HH:MM>" (slot_key; the
// counter id has no ':'). Body (compact JSON, keys sorted):
//   {"capacity":2,"counter":"1","deadline":"2026-11-27T17:00","edited":false,"minutes":15,
//    "note":"","open":true,"start":"2026-11-30T09:00"}
// Unknown keys are refused (Errc::malformed), as for the counter master; a wrong type or a missing
// field is Errc::malformed; a value outside its rule is Errc::invalid_argument "<field>: <reason>".
//
// What a slot does NOT store: how many bookings it has. Bookings are records of their own and are
// counted where they live (the hub decides whether one more fits, docs/bookings.md); a stored
// counter would be a second truth that concurrent edge writes could make wrong. `capacity` is the
// number of bookings the slot takes (copied from the master when generated, editable per slot).
//
// Which days get slots (generate_slots): a day whose weekday has bands in the pattern, unless it
// is a national holiday, in the year-end closure 12/29..1/3 or an administrator's closure day.
// Saturdays and Sundays get slots only when the pattern has bands for them (休日開庁); they are
// not working days for deadlines all the same. A slot is generated only when it lies wholly within
// the master's validity (MST-3). Each slot's deadline is deadline_time on
// BusinessCalendar::deadline_for(slot day, deadline_days_before) (MST-5).
//
// Edits (MST-4): apply_slot_edit changes capacity, open/closed and the note of one slot and marks
// it `edited`. A slot added by hand (e.g. a holiday opening) is created with edited = true.
// Regeneration (apply_regeneration) never overwrites or removes an edited slot, nor removes a slot
// that has bookings, so "generate a year, edit single slots, regenerate after a master change"
// does not undo edits.
#pragma once

#include <cstddef>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "madoguchi/calendar/business_days.h"
#include "madoguchi/calendar/date.h"
#include "madoguchi/domain/counter_master.h"
#include "madoguchi/error.h"

namespace madoguchi::domain {

inline constexpr std::string_view kSlotEntity = "slot";
inline constexpr std::size_t kMaxSlotNoteChars = 200;
// One generation covers at most this many days (a year and a margin).
inline constexpr int kMaxGenerationDays = 400;

struct Slot {
  std::string counter;      // the counter's id
  LocalDateTime start;
  int minutes = 15;         // 5-240; start + minutes stays within the day
  int capacity = 1;         // bookings the slot takes, 0-99 (0: takes none, like closed)
  LocalDateTime deadline;   // last moment a booking can be made (without the permission of PHN-5)
  bool open = true;         // false: closed by the administrator, no bookings
  bool edited = false;      // changed by hand: regeneration keeps it as it is
  std::string note;         // per-slot note (why it was edited), 0-200 characters
  friend bool operator==(const Slot&, const Slot&) = default;
};

std::string slot_key(const Slot& slot);
// Errors: invalid_argument "<field>: <reason>".
Status validate_slot(const Slot& slot);
nlohmann::json slot_to_json(const Slot& slot);
// Errors as described at the top; the result is validated.
Expected<Slot> slot_from_json(const nlohmann::json& body);

// The slots of one counter for [from, to] (both inclusive), in start order.
struct GeneratedSlots {
  std::string counter;
  calendar::Date from;
  calendar::Date to;
  std::vector<Slot> slots;
};

// Generates the slots of `counter`'s pattern from `from` to `to` (rules at the top). Linear in the
// number of days and slots. Errors: invalid_argument when the master is invalid, from/to are not
// valid dates, to < from, the range is longer than kMaxGenerationDays, or a day in it is not
// covered by the calendar; the deadline's errors (deadline_for) otherwise.
Expected<GeneratedSlots> generate_slots(const CounterMaster& counter, calendar::Date from, calendar::Date to,
                                        const calendar::BusinessCalendar& calendar);

// One edit of one slot (MST-4): fields left empty stay as they are.
struct SlotEdit {
  std::optional<int> capacity;
  std::optional<bool> open;
  std::optional<std::string> note;
};
// The slot with the edit applied and `edited` set. Errors: invalid_argument (the edited slot
// breaks a rule); the input slot is unchanged.
Expected<Slot> apply_slot_edit(const Slot& slot, const SlotEdit& edit);

// What to write to bring the stored slots in line with a new generation.
struct RegenerationPlan {
  std::vector<Slot> upserts;             // added and changed slots, in key order
  std::vector<std::string> removals;     // keys to delete, in key order
  std::size_t added = 0;                 // generated, not stored before
  std::size_t changed = 0;               // stored unedited slots whose generated form differs
  std::size_t removed = 0;               // stored unedited slots without bookings the pattern no longer has
  std::size_t unchanged = 0;             // stored unedited slots equal to their generated form
  std::size_t kept_edited = 0;           // stored edited slots, left as they are
  std::size_t kept_booked = 0;           // stored slots the pattern no longer has, kept for their bookings
};

// Compares the stored slots with a generation. Only stored slots of the generation's counter whose
// day lies in [from, to] are considered; every other stored slot is left alone. `booked_keys` are
// the slot keys that have at least one booking (the caller counts them where bookings live).
// A stored slot that has bookings and that the pattern still has is updated like any other
// unedited slot (capacity may drop below its bookings: existing bookings stay, new ones are
// refused by the booking rule). Errors: invalid_argument when a generated slot is not of the
// generation's counter or range, or two slots (stored or generated) share a key.
Expected<RegenerationPlan> apply_regeneration(std::span<const Slot> existing, const GeneratedSlots& generated,
                                              const std::set<std::string>& booked_keys);

}  // namespace madoguchi::domain
