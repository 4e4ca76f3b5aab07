// madoguchi_http: a small HTTP/1.1 (optionally HTTPS) server for the hub's and the agents' local
// APIs. Request handling is a plain function from Request to Response (see dispatch()), testable
// without sockets; the Server only moves bytes and enforces the limits in ServerOptions.
//
// No Boost.Beast type appears here; Beast lives in src/platform/beast/ only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "madoguchi/error.h"

// Forward declaration keeps Asio out of every file that includes this header. The caller owns and
// runs the io_context, so it includes <boost/asio/io_context.hpp> itself.
namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace madoguchi::http {

namespace detail {
struct ServerState;  // src/platform/beast/server.cc
}  // namespace detail

// What a handler sees. Built by the server from a request that parsed and stayed within limits.
struct Request {
  std::string method;                               // "GET", "POST", ... as sent (case kept)
  std::string target;                               // raw target, e.g. "/api/v1/records?x=1"
  std::string path;                                 // decoded, normalised path without query
  std::multimap<std::string, std::string> query;    // decoded query parameters, repeats kept
  std::map<std::string, std::string> headers;       // lower-case names; repeats joined by ", "
  std::string body;
  std::string remote_address;                       // peer IP as text; empty when unknown
};

// A response body sent from a file that is already open (big downloads in constant memory): the
// server reads and sends it piece by piece. The file may be unlinked once opened (a temporary
// spool file then disappears when the last response holding it is sent). Thread-safe to share.
class BodyFile {
 public:
  // Opens `path` for reading. Errors: io.
  static Expected<std::shared_ptr<const BodyFile>> open(const std::string& path);
  ~BodyFile();
  BodyFile(const BodyFile&) = delete;
  BodyFile& operator=(const BodyFile&) = delete;
  int fd() const { return fd_; }
  std::uint64_t size() const { return size_; }
  // The whole content (in-process callers and tests; not for big files). Errors: io.
  Expected<std::string> read_all() const;

 private:
  BodyFile(int fd, std::uint64_t size) : fd_(fd), size_(size) {}
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

struct Response {
  int status = 200;  // 200..599; anything else is turned into a 500 (handler bug)
  std::string content_type = "application/json; charset=utf-8";  // empty = no Content-Type
  // Extra headers. Names must be HTTP tokens and values must not contain control characters;
  // Content-Type, Content-Length, Transfer-Encoding and Connection are reserved for the server.
  // A response breaking these rules is replaced by a 500 (it would otherwise allow response
  // splitting or broken framing). A handler may set its own Content-Security-Policy.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // must be empty for 204 and 304
  // Instead of `body` (which must then be empty): the content of this file, streamed. The write
  // deadline grows with its size (write_timeout plus one second per MiB).
  std::shared_ptr<const BodyFile> file;

  static Response json(int status, std::string body);
  static Response text(int status, std::string body);  // text/plain; charset=utf-8
  // {"error":{"code":"<code>","message":"<message>"}}; invalid UTF-8 is replaced, not thrown.
  static Response error(int status, std::string_view code, std::string_view message);
};

// Called on the io_context thread that runs the server (on a per-connection strand when several
// threads run the io_context, so it must then be thread-safe). It must not block for long: while it
// runs, no other connection on that thread makes progress. An exception escaping it becomes a 500
// with a generic message (never the exception text); the server keeps running.
using Handler = std::function<Response(const Request&)>;

// Every field has a safe default; every operation has a deadline and every input a bound.
struct ServerOptions {
  std::string address = "127.0.0.1";       // IPv4 or IPv6 literal to bind
  uint16_t port = 0;                       // 0 = any free port (see Server::port())
  std::size_t body_limit = 1 << 20;        // bytes; larger → 413 without calling the handler
  std::size_t header_limit = 16 * 1024;    // request line + headers; larger → 431
  std::chrono::seconds read_timeout{15};   // whole request (and TLS handshake) deadline → close
  std::chrono::seconds write_timeout{15};  // whole response deadline → close
  std::size_t max_connections = 256;       // at the cap, see below
  // Connections one client address may hold (0: no cap). Slow clients cannot crowd others out:
  // when an address is at its cap, or the server at max_connections, the oldest connection that
  // has not been answered yet (of that address; at the server's cap, of any) is closed to make
  // room, and only when there is none is the new connection refused.
  std::size_t max_connections_per_client = 32;
  // Optional TLS (PEM paths). Empty = plain HTTP. When set: TLS 1.2+ only, ECDHE AEAD ciphers
  // for TLS 1.2 (TLS 1.3 suites are all AEAD). cert_file may hold the chain, leaf first.
  std::string cert_file, key_file;
  // Optional client-certificate requirement (CA PEM path; needs cert_file/key_file): the
  // handshake fails for a client without a certificate signed by this CA.
  std::string client_ca_file;
  // The names this server answers to: a request whose Host header (its name, without the port)
  // is none of them gets 421 and the connection is closed, before any handler runs, so a page of
  // another site cannot reach it through a name that resolves here (DNS rebinding). Empty: any
  // name. The default fits a server on a loopback address; one reached by another name lists it.
  std::vector<std::string> host_names{"localhost", "127.0.0.1", "::1"};
  // With TLS, every response carries Strict-Transport-Security: max-age=<this>; includeSubDomains
  // (0: none).
  std::chrono::seconds hsts_max_age{31'536'000};
};

// The name part of a Host header value ("example.jp:8443" → "example.jp", "[::1]:80" → "::1"),
// lower-cased; empty when the value is not a host.
std::string host_name_of(std::string_view host_header);

// Counters for what the server handled or refused (Envoy habit: untrusted input and environment
// failures are handled *and counted*). Readable from any thread.
struct ServerStats {
  uint64_t connections_accepted = 0;
  uint64_t connections_refused = 0;   // closed at accept: max_connections reached, none to shed
  uint64_t connections_shed = 0;      // unanswered connections closed to make room (see above)
  uint64_t handshakes_failed = 0;     // TLS handshake failed or timed out
  uint64_t deadlines_expired = 0;     // read/write deadline hit; connection closed
  uint64_t requests_handled = 0;      // handler called (whatever it answered)
  uint64_t requests_refused = 0;      // 4xx sent without calling the handler
  uint64_t handler_failures = 0;      // handler threw or returned an invalid response → 500
};

// The whole of request handling, without sockets: decodes request.target into path and query
// (400 without calling the handler on bad percent-encoding, NUL, ".." segments or a target that
// is not an absolute path), calls the handler, turns exceptions and invalid responses into a
// generic 500, and adds the security headers that every response carries:
//   X-Content-Type-Options: nosniff, X-Frame-Options: DENY, Server: madoguchi, and, unless the
//   handler set its own, Cache-Control: no-store and Content-Security-Policy: default-src 'none'.
// Reads method, target, headers, body and remote_address; overwrites path and query.
Response dispatch(const Handler& handler, Request request);

// HTTP/1.1 keep-alive server on a caller-provided io_context. The io_context must outlive the
// Server's pending operations (destroy the Server, then run or destroy the io_context).
// Not copyable or movable. start() and stop() may be called from any thread; stop() only takes
// effect on the io_context, so run it afterwards to let connections close.
class Server {
 public:
  Server(boost::asio::io_context& io, ServerOptions options, Handler handler);
  // Connections spread over `pool` in turn (the acceptor runs on the first): one io_context per
  // thread scales where one io_context run by several threads contends on its own queue. Not
  // empty; the contexts outlive the Server.
  Server(std::vector<boost::asio::io_context*> pool, ServerOptions options, Handler handler);
  ~Server();  // stops
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Loads TLS material (Errc::crypto on failure), then binds and listens (Errc::io with the
  // reason, e.g. address in use; Errc::invalid_argument for a bad address or a second start()).
  Status start();
  // Stops accepting and closes every connection. When called on the io_context thread, the
  // handler is not called again after it returns. Idempotent.
  void stop();
  // The bound port after a successful start(); 0 before.
  uint16_t port() const;
  ServerStats stats() const;

 private:
  // Shared with every pending operation, so completion handlers that run after the Server is
  // destroyed still find their state.
  std::shared_ptr<detail::ServerState> state_;
};

// Pure helpers (no I/O), used by dispatch() and unit-tested on their own.

// Decodes %XX escapes; with plus_is_space, "+" becomes " " (query strings only). A "%" not
// followed by two hex digits, or a NUL before or after decoding → Errc::malformed.
Expected<std::string> percent_decode(std::string_view, bool plus_is_space);
// Splits "a=1&b=x+y&a=2" on "&" (empty pieces skipped) and the first "="; a key without "=" gets
// "". Keys and values are percent-decoded with "+" as space. Errc::malformed on a bad escape.
Expected<std::multimap<std::string, std::string>> parse_query(std::string_view);
// Decodes a raw path (without query) and normalises it: must start with "/", repeated "/" and "."
// segments are dropped, a trailing "/" is kept, and a ".." segment (also when percent-encoded)
// is refused with Errc::malformed rather than resolved, so no handler ever sees one.
Expected<std::string> decode_path(std::string_view raw_path);

}  // namespace madoguchi::http
