// A tiny blocking HTTP/1.1 client for tests and tools, every step under one deadline: request()
// sends one request on a connection of its own; a Client keeps its connection to one server open
// for the next request. No redirects. Over TLS, the last session with each server is resumed by
// the next connection of the same thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "madoguchi/error.h"

namespace madoguchi::http {

struct ClientResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names; repeats joined by ", "
  std::string body;
};

// TLS settings (PEM paths). The server certificate is verified against ca_file (the system store
// when empty) and against host (DNS name or IP address). cert_file/key_file: optional client
// certificate for servers that require one.
struct ClientTls {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

// Sends one request and reads the whole response, all within `timeout` (name resolution, connect,
// TLS handshake, write, read). A non-empty body is sent as application/json. Errors:
// Errc::timeout when the deadline passes, Errc::transport for connect/TLS/socket failures,
// Errc::malformed for a response that does not parse, Errc::too_large for a response body over
// 16 MiB, Errc::crypto when the TLS files cannot be loaded. Thread-safe: it uses a private
// io_context per call. Name resolution of a host name that is not an IP literal is bounded by the
// deadline only as far as the system resolver allows (it cannot be interrupted).
// `headers`: extra request headers (e.g. Authorization), names and values without line breaks.
Expected<ClientResponse> request(const std::string& host, uint16_t port, const std::string& method,
                                 const std::string& target, const std::string& body = {},
                                 std::chrono::milliseconds timeout = std::chrono::seconds(5),
                                 const ClientTls* tls = nullptr,
                                 const std::vector<std::pair<std::string, std::string>>& headers = {});

// One server, one connection kept open between requests (HTTP/1.1 keep-alive), opened at the
// first request and again whenever the server closed it. Errors as request(). After any failure
// the connection is closed, so a request that timed out never leaves its answer to the next one.
// A request whose connection the server had closed while it was idle (no byte of an answer came)
// is sent once more on a new connection, within the same deadline: use a Client only for requests
// that may be repeated (the issuing center's are, by their request ids). Not thread-safe: one per
// thread.
class Client {
 public:
  Client(std::string host, uint16_t port, const ClientTls* tls = nullptr);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Expected<ClientResponse> request(const std::string& method, const std::string& target, const std::string& body = {},
                                   std::chrono::milliseconds timeout = std::chrono::seconds(5),
                                   const std::vector<std::pair<std::string, std::string>>& headers = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace madoguchi::http
