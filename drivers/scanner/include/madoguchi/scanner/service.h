// ScannerService: one configured scanner, from USB to complete scans. It ties the config
// (VID:PID, mode, layout) to a UsbTransport and the matching report decoder (reports.h), and
// delivers scans to a caller-supplied sink, on a thread of its own.
//
// Lifecycle: start() launches the thread and returns at once; with the scanner absent the
// service waits for it (hotplug arrival, or a re-scan every rescan_interval where the platform
// has no hotplug) and the state is waiting_for_device. When the scanner is unplugged the device
// is closed, a scan cut in half is reported as an error, and the service waits for it again;
// the caller notices only the state change. stop() (or the destructor) ends the thread.
//
// Threading contract: the sink's callbacks run on the service thread; owners post them onto
// their own event loop (as with the MQTT client). status() may be called from any thread.
// Errors passed to on_error never contain scanned bytes.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "madoguchi/error.h"
#include "madoguchi/scanner/reports.h"
#include "madoguchi/scanner/transport.h"

namespace madoguchi::scanner {

struct ScannerConfig {
  UsbId id;
  ScannerMode mode = ScannerMode::hid_pos;
  KeyboardLayout layout = KeyboardLayout::us;  // keyboard mode only
  std::size_t max_scan_bytes = kMaxScanBytes;
  std::chrono::milliseconds rescan_interval{1000};  // looking for the device without hotplug
  std::chrono::milliseconds read_timeout{200};      // bounds how long stop() waits for the thread
};

// The config keys, as strings (the "scanner" object of the edge config; drivers/scanner/README.md):
// vid and pid in hex ("0x0c2e"), mode "hid_pos" or "keyboard", layout "us" or "jp106"/"jp109".
// An empty mode means hid_pos, an empty layout us. invalid_argument naming the key otherwise.
Expected<ScannerConfig> make_scanner_config(std::string_view vid, std::string_view pid,
                                            std::string_view mode, std::string_view layout);

enum class ScannerState { stopped, waiting_for_device, connected };

// "stopped", "waiting_for_device", "connected".
std::string_view scanner_state_name(ScannerState state) noexcept;

struct ScannerStatus {
  ScannerState state = ScannerState::stopped;
  std::string device;      // description of the open device, empty unless connected
  std::string last_error;  // the latest error (decoding, device, open), for the status screen
  std::uint64_t scans = 0;
  std::uint64_t errors = 0;
  std::uint64_t connects = 0;  // successful opens so far
};

struct ScanSink {
  std::function<void(Scan)> on_scan;
  std::function<void(const Error&)> on_error;       // optional
  std::function<void(ScannerState)> on_state;       // optional: every state change
};

class ScannerService {
 public:
  ScannerService(ScannerConfig config, std::unique_ptr<UsbTransport> transport, ScanSink sink);
  ~ScannerService();
  ScannerService(const ScannerService&) = delete;
  ScannerService& operator=(const ScannerService&) = delete;

  // Starts the thread. invalid_argument if already started.
  Status start();
  // Ends the thread and closes the device. Idempotent.
  void stop();

  ScannerStatus status() const;
  const ScannerConfig& config() const { return config_; }

 private:
  void run();
  void set_state(ScannerState state, std::string device = {});
  void report_error(const Error& error);
  void deliver(DecodeResults results);

  ScannerConfig config_;
  std::unique_ptr<UsbTransport> transport_;
  ScanSink sink_;
  std::unique_ptr<ReportDecoder> decoder_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  mutable std::mutex mutex_;  // guards status_
  ScannerStatus status_;
};

}  // namespace madoguchi::scanner
