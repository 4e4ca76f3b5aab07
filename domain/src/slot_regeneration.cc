#include "madoguchi/domain/slot_regeneration.h"

#include <set>

namespace madoguchi::domain {

Expected<std::vector<RegenerationOutcome>> regenerate_slots(SlotRecords& records,
                                                            const std::vector<CounterMaster>& counters,
                                                            calendar::Date from, calendar::Date to,
                                                            const calendar::BusinessCalendar& calendar, bool apply) {
  std::vector<RegenerationOutcome> out;
  out.reserve(counters.size());
  for (const CounterMaster& k : counters) {
    RegenerationOutcome o;
    o.counter = k.id;
    auto generated = generate_slots(k, from, to, calendar);
    if (!generated) {
      o.state = RegenerationOutcome::State::not_generated;
      out.push_back(std::move(o));
      continue;
    }
    auto stored = records.slots(k.id, from, to);
    if (!stored) return stored.error();
    auto booked = records.booked_places(k.id, from, to);
    if (!booked) return booked.error();
    std::set<std::string> booked_keys;
    for (const auto& [key, n] : *booked) booked_keys.insert(key);
    auto plan = apply_regeneration(*stored, *generated, booked_keys);
    if (!plan) {
      o.state = RegenerationOutcome::State::not_matched;
      out.push_back(std::move(o));
      continue;
    }
    o.plan = std::move(*plan);
    if (apply) {
      o.log_detail = "from " + calendar::format_iso(from) + " to " + calendar::format_iso(to) + ": added " +
                     std::to_string(o.plan.added) + ", changed " + std::to_string(o.plan.changed) + ", removed " +
                     std::to_string(o.plan.removed) + ", kept edited " + std::to_string(o.plan.kept_edited) +
                     ", kept booked " + std::to_string(o.plan.kept_booked);
      if (auto s = records.apply_plan(o.plan); !s) {
        o.state = RegenerationOutcome::State::failed;
        o.error = s.error();
        o.log_detail += "; failed: " + std::string(errc_name(s.error().code));
      } else {
        o.state = RegenerationOutcome::State::applied;
      }
    }
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace madoguchi::domain
