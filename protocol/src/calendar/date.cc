#include "madoguchi/calendar/date.h"

#include <chrono>
#include <cstdio>

namespace madoguchi::calendar {

namespace {

namespace chr = std::chrono;

chr::sys_days to_sys(const Date& d) noexcept {
  return chr::sys_days{chr::year{d.year} / chr::month{static_cast<unsigned>(d.month)} /
                       chr::day{static_cast<unsigned>(d.day)}};
}

Date from_sys(chr::sys_days days) noexcept {
  const chr::year_month_day ymd{days};
  return Date{static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
              static_cast<int>(static_cast<unsigned>(ymd.day()))};
}

}  // namespace

bool valid_date(const Date& date) noexcept {
  if (date < kMinDate || date > kMaxDate) return false;
  if (date.month < 1 || date.month > 12 || date.day < 1 || date.day > 31) return false;
  const chr::year_month_day ymd{chr::year{date.year}, chr::month{static_cast<unsigned>(date.month)},
                                chr::day{static_cast<unsigned>(date.day)}};
  return ymd.ok();
}

Weekday weekday_of(const Date& date) noexcept {
  return static_cast<Weekday>(chr::weekday{to_sys(date)}.c_encoding());
}

Date add_days(const Date& date, int days) noexcept { return from_sys(to_sys(date) + chr::days{days}); }

LocalTime local_time(std::int64_t utc_ms, int utc_offset_minutes) noexcept {
  constexpr std::int64_t kDay = 86'400'000;
  const std::int64_t local_ms = utc_ms + static_cast<std::int64_t>(utc_offset_minutes) * 60'000;
  std::int64_t days = local_ms / kDay;
  if (local_ms % kDay < 0) --days;
  return {add_days({1970, 1, 1}, static_cast<int>(days)), static_cast<int>((local_ms - days * kDay) / 60'000)};
}

int days_between(const Date& from, const Date& to) noexcept {
  return static_cast<int>((to_sys(to) - to_sys(from)).count());
}

std::string format_iso(const Date& date) {
  // Called for every slot key and page row: digits by hand (snprintf was a tenth of a slot page).
  if (date.year >= 0 && date.year <= 9999 && date.month >= 0 && date.month <= 99 && date.day >= 0 && date.day <= 99) {
    std::string out(10, '-');
    auto put = [&](std::size_t at, int value, int width) {
      for (int i = width - 1; i >= 0; --i, value /= 10) out[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
    };
    put(0, date.year, 4);
    put(5, date.month, 2);
    put(8, date.day, 2);
    return out;
  }
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d", date.year, date.month, date.day);
  return buffer;
}

std::optional<Date> parse_iso(std::string_view text) noexcept {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto number = [&](std::size_t from, std::size_t count) -> std::optional<int> {
    int value = 0;
    for (std::size_t i = from; i < from + count; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  auto year = number(0, 4);
  auto month = number(5, 2);
  auto day = number(8, 2);
  if (!year || !month || !day) return std::nullopt;
  const Date date{*year, *month, *day};
  if (!valid_date(date)) return std::nullopt;
  return date;
}

}  // namespace madoguchi::calendar
