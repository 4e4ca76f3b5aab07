#include "madoguchi/hub/linkage_view.h"

#include <algorithm>

namespace madoguchi::hub {

namespace {
constexpr std::size_t kMaxStates = 1000;  // agents and sources of one municipality: a handful
constexpr std::size_t kShown = 20;         // reconciliations and re-requests listed
}

Expected<console::app::LinkageOverview> HubLinkageView::overview() {
  HubStore* store = engine_.certificate_store(municipality_);
  if (!store) return make_error(Errc::not_found, "no certificate database for " + municipality_);
  auto scope = store->read_scope();
  if (!scope) return scope.error();
  console::app::LinkageOverview out;
  auto agents = store->records_between(std::string(domain::kLinkageAgentEntity), "", "", kMaxStates);
  if (!agents) return agents.error();
  for (const auto& r : *agents) {
    auto beat = domain::linkage_agent_from_body(r.body);
    if (beat) {
      out.agents.push_back(std::move(*beat));
    } else {
      log_(LogLevel::warning, "linkage_agent/" + r.key + " does not decode: " + beat.error().message);
    }
  }
  auto sources = store->records_between(std::string(domain::kLinkageSourceEntity), "", "", kMaxStates);
  if (!sources) return sources.error();
  for (const auto& r : *sources) {
    auto state = domain::linkage_source_from_body(r.body);
    if (state) {
      out.sources.push_back(std::move(*state));
    } else {
      log_(LogLevel::warning, "linkage_source/" + r.key + " does not decode: " + state.error().message);
    }
  }
  auto reconciles = store->records_between(std::string(domain::kLinkageReconcileEntity), "", "", kMaxStates);
  if (!reconciles) return reconciles.error();
  for (const auto& r : *reconciles) {
    if (auto rec = domain::linkage_reconcile_from_body(r.body)) out.reconciles.push_back(std::move(*rec));
  }
  std::sort(out.reconciles.begin(), out.reconciles.end(), [](const auto& a, const auto& b) { return a.finished_ms > b.finished_ms; });
  if (out.reconciles.size() > kShown) out.reconciles.resize(kShown);
  auto requests = store->records_before(std::string(domain::kLinkageRequestEntity), "", kShown);  // keys start with the time
  if (!requests) return requests.error();
  for (const auto& r : *requests) {
    if (auto req = domain::linkage_request_from_body(r.key, r.body)) out.requests.push_back(std::move(*req));
  }
  for (const char* entity : {"resident", "seal", "tax"}) {
    auto n = store->record_count(entity);
    if (!n) return n.error();
    out.records[entity] = *n;
  }
  return out;
}

Expected<console::app::LinkageBatchPage> HubLinkageView::batches(const std::string& before, std::size_t max) {
  HubStore* store = engine_.certificate_store(municipality_);
  if (!store) return make_error(Errc::not_found, "no certificate database for " + municipality_);
  auto rows = store->records_before(std::string(domain::kLinkageBatchEntity), before, max + 1);
  if (!rows) return rows.error();
  console::app::LinkageBatchPage page;
  for (std::size_t i = 0; i < rows->size() && i < max; ++i) {
    auto b = domain::linkage_batch_from_body((*rows)[i].body);
    if (!b) {
      log_(LogLevel::warning, "linkage_batch/" + (*rows)[i].key + " does not decode: " + b.error().message);
      continue;
    }
    page.batches.push_back(std::move(*b));
  }
  if (rows->size() > max) page.next = (*rows)[max - 1].key;
  return page;
}

}  // namespace madoguchi::hub
