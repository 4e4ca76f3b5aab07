#include <catch2/catch.hpp>

#include <string>

#include "madoguchi/domain/counter_master.h"
#include "madoguchi/domain/record_body.h"

namespace c = madoguchi::domain;
namespace cal = madoguchi::calendar;
using madoguchi::Errc;

namespace {
constexpr int hm(int h, int m) { return h * 60 + m; }

c::CounterMaster sample() {
  c::CounterMaster k;
  k.id = "honcho-1";
  k.name = "本庁舎 1番窓口";
  k.businesses = {c::Business::collection, c::Business::cert_renewal};
  const auto mon = static_cast<std::size_t>(cal::Weekday::monday);
  k.week[mon] = {{hm(9, 0), hm(12, 0)}, {hm(13, 0), hm(17, 0)}};
  k.week[static_cast<std::size_t>(cal::Weekday::saturday)] = {{hm(9, 0), hm(12, 0)}};
  k.minutes_per_visit = 20;
  k.capacity_per_slot = 2;
  k.valid_from = {{2026, 4, 1}, 0};
  k.valid_until = c::LocalDateTime{{2027, 4, 1}, hm(8, 30)};
  k.visible_on_site = false;
  k.deadline_days_before = 3;
  k.deadline_time = hm(17, 15);
  k.days_ahead = 90;
  return k;
}

bool same(const c::CounterMaster& a, const c::CounterMaster& b) {
  return a.id == b.id && a.name == b.name && a.businesses == b.businesses && a.week == b.week &&
         a.minutes_per_visit == b.minutes_per_visit && a.capacity_per_slot == b.capacity_per_slot &&
         a.valid_from == b.valid_from && a.valid_until == b.valid_until && a.visible_on_site == b.visible_on_site &&
         a.deadline_days_before == b.deadline_days_before && a.deadline_time == b.deadline_time &&
         a.days_ahead == b.days_ahead;
}

// The error of counter_from_json for the sample's body with one key changed.
madoguchi::Error refusal(const char* key, const nlohmann::json& value) {
  auto j = c::counter_to_json(sample());
  j[key] = value;
  auto r = c::counter_from_json(j);
  REQUIRE_FALSE(r.ok());
  return r.error();
}

madoguchi::Error invalid(const c::CounterMaster& k) {
  auto st = c::validate_counter(k);
  REQUIRE_FALSE(st.ok());
  return st.error();
}
}  // namespace

TEST_CASE("A counter master round-trips through its counter record (MST-2, MST-3, MST-5, MST-6, MST-7)",
          "[console][counter]") {
  CHECK(c::kCounterEntity == "counter");
  const auto k = sample();
  REQUIRE(c::validate_counter(k).ok());
  CHECK(c::counter_key(k) == "honcho-1");
  const auto text = c::dump_body(c::counter_to_json(k));
  CHECK(text ==
        R"({"businesses":["collection","cert_renewal"],"capacity_per_slot":2,"days_ahead":90,)"
        R"("deadline_days_before":3,"deadline_time":"17:15","id":"honcho-1","minutes_per_visit":20,)"
        R"("name":"本庁舎 1番窓口","valid_from":"2026-04-01T00:00","valid_until":"2027-04-01T08:30",)"
        R"("visible_on_site":false,"week":{"mon":["09:00-12:00","13:00-17:00"],"sat":["09:00-12:00"]}})");
  auto body = c::parse_body(text);
  REQUIRE(body.ok());
  auto back = c::counter_from_json(*body);
  REQUIRE(back.ok());
  CHECK(same(*back, k));

  // Optional parts absent: open-ended validity, the system's days-ahead setting.
  auto open = k;
  open.valid_until.reset();
  open.days_ahead.reset();
  auto j = c::counter_to_json(open);
  CHECK_FALSE(j.contains("valid_until"));
  CHECK_FALSE(j.contains("days_ahead"));
  auto back2 = c::counter_from_json(j);
  REQUIRE(back2.ok());
  CHECK(same(*back2, open));
}

TEST_CASE("At least ten counters can be set up, each with its own businesses (MST-1, PHN-4)", "[console][counter]") {
  for (int i = 1; i <= 12; ++i) {
    auto k = sample();
    k.id = "c" + std::to_string(i);
    k.businesses = {c::all_businesses()[static_cast<std::size_t>(i) % c::all_businesses().size()]};
    CHECK(c::validate_counter(k).ok());
  }
  CHECK(c::business_label(c::Business::collection) == "交付");
  CHECK(c::business_label(c::Business::application) == "申請");
  CHECK(c::business_label(c::Business::cert_renewal) == "電子証明書更新");
  for (auto b : c::all_businesses()) CHECK(c::business_from_id(c::business_id(b)) == b);
  CHECK_FALSE(c::business_from_id("交付").has_value());
}

TEST_CASE("Time bands must lie inside a day, not overlap and hold whole visits (MST-2)", "[console][counter]") {
  const auto mon = static_cast<std::size_t>(cal::Weekday::monday);
  auto k = sample();

  k.week[mon] = {{hm(9, 0), hm(12, 0)}, {hm(11, 40), hm(13, 0)}};
  auto e = invalid(k);
  CHECK(e.code == Errc::invalid_argument);
  CHECK(e.message.rfind("week.mon[1]: band 11:40-13:00 overlaps", 0) == 0);

  k.week[mon] = {{hm(13, 0), hm(14, 0)}, {hm(9, 0), hm(10, 0)}};  // out of order
  CHECK(invalid(k).message.rfind("week.mon[1]:", 0) == 0);

  k.week[mon] = {{hm(9, 0), hm(12, 0)}, {hm(12, 0), hm(13, 0)}};  // touching is fine
  CHECK(c::validate_counter(k).ok());

  k.week[mon] = {{hm(9, 0), hm(11, 50)}};  // 170 minutes, not a multiple of 20: refused, not cut
  CHECK(invalid(k).message == "week.mon[0]: band 09:00-11:50 is not a whole number of 20-minute visits");

  k.week[mon] = {{hm(10, 0), hm(10, 0)}};
  CHECK(invalid(k).message.rfind("week.mon[0]: a band must start before it ends", 0) == 0);

  k.week[mon] = {{hm(23, 0), c::kMinutesPerDay + 20}};
  CHECK(invalid(k).message.rfind("week.mon[0]:", 0) == 0);

  k.week[mon] = {{hm(23, 0), c::kMinutesPerDay}};  // until 24:00 is inside the day
  CHECK(c::validate_counter(k).ok());
  CHECK(c::counter_to_json(k)["week"]["mon"][0] == "23:00-24:00");

  k.week[mon].assign(c::kMaxBandsPerDay + 1, c::TimeBand{hm(9, 0), hm(9, 20)});
  CHECK(invalid(k).message.rfind("week.mon: at most 8", 0) == 0);

  // A counter being set up with no bands at all is valid: it offers nothing.
  k.week = {};
  CHECK(c::validate_counter(k).ok());
}

TEST_CASE("Every counter field is checked with a precise field error", "[console][counter]") {
  auto k = sample();
  k.id = "a:b";
  CHECK(invalid(k).message.rfind("id: ", 0) == 0);
  k.id = std::string(17, 'a');
  CHECK(invalid(k).message.rfind("id: ", 0) == 0);

  k = sample();
  k.name = "";
  CHECK(invalid(k).message.rfind("name: ", 0) == 0);
  k.name = "窓口\n1";
  CHECK(invalid(k).message.rfind("name: ", 0) == 0);

  k = sample();
  k.businesses.clear();
  CHECK(invalid(k).message.rfind("businesses: ", 0) == 0);

  k = sample();
  k.minutes_per_visit = 4;
  CHECK(invalid(k).message == "minutes_per_visit: must be 5-240");
  k = sample();
  k.capacity_per_slot = 0;
  CHECK(invalid(k).message == "capacity_per_slot: must be 1-99");
  k.capacity_per_slot = 100;
  CHECK(invalid(k).message == "capacity_per_slot: must be 1-99");

  k = sample();
  k.valid_until = k.valid_from;
  CHECK(invalid(k).message == "valid_until: must be after valid_from");
  k.valid_from.date = {2026, 2, 30};
  CHECK(invalid(k).message.rfind("valid_from: ", 0) == 0);

  k = sample();
  k.deadline_days_before = 366;
  CHECK(invalid(k).message == "deadline_days_before: must be 0-365");
  k = sample();
  k.deadline_time = c::kMinutesPerDay;
  CHECK(invalid(k).message == "deadline_time: must be 00:00-23:59");
  k = sample();
  k.days_ahead = 0;
  CHECK(invalid(k).message == "days_ahead: must be 1-365");
  k.days_ahead = 366;
  CHECK(invalid(k).message == "days_ahead: must be 1-365");
}

TEST_CASE("A counter body from outside is read strictly", "[console][counter]") {
  CHECK(refusal("colour", "red").code == Errc::malformed);  // unknown keys are refused
  CHECK(refusal("name", 1).code == Errc::malformed);
  CHECK(refusal("businesses", "collection").code == Errc::malformed);
  CHECK(refusal("businesses", nlohmann::json::array({1})).code == Errc::malformed);
  auto e = refusal("businesses", nlohmann::json::array({"collection", "passport"}));
  CHECK(e.code == Errc::invalid_argument);
  CHECK(e.message.rfind("businesses: unknown business 'passport'", 0) == 0);
  CHECK(refusal("businesses", nlohmann::json::array({"collection", "collection"})).code == Errc::invalid_argument);
  CHECK(refusal("week", nlohmann::json{{"monday", {"09:00-10:00"}}}).code == Errc::malformed);
  CHECK(refusal("week", nlohmann::json{{"mon", "09:00-10:00"}}).code == Errc::malformed);
  for (const char* band : {"9:00-10:00", "09:00-10:60", "09:00~10:00", "24:00-24:00", "09:00-24:01", "09:00"}) {
    INFO(band);
    auto b = refusal("week", nlohmann::json{{"mon", {band}}});
    CHECK(b.code == Errc::invalid_argument);
    CHECK(b.message == "week.mon[0]: must be a time band HH:MM-HH:MM");
  }
  CHECK(refusal("week", nlohmann::json{{"tue", {"09:00-10:00", "09:30-10:30"}}}).message.rfind("week.tue[1]:", 0) ==
        0);
  CHECK(refusal("valid_from", "2026-04-01").message.rfind("valid_from: ", 0) == 0);
  CHECK(refusal("valid_until", "2026-04-01T25:00").message.rfind("valid_until: ", 0) == 0);
  CHECK(refusal("deadline_time", "24:00").message.rfind("deadline_time: ", 0) == 0);
  CHECK(refusal("visible_on_site", "yes").code == Errc::malformed);
  CHECK(refusal("capacity_per_slot", 1.5).code == Errc::malformed);
  CHECK(refusal("days_ahead", 0).message == "days_ahead: must be 1-365");

  auto j = c::counter_to_json(sample());
  j.erase("valid_from");
  auto r = c::counter_from_json(j);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::malformed);
  CHECK_FALSE(c::counter_from_json(nlohmann::json::array()).ok());
}

TEST_CASE("Validity covers a visit only when the whole visit lies inside it (MST-3)", "[console][counter]") {
  auto k = sample();  // 2026-04-01T00:00 .. 2027-04-01T08:30
  CHECK(c::within_validity(k, {{2026, 4, 1}, 0}, 20));
  CHECK_FALSE(c::within_validity(k, {{2026, 3, 31}, hm(23, 50)}, 20));
  CHECK(c::within_validity(k, {{2027, 4, 1}, hm(8, 10)}, 20));   // ends 08:30 exactly
  CHECK_FALSE(c::within_validity(k, {{2027, 4, 1}, hm(8, 20)}, 20));  // ends 08:40
  k.valid_until.reset();
  CHECK(c::within_validity(k, {{2099, 12, 31}, hm(8, 20)}, 20));
}

TEST_CASE("Local date-times and clock times parse exactly", "[console][counter]") {
  auto t = c::parse_date_time("2026-12-31T23:59");
  REQUIRE(t.has_value());
  CHECK(c::format_date_time(*t) == "2026-12-31T23:59");
  CHECK(c::format_date_time(c::LocalDateTime{{2026, 1, 1}, 0}) == "2026-01-01T00:00");
  CHECK(c::format_date_time(c::LocalDateTime{{2026, 1, 1}, 24 * 60}) == "2026-01-01T24:00");
  CHECK(c::add_minutes(*t, 1) == c::LocalDateTime{{2027, 1, 1}, 0});
  CHECK(c::add_minutes(c::LocalDateTime{{2027, 1, 1}, 0}, -1) == *t);
  CHECK_FALSE(c::parse_date_time("2026-12-31 23:59").has_value());
  CHECK_FALSE(c::parse_date_time("2026-02-29T10:00").has_value());
  CHECK_FALSE(c::parse_date_time("2026-12-31T24:00").has_value());
  CHECK(c::parse_minute("24:00", true) == c::kMinutesPerDay);
  CHECK_FALSE(c::parse_minute("24:00", false).has_value());
  CHECK_FALSE(c::parse_minute("24:01", true).has_value());
  CHECK_FALSE(c::parse_minute("+9:00", false).has_value());
}
