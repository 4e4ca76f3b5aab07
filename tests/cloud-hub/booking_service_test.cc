// HubBookingService (domain::BookingBackend at the hub): receipt numbers, passwords, the card
// check by postcard number over many cards, availability, change and cancel with their history,
// search, reminders (RSV-5, RSV-8, RSV-10..RSV-13, PHN-1..PHN-6, EDGE-5).
#include <catch2/catch.hpp>

#include <algorithm>

#include "booking_fixture.h"
#include "fake_bus.h"
#include "madoguchi/hub/booking_service.h"
#include "madoguchi/sqlite/sqlite.h"
#include "temp_dir.h"

using madoguchi::Errc;
using madoguchi::ManualClock;
using madoguchi::hub::HubBookingService;
using madoguchi::hub::HubEngine;
using madoguchi::testing::FakeBus;
using madoguchi::testing::TempDir;
using namespace madoguchi::testing::booking;
namespace c = madoguchi::domain;

namespace {

struct World {
  explicit World(madoguchi::hub::WritePolicy policy = {}) : link(bus.add("hub")) {
    clock.advance(std::chrono::milliseconds(kNowMs - clock.wall_ms()));
    engine = std::make_unique<HubEngine>(madoguchi::hub::DeviceRegistry{{"131016", {"counter-01"}}},
                                         madoguchi::hub::HubOptions{dir / "hub", 200000, 32, std::move(policy)}, link,
                                         clock);
    REQUIRE(engine->open().ok());
    link.set_link(true);
    REQUIRE(madoguchi::hub::install_booking_rule(store()).ok());
    service = std::make_unique<HubBookingService>(*engine, "131016", clock,
                                                  madoguchi::hub::BookingServiceOptions{.fast_hashing_for_tests = true});
    service->set_notifier([this](const c::Booking& b, std::string_view kind, const std::string& password) {
      notified.push_back(b.receipt + " " + std::string(kind) + (password.empty() ? "" : " with password"));
    });
  }
  madoguchi::hub::HubStore& store() { return *engine->store("131016"); }

  TempDir dir;
  FakeBus bus;
  FakeBus::Client& link;
  ManualClock clock;
  std::unique_ptr<HubEngine> engine;
  std::unique_ptr<HubBookingService> service;
  std::vector<std::string> notified;
};

c::NewBooking request(const std::string& slot_key, int people, int first_person) {
  c::NewBooking r;
  r.business = c::Business::collection;
  r.slot = slot_key;
  for (int i = 0; i < people; ++i) r.people.push_back({manufacture_no(first_person + i), ""});
  r.email = "hanako@example.jp";
  return r;
}

// Writes the cards of persons `first`..`first + n - 1` at the hub (as imported).
void put_cards(World& w, int first, int n) {
  std::vector<madoguchi::hub::LocalWrite> cards;
  for (int i = first; i < first + n; ++i) {
    auto k = card(i, "", "1980-04-01");
    cards.push_back({"card", k.manufacture_no, madoguchi::protocol::OpKind::upsert, c::dump_body(c::card_to_json(k))});
  }
  REQUIRE(w.engine->write_local_batch("131016", cards).ok());
}

// The receipt of the live booking naming person i's card.
std::string receipt_of(World& w, int i) {
  c::BookingQuery q;
  q.manufacture_no = manufacture_no(i);
  return w.service->search(q, 0, 10).value().at(0).receipt;
}

c::Card hub_card(World& w, int i) {
  auto rec = w.store().get("card", manufacture_no(i));
  REQUIRE(rec.ok());
  REQUIRE(rec->has_value());
  return c::card_from_json(c::parse_body((*rec)->body).value()).value();
}

std::uint64_t card_version(World& w, int i) { return w.store().get("card", manufacture_no(i)).value()->version; }

const c::BookingActor kResident{};
const c::BookingActor kClerk{c::BookingActor::Kind::staff, "clerk1", false};

}  // namespace

TEST_CASE("Receipt numbers follow the rule with a per-day sequence, and the password is shown once and verifies (RSV-10)",
          "[hub][booking][service]") {
  World w;
  seed(w.store(), 5);
  auto a = w.service->create(request(kSlot, 1, 1), kResident);
  REQUIRE(a.ok());
  auto b = w.service->create(request(kSlot, 2, 2), kResident);
  REQUIRE(b.ok());
  CHECK(a->booking.receipt == "20261120-0001");
  CHECK(b->booking.receipt == "20261120-0002");
  w.clock.advance(std::chrono::hours(24));  // the next day starts again at 1
  auto d = w.service->create(request(kOtherSlot, 1, 5), kClerk);
  REQUIRE(d.ok());
  CHECK(d->booking.receipt == "20261121-0001");
  CHECK(d->booking.channel == c::BookingChannel::phone);
  CHECK(d->booking.staff == "clerk1");

  // The password in clear only in the answer; the stored record has its hash, which verifies.
  auto stored = w.service->get(a->booking.receipt);
  REQUIRE(stored.ok());
  REQUIRE(stored->has_value());
  CHECK((*stored)->password_hash.find(a->password) == std::string::npos);
  CHECK(c::verify_booking_password(**stored, a->password));
  CHECK_FALSE(c::verify_booking_password(**stored, b->password));
  CHECK(a->password.size() == c::kBookingPasswordChars);
  CHECK(w.notified == std::vector<std::string>{"20261120-0001 made with password", "20261120-0002 made with password",
                                               "20261121-0001 made with password"});
  // On the feed at once (a counter PC learns the booking).
  auto feed = w.store().feed_after(0, 1000);
  REQUIRE(feed.ok());
  CHECK(std::count_if(feed->begin(), feed->end(), [](const auto& r) { return r.entity == "booking"; }) == 3);
  // Availability counts the places.
  auto slots = w.service->availability("1", {2026, 11, 30}, {2026, 11, 30}, c::Business::collection, 1, kResident);
  REQUIRE(slots.ok());
  REQUIRE(slots->size() == 2);
  CHECK(slots->at(0).slot.start == at("2026-11-30T09:00"));
  CHECK(slots->at(0).booked == 3);
  CHECK(slots->at(0).bookable);
  CHECK(slots->at(1).booked == 1);
  auto wide = w.service->availability("1", {2026, 11, 1}, {2027, 1, 31}, c::Business::collection, 1, kResident);
  CHECK(wide.error().code == Errc::invalid_argument);
}

TEST_CASE("Pages follow changed settings, counters and slots: decoded records are reused only for the same body (RSV-8, MST-3, MST-6)",
          "[hub][booking][service]") {
  World w;
  seed(w.store(), 3);
  auto put = [&](const std::string& entity, const std::string& key, const nlohmann::json& j) {
    REQUIRE(w.engine->write_local_batch("131016", {{entity, key, madoguchi::protocol::OpKind::upsert, c::dump_body(j)}}).ok());
  };
  auto week = [&] {
    auto a = w.service->availability("1", {2026, 11, 30}, {2026, 11, 30}, c::Business::collection, 1, kResident);
    REQUIRE(a.ok());
    return std::move(*a);
  };
  // Read (and decoded) once, then read again unchanged: the same answers.
  for (int i = 0; i < 2; ++i) {
    auto a = week();
    REQUIRE(a.size() == 2);
    CHECK(a[0].slot.capacity == 3);
    CHECK(a[0].bookable);
    CHECK(a[1].bookable);
    CHECK(w.service->counters(c::Business::collection, kResident).value().size() == 1);
    CHECK(w.service->settings().value().booking_days_ahead == 60);
  }
  // A slot's capacity changed and the other slot closed.
  auto more = slot(kSlot, 5);
  put("slot", kSlot, c::slot_to_json(more));
  auto closed = slot(kOtherSlot, 3);
  closed.open = false;
  put("slot", kOtherSlot, c::slot_to_json(closed));
  auto a = week();
  REQUIRE(a.size() == 2);
  CHECK(a[0].slot.capacity == 5);
  CHECK(a[0].bookable);
  CHECK_FALSE(a[1].slot.open);
  CHECK_FALSE(a[1].bookable);
  // Settings: the window shrinks to 5 days (the slot is 10 days ahead).
  c::Settings conf;
  conf.booking_days_ahead = 5;
  put(std::string(c::kSettingsEntity), std::string(c::kSettingsKey), c::settings_to_json(conf));
  CHECK(w.service->settings().value().booking_days_ahead == 5);
  CHECK_FALSE(week()[0].bookable);
  // The counter hidden from the site (MST-6), then shown again with its first body.
  auto hidden = counter();
  hidden.visible_on_site = false;
  put("counter", "1", c::counter_to_json(hidden));
  CHECK(w.service->counters(c::Business::collection, kResident).value().empty());
  CHECK(w.service->counters(c::Business::collection, kClerk).value().size() == 1);
  put("counter", "1", c::counter_to_json(counter()));
  CHECK(w.service->counters(c::Business::collection, kResident).value().size() == 1);
  // A removed slot is gone from the page.
  REQUIRE(w.engine->write_local_batch("131016", {{"slot", kOtherSlot, madoguchi::protocol::OpKind::remove, ""}}).ok());
  CHECK(week().size() == 1);
}

TEST_CASE("Answers kept for residents follow another connection's writes and the passing minute (issue 11, RSV-8)",
          "[hub][booking][service]") {
  World w;
  seed(w.store(), 3);
  auto week = [&] {
    auto a = w.service->availability("1", {2026, 11, 30}, {2026, 11, 30}, c::Business::collection, 1, kResident);
    REQUIRE(a.ok());
    return std::move(*a);
  };
  REQUIRE(week().at(0).slot.capacity == 3);
  REQUIRE(week().at(0).bookable);
  REQUIRE(w.service->counters(c::Business::collection, kResident).value().size() == 1);
  // Another handle on the same database file (another process, or a repair tool) changes a
  // slot and hides the counter: the next answers show both.
  auto other = madoguchi::hub::HubStore::open(w.dir / "hub" / "131016.db", "131016");
  REQUIRE(other.ok());
  REQUIRE(other->write_local("slot", kSlot, madoguchi::protocol::OpKind::upsert, c::dump_body(c::slot_to_json(slot(kSlot, 7))),
                             w.store().get("slot", kSlot).value()->version, kNowMs)
              .ok());
  auto hidden = counter();
  hidden.visible_on_site = false;
  REQUIRE(other->write_local("counter", "1", madoguchi::protocol::OpKind::upsert, c::dump_body(c::counter_to_json(hidden)),
                             w.store().get("counter", "1").value()->version, kNowMs)
              .ok());
  CHECK(week().at(0).slot.capacity == 7);
  CHECK(w.service->counters(c::Business::collection, kResident).value().empty());
  CHECK_FALSE(week().at(0).bookable);  // a hidden counter takes no resident's booking
  REQUIRE(other->write_local("counter", "1", madoguchi::protocol::OpKind::upsert, c::dump_body(c::counter_to_json(counter())),
                             w.store().get("counter", "1").value()->version, kNowMs)
              .ok());
  CHECK(w.service->counters(c::Business::collection, kResident).value().size() == 1);
  // The deadline (11-27 17:00) passes with nothing written: the answer of the minute before is
  // not reused.
  w.clock.advance(std::chrono::hours(7 * 24 + 7) - std::chrono::minutes(1));  // 11-27 16:59
  CHECK(week().at(0).bookable);
  w.clock.advance(std::chrono::minutes(2));  // 17:01
  CHECK_FALSE(week().at(0).bookable);
  CHECK(w.store().statement_reprepares() == 0);
}

TEST_CASE("A booking refused for capacity or permission stores nothing and mails nothing", "[hub][booking][service]") {
  World w;
  seed(w.store(), 1);
  REQUIRE(w.service->create(request(kSlot, 1, 1), kResident).ok());
  auto full = w.service->create(request(kSlot, 1, 2), kResident);
  REQUIRE_FALSE(full.ok());
  CHECK(full.error().code == Errc::capacity);
  auto staff_full = w.service->create(request(kSlot, 1, 3), kClerk);
  CHECK(staff_full.error().code == Errc::capacity);
  auto over = request(kSlot, 1, 4);
  over.override_flags.capacity = true;
  CHECK(w.service->create(over, kClerk).error().code == Errc::forbidden);  // clerk1's role lacks PHN-5
  auto chief = w.service->create(over, c::BookingActor{c::BookingActor::Kind::staff, "chief1", true});
  REQUIRE(chief.ok());
  CHECK(chief->booking.override_flags.capacity);
  auto all = w.service->search(c::BookingQuery{}, 0, 100);
  REQUIRE(all.ok());
  CHECK(all->size() == 2);
  CHECK(w.notified.size() == 2);
  CHECK(w.store().slot_places(kSlot).value() == 2);
}

TEST_CASE("The card check by postcard number and birthday is one index lookup over many cards (RSV-5)",
          "[hub][booking][service][card]") {
  World w;
  std::vector<madoguchi::hub::LocalWrite> cards;
  constexpr int kCards = 20000;
  for (int i = 0; i < kCards; ++i) {
    std::string digits = std::to_string(100000 + i);
    auto k = card(i, "ABC" + digits, i == 4321 ? "1980-04-01" : "1990-01-15");
    cards.push_back({"card", k.manufacture_no, madoguchi::protocol::OpKind::upsert, c::dump_body(c::card_to_json(k))});
  }
  REQUIRE(w.engine->write_local_batch("131016", cards).ok());
  auto found = w.service->card_by_postcard("ａｂｃ-１０４３２１", 4, 1);  // typed in full width with a hyphen
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((*found)->manufacture_no == manufacture_no(4321));
  CHECK_FALSE(w.service->card_by_postcard("ABC104321", 4, 2).value().has_value());  // wrong birthday
  CHECK_FALSE(w.service->card_by_postcard("ABC999999", 1, 15).value().has_value());  // no such card
  CHECK_FALSE(w.service->card_by_postcard("not a number", 1, 15).value().has_value());
  CHECK(w.service->card(manufacture_no(7)).value().has_value());

  // The query plan searches the expression index (not a scan of every record).
  auto db = madoguchi::sqlite::Db::open(w.dir / "hub" / "131016.db");
  REQUIRE(db.ok());
  auto plan = db->prepare(
      "EXPLAIN QUERY PLAN SELECT entity, key, body, deleted, version, origin_device, origin_seq FROM records "
      "WHERE entity = 'card' AND deleted = 0 "
      "AND (CASE WHEN json_valid(body) THEN json_extract(body, '$.postcard_no') END) = ?1 ORDER BY key LIMIT ?2");
  REQUIRE(plan.ok());
  plan->bind(1, "ABC104321").bind(2, 16);
  std::string detail;
  while (plan->step().value()) detail += plan->column_text(3) + "\n";
  INFO(detail);
  CHECK(detail.find("records_card_postcard") != std::string::npos);
}

TEST_CASE("Change and cancel keep the history and the slot's count (RSV-12, PHN-6)", "[hub][booking][service]") {
  World w;
  seed(w.store(), 2);
  auto made = w.service->create(request(kSlot, 2, 1), kResident);
  REQUIRE(made.ok());
  const std::string receipt = made->booking.receipt;
  c::BookingUpdate move;
  move.slot = kOtherSlot;
  move.note = "本人から電話で変更";
  auto moved = w.service->update(receipt, move, kClerk);
  INFO((moved.ok() ? std::string() : moved.error().message));
  REQUIRE(moved.ok());
  CHECK(moved->slot == kOtherSlot);
  REQUIRE(moved->history.size() == 2);
  CHECK(moved->history[1].action == "changed");
  CHECK(moved->history[1].by == "staff:clerk1");
  CHECK(moved->history[1].slot == kOtherSlot);
  CHECK(w.store().slot_places(kSlot).value() == 0);
  CHECK(w.store().slot_places(kOtherSlot).value() == 2);

  // Moving into a full slot is refused with capacity and changes nothing.
  REQUIRE(w.service->create(request(kSlot, 2, 10), kResident).ok());
  c::BookingUpdate back;
  back.slot = kSlot;
  auto refused = w.service->update(receipt, back, kClerk);
  CHECK(refused.error().code == Errc::capacity);
  CHECK(w.service->get(receipt).value()->slot == kOtherSlot);

  auto cancelled = w.service->cancel(receipt, "都合により", kResident);
  REQUIRE(cancelled.ok());
  CHECK(cancelled->cancelled);
  CHECK(cancelled->history.back().action == "cancelled");
  CHECK(cancelled->history.back().by == "web");
  CHECK(cancelled->history.back().note == "都合により");
  CHECK(w.store().slot_places(kOtherSlot).value() == 0);
  CHECK(w.service->cancel(receipt, "", kResident).error().code == Errc::forbidden);  // already cancelled
  CHECK(w.service->update(receipt, move, kClerk).error().code == Errc::forbidden);
  CHECK(w.service->update("NO-SUCH", move, kClerk).error().code == Errc::not_found);

  // Search: live only by default, with cancelled on request; by a person's card.
  c::BookingQuery q;
  CHECK(w.service->search(q, 0, 10).value().size() == 1);
  q.include_cancelled = true;
  CHECK(w.service->search(q, 0, 10).value().size() == 2);
  q.manufacture_no = manufacture_no(1);
  auto by_card = w.service->search(q, 0, 10);
  REQUIRE(by_card.value().size() == 1);
  CHECK(by_card->front().receipt == receipt);
  REQUIRE(w.notified.size() == 4);
  CHECK(w.notified[1] == receipt + " changed");
  CHECK(w.notified[3] == receipt + " cancelled");
}

TEST_CASE("Reminders are due within reminder_days_before of the visit, once (RSV-13)", "[hub][booking][service]") {
  World w;
  seed(w.store(), 5);
  auto made = w.service->create(request(kSlot, 1, 1), kResident);
  REQUIRE(made.ok());
  CHECK(w.service->reminders_due(10).value().empty());  // ten days ahead, one day before is due
  w.clock.advance(std::chrono::hours(24 * 9));           // 2026-11-29 10:00
  auto due = w.service->reminders_due(10);
  REQUIRE(due.ok());
  REQUIRE(due->size() == 1);
  CHECK(due->front().receipt == made->booking.receipt);
  REQUIRE(w.service->mark_reminded(made->booking.receipt).ok());
  CHECK(w.service->reminders_due(10).value().empty());
  auto b = w.service->get(made->booking.receipt).value();
  CHECK(b->reminded_ms == w.clock.wall_ms());
  CHECK(b->history.back().action == "reminded");
}

TEST_CASE("A collection booking's cards follow it: made, moved, a hand change kept, cancelled (ISS-10, RSV-5, RSV-12, PHN-6)",
          "[hub][booking][service][card]") {
  World w;
  seed(w.store(), 3);
  put_cards(w, 1, 2);  // person 3 has no card at the hub yet (not imported)
  std::vector<std::string> logged;
  // The service's log sink (counts only): rebuilt with a log to see the skipped card reported.
  madoguchi::hub::BookingServiceOptions o;
  o.fast_hashing_for_tests = true;
  o.log = [&](madoguchi::LogLevel, std::string_view line) { logged.emplace_back(line); };
  HubBookingService service(*w.engine, "131016", w.clock, o);

  // Made on the citizen site: both cards booked, in the same transaction as the booking (the
  // booking and the cards are the consecutive feed entries of one write).
  const auto head = w.store().feed_bounds().value().head;
  auto made = service.create(request(kSlot, 3, 1), kResident);
  REQUIRE(made.ok());
  const std::string receipt = made->booking.receipt;
  auto feed = w.store().feed_after(head, 100).value();
  REQUIRE(feed.size() == 3);  // booking + 2 cards; the missing card is skipped
  CHECK(feed[0].entity == "booking");
  CHECK(feed[1].entity == "card");
  CHECK(feed[2].entity == "card");
  for (int i : {1, 2}) {
    auto k = hub_card(w, i);
    REQUIRE(k.booking);
    CHECK(k.booking->at == "2026-11-30T09:00");
    CHECK(k.booking->counter == "1");
    REQUIRE(k.booking_history.size() == 1);
    CHECK(k.booking_history[0].at.empty());
    CHECK(k.booking_history[0].staff == "web");
    CHECK(k.booking_history[0].note == receipt);
  }
  CHECK(service.cards_skipped() == 1);
  REQUIRE(logged.size() == 1);
  CHECK(logged[0].find(receipt) != std::string::npos);
  CHECK(logged[0].find("1 card") != std::string::npos);
  CHECK(logged[0].find(manufacture_no(3)) == std::string::npos);  // never a card number

  // A change of e-mail touches no card.
  const auto v1 = card_version(w, 1);
  c::BookingUpdate mail;
  mail.email = "other@example.jp";
  REQUIRE(service.update(receipt, mail, kResident).ok());
  CHECK(card_version(w, 1) == v1);

  // Moved by staff: the cards follow, the history names the staff member and the receipt.
  c::BookingUpdate move;
  move.slot = kOtherSlot;
  REQUIRE(service.update(receipt, move, kClerk).ok());
  for (int i : {1, 2}) {
    auto k = hub_card(w, i);
    REQUIRE(k.booking);
    CHECK(k.booking->at == "2026-11-30T09:30");
    REQUIRE(k.booking_history.size() == 2);
    CHECK(k.booking_history[1].at == "2026-11-30T09:00");
    CHECK(k.booking_history[1].staff == "clerk1");
    CHECK(k.booking_history[1].note == receipt);
  }

  // Staff book card 2 for another day by hand in 交付管理 (the booking record does not change).
  auto by_hand = hub_card(w, 2);
  REQUIRE(c::change_booking(by_hand, c::CardBooking{"2026-12-03T14:00", "1"}, "tanaka01", "電話で変更", kNowMs).value());
  REQUIRE(w.engine->write_local("131016", "card", by_hand.manufacture_no, madoguchi::protocol::OpKind::upsert,
                                c::dump_body(c::card_to_json(by_hand)), card_version(w, 2))
              .ok());
  CHECK(service.get(receipt).value()->slot == kOtherSlot);

  // Cancelled: card 1 (still pointing to this booking's slot) is cleared; card 2's newer booking stays.
  REQUIRE(service.cancel(receipt, "", kResident).ok());
  auto k1 = hub_card(w, 1);
  CHECK_FALSE(k1.booking);
  CHECK(k1.booking_history.back().at == "2026-11-30T09:30");
  CHECK(k1.booking_history.back().staff == "web");
  auto k2 = hub_card(w, 2);
  REQUIRE(k2.booking);
  CHECK(k2.booking->at == "2026-12-03T14:00");
}

TEST_CASE("A refused booking or move changes no card, and a card write refused rolls the booking back (ISS-10, EDGE-5)",
          "[hub][booking][service][card]") {
  // The policy refuses writes of card 9 only: a booking naming it cannot be stored without it.
  World w([](std::string_view, std::string_view entity, std::string_view key, bool, std::string_view,
             const std::optional<madoguchi::protocol::Record>& current) -> madoguchi::Status {
    if (entity == "card" && key == manufacture_no(9) && current) return madoguchi::make_error(Errc::forbidden, "test");
    return {};
  });
  seed(w.store(), 2);
  put_cards(w, 1, 9);
  REQUIRE(w.service->create(request(kSlot, 2, 1), kResident).ok());
  const auto v3 = card_version(w, 3);

  // Full slot: refused with capacity, card 3 unchanged.
  auto full = w.service->create(request(kSlot, 1, 3), kResident);
  REQUIRE_FALSE(full.ok());
  CHECK(full.error().code == Errc::capacity);
  CHECK(card_version(w, 3) == v3);
  CHECK_FALSE(hub_card(w, 3).booking);

  // A move into a full slot: refused, the cards stay where they were.
  auto other = w.service->create(request(kOtherSlot, 1, 3), kClerk);
  REQUIRE(other.ok());
  REQUIRE(w.service->create(request(kOtherSlot, 1, 4), kClerk).ok());
  c::BookingUpdate move;
  move.slot = kOtherSlot;
  CHECK(w.service->update(receipt_of(w, 1), move, kClerk).error().code == Errc::capacity);
  CHECK(hub_card(w, 1).booking->at == "2026-11-30T09:00");

  // One transaction: card 9's write is refused, so a booking naming cards 8 and 9 is not stored
  // and card 8 is not changed either.
  REQUIRE(w.service->cancel(other->booking.receipt, "", kClerk).ok());
  CHECK_FALSE(hub_card(w, 3).booking);
  REQUIRE(w.service->cancel(receipt_of(w, 4), "", kClerk).ok());
  const auto v8 = card_version(w, 8);
  const auto head = w.store().feed_bounds().value().head;
  auto refused = w.service->create(request(kOtherSlot, 2, 8), kClerk);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == Errc::forbidden);
  CHECK(w.store().slot_places(kOtherSlot).value() == 0);
  CHECK(w.store().feed_after(head, 10).value().empty());
  CHECK(card_version(w, 8) == v8);
}
