// A collection booking's cards follow it (booking_cards.h; ISS-10, RSV-5, RSV-12, PHN-6).
#include <catch2/catch.hpp>

#include "madoguchi/domain/booking_cards.h"

namespace c = madoguchi::domain;

namespace {

c::Booking collection(const std::string& slot, std::vector<std::string> numbers) {
  c::Booking b;
  b.receipt = "20261122-0001";
  b.business = c::Business::collection;
  b.counter = slot.substr(0, slot.find(':'));
  b.slot = slot;
  for (auto& n : numbers) b.people.push_back({n, ""});
  return b;
}

c::Card card(const std::string& no) {
  c::Card k;
  k.manufacture_no = no;
  k.name_kanji = "山田太郎";
  k.birth_date = "1980-04-01";
  return k;
}

const std::string kA = "AB12345678901234";
const std::string kB = "CD12345678901234";

}  // namespace

TEST_CASE("What a booking write means for its cards (ISS-10)", "[booking_cards]") {
  const auto made = collection("1:2026-11-30T09:00", {kA, kB});
  auto f = c::card_follows(nullptr, made);
  REQUIRE(f.size() == 2);
  CHECK(f[0].manufacture_no == kA);
  REQUIRE(f[0].next);
  CHECK(f[0].next->at == "2026-11-30T09:00");
  CHECK(f[0].next->counter == "1");

  // A change that keeps slot and people touches no card.
  auto noted = made;
  noted.note = "車椅子";
  noted.email = "x@example.jp";
  CHECK(c::card_follows(&made, noted).empty());

  // Moved to another counter's slot: every card follows.
  const auto moved = collection("2:2026-12-01T10:30", {kA, kB});
  f = c::card_follows(&made, moved);
  REQUIRE(f.size() == 2);
  CHECK(f[1].next->at == "2026-12-01T10:30");
  CHECK(f[1].next->counter == "2");

  // A person removed: only that card is cleared, and only from this slot.
  const auto fewer = collection("1:2026-11-30T09:00", {kA});
  f = c::card_follows(&made, fewer);
  REQUIRE(f.size() == 1);
  CHECK(f[0].manufacture_no == kB);
  CHECK_FALSE(f[0].next);
  CHECK(f[0].clear_if.at == "2026-11-30T09:00");

  // Cancelled: both cleared from the slot they were in; un-cancelled: both set again.
  auto cancelled = made;
  cancelled.cancelled = true;
  f = c::card_follows(&made, cancelled);
  REQUIRE(f.size() == 2);
  CHECK_FALSE(f[0].next);
  CHECK(c::card_follows(&cancelled, made).size() == 2);
  CHECK(c::card_follows(&cancelled, cancelled).empty());

  // Other businesses name no cards.
  auto application = made;
  application.business = c::Business::application;
  CHECK(c::card_follows(nullptr, application).empty());
}

TEST_CASE("Applying a follow keeps history and never clears a newer booking (ISS-10)", "[booking_cards]") {
  const auto made = collection("1:2026-11-30T09:00", {kA});
  auto k = card(kA);
  auto f = c::card_follows(nullptr, made);
  REQUIRE(c::apply_card_follow(k, f[0], "web", made.receipt, 1000).value());
  REQUIRE(k.booking);
  CHECK(k.booking->at == "2026-11-30T09:00");
  REQUIRE(k.booking_history.size() == 1);
  CHECK(k.booking_history[0].at.empty());  // there was no booking before
  CHECK(k.booking_history[0].staff == "web");
  CHECK(k.booking_history[0].note == made.receipt);
  CHECK_FALSE(c::apply_card_follow(k, f[0], "web", made.receipt, 2000).value());  // already so

  auto cancelled = made;
  cancelled.cancelled = true;
  const auto clear = c::card_follows(&made, cancelled).at(0);
  // Staff moved the card's booking by hand meanwhile: the cancellation leaves it.
  auto by_hand = k;
  REQUIRE(c::change_booking(by_hand, c::CardBooking{"2026-12-02T14:00", "3"}, "tanaka01", "", 3000).value());
  CHECK_FALSE(c::apply_card_follow(by_hand, clear, "clerk1", made.receipt, 4000).value());
  CHECK(by_hand.booking->at == "2026-12-02T14:00");
  // Still this booking's slot: cleared, with the earlier booking in the history.
  REQUIRE(c::apply_card_follow(k, clear, "clerk1", made.receipt, 4000).value());
  CHECK_FALSE(k.booking);
  REQUIRE(k.booking_history.size() == 2);
  CHECK(k.booking_history[1].at == "2026-11-30T09:00");
  CHECK(k.booking_history[1].staff == "clerk1");
}

TEST_CASE("Undoing a write the hub refused puts back only the cards still on the refused slot (EDGE-5, ISS-10)",
          "[booking_cards]") {
  // A refused creation: the hub holds no booking, every card the write put on its slot is cleared.
  const auto made = collection("1:2026-11-30T09:00", {kA, kB});
  auto f = c::card_refusal_follows(made, nullptr);
  REQUIRE(f.size() == 2);
  CHECK(f[0].manufacture_no == kA);
  CHECK_FALSE(f[0].next);
  CHECK(f[0].note == "受付番号 20261122-0001 はハブで受け付けられませんでした");
  auto k = card(kA);
  REQUIRE(c::apply_card_follow(k, c::card_follows(nullptr, made).at(0), "clerk1", made.receipt, 1000).value());
  REQUIRE(c::apply_card_follow(k, f[0], "clerk1", made.receipt, 2000).value());
  CHECK_FALSE(k.booking);
  CHECK(k.booking_history.back().note == c::card_refusal_note(made.receipt));
  CHECK(k.booking_history.back().at == "2026-11-30T09:00");
  CHECK_FALSE(c::apply_card_follow(k, f[0], "clerk1", made.receipt, 3000).value());  // already undone

  // A refused move: back to the hub's slot, but only while the card still shows the refused one.
  const auto moved = collection("2:2026-12-01T10:00", {kA, kB});
  f = c::card_refusal_follows(moved, &made);
  REQUIRE(f.size() == 2);
  REQUIRE(f[1].next);
  CHECK(f[1].next->at == "2026-11-30T09:00");
  CHECK(f[1].next->counter == "1");
  auto on_moved = card(kB);
  REQUIRE(c::change_booking(on_moved, c::CardBooking{"2026-12-01T10:00", "2"}, "clerk1", moved.receipt, 1000).value());
  REQUIRE(c::apply_card_follow(on_moved, f[1], "clerk1", moved.receipt, 2000).value());
  CHECK(on_moved.booking->at == "2026-11-30T09:00");
  CHECK(on_moved.booking->counter == "1");
  auto by_hand = card(kB);  // changed by hand since: left alone, also when it has no booking
  REQUIRE(c::change_booking(by_hand, c::CardBooking{"2026-12-03T11:00", "2"}, "tanaka01", "", 1500).value());
  CHECK_FALSE(c::apply_card_follow(by_hand, f[1], "clerk1", moved.receipt, 2000).value());
  CHECK(by_hand.booking->at == "2026-12-03T11:00");
  auto none = card(kB);
  CHECK_FALSE(c::apply_card_follow(none, f[1], "clerk1", moved.receipt, 2000).value());
  CHECK_FALSE(none.booking);

  // The hub's booking keeps the slot (a refused note change), or the write was a cancellation or of
  // another business: nothing to undo. A person the hub's booking does not name is cleared.
  CHECK(c::card_refusal_follows(made, &made).empty());
  auto cancelled = made;
  cancelled.cancelled = true;
  CHECK(c::card_refusal_follows(cancelled, &made).empty());
  auto application = made;
  application.business = c::Business::application;
  CHECK(c::card_refusal_follows(application, nullptr).empty());
  f = c::card_refusal_follows(made, &cancelled);
  CHECK(f.size() == 2);
  const auto one = collection("1:2026-11-30T09:00", {kA});
  f = c::card_refusal_follows(moved, &one);
  REQUIRE(f.size() == 2);
  CHECK(f[0].next);
  CHECK_FALSE(f[1].next);
}
