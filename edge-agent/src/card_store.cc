#include "madoguchi/edge/card_store.h"

#include <algorithm>
#include <set>
#include <variant>

#include "madoguchi/domain/record_body.h"
#include "madoguchi/text/normalize.h"

namespace madoguchi::edge {

using domain::Card;
using console::app::CardPage;
using console::app::CardQuery;
using console::app::CardRow;
using console::app::CardSort;
using sqlite::Stmt;

namespace {


constexpr std::size_t kRefreshBatch = 2000;
// Keys a read indexes before answering (about 0.3 s of work at most); the rest is left to the
// agent's background refresh, and the list says how many cards are not searchable yet.
constexpr std::size_t kRefreshPerRead = 2000;
// Above every code point in UTF-8 byte order: the exclusive end of a prefix range.
constexpr std::string_view kPrefixEnd = "\xF4\x8F\xBF\xBF";

const char* sort_column(CardSort s) {
  switch (s) {
    case CardSort::receipt_no: return "c.receipt_no";
    case CardSort::counter: return "c.counter";
    case CardSort::booking_at: return "c.booking_at";
    case CardSort::status: return "c.status";
    case CardSort::manufacture_no: return "c.key";
  }
  return "c.key";
}

enum class NameScript { kana, kanji, other };

// What a folded name key (text::search_key: katakana folded to hiragana) is written in: kana
// when every character is hiragana or the prolonged sound mark, kanji when any character is an
// ideograph (or 々 〆 ヶ), other otherwise. The key is valid UTF-8.
NameScript name_script(std::string_view key) {
  bool all_kana = true;
  for (std::size_t i = 0; i < key.size();) {
    const auto c0 = static_cast<unsigned char>(key[i]);
    char32_t cp = 0;
    std::size_t len = 1;
    if (c0 < 0x80) {
      cp = c0;
    } else if ((c0 >> 5) == 0x6) {
      len = 2;
      cp = c0 & 0x1F;
    } else if ((c0 >> 4) == 0xE) {
      len = 3;
      cp = c0 & 0x0F;
    } else {
      len = 4;
      cp = c0 & 0x07;
    }
    for (std::size_t j = 1; j < len && i + j < key.size(); ++j) {
      cp = (cp << 6) | (static_cast<unsigned char>(key[i + j]) & 0x3F);
    }
    i += len;
    const bool ideograph = (cp >= 0x3400 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) || cp >= 0x20000 ||
                           cp == 0x3005 || cp == 0x3006 || cp == 0x30F6;
    if (ideograph) return NameScript::kanji;
    const bool kana = (cp >= 0x3041 && cp <= 0x309F) || cp == 0x30FC;
    all_kana = all_kana && kana;
  }
  return all_kana ? NameScript::kana : NameScript::other;
}

// The WHERE clause of a query and its parameters, bound in order.
struct Where {
  std::string sql;
  std::vector<std::variant<std::string, std::int64_t>> params;
  void add(std::string_view clause) {
    sql += sql.empty() ? " WHERE " : " AND ";
    sql += clause;
  }
  void bind(Stmt& st) const {
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

Expected<Where> where_of(const CardQuery& q) {
  Where w;
  if (!q.manufacture_no.empty()) {
    std::string p;
    for (char ch : q.manufacture_no) {
      if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
      if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z'))) {
        return make_error(Errc::invalid_argument, "manufacture_no: only 0-9 and A-Z");
      }
      p += ch;
    }
    w.add("c.key >= ? AND c.key < ?");
    w.params.emplace_back(p);
    w.params.emplace_back(p + "\x7f");
  }
  if (!q.name.empty()) {
    auto k = text::search_key(q.name);
    if (!k) return make_error(Errc::invalid_argument, "name: " + k.error().message);
    if (!k->empty()) {
      // A key of kana alone can only be a reading, one with a kanji only a written name: each
      // searches its one column (one index range). Anything else (Latin letters of a foreign
      // resident's name, digits) may be in either.
      switch (name_script(*k)) {
        case NameScript::kana:
          w.add("c.kana_key >= ? AND c.kana_key < ?");
          break;
        case NameScript::kanji:
          w.add("c.kanji_key >= ? AND c.kanji_key < ?");
          break;
        case NameScript::other:
          w.add("((c.kanji_key >= ? AND c.kanji_key < ?) OR (c.kana_key >= ? AND c.kana_key < ?))");
          w.params.emplace_back(*k);
          w.params.emplace_back(*k + std::string(kPrefixEnd));
          break;
      }
      w.params.emplace_back(*k);
      w.params.emplace_back(*k + std::string(kPrefixEnd));
    }
  }
  if (!q.booking_from.empty()) {
    if (!domain::is_valid_date(q.booking_from)) return make_error(Errc::invalid_argument, "booking_from: not a date");
    w.add("c.booking_at >= ?");
    w.params.emplace_back(q.booking_from + "T00:00");
  }
  if (!q.booking_to.empty()) {
    if (!domain::is_valid_date(q.booking_to)) return make_error(Errc::invalid_argument, "booking_to: not a date");
    w.add("c.booking_at <= ?");
    w.params.emplace_back(q.booking_to + "T23:59");
  }
  if (q.status) {
    w.add("c.status = ?");
    w.params.emplace_back(static_cast<std::int64_t>(*q.status));
  }
  if (!q.counter.empty()) {
    w.add("c.counter = ?");
    w.params.emplace_back(q.counter);
  }
  if (!q.shipment_no.empty()) {
    w.add("c.shipment_no = ?");
    w.params.emplace_back(q.shipment_no);
  }
  if (q.receipt_no != 0) {
    w.add("c.receipt_no = ?");
    w.params.emplace_back(static_cast<std::int64_t>(q.receipt_no));
  }
  if (q.renewal_only) w.add("c.renewal = 1");
  return w;
}

std::string order_by(const CardQuery& q) {
  const char* dir = q.descending ? " DESC" : " ASC";
  std::string s = " ORDER BY ";
  s += sort_column(q.sort);
  s += dir;
  if (q.sort != CardSort::manufacture_no) {
    s += ", c.key";
    s += dir;
  }
  return s;
}

// The same order over search()'s page subquery, whose columns are key and sort_value.
std::string outer_order_by(const CardQuery& q) {
  const char* dir = q.descending ? " DESC" : " ASC";
  std::string s = " ORDER BY c.sort_value";
  s += dir;
  s += ", c.key";
  s += dir;
  return s;
}

// A card whose stored body does not decode still shows: its key, and its name as stored.
CardRow row_from(std::string key, const std::string& body, std::uint64_t version, bool pending) {
  CardRow r;
  r.version = version;
  r.pending = pending;
  if (auto j = domain::parse_body(body)) {
    if (auto c = domain::card_from_json(*j)) {
      r.card = std::move(*c);
      return r;
    }
  }
  r.card.manufacture_no = std::move(key);
  r.card.name_kanji = "（読めない記録）";
  return r;
}

}  // namespace

Expected<std::unique_ptr<EdgeCardStore>> EdgeCardStore::open(EdgeStore& store, std::function<void()> after_write) {
  std::unique_ptr<EdgeCardStore> s(new EdgeCardStore(store, std::move(after_write)));
  return s;
}


Expected<std::uint64_t> EdgeCardStore::index_pending() {
  auto st = store_.db().cached("SELECT count(*) FROM card_dirty");
  if (!st) return st.error();
  auto r = (*st)->step();
  const std::uint64_t n = r && *r ? (*st)->column_u64(0) : 0;
  (*st)->reset();
  if (!r) return r.error();
  return n;
}

Expected<std::size_t> EdgeCardStore::refresh(std::size_t max_keys) {
  auto& db = store_.db();
  std::size_t total = 0;
  for (;;) {
    if (total >= max_keys) return total;
    {
      auto any = db.cached("SELECT 1 FROM card_dirty LIMIT 1");
      if (!any) return any.error();
      auto r = (*any)->step();
      (*any)->reset();
      if (!r) return r.error();
      if (!*r) return total;
    }
    auto tx = sqlite::Tx::begin(db);
    if (!tx) return tx.error();
    auto pick = db.cached("SELECT key FROM card_dirty LIMIT ?1");
    if (!pick) return pick.error();
    (*pick)->bind(1, static_cast<std::int64_t>(std::min(kRefreshBatch, max_keys - total)));
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
    for (const auto& key : keys) {
      auto get = db.cached("SELECT body FROM records WHERE entity = 'card' AND key = ?1");
      if (!get) return get.error();
      (*get)->bind(1, key);
      auto r = (*get)->step();
      if (!r) {
        (*get)->reset();
        return r.error();
      }
      std::optional<std::string> body;
      if (*r) body = (*get)->column_text(0);
      (*get)->reset();
      if (!body) {
        auto del = db.cached("DELETE FROM card_index WHERE key = ?1");
        if (!del) return del.error();
        if (auto st = (*del)->bind(1, key).run(); !st) return st.error();
      } else {
        auto put = db.cached(
            "INSERT OR REPLACE INTO card_index(key, receipt_no, counter, booking_at, status, kanji_key, kana_key, "
            "shipment_no, renewal, application_id) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
        if (!put) return put.error();
        Stmt& st = **put;
        st.bind(1, key);
        std::optional<Card> card;
        if (auto j = domain::parse_body(*body)) {
          if (auto c = domain::card_from_json(*j)) card = std::move(*c);
        }
        if (card) {
          const Card& c = *card;
          st.bind(2, static_cast<std::int64_t>(c.receipt_no));
          st.bind(3, c.booking && !c.booking->counter.empty() ? c.booking->counter : c.counter);
          if (c.booking) {
            st.bind(4, c.booking->at);
          } else {
            st.bind_null(4);
          }
          st.bind(5, static_cast<std::int64_t>(domain::card_status(c)));
          auto kanji = text::search_key(c.name_kanji);
          auto kana = text::search_key(c.name_kana);
          st.bind(6, kanji ? *kanji : std::string());
          st.bind(7, kana ? *kana : std::string());
          st.bind(8, c.shipment_no);
          st.bind(9, c.renewal.has_value());
          st.bind(10, c.application_id);
        } else {
          for (int i = 2; i <= 10; ++i) st.bind_null(i);
        }
        if (auto s = st.run(); !s) return s.error();
      }
      auto done = db.cached("DELETE FROM card_dirty WHERE key = ?1");
      if (!done) return done.error();
      if (auto st = (*done)->bind(1, key).run(); !st) return st.error();
    }
    if (auto st = tx->commit(); !st) return st.error();
    total += keys.size();
  }
}

Expected<CardPage> EdgeCardStore::search(const CardQuery& query) {
  if (auto r = refresh(kRefreshPerRead); !r) return r.error();
  auto behind = index_pending();
  if (!behind) return behind.error();
  auto w = where_of(query);
  if (!w) return w.error();
  auto& db = store_.db();
  CardPage page;
  page.index_pending = *behind;
  {
    auto count = db.prepare("SELECT count(*) FROM card_index c" + w->sql);
    if (!count) return count.error();
    w->bind(*count);
    auto r = count->step();
    if (!r) return r.error();
    page.total = *r ? count->column_u64(0) : 0;
  }
  // The page is picked from card_index alone (LIMIT/OFFSET over its indexes, no body read for a
  // skipped row), and only its rows are joined to records; CROSS JOIN keeps card_index the outer
  // loop. With a plain JOIN, SQLite drove the query from records (every card) and sorted the
  // result: 0.5-2 s a name search at 300,000 cards (madoguchi-bench counter).
  auto st = db.prepare("SELECT c.key, r.body, r.version, r.pending FROM (SELECT c.key, " +
                       std::string(sort_column(query.sort)) + " AS sort_value FROM card_index c" + w->sql +
                       order_by(query) + " LIMIT ? OFFSET ?) c CROSS JOIN records r ON r.entity = 'card' AND r.key = c.key" +
                       outer_order_by(query));
  if (!st) return st.error();
  w->bind(*st);
  const int n = static_cast<int>(w->params.size());
  st->bind(n + 1, static_cast<std::int64_t>(std::min<std::size_t>(query.limit, 1000)));
  st->bind(n + 2, static_cast<std::int64_t>(query.offset));
  for (;;) {
    auto r = st->step();
    if (!r) return r.error();
    if (!*r) break;
    page.rows.push_back(row_from(st->column_text(0), st->column_text(1), st->column_u64(2), st->column_int(3) != 0));
  }
  return page;
}

Status EdgeCardStore::for_each(const CardQuery& query, const std::function<bool(const CardRow&)>& each) {
  // Exports and bulk updates must see every card: refused while the index is far behind.
  if (auto r = refresh(kRefreshPerRead); !r) return r.error();
  auto behind = index_pending();
  if (!behind) return behind.error();
  if (*behind > 0) {
    return make_error(Errc::unavailable, "the card index is being built (" + std::to_string(*behind) + " to go)");
  }
  auto w = where_of(query);
  if (!w) return w.error();
  // CROSS JOIN: card_index outer, read in the order of its index (see search()); a plain JOIN let
  // SQLite scan records first and sort every body of the export in a temporary b-tree.
  auto st = store_.db().prepare(
      "SELECT c.key, r.body, r.version, r.pending FROM card_index c CROSS JOIN records r ON r.entity = 'card' AND r.key = c.key" +
      w->sql + order_by(query));
  if (!st) return st.error();
  w->bind(*st);
  for (;;) {
    auto r = st->step();
    if (!r) return r.error();
    if (!*r) return {};
    if (!each(row_from(st->column_text(0), st->column_text(1), st->column_u64(2), st->column_int(3) != 0))) return {};
  }
}

Expected<std::optional<CardRow>> EdgeCardStore::get(std::string_view manufacture_no) {
  auto rec = store_.get(std::string(domain::kCardEntity), std::string(manufacture_no));
  if (!rec) return rec.error();
  if (!*rec) return std::optional<CardRow>{};
  return std::optional<CardRow>(row_from((*rec)->key, (*rec)->body, (*rec)->version, (*rec)->pending));
}

Expected<std::vector<std::string>> EdgeCardStore::existing(const std::vector<Card>& cards) {
  if (auto r = refresh(kRefreshPerRead); !r) return r.error();
  auto& db = store_.db();
  std::vector<std::string> out;
  for (const auto& c : cards) {
    // "application_id <> ''" on the column, not on ?2: only then may SQLite use the partial index
    // card_index_application (a parameter proves nothing about the index's WHERE), without which
    // every card scanned the whole index: 44 of the 52 s of importing 30,000 people into an empty
    // store, and worse the more cards the store holds (madoguchi-bench counter).
    auto st = db.cached(
        "SELECT 1 FROM records WHERE entity = 'card' AND key = ?1 UNION ALL "
        "SELECT 1 FROM card_index WHERE application_id <> '' AND application_id = ?2 AND key <> ?1 LIMIT 1");
    if (!st) return st.error();
    (*st)->bind(1, c.manufacture_no).bind(2, c.application_id);
    auto r = (*st)->step();
    (*st)->reset();
    if (!r) return r.error();
    if (*r) out.push_back(c.manufacture_no);
  }
  return out;
}

Status EdgeCardStore::save_all(const std::vector<Card>& cards, std::int64_t now_ms) {
  return save_import(cards, {}, now_ms);
}

Expected<std::vector<std::string>> EdgeCardStore::imported_codes(const std::vector<std::string>& keys) {
  std::vector<std::string> out;
  for (const auto& k : keys) {
    auto rec = store_.get(std::string(domain::kJlisCodeEntity), k);
    if (!rec) return rec.error();
    if (*rec) out.push_back(k);
  }
  return out;
}

Status EdgeCardStore::save_import(const std::vector<Card>& cards, const std::vector<domain::ImportedCode>& codes,
                                  std::int64_t now_ms) {
  if (cards.empty() && codes.empty()) return {};
  Status result = [&]() -> Status {
    auto tx = sqlite::Tx::begin(store_.db());
    if (!tx) return tx.error();
    for (const auto& c : cards) {
      const std::string body = domain::dump_body(domain::card_to_json(c));
      auto w = store_.write_in_tx(std::string(domain::kCardEntity), domain::card_key(c), protocol::OpKind::upsert,
                                  body, now_ms);
      if (!w) return w.error();
    }
    for (const auto& code : codes) {
      const std::string body = domain::dump_body(domain::imported_code_to_json(code));
      auto w = store_.write_in_tx(std::string(domain::kJlisCodeEntity), domain::imported_code_key(code.code),
                                  protocol::OpKind::upsert, body, now_ms);
      if (!w) return w.error();
    }
    return tx->commit();
  }();  // the transaction is rolled back here unless committed
  if (!result) {
    (void)store_.reload_counters();  // nothing of the batch stays: the counters follow the database
    return result;
  }
  if (after_write_) after_write_();
  return {};
}

Status EdgeCardStore::remove(std::string_view manufacture_no, std::int64_t now_ms) {
  auto w = store_.write(std::string(domain::kCardEntity), std::string(manufacture_no), protocol::OpKind::remove, "",
                        now_ms);
  if (!w) return w.error();
  if (after_write_) after_write_();
  return {};
}

}  // namespace madoguchi::edge
