// madoguchi-sim sample-masters: a sample municipality's counter masters, their slots for the
// coming days (domain::generate_slots: holidays, the year-end closure and deadlines as the hub
// console would make them) and two notices, as the JSON array POST /api/v1/{muni}/records of the
// hub takes. For the demo and manual trials; the people in it are none (no personal data).
#include <charconv>
#include <fstream>
#include <iterator>
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
#include "madoguchi/domain/password.h"
#include "madoguchi/domain/slots.h"
#include "madoguchi/sim/town_generator.h"

namespace madoguchi::sim::cli {

namespace {

constexpr std::string_view kUsage =
    "usage: madoguchi-sim sample-masters [--from YYYY-MM-DD] [--days N] [--extra-counters K]\n"
    "                                    [--bookings-from FILE [--staff ID]]\n"
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
  std::string bookings_from, staff = "admin01";
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
    } else if (a == "--bookings-from") {
      bookings_from = std::string(v);
    } else if (a == "--staff") {
      staff = std::string(v);
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
  std::vector<domain::Slot> first_counter_slots;
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
    if (c.id == "1") first_counter_slots = slots->slots;
  }
  // 電話予約 of application visits for some of the town's residents (the demo's same people as
  // the linkage data and the J-LIS list): one a working day at 本庁舎 1番窓口 from the third day.
  if (!bookings_from.empty()) {
    std::ifstream in{bookings_from, std::ios::binary};
    if (!in) return usage_error("cannot read " + bookings_from);
    auto holders = parse_card_holders_tsv(std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()));
    if (!holders) return usage_error(holders.error().message);
    std::size_t made = 0, slot_at = 0;
    std::optional<calendar::Date> last_date;
    const std::int64_t now_ms = now.count();
    for (std::size_t h = holders->size(); h-- > 0 && made < 6;) {  // the last ones: the first have cards in the J-LIS list
      const auto& holder = (*holders)[h];
      if (holder.kana.empty()) continue;
      while (slot_at < first_counter_slots.size() &&
             (first_counter_slots[slot_at].start.date < calendar::add_days(from, 2) || first_counter_slots[slot_at].start.minute < 10 * 60 ||
              (last_date && first_counter_slots[slot_at].start.date == *last_date))) {
        ++slot_at;
      }
      if (slot_at >= first_counter_slots.size()) break;
      const auto& slot = first_counter_slots[slot_at++];
      last_date = slot.start.date;
      domain::Booking b;
      b.receipt = "DEMO-" + std::to_string(1001 + made);
      auto hash = domain::hash_password(b.receipt + "-" + std::to_string(now_ms));  // nobody signs in to a sample booking
      if (!hash) return usage_error(hash.error().message);
      b.password_hash = *hash;
      b.business = Business::application;
      b.application_kind = domain::ApplicationKind::new_issue;
      b.counter = slot.counter;
      b.slot = domain::slot_key(slot);
      b.people = {domain::BookingPerson{"", holder.kana}};
      b.channel = domain::BookingChannel::phone;
      b.staff = staff;
      b.note = "サンプルの電話予約（" + holder.person + "）";
      b.created_ms = b.updated_ms = now_ms;
      b.history = {domain::BookingEvent{now_ms, "created", "staff:" + staff, b.slot, ""}};
      if (auto s = domain::validate_booking(b); !s) return usage_error(s.error().message);
      out.push_back({{"entity", domain::kBookingEntity}, {"key", b.receipt}, {"body", domain::booking_to_json(b)}});
      ++made;
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
