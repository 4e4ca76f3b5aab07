// ScannerFeed: the scanner service's sink into the console's ScanQueue (scanner_feed.h).
#include "madoguchi/edge/scanner_feed.h"

#include <utility>

namespace madoguchi::edge {

ScannerFeed::ScannerFeed(scanner::ScannerConfig config, std::unique_ptr<scanner::UsbTransport> transport,
                         const Clock& clock, LogSink log, std::size_t queue_capacity)
    : clock_(clock),
      log_(log ? std::move(log) : null_log()),
      capacity_(queue_capacity == 0 ? 1 : queue_capacity),
      id_text_(scanner::usb_id_text(config.id)),
      queue_(capacity_) {
  scanner::ScanSink sink;
  sink.on_scan = [this](scanner::Scan scan) { on_scan(std::move(scan)); };
  sink.on_error = [this](const Error& error) { on_error(error); };
  sink.on_state = [this](scanner::ScannerState state) { on_state(state); };
  service_ = std::make_unique<scanner::ScannerService>(config, std::move(transport), std::move(sink));
}

ScannerFeed::~ScannerFeed() { stop(); }

Status ScannerFeed::start() {
  if (running_) return make_error(Errc::invalid_argument, "scanner feed already started");
  // Logged before the thread starts, so it comes before the thread's first state line.
  const auto& c = service_->config();
  std::string line = "scanner ";
  line.append(id_text_).append(" (").append(scanner::scanner_mode_name(c.mode));
  if (c.mode == scanner::ScannerMode::keyboard) line.append(", layout ").append(scanner::keyboard_layout_name(c.layout));
  line.append(") started");
  log_(LogLevel::info, line);
  if (auto s = service_->start(); !s) return s;
  running_ = true;
  return {};
}

void ScannerFeed::stop() {
  service_->stop();
  running_ = false;
}

ScannerFeedStatus ScannerFeed::status() const {
  ScannerFeedStatus st;
  st.config = service_->config();
  st.scanner = service_->status();
  st.dropped = dropped_.load();
  st.queued = queue_.size();
  return st;
}

void ScannerFeed::on_scan(scanner::Scan scan) {
  // The service thread is the only producer and the console only takes scans out, so a queue
  // found full here drops its oldest scan on this push (ScanQueue::push). Only a take_all() in
  // the instant between the check and the push can make this count one drop too many; the
  // console learns of drops through ScanQueue::take_dropped(), which this does not touch.
  if (queue_.size() >= capacity_) {
    dropped_.fetch_add(1);
    log_(LogLevel::warning, "scanner " + id_text_ + ": scan queue full, the oldest waiting scan was dropped");
  }
  queue_.push(console::app::Scan{std::move(scan.bytes), clock_.wall_ms()});
}

void ScannerFeed::on_error(const Error& error) {
  // The service's errors name sizes, offsets and device problems, never scanned bytes.
  log_(LogLevel::warning, "scanner " + id_text_ + ": " + error.describe());
}

void ScannerFeed::on_state(scanner::ScannerState state) {
  std::string line = "scanner " + id_text_ + ": ";
  switch (state) {
    case scanner::ScannerState::connected: {
      line += "connected";
      // The service publishes the device before it calls on_state: "0c2e:0b61 bus 1 device 4 ...".
      const auto device = service_->status().device;
      if (!device.empty()) line.append(" (").append(device).append(")");
      break;
    }
    case scanner::ScannerState::waiting_for_device:
      line += "waiting_for_device (not plugged in, unplugged, or not found with this VID:PID)";
      break;
    case scanner::ScannerState::stopped: line += "stopped"; break;
  }
  log_(state == scanner::ScannerState::waiting_for_device ? LogLevel::warning : LogLevel::info, line);
}

}  // namespace madoguchi::edge
