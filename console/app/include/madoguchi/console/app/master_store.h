// The records behind マスタ管理 and お知らせ (master_pages.cc; MST-1..MST-7, RSV-3, RSV-15,
// SYS-2): counter masters, their slots, the calendar configuration and the citizen site's notices.
// Implemented at the hub (hub::HubMasterStore, over the municipality's HubStore: masters are
// hub-authored and reach the edges on the feed) and by an in-memory fake in the tests. Called on
// the console's one thread only.
//
// Every read leaves out records that do not decode or whose key does not match their body (a
// record nobody can read is not offered for editing); every write validates first and refuses
// with the domain's error ("<field>: <reason>", invalid_argument) before anything is stored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/calendar/date.h"
#include "madoguchi/domain/calendar_config.h"
#include "madoguchi/domain/counter_master.h"
#include "madoguchi/domain/notice.h"
#include "madoguchi/domain/slot_regeneration.h"
#include "madoguchi/domain/slots.h"
#include "madoguchi/error.h"

namespace madoguchi::console::app {

class MasterStore : public domain::SlotRecords {
 public:
  virtual ~MasterStore() = default;

  // ---- counters (entity "counter") ---------------------------------------------------------------
  // Every counter whose record decodes, ordered by id.
  virtual Expected<std::vector<domain::CounterMaster>> counters() = 0;
  // The counter with this id; nullopt when there is none (or it does not decode).
  virtual Expected<std::optional<domain::CounterMaster>> counter(std::string_view id) = 0;
  // Writes the counter's record (validated first).
  virtual Status save_counter(const domain::CounterMaster& counter) = 0;
  // Removes the counter's record and its slots on `slots_from` and later, in ONE transaction
  // (past slots stay: past bookings refer to them). The caller has checked there are no future
  // bookings. Absent counter: done.
  virtual Status remove_counter(std::string_view id, calendar::Date slots_from) = 0;

  // ---- slots (entity "slot") ---------------------------------------------------------------------
  // slots(), booked_places() and apply_plan(): domain::SlotRecords.
  // One slot by key; nullopt when absent.
  virtual Expected<std::optional<domain::Slot>> slot(std::string_view key) = 0;
  // Writes one slot (an edit or a slot added by hand).
  virtual Status save_slot(const domain::Slot& slot) = 0;

  // ---- calendar configuration (entity "calendar", key "config") ----------------------------------
  // The stored configuration, or CalendarConfig{} while none is stored. Errors when the record is
  // stored but does not decode (generation must not silently ignore closure days).
  virtual Expected<domain::CalendarConfig> calendar_config() = 0;
  virtual Status save_calendar_config(const domain::CalendarConfig& config) = 0;

  // ---- notices (entity "notice") -----------------------------------------------------------------
  // Every notice whose record decodes, ordered by id.
  virtual Expected<std::vector<domain::Notice>> notices() = 0;
  virtual Expected<std::optional<domain::Notice>> notice(std::string_view id) = 0;
  virtual Status save_notice(const domain::Notice& notice) = 0;
  // Absent: done.
  virtual Status remove_notice(std::string_view id) = 0;
};

}  // namespace madoguchi::console::app
