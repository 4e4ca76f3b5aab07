// Token-bucket rate limiting with bounded memory (SEC-3: denial of service, password guessing).
// Keep one limiter per purpose, keyed by client address or by staff id, e.g. sign-in attempts per
// address and per ID. Time is a parameter (take it from a Clock). Not thread-safe (see session.h).
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

namespace madoguchi::console::web {

// Every field has a safe default: bursts of 10, then one request every 5 s.
struct RateLimitOptions {
  std::size_t burst = 10;          // bucket capacity (tokens); must be >= 1
  double refill_per_second = 0.2;  // tokens added per second, up to burst; must be > 0
  std::size_t max_keys = 10'000;   // buckets kept; must be >= 1
};

class RateLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // Aborts (assert) on options outside the ranges above: that is a programming error.
  explicit RateLimiter(RateLimitOptions options = {});

  // Takes one token from key's bucket: true if there was one. A new key starts with a full bucket.
  // When max_keys buckets exist, a new key evicts the least recently used bucket. Evicting forgets
  // that key's debt; that is the price of bounded memory, and the bucket evicted is the one idle
  // longest, which is usually full again anyway (a bucket idle for burst / refill_per_second
  // seconds is indistinguishable from a new one).
  bool allow(std::string_view key, TimePoint now);

  std::size_t size() const { return buckets_.size(); }

 private:
  // The bucket is kept as the time at which it would hold no token any more, after the requests
  // allowed so far ("theoretical arrival time" of the generic cell rate algorithm). That is the
  // token bucket exactly, in integer time: no floating-point drift in refills.
  struct Bucket {
    std::string key;
    TimePoint empty_at;
  };
  RateLimitOptions options_;
  std::chrono::nanoseconds interval_;   // time to earn one token
  std::chrono::nanoseconds tolerance_;  // (burst - 1) * interval_
  std::list<Bucket> lru_;  // most recently used first
  std::unordered_map<std::string_view, std::list<Bucket>::iterator> buckets_;  // views into lru_
};

}  // namespace madoguchi::console::web
