// The calendar configuration record (休業日・祝日, MST-4, MST-5): closure days and the uploaded
// Cabinet Office list, their bounds, and the BusinessCalendar they make.
#include <catch2/catch.hpp>

#include <string>

#include "madoguchi/domain/calendar_config.h"
#include "madoguchi/domain/record_body.h"

namespace c = madoguchi::domain;
namespace cal = madoguchi::calendar;
using madoguchi::Errc;

namespace {
c::CalendarConfig sample() {
  c::CalendarConfig k;
  k.closures = {{2026, 12, 28}, {2026, 8, 14}};
  k.has_holidays = true;
  k.holiday_source = "syukujitsu.csv";
  k.holidays = {{{2026, 1, 1}, "元日"}, {{2026, 1, 12}, "成人の日"}, {{2026, 11, 23}, "勤労感謝の日"}};
  return k;
}
}  // namespace

TEST_CASE("calendar config: body round trip and its documented form", "[calendar_config]") {
  const auto k = sample();
  auto body = c::calendar_config_body(k);
  REQUIRE(body);
  CHECK(*body ==
        R"({"closures":["2026-08-14","2026-12-28"],"holidays":{"days":[["2026-01-01","元日"],["2026-01-12","成人の日"],)"
        R"(["2026-11-23","勤労感謝の日"]],"source":"syukujitsu.csv"}})");
  auto parsed = c::parse_body(*body);
  REQUIRE(parsed);
  auto back = c::calendar_config_from_json(*parsed);
  REQUIRE(back);
  CHECK(*back == k);

  c::CalendarConfig empty;
  auto e = c::calendar_config_body(empty);
  REQUIRE(e);
  CHECK(*e == R"({"closures":[]})");
}

TEST_CASE("calendar config: malformed and invalid bodies are refused", "[calendar_config]") {
  using nlohmann::json;
  CHECK(c::calendar_config_from_json(json::array()).error().code == Errc::malformed);
  CHECK(c::calendar_config_from_json(json{{"closures", json::array()}, {"extra", 1}}).error().code == Errc::malformed);
  CHECK(c::calendar_config_from_json(json::object()).error().code == Errc::malformed);
  CHECK(c::calendar_config_from_json(json{{"closures", {1}}}).error().code == Errc::malformed);
  auto bad_day = c::calendar_config_from_json(json{{"closures", {"2026-02-30"}}});
  REQUIRE_FALSE(bad_day);
  CHECK(bad_day.error().code == Errc::invalid_argument);
  CHECK(bad_day.error().message.find("closures[0]") != std::string::npos);
  auto twice = c::calendar_config_from_json(
      json{{"closures", json::array()},
           {"holidays", {{"source", ""}, {"days", json::array({json::array({"2026-01-01", "元日"}), json::array({"2026-01-01", "元日"})})}}}});
  REQUIRE_FALSE(twice);
  CHECK(twice.error().code == Errc::invalid_argument);
  CHECK(twice.error().message.find("holidays.days[1]") != std::string::npos);
  auto no_name = c::calendar_config_from_json(
      json{{"closures", json::array()}, {"holidays", {{"source", ""}, {"days", json::array({json::array({"2026-01-01", ""})})}}}});
  CHECK(no_name.error().code == Errc::invalid_argument);
  auto not_pair = c::calendar_config_from_json(
      json{{"closures", json::array()}, {"holidays", {{"source", ""}, {"days", json::array({json::array({"2026-01-01"})})}}}});
  CHECK(not_pair.error().code == Errc::malformed);
}

TEST_CASE("calendar config: at most 2000 closure days and the record body bound", "[calendar_config]") {
  c::CalendarConfig k;
  cal::Date d{2026, 1, 1};
  for (std::size_t i = 0; i < c::kMaxClosureDays; ++i) {
    k.closures.insert(d);
    d = cal::add_days(d, 1);
  }
  auto body = c::calendar_config_body(k);
  REQUIRE(body);  // 2000 days fit the record body bound
  CHECK(body->size() <= c::kMaxCalendarBodyBytes);
  k.closures.insert(d);
  auto over = c::calendar_config_body(k);
  REQUIRE_FALSE(over);
  CHECK(over.error().code == Errc::invalid_argument);

  // A published list as long as the Cabinet Office's whole list does not fit: too_large.
  c::CalendarConfig big;
  big.has_holidays = true;
  cal::Date h{1955, 1, 1};
  for (int i = 0; i < 1100; ++i) {
    big.holidays.push_back({h, "勤労感謝の日"});
    h = cal::add_days(h, 20);
  }
  auto too_big = c::calendar_config_body(big);
  REQUIRE_FALSE(too_big);
  CHECK(too_big.error().code == Errc::too_large);
  // What the console keeps of it (recent years) fits.
  big.holidays = c::holidays_from_year(big.holidays, 2010);
  CHECK(c::calendar_config_body(big));
}

TEST_CASE("calendar config: the business calendar follows closures and the published list", "[calendar_config]") {
  // 2026-11-23 (勤労感謝の日) is a holiday by the rules; a published list for 2026 that leaves it
  // out makes it a working day (the list wins for its years), and a closure day is closed.
  c::CalendarConfig k;
  k.closures = {{2026, 7, 17}};
  auto plain = c::business_calendar(k);
  REQUIRE(plain);
  CHECK_FALSE(plain->is_working_day({2026, 7, 17}));
  CHECK(plain->closed_reason({2026, 7, 17}) == std::optional<std::string>("臨時休業日"));
  CHECK_FALSE(plain->is_working_day({2026, 11, 23}));

  k.has_holidays = true;
  k.holidays = {{{2026, 1, 1}, "元日"}};
  auto listed = c::business_calendar(k);
  REQUIRE(listed);
  CHECK(listed->is_working_day({2026, 11, 23}));
  CHECK(listed->holidays().published_year(2026));
  CHECK_FALSE(listed->holidays().published_year(2027));
  CHECK_FALSE(listed->is_working_day({2027, 11, 23}));  // 2027 still by the rules
}

TEST_CASE("calendar config: an uploaded Cabinet Office CSV, its years, the years kept", "[calendar_config]") {
  const std::string csv =
      "国民の祝日・休日月日,国民の祝日・休日名称\r\n2024/1/1,元日\r\n2025/1/1,元日\r\n2026/1/1,元日\r\n"
      "2026/11/23,勤労感謝の日\r\n2027/1/1,元日\r\n";
  auto list = cal::parse_cabinet_office_csv(csv);
  REQUIRE(list);
  CHECK(c::published_years(*list) == std::vector<int>{2024, 2025, 2026, 2027});
  auto kept = c::holidays_from_year(*list, 2025);
  REQUIRE(kept.size() == 4);
  CHECK(kept.front().date == cal::Date{2025, 1, 1});
}
