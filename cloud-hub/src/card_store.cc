#include "madoguchi/hub/card_store.h"

#include "madoguchi/console/card_index/card_query.h"
#include "madoguchi/domain/record_body.h"

namespace madoguchi::hub {

using console::app::CardPage;
using console::app::CardQuery;
using console::app::CardRow;
using domain::Card;

namespace {

// A card whose stored body does not decode still shows: its key, and that it cannot be read.
CardRow row_from(const protocol::Record& r) {
  CardRow row;
  row.version = r.version;
  if (auto j = domain::parse_body(r.body)) {
    if (auto c = domain::card_from_json(*j)) {
      row.card = std::move(*c);
      return row;
    }
  }
  row.card.manufacture_no = r.key;
  row.card.name_kanji = "（読めない記録）";
  return row;
}

}  // namespace

HubCardStore::HubCardStore(HubEngine& engine, std::string municipality)
    : engine_(engine), municipality_(std::move(municipality)) {}

Expected<HubStore*> HubCardStore::store() {
  HubStore* s = engine_.store(municipality_);
  if (!s) return make_error(Errc::not_found, "unknown municipality " + municipality_);
  return s;
}

Expected<CardPage> HubCardStore::search(const CardQuery& query) {
  auto filter = console::card_index::filter_of(query);
  if (!filter) return filter.error();
  auto s = store();
  if (!s) return s.error();
  auto found = (*s)->search_cards(*filter, query.offset, query.limit);
  if (!found) return found.error();
  CardPage page;
  page.total = found->total;
  for (const auto& r : found->rows) page.rows.push_back(row_from(r));
  return page;
}

Status HubCardStore::for_each(const CardQuery& query, const std::function<bool(const CardRow&)>& each) {
  auto filter = console::card_index::filter_of(query);
  if (!filter) return filter.error();
  auto s = store();
  if (!s) return s.error();
  return (*s)->for_each_card(*filter, [&](const protocol::Record& r) { return each(row_from(r)); });
}

Expected<std::optional<CardRow>> HubCardStore::get(std::string_view manufacture_no) {
  auto s = store();
  if (!s) return s.error();
  auto r = (*s)->get(std::string(domain::kCardEntity), std::string(manufacture_no));
  if (!r) return r.error();
  if (!*r || (*r)->deleted) return std::optional<CardRow>{};
  return std::optional<CardRow>{row_from(**r)};
}

Expected<std::vector<std::string>> HubCardStore::existing(const std::vector<Card>& cards) {
  auto s = store();
  if (!s) return s.error();
  std::vector<std::string> out;
  for (const auto& c : cards) {
    auto taken = (*s)->card_taken(c.manufacture_no, c.application_id);
    if (!taken) return taken.error();
    if (*taken) out.push_back(c.manufacture_no);
  }
  return out;
}

Status HubCardStore::write(std::vector<LocalWrite> writes) {
  if (writes.empty()) return {};
  if (writes.size() > HubEngine::kMaxLocalBatch) {
    return make_error(Errc::invalid_argument, "more than " + std::to_string(HubEngine::kMaxLocalBatch) + " records in one change");
  }
  auto written = engine_.write_local_batch(municipality_, writes);
  if (!written) return written.error();
  return {};
}

Status HubCardStore::save_all(const std::vector<Card>& cards, std::int64_t /*now_ms: the hub stamps its own writes*/) {
  std::vector<LocalWrite> writes;
  writes.reserve(cards.size());
  for (const auto& c : cards) {
    writes.push_back({std::string(domain::kCardEntity), domain::card_key(c), protocol::OpKind::upsert,
                      domain::dump_body(domain::card_to_json(c))});
  }
  return write(std::move(writes));
}

Status HubCardStore::remove(std::string_view manufacture_no, std::int64_t /*now_ms*/) {
  auto s = store();
  if (!s) return s.error();
  auto cur = (*s)->get(std::string(domain::kCardEntity), std::string(manufacture_no));
  if (!cur) return cur.error();
  if (!*cur || (*cur)->deleted) return make_error(Errc::not_found, "no card " + std::string(manufacture_no));
  return write({{std::string(domain::kCardEntity), std::string(manufacture_no), protocol::OpKind::remove, "", (*cur)->version}});
}

Expected<std::vector<std::string>> HubCardStore::imported_codes(const std::vector<std::string>& keys) {
  auto s = store();
  if (!s) return s.error();
  std::vector<std::string> out;
  for (const auto& k : keys) {
    auto r = (*s)->get(std::string(domain::kJlisCodeEntity), k);
    if (!r) return r.error();
    if (*r && !(*r)->deleted) out.push_back(k);
  }
  return out;
}

Status HubCardStore::save_import(const std::vector<Card>& cards, const std::vector<domain::ImportedCode>& codes,
                                 std::int64_t /*now_ms*/) {
  std::vector<LocalWrite> writes;
  for (const auto& c : cards) {
    writes.push_back({std::string(domain::kCardEntity), domain::card_key(c), protocol::OpKind::upsert,
                      domain::dump_body(domain::card_to_json(c))});
  }
  for (const auto& code : codes) {
    writes.push_back({std::string(domain::kJlisCodeEntity), domain::imported_code_key(code.code), protocol::OpKind::upsert,
                      domain::dump_body(domain::imported_code_to_json(code))});
  }
  return write(std::move(writes));  // one transaction: the cards and their codes, or nothing
}

}  // namespace madoguchi::hub
