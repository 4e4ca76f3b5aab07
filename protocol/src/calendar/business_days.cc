#include "madoguchi/calendar/business_days.h"

namespace madoguchi::calendar {

bool in_year_end_closure(const Date& date) noexcept {
  return (date.month == 12 && date.day >= 29) || (date.month == 1 && date.day <= 3);
}

Expected<BusinessCalendar> BusinessCalendar::create(HolidayCalendar holidays, const std::vector<Date>& extra_closures) {
  if (extra_closures.size() > kMaxExtraClosures) {
    return make_error(Errc::invalid_argument,
                      "臨時休業日が" + std::to_string(kMaxExtraClosures) + "日を超えています");
  }
  std::set<Date> closures;
  for (std::size_t i = 0; i < extra_closures.size(); ++i) {
    if (!valid_date(extra_closures[i])) {
      return make_error(Errc::invalid_argument, "臨時休業日の" + std::to_string(i + 1) + "件目: 存在しない日付です");
    }
    closures.insert(extra_closures[i]);
  }
  return BusinessCalendar(std::move(holidays), std::move(closures));
}

std::optional<std::string> BusinessCalendar::closed_reason(const Date& date) const {
  if (!holidays_.covers(date)) return std::nullopt;
  if (auto name = holidays_.holiday_name(date)) return name;
  if (in_year_end_closure(date)) return "年末年始";
  if (closures_.contains(date)) return "臨時休業日";
  switch (weekday_of(date)) {
    case Weekday::saturday: return "土曜日";
    case Weekday::sunday: return "日曜日";
    default: return std::nullopt;
  }
}

bool BusinessCalendar::is_working_day(const Date& date) const {
  return holidays_.covers(date) && !closed_reason(date).has_value();
}

Expected<Date> BusinessCalendar::deadline_for(const Date& slot_day, int days_before) const {
  if (!holidays_.covers(slot_day)) {
    return make_error(Errc::invalid_argument, "予約枠の日付が暦の範囲外か、存在しない日付です");
  }
  if (days_before < 0 || days_before > kMaxDaysBefore) {
    return make_error(Errc::invalid_argument,
                      "締切日数は0〜" + std::to_string(kMaxDaysBefore) + "日で指定してください");
  }
  Date day = add_days(slot_day, -days_before);
  for (int shift = 0; shift <= kMaxDeadlineShift; ++shift) {
    if (!holidays_.covers(day)) {
      return make_error(Errc::invalid_argument, "締切日が暦の範囲外になります");
    }
    if (is_working_day(day)) return day;
    day = add_days(day, -1);
  }
  return make_error(Errc::not_found,
                    "締切日を" + std::to_string(kMaxDeadlineShift) + "日さかのぼっても開庁日がありません");
}

}  // namespace madoguchi::calendar
