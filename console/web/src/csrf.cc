#include "madoguchi/console/web/csrf.h"

#include <sodium.h>

#include <algorithm>

#include "sodium_init.h"

namespace madoguchi::console::web {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return lower(x) == lower(y);
  });
}

const std::string* header(const http::Request& request, std::string_view name) {
  const auto it = request.headers.find(std::string(name));
  return it == request.headers.end() ? nullptr : &it->second;
}

Error cross_origin() { return make_error(Errc::forbidden, "cross-origin request"); }

}  // namespace

bool requires_csrf(std::string_view method) { return method != "GET" && method != "HEAD"; }

Status check_token(std::string_view expected, const text::Form& form) {
  const auto values = form.all(kCsrfField);
  if (values.empty()) return make_error(Errc::forbidden, "csrf token missing");
  if (values.size() > 1) return make_error(Errc::forbidden, "csrf token repeated");
  const std::string& presented = values.front();
  // Lengths are public (every token has kTokenLength characters); the bytes are compared in
  // constant time.
  if (expected.empty() || presented.size() != expected.size()) {
    return make_error(Errc::forbidden, "csrf token mismatch");
  }
  detail::ensure_sodium();
  if (sodium_memcmp(presented.data(), expected.data(), expected.size()) != 0) {
    return make_error(Errc::forbidden, "csrf token mismatch");
  }
  return {};
}

Status check_csrf(const Session& session, const text::Form& form) {
  return check_token(session.csrf_token, form);
}

Status check_same_origin(const http::Request& request, std::string_view expected_origin) {
  if (const std::string* origin = header(request, "origin"); origin && *origin != "null") {
    return iequals(*origin, expected_origin) ? Status{} : Status{cross_origin()};
  }
  if (const std::string* referer = header(request, "referer")) {
    const std::string_view r = *referer;
    const bool same = r.size() >= expected_origin.size() &&
                      iequals(r.substr(0, expected_origin.size()), expected_origin) &&
                      (r.size() == expected_origin.size() || r[expected_origin.size()] == '/');
    return same ? Status{} : Status{cross_origin()};
  }
  return {};
}

}  // namespace madoguchi::console::web
