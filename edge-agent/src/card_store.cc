#include "madoguchi/edge/card_store.h"

#include <algorithm>
#include <set>
#include <variant>

#include "madoguchi/domain/record_body.h"
#include "madoguchi/console/card_index/card_query.h"
#include "madoguchi/edge/card_index.h"
#include "madoguchi/text/normalize.h"

namespace madoguchi::edge {

using domain::Card;
using console::app::CardPage;
using console::app::CardQuery;
using console::app::CardRow;
using console::app::CardSort;

namespace {


constexpr std::size_t kRefreshBatch = 2000;
// Keys a read indexes before answering (about 0.3 s of work at most); the rest is left to the
// agent's background refresh, and the list says how many cards are not searchable yet.
constexpr std::size_t kRefreshPerRead = 2000;

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


Expected<std::uint64_t> EdgeCardStore::index_pending() { return store_.card_index().pending(); }

Expected<std::size_t> EdgeCardStore::refresh(std::size_t max_keys) {
  std::size_t total = 0;
  while (total < max_keys) {
    auto keys = store_.card_index().dirty(std::min(kRefreshBatch, max_keys - total));
    if (!keys) return keys.error();
    if (keys->empty()) return total;
    auto done = store_.transaction([&]() -> Status {
      CardIndex index = store_.card_index();
      for (const auto& key : *keys) {
        auto rec = store_.get(std::string(domain::kCardEntity), key);
        if (!rec) return rec.error();
        if (auto st = index.put(key, *rec ? std::optional<CardIndexRow>(domain::card_search_fields((*rec)->body)) : std::nullopt); !st) {
          return st;
        }
      }
      return {};
    });
    if (!done) return done.error();
    total += keys->size();
  }
  return total;
}

Expected<CardPage> EdgeCardStore::search(const CardQuery& query) {
  if (auto r = refresh(kRefreshPerRead); !r) return r.error();
  auto behind = index_pending();
  if (!behind) return behind.error();
  auto filter = console::card_index::filter_of(query);
  if (!filter) return filter.error();
  auto found = store_.card_index().search(*filter, query.offset, query.limit);
  if (!found) return found.error();
  CardPage page;
  page.index_pending = *behind;
  page.total = found->total;
  for (auto& r : found->rows) page.rows.push_back(row_from(std::move(r.key), r.body, r.version, r.pending));
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
  auto filter = console::card_index::filter_of(query);
  if (!filter) return filter.error();
  return store_.card_index().for_each(*filter, [&](const ViewRecord& r) {
    return each(row_from(r.key, r.body, r.version, r.pending));
  });
}

Expected<std::optional<CardRow>> EdgeCardStore::get(std::string_view manufacture_no) {
  auto rec = store_.get(std::string(domain::kCardEntity), std::string(manufacture_no));
  if (!rec) return rec.error();
  if (!*rec) return std::optional<CardRow>{};
  return std::optional<CardRow>(row_from((*rec)->key, (*rec)->body, (*rec)->version, (*rec)->pending));
}

Expected<std::vector<std::string>> EdgeCardStore::existing(const std::vector<Card>& cards) {
  if (auto r = refresh(kRefreshPerRead); !r) return r.error();
  CardIndex index = store_.card_index();
  std::vector<std::string> out;
  for (const auto& c : cards) {
    auto taken = index.taken(c.manufacture_no, c.application_id);
    if (!taken) return taken.error();
    if (*taken) out.push_back(c.manufacture_no);
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
  auto saved = store_.transaction([&]() -> Status {
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
    return {};
  });
  if (!saved) return saved;  // nothing of the batch stays
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
