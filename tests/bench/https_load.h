// An HTTPS load client for the benchmarks (Boost.Beast/Asio + OpenSSL, C++20 coroutines on one
// io_context): one TLS session per connection (full handshake when it opens, then keep-alive),
// requests one at a time per connection, latency measured per request. The server's certificate
// is verified against the given CA and host name, as a browser would.
//
// Used by `madoguchi-bench portal` against the hub's citizen site and against nginx serving a
// static copy of the same page. Loopback only: the caller names 127.0.0.1 and a port.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

namespace madoguchi::bench {

struct HttpsTarget {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;
  std::string host_name = "localhost";  // SNI, Host header and certificate check
  std::filesystem::path ca_file;        // PEM; the server certificate must chain to it
};

struct HttpReply {
  int status = 0;
  std::string body;
  std::string location;    // Location header, if any
  std::string set_cookie;  // the first Set-Cookie header's "name=value" part, if any
};

// A TLS client context that trusts `ca_file` only and checks the host name (TLS 1.2+).
std::shared_ptr<boost::asio::ssl::context> make_client_tls(const HttpsTarget& target);

// One keep-alive HTTPS connection. Every operation has a deadline (`timeout`); failures throw
// boost::system::system_error (transport) or std::runtime_error (protocol).
class HttpsConnection {
 public:
  HttpsConnection(boost::asio::io_context& io, boost::asio::ssl::context& tls, HttpsTarget target,
                  std::chrono::seconds timeout = std::chrono::seconds(60));
  ~HttpsConnection();
  HttpsConnection(const HttpsConnection&) = delete;
  HttpsConnection& operator=(const HttpsConnection&) = delete;

  // TCP connect and TLS handshake.
  boost::asio::awaitable<void> open();
  // One request on the open connection. `cookie` ("name=value") and a form `body`
  // (application/x-www-form-urlencoded, POST) are optional. The connection stays open unless
  // the server closes it (then the next request reopens it).
  boost::asio::awaitable<HttpReply> request(const std::string& method, const std::string& target,
                                            const std::string& cookie = "", const std::string& body = "");
  // TLS close_notify and TCP close; never throws.
  boost::asio::awaitable<void> close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A fixed-duration keep-alive load: `connections` connections (opened and handshaken before the
// clock starts), each sending GET `target` (with its own cookie from `cookies`, cycled; may be
// empty) one after another until `duration` has passed. Runs on the calling thread.
struct LoadResult {
  std::uint64_t requests = 0;     // answered with 200 within the run
  std::uint64_t errors = 0;       // transport failures or a status other than 200
  std::uint64_t bytes = 0;        // body bytes of the answered requests
  std::size_t body_bytes_first = 0;  // size of the first body (all should be alike)
  bool bodies_alike_in_size = true;
  double seconds = 0;             // from the first request to the last answer
  std::vector<double> latency_ms; // one per answered request
  double handshake_seconds = 0;   // opening every connection
};
LoadResult run_keepalive_load(const HttpsTarget& target, const std::string& path, std::size_t connections,
                              std::chrono::milliseconds duration, const std::vector<std::string>& cookies);

// application/x-www-form-urlencoded encoding of fields (UTF-8 bytes percent-encoded).
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace madoguchi::bench
