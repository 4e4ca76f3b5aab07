// The hub's staff console over TLS with client certificates (ACC-5, SEC-1, SEC-4), end to end: the real
// madoguchi-hub process from the build, configured with console_tls_cert/console_tls_key and
// console_client_ca, certificates from the dev PKI (what `madoguchi-provision dev-pki` makes), and
// real TLS clients (http::request, and OpenSSL directly to offer TLS 1.1). Only the registered
// terminal's certificate gets the sign-in page; the cookies it sets are __Host-/Secure.
//
// No broker runs: the console does not need one (the hub keeps retrying the broker meanwhile).
// The only wait is for the console's port to open.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "madoguchi/http/client.h"
#include "madoguchi/provisioning/dev_pki.h"
#include "madoguchi/provisioning/broker_config.h"
#include "process.h"
#include "temp_dir.h"

namespace {

namespace fs = std::filesystem;
using namespace madoguchi;
using namespace std::chrono_literals;
using madoguchi::testing::Process;
using madoguchi::testing::TempDir;

constexpr const char* kRegistry =
    R"({"municipalities":[{"code":"131016","name":"サンプル区","devices":[{"id":"counter-01","role":"counter"}]}]})";
constexpr auto kTimeout = 5s;

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::trunc);
  out << text;
  REQUIRE(out.good());
}

// A hub serving municipality 131016's console on HTTPS, client certificates from the dev CA only.
struct HubWithTlsConsole {
  TempDir dir;
  fs::path pki = dir.path() / "pki";
  fs::path other_pki = dir.path() / "other-pki";  // the same names, signed by another CA
  std::uint16_t console_port = testing::free_port();
  Process hub;

  HubWithTlsConsole() {
    write_file(dir.path() / "registry.json", kRegistry);
    auto reg = provisioning::parse_registry(kRegistry);
    REQUIRE(reg.ok());
    REQUIRE(provisioning::ensure_dev_pki(pki, *reg).ok());
    REQUIRE(provisioning::ensure_dev_pki(other_pki, *reg).ok());
    const nlohmann::json cfg = {
        {"data_dir", (dir.path() / "hub").string()},
        {"registry_file", (dir.path() / "registry.json").string()},
        {"broker_host", "127.0.0.1"},
        {"broker_port", testing::free_port()},  // nothing listens there
        {"ca_file", (pki / "ca.crt").string()},
        {"cert_file", (pki / "hub.crt").string()},
        {"key_file", (pki / "hub.key").string()},
        {"http_port", 0},
        {"console_address", "127.0.0.1"},
        {"console_ports", {{"131016", console_port}}},
        // The dev PKI's server certificate (SAN localhost, 127.0.0.1) stands in for the console's.
        {"console_tls_cert", (pki / "broker.crt").string()},
        {"console_tls_key", (pki / "broker.key").string()},
        {"console_client_ca", (pki / "ca.crt").string()}};
    write_file(dir.path() / "hub.json", cfg.dump(2));
    hub = Process::spawn({std::string(MADOGUCHI_BIN_DIR) + "/madoguchi-hub", "--config", (dir.path() / "hub.json").string()},
                         dir.path() / "hub.log");
    const std::uint16_t port = console_port;
    const bool up = testing::eventually([&] { return testing::port_open(port) || !hub.running(); }, 20s);
    INFO("hub log: " << (dir.path() / "hub.log").string());
    REQUIRE(up);
    REQUIRE(hub.running());
  }
  ~HubWithTlsConsole() { hub.terminate(5s); }

  http::ClientTls terminal() const {
    return {(pki / "ca.crt").string(), (pki / "131016.counter-01.crt").string(), (pki / "131016.counter-01.key").string()};
  }
};

// One TLS handshake with OpenSSL, offering at most `max_version`, with an optional client
// certificate. Returns 0 when the handshake completed, else the OpenSSL error that ended it.
struct Handshake {
  bool completed = false;
  unsigned long error = 0;
};

Handshake handshake(std::uint16_t port, int max_version, const std::string& cert = {}, const std::string& key = {}) {
  Handshake out;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  REQUIRE(ctx);
  // OpenSSL 3 offers nothing below TLS 1.2 above security level 0: lower it, so that this client
  // really sends a TLS 1.1 ClientHello and the refusal seen is the server's.
  SSL_CTX_set_security_level(ctx.get(), 0);
  REQUIRE(SSL_CTX_set_cipher_list(ctx.get(), "DEFAULT:@SECLEVEL=0") == 1);
  REQUIRE(SSL_CTX_set_min_proto_version(ctx.get(), TLS1_VERSION) == 1);
  REQUIRE(SSL_CTX_set_max_proto_version(ctx.get(), max_version) == 1);
  if (!cert.empty()) {
    REQUIRE(SSL_CTX_use_certificate_chain_file(ctx.get(), cert.c_str()) == 1);
    REQUIRE(SSL_CTX_use_PrivateKey_file(ctx.get(), key.c_str(), SSL_FILETYPE_PEM) == 1);
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  timeval tv{5, 0};  // a hang guard
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    FAIL("cannot connect to the console");
  }
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), SSL_free);
  REQUIRE(ssl);
  SSL_set_fd(ssl.get(), fd);
  ERR_clear_error();
  out.completed = SSL_connect(ssl.get()) == 1;
  if (!out.completed) out.error = ERR_peek_last_error();
  if (out.completed) SSL_shutdown(ssl.get());
  ssl.reset();
  ::close(fd);
  return out;
}

std::string header(const http::ClientResponse& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? std::string() : it->second;
}

}  // namespace

TEST_CASE("The hub's TLS console serves the sign-in page only to a provisioned terminal's certificate (ACC-5, SEC-1, SEC-4)",
          "[hub][console][tls]") {
  HubWithTlsConsole h;

  SECTION("a provisioned terminal gets the sign-in page with __Host- Secure cookies") {
    const http::ClientTls tls = h.terminal();
    auto r = http::request("localhost", h.console_port, "GET", "/sign-in", {}, kTimeout, &tls);
    REQUIRE(r.ok());
    CHECK(r->status == 200);
    CHECK(r->body.find("ログイン") != std::string::npos);
    CHECK(r->body.find("name=\"login_id\"") != std::string::npos);
    const std::string cookie = header(*r, "set-cookie");
    CHECK(cookie.rfind("__Host-", 0) == 0);
    CHECK(cookie.find("; Secure") != std::string::npos);
    CHECK(cookie.find("HttpOnly") != std::string::npos);
    CHECK(header(*r, "content-security-policy").find("default-src 'none'") != std::string::npos);
    // Signed out, the home page sends the terminal to sign in.
    auto home = http::request("127.0.0.1", h.console_port, "GET", "/", {}, kTimeout, &tls);
    REQUIRE(home.ok());
    CHECK(home->status == 303);
    CHECK(header(*home, "location") == "/sign-in");
  }

  SECTION("no client certificate: no page") {
    const http::ClientTls anonymous{(h.pki / "ca.crt").string(), {}, {}};
    auto r = http::request("localhost", h.console_port, "GET", "/sign-in", {}, kTimeout, &anonymous);
    CHECK_FALSE(r.ok());
    // TLS 1.2 shows it at the handshake itself (TLS 1.3 may only fail the first read).
    const Handshake hs = handshake(h.console_port, TLS1_2_VERSION);
    CHECK_FALSE(hs.completed);
  }

  SECTION("a certificate from another CA: no page") {
    const http::ClientTls rogue{(h.pki / "ca.crt").string(), (h.other_pki / "131016.counter-01.crt").string(),
                                (h.other_pki / "131016.counter-01.key").string()};
    auto r = http::request("localhost", h.console_port, "GET", "/sign-in", {}, kTimeout, &rogue);
    CHECK_FALSE(r.ok());
    const Handshake hs = handshake(h.console_port, TLS1_2_VERSION, rogue.cert_file, rogue.key_file);
    CHECK_FALSE(hs.completed);
  }

  SECTION("TLS 1.1 is refused by the server, TLS 1.2 with the same certificate is not") {
    const http::ClientTls tls = h.terminal();
    const Handshake old = handshake(h.console_port, TLS1_1_VERSION, tls.cert_file, tls.key_file);
    CHECK_FALSE(old.completed);
    // The server's protocol_version alert, not a client that could not offer TLS 1.1.
    CHECK(ERR_GET_REASON(old.error) == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION);
    const Handshake current = handshake(h.console_port, TLS1_2_VERSION, tls.cert_file, tls.key_file);
    CHECK(current.completed);
  }

  SECTION("plain HTTP on the console's port gets no page") {
    auto r = http::request("127.0.0.1", h.console_port, "GET", "/sign-in", {}, kTimeout);
    CHECK_FALSE(r.ok());
  }
}
