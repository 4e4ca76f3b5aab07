// The municipality's calendar configuration (休業日・祝日, MST-4, MST-5): the closure days the
// administrator adds (臨時休業日) and the uploaded Cabinet Office holiday list (syukujitsu.csv,
// read by calendar::parse_cabinet_office_csv). Together they make the BusinessCalendar that slot
// generation and booking deadlines use (docs/calendar.md). Written at the hub console only
// (マスタ管理 → 休業日・祝日); the edges receive it on the feed.
//
// Record: entity "calendar" (kCalendarEntity), key "config" (kCalendarConfigKey). Body (compact
// JSON, keys sorted):
//   {"closures":["2026-08-14","2026-12-28"],
//    "holidays":{"days":[["2026-01-01","元日"],["2026-01-12","成人の日"]],"source":"syukujitsu.csv"}}
// "closures" is in date order without duplicates; "holidays" is left out while no list was
// uploaded (the rules of jp_holidays.h answer every year then). Unknown keys are refused
// (Errc::malformed): it is an administrator's configuration.
//
// Rules (validate_calendar_config):
//  - closures: at most kMaxClosureDays valid dates (calendar::valid_date).
//  - holidays.source: 0-200 characters, one line (what was uploaded, e.g. the file name).
//  - holidays.days: valid dates, no date twice, names 1..kMaxHolidayNameBytes bytes of UTF-8, at
//    most kMaxPublishedHolidays entries; the years it has a date in are answered from it alone
//    (HolidayCalendar::with_published).
//  - The compact body is at most kMaxCalendarBodyBytes. Decision: that is the protocol's record
//    body bound (32 KiB), not more, because the record travels on the feed to every edge and a
//    larger body would be refused there. The Cabinet Office's whole list (1955 onwards, ~1,100
//    lines) does not fit; the console keeps the years from last year on (holidays_from_year),
//    which is what generation and deadlines need.
// Errors follow record_body.h: wrong type or missing field → malformed; a value outside its rule →
// invalid_argument "<field>: <reason>" (closures[3], holidays.days[12], ...); too_large for the
// body bound.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "madoguchi/calendar/business_days.h"
#include "madoguchi/calendar/date.h"
#include "madoguchi/calendar/jp_holidays.h"
#include "madoguchi/error.h"

namespace madoguchi::domain {

inline constexpr std::string_view kCalendarEntity = "calendar";
inline constexpr std::string_view kCalendarConfigKey = "config";
inline constexpr std::size_t kMaxClosureDays = 2000;
inline constexpr std::size_t kMaxHolidaySourceChars = 200;
inline constexpr std::size_t kMaxCalendarBodyBytes = 32 * 1024;

struct CalendarConfig {
  std::set<calendar::Date> closures;                     // 臨時休業日
  bool has_holidays = false;                             // a published list was uploaded
  std::string holiday_source;                            // what it was (file name, date)
  std::vector<calendar::PublishedHoliday> holidays;      // in date order
  friend bool operator==(const CalendarConfig& a, const CalendarConfig& b) {
    if (a.closures != b.closures || a.has_holidays != b.has_holidays || a.holiday_source != b.holiday_source ||
        a.holidays.size() != b.holidays.size()) {
      return false;
    }
    for (std::size_t i = 0; i < a.holidays.size(); ++i) {
      if (a.holidays[i].date != b.holidays[i].date || a.holidays[i].name != b.holidays[i].name) return false;
    }
    return true;
  }
};

// Errors: invalid_argument "<field>: <reason>" for the first rule broken (not the body bound).
Status validate_calendar_config(const CalendarConfig& config);
nlohmann::json calendar_config_to_json(const CalendarConfig& config);
// The compact body to store. Errors: validate_calendar_config's; too_large over
// kMaxCalendarBodyBytes.
Expected<std::string> calendar_config_body(const CalendarConfig& config);
// Errors as described at the top; the result is validated. Holidays come out in date order.
Expected<CalendarConfig> calendar_config_from_json(const nlohmann::json& body);

// The calendar generation and deadlines use: the published list (when uploaded) over the rules,
// and the closure days. Errors: those of HolidayCalendar::with_published and
// BusinessCalendar::create (a config that validates does not fail).
Expected<calendar::BusinessCalendar> business_calendar(const CalendarConfig& config);

// The years a published list has dates in, ascending.
std::vector<int> published_years(const std::vector<calendar::PublishedHoliday>& list);
// The entries of `list` in years >= first_year, in date order (what the console stores of an
// uploaded list: see the body bound above).
std::vector<calendar::PublishedHoliday> holidays_from_year(const std::vector<calendar::PublishedHoliday>& list,
                                                           int first_year);

}  // namespace madoguchi::domain
