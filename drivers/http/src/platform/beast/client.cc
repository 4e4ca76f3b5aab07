// The blocking test/tool client on Boost.Beast. Blocking from the caller's point of view only:
// each step is an async operation on a private io_context with one deadline for the whole
// exchange (tcp_stream's timer, or an explicit timer for name resolution), so no step can hang.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "madoguchi/http/client.h"

namespace madoguchi::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

namespace {

constexpr std::uint64_t kResponseBodyLimit = 16u << 20;
constexpr std::uint32_t kResponseHeaderLimit = 64u * 1024;

using Clock = std::chrono::steady_clock;

std::string str(beast::string_view s) { return std::string(s.data(), s.size()); }

bool has_control_or_space(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

// Runs the private io_context until the operation started by `start` has completed. Every
// operation started here carries the deadline, so run() returns.
template <class Start>
beast::error_code run_step(net::io_context& ioc, Start&& start) {
  beast::error_code result = net::error::timed_out;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

Error step_error(std::string_view step, const std::string& where, const beast::error_code& ec) {
  Errc code = Errc::transport;
  if (ec == beast::error::timeout || ec == net::error::timed_out) {
    code = Errc::timeout;
  } else if (ec == bhttp::error::body_limit) {
    code = Errc::too_large;
  } else if (&ec.category() == &bhttp::make_error_code(bhttp::error::bad_target).category() &&
             ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
    code = Errc::malformed;
  }
  return make_error(code, std::string(step) + " " + where + ": " + ec.message());
}

Expected<std::vector<tcp::endpoint>> resolve(net::io_context& ioc, const std::string& host,
                                            uint16_t port, Clock::time_point deadline,
                                            const std::string& where) {
  beast::error_code ec;
  const auto address = net::ip::make_address(host, ec);
  if (!ec) return std::vector<tcp::endpoint>{tcp::endpoint(address, port)};

  tcp::resolver resolver(ioc);
  net::steady_timer timer(ioc);
  std::vector<tcp::endpoint> endpoints;
  bool timed_out = false;
  ec = run_step(ioc, [&](auto done) {
    timer.expires_at(deadline);
    timer.async_wait([&](beast::error_code wait_ec) {
      if (!wait_ec) {
        timed_out = true;
        resolver.cancel();
      }
    });
    resolver.async_resolve(host, std::to_string(port),
                           [&, done](beast::error_code resolve_ec,
                                     const tcp::resolver::results_type& results) {
                             timer.cancel();
                             for (const auto& entry : results) endpoints.push_back(entry.endpoint());
                             done(resolve_ec);
                           });
  });
  if (timed_out) return step_error("resolving", where, net::error::timed_out);
  if (ec) return step_error("resolving", where, ec);
  if (endpoints.empty()) return make_error(Errc::transport, "resolving " + where + ": no address");
  return endpoints;
}

// Connects (and for TLS, shakes hands) under the stream's deadline.
template <class Stream>
Status open_stream(net::io_context& ioc, Stream& stream, const std::vector<tcp::endpoint>& endpoints,
                   Clock::time_point deadline, const std::string& where) {
  auto& lowest = beast::get_lowest_layer(stream);
  lowest.expires_at(deadline);
  beast::error_code ec = run_step(ioc, [&](auto done) {
    lowest.async_connect(endpoints,
                         [done](beast::error_code connect_ec, const tcp::endpoint&) {
                           done(connect_ec);
                         });
  });
  if (ec) return step_error("connecting to", where, ec);

  if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
    ec = run_step(ioc, [&](auto done) { stream.async_handshake(ssl::stream_base::client, done); });
    if (ec) return step_error("TLS handshake with", where, ec);
  }
  return {};
}

// How an exchange on an open connection failed: `unanswered` when the server had closed it before
// any byte of an answer (an idle connection it let go), so the request can go again on a new one.
struct Failure {
  Error error;
  bool unanswered = false;
};

// Writes the request and reads the whole response, under the deadline. `keep_alive`: the server
// lets the connection serve another request.
template <class Stream>
std::variant<ClientResponse, Failure> transact(net::io_context& ioc, Stream& stream, Clock::time_point deadline,
                                               const std::string& where, bhttp::request<bhttp::string_body>& req,
                                               bool* keep_alive) {
  beast::get_lowest_layer(stream).expires_at(deadline);
  auto closed_early = [](const beast::error_code& e) {
    return e == bhttp::error::end_of_stream || e == net::error::eof || e == net::error::connection_reset ||
           e == net::error::broken_pipe || e == ssl::error::stream_truncated;
  };
  beast::error_code ec = run_step(ioc, [&](auto done) { bhttp::async_write(stream, req, done); });
  if (ec) return Failure{step_error("sending request to", where, ec), closed_early(ec)};

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kResponseBodyLimit);
  parser.header_limit(kResponseHeaderLimit);
  if (req.method() == bhttp::verb::head) parser.skip(true);
  ec = run_step(ioc, [&](auto done) { bhttp::async_read(stream, buffer, parser, done); });
  if (ec) return Failure{step_error("reading response from", where, ec), closed_early(ec) && !parser.got_some()};

  auto& message = parser.get();
  if (keep_alive) *keep_alive = message.keep_alive() && buffer.size() == 0;
  ClientResponse out;
  out.status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    std::string name = str(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(), [](char c) {
      return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    auto [it, inserted] = out.headers.try_emplace(std::move(name));
    if (!inserted) it->second += ", ";
    it->second += str(field.value());
  }
  out.body = std::move(message.body());
  return out;
}

template <class Stream>
Expected<ClientResponse> exchange(net::io_context& ioc, Stream& stream,
                                  const std::vector<tcp::endpoint>& endpoints,
                                  Clock::time_point deadline, const std::string& where,
                                  bhttp::request<bhttp::string_body>& req) {
  if (Status st = open_stream(ioc, stream, endpoints, deadline, where); !st) return st.error();
  auto out = transact(ioc, stream, deadline, where, req, nullptr);
  if (auto* f = std::get_if<Failure>(&out)) return f->error;
  // The connection is simply closed: the response was complete and length-delimited, so skipping
  // the TLS close_notify exchange cannot hide a truncation, and it saves a round trip.
  return std::move(std::get<ClientResponse>(out));
}

Status configure_tls(ssl::context& ctx, const ClientTls& tls) {
  SSL_CTX* native = ctx.native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
    return make_error(Errc::crypto, "cannot require TLS 1.2 or later");
  }
  beast::error_code ec;
  if (tls.ca_file.empty()) {
    ctx.set_default_verify_paths(ec);
    if (ec) return make_error(Errc::crypto, "loading the system CA store: " + ec.message());
  } else {
    ctx.load_verify_file(tls.ca_file, ec);
    if (ec) return make_error(Errc::crypto, "loading CA " + tls.ca_file + ": " + ec.message());
  }
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return make_error(Errc::invalid_argument, "client certificate needs both cert_file and key_file");
  }
  if (!tls.cert_file.empty()) {
    ctx.use_certificate_chain_file(tls.cert_file, ec);
    if (ec) return make_error(Errc::crypto, "loading " + tls.cert_file + ": " + ec.message());
    ctx.use_private_key_file(tls.key_file, ssl::context::pem, ec);
    if (ec) return make_error(Errc::crypto, "loading " + tls.key_file + ": " + ec.message());
  }
  ctx.set_verify_mode(ssl::verify_peer, ec);
  if (ec) return make_error(Errc::crypto, "enabling peer verification: " + ec.message());
  return {};
}

// The TLS context of a ClientTls, loaded once per process and file contents' age: reading and
// parsing the CA, the certificate and the key cost more than the handshake itself for a tool that
// sends many requests (the kiosk simulator, the benchmarks). An SSL_CTX is safe to share across
// threads once configured; a file that changed (a renewed certificate) is loaded again.
Expected<std::shared_ptr<ssl::context>> context_for(const ClientTls& tls) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<ssl::context>> cache;
  std::string key;
  for (const std::string* f : {&tls.ca_file, &tls.cert_file, &tls.key_file}) {
    std::error_code ec;
    const auto age = f->empty() ? std::filesystem::file_time_type{} : std::filesystem::last_write_time(*f, ec);
    key += *f + "\n" + std::to_string(age.time_since_epoch().count()) + "\n";
  }
  std::lock_guard lock(mutex);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  if (Status st = configure_tls(*ctx, tls); !st) return st.error();
  if (cache.size() >= 64) cache.clear();  // bounded: a tool uses a handful
  cache[key] = ctx;
  return ctx;
}

// Checks the server certificate against the name we dialled: an IP SAN for IP literals, a DNS
// SAN (and SNI) otherwise.
Status expect_peer_name(SSL* ssl, const std::string& host) {
  beast::error_code ec;
  net::ip::make_address(host, ec);
  if (!ec) {
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) != 1) {
      return make_error(Errc::crypto, "cannot expect IP " + host + " in the server certificate");
    }
    return {};
  }
  // SSL_set_tlsext_host_name() spelled out: the macro hides a C cast that -Wold-style-cast flags.
  const long sni = SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                            const_cast<char*>(host.c_str()));
  if (sni != 1 || SSL_set1_host(ssl, host.c_str()) != 1) {
    return make_error(Errc::crypto, "cannot expect host " + host + " in the server certificate");
  }
  return {};
}

// TLS sessions to resume, by context and server, per thread: the next connection to the same
// server skips the certificate signatures and checks of a full handshake (the kiosk simulator and
// the benchmarks open thousands). Per thread because a server that keeps its sessions (ours: see
// server.cc) lets each be resumed once and hands out the next with it, so threads sharing one
// would take it from each other. A server that cannot resume it (restarted, another key) makes a
// full handshake with every check, so a stale entry costs nothing but the attempt. Bounded.
class SessionCache {
 public:
  std::shared_ptr<SSL_SESSION> find(const void* ctx, const std::string& where) const {
    auto it = sessions_.find({ctx, where});
    return it == sessions_.end() ? nullptr : it->second;
  }
  void keep(const void* ctx, const std::string& where, SSL* ssl) {
    std::shared_ptr<SSL_SESSION> s(SSL_get1_session(ssl), SSL_SESSION_free);
    if (!s || SSL_SESSION_is_resumable(s.get()) != 1) return;
    if (sessions_.size() >= 256) sessions_.clear();
    sessions_[{ctx, where}] = std::move(s);
  }

 private:
  std::map<std::pair<const void*, std::string>, std::shared_ptr<SSL_SESSION>> sessions_;  // one thread's: no lock
};

SessionCache& sessions() {
  thread_local SessionCache cache;
  return cache;
}

}  // namespace

namespace {

// The request as sent, after checking that nothing in it can split the header.
Expected<bhttp::request<bhttp::string_body>> make_request(const std::string& host, uint16_t port, const std::string& method,
                                                          const std::string& target, const std::string& body,
                                                          const std::vector<std::pair<std::string, std::string>>& headers,
                                                          bool keep_alive) {
  for (const auto& [name, value] : headers) {
    if (name.empty() || has_control_or_space(name) || value.find_first_of("\r\n") != std::string::npos) {
      return make_error(Errc::invalid_argument, "request: unsafe header " + name);
    }
  }
  if (host.empty() || has_control_or_space(host) || method.empty() ||
      has_control_or_space(method) || target.empty() || has_control_or_space(target)) {
    return make_error(Errc::invalid_argument, "request: empty or unsafe host, method or target");
  }
  bhttp::request<bhttp::string_body> req;
  const bhttp::verb verb = bhttp::string_to_verb(method);
  if (verb == bhttp::verb::unknown) {
    req.method_string(method);
  } else {
    req.method(verb);
  }
  req.target(target);
  req.version(11);
  const bool v6 = host.find(':') != std::string::npos;
  req.set(bhttp::field::host, (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port));
  req.set(bhttp::field::user_agent, "madoguchi-client");
  if (!body.empty()) req.set(bhttp::field::content_type, "application/json; charset=utf-8");
  for (const auto& [name, value] : headers) req.set(name, value);
  req.body() = body;
  req.keep_alive(keep_alive);
  req.prepare_payload();
  return req;
}

// Marks a TLS exchange that ended well, without a close_notify (see exchange()), as ended cleanly,
// and keeps its session for the next connection. Unsaid, OpenSSL takes the unfinished shutdown for
// a broken connection when the stream goes and marks the session it shares with our cache as not
// resumable.
void end_cleanly(const ssl::context& ctx, const std::string& where, SSL* ssl) {
  SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  sessions().keep(&ctx, where, ssl);
}

}  // namespace

Expected<ClientResponse> request(const std::string& host, uint16_t port, const std::string& method,
                                 const std::string& target, const std::string& body,
                                 std::chrono::milliseconds timeout, const ClientTls* tls,
                                 const std::vector<std::pair<std::string, std::string>>& headers) {
  const auto deadline = Clock::now() + timeout;
  const std::string where = host + ":" + std::to_string(port);
  auto req = make_request(host, port, method, target, body, headers, false);
  if (!req) return req.error();
  try {
    net::io_context ioc;
    auto endpoints = resolve(ioc, host, port, deadline, where);
    if (!endpoints) return endpoints.error();
    if (tls == nullptr) {
      beast::tcp_stream stream(ioc);
      return exchange(ioc, stream, endpoints.value(), deadline, where, *req);
    }
    auto ctx = context_for(*tls);
    if (!ctx) return ctx.error();
    beast::ssl_stream<beast::tcp_stream> stream(ioc, **ctx);
    if (Status st = expect_peer_name(stream.native_handle(), host); !st) return st.error();
    if (auto session = sessions().find(ctx->get(), where)) (void)SSL_set_session(stream.native_handle(), session.get());
    auto out = exchange(ioc, stream, endpoints.value(), deadline, where, *req);
    if (out) end_cleanly(**ctx, where, stream.native_handle());
    return out;
  } catch (const std::exception& e) {  // resource exhaustion inside Asio/OpenSSL
    return make_error(Errc::transport, "request to " + where + ": " + e.what());
  }
}

struct Client::Impl {
  std::string host;
  uint16_t port = 0;
  std::optional<ClientTls> tls;
  std::string where;
  net::io_context ioc;
  std::shared_ptr<ssl::context> ctx;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;

  bool open() const { return plain.has_value() || secure.has_value(); }
  void close() {
    plain.reset();
    secure.reset();
    ioc.restart();
  }
  Status connect(Clock::time_point deadline) {
    auto endpoints = resolve(ioc, host, port, deadline, where);
    if (!endpoints) return endpoints.error();
    if (!tls) {
      plain.emplace(ioc);
      if (Status st = open_stream(ioc, *plain, *endpoints, deadline, where); !st) {
        plain.reset();
        return st;
      }
      return {};
    }
    if (!ctx) {
      auto c = context_for(*tls);
      if (!c) return c.error();
      ctx = *c;
    }
    secure.emplace(ioc, *ctx);
    if (Status st = expect_peer_name(secure->native_handle(), host); !st) {
      secure.reset();
      return st;
    }
    if (auto session = sessions().find(ctx.get(), where)) (void)SSL_set_session(secure->native_handle(), session.get());
    if (Status st = open_stream(ioc, *secure, *endpoints, deadline, where); !st) {
      secure.reset();
      return st;
    }
    return {};
  }
  std::variant<ClientResponse, Failure> transact_open(Clock::time_point deadline, bhttp::request<bhttp::string_body>& req,
                                                      bool* keep_alive) {
    if (plain) return transact(ioc, *plain, deadline, where, req, keep_alive);
    return transact(ioc, *secure, deadline, where, req, keep_alive);
  }
  void retire() {  // the connection ends after a good exchange
    if (secure) end_cleanly(*ctx, where, secure->native_handle());
    close();
  }
};

Client::Client(std::string host, uint16_t port, const ClientTls* tls) : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
  if (tls) impl_->tls = *tls;
  impl_->where = impl_->host + ":" + std::to_string(port);
}

Client::~Client() {
  if (impl_ && impl_->open()) impl_->retire();
}

Expected<ClientResponse> Client::request(const std::string& method, const std::string& target, const std::string& body,
                                         std::chrono::milliseconds timeout,
                                         const std::vector<std::pair<std::string, std::string>>& headers) {
  const auto deadline = Clock::now() + timeout;
  auto req = make_request(impl_->host, impl_->port, method, target, body, headers, true);
  if (!req) return req.error();
  try {
    for (int attempt = 0;; ++attempt) {
      const bool reused = impl_->open();
      if (!reused) {
        if (Status st = impl_->connect(deadline); !st) return st.error();
      }
      bool keep_alive = false;
      auto out = impl_->transact_open(deadline, *req, &keep_alive);
      if (auto* f = std::get_if<Failure>(&out)) {
        impl_->close();  // a connection in an unknown state is never used again
        // The server had let the idle connection go before it read this request: once more, on a
        // new connection. Never after any byte of an answer, so nothing is done twice.
        if (reused && f->unanswered && attempt == 0 && Clock::now() < deadline) continue;
        return f->error;
      }
      if (!keep_alive) impl_->retire();
      return std::move(std::get<ClientResponse>(out));
    }
  } catch (const std::exception& e) {  // resource exhaustion inside Asio/OpenSSL
    impl_->close();
    return make_error(Errc::transport, "request to " + impl_->where + ": " + e.what());
  }
}

}  // namespace madoguchi::http
