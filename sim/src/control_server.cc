// ControlServer: moves control lines between sockets and answer_control_line(). No rules here.
// Same concurrency model as FaultProxy: one io_context, one thread, all state on that thread.
#include "madoguchi/sim/control.h"

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "madoguchi/sim/asio.h"

namespace madoguchi::sim {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {
constexpr std::size_t kMaxControlConnections = 16;
constexpr auto kIdleTimeout = std::chrono::minutes(5);
// After rejecting an over-long line: how long to drain the rest before closing hard.
constexpr auto kLingerTimeout = std::chrono::seconds(1);
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);
}  // namespace

class ControlServer::Impl {
 public:
  Impl(FaultProxy& proxy, std::string host, std::uint16_t listen_port, Observer observer)
      : proxy_(proxy),
        host_(std::move(host)),
        listen_port_(listen_port),
        observer_(std::move(observer)) {}
  ~Impl() { stop(); }

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  Status start();
  void stop();

  std::atomic<std::uint16_t> port{0};

 private:
  class Connection;

  void do_accept();
  void connection_finished(Connection* connection) { connections_.erase(connection); }

  FaultProxy& proxy_;
  const std::string host_;
  const std::uint16_t listen_port_;
  const Observer observer_;

  asio::io_context io_;  // before every I/O object, so destroyed after them
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  tcp::acceptor acceptor_{io_};
  asio::steady_timer accept_retry_{io_};
  std::unordered_map<Connection*, std::shared_ptr<Connection>> connections_;
  bool stopping_ = false;

  std::mutex lifecycle_mu_;
  enum class Lifecycle { idle, running, stopped } lifecycle_ = Lifecycle::idle;
  std::thread thread_;
};

// One control connection: read a line, answer it, repeat.
class ControlServer::Impl::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Impl& server, tcp::socket socket)
      : server_(server), socket_(std::move(socket)), timer_(server.io_) {}

  void start() { read_line(); }

  void close() {
    if (closed_) return;
    closed_ = true;
    error_code ignored;
    socket_.close(ignored);
    timer_.cancel();
    server_.connection_finished(this);
  }

 private:
  void arm_timer(std::chrono::steady_clock::duration timeout) {
    timer_.expires_after(timeout);
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec) self->close();
    });
  }

  void read_line() {
    arm_timer(kIdleTimeout);
    // One byte over the limit leaves room for the newline; a full buffer without one is an
    // over-long line (error::not_found).
    asio::async_read_until(socket_, asio::dynamic_buffer(in_, kMaxControlLineBytes + 1), '\n',
                           [self = shared_from_this()](error_code ec, std::size_t n) {
                             self->on_line(ec, n);
                           });
  }

  void on_line(error_code ec, std::size_t n) {
    if (closed_) return;
    if (ec == asio::error::not_found) {
      reject_and_close("error line longer than " + std::to_string(kMaxControlLineBytes) +
                       " bytes");
      return;
    }
    if (ec) {
      close();  // peer went away (an unterminated last line is ignored)
      return;
    }
    const std::string line = in_.substr(0, n - 1);
    in_.erase(0, n);
    std::string answer = answer_control_line(line, server_.proxy_);
    if (server_.observer_) server_.observer_(line, answer);
    out_ = std::move(answer) + "\n";
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this()](error_code wec, std::size_t) {
                        if (self->closed_) return;
                        if (wec) return self->close();
                        self->read_line();
                      });
  }

  // Answers, then shuts down sending and drains what the client still sends: closing with
  // unread bytes would send RST, which may destroy the answer before the client reads it.
  void reject_and_close(std::string answer) {
    out_ = std::move(answer) + "\n";
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this()](error_code wec, std::size_t) {
                        if (self->closed_) return;
                        if (wec) return self->close();
                        error_code ignored;
                        self->socket_.shutdown(tcp::socket::shutdown_send, ignored);
                        self->arm_timer(kLingerTimeout);
                        self->drain();
                      });
  }

  void drain() {
    in_.clear();
    in_.resize(512);
    socket_.async_read_some(asio::buffer(in_),
                            [self = shared_from_this()](error_code ec, std::size_t) {
                              if (self->closed_) return;
                              if (ec) return self->close();
                              self->drain();
                            });
  }

  Impl& server_;
  tcp::socket socket_;
  asio::steady_timer timer_;  // idle timeout, then linger timeout
  std::string in_;
  std::string out_;
  bool closed_ = false;
};

Status ControlServer::Impl::start() {
  std::lock_guard lock(lifecycle_mu_);
  if (lifecycle_ != Lifecycle::idle) {
    return make_error(Errc::invalid_argument, "control server already started");
  }
  const std::string name = host_ + ":" + std::to_string(listen_port_);
  error_code ec;
  tcp::resolver resolver(io_);
  auto listen = resolver.resolve(host_, std::to_string(listen_port_),
                                 tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || listen.empty()) {
    return make_error(Errc::io, "resolving control address " + name + ": " + ec.message());
  }
  const tcp::endpoint endpoint = listen.begin()->endpoint();
  auto fail = [&](std::string_view what) {
    error_code ignored;
    acceptor_.close(ignored);
    return make_error(Errc::io, std::string(what) + " control address " + name + ": " +
                                    ec.message());
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
  work_.emplace(io_.get_executor());
  do_accept();
  thread_ = std::thread([this] { io_.run(); });
  lifecycle_ = Lifecycle::running;
  return {};
}

void ControlServer::Impl::stop() {
  std::lock_guard lock(lifecycle_mu_);
  if (lifecycle_ != Lifecycle::running) {
    lifecycle_ = Lifecycle::stopped;
    return;
  }
  lifecycle_ = Lifecycle::stopped;
  asio::post(io_, [this] {
    stopping_ = true;
    error_code ignored;
    acceptor_.close(ignored);
    accept_retry_.cancel();
    std::vector<std::shared_ptr<Connection>> all;
    for (const auto& entry : connections_) all.push_back(entry.second);
    for (const auto& connection : all) connection->close();
  });
  work_.reset();
  thread_.join();
}

void ControlServer::Impl::do_accept() {
  acceptor_.async_accept([this](error_code ec, tcp::socket socket) {
    if (stopping_ || ec == asio::error::operation_aborted) return;
    if (ec) {
      accept_retry_.expires_after(kAcceptRetryDelay);
      accept_retry_.async_wait([this](error_code wait_ec) {
        if (!wait_ec && !stopping_) do_accept();
      });
      return;
    }
    if (connections_.size() >= kMaxControlConnections) {
      error_code ignored;
      socket.close(ignored);  // over the bound: refuse rather than queue
    } else {
      auto connection = std::make_shared<Connection>(*this, std::move(socket));
      connections_.emplace(connection.get(), connection);
      connection->start();
    }
    do_accept();
  });
}

ControlServer::ControlServer(FaultProxy& proxy, std::string listen_host,
                             std::uint16_t listen_port, Observer observer)
    : impl_(std::make_unique<Impl>(proxy, std::move(listen_host), listen_port,
                                   std::move(observer))) {}
ControlServer::~ControlServer() = default;  // Impl's destructor stops

Status ControlServer::start() { return impl_->start(); }
void ControlServer::stop() { impl_->stop(); }
std::uint16_t ControlServer::port() const noexcept { return impl_->port.load(); }

}  // namespace madoguchi::sim
