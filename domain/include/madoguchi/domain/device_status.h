// What each device reports about itself for the hub console's 同期状況 (EDGE-5, OPS-4): its
// software version, operations waiting in its outbox, refusals it holds, when its certificate
// expires. A counter PC and the linkage server write it (record entity "device_status", key = the
// device id) every ten minutes while connected; it rides the municipality's feed like any record
// (it carries no personal data), and the write policy lets a device write only its own. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "madoguchi/error.h"

namespace madoguchi::domain {

inline constexpr std::string_view kDeviceStatusEntity = "device_status";
inline constexpr std::int64_t kDeviceStatusEveryMs = 10 * 60 * 1000;

struct DeviceStatus {
  std::string device;
  std::string role;                 // "counter" or "linkage"
  std::string version;              // the agent's software version
  std::int64_t at_ms = 0;           // the device's clock when it reported
  std::uint64_t last_seq = 0;       // its last operation
  std::uint64_t outbox_depth = 0;   // operations not yet acknowledged (before this report)
  std::uint64_t rejected = 0;       // refusals kept for staff to see
  std::int64_t cert_not_after_ms = 0;  // its client certificate's expiry (0: unknown)
};

std::string device_status_body(const DeviceStatus& s);
Expected<DeviceStatus> device_status_from_body(std::string_view body);

// The write rule: a device writes only its own status (key = its id), never removes one; the hub
// may remove (a device taken out of service). Errc::forbidden / malformed.
Status check_device_status_write(std::string_view origin, std::string_view key, bool remove, std::string_view body);

}  // namespace madoguchi::domain
