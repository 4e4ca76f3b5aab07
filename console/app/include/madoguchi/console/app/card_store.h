// The card records behind the 交付管理 screens (ISS-1 to ISS-15): search, read, write, import.
// Implementations: EdgeCardStore (edge-agent, over the edge's view with a search index, works
// with the hub link down) and an in-memory one in the tests. Called on the console's one thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/domain/card.h"
#include "madoguchi/domain/card_import.h"
#include "madoguchi/error.h"

namespace madoguchi::console::app {

// Sort keys of the result list (ISS-6); ties are broken by manufacture number.
enum class CardSort { receipt_no, counter, booking_at, status, manufacture_no };
inline constexpr std::array<std::string_view, 5> kCardSortIds = {"receipt_no", "counter", "booking_at", "status",
                                                                 "manufacture_no"};
inline std::string_view card_sort_id(CardSort s) noexcept { return kCardSortIds[static_cast<std::size_t>(s)]; }
inline std::optional<CardSort> card_sort_from_id(std::string_view id) noexcept {
  for (std::size_t i = 0; i < kCardSortIds.size(); ++i) {
    if (kCardSortIds[i] == id) return static_cast<CardSort>(i);
  }
  return std::nullopt;
}

// A search (ISS-5). Empty strings and absent values match everything; the filters combine with AND.
struct CardQuery {
  std::string manufacture_no;  // a prefix of the manufacture number (case-insensitive)
  std::string name;            // a prefix of the name in kanji or in kana, in any width, hiragana or katakana
  std::string booking_from;    // YYYY-MM-DD: booked on or after this day
  std::string booking_to;      // YYYY-MM-DD: booked on or before this day
  std::optional<domain::CardStatus> status;
  std::string counter;      // booking counter, or the import's counter when not booked
  std::string shipment_no;  // exact
  std::uint64_t receipt_no = 0;  // exact; 0 = any
  bool renewal_only = false;     // only cards matched to a renewal list (ISS-4)
  CardSort sort = CardSort::receipt_no;
  bool descending = false;
  std::size_t offset = 0;
  std::size_t limit = 50;
};

struct CardRow {
  domain::Card card;
  bool pending = false;       // a change made here that the hub has not confirmed yet
  std::uint64_t version = 0;  // the hub's version the row is based on
};

struct CardPage {
  std::uint64_t total = 0;  // rows matching the query, all pages
  std::uint64_t index_pending = 0;  // cards received but not searchable yet (being indexed)
  std::vector<CardRow> rows;
};

class CardStore {
 public:
  virtual ~CardStore() = default;
  // Errors: invalid_argument for a query field that cannot be used (a name that is not UTF-8, a
  // bad date); db.
  virtual Expected<CardPage> search(const CardQuery& query) = 0;
  // Every row of the query in its order (offset and limit ignored), one at a time, for exports
  // and bulk updates; stops early when `each` returns false. Errors as search().
  virtual Status for_each(const CardQuery& query, const std::function<bool(const CardRow&)>& each) = 0;
  virtual Expected<std::optional<CardRow>> get(std::string_view manufacture_no) = 0;
  // Manufacture numbers among `cards` whose record exists already, or whose application id is
  // already on another record (ISS-2). Errors: db.
  virtual Expected<std::vector<std::string>> existing(const std::vector<domain::Card>& cards) = 0;
  // Writes all the cards in one transaction: all or nothing (ISS-3, ISS-14). The caller checked
  // them. Errors: db (nothing written).
  virtual Status save_all(const std::vector<domain::Card>& cards, std::int64_t now_ms) = 0;
  virtual Status save(const domain::Card& card, std::int64_t now_ms) { return save_all({card}, now_ms); }
  // Errors: not_found, db.
  virtual Status remove(std::string_view manufacture_no, std::int64_t now_ms) = 0;

  // QR import (ISS-1, ISS-2). The record keys (imported_code_key(), card_import.h) among `keys`
  // that have an imported-code record, i.e. codes imported before at any counter whose record has
  // reached this store. Errors: db.
  virtual Expected<std::vector<std::string>> imported_codes(const std::vector<std::string>& keys) = 0;
  // Writes the cards and one "jlis_code" record per code in ONE transaction: all or nothing.
  // The caller checked them. Errors: db (nothing written).
  virtual Status save_import(const std::vector<domain::Card>& cards, const std::vector<domain::ImportedCode>& codes,
                             std::int64_t now_ms) = 0;
};

}  // namespace madoguchi::console::app
