#include "madoguchi/console/card_index/card_index.h"

namespace madoguchi::console::card_index {

namespace {

// Above every code point in UTF-8 byte order: the exclusive end of a prefix range.
constexpr std::string_view kPrefixEnd = "\xF4\x8F\xBF\xBF";

}  // namespace

void Where::add(std::string_view clause) {
  sql += sql.empty() ? " WHERE " : " AND ";
  sql += clause;
}

void Where::bind(sqlite::Stmt& st) const {
  int i = 1;
  for (const auto& p : params) {
    if (const auto* s = std::get_if<std::string>(&p)) {
      st.bind(i++, *s);
    } else {
      st.bind(i++, std::get<std::int64_t>(p));
    }
  }
}

const char* sort_column(Sort s) {
  switch (s) {
    case Sort::receipt_no: return "c.receipt_no";
    case Sort::counter: return "c.counter";
    case Sort::booking_at: return "c.booking_at";
    case Sort::status: return "c.status";
    case Sort::manufacture_no: return "c.key";
  }
  return "c.key";
}

Where where_of(const Filter& f) {
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
      case NameColumn::kana:
        w.add("c.kana_key >= ? AND c.kana_key < ?");
        break;
      case NameColumn::kanji:
        w.add("c.kanji_key >= ? AND c.kanji_key < ?");
        break;
      case NameColumn::either:
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

std::string order_by(const Filter& f) {
  const char* dir = f.descending ? " DESC" : " ASC";
  std::string s = " ORDER BY ";
  s += sort_column(f.sort);
  s += dir;
  if (f.sort != Sort::manufacture_no) {
    s += ", c.key";
    s += dir;
  }
  return s;
}

std::string outer_order_by(const Filter& f) {
  const char* dir = f.descending ? " DESC" : " ASC";
  std::string s = " ORDER BY c.sort_value";
  s += dir;
  s += ", c.key";
  s += dir;
  return s;
}

std::string page_sql(const Filter& f, const Where& w) {
  return "SELECT c.key, " + std::string(sort_column(f.sort)) + " AS sort_value FROM card_index c" + w.sql + order_by(f) +
         " LIMIT ? OFFSET ?";
}

Status put(sqlite::Db& db, const std::string& key, const std::optional<domain::CardSearchFields>& row) {
  if (!row) {
    auto del = db.cached("DELETE FROM card_index WHERE key = ?1");
    if (!del) return del.error();
    return (*del)->bind(1, key).run();
  }
  auto put = db.cached(
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
    for (int i = 2; i <= 10; ++i) st.bind_null(i);  // listed by its key only, never lost
  }
  return st.run();
}

Expected<std::uint64_t> count(sqlite::Db& db, const Filter& filter) {
  const Where w = where_of(filter);
  auto st = db.prepare("SELECT count(*) FROM card_index c" + w.sql);
  if (!st) return st.error();
  w.bind(*st);
  auto r = st->step();
  if (!r) return r.error();
  return *r ? st->column_u64(0) : 0;
}

}  // namespace madoguchi::console::card_index
