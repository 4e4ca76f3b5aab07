// Cross-site request forgery defences (SEC-3), in three layers:
//  1. Synchronizer token: every session has a random csrf_token (session.h), every form carries
//     it as the field kCsrfField, and every request that is not GET or HEAD is refused unless the
//     field matches (check_csrf). GET and HEAD handlers must not change anything.
//  2. Before sign-in there is no session, so the sign-in form uses a double-submit token: GET
//     /sign-in sets the cookie kSignInCookie (cookies.h) to random_token() and puts the same value
//     into the form; POST /sign-in checks the field against the cookie (check_token). A cross-site
//     page can neither read nor set that cookie (__Host-, SameSite=Strict).
//  3. The session cookie is SameSite=Strict, and check_same_origin() refuses a POST whose Origin
//     (or, without one, Referer) names another site.
//
// Note on layer 3: the console's pages send "Referrer-Policy: no-referrer" (page.h), and under that
// policy browsers send "Origin: null" and no Referer on form POSTs, also to the same site (Fetch
// standard, "serializing a request origin"). So "null" and absent headers must pass, and the
// check only stops requests that openly come from elsewhere; layers 1 and 2 carry the weight.
#pragma once

#include <string_view>

#include "madoguchi/console/web/session.h"
#include "madoguchi/error.h"
#include "madoguchi/http/server.h"
#include "madoguchi/text/form.h"

namespace madoguchi::console::web {

inline constexpr std::string_view kCsrfField = "csrf_token";

// True for every method except GET and HEAD (methods are case-sensitive: "get" needs a token).
bool requires_csrf(std::string_view method);

// The form must carry kCsrfField exactly once, equal to session.csrf_token (constant-time
// comparison). Errc::forbidden otherwise: "csrf token missing", "csrf token repeated" or
// "csrf token mismatch" (never the token).
Status check_csrf(const Session& session, const text::Form& form);

// The same check against any expected token (the sign-in double-submit cookie). An empty
// `expected` always fails: a missing cookie must not match a missing field.
Status check_token(std::string_view expected, const text::Form& form);

// Origin/Referer check for requests that change state. expected_origin is the console's own
// origin as browsers write it, e.g. "https://console.city.example.lg.jp" or
// "http://127.0.0.1:8080" (scheme://host[:port], no trailing slash, default port omitted).
//   Origin present and not "null": must equal expected_origin (ASCII case-insensitive).
//   Otherwise, Referer present: must be expected_origin followed by "/" (or nothing).
//   Neither (or "Origin: null" without Referer): accepted (see the note above).
// Errc::forbidden "cross-origin request" on refusal.
Status check_same_origin(const http::Request& request, std::string_view expected_origin);

}  // namespace madoguchi::console::web
