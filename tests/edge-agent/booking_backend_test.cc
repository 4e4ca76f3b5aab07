// Phone bookings at a counter PC over a real EdgeStore (PHN-1..PHN-6, EDGE-3, EDGE-5): bookings
// written offline wait in the outbox, a refusal by the hub shows as refused with what was sent,
// places are counted from the view's bookings, receipt numbers differ across devices.
#include "madoguchi/edge/booking_backend.h"

#include <array>
#include <set>

#include <catch2/catch.hpp>

#include "madoguchi/domain/record_body.h"
#include "madoguchi/domain/settings.h"
#include "temp_dir.h"

using namespace madoguchi;
using namespace madoguchi::console;
using namespace madoguchi::domain;

namespace {

// The ManualClock starts at 2023-11-15 07:13 JST.
constexpr const char* kSlotA = "1:2023-11-20T09:00";
constexpr const char* kSlotB = "1:2023-11-20T09:30";

domain::CounterMaster sample_counter() {
  domain::CounterMaster c;
  c.id = "1";
  c.name = "本庁舎 1番窓口";
  c.businesses = {domain::Business::collection, domain::Business::application};
  c.week[1] = {domain::TimeBand{9 * 60, 12 * 60}};
  c.minutes_per_visit = 30;
  c.capacity_per_slot = 2;
  c.valid_from = *domain::parse_date_time("2023-01-01T00:00");
  c.visible_on_site = false;  // hidden counters are booked by staff too (PHN-4)
  return c;
}

domain::Slot sample_slot(const char* start, int capacity) {
  domain::Slot s;
  s.counter = "1";
  s.start = *domain::parse_date_time(start);
  s.minutes = 30;
  s.capacity = capacity;
  s.deadline = *domain::parse_date_time("2023-11-17T17:00");
  return s;
}

domain::Card sample_card(std::string id) {
  domain::Card c;
  c.manufacture_no = std::move(id);
  c.name_kanji = "山田 太郎";
  c.name_kana = "ヤマダ タロウ";
  c.birth_date = "1980-04-01";
  c.counter = "1";
  return c;
}

// A counter PC's store with the hub's records applied from the feed.
struct Edge {
  testing::TempDir dir;
  ManualClock clock;
  std::optional<edge::EdgeStore> store;
  std::unique_ptr<edge::EdgeBookingBackend> backend;
  int writes = 0;
  explicit Edge(const std::string& device = "counter-01") {
    auto s = edge::EdgeStore::open(dir.path() / "edge.db", "131016", device);
    REQUIRE(s.ok());
    store.emplace(std::move(*s));
    feed({{std::string(domain::kCounterEntity), "1", domain::dump_body(domain::counter_to_json(sample_counter()))},
          {std::string(domain::kSlotEntity), kSlotA, domain::dump_body(domain::slot_to_json(sample_slot("2023-11-20T09:00", 2)))},
          {std::string(domain::kSlotEntity), kSlotB, domain::dump_body(domain::slot_to_json(sample_slot("2023-11-20T09:30", 2)))},
          {std::string(domain::kCardEntity), "A000000000000001", domain::dump_body(domain::card_to_json(sample_card("A000000000000001")))},
          {std::string(domain::kCardEntity), "A000000000000002", domain::dump_body(domain::card_to_json(sample_card("A000000000000002")))},
          {std::string(domain::kCardEntity), "A000000000000003", domain::dump_body(domain::card_to_json(sample_card("A000000000000003")))}});
    auto b = edge::EdgeBookingBackend::open(*store, clock, [this] { ++writes; }, true);
    REQUIRE(b.ok());
    backend = std::move(*b);
  }
  void feed(const std::vector<std::array<std::string, 3>>& records) {
    std::vector<protocol::Record> changes;
    std::uint64_t v = store->feed_seq();
    for (const auto& [entity, key, body] : records) changes.push_back({entity, key, body, false, ++v, "hub", 0});
    REQUIRE(store->apply_changes(changes).ok());
  }
  domain::BookingActor staff(bool may_override = false) const {
    return domain::BookingActor{domain::BookingActor::Kind::staff, "clerk01", may_override};
  }
  domain::NewBooking collection(std::vector<std::string> numbers, const char* slot = kSlotA) const {
    domain::NewBooking n;
    n.business = domain::Business::collection;
    n.slot = slot;
    for (auto& m : numbers) n.people.push_back(domain::BookingPerson{m, ""});
    n.phone = "03-1234-5678";
    n.note = "耳が遠いのでゆっくり話す";
    return n;
  }
};

}  // namespace

TEST_CASE("A phone booking made offline waits in the outbox and counts in its slot (PHN-1, EDGE-3)", "[edge][bookings]") {
  Edge e;
  auto made = e.backend->create(e.collection({"A000000000000001"}), e.staff());
  REQUIRE(made.ok());
  CHECK(made->password.size() == domain::kBookingPasswordChars);
  CHECK(domain::verify_booking_password(made->booking, made->password));
  CHECK(made->booking.receipt == "20231115-0001-counter-01");
  CHECK(made->booking.channel == domain::BookingChannel::phone);
  CHECK(made->booking.staff == "clerk01");
  CHECK(e.writes == 1);

  auto out = e.store->outbox_from(1, 10, 1 << 20);
  REQUIRE(out.ok());
  REQUIRE(out->size() == 2);  // the booking, then its card (ISS-10)
  CHECK(out->front().entity == "booking");
  CHECK(out->front().key == made->booking.receipt);
  auto sent = booking_from_json(*domain::parse_body(out->front().body));
  REQUIRE(sent.ok());
  CHECK(sent->people == made->booking.people);
  CHECK(out->at(1).entity == "card");
  CHECK(out->at(1).key == "A000000000000001");

  auto state = e.backend->sync_state(made->booking.receipt);
  REQUIRE(state.ok());
  CHECK(state->state == app::BookingSync::State::pending);
  CHECK(*e.backend->booked(kSlotA) == 1);
  auto avail = e.backend->availability("1", {2023, 11, 20}, {2023, 11, 20}, domain::Business::collection, 1, e.staff());
  REQUIRE(avail.ok());
  REQUIRE(avail->size() == 2);
  CHECK(avail->at(0).booked == 1);
  CHECK(avail->at(0).bookable);
  CHECK(avail->at(1).booked == 0);

  // The ack confirms it: no longer pending.
  protocol::Ack ack{"131016", "counter-01", e.store->last_seq(), e.store->last_seq() + 1, {}};
  REQUIRE(e.store->apply_ack(ack, e.clock.wall_ms()).ok());
  CHECK(e.backend->sync_state(made->booking.receipt)->state == app::BookingSync::State::confirmed);
}

TEST_CASE("Places are counted from the view's bookings - a full slot is refused without the permission (PHN-5)",
          "[edge][bookings]") {
  Edge e;
  REQUIRE(e.backend->create(e.collection({"A000000000000001", "A000000000000002"}), e.staff()).ok());
  CHECK(*e.backend->booked(kSlotA) == 2);
  auto avail = e.backend->availability("1", {2023, 11, 20}, {2023, 11, 26}, domain::Business::collection, 1, e.staff());
  REQUIRE(avail.ok());
  CHECK_FALSE(avail->at(0).bookable);
  CHECK(avail->at(0).reason.find("full") != std::string::npos);

  const auto seq_before = e.store->last_seq();
  auto full = e.backend->create(e.collection({"A000000000000003"}), e.staff());
  REQUIRE_FALSE(full.ok());
  CHECK(full.error().code == Errc::capacity);
  CHECK(e.store->last_seq() == seq_before);  // nothing written, no card changed
  CHECK_FALSE(e.backend->card("A000000000000003")->value().booking);

  // With the permission and the override ticked, it is booked beyond capacity.
  domain::NewBooking over = e.collection({"A000000000000003"});
  over.override_flags.capacity = true;
  auto made = e.backend->create(over, e.staff(true));
  REQUIRE(made.ok());
  CHECK(made->booking.override_flags.capacity);
  CHECK(*e.backend->booked(kSlotA) == 3);

  // A cancelled booking frees its places; the search leaves it out unless asked.
  REQUIRE(e.backend->cancel(made->booking.receipt, "本人から連絡", e.staff()).ok());
  CHECK(*e.backend->booked(kSlotA) == 2);
  domain::BookingQuery q;
  CHECK(e.backend->search(q, 0, 50)->size() == 1);
  q.include_cancelled = true;
  CHECK(e.backend->search(q, 0, 50)->size() == 2);
  q.manufacture_no = "A000000000000003";
  auto found = e.backend->search(q, 0, 50);
  REQUIRE(found->size() == 1);
  CHECK(found->front().cancelled);
  CHECK(found->front().history.back().action == "cancelled");
  q = {};
  q.from = calendar::Date{2023, 11, 21};
  CHECK(e.backend->search(q, 0, 50)->empty());
}

TEST_CASE("Places of bookings from the feed are counted by the domain, as at the hub - a body that does not decode takes none (issue 10)",
          "[edge][bookings]") {
  Edge e;
  domain::Booking b;
  b.receipt = "R-1";
  b.password_hash = domain::hash_booking_password("ABCDEFGH23", true).value();
  b.counter = "1";
  b.slot = kSlotA;
  b.people = {{"A000000000000001", ""}};
  b.email = "taro@example.jp";
  domain::add_booking_event(b, {1, "created", "web", kSlotA, ""});
  e.feed({{std::string(domain::kBookingEntity), "R-1", domain::dump_body(domain::booking_to_json(b))},
          // JSON with a slot and two people, but not a booking: the hub's count skips it.
          {std::string(domain::kBookingEntity), "R-2", R"({"people":[{},{}],"slot":"1:2023-11-20T09:00"})"}});
  CHECK(*e.backend->booked(kSlotA) == 1);
  // Changed and then removed through the feed: the index follows.
  b.people.push_back({"A000000000000002", ""});
  e.feed({{std::string(domain::kBookingEntity), "R-1", domain::dump_body(domain::booking_to_json(b))}});
  CHECK(*e.backend->booked(kSlotA) == 2);
  domain::BookingQuery q;
  q.manufacture_no = "A000000000000002";
  CHECK(e.backend->search(q, 0, 10)->size() == 1);
}

TEST_CASE("A booking the hub refused shows as refused with what was sent (EDGE-5)", "[edge][bookings]") {
  Edge e;
  auto made = e.backend->create(e.collection({"A000000000000001"}), e.staff());
  REQUIRE(made.ok());
  const std::string receipt = made->booking.receipt;
  // Meanwhile residents filled the slot at the hub; the hub refuses this counter's booking.
  protocol::Ack ack{"131016", "counter-01", 1, 2, {protocol::Rejection{1, Errc::capacity, "slot 1:2023-11-20T09:00 is full (2 of 2 places taken)", std::nullopt}}};
  REQUIRE(e.store->apply_ack(ack, e.clock.wall_ms()).ok());

  CHECK_FALSE(e.backend->get(receipt)->has_value());  // the hub does not have it
  auto state = e.backend->sync_state(receipt);
  REQUIRE(state.ok());
  CHECK(state->state == app::BookingSync::State::refused);
  CHECK(state->code == "capacity");
  CHECK(state->created);
  REQUIRE(state->sent.has_value());
  CHECK(state->sent->phone == "03-1234-5678");  // to call the resident back
  auto list = e.backend->refused(10);
  REQUIRE(list.ok());
  REQUIRE(list->size() == 1);
  CHECK(list->front().receipt == receipt);

  REQUIRE(e.backend->mark_refusal_handled(receipt).ok());
  CHECK(e.backend->refused(10)->empty());
  // The next booking gets a new number, not the refused one.
  auto next = e.backend->create(e.collection({"A000000000000001"}, kSlotB), e.staff());
  REQUIRE(next.ok());
  CHECK(next->booking.receipt == "20231115-0002-counter-01");
}

TEST_CASE("A refused change keeps the hub's booking and shows the refusal - a later change clears it (EDGE-5)",
          "[edge][bookings]") {
  Edge e;
  auto made = e.backend->create(e.collection({"A000000000000001"}), e.staff());
  REQUIRE(made.ok());
  const std::string receipt = made->booking.receipt;
  protocol::Ack ok{"131016", "counter-01", 2, 3, {}};  // the booking (1) and its card (2)
  REQUIRE(e.store->apply_ack(ok, e.clock.wall_ms()).ok());
  // The hub's record as it is (version 100).
  auto hub = e.store->get("booking", receipt);
  REQUIRE(hub->has_value());

  domain::BookingUpdate move;
  move.slot = kSlotB;
  auto moved = e.backend->update(receipt, move, e.staff());
  REQUIRE(moved.ok());
  CHECK(moved->slot == kSlotB);
  CHECK(*e.backend->booked(kSlotA) == 0);
  CHECK(*e.backend->booked(kSlotB) == 1);
  CHECK(e.backend->sync_state(receipt)->state == app::BookingSync::State::pending);

  protocol::Record current{"booking", receipt, (*hub)->body, false, 100, "counter-01", 1};
  // The move is op 3 (its card follows as op 4, applied at the hub on its own).
  protocol::Ack refused{"131016", "counter-01", 4, 5, {protocol::Rejection{3, Errc::capacity, "full", current}}};
  REQUIRE(e.store->apply_ack(refused, e.clock.wall_ms()).ok());
  auto back = e.backend->get(receipt);
  REQUIRE(back->has_value());
  CHECK((*back)->slot == kSlotA);  // the hub's booking, rolled back
  CHECK(*e.backend->booked(kSlotA) == 1);
  auto state = e.backend->sync_state(receipt);
  CHECK(state->state == app::BookingSync::State::refused);
  CHECK_FALSE(state->created);

  domain::BookingUpdate note;
  note.note = "再度ご連絡済み";
  REQUIRE(e.backend->update(receipt, note, e.staff()).ok());
  CHECK(e.backend->sync_state(receipt)->state == app::BookingSync::State::pending);
  CHECK(e.backend->refused(10)->empty());
}

TEST_CASE("Receipt numbers of two counter PCs never collide, and an index built later counts old bookings",
          "[edge][bookings]") {
  Edge a("counter-01");
  Edge b("counter-02");
  std::set<std::string> receipts;
  for (int i = 0; i < 3; ++i) {
    const char* slot = i % 2 ? kSlotA : kSlotB;
    auto x = a.backend->create(a.collection({"A000000000000001"}, slot), a.staff());
    auto y = b.backend->create(b.collection({"A000000000000001"}, slot), b.staff());
    REQUIRE(x.ok());
    REQUIRE(y.ok());
    receipts.insert(x->booking.receipt);
    receipts.insert(y->booking.receipt);
  }
  CHECK(receipts.size() == 6);
  CHECK(receipts.count("20231115-0001-counter-01"));
  CHECK(receipts.count("20231115-0001-counter-02"));
  CHECK(receipts.count("20231115-0003-counter-02"));

  // Reopening: the index exists, the triggers keep it; counts survive a restart.
  a.backend.reset();
  auto again = edge::EdgeBookingBackend::open(*a.store, a.clock, {}, true);
  REQUIRE(again.ok());
  CHECK(*(*again)->booked(kSlotA) + *(*again)->booked(kSlotB) == 3);
}

TEST_CASE("A phone booking's cards follow it offline, in its transaction, and reach the outbox right after it (ISS-10, PHN-6, EDGE-3)",
          "[edge][bookings][cards]") {
  Edge e;
  std::vector<std::string> logged;
  e.backend->set_log([&](LogLevel, std::string_view line) { logged.emplace_back(line); });
  auto card_of = [&](const char* no) { return e.backend->card(no).value().value(); };

  // Made offline for two cards the view has and one it does not (not imported yet).
  auto three = e.collection({"A000000000000001", "A000000000000002", "A000000000000009"}, kSlotA);
  three.override_flags.capacity = true;  // three people in a slot of two (PHN-5)
  auto made = e.backend->create(three, e.staff(true));
  REQUIRE(made.ok());
  const std::string receipt = made->booking.receipt;
  auto out = e.store->outbox_from(1, 10, 1 << 20).value();
  REQUIRE(out.size() == 3);
  CHECK(out[0].entity == "booking");
  CHECK(out[1].key == "A000000000000001");
  CHECK(out[2].key == "A000000000000002");
  auto sent = domain::card_from_json(*domain::parse_body(out[1].body)).value();
  REQUIRE(sent.booking);
  CHECK(sent.booking->at == "2023-11-20T09:00");
  for (const char* no : {"A000000000000001", "A000000000000002"}) {
    auto k = card_of(no);
    REQUIRE(k.booking);
    CHECK(k.booking->at == "2023-11-20T09:00");
    CHECK(k.booking->counter == "1");
    REQUIRE(k.booking_history.size() == 1);
    CHECK(k.booking_history[0].staff == "clerk01");
    CHECK(k.booking_history[0].note == receipt);
    CHECK(e.store->get("card", no).value()->pending);  // waits in the outbox like the booking
  }
  CHECK(e.backend->cards_skipped() == 1);
  REQUIRE(logged.size() == 1);
  CHECK(logged[0].find(receipt) != std::string::npos);
  CHECK(logged[0].find("A000000000000009") == std::string::npos);  // never a card number

  // A note changes no card; a move moves both.
  const auto seq = e.store->last_seq();
  domain::BookingUpdate note;
  note.note = "折り返し不要";
  REQUIRE(e.backend->update(receipt, note, e.staff()).ok());
  CHECK(e.store->last_seq() == seq + 1);
  domain::BookingUpdate move;
  move.slot = kSlotB;
  move.override_flags.capacity = true;
  REQUIRE(e.backend->update(receipt, move, e.staff(true)).ok());
  out = e.store->outbox_from(seq + 2, 10, 1 << 20).value();
  REQUIRE(out.size() == 3);
  CHECK(out[0].entity == "booking");
  CHECK(out[1].entity == "card");
  CHECK(card_of("A000000000000001").booking->at == "2023-11-20T09:30");

  // Card 2 is moved by hand in 交付管理 (a plain local write of the card): the booking stays.
  auto by_hand = card_of("A000000000000002");
  REQUIRE(domain::change_booking(by_hand, domain::CardBooking{"2023-11-22T10:00", "1"}, "clerk02", "", e.clock.wall_ms()).value());
  REQUIRE(e.store->write("card", by_hand.manufacture_no, protocol::OpKind::upsert, domain::dump_body(domain::card_to_json(by_hand)),
                         e.clock.wall_ms())
              .ok());
  CHECK(e.backend->get(receipt).value()->slot == kSlotB);

  // Cancelled: card 1 cleared (it still pointed to this booking), card 2's newer booking kept.
  REQUIRE(e.backend->cancel(receipt, "", e.staff()).ok());
  auto k1 = card_of("A000000000000001");
  CHECK_FALSE(k1.booking);
  CHECK(k1.booking_history.back().at == "2023-11-20T09:30");
  CHECK(k1.booking_history.back().note == receipt);
  CHECK(card_of("A000000000000002").booking->at == "2023-11-22T10:00");
}

TEST_CASE("Booking and card changes are one transaction at the edge: a failed card write stores neither (ISS-10, EDGE-3)",
          "[edge][bookings][cards]") {
  Edge e;
  // The database refuses card operations (a stand-in for any failure after the booking's write),
  // through a second connection: the store hands its own to nobody.
  auto other = sqlite::Db::open(e.dir.path() / "edge.db");
  REQUIRE(other.ok());
  REQUIRE(other->exec("CREATE TRIGGER refuse_card BEFORE INSERT ON outbox WHEN new.entity = 'card' "
                      "BEGIN SELECT RAISE(ABORT, 'no card'); END")
              .ok());
  const auto seq = e.store->last_seq();
  auto made = e.backend->create(e.collection({"A000000000000001"}), e.staff());
  REQUIRE_FALSE(made.ok());
  CHECK(e.store->last_seq() == seq);  // the counters followed the rollback
  CHECK(*e.backend->booked(kSlotA) == 0);
  CHECK(e.backend->search(domain::BookingQuery{}, 0, 10)->empty());
  CHECK(e.store->outbox_from(1, 10, 1 << 20)->empty());
  CHECK(e.writes == 0);

  // Without the failure it goes through, numbered as the next one.
  REQUIRE(other->exec("DROP TRIGGER refuse_card").ok());
  auto again = e.backend->create(e.collection({"A000000000000001"}), e.staff());
  REQUIRE(again.ok());
  CHECK(e.store->outbox_from(1, 10, 1 << 20)->size() == 2);
  CHECK(e.backend->card("A000000000000001")->value().booking.has_value());
}
