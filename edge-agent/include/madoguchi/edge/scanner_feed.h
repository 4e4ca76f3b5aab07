// The counter's USB QR scanner, wired to the staff console (ISS-1, ISS-13): a ScannerService
// (drivers/scanner) whose sink pushes every complete scan, raw bytes and the wall-clock ms it
// was read, into a console::app::ScanQueue that the 交付管理 import screen takes from.
//
// The feed owns the service and the queue; the service is stopped (its thread joined) before the
// queue goes, so nothing pushes into a destroyed queue. It logs state changes and errors (decoder
// errors, a device that cannot be opened), never the scanned bytes: they are personal data.
// Decoder errors are counted by the service and never reach the queue.
//
// Threading: the sink runs on the service thread; the ScanQueue is thread-safe, `log` must be
// (log::stderr_sink is) and `clock.wall_ms()` must be safe to call from that thread
// (SystemClock is). status(), queue() and the counters may be used from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "madoguchi/console/app/scan_queue.h"
#include "madoguchi/error.h"
#include "madoguchi/log.h"
#include "madoguchi/scanner/service.h"
#include "madoguchi/transport.h"

namespace madoguchi::edge {

struct ScannerFeedStatus {
  scanner::ScannerConfig config;   // what is configured (id, mode, layout)
  scanner::ScannerStatus scanner;  // state, device, scans read, errors, connects, last error
  std::uint64_t dropped = 0;       // scans the full queue dropped (oldest first) since start
  std::size_t queued = 0;          // scans waiting for the import screen now
};

class ScannerFeed {
 public:
  static constexpr std::size_t kDefaultQueueCapacity = 256;

  // `transport`: scanner::LibusbTransport in the agent, scanner::FakeTransport in tests.
  // `clock` must outlive the feed.
  ScannerFeed(scanner::ScannerConfig config, std::unique_ptr<scanner::UsbTransport> transport,
              const Clock& clock, LogSink log, std::size_t queue_capacity = kDefaultQueueCapacity);
  // Stops the service first, then the queue goes.
  ~ScannerFeed();
  ScannerFeed(const ScannerFeed&) = delete;
  ScannerFeed& operator=(const ScannerFeed&) = delete;

  // Starts the service thread; it waits for the scanner if it is not plugged in.
  // invalid_argument if already started. start() and stop() are called from one thread.
  Status start();
  // Stops the service thread and closes the device. Idempotent. Scans already queued stay.
  void stop();

  // The queue the console takes scans from (console::app::ConsoleApp::attach_cards).
  console::app::ScanQueue& queue() { return queue_; }

  ScannerFeedStatus status() const;

 private:
  void on_scan(scanner::Scan scan);
  void on_error(const Error& error);
  void on_state(scanner::ScannerState state);

  const Clock& clock_;
  LogSink log_;
  const std::size_t capacity_;
  const std::string id_text_;  // "0c2e:0b61" for log lines
  console::app::ScanQueue queue_;
  std::atomic<std::uint64_t> dropped_{0};
  bool running_ = false;  // start()/stop() come from one thread (the agent's)
  // Last member: destroyed (thread joined) before everything its sink touches.
  std::unique_ptr<scanner::ScannerService> service_;
};

}  // namespace madoguchi::edge
