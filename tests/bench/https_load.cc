#include "https_load.h"

#include <openssl/ssl.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdio>
#include <exception>
#include <stdexcept>

namespace madoguchi::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

std::shared_ptr<ssl::context> make_client_tls(const HttpsTarget& target) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_verify_mode(ssl::verify_peer);
  ctx->load_verify_file(target.ca_file.string());
  return ctx;
}

struct HttpsConnection::Impl {
  asio::io_context& io;
  ssl::context& tls;
  HttpsTarget target;
  std::chrono::seconds timeout;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> stream;
  beast::flat_buffer buffer;
  bool is_open = false;
};

HttpsConnection::HttpsConnection(asio::io_context& io, ssl::context& tls, HttpsTarget target, std::chrono::seconds timeout)
    : impl_(std::make_unique<Impl>(Impl{io, tls, std::move(target), timeout, nullptr, {}, false})) {}

HttpsConnection::~HttpsConnection() = default;

asio::awaitable<void> HttpsConnection::open() {
  Impl& m = *impl_;
  m.is_open = false;
  m.buffer.clear();
  m.stream = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(m.io, m.tls);
  SSL* native = m.stream->native_handle();
  // SNI, and the certificate must name the host (as a browser checks it).
  if (SSL_ctrl(native, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, m.target.host_name.data()) != 1 ||
      SSL_set1_host(native, m.target.host_name.c_str()) != 1) {
    throw std::runtime_error("cannot set the TLS host name");
  }
  auto& low = beast::get_lowest_layer(*m.stream);
  low.expires_after(m.timeout);
  co_await low.async_connect(tcp::endpoint(asio::ip::make_address(m.target.address), m.target.port), asio::use_awaitable);
  low.socket().set_option(tcp::no_delay(true));
  low.expires_after(m.timeout);
  co_await m.stream->async_handshake(ssl::stream_base::client, asio::use_awaitable);
  m.is_open = true;
}

asio::awaitable<HttpReply> HttpsConnection::request(const std::string& method, const std::string& target,
                                                    const std::string& cookie, const std::string& body) {
  Impl& m = *impl_;
  if (!m.is_open) co_await open();
  bhttp::request<bhttp::string_body> req{method == "POST" ? bhttp::verb::post : bhttp::verb::get, target, 11};
  req.set(bhttp::field::host, m.target.host_name + ":" + std::to_string(m.target.port));
  req.set(bhttp::field::user_agent, "madoguchi-bench");
  req.set(bhttp::field::accept, "text/html");
  req.keep_alive(true);
  if (!cookie.empty()) req.set(bhttp::field::cookie, cookie);
  if (method == "POST") {
    req.set(bhttp::field::content_type, "application/x-www-form-urlencoded");
    req.body() = body;
  }
  req.prepare_payload();
  auto& low = beast::get_lowest_layer(*m.stream);
  low.expires_after(m.timeout);
  try {
    co_await bhttp::async_write(*m.stream, req, asio::use_awaitable);
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    co_await bhttp::async_read(*m.stream, m.buffer, parser, asio::use_awaitable);
    auto& res = parser.get();
    HttpReply reply;
    reply.status = static_cast<int>(res.result_int());
    reply.location = std::string(res[bhttp::field::location]);
    if (auto it = res.find(bhttp::field::set_cookie); it != res.end()) {
      const std::string v(it->value());
      reply.set_cookie = v.substr(0, v.find(';'));
    }
    if (!res.keep_alive()) m.is_open = false;  // the next request reconnects
    reply.body = std::move(res.body());
    co_return reply;
  } catch (...) {
    m.is_open = false;
    throw;
  }
}

asio::awaitable<void> HttpsConnection::close() {
  Impl& m = *impl_;
  if (!m.stream) co_return;
  if (m.is_open) {
    m.is_open = false;
    beast::get_lowest_layer(*m.stream).expires_after(std::chrono::seconds(2));
    boost::system::error_code ec;
    co_await m.stream->async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  }
  beast::error_code ignored;
  beast::get_lowest_layer(*m.stream).socket().close(ignored);
}

namespace {
// One connection's loop (a free function: a coroutine lambda's captures would die with the lambda).
asio::awaitable<void> load_worker(LoadResult& result, Clock::time_point& last, HttpsConnection* c, std::string cookie,
                                  std::string path, Clock::time_point deadline) {
  while (Clock::now() < deadline) {
    const auto t0 = Clock::now();
    HttpReply r;
    try {
      r = co_await c->request("GET", path, cookie);
    } catch (const std::exception&) {
      ++result.errors;
      continue;  // the connection reopens on the next request
    }
    const auto t1 = Clock::now();
    last = std::max(last, t1);
    if (r.status != 200) {
      ++result.errors;
      continue;
    }
    ++result.requests;
    result.bytes += r.body.size();
    if (result.body_bytes_first == 0) {
      result.body_bytes_first = r.body.size();
    } else if (r.body.size() != result.body_bytes_first) {
      result.bodies_alike_in_size = false;
    }
    result.latency_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
}
}  // namespace

LoadResult run_keepalive_load(const HttpsTarget& target, const std::string& path, std::size_t connections,
                              std::chrono::milliseconds duration, const std::vector<std::string>& cookies) {
  asio::io_context io(1);
  auto tls = make_client_tls(target);
  std::vector<std::unique_ptr<HttpsConnection>> conns;
  for (std::size_t i = 0; i < connections; ++i) conns.push_back(std::make_unique<HttpsConnection>(io, *tls, target));

  LoadResult result;
  std::size_t failed = 0;
  std::string first_failure;
  const auto h0 = Clock::now();
  for (auto& c : conns) {
    asio::co_spawn(io, c->open(), [&](std::exception_ptr e) {
      if (!e) return;
      ++failed;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        if (first_failure.empty()) first_failure = x.what();
      }
    });
  }
  io.run();
  io.restart();
  result.handshake_seconds = std::chrono::duration<double>(Clock::now() - h0).count();
  if (failed) throw std::runtime_error(std::to_string(failed) + " connections could not be opened: " + first_failure);

  result.latency_ms.reserve(1 << 20);
  const auto start = Clock::now();
  const auto deadline = start + duration;
  auto last = start;
  for (std::size_t i = 0; i < conns.size(); ++i) {
    const std::string cookie = cookies.empty() ? std::string() : cookies[i % cookies.size()];
    HttpsConnection* c = conns[i].get();
    asio::co_spawn(io, load_worker(result, last, c, cookie, path, deadline), asio::detached);
  }
  io.run();
  io.restart();
  result.seconds = std::chrono::duration<double>(last - start).count();
  for (auto& c : conns) asio::co_spawn(io, c->close(), asio::detached);
  io.run();
  return result;
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    for (const std::string* s : {&k, &v}) {
      for (const char sc : *s) {
        const auto ch = static_cast<unsigned char>(sc);
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
            ch == '.' || ch == '~') {
          out += static_cast<char>(ch);
        } else {
          char buf[4];
          std::snprintf(buf, sizeof buf, "%%%02X", ch);
          out += buf;
        }
      }
      if (s == &k) out += '=';
    }
  }
  return out;
}

}  // namespace madoguchi::bench
