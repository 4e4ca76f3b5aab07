// ScannerService with the fake transport (plug, scans, unplug in the middle of a scan, replug)
// and with the real libusb transport on a machine where the configured scanner is absent
// (ISS-1, ISS-13). Every wait has a generous deadline that only guards against a hang; nothing
// asserts on timing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "madoguchi/scanner/fake_transport.h"
#include "madoguchi/scanner/libusb_transport.h"
#include "madoguchi/scanner/service.h"
#include "madoguchi/text/encoding.h"

namespace s = madoguchi::scanner;
using namespace std::chrono_literals;

namespace {

constexpr s::UsbId kScanner{0x0c2e, 0x0b61};

// Collects what the service delivers, on its thread, for the test thread to wait on.
class Collector {
 public:
  s::ScanSink sink() {
    return s::ScanSink{
        [this](s::Scan scan) { add([&] { scans_.push_back(std::move(scan)); }); },
        [this](const madoguchi::Error& e) { add([&] { errors_.push_back(e); }); },
        [this](s::ScannerState st) { add([&] { states_.push_back(st); }); },
    };
  }
  // Waits (deadline 10 s, a hang guard) until `ready` holds; returns whether it did.
  bool wait(const std::function<bool()>& ready) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, 10s, ready);
  }
  bool wait_scans(std::size_t n) { return wait([&] { return scans_.size() >= n; }); }
  bool wait_errors(std::size_t n) { return wait([&] { return errors_.size() >= n; }); }
  bool wait_state(s::ScannerState st, std::size_t nth = 1) {
    return wait([&] { return std::count(states_.begin(), states_.end(), st) >= static_cast<long>(nth); });
  }
  std::vector<s::Scan> scans() {
    std::lock_guard lock(mutex_);
    return scans_;
  }
  std::vector<madoguchi::Error> errors() {
    std::lock_guard lock(mutex_);
    return errors_;
  }

 private:
  void add(const std::function<void()>& f) {
    {
      std::lock_guard lock(mutex_);
      f();
    }
    cv_.notify_all();
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<s::Scan> scans_;
  std::vector<madoguchi::Error> errors_;
  std::vector<s::ScannerState> states_;
};

// Polls `ready` until it holds (deadline 10 s, a hang guard), for state no callback announces.
bool eventually(const std::function<bool()>& ready) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!ready()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

s::ScannerConfig config(s::ScannerMode mode = s::ScannerMode::hid_pos) {
  s::ScannerConfig c;
  c.id = kScanner;
  c.mode = mode;
  c.layout = s::KeyboardLayout::jp106;
  c.rescan_interval = 20ms;
  c.read_timeout = 20ms;
  return c;
}

std::string kanji_payload() {
  auto sjis = madoguchi::text::utf8_to_cp932("131016,山田　太郎,東京都千代田区霞が関２丁目,");
  REQUIRE(sjis.ok());
  std::string out;
  while (out.size() < 600) out += *sjis;
  return out;
}

}  // namespace

TEST_CASE("scanner service: waits for the device, delivers scans, survives unplug and replug",
          "[scanner][service]") {
  for (bool hotplug : {true, false}) {
    INFO("hotplug " << hotplug);
    auto owned = std::make_unique<s::FakeTransport>(hotplug);
    s::FakeTransport& usb = *owned;
    Collector got;
    s::ScannerService service(config(), std::move(owned), got.sink());
    CHECK(service.status().state == s::ScannerState::stopped);
    REQUIRE(service.start().ok());
    CHECK_FALSE(service.start().ok());

    REQUIRE(got.wait_state(s::ScannerState::waiting_for_device));
    CHECK(service.status().state == s::ScannerState::waiting_for_device);
    CHECK(got.errors().empty());  // an absent scanner is not an error

    usb.plug(s::UsbId{0x1234, 0x5678});  // some other device: still waiting
    usb.plug(kScanner);
    REQUIRE(got.wait_state(s::ScannerState::connected));
    CHECK(usb.last_mode() == s::ScannerMode::hid_pos);
    CHECK(service.status().device.find("0c2e:0b61") != std::string::npos);

    const std::string payload = kanji_payload();
    for (const auto& r : s::encode_hid_pos_reports(payload)) REQUIRE(usb.push_report(r));
    REQUIRE(got.wait_scans(1));
    CHECK(got.scans()[0].bytes == payload);

    // The cable goes between scans: no error, just waiting again.
    const auto reports = s::encode_hid_pos_reports(payload);
    usb.unplug();
    REQUIRE(got.wait_state(s::ScannerState::waiting_for_device, 2));
    CHECK_FALSE(usb.push_report(reports[0]));

    usb.plug(kScanner);
    REQUIRE(got.wait_state(s::ScannerState::connected, 2));
    for (const auto& r : s::encode_hid_pos_reports("AFTER-REPLUG")) REQUIRE(usb.push_report(r));
    REQUIRE(got.wait_scans(2));
    CHECK(got.scans()[1].bytes == "AFTER-REPLUG");
    CHECK(got.scans().size() == 2);
    const auto st = service.status();
    CHECK(st.connects == 2);
    CHECK(st.scans == 2);

    service.stop();
    CHECK(service.status().state == s::ScannerState::stopped);
    service.stop();  // idempotent
  }
}

TEST_CASE("scanner service: a scan cut by unplugging is reported as an error", "[scanner][service]") {
  auto owned = std::make_unique<s::FakeTransport>();
  s::FakeTransport& usb = *owned;
  Collector got;
  s::ScannerService service(config(), std::move(owned), got.sink());
  REQUIRE(service.start().ok());
  REQUIRE(got.wait_state(s::ScannerState::waiting_for_device));
  usb.plug(kScanner);
  REQUIRE(got.wait_state(s::ScannerState::connected));
  // The first half of a four-report scan, then the cable goes. Once the queue is empty the
  // service has read (and decoded) both reports, so the unplug finds a scan in progress.
  const auto reports = s::encode_hid_pos_reports(std::string(200, 'y'));
  REQUIRE(reports.size() == 4);
  REQUIRE(usb.push_report(reports[0]));
  REQUIRE(usb.push_report(reports[1]));
  REQUIRE(eventually([&] { return usb.pending_reports() == 0; }));
  usb.unplug();
  REQUIRE(got.wait_errors(1));
  CHECK(got.errors()[0].message.find("went away in the middle of a scan") != std::string::npos);
  REQUIRE(got.wait_state(s::ScannerState::waiting_for_device, 2));
  // Replugged, the rest of the old scan is gone and a new scan comes through whole.
  usb.plug(kScanner);
  REQUIRE(got.wait_state(s::ScannerState::connected, 2));
  for (const auto& r : s::encode_hid_pos_reports("NEW")) REQUIRE(usb.push_report(r));
  REQUIRE(got.wait_scans(1));
  CHECK(got.scans()[0].bytes == "NEW");
  CHECK(got.errors().size() == 1);
}

TEST_CASE("scanner service: keyboard mode with the JIS layout", "[scanner][service]") {
  auto owned = std::make_unique<s::FakeTransport>();
  s::FakeTransport& usb = *owned;
  Collector got;
  s::ScannerService service(config(s::ScannerMode::keyboard), std::move(owned), got.sink());
  REQUIRE(service.start().ok());
  usb.plug(kScanner);
  REQUIRE(got.wait_state(s::ScannerState::connected));
  CHECK(usb.last_mode() == s::ScannerMode::keyboard);
  auto reports = s::encode_keyboard_reports("ID:131016@[x]", s::KeyboardLayout::jp106);
  REQUIRE(reports.ok());
  for (const auto& r : *reports) REQUIRE(usb.push_report(r));
  REQUIRE(usb.push_report(s::Report(3, 0)));  // garbage: an error, not a crash
  REQUIRE(got.wait_scans(1));
  CHECK(got.scans()[0].bytes == "ID:131016@[x]");
  REQUIRE(got.wait_errors(1));
  CHECK(got.errors()[0].code == madoguchi::Errc::malformed);
  CHECK(service.status().errors == 1);
}

TEST_CASE("scanner service: a device that is there but unusable is reported once", "[scanner][service]") {
  auto owned = std::make_unique<s::FakeTransport>(false);
  s::FakeTransport& usb = *owned;
  usb.fail_next_open(madoguchi::make_error(madoguchi::Errc::io, "claiming interface 0: busy"));
  usb.plug(kScanner);
  Collector got;
  s::ScannerService service(config(), std::move(owned), got.sink());
  REQUIRE(service.start().ok());
  REQUIRE(got.wait_errors(1));
  CHECK(got.errors()[0].message.find("busy") != std::string::npos);
  REQUIRE(got.wait_state(s::ScannerState::connected));  // the next re-scan opens it
  CHECK(service.status().last_error.find("busy") != std::string::npos);
}

TEST_CASE("scanner config keys", "[scanner][config]") {
  auto c = s::make_scanner_config("0x0c2e", "0B61", "keyboard", "jp106");
  REQUIRE(c.ok());
  CHECK(c->id == kScanner);
  CHECK(c->mode == s::ScannerMode::keyboard);
  CHECK(c->layout == s::KeyboardLayout::jp106);
  auto d = s::make_scanner_config("c2e", "b61", "", "");
  REQUIRE(d.ok());
  CHECK(d->mode == s::ScannerMode::hid_pos);
  CHECK(d->layout == s::KeyboardLayout::us);
  auto bad_vid = s::make_scanner_config("0x10000", "1", "", "");
  REQUIRE_FALSE(bad_vid.ok());
  CHECK(bad_vid.error().message.find("scanner.vid") != std::string::npos);
  CHECK_FALSE(s::make_scanner_config("0x", "1", "", "").ok());
  CHECK_FALSE(s::make_scanner_config("zz", "1", "", "").ok());
  auto bad_mode = s::make_scanner_config("1", "1", "serial", "");
  REQUIRE_FALSE(bad_mode.ok());
  CHECK(bad_mode.error().message.find("scanner.mode") != std::string::npos);
  CHECK_FALSE(s::make_scanner_config("1", "1", "", "azerty").ok());
  CHECK(s::usb_id_text(kScanner) == "0c2e:0b61");
}

TEST_CASE("libusb transport: with the scanner absent the service waits, then stops cleanly",
          "[scanner][libusb]") {
  // No USB device exists on the build machines; a VID:PID nobody uses stands for the scanner.
  for (auto mode : {s::ScannerMode::hid_pos, s::ScannerMode::keyboard}) {
    auto transport = std::make_unique<s::LibusbTransport>();
    if (transport->init_error()) {
      WARN("libusb could not start here (" << transport->init_error()->describe()
                                           << "); checking the service still waits");
    }
    s::ScannerConfig c = config(mode);
    c.id = s::UsbId{0xfffe, 0xfffd};
    Collector got;
    s::ScannerService service(c, std::move(transport), got.sink());
    REQUIRE(service.start().ok());
    REQUIRE(got.wait_state(s::ScannerState::waiting_for_device));
    CHECK(service.status().state == s::ScannerState::waiting_for_device);
    CHECK(service.status().connects == 0);
    service.stop();
    CHECK(service.status().state == s::ScannerState::stopped);
  }
}
