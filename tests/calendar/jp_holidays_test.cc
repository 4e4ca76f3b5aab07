// Japanese national holidays (MST-5, RSV-6): the rules and special-law data against holiday_jp's
// list of every holiday 1970-2050, the historic cases one by one, and the published list that
// overrides the rules (docs/calendar.md).
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "madoguchi/calendar/jp_holidays.h"
#include "madoguchi/text/encoding.h"
#include "skip.h"

namespace c = madoguchi::calendar;
using madoguchi::Errc;

namespace {

// "YYYY-MM-DD: 名称" lines of holiday_jp's holidays.yml (the only shape that file has, besides
// its "---" header).
std::map<c::Date, std::string> read_holidays_yml(std::ifstream& file) {
  std::map<c::Date, std::string> out;
  std::string line;
  while (std::getline(file, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() < 13 || line.compare(10, 2, ": ") != 0) continue;
    auto date = c::parse_iso(std::string_view(line).substr(0, 10));
    REQUIRE(date);
    out.emplace(*date, line.substr(12));
  }
  return out;
}

// holiday_jp names substitute holidays "勤労感謝の日 振替休日", in-between days "休日", and keeps
// the Cabinet Office's "休日（祝日扱い）" for the 2019 enthronement days and
// "体育の日（スポーツの日）" for 2019-10-14 (the name changed only in 2020). We name them by kind.
std::string normalised(const c::Date& date, const std::string& name) {
  const std::string substitute = " 振替休日";
  if (name.size() > substitute.size() && name.ends_with(substitute)) return "振替休日";
  if (name == "休日") return "国民の休日";
  if (name == "体育の日（スポーツの日）") return "体育の日";
  if (name == "休日（祝日扱い）" && date == c::Date{2019, 5, 1}) return "天皇の即位の日";
  if (name == "休日（祝日扱い）" && date == c::Date{2019, 10, 22}) return "即位礼正殿の儀";
  return name;
}

std::string name_on(const c::HolidayCalendar& cal, c::Date d) { return cal.holiday_name(d).value_or("(none)"); }

}  // namespace

TEST_CASE("Rules and special-law data give exactly holiday_jp's holidays of 1970-2050", "[calendar][holidays]") {
  std::ifstream file(MADOGUCHI_HOLIDAYS_YML);
  if (!file) {
    madoguchi::testing::skip_test("holiday_jp's holidays.yml is not at " MADOGUCHI_HOLIDAYS_YML
                                 " (shared/data is not checked out)");
    return;
  }
  const std::map<c::Date, std::string> expected = read_holidays_yml(file);
  // PROVENANCE.md: 1,329 dates. A parse that found few would make this test vacuous.
  REQUIRE(expected.size() == 1329);

  const c::HolidayCalendar calendar;
  std::size_t compared = 0;
  for (int year = 1970; year <= 2050; ++year) {
    std::map<c::Date, std::string> ours;
    for (const c::Holiday& h : calendar.holidays_in(year)) ours.emplace(h.date, h.name);
    for (const c::Holiday& h : c::holidays_by_rules(year)) {
      CHECK(ours.count(h.date) == 1);  // the calendar and the bare rules agree
    }
    for (auto it = expected.lower_bound(c::Date{year, 1, 1}); it != expected.end() && it->first.year == year; ++it) {
      INFO(c::format_iso(it->first) << " " << it->second);
      auto found = ours.find(it->first);
      if (found == ours.end()) {
        FAIL_CHECK("holiday_jp lists it, our rules do not");
        continue;
      }
      CHECK(found->second == normalised(it->first, it->second));
      ours.erase(found);
      ++compared;
    }
    for (const auto& [date, name] : ours) {
      INFO("our rules say " << c::format_iso(date) << " is " << name << ", holiday_jp does not");
      CHECK(false);
    }
  }
  CHECK(compared == expected.size());
}

TEST_CASE("Golden Week 2019 is ten days off by the enthronement law and Article 3(3)", "[calendar][holidays]") {
  const c::HolidayCalendar cal;
  CHECK(name_on(cal, {2019, 4, 29}) == "昭和の日");
  CHECK(name_on(cal, {2019, 4, 30}) == "国民の休日");
  CHECK(name_on(cal, {2019, 5, 1}) == "天皇の即位の日");
  CHECK(name_on(cal, {2019, 5, 2}) == "国民の休日");
  CHECK(name_on(cal, {2019, 5, 3}) == "憲法記念日");
  CHECK(name_on(cal, {2019, 5, 4}) == "みどりの日");
  CHECK(name_on(cal, {2019, 5, 5}) == "こどもの日");
  CHECK(name_on(cal, {2019, 5, 6}) == "振替休日");
  CHECK_FALSE(cal.is_holiday({2019, 5, 7}));
  CHECK(name_on(cal, {2019, 10, 22}) == "即位礼正殿の儀");
  // No 天皇誕生日 in 2019: 12/23 ended with 2018, 2/23 began with 2020.
  CHECK_FALSE(cal.is_holiday({2019, 12, 23}));
  CHECK_FALSE(cal.is_holiday({2019, 2, 23}));
  CHECK(name_on(cal, {2018, 12, 23}) == "天皇誕生日");
  CHECK(name_on(cal, {2020, 2, 23}) == "天皇誕生日");
}

TEST_CASE("The Olympic years move 海の日, スポーツの日 and 山の日 and leave their rule days working days",
          "[calendar][holidays]") {
  const c::HolidayCalendar cal;
  CHECK(name_on(cal, {2020, 7, 23}) == "海の日");
  CHECK(name_on(cal, {2020, 7, 24}) == "スポーツの日");
  CHECK(name_on(cal, {2020, 8, 10}) == "山の日");
  CHECK_FALSE(cal.is_holiday({2020, 7, 20}));   // third Monday of July
  CHECK_FALSE(cal.is_holiday({2020, 8, 11}));
  CHECK_FALSE(cal.is_holiday({2020, 10, 12}));  // second Monday of October
  CHECK(name_on(cal, {2021, 7, 22}) == "海の日");
  CHECK(name_on(cal, {2021, 7, 23}) == "スポーツの日");
  CHECK(name_on(cal, {2021, 8, 8}) == "山の日");  // a Sunday,
  CHECK(name_on(cal, {2021, 8, 9}) == "振替休日");  // so the Monday is off
  CHECK_FALSE(cal.is_holiday({2021, 7, 19}));
  CHECK_FALSE(cal.is_holiday({2021, 8, 11}));
  CHECK_FALSE(cal.is_holiday({2021, 10, 11}));
  // Back to the rules in 2022.
  CHECK(name_on(cal, {2022, 7, 18}) == "海の日");
  CHECK(name_on(cal, {2022, 8, 11}) == "山の日");
  CHECK(name_on(cal, {2022, 10, 10}) == "スポーツの日");
}

TEST_CASE("Substitute holidays begin on 1973-04-12 and follow the 2007 rule afterwards", "[calendar][holidays]") {
  const c::HolidayCalendar cal;
  // 1973-02-11 was a Sunday before the amendment took effect: no substitute.
  REQUIRE(c::weekday_of({1973, 2, 11}) == c::Weekday::sunday);
  CHECK_FALSE(cal.is_holiday({1973, 2, 12}));
  // 1973-04-29 was the first Sunday holiday after it.
  CHECK(name_on(cal, {1973, 4, 30}) == "振替休日");
  // Before 2007: the day after (1998-05-03 Sunday gives 5/4).
  CHECK(name_on(cal, {1998, 5, 4}) == "振替休日");
  // From 2007: the next day that is not a national holiday (2009-05-03 Sunday gives 5/6).
  CHECK(name_on(cal, {2009, 5, 4}) == "みどりの日");
  CHECK(name_on(cal, {2009, 5, 5}) == "こどもの日");
  CHECK(name_on(cal, {2009, 5, 6}) == "振替休日");
  // 2008-05-04 (Sunday) is みどりの日 itself and gives 5/6 too.
  CHECK(name_on(cal, {2008, 5, 6}) == "振替休日");
  // A holiday on a Saturday gives nothing.
  REQUIRE(c::weekday_of({2022, 1, 1}) == c::Weekday::saturday);
  CHECK_FALSE(cal.is_holiday({2022, 1, 3}));
}

TEST_CASE("A day between two national holidays is 国民の休日 since 1985-12-27", "[calendar][holidays]") {
  const c::HolidayCalendar cal;
  CHECK(name_on(cal, {2015, 9, 22}) == "国民の休日");  // 敬老の日 9/21, 秋分の日 9/23
  CHECK(name_on(cal, {2026, 9, 21}) == "敬老の日");
  CHECK(name_on(cal, {2026, 9, 22}) == "国民の休日");
  CHECK(name_on(cal, {2026, 9, 23}) == "秋分の日");
  CHECK(name_on(cal, {1988, 5, 4}) == "国民の休日");  // the first one
  CHECK_FALSE(cal.is_holiday({1985, 5, 4}));          // before the amendment
  // Before 2007 a Sunday between 5/3 and 5/5 was not one (and is a Sunday anyway).
  CHECK_FALSE(cal.is_holiday({2003, 5, 4}));
}

TEST_CASE("Names and dates follow the history of the Act", "[calendar][holidays]") {
  const c::HolidayCalendar cal;
  CHECK(name_on(cal, {1988, 4, 29}) == "天皇誕生日");
  CHECK(name_on(cal, {1989, 4, 29}) == "みどりの日");
  CHECK(name_on(cal, {2006, 4, 29}) == "みどりの日");
  CHECK(name_on(cal, {2007, 4, 29}) == "昭和の日");
  CHECK(name_on(cal, {2007, 5, 4}) == "みどりの日");
  CHECK(name_on(cal, {1999, 1, 15}) == "成人の日");
  CHECK_FALSE(cal.is_holiday({2000, 1, 14}));
  CHECK(name_on(cal, {2000, 1, 10}) == "成人の日");
  CHECK_FALSE(cal.is_holiday({1995, 7, 20}));
  CHECK(name_on(cal, {1996, 7, 20}) == "海の日");
  CHECK(name_on(cal, {2003, 7, 21}) == "海の日");
  CHECK(name_on(cal, {2002, 9, 15}) == "敬老の日");
  CHECK(name_on(cal, {2003, 9, 15}) == "敬老の日");  // third Monday that year
  CHECK(name_on(cal, {1999, 10, 10}) == "体育の日");
  CHECK(name_on(cal, {2019, 10, 14}) == "体育の日");
  CHECK(name_on(cal, {2020, 10, 12}) == "(none)");
  CHECK_FALSE(cal.is_holiday({2015, 8, 11}));
  CHECK(name_on(cal, {2016, 8, 11}) == "山の日");
  CHECK_FALSE(cal.is_holiday({1966, 2, 11}));
  CHECK(name_on(cal, {1967, 2, 11}) == "建国記念の日");
  CHECK_FALSE(cal.is_holiday({1965, 9, 15}));
  CHECK(name_on(cal, {1966, 9, 15}) == "敬老の日");
  CHECK(name_on(cal, {1966, 10, 10}) == "体育の日");
}

TEST_CASE("The Act starts on 1948-07-20 and the special laws before 1970 are data", "[calendar][holidays]") {
  const c::HolidayCalendar cal;
  const std::vector<c::Holiday> first_year = c::holidays_by_rules(1948);
  REQUIRE(first_year.size() == 3);
  CHECK(first_year[0].date == c::Date{1948, 9, 23});
  CHECK(first_year[1].date == c::Date{1948, 11, 3});
  CHECK(first_year[2].date == c::Date{1948, 11, 23});
  CHECK(c::holidays_by_rules(1947).empty());
  CHECK_FALSE(cal.is_holiday({1948, 5, 3}));
  CHECK(name_on(cal, {1949, 1, 1}) == "元日");
  CHECK(name_on(cal, {1959, 4, 10}) == "結婚の儀");
  REQUIRE(cal.holidays_in(1959).size() == 10);
  CHECK(cal.holidays_in(1959)[3].kind == c::HolidayKind::special);
  CHECK(name_on(cal, {1989, 2, 24}) == "大喪の礼");
  CHECK(name_on(cal, {1990, 11, 12}) == "即位礼正殿の儀");
  CHECK(name_on(cal, {1993, 6, 9}) == "結婚の儀");
}

TEST_CASE("The equinox formula holds from 1900 to 2099 and refuses other years", "[calendar][holidays]") {
  CHECK(c::vernal_equinox_day(1900) == 21);
  CHECK(c::autumnal_equinox_day(1900) == 23);
  CHECK(c::vernal_equinox_day(2026) == 20);
  CHECK(c::autumnal_equinox_day(2026) == 23);
  CHECK(c::vernal_equinox_day(2099) == 20);
  CHECK(c::autumnal_equinox_day(2099) == 23);
  CHECK_FALSE(c::vernal_equinox_day(1899));
  CHECK_FALSE(c::autumnal_equinox_day(2100));
  CHECK(c::holidays_by_rules(2100).empty());
  const c::HolidayCalendar cal;
  CHECK_FALSE(cal.covers({2100, 1, 1}));
  CHECK(cal.covers({2099, 12, 31}));
  CHECK_FALSE(cal.is_holiday({2100, 1, 1}));
}

TEST_CASE("A published list replaces the rules for exactly the years it has dates in", "[calendar][holidays]") {
  auto cal = c::HolidayCalendar::with_published({
      {{2026, 1, 1}, "元日"},
      {{2026, 6, 15}, "臨時の祝日"},
      {{2100, 1, 1}, "元日"},
  });
  REQUIRE(cal.ok());
  CHECK(cal->published_year(2026));
  CHECK_FALSE(cal->published_year(2027));
  CHECK(name_on(*cal, {2026, 6, 15}) == "臨時の祝日");
  CHECK_FALSE(cal->is_holiday({2026, 11, 3}));  // the list for 2026 lacks it, and the list wins
  CHECK(name_on(*cal, {2027, 11, 3}) == "文化の日");
  REQUIRE(cal->holidays_in(2026).size() == 2);
  CHECK(cal->holidays_in(2026)[1].kind == c::HolidayKind::published);
  CHECK(cal->covers({2100, 6, 1}));
  CHECK(name_on(*cal, {2100, 1, 1}) == "元日");
  CHECK_FALSE(cal->covers({2101, 1, 1}));
}

TEST_CASE("A published list with a bad entry is refused with the entry named", "[calendar][holidays]") {
  auto bad_date = c::HolidayCalendar::with_published({{{2026, 1, 1}, "元日"}, {{2026, 2, 30}, "x"}});
  REQUIRE_FALSE(bad_date.ok());
  CHECK(bad_date.error().code == Errc::invalid_argument);
  CHECK(bad_date.error().message.find("2件目") != std::string::npos);
  auto twice = c::HolidayCalendar::with_published({{{2026, 1, 1}, "元日"}, {{2026, 1, 1}, "元日"}});
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.error().message.find("2回") != std::string::npos);
  auto unnamed = c::HolidayCalendar::with_published({{{2026, 1, 1}, ""}});
  REQUIRE_FALSE(unnamed.ok());
  auto not_utf8 = c::HolidayCalendar::with_published({{{2026, 1, 1}, "\x8C\xB3\x93\xFA"}});
  REQUIRE_FALSE(not_utf8.ok());
  auto long_name = c::HolidayCalendar::with_published({{{2026, 1, 1}, std::string(c::kMaxHolidayNameBytes + 1, 'a')}});
  REQUIRE_FALSE(long_name.ok());
  std::vector<c::PublishedHoliday> too_many(c::kMaxPublishedHolidays + 1, {{2026, 1, 1}, "x"});
  auto many = c::HolidayCalendar::with_published(too_many);
  REQUIRE_FALSE(many.ok());
  CHECK(many.error().code == Errc::invalid_argument);
}

TEST_CASE("The Cabinet Office's syukujitsu.csv is read in CP932 and UTF-8", "[calendar][holidays]") {
  const std::string utf8 =
      "国民の祝日・休日月日,国民の祝日・休日名称\r\n"
      "2027/1/1,元日\r\n"
      "2027/1/11,成人の日\r\n"
      "2027/3/21,春分の日\r\n"
      "2027/3/22,休日\r\n"
      "\r\n";
  auto cp932 = madoguchi::text::utf8_to_cp932(utf8);
  REQUIRE(cp932.ok());
  for (const std::string& bytes : {*cp932, utf8}) {
    auto list = c::parse_cabinet_office_csv(bytes);
    REQUIRE(list.ok());
    REQUIRE(list->size() == 4);
    CHECK(list->at(0).date == c::Date{2027, 1, 1});
    CHECK(list->at(0).name == "元日");
    CHECK(list->at(3).date == c::Date{2027, 3, 22});
    CHECK(list->at(3).name == "休日");
    auto cal = c::HolidayCalendar::with_published(*list);
    REQUIRE(cal.ok());
    CHECK(name_on(*cal, {2027, 3, 22}) == "休日");
    CHECK_FALSE(cal->is_holiday({2027, 5, 3}));  // not in this (partial) list for 2027
  }
}

TEST_CASE("A broken syukujitsu.csv is refused with the line named", "[calendar][holidays]") {
  auto bad_date = c::parse_cabinet_office_csv("月日,名称\n2027/1/1,元日\n2027/2/30,x\n");
  REQUIRE_FALSE(bad_date.ok());
  CHECK(bad_date.error().code == Errc::malformed);
  CHECK(bad_date.error().message.find("3行目") != std::string::npos);
  // Spaces around fields (ASCII and U+3000) are not part of them.
  auto spaced = c::parse_cabinet_office_csv("2026/9/22,\xE3\x80\x80休日\xE3\x80\x80\n 2026/9/23 , 秋分の日 \n");
  REQUIRE(spaced.ok());
  REQUIRE(spaced->size() == 2);
  CHECK(spaced->at(0).name == "休日");
  CHECK(spaced->at(1).date == c::Date{2026, 9, 23});
  CHECK(spaced->at(1).name == "秋分の日");
  CHECK_FALSE(c::parse_cabinet_office_csv("2026/9/22,\xE3\x80\x80\n").ok());
  // Only the first line may be a header; a list without one is fine.
  CHECK_FALSE(c::parse_cabinet_office_csv("2027/1/1,元日\n2027-01-02,x\n").ok());
  CHECK(c::parse_cabinet_office_csv("2027/1/1,元日\n2027/1/2,x\n")->size() == 2);
  CHECK_FALSE(c::parse_cabinet_office_csv("月日,名称\n2027/1/1\n").ok());
  CHECK_FALSE(c::parse_cabinet_office_csv("月日,名称\n2027/1/1,元日,x\n").ok());
  CHECK(c::parse_cabinet_office_csv("月日,名称\n2027/1/1,元日,,\n").ok());
  CHECK_FALSE(c::parse_cabinet_office_csv("月日,名称\n2027/1/1,元日\n2027/01/01,元日\n").ok());
  CHECK_FALSE(c::parse_cabinet_office_csv("月日,名称\n2027/1/1,\"元日\n").ok());
  CHECK_FALSE(c::parse_cabinet_office_csv("月日,名称\n27/1/1,元日\n").ok());
  CHECK_FALSE(c::parse_cabinet_office_csv("月日,名称\n2027/1/1/1,元日\n").ok());
  auto big = c::parse_cabinet_office_csv(std::string(c::kMaxPublishedCsvBytes + 1, '\n'));
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().code == Errc::too_large);
}
