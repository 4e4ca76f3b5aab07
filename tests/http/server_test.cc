// The Server over real sockets on 127.0.0.1 (port 0). Each Server runs on a background thread's
// io_context; every client call has a deadline, so a broken server fails a test, never hangs it.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "http_fixture.h"
#include "temp_dir.h"
#include "madoguchi/http/client.h"
#include "madoguchi/http/server.h"

namespace madoguchi::http {
namespace {

using namespace std::chrono_literals;
using testing::RawConnection;
using testing::ServerThread;
using testing::SilentListener;
using madoguchi::testing::TempDir;

constexpr auto kTimeout = 3s;

// Records what reached the handler, from the server thread, for the test thread to read.
struct Recorder {
  std::mutex mutex;
  std::vector<Request> requests;
  std::atomic<int> calls{0};

  Handler handler(Response response = Response::text(200, "ok END")) {
    return [this, response](const Request& r) {
      std::lock_guard lock(mutex);
      requests.push_back(r);
      ++calls;
      return response;
    };
  }
  Request last() {
    std::lock_guard lock(mutex);
    return requests.empty() ? Request{} : requests.back();
  }
};

Expected<ClientResponse> call(const ServerThread& server, const std::string& method,
                              const std::string& target, const std::string& body = {}) {
  return request("127.0.0.1", server.port(), method, target, body, kTimeout);
}

void check_security_headers(const ClientResponse& r) {
  INFO("status " << r.status);
  CHECK(r.headers.count("x-content-type-options") == 1);
  if (r.headers.count("x-content-type-options")) {
    CHECK(r.headers.at("x-content-type-options") == "nosniff");
  }
  CHECK(r.headers.count("cache-control") == 1);
  if (r.headers.count("cache-control")) CHECK(r.headers.at("cache-control") == "no-store");
  CHECK(r.headers.count("content-security-policy") == 1);
  CHECK(r.headers.count("x-frame-options") == 1);
  if (r.headers.count("x-frame-options")) CHECK(r.headers.at("x-frame-options") == "DENY");
  CHECK(r.headers.count("server") == 1);
  if (r.headers.count("server")) CHECK(r.headers.at("server") == "madoguchi");
}

TEST_CASE("the handler sees method, decoded path, query and body") {
  Recorder recorder;
  ServerThread server({}, recorder.handler(Response::json(201, R"({"id":7})")));
  REQUIRE(server.start_status().ok());
  REQUIRE(server.port() != 0);

  auto r = call(server, "POST", "/api/v1/%E7%94%B3%E8%AB%8B?ward=%E4%B8%AD%E5%8C%BA&q=a+b&q=c",
                R"({"name":"佐藤"})");
  REQUIRE(r.ok());
  CHECK(r->status == 201);
  CHECK(r->body == R"({"id":7})");
  CHECK(r->headers.at("content-type") == "application/json; charset=utf-8");

  const Request seen = recorder.last();
  CHECK(seen.method == "POST");
  CHECK(seen.path == "/api/v1/申請");
  CHECK(seen.target == "/api/v1/%E7%94%B3%E8%AB%8B?ward=%E4%B8%AD%E5%8C%BA&q=a+b&q=c");
  CHECK(seen.query.find("ward")->second == "中区");
  CHECK(seen.query.count("q") == 2);
  CHECK(seen.query.find("q")->second == "a b");
  CHECK(seen.body == R"({"name":"佐藤"})");
  CHECK(seen.headers.at("content-type") == "application/json; charset=utf-8");
  CHECK(seen.headers.at("user-agent") == "madoguchi-client");
  CHECK(seen.remote_address == "127.0.0.1");
}

TEST_CASE("oversized bodies get 413 and never reach the handler") {
  Recorder recorder;
  ServerOptions options;
  options.body_limit = 1024;
  ServerThread server(options, recorder.handler());
  REQUIRE(server.start_status().ok());

  auto too_big = call(server, "POST", "/upload", std::string(64 * 1024, 'x'));
  REQUIRE(too_big.ok());
  CHECK(too_big->status == 413);
  CHECK(too_big->body.find("too_large") != std::string::npos);

  // Chunked bodies have no Content-Length to check up front; they are cut while arriving.
  RawConnection chunked(server.port());
  REQUIRE(chunked.connected());
  const std::string chunk(0x320, 'y');  // 800 bytes
  chunked.send("POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n320\r\n" +
               chunk + "\r\n320\r\n" + chunk + "\r\n0\r\n\r\n");
  auto raw = chunked.read_until_closed(kTimeout);
  CHECK(raw.closed);
  CHECK(raw.data.rfind("HTTP/1.1 413", 0) == 0);

  CHECK(recorder.calls == 0);

  // At the limit is still fine, so the limit is the one configured and not something smaller.
  auto at_limit = call(server, "POST", "/upload", std::string(1024, 'x'));
  REQUIRE(at_limit.ok());
  CHECK(at_limit->status == 200);
  CHECK(recorder.calls == 1);
  CHECK(server.stats().requests_refused == 2);
}

TEST_CASE("a body exactly at the default limit arrives whole") {
  Recorder recorder;
  ServerThread server({}, recorder.handler());
  REQUIRE(server.start_status().ok());
  std::string body(ServerOptions{}.body_limit, 'z');
  body.front() = '<';
  body.back() = '>';
  auto r = call(server, "PUT", "/blob", body);
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(recorder.last().body == body);
}

TEST_CASE("a throwing handler yields 500 and the server keeps serving") {
  std::atomic<int> calls{0};
  ServerThread server({}, [&](const Request& r) -> Response {
    ++calls;
    if (r.path == "/boom") throw std::runtime_error("db at /var/lib/madoguchi/hub.db is locked");
    return Response::text(200, "still here");
  });
  REQUIRE(server.start_status().ok());

  for (int i = 0; i < 3; ++i) {
    auto boom = call(server, "GET", "/boom");
    REQUIRE(boom.ok());
    CHECK(boom->status == 500);
    CHECK(boom->body.find("locked") == std::string::npos);
    CHECK(boom->body.find("/var/lib") == std::string::npos);
  }
  auto fine = call(server, "GET", "/fine");
  REQUIRE(fine.ok());
  CHECK(fine->status == 200);
  CHECK(fine->body == "still here");
  CHECK(calls == 4);
  CHECK(server.stats().handler_failures == 3);
}

TEST_CASE("security headers are on every response") {
  ServerOptions options;
  options.body_limit = 16;
  ServerThread server(options, [](const Request& r) -> Response {
    if (r.path == "/missing") return Response::error(404, "not_found", "no such record");
    if (r.path == "/boom") throw std::runtime_error("boom");
    if (r.path == "/page") {
      Response page = Response::text(200, "<p>hi</p>");
      page.content_type = "text/html; charset=utf-8";
      page.headers.emplace_back("Content-Security-Policy", "default-src 'self'");
      return page;
    }
    return Response::json(200, "{}");
  });
  REQUIRE(server.start_status().ok());

  const std::pair<std::string, int> cases[] = {
      {"/ok", 200}, {"/missing", 404}, {"/boom", 500}, {"/bad%zz", 400}, {"/page", 200}};
  for (const auto& [target, status] : cases) {
    INFO(target);
    auto r = call(server, "GET", target);
    REQUIRE(r.ok());
    CHECK(r->status == status);
    check_security_headers(*r);
    CHECK(r->headers.at("content-security-policy") ==
          (target == "/page" ? "default-src 'self'" : "default-src 'none'"));
  }
  auto too_big = call(server, "POST", "/ok", std::string(17, 'x'));
  REQUIRE(too_big.ok());
  CHECK(too_big->status == 413);
  check_security_headers(*too_big);

  RawConnection malformed(server.port());
  malformed.send("GET / HTTP/1.1\r\nHost t\r\n\r\n");
  auto raw = malformed.read_until_closed(kTimeout);
  CHECK(raw.data.rfind("HTTP/1.1 400", 0) == 0);
  CHECK(raw.data.find("X-Content-Type-Options: nosniff\r\n") != std::string::npos);
  CHECK(raw.data.find("Server: madoguchi\r\n") != std::string::npos);
}

TEST_CASE("malformed percent-encoding is refused with 400 without calling the handler") {
  Recorder recorder;
  ServerThread server({}, recorder.handler());
  REQUIRE(server.start_status().ok());

  for (const char* target : {"/records/%zz", "/records?x=%4", "/records/%00", "/a/%2e%2e/b"}) {
    INFO(target);
    auto r = call(server, "GET", target);
    REQUIRE(r.ok());
    CHECK(r->status == 400);
    CHECK(r->body.find("\"malformed\"") != std::string::npos);
  }
  CHECK(recorder.calls == 0);
  auto good = call(server, "GET", "/records/%41");
  REQUIRE(good.ok());
  CHECK(good->status == 200);
  CHECK(recorder.last().path == "/records/A");
}

TEST_CASE("malformed HTTP gets 400 and the connection is closed") {
  Recorder recorder;
  ServerThread server({}, recorder.handler());
  REQUIRE(server.start_status().ok());

  for (const char* garbage : {"GET / HTTP/1.1\r\nHost t\r\n\r\n",      // header without colon
                              "G@T / HTTP/1.1\r\n\r\n",                  // bad method token
                              "GET / HTTP/2.5\r\nHost: localhost\r\n\r\n",     // only 1.0 and 1.1
                              "GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"}) {
    INFO(garbage);
    RawConnection c(server.port());
    REQUIRE(c.connected());
    REQUIRE(c.send(garbage));
    auto raw = c.read_until_closed(kTimeout);
    CHECK(raw.closed);
    CHECK_FALSE(raw.timed_out);
    CHECK(raw.data.rfind("HTTP/1.1 400", 0) == 0);
  }
  CHECK(recorder.calls == 0);
}

TEST_CASE("slow clients that never finish their headers are cut at the deadline") {
  Recorder recorder;
  ServerOptions options;
  options.read_timeout = 1s;
  ServerThread server(options, recorder.handler());
  REQUIRE(server.start_status().ok());

  const auto start = std::chrono::steady_clock::now();
  RawConnection silent(server.port());   // sends half a header, then nothing
  RawConnection trickle(server.port());  // keeps sending one byte every 100 ms, never finishing
  REQUIRE(silent.connected());
  REQUIRE(trickle.connected());
  REQUIRE(silent.send("GET /slow HTTP/1.1\r\nHost: localhost\r\n"));
  REQUIRE(trickle.send("GET /slow HTTP/1.1\r\nX-Pad: "));

  // Meanwhile other clients are served: one slow client does not block the thread.
  auto fast = call(server, "GET", "/fast");
  REQUIRE(fast.ok());
  CHECK(fast->status == 200);

  std::chrono::steady_clock::duration silent_cut{}, trickle_cut{};
  bool silent_closed = false, trickle_closed = false;
  std::string received;
  while (std::chrono::steady_clock::now() - start < 4s && !(silent_closed && trickle_closed)) {
    if (!trickle_closed) trickle.send("a");
    if (!silent_closed) {
      auto r = silent.read_until_closed(50ms);
      received += r.data;
      if (r.closed) {
        silent_closed = true;
        silent_cut = std::chrono::steady_clock::now() - start;
      }
    }
    if (!trickle_closed) {
      auto r = trickle.read_until_closed(50ms);
      received += r.data;
      if (r.closed) {
        trickle_closed = true;
        trickle_cut = std::chrono::steady_clock::now() - start;
      }
    }
  }
  REQUIRE(silent_closed);
  REQUIRE(trickle_closed);
  CHECK(received.empty());  // cut without a response
  // Not before the deadline (it was the deadline, not a refusal), and not long after it.
  CHECK(silent_cut >= 900ms);
  CHECK(silent_cut < 2500ms);
  CHECK(trickle_cut >= 900ms);
  CHECK(trickle_cut < 2500ms);
  // The stream's timer closes the socket before the read completes with the timeout, so the
  // counter may trail the close we observed by a moment.
  CHECK(testing::eventually([&] { return server.stats().deadlines_expired == 2; }));
  CHECK(recorder.calls == 1);  // only /fast
}

TEST_CASE("a keep-alive connection serves pipelined requests in order, HEAD without a body") {
  ServerThread server({}, [](const Request& r) { return Response::text(200, "body of " + r.path); });
  REQUIRE(server.start_status().ok());

  RawConnection c(server.port());
  REQUIRE(c.connected());
  REQUIRE(c.send("HEAD /first HTTP/1.1\r\nHost: localhost\r\n\r\n"
                 "GET /second HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  auto raw = c.read_until("body of /second", kTimeout);
  REQUIRE_FALSE(raw.timed_out);
  CHECK_FALSE(raw.closed);
  const auto second = raw.data.find("HTTP/1.1 200", 1);
  REQUIRE(second != std::string::npos);
  const std::string head = raw.data.substr(0, second);
  CHECK(head.find("Content-Length: 14\r\n") != std::string::npos);  // "body of /first"
  CHECK(head.find("body of") == std::string::npos);
  CHECK(head.substr(head.size() - 4) == "\r\n\r\n");

  // Still open for more.
  REQUIRE(c.send("GET /third HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  CHECK_FALSE(c.read_until("body of /third", kTimeout).timed_out);
}

TEST_CASE("only the configured host names are answered: another Host gets 421 before any handler (issue 11)") {
  Recorder rec;
  ServerThread server({}, rec.handler());  // the default: the loopback names
  REQUIRE(server.start_status().ok());
  for (const char* host : {"localhost", "127.0.0.1:8080", "LOCALHOST:1", "[::1]:443", "localhost."}) {
    INFO(host);
    RawConnection c(server.port());
    REQUIRE(c.send(std::string("GET /ok HTTP/1.1\r\nHost: ") + host + "\r\n\r\n"));
    auto raw = c.read_until("END", kTimeout);
    CHECK(raw.data.rfind("HTTP/1.1 200", 0) == 0);
  }
  CHECK(rec.calls == 5);
  // A page of evil.example whose name resolves to 127.0.0.1 (DNS rebinding), a request without a
  // Host, and a Host that is no host at all.
  for (const char* header : {"Host: evil.example\r\n", "Host: evil.example:8080\r\n", "", "Host: a b\r\n",
                             "Host: localhost.evil.example\r\n"}) {
    INFO(header);
    RawConnection c(server.port());
    REQUIRE(c.send(std::string("GET /ok HTTP/1.1\r\n") + header + "\r\n"));
    auto raw = c.read_until("\r\n\r\n", kTimeout);
    CHECK(raw.data.rfind("HTTP/1.1 421", 0) == 0);
  }
  CHECK(rec.calls == 5);
  // A server reached by its public name lists it; HTTP without TLS sends no HSTS.
  ServerOptions named;
  named.host_names = {"yoyaku.example.jp"};
  ServerThread site(named, rec.handler());
  REQUIRE(site.start_status().ok());
  RawConnection c(site.port());
  REQUIRE(c.send("GET /ok HTTP/1.1\r\nHost: yoyaku.example.jp\r\n\r\n"));
  auto raw = c.read_until("END", kTimeout);
  CHECK(raw.data.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(raw.data.find("Strict-Transport-Security") == std::string::npos);
}

TEST_CASE("host_name_of takes the name of a Host value, lower-cased, and refuses what is not one") {
  CHECK(host_name_of("Example.JP:8443") == "example.jp");
  CHECK(host_name_of("[::1]:80") == "::1");
  CHECK(host_name_of("[::1]") == "::1");
  CHECK(host_name_of("::1").empty());
  CHECK(host_name_of("a/b").empty());
  CHECK(host_name_of("[::1]x").empty());
  CHECK(host_name_of("").empty());
}

TEST_CASE("connections beyond max_connections are closed at accept") {
  ServerOptions options;
  options.max_connections = 1;
  ServerThread server(options, [](const Request&) { return Response::text(200, "ok END"); });
  REQUIRE(server.start_status().ok());

  RawConnection first(server.port());
  REQUIRE(first.send("GET /a HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  REQUIRE_FALSE(first.read_until("END", kTimeout).timed_out);  // first is registered now

  RawConnection second(server.port());
  auto refused = second.read_until_closed(kTimeout);
  CHECK(refused.closed);
  CHECK_FALSE(refused.timed_out);
  CHECK(refused.data.empty());
  CHECK(server.stats().connections_refused == 1);

  REQUIRE(first.send("GET /b HTTP/1.1\r\nHost: localhost\r\n\r\n"));  // the first is unaffected
  CHECK_FALSE(first.read_until("END", kTimeout).timed_out);

  // Once the first leaves, its slot is free again.
  first.close();
  bool served = false;
  for (int attempt = 0; attempt < 40 && !served; ++attempt) {
    auto r = request("127.0.0.1", server.port(), "GET", "/c", {}, 500ms);
    served = r.ok() && r->status == 200;
    if (!served) std::this_thread::sleep_for(50ms);
  }
  CHECK(served);
}

TEST_CASE("slow connections of one address are shed first: they cannot crowd out answers (issue 11)") {
  ServerOptions options;
  options.max_connections = 64;
  options.max_connections_per_client = 4;
  ServerThread server(options, [](const Request&) { return Response::text(200, "ok END"); });
  REQUIRE(server.start_status().ok());
  // An answered keep-alive connection, then 20 that never finish their headers.
  RawConnection kept(server.port());
  REQUIRE(kept.send("GET /a HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  REQUIRE_FALSE(kept.read_until("END", kTimeout).timed_out);
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < 20; ++i) {
    slow.push_back(std::make_unique<RawConnection>(server.port()));
    REQUIRE(slow.back()->send("GET /slow HTTP/1.1\r\nHost: local"));
    std::this_thread::sleep_for(5ms);
  }
  // Requests keep being answered, every time; the slowest (oldest unanswered) made room.
  for (int i = 0; i < 5; ++i) {
    auto r = request("127.0.0.1", server.port(), "GET", "/ok", {}, kTimeout);
    REQUIRE(r.ok());
    CHECK(r->status == 200);
  }
  CHECK(server.stats().connections_shed >= 17);
  CHECK(server.stats().connections_refused == 0);
  // The answered connection was not the one to go while unanswered ones were there.
  REQUIRE(kept.send("GET /b HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  CHECK_FALSE(kept.read_until("END", kTimeout).timed_out);
}

TEST_CASE("stop closes open connections and lets the io_context run out of work") {
  ServerThread server({}, [](const Request&) { return Response::text(200, "ok END"); });
  REQUIRE(server.start_status().ok());
  RawConnection idle(server.port());
  REQUIRE(idle.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  REQUIRE_FALSE(idle.read_until("END", kTimeout).timed_out);
  RawConnection half(server.port());
  REQUIRE(half.send("GET / HTTP/1.1\r\n"));

  CHECK(server.stop());  // false if the io_context still had work after 5 s
  CHECK(idle.read_until_closed(kTimeout).closed);
  CHECK(half.read_until_closed(kTimeout).closed);
}

TEST_CASE("start reports Errc::io when the port is already taken") {
  ServerThread first({}, [](const Request&) { return Response::text(200, "ok"); });
  REQUIRE(first.start_status().ok());
  ServerOptions options;
  options.port = first.port();
  ServerThread second(options, [](const Request&) { return Response::text(200, "ok"); });
  REQUIRE_FALSE(second.start_status().ok());
  CHECK(second.start_status().error().code == Errc::io);
  CHECK(second.start_status().error().message.find("binding") != std::string::npos);

  ServerOptions bad;
  bad.address = "not an address";
  ServerThread third(bad, [](const Request&) { return Response::text(200, "ok"); });
  CHECK(third.start_status().error().code == Errc::invalid_argument);
}

TEST_CASE("the client gives up with Errc::timeout when the server never answers") {
  SilentListener silent;
  const auto start = std::chrono::steady_clock::now();
  auto r = request("127.0.0.1", silent.port(), "GET", "/", {}, 300ms);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::timeout);
  CHECK(elapsed >= 250ms);
  CHECK(elapsed < 2s);
}

TEST_CASE("a file body is streamed whole, and HEAD gives its length without it (big exports, issue 11)") {
  TempDir dir;
  const auto path = dir.path() / "export.csv";
  std::string content;
  for (int i = 0; content.size() < 3 * 1024 * 1024; ++i) content += "row," + std::to_string(i) + ",カード\n";
  {
    std::ofstream out(path, std::ios::binary);
    out << content;
  }
  auto file = BodyFile::open(path.string());
  REQUIRE(file.ok());
  CHECK((*file)->size() == content.size());
  // The file disappears from the directory; the open file is still sent (a spool file).
  std::filesystem::remove(path);
  Response response = Response::text(200, "");
  response.content_type = "text/csv; charset=utf-8";
  response.file = *file;
  Recorder recorder;
  ServerThread server({}, recorder.handler(response));
  REQUIRE(server.start_status().ok());
  for (int i = 0; i < 2; ++i) {  // the same file twice: each response reads it from the start
    auto r = call(server, "GET", "/download");
    REQUIRE(r.ok());
    CHECK(r->status == 200);
    CHECK(r->body.size() == content.size());
    CHECK(r->body == content);
    check_security_headers(*r);
  }
  auto head = call(server, "HEAD", "/download");
  REQUIRE(head.ok());
  CHECK(head->body.empty());
  CHECK(head->headers.at("content-length") == std::to_string(content.size()));
  CHECK((*file)->read_all().value() == content);
  CHECK_FALSE(BodyFile::open((dir.path() / "absent").string()).ok());
  // A body and a file at once is a handler bug: 500.
  Response both = response;
  both.body = "x";
  ServerThread broken({}, recorder.handler(both));
  REQUIRE(broken.start_status().ok());
  CHECK(call(broken, "GET", "/download")->status == 500);
}

}  // namespace
}  // namespace madoguchi::http
