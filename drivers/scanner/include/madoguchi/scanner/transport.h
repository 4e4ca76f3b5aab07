// How the scanner service reaches a USB scanner: open by VID:PID, read interrupt IN reports with
// a timeout, hear about arrivals and departures. LibusbTransport (libusb_transport.h) is the real
// one; FakeTransport (fake_transport.h) plays a scanner for tests and the simulator.
//
// Threading contract: one thread (the ScannerService's) calls open(), watch(), wait_for_events()
// and the ScannerDevice methods; wake() may be called from any thread. Hotplug callbacks run on
// the thread inside wait_for_events() or ScannerDevice::read_report().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "madoguchi/error.h"
#include "madoguchi/scanner/reports.h"

namespace madoguchi::scanner {

struct UsbId {
  std::uint16_t vid = 0;
  std::uint16_t pid = 0;
  bool operator==(const UsbId&) const = default;
};

// "0c2e:0b61"
std::string usb_id_text(UsbId id);
// One 16-bit id from config: "0x0c2e", "0C2E" or "0c2e" (1 to 4 hex digits). invalid_argument
// otherwise.
Expected<std::uint16_t> parse_usb_hex16(std::string_view text);

enum class ScannerMode {
  hid_pos,   // HID POS interface (usage page 0x8C), raw bytes: the recommended mode
  keyboard,  // boot-protocol keyboard interface, ASCII only (see reports.h)
};

// "hid_pos" or "keyboard".
std::string_view scanner_mode_name(ScannerMode mode) noexcept;
Expected<ScannerMode> parse_scanner_mode(std::string_view name);

// One opened scanner interface.
class ScannerDevice {
 public:
  virtual ~ScannerDevice() = default;
  // Waits up to `timeout` for one input report. nullopt: none arrived in time. Errors:
  // not_found when the device is gone (unplugged), io for other failures; after an error the
  // device is dead and is dropped by the caller.
  virtual Expected<std::optional<Report>> read_report(std::chrono::milliseconds timeout) = 0;
  // For the status screen and logs: "0c2e:0b61 bus 1 device 4 interface 0".
  virtual std::string description() const = 0;
};

struct HotplugCallbacks {
  std::function<void()> arrived;  // a device with the watched VID:PID was attached
  std::function<void()> left;     // one was detached
};

class UsbTransport {
 public:
  virtual ~UsbTransport() = default;
  // Opens the first attached device with this VID:PID and claims the interface that serves
  // `mode`. not_found when none is attached; other codes when one is there but cannot be used
  // (permissions, no suitable interface, claimed by another program).
  virtual Expected<std::unique_ptr<ScannerDevice>> open(UsbId id, ScannerMode mode) = 0;
  // Reports arrivals and departures of `id` through `callbacks` from now on (replacing earlier
  // ones). Returns an error, and changes nothing, when the transport cannot tell (then
  // hotplug_supported() is false and the caller re-scans).
  virtual Status watch(UsbId id, HotplugCallbacks callbacks) = 0;
  virtual bool hotplug_supported() const = 0;
  // Blocks for up to `timeout` handling the transport's events (hotplug); returns earlier after
  // an arrival of the watched device or a wake().
  virtual void wait_for_events(std::chrono::milliseconds timeout) = 0;
  // Makes a wait_for_events() in progress (or the next one) return at once. Any thread.
  virtual void wake() = 0;
};

}  // namespace madoguchi::scanner
