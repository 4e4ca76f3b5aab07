// The Act on National Holidays as rules, the special laws as data. docs/calendar.md explains each
// rule, its history and its source; keep the two in step.
#include "madoguchi/calendar/jp_holidays.h"

#include <algorithm>
#include <array>
#include <utility>

#include "madoguchi/text/csv.h"
#include "madoguchi/text/encoding.h"

namespace madoguchi::calendar {

namespace {

// Article 3(2) (振替休日) took effect with the 1973 amendment (Act No. 10 of 1973).
constexpr Date kSubstituteInForce{1973, 4, 12};
// Article 3(3) (国民の休日) took effect with the 1985 amendment (Act No. 103 of 1985).
constexpr Date kCitizensInForce{1985, 12, 27};
// The 2005 amendment (Act No. 43 of 2005), in force 2007-01-01: a substitute holiday is the next
// day that is not a national holiday (before: the next day), and 国民の休日 no longer excludes
// Sundays and substitute holidays (the two cannot meet any more since 5/4 became みどりの日).
constexpr Date kRevision2007{2007, 1, 1};

constexpr std::string_view kSubstituteName = "振替休日";
constexpr std::string_view kCitizensName = "国民の休日";

// 休日 by special laws. `deemed_national`: the law makes the day count as a national holiday for
// Article 3(2) and 3(3), so it can cause a substitute holiday or a 国民の休日 (only the 2019 law).
struct SpecialDay {
  Date date;
  std::string_view name;  // as the Cabinet Office's list names it, where it names it
  bool deemed_national;
};
constexpr std::array<SpecialDay, 6> kSpecialDays{{
    // 皇太子明仁親王の結婚の儀の行われる日を休日とする法律 (Act No. 16 of 1959)
    {{1959, 4, 10}, "結婚の儀", false},
    // 昭和天皇の大喪の礼の行われる日を休日とする法律 (Act No. 4 of 1989)
    {{1989, 2, 24}, "大喪の礼", false},
    // 即位礼正殿の儀の行われる日を休日とする法律 (Act No. 24 of 1990)
    {{1990, 11, 12}, "即位礼正殿の儀", false},
    // 皇太子徳仁親王の結婚の儀の行われる日を休日とする法律 (Act No. 32 of 1993)
    {{1993, 6, 9}, "結婚の儀", false},
    // 天皇の即位の日及び即位礼正殿の儀の行われる日を休日とする法律 (Act No. 99 of 2018). The
    // Cabinet Office lists both days as "休日（祝日扱い）"; 2019-04-30 and 05-02 follow from
    // Article 3(3) and are not data.
    {{2019, 5, 1}, "天皇の即位の日", true},
    {{2019, 10, 22}, "即位礼正殿の儀", true},
}};

// National holidays moved for one year by the Tokyo Olympic and Paralympic Special Measures Act
// (東京オリンピック競技大会・東京パラリンピック競技大会特別措置法, amended in 2018 for 2020 and in
// 2020 for 2021). In that year the named holiday falls on `date` instead of its rule day.
struct MovedHoliday {
  std::string_view name;
  Date date;
};
constexpr std::array<MovedHoliday, 6> kMovedHolidays{{
    {"海の日", {2020, 7, 23}},
    {"スポーツの日", {2020, 7, 24}},
    {"山の日", {2020, 8, 10}},
    {"海の日", {2021, 7, 22}},
    {"スポーツの日", {2021, 7, 23}},
    {"山の日", {2021, 8, 8}},
}};

// The day of the n-th Monday of a month (Happy Monday system, Acts No. 9 of 1998 and No. 59 of 2001).
Date nth_monday(int year, int month, int n) {
  const int first = static_cast<int>(weekday_of(Date{year, month, 1}));
  const int first_monday = 1 + (8 - first) % 7;
  return Date{year, month, first_monday + 7 * (n - 1)};
}

// day = int(C + 0.242194 (Y - 1980) - int((Y - Y0) / 4)), with C and Y0 by period: computed in
// millionths so that no floating-point rounding can move a day. int() truncates toward zero, as
// C++ integer division does (it matters for Y < Y0).
std::optional<int> equinox_day(int year, long before_1980_c, long from_1980_c) {
  if (year < 1900 || year > kLastRuleYear) return std::nullopt;
  const bool early = year <= 1979;
  const long c = early ? before_1980_c : from_1980_c;
  const long leap_correction = early ? (year - 1983) / 4 : (year - 1980) / 4;
  const long scaled = c + 242194L * (year - 1980);  // positive for every year in range
  return static_cast<int>(scaled / 1'000'000L - leap_correction);
}

// The national holidays (Article 2, plus days deemed to be one) of `year`, unsorted.
std::vector<Holiday> national_holidays(int year) {
  std::vector<Holiday> days;
  auto add = [&](int month, int day, std::string_view name) {
    days.push_back(Holiday{Date{year, month, day}, std::string(name), HolidayKind::national});
  };
  auto add_date = [&](const Date& date, std::string_view name) {
    days.push_back(Holiday{date, std::string(name), HolidayKind::national});
  };

  if (year >= 1949) add(1, 1, "元日");
  if (year >= 2000) {
    add_date(nth_monday(year, 1, 2), "成人の日");
  } else if (year >= 1949) {
    add(1, 15, "成人の日");
  }
  if (year >= 1967) add(2, 11, "建国記念の日");  // Act No. 86 of 1966; the day set by cabinet order
  if (year >= 2020) add(2, 23, "天皇誕生日");
  if (year >= 1949) add(3, *vernal_equinox_day(year), "春分の日");
  if (year >= 2007) {
    add(4, 29, "昭和の日");
  } else if (year >= 1989) {
    add(4, 29, "みどりの日");
  } else if (year >= 1949) {
    add(4, 29, "天皇誕生日");
  }
  if (year >= 1949) add(5, 3, "憲法記念日");
  if (year >= 2007) add(5, 4, "みどりの日");
  if (year >= 1949) add(5, 5, "こどもの日");
  if (year >= 2003) {
    add_date(nth_monday(year, 7, 3), "海の日");
  } else if (year >= 1996) {
    add(7, 20, "海の日");
  }
  if (year >= 2016) add(8, 11, "山の日");
  if (year >= 2003) {
    add_date(nth_monday(year, 9, 3), "敬老の日");
  } else if (year >= 1966) {
    add(9, 15, "敬老の日");
  }
  if (year >= 1948) add(9, *autumnal_equinox_day(year), "秋分の日");
  if (year >= 2020) {
    add_date(nth_monday(year, 10, 2), "スポーツの日");
  } else if (year >= 2000) {
    add_date(nth_monday(year, 10, 2), "体育の日");
  } else if (year >= 1966) {
    add(10, 10, "体育の日");
  }
  if (year >= 1948) add(11, 3, "文化の日");
  if (year >= 1948) add(11, 23, "勤労感謝の日");
  if (year >= 1989 && year <= 2018) add(12, 23, "天皇誕生日");

  for (const MovedHoliday& moved : kMovedHolidays) {
    if (moved.date.year != year) continue;
    for (Holiday& h : days) {
      if (h.name == moved.name) h.date = moved.date;
    }
  }
  for (const SpecialDay& special : kSpecialDays) {
    if (special.date.year == year && special.deemed_national) add_date(special.date, special.name);
  }
  return days;
}

}  // namespace

std::optional<int> vernal_equinox_day(int year) noexcept { return equinox_day(year, 20'835'700L, 20'843'100L); }

std::optional<int> autumnal_equinox_day(int year) noexcept { return equinox_day(year, 23'258'800L, 23'248'800L); }

std::vector<Holiday> holidays_by_rules(int year) {
  if (year < kActInForce.year || year > kLastRuleYear) return {};
  std::vector<Holiday> national = national_holidays(year);
  std::erase_if(national, [](const Holiday& h) { return h.date < kActInForce; });
  std::map<Date, Holiday> result;
  for (const Holiday& h : national) result.emplace(h.date, h);
  auto is_national = [&](const Date& d) {
    auto it = result.find(d);
    return it != result.end() && it->second.kind == HolidayKind::national;
  };

  // Article 3(2): a national holiday on a Sunday gives a substitute holiday.
  for (const Holiday& h : national) {
    if (h.date < kSubstituteInForce || weekday_of(h.date) != Weekday::sunday) continue;
    Date next = add_days(h.date, 1);
    if (h.date < kRevision2007) {
      if (is_national(next)) continue;  // "the next day"; lost when that is a national holiday
    } else {
      while (is_national(next)) next = add_days(next, 1);
    }
    result.emplace(next, Holiday{next, std::string(kSubstituteName), HolidayKind::substitute});
  }

  // Article 3(3): a day between two national holidays that is not one itself.
  for (const Holiday& h : national) {
    const Date between = add_days(h.date, 1);
    if (between < kCitizensInForce || !is_national(add_days(h.date, 2)) || result.contains(between)) continue;
    if (between < kRevision2007 && weekday_of(between) == Weekday::sunday) continue;
    result.emplace(between, Holiday{between, std::string(kCitizensName), HolidayKind::citizens});
  }

  for (const SpecialDay& special : kSpecialDays) {
    if (special.date.year == year && !special.deemed_national) {
      result.emplace(special.date, Holiday{special.date, std::string(special.name), HolidayKind::special});
    }
  }

  std::vector<Holiday> out;
  out.reserve(result.size());
  for (auto& [date, holiday] : result) out.push_back(std::move(holiday));
  return out;
}

HolidayCalendar::HolidayCalendar() {
  for (int year = kActInForce.year; year <= kLastRuleYear; ++year) {
    for (Holiday& h : holidays_by_rules(year)) days_.emplace(h.date, std::move(h));
  }
}

Expected<HolidayCalendar> HolidayCalendar::with_published(const std::vector<PublishedHoliday>& published) {
  auto fail = [](std::size_t index, std::string_view problem) {
    return make_error(Errc::invalid_argument,
                      "祝日一覧の" + std::to_string(index + 1) + "件目: " + std::string(problem));
  };
  if (published.size() > kMaxPublishedHolidays) {
    return make_error(Errc::invalid_argument,
                      "祝日一覧が" + std::to_string(kMaxPublishedHolidays) + "件を超えています");
  }
  std::map<Date, Holiday> listed;
  for (std::size_t i = 0; i < published.size(); ++i) {
    const PublishedHoliday& p = published[i];
    if (!valid_date(p.date)) return fail(i, "存在しない日付です");
    if (p.name.empty()) return fail(i, "名称が空です");
    if (p.name.size() > kMaxHolidayNameBytes) return fail(i, "名称が長すぎます");
    if (!text::valid_utf8(p.name)) return fail(i, "名称の文字コードが正しくありません");
    if (!listed.emplace(p.date, Holiday{p.date, p.name, HolidayKind::published}).second) {
      return fail(i, "同じ日付が2回あります");
    }
  }
  HolidayCalendar calendar;
  for (const auto& [date, holiday] : listed) calendar.published_years_.insert(date.year);
  std::erase_if(calendar.days_, [&](const auto& entry) { return calendar.published_years_.contains(entry.first.year); });
  calendar.days_.merge(listed);
  return calendar;
}

bool HolidayCalendar::published_year(int year) const noexcept { return published_years_.contains(year); }

bool HolidayCalendar::covers(const Date& date) const noexcept {
  return valid_date(date) && (date.year <= kLastRuleYear || published_year(date.year));
}

std::optional<std::string> HolidayCalendar::holiday_name(const Date& date) const {
  auto it = days_.find(date);
  if (it == days_.end()) return std::nullopt;
  return it->second.name;
}

bool HolidayCalendar::is_holiday(const Date& date) const { return days_.contains(date); }

std::vector<Holiday> HolidayCalendar::holidays_in(int year) const {
  std::vector<Holiday> out;
  for (auto it = days_.lower_bound(Date{year, 1, 1}); it != days_.end() && it->first.year == year; ++it) {
    out.push_back(it->second);
  }
  return out;
}

namespace {

// Without surrounding ASCII spaces and ideographic spaces (U+3000), which hand-edited lists carry.
std::string_view trimmed(std::string_view field) {
  constexpr std::string_view kIdeographicSpace = "\xE3\x80\x80";
  for (bool changed = true; changed;) {
    changed = false;
    if (field.starts_with(' ')) field.remove_prefix(1), changed = true;
    if (field.ends_with(' ')) field.remove_suffix(1), changed = true;
    if (field.starts_with(kIdeographicSpace)) field.remove_prefix(kIdeographicSpace.size()), changed = true;
    if (field.ends_with(kIdeographicSpace)) field.remove_suffix(kIdeographicSpace.size()), changed = true;
  }
  return field;
}

// "2026/1/1": four digits, then one or two digits for month and day.
std::optional<Date> parse_slash_date(std::string_view text) {
  int parts[3] = {0, 0, 0};
  std::size_t digits[3] = {0, 0, 0};
  std::size_t part = 0;
  for (char c : text) {
    if (c == '/') {
      if (++part > 2) return std::nullopt;
    } else if (c >= '0' && c <= '9') {
      parts[part] = parts[part] * 10 + (c - '0');
      if (++digits[part] > (part == 0 ? 4u : 2u)) return std::nullopt;
    } else {
      return std::nullopt;
    }
  }
  if (part != 2 || digits[0] != 4 || digits[1] == 0 || digits[2] == 0) return std::nullopt;
  const Date date{parts[0], parts[1], parts[2]};
  if (!valid_date(date)) return std::nullopt;
  return date;
}

}  // namespace

Expected<std::vector<PublishedHoliday>> parse_cabinet_office_csv(std::string_view bytes) {
  if (bytes.size() > kMaxPublishedCsvBytes) {
    return make_error(Errc::too_large, "祝日一覧のファイルが大きすぎます");
  }
  text::CsvOptions options;
  options.max_bytes = kMaxPublishedCsvBytes * 3;  // decoded CP932 may grow
  options.max_fields = 16;
  options.max_field_bytes = 4 * kMaxHolidayNameBytes;
  options.max_rows = kMaxPublishedHolidays + 1;  // the header line
  auto rows = text::read_csv_bytes(bytes, std::nullopt, options);
  if (!rows) return rows.error().with_context("祝日一覧");

  auto fail = [](std::size_t index, std::string_view problem) {
    return make_error(Errc::malformed, "祝日一覧の" + std::to_string(index + 1) + "行目: " + std::string(problem));
  };
  std::vector<PublishedHoliday> out;
  std::set<Date> seen;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    const text::CsvRow& row = (*rows)[i];
    const bool blank = std::all_of(row.begin(), row.end(), [](const std::string& f) { return f.empty(); });
    if (blank) continue;
    std::optional<Date> date = parse_slash_date(trimmed(row[0]));
    if (!date && i == 0) continue;  // the header line
    if (!date) return fail(i, "日付が「2026/1/1」の形の存在する日付ではありません");
    const std::string_view name = row.size() < 2 ? std::string_view() : trimmed(row[1]);
    if (name.empty()) return fail(i, "名称がありません");
    if (std::any_of(row.begin() + 2, row.end(), [](const std::string& f) { return !trimmed(f).empty(); })) {
      return fail(i, "列が多すぎます（日付と名称の2列です）");
    }
    if (name.size() > kMaxHolidayNameBytes) return fail(i, "名称が長すぎます");
    if (!seen.insert(*date).second) return fail(i, "同じ日付が2回あります");
    out.push_back(PublishedHoliday{*date, std::string(name)});
  }
  return out;
}

}  // namespace madoguchi::calendar
