// Working days of a municipality and booking deadlines (MST-5: a deadline on a weekend or
// holiday moves to the working day before; MST-7; RSV-6, RSV-7 book against them).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "madoguchi/calendar/business_days.h"

namespace c = madoguchi::calendar;
using madoguchi::Errc;

namespace {

c::BusinessCalendar make(const std::vector<c::Date>& closures = {}) {
  auto cal = c::BusinessCalendar::create(c::HolidayCalendar{}, closures);
  REQUIRE(cal.ok());
  return *cal;
}

c::Date deadline(const c::BusinessCalendar& cal, c::Date slot, int days_before) {
  auto d = cal.deadline_for(slot, days_before);
  INFO((d.ok() ? std::string() : d.error().describe()));
  REQUIRE(d.ok());
  return *d;
}

}  // namespace

TEST_CASE("Weekends, holidays, the year-end closure and closure days are not working days", "[calendar][business]") {
  const auto cal = make({{2026, 7, 17}});
  CHECK(cal.is_working_day({2026, 11, 25}));        // a Wednesday
  CHECK_FALSE(cal.is_working_day({2026, 11, 28}));  // Saturday
  CHECK_FALSE(cal.is_working_day({2026, 11, 22}));  // Sunday
  CHECK_FALSE(cal.is_working_day({2026, 11, 23}));  // 勤労感謝の日 (a Monday)
  CHECK(cal.is_working_day({2026, 11, 24}));
  CHECK(cal.is_working_day({2026, 12, 28}));
  for (c::Date d : {c::Date{2026, 12, 29}, c::Date{2026, 12, 30}, c::Date{2026, 12, 31}, c::Date{2027, 1, 1},
                    c::Date{2027, 1, 2}, c::Date{2027, 1, 3}}) {
    INFO(c::format_iso(d));
    CHECK_FALSE(cal.is_working_day(d));
  }
  CHECK(cal.is_working_day({2027, 1, 4}));
  CHECK_FALSE(cal.is_working_day({2026, 7, 17}));  // the administrator's closure day
  CHECK(cal.is_working_day({2026, 7, 16}));
  CHECK_FALSE(cal.is_working_day({2026, 2, 30}));  // no such day
  CHECK_FALSE(cal.is_working_day({2100, 1, 5}));   // beyond the rules, no published list
}

TEST_CASE("Closed days say why, holidays by name first", "[calendar][business]") {
  const auto cal = make({{2026, 7, 17}});
  CHECK(cal.closed_reason({2027, 1, 1}) == "元日");
  CHECK(cal.closed_reason({2026, 12, 30}) == "年末年始");
  CHECK(cal.closed_reason({2027, 1, 3}) == "年末年始");  // also a Sunday
  CHECK(cal.closed_reason({2026, 7, 17}) == "臨時休業日");
  CHECK(cal.closed_reason({2026, 11, 28}) == "土曜日");
  CHECK(cal.closed_reason({2026, 11, 22}) == "日曜日");
  CHECK(cal.closed_reason({2026, 11, 3}) == "文化の日");
  CHECK_FALSE(cal.closed_reason({2026, 11, 25}));
}

TEST_CASE("Golden Week 2019 closes the offices for ten days in a row", "[calendar][business]") {
  const auto cal = make();
  CHECK(cal.is_working_day({2019, 4, 26}));
  int closed = 0;
  for (c::Date d{2019, 4, 27}; d <= c::Date{2019, 5, 6}; d = c::add_days(d, 1)) {
    INFO(c::format_iso(d));
    CHECK_FALSE(cal.is_working_day(d));
    ++closed;
  }
  CHECK(closed == 10);
  CHECK(cal.is_working_day({2019, 5, 7}));
  // A slot on the first day after it, booked "1 day before", closes before the holidays began.
  CHECK(deadline(cal, {2019, 5, 7}, 1) == c::Date{2019, 4, 26});
}

TEST_CASE("A deadline is slot day minus N days, moved back over closed days", "[calendar][business]") {
  const auto cal = make();
  // Plain: 3 days before Monday 2026-11-30 is Friday 11/27.
  CHECK(deadline(cal, {2026, 11, 30}, 3) == c::Date{2026, 11, 27});
  // N = 0 is the slot day itself, when it is a working day ...
  CHECK(deadline(cal, {2026, 11, 25}, 0) == c::Date{2026, 11, 25});
  // ... and the working day before when the slot is on a Saturday (休日開庁).
  CHECK(deadline(cal, {2026, 11, 28}, 0) == c::Date{2026, 11, 27});
  // The day before Tuesday 11/24 is 勤労感謝の日 (Monday), then a weekend: Friday 11/20.
  CHECK(deadline(cal, {2026, 11, 24}, 1) == c::Date{2026, 11, 20});
  // The days are calendar days, not working days: 2 days before Tuesday 11/24 is Sunday -> 11/20.
  CHECK(deadline(cal, {2026, 11, 24}, 2) == c::Date{2026, 11, 20});
}

TEST_CASE("A deadline moves back across the New Year closure", "[calendar][business]") {
  const auto cal = make();
  // Monday 2027-01-04, 1 day before: 1/3 .. 12/29 are closed, so Monday 2026-12-28.
  CHECK(deadline(cal, {2027, 1, 4}, 1) == c::Date{2026, 12, 28});
  CHECK(deadline(cal, {2027, 1, 6}, 3) == c::Date{2026, 12, 28});
  CHECK(deadline(cal, {2027, 1, 6}, 1) == c::Date{2027, 1, 5});
}

TEST_CASE("A deadline moves back across a Happy Monday and an added closure day", "[calendar][business]") {
  // 海の日 2026 is the third Monday of July, 7/20.
  REQUIRE(c::HolidayCalendar{}.holiday_name({2026, 7, 20}) == "海の日");
  CHECK(deadline(make(), {2026, 7, 21}, 1) == c::Date{2026, 7, 17});
  // The administrator closes Friday 7/17: the deadline moves one more day.
  CHECK(deadline(make({{2026, 7, 17}}), {2026, 7, 21}, 1) == c::Date{2026, 7, 16});
}

TEST_CASE("Deadlines that cannot be computed are errors, not guesses", "[calendar][business]") {
  const auto cal = make();
  auto negative = cal.deadline_for({2026, 11, 25}, -1);
  REQUIRE_FALSE(negative.ok());
  CHECK(negative.error().code == Errc::invalid_argument);
  CHECK_FALSE(cal.deadline_for({2026, 11, 25}, c::kMaxDaysBefore + 1).ok());
  CHECK(cal.deadline_for({2026, 11, 25}, c::kMaxDaysBefore).ok());
  CHECK_FALSE(cal.deadline_for({2026, 2, 30}, 1).ok());
  auto beyond = cal.deadline_for({2100, 1, 5}, 1);
  REQUIRE_FALSE(beyond.ok());
  CHECK(beyond.error().code == Errc::invalid_argument);
  auto before_range = cal.deadline_for({1900, 1, 2}, 5);
  REQUIRE_FALSE(before_range.ok());
  CHECK(before_range.error().code == Errc::invalid_argument);

  // With a published list for 2100, 2100 is covered.
  auto published = c::HolidayCalendar::with_published({{{2100, 1, 1}, "元日"}});
  REQUIRE(published.ok());
  auto cal2100 = c::BusinessCalendar::create(*published, {});
  REQUIRE(cal2100.ok());
  CHECK(deadline(*cal2100, {2100, 1, 5}, 1) == c::Date{2100, 1, 4});
}

TEST_CASE("A year of closure days gives not_found instead of walking on", "[calendar][business]") {
  std::vector<c::Date> closures;
  for (c::Date d{2025, 1, 1}; closures.size() < 400; d = c::add_days(d, 1)) closures.push_back(d);
  const auto cal = make(closures);
  auto d = cal.deadline_for({2026, 6, 1}, 130);
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().code == Errc::not_found);
}

TEST_CASE("Bad closure days are refused with the entry named", "[calendar][business]") {
  auto bad = c::BusinessCalendar::create(c::HolidayCalendar{}, {{2026, 7, 17}, {2026, 2, 30}});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == Errc::invalid_argument);
  CHECK(bad.error().message.find("2件目") != std::string::npos);
  std::vector<c::Date> too_many(c::kMaxExtraClosures + 1, c::Date{2026, 7, 17});
  CHECK_FALSE(c::BusinessCalendar::create(c::HolidayCalendar{}, too_many).ok());
}
