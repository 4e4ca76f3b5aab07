// madoguchi-sim sample-masters: a sample municipality's counter masters, their slots for the
// coming days (domain::generate_slots: holidays, the year-end closure and deadlines as the hub
// console would make them) and two notices, as the JSON array POST /api/v1/{muni}/records of the
// hub takes. For the demo and manual trials; the people in it are none (no personal data).
#include <charconv>
#include <chrono>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "madoguchi/calendar/business_days.h"
#include "madoguchi/domain/booking.h"
#include "madoguchi/domain/counter_master.h"
#include "madoguchi/domain/notice.h"
#include "madoguchi/domain/slots.h"

namespace madoguchi::sim::cli {

namespace {

constexpr std::string_view kUsage =
    "usage: madoguchi-sim sample-masters [--from YYYY-MM-DD] [--days N] [--extra-counters K]\n"
    "\n"
    "Prints a JSON array of records for POST /api/v1/{municipality}/records at the hub:\n"
    "three counters (本庁舎 1番・2番窓口, and 北支所 hidden from the citizen site), their slots\n"
    "from --from (default: today in Japan) for --days days (1..400, default 42), an information\n"
    "notice and a maintenance notice. --extra-counters K (0..20, default 0) adds K more visible\n"
    "counters (ids x1..xK) with the same pattern, for trying a municipality's full year of slots.\n";

int usage_error(std::string_view message) {
  std::cerr << "madoguchi-sim sample-masters: " << message << "\n\n" << kUsage;
  return 2;
}

domain::TimeBand band(int from_h, int from_m, int to_h, int to_m) { return {from_h * 60 + from_m, to_h * 60 + to_m}; }

domain::CounterMaster counter(std::string id, std::string name, std::set<domain::Business> businesses, bool visible,
                               const calendar::Date& from) {
  domain::CounterMaster c;
  c.id = std::move(id);
  c.name = std::move(name);
  c.businesses = std::move(businesses);
  for (int d = 1; d <= 5; ++d) c.week[static_cast<std::size_t>(d)] = {band(9, 0, 12, 0), band(13, 0, 17, 0)};
  c.minutes_per_visit = 30;
  c.capacity_per_slot = 2;
  c.valid_from = domain::LocalDateTime{calendar::add_days(from, -1), 0};
  c.visible_on_site = visible;
  c.deadline_days_before = 1;
  c.deadline_time = 17 * 60;
  return c;
}

}  // namespace

int run_sample_masters(Args args) {
  using domain::Business;
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
  calendar::Date from = domain::japan_local_time(now.count()).date;
  int days = 42;
  int extra = 0;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (i + 1 >= args.size()) return usage_error(std::string(a) + " needs a value");
    const std::string_view v = args[++i];
    if (a == "--from") {
      auto d = calendar::parse_iso(v);
      if (!d) return usage_error("--from must be YYYY-MM-DD");
      from = *d;
    } else if (a == "--days") {
      int n = 0;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc() || end != v.data() + v.size() || n < 1 || n > 400) return usage_error("--days must be 1..400");
      days = n;
    } else if (a == "--extra-counters") {
      int n = -1;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc() || end != v.data() + v.size() || n < 0 || n > 20) return usage_error("--extra-counters must be 0..20");
      extra = n;
    } else {
      return usage_error("unknown option " + std::string(a));
    }
  }
  auto cal = calendar::BusinessCalendar::create(calendar::HolidayCalendar(), {});
  if (!cal) return usage_error(cal.error().message);

  nlohmann::json out = nlohmann::json::array();
  std::vector<domain::CounterMaster> counters = {
      counter("1", "本庁舎 1番窓口", {Business::collection, Business::application}, true, from),
      counter("2", "本庁舎 2番窓口", {Business::collection, Business::cert_renewal}, true, from),
      counter("north", "北支所 窓口", {Business::collection, Business::application, Business::cert_renewal}, false, from),
  };
  for (int i = 1; i <= extra; ++i) {
    counters.push_back(counter("x" + std::to_string(i), "臨時窓口 " + std::to_string(i),
                               {Business::collection, Business::application, Business::cert_renewal}, true, from));
  }
  for (const auto& c : counters) {
    if (auto s = domain::validate_counter(c); !s) return usage_error(s.error().message);
    out.push_back({{"entity", domain::kCounterEntity}, {"key", domain::counter_key(c)}, {"body", domain::counter_to_json(c)}});
    auto slots = domain::generate_slots(c, from, calendar::add_days(from, days - 1), *cal);
    if (!slots) {
      std::cerr << "madoguchi-sim sample-masters: " << slots.error().message << "\n";
      return 1;
    }
    for (const auto& s : slots->slots) {
      out.push_back({{"entity", domain::kSlotEntity}, {"key", domain::slot_key(s)}, {"body", domain::slot_to_json(s)}});
    }
  }
  domain::Notice info;
  info.id = "welcome";
  info.title = "マイナンバーカードの受け取りは予約制です";
  info.body = "交付通知書（はがき）が届いた方は、この予約サイトで受け取りの日時を予約してください。\n"
              "ご家族の分もまとめて予約できます。";
  info.publish_from = domain::LocalDateTime{calendar::add_days(from, -7), 0};
  domain::Notice maint;
  maint.id = "maintenance";
  maint.kind = domain::NoticeKind::maintenance;
  maint.title = "システムメンテナンスのお知らせ";
  maint.body = "メンテナンスの間は予約・変更・取消ができません。";
  maint.publish_from = domain::LocalDateTime{from, 0};
  maint.maintenance_from = domain::LocalDateTime{calendar::add_days(from, 5), 22 * 60};
  maint.maintenance_until = domain::LocalDateTime{calendar::add_days(from, 6), 6 * 60};
  for (const auto& n : {info, maint}) {
    if (auto s = domain::validate_notice(n); !s) return usage_error(s.error().message);
    out.push_back({{"entity", domain::kNoticeEntity}, {"key", n.id}, {"body", domain::notice_to_json(n)}});
  }
  std::cout << out.dump() << "\n";
  return 0;
}

}  // namespace madoguchi::sim::cli
