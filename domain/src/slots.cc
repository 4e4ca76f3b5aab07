#include "madoguchi/domain/slots.h"

#include <algorithm>
#include <map>
#include <optional>

#include "text.h"

namespace madoguchi::domain {

namespace {
constexpr std::string_view kWhat = "slot";

Error bad(std::string_view field, std::string_view reason) { return detail::field_error(field, reason); }

bool valid_time(const LocalDateTime& t) noexcept {
  return calendar::valid_date(t.date) && t.minute >= 0 && t.minute < kMinutesPerDay;
}

// Slots are generated on a day unless the offices are closed for a reason other than the weekend
// (a holiday, the year-end closure, an administrator's closure day). Weekends are decided by the
// pattern: a counter with Saturday bands opens on Saturdays.
bool slots_on(const calendar::BusinessCalendar& cal, const calendar::Date& day) {
  const auto reason = cal.closed_reason(day);
  return !reason || *reason == "土曜日" || *reason == "日曜日";
}

Status read_time(const nlohmann::json& body, const char* key, LocalDateTime& out) {
  std::string text;
  if (auto st = detail::read_string(body, kWhat, key, text, true); !st) return st;
  auto t = parse_date_time(text);
  if (!t) return bad(key, "must be a date and time YYYY-MM-DDTHH:MM");
  out = *t;
  return {};
}
}  // namespace

std::string slot_key(const Slot& s) { return s.counter + ":" + format_date_time(s.start); }

Status validate_slot(const Slot& s) {
  if (auto st = validate_counter_id(s.counter); !st) return bad("counter", "must be 1-16 characters of A-Z a-z 0-9 _ -");
  if (!valid_time(s.start)) return bad("start", "must be a date and time YYYY-MM-DDTHH:MM");
  if (s.minutes < 5 || s.minutes > 240) return bad("minutes", "must be 5-240");
  if (s.start.minute + s.minutes > kMinutesPerDay) return bad("minutes", "the slot must end by 24:00 of its day");
  if (s.capacity < 0 || s.capacity > 99) return bad("capacity", "must be 0-99");
  if (!valid_time(s.deadline)) return bad("deadline", "must be a date and time YYYY-MM-DDTHH:MM");
  if (s.start < s.deadline) return bad("deadline", "must not be after the slot's start");
  if (auto p = detail::check_text(s.note, 0, kMaxSlotNoteChars); p != detail::TextProblem::none) {
    return bad("note", detail::text_problem_en(p, 0, kMaxSlotNoteChars));
  }
  return {};
}

nlohmann::json slot_to_json(const Slot& s) {
  return nlohmann::json{{"counter", s.counter},   {"start", format_date_time(s.start)},
                        {"minutes", s.minutes},   {"capacity", s.capacity},
                        {"deadline", format_date_time(s.deadline)},
                        {"open", s.open},         {"edited", s.edited},
                        {"note", s.note}};
}

Expected<Slot> slot_from_json(const nlohmann::json& body) {
  using namespace detail;
  if (auto st = require_object(body, kWhat); !st) return st.error();
  if (auto st = refuse_unknown_keys(body, kWhat,
                                    {"counter", "start", "minutes", "capacity", "deadline", "open", "edited", "note"});
      !st) {
    return st.error();
  }
  Slot s;
  if (auto st = read_string(body, kWhat, "counter", s.counter, true); !st) return st.error();
  if (auto st = read_time(body, "start", s.start); !st) return st.error();
  if (auto st = read_int_in(body, kWhat, "minutes", s.minutes, -1'000'000, 1'000'000, true); !st) return st.error();
  if (auto st = read_int_in(body, kWhat, "capacity", s.capacity, -1'000'000, 1'000'000, true); !st) {
    return st.error();
  }
  if (auto st = read_time(body, "deadline", s.deadline); !st) return st.error();
  if (auto st = read_bool(body, kWhat, "open", s.open, true); !st) return st.error();
  if (auto st = read_bool(body, kWhat, "edited", s.edited, true); !st) return st.error();
  if (auto st = read_string(body, kWhat, "note", s.note, true); !st) return st.error();
  if (auto st = validate_slot(s); !st) return st.error();
  return s;
}

Expected<GeneratedSlots> generate_slots(const CounterMaster& counter, calendar::Date from, calendar::Date to,
                                        const calendar::BusinessCalendar& cal) {
  if (auto st = validate_counter(counter); !st) return st.error();
  if (!calendar::valid_date(from)) return bad("from", "must be a valid date");
  if (!calendar::valid_date(to)) return bad("to", "must be a valid date");
  if (to < from) return bad("to", "must not be before from");
  const int days = calendar::days_between(from, to) + 1;
  if (days > kMaxGenerationDays) {
    return bad("to", "at most " + std::to_string(kMaxGenerationDays) + " days can be generated in one step");
  }
  GeneratedSlots out{counter.id, from, to, {}};
  for (int i = 0; i < days; ++i) {
    const calendar::Date day = calendar::add_days(from, i);
    if (!cal.holidays().covers(day)) {
      return bad("to", calendar::format_iso(day) + " is not covered by the holiday calendar");
    }
    const auto& bands = counter.week[static_cast<std::size_t>(calendar::weekday_of(day))];
    if (bands.empty() || !slots_on(cal, day)) continue;
    std::optional<LocalDateTime> deadline;  // computed once per day, only when a slot is made
    for (const auto& band : bands) {
      for (int m = band.start; m + counter.minutes_per_visit <= band.end; m += counter.minutes_per_visit) {
        const LocalDateTime start{day, m};
        if (!within_validity(counter, start, counter.minutes_per_visit)) continue;
        if (!deadline) {
          auto d = cal.deadline_for(day, counter.deadline_days_before);
          if (!d) {
            auto e = d.error();
            e.message = "deadline of " + calendar::format_iso(day) + ": " + e.message;
            return e;
          }
          deadline = LocalDateTime{*d, counter.deadline_time};
          // deadline_days_before = 0 and a cut-off after the first slot: a booking closes at the
          // slot's start at the latest.
        }
        Slot s;
        s.counter = counter.id;
        s.start = start;
        s.minutes = counter.minutes_per_visit;
        s.capacity = counter.capacity_per_slot;
        s.deadline = std::min(*deadline, start);
        out.slots.push_back(std::move(s));
      }
    }
  }
  return out;
}

Expected<Slot> apply_slot_edit(const Slot& slot, const SlotEdit& edit) {
  Slot s = slot;
  if (edit.capacity) s.capacity = *edit.capacity;
  if (edit.open) s.open = *edit.open;
  if (edit.note) s.note = *edit.note;
  s.edited = true;
  if (auto st = validate_slot(s); !st) return st.error();
  return s;
}

Expected<RegenerationPlan> apply_regeneration(std::span<const Slot> existing, const GeneratedSlots& generated,
                                              const std::set<std::string>& booked_keys) {
  auto in_scope = [&](const Slot& s) {
    return s.counter == generated.counter && !(s.start.date < generated.from) && !(generated.to < s.start.date);
  };
  std::map<std::string, const Slot*> fresh;
  for (const auto& s : generated.slots) {
    if (!in_scope(s)) {
      return bad("generated", "slot " + slot_key(s) + " is outside the generation's counter or range");
    }
    if (!fresh.emplace(slot_key(s), &s).second) return bad("generated", "slot " + slot_key(s) + " appears twice");
  }
  std::map<std::string, const Slot*> stored;
  for (const auto& s : existing) {
    if (!in_scope(s)) continue;
    if (!stored.emplace(slot_key(s), &s).second) return bad("existing", "slot " + slot_key(s) + " appears twice");
  }

  RegenerationPlan plan;
  // Both maps are in key order; walk them together.
  auto f = fresh.begin();
  auto o = stored.begin();
  while (f != fresh.end() || o != stored.end()) {
    if (o == stored.end() || (f != fresh.end() && f->first < o->first)) {
      plan.upserts.push_back(*f->second);
      ++plan.added;
      ++f;
    } else if (f == fresh.end() || o->first < f->first) {
      if (o->second->edited) {
        ++plan.kept_edited;
      } else if (booked_keys.contains(o->first)) {
        ++plan.kept_booked;
      } else {
        plan.removals.push_back(o->first);
        ++plan.removed;
      }
      ++o;
    } else {
      if (o->second->edited) {
        ++plan.kept_edited;
      } else if (*o->second == *f->second) {
        ++plan.unchanged;
      } else {
        plan.upserts.push_back(*f->second);
        ++plan.changed;
      }
      ++f;
      ++o;
    }
  }
  return plan;
}

}  // namespace madoguchi::domain
