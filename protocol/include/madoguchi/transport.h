// Narrow interfaces that business logic receives instead of sockets and clocks, so tests run it
// with fakes and simulated time. Declarations only: protocol/ still does no I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "madoguchi/error.h"

namespace madoguchi {

// Publishes messages at QoS 1. Implementations must not block for long and must be callable from
// the logic's thread. A publish while disconnected fails with Errc::transport; the logic keeps the
// data durable and sends it again after the next connect.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual Status publish(const std::string& topic, const std::string& payload) = 0;
  virtual bool connected() const = 0;
};

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time for timeouts and backoff.
  virtual std::chrono::steady_clock::time_point now() const = 0;
  // Wall-clock milliseconds since the epoch, informational only (recorded with operations).
  virtual std::int64_t wall_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point now() const override { return std::chrono::steady_clock::now(); }
  std::int64_t wall_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
};

// A clock that moves only when told to: for tests of timeouts and retries without sleeping.
class ManualClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point now() const override { return now_; }
  std::int64_t wall_ms() const override { return wall_ms_; }
  void advance(std::chrono::milliseconds d) {
    now_ += d;
    wall_ms_ += d.count();
  }

 private:
  std::chrono::steady_clock::time_point now_{};
  std::int64_t wall_ms_ = 1'700'000'000'000;
};

}  // namespace madoguchi
