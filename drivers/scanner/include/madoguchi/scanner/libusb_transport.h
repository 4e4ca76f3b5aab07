// The UsbTransport backed by libusb-1.0 (Linux usbfs; also Windows/macOS where libusb runs).
//
// - Hotplug: libusb_hotplug_register_callback for the watched VID:PID when
//   libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG); otherwise watch() fails and the service
//   re-scans. Callbacks run inside libusb's event handling, on the service thread.
// - open(): the first device with the VID:PID. hid_pos mode claims the HID interface whose report
//   descriptor declares usage page 0x8C (bar code scanner); keyboard mode claims the boot
//   keyboard interface (class 3, subclass 1, protocol 1) and selects the boot protocol
//   (SET_PROTOCOL 0) so reports are the 8-byte boot format. The kernel's driver (usbhid) is
//   detached while we hold the interface (libusb_set_auto_detach_kernel_driver, or
//   libusb_detach_kernel_driver where auto-detach is unsupported) and re-attached on close, so a
//   keyboard-mode scanner stops typing into the console while the service owns it.
// - Reads are synchronous interrupt IN transfers of the endpoint's wMaxPacketSize with a timeout.
//   LIBUSB_ERROR_NO_DEVICE (unplugged) becomes not_found.
// - The context is created in the constructor. Where libusb cannot start (no usbfs in a
//   container, say) the transport still constructs: open() fails with io naming the reason and
//   the service keeps waiting.
// Permissions: the service user needs read/write on /dev/bus/usb/BBB/DDD of the scanner; ship a
// udev rule (docs/formats/scanner-reports.md, "Deployment").
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>

#include "madoguchi/scanner/transport.h"

struct libusb_context;

namespace madoguchi::scanner {

class LibusbTransport final : public UsbTransport {
 public:
  LibusbTransport();
  ~LibusbTransport() override;
  LibusbTransport(const LibusbTransport&) = delete;
  LibusbTransport& operator=(const LibusbTransport&) = delete;

  Expected<std::unique_ptr<ScannerDevice>> open(UsbId id, ScannerMode mode) override;
  Status watch(UsbId id, HotplugCallbacks callbacks) override;
  bool hotplug_supported() const override { return hotplug_registered_; }
  void wait_for_events(std::chrono::milliseconds timeout) override;
  void wake() override;

  // Why libusb could not start, if it could not.
  const std::optional<Error>& init_error() const { return init_error_; }

  struct Access;  // the C callback trampoline (in the .cc)

 private:
  libusb_context* ctx_ = nullptr;
  std::optional<Error> init_error_;
  bool hotplug_registered_ = false;
  int hotplug_handle_ = 0;
  HotplugCallbacks callbacks_;
  std::atomic<bool> arrived_{false};
  std::atomic<bool> woken_{false};
  std::mutex wait_mutex_;  // for the sleep when there is no libusb event loop to wait in
  std::condition_variable wait_cv_;
};

}  // namespace madoguchi::scanner
