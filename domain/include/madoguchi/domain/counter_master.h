// Counter masters (窓口マスタ, MST-1..MST-3, MST-5..MST-7): one record per counter that residents
// and staff book visits at. Slots are generated from a master's weekly pattern (slots.h, MST-4).
//
// Record: entity "counter" (kCounterEntity), key = CounterMaster::id. Body (compact JSON, keys
// sorted):
//   {"businesses":["application","collection"],"capacity_per_slot":2,"days_ahead":60,
//    "deadline_days_before":1,"deadline_time":"17:00","id":"1","minutes_per_visit":15,
//    "name":"本庁舎 1番窓口","valid_from":"2026-04-01T00:00","valid_until":"2027-04-01T00:00",
//    "visible_on_site":true,
//    "week":{"mon":["09:00-12:00","13:00-17:00"],"tue":["09:00-12:00"]}}
// "days_ahead" and "valid_until" are left out when not set; weekdays without bands are left out of
// "week". Unknown keys are refused (Errc::malformed), as for the settings record: a master is an
// administrator's configuration and a mistyped key must not silently do nothing. A field of the
// wrong type or a missing required field is Errc::malformed; a value outside its rule is
// Errc::invalid_argument "<field>: <reason>" (English; field = JSON key, e.g. "week.mon[1]").
//
// Rules (validate_counter):
//  - id: 1-16 of [A-Za-z0-9_-] (it is a record key and the first part of a slot key, so no ':').
//  - name: 1-64 characters, one line.
//  - businesses: at least one of collection (交付), application (申請), cert_renewal (電子証明書更新).
//  - week: per weekday 0-8 time bands "HH:MM-HH:MM" (00:00..24:00, start < end). Within a day the
//    bands are in ascending order and do not overlap (touching, 12:00 then 12:00-13:00, is
//    allowed). Each band must be a whole number of visits: its length is a multiple of
//    minutes_per_visit. Decision: a band that does not divide is REFUSED rather than its last
//    partial slot silently dropped, so what the administrator typed is exactly what is offered.
//    A master with no band on any day is valid (a counter being set up offers nothing).
//  - minutes_per_visit: 5-240. capacity_per_slot (bookings per slot): 1-99.
//  - valid_from (required), valid_until (optional; absent = open-ended): local date-times
//    "YYYY-MM-DDTHH:MM"; valid_from < valid_until. A slot is offered only when it lies wholly inside:
//    start >= valid_from and end <= valid_until (MST-3).
//  - deadline_days_before: 0-365 calendar days; deadline_time "HH:MM" (00:00-23:59): a booking for
//    a slot on day D is possible until deadline_time on BusinessCalendar::deadline_for(D, days)
//    (moved back over weekends, holidays and closure days, MST-5; docs/calendar.md).
//  - days_ahead: 1-365 or not set; not set means the system setting booking_days_ahead
//    (settings.h). Resident bookings may be made for slots at most this many days after today.
//  - visible_on_site: whether the counter is offered on the citizen booking site (MST-6); hidden
//    counters are still bookable by staff (phone bookings).
// The receipt-number rule (MST-7) is system-wide: Settings::receipt_number_rule.
#pragma once

#include <array>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "madoguchi/calendar/date.h"
#include "madoguchi/error.h"

namespace madoguchi::domain {

inline constexpr std::string_view kCounterEntity = "counter";
inline constexpr std::size_t kMaxCounterIdBytes = 16;
inline constexpr std::size_t kMaxCounterNameChars = 64;
inline constexpr std::size_t kMaxBandsPerDay = 8;
inline constexpr int kMinutesPerDay = 24 * 60;

// The businesses a counter handles (PHN-4 offers only counters that handle the chosen one).
enum class Business { collection, application, cert_renewal };
std::span<const Business> all_businesses() noexcept;
std::string_view business_id(Business b) noexcept;     // "collection", "application", "cert_renewal"
std::string_view business_label(Business b) noexcept;  // 「交付」「申請」「電子証明書更新」
std::optional<Business> business_from_id(std::string_view id) noexcept;

// A local date and time of the municipality (no time zone: Japan has one).
struct LocalDateTime {
  calendar::Date date;
  int minute = 0;  // minutes after 00:00, 0..1439
  friend auto operator<=>(const LocalDateTime&, const LocalDateTime&) = default;
  friend bool operator==(const LocalDateTime&, const LocalDateTime&) = default;
};
// "YYYY-MM-DDTHH:MM".
std::string format_date_time(const LocalDateTime& t);
// Exactly "YYYY-MM-DDTHH:MM" of a valid date and time, or nullopt.
std::optional<LocalDateTime> parse_date_time(std::string_view text) noexcept;
// "HH:MM" for 0..1440 ("24:00" is the end of a day, used only for band ends).
std::string format_minute(int minute);
// Exactly "HH:MM", 00:00..23:59, or "24:00" when allow_24 is true; nullopt otherwise.
std::optional<int> parse_minute(std::string_view text, bool allow_24) noexcept;
// The moment `minutes` after t (t.date and the result must be valid dates).
LocalDateTime add_minutes(const LocalDateTime& t, int minutes) noexcept;

// A time band [start, end) in minutes after 00:00.
struct TimeBand {
  int start = 0;
  int end = 0;
  friend bool operator==(const TimeBand&, const TimeBand&) = default;
};

struct CounterMaster {
  std::string id;
  std::string name;
  std::set<Business> businesses;
  // Index: calendar::Weekday (0 = Sunday .. 6 = Saturday).
  std::array<std::vector<TimeBand>, 7> week{};
  int minutes_per_visit = 15;
  int capacity_per_slot = 1;
  LocalDateTime valid_from;
  std::optional<LocalDateTime> valid_until;
  bool visible_on_site = true;
  int deadline_days_before = 1;
  int deadline_time = 17 * 60;  // minutes after 00:00
  std::optional<int> days_ahead;
};

// "sun", "mon", ... "sat" (the JSON keys of "week").
std::string_view weekday_key(calendar::Weekday d) noexcept;

Status validate_counter_id(std::string_view id);
// Errors: invalid_argument "<field>: <reason>" for the first rule broken (see the top).
Status validate_counter(const CounterMaster& counter);

// Whether the counter's validity covers [start, start + minutes) (MST-3).
bool within_validity(const CounterMaster& counter, const LocalDateTime& start, int minutes) noexcept;

std::string counter_key(const CounterMaster& counter);
nlohmann::json counter_to_json(const CounterMaster& counter);
// Errors as described at the top; the result is validated.
Expected<CounterMaster> counter_from_json(const nlohmann::json& body);

}  // namespace madoguchi::domain
