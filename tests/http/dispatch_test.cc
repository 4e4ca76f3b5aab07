// Request handling without sockets: dispatch() is a plain function from Request to Response.
#include <stdexcept>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "madoguchi/http/server.h"

namespace madoguchi::http {
namespace {

Request get(std::string target) {
  Request r;
  r.method = "GET";
  r.target = std::move(target);
  return r;
}

const std::string* find_header(const Response& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return &v;
  }
  return nullptr;
}

int count_header(const Response& r, std::string_view name) {
  int n = 0;
  for (const auto& h : r.headers) n += h.first == name ? 1 : 0;
  return n;
}

TEST_CASE("dispatch hands the handler the decoded path and query") {
  Request seen;
  auto response = dispatch(
      [&](const Request& r) {
        seen = r;
        return Response::text(200, "ok");
      },
      get("/api/v1/%E7%94%B3%E8%AB%8B?ward=%E4%B8%AD&q=a+b"));
  CHECK(response.status == 200);
  CHECK(seen.path == "/api/v1/\xe7\x94\xb3\xe8\xab\x8b");
  CHECK(seen.query.find("ward")->second == "\xe4\xb8\xad");
  CHECK(seen.query.find("q")->second == "a b");
  CHECK(seen.target == "/api/v1/%E7%94%B3%E8%AB%8B?ward=%E4%B8%AD&q=a+b");
}

TEST_CASE("dispatch refuses a bad target with 400 without calling the handler") {
  int calls = 0;
  const Handler handler = [&](const Request&) {
    ++calls;
    return Response::text(200, "ok");
  };
  for (const char* target : {"/a%zz", "/ok?x=%G0", "/../etc/passwd", "*", "/a%00"}) {
    INFO(target);
    auto response = dispatch(handler, get(target));
    CHECK(response.status == 400);
    CHECK(nlohmann::json::parse(response.body)["error"]["code"] == "malformed");
  }
  CHECK(calls == 0);
}

TEST_CASE("dispatch turns a throwing handler into a generic 500 that hides the exception text") {
  auto response = dispatch(
      [](const Request&) -> Response { throw std::runtime_error("SELECT * FROM secrets failed"); },
      get("/"));
  CHECK(response.status == 500);
  CHECK(response.body.find("secrets") == std::string::npos);
  CHECK(nlohmann::json::parse(response.body)["error"]["code"] == "internal");
  CHECK(find_header(response, "X-Content-Type-Options") != nullptr);

  auto not_std = dispatch([](const Request&) -> Response { throw 42; }, get("/"));
  CHECK(not_std.status == 500);
}

TEST_CASE("dispatch replaces a response that could split headers or break framing by a 500") {
  auto with_header = [](std::string name, std::string value) {
    return [name, value](const Request&) {
      Response r = Response::text(200, "ok");
      r.headers.emplace_back(name, value);
      return r;
    };
  };
  CHECK(dispatch(with_header("X-Ok", "fine\tvalue"), get("/")).status == 200);
  CHECK(dispatch(with_header("X-Evil", "a\r\nSet-Cookie: x=1"), get("/")).status == 500);
  CHECK(dispatch(with_header("X Evil", "a"), get("/")).status == 500);
  CHECK(dispatch(with_header("Content-Length", "0"), get("/")).status == 500);
  CHECK(dispatch(with_header("transfer-encoding", "chunked"), get("/")).status == 500);
  CHECK(dispatch([](const Request&) { return Response::text(204, "body"); }, get("/")).status ==
        500);
  CHECK(dispatch([](const Request&) { return Response::text(99, ""); }, get("/")).status == 500);
  CHECK(dispatch(Handler{}, get("/")).status == 500);
}

TEST_CASE("dispatch adds the security headers and keeps a handler's own CSP") {
  auto plain = dispatch([](const Request&) { return Response::json(200, "{}"); }, get("/"));
  CHECK(*find_header(plain, "X-Content-Type-Options") == "nosniff");
  CHECK(*find_header(plain, "Cache-Control") == "no-store");
  CHECK(*find_header(plain, "Content-Security-Policy") == "default-src 'none'");
  CHECK(*find_header(plain, "X-Frame-Options") == "DENY");
  CHECK(*find_header(plain, "Server") == "madoguchi");

  auto custom = dispatch(
      [](const Request&) {
        Response r = Response::text(200, "<p>hi</p>");
        r.content_type = "text/html; charset=utf-8";
        r.headers.emplace_back("content-security-policy", "default-src 'self'");
        r.headers.emplace_back("cache-control", "max-age=3600");  // kept: a static asset's choice
        return r;
      },
      get("/"));
  CHECK(*find_header(custom, "content-security-policy") == "default-src 'self'");
  CHECK(find_header(custom, "Content-Security-Policy") == nullptr);
  CHECK(*find_header(custom, "cache-control") == "max-age=3600");
  CHECK(count_header(custom, "Cache-Control") + count_header(custom, "cache-control") == 1);
  CHECK(count_header(custom, "Server") == 1);
}

TEST_CASE("Response::error builds the JSON error envelope and escapes its input") {
  auto r = Response::error(409, "conflict", "record \"card/1\" changed\n\xff");
  CHECK(r.status == 409);
  CHECK(r.content_type == "application/json; charset=utf-8");
  const auto body = nlohmann::json::parse(r.body);
  CHECK(body["error"]["code"] == "conflict");
  CHECK(body["error"]["message"].get<std::string>().rfind("record \"card/1\" changed\n", 0) == 0);
  CHECK(Response::text(201, "x").content_type == "text/plain; charset=utf-8");
}

}  // namespace
}  // namespace madoguchi::http
