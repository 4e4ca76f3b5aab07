#include "madoguchi/domain/counter_master.h"

#include <cstdio>

#include "text.h"

namespace madoguchi::domain {

namespace {
constexpr std::string_view kWhat = "counter";

constexpr std::array<Business, 3> kBusinesses{Business::collection, Business::application, Business::cert_renewal};
constexpr std::array<std::string_view, 7> kWeekdayKeys{"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

Error bad(std::string_view field, std::string_view reason) { return detail::field_error(field, reason); }

bool digits(std::string_view s) noexcept {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

int to_int(std::string_view s) noexcept {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

std::string band_text(const TimeBand& b) { return format_minute(b.start) + "-" + format_minute(b.end); }
}  // namespace

std::span<const Business> all_businesses() noexcept { return kBusinesses; }

std::string_view business_id(Business b) noexcept {
  switch (b) {
    case Business::collection: return "collection";
    case Business::application: return "application";
    case Business::cert_renewal: return "cert_renewal";
  }
  return "collection";
}

std::string_view business_label(Business b) noexcept {
  switch (b) {
    case Business::collection: return "交付";
    case Business::application: return "申請";
    case Business::cert_renewal: return "電子証明書更新";
  }
  return "交付";
}

std::optional<Business> business_from_id(std::string_view id) noexcept {
  for (auto b : kBusinesses) {
    if (business_id(b) == id) return b;
  }
  return std::nullopt;
}

std::string_view weekday_key(calendar::Weekday d) noexcept { return kWeekdayKeys[static_cast<std::size_t>(d)]; }

std::string format_minute(int minute) {
  if (minute >= 0 && minute < 100 * 60) {  // the usual case, without snprintf (hot: every slot key)
    const int h = minute / 60, m = minute % 60;
    return std::string{static_cast<char>('0' + h / 10), static_cast<char>('0' + h % 10), ':',
                       static_cast<char>('0' + m / 10), static_cast<char>('0' + m % 10)};
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minute / 60, minute % 60);
  return buf;
}

std::optional<int> parse_minute(std::string_view t, bool allow_24) noexcept {
  if (t.size() != 5 || t[2] != ':' || !digits(t.substr(0, 2)) || !digits(t.substr(3, 2))) return std::nullopt;
  const int h = to_int(t.substr(0, 2));
  const int m = to_int(t.substr(3, 2));
  if (m > 59) return std::nullopt;
  if (h == 24 && m == 0 && allow_24) return kMinutesPerDay;
  if (h > 23) return std::nullopt;
  return h * 60 + m;
}

std::string format_date_time(const LocalDateTime& t) {
  std::string out = calendar::format_iso(t.date);
  out += 'T';
  out += format_minute(t.minute);
  return out;
}

std::optional<LocalDateTime> parse_date_time(std::string_view text) noexcept {
  if (text.size() != 16 || text[10] != 'T') return std::nullopt;
  auto d = calendar::parse_iso(text.substr(0, 10));
  auto m = parse_minute(text.substr(11), false);
  if (!d || !m) return std::nullopt;
  return LocalDateTime{*d, *m};
}

LocalDateTime add_minutes(const LocalDateTime& t, int minutes) noexcept {
  int total = t.minute + minutes;
  int days = total / kMinutesPerDay;
  total %= kMinutesPerDay;
  if (total < 0) {
    total += kMinutesPerDay;
    --days;
  }
  return LocalDateTime{calendar::add_days(t.date, days), total};
}

Status validate_counter_id(std::string_view id) {
  bool ok = !id.empty() && id.size() <= kMaxCounterIdBytes;
  for (char c : id) {
    ok = ok && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-');
  }
  if (!ok) return bad("id", "must be 1-16 characters of A-Z a-z 0-9 _ -");
  return {};
}

Status validate_counter(const CounterMaster& c) {
  if (auto st = validate_counter_id(c.id); !st) return st;
  if (auto p = detail::check_text(c.name, 1, kMaxCounterNameChars); p != detail::TextProblem::none) {
    return bad("name", detail::text_problem_en(p, 1, kMaxCounterNameChars));
  }
  if (c.businesses.empty()) return bad("businesses", "must name at least one of collection, application, cert_renewal");
  if (c.minutes_per_visit < 5 || c.minutes_per_visit > 240) return bad("minutes_per_visit", "must be 5-240");
  if (c.capacity_per_slot < 1 || c.capacity_per_slot > 99) return bad("capacity_per_slot", "must be 1-99");
  for (std::size_t d = 0; d < c.week.size(); ++d) {
    const auto& bands = c.week[d];
    const std::string day = "week." + std::string(kWeekdayKeys[d]);
    if (bands.size() > kMaxBandsPerDay) {
      return bad(day, "at most " + std::to_string(kMaxBandsPerDay) + " time bands a day");
    }
    for (std::size_t i = 0; i < bands.size(); ++i) {
      const auto& b = bands[i];
      const std::string field = day + "[" + std::to_string(i) + "]";
      if (b.start < 0 || b.end > kMinutesPerDay || b.start >= b.end) {
        return bad(field, "a band must start before it ends, within 00:00-24:00");
      }
      if (i > 0 && b.start < bands[i - 1].end) {
        return bad(field, "band " + band_text(b) + " overlaps or comes before " + band_text(bands[i - 1]) +
                              " (bands in ascending order, not overlapping)");
      }
      if ((b.end - b.start) % c.minutes_per_visit != 0) {
        return bad(field, "band " + band_text(b) + " is not a whole number of " +
                              std::to_string(c.minutes_per_visit) + "-minute visits");
      }
    }
  }
  if (!calendar::valid_date(c.valid_from.date) || c.valid_from.minute < 0 || c.valid_from.minute >= kMinutesPerDay) {
    return bad("valid_from", "must be a date and time YYYY-MM-DDTHH:MM");
  }
  if (c.valid_until) {
    if (!calendar::valid_date(c.valid_until->date) || c.valid_until->minute < 0 ||
        c.valid_until->minute >= kMinutesPerDay) {
      return bad("valid_until", "must be a date and time YYYY-MM-DDTHH:MM");
    }
    if (!(c.valid_from < *c.valid_until)) return bad("valid_until", "must be after valid_from");
  }
  if (c.deadline_days_before < 0 || c.deadline_days_before > 365) return bad("deadline_days_before", "must be 0-365");
  if (c.deadline_time < 0 || c.deadline_time >= kMinutesPerDay) return bad("deadline_time", "must be 00:00-23:59");
  if (c.days_ahead && (*c.days_ahead < 1 || *c.days_ahead > 365)) return bad("days_ahead", "must be 1-365");
  return {};
}

bool within_validity(const CounterMaster& c, const LocalDateTime& start, int minutes) noexcept {
  if (start < c.valid_from) return false;
  if (c.valid_until && *c.valid_until < add_minutes(start, minutes)) return false;
  return true;
}

std::string counter_key(const CounterMaster& c) { return c.id; }

nlohmann::json counter_to_json(const CounterMaster& c) {
  nlohmann::json businesses = nlohmann::json::array();
  for (auto b : c.businesses) businesses.push_back(business_id(b));
  nlohmann::json week = nlohmann::json::object();
  for (std::size_t d = 0; d < c.week.size(); ++d) {
    if (c.week[d].empty()) continue;
    nlohmann::json bands = nlohmann::json::array();
    for (const auto& b : c.week[d]) bands.push_back(band_text(b));
    week[std::string(kWeekdayKeys[d])] = std::move(bands);
  }
  nlohmann::json j{{"id", c.id},
                   {"name", c.name},
                   {"businesses", std::move(businesses)},
                   {"week", std::move(week)},
                   {"minutes_per_visit", c.minutes_per_visit},
                   {"capacity_per_slot", c.capacity_per_slot},
                   {"valid_from", format_date_time(c.valid_from)},
                   {"visible_on_site", c.visible_on_site},
                   {"deadline_days_before", c.deadline_days_before},
                   {"deadline_time", format_minute(c.deadline_time)}};
  if (c.valid_until) j["valid_until"] = format_date_time(*c.valid_until);
  if (c.days_ahead) j["days_ahead"] = *c.days_ahead;
  return j;
}

Expected<CounterMaster> counter_from_json(const nlohmann::json& body) {
  using namespace detail;
  if (auto st = require_object(body, kWhat); !st) return st.error();
  if (auto st = refuse_unknown_keys(body, kWhat,
                                    {"id", "name", "businesses", "week", "minutes_per_visit", "capacity_per_slot",
                                     "valid_from", "valid_until", "visible_on_site", "deadline_days_before",
                                     "deadline_time", "days_ahead"});
      !st) {
    return st.error();
  }
  CounterMaster c;
  if (auto st = read_string(body, kWhat, "id", c.id, true); !st) return st.error();
  if (auto st = read_string(body, kWhat, "name", c.name, true); !st) return st.error();

  const auto bit = body.find("businesses");
  if (bit == body.end()) return make_error(Errc::malformed, "counter.businesses: missing");
  if (!bit->is_array()) return make_error(Errc::malformed, "counter.businesses: must be an array of strings");
  if (bit->size() > kBusinesses.size() * 2) return bad("businesses", "too many entries");
  for (const auto& v : *bit) {
    if (!v.is_string()) return make_error(Errc::malformed, "counter.businesses: must be an array of strings");
    auto b = business_from_id(v.get<std::string>());
    if (!b) {
      return bad("businesses", "unknown business '" + abbreviate(sanitize(v.get<std::string>(), 64), 16) +
                                   "' (collection, application, cert_renewal)");
    }
    if (!c.businesses.insert(*b).second) return bad("businesses", "names " + std::string(business_id(*b)) + " twice");
  }

  if (auto wit = body.find("week"); wit != body.end()) {
    if (!wit->is_object()) return make_error(Errc::malformed, "counter.week: must be an object");
    for (auto d = wit->begin(); d != wit->end(); ++d) {
      std::size_t idx = kWeekdayKeys.size();
      for (std::size_t i = 0; i < kWeekdayKeys.size(); ++i) {
        if (kWeekdayKeys[i] == d.key()) idx = i;
      }
      if (idx == kWeekdayKeys.size()) {
        return make_error(Errc::malformed, "counter.week: unknown weekday '" + abbreviate(sanitize(d.key(), 64), 8) +
                                               "' (sun mon tue wed thu fri sat)");
      }
      const std::string field = "week." + d.key();
      if (!d->is_array()) return make_error(Errc::malformed, "counter." + field + ": must be an array of strings");
      if (d->size() > kMaxBandsPerDay) {
        return bad(field, "at most " + std::to_string(kMaxBandsPerDay) + " time bands a day");
      }
      for (std::size_t i = 0; i < d->size(); ++i) {
        const auto& v = (*d)[i];
        if (!v.is_string()) return make_error(Errc::malformed, "counter." + field + ": must be an array of strings");
        const auto text = v.get<std::string>();
        std::optional<int> s, e;
        if (text.size() == 11 && text[5] == '-') {
          s = parse_minute(std::string_view(text).substr(0, 5), false);
          e = parse_minute(std::string_view(text).substr(6), true);
        }
        if (!s || !e) return bad(field + "[" + std::to_string(i) + "]", "must be a time band HH:MM-HH:MM");
        c.week[idx].push_back(TimeBand{*s, *e});
      }
    }
  }

  if (auto st = read_int_in(body, kWhat, "minutes_per_visit", c.minutes_per_visit, -1'000'000, 1'000'000, true); !st) {
    return st.error();
  }
  if (auto st = read_int_in(body, kWhat, "capacity_per_slot", c.capacity_per_slot, -1'000'000, 1'000'000, true); !st) {
    return st.error();
  }
  std::string text;
  if (auto st = read_string(body, kWhat, "valid_from", text, true); !st) return st.error();
  auto from = parse_date_time(text);
  if (!from) return bad("valid_from", "must be a date and time YYYY-MM-DDTHH:MM");
  c.valid_from = *from;
  if (body.contains("valid_until")) {
    text.clear();
    if (auto st = read_string(body, kWhat, "valid_until", text, true); !st) return st.error();
    auto until = parse_date_time(text);
    if (!until) return bad("valid_until", "must be a date and time YYYY-MM-DDTHH:MM");
    c.valid_until = *until;
  }
  if (auto st = read_bool(body, kWhat, "visible_on_site", c.visible_on_site, true); !st) return st.error();
  if (auto st = read_int_in(body, kWhat, "deadline_days_before", c.deadline_days_before, -1'000'000, 1'000'000, true);
      !st) {
    return st.error();
  }
  text.clear();
  if (auto st = read_string(body, kWhat, "deadline_time", text, true); !st) return st.error();
  auto cut = parse_minute(text, false);
  if (!cut) return bad("deadline_time", "must be a time HH:MM (00:00-23:59)");
  c.deadline_time = *cut;
  if (body.contains("days_ahead")) {
    int days = 0;
    if (auto st = read_int_in(body, kWhat, "days_ahead", days, -1'000'000, 1'000'000, true); !st) return st.error();
    c.days_ahead = days;
  }
  if (auto st = validate_counter(c); !st) return st.error();
  return c;
}

}  // namespace madoguchi::domain
