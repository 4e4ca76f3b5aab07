// http::Response helpers for the console's pages, with the console's security headers.
//
// Every HTML response carries
//   Content-Security-Policy: kContentSecurityPolicy (scripts, styles, images and fetches only from
//     the console itself, i.e. only the embedded /static/console.js and never inline code; forms
//     only to it, never framed)
//   Referrer-Policy: no-referrer
//   Content-Type: text/html; charset=utf-8
// on top of what http::dispatch() adds to every response (nosniff, no-store, X-Frame-Options).
#pragma once

#include <string>
#include <string_view>

#include <mstch/mstch.hpp>

#include "madoguchi/console/web/templates.h"
#include "madoguchi/http/server.h"

namespace madoguchi::console::web {

inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

// Paths the templates use. The routes must serve exactly these.
inline constexpr std::string_view kStaticCssPath = "/static/console.css";
inline constexpr std::string_view kStaticJsPath = "/static/console.js";
inline constexpr std::string_view kSignInPath = "/sign-in";
inline constexpr std::string_view kSignOutPath = "/sign-out";
inline constexpr std::string_view kPasswordPath = "/password";

// True for a path on this site: starts with "/" but not "//" or "/\" (both mean another host to
// browsers), no control characters, no backslash. Use it on every URL put into a template or a
// Location header.
bool is_local_path(std::string_view url);

// `body` (already rendered HTML) with the console's headers.
http::Response html(int status, std::string body);

// Renders page `name` with `context` (templates.h) into a response with the console's headers. A
// render failure (a template bug) becomes a fixed, generic 500 page; it is not hidden, because
// http::Response has no error channel, so callers that must know call Templates::render.
http::Response page(const Templates& templates, int status, std::string_view name,
                    const mstch::map& context);

// The error page for `status` (400, 403, 404, 405, 413, 429, 500, 503; anything else reads as
// 500) inside the layout given by `layout` (layout_context()): a fixed Japanese title and message,
// never details. "title" and "message" in `layout` are overwritten.
http::Response error_page(const Templates& templates, int status, mstch::map layout);

// Redirect after POST: 303 See Other to `location`, which must be a local path (is_local_path);
// anything else redirects to "/" instead, so a redirect can never leave the site.
http::Response see_other(std::string_view location);

// The embedded style sheet, text/css, with "Cache-Control: public, max-age=31536000, immutable".
// Safe to cache for a year because the layout links it as static_css_url(), whose query changes
// whenever the file does. Serve it for GET/HEAD of kStaticCssPath whatever the query.
//
// Caveat: http::dispatch() currently overwrites Cache-Control with "no-store" on every response
// (docs/http.md), so the browser refetches it until drivers/http lets a handler keep its own
// Cache-Control.
http::Response static_css();

// kStaticCssPath + "?v=" + 16 hex digits of a hash of the style sheet.
const std::string& static_css_url();

// The embedded script (console/web/static/console.js: the QR import screen's polling and sound
// cues, a progressive enhancement), text/javascript, cached like static_css(). Serve it for
// GET/HEAD of kStaticJsPath whatever the query; pages link it as static_js_url().
http::Response static_js();
const std::string& static_js_url();

}  // namespace madoguchi::console::web
