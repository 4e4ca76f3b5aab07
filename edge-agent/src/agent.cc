#include "madoguchi/edge/agent.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "madoguchi/console/app/console_app.h"
#include "madoguchi/edge/api.h"
#include "madoguchi/edge/booking_backend.h"
#include "madoguchi/edge/card_store.h"
#include "madoguchi/edge/console_store.h"
#include "madoguchi/console/app/excel_writers.h"
#include "madoguchi/console/app/page_decoder.h"
#include "madoguchi/edge/edge_store.h"
#include "madoguchi/edge/device_reporter.h"
#include "madoguchi/edge/linkage_inbox.h"
#include "madoguchi/edge/scanner_feed.h"
#include "madoguchi/edge/sync_engine.h"
#include "madoguchi/http/api_token.h"
#include "madoguchi/http/server.h"
#include "madoguchi/log/stderr_sink.h"
#include "madoguchi/mqtt/mqtt_client.h"
#include "madoguchi/protocol/topics.h"
#include "madoguchi/scanner/libusb_transport.h"

namespace madoguchi::edge {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

void write_status_file(const std::filesystem::path& path, const std::string& text) {
  auto tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text << "\n";
    if (!out) return;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
}

class Agent {
 public:
  Agent(const EdgeConfig& config, EdgeStore store)
      : config_(config),
        log_(log::stderr_sink("edge[" + protocol::device_identity(config.municipality, config.device) + "]")),
        store_(std::move(store)),
        mqtt_(mqtt_options(), mqtt_callbacks()),
        engine_(store_, mqtt_, clock_, config.sync, log_),
        tick_(io_),
        signals_(io_, SIGINT, SIGTERM) {}

  Status start() {
    if (config_.role == Role::linkage) {
      inbox_.emplace(store_, config_.inbox_dir, config_.device, log_);
      if (auto s = inbox_->init(); !s) return s;
    } else if (config_.report_status) {
      // 同期状況 at the hub (the linkage server reports through its heartbeat instead: its
      // operations go to the certificate database).
      reporter_.emplace(store_, "counter", MADOGUCHI_VERSION, certificate_not_after_ms(config_.cert_file));
    }
    if (config_.scanner) {
      // The counter's QR scanner (ISS-1, ISS-13): its own thread pushes scans into the feed's
      // ScanQueue, which the 交付管理 import screen takes from. An absent scanner is waited for.
      auto usb = std::make_unique<scanner::LibusbTransport>();
      if (usb->init_error()) {
        log_(LogLevel::warning, "scanner: libusb could not start (" + usb->init_error()->describe() +
                                    "); the scanner will not be found");
      }
      scanner_ = std::make_unique<ScannerFeed>(*config_.scanner, std::move(usb), clock_, log_);
      if (auto s = scanner_->start(); !s) return s.error().with_context("starting the QR scanner");
      if (config_.console_port == 0) {
        log_(LogLevel::warning, "scanner: the staff console is off (console_port 0), so nothing takes the scans");
      }
    }
    if (config_.http_port != 0) {
      http::ServerOptions o;
      o.address = config_.http_address;
      o.port = config_.http_port;
      api_ctx_ = std::make_unique<ApiContext>(
          ApiContext{store_, engine_, mqtt_, clock_, [this] { engine_.tick(); }, scanner_.get()});
      // The API's credential (mode 0600 in the data directory): no other local user, and no web
      // page, may read records or write operations through it.
      auto token = http::ensure_api_token(config_.data_dir / "api-token");
      if (!token) return token.error().with_context("the local API's token");
      http_ = std::make_unique<http::Server>(io_, o, [this, token = *token](const http::Request& r) {
        if (!(r.path == "/healthz" && r.method == "GET") && !http::has_api_token(r, token)) return http::api_token_required();
        return handle_api(*api_ctx_, r);
      });
      if (auto s = http_->start(); !s) return s.error().with_context("starting the local API");
      log_(LogLevel::info, "local API on http://" + config_.http_address + ":" + std::to_string(http_->port()));
    }
    if (config_.console_port != 0) {
      http::ServerOptions o;
      o.address = config_.console_address;
      o.port = config_.console_port;
      o.cert_file = config_.console_tls_cert.string();
      o.key_file = config_.console_tls_key.string();
      // Forms, and 交付管理's uploads (scanned page images, ledger and renewal CSV files).
      o.body_limit = console::app::kCardConsoleBodyLimit;
      console::app::ConsoleOptions co;
      co.tls = !o.cert_file.empty();
      co.spool_dir = config_.data_dir / "tmp";  // big exports, beside the database (not a small /tmp)
      console_store_ = std::make_unique<EdgeConsoleStore>(store_, clock_, [this] { engine_.tick(); });
      // The card records behind 交付管理 (ISS-1 to ISS-15), with their search index.
      auto cards = EdgeCardStore::open(store_, [this] { engine_.tick(); });
      if (!cards) return cards.error().with_context("opening the card store");
      card_store_ = std::move(*cards);
      console_ = std::make_unique<console::app::ConsoleApp>(*console_store_, clock_, co);
      console_->attach_cards(*card_store_, card_services());
      // 電話予約 (PHN-1..PHN-6): bookings over this counter's view, offline too (EDGE-3, EDGE-5).
      auto bookings = EdgeBookingBackend::open(store_, clock_, [this] { engine_.tick(); });
      if (!bookings) return bookings.error().with_context("opening the booking index");
      booking_backend_ = std::move(*bookings);
      booking_backend_->set_log(log_);  // cards a booking names that the view lacks (counts only)
      console_->attach_bookings(*booking_backend_, booking_backend_.get());
      console_http_ = std::make_unique<http::Server>(io_, o, [this](const http::Request& r) { return console_->handle(r); });
      if (auto s = console_http_->start(); !s) return s.error().with_context("starting the staff console");
      log_(LogLevel::info, std::string("staff console on ") + (co.tls ? "https://" : "http://") + config_.console_address + ":" +
                               std::to_string(console_http_->port()));
    }
    if (const auto& m = store_.migration(); m.from != m.to) {
      log_(LogLevel::info, m.from == 0 ? "edge database created at schema version " + std::to_string(m.to)
                                       : "edge database upgraded from schema version " + std::to_string(m.from) + " to " +
                                             std::to_string(m.to) + "; the copy taken before is " +
                                             (m.backup ? m.backup->string() : std::string("(none)")));
    }
    if (auto s = mqtt_.start(); !s) return s;
    signals_.async_wait([this](const boost::system::error_code&, int) { stop(); });
    schedule_tick();
    log_(LogLevel::info, "started (" + std::string(config_.role == Role::counter ? "counter" : "linkage") + "), last seq " +
                             std::to_string(store_.last_seq()) + ", acknowledged up to " + std::to_string(store_.acked_upto()));
    return {};
  }

  void run() { io_.run(); }

 private:
  // What 交付管理 gets from this PC: the scanner's queue and state, page images read with
  // ZXing-cpp (drivers/imaging) and Excel workbooks (drivers/xlsx, temporary files under
  // <data_dir>/tmp: on disk, readable by the service only, removed when written).
  console::app::CardServices card_services() {
    console::app::CardServices services;
    services.decode_page = console::app::qr_page_decoder();
    services.excel = console::app::excel_table_writers(config_.data_dir / "tmp");
    if (scanner_) {
      services.scans = &scanner_->queue();
      services.scanner_status = [this] { return console_scanner_status(); };
    }
    return services;
  }

  // Thread-safe snapshot of the scanner for the import screen (the console's thread).
  console::app::ScannerStatus console_scanner_status() const {
    console::app::ScannerStatus out;
    if (!scanner_) return out;
    const auto st = scanner_->status();
    out.configured = true;
    out.state = std::string(scanner::scanner_state_name(st.scanner.state));
    out.scans = st.scanner.scans;
    out.errors = st.scanner.errors;
    return out;
  }

  mqtt::ClientOptions mqtt_options() const {
    mqtt::ClientOptions o;
    o.host = config_.broker_host;
    o.port = config_.broker_port;
    o.client_id = protocol::device_identity(config_.municipality, config_.device);
    o.ca_file = config_.ca_file.string();
    o.cert_file = config_.cert_file.string();
    o.key_file = config_.key_file.string();
    o.keepalive_seconds = config_.keepalive_seconds;
    o.reconnect_max_seconds = config_.reconnect_max_seconds;
    return o;
  }

  mqtt::Callbacks mqtt_callbacks() {
    mqtt::Callbacks cb;
    // These run on libmosquitto's thread: subscribe there (allowed), hand everything else over.
    cb.on_connected = [this] {
      (void)mqtt_.subscribe(protocol::down_topic(config_.municipality, config_.device));
      // A linkage server receives no feed (KON-5): the broker refuses it, and it has no use for it.
      if (config_.role == Role::counter) (void)mqtt_.subscribe(protocol::feed_topic(config_.municipality));
      asio::post(io_, [this] {
        log_(LogLevel::info, "connected to broker");
        engine_.on_connected();
      });
    };
    cb.on_disconnected = [this](std::string reason) {
      asio::post(io_, [this, reason = std::move(reason)] {
        log_(LogLevel::warning, "link down: " + reason);
        engine_.on_disconnected();
      });
    };
    cb.on_message = [this](std::string topic, std::string payload) {
      asio::post(io_, [this, topic = std::move(topic), payload = std::move(payload)] { engine_.on_message(topic, payload); });
    };
    cb.on_subscribe_refused = [this](int, int code) {
      asio::post(io_, [this, code] { log_(LogLevel::error, "subscription refused by broker, reason " + std::to_string(code)); });
    };
    return cb;
  }

  void schedule_tick() {
    tick_.expires_after(50ms);
    tick_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping_) return;
      on_tick();
      schedule_tick();
    });
  }

  void on_tick() {
    engine_.tick();
    auto now = clock_.now();
    if (booking_backend_) {
      // Cards of a phone booking the hub refused go back to what the hub's booking implies
      // (EDGE-5); one indexed look when no rejection arrived.
      if (auto r = booking_backend_->put_back_refused_cards(); !r) {
        log_(LogLevel::error, "refused bookings' cards: " + r.error().describe());
      }
    }
    if (card_store_ && now - last_index_ >= 100ms) {
      // The card search index follows the view in the background (a snapshot of a whole
      // municipality is 300,000 cards): small steps, so sync and the console stay responsive.
      last_index_ = now;
      if (auto r = card_store_->refresh(500); !r) log_(LogLevel::error, "card index: " + r.error().describe());
    }
    // Deltas are sent as they arrive (LNK-3): the inbox is looked at ten times a second.
    if (inbox_ && now - last_inbox_scan_ >= 100ms) {
      last_inbox_scan_ = now;
      auto r = inbox_->scan(clock_.wall_ms());
      if (!r) {
        log_(LogLevel::error, "inbox: " + r.error().describe());
      } else if (r->taken + r->duplicates + r->rejected > 0) {
        log_(LogLevel::info, "inbox: files taken " + std::to_string(r->taken) + " (" + std::to_string(r->rows) + " rows), delivered again " +
                                 std::to_string(r->duplicates) + ", refused " + std::to_string(r->rejected) + ", held " + std::to_string(r->held));
        engine_.tick();
      }
    }
    if (reporter_) {
      auto r = reporter_->tick(clock_.wall_ms(), mqtt_.connected());
      if (!r) {
        log_(LogLevel::error, "status report: " + r.error().describe());
      } else if (*r) {
        engine_.tick();
      }
    }
    if (now - last_status_ >= 1s) {
      last_status_ = now;
      if (!config_.status_file.empty()) {
        http::Request req;
        req.method = "GET";
        req.path = "/api/v1/status";
        ApiContext ctx{store_, engine_, mqtt_, clock_, {}, scanner_.get()};
        write_status_file(config_.status_file, handle_api(ctx, req).body);
      }
      // Keep the WAL small when nothing is waiting.
      if (engine_.caught_up() && now - last_checkpoint_ >= 30s) {
        last_checkpoint_ = now;
        (void)store_.checkpoint();
      }
    }
  }

  void stop() {
    if (stopping_) return;
    stopping_ = true;
    log_(LogLevel::info, "stopping");
    tick_.cancel();
    if (http_) http_->stop();
    if (console_http_) console_http_->stop();
    // Joins the scanner thread; the queue (and scans in it) stays until the agent goes.
    if (scanner_) scanner_->stop();
    mqtt_.stop();
    io_.stop();
  }

  const EdgeConfig& config_;
  LogSink log_;
  asio::io_context io_;
  SystemClock clock_;
  EdgeStore store_;
  mqtt::Client mqtt_;
  SyncEngine engine_;
  asio::steady_timer tick_;
  asio::signal_set signals_;
  std::optional<LinkageInbox> inbox_;
  std::optional<DeviceReporter> reporter_;
  // Declared before everything that reads it (API context, console), so destroyed after them;
  // its destructor stops the scanner thread before its ScanQueue goes.
  std::unique_ptr<ScannerFeed> scanner_;
  std::unique_ptr<ApiContext> api_ctx_;
  std::unique_ptr<http::Server> http_;
  std::unique_ptr<EdgeConsoleStore> console_store_;
  std::unique_ptr<EdgeCardStore> card_store_;  // outlives console_, which will read it
  std::unique_ptr<EdgeBookingBackend> booking_backend_;  // outlives console_, which will read it
  std::unique_ptr<console::app::ConsoleApp> console_;
  std::unique_ptr<http::Server> console_http_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point last_inbox_scan_{}, last_status_{}, last_checkpoint_{}, last_index_{};
};

}  // namespace

Status run_agent(const EdgeConfig& config) {
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) return Error{Errc::io, "creating " + config.data_dir.string() + ": " + ec.message()};
  auto store = EdgeStore::open(config.data_dir / "edge.db", config.municipality, config.device);
  if (!store) return store.error();
  Agent agent(config, std::move(*store));
  if (auto s = agent.start(); !s) return s;
  agent.run();
  return {};
}

}  // namespace madoguchi::edge
