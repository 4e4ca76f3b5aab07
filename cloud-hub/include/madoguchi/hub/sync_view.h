// 同期状況's reads at the hub (console::app::SyncView) for one municipality: the devices of the
// registry, each counter's last device_status record (the municipality's records) or the linkage
// server's heartbeat (the certificate database), and the seq the hub has settled of each.
#pragma once

#include <map>
#include <string>

#include "madoguchi/console/app/sync_view.h"
#include "madoguchi/hub/hub_engine.h"

namespace madoguchi::hub {

class HubSyncView final : public console::app::SyncView {
 public:
  // `roles`: device id -> "counter" or "linkage", from the registry.
  HubSyncView(HubEngine& engine, std::string municipality, std::map<std::string, std::string> roles)
      : engine_(engine), municipality_(std::move(municipality)), roles_(std::move(roles)) {}
  Expected<std::vector<console::app::DeviceRow>> devices() override;

 private:
  HubEngine& engine_;
  std::string municipality_;
  std::map<std::string, std::string> roles_;
};

}  // namespace madoguchi::hub
