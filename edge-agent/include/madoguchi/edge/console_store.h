// The staff console's records at a counter PC (ACC-1..5, SYS-3, EDGE-3): console::app::ConsoleStore
// over the edge's EdgeStore. Reads come from the view (the hub's records plus local changes not yet
// confirmed), so staff whose accounts replicated here sign in with the hub link down; writes go to
// the view and the outbox and reach the hub like every other local change.
//
//   staff(id)      record staff/<id>; a record that does not decode, or whose body names another
//                  id, counts as no account (it cannot sign in)
//   roles()        every role/* record that decodes (others are left out: least privilege)
//   settings()     record setting/system, or Settings{} while there is none
//   save_staff()   writes staff/<id>
//   append_oplog() writes oplog/<device>:<seq>, chained (oplog.h) after this device's newest entry
//                  in the view (looked up once, then kept in memory: this object is the device's
//                  only oplog writer)
//   recent_oplog() scans at most kMaxOplogScan oplog records of the view (every device's), newest
//                  first by at_ms
// Not thread-safe, like EdgeStore: the agent's one event-loop thread calls it.
#pragma once

#include <functional>
#include <optional>

#include "madoguchi/console/app/console_app.h"
#include "madoguchi/edge/edge_store.h"
#include "madoguchi/transport.h"

namespace madoguchi::edge {

inline constexpr std::size_t kMaxOplogScan = 20'000;

class EdgeConsoleStore final : public console::app::ConsoleStore {
 public:
  // after_write: called after each successful write (wakes the sender); may be empty.
  EdgeConsoleStore(EdgeStore& store, const Clock& clock, std::function<void()> after_write);

  Expected<std::optional<domain::StaffAccount>> staff(std::string_view id) override;
  Expected<std::vector<domain::Role>> roles() override;
  Expected<domain::Settings> settings() override;
  Status save_staff(const domain::StaffAccount& account) override;
  Status append_oplog(std::string_view action, std::string_view staff_id, std::string_view target,
                      std::string_view detail, std::int64_t at_ms) override;
  Expected<std::vector<domain::OpLogEntry>> recent_oplog(std::string_view staff_id, std::size_t limit) override;

 private:
  Status load_last_entry();

  EdgeStore& store_;
  const Clock& clock_;
  std::function<void()> after_write_;
  bool last_loaded_ = false;
  std::optional<domain::OpLogEntry> last_;  // this device's newest entry
};

}  // namespace madoguchi::edge
