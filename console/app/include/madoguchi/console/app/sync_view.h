// What the hub console's 同期状況 screen reads (EDGE-5, OPS-4): every device of the municipality
// in the registry, with what it last reported (domain/device_status.h; the linkage server's
// heartbeat) and what the hub has settled of it. Implementation: hub::HubSyncView.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "madoguchi/domain/device_status.h"
#include "madoguchi/error.h"

namespace madoguchi::console::app {

struct DeviceRow {
  std::string device;
  std::string role;                              // "counter" or "linkage"
  std::optional<domain::DeviceStatus> status;    // its last report, if any
  std::uint64_t settled_seq = 0;                 // its operations the hub has settled
};

class SyncView {
 public:
  virtual ~SyncView() = default;
  virtual Expected<std::vector<DeviceRow>> devices() = 0;
};

}  // namespace madoguchi::console::app
