#include "madoguchi/console/web/cookies.h"

#include <string>

#include <catch2/catch.hpp>

#include "madoguchi/console/web/session.h"

namespace web = madoguchi::console::web;
using madoguchi::Errc;
using namespace std::chrono_literals;

TEST_CASE("The session cookie over TLS has the __Host- prefix and is Secure, HttpOnly, SameSite=Strict, Path=/") {
  const std::string id = web::random_token();
  auto cookie = web::set_cookie(web::kSessionCookie, id, true);
  REQUIRE(cookie.ok());
  CHECK(*cookie == "__Host-madoguchi_session=" + id + "; Path=/; Secure; HttpOnly; SameSite=Strict");
  CHECK(cookie->find("Domain") == std::string::npos);
  CHECK(cookie->find("Max-Age") == std::string::npos);  // dies with the browser
  CHECK(web::cookie_name(web::kSessionCookie, true) == "__Host-madoguchi_session");
}

TEST_CASE("Without TLS the cookie has neither Secure nor the __Host- prefix") {
  auto cookie = web::set_cookie(web::kSessionCookie, "abc", false);
  REQUIRE(cookie.ok());
  CHECK(*cookie == "madoguchi_session=abc; Path=/; HttpOnly; SameSite=Strict");
  CHECK(web::cookie_name(web::kSessionCookie, false) == "madoguchi_session");
}

TEST_CASE("The sign-in cookie can carry a Max-Age") {
  auto cookie = web::set_cookie(web::kSignInCookie, "tok", true, 1h);
  REQUIRE(cookie.ok());
  CHECK(*cookie == "__Host-madoguchi_signin=tok; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=3600");
  CHECK(web::set_cookie(web::kSignInCookie, "tok", true, -1s).error().code == Errc::invalid_argument);
}

TEST_CASE("Clearing a cookie empties it with Max-Age=0 and the same attributes") {
  CHECK(web::clear_cookie(web::kSessionCookie, true) ==
        "__Host-madoguchi_session=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
  CHECK(web::clear_cookie(web::kSessionCookie, false) ==
        "madoguchi_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
}

TEST_CASE("set_cookie refuses values and names that could inject attributes or headers") {
  for (const std::string& value : {std::string(), std::string("a; Domain=evil.example"), std::string("a\r\nX: y"),
                                   std::string("a b"), std::string("a,b"), std::string("\"a\""),
                                   std::string(257, 'a'), std::string("\xe3\x81\x82")}) {
    INFO(value);
    auto cookie = web::set_cookie(web::kSessionCookie, value, true);
    REQUIRE_FALSE(cookie.ok());
    CHECK(cookie.error().code == Errc::invalid_argument);
  }
  CHECK(web::set_cookie(web::kSessionCookie, std::string(256, 'a'), true).ok());
  CHECK_FALSE(web::set_cookie("bad name", "a", true).ok());
  CHECK_FALSE(web::set_cookie("", "a", true).ok());
}

TEST_CASE("The Cookie header parser reads what browsers send") {
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  CHECK(web::parse_cookie_header("").value().empty());
  CHECK(web::parse_cookie_header("a=1").value() == Pairs{{"a", "1"}});
  CHECK(web::parse_cookie_header("a=1; b=2").value() == Pairs{{"a", "1"}, {"b", "2"}});
  CHECK(web::parse_cookie_header("a=1;b=2").value() == Pairs{{"a", "1"}, {"b", "2"}});
  CHECK(web::parse_cookie_header("a=\"x y\"").error().code == Errc::malformed);
  CHECK(web::parse_cookie_header("a=\"xy\"; b=").value() == Pairs{{"a", "xy"}, {"b", ""}});
  CHECK(web::parse_cookie_header("__Host-madoguchi_session=abc-_09; theme=dark").value() ==
        Pairs{{"__Host-madoguchi_session", "abc-_09"}, {"theme", "dark"}});
}

TEST_CASE("The Cookie header parser refuses anything out of grammar without quoting it") {
  for (const std::string& header : {std::string("a"), std::string("=1"), std::string("a=1;"),
                                    std::string("a=1, b=2"), std::string("a=1;;b=2"), std::string("a=\"1"),
                                    std::string("a=1 2"), std::string("a b=1"), std::string("a=\xe3\x81\x82"),
                                    std::string("a=1\r\nb=2"), std::string("a=1\0b", 5), std::string("a=\\1")}) {
    INFO(header);
    auto cookies = web::parse_cookie_header(header);
    REQUIRE_FALSE(cookies.ok());
    CHECK(cookies.error().code == Errc::malformed);
    CHECK(cookies.error().message.find("a=") == std::string::npos);
  }
}

TEST_CASE("The Cookie header parser is bounded in bytes and in cookies") {
  CHECK(web::parse_cookie_header("a=" + std::string(web::kMaxCookieHeaderBytes - 2, 'x')).ok());
  CHECK(web::parse_cookie_header("a=" + std::string(web::kMaxCookieHeaderBytes - 1, 'x')).error().code == Errc::too_large);
  std::string many;
  for (std::size_t i = 0; i < web::kMaxCookies; ++i) many += (i ? "; c" : "c") + std::to_string(i) + "=v";
  CHECK(web::parse_cookie_header(many).value().size() == web::kMaxCookies);
  CHECK(web::parse_cookie_header(many + "; one=more").error().code == Errc::too_large);
}

TEST_CASE("find_cookie returns the session id and trusts no cookie sent twice") {
  const std::string name = web::cookie_name(web::kSessionCookie, true);
  auto found = web::find_cookie("theme=dark; " + name + "=abc", name);
  REQUIRE(found.ok());
  CHECK(found->value() == "abc");
  CHECK(web::find_cookie("theme=dark", name).value() == std::nullopt);
  CHECK(web::find_cookie("madoguchi_session=abc", name).value() == std::nullopt);  // no prefix: not ours
  CHECK(web::find_cookie(name + "=abc; " + name + "=def", name).error().code == Errc::malformed);
  CHECK(web::find_cookie(name + "=abc;", name).error().code == Errc::malformed);
}
