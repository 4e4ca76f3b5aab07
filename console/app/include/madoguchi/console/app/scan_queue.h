// Scans from the counter's QR scanner on their way to the 交付管理 import screen (ISS-1, ISS-13).
// The scanner service (drivers/scanner, its own thread) pushes each complete scan; the console
// (the agent's event-loop thread) takes them when the import screen is open and asks for them.
// Bounded: when full, the oldest scan is dropped and counted, so a scanner left firing at a sheet
// cannot grow memory; staff then see that scans were dropped and scan again (a dropped scan was
// never imported, and importing it later is not a duplicate).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace madoguchi::console::app {

struct Scan {
  std::string bytes;      // the code's raw bytes (CP932 for a J-LIS list)
  std::int64_t at_ms = 0;  // wall-clock ms when it was read
};

class ScanQueue {
 public:
  explicit ScanQueue(std::size_t capacity = 256) : capacity_(capacity == 0 ? 1 : capacity) {}

  // Thread-safe. Drops the oldest scan when full.
  void push(Scan scan) {
    std::lock_guard lock(mutex_);
    if (scans_.size() == capacity_) {
      scans_.pop_front();
      ++dropped_;
    }
    scans_.push_back(std::move(scan));
  }

  // Thread-safe. Every waiting scan, oldest first; the queue is then empty.
  std::vector<Scan> take_all() {
    std::lock_guard lock(mutex_);
    std::vector<Scan> out(std::make_move_iterator(scans_.begin()), std::make_move_iterator(scans_.end()));
    scans_.clear();
    return out;
  }

  // Thread-safe. Scans dropped since the last call (then zero).
  std::uint64_t take_dropped() {
    std::lock_guard lock(mutex_);
    return std::exchange(dropped_, 0);
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return scans_.size();
  }

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<Scan> scans_;
  std::uint64_t dropped_ = 0;
};

}  // namespace madoguchi::console::app
