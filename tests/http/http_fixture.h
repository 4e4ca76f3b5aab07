// Helpers for the madoguchi_http tests: a Server on a background thread, a raw TCP connection for
// byte-level checks, a listener that never answers, and a temporary directory. Every blocking
// call has a deadline, so a broken server fails a test instead of hanging it.
// (Candidates for tests/support once that library exists for everyone.)
#pragma once

#include "temp_dir.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "madoguchi/http/server.h"

namespace madoguchi::http::testing {

// Polls `condition` every 10 ms until it holds or `timeout` passes; returns its last value. For
// state the server updates just after the client can observe the effect (e.g. a counter bumped in
// the completion handler of an operation whose socket the timer already closed).
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(2));

// A Server on its own io_context, run by a background thread until stop() or destruction.
class ServerThread {
 public:
  ServerThread(ServerOptions options, Handler handler);
  ~ServerThread();  // stop()s
  ServerThread(const ServerThread&) = delete;
  ServerThread& operator=(const ServerThread&) = delete;

  const Status& start_status() const;  // what Server::start() returned
  uint16_t port() const;
  ServerStats stats() const;
  // Posts Server::stop() to the server thread and waits up to 5 s for its io_context to run out
  // of work. Returns false (after forcing the io_context to stop) if it did not.
  bool stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A plain TCP connection to 127.0.0.1 for sending arbitrary bytes.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port);  // connects within 2 s; see connected()
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const;
  bool send(std::string_view bytes);  // within 2 s; false on error or timeout

  struct Read {
    std::string data;        // everything received by this call
    bool closed = false;     // the peer closed (EOF or reset)
    bool timed_out = false;  // the timeout passed first
  };
  // Reads until `needle` has appeared in this call's data (never, when empty), the peer closes,
  // or `timeout` passes.
  Read read_until(std::string_view needle, std::chrono::milliseconds timeout);
  Read read_until_closed(std::chrono::milliseconds timeout) { return read_until({}, timeout); }
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A socket listening on 127.0.0.1 that never accepts: connects succeed (backlog), nothing is
// ever answered. For client timeout tests.
class SilentListener {
 public:
  SilentListener();
  ~SilentListener();
  uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A fresh directory under the system temp directory, removed with everything in it.
using TempDir = madoguchi::testing::TempDir;

}  // namespace madoguchi::http::testing
