// EDGE-5 with the booking rule, in one process over the fake bus: a counter PC offline books the
// last place by phone while the hub's booking service books it for a resident; when the counter
// reconnects, its operation is rejected with code "capacity" and the counter shows the rejection.
#include <catch2/catch.hpp>

#include "booking_fixture.h"
#include "madoguchi/edge/card_store.h"
#include "madoguchi/hub/booking_service.h"
#include "sync_world.h"

using madoguchi::protocol::OpKind;
using madoguchi::testing::SyncWorld;
using namespace madoguchi::testing::booking;
namespace c = madoguchi::domain;

TEST_CASE("An offline phone booking of a place a resident took at the hub meanwhile is rejected with capacity (EDGE-5)",
          "[hub][booking][sync]") {
  SyncWorld w;
  w.clock.advance(std::chrono::milliseconds(kNowMs - w.clock.wall_ms()));
  auto& hub_store = *w.hub->store("131016");
  REQUIRE(madoguchi::hub::install_booking_rule(hub_store).ok());
  seed(hub_store, 2);
  REQUIRE(hub_store.write_local("booking", "R1", OpKind::upsert, body(booking("R1", kSlot, 1, 1)), 0, kNowMs).ok());
  madoguchi::hub::HubBookingService service(*w.hub, "131016", w.clock,
                                            madoguchi::hub::BookingServiceOptions{.fast_hashing_for_tests = true});
  auto& edge = w.add_edge("131016", "counter-01");
  REQUIRE(w.settle());
  REQUIRE(edge.store->get("slot", kSlot).value().has_value());

  // The counter goes offline and books the last place by phone (its replica shows 1 of 2 taken).
  edge.link->set_link(false);
  REQUIRE(edge.store->write("booking", "E-0001", OpKind::upsert, body(booking("E-0001", kSlot, 1, 2, "clerk1")), 0).ok());
  // Meanwhile a resident books the same last place on the citizen site.
  c::NewBooking r;
  r.slot = kSlot;
  r.people = {{manufacture_no(3), ""}};
  r.email = "hanako@example.jp";
  auto made = service.create(r, c::BookingActor{});
  REQUIRE(made.ok());

  edge.link->set_link(true);
  REQUIRE(w.settle());
  auto rej = edge.store->rejections(10);
  REQUIRE(rej.ok());
  REQUIRE(rej->size() == 1);
  CHECK(rej->front().code == "capacity");
  CHECK(rej->front().key == "E-0001");
  CHECK(w.hub->counters().ops_rejected == 1);
  CHECK_FALSE(hub_store.get("booking", "E-0001").value().has_value());
  CHECK(hub_store.slot_places(kSlot).value() == 2);
  // The counter's replica follows the hub again: the refused booking is gone, the resident's is there.
  CHECK_FALSE(edge.store->get("booking", "E-0001").value().has_value());
  CHECK(edge.store->get("booking", made->booking.receipt).value().has_value());
  CHECK(w.edge_records("131016.counter-01") == w.hub_records("131016"));
}

TEST_CASE("A card booked on the citizen site is found at a counter PC by its booking day in 交付管理 (ISS-10, RSV-5)",
          "[hub][booking][sync][card]") {
  SyncWorld w;
  w.clock.advance(std::chrono::milliseconds(kNowMs - w.clock.wall_ms()));
  auto& hub_store = *w.hub->store("131016");
  REQUIRE(madoguchi::hub::install_booking_rule(hub_store).ok());
  seed(hub_store, 2);
  for (int i : {1, 2}) {
    auto k = card(i, "ABC10000" + std::to_string(i), "1980-04-01");
    REQUIRE(hub_store.write_local("card", k.manufacture_no, OpKind::upsert, c::dump_body(c::card_to_json(k)), 0, kNowMs).ok());
  }
  auto& edge = w.add_edge("131016", "counter-01");
  REQUIRE(w.settle());
  auto cards = madoguchi::edge::EdgeCardStore::open(*edge.store, {});
  REQUIRE(cards.ok());
  madoguchi::console::app::CardQuery by_day;
  by_day.booking_from = "2026-11-30";
  by_day.booking_to = "2026-11-30";
  CHECK((*cards)->search(by_day).value().total == 0);

  // A resident books card 1 on the site (the hub's service); the change reaches the counter PC.
  madoguchi::hub::HubBookingService service(*w.hub, "131016", w.clock,
                                            madoguchi::hub::BookingServiceOptions{.fast_hashing_for_tests = true});
  c::NewBooking r;
  r.slot = kSlot;
  r.people = {{manufacture_no(1), ""}};
  r.email = "hanako@example.jp";
  auto made = service.create(r, c::BookingActor{});
  REQUIRE(made.ok());
  REQUIRE(w.settle());
  auto page = (*cards)->search(by_day);
  REQUIRE(page.ok());
  REQUIRE(page->total == 1);
  const auto& row = page->rows.at(0);
  CHECK(row.card.manufacture_no == manufacture_no(1));
  CHECK_FALSE(row.pending);
  REQUIRE(row.card.booking);
  CHECK(row.card.booking->at == "2026-11-30T09:00");
  CHECK(row.card.booking_history.back().staff == "web");
  CHECK(row.card.booking_history.back().note == made->booking.receipt);

  // Cancelled on the site: the card is no longer found on that day.
  REQUIRE(service.cancel(made->booking.receipt, "", c::BookingActor{}).ok());
  REQUIRE(w.settle());
  CHECK((*cards)->search(by_day).value().total == 0);
  CHECK(w.edge_records("131016.counter-01") == w.hub_records("131016"));
}
