// The byte-moving half of madoguchi_http, on Boost.Beast (advanced_server_flex shape, minus the
// plain/TLS detection: a server is either plain or TLS, so a TLS port never speaks cleartext).
// Sessions parse within limits, call dispatch() and write what it returns; no request handling
// lives here. One strand per connection; the acceptor has its own strand.
#include <algorithm>
#include <array>
#include <atomic>
#include <cassert>
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fcntl.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>

#include "../../dispatch_internal.h"
#include "madoguchi/http/server.h"

namespace madoguchi::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

namespace {

// TLS 1.2 suites: forward secret (ECDHE) and AEAD only. TLS 1.3 suites need no filtering.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// After the last response on a connection we still read (and discard) what the peer sends, for
// at most this long and this much, so that closing with unread input does not turn into a TCP
// reset that destroys the response (a 413 above all) before the client read it.
constexpr std::chrono::seconds kLingerTime{2};
constexpr std::size_t kLingerBytes = 4u << 20;
// Room in the read buffer beyond the header limit; body bytes are moved out as they are parsed.
constexpr std::size_t kReadBufferSlack = 64u * 1024;
// Pause before accepting again after an accept error (e.g. EMFILE), so it is not a busy loop.
constexpr std::chrono::milliseconds kAcceptRetry{100};

std::string str(beast::string_view s) { return std::string(s.data(), s.size()); }

std::string lower(beast::string_view s) {
  std::string out = str(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

Error crypto_error(std::string_view what, const std::string& file, const beast::error_code& ec) {
  return make_error(Errc::crypto, std::string(what) + " " + file + ": " + ec.message());
}

Status load_tls(ssl::context& ctx, const ServerOptions& o) {
  SSL_CTX* native = ctx.native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
    return make_error(Errc::crypto, "cannot require TLS 1.2 or later");
  }
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                  SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return make_error(Errc::crypto, "cannot set the TLS 1.2 cipher list");
  }
  beast::error_code ec;
  ctx.use_certificate_chain_file(o.cert_file, ec);
  if (ec) return crypto_error("loading certificate chain", o.cert_file, ec);
  ctx.use_private_key_file(o.key_file, ssl::context::pem, ec);
  if (ec) return crypto_error("loading private key", o.key_file, ec);
  if (SSL_CTX_check_private_key(native) != 1) {
    return make_error(Errc::crypto, "private key " + o.key_file + " does not match " + o.cert_file);
  }
  if (!o.client_ca_file.empty()) {
    ctx.load_verify_file(o.client_ca_file, ec);
    if (ec) return crypto_error("loading client CA", o.client_ca_file, ec);
    // Tell clients which CA we accept, so one with several certificates picks the right one.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(o.client_ca_file.c_str());
    if (names == nullptr) {
      return make_error(Errc::crypto, "no CA names in " + o.client_ca_file);
    }
    SSL_CTX_set_client_CA_list(native, names);  // takes ownership
    ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
    if (ec) return make_error(Errc::crypto, "requiring client certificates: " + ec.message());
    // A resumed session keeps the client certificate of its full handshake. OpenSSL resumes one
    // only within the same session id context (without one, a client offering a session to a
    // server that verifies peers fails the handshake): ours names the client CA, so a session of
    // a listener that trusts another CA is never resumed here.
    static constexpr unsigned char kSidContext[] = "madoguchi-http-mtls";
    std::string sid(reinterpret_cast<const char*>(kSidContext));
    sid += "|" + o.client_ca_file;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(sid.data()), sid.size(), digest);
    if (SSL_CTX_set_session_id_context(native, digest, SSL_MAX_SID_CTX_LENGTH) != 1) {
      return make_error(Errc::crypto, "setting the TLS session id context");
    }
  }
  // Sessions resumable for five minutes: a client that keeps coming (the issuing center, a console)
  // skips the signatures of a full handshake; a client certificate taken off a CA's trust is out
  // within that time at most. Kept in this process's session cache (SSL_OP_NO_TICKET: in TLS 1.3
  // a ticket then names a cached session, each resumable once), not sealed into the ticket: a
  // sealed one is decoded again at every resumption, client certificate and all, and OpenSSL 3.0's
  // key decoding made that the costliest step of a resumed handshake.
  SSL_CTX_set_options(native, SSL_OP_NO_TICKET);
  SSL_CTX_set_timeout(native, 300);
  return {};
}

}  // namespace

namespace detail {

// What stop() needs from a session, whatever its stream type.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual void start() = 0;
  virtual void close() = 0;  // any thread; takes effect on the connection's strand
  // Whether a response was written on it (a connection never answered may be shed).
  bool answered() const { return answered_.load(); }
  // Closes it to make room; it no longer counts towards any cap while it goes.
  void shed() {
    shed_ = true;
    close();
  }
  bool is_shed() const { return shed_.load(); }

 protected:
  std::atomic<bool> answered_{false};
  std::atomic<bool> shed_{false};
};

struct ServerState : std::enable_shared_from_this<ServerState> {
  ServerState(std::vector<net::io_context*> pool, ServerOptions opts, Handler h)
      : ios(std::move(pool)),
        options(std::move(opts)),
        handler(std::move(h)),
        strand(net::make_strand(*ios.front())),
        acceptor(strand),
        retry_timer(strand) {}

  void accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  void stop();
  void release(std::uint64_t id);

  // Accepted connections go to these in turn (the acceptor is on the first); each is run by one
  // thread, so a connection's work never waits for another thread's lock inside Asio.
  const std::vector<net::io_context*> ios;
  std::atomic<std::size_t> next_io{0};
  const ServerOptions options;
  const Handler handler;
  std::optional<ssl::context> tls;  // set by start(); read-only afterwards
  net::strand<net::io_context::executor_type> strand;  // acceptor and retry timer
  tcp::acceptor acceptor;
  net::steady_timer retry_timer;
  std::atomic<bool> started{false};
  std::atomic<bool> stopped{false};
  std::atomic<uint16_t> port{0};

  std::atomic<uint64_t> connections_accepted{0}, connections_refused{0}, connections_shed{0}, handshakes_failed{0},
      deadlines_expired{0}, requests_handled{0}, requests_refused{0}, handler_failures{0};

  std::mutex mutex;
  std::uint64_t next_id = 0;                                         // guarded by mutex
  struct Live {
    std::weak_ptr<Connection> connection;
    std::string remote;
  };
  std::map<std::uint64_t, Live> connections;  // by id, oldest first; guarded by mutex
  // Entries of `connections` per remote address (shed and closing ones too, until released):
  // while neither cap is reached by these upper bounds, an accept needs no scan (victim_for).
  std::unordered_map<std::string, std::size_t> entries_per_remote;  // guarded by mutex
  // Under mutex: the connection to close to make room for one more from `remote`, or none;
  // `refuse` when there is no room and nothing to shed. `held` keeps the connections looked at
  // alive until the caller has released the mutex.
  std::shared_ptr<Connection> victim_for(const std::string& remote, bool* refuse,
                                         std::vector<std::shared_ptr<Connection>>& held);
};

namespace {

template <class Stream>
class Session final : public Connection, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  Session(std::shared_ptr<ServerState> state, std::uint64_t id, tcp::socket&& socket,
          std::string remote)
      : state_(std::move(state)),
        id_(id),
        stream_(make_stream(std::move(socket), *state_)),
        buffer_(state_->options.header_limit + kReadBufferSlack),
        remote_(std::move(remote)) {}

  ~Session() override { state_->release(id_); }

  void start() override {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::on_start, this->shared_from_this()));
  }

  void close() override {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->close_now(); });
  }

 private:
  static Stream make_stream(tcp::socket&& socket, ServerState& state) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *state.tls);
    } else {
      return Stream(std::move(socket));
    }
  }

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }
  const ServerOptions& options() const { return state_->options; }

  void on_start() {
    if constexpr (kTls) {
      lowest().expires_after(options().read_timeout);
      stream_.async_handshake(ssl::stream_base::server,
                              beast::bind_front_handler(&Session::on_handshake,
                                                        this->shared_from_this()));
    } else {
      read_request();
    }
  }

  void on_handshake(beast::error_code ec) {
    if (ec) {
      ++state_->handshakes_failed;
      if (ec == beast::error::timeout) ++state_->deadlines_expired;
      close_now();
      return;
    }
    read_request();
  }

  void read_request() {
    if (closed_ || state_->stopped) {
      close_now();
      return;
    }
    parser_.emplace();
    parser_->body_limit(options().body_limit);
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(options().header_limit, std::numeric_limits<std::uint32_t>::max())));
    // One deadline for the whole request, not per read: a client trickling a byte at a time is
    // cut all the same.
    lowest().expires_after(options().read_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Session::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec == beast::error::timeout) {
      ++state_->deadlines_expired;
      close_now();
      return;
    }
    if (ec == bhttp::error::end_of_stream) {  // peer closed between requests
      close_gracefully();
      return;
    }
    if (ec == bhttp::error::body_limit) {
      refuse(413, Errc::too_large,
             "request body exceeds " + std::to_string(options().body_limit) + " bytes");
      return;
    }
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
      refuse(431, Errc::too_large,
             "request header exceeds " + std::to_string(options().header_limit) + " bytes");
      return;
    }
    if (ec && ec != bhttp::error::partial_message &&
        &ec.category() == &bhttp::make_error_code(bhttp::error::bad_target).category()) {
      refuse(400, Errc::malformed, "malformed HTTP request");
      return;
    }
    if (ec || closed_ || state_->stopped) {  // socket error, TLS error, or stop()
      close_now();
      return;
    }

    auto& message = parser_->get();
    Request request;
    request.method = str(message.method_string());
    request.target = str(message.target());
    for (const auto& field : message) {
      auto [it, inserted] = request.headers.try_emplace(lower(field.name_string()));
      if (!inserted) it->second += ", ";
      it->second += str(field.value());
    }
    request.body = std::move(message.body());
    request.remote_address = remote_;
    const unsigned version = message.version();
    const bool keep_alive = message.keep_alive();
    const bool head = message.method() == bhttp::verb::head;
    // DNS rebinding and misdirected requests: only the names this server answers to.
    if (const auto& names = options().host_names; !names.empty()) {
      auto it = request.headers.find("host");
      const std::string name = it == request.headers.end() ? std::string() : host_name_of(it->second);
      if (std::find(names.begin(), names.end(), name) == names.end()) {
        refuse(421, Errc::forbidden, "this server does not answer to that host name");
        return;
      }
    }

    internal::Outcome outcome{};
    Response response = internal::dispatch(state_->handler, std::move(request), outcome);
    switch (outcome) {
      case internal::Outcome::handled: ++state_->requests_handled; break;
      case internal::Outcome::refused: ++state_->requests_refused; break;
      case internal::Outcome::handler_failed:
        ++state_->requests_handled;
        ++state_->handler_failures;
        break;
    }
    write(std::move(response), version, keep_alive, head);
  }

  // A refusal ends the connection: the rest of the input cannot be trusted to be in sync.
  void refuse(int status, Errc code, const std::string& message) {
    ++state_->requests_refused;
    // Beast accepts only HTTP/1.0 and 1.1 (anything else is bad_version → 400 here).
    const unsigned version = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
    write(internal::refusal(status, code, message), version, false, false);
  }

  template <class Message>
  void set_head(Message& m, const Response& r, unsigned version, bool keep_alive) {
    m.version(version);
    m.result(static_cast<unsigned>(r.status));
    if (!r.content_type.empty()) m.set(bhttp::field::content_type, r.content_type);
    for (const auto& [name, value] : r.headers) m.insert(name, value);
    if (state_->tls && options().hsts_max_age.count() > 0) {
      m.set("Strict-Transport-Security",
            "max-age=" + std::to_string(options().hsts_max_age.count()) + "; includeSubDomains");
    }
    m.keep_alive(keep_alive);
  }

  void write(Response r, unsigned version, bool keep_alive, bool head) {
    this->answered_ = true;
    if (r.file && !head) {
      write_file(std::move(r), version, keep_alive);
      return;
    }
    response_ = {};
    set_head(response_, r, version, keep_alive);
    if (head) {
      if (r.status != 204 && r.status != 304) response_.content_length(r.file ? r.file->size() : r.body.size());
    } else {
      response_.body() = std::move(r.body);
      response_.prepare_payload();
    }
    need_eof_ = response_.need_eof();
    lowest().expires_after(options().write_timeout);
    bhttp::async_write(stream_, response_,
                       beast::bind_front_handler(&Session::on_write, this->shared_from_this()));
  }

  // A body streamed from an open file (Response::file): read by Beast piece by piece from a
  // duplicate of the descriptor, so the Response's file may go away meanwhile.
  void write_file(Response r, unsigned version, bool keep_alive) {
    beast::error_code ec;
    beast::file_posix file;
    const int fd = ::fcntl(r.file->fd(), F_DUPFD_CLOEXEC, 0);
    if (fd >= 0) {
      file.native_handle(fd);
      file.seek(0, ec);
    }
    file_response_.emplace();
    if (fd >= 0 && !ec) file_response_->body().reset(std::move(file), ec);
    if (fd < 0 || ec) {
      file_response_.reset();
      write(internal::refusal(500, Errc::io, "the response file cannot be read"), version, false, false);
      return;
    }
    set_head(*file_response_, r, version, keep_alive);
    file_response_->prepare_payload();
    need_eof_ = file_response_->need_eof();
    lowest().expires_after(options().write_timeout + std::chrono::seconds(r.file->size() >> 20));
    bhttp::async_write(stream_, *file_response_,
                       beast::bind_front_handler(&Session::on_write, this->shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t /*bytes*/) {
    file_response_.reset();
    if (ec == beast::error::timeout) ++state_->deadlines_expired;
    if (ec) {
      close_now();
      return;
    }
    if (need_eof_) {
      close_gracefully();
      return;
    }
    read_request();
  }

  void close_gracefully() {
    if (closed_) return;
    lowest().expires_after(std::min<std::chrono::steady_clock::duration>(options().read_timeout,
                                                                          kLingerTime));
    if constexpr (kTls) {
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->close_now(); });
    } else {
      beast::error_code ignored;
      lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
      drain();
    }
  }

  void drain() {
    lowest().async_read_some(
        net::buffer(drain_buffer_),
        [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
          self->drained_ += n;
          if (ec || self->closed_ || self->drained_ >= kLingerBytes) {
            self->close_now();
          } else {
            self->drain();
          }
        });
  }

  void close_now() {
    if (closed_) return;
    closed_ = true;
    lowest().close();  // cancels pending operations and the deadline timer
  }

  std::shared_ptr<ServerState> state_;
  const std::uint64_t id_;
  Stream stream_;
  beast::flat_buffer buffer_;  // max size: header limit + slack
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> response_;
  std::optional<bhttp::response<bhttp::file_body>> file_response_;
  bool need_eof_ = false;
  std::string remote_;
  std::array<char, 4096> drain_buffer_{};
  std::size_t drained_ = 0;
  bool closed_ = false;  // touched on the strand only
};

}  // namespace

void ServerState::accept() {
  net::io_context& io = *ios[next_io++ % ios.size()];
  acceptor.async_accept(net::make_strand(io),
                        beast::bind_front_handler(&ServerState::on_accept, shared_from_this()));
}

void ServerState::on_accept(beast::error_code ec, tcp::socket socket) {
  if (stopped || ec == net::error::operation_aborted) return;
  if (ec) {
    retry_timer.expires_after(kAcceptRetry);
    retry_timer.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec && !self->stopped) self->accept();
    });
    return;
  }
  beast::error_code remote_ec;
  const tcp::endpoint remote = socket.remote_endpoint(remote_ec);
  std::string remote_address = remote_ec ? std::string{} : remote.address().to_string();
  std::uint64_t id = 0;
  bool refuse = false;
  std::shared_ptr<Connection> victim;
  std::vector<std::shared_ptr<Connection>> held;  // released after the lock (see victim_for)
  {
    std::lock_guard lock(mutex);
    victim = victim_for(remote_address, &refuse, held);
    if (!refuse) id = next_id++;
  }
  if (victim) {
    ++connections_shed;
    victim->shed();  // outside the lock (closing may release it)
  }
  if (refuse) {
    ++connections_refused;
    beast::error_code ignored;
    socket.close(ignored);
    accept();
    return;
  }
  ++connections_accepted;
  const std::string remote_of_entry = remote_address;  // the session takes remote_address
  std::shared_ptr<Connection> connection;
  if (tls) {
    connection = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
        shared_from_this(), id, std::move(socket), std::move(remote_address));
  } else {
    connection = std::make_shared<Session<beast::tcp_stream>>(
        shared_from_this(), id, std::move(socket), std::move(remote_address));
  }
  {
    std::lock_guard lock(mutex);
    connections.emplace(id, Live{connection, remote_of_entry});
    ++entries_per_remote[remote_of_entry];
  }
  connection->start();
  // stop() may have copied the connection list before this one was added.
  if (stopped) connection->close();
  accept();
}

void ServerState::stop() {
  if (stopped.exchange(true)) return;
  net::dispatch(strand, [self = shared_from_this()] {
    beast::error_code ignored;
    self->acceptor.close(ignored);
    self->retry_timer.cancel();
  });
  std::vector<std::shared_ptr<Connection>> live;
  {
    std::lock_guard lock(mutex);
    for (const auto& entry : connections) {
      if (auto c = entry.second.connection.lock()) live.push_back(std::move(c));
    }
  }
  // Outside the lock: dropping the last reference runs ~Session, which calls release().
  for (const auto& c : live) c->close();
}

std::shared_ptr<Connection> ServerState::victim_for(const std::string& remote, bool* refuse,
                                                   std::vector<std::shared_ptr<Connection>>& held) {
  *refuse = false;
  {
    // Upper bounds (they count connections already going): under both caps, nothing to shed.
    auto it = entries_per_remote.find(remote);
    const std::size_t of_remote = it == entries_per_remote.end() ? 0 : it->second;
    const bool maybe_client_full = options.max_connections_per_client != 0 && of_remote >= options.max_connections_per_client;
    if (!maybe_client_full && connections.size() < options.max_connections) return nullptr;
  }
  // The live connections, oldest first, held by the caller until it has released the mutex: the
  // last reference dropped runs ~Session, which takes the mutex in release().
  struct Candidate {
    Connection* connection;
    bool mine;
  };
  std::vector<Candidate> live;
  std::size_t mine = 0;
  for (const auto& [id, entry] : connections) {
    auto c = entry.connection.lock();
    if (!c) continue;
    held.push_back(c);
    if (c->is_shed()) continue;  // going already: counts towards no cap
    live.push_back({c.get(), entry.remote == remote});
    if (entry.remote == remote) ++mine;
  }
  const bool client_full = options.max_connections_per_client != 0 && mine >= options.max_connections_per_client;
  const bool server_full = live.size() >= options.max_connections;
  if (!client_full && !server_full) return nullptr;
  auto shared = [&](Connection* c) {
    for (const auto& h : held) {
      if (h.get() == c) return h;
    }
    return std::shared_ptr<Connection>();
  };
  // The oldest connection not answered yet: of this address when it is at its cap, else of any.
  Connection* oldest_of_client = nullptr;
  for (const auto& cand : live) {
    if (client_full && !cand.mine) continue;
    if (!cand.connection->answered()) return shared(cand.connection);
    if (client_full && !oldest_of_client) oldest_of_client = cand.connection;
  }
  // Every connection of this address was answered (keep-alive): its oldest makes room.
  if (client_full && oldest_of_client) return shared(oldest_of_client);
  *refuse = true;
  return nullptr;
}

void ServerState::release(std::uint64_t id) {
  std::lock_guard lock(mutex);
  auto it = connections.find(id);
  if (it == connections.end()) return;
  if (auto n = entries_per_remote.find(it->second.remote); n != entries_per_remote.end() && --n->second == 0) {
    entries_per_remote.erase(n);
  }
  connections.erase(it);
}

}  // namespace detail

Server::Server(boost::asio::io_context& io, ServerOptions options, Handler handler)
    : Server(std::vector<boost::asio::io_context*>{&io}, std::move(options), std::move(handler)) {}

Server::Server(std::vector<boost::asio::io_context*> pool, ServerOptions options, Handler handler)
    : state_(std::make_shared<detail::ServerState>(std::move(pool), std::move(options), std::move(handler))) {
  assert(!state_->ios.empty());
}

Server::~Server() { stop(); }

Status Server::start() {
  auto& s = *state_;
  if (s.started.exchange(true)) return make_error(Errc::invalid_argument, "server already started");
  const ServerOptions& o = s.options;
  if (o.cert_file.empty() != o.key_file.empty()) {
    return make_error(Errc::invalid_argument, "TLS needs both cert_file and key_file");
  }
  if (!o.client_ca_file.empty() && o.cert_file.empty()) {
    return make_error(Errc::invalid_argument, "client_ca_file needs cert_file and key_file");
  }
  try {
    if (!o.cert_file.empty()) {
      s.tls.emplace(ssl::context::tls_server);
      if (Status st = load_tls(*s.tls, o); !st) {
        s.tls.reset();
        return st;
      }
    }
    beast::error_code ec;
    const auto address = net::ip::make_address(o.address, ec);
    if (ec) return make_error(Errc::invalid_argument, "bad listen address \"" + o.address + "\"");
    const tcp::endpoint endpoint(address, o.port);
    const std::string where = o.address + ":" + std::to_string(o.port);
    s.acceptor.open(endpoint.protocol(), ec);
    if (ec) return make_error(Errc::io, "opening socket for " + where + ": " + ec.message());
    s.acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (ec) return make_error(Errc::io, "setting SO_REUSEADDR: " + ec.message());
    s.acceptor.bind(endpoint, ec);
    if (ec) return make_error(Errc::io, "binding " + where + ": " + ec.message());
    s.acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return make_error(Errc::io, "listening on " + where + ": " + ec.message());
    const auto local = s.acceptor.local_endpoint(ec);
    if (ec) return make_error(Errc::io, "reading bound port: " + ec.message());
    s.port = local.port();
  } catch (const std::exception& e) {  // Asio/OpenSSL resource exhaustion; no exception escapes
    return make_error(Errc::io, std::string("starting server: ") + e.what());
  }
  net::dispatch(s.strand, [state = state_] {
    if (!state->stopped) state->accept();
  });
  return {};
}

void Server::stop() { state_->stop(); }

uint16_t Server::port() const { return state_->port; }

ServerStats Server::stats() const {
  const auto& s = *state_;
  ServerStats out;
  out.connections_accepted = s.connections_accepted;
  out.connections_refused = s.connections_refused;
  out.connections_shed = s.connections_shed;
  out.handshakes_failed = s.handshakes_failed;
  out.deadlines_expired = s.deadlines_expired;
  out.requests_handled = s.requests_handled;
  out.requests_refused = s.requests_refused;
  out.handler_failures = s.handler_failures;
  return out;
}

}  // namespace madoguchi::http
