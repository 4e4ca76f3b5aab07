// Cookies of the staff console and a strict parser for the Cookie request header.
//
// Every cookie is "<name>=<value>; Path=/; Secure; HttpOnly; SameSite=Strict" with the name
// prefixed "__Host-" over TLS: browsers then refuse the cookie unless it is Secure, host-only and
// for Path=/, so a sibling host or a cleartext page cannot plant one (cookie tossing). On plain
// HTTP (a counter PC talking to 127.0.0.1) neither Secure nor the prefix can be used.
//
// Two cookies exist: the session (kSessionCookie, no Max-Age: it dies with the browser; the idle
// timeout is enforced server-side) and the sign-in form's pre-session CSRF token (kSignInCookie,
// see csrf.h).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "madoguchi/error.h"

namespace madoguchi::console::web {

inline constexpr std::string_view kSessionCookie = "madoguchi_session";
inline constexpr std::string_view kSignInCookie = "madoguchi_signin";
inline constexpr std::size_t kMaxCookieHeaderBytes = 8 * 1024;
inline constexpr std::size_t kMaxCookies = 64;
inline constexpr std::size_t kMaxCookieValueBytes = 256;

// "__Host-" + base when secure, else base.
std::string cookie_name(std::string_view base, bool secure);

// A Set-Cookie header value: "<cookie_name(base, secure)>=<value>; Path=/; [Secure; ]HttpOnly;
// SameSite=Strict[; Max-Age=<s>]". Errc::invalid_argument unless base is an HTTP token and value
// is 1..kMaxCookieValueBytes cookie-octets (ids and tokens from session.h always are), or when
// max_age is negative.
Expected<std::string> set_cookie(std::string_view base, std::string_view value, bool secure,
                                 std::optional<std::chrono::seconds> max_age = std::nullopt);

// The Set-Cookie header value that removes cookie `base` (sign-out): empty value, Max-Age=0, the
// same attributes otherwise (a browser only replaces a cookie whose name and path match).
std::string clear_cookie(std::string_view base, bool secure);

// Parses a Cookie header: "name=value" pairs separated by ";" and optional spaces (RFC 6265
// section 4.2.1, whitespace tolerated around ";"). Names are HTTP tokens; values are
// cookie-octets, optionally in double quotes (removed). Pairs are returned in order, repeats kept.
// Errc::too_large over kMaxCookieHeaderBytes or kMaxCookies; Errc::malformed for anything else
// out of grammar (the message gives the position, never a value). An empty header is no cookies.
Expected<std::vector<std::pair<std::string, std::string>>> parse_cookie_header(std::string_view header);

// The value of the cookie named `name` (the full name, e.g. cookie_name(kSessionCookie, true)) in
// a Cookie header: nullopt when absent. Errc::malformed (or too_large) when the header does not
// parse, or when it carries `name` more than once: which copy would be ours is unknowable, so
// neither is trusted.
Expected<std::optional<std::string>> find_cookie(std::string_view header, std::string_view name);

}  // namespace madoguchi::console::web
