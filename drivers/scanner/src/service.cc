// ScannerService: the open / read / decode / wait-for-replug loop (service.h).
#include "madoguchi/scanner/service.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <charconv>

namespace madoguchi::scanner {

std::string usb_id_text(UsbId id) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04x:%04x", static_cast<unsigned>(id.vid), static_cast<unsigned>(id.pid));
  return buf;
}

Expected<std::uint16_t> parse_usb_hex16(std::string_view text) {
  std::string_view digits = text;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    digits.remove_prefix(2);
  }
  unsigned value = 0;
  const bool all_hex = !digits.empty() && digits.size() <= 4 &&
                       std::all_of(digits.begin(), digits.end(), [](char c) {
                         return std::isxdigit(static_cast<unsigned char>(c)) != 0;
                       });
  if (!all_hex ||
      std::from_chars(digits.data(), digits.data() + digits.size(), value, 16).ec != std::errc{}) {
    std::string message = "\"";  // appended piecewise: GCC 12 -O3 warns about "lit" + string
    message.append(text).append("\" is not a 16-bit hex id such as 0x0c2e");
    return make_error(Errc::invalid_argument, std::move(message));
  }
  return static_cast<std::uint16_t>(value);
}

std::string_view scanner_mode_name(ScannerMode mode) noexcept {
  return mode == ScannerMode::hid_pos ? "hid_pos" : "keyboard";
}

Expected<ScannerMode> parse_scanner_mode(std::string_view name) {
  if (name == "hid_pos") return ScannerMode::hid_pos;
  if (name == "keyboard") return ScannerMode::keyboard;
  std::string message = "unknown scanner mode \"";
  message.append(name).append("\" (hid_pos, keyboard)");
  return make_error(Errc::invalid_argument, std::move(message));
}

Expected<ScannerConfig> make_scanner_config(std::string_view vid, std::string_view pid,
                                            std::string_view mode, std::string_view layout) {
  ScannerConfig config;
  auto v = parse_usb_hex16(vid);
  if (!v) return v.error().with_context("scanner.vid");
  auto p = parse_usb_hex16(pid);
  if (!p) return p.error().with_context("scanner.pid");
  config.id = UsbId{*v, *p};
  if (!mode.empty()) {
    auto m = parse_scanner_mode(mode);
    if (!m) return m.error().with_context("scanner.mode");
    config.mode = *m;
  }
  if (!layout.empty()) {
    auto l = parse_keyboard_layout(layout);
    if (!l) return l.error().with_context("scanner.layout");
    config.layout = *l;
  }
  return config;
}

std::string_view scanner_state_name(ScannerState state) noexcept {
  switch (state) {
    case ScannerState::stopped: return "stopped";
    case ScannerState::waiting_for_device: return "waiting_for_device";
    case ScannerState::connected: return "connected";
  }
  return "stopped";
}

ScannerService::ScannerService(ScannerConfig config, std::unique_ptr<UsbTransport> transport,
                               ScanSink sink)
    : config_(config), transport_(std::move(transport)), sink_(std::move(sink)) {
  assert(transport_);
  if (config_.mode == ScannerMode::hid_pos) {
    decoder_ = std::make_unique<HidPosDecoder>(config_.max_scan_bytes);
  } else {
    decoder_ = std::make_unique<KeyboardDecoder>(config_.layout, config_.max_scan_bytes);
  }
}

ScannerService::~ScannerService() { stop(); }

Status ScannerService::start() {
  if (thread_.joinable()) return make_error(Errc::invalid_argument, "scanner service already started");
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
  return {};
}

void ScannerService::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  transport_->wake();
  thread_.join();
  set_state(ScannerState::stopped);
}

ScannerStatus ScannerService::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

void ScannerService::set_state(ScannerState state, std::string device) {
  {
    std::lock_guard lock(mutex_);
    if (status_.state == state && status_.device == device) return;
    status_.state = state;
    status_.device = std::move(device);
    if (state == ScannerState::connected) ++status_.connects;
  }
  if (sink_.on_state) sink_.on_state(state);
}

void ScannerService::report_error(const Error& error) {
  {
    std::lock_guard lock(mutex_);
    ++status_.errors;
    status_.last_error = error.describe();
  }
  if (sink_.on_error) sink_.on_error(error);
}

void ScannerService::deliver(DecodeResults results) {
  for (auto& r : results) {
    if (!r) {
      report_error(r.error());
      continue;
    }
    {
      std::lock_guard lock(mutex_);
      ++status_.scans;
    }
    if (sink_.on_scan) sink_.on_scan(std::move(*r));
  }
}

void ScannerService::run() {
  const bool hotplug = transport_->watch(config_.id, {}).ok();
  std::unique_ptr<ScannerDevice> device;
  std::string last_open_error;
  while (!stopping_) {
    if (!device) {
      auto opened = transport_->open(config_.id, config_.mode);
      if (opened) {
        device = std::move(*opened);
        decoder_->reset();
        last_open_error.clear();
        set_state(ScannerState::connected, device->description());
        continue;
      }
      // An absent scanner is the normal waiting state, not an error. A scanner that is there
      // but unusable is reported once per distinct reason, not on every re-scan.
      if (opened.error().code != Errc::not_found && opened.error().message != last_open_error) {
        last_open_error = opened.error().message;
        report_error(opened.error());
      }
      set_state(ScannerState::waiting_for_device);
      // With hotplug an arrival ends the wait early; the periodic re-scan stays as a safety net
      // (an arrival missed while the device was being opened, say).
      transport_->wait_for_events(hotplug ? config_.rescan_interval * 5 : config_.rescan_interval);
      continue;
    }
    auto report = device->read_report(config_.read_timeout);
    if (!report) {
      const bool cut = decoder_->reset();
      device.reset();
      if (cut) {
        report_error(make_error(Errc::io, "the scanner went away in the middle of a scan; scan again"));
      }
      if (report.error().code != Errc::not_found) report_error(report.error());
      set_state(ScannerState::waiting_for_device);
      continue;
    }
    if (!*report) continue;  // timeout: look at stopping_ again
    deliver(decoder_->feed(**report));
  }
  device.reset();
}

}  // namespace madoguchi::scanner
