// The FaultProxy control protocol: a line protocol over TCP so scripts and the demo can flip the
// link while the system runs.
//
// Each request is one line (terminated by "\n"; a trailing "\r" and surrounding blanks are
// ignored) of at most kMaxControlLineBytes bytes before the newline. Each request gets exactly
// one answer line:
//
//   pass | drop | blackhole | reset   -> "ok <mode>"
//   delay <ms>                        -> "ok delay"          (0 <= ms <= kMaxControlDelay)
//   status                            -> "ok mode=<m> connections=<n> bytes=<b>"
//   anything else                     -> "error <message>"
//
// Several requests may be sent on one connection. A line over the limit is answered with an
// error and the connection is closed (the stream cannot be resynchronised safely).
//
// Parsing and executing are plain functions, testable without sockets; ControlServer only moves
// lines between sockets and them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "madoguchi/error.h"
#include "madoguchi/sim/fault_proxy.h"

namespace madoguchi::sim {

inline constexpr std::size_t kMaxControlLineBytes = 256;
// Longest delay the control protocol accepts: ten minutes is far beyond any keepalive we test.
inline constexpr std::chrono::milliseconds kMaxControlDelay{600'000};

struct ControlCommand {
  enum class Kind { set_mode, status };
  Kind kind = Kind::status;
  FaultMode mode = FaultMode::pass;        // for set_mode
  std::chrono::milliseconds delay{0};      // for set_mode with FaultMode::delay
};

// Parses one request line (without its "\n"). Errors: Errc::too_large for a line over
// kMaxControlLineBytes, Errc::malformed for anything that is not a request listed above.
Expected<ControlCommand> parse_control_command(std::string_view line);

// Executes a parsed command on the proxy and returns the answer line (without "\n").
std::string execute_control_command(const ControlCommand& command, FaultProxy& proxy);

// parse + execute; a parse error becomes "error <message>". Never fails otherwise.
std::string answer_control_line(std::string_view line, FaultProxy& proxy);

// Serves the control protocol for one FaultProxy. Owns its own io_context and thread, like
// FaultProxy. At most 16 control connections at once (further ones are closed after accept);
// a connection idle for 5 minutes is closed.
class ControlServer {
 public:
  // Called on the server thread after each request with the request line and the answer.
  using Observer = std::function<void(std::string_view line, std::string_view answer)>;

  // `proxy` must outlive this server. Port 0 picks a free port (see port()).
  ControlServer(FaultProxy& proxy, std::string listen_host, std::uint16_t listen_port,
                Observer observer = {});
  ~ControlServer();  // stops

  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Binds and starts the thread. Errc::io on resolve/bind failure; Errc::invalid_argument when
  // called twice. Not restartable after stop().
  Status start();
  // Closes the listener and all control connections and joins the thread. Idempotent.
  void stop();
  // The actual listening port once start() succeeded; 0 before.
  std::uint16_t port() const noexcept;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Client side, for scripts and tests: connects, sends `command` as one line, and returns the
// answer line (without "\n"; an "error ..." answer is returned as a value, not as an Error).
// Errors: Errc::invalid_argument if `command` contains a newline, Errc::transport on resolve,
// connect or I/O failure (also if the server closes without answering), Errc::timeout when the
// whole exchange takes longer than `timeout`.
Expected<std::string> send_control_command(const std::string& host, std::uint16_t port,
                                           std::string_view command,
                                           std::chrono::milliseconds timeout);

}  // namespace madoguchi::sim
