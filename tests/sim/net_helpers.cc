#include "net_helpers.h"

#include <array>
#include <random>
#include <vector>

namespace madoguchi::sim::testing {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

class EchoSession : public std::enable_shared_from_this<EchoSession> {
 public:
  EchoSession(tcp::socket socket, std::atomic<std::size_t>& ended)
      : socket_(std::move(socket)), ended_(ended) {}

  void read() {
    socket_.async_read_some(asio::buffer(buffer_),
                            [self = shared_from_this()](error_code ec, std::size_t n) {
                              if (ec) return self->end(ec);
                              asio::async_write(self->socket_, asio::buffer(self->buffer_.data(), n),
                                                [self](error_code wec, std::size_t) {
                                                  if (wec) return self->end(wec);
                                                  self->read();
                                                });
                            });
  }

 private:
  void end(error_code ec) {
    if (ec == asio::error::operation_aborted) return;
    ++ended_;
    error_code ignored;
    if (ec == asio::error::eof) socket_.shutdown(tcp::socket::shutdown_send, ignored);
    socket_.close(ignored);
  }

  tcp::socket socket_;
  std::atomic<std::size_t>& ended_;
  std::array<char, 64 * 1024> buffer_{};
};

Outcome classify(const error_code& ec) {
  if (!ec) return Outcome::data;
  if (ec == asio::error::eof) return Outcome::eof;
  if (ec == asio::error::connection_reset) return Outcome::reset;
  return Outcome::other_error;
}

tcp::endpoint loopback(std::uint16_t port) {
  return tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), port);
}

}  // namespace

EchoServer::EchoServer() {
  const tcp::endpoint endpoint = loopback(0);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
  do_accept();
  thread_ = std::thread([this] { io_.run(); });
}

EchoServer::~EchoServer() {
  io_.stop();
  thread_.join();
}

void EchoServer::do_accept() {
  acceptor_.async_accept([this](error_code ec, tcp::socket socket) {
    if (ec) return;
    ++accepted_;
    std::make_shared<EchoSession>(std::move(socket), ended_)->read();
    do_accept();
  });
}

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::data: return "data";
    case Outcome::eof: return "eof";
    case Outcome::reset: return "reset";
    case Outcome::timed_out: return "timed_out";
    case Outcome::other_error: return "other_error";
  }
  return "?";
}

bool TestClient::run(const int& pending, std::chrono::milliseconds deadline) {
  io_.restart();
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (pending > 0) {
    if (io_.run_one_until(until) == 0) break;  // deadline (or, impossibly, out of work)
  }
  if (pending == 0) return true;
  error_code ignored;
  socket_.cancel(ignored);
  io_.restart();
  while (pending > 0) {
    if (io_.run_one_for(kHangGuard) == 0) break;
  }
  return false;
}

error_code TestClient::connect(std::uint16_t port, std::chrono::milliseconds deadline) {
  int pending = 1;
  error_code result;
  socket_.async_connect(loopback(port), [&](error_code ec) {
    result = ec;
    --pending;
  });
  if (!run(pending, deadline)) return asio::error::timed_out;
  return result;
}

error_code TestClient::write(std::string_view bytes, std::chrono::milliseconds deadline) {
  int pending = 1;
  error_code result;
  asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()),
                    [&](error_code ec, std::size_t) {
                      result = ec;
                      --pending;
                    });
  if (!run(pending, deadline)) return asio::error::timed_out;
  return result;
}

ReadResult TestClient::read_some(std::chrono::milliseconds deadline) {
  ReadResult result;
  std::vector<char> buffer(64 * 1024);
  int pending = 1;
  socket_.async_read_some(asio::buffer(buffer), [&](error_code ec, std::size_t n) {
    result.error = ec;
    result.data.assign(buffer.data(), n);
    --pending;
  });
  result.outcome = run(pending, deadline) ? classify(result.error) : Outcome::timed_out;
  return result;
}

ReadResult TestClient::read_exactly(std::size_t n, std::chrono::milliseconds deadline) {
  ReadResult result;
  int pending = 1;
  asio::async_read(socket_, asio::dynamic_buffer(result.data), asio::transfer_exactly(n),
                   [&](error_code ec, std::size_t) {
                     result.error = ec;
                     --pending;
                   });
  result.outcome = run(pending, deadline) ? classify(result.error) : Outcome::timed_out;
  return result;
}

ReadResult TestClient::exchange(std::string_view bytes, std::chrono::milliseconds deadline) {
  ReadResult result;
  error_code write_error;
  int pending = 2;
  asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()),
                    [&](error_code ec, std::size_t) {
                      write_error = ec;
                      --pending;
                    });
  asio::async_read(socket_, asio::dynamic_buffer(result.data),
                   asio::transfer_exactly(bytes.size()), [&](error_code ec, std::size_t) {
                     result.error = ec;
                     --pending;
                   });
  if (!run(pending, deadline)) {
    result.outcome = Outcome::timed_out;
    return result;
  }
  if (write_error) result.error = write_error;
  result.outcome = classify(result.error);
  return result;
}

void TestClient::close() {
  error_code ignored;
  socket_.close(ignored);
}

std::string pattern_bytes(std::size_t n) {
  std::mt19937 random(20240601);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(random() & 0xffu);
  return out;
}

}  // namespace madoguchi::sim::testing
