// FaultProxy implementation on Boost.Asio.
//
// Concurrency model: one io_context run by one thread; every Session and all of Impl's loop
// state (loop_mode_, sessions_, acceptor_) are touched only on that thread, so no strand or lock
// is needed for them. Other threads talk to the loop by posting (set_mode, stop) and read the
// atomic mirrors (mode, counters).
//
// Lifetime: a Session is kept alive by the shared_ptr in sessions_ and by every pending
// completion handler (each captures `self`). It leaves sessions_ once all its sockets are
// closed; the last pending handler then frees it.
#include "madoguchi/sim/fault_proxy.h"

#include <atomic>
#include <cassert>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "madoguchi/sim/asio.h"
#include "quote.h"

namespace madoguchi::sim {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

std::string_view fault_mode_name(FaultMode mode) noexcept {
  switch (mode) {
    case FaultMode::pass: return "pass";
    case FaultMode::drop: return "drop";
    case FaultMode::blackhole: return "blackhole";
    case FaultMode::reset: return "reset";
    case FaultMode::delay: return "delay";
  }
  return "pass";
}

Expected<FaultMode> parse_fault_mode(std::string_view name) {
  for (FaultMode mode : {FaultMode::pass, FaultMode::drop, FaultMode::blackhole, FaultMode::reset,
                         FaultMode::delay}) {
    if (name == fault_mode_name(mode)) return mode;
  }
  return make_error(Errc::malformed, "unknown fault mode " + internal::quoted(name) +
                                         " (expected pass, drop, blackhole, reset or delay)");
}

namespace {

constexpr std::size_t kReadChunkBytes = 64 * 1024;   // per direction read buffer
constexpr std::size_t kMaxQueuedBytes = 256 * 1024;  // per direction; reading pauses above it
constexpr std::size_t kMaxConnections = 1024;
constexpr auto kConnectTimeout = std::chrono::seconds(5);
// How long a graceful close waits for the peer's FIN before closing hard.
constexpr auto kGracefulCloseTimeout = std::chrono::seconds(1);
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);

// Aborts a connection with RST instead of FIN: lingering with a zero timeout makes close()
// discard unsent data and reset the connection.
void reset_socket(tcp::socket& socket) {
  error_code ignored;
  socket.set_option(asio::socket_base::linger(true, 0), ignored);
  socket.close(ignored);
}

}  // namespace

class FaultProxy::Impl {
 public:
  Impl(std::string listen_host, std::uint16_t listen_port, std::string target_host,
       std::uint16_t target_port)
      : listen_host_(std::move(listen_host)),
        listen_port_(listen_port),
        target_host_(std::move(target_host)),
        target_port_(target_port) {}
  ~Impl() { stop(); }

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  Status start();
  void stop();
  void set_mode(FaultMode mode, std::chrono::milliseconds delay);

  // Mirrors and counters readable from any thread.
  std::atomic<FaultMode> mode_mirror{FaultMode::pass};
  std::atomic<std::int64_t> delay_mirror_ms{0};
  std::atomic<std::uint16_t> port{0};
  std::atomic<std::size_t> active{0};
  std::atomic<std::uint64_t> bytes_forwarded{0};

 private:
  class Session;

  void do_accept();
  void on_accepted(tcp::socket socket);
  void apply_mode(FaultMode mode, std::chrono::milliseconds delay);
  void shutdown_all();
  void session_finished(Session* session);
  std::vector<std::shared_ptr<Session>> snapshot() const;
  // The hold time stamped on a chunk read now.
  std::chrono::milliseconds chunk_delay() const {
    return loop_mode_ == FaultMode::delay ? loop_delay_ : std::chrono::milliseconds{0};
  }

  const std::string listen_host_;
  const std::uint16_t listen_port_;
  const std::string target_host_;
  const std::uint16_t target_port_;

  // Declared before every I/O object so that it is destroyed after them.
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;

  // Proxy thread only (or any thread while the proxy thread is not running).
  tcp::acceptor acceptor_{io_};
  asio::steady_timer accept_retry_{io_};
  tcp::resolver::results_type target_;
  std::unordered_map<Session*, std::shared_ptr<Session>> sessions_;
  FaultMode loop_mode_ = FaultMode::pass;
  std::chrono::milliseconds loop_delay_{0};
  bool stopping_ = false;

  // Serialises start/stop/set_mode so a posted set_mode never waits on a loop that is stopping.
  std::mutex lifecycle_mu_;
  enum class Lifecycle { idle, running, stopped } lifecycle_ = Lifecycle::idle;
  std::thread thread_;
};

// One proxied connection: the accepted client socket, the upstream socket, and one pipe per
// direction. Its policy only ever moves forwarding -> blackholed -> dropped, or to closed by
// reset; a connection never returns to forwarding (see the header for why).
class FaultProxy::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Impl& proxy, tcp::socket client)
      : proxy_(proxy),
        client_(std::move(client), true),
        upstream_(tcp::socket(proxy.io_), false),
        deadline_(proxy.io_),
        c2u_(client_, upstream_, proxy.io_),
        u2c_(upstream_, client_, proxy.io_) {}

  // pass/delay: connect upstream, then relay both ways.
  void start_forwarding() {
    connecting_ = true;
    auto self = shared_from_this();
    deadline_.expires_after(kConnectTimeout);
    deadline_.async_wait([self](error_code ec) {
      // Closing the socket makes the connect complete with an error; on_connected drops.
      if (!ec && self->connecting_) close_socket(self->upstream_);
    });
    asio::async_connect(upstream_.socket, proxy_.target_,
                        [self](error_code ec, const tcp::endpoint&) { self->on_connected(ec); });
  }

  // Keep every open socket open, swallow all bytes from now on. No-op unless forwarding:
  // a dropped connection is already going away.
  void blackhole() {
    if (policy_ != Policy::forwarding) return;
    policy_ = Policy::blackholed;
    abandon_connect();
    discard_queue(c2u_);
    discard_queue(u2c_);
    start_read(c2u_);
    start_read(u2c_);
  }

  // Graceful close: FIN to both sides now, then drain (and discard) until each peer's FIN so
  // that close() does not turn into RST because of unread bytes; hard close after a deadline.
  void drop() {
    if (policy_ == Policy::dropped) return;
    policy_ = Policy::dropped;
    abandon_connect();
    discard_queue(c2u_);
    discard_queue(u2c_);
    for (Side* side : {&client_, &upstream_}) {
      if (!side->open) continue;
      error_code ignored;
      side->socket.shutdown(tcp::socket::shutdown_send, ignored);
      side->sent_fin = true;
    }
    start_read(c2u_);
    start_read(u2c_);
    auto self = shared_from_this();
    deadline_.expires_after(kGracefulCloseTimeout);
    deadline_.async_wait([self](error_code ec) {
      if (!ec) self->close_now();
    });
    finish_if_done();
  }

  // RST on both sides, right now.
  void reset() {
    abandon_connect();
    for (Side* side : {&client_, &upstream_}) {
      if (!side->open) continue;
      reset_socket(side->socket);
      side->open = false;
    }
    finish_if_done();
  }

  // Plain close of everything (FIN, or RST where the kernel still holds unread bytes).
  void close_now() {
    abandon_connect();
    for (Side* side : {&client_, &upstream_}) {
      if (side->open) close_socket(*side);
    }
    finish_if_done();
  }

 private:
  enum class Policy { forwarding, blackholed, dropped };

  struct Side {
    Side(tcp::socket s, bool is_open) : socket(std::move(s)), open(is_open) {}
    tcp::socket socket;
    bool open;              // connected and not yet closed by us
    bool read_eof = false;  // the peer sent FIN
    bool sent_fin = false;  // we shut down our sending half
  };

  struct Chunk {
    std::vector<char> data;
    Clock::time_point release;  // not written on before this time (delay mode)
  };

  // Bytes read from `from` are queued and written to `to` in order.
  struct Pipe {
    Pipe(Side& from_side, Side& to_side, asio::io_context& io)
        : from(from_side), to(to_side), timer(io) {}
    Side& from;
    Side& to;
    std::vector<char> buffer;  // kReadChunkBytes, allocated on first read
    std::deque<Chunk> queue;
    std::size_t queued_bytes = 0;
    bool reading = false;  // an async_read_some is pending
    bool writing = false;  // an async_write of queue.front() is pending
    bool waiting = false;  // timer pending until queue.front().release
    asio::steady_timer timer;
  };

  static void close_socket(Side& side) {
    error_code ignored;
    side.socket.close(ignored);
    side.open = false;
  }

  // Drops queued chunks, except the one an async_write is still reading from.
  static void discard_queue(Pipe& pipe) {
    const bool keep_front = pipe.writing && !pipe.queue.empty();
    const std::size_t keep = keep_front ? 1 : 0;
    while (pipe.queue.size() > keep) pipe.queue.pop_back();
    pipe.queued_bytes = keep_front ? pipe.queue.front().data.size() : 0;
    pipe.timer.cancel();
  }

  void abandon_connect() {
    if (!connecting_) return;
    connecting_ = false;  // tells on_connected that the result no longer matters
    close_socket(upstream_);
  }

  void on_connected(error_code ec) {
    if (!connecting_) return;  // a fault mode or the deadline took over meanwhile
    connecting_ = false;
    deadline_.cancel();
    if (ec) {
      // Target unreachable: the client sees an orderly close, as from a proxy with a dead backend.
      close_socket(upstream_);
      drop();
      return;
    }
    upstream_.open = true;
    error_code ignored;
    upstream_.socket.set_option(tcp::no_delay(true), ignored);
    start_read(c2u_);
    start_read(u2c_);
  }

  void start_read(Pipe& pipe) {
    if (pipe.reading || !pipe.from.open) return;
    // Forwarding stops reading at EOF and while the queue is over its bound (back pressure);
    // discarding policies read until the peer closes.
    if (policy_ == Policy::forwarding &&
        (pipe.from.read_eof || pipe.queued_bytes >= kMaxQueuedBytes)) {
      return;
    }
    if (pipe.buffer.empty()) pipe.buffer.resize(kReadChunkBytes);
    pipe.reading = true;
    pipe.from.socket.async_read_some(
        asio::buffer(pipe.buffer),
        [self = shared_from_this(), &pipe](error_code ec, std::size_t n) {
          pipe.reading = false;
          self->on_read(pipe, ec, n);
        });
  }

  void on_read(Pipe& pipe, error_code ec, std::size_t n) {
    if (!pipe.from.open) return;  // closed under the read (reset, stop)
    if (policy_ != Policy::forwarding) {
      // Blackhole swallows; drop drains towards the peer's FIN. Either way, the end of this
      // peer's stream ends our side of it.
      if (ec) {
        close_socket(pipe.from);
        finish_if_done();
        return;
      }
      start_read(pipe);
      return;
    }
    if (ec == asio::error::eof) {
      pipe.from.read_eof = true;
      pump_write(pipe);  // forwards the FIN once the queue is empty
      return;
    }
    if (ec) {
      close_now();  // peer reset or I/O error: the relay cannot go on
      return;
    }
    pipe.queue.push_back(
        Chunk{std::vector<char>(pipe.buffer.data(), pipe.buffer.data() + n),
              Clock::now() + proxy_.chunk_delay()});
    pipe.queued_bytes += n;
    pump_write(pipe);
    start_read(pipe);
  }

  // Writes the queue on in order, waiting for each chunk's release time.
  void pump_write(Pipe& pipe) {
    if (policy_ != Policy::forwarding || pipe.writing || pipe.waiting || !pipe.to.open) return;
    if (pipe.queue.empty()) {
      if (pipe.from.read_eof && !pipe.to.sent_fin) {
        // Half-close travels on: the peer's FIN becomes ours once its bytes are written.
        error_code ignored;
        pipe.to.socket.shutdown(tcp::socket::shutdown_send, ignored);
        pipe.to.sent_fin = true;
        if (client_.sent_fin && upstream_.sent_fin) close_now();  // both directions ended
      }
      return;
    }
    const Chunk& front = pipe.queue.front();
    if (front.release > Clock::now()) {
      pipe.waiting = true;
      pipe.timer.expires_at(front.release);
      pipe.timer.async_wait([self = shared_from_this(), &pipe](error_code) {
        pipe.waiting = false;
        self->pump_write(pipe);  // re-checks policy and sockets, so a cancel ends here
      });
      return;
    }
    pipe.writing = true;
    asio::async_write(
        pipe.to.socket, asio::buffer(front.data),
        [self = shared_from_this(), &pipe](error_code ec, std::size_t n) {
          pipe.writing = false;
          self->proxy_.bytes_forwarded.fetch_add(n, std::memory_order_relaxed);
          assert(!pipe.queue.empty());  // discard_queue keeps the chunk being written
          pipe.queued_bytes -= pipe.queue.front().data.size();
          pipe.queue.pop_front();
          if (ec) {
            if (self->policy_ == Policy::forwarding && pipe.to.open) self->close_now();
            return;
          }
          self->pump_write(pipe);
          self->start_read(pipe);  // resumes a read paused on the queue bound
        });
  }

  void finish_if_done() {
    if (finished_ || client_.open || upstream_.open || connecting_) return;
    finished_ = true;
    deadline_.cancel();
    discard_queue(c2u_);
    discard_queue(u2c_);
    proxy_.session_finished(this);
  }

  Impl& proxy_;
  Side client_;
  Side upstream_;
  asio::steady_timer deadline_;  // connect timeout, then graceful-close timeout
  Pipe c2u_;                     // client -> upstream
  Pipe u2c_;                     // upstream -> client
  Policy policy_ = Policy::forwarding;
  bool connecting_ = false;
  bool finished_ = false;
};

Status FaultProxy::Impl::start() {
  std::lock_guard lock(lifecycle_mu_);
  if (lifecycle_ != Lifecycle::idle) {
    return make_error(Errc::invalid_argument, "fault proxy already started");
  }
  const std::string target_name = target_host_ + ":" + std::to_string(target_port_);
  const std::string listen_name = listen_host_ + ":" + std::to_string(listen_port_);

  error_code ec;
  tcp::resolver resolver(io_);
  auto target = resolver.resolve(target_host_, std::to_string(target_port_),
                                 tcp::resolver::numeric_service, ec);
  if (ec || target.empty()) {
    return make_error(Errc::io, "resolving target " + target_name + ": " + ec.message());
  }
  auto listen = resolver.resolve(listen_host_, std::to_string(listen_port_),
                                 tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || listen.empty()) {
    return make_error(Errc::io, "resolving listen address " + listen_name + ": " + ec.message());
  }
  const tcp::endpoint endpoint = listen.begin()->endpoint();
  auto fail = [&](std::string_view what) {
    error_code ignored;
    acceptor_.close(ignored);
    return make_error(Errc::io,
                      std::string(what) + " " + listen_name + ": " + ec.message());
  };
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return fail("opening");
  acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (ec) return fail("configuring");
  acceptor_.bind(endpoint, ec);
  if (ec) return fail("binding");
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listening on");
  const tcp::endpoint bound = acceptor_.local_endpoint(ec);
  if (ec) return fail("reading the port of");

  port.store(bound.port());
  target_ = std::move(target);
  work_.emplace(io_.get_executor());
  do_accept();
  thread_ = std::thread([this] { io_.run(); });
  lifecycle_ = Lifecycle::running;
  return {};
}

void FaultProxy::Impl::stop() {
  std::lock_guard lock(lifecycle_mu_);
  if (lifecycle_ != Lifecycle::running) {
    lifecycle_ = Lifecycle::stopped;
    return;
  }
  lifecycle_ = Lifecycle::stopped;
  asio::post(io_, [this] { shutdown_all(); });
  // With the listener and every socket closed and every timer cancelled, run() returns once the
  // aborted handlers have run; no handler starts new work while stopping_.
  work_.reset();
  thread_.join();
}

void FaultProxy::Impl::set_mode(FaultMode mode, std::chrono::milliseconds delay) {
  if (mode != FaultMode::delay || delay < std::chrono::milliseconds{0}) {
    delay = std::chrono::milliseconds{0};
  }
  std::lock_guard lock(lifecycle_mu_);
  mode_mirror.store(mode);
  delay_mirror_ms.store(delay.count());
  if (lifecycle_ != Lifecycle::running) {
    loop_mode_ = mode;  // no proxy thread: the loop state is ours to set
    loop_delay_ = delay;
    return;
  }
  // Apply on the proxy thread and wait, so that the caller can rely on the effect (e.g. "every
  // existing connection has been reset") once set_mode returns.
  std::promise<void> applied;
  std::future<void> done = applied.get_future();
  asio::post(io_, [this, mode, delay, &applied] {
    apply_mode(mode, delay);
    applied.set_value();
  });
  done.wait();
}

void FaultProxy::Impl::do_accept() {
  acceptor_.async_accept([this](error_code ec, tcp::socket socket) {
    if (stopping_ || ec == asio::error::operation_aborted) return;
    if (ec) {
      // Typically out of descriptors: back off instead of spinning, then accept again.
      accept_retry_.expires_after(kAcceptRetryDelay);
      accept_retry_.async_wait([this](error_code wait_ec) {
        if (!wait_ec && !stopping_) do_accept();
      });
      return;
    }
    on_accepted(std::move(socket));
    do_accept();
  });
}

void FaultProxy::Impl::on_accepted(tcp::socket socket) {
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);  // the proxy must not add latency of its own
  // Over the connection bound we refuse loudly (RST) rather than queue clients invisibly.
  if (loop_mode_ == FaultMode::reset || sessions_.size() >= kMaxConnections) {
    reset_socket(socket);
    return;
  }
  auto session = std::make_shared<Session>(*this, std::move(socket));
  sessions_.emplace(session.get(), session);
  active.store(sessions_.size());
  switch (loop_mode_) {
    case FaultMode::pass:
    case FaultMode::delay: session->start_forwarding(); break;
    case FaultMode::blackhole: session->blackhole(); break;
    case FaultMode::drop: session->drop(); break;
    case FaultMode::reset: break;  // handled above
  }
}

void FaultProxy::Impl::apply_mode(FaultMode mode, std::chrono::milliseconds delay) {
  loop_mode_ = mode;
  loop_delay_ = delay;
  // A snapshot: sessions leave sessions_ while we act on them.
  for (const auto& session : snapshot()) {
    switch (mode) {
      case FaultMode::pass:
      case FaultMode::delay: break;  // new chunks pick up the delay; nothing to undo
      case FaultMode::blackhole: session->blackhole(); break;
      case FaultMode::drop: session->drop(); break;
      case FaultMode::reset: session->reset(); break;
    }
  }
}

void FaultProxy::Impl::shutdown_all() {
  stopping_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  accept_retry_.cancel();
  for (const auto& session : snapshot()) session->close_now();
}

void FaultProxy::Impl::session_finished(Session* session) {
  sessions_.erase(session);
  active.store(sessions_.size());
}

std::vector<std::shared_ptr<FaultProxy::Impl::Session>> FaultProxy::Impl::snapshot() const {
  std::vector<std::shared_ptr<Session>> out;
  out.reserve(sessions_.size());
  for (const auto& entry : sessions_) out.push_back(entry.second);
  return out;
}

FaultProxy::FaultProxy(std::string listen_host, std::uint16_t listen_port,
                       std::string target_host, std::uint16_t target_port)
    : impl_(std::make_unique<Impl>(std::move(listen_host), listen_port, std::move(target_host),
                                   target_port)) {}

FaultProxy::~FaultProxy() = default;  // Impl's destructor stops

Status FaultProxy::start() { return impl_->start(); }
void FaultProxy::stop() { impl_->stop(); }
std::uint16_t FaultProxy::port() const noexcept { return impl_->port.load(); }
void FaultProxy::set_mode(FaultMode mode, std::chrono::milliseconds delay) {
  impl_->set_mode(mode, delay);
}
FaultMode FaultProxy::mode() const noexcept { return impl_->mode_mirror.load(); }
std::chrono::milliseconds FaultProxy::delay() const noexcept {
  return std::chrono::milliseconds{impl_->delay_mirror_ms.load()};
}
std::size_t FaultProxy::active_connections() const noexcept { return impl_->active.load(); }
std::uint64_t FaultProxy::bytes_forwarded() const noexcept {
  return impl_->bytes_forwarded.load();
}

}  // namespace madoguchi::sim
