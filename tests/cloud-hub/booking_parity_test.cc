// One rule, two writers (issue 10): the same phone booking, changed, moved and cancelled through
// the hub's path (HubBookingService, judged with authority) and through a counter PC's path
// (EdgeBookingBackend over its replica, synchronised to the hub) ends as the same booking record
// and the same card record, byte for byte, once the parts that must differ are named: the receipt
// number (the counter's carries its device suffix), the random password's hash, and the card
// (each path books its own).
#include <catch2/catch.hpp>

#include <string>

#include "booking_fixture.h"
#include "madoguchi/edge/booking_backend.h"
#include "madoguchi/hub/booking_service.h"
#include "sync_world.h"

using madoguchi::protocol::OpKind;
using madoguchi::testing::SyncWorld;
using namespace madoguchi::testing::booking;
namespace c = madoguchi::domain;

namespace {

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
}

// The stored body with the receipt, the password hash and the manufacture number named.
std::string normalized(madoguchi::hub::HubStore& store, const std::string& entity, const std::string& key,
                       const std::string& receipt, const std::string& password_hash, const std::string& card) {
  auto rec = store.get(entity, key);
  REQUIRE(rec.ok());
  REQUIRE(rec->has_value());
  std::string body = (*rec)->body;
  replace_all(body, receipt, "<receipt>");
  if (!password_hash.empty()) replace_all(body, password_hash, "<password>");
  replace_all(body, card, "<card>");
  return body;
}

}  // namespace

TEST_CASE("A booking made, changed, moved and cancelled at the hub and at a counter PC ends the same (issue 10)",
          "[hub][booking][parity]") {
  SyncWorld w;
  w.clock.advance(std::chrono::milliseconds(kNowMs - w.clock.wall_ms()));
  auto& hub_store = *w.hub->store("131016");
  REQUIRE(madoguchi::hub::install_booking_rule(hub_store).ok());
  seed(hub_store, 3);
  for (int i : {1, 2}) {
    REQUIRE(hub_store.write_local("card", manufacture_no(i), OpKind::upsert,
                                  c::dump_body(c::card_to_json(card(i, "", "1980-04-01"))), 0, kNowMs).ok());
  }
  madoguchi::hub::HubBookingService hub_path(*w.hub, "131016", w.clock,
                                             madoguchi::hub::BookingServiceOptions{.fast_hashing_for_tests = true});
  auto& edge = w.add_edge("131016", "counter-01");
  REQUIRE(w.settle());
  auto edge_path = madoguchi::edge::EdgeBookingBackend::open(*edge.store, w.clock, [] {}, true);
  REQUIRE(edge_path.ok());

  const c::BookingActor clerk{c::BookingActor::Kind::staff, "clerk1", false};
  auto request = [](int card_no) {
    c::NewBooking r;
    r.slot = kSlot;
    r.people = {{manufacture_no(card_no), ""}};
    r.phone = "03-0000-0000";
    r.note = "車いすで来庁";
    return r;
  };
  // The same steps at the same simulated times through both paths.
  auto h = hub_path.create(request(1), clerk);
  auto e = (*edge_path)->create(request(2), clerk);
  REQUIRE(h.ok());
  REQUIRE(e.ok());
  const std::string hr = h->booking.receipt, er = e->booking.receipt;
  w.clock.advance(std::chrono::minutes(1));
  c::BookingUpdate contact;
  contact.email = "taro@example.jp";
  contact.note = "車いすで来庁・付き添いあり";
  REQUIRE(hub_path.update(hr, contact, clerk).ok());
  REQUIRE((*edge_path)->update(er, contact, clerk).ok());
  w.clock.advance(std::chrono::minutes(1));
  c::BookingUpdate move;
  move.slot = kOtherSlot;
  REQUIRE(hub_path.update(hr, move, clerk).ok());
  REQUIRE((*edge_path)->update(er, move, clerk).ok());
  w.clock.advance(std::chrono::minutes(1));
  c::BookingUpdate note_only;
  note_only.note = "付き添いあり";
  REQUIRE(hub_path.update(hr, note_only, clerk).ok());
  REQUIRE((*edge_path)->update(er, note_only, clerk).ok());
  REQUIRE(w.settle());

  auto hash_of = [&](const std::string& receipt) {
    return c::booking_from_json(nlohmann::json::parse(hub_store.get("booking", receipt).value()->body)).value().password_hash;
  };
  const std::string hub_booking = normalized(hub_store, "booking", hr, hr, hash_of(hr), manufacture_no(1));
  const std::string edge_booking = normalized(hub_store, "booking", er, er, hash_of(er), manufacture_no(2));
  CHECK(hub_booking == edge_booking);
  CHECK(normalized(hub_store, "card", manufacture_no(1), hr, "", manufacture_no(1)) ==
        normalized(hub_store, "card", manufacture_no(2), er, "", manufacture_no(2)));

  w.clock.advance(std::chrono::minutes(1));
  REQUIRE(hub_path.cancel(hr, "本人から取消の電話", clerk).ok());
  REQUIRE((*edge_path)->cancel(er, "本人から取消の電話", clerk).ok());
  REQUIRE(w.settle());
  CHECK(normalized(hub_store, "booking", hr, hr, hash_of(hr), manufacture_no(1)) ==
        normalized(hub_store, "booking", er, er, hash_of(er), manufacture_no(2)));
  CHECK(normalized(hub_store, "card", manufacture_no(1), hr, "", manufacture_no(1)) ==
        normalized(hub_store, "card", manufacture_no(2), er, "", manufacture_no(2)));
  // And a second cancel is refused the same way on both.
  CHECK(hub_path.cancel(hr, "", clerk).error().code == madoguchi::Errc::forbidden);
  CHECK((*edge_path)->cancel(er, "", clerk).error().code == madoguchi::Errc::forbidden);
}
