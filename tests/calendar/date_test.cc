// The plain date of the calendar: validity, weekdays, arithmetic, ISO text (MST-5).
#include <catch2/catch.hpp>

#include <cstdio>

#include "madoguchi/calendar/date.h"

namespace c = madoguchi::calendar;

TEST_CASE("Dates exist only within 1900..2199 and with real month lengths", "[calendar][date]") {
  CHECK(c::valid_date({2024, 2, 29}));
  CHECK_FALSE(c::valid_date({2023, 2, 29}));
  CHECK_FALSE(c::valid_date({2100, 2, 29}));  // a century that is not a leap year
  CHECK(c::valid_date({2000, 2, 29}));
  CHECK_FALSE(c::valid_date({2026, 4, 31}));
  CHECK_FALSE(c::valid_date({2026, 0, 1}));
  CHECK_FALSE(c::valid_date({2026, 13, 1}));
  CHECK_FALSE(c::valid_date({2026, 1, 0}));
  CHECK_FALSE(c::valid_date({1899, 12, 31}));
  CHECK(c::valid_date(c::kMinDate));
  CHECK(c::valid_date(c::kMaxDate));
  CHECK_FALSE(c::valid_date({2200, 1, 1}));
}

TEST_CASE("Weekdays and day arithmetic agree with the Gregorian calendar", "[calendar][date]") {
  CHECK(c::weekday_of({2026, 11, 22}) == c::Weekday::sunday);
  CHECK(c::weekday_of({1970, 1, 1}) == c::Weekday::thursday);
  CHECK(c::weekday_of({2000, 2, 29}) == c::Weekday::tuesday);
  CHECK(c::add_days({2024, 2, 28}, 1) == c::Date{2024, 2, 29});
  CHECK(c::add_days({2024, 3, 1}, -1) == c::Date{2024, 2, 29});
  CHECK(c::add_days({2026, 12, 31}, 1) == c::Date{2027, 1, 1});
  CHECK(c::add_days({2027, 1, 1}, -365) == c::Date{2026, 1, 1});
  CHECK(c::days_between({2026, 1, 1}, {2027, 1, 1}) == 365);
  CHECK(c::days_between({2027, 1, 1}, {2026, 1, 1}) == -365);
}

TEST_CASE("ISO dates round trip and malformed text is refused", "[calendar][date]") {
  CHECK(c::format_iso({2026, 3, 5}) == "2026-03-05");
  // The same text as printf's "%04d-%02d-%02d", inside and outside the digits' fast path.
  for (const c::Date d : {c::Date{1900, 1, 1}, c::Date{2199, 12, 31}, c::Date{0, 0, 0}, c::Date{9999, 99, 99},
                          c::Date{10000, 1, 1}, c::Date{-1, 1, 1}, c::Date{2026, 100, 5}, c::Date{2026, 1, -3}}) {
    char expected[64];
    std::snprintf(expected, sizeof expected, "%04d-%02d-%02d", d.year, d.month, d.day);
    CHECK(c::format_iso(d) == expected);
  }
  CHECK(c::parse_iso("2026-03-05") == c::Date{2026, 3, 5});
  CHECK_FALSE(c::parse_iso("2026-3-5"));
  CHECK_FALSE(c::parse_iso("2026/03/05"));
  CHECK_FALSE(c::parse_iso("2026-02-30"));
  CHECK_FALSE(c::parse_iso("２０２６-03-05"));
  CHECK_FALSE(c::parse_iso("2026-03-0x"));
  CHECK_FALSE(c::parse_iso(""));
}
