// The cards of a phone booking the hub refused are put back (EDGE-5, ISS-10, PHN-6), in one
// process over the fake bus with the hub's real booking rule: a counter PC offline books (or moves a
// booking into) the last places while a resident takes them on the citizen site; the hub refuses the
// booking but applies its card operations; EdgeBookingBackend::put_back_refused_cards then writes
// the cards back as local changes, so that the counter's and the hub's cards agree with the hub's
// booking again, exactly once, also across a restart and a failed attempt.
#include <catch2/catch.hpp>

#include "booking_fixture.h"
#include "madoguchi/domain/booking_cards.h"
#include "madoguchi/edge/booking_backend.h"
#include "madoguchi/hub/booking_service.h"
#include "sync_world.h"

using madoguchi::protocol::OpKind;
using madoguchi::testing::SyncWorld;
using namespace madoguchi::testing::booking;
namespace c = madoguchi::domain;
namespace edge = madoguchi::edge;

namespace {

const c::BookingActor kClerk{c::BookingActor::Kind::staff, "clerk1", false};

// The hub with the booking rule, counter "1" with two slots of `capacity`, and cards 1..4.
struct World {
  SyncWorld w;
  madoguchi::hub::HubStore* hub = nullptr;
  std::unique_ptr<madoguchi::hub::HubBookingService> service;
  SyncWorld::Edge* counter = nullptr;
  std::unique_ptr<edge::EdgeBookingBackend> backend;

  explicit World(int capacity) {
    w.clock.advance(std::chrono::milliseconds(kNowMs - w.clock.wall_ms()));
    hub = w.hub->store("131016");
    REQUIRE(madoguchi::hub::install_booking_rule(*hub).ok());
    seed(*hub, capacity);
    for (int i = 1; i <= 4; ++i) {
      auto k = card(i, "ABC10000" + std::to_string(i), "1980-04-01");
      REQUIRE(hub->write_local("card", k.manufacture_no, OpKind::upsert, c::dump_body(c::card_to_json(k)), 0, kNowMs).ok());
    }
    service = std::make_unique<madoguchi::hub::HubBookingService>(
        *w.hub, "131016", w.clock, madoguchi::hub::BookingServiceOptions{.fast_hashing_for_tests = true});
    counter = &w.add_edge("131016", "counter-01");
    REQUIRE(w.settle());
    open_backend();
  }

  void open_backend() {
    backend.reset();
    auto b = edge::EdgeBookingBackend::open(*counter->store, w.clock, {}, true);
    REQUIRE(b.ok());
    backend = std::move(*b);
  }

  // The counter PC restarts: its database connection and sync engine are opened again.
  void restart_counter() {
    backend.reset();
    counter->engine.reset();
    counter->store.reset();
    auto st = edge::EdgeStore::open(w.dir / "131016.counter-01.db", "131016", "counter-01");
    REQUIRE(st.ok());
    counter->store = std::make_unique<edge::EdgeStore>(std::move(*st));
    counter->engine = std::make_unique<edge::SyncEngine>(*counter->store, *counter->link, w.clock, edge::SyncOptions{});
    counter->engine->on_connected();
    open_backend();
  }

  // A resident books `people` places (cards from `first`) in the slot on the citizen site.
  void resident_books(const std::string& slot_key, int first, int people) {
    c::NewBooking r;
    r.slot = slot_key;
    for (int i = 0; i < people; ++i) r.people.push_back({manufacture_no(first + i), ""});
    r.email = "hanako@example.jp";
    REQUIRE(service->create(r, c::BookingActor{}).ok());
  }

  c::Card edge_card(int i) {
    auto v = counter->store->get("card", manufacture_no(i)).value();
    REQUIRE(v.has_value());
    return c::card_from_json(*c::parse_body(v->body)).value();
  }
  c::Card hub_card(int i) {
    auto r = hub->get("card", manufacture_no(i)).value();
    REQUIRE(r.has_value());
    return c::card_from_json(*c::parse_body(r->body)).value();
  }
  // How often the card's history says the hub refused this booking.
  static int refusal_notes(const c::Card& k, const std::string& receipt) {
    int n = 0;
    for (const auto& h : k.booking_history) n += h.note == c::card_refusal_note(receipt) ? 1 : 0;
    return n;
  }
};

c::NewBooking phone_booking(const std::string& slot_key, std::vector<int> cards) {
  c::NewBooking n;
  n.slot = slot_key;
  for (int i : cards) n.people.push_back({manufacture_no(i), ""});
  n.phone = "03-1234-5678";
  return n;
}

}  // namespace

TEST_CASE("A refused offline phone booking's card is cleared again at the counter and at the hub, once (EDGE-5, ISS-10)",
          "[edge][bookings][refusal]") {
  World x(2);
  x.resident_books(kSlot, 1, 1);  // 1 of 2 places taken
  REQUIRE(x.w.settle());

  // Offline, the counter books the last place for card 2; a resident takes it on the site meanwhile.
  x.counter->link->set_link(false);
  auto made = x.backend->create(phone_booking(kSlot, {2}), kClerk);
  REQUIRE(made.ok());
  const std::string receipt = made->booking.receipt;
  REQUIRE(x.edge_card(2).booking.has_value());
  x.resident_books(kSlot, 3, 1);
  x.counter->link->set_link(true);
  REQUIRE(x.w.settle());

  // The hub refused the booking but applied its card operation: both show a slot the resident does not have.
  auto rej = x.counter->store->rejections(10).value();
  REQUIRE(rej.size() == 1);
  CHECK(rej[0].code == "capacity");
  CHECK(rej[0].key == receipt);
  CHECK_FALSE(x.hub->get("booking", receipt).value().has_value());
  REQUIRE(x.hub_card(2).booking.has_value());
  CHECK(x.hub_card(2).booking->at == "2026-11-30T09:00");
  CHECK(x.backend->sync_state(receipt)->state == madoguchi::console::app::BookingSync::State::refused);

  // The agent's tick puts it back: a local change that reaches the hub.
  auto n = x.backend->put_back_refused_cards();
  REQUIRE(n.ok());
  CHECK(*n == 1);
  REQUIRE(x.w.settle());
  for (const auto& k : {x.edge_card(2), x.hub_card(2)}) {
    CHECK_FALSE(k.booking.has_value());
    REQUIRE_FALSE(k.booking_history.empty());
    CHECK(k.booking_history.back().note == "受付番号 " + receipt + " はハブで受け付けられませんでした");
    CHECK(k.booking_history.back().staff == "clerk1");
    CHECK(k.booking_history.back().at == "2026-11-30T09:00");  // what it showed before
    CHECK(World::refusal_notes(k, receipt) == 1);
  }
  CHECK(x.hub_card(3).booking.has_value());  // the resident's card is not touched
  CHECK(x.w.edge_records("131016.counter-01") == x.w.hub_records("131016"));
  CHECK(x.counter->store->rejections(10).value().size() == 1);  // nothing of the undo was refused

  // Exactly once: again, after reopening the backend, after restarting the counter PC.
  const auto seq = x.counter->store->last_seq();
  CHECK(x.backend->put_back_refused_cards().value() == 0);
  x.open_backend();
  CHECK(x.backend->put_back_refused_cards().value() == 0);
  x.restart_counter();
  REQUIRE(x.w.settle());
  CHECK(x.backend->put_back_refused_cards().value() == 0);
  CHECK(x.counter->store->last_seq() == seq);
  CHECK(World::refusal_notes(x.hub_card(2), receipt) == 1);
  // The refusal is still shown to staff on 電話予約 (what was agreed, to call back).
  CHECK(x.backend->sync_state(receipt)->state == madoguchi::console::app::BookingSync::State::refused);
}

TEST_CASE("A refused move puts its cards back on the hub's slot - a card changed since is left, a failed attempt "
          "changes nothing and is done on the next tick (EDGE-5, ISS-10)",
          "[edge][bookings][refusal]") {
  World x(2);
  auto made = x.backend->create(phone_booking(kSlot, {2, 4}), kClerk);
  REQUIRE(made.ok());
  const std::string receipt = made->booking.receipt;
  REQUIRE(x.w.settle());
  REQUIRE(x.hub->get("booking", receipt).value().has_value());
  CHECK(x.hub_card(2).booking->at == "2026-11-30T09:00");

  // Offline: moved to 09:30 by phone; card 4 then changed by hand in 交付管理. A resident takes a
  // place at 09:30 meanwhile, so the move (two places) no longer fits.
  x.counter->link->set_link(false);
  c::BookingUpdate move;
  move.slot = kOtherSlot;
  REQUIRE(x.backend->update(receipt, move, kClerk).ok());
  auto by_hand = x.edge_card(4);
  REQUIRE(c::change_booking(by_hand, c::CardBooking{"2026-12-01T10:00", "1"}, "clerk2", "", kNowMs).value());
  REQUIRE(x.counter->store->write("card", by_hand.manufacture_no, OpKind::upsert, c::dump_body(c::card_to_json(by_hand)), kNowMs)
              .ok());
  x.resident_books(kOtherSlot, 3, 1);
  x.counter->link->set_link(true);
  REQUIRE(x.w.settle());
  auto rej = x.counter->store->rejections(10).value();
  REQUIRE(rej.size() == 1);
  CHECK(rej[0].code == "capacity");
  CHECK(x.hub->get("booking", receipt).value().has_value());
  CHECK(x.backend->get(receipt).value()->slot == kSlot);  // the hub's booking, rolled back at the counter
  CHECK(x.hub_card(2).booking->at == "2026-11-30T09:30");  // the refused move's card operation applied

  // A failed attempt (the database refuses card operations) writes nothing and keeps the mark.
  const auto seq = x.counter->store->last_seq();
  // Through a second connection: the store hands its own to nobody.
  auto other = madoguchi::sqlite::Db::open(x.w.dir / "131016.counter-01.db");
  REQUIRE(other.ok());
  REQUIRE(other->exec("CREATE TRIGGER refuse_card BEFORE INSERT ON outbox WHEN new.entity = 'card' "
                      "BEGIN SELECT RAISE(ABORT, 'no card'); END")
              .ok());
  CHECK_FALSE(x.backend->put_back_refused_cards().ok());
  CHECK(x.counter->store->last_seq() == seq);
  CHECK(x.edge_card(2).booking->at == "2026-11-30T09:30");
  REQUIRE(other->exec("DROP TRIGGER refuse_card").ok());

  // The next tick does it: card 2 back to 09:00 at both ends, card 4 (changed by hand) left alone.
  CHECK(x.backend->put_back_refused_cards().value() == 1);
  REQUIRE(x.w.settle());
  for (const auto& k : {x.edge_card(2), x.hub_card(2)}) {
    REQUIRE(k.booking.has_value());
    CHECK(k.booking->at == "2026-11-30T09:00");
    CHECK(k.booking->counter == "1");
    CHECK(k.booking_history.back().note == c::card_refusal_note(receipt));
    CHECK(World::refusal_notes(k, receipt) == 1);
  }
  for (const auto& k : {x.edge_card(4), x.hub_card(4)}) {
    CHECK(k.booking->at == "2026-12-01T10:00");
    CHECK(World::refusal_notes(k, receipt) == 0);
  }
  CHECK(x.w.edge_records("131016.counter-01") == x.w.hub_records("131016"));

  // A later write starts from there and does not undo anything twice.
  x.restart_counter();
  REQUIRE(x.w.settle());
  c::BookingUpdate note;
  note.note = "再度ご連絡済み";
  REQUIRE(x.backend->update(receipt, note, kClerk).ok());
  REQUIRE(x.w.settle());
  CHECK(World::refusal_notes(x.hub_card(2), receipt) == 1);
  CHECK(x.hub_card(2).booking->at == "2026-11-30T09:00");
  CHECK(x.w.edge_records("131016.counter-01") == x.w.hub_records("131016"));
}
