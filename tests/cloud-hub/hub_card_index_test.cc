// The hub's card search index (issue 14, ISS-5): HubStore keeps card_index in the transaction that
// writes each card record, whoever writes it (the hub's own write, a counter's batch), and fills it
// from the cards already stored when a database is upgraded to it.
#include <catch2/catch.hpp>

#include <optional>

#include "madoguchi/domain/card.h"
#include "madoguchi/domain/card_search.h"
#include "madoguchi/hub/hub_store.h"
#include "madoguchi/sqlite/sqlite.h"
#include "madoguchi/text/normalize.h"
#include "temp_dir.h"

using namespace madoguchi;
using hub::HubStore;
using protocol::OpKind;
using testing::TempDir;

namespace {

std::string card_body(const std::string& no, const std::string& kanji, const std::string& kana, std::uint64_t receipt) {
  domain::Card c;
  c.manufacture_no = no;
  c.name_kanji = kanji;
  c.name_kana = kana;
  c.birth_date = "1980-04-01";
  c.receipt_no = receipt;
  c.counter = "2";
  c.shipment_no = "S7";
  return domain::card_to_json(c).dump();
}

struct IndexRow {
  std::optional<std::int64_t> receipt_no;
  std::string counter, kanji_key, kana_key, shipment_no;
};

// The index row of `key` as the database holds it (read apart, as a search would).
std::optional<IndexRow> index_row(const TempDir& dir, const std::string& key) {
  auto db = sqlite::Db::open(dir / "131016.db", {.read_only = true});
  REQUIRE(db.ok());
  auto st = db->prepare("SELECT receipt_no, coalesce(counter, ''), coalesce(kanji_key, ''), coalesce(kana_key, ''), "
                        "coalesce(shipment_no, ''), receipt_no IS NULL FROM card_index WHERE key = ?1");
  REQUIRE(st.ok());
  auto row = st->bind(1, key).step();
  REQUIRE(row.ok());
  if (!*row) return std::nullopt;
  IndexRow r;
  if (st->column_int(5) == 0) r.receipt_no = st->column_int(0);
  r.counter = st->column_text(1);
  r.kanji_key = st->column_text(2);
  r.kana_key = st->column_text(3);
  r.shipment_no = st->column_text(4);
  return r;
}

}  // namespace

TEST_CASE("The hub indexes each card in the transaction that writes it, from the hub or from a counter (issue 14)", "[hub][store][cards]") {
  TempDir dir;
  auto s = HubStore::open(dir / "131016.db", "131016");
  REQUIRE(s.ok());
  REQUIRE(s->write_local("card", "A000000000000001", OpKind::upsert, card_body("A000000000000001", "山田　太郎", "ヤマダ　タロウ", 3), 0, 0).ok());
  auto a = index_row(dir, "A000000000000001");
  REQUIRE(a);
  CHECK(a->receipt_no == 3);
  CHECK(a->counter == "2");
  CHECK(a->shipment_no == "S7");
  CHECK(a->kanji_key == text::search_key("山田　太郎").value());
  CHECK(a->kana_key == text::search_key("ヤマダ　タロウ").value());
  // The same rule as the counter's index (domain::card_search_fields).
  CHECK(a->kanji_key == domain::card_search_fields(card_body("A000000000000001", "山田　太郎", "ヤマダ　タロウ", 3)).kanji_key);

  // A counter's change arrives in a batch: indexed with it.
  protocol::Op op{1, "x:1", "card", "B000000000000002", OpKind::upsert, 0, card_body("B000000000000002", "田中　花子", "タナカ　ハナコ", 9), 0};
  auto applied = s->apply_batch(protocol::OpBatch{"131016", "counter-01", {op}}, 0);
  REQUIRE(applied.ok());
  CHECK(applied->applied == 1);
  CHECK(s->card_index_count().value() == 2);
  CHECK(index_row(dir, "B000000000000002")->receipt_no == 9);

  // Changed: the row follows. Removed: the row goes.
  auto cur = s->get("card", "A000000000000001");
  REQUIRE(cur.ok());
  REQUIRE(s->write_local("card", "A000000000000001", OpKind::upsert, card_body("A000000000000001", "山田　次郎", "ヤマダ　ジロウ", 4),
                         (*cur)->version, 0).ok());
  CHECK(index_row(dir, "A000000000000001")->receipt_no == 4);
  CHECK(index_row(dir, "A000000000000001")->kanji_key == text::search_key("山田　次郎").value());
  cur = s->get("card", "B000000000000002");
  REQUIRE(s->write_local("card", "B000000000000002", OpKind::remove, "", (*cur)->version, 0).ok());
  CHECK_FALSE(index_row(dir, "B000000000000002"));
  CHECK(s->card_index_count().value() == 1);

  // A body that does not decode as a card is listed by its key, never lost; other entities are not cards.
  REQUIRE(s->write_local("card", "C000000000000003", OpKind::upsert, "{}", 0, 0).ok());
  auto broken = index_row(dir, "C000000000000003");
  REQUIRE(broken);
  CHECK_FALSE(broken->receipt_no);
  REQUIRE(s->write_local("notice", "n1", OpKind::upsert, "{}", 0, 0).ok());
  CHECK(s->card_index_count().value() == 2);
}

TEST_CASE("A hub database upgraded to the card index gets every card stored before, and none removed (issue 14)", "[hub][store][cards]") {
  TempDir dir;
  {
    auto s = HubStore::open(dir / "131016.db", "131016");
    REQUIRE(s.ok());
    for (int i = 1; i <= 3; ++i) {
      const std::string no = "D00000000000000" + std::to_string(i);
      REQUIRE(s->write_local("card", no, OpKind::upsert, card_body(no, "鈴木　一", "スズキ　ハジメ", static_cast<std::uint64_t>(i)), 0, 0).ok());
    }
    auto gone = s->get("card", "D000000000000002");
    REQUIRE(s->write_local("card", "D000000000000002", OpKind::remove, "", (*gone)->version, 0).ok());
  }
  {
    // The database as version 2 left it: no card index.
    auto db = sqlite::Db::open(dir / "131016.db");
    REQUIRE(db.ok());
    REQUIRE(db->exec("DROP TABLE card_index").ok());
    REQUIRE(db->exec("PRAGMA user_version = 2").ok());
    REQUIRE(db->exec("UPDATE meta SET v = '2' WHERE k = 'schema_version'").ok());
  }
  auto s = HubStore::open(dir / "131016.db", "131016");
  REQUIRE(s.ok());
  CHECK(s->migration().from == 2);
  CHECK(s->migration().to == 3);
  CHECK(s->card_index_count().value() == 2);
  CHECK(index_row(dir, "D000000000000003")->receipt_no == 3);
  CHECK_FALSE(index_row(dir, "D000000000000002"));
}
