// マスタ管理 and お知らせ at the hub (console::app::MasterStore over one municipality's HubStore):
// counter masters, slots, the calendar configuration and the citizen site's notices. Reads come
// from the municipality's database; every write goes through HubEngine (write_local, or
// write_local_batch for a regeneration plan or a counter's removal: one transaction), so it is
// published on the feed at once, counted in the engine's counters and judged by the write policy
// (masters, slots and the calendar are hub-authored).
//
// Booked places come from the derived table booking_load (HubStore::slot_places), which the hub
// keeps in step with the live "booking" records when the booking count is installed
// (HubStore::set_constraint, done by the hub process): one index lookup per stored slot of the
// range. Called on the hub's io_context thread only (the same thread as the engine).
#pragma once

#include <string>

#include "madoguchi/console/app/master_store.h"
#include "madoguchi/hub/hub_engine.h"

namespace madoguchi::hub {

class HubMasterStore final : public console::app::MasterStore {
 public:
  HubMasterStore(HubEngine& engine, std::string municipality);

  Expected<std::vector<domain::CounterMaster>> counters() override;
  Expected<std::optional<domain::CounterMaster>> counter(std::string_view id) override;
  Status save_counter(const domain::CounterMaster& counter) override;
  Status remove_counter(std::string_view id, calendar::Date slots_from) override;

  Expected<std::vector<domain::Slot>> slots(std::string_view counter, calendar::Date from, calendar::Date to) override;
  Expected<std::optional<domain::Slot>> slot(std::string_view key) override;
  Status save_slot(const domain::Slot& slot) override;
  Status apply_plan(const domain::RegenerationPlan& plan) override;
  Expected<std::map<std::string, std::int64_t>> booked_places(std::string_view counter, calendar::Date from,
                                                              calendar::Date to) override;

  Expected<domain::CalendarConfig> calendar_config() override;
  Status save_calendar_config(const domain::CalendarConfig& config) override;

  Expected<std::vector<domain::Notice>> notices() override;
  Expected<std::optional<domain::Notice>> notice(std::string_view id) override;
  Status save_notice(const domain::Notice& notice) override;
  Status remove_notice(std::string_view id) override;

  // Records of one entity read at most by one call (counters, notices): a bound on a request's
  // work. Slots of one range: kMaxSlotScan (400 days of a counter with 5-minute visits all day).
  static constexpr std::size_t kMaxScan = 10000;
  static constexpr std::size_t kMaxSlotScan = 400 * 288;

 private:
  Expected<HubStore*> store();
  Status write(std::string_view entity, std::string_view key, protocol::OpKind kind, const std::string& body);
  // Slot records of `counter` with keys in ["<counter>:<from>", "<counter>:<to>T~"]; `to` absent:
  // to the last one.
  Expected<std::vector<protocol::Record>> slot_records(std::string_view counter, calendar::Date from,
                                                       std::optional<calendar::Date> to);

  HubEngine& engine_;
  std::string municipality_;
};

}  // namespace madoguchi::hub
