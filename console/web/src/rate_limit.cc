#include "madoguchi/console/web/rate_limit.h"

#include <algorithm>
#include <cassert>
#include <cstdint>

namespace madoguchi::console::web {

RateLimiter::RateLimiter(RateLimitOptions options)
    : options_(options),
      interval_(std::chrono::round<std::chrono::nanoseconds>(
          std::chrono::duration<double>(1.0 / options.refill_per_second))),
      tolerance_(interval_ * static_cast<std::int64_t>(options.burst - 1)) {
  assert(options_.burst >= 1 && options_.refill_per_second > 0 && options_.max_keys >= 1);
  assert(interval_.count() > 0);
}

bool RateLimiter::allow(std::string_view key, TimePoint now) {
  Bucket* bucket = nullptr;
  if (const auto found = buckets_.find(key); found != buckets_.end()) {
    lru_.splice(lru_.begin(), lru_, found->second);  // iterators and the key's storage stay valid
    bucket = &*found->second;
  } else {
    if (buckets_.size() >= options_.max_keys) {
      buckets_.erase(lru_.back().key);  // before pop_back: the map's key views the list's string
      lru_.pop_back();
    }
    lru_.push_front(Bucket{std::string(key), now});  // empty_at <= now: a full bucket
    buckets_.emplace(lru_.front().key, lru_.begin());
    bucket = &lru_.front();
  }
  // Tokens left = burst - (empty_at - now) / interval, capped at burst (empty_at never lags now).
  const TimePoint empty_at = std::max(bucket->empty_at, now);
  if (empty_at - now > tolerance_) return false;  // fewer than one token
  bucket->empty_at = empty_at + interval_;
  return true;
}

}  // namespace madoguchi::console::web
