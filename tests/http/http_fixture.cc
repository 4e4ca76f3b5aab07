#include "http_fixture.h"

#include <array>
#include <cerrno>
#include <cstdlib>
#include <future>
#include <stdexcept>
#include <system_error>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

namespace madoguchi::http::testing {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {
constexpr std::chrono::seconds kStopDeadline{5};
constexpr std::chrono::seconds kIoDeadline{2};

// Runs `ioc` until the started operation completes or `timeout` passes; in the latter case the
// operation is cancelled (through `cancel`) and its completion drained. Returns true if the
// operation completed by itself.
template <class Cancel>
bool run_with_deadline(net::io_context& ioc, std::chrono::milliseconds timeout, bool& done,
                       Cancel&& cancel) {
  ioc.restart();
  ioc.run_for(timeout);
  if (done) return true;
  cancel();
  ioc.restart();
  ioc.run_for(kIoDeadline);  // cancellation completes at once; the bound is a safety net
  return false;
}
}  // namespace

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
struct ServerThread::Impl {
  Impl(ServerOptions options, Handler handler)
      : server(io, std::move(options), std::move(handler)) {}
  net::io_context io;
  Server server;
  Status start_status;
  std::thread thread;
  std::future<void> finished;
  bool running = false;
};

ServerThread::ServerThread(ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {
  impl_->start_status = impl_->server.start();
  if (!impl_->start_status) return;
  std::promise<void> finished;
  impl_->finished = finished.get_future();
  impl_->thread = std::thread([this, done = std::move(finished)]() mutable {
    impl_->io.run();
    done.set_value();
  });
  impl_->running = true;
}

ServerThread::~ServerThread() { stop(); }

const Status& ServerThread::start_status() const { return impl_->start_status; }
uint16_t ServerThread::port() const { return impl_->server.port(); }
ServerStats ServerThread::stats() const { return impl_->server.stats(); }

bool ServerThread::stop() {
  if (!impl_->running) return true;
  impl_->running = false;
  net::post(impl_->io, [this] { impl_->server.stop(); });
  const bool in_time = impl_->finished.wait_for(kStopDeadline) == std::future_status::ready;
  if (!in_time) impl_->io.stop();
  impl_->thread.join();
  return in_time;
}

// ---------------------------------------------------------------------------------------------
struct RawConnection::Impl {
  net::io_context io;
  tcp::socket socket{io};
  bool connected = false;
};

RawConnection::RawConnection(uint16_t port) : impl_(std::make_unique<Impl>()) {
  bool done = false;
  impl_->socket.async_connect(tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), port),
                              [&](const boost::system::error_code& ec) {
                                done = true;
                                impl_->connected = !ec;
                              });
  run_with_deadline(impl_->io, kIoDeadline, done, [&] {
    boost::system::error_code ignored;
    impl_->socket.close(ignored);
  });
}

RawConnection::~RawConnection() = default;

bool RawConnection::connected() const { return impl_->connected; }

bool RawConnection::send(std::string_view bytes) {
  if (!impl_->connected) return false;
  bool done = false;
  bool ok = false;
  net::async_write(impl_->socket, net::buffer(bytes.data(), bytes.size()),
                   [&](const boost::system::error_code& ec, std::size_t) {
                     done = true;
                     ok = !ec;
                   });
  run_with_deadline(impl_->io, kIoDeadline, done, [&] {
    boost::system::error_code ignored;
    impl_->socket.cancel(ignored);
  });
  return ok;
}

RawConnection::Read RawConnection::read_until(std::string_view needle,
                                              std::chrono::milliseconds timeout) {
  Read out;
  if (!impl_->connected) {
    out.closed = true;
    return out;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::array<char, 4096> buffer{};
  while (needle.empty() || out.data.find(needle) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      out.timed_out = true;
      break;
    }
    bool done = false;
    boost::system::error_code result;
    std::size_t got = 0;
    impl_->socket.async_read_some(net::buffer(buffer),
                                  [&](const boost::system::error_code& ec, std::size_t n) {
                                    done = true;
                                    result = ec;
                                    got = n;
                                  });
    const bool completed = run_with_deadline(impl_->io, left, done, [&] {
      boost::system::error_code ignored;
      impl_->socket.cancel(ignored);
    });
    out.data.append(buffer.data(), got);
    if (!completed) {
      out.timed_out = true;
      break;
    }
    if (result) {
      out.closed = true;  // EOF, reset or any other failure: nothing more will come
      break;
    }
  }
  return out;
}

void RawConnection::close() {
  boost::system::error_code ignored;
  impl_->socket.close(ignored);
  impl_->connected = false;
}

// ---------------------------------------------------------------------------------------------
struct SilentListener::Impl {
  net::io_context io;
  tcp::acceptor acceptor{io, tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), 0)};
};

SilentListener::SilentListener() : impl_(std::make_unique<Impl>()) {}
SilentListener::~SilentListener() = default;
uint16_t SilentListener::port() const { return impl_->acceptor.local_endpoint().port(); }

}  // namespace madoguchi::http::testing
