// The 交付管理 search index in SQL (ISS-5, ISS-6), shared by the two stores that keep one: the
// counter's (EdgeCardStore, filled from its view) and the hub's (HubStore writes it with each card;
// HubCardStore searches it). Table card_index holds one row per card with what the search reads
// (domain::card_search_fields); each store creates it in its own schema migrations (the same
// columns and indexes: edge_schema.cc, hub_store.cc) and joins the rows it picks to its own
// records table.
//
// Search plans (measured with `madoguchi-bench counter`, 300,000 cards): name prefixes use
// covering indexes that carry every sort column; the common filter-and-sort pairs have indexes
// of their own; a page is picked from card_index alone and only its rows are joined.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "madoguchi/domain/card_search.h"
#include "madoguchi/error.h"
#include "madoguchi/sqlite/sqlite.h"

namespace madoguchi::console::card_index {

enum class Sort { receipt_no, counter, booking_at, status, manufacture_no };
enum class NameColumn { kana, kanji, either };

// A search, validated and folded (filter_of); empty fields match everything.
struct Filter {
  std::string manufacture_prefix;  // 0-9 A-Z
  std::string name_key;            // a prefix of a folded name key, in `name_column`
  NameColumn name_column = NameColumn::either;
  std::string booking_from;        // YYYY-MM-DDTHH:MM, inclusive
  std::string booking_to;
  std::optional<int> status;
  std::string counter;
  std::string shipment_no;
  std::uint64_t receipt_no = 0;  // 0: any
  bool renewal_only = false;
  Sort sort = Sort::receipt_no;
  bool descending = false;
};

// A filter as SQL over card_index aliased `c`: the WHERE clause (empty or " WHERE ..."), its
// parameters bound from 1 in order, and the ORDER BY of the filter's sort (ties by key).
struct Where {
  std::string sql;
  std::vector<std::variant<std::string, std::int64_t>> params;
  void add(std::string_view clause);
  void bind(sqlite::Stmt& st) const;  // binds params from 1
};
Where where_of(const Filter& filter);
const char* sort_column(Sort sort);
std::string order_by(const Filter& filter);
// The same order over a page subquery whose columns are key and sort_value (page_sql()).
std::string outer_order_by(const Filter& filter);
// SELECT key, sort_value of one page: where.sql's parameters, then LIMIT and OFFSET.
std::string page_sql(const Filter& filter, const Where& where);

// Replaces the key's row (removes it when `fields` is absent: the record is gone). Run inside the
// transaction that writes the record.
Status put(sqlite::Db& db, const std::string& key, const std::optional<domain::CardSearchFields>& fields);
// Cards matching the filter in all.
Expected<std::uint64_t> count(sqlite::Db& db, const Filter& filter);

}  // namespace madoguchi::console::card_index
