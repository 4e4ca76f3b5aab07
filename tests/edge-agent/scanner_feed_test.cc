// The edge's scanner wiring (ISS-1, ISS-13): ScannerFeed with the fake USB transport of
// drivers/scanner playing the counter's scanner. A scan read over HID POS reaches the console's
// ScanQueue with its raw CP932 bytes intact; unplug and replug; keyboard mode with the JIS
// layout; decoder errors counted and logged, never queued; the scanned bytes never in the log.
// Every wait has a generous deadline that only guards against a hang; nothing asserts on timing.
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "madoguchi/edge/scanner_feed.h"
#include "madoguchi/scanner/fake_transport.h"
#include "madoguchi/text/encoding.h"

namespace s = madoguchi::scanner;
using madoguchi::LogLevel;
using madoguchi::ManualClock;
using madoguchi::edge::ScannerFeed;
using namespace std::chrono_literals;

namespace {

constexpr s::UsbId kScanner{0x0c2e, 0x0b61};

// Polls `ready` until it holds (deadline 10 s, a hang guard).
bool eventually(const std::function<bool()>& ready) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!ready()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// A thread-safe log that keeps its lines, to check what was (and was not) written.
class Log {
 public:
  madoguchi::LogSink sink() {
    return [this](LogLevel, std::string_view line) {
      std::lock_guard lock(mutex_);
      lines_.emplace_back(line);
    };
  }
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  bool contains(std::string_view needle) {
    for (const auto& l : lines()) {
      if (l.find(needle) != std::string::npos) return true;
    }
    return false;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

s::ScannerConfig config(s::ScannerMode mode = s::ScannerMode::hid_pos,
                        s::KeyboardLayout layout = s::KeyboardLayout::us) {
  s::ScannerConfig c;
  c.id = kScanner;
  c.mode = mode;
  c.layout = layout;
  c.rescan_interval = 20ms;
  c.read_timeout = 20ms;
  return c;
}

// A J-LIS list row as the QR code carries it: CP932, longer than one HID POS report.
std::string cp932_row() {
  auto sjis = madoguchi::text::utf8_to_cp932("131016,ヤマダ　タロウ,山田　太郎,東京都千代田区霞が関２丁目１番２号,髙橋");
  REQUIRE(sjis.ok());
  return *sjis;
}

s::ScannerState state_of(const ScannerFeed& feed) { return feed.status().scanner.state; }

void push_all(s::FakeTransport& usb, const std::vector<s::Report>& reports) {
  for (const auto& r : reports) REQUIRE(usb.push_report(r));
}

}  // namespace

TEST_CASE("scanner feed: HID POS scans reach the scan queue with their raw bytes, across unplug and replug",
          "[edge][scanner]") {
  auto owned = std::make_unique<s::FakeTransport>();
  s::FakeTransport& usb = *owned;
  ManualClock clock;
  Log log;
  ScannerFeed feed(config(), std::move(owned), clock, log.sink());
  CHECK(state_of(feed) == s::ScannerState::stopped);
  REQUIRE(feed.start().ok());
  CHECK_FALSE(feed.start().ok());
  REQUIRE(eventually([&] { return state_of(feed) == s::ScannerState::waiting_for_device; }));
  CHECK(feed.queue().size() == 0);

  usb.plug(kScanner);
  REQUIRE(eventually([&] { return state_of(feed) == s::ScannerState::connected; }));
  CHECK(usb.last_mode() == s::ScannerMode::hid_pos);

  const std::string row = cp932_row();
  const auto reports = s::encode_hid_pos_reports(row);
  REQUIRE(reports.size() > 1);  // the kanji row spans several reports
  push_all(usb, reports);
  REQUIRE(eventually([&] { return feed.queue().size() == 1; }));
  auto scans = feed.queue().take_all();
  REQUIRE(scans.size() == 1);
  CHECK(scans[0].bytes == row);  // CP932 bytes, not re-encoded
  CHECK(scans[0].at_ms == clock.wall_ms());

  // Unplugged: waiting again, nothing queued, no error.
  usb.unplug();
  REQUIRE(eventually([&] { return state_of(feed) == s::ScannerState::waiting_for_device; }));
  CHECK(feed.queue().size() == 0);
  CHECK(feed.status().scanner.errors == 0);

  // Replugged: scans come again, stamped with the time they were read.
  clock.advance(90s);
  usb.plug(kScanner);
  REQUIRE(eventually([&] { return state_of(feed) == s::ScannerState::connected; }));
  push_all(usb, s::encode_hid_pos_reports("AFTER-REPLUG"));
  push_all(usb, s::encode_hid_pos_reports(row));
  REQUIRE(eventually([&] { return feed.queue().size() == 2; }));
  scans = feed.queue().take_all();
  REQUIRE(scans.size() == 2);
  CHECK(scans[0].bytes == "AFTER-REPLUG");
  CHECK(scans[1].bytes == row);
  CHECK(scans[1].at_ms == clock.wall_ms());

  const auto st = feed.status();
  CHECK(st.scanner.scans == 3);
  CHECK(st.scanner.connects == 2);
  CHECK(st.scanner.errors == 0);
  CHECK(st.dropped == 0);
  CHECK(st.config.id == kScanner);

  feed.stop();
  CHECK(state_of(feed) == s::ScannerState::stopped);
  feed.stop();  // idempotent

  // The log tells the state changes, and never the scanned bytes.
  CHECK(log.contains("scanner 0c2e:0b61: connected"));
  CHECK(log.contains("scanner 0c2e:0b61: waiting_for_device"));
  CHECK(log.contains("scanner 0c2e:0b61: stopped"));
  for (const auto& line : log.lines()) {
    INFO(line);
    CHECK(line.find("AFTER-REPLUG") == std::string::npos);
    CHECK(line.find(row.substr(0, 12)) == std::string::npos);
  }
}

TEST_CASE("scanner feed: keyboard mode with the JIS layout", "[edge][scanner]") {
  auto owned = std::make_unique<s::FakeTransport>();
  s::FakeTransport& usb = *owned;
  ManualClock clock;
  ScannerFeed feed(config(s::ScannerMode::keyboard, s::KeyboardLayout::jp106), std::move(owned), clock, {});
  REQUIRE(feed.start().ok());
  usb.plug(kScanner);
  REQUIRE(eventually([&] { return state_of(feed) == s::ScannerState::connected; }));
  CHECK(usb.last_mode() == s::ScannerMode::keyboard);
  // '@', '[' and '"' sit on other keys (and Shift states) on JIS than on US: read with the JIS
  // layout they come out as typed.
  auto reports = s::encode_keyboard_reports("ID:131016@[x]\"Q\"", s::KeyboardLayout::jp106);
  REQUIRE(reports.ok());
  push_all(usb, *reports);
  REQUIRE(eventually([&] { return feed.queue().size() == 1; }));
  auto scans = feed.queue().take_all();
  REQUIRE(scans.size() == 1);
  CHECK(scans[0].bytes == "ID:131016@[x]\"Q\"");
  CHECK(feed.status().config.layout == s::KeyboardLayout::jp106);
}

TEST_CASE("scanner feed: decoder errors are counted and logged, never queued", "[edge][scanner]") {
  auto owned = std::make_unique<s::FakeTransport>();
  s::FakeTransport& usb = *owned;
  ManualClock clock;
  Log log;
  ScannerFeed feed(config(), std::move(owned), clock, log.sink());
  REQUIRE(feed.start().ok());
  usb.plug(kScanner);
  REQUIRE(eventually([&] { return state_of(feed) == s::ScannerState::connected; }));

  // A report of the wrong size between scans: one malformed error; the decoder then drops what
  // follows up to the next end of a scan (it may be the tail of the broken one), with a second.
  REQUIRE(usb.push_report(s::Report(3, 0)));
  push_all(usb, s::encode_hid_pos_reports("DROPPED-TAIL"));
  REQUIRE(eventually([&] { return feed.status().scanner.errors >= 2; }));
  // A scan longer than the 8 KiB bound: too_large, not queued.
  push_all(usb, s::encode_hid_pos_reports(std::string(s::kMaxScanBytes + 100, 'Z')));
  REQUIRE(eventually([&] { return feed.status().scanner.errors >= 3; }));
  // Then a good scan comes through whole.
  const std::string row = cp932_row();
  push_all(usb, s::encode_hid_pos_reports(row));
  REQUIRE(eventually([&] { return feed.queue().size() == 1; }));
  auto scans = feed.queue().take_all();
  REQUIRE(scans.size() == 1);
  CHECK(scans[0].bytes == row);
  const auto st = feed.status();
  CHECK(st.scanner.errors == 3);
  CHECK(st.scanner.scans == 1);
  CHECK_FALSE(st.scanner.last_error.empty());
  CHECK(log.contains("scanner 0c2e:0b61: malformed"));
  CHECK(log.contains("scanner 0c2e:0b61: too_large"));
  for (const auto& line : log.lines()) {
    INFO(line);
    CHECK(line.find("DROPPED-TAIL") == std::string::npos);
    CHECK(line.find("ZZZZ") == std::string::npos);
  }
}

TEST_CASE("scanner feed: a full queue drops the oldest scan and counts it", "[edge][scanner]") {
  auto owned = std::make_unique<s::FakeTransport>();
  s::FakeTransport& usb = *owned;
  ManualClock clock;
  Log log;
  ScannerFeed feed(config(), std::move(owned), clock, log.sink(), 2);
  REQUIRE(feed.start().ok());
  usb.plug(kScanner);
  REQUIRE(eventually([&] { return state_of(feed) == s::ScannerState::connected; }));
  for (const char* code : {"FIRST", "SECOND", "THIRD"}) push_all(usb, s::encode_hid_pos_reports(code));
  REQUIRE(eventually([&] { return feed.status().scanner.scans == 3; }));
  const auto st = feed.status();
  CHECK(st.dropped == 1);
  CHECK(st.queued == 2);
  auto scans = feed.queue().take_all();
  REQUIRE(scans.size() == 2);
  CHECK(scans[0].bytes == "SECOND");
  CHECK(scans[1].bytes == "THIRD");
  // The console's own drop notice is left for the console to take.
  CHECK(feed.queue().take_dropped() == 1);
  CHECK(feed.status().dropped == 1);  // the status keeps the total
  CHECK(log.contains("scan queue full"));
}

TEST_CASE("scanner feed: destroyed while connected, the service stops before the queue goes",
          "[edge][scanner]") {
  auto owned = std::make_unique<s::FakeTransport>();
  s::FakeTransport& usb = *owned;
  ManualClock clock;
  Log log;
  {
    ScannerFeed feed(config(), std::move(owned), clock, log.sink());
    REQUIRE(feed.start().ok());
    usb.plug(kScanner);
    REQUIRE(eventually([&] { return state_of(feed) == s::ScannerState::connected; }));
    push_all(usb, s::encode_hid_pos_reports("LEFT-IN-QUEUE"));
    REQUIRE(eventually([&] { return feed.queue().size() == 1; }));
  }  // no stop(): the destructor joins the thread first
  CHECK(log.contains("scanner 0c2e:0b61: stopped"));
}
