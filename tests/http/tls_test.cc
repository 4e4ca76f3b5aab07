// TLS mode: HTTPS with a throwaway PKI from test_certs.cc, and the client-certificate requirement.
#include <chrono>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "http_fixture.h"
#include "madoguchi/http/client.h"
#include "madoguchi/http/server.h"
#include "test_certs.h"

namespace madoguchi::http {
namespace {

using namespace std::chrono_literals;
using testing::ServerThread;
using testing::TempDir;
using testing::TestPki;

constexpr auto kTimeout = 3s;

Handler hello() {
  return [](const Request& r) { return Response::text(200, "hello " + r.path); };
}

ServerOptions tls_options(const TestPki& pki) {
  ServerOptions options;
  options.cert_file = pki.server_cert;
  options.key_file = pki.server_key;
  return options;
}

TEST_CASE("TLS mode serves over HTTPS") {
  TempDir dir;
  auto pki = testing::make_test_pki(dir.path());
  REQUIRE(pki.ok());
  ServerThread server(tls_options(*pki), hello());
  REQUIRE(server.start_status().ok());

  const ClientTls tls{pki->ca_cert, {}, {}};
  for (const char* host : {"127.0.0.1", "localhost"}) {  // IP SAN and DNS SAN both verify
    INFO(host);
    auto r = request(host, server.port(), "GET", "/secure", {}, kTimeout, &tls);
    REQUIRE(r.ok());
    CHECK(r->status == 200);
    CHECK(r->body == "hello /secure");
    CHECK(r->headers.at("x-content-type-options") == "nosniff");
    // HTTPS responses tell the browser to use nothing else for a year (issue 11).
    REQUIRE(r->headers.count("strict-transport-security") == 1);
    CHECK(r->headers.at("strict-transport-security") == "max-age=31536000; includeSubDomains");
  }

  // Cleartext on a TLS port gets no HTTP answer.
  auto plain = request("127.0.0.1", server.port(), "GET", "/secure", {}, kTimeout);
  CHECK_FALSE(plain.ok());
}

TEST_CASE("the TLS client refuses a server certificate from an unknown CA") {
  TempDir dir;
  auto pki = testing::make_test_pki(dir.path());
  REQUIRE(pki.ok());
  ServerThread server(tls_options(*pki), hello());
  REQUIRE(server.start_status().ok());

  const ClientTls wrong_ca{pki->rogue_cert, {}, {}};  // a leaf of the rogue CA is not our CA
  auto r = request("127.0.0.1", server.port(), "GET", "/", {}, kTimeout, &wrong_ca);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::transport);
}

TEST_CASE("TLS mode refuses a client without a certificate when client_ca_file is set") {
  TempDir dir;
  auto pki = testing::make_test_pki(dir.path());
  REQUIRE(pki.ok());
  ServerOptions options = tls_options(*pki);
  options.client_ca_file = pki->ca_cert;
  ServerThread server(options, hello());
  REQUIRE(server.start_status().ok());

  // With TLS 1.3 the client may finish its handshake before the server rejects it, so the
  // refusal can surface on the read instead; either way no response comes back.
  const ClientTls anonymous{pki->ca_cert, {}, {}};
  auto without = request("127.0.0.1", server.port(), "GET", "/", {}, kTimeout, &anonymous);
  CHECK_FALSE(without.ok());

  const ClientTls rogue{pki->ca_cert, pki->rogue_cert, pki->rogue_key};
  auto wrong_issuer = request("127.0.0.1", server.port(), "GET", "/", {}, kTimeout, &rogue);
  CHECK_FALSE(wrong_issuer.ok());

  const ClientTls enrolled{pki->ca_cert, pki->client_cert, pki->client_key};
  auto with = request("127.0.0.1", server.port(), "GET", "/ok", {}, kTimeout, &enrolled);
  REQUIRE(with.ok());
  CHECK(with->status == 200);
  CHECK(with->body == "hello /ok");
}

TEST_CASE("start fails with Errc::crypto when the key does not belong to the certificate") {
  TempDir dir;
  auto pki = testing::make_test_pki(dir.path());
  REQUIRE(pki.ok());
  ServerOptions options = tls_options(*pki);
  options.key_file = pki->client_key;
  ServerThread mismatched(options, hello());
  REQUIRE_FALSE(mismatched.start_status().ok());
  CHECK(mismatched.start_status().error().code == Errc::crypto);

  ServerOptions missing = tls_options(*pki);
  missing.cert_file = (dir.path() / "absent.pem").string();
  ServerThread absent(missing, hello());
  REQUIRE_FALSE(absent.start_status().ok());
  CHECK(absent.start_status().error().code == Errc::crypto);
}

}  // namespace
}  // namespace madoguchi::http

namespace madoguchi::http {
namespace {

TEST_CASE("A Client keeps its connection for the next request, and opens another when the server let it go (issue 13)") {
  TempDir dir;
  auto pki = testing::make_test_pki(dir.path());
  REQUIRE(pki.ok());
  ServerOptions options = tls_options(*pki);
  options.read_timeout = 1s;  // an idle keep-alive connection is closed after a second
  ServerThread server(options, hello());
  REQUIRE(server.start_status().ok());
  const ClientTls tls{pki->ca_cert, {}, {}};
  Client client("127.0.0.1", server.port(), &tls);
  for (const char* path : {"/a", "/b", "/c"}) {
    auto r = client.request("POST", path, R"({"n":1})", kTimeout);
    REQUIRE(r.ok());
    CHECK(r->body == std::string("hello ") + path);
  }
  CHECK(server.stats().connections_accepted == 1);
  CHECK(server.stats().requests_handled == 3);

  std::this_thread::sleep_for(1500ms);  // the server closes the idle connection meanwhile
  auto again = client.request("GET", "/d", {}, kTimeout);
  REQUIRE(again.ok());
  CHECK(again->body == "hello /d");
  CHECK(server.stats().connections_accepted == 2);
  CHECK(server.stats().requests_handled == 4);  // sent again on the new connection, handled once
}

TEST_CASE("After a request that timed out, a Client never reads its late answer as the next one's (issue 13)") {
  ServerThread server(ServerOptions{}, [](const Request& r) {
    if (r.path == "/slow") std::this_thread::sleep_for(800ms);
    return Response::text(200, "answer to " + r.path);
  });
  REQUIRE(server.start_status().ok());
  Client client("127.0.0.1", server.port());
  REQUIRE(client.request("GET", "/first", {}, kTimeout).ok());
  auto slow = client.request("GET", "/slow", {}, 200ms);
  REQUIRE_FALSE(slow.ok());
  CHECK(slow.error().code == Errc::timeout);
  auto next = client.request("GET", "/next", {}, kTimeout);
  REQUIRE(next.ok());
  CHECK(next->body == "answer to /next");
  CHECK(server.stats().connections_accepted == 2);
}

}  // namespace
}  // namespace madoguchi::http
