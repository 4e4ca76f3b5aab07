// HubStore: idempotent, ordered apply keyed by (device, seq), and the conflict rule (EDGE-5).
#include <catch2/catch.hpp>

#include <optional>

#include "madoguchi/hub/hub_store.h"
#include "temp_dir.h"

using madoguchi::Errc;
using madoguchi::hub::HubStore;
using madoguchi::protocol::Op;
using madoguchi::protocol::OpBatch;
using madoguchi::protocol::OpKind;
using madoguchi::testing::TempDir;

namespace {
Op upsert(std::uint64_t seq, const std::string& key, std::uint64_t base, const std::string& body = "{}") {
  return Op{seq, "x:" + std::to_string(seq), "card", key, OpKind::upsert, base, body, 0};
}
OpBatch batch(const std::string& device, std::vector<Op> ops) { return OpBatch{"131016", device, std::move(ops)}; }
}  // namespace

TEST_CASE("A batch delivered twice is applied once and answered the same way", "[hub][store]") {
  TempDir dir;
  auto s = HubStore::open(dir / "131016.db", "131016");
  REQUIRE(s.ok());
  REQUIRE(s->write_local("card", "taken", OpKind::upsert, "{}", 0, 0).ok());
  auto b = batch("counter-01", {upsert(1, "a", 0), upsert(2, "taken", 0), upsert(3, "b", 0)});
  auto first = s->apply_batch(b, 0);
  REQUIRE(first.ok());
  CHECK(first->applied == 2);
  CHECK(first->newly_rejected == 1);
  REQUIRE(first->rejected.size() == 1);
  CHECK(first->rejected[0].seq == 2);
  CHECK(first->rejected[0].code == Errc::conflict);
  auto again = s->apply_batch(b, 0);
  REQUIRE(again.ok());
  CHECK(again->applied == 0);
  CHECK(again->duplicates == 3);
  REQUIRE(again->rejected.size() == 1);  // the lost ack's rejection is repeated
  CHECK(again->rejected[0].seq == 2);
  CHECK(s->feed_bounds()->head == 3);    // 1 local + 2 applied, nothing twice
}

TEST_CASE("A batch that skips a sequence number is not applied at all", "[hub][store]") {
  TempDir dir;
  auto s = HubStore::open(dir / "131016.db", "131016");
  REQUIRE(s.ok());
  REQUIRE(s->apply_batch(batch("counter-01", {upsert(1, "a", 0)}), 0).ok());
  auto gap = s->apply_batch(batch("counter-01", {upsert(3, "c", 0), upsert(4, "d", 0)}), 0);
  REQUIRE(gap.ok());
  CHECK(gap->gap);
  CHECK(gap->last_seq == 1);
  CHECK(s->record_count().value() == 1);
}

TEST_CASE("The conflict rule: based on the current version, or following one's own change, or creating", "[hub][store][conflict]") {
  TempDir dir;
  auto s = HubStore::open(dir / "131016.db", "131016");
  REQUIRE(s.ok());
  auto r = s->write_local("card", "k", OpKind::upsert, R"({"v":1})", 0, 0);
  REQUIRE(r.ok());
  std::uint64_t v1 = r->version;

  // Based on the current version: applied.
  auto a = s->apply_batch(batch("counter-01", {upsert(1, "k", v1, R"({"v":2})")}), 0);
  REQUIRE(a.ok());
  CHECK(a->applied == 1);
  // Based on the old version, but the record's last change was this device's own: applied.
  auto b = s->apply_batch(batch("counter-01", {upsert(2, "k", v1, R"({"v":3})")}), 0);
  CHECK(b->applied == 1);
  // Another device based on the old version: refused, with the current record attached.
  auto c = s->apply_batch(batch("counter-02", {upsert(1, "k", v1, R"({"v":"stale"})")}), 0);
  REQUIRE(c->rejected.size() == 1);
  CHECK(c->rejected[0].current->body == R"({"v":3})");
  // Creating what exists: refused. Creating after a delete: applied.
  auto d = s->apply_batch(batch("counter-02", {upsert(2, "k", 0)}), 0);
  CHECK(d->newly_rejected == 1);
  auto cur = s->get("card", "k").value()->version;
  REQUIRE(s->write_local("card", "k", OpKind::remove, "", cur, 0).ok());
  auto e = s->apply_batch(batch("counter-02", {upsert(3, "k", 0, R"({"v":"new"})")}), 0);
  CHECK(e->applied == 1);
  // The hub's own stale change is refused like anyone's.
  auto f = s->write_local("card", "k", OpKind::upsert, "{}", v1, 0);
  REQUIRE_FALSE(f.ok());
  CHECK(f.error().code == Errc::conflict);
}

TEST_CASE("A hub database refuses a batch or a file of another municipality", "[hub][store][separation]") {
  TempDir dir;
  {
    auto s = HubStore::open(dir / "131016.db", "131016");
    REQUIRE(s.ok());
    auto r = s->apply_batch(OpBatch{"282014", "counter-01", {upsert(1, "a", 0)}}, 0);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::forbidden);
  }
  auto wrong = HubStore::open(dir / "131016.db", "282014");
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().code == Errc::invalid_argument);
}

TEST_CASE("The feed keeps only the newest entries after trimming", "[hub][store]") {
  TempDir dir;
  auto s = HubStore::open(dir / "131016.db", "131016");
  REQUIRE(s.ok());
  for (int i = 0; i < 30; ++i) REQUIRE(s->write_local("card", "k" + std::to_string(i), OpKind::upsert, "{}", 0, 0).ok());
  REQUIRE(s->trim_feed(10).ok());
  auto b = s->feed_bounds();
  CHECK(b->head == 30);
  CHECK(b->min == 21);
  CHECK(s->feed_after(0, 100)->size() == 10);
  CHECK(s->record_count().value() == 30);
}

TEST_CASE("Removing a record another counter already removed is settled, not a conflict", "[hub][store][conflict]") {
  TempDir dir;
  auto s = HubStore::open(dir / "131016.db", "131016");
  REQUIRE(s.ok());
  auto v = s->write_local("card", "k", OpKind::upsert, "{}", 0, 0)->version;
  Op remove_a{1, "a:1", "card", "k", OpKind::remove, v, "", 0};
  Op remove_b{1, "b:1", "card", "k", OpKind::remove, v, "", 0};
  CHECK(s->apply_batch(batch("counter-01", {remove_a}), 0)->applied == 1);
  auto b = s->apply_batch(batch("counter-02", {remove_b}), 0);
  CHECK(b->newly_rejected == 0);
  CHECK(s->feed_bounds()->head == 2);  // the second remove announced nothing
}

TEST_CASE("A write policy refuses a device's change before the conflict rule, and the stream moves on", "[hub][store][policy]") {
  TempDir dir;
  auto s = HubStore::open(dir / "131016.db", "131016");
  REQUIRE(s.ok());
  s->set_write_policy([](std::string_view origin, std::string_view entity, std::string_view, bool, std::string_view,
                         const std::optional<madoguchi::protocol::Record>&) -> madoguchi::Status {
    if (entity == "role" && origin != "hub") return madoguchi::make_error(Errc::forbidden, "counters may not change role records");
    return {};
  });
  Op role{1, "x:1", "role", "administrator", OpKind::upsert, 0, "{}", 0};
  Op card{2, "x:2", "card", "c1", OpKind::upsert, 0, "{}", 0};
  auto out = s->apply_batch(batch("counter-01", {role, card}), 0);
  REQUIRE(out.ok());
  CHECK(out->applied == 1);
  REQUIRE(out->rejected.size() == 1);
  CHECK(out->rejected[0].code == Errc::forbidden);
  CHECK_FALSE(s->get("role", "administrator").value().has_value());
  CHECK(s->write_local("role", "administrator", OpKind::upsert, "{}", 0, 0).ok());
}

TEST_CASE("A local batch is one transaction: all written in order, or nothing at the first refusal", "[hub][store][batch]") {
  using madoguchi::hub::LocalWrite;
  TempDir dir;
  auto s = HubStore::open(dir / "131016.db", "131016");
  REQUIRE(s.ok());
  REQUIRE(s->write_local("slot", "old", OpKind::upsert, R"({"v":0})", 0, 0).ok());
  s->set_write_policy([](std::string_view, std::string_view entity, std::string_view, bool, std::string_view body,
                         const std::optional<madoguchi::protocol::Record>&) -> madoguchi::Status {
    if (entity == "slot" && body.find("bad") != std::string_view::npos) {
      return madoguchi::make_error(Errc::invalid_argument, "capacity: out of range");
    }
    return {};
  });

  // Based on the version stored now: an existing record is overwritten, the same key twice sees
  // the first write, a removal of something absent changes nothing.
  std::vector<LocalWrite> ok{{"slot", "a", OpKind::upsert, R"({"v":1})"},
                             {"slot", "old", OpKind::upsert, R"({"v":2})"},
                             {"slot", "a", OpKind::upsert, R"({"v":3})"},
                             {"slot", "never", OpKind::remove, ""}};
  auto r = s->write_local_batch(ok, 0);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 3);
  CHECK(s->get("slot", "a").value()->body == R"({"v":3})");
  CHECK(s->get("slot", "old").value()->body == R"({"v":2})");
  CHECK(s->feed_bounds()->head == 4);  // 1 + 3, in one go
  CHECK((*r)[2].version == 4);

  // The write policy refuses write 2: writes 0 and 1 are rolled back with it.
  std::vector<LocalWrite> bad{{"slot", "b", OpKind::upsert, R"({"v":1})"},
                              {"slot", "a", OpKind::remove, ""},
                              {"slot", "c", OpKind::upsert, R"({"v":"bad"})"}};
  auto refused = s->write_local_batch(bad, 0);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == Errc::invalid_argument);
  CHECK(refused.error().message.find("write 2 (slot/c)") != std::string::npos);
  CHECK_FALSE(s->get("slot", "b").value().has_value());
  CHECK_FALSE(s->get("slot", "a").value()->deleted);
  CHECK(s->feed_bounds()->head == 4);

  // Outside input that does not parse is refused before anything is written.
  auto malformed = s->write_local_batch({{"slot", "d", OpKind::upsert, "{not json"}}, 0);
  REQUIRE_FALSE(malformed.ok());
  CHECK(malformed.error().message.find("write 0 (slot/d)") != std::string::npos);
  std::vector<LocalWrite> too_many(HubStore::kMaxLocalBatch + 1, LocalWrite{"slot", "x", OpKind::upsert, "{}"});
  CHECK(s->write_local_batch(too_many, 0).error().code == Errc::too_large);
  CHECK(s->record_count().value() == 2);
}

TEST_CASE("Reads by key range stop at the range, and slots come with their places in one statement", "[hub][store][read]") {
  TempDir dir;
  auto s = HubStore::open(dir / "131016.db", "131016");
  REQUIRE(s.ok());
  // Places per body {"n":N,"s":"<slot>"}; a removed record takes none.
  madoguchi::hub::PlaceCount count{"bk", [](std::string_view body) -> std::optional<madoguchi::hub::SlotPlaces> {
                                      const auto s_at = body.find("\"s\":\"");
                                      const auto n_at = body.find("\"n\":");
                                      if (s_at == std::string_view::npos || n_at == std::string_view::npos) return std::nullopt;
                                      const auto s_end = body.find('"', s_at + 5);
                                      return madoguchi::hub::SlotPlaces{std::string(body.substr(s_at + 5, s_end - s_at - 5)),
                                                                        std::stoll(std::string(body.substr(n_at + 4, 1)))};
                                    }};
  REQUIRE(s->set_constraint({}, count).ok());
  for (const char* k : {"1:2026-11-23T09:00", "1:2026-11-23T09:30", "1:2026-11-24T09:00", "1:2026-11-30T09:00",
                        "2:2026-11-23T09:00"}) {
    REQUIRE(s->write_local("slot", k, OpKind::upsert, "{}", 0, 0).ok());
  }
  auto gone = s->write_local("slot", "1:2026-11-24T09:30", OpKind::upsert, "{}", 0, 0);
  REQUIRE(gone.ok());
  REQUIRE(s->write_local("slot", "1:2026-11-24T09:30", OpKind::remove, "", gone->version, 0).ok());
  REQUIRE(s->write_local("bk", "a", OpKind::upsert, "{\"n\":2,\"s\":\"1:2026-11-23T09:00\"}", 0, 0).ok());
  REQUIRE(s->write_local("bk", "b", OpKind::upsert, "{\"n\":1,\"s\":\"1:2026-11-23T09:00\"}", 0, 0).ok());
  REQUIRE(s->write_local("bk", "c", OpKind::upsert, "{\"n\":3,\"s\":\"1:2026-11-24T09:00\"}", 0, 0).ok());
  REQUIRE(s->write_local("bk", "d", OpKind::upsert, "{\"n\":1,\"s\":\"2:2026-11-23T09:00\"}", 0, 0).ok());
  auto cancelled = s->write_local("bk", "e", OpKind::upsert, "{\"n\":1,\"s\":\"1:2026-11-24T09:00\"}", 0, 0);
  REQUIRE(cancelled.ok());
  REQUIRE(s->write_local("bk", "e", OpKind::remove, "", cancelled->version, 0).ok());
  REQUIRE(s->write_local("zz", "after", OpKind::upsert, "{}", 0, 0).ok());

  auto scope = s->read_scope();
  REQUIRE(scope.ok());
  auto week = s->records_between_with_places("slot", "1:2026-11-23", "1:2026-11-29U", 100);
  REQUIRE(week.ok());
  REQUIRE(week->size() == 3);  // the removed 09:30 on the 24th is not live; the 30th is outside
  CHECK((*week)[0].record.key == "1:2026-11-23T09:00");
  CHECK((*week)[0].places == 3);
  CHECK((*week)[1].record.key == "1:2026-11-23T09:30");
  CHECK((*week)[1].places == 0);
  CHECK((*week)[2].record.key == "1:2026-11-24T09:00");
  CHECK((*week)[2].places == 3);  // the removed booking "e" takes none
  for (const auto& r : *week) {
    auto one = s->slot_places(r.record.key);
    REQUIRE(one.ok());
    CHECK(*one == r.places);  // the same figure as the per-slot lookup
  }
  auto limited = s->records_between_with_places("slot", "1:", "1:U", 2);
  REQUIRE(limited.ok());
  CHECK(limited->size() == 2);
  auto open_end = s->records_between_with_places("slot", "1:2026-11-24", "", 100);
  REQUIRE(open_end.ok());
  REQUIRE(open_end->size() == 3);  // up to the entity's end, never into the next entity
  CHECK(open_end->back().record.key == "2:2026-11-23T09:00");
  CHECK(open_end->back().places == 1);

  auto plain = s->records_between("slot", "", "", 100);
  REQUIRE(plain.ok());
  CHECK(plain->size() == 5);
  for (const auto& r : *plain) CHECK(r.entity == "slot");
  auto range = s->records_between("slot", "1:2026-11-23T09:00", "1:2026-11-30", 100);
  REQUIRE(range.ok());
  REQUIRE(range->size() == 2);  // from_key itself is excluded
  CHECK(range->front().key == "1:2026-11-23T09:30");
  CHECK(range->back().key == "1:2026-11-24T09:00");
}

TEST_CASE("Reads and writes of records are not compiled again on every run, whatever entity they name", "[hub][store][read]") {
  // The partial index records_card_postcard (WHERE entity = 'card') made SQLite compile every
  // "entity = ?1" statement again each time ?1 was bound: a tenth of a slot page's CPU (issue 11).
  TempDir dir;
  auto s = HubStore::open(dir / "131016.db", "131016");
  REQUIRE(s.ok());
  for (int i = 0; i < 3; ++i) {
    for (const char* entity : {"slot", "card", "counter", "booking"}) {
      REQUIRE(s->write_local(entity, "k" + std::to_string(i), OpKind::upsert, "{\"postcard_no\":\"ABC123456\"}", 0, 0).ok());
      REQUIRE(s->get(entity, "k0").ok());
      REQUIRE(s->records_between(entity, "", "", 100).ok());
      REQUIRE(s->records_between(entity, "k", "l", 100).ok());
      REQUIRE(s->records_between_with_places(entity, "k", "l", 100).ok());
      REQUIRE(s->last_with_prefix(entity, "k").ok());
    }
  }
  auto cards = s->cards_by_postcard("ABC123456", 10);
  REQUIRE(cards.ok());
  CHECK(cards->size() == 3);  // the partial index still serves its own query
  CHECK(s->statement_reprepares() == 0);
}

TEST_CASE("A read scope sees one state and does not stop writes on the same handle afterwards", "[hub][store][read]") {
  TempDir dir;
  auto s = HubStore::open(dir / "131016.db", "131016");
  REQUIRE(s.ok());
  {
    auto scope = s->read_scope();
    REQUIRE(scope.ok());
    auto nested = s->read_scope();  // inside the open one: nothing of its own
    REQUIRE(nested.ok());
    auto r = s->records_between("card", "", "", 10);
    REQUIRE(r.ok());
    CHECK(r->empty());
  }
  // Both ended: a write (BEGIN IMMEDIATE) works and a new scope sees it.
  REQUIRE(s->write_local("card", "a", OpKind::upsert, "{}", 0, 0).ok());
  auto scope = s->read_scope();
  REQUIRE(scope.ok());
  auto r = s->records_between("card", "", "", 10);
  REQUIRE(r.ok());
  CHECK(r->size() == 1);
}
