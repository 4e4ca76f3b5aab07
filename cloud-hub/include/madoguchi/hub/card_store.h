// The card records behind 交付管理 at the hub console (issue 14, ISS-1 to ISS-15):
// console::app::CardStore over one municipality's HubStore, so back-office staff and a call centre
// work with cards without a counter PC, through the same page modules as a counter.
//
// Reads search the hub's own index (HubStore's card_index, kept in the transaction that writes
// each card: never behind, so CardPage::index_pending is always 0). Writes go through
// HubEngine::write_local_batch, the hub's authoritative path: the write policy and the constraint
// judge them as any other write, and they are published on the municipality's feed at once, so
// the counters see them. A hub write wins over a counter's change made meanwhile (the hub's
// conflict rule), as for every change made at the hub.
//
// Not thread-safe: called under the hub's application lock, like HubConsoleStore.
#pragma once

#include <string>

#include "madoguchi/console/app/card_store.h"
#include "madoguchi/hub/hub_engine.h"

namespace madoguchi::hub {

class HubCardStore final : public console::app::CardStore {
 public:
  HubCardStore(HubEngine& engine, std::string municipality);

  Expected<console::app::CardPage> search(const console::app::CardQuery& query) override;
  Status for_each(const console::app::CardQuery& query, const std::function<bool(const console::app::CardRow&)>& each) override;
  Expected<std::optional<console::app::CardRow>> get(std::string_view manufacture_no) override;
  Expected<std::vector<std::string>> existing(const std::vector<domain::Card>& cards) override;
  // All in one transaction up to HubEngine::kMaxLocalBatch cards; a larger set is refused whole
  // (invalid_argument), never written in part.
  Status save_all(const std::vector<domain::Card>& cards, std::int64_t now_ms) override;
  Status remove(std::string_view manufacture_no, std::int64_t now_ms) override;
  Expected<std::vector<std::string>> imported_codes(const std::vector<std::string>& keys) override;
  Status save_import(const std::vector<domain::Card>& cards, const std::vector<domain::ImportedCode>& codes,
                     std::int64_t now_ms) override;

 private:
  Expected<HubStore*> store();
  Status write(std::vector<LocalWrite> writes);

  HubEngine& engine_;
  std::string municipality_;
};

}  // namespace madoguchi::hub
