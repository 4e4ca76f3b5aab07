#include "madoguchi/console/web/page.h"

#include <regex>
#include <string>

#include <catch2/catch.hpp>

#include "fixture.h"

namespace web = madoguchi::console::web;
namespace http = madoguchi::http;
using web::testing::context_of;
using web::testing::sample_layout;

namespace {

const std::string* header(const http::Response& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return &v;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("Pages carry the console's CSP without unsafe-inline, also after dispatch") {
  const web::Templates t;
  const http::Handler handler = [&](const http::Request&) {
    return web::page(t, 200, "message", context_of(sample_layout()));
  };
  http::Request request;
  request.method = "GET";
  request.target = "/done";
  const http::Response r = http::dispatch(handler, request);
  CHECK(r.status == 200);
  CHECK(r.content_type == "text/html; charset=utf-8");
  const std::string* csp = header(r, "Content-Security-Policy");
  REQUIRE(csp);
  CHECK(*csp == "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; "
                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  CHECK(csp->find("unsafe-inline") == std::string::npos);
  CHECK(csp->find("unsafe-eval") == std::string::npos);
  // Script only from the console itself: the one embedded /static/console.js, never inline.
  CHECK(csp->find("script-src 'self';") != std::string::npos);
  const std::string* referrer = header(r, "Referrer-Policy");
  REQUIRE(referrer);
  CHECK(*referrer == "no-referrer");
  REQUIRE(header(r, "X-Frame-Options"));
}

TEST_CASE("A page whose template fails to render is a generic 500 with the same headers") {
  const web::Templates t;
  const http::Response r = web::page(t, 200, "no_such_page", {});
  CHECK(r.status == 500);
  CHECK(r.content_type == "text/html; charset=utf-8");
  CHECK(r.body.find("<html lang=\"ja\">") != std::string::npos);
  CHECK(r.body.find("no_such_page") == std::string::npos);
  REQUIRE(header(r, "Content-Security-Policy"));
}

TEST_CASE("Error pages say a fixed Japanese text and no details") {
  const web::Templates t;
  auto layout = context_of(sample_layout());
  layout.insert_or_assign("message", std::string("SQLITE_CORRUPT at /var/lib/madoguchi/edge.db"));

  const auto not_found = web::error_page(t, 404, layout);
  CHECK(not_found.status == 404);
  CHECK(not_found.body.find("<h1>ページが見つかりません</h1>") != std::string::npos);
  CHECK(not_found.body.find("SQLITE") == std::string::npos);
  CHECK(not_found.body.find("<title>ページが見つかりません | マイナンバーカード窓口</title>") != std::string::npos);

  const auto forbidden = web::error_page(t, 403, layout);
  CHECK(forbidden.status == 403);
  CHECK(forbidden.body.find("<h1>このページは表示できません</h1>") != std::string::npos);

  const auto internal = web::error_page(t, 500, layout);
  CHECK(internal.status == 500);
  CHECK(internal.body.find("<h1>エラーが発生しました</h1>") != std::string::npos);
  CHECK(internal.body.find("SQLITE") == std::string::npos);

  const auto odd = web::error_page(t, 200, layout);  // not an error status: a 500
  CHECK(odd.status == 500);
  CHECK(odd.body.find("<h1>エラーが発生しました</h1>") != std::string::npos);
}

TEST_CASE("Redirect after POST is a 303 to a local path and never leaves the site") {
  const auto ok = web::see_other("/reservations?date=2024-04-01");
  CHECK(ok.status == 303);
  REQUIRE(header(ok, "Location"));
  CHECK(*header(ok, "Location") == "/reservations?date=2024-04-01");
  CHECK(ok.body.empty());
  for (const char* location : {"https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)",
                               "", "reservations", "/a\r\nSet-Cookie: x=y"}) {
    INFO(location);
    const auto r = web::see_other(location);
    CHECK(r.status == 303);
    CHECK(*header(r, "Location") == "/");
  }
}

TEST_CASE("is_local_path accepts paths on this site only") {
  CHECK(web::is_local_path("/"));
  CHECK(web::is_local_path("/settings/emblem.png"));
  CHECK(web::is_local_path("/a?b=c#d"));
  for (const char* url : {"", "a", "//x", "/\\x", "\\\\x", "http://x/", "javascript:x", "/a\tb", "/a\x7f"}) {
    INFO(url);
    CHECK_FALSE(web::is_local_path(url));
  }
}

TEST_CASE("The style sheet is embedded, served as text/css for long, and linked by a URL that changes with it") {
  const http::Response css = web::static_css();
  CHECK(css.status == 200);
  CHECK(css.content_type == "text/css; charset=utf-8");
  REQUIRE(header(css, "Cache-Control"));
  CHECK(*header(css, "Cache-Control") == "public, max-age=31536000, immutable");
  CHECK(css.body.find(":focus-visible") != std::string::npos);
  CHECK(css.body.find(".skip-link") != std::string::npos);
  CHECK(std::regex_match(web::static_css_url(), std::regex("/static/console\\.css\\?v=[0-9a-f]{16}")));
}

TEST_CASE("The one script is embedded, served as JavaScript, and only enhances: the QR import screen (ISS-1, ISS-2), the alarm banner and its sound, pages that keep themselves current (OPS-1)") {
  const http::Response js = web::static_js();
  CHECK(js.status == 200);
  CHECK(js.content_type == "text/javascript; charset=utf-8");
  REQUIRE(header(js, "Cache-Control"));
  CHECK(*header(js, "Cache-Control") == "public, max-age=31536000, immutable");
  CHECK(js.body.find("getElementById('qr-import')") != std::string::npos);
  CHECK(js.body.find("data-cue") != std::string::npos);
  CHECK(js.body.find("getElementById('alarm-banner')") != std::string::npos);
  CHECK(js.body.find("data-refresh") != std::string::npos);
  CHECK(js.body.find("eval(") == std::string::npos);
  CHECK(js.body.find("innerHTML") == std::string::npos);
  CHECK(std::regex_match(web::static_js_url(), std::regex("/static/console\\.js\\?v=[0-9a-f]{16}")));
}

TEST_CASE("The style sheet uses relative units and no fixed widths") {
  std::string css = web::static_css().body;
  css = std::regex_replace(css, std::regex("/\\*[^*]*\\*+([^/*][^*]*\\*+)*/"), "");  // comments
  // Pixel lengths appear only in the 1px visually-hidden pattern.
  const std::regex px("([0-9.]+)px");
  for (auto it = std::sregex_iterator(css.begin(), css.end(), px); it != std::sregex_iterator(); ++it) {
    CHECK((*it)[1].str() == "1");
  }
  CHECK_FALSE(std::regex_search(css, std::regex("[0-9.]+(pt|pc|cm|mm|in)\\b")));
  CHECK(css.find("@media") != std::string::npos);
}

TEST_CASE("The forms post to the paths the routes serve") {
  const web::Templates t;
  auto context = context_of(sample_layout());
  for (const auto& [page, path] : {std::pair{"sign_in", web::kSignInPath}, std::pair{"password_change", web::kPasswordPath},
                                   std::pair{"message", web::kSignOutPath}}) {
    INFO(page);
    auto html = t.render(page, context);
    REQUIRE(html.ok());
    CHECK(html->find("<form method=\"post\" action=\"" + std::string(path) + "\">") != std::string::npos);
  }
}
