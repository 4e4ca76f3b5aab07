#include "madoguchi/edge/card_index.h"

#include <algorithm>
#include <variant>

namespace madoguchi::edge {

namespace {

using console::card_index::order_by;
using console::card_index::where_of;
using console::card_index::Where;

ViewRecord view_row(const sqlite::Stmt& st) {
  return ViewRecord{"card", st.column_text(0), st.column_text(1), st.column_u64(2), st.column_int(3) != 0};
}

}  // namespace

Expected<std::uint64_t> CardIndex::pending() {
  auto st = db_.cached("SELECT count(*) FROM card_dirty");
  if (!st) return st.error();
  auto r = (*st)->step();
  const std::uint64_t n = r && *r ? (*st)->column_u64(0) : 0;
  (*st)->reset();
  if (!r) return r.error();
  return n;
}

Expected<std::vector<std::string>> CardIndex::dirty(std::size_t limit) {
  auto pick = db_.cached("SELECT key FROM card_dirty LIMIT ?1");
  if (!pick) return pick.error();
  (*pick)->bind(1, static_cast<std::int64_t>(limit));
  std::vector<std::string> keys;
  for (;;) {
    auto r = (*pick)->step();
    if (!r) {
      (*pick)->reset();
      return r.error();
    }
    if (!*r) break;
    keys.push_back((*pick)->column_text(0));
  }
  (*pick)->reset();
  return keys;
}

Status CardIndex::put(const std::string& key, const std::optional<CardIndexRow>& row) {
  if (auto st = console::card_index::put(db_, key, row); !st) return st;
  auto done = db_.cached("DELETE FROM card_dirty WHERE key = ?1");
  if (!done) return done.error();
  return (*done)->bind(1, key).run();
}

Expected<CardIndexPage> CardIndex::search(const CardIndexFilter& filter, std::size_t offset, std::size_t limit) {
  const Where w = where_of(filter);
  CardIndexPage page;
  auto total = console::card_index::count(db_, filter);
  if (!total) return total.error();
  page.total = *total;
  // The page is picked from card_index alone (LIMIT/OFFSET over its indexes, no body read for a
  // skipped row), and only its rows are joined to records; CROSS JOIN keeps card_index the outer
  // loop. With a plain JOIN, SQLite drove the query from records (every card) and sorted the
  // result: 0.5-2 s a name search at 300,000 cards (madoguchi-bench counter).
  auto st = db_.prepare("SELECT c.key, r.body, r.version, r.pending FROM (" + console::card_index::page_sql(filter, w) +
                        ") c CROSS JOIN records r ON r.entity = 'card' AND r.key = c.key" +
                        console::card_index::outer_order_by(filter));
  if (!st) return st.error();
  w.bind(*st);
  const int n = static_cast<int>(w.params.size());
  st->bind(n + 1, static_cast<std::int64_t>(std::min<std::size_t>(limit, 1000)));
  st->bind(n + 2, static_cast<std::int64_t>(offset));
  for (;;) {
    auto r = st->step();
    if (!r) return r.error();
    if (!*r) break;
    page.rows.push_back(view_row(*st));
  }
  return page;
}

Status CardIndex::for_each(const CardIndexFilter& filter, const std::function<bool(const ViewRecord&)>& each) {
  const Where w = where_of(filter);
  // CROSS JOIN: card_index outer, read in the order of its index (see search()); a plain JOIN let
  // SQLite scan records first and sort every body of the export in a temporary b-tree.
  auto st = db_.prepare(
      "SELECT c.key, r.body, r.version, r.pending FROM card_index c CROSS JOIN records r ON r.entity = 'card' AND r.key = c.key" +
      w.sql + order_by(filter));
  if (!st) return st.error();
  w.bind(*st);
  for (;;) {
    auto r = st->step();
    if (!r) return r.error();
    if (!*r) return {};
    if (!each(view_row(*st))) return {};
  }
}

Expected<bool> CardIndex::taken(const std::string& manufacture_no, const std::string& application_id) {
  // "application_id <> ''" on the column, not on ?2: only then may SQLite use the partial index
  // card_index_application (a parameter proves nothing about the index's WHERE), without which
  // every card scanned the whole index: 44 of the 52 s of importing 30,000 people into an empty
  // store, and worse the more cards the store holds (madoguchi-bench counter).
  auto st = db_.cached(
      "SELECT 1 FROM records WHERE entity = 'card' AND key = ?1 UNION ALL "
      "SELECT 1 FROM card_index WHERE application_id <> '' AND application_id = ?2 AND key <> ?1 LIMIT 1");
  if (!st) return st.error();
  (*st)->bind(1, manufacture_no).bind(2, application_id);
  auto r = (*st)->step();
  (*st)->reset();
  if (!r) return r.error();
  return *r;
}

}  // namespace madoguchi::edge
