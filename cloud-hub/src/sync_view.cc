#include "madoguchi/hub/sync_view.h"

#include "madoguchi/domain/linkage_record.h"

namespace madoguchi::hub {

Expected<std::vector<console::app::DeviceRow>> HubSyncView::devices() {
  HubStore* records = engine_.store(municipality_);
  HubStore* cert = engine_.certificate_store(municipality_);
  if (!records || !cert) return make_error(Errc::not_found, "no databases for " + municipality_);
  std::vector<console::app::DeviceRow> out;
  for (const auto& [device, role] : roles_) {
    console::app::DeviceRow row{device, role, std::nullopt, 0};
    HubStore& store = role == "linkage" ? *cert : *records;
    auto settled = store.device_last_seq(device);
    if (!settled) return settled.error();
    row.settled_seq = *settled;
    if (role == "linkage") {
      auto beat = cert->get(std::string(domain::kLinkageAgentEntity), device);
      if (!beat) return beat.error();
      if (*beat && !(*beat)->deleted) {
        if (auto b = domain::linkage_agent_from_body((*beat)->body)) {
          domain::DeviceStatus s;
          s.device = device;
          s.role = role;
          s.version = b->version;
          s.at_ms = b->at_ms;
          s.last_seq = *settled;
          row.status = s;
        }
      }
    } else {
      auto rec = records->get(std::string(domain::kDeviceStatusEntity), device);
      if (!rec) return rec.error();
      if (*rec && !(*rec)->deleted) {
        if (auto s = domain::device_status_from_body((*rec)->body)) row.status = *s;
      }
    }
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace madoguchi::hub
