#include "madoguchi/console/web/rate_limit.h"

#include <chrono>
#include <string>

#include <catch2/catch.hpp>

#include "madoguchi/transport.h"

namespace web = madoguchi::console::web;
using madoguchi::ManualClock;
using namespace std::chrono_literals;

TEST_CASE("A bucket allows its burst, then refuses until it refills") {
  ManualClock clock;
  web::RateLimiter limiter({.burst = 3, .refill_per_second = 0.5, .max_keys = 16});
  CHECK(limiter.allow("10.0.0.1", clock.now()));
  CHECK(limiter.allow("10.0.0.1", clock.now()));
  CHECK(limiter.allow("10.0.0.1", clock.now()));
  CHECK_FALSE(limiter.allow("10.0.0.1", clock.now()));

  clock.advance(1999ms);  // just under one token
  CHECK_FALSE(limiter.allow("10.0.0.1", clock.now()));
  clock.advance(1ms);  // 2 s at 0.5/s: one token (the refused attempt above cost nothing)
  CHECK(limiter.allow("10.0.0.1", clock.now()));
  CHECK_FALSE(limiter.allow("10.0.0.1", clock.now()));
}

TEST_CASE("A bucket never refills beyond its burst") {
  ManualClock clock;
  web::RateLimiter limiter({.burst = 2, .refill_per_second = 1, .max_keys = 16});
  CHECK(limiter.allow("k", clock.now()));
  clock.advance(1h);
  CHECK(limiter.allow("k", clock.now()));
  CHECK(limiter.allow("k", clock.now()));
  CHECK_FALSE(limiter.allow("k", clock.now()));
}

TEST_CASE("Keys have buckets of their own") {
  ManualClock clock;
  web::RateLimiter limiter({.burst = 1, .refill_per_second = 0.1, .max_keys = 16});
  CHECK(limiter.allow("id:yamada", clock.now()));
  CHECK_FALSE(limiter.allow("id:yamada", clock.now()));
  CHECK(limiter.allow("id:suzuki", clock.now()));
  CHECK(limiter.allow("addr:10.0.0.1", clock.now()));
}

TEST_CASE("Memory stays bounded: a new key evicts the least recently used one") {
  ManualClock clock;
  web::RateLimiter limiter({.burst = 1, .refill_per_second = 0.001, .max_keys = 3});
  CHECK(limiter.allow("a", clock.now()));
  CHECK(limiter.allow("b", clock.now()));
  CHECK(limiter.allow("c", clock.now()));
  CHECK_FALSE(limiter.allow("a", clock.now()));  // "a" is now the most recently used
  CHECK(limiter.allow("d", clock.now()));        // evicts "b"
  CHECK(limiter.size() == 3);
  CHECK_FALSE(limiter.allow("a", clock.now()));  // still remembered
  CHECK_FALSE(limiter.allow("c", clock.now()));
  CHECK(limiter.allow("b", clock.now()));  // forgotten, so a full bucket again (evicts "d")
  for (int i = 0; i < 1000; ++i) (void)limiter.allow("spray-" + std::to_string(i), clock.now());
  CHECK(limiter.size() == 3);
}
