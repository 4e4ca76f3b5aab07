// The working days of a municipality's offices and the booking deadlines that follow from them
// (MST-5, MST-7; the reservation site RSV-6 and RSV-7 books against them).
//
// A day is a working day unless it is
//  - a Saturday or a Sunday,
//  - a national holiday (HolidayCalendar: rules, special-law data, published list),
//  - in the year-end closure 12/29..1/3 (年末年始: the 休日 every municipality sets by 条例 under
//    Article 4-2 of the Local Autonomy Act),
//  - or an extra closure day the administrator added (臨時休業日: system maintenance, elections).
// Counters that open on a Saturday or a holiday (休日開庁) still book slots on such days; the
// calendar only decides where deadlines may fall.
//
// Booking deadline (MST-5), precisely: start from the slot day minus `days_before` calendar days;
// while that day is not a working day, go back one day. So "3 days before" a Monday slot is the
// Friday before it; when that Friday is a holiday, the Thursday. `days_before` = 0 means "on the
// slot day itself" (moved back the same way when the slot day is closed). The deadline is a day;
// the time of day it closes at is the counter's setting. docs/calendar.md has worked examples.
//
// Pure, no clock. Immutable after construction; safe to share between threads.
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "madoguchi/calendar/date.h"
#include "madoguchi/calendar/jp_holidays.h"
#include "madoguchi/error.h"

namespace madoguchi::calendar {

// Bounds: ten years of closure days; a deadline at most a year before its slot; and how far a
// deadline may be moved back before the calendar gives up (a year of closed days is a mistake).
inline constexpr std::size_t kMaxExtraClosures = 3660;
inline constexpr int kMaxDaysBefore = 365;
inline constexpr int kMaxDeadlineShift = 366;

class BusinessCalendar {
 public:
  // Errors: Errc::invalid_argument when an extra closure day is not valid_date or there are more
  // than kMaxExtraClosures (the message names the entry, 1-based). Duplicates are harmless.
  static Expected<BusinessCalendar> create(HolidayCalendar holidays, const std::vector<Date>& extra_closures);

  // False for Saturdays, Sundays, holidays, 12/29..1/3 and extra closure days; also false for a
  // day the holiday calendar does not cover (invalid, or after kLastRuleYear without a published
  // list): a day nobody can vouch for is not offered as a working day.
  bool is_working_day(const Date& date) const;

  // Why the offices are closed on `date` (Japanese, for staff and residents): the holiday's name,
  // "年末年始", "臨時休業日", "土曜日" or "日曜日", in that order of precedence; nullopt on a
  // working day and on a day the calendar does not cover.
  std::optional<std::string> closed_reason(const Date& date) const;

  // The last day a booking for a slot on `slot_day` can be made (see the definition above).
  // Errors: Errc::invalid_argument when slot_day is not covered by the calendar, days_before is
  // outside 0..kMaxDaysBefore, or the walk back leaves the calendar's range; Errc::not_found when
  // no working day lies within kMaxDeadlineShift days before slot_day - days_before.
  Expected<Date> deadline_for(const Date& slot_day, int days_before) const;

  const HolidayCalendar& holidays() const noexcept { return holidays_; }

 private:
  BusinessCalendar(HolidayCalendar holidays, std::set<Date> closures)
      : holidays_(std::move(holidays)), closures_(std::move(closures)) {}

  HolidayCalendar holidays_;
  std::set<Date> closures_;
};

// True for 12/29, 12/30, 12/31, 1/1, 1/2 and 1/3.
bool in_year_end_closure(const Date& date) noexcept;

}  // namespace madoguchi::calendar
