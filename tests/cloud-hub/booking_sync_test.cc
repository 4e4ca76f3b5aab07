// EDGE-5 with the booking rule, in one process over the fake bus: a counter PC offline books the
// last place by phone while the hub's booking service books it for a resident; when the counter
// reconnects, its operation is rejected with code "capacity" and the counter shows the rejection.
#include <catch2/catch.hpp>

#include "booking_fixture.h"
#include "madoguchi/hub/booking_service.h"
#include "sync_world.h"

using madoguchi::protocol::OpKind;
using madoguchi::testing::SyncWorld;
using namespace madoguchi::testing::booking;
namespace c = madoguchi::console;

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
