// The hub's watch for 障害通知 (OPS-1). Every check_seconds, for each municipality with a console,
// the hub gathers what it can see (gather_alarm_inputs: the linkage guard, records held for
// characters, the devices' reports, the issuing center's contact and issuance failures, the CRL,
// the data directory's free space), lets domain::observe_alarms decide what stands, and records
// the changes in <muni>.alarms.db (AlarmStore). Raised and cleared alarms go to the hub's log
// (kind and place: no personal data). The console reads them through HubAlarmBoard.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "madoguchi/console/app/alarm_board.h"
#include "madoguchi/console/app/gaiji_view.h"
#include "madoguchi/console/app/linkage_view.h"
#include "madoguchi/console/app/sync_view.h"
#include "madoguchi/domain/alarm.h"
#include "madoguchi/hub/alarm_store.h"
#include "madoguchi/log.h"

namespace madoguchi::hub {

// Where one municipality's observations come from. Null / empty: not watched (no linkage server,
// no convenience-store issuance).
struct AlarmSources {
  console::app::LinkageView* linkage = nullptr;
  console::app::GaijiView* gaiji = nullptr;
  console::app::SyncView* sync = nullptr;
  std::function<std::optional<domain::IssuanceHealth>()> issuance;
  std::vector<std::filesystem::path> disks;
};

// Reads the sources. A source that cannot be read is left out and its error returned in
// `problems` (logged by the caller), so one failing reader does not blind the others.
domain::AlarmInputs gather_alarm_inputs(const AlarmSources& sources, std::int64_t now_ms, std::vector<std::string>& problems);

// Free and total bytes of the file system holding `path` (statvfs), for DiskSpace.
Expected<domain::DiskSpace> disk_space(const std::filesystem::path& path);

class HubAlarms {
 public:
  // Opens <data_dir>/<muni>.alarms.db for each municipality.
  static Expected<std::unique_ptr<HubAlarms>> open(const std::filesystem::path& data_dir, const std::vector<std::string>& municipalities,
                                                   domain::AlarmPolicy policy, LogSink log);

  // One check of one municipality: what stands now, recorded; raised and cleared alarms logged.
  Status check(const std::string& municipality, const domain::AlarmInputs& inputs);

  // Runs `f` on the municipality's store under its lock (the console's board, the tests).
  template <typename F>
  auto with_store(const std::string& municipality, F f) -> decltype(f(std::declval<AlarmStore&>())) {
    auto& m = *munis_.at(municipality);
    std::lock_guard lock(m.mutex);
    return f(m.store);
  }
  const domain::AlarmPolicy& policy() const { return policy_; }

 private:
  struct Muni {
    explicit Muni(AlarmStore s) : store(std::move(s)) {}
    std::mutex mutex;
    AlarmStore store;
  };
  HubAlarms(domain::AlarmPolicy policy, LogSink log) : policy_(policy), log_(std::move(log)) {}
  domain::AlarmPolicy policy_;
  LogSink log_;
  std::map<std::string, std::unique_ptr<Muni>> munis_;
};

// 障害通知 of one municipality, for its console.
class HubAlarmBoard final : public console::app::AlarmBoard {
 public:
  HubAlarmBoard(HubAlarms& alarms, std::string municipality) : alarms_(alarms), municipality_(std::move(municipality)) {}
  Expected<std::vector<domain::Alarm>> current(std::size_t max) override;
  Expected<std::vector<domain::Alarm>> history(std::int64_t from_ms, std::int64_t to_ms, std::size_t max) override;
  Expected<domain::AlarmCounts> counts() override;
  Expected<bool> acknowledge(std::int64_t id, const std::string& staff_id, std::int64_t now_ms) override;
  Expected<std::size_t> acknowledge_all(const std::string& staff_id, std::int64_t now_ms) override;

 private:
  HubAlarms& alarms_;
  std::string municipality_;
};

}  // namespace madoguchi::hub
