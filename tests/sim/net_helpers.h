// Socket helpers for the simulator tests: an echo server and a client whose every wait has a
// deadline, so a broken proxy fails a test instead of hanging the suite.
//
// These are candidates for tests/support once another suite needs them.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "madoguchi/sim/asio.h"

namespace madoguchi::sim::testing {

using namespace std::chrono_literals;

// Deadline for things that should happen promptly; only a hang guard, never a pass condition.
inline constexpr std::chrono::milliseconds kHangGuard = 2000ms;
// How long a blackholed connection must stay silent. Silence is the expected outcome, so this
// can only make a test pass wrongly (bytes arriving later), never fail it spuriously.
inline constexpr std::chrono::milliseconds kQuietPeriod = 200ms;

// Echoes every byte back on 127.0.0.1, port chosen by the kernel. Answers FIN with FIN. Runs on
// its own thread from construction to destruction.
class EchoServer {
 public:
  EchoServer();
  ~EchoServer();
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  std::uint16_t port() const { return port_; }
  // Connections accepted so far.
  std::size_t accepted() const { return accepted_.load(); }
  // Connections whose peer ended them (FIN or RST) so far.
  std::size_t ended() const { return ended_.load(); }

 private:
  void do_accept();

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_{io_};
  std::uint16_t port_ = 0;
  std::atomic<std::size_t> accepted_{0};
  std::atomic<std::size_t> ended_{0};
  std::thread thread_;
};

enum class Outcome { data, eof, reset, timed_out, other_error };
const char* outcome_name(Outcome outcome);

struct ReadResult {
  Outcome outcome = Outcome::other_error;
  std::string data;               // what arrived (also on failure, for read_exactly)
  boost::system::error_code error;
};

// A blocking-style TCP client built on async operations run with a deadline. Single-threaded:
// use it from the test thread only.
class TestClient {
 public:
  TestClient() = default;
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  // Connects to 127.0.0.1:port. Returns the error (timed_out on deadline), empty on success.
  boost::system::error_code connect(std::uint16_t port,
                                    std::chrono::milliseconds deadline = kHangGuard);
  boost::system::error_code write(std::string_view bytes,
                                  std::chrono::milliseconds deadline = kHangGuard);
  // Whatever arrives first: some bytes, end of stream, reset, or nothing before the deadline.
  ReadResult read_some(std::chrono::milliseconds deadline = kHangGuard);
  // Exactly n bytes, or the failure that came first.
  ReadResult read_exactly(std::size_t n, std::chrono::milliseconds deadline = kHangGuard);
  // Writes `bytes` while reading back as many (both at once, so large payloads cannot deadlock
  // on full socket buffers). Returns what came back, or the first failure.
  ReadResult exchange(std::string_view bytes, std::chrono::milliseconds deadline = kHangGuard);
  void close();

 private:
  // Runs the io_context until `pending` operations completed or the deadline passed; on the
  // deadline it cancels them and waits for their (aborted) handlers. True if all completed.
  bool run(const int& pending, std::chrono::milliseconds deadline);

  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_{io_};
};

// Polls `condition` every few milliseconds until it holds or `limit` passed. A hang guard for
// state that settles asynchronously; the caller REQUIREs the result.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit = kHangGuard) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// Pseudo-random bytes (fixed seed): payloads where reordering or loss cannot go unnoticed.
std::string pattern_bytes(std::size_t n);

}  // namespace madoguchi::sim::testing
