// 交付停止 at the hub (console::app::KonbiniFlags, KON-7) for one municipality: staff flags in its
// certificate database (entity konbini_flag, key 宛名番号; domain::StaffFlag), written at the hub
// through HubStore::write_local, so the write policy judges them as any other write and the
// counter PCs never receive them. The issuance service reads them for every request
// (HubCertificateSource). Called under the hub's application lock, as the console is.
#pragma once

#include <string>

#include "madoguchi/console/app/konbini_flags.h"
#include "madoguchi/hub/hub_engine.h"

namespace madoguchi::hub {

class HubKonbiniFlags final : public console::app::KonbiniFlags {
 public:
  HubKonbiniFlags(HubEngine& engine, std::string municipality, const Clock& clock)
      : engine_(engine), municipality_(std::move(municipality)), clock_(clock) {}
  Expected<std::vector<domain::StaffFlag>> list(std::size_t max) override;
  Expected<std::optional<console::app::FlagSubject>> subject(const std::string& person) override;
  Status set(const domain::StaffFlag& flag) override;
  Status clear(const std::string& person) override;

 private:
  Expected<HubStore*> store();
  HubEngine& engine_;
  std::string municipality_;
  const Clock& clock_;
};

}  // namespace madoguchi::hub
