// LibusbTransport (libusb_transport.h). libusb is confined to this file.
#include "madoguchi/scanner/libusb_transport.h"

#include <libusb.h>

#include <algorithm>
#include <string>
#include <vector>

namespace madoguchi::scanner {

struct LibusbTransport::Access {
  static int LIBUSB_CALL hotplug(libusb_context*, libusb_device*, libusb_hotplug_event event,
                                 void* user_data) {
    auto* self = static_cast<LibusbTransport*>(user_data);
    if (event == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED) {
      self->arrived_ = true;
      if (self->callbacks_.arrived) self->callbacks_.arrived();
    } else if (event == LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT) {
      if (self->callbacks_.left) self->callbacks_.left();
    }
    return 0;  // stay registered
  }
};

namespace {

constexpr unsigned kControlTimeoutMs = 1000;
constexpr std::uint8_t kHidGetDescriptorReport = 0x22;  // descriptor type "Report" (HID 1.11 7.1)
constexpr std::uint8_t kHidSetProtocol = 0x0B;          // HID class request (HID 1.11 7.2.6)
// bmRequestType values (USB 2.0 9.3): IN | standard | interface, and OUT | class | interface.
constexpr std::uint8_t kStandardInInterface = 0x81;
constexpr std::uint8_t kClassOutInterface = 0x21;

Error usb_error(Errc code, std::string what, int rc) {
  return make_error(code, std::move(what) + ": " + libusb_error_name(rc));
}

struct Candidate {
  int interface_number;
  std::uint8_t endpoint;
  std::uint16_t max_packet;
  bool boot_keyboard;
};

// HID interfaces (first alternate setting) with an interrupt IN endpoint.
std::vector<Candidate> hid_interfaces(const libusb_config_descriptor* config) {
  std::vector<Candidate> out;
  for (int i = 0; i < config->bNumInterfaces; ++i) {
    const libusb_interface& itf = config->interface[i];
    if (itf.num_altsetting < 1) continue;
    const libusb_interface_descriptor& alt = itf.altsetting[0];
    if (alt.bInterfaceClass != LIBUSB_CLASS_HID) continue;
    for (int e = 0; e < alt.bNumEndpoints; ++e) {
      const libusb_endpoint_descriptor& ep = alt.endpoint[e];
      if ((ep.bEndpointAddress & LIBUSB_ENDPOINT_IN) != 0 &&
          (ep.bmAttributes & 0x03) == LIBUSB_TRANSFER_TYPE_INTERRUPT) {
        out.push_back(Candidate{alt.bInterfaceNumber, ep.bEndpointAddress,
                                static_cast<std::uint16_t>(ep.wMaxPacketSize & 0x07FF),
                                alt.bInterfaceSubClass == 1 && alt.bInterfaceProtocol == 1});
        break;
      }
    }
  }
  return out;
}

class LibusbDevice final : public ScannerDevice {
 public:
  LibusbDevice(libusb_device_handle* handle, Candidate c, std::string description, bool reattach)
      : handle_(handle), c_(c), description_(std::move(description)), reattach_(reattach) {}

  ~LibusbDevice() override {
    libusb_release_interface(handle_, c_.interface_number);
    if (reattach_) libusb_attach_kernel_driver(handle_, c_.interface_number);
    libusb_close(handle_);
  }

  Expected<std::optional<Report>> read_report(std::chrono::milliseconds timeout) override {
    Report buffer(std::max<std::uint16_t>(c_.max_packet, 8));
    int transferred = 0;
    const auto ms = static_cast<unsigned>(std::clamp<std::chrono::milliseconds::rep>(timeout.count(), 1, 60'000));
    const int rc = libusb_interrupt_transfer(handle_, c_.endpoint, buffer.data(),
                                             static_cast<int>(buffer.size()), &transferred, ms);
    if (rc == 0 || (rc == LIBUSB_ERROR_TIMEOUT && transferred > 0)) {
      buffer.resize(static_cast<std::size_t>(transferred));
      return std::optional<Report>(std::move(buffer));
    }
    if (rc == LIBUSB_ERROR_TIMEOUT || rc == LIBUSB_ERROR_INTERRUPTED) return std::optional<Report>();
    if (rc == LIBUSB_ERROR_NO_DEVICE) {
      return make_error(Errc::not_found, "scanner " + description_ + " was unplugged");
    }
    return usb_error(Errc::io, "reading scanner " + description_, rc);
  }

  std::string description() const override { return description_; }

 private:
  libusb_device_handle* handle_;
  Candidate c_;
  std::string description_;
  bool reattach_;
};

// Claims `c` on `handle` with the kernel driver detached. Sets `reattach` when we detached by
// hand (auto-detach re-attaches by itself on release).
Status claim(libusb_device_handle* handle, const Candidate& c, bool& reattach) {
  reattach = false;
  if (libusb_set_auto_detach_kernel_driver(handle, 1) != LIBUSB_SUCCESS) {
    if (libusb_kernel_driver_active(handle, c.interface_number) == 1) {
      const int rc = libusb_detach_kernel_driver(handle, c.interface_number);
      if (rc != LIBUSB_SUCCESS) return usb_error(Errc::io, "detaching the kernel driver", rc);
      reattach = true;
    }
  }
  const int rc = libusb_claim_interface(handle, c.interface_number);
  if (rc != LIBUSB_SUCCESS) {
    if (reattach) libusb_attach_kernel_driver(handle, c.interface_number);
    reattach = false;
    return usb_error(Errc::io,
                     "claiming interface " + std::to_string(c.interface_number) +
                         (rc == LIBUSB_ERROR_BUSY ? " (another program holds it)" : ""),
                     rc);
  }
  return {};
}

void release(libusb_device_handle* handle, const Candidate& c, bool reattach) {
  libusb_release_interface(handle, c.interface_number);
  if (reattach) libusb_attach_kernel_driver(handle, c.interface_number);
}

// True when the interface's HID report descriptor declares the bar code scanner usage page.
bool is_hid_pos(libusb_device_handle* handle, const Candidate& c) {
  std::vector<std::uint8_t> descriptor(4096);
  const int n = libusb_control_transfer(
      handle, kStandardInInterface,
      LIBUSB_REQUEST_GET_DESCRIPTOR, static_cast<std::uint16_t>(kHidGetDescriptorReport << 8),
      static_cast<std::uint16_t>(c.interface_number), descriptor.data(),
      static_cast<std::uint16_t>(descriptor.size()), kControlTimeoutMs);
  if (n <= 0) return false;
  descriptor.resize(static_cast<std::size_t>(n));
  auto pages = hid_usage_pages(descriptor);
  return pages && std::find(pages->begin(), pages->end(), kUsagePageBarCodeScanner) != pages->end();
}

}  // namespace

LibusbTransport::LibusbTransport() {
  const int rc = libusb_init(&ctx_);
  if (rc != LIBUSB_SUCCESS) {
    ctx_ = nullptr;
    init_error_ = usb_error(Errc::io, "USB is not available (libusb_init)", rc);
  }
}

LibusbTransport::~LibusbTransport() {
  if (ctx_ == nullptr) return;
  if (hotplug_registered_) libusb_hotplug_deregister_callback(ctx_, hotplug_handle_);
  libusb_exit(ctx_);
}

Status LibusbTransport::watch(UsbId id, HotplugCallbacks callbacks) {
  if (ctx_ == nullptr) return *init_error_;
  if (libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG) == 0) {
    return make_error(Errc::io, "libusb has no hotplug support on this platform");
  }
  if (hotplug_registered_) {
    libusb_hotplug_deregister_callback(ctx_, hotplug_handle_);
    hotplug_registered_ = false;
  }
  callbacks_ = std::move(callbacks);
  const int rc = libusb_hotplug_register_callback(
      ctx_,
      static_cast<libusb_hotplug_event>(LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED |
                                        LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT),
      static_cast<libusb_hotplug_flag>(0), id.vid, id.pid, LIBUSB_HOTPLUG_MATCH_ANY,
      &Access::hotplug, this, &hotplug_handle_);
  if (rc != LIBUSB_SUCCESS) return usb_error(Errc::io, "registering the hotplug callback", rc);
  hotplug_registered_ = true;
  return {};
}

void LibusbTransport::wait_for_events(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (ctx_ == nullptr || !hotplug_registered_) {
    std::unique_lock lock(wait_mutex_);
    wait_cv_.wait_until(lock, deadline, [&] { return woken_.load(); });
  } else {
    while (!woken_ && !arrived_) {
      const auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) break;
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
          std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(100)));
      timeval tv{};
      tv.tv_sec = static_cast<time_t>(us.count() / 1'000'000);
      tv.tv_usec = static_cast<suseconds_t>(us.count() % 1'000'000);
      libusb_handle_events_timeout_completed(ctx_, &tv, nullptr);
    }
  }
  woken_ = false;
  arrived_ = false;
}

void LibusbTransport::wake() {
  {
    std::lock_guard lock(wait_mutex_);
    woken_ = true;
  }
  wait_cv_.notify_all();
  if (ctx_ != nullptr) libusb_interrupt_event_handler(ctx_);
}

Expected<std::unique_ptr<ScannerDevice>> LibusbTransport::open(UsbId id, ScannerMode mode) {
  if (ctx_ == nullptr) return *init_error_;
  libusb_device** list = nullptr;
  const ssize_t count = libusb_get_device_list(ctx_, &list);
  if (count < 0) return usb_error(Errc::io, "listing USB devices", static_cast<int>(count));
  struct ListGuard {
    libusb_device** list;
    ~ListGuard() { libusb_free_device_list(list, 1); }
  } guard{list};

  std::optional<Error> problem;  // the first reason a matching device could not be used
  for (ssize_t i = 0; i < count; ++i) {
    libusb_device* dev = list[i];
    libusb_device_descriptor dd{};
    if (libusb_get_device_descriptor(dev, &dd) != LIBUSB_SUCCESS) continue;
    if (dd.idVendor != id.vid || dd.idProduct != id.pid) continue;

    const std::string where = usb_id_text(id) + " bus " + std::to_string(libusb_get_bus_number(dev)) +
                              " device " + std::to_string(libusb_get_device_address(dev));
    libusb_config_descriptor* config = nullptr;
    int rc = libusb_get_active_config_descriptor(dev, &config);
    if (rc != LIBUSB_SUCCESS) {
      if (!problem) problem = usb_error(Errc::io, "reading the configuration of " + where, rc);
      continue;
    }
    std::vector<Candidate> candidates = hid_interfaces(config);
    libusb_free_config_descriptor(config);
    // Keyboard mode wants the boot keyboard; HID POS mode looks at the others first.
    std::stable_partition(candidates.begin(), candidates.end(), [&](const Candidate& c) {
      return c.boot_keyboard == (mode == ScannerMode::keyboard);
    });
    if (mode == ScannerMode::keyboard) {
      std::erase_if(candidates, [](const Candidate& c) { return !c.boot_keyboard; });
    }
    if (candidates.empty()) {
      if (!problem) {
        problem = make_error(Errc::invalid_argument,
                             where + " has no " +
                                 (mode == ScannerMode::keyboard ? "boot keyboard" : "HID") +
                                 " interface: set the scanner to the USB mode the config names");
      }
      continue;
    }

    libusb_device_handle* handle = nullptr;
    rc = libusb_open(dev, &handle);
    if (rc != LIBUSB_SUCCESS) {
      if (!problem) {
        problem = usb_error(Errc::io,
                            "opening " + where +
                                (rc == LIBUSB_ERROR_ACCESS ? " (no permission: install the udev rule)" : ""),
                            rc);
      }
      continue;
    }
    for (const Candidate& c : candidates) {
      bool reattach = false;
      if (Status s = claim(handle, c, reattach); !s) {
        if (!problem) problem = s.error().with_context(where);
        continue;
      }
      if (mode == ScannerMode::hid_pos && !is_hid_pos(handle, c)) {
        release(handle, c, reattach);
        continue;
      }
      if (mode == ScannerMode::keyboard) {
        // Boot protocol: plain 8-byte reports. A device that stalls the request is already in it.
        libusb_control_transfer(handle,
                                kClassOutInterface,
                                kHidSetProtocol, 0, static_cast<std::uint16_t>(c.interface_number),
                                nullptr, 0, kControlTimeoutMs);
      }
      return std::unique_ptr<ScannerDevice>(std::make_unique<LibusbDevice>(
          handle, c, where + " interface " + std::to_string(c.interface_number), reattach));
    }
    libusb_close(handle);
    if (!problem && mode == ScannerMode::hid_pos) {
      problem = make_error(Errc::invalid_argument,
                           where + " has no HID POS interface (usage page 0x8C): switch the scanner "
                                   "to USB HID POS mode, or configure mode \"keyboard\"");
    }
  }
  if (problem) return *problem;
  return make_error(Errc::not_found, "no scanner " + usb_id_text(id) + " is attached");
}

}  // namespace madoguchi::scanner
