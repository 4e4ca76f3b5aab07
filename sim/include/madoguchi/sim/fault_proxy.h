// FaultProxy: a TCP proxy that cuts the edge<->broker link on purpose, for tests and the demo.
//
// It sits between a client (the edge agent) and a target (the mosquitto broker) and forwards
// bytes unchanged until told to misbehave. The fault modes and what they do:
//
//   pass       forward both ways.
//   drop       close every existing connection gracefully (FIN to both sides) and close every new
//              connection right after accept. The client sees an orderly end of stream.
//   blackhole  keep connections open but silently discard all bytes both ways; new connections
//              are accepted but never connected upstream, their bytes swallowed. This is a dead
//              link with no FIN and no RST: only an application keepalive can notice it.
//   reset      abort every existing connection with RST on both sides (SO_LINGER{1,0} + close)
//              and reset every new connection right after accept.
//   delay      forward, but hold each chunk for the delay before writing it on. Order is kept
//              per direction; the delay is stamped when a chunk is read, so changing the delay
//              affects chunks read after the change.
//
// Switching modes acts on existing connections only for drop, blackhole and reset; the damage
// is permanent for those connections. Switching back to pass (or delay) restores service for NEW
// connections only: connections cut by drop/reset stay cut, and blackholed connections stay
// blackholed, because bytes were lost mid-stream and resuming would hand the peer a corrupt
// stream. This matches a real link outage, after which the client must reconnect.
//
// Bounds: each direction reads into a 64 KiB buffer and stops reading once 256 KiB are queued
// (so at most 320 KiB), until the writer drains below that; back pressure thus reaches the
// sender. At most 1024 connections, further ones are reset right after accept; upstream connects
// time out after 5 s; graceful closes wait at most 1 s for the peer's FIN before closing hard.
//
// Threading: the proxy owns one io_context run by one thread it starts; all connection state
// lives on that thread. Every public method may be called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "madoguchi/error.h"

namespace madoguchi::sim {

enum class FaultMode { pass, drop, blackhole, reset, delay };

// Stable lower-case name ("pass", "drop", ...), used on the control protocol and in logs.
std::string_view fault_mode_name(FaultMode mode) noexcept;

// Inverse of fault_mode_name. Exact, case-sensitive match; anything else is Errc::malformed.
Expected<FaultMode> parse_fault_mode(std::string_view name);

class FaultProxy {
 public:
  // Listens on listen_host:listen_port (port 0 picks a free port, see port()) and forwards to
  // target_host:target_port. Nothing happens until start(). Initial mode is pass.
  FaultProxy(std::string listen_host, std::uint16_t listen_port, std::string target_host,
             std::uint16_t target_port);
  // Stops (see stop()).
  ~FaultProxy();

  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  // Resolves the target, binds and listens, then starts the proxy thread. The target is
  // resolved once here; it need not be reachable yet (connections are made per client).
  // Errors: Errc::io when a name does not resolve or the bind/listen fails; Errc::invalid_argument
  // when called twice. A proxy is started at most once: after stop() it cannot be restarted.
  Status start();

  // Closes the listener and aborts every connection, then joins the thread. Idempotent; safe
  // before start(). Must not be called from a completion handler of this proxy (there are none
  // exposed, so this only matters to the implementation).
  void stop();

  // The actual listening port once start() succeeded; 0 before.
  std::uint16_t port() const noexcept;

  // Switches the fault mode. `delay` is used only in FaultMode::delay (negative counts as zero).
  // Thread-safe. When the proxy is running this returns after the mode has been applied on the
  // proxy thread: existing connections have been closed/reset/blackholed by then, and every
  // connection accepted afterwards sees the new mode. Before start() it sets the initial mode.
  void set_mode(FaultMode mode, std::chrono::milliseconds delay = {});

  FaultMode mode() const noexcept;
  // The delay set with the current mode (zero unless mode() is delay).
  std::chrono::milliseconds delay() const noexcept;

  // Connections the proxy still holds open (including blackholed ones and ones being closed).
  std::size_t active_connections() const noexcept;
  // Bytes written on to either side, both directions summed, since start().
  std::uint64_t bytes_forwarded() const noexcept;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace madoguchi::sim
