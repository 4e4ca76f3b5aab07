#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "madoguchi/domain/lockout.h"
#include "madoguchi/transport.h"

namespace c = madoguchi::domain;
using madoguchi::Errc;
using madoguchi::ManualClock;
using namespace std::chrono_literals;

namespace {
c::SignInLimits limits(int per_id, int per_client, std::chrono::minutes lockout, std::size_t max_tracked = 1000) {
  c::SignInLimits l;
  l.per_id_threshold = per_id;
  l.per_client_threshold = per_client;
  l.lockout = lockout;
  l.max_tracked = max_tracked;
  return l;
}
}  // namespace

TEST_CASE("An ID is locked after the threshold of failures and unlocked after lockout_minutes (ACC-4)",
          "[console][lockout]") {
  ManualClock clock;
  c::SignInGuard guard(limits(5, 100, 15min));
  for (int i = 0; i < 4; ++i) {
    CHECK(guard.check("tanaka01", "10.0.0.1", clock.now()).ok());
    CHECK_FALSE(guard.record_failure("tanaka01", "10.0.0.1", clock.now()));
    clock.advance(10s);
  }
  CHECK(guard.record_failure("tanaka01", "10.0.0.1", clock.now()));  // the 5th starts the lock
  auto st = guard.check("tanaka01", "10.0.0.1", clock.now());
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == Errc::forbidden);
  // Locked from any client, and only this ID.
  CHECK_FALSE(guard.check("tanaka01", "10.0.0.2", clock.now()).ok());
  CHECK(guard.check("suzuki02", "10.0.0.1", clock.now()).ok());
  REQUIRE(guard.locked_until("tanaka01", "10.0.0.2", clock.now()).has_value());
  CHECK(*guard.locked_until("tanaka01", "10.0.0.2", clock.now()) == clock.now() + 15min);

  clock.advance(15min - 1ms);
  CHECK_FALSE(guard.check("tanaka01", "10.0.0.1", clock.now()).ok());
  clock.advance(1ms);
  CHECK(guard.check("tanaka01", "10.0.0.1", clock.now()).ok());
  CHECK_FALSE(guard.locked_until("tanaka01", "10.0.0.1", clock.now()).has_value());
  // After the lock the count starts again from zero.
  CHECK_FALSE(guard.record_failure("tanaka01", "10.0.0.1", clock.now()));
  CHECK(guard.check("tanaka01", "10.0.0.1", clock.now()).ok());
}

TEST_CASE("A successful sign-in forgets the ID's failures", "[console][lockout]") {
  ManualClock clock;
  c::SignInGuard guard(limits(3, 100, 15min));
  guard.record_failure("tanaka01", "10.0.0.1", clock.now());
  guard.record_failure("tanaka01", "10.0.0.1", clock.now());
  guard.record_success("tanaka01", "10.0.0.1");
  guard.record_failure("tanaka01", "10.0.0.1", clock.now());
  guard.record_failure("tanaka01", "10.0.0.1", clock.now());
  CHECK(guard.check("tanaka01", "10.0.0.1", clock.now()).ok());
  guard.record_failure("tanaka01", "10.0.0.1", clock.now());
  CHECK_FALSE(guard.check("tanaka01", "10.0.0.1", clock.now()).ok());
}

TEST_CASE("Failures older than the lockout period no longer count", "[console][lockout]") {
  ManualClock clock;
  c::SignInGuard guard(limits(3, 100, 15min));
  guard.record_failure("tanaka01", "10.0.0.1", clock.now());
  guard.record_failure("tanaka01", "10.0.0.1", clock.now());
  clock.advance(15min);
  CHECK_FALSE(guard.record_failure("tanaka01", "10.0.0.1", clock.now()));
  CHECK(guard.check("tanaka01", "10.0.0.1", clock.now()).ok());
}

TEST_CASE("A client failing on many IDs is slowed down, never locked: the office behind one NAT signs in on "
          "(issue 11)",
          "[console][lockout]") {
  ManualClock clock;
  c::SignInGuard guard(limits(5, 8, 15min));
  const std::string nat = "203.0.113.9";
  for (int i = 0; i < 7; ++i) CHECK_FALSE(guard.record_failure("user" + std::to_string(i), nat, clock.now()));
  CHECK(guard.check("anyone", nat, clock.now()).ok());
  // The 8th failure: the address waits 1 s, then 2 s, 4 s, ... at most 30 s between attempts.
  CHECK_FALSE(guard.record_failure("user7", nat, clock.now()));
  auto slowed = guard.check("anyone", nat, clock.now());
  REQUIRE_FALSE(slowed.ok());
  CHECK(slowed.error().code == Errc::unavailable);
  CHECK(slowed.error().message == c::kSignInSlowedMessage);
  clock.advance(1s);
  CHECK(guard.check("anyone", nat, clock.now()).ok());
  for (int i = 0; i < 20; ++i) {
    guard.record_failure("spray" + std::to_string(i), nat, clock.now());
    clock.advance(30s);
    // However long the guessing goes on, a colleague at the same address gets in within 30 s.
    REQUIRE(guard.check("colleague", nat, clock.now()).ok());
  }
  guard.record_failure("spray", nat, clock.now());
  clock.advance(29s);
  CHECK_FALSE(guard.check("colleague", nat, clock.now()).ok());
  // The IDs themselves are not locked, and other addresses are not slowed.
  CHECK(guard.check("user0", "10.0.0.1", clock.now()).ok());
  CHECK_FALSE(guard.locked_until("user0", nat, clock.now()).has_value());
  // After the failures are forgotten, the address starts again at full speed.
  clock.advance(15min);
  CHECK(guard.check("anyone", nat, clock.now()).ok());
  CHECK_FALSE(guard.record_failure("x", nat, clock.now()));
  CHECK(guard.check("anyone", nat, clock.now()).ok());
}

TEST_CASE("Every refusal carries the same generic message naming neither the ID nor the client (SEC-3)",
          "[console][lockout]") {
  ManualClock clock;
  c::SignInGuard guard(limits(1, 1, 15min));
  guard.record_failure("tanaka01", "10.0.0.1", clock.now());
  auto by_id = guard.check("tanaka01", "10.0.0.2", clock.now());
  auto by_client = guard.check("someone", "10.0.0.1", clock.now());
  REQUIRE_FALSE(by_id.ok());
  REQUIRE_FALSE(by_client.ok());
  CHECK(by_id.error().message == c::kSignInRefusedMessage);
  CHECK(by_client.error().message == c::kSignInSlowedMessage);
  CHECK(by_client.error().message.find("someone") == std::string::npos);
  CHECK(by_id.error().message.find("tanaka01") == std::string::npos);
  CHECK(by_id.error().message.find("10.0.0") == std::string::npos);
}

TEST_CASE("Memory stays bounded: the oldest unlocked entries are evicted first and a lock survives a flood",
          "[console][lockout]") {
  ManualClock clock;
  c::SignInGuard guard(limits(2, 1000, 15min, /*max_tracked=*/10));
  guard.record_failure("victim", "10.0.0.1", clock.now());
  guard.record_failure("victim", "10.0.0.1", clock.now());
  REQUIRE_FALSE(guard.check("victim", "10.0.0.9", clock.now()).ok());
  for (int i = 0; i < 500; ++i) {
    clock.advance(1ms);
    guard.record_failure("flood" + std::to_string(i), "198.51.100." + std::to_string(i % 250), clock.now());
    CHECK(guard.tracked() <= 10);
  }
  CHECK_FALSE(guard.check("victim", "10.0.0.9", clock.now()).ok());
  // Long keys share the count of their first 128 bytes instead of growing memory.
  const std::string long_id(10'000, 'x');
  guard.record_failure(long_id, "10.0.0.2", clock.now());
  guard.record_failure(long_id + "y", "10.0.0.3", clock.now());
  CHECK_FALSE(guard.check(long_id + "z", "10.0.0.4", clock.now()).ok());
}

TEST_CASE("Sign-in limits follow the password rules' lockout settings", "[console][lockout]") {
  c::PasswordRules rules;
  rules.lockout_threshold = 3;
  rules.lockout_minutes = 30;
  auto l = c::sign_in_limits(rules);
  CHECK(l.per_id_threshold == 3);
  CHECK(l.per_client_threshold == 12);
  CHECK(l.lockout == 30min);
}
