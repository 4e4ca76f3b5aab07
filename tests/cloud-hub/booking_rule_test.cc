// The booking rule in the hub's writing transaction (EDGE-5, PHN-5): HubStore's constraint and
// the derived booking_load table, through write_local and device batches, and under concurrent
// writers, each with its own HubStore handle on one database file (like several hub instances).
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <thread>

#include "booking_fixture.h"
#include "madoguchi/hub/booking_service.h"
#include "temp_dir.h"

using madoguchi::Errc;
using madoguchi::hub::HubStore;
using madoguchi::protocol::Op;
using madoguchi::protocol::OpBatch;
using madoguchi::protocol::OpKind;
using madoguchi::testing::TempDir;
using namespace madoguchi::testing::booking;

namespace {
HubStore open_store(const TempDir& dir) {
  auto s = HubStore::open(dir / "131016.db", "131016");
  REQUIRE(s.ok());
  REQUIRE(madoguchi::hub::install_booking_rule(*s).ok());
  return std::move(*s);
}
madoguchi::Expected<madoguchi::protocol::Record> put(HubStore& s, const madoguchi::domain::Booking& b,
                                                     std::uint64_t base = 0) {
  return s.write_local("booking", b.receipt, OpKind::upsert, body(b), base, kNowMs);
}
}  // namespace

TEST_CASE("The last place can be booked, the next booking is refused with capacity, a cancel frees a place (EDGE-5)",
          "[hub][booking][rule]") {
  TempDir dir;
  auto s = open_store(dir);
  seed(s, 3);
  REQUIRE(put(s, booking("R1", kSlot, 2, 1)).ok());
  REQUIRE(put(s, booking("R2", kSlot, 1, 3)).ok());  // the last place
  CHECK(s.slot_places(kSlot).value() == 3);
  auto full = put(s, booking("R3", kSlot, 1, 4));
  REQUIRE_FALSE(full.ok());
  CHECK(full.error().code == Errc::capacity);
  CHECK_FALSE(s.get("booking", "R3").value().has_value());  // nothing stored
  // More people in the same booking is more places: refused as well.
  auto grow = booking("R2", kSlot, 2, 3);
  CHECK(put(s, grow, s.get("booking", "R2").value()->version).error().code == Errc::capacity);

  // A cancellation takes no new place and frees one.
  auto r1 = booking("R1", kSlot, 2, 1);
  r1.cancelled = true;
  REQUIRE(put(s, r1, s.get("booking", "R1").value()->version).ok());
  CHECK(s.slot_places(kSlot).value() == 1);
  REQUIRE(put(s, booking("R3", kSlot, 1, 4)).ok());
  CHECK(s.slot_places(kSlot).value() == 2);
  // A removal frees its places too.
  REQUIRE(s.write_local("booking", "R3", OpKind::remove, "", s.get("booking", "R3").value()->version, kNowMs).ok());
  CHECK(s.slot_places(kSlot).value() == 1);

  // A slot that does not exist: not_found; a booking that does not decode: refused, nothing stored.
  CHECK(put(s, booking("R4", "1:2026-11-30T11:00", 1, 9)).error().code == Errc::not_found);
  CHECK_FALSE(s.write_local("booking", "R5", OpKind::upsert, R"({"receipt":"R5"})", 0, kNowMs).ok());
  CHECK(s.slot_places(kSlot).value() == 1);
}

TEST_CASE("Overbooking needs the staff member's PHN-5 permission, read from staff and role records", "[hub][booking][rule]") {
  TempDir dir;
  auto s = open_store(dir);
  seed(s, 1);
  REQUIRE(put(s, booking("R1", kSlot, 1, 1)).ok());
  const madoguchi::domain::BookingOverride over{false, true};
  // A clerk without the permission: the flag alone is forbidden.
  CHECK(put(s, booking("P1", kSlot, 1, 2, "clerk1", over)).error().code == Errc::forbidden);
  // Without the flag the slot is just full.
  CHECK(put(s, booking("P1", kSlot, 1, 2, "clerk1")).error().code == Errc::capacity);
  // The chief holds booking_override: beyond capacity with the flag.
  REQUIRE(put(s, booking("P2", kSlot, 1, 3, "chief1", over)).ok());
  CHECK(s.slot_places(kSlot).value() == 2);
  // A device's operation is judged the same way, and rejected with the code.
  OpBatch batch{"131016", "counter-01",
                {Op{1, "x:1", "booking", "P3", OpKind::upsert, 0, body(booking("P3", kSlot, 1, 4, "clerk1", over)), 0},
                 Op{2, "x:2", "booking", "P4", OpKind::upsert, 0, body(booking("P4", kSlot, 1, 5, "chief1", over)), 0}}};
  auto out = s.apply_batch(batch, kNowMs);
  REQUIRE(out.ok());
  CHECK(out->applied == 1);
  REQUIRE(out->rejected.size() == 1);
  CHECK(out->rejected[0].seq == 1);
  CHECK(out->rejected[0].code == Errc::forbidden);
  // The role loses the permission: the chief is refused from now on (read in the transaction).
  REQUIRE(s.write_local("role", "chief", OpKind::upsert,
                        madoguchi::domain::dump_body(madoguchi::domain::role_to_json(
                            madoguchi::domain::Role{"chief", "係長", {madoguchi::domain::Menu::phone_bookings}})),
                        s.get("role", "chief").value()->version, kNowMs)
              .ok());
  CHECK(put(s, booking("P5", kSlot, 1, 6, "chief1", over)).error().code == Errc::forbidden);
  // A resident's booking never overrides.
  auto web = booking("W1", kSlot, 1, 7);
  web.override_flags.capacity = true;
  CHECK_FALSE(put(s, web).ok());
}

TEST_CASE("booking_load is rebuilt from the records when the rule is installed", "[hub][booking][rule]") {
  TempDir dir;
  {
    auto s = HubStore::open(dir / "131016.db", "131016");
    REQUIRE(s.ok());
    seed(*s, 2);
    REQUIRE(put(*s, booking("R1", kSlot, 2, 1)).ok());  // written without the rule
    CHECK(s->slot_places(kSlot).value() == 0);
  }
  auto s = open_store(dir);
  CHECK(s.slot_places(kSlot).value() == 2);
  CHECK(put(s, booking("R2", kSlot, 1, 3)).error().code == Errc::capacity);
}

// CONCURRENCY: writers in threads, each with its own handle (its own SQLite connection) on one
// file, fire at the last free places of one slot. BEGIN IMMEDIATE serialises them across
// connections (and processes), so the count read by the rule is the count committed with.
TEST_CASE("Concurrent writers through separate handles never overbook a slot", "[hub][booking][rule][concurrency]") {
  TempDir dir;
  constexpr int kCapacity = 10;
  constexpr int kAlready = 6;  // places taken before the rush
  constexpr int kThreads = 6;
  constexpr int kPerThread = 8;
  {
    auto s = open_store(dir);
    seed(s, kCapacity);
    for (int i = 0; i < kAlready; ++i) REQUIRE(put(s, booking("PRE" + std::to_string(i), kSlot, 1, 900 + i)).ok());
  }
  const bool with_overrides = GENERATE(false, true);
  std::atomic<int> accepted{0}, capacity{0}, forbidden{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto s = HubStore::open(dir / "131016.db", "131016");
      if (!s || !madoguchi::hub::install_booking_rule(*s)) {
        ++other;
        return;
      }
      for (int i = 0; i < kPerThread; ++i) {
        const int n = t * 100 + i;
        // Half of the overriding attempts are a clerk's without the permission.
        const bool override_try = with_overrides && i % 2 == 1;
        auto b = override_try ? booking("T" + std::to_string(n), kSlot, 1, n, "clerk1", {false, true})
                              : booking("T" + std::to_string(n), kSlot, 1, n);
        auto r = s->write_local("booking", b.receipt, OpKind::upsert, body(b), 0, kNowMs);
        if (r) {
          ++accepted;
        } else if (r.error().code == Errc::capacity) {
          ++capacity;
        } else if (r.error().code == Errc::forbidden) {
          ++forbidden;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(other == 0);
  CHECK(accepted == kCapacity - kAlready);
  CHECK(accepted + capacity + forbidden == kThreads * kPerThread);
  if (with_overrides) CHECK(forbidden == kThreads * kPerThread / 2);
  auto s = open_store(dir);  // rebuilt from the records: the derived count and the records agree
  CHECK(s.slot_places(kSlot).value() == kCapacity);
  auto recs = s.records_after("booking", "", 1000);
  REQUIRE(recs.ok());
  CHECK(std::count_if(recs->begin(), recs->end(), [](const auto& r) { return r.entity == "booking"; }) == kCapacity);
}
