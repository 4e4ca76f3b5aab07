// Re-requests and reconciliation at the hub (issue 12, LNK-3, LNK-6, LNK-7;
// domain/linkage_reconcile.h holds the rules and the record layouts).
//
//  - request(): records to be sent again by a core system (staff's 再送依頼 of a held record, a
//    reconciliation's repair) become linkage_request records in the certificate database, at most
//    domain::kMaxRequestKeys keys each, and are pushed to the municipality's linkage agents at
//    once (HubEngine::push_linkage_down). The agent writes them as request files for the core
//    system and marks them sent.
//  - after_batch(): when a linkage agent's batch completes an extract's digest (its last chunk),
//    the digest is compared with every record of its kind (domain::LinkageComparison); the
//    outcome is stored as linkage_reconcile (連携状況 lists it), every difference is re-requested,
//    and the digest's records are removed.
// Runs on the hub's message thread, as the engine does; a comparison of 300,000 records takes a
// few seconds (docs/performance.md, linkage.reconcile_seconds). Its log line states how long.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "madoguchi/domain/linkage_file.h"
#include "madoguchi/domain/linkage_reconcile.h"
#include "madoguchi/hub/hub_engine.h"
#include "madoguchi/log.h"

namespace madoguchi::hub {

class LinkageReconciler {
 public:
  LinkageReconciler(HubEngine& engine, const Clock& clock, LogSink log = null_log());

  // Errc::invalid_argument for no key, a key that is not a record key, an unknown municipality.
  // Returns the request ids.
  Expected<std::vector<std::string>> request(const std::string& municipality, domain::LinkageKind kind, const std::string& source,
                                             const std::vector<std::string>& keys, const std::string& reason, const std::string& by);

  void after_batch(const std::string& municipality, const protocol::OpBatch& batch);

  // At start: compares every digest whose last chunk was committed but never compared (the hub
  // stopped between the commit and the comparison; a compared digest is removed). Digests still
  // incomplete wait for their last chunk. Errors: db.
  Status resume(const std::string& municipality);

  // Compares the complete digest of one extract now (after_batch calls it). Errors: the digest
  // is incomplete or malformed (it is left for a later delivery), db.
  Expected<domain::LinkageReconcile> reconcile(const std::string& municipality, domain::LinkageKind kind, const std::string& source,
                                               const std::string& run);

 private:
  HubEngine& engine_;
  const Clock& clock_;
  LogSink log_;
};

// The pending filter for HubOptions::linkage_down_pending: a linkage_request not yet sent.
bool linkage_request_pending(const protocol::Record& record);

// The hub's options for the certificate databases (the hub process and the tests use them):
// their entities and write policy (domain::check_data_route; of a linkage_request, the agent may
// only mark it sent), what linkage agents receive, and `reconciler()`'s after_batch after each of
// their batches (it may return nullptr).
void set_linkage_options(HubOptions& options, std::function<LinkageReconciler*()> reconciler);

}  // namespace madoguchi::hub
