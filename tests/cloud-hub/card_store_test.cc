// HubCardStore: 交付管理 at the hub console over one municipality's database (issue 14). Searches
// read the hub's own index; writes go through HubEngine::write_local_batch (the write policy and
// the feed), and a counter's change is found at once.
#include <catch2/catch.hpp>

#include "hub_world.h"
#include "madoguchi/domain/card.h"
#include "madoguchi/domain/card_import.h"
#include "madoguchi/domain/record_body.h"
#include "madoguchi/hub/card_store.h"
#include "temp_dir.h"

using namespace madoguchi;
using console::app::CardQuery;
using console::app::CardSort;
using madoguchi::testing::TempDir;

namespace {

domain::Card card(std::string no, std::string kanji, std::string kana, std::uint64_t receipt, std::string app = "") {
  domain::Card c;
  c.manufacture_no = std::move(no);
  c.name_kanji = std::move(kanji);
  c.name_kana = std::move(kana);
  c.birth_date = "1980-04-01";
  c.receipt_no = receipt;
  c.counter = "1";
  c.shipment_no = "S1";
  c.application_id = std::move(app);
  return c;
}

using Hub = testing::HubWorld;

std::vector<std::string> keys(const console::app::CardPage& page) {
  std::vector<std::string> out;
  for (const auto& r : page.rows) out.push_back(r.card.manufacture_no);
  return out;
}

}  // namespace

TEST_CASE("交付管理 at the hub searches the hub's own index and writes through the feed (issue 14, ISS-5)", "[hub][console][cards]") {
  Hub h;
  hub::HubCardStore cards(h.engine, "131016");
  const auto head = h.engine.store("131016")->feed_bounds()->head;
  domain::ImportedCode code{"1234567890/1", 0, 2};
  REQUIRE(cards.save_import({card("A000000000000001", "山田　太郎", "ヤマダ　タロウ", 3, "12345678901234567890123"),
                             card("A000000000000002", "山田　花子", "ヤマダ　ハナコ", 1), card("B000000000000003", "田中　一郎", "タナカ　イチロウ", 2)},
                            {code}, 0)
              .ok());
  CHECK(h.engine.store("131016")->feed_bounds()->head == head + 4);  // published: three cards and the code

  CardQuery q;
  q.name = "やまだ";  // hiragana finds the katakana reading
  auto found = cards.search(q);
  REQUIRE(found.ok());
  CHECK(found->total == 2);
  CHECK(found->index_pending == 0);
  CHECK(keys(*found) == std::vector<std::string>{"A000000000000002", "A000000000000001"});  // by receipt number
  q.descending = true;
  CHECK(keys(*cards.search(q)) == std::vector<std::string>{"A000000000000001", "A000000000000002"});
  q = {};
  q.name = "ｶﾞ";  // nothing: a prefix that no name has
  CHECK(cards.search(q)->total == 0);
  q = {};
  q.name = "山田　太";
  CHECK(keys(*cards.search(q)) == std::vector<std::string>{"A000000000000001"});
  q = {};
  q.sort = CardSort::manufacture_no;
  q.limit = 2;
  q.offset = 2;
  auto page2 = cards.search(q);
  CHECK(page2->total == 3);
  CHECK(keys(*page2) == std::vector<std::string>{"B000000000000003"});
  q = {};
  q.booking_from = "2026-13-01";
  CHECK(cards.search(q).error().code == Errc::invalid_argument);

  // Reads of one card, what exists, what was imported.
  auto one = cards.get("A000000000000001");
  REQUIRE(one.ok());
  REQUIRE(one->has_value());
  CHECK((*one)->card.name_kanji == "山田　太郎");
  CHECK(cards.get("Z000000000000009")->has_value() == false);
  auto taken = cards.existing({card("A000000000000001", "x", "", 0), card("C000000000000004", "y", "", 0, "12345678901234567890123"),
                               card("C000000000000005", "z", "", 0)});
  REQUIRE(taken.ok());
  CHECK(*taken == std::vector<std::string>{"A000000000000001", "C000000000000004"});  // the number, the application id
  CHECK(*cards.imported_codes({domain::imported_code_key(code.code), "9:9"}) == std::vector<std::string>{domain::imported_code_key(code.code)});

  // A change and a removal: the search follows at once.
  auto changed = (*one)->card;
  changed.name_kanji = "山本　太郎";
  changed.name_kana = "ヤマモト　タロウ";
  REQUIRE(cards.save_all({changed}, 0).ok());
  q = {};
  q.name = "やまもと";
  CHECK(keys(*cards.search(q)) == std::vector<std::string>{"A000000000000001"});
  REQUIRE(cards.remove("A000000000000002", 0).ok());
  CHECK(cards.remove("A000000000000002", 0).error().code == Errc::not_found);
  CHECK(cards.search(CardQuery{})->total == 2);
  std::vector<std::string> all;
  REQUIRE(cards.for_each(CardQuery{}, [&](const console::app::CardRow& r) {
    all.push_back(r.card.manufacture_no);
    return true;
  }).ok());
  CHECK(all == std::vector<std::string>{"B000000000000003", "A000000000000001"});

  // Another municipality's cards are apart (KON-5).
  hub::HubCardStore other(h.engine, "012345");
  CHECK(other.search(CardQuery{})->total == 0);
}

TEST_CASE("A counter's card change is found by 交付管理 at the hub as soon as the hub has it (issue 14)", "[hub][console][cards]") {
  Hub h;
  hub::HubCardStore cards(h.engine, "131016");
  const std::string body = domain::dump_body(domain::card_to_json(card("E000000000000007", "佐藤　次郎", "サトウ　ジロウ", 7)));
  protocol::Op op{1, "x:1", "card", "E000000000000007", protocol::OpKind::upsert, 0, body, 0};
  auto applied = h.engine.store("131016")->apply_batch(protocol::OpBatch{"131016", "counter-01", {op}}, 0);
  REQUIRE(applied.ok());
  REQUIRE(applied->applied == 1);
  CardQuery q;
  q.name = "さとう";
  auto found = cards.search(q);
  REQUIRE(found.ok());
  CHECK(keys(*found) == std::vector<std::string>{"E000000000000007"});
  CHECK(found->rows[0].version > 0);
}
