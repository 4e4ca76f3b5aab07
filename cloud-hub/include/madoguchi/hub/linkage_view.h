// 連携状況's reads at the hub (console::app::LinkageView) over one municipality's certificate
// database (HubEngine::certificate_store): the linkage agents' heartbeats, the sources' states, the
// files taken (newest first) and the record counts. Records that do not decode are left out and
// counted in the log, never shown half-read. Called under the hub's application lock.
#pragma once

#include <string>

#include "madoguchi/console/app/linkage_view.h"
#include "madoguchi/hub/hub_engine.h"

namespace madoguchi::hub {

class HubLinkageView final : public console::app::LinkageView {
 public:
  HubLinkageView(HubEngine& engine, std::string municipality, domain::LinkageGuardPolicy policy, LogSink log = null_log())
      : engine_(engine), municipality_(std::move(municipality)), policy_(policy), log_(std::move(log)) {}

  Expected<console::app::LinkageOverview> overview() override;
  Expected<console::app::LinkageBatchPage> batches(const std::string& before, std::size_t max) override;
  domain::LinkageGuardPolicy policy() const override { return policy_; }

 private:
  HubEngine& engine_;
  std::string municipality_;
  domain::LinkageGuardPolicy policy_;
  LogSink log_;
};

}  // namespace madoguchi::hub
