#include "madoguchi/console/web/csrf.h"

#include <string>

#include <catch2/catch.hpp>

#include "madoguchi/transport.h"

namespace web = madoguchi::console::web;
namespace text = madoguchi::text;
using madoguchi::Errc;
using madoguchi::ManualClock;

namespace {

text::Form form(const std::string& body) {
  auto parsed = text::parse_form(body);
  REQUIRE(parsed.ok());
  return std::move(parsed).value();
}

madoguchi::http::Request post(std::map<std::string, std::string> headers) {
  madoguchi::http::Request r;
  r.method = "POST";
  r.target = "/reservations";
  r.headers = std::move(headers);
  return r;
}

constexpr std::string_view kOrigin = "https://console.city.example.lg.jp";

}  // namespace

TEST_CASE("A state-changing request without a CSRF token is refused") {
  ManualClock clock;
  web::SessionStore store;
  const auto session = store.create("staff", "t", clock.now());
  for (const char* body : {"", "name=x", "csrf_token=", "csrf_tokens=" /* not the field */}) {
    INFO(body);
    const auto status = web::check_csrf(session, form(body));
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code == Errc::forbidden);
  }
}

TEST_CASE("A wrong CSRF token is refused, also another session's") {
  ManualClock clock;
  web::SessionStore store;
  const auto session = store.create("staff", "t", clock.now());
  const auto other = store.create("staff", "t2", clock.now());
  std::string altered = session.csrf_token;
  altered.back() = altered.back() == 'A' ? 'B' : 'A';
  for (const std::string& token : {other.csrf_token, altered, session.csrf_token.substr(1), session.csrf_token + "A",
                                   session.id}) {
    INFO(token);
    const auto status = web::check_csrf(session, form("csrf_token=" + token));
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code == Errc::forbidden);
    CHECK(status.error().message.find(token) == std::string::npos);
  }
}

TEST_CASE("The session's own CSRF token is accepted") {
  ManualClock clock;
  web::SessionStore store;
  const auto session = store.create("staff", "t", clock.now());
  CHECK(web::check_csrf(session, form("name=x&csrf_token=" + session.csrf_token + "&y=2")).ok());
}

TEST_CASE("A repeated CSRF token field is refused even when one copy is right") {
  ManualClock clock;
  web::SessionStore store;
  const auto session = store.create("staff", "t", clock.now());
  const auto status = web::check_csrf(session, form("csrf_token=" + session.csrf_token + "&csrf_token=x"));
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().code == Errc::forbidden);
}

TEST_CASE("Only GET and HEAD go without a CSRF token") {
  CHECK_FALSE(web::requires_csrf("GET"));
  CHECK_FALSE(web::requires_csrf("HEAD"));
  for (const char* method : {"POST", "PUT", "PATCH", "DELETE", "OPTIONS", "get", "head", ""}) {
    INFO(method);
    CHECK(web::requires_csrf(method));
  }
}

TEST_CASE("The sign-in double-submit check needs the cookie and the field to match") {
  const std::string token = web::random_token();
  CHECK(web::check_token(token, form("login_id=a&csrf_token=" + token)).ok());
  CHECK_FALSE(web::check_token(token, form("login_id=a")).ok());
  CHECK_FALSE(web::check_token(token, form("csrf_token=" + web::random_token())).ok());
  // No cookie and no field must not count as a match.
  CHECK_FALSE(web::check_token("", form("csrf_token=")).ok());
  CHECK_FALSE(web::check_token("", form("")).ok());
}

TEST_CASE("check_same_origin refuses a POST that names another site") {
  CHECK(web::check_same_origin(post({{"origin", std::string(kOrigin)}}), kOrigin).ok());
  CHECK(web::check_same_origin(post({{"origin", "HTTPS://Console.City.Example.LG.JP"}}), kOrigin).ok());
  CHECK(web::check_same_origin(post({{"referer", std::string(kOrigin) + "/password"}}), kOrigin).ok());
  CHECK(web::check_same_origin(post({{"referer", std::string(kOrigin)}}), kOrigin).ok());
  // What our own pages send under Referrer-Policy: no-referrer.
  CHECK(web::check_same_origin(post({{"origin", "null"}}), kOrigin).ok());
  CHECK(web::check_same_origin(post({}), kOrigin).ok());

  for (const auto& headers : std::vector<std::map<std::string, std::string>>{
           {{"origin", "https://evil.example"}},
           {{"origin", std::string(kOrigin) + ".evil.example"}},
           {{"origin", "http://console.city.example.lg.jp"}},
           {{"origin", std::string(kOrigin) + ":8443"}},
           {{"origin", "https://evil.example"}, {"referer", std::string(kOrigin) + "/"}},
           {{"referer", "https://evil.example/page"}},
           {{"referer", std::string(kOrigin) + ".evil.example/"}},
           {{"origin", "null"}, {"referer", "https://evil.example/"}},
       }) {
    const auto status = web::check_same_origin(post(headers), kOrigin);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code == Errc::forbidden);
  }
}
