// Japanese national holidays: the days the Act on National Holidays (国民の祝日に関する法律, Act
// No. 178 of 1948, in force 1948-07-20) and the special laws beside it make 休日. The booking
// system needs them for deadlines (MST-5) and for the slots a year generates (MST-4); the
// reservation site shows them (RSV-6).
//
// Rules first, data for what no rule describes, a published list above both (docs/calendar.md):
//  - The rules of the Act, with their history: fixed days, Happy Monday days, 春分の日 and 秋分の日
//    by the standard approximation formula (1900-2099), 振替休日 (Article 3(2), since 1973-04-12;
//    from 2007 the next day that is not a national holiday), 国民の休日 (Article 3(3), since
//    1985-12-27), the renamings and moves (天皇誕生日, みどりの日/昭和の日, 体育の日/スポーツの日,
//    海の日 from 1996, 山の日 from 2016).
//  - One-off days as data: the 休日 of special laws (1959-04-10, 1989-02-24, 1990-11-12,
//    1993-06-09, 2019-05-01 and 2019-10-22) and the Olympic moves of 2020 and 2021.
//  - A published list (the Cabinet Office's 国民の祝日 list, syukujitsu.csv) replaces rules and
//    data completely for every year it has a date in. Equinox days are fixed by the 官報 each
//    February for the next year only; the formula can be a day off for far years, the list is not.
//
// Pure, no I/O. A HolidayCalendar is immutable after construction and safe to share between
// threads.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/calendar/date.h"
#include "madoguchi/error.h"

namespace madoguchi::calendar {

// The Act took effect on this day; no date before it is a national holiday under the Act.
inline constexpr Date kActInForce{1948, 7, 20};
// The equinox formula is valid up to this year; later years need a published list.
inline constexpr int kLastRuleYear = 2099;

enum class HolidayKind {
  national,    // 国民の祝日 (Article 2), including the days a special law deems to be one (2019)
  substitute,  // 振替休日 (Article 3(2))
  citizens,    // 国民の休日 (Article 3(3)): a day between two national holidays
  special,     // a one-off 休日 by a special law (大喪の礼, 結婚の儀, 即位礼正殿の儀 of 1990)
  published,   // from a published list, which does not say which of the above it is
};

struct Holiday {
  Date date;
  std::string name;  // UTF-8, as the Cabinet Office names it; "振替休日" and "国民の休日" for those kinds
  HolidayKind kind = HolidayKind::national;
  friend bool operator==(const Holiday&, const Holiday&) = default;
};

// The holidays of `year` by the rules and the special-law data alone, in date order. Empty for
// years before 1948 or after kLastRuleYear.
std::vector<Holiday> holidays_by_rules(int year);

// The day of 春分の日 / 秋分の日 in March / September of `year` (1900..2099) by the approximation
// formula of docs/calendar.md. nullopt outside 1900..2099.
std::optional<int> vernal_equinox_day(int year) noexcept;
std::optional<int> autumnal_equinox_day(int year) noexcept;

// One line of a published list.
struct PublishedHoliday {
  Date date;
  std::string name;
};

// Bounds on a published list (the Cabinet Office's list, 1955 onwards, has about 1,100 lines).
inline constexpr std::size_t kMaxPublishedHolidays = 10'000;
inline constexpr std::size_t kMaxHolidayNameBytes = 200;
inline constexpr std::size_t kMaxPublishedCsvBytes = 1024 * 1024;

// Reads the Cabinet Office's list as it is downloaded (syukujitsu.csv: CP932 or UTF-8, a header
// line "国民の祝日・休日月日,国民の祝日・休日名称", then lines "2026/1/1,元日"). Empty lines are
// skipped. Errors: Errc::malformed naming the line (1-based) when a line is not a date and a name,
// the date does not exist or is listed twice, or the CSV itself is broken; Errc::too_large over
// kMaxPublishedCsvBytes or kMaxPublishedHolidays lines. Names longer than kMaxHolidayNameBytes are
// malformed. On error nothing is returned.
Expected<std::vector<PublishedHoliday>> parse_cabinet_office_csv(std::string_view bytes);

class HolidayCalendar {
 public:
  // Rules and special-law data only.
  HolidayCalendar();

  // Every year that has at least one date in `published` is answered from `published` alone
  // (a year's list always has 元日, so a complete list is recognised by its years); other years
  // from the rules. Errors: Errc::invalid_argument when a date is not valid_date, a date appears
  // twice, a name is empty, longer than kMaxHolidayNameBytes or not UTF-8, or there are more than
  // kMaxPublishedHolidays entries. The message names the entry (1-based), never guesses.
  static Expected<HolidayCalendar> with_published(const std::vector<PublishedHoliday>& published);

  // Whether the calendar can answer for `date`: a valid date whose year is at most kLastRuleYear
  // or is covered by the published list. For dates it cannot answer, the functions below say
  // "no holiday"; callers that must not guess (BusinessCalendar) check covers first.
  bool covers(const Date& date) const noexcept;
  // Whether `year` is answered from the published list.
  bool published_year(int year) const noexcept;

  // The name of the holiday on `date`, or nullopt when it is none (or not valid/covered).
  std::optional<std::string> holiday_name(const Date& date) const;
  bool is_holiday(const Date& date) const;
  // The holidays of `year` in date order (published entries have kind `published`).
  std::vector<Holiday> holidays_in(int year) const;

 private:
  std::map<Date, Holiday> days_;  // every holiday of every year the calendar answers
  std::set<int> published_years_;
};

}  // namespace madoguchi::calendar
