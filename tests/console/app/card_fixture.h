// 交付管理's test fixture: an in-memory CardStore with the edge store's search rules (prefixes of
// the manufacture number and of the folded names, filters, sort both ways, paging) and a signed-in
// counter clerk. Shared by the card tests of tests/console/app.
#pragma once

#include <algorithm>
#include <map>

#include "console_fixture.h"
#include "madoguchi/console/app/card_store.h"
#include "madoguchi/text/normalize.h"

namespace madoguchi::testing::console_app {

class MemoryCards final : public app::CardStore {
 public:
  std::map<std::string, app::CardRow> rows;
  std::map<std::string, ImportedCode> codes;  // imported J-LIS codes by record key (ISS-2)
  int batches = 0;
  bool fail_writes = false;

  Expected<app::CardPage> search(const app::CardQuery& q) override {
    auto all = matching(q);
    if (!all) return all.error();
    app::CardPage page;
    page.total = all->size();
    for (std::size_t i = q.offset; i < all->size() && page.rows.size() < q.limit; ++i) page.rows.push_back((*all)[i]);
    return page;
  }
  Status for_each(const app::CardQuery& q, const std::function<bool(const app::CardRow&)>& each) override {
    auto all = matching(q);
    if (!all) return all.error();
    for (const auto& r : *all) {
      if (!each(r)) break;
    }
    return {};
  }
  Expected<std::optional<app::CardRow>> get(std::string_view id) override {
    auto it = rows.find(std::string(id));
    if (it == rows.end()) return std::optional<app::CardRow>();
    return std::optional<app::CardRow>(it->second);
  }
  Expected<std::vector<std::string>> existing(const std::vector<Card>& cards) override {
    std::vector<std::string> out;
    for (const auto& c : cards) {
      bool found = rows.count(c.manufacture_no) > 0;
      for (const auto& [k, r] : rows) {
        found = found || (!c.application_id.empty() && r.card.application_id == c.application_id && k != c.manufacture_no);
      }
      if (found) out.push_back(c.manufacture_no);
    }
    return out;
  }
  Status save_all(const std::vector<Card>& cards, std::int64_t) override {
    if (fail_writes) return make_error(Errc::db, "disk full");
    for (const auto& c : cards) rows[c.manufacture_no] = app::CardRow{c, true, 0};
    ++batches;
    return {};
  }
  Expected<std::vector<std::string>> imported_codes(const std::vector<std::string>& keys) override {
    std::vector<std::string> out;
    for (const auto& k : keys) {
      if (codes.count(k)) out.push_back(k);
    }
    return out;
  }
  Status save_import(const std::vector<Card>& cards, const std::vector<ImportedCode>& imported, std::int64_t) override {
    if (fail_writes) return make_error(Errc::db, "disk full");
    for (const auto& c : cards) rows[c.manufacture_no] = app::CardRow{c, true, 0};
    for (const auto& c : imported) codes[imported_code_key(c.code)] = c;
    ++batches;
    return {};
  }
  Status remove(std::string_view id, std::int64_t) override {
    if (fail_writes) return make_error(Errc::db, "disk full");
    if (rows.erase(std::string(id)) == 0) return make_error(Errc::not_found, "no card");
    return {};
  }

 private:
  Expected<std::vector<app::CardRow>> matching(const app::CardQuery& q) {
    std::string name_key;
    if (!q.name.empty()) {
      auto k = text::search_key(q.name);
      if (!k) return make_error(Errc::invalid_argument, "name: not UTF-8");
      name_key = *k;
    }
    std::vector<app::CardRow> out;
    for (const auto& [k, r] : rows) {
      const Card& c = r.card;
      const std::string counter = c.booking && !c.booking->counter.empty() ? c.booking->counter : c.counter;
      if (!q.manufacture_no.empty() && k.rfind(q.manufacture_no, 0) != 0) continue;
      if (!name_key.empty()) {
        const auto kanji = text::search_key(c.name_kanji);
        const auto kana = text::search_key(c.name_kana);
        if (!((kanji && kanji->rfind(name_key, 0) == 0) || (kana && kana->rfind(name_key, 0) == 0))) continue;
      }
      const std::string at = c.booking ? c.booking->at : std::string();
      if (!q.booking_from.empty() && (at.empty() || at < q.booking_from + "T00:00")) continue;
      if (!q.booking_to.empty() && (at.empty() || at > q.booking_to + "T23:59")) continue;
      if (q.status && card_status(c) != *q.status) continue;
      if (!q.counter.empty() && counter != q.counter) continue;
      if (!q.shipment_no.empty() && c.shipment_no != q.shipment_no) continue;
      if (q.receipt_no && c.receipt_no != q.receipt_no) continue;
      if (q.renewal_only && !c.renewal) continue;
      out.push_back(r);
    }
    auto key = [&](const app::CardRow& r) -> std::string {
      const Card& c = r.card;
      char buf[32];
      switch (q.sort) {
        case app::CardSort::receipt_no:
          std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(c.receipt_no));
          return buf;
        case app::CardSort::counter: return c.booking && !c.booking->counter.empty() ? c.booking->counter : c.counter;
        case app::CardSort::booking_at: return c.booking ? c.booking->at : std::string();
        case app::CardSort::status:
          std::snprintf(buf, sizeof buf, "%02d", static_cast<int>(card_status(c)));
          return buf;
        case app::CardSort::manufacture_no: return c.manufacture_no;
      }
      return c.manufacture_no;
    };
    std::stable_sort(out.begin(), out.end(), [&](const app::CardRow& a, const app::CardRow& b) {
      const auto ka = key(a), kb = key(b);
      if (ka != kb) return q.descending ? ka > kb : ka < kb;
      return q.descending ? a.card.manufacture_no > b.card.manufacture_no : a.card.manufacture_no < b.card.manufacture_no;
    });
    return out;
  }
};

inline Card sample_card(std::string id, std::string kanji, std::string kana, std::uint64_t receipt) {
  Card c;
  c.manufacture_no = std::move(id);
  c.name_kanji = std::move(kanji);
  c.name_kana = std::move(kana);
  c.birth_date = "1980-04-01";
  c.receipt_no = receipt;
  c.counter = "1";
  c.shipment_no = "S1";
  return c;
}

// A counter clerk signed in at a counter console serving 交付管理 over MemoryCards.
struct ClerkCards {
  MemoryCards cards;
  World w;
  Browser b{w.app};
  std::string token;
  explicit ClerkCards(app::CardServices services = {}, const std::function<void(app::ConsoleOptions&)>& tweak = {})
      : w(false, tweak) {
    w.app.attach_cards(cards, std::move(services));
    REQUIRE(b.sign_in("clerk01", kClerkPw).status == 303);
    token = b.csrf();
    REQUIRE(!token.empty());
  }
  http::Response post(const std::string& path, const std::string& form) {
    return b.send("POST", path, form + "&csrf_token=" + token);
  }
  void seed() {
    REQUIRE(cards.save_all({sample_card("A000000000000001", "山田 太郎", "ヤマダ タロウ", 3),
                            sample_card("A000000000000002", "山田 花子", "ヤマダ ハナコ", 1),
                            sample_card("B000000000000003", "田中 一郎", "タナカ イチロウ", 2)},
                           0)
                .ok());
    cards.batches = 0;
  }
};

}  // namespace madoguchi::testing::console_app
