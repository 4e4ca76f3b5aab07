// The edge database's card search index (edge_schema.cc: card_index, card_dirty), with typed
// operations: what 交付管理 at a counter PC searches (ISS-5, ISS-6). A trigger marks every changed
// card record in card_dirty; the caller (EdgeCardStore, which decodes the bodies) folds them in
// with put(). Obtained from EdgeStore::card_index(); valid while the store is. Writes run inside
// EdgeStore::transaction().
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "madoguchi/console/card_index/card_index.h"
#include "madoguchi/domain/card_search.h"
#include "madoguchi/edge/edge_store.h"
#include "madoguchi/error.h"
#include "madoguchi/sqlite/sqlite.h"

namespace madoguchi::edge {

// One card's index row: what the search reads of it (domain/card_search.h, the rule the hub's
// index follows too). A body that does not decode is indexed with decoded = false (it still
// shows in an unfiltered list).
using CardIndexRow = domain::CardSearchFields;

// The search, its sort and name columns: the SQL shared with the hub's index (console/card_index).
using CardIndexSort = console::card_index::Sort;
using CardNameColumn = console::card_index::NameColumn;
using CardIndexFilter = console::card_index::Filter;

struct CardIndexPage {
  std::uint64_t total = 0;
  std::vector<ViewRecord> rows;  // the cards' view records, in the filter's order
};

class CardIndex {
 public:

  // Cards marked but not indexed yet.
  Expected<std::uint64_t> pending();
  // Marked card keys, at most `limit`.
  Expected<std::vector<std::string>> dirty(std::size_t limit);
  // Replaces the key's row (removes it when `row` is absent: the record is gone) and clears its
  // mark.
  Status put(const std::string& key, const std::optional<CardIndexRow>& row);

  // The page [offset, offset + limit) (limit ≤ 1000) of the indexed cards matching, and how many
  // match in all.
  Expected<CardIndexPage> search(const CardIndexFilter& filter, std::size_t offset, std::size_t limit);
  // Every indexed card matching, in order, until `each` returns false.
  Status for_each(const CardIndexFilter& filter, const std::function<bool(const ViewRecord&)>& each);
  // Whether a card with this manufacture number is in the view, or another card has this
  // application id (a non-empty one).
  Expected<bool> taken(const std::string& manufacture_no, const std::string& application_id);

 private:
  friend class EdgeStore;
  explicit CardIndex(sqlite::Db& db) : db_(db) {}
  sqlite::Db& db_;
};

}  // namespace madoguchi::edge
