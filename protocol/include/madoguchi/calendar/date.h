// A plain Gregorian date for the calendar of the booking system (holidays, working days,
// booking deadlines: MST-5, MST-7). Pure values, no clock: "today" is always the caller's.
//
// It has the same shape as jlis::Date (qr_payload.h), which belongs to the J-LIS QR format; the
// two convert field by field ({d.year, d.month, d.day}). Arithmetic goes through
// std::chrono::sys_days, so it is exact for every date in the range below.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace madoguchi::calendar {

struct Date {
  int year = 0;
  int month = 0;
  int day = 0;
  friend auto operator<=>(const Date&, const Date&) = default;
  friend bool operator==(const Date&, const Date&) = default;
};

// The dates the calendar speaks about: 1900-01-01..2199-12-31 (the range jlis::Date accepts too).
inline constexpr Date kMinDate{1900, 1, 1};
inline constexpr Date kMaxDate{2199, 12, 31};

// True when the date exists (leap years included) and lies in kMinDate..kMaxDate.
bool valid_date(const Date& date) noexcept;

enum class Weekday { sunday = 0, monday, tuesday, wednesday, thursday, friday, saturday };

// Precondition for the functions below: valid_date(date).
Weekday weekday_of(const Date& date) noexcept;
// The date `days` days later (earlier when negative). The result may leave kMinDate..kMaxDate;
// check it with valid_date before using it.
Date add_days(const Date& date, int days) noexcept;
// Days from `from` to `to` (negative when `to` is earlier).
int days_between(const Date& from, const Date& to) noexcept;

// The local date and minute of the day (0..1439) at `utc_ms` (milliseconds since the epoch) in
// a zone `utc_offset_minutes` ahead of UTC (Japan: 540).
struct LocalTime {
  Date date;
  int minute_of_day = 0;
};
LocalTime local_time(std::int64_t utc_ms, int utc_offset_minutes) noexcept;

// "2026-11-22". For any date whose year has at most four digits.
std::string format_iso(const Date& date);
// Exactly "YYYY-MM-DD" (ASCII digits, zero-padded) of a valid date, or nullopt.
std::optional<Date> parse_iso(std::string_view text) noexcept;

}  // namespace madoguchi::calendar
