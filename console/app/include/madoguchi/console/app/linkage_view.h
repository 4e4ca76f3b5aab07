// What the hub console's 連携状況 screen reads (LNK-5, LNK-6, OPS-4): the municipality's
// certificate database as the linkage agent filled it (domain/linkage_record.h). Read-only.
// Implementation: hub::HubLinkageView (cloud-hub), over <muni>.cert.db; a fake in the tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "madoguchi/domain/linkage_reconcile.h"
#include "madoguchi/domain/linkage_record.h"
#include "madoguchi/error.h"

namespace madoguchi::console::app {

struct LinkageOverview {
  std::vector<domain::LinkageAgentBeat> agents;
  std::vector<domain::LinkageSourceState> sources;
  std::map<std::string, std::uint64_t> records;  // live records by entity: resident, seal, tax
  std::vector<domain::LinkageReconcile> reconciles;  // the latest reconciliations, newest first
  std::vector<domain::LinkageRequest> requests;      // the latest re-requests, newest first
};

struct LinkageBatchPage {
  std::vector<domain::LinkageBatch> batches;  // newest first
  std::string next;                           // the key to pass for the next (older) page; "" at the end
};

class LinkageView {
 public:
  virtual ~LinkageView() = default;
  virtual Expected<LinkageOverview> overview() = 0;
  // Files taken, newest first, at most `max`, strictly older than the batch `before` ("" = newest).
  virtual Expected<LinkageBatchPage> batches(const std::string& before, std::size_t max) = 0;
  // The guard's thresholds (HubConfig: linkage_silence_minutes, linkage_quiet_minutes).
  virtual domain::LinkageGuardPolicy policy() const = 0;
};

}  // namespace madoguchi::console::app
