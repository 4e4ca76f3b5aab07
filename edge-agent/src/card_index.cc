#include "madoguchi/edge/card_index.h"

#include <algorithm>
#include <variant>

namespace madoguchi::edge {

namespace {

// Above every code point in UTF-8 byte order: the exclusive end of a prefix range.
constexpr std::string_view kPrefixEnd = "\xF4\x8F\xBF\xBF";

const char* sort_column(CardIndexSort s) {
  switch (s) {
    case CardIndexSort::receipt_no: return "c.receipt_no";
    case CardIndexSort::counter: return "c.counter";
    case CardIndexSort::booking_at: return "c.booking_at";
    case CardIndexSort::status: return "c.status";
    case CardIndexSort::manufacture_no: return "c.key";
  }
  return "c.key";
}

// The WHERE clause of a filter and its parameters, bound in order.
struct Where {
  std::string sql;
  std::vector<std::variant<std::string, std::int64_t>> params;
  void add(std::string_view clause) {
    sql += sql.empty() ? " WHERE " : " AND ";
    sql += clause;
  }
  void bind(sqlite::Stmt& st) const {
    int i = 1;
    for (const auto& p : params) {
      if (const auto* s = std::get_if<std::string>(&p)) {
        st.bind(i++, *s);
      } else {
        st.bind(i++, std::get<std::int64_t>(p));
      }
    }
  }
};

Where where_of(const CardIndexFilter& f) {
  Where w;
  if (!f.manufacture_prefix.empty()) {
    w.add("c.key >= ? AND c.key < ?");
    w.params.emplace_back(f.manufacture_prefix);
    w.params.emplace_back(f.manufacture_prefix + "\x7f");
  }
  if (!f.name_key.empty()) {
    // A key of kana alone can only be a reading, one with a kanji only a written name: each
    // searches its one column (one index range). Anything else may be in either.
    switch (f.name_column) {
      case CardNameColumn::kana:
        w.add("c.kana_key >= ? AND c.kana_key < ?");
        break;
      case CardNameColumn::kanji:
        w.add("c.kanji_key >= ? AND c.kanji_key < ?");
        break;
      case CardNameColumn::either:
        w.add("((c.kanji_key >= ? AND c.kanji_key < ?) OR (c.kana_key >= ? AND c.kana_key < ?))");
        w.params.emplace_back(f.name_key);
        w.params.emplace_back(f.name_key + std::string(kPrefixEnd));
        break;
    }
    w.params.emplace_back(f.name_key);
    w.params.emplace_back(f.name_key + std::string(kPrefixEnd));
  }
  if (!f.booking_from.empty()) {
    w.add("c.booking_at >= ?");
    w.params.emplace_back(f.booking_from);
  }
  if (!f.booking_to.empty()) {
    w.add("c.booking_at <= ?");
    w.params.emplace_back(f.booking_to);
  }
  if (f.status) {
    w.add("c.status = ?");
    w.params.emplace_back(static_cast<std::int64_t>(*f.status));
  }
  if (!f.counter.empty()) {
    w.add("c.counter = ?");
    w.params.emplace_back(f.counter);
  }
  if (!f.shipment_no.empty()) {
    w.add("c.shipment_no = ?");
    w.params.emplace_back(f.shipment_no);
  }
  if (f.receipt_no != 0) {
    w.add("c.receipt_no = ?");
    w.params.emplace_back(static_cast<std::int64_t>(f.receipt_no));
  }
  if (f.renewal_only) w.add("c.renewal = 1");
  return w;
}

std::string order_by(const CardIndexFilter& f) {
  const char* dir = f.descending ? " DESC" : " ASC";
  std::string s = " ORDER BY ";
  s += sort_column(f.sort);
  s += dir;
  if (f.sort != CardIndexSort::manufacture_no) {
    s += ", c.key";
    s += dir;
  }
  return s;
}

// The same order over search()'s page subquery, whose columns are key and sort_value.
std::string outer_order_by(const CardIndexFilter& f) {
  const char* dir = f.descending ? " DESC" : " ASC";
  std::string s = " ORDER BY c.sort_value";
  s += dir;
  s += ", c.key";
  s += dir;
  return s;
}

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
  if (!row) {
    auto del = db_.cached("DELETE FROM card_index WHERE key = ?1");
    if (!del) return del.error();
    if (auto st = (*del)->bind(1, key).run(); !st) return st;
  } else {
    auto put = db_.cached(
        "INSERT OR REPLACE INTO card_index(key, receipt_no, counter, booking_at, status, kanji_key, kana_key, "
        "shipment_no, renewal, application_id) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    if (!put) return put.error();
    sqlite::Stmt& st = **put;
    st.bind(1, key);
    if (row->decoded) {
      st.bind(2, static_cast<std::int64_t>(row->receipt_no));
      st.bind(3, row->counter);
      if (row->booking_at) {
        st.bind(4, *row->booking_at);
      } else {
        st.bind_null(4);
      }
      st.bind(5, row->status);
      st.bind(6, row->kanji_key);
      st.bind(7, row->kana_key);
      st.bind(8, row->shipment_no);
      st.bind(9, row->renewal);
      st.bind(10, row->application_id);
    } else {
      for (int i = 2; i <= 10; ++i) st.bind_null(i);
    }
    if (auto s = st.run(); !s) return s;
  }
  auto done = db_.cached("DELETE FROM card_dirty WHERE key = ?1");
  if (!done) return done.error();
  return (*done)->bind(1, key).run();
}

Expected<CardIndexPage> CardIndex::search(const CardIndexFilter& filter, std::size_t offset, std::size_t limit) {
  const Where w = where_of(filter);
  CardIndexPage page;
  {
    auto count = db_.prepare("SELECT count(*) FROM card_index c" + w.sql);
    if (!count) return count.error();
    w.bind(*count);
    auto r = count->step();
    if (!r) return r.error();
    page.total = *r ? count->column_u64(0) : 0;
  }
  // The page is picked from card_index alone (LIMIT/OFFSET over its indexes, no body read for a
  // skipped row), and only its rows are joined to records; CROSS JOIN keeps card_index the outer
  // loop. With a plain JOIN, SQLite drove the query from records (every card) and sorted the
  // result: 0.5-2 s a name search at 300,000 cards (madoguchi-bench counter).
  auto st = db_.prepare("SELECT c.key, r.body, r.version, r.pending FROM (SELECT c.key, " +
                        std::string(sort_column(filter.sort)) + " AS sort_value FROM card_index c" + w.sql +
                        order_by(filter) + " LIMIT ? OFFSET ?) c CROSS JOIN records r ON r.entity = 'card' AND r.key = c.key" +
                        outer_order_by(filter));
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
