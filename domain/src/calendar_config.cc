#include "madoguchi/domain/calendar_config.h"

#include <algorithm>

#include "madoguchi/domain/record_body.h"
#include "text.h"

namespace madoguchi::domain {

namespace {
constexpr std::string_view kWhat = "calendar";

Error bad(std::string_view field, std::string_view reason) { return detail::field_error(field, reason); }
Error malformed(std::string_view what) { return make_error(Errc::malformed, std::string(kWhat) + ": " + std::string(what)); }
}  // namespace

Status validate_calendar_config(const CalendarConfig& config) {
  if (config.closures.size() > kMaxClosureDays) {
    return bad("closures", "must have at most " + std::to_string(kMaxClosureDays) + " days");
  }
  std::size_t i = 0;
  for (const calendar::Date& d : config.closures) {
    if (!calendar::valid_date(d)) return bad("closures[" + std::to_string(i) + "]", "is not a valid date");
    ++i;
  }
  if (!config.has_holidays) {
    if (!config.holidays.empty() || !config.holiday_source.empty()) {
      return bad("holidays", "present without an uploaded list");
    }
    return {};
  }
  if (!config.holiday_source.empty()) {
    if (auto s = detail::check_line("holidays.source", config.holiday_source, 0, kMaxHolidaySourceChars); !s) return s;
  }
  if (config.holidays.size() > calendar::kMaxPublishedHolidays) {
    return bad("holidays.days", "must have at most " + std::to_string(calendar::kMaxPublishedHolidays) + " entries");
  }
  std::set<calendar::Date> seen;
  for (std::size_t k = 0; k < config.holidays.size(); ++k) {
    const auto& h = config.holidays[k];
    const std::string field = "holidays.days[" + std::to_string(k) + "]";
    if (!calendar::valid_date(h.date)) return bad(field, "is not a valid date");
    if (!seen.insert(h.date).second) return bad(field, "date " + calendar::format_iso(h.date) + " appears twice");
    if (h.name.empty() || h.name.size() > calendar::kMaxHolidayNameBytes) {
      return bad(field, "name must be 1-" + std::to_string(calendar::kMaxHolidayNameBytes) + " bytes");
    }
    if (detail::check_text(h.name, 1, calendar::kMaxHolidayNameBytes) != detail::TextProblem::none) {
      return bad(field, "name must be one line of UTF-8 text");
    }
  }
  return {};
}

nlohmann::json calendar_config_to_json(const CalendarConfig& config) {
  nlohmann::json closures = nlohmann::json::array();
  for (const calendar::Date& d : config.closures) closures.push_back(calendar::format_iso(d));
  nlohmann::json body{{"closures", std::move(closures)}};
  if (config.has_holidays) {
    std::vector<calendar::PublishedHoliday> sorted = config.holidays;
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.date < b.date; });
    nlohmann::json days = nlohmann::json::array();
    for (const auto& h : sorted) days.push_back(nlohmann::json::array({calendar::format_iso(h.date), h.name}));
    body["holidays"] = nlohmann::json{{"days", std::move(days)}, {"source", config.holiday_source}};
  }
  return body;
}

Expected<std::string> calendar_config_body(const CalendarConfig& config) {
  if (auto v = validate_calendar_config(config); !v) return v.error();
  std::string body = dump_body(calendar_config_to_json(config));
  if (body.size() > kMaxCalendarBodyBytes) {
    return make_error(Errc::too_large, "calendar: body of " + std::to_string(body.size()) + " bytes exceeds " +
                                           std::to_string(kMaxCalendarBodyBytes));
  }
  return body;
}

Expected<CalendarConfig> calendar_config_from_json(const nlohmann::json& body) {
  if (auto s = detail::require_object(body, kWhat); !s) return s.error();
  if (auto s = detail::refuse_unknown_keys(body, kWhat, {"closures", "holidays"}); !s) return s.error();
  CalendarConfig config;
  auto closures = body.find("closures");
  if (closures == body.end() || !closures->is_array()) return malformed("'closures' must be an array");
  if (closures->size() > kMaxClosureDays) return bad("closures", "must have at most " + std::to_string(kMaxClosureDays) + " days");
  std::size_t i = 0;
  for (const auto& c : *closures) {
    if (!c.is_string()) return malformed("closures[" + std::to_string(i) + "] must be a string");
    auto d = calendar::parse_iso(c.get_ref<const std::string&>());
    if (!d) return bad("closures[" + std::to_string(i) + "]", "is not a date YYYY-MM-DD");
    config.closures.insert(*d);
    ++i;
  }
  auto holidays = body.find("holidays");
  if (holidays != body.end()) {
    if (!holidays->is_object()) return malformed("'holidays' must be an object");
    if (auto s = detail::refuse_unknown_keys(*holidays, "calendar.holidays", {"days", "source"}); !s) return s.error();
    config.has_holidays = true;
    if (auto s = detail::read_string(*holidays, "calendar.holidays", "source", config.holiday_source, true); !s) {
      return s.error();
    }
    auto days = holidays->find("days");
    if (days == holidays->end() || !days->is_array()) return malformed("'holidays.days' must be an array");
    if (days->size() > calendar::kMaxPublishedHolidays) {
      return bad("holidays.days", "must have at most " + std::to_string(calendar::kMaxPublishedHolidays) + " entries");
    }
    std::size_t k = 0;
    for (const auto& e : *days) {
      const std::string field = "holidays.days[" + std::to_string(k) + "]";
      if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_string()) {
        return malformed(field + " must be [date, name]");
      }
      auto d = calendar::parse_iso(e[0].get_ref<const std::string&>());
      if (!d) return bad(field, "is not a date YYYY-MM-DD");
      config.holidays.push_back({*d, e[1].get<std::string>()});
      ++k;
    }
    std::stable_sort(config.holidays.begin(), config.holidays.end(), [](const auto& a, const auto& b) { return a.date < b.date; });
  }
  if (auto v = validate_calendar_config(config); !v) return v.error();
  return config;
}

Expected<calendar::BusinessCalendar> business_calendar(const CalendarConfig& config) {
  calendar::HolidayCalendar holidays;
  if (config.has_holidays && !config.holidays.empty()) {
    auto published = calendar::HolidayCalendar::with_published(config.holidays);
    if (!published) return published.error();
    holidays = std::move(*published);
  }
  std::vector<calendar::Date> closures(config.closures.begin(), config.closures.end());
  return calendar::BusinessCalendar::create(std::move(holidays), closures);
}

std::vector<int> published_years(const std::vector<calendar::PublishedHoliday>& list) {
  std::set<int> years;
  for (const auto& h : list) years.insert(h.date.year);
  return {years.begin(), years.end()};
}

std::vector<calendar::PublishedHoliday> holidays_from_year(const std::vector<calendar::PublishedHoliday>& list,
                                                           int first_year) {
  std::vector<calendar::PublishedHoliday> out;
  for (const auto& h : list) {
    if (h.date.year >= first_year) out.push_back(h);
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.date < b.date; });
  return out;
}

}  // namespace madoguchi::domain
