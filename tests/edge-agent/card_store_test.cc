// The counter's card records and their search index (ISS-2, ISS-5, ISS-6, EDGE-2).
#include "madoguchi/edge/card_store.h"

#include <catch2/catch.hpp>

#include "madoguchi/domain/record_body.h"
#include "temp_dir.h"

using namespace madoguchi;
using domain::Card;
using console::app::CardQuery;
using console::app::CardSort;

namespace {
Card card(std::string mfg, std::string kanji, std::string kana, std::uint64_t receipt) {
  Card c;
  c.manufacture_no = std::move(mfg);
  c.name_kanji = std::move(kanji);
  c.name_kana = std::move(kana);
  c.birth_date = "1980-04-01";
  c.receipt_no = receipt;
  c.counter = "1";
  c.shipment_no = "S1";
  return c;
}

std::vector<std::string> keys(const console::app::CardPage& p) {
  std::vector<std::string> out;
  for (const auto& r : p.rows) out.push_back(r.card.manufacture_no);
  return out;
}

struct World {
  testing::TempDir dir;
  Expected<edge::EdgeStore> store = edge::EdgeStore::open(dir.path() / "edge.db", "131016", "counter-01");
  int writes = 0;
  std::unique_ptr<edge::EdgeCardStore> cards;
  World() {
    REQUIRE(store.ok());
    auto s = edge::EdgeCardStore::open(*store, [this] { ++writes; });
    REQUIRE(s.ok());
    cards = std::move(*s);
  }
  void seed() {
    REQUIRE(cards->save_all({card("A000000000000001", "山田 太郎", "ヤマダ タロウ", 3),
                             card("A000000000000002", "山田 花子", "ヤマダ ハナコ", 1),
                             card("B000000000000003", "田中 一郎", "タナカ イチロウ", 2)},
                            1000)
                .ok());
  }
};
}  // namespace

TEST_CASE("Name search finds the same person in kanji or kana of any width and script (ISS-5)", "[edge][cards]") {
  World w;
  w.seed();
  CHECK(w.writes == 1);
  for (const char* q : {"やまだ", "ヤマダ", "ﾔﾏﾀﾞ", "ヤマダ　タ", "やまだたろう", "山田", "山田太郎", "山田 太"}) {
    CardQuery query;
    query.name = q;
    auto page = w.cards->search(query);
    REQUIRE(page.ok());
    INFO(q);
    CHECK(page->total >= 1);
    CHECK(keys(*page).front() == (std::string(q).find("花") != std::string::npos ? "A000000000000002"
                                                                                 : keys(*page).front()));
    for (const auto& r : page->rows) CHECK(r.card.name_kanji.rfind("山田", 0) == 0);
  }
  CardQuery taro;
  taro.name = "ﾔﾏﾀﾞ ﾀﾛｳ";
  CHECK(keys(*w.cards->search(taro)) == std::vector<std::string>{"A000000000000001"});
  CardQuery none;
  none.name = "すずき";
  CHECK(w.cards->search(none)->total == 0);
}

TEST_CASE("Results sort both ways by receipt number and page with a total (ISS-6)", "[edge][cards]") {
  World w;
  w.seed();
  CardQuery q;
  q.sort = CardSort::receipt_no;
  CHECK(keys(*w.cards->search(q)) == std::vector<std::string>{"A000000000000002", "B000000000000003", "A000000000000001"});
  q.descending = true;
  CHECK(keys(*w.cards->search(q)) == std::vector<std::string>{"A000000000000001", "B000000000000003", "A000000000000002"});
  q.limit = 2;
  q.offset = 2;
  auto page = w.cards->search(q);
  CHECK(page->total == 3);
  CHECK(keys(*page) == std::vector<std::string>{"A000000000000002"});
  CardQuery prefix;
  prefix.manufacture_no = "a0";
  CHECK(w.cards->search(prefix)->total == 2);
  CardQuery bad;
  bad.manufacture_no = "A-1";
  CHECK(w.cards->search(bad).error().code == Errc::invalid_argument);
}

TEST_CASE("CardBooking, status and counter filters follow every change of the view (ISS-5, ISS-10)", "[edge][cards]") {
  World w;
  w.seed();
  auto c = (*w.cards->get("B000000000000003"))->card;
  REQUIRE(domain::change_booking(c, domain::CardBooking{"2026-12-01T10:30", "3"}, "clerk01", "", 5).value());
  auto saved = w.cards->save(c, 2000);
  INFO((saved.ok() ? std::string() : saved.error().message));
  REQUIRE(saved.ok());
  CardQuery q;
  q.status = domain::CardStatus::booked;
  CHECK(keys(*w.cards->search(q)) == std::vector<std::string>{"B000000000000003"});
  q = {};
  q.booking_from = "2026-12-01";
  q.booking_to = "2026-12-01";
  CHECK(w.cards->search(q)->total == 1);
  q.booking_from = "2026-12-02";
  q.booking_to = "";
  CHECK(w.cards->search(q)->total == 0);
  q = {};
  q.counter = "3";
  CHECK(w.cards->search(q)->total == 1);
  q.sort = CardSort::booking_at;
  q.counter = "";
  auto all = w.cards->search(q);
  CHECK(all->rows.back().card.manufacture_no == "B000000000000003");  // unbooked (NULL) sort first
  CHECK((*w.cards->get("B000000000000003"))->pending);
  REQUIRE(w.cards->remove("B000000000000003", 3000).ok());
  CHECK(w.cards->search({})->total == 2);
  CHECK_FALSE(*w.cards->get("B000000000000003"));
}

TEST_CASE("Cards that arrive from the hub's feed are indexed, removed ones leave the index (EDGE-2)", "[edge][cards]") {
  World w;
  protocol::Record r;
  r.entity = "card";
  r.key = "C000000000000009";
  r.body = domain::dump_body(domain::card_to_json(card("C000000000000009", "鈴木 次郎", "スズキ ジロウ", 7)));
  r.version = 1;
  r.origin_device = "counter-02";
  r.origin_seq = 1;
  REQUIRE(w.store->apply_changes({r}).ok());
  CardQuery q;
  q.name = "すずき";
  CHECK(keys(*w.cards->search(q)) == std::vector<std::string>{"C000000000000009"});
  CHECK_FALSE((*w.cards->get("C000000000000009"))->pending);
  // A body this version cannot read is still listed (never lost), by its key.
  protocol::Record odd = r;
  odd.key = "C000000000000010";
  odd.body = R"({"manufacture_no":"C000000000000010","name_kanji":5})";
  odd.version = 2;
  protocol::Record gone = r;
  gone.deleted = true;
  gone.body = "";
  gone.version = 3;
  REQUIRE(w.store->apply_changes({odd, gone}).ok());
  auto all = w.cards->search({});
  REQUIRE(all.ok());
  CHECK(keys(*all) == std::vector<std::string>{"C000000000000010"});
  CHECK(all->rows.front().card.name_kanji == "（読めない記録）");
}

TEST_CASE("The index is built for cards already in the view when it is first installed", "[edge][cards]") {
  testing::TempDir dir;
  auto store = edge::EdgeStore::open(dir.path() / "edge.db", "131016", "counter-01");
  REQUIRE(store.ok());
  const auto body = domain::dump_body(domain::card_to_json(card("D000000000000001", "佐藤 三郎", "サトウ サブロウ", 1)));
  REQUIRE(store->write("card", "D000000000000001", protocol::OpKind::upsert, body, 1).ok());
  auto cards = edge::EdgeCardStore::open(*store, {});
  REQUIRE(cards.ok());
  CardQuery q;
  q.name = "さとう";
  CHECK((*cards)->search(q)->total == 1);
}

TEST_CASE("An import already on record is found by manufacture number or application id (ISS-2)", "[edge][cards]") {
  World w;
  auto a = card("A000000000000001", "山田 太郎", "ヤマダ タロウ", 0);
  a.application_id = "12345678901234567890123";
  REQUIRE(w.cards->save(a, 1).ok());
  auto same_key = card("A000000000000001", "山田 太郎", "ヤマダ タロウ", 0);
  auto same_app = card("A000000000000099", "山田 太郎", "ヤマダ タロウ", 0);
  same_app.application_id = a.application_id;
  auto fresh = card("A000000000000002", "山田 花子", "ヤマダ ハナコ", 0);
  auto dup = w.cards->existing({same_key, same_app, fresh});
  REQUIRE(dup.ok());
  CHECK(*dup == std::vector<std::string>{"A000000000000001", "A000000000000099"});
}

TEST_CASE("A batch is written whole or not at all (ISS-3)", "[edge][cards]") {
  World w;
  const auto before = w.store->last_seq();
  auto ok = card("A000000000000001", "山田 太郎", "ヤマダ タロウ", 1);
  auto bad = card("BAD/KEY", "山田 花子", "ヤマダ ハナコ", 2);  // not a record key
  CHECK_FALSE(w.cards->save_all({ok, bad}, 1).ok());
  CHECK(w.store->last_seq() == before);
  CHECK(w.cards->search({})->total == 0);
  CHECK(w.writes == 0);
  REQUIRE(w.cards->save_all({ok}, 2).ok());
  CHECK(w.store->last_seq() == before + 1);
}

TEST_CASE("A QR import writes its cards and code records together, and imported codes are found (ISS-1, ISS-2)",
          "[edge][cards]") {
  World w;
  const std::string code = "JLIS-ISS/1/131016/20261122/000123/02";
  const std::string key = domain::imported_code_key(code);
  CHECK(w.cards->imported_codes({key})->empty());
  const auto before = w.store->last_seq();

  // A failing code record (a key that is not a record key) takes the cards down with it.
  auto a = card("A000000000000001", "山田 太郎", "ヤマダ タロウ", 1001);
  CHECK_FALSE(w.cards->save_import({a}, {{code, 5, 1}, {std::string(200, 'X'), 5, 0}}, 5).ok());
  CHECK(w.store->last_seq() == before);
  CHECK(w.cards->search({})->total == 0);
  CHECK(w.cards->imported_codes({key})->empty());
  CHECK(w.writes == 0);

  REQUIRE(w.cards->save_import({a, card("A000000000000002", "山田 花子", "ヤマダ ハナコ", 1002)}, {{code, 7, 2}}, 7).ok());
  CHECK(w.writes == 1);
  CHECK(w.store->last_seq() == before + 3);  // two cards and the code record, each replicated
  CHECK(w.cards->search({})->total == 2);
  CHECK(*w.cards->imported_codes({"JLIS-ISS:1:131016:20261122:000123:01", key}) == std::vector<std::string>{key});
  auto rec = w.store->get(std::string(domain::kJlisCodeEntity), key);
  REQUIRE(rec.ok());
  REQUIRE(rec->has_value());
  auto body = domain::imported_code_from_json(nlohmann::json::parse((*rec)->body));
  REQUIRE(body.ok());
  CHECK(body->code == code);
  CHECK(body->cards == 2);
  CHECK(body->imported_ms == 7);
}

TEST_CASE("A large backlog is indexed in steps: searches say how much is waiting, exports wait (ISS-5)", "[edge][cards]") {
  World w;
  std::vector<Card> many;
  for (int i = 0; i < 4500; ++i) {
    char id[17];
    std::snprintf(id, sizeof id, "F%015d", i);
    many.push_back(card(id, "山田 太郎", "ヤマダ タロウ", static_cast<std::uint64_t>(i)));
  }
  REQUIRE(w.cards->save_all(many, 1).ok());
  CHECK(*w.cards->index_pending() == 4500);
  auto page = w.cards->search({});
  REQUIRE(page.ok());
  CHECK(page->total == 2000);  // what one read indexes
  CHECK(page->index_pending == 2500);
  // An export indexes its share too, and still finds 500 waiting.
  CHECK(w.cards->for_each({}, [](const console::app::CardRow&) { return true; }).error().code == Errc::unavailable);
  CHECK(*w.cards->index_pending() == 500);
  REQUIRE(w.cards->refresh(300).value() == 300);  // the agent's tick
  REQUIRE(w.cards->refresh().value() == 200);
  page = w.cards->search({});
  CHECK(page->total == 4500);
  CHECK(page->index_pending == 0);
  std::size_t n = 0;
  REQUIRE(w.cards->for_each({}, [&](const console::app::CardRow&) { return ++n > 0; }).ok());
  CHECK(n == 4500);
}

TEST_CASE("A kana key searches readings, a kanji key written names, Latin both (ISS-5)", "[edge][cards]") {
  World w;
  auto foreign = card("G000000000000001", "SMITH JOHN", "スミス ジョン", 1);
  auto kana_written = card("G000000000000002", "すずき はな", "スズキ ハナ", 2);
  REQUIRE(w.cards->save_all({foreign, kana_written}, 1).ok());
  CardQuery q;
  q.name = "smith";
  CHECK(w.cards->search(q)->total == 1);
  q.name = "スミス";
  CHECK(w.cards->search(q)->total == 1);
  q.name = "すずき";  // the reading matches even where the written name is kana too
  CHECK(w.cards->search(q)->total == 1);
}
