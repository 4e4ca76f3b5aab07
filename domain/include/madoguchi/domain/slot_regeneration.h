// Regenerating counters' slots (MST-4, MST-5): the use case マスタ管理's 予約枠の作成 runs, over the
// slot records it needs. Generation (generate_slots) and the merge with what is stored
// (apply_regeneration) are slots.h; this is their order, one counter at a time, and what each
// counter's operation log entry says.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/calendar/business_days.h"
#include "madoguchi/domain/counter_master.h"
#include "madoguchi/domain/slots.h"
#include "madoguchi/error.h"

namespace madoguchi::domain {

// The slot records regeneration reads and writes (the hub's MasterStore).
class SlotRecords {
 public:
  virtual ~SlotRecords() = default;
  // The stored slots of `counter` whose day lies in [from, to], in start order.
  virtual Expected<std::vector<Slot>> slots(std::string_view counter, calendar::Date from, calendar::Date to) = 0;
  // Places booked per slot key of `counter` with a day in [from, to], for slots with at least one
  // (live, not cancelled bookings): the keys are apply_regeneration's booked_keys.
  virtual Expected<std::map<std::string, std::int64_t>> booked_places(std::string_view counter, calendar::Date from,
                                                                      calendar::Date to) = 0;
  // Writes a plan's upserts and removals in ONE transaction: all or nothing.
  virtual Status apply_plan(const RegenerationPlan& plan) = 0;
};

struct RegenerationOutcome {
  enum class State {
    planned,        // previewed, nothing written
    applied,        // written
    failed,         // the plan could not be written (error); nothing of this counter changed
    not_generated,  // generate_slots refused (a day outside the holiday list, a bad master)
    not_matched,    // the stored slots could not be merged (apply_regeneration refused)
  };
  std::string counter;  // the counter's id
  State state = State::planned;
  RegenerationPlan plan;  // planned, applied, failed
  Error error;            // failed
  // The operation log entry's detail for master.slots.generate (applied and failed only):
  // "from <from> to <to>: added N, changed N, removed N, kept edited N, kept booked N", with
  // "; failed: <code>" when it failed. Counts and dates only, never a person.
  std::string log_detail;
};

// Plans the regeneration of each counter over [from, to] and, with `apply`, writes each plan (one
// transaction per counter, so one counter failing leaves the others done). Outcomes are in the
// order of `counters`. Errors: the records could not be read (the outcomes so far are lost; what
// was already applied stays applied).
Expected<std::vector<RegenerationOutcome>> regenerate_slots(SlotRecords& records,
                                                            const std::vector<CounterMaster>& counters,
                                                            calendar::Date from, calendar::Date to,
                                                            const calendar::BusinessCalendar& calendar, bool apply);

}  // namespace madoguchi::domain
