// A UsbTransport that plays one scanner in memory, for tests and the simulator: plug it in, feed
// it reports (from encode_hid_pos_reports / encode_keyboard_reports or recorded ones), pull it
// out. It keeps the real transport's contract (transport.h): reads time out, a read on an
// unplugged device fails with not_found, hotplug callbacks run on the reading thread.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>

#include "madoguchi/scanner/transport.h"

namespace madoguchi::scanner {

class FakeTransport final : public UsbTransport {
 public:
  // hotplug=false plays a platform without hotplug: wait_for_events() then only sleeps, and
  // the caller finds a plugged device by re-scanning.
  explicit FakeTransport(bool hotplug = true);
  ~FakeTransport() override;

  // Test side; any thread.
  // Attaches a device with this VID:PID (replacing one that was attached).
  void plug(UsbId id);
  // Detaches it: reads on a device opened before fail with not_found.
  void unplug();
  // Queues one report for the attached device; false when no device is attached.
  bool push_report(Report report);
  // Reports pushed and not yet read.
  std::size_t pending_reports() const;
  // How many times open() succeeded, and the mode of the last success.
  std::size_t open_count() const;
  std::optional<ScannerMode> last_mode() const;
  // Makes the next open() fail with this error (a device there but unusable), once.
  void fail_next_open(Error error);

  // UsbTransport
  Expected<std::unique_ptr<ScannerDevice>> open(UsbId id, ScannerMode mode) override;
  Status watch(UsbId id, HotplugCallbacks callbacks) override;
  bool hotplug_supported() const override { return hotplug_; }
  void wait_for_events(std::chrono::milliseconds timeout) override;
  void wake() override;

  struct State;  // shared with the devices it opened

 private:
  bool hotplug_;
  std::shared_ptr<State> state_;
};

}  // namespace madoguchi::scanner
