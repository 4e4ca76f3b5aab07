// The card records at a counter PC (ISS-1 to ISS-15): console::app::CardStore over the edge's
// view, with a search index so that a search over 300,000 cards answers in milliseconds (ISS-5,
// ISS-6; `madoguchi-bench counter` measures it). Works with the hub link down: reads come from
// the view, writes go to the view and the outbox like every other local change (EDGE-2).
//
// The index. Table card_index holds, per card record of the view, the columns searched and sorted
// on (receipt number, counter, booking date-time, derived status, the names folded by
// text::search_key, ...). Triggers on the view table (records) put the key of every inserted,
// changed or deleted card record into card_dirty, in the same transaction as the change, whoever
// makes it (the sync engine applying the hub's feed or a snapshot, a local write, another process
// sharing the file). The triggers use nothing but SQL, so any connection may write. The agent
// brings card_index up to date from card_dirty on its tick (refresh(), 2,000 keys per BEGIN
// IMMEDIATE transaction); each read first indexes up to 2,000 keys itself. A search made while
// more are waiting answers from the index as it is and says how many (CardPage::index_pending);
// exports and bulk updates are refused (Errc::unavailable) until the index has caught up.
// A record whose body does not decode is indexed with its key only (it is listed, never lost).
//
// Not thread-safe, like EdgeStore: the agent's one event-loop thread calls it.
#pragma once

#include <functional>
#include <string_view>

#include "madoguchi/console/app/card_store.h"
#include "madoguchi/edge/edge_store.h"

namespace madoguchi::edge {

class EdgeCardStore final : public console::app::CardStore {
 public:
  // Creates the index tables and triggers when missing (and indexes every card already in the
  // view). after_write: called after each successful write (wakes the sender); may be empty.
  static Expected<std::unique_ptr<EdgeCardStore>> open(EdgeStore& store, std::function<void()> after_write);

  Expected<console::app::CardPage> search(const console::app::CardQuery& query) override;
  Status for_each(const console::app::CardQuery& query,
                  const std::function<bool(const console::app::CardRow&)>& each) override;
  Expected<std::optional<console::app::CardRow>> get(std::string_view manufacture_no) override;
  Expected<std::vector<std::string>> existing(const std::vector<domain::Card>& cards) override;
  Status save_all(const std::vector<domain::Card>& cards, std::int64_t now_ms) override;
  Status remove(std::string_view manufacture_no, std::int64_t now_ms) override;
  Expected<std::vector<std::string>> imported_codes(const std::vector<std::string>& keys) override;
  Status save_import(const std::vector<domain::Card>& cards, const std::vector<domain::ImportedCode>& codes,
                     std::int64_t now_ms) override;

  // Indexes at most max_keys of the records changed since the last call (in transactions of
  // 2,000). Returns how many keys it processed. The agent calls it on its tick so a snapshot of a
  // whole municipality is indexed in the background; reads index a bounded part themselves.
  Expected<std::size_t> refresh(std::size_t max_keys = static_cast<std::size_t>(-1));
  // Card records changed but not yet indexed.
  Expected<std::uint64_t> index_pending();

 private:
  EdgeCardStore(EdgeStore& store, std::function<void()> after_write)
      : store_(store), after_write_(std::move(after_write)) {}

  EdgeStore& store_;
  std::function<void()> after_write_;
};

}  // namespace madoguchi::edge
