// The pure helpers behind request targets: percent-decoding, query parsing, path normalisation.
#include <catch2/catch.hpp>

#include "madoguchi/http/server.h"

namespace madoguchi::http {
namespace {

using namespace std::string_literals;

TEST_CASE("percent_decode turns escapes into bytes and plus into space only in queries") {
  CHECK(percent_decode("a%20b%2Fc", false).value() == "a b/c");
  CHECK(percent_decode("%e5%8C%BA", false).value() == "\xe5\x8c\xba");  // 区, either case
  CHECK(percent_decode("a+b", false).value() == "a+b");
  CHECK(percent_decode("a+b", true).value() == "a b");
  CHECK(percent_decode("%2B", true).value() == "+");
  CHECK(percent_decode("", true).value().empty());
}

TEST_CASE("percent_decode refuses truncated and non-hex escapes") {
  for (const char* bad : {"%", "%4", "abc%", "%zz", "%4g", "%%41"}) {
    INFO(bad);
    auto decoded = percent_decode(bad, true);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code == Errc::malformed);
  }
}

TEST_CASE("percent_decode refuses NUL whether escaped or raw") {
  CHECK(percent_decode("a%00b", false).error().code == Errc::malformed);
  CHECK(percent_decode("a\0b"s, false).error().code == Errc::malformed);
}

TEST_CASE("parse_query decodes keys and values and keeps repeated keys") {
  auto q = parse_query("ward=%E4%B8%AD%E5%8C%BA&name=Sato+Hanako&flag&tag=a&&tag=b&empty=");
  REQUIRE(q.ok());
  CHECK(q->count("ward") == 1);
  CHECK(q->find("ward")->second == "\xe4\xb8\xad\xe5\x8c\xba");  // 中区
  CHECK(q->find("name")->second == "Sato Hanako");
  CHECK(q->find("flag")->second.empty());
  CHECK(q->find("empty")->second.empty());
  auto [first, last] = q->equal_range("tag");
  REQUIRE(std::distance(first, last) == 2);
  CHECK(first->second == "a");
  CHECK(std::next(first)->second == "b");
  CHECK(q->size() == 6);
  CHECK(parse_query("").value().empty());
  CHECK(parse_query("a=1=2").value().find("a")->second == "1=2");
}

TEST_CASE("parse_query refuses a malformed escape in a key or a value") {
  CHECK(parse_query("a=%zz").error().code == Errc::malformed);
  CHECK(parse_query("%zz=1").error().code == Errc::malformed);
  CHECK(parse_query("ok=1&bad=%0").error().code == Errc::malformed);
  CHECK(parse_query("a=%00").error().code == Errc::malformed);
}

TEST_CASE("decode_path drops empty and dot segments and keeps a trailing slash") {
  CHECK(decode_path("/").value() == "/");
  CHECK(decode_path("/api/v1/records").value() == "/api/v1/records");
  CHECK(decode_path("//api/./v1//records/").value() == "/api/v1/records/");
  CHECK(decode_path("/a/.").value() == "/a");
  CHECK(decode_path("/files/%E7%94%B3%E8%AB%8B+1").value() == "/files/\xe7\x94\xb3\xe8\xab\x8b+1");
  CHECK(decode_path("/a..b/..c").value() == "/a..b/..c");  // dots inside a name are fine
}

TEST_CASE("decode_path refuses dot-dot segments even when percent-encoded") {
  for (const char* bad : {"/..", "/a/../b", "/a/..", "/%2e%2e/etc", "/a%2F..%2Fb", "/.%2E/"}) {
    INFO(bad);
    auto path = decode_path(bad);
    REQUIRE_FALSE(path.ok());
    CHECK(path.error().code == Errc::malformed);
  }
}

TEST_CASE("decode_path refuses targets that are not absolute paths and bad escapes") {
  CHECK(decode_path("").error().code == Errc::malformed);
  CHECK(decode_path("api").error().code == Errc::malformed);
  CHECK(decode_path("http://example/").error().code == Errc::malformed);
  CHECK(decode_path("/a%2").error().code == Errc::malformed);
  CHECK(decode_path("/a%00").error().code == Errc::malformed);
}

}  // namespace
}  // namespace madoguchi::http
