#include "madoguchi/console/web/cookies.h"

#include <algorithm>

namespace madoguchi::console::web {
namespace {

constexpr std::string_view kHostPrefix = "__Host-";

bool is_token_char(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// RFC 6265: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E (no space, '"', ',', ';', '\', controls
// or non-ASCII).
bool is_cookie_octet(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u == 0x21 || (u >= 0x23 && u <= 0x2b) || (u >= 0x2d && u <= 0x3a) ||
         (u >= 0x3c && u <= 0x5b) || (u >= 0x5d && u <= 0x7e);
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_token_char);
}

std::string attributes(bool secure) {
  return secure ? "; Path=/; Secure; HttpOnly; SameSite=Strict" : "; Path=/; HttpOnly; SameSite=Strict";
}

Error malformed_at(std::size_t pos) {
  return make_error(Errc::malformed, "cookie header: unexpected character at offset " + std::to_string(pos));
}

}  // namespace

std::string cookie_name(std::string_view base, bool secure) {
  std::string name = secure ? std::string(kHostPrefix) : std::string();
  name += base;
  return name;
}

Expected<std::string> set_cookie(std::string_view base, std::string_view value, bool secure,
                                 std::optional<std::chrono::seconds> max_age) {
  if (!is_token(base)) return make_error(Errc::invalid_argument, "cookie name is not a token");
  if (value.empty() || value.size() > kMaxCookieValueBytes ||
      !std::all_of(value.begin(), value.end(), is_cookie_octet)) {
    return make_error(Errc::invalid_argument, "cookie value is not 1..256 cookie-octets");
  }
  if (max_age && max_age->count() < 0) return make_error(Errc::invalid_argument, "negative cookie max-age");
  std::string header = cookie_name(base, secure);
  header += '=';
  header += value;
  header += attributes(secure);
  if (max_age) header += "; Max-Age=" + std::to_string(max_age->count());
  return header;
}

std::string clear_cookie(std::string_view base, bool secure) {
  return cookie_name(base, secure) + "=" + attributes(secure) + "; Max-Age=0";
}

Expected<std::vector<std::pair<std::string, std::string>>> parse_cookie_header(std::string_view header) {
  if (header.size() > kMaxCookieHeaderBytes) {
    return make_error(Errc::too_large, "cookie header over " + std::to_string(kMaxCookieHeaderBytes) + " bytes");
  }
  std::vector<std::pair<std::string, std::string>> cookies;
  const std::size_t n = header.size();
  std::size_t pos = 0;
  auto skip_spaces = [&] {
    while (pos < n && (header[pos] == ' ' || header[pos] == '\t')) ++pos;
  };
  skip_spaces();
  if (pos == n) return cookies;
  while (true) {
    const std::size_t name_start = pos;
    while (pos < n && is_token_char(header[pos])) ++pos;
    if (pos == name_start || pos == n || header[pos] != '=') return malformed_at(pos);
    std::string name(header.substr(name_start, pos - name_start));
    ++pos;  // '='
    const bool quoted = pos < n && header[pos] == '"';
    if (quoted) ++pos;
    const std::size_t value_start = pos;
    while (pos < n && is_cookie_octet(header[pos])) ++pos;
    std::string value(header.substr(value_start, pos - value_start));
    if (quoted) {
      if (pos == n || header[pos] != '"') return malformed_at(pos);
      ++pos;
    }
    if (cookies.size() == kMaxCookies) {
      return make_error(Errc::too_large, "cookie header: more than " + std::to_string(kMaxCookies) + " cookies");
    }
    cookies.emplace_back(std::move(name), std::move(value));
    skip_spaces();
    if (pos == n) return cookies;
    if (header[pos] != ';') return malformed_at(pos);
    ++pos;
    skip_spaces();
    if (pos == n) return malformed_at(pos);  // a trailing ";" is out of grammar
  }
}

Expected<std::optional<std::string>> find_cookie(std::string_view header, std::string_view name) {
  auto cookies = parse_cookie_header(header);
  if (!cookies) return cookies.error();
  std::optional<std::string> found;
  for (auto& [cookie, value] : *cookies) {
    if (cookie != name) continue;
    if (found) return make_error(Errc::malformed, "cookie header: a cookie is present more than once");
    found = std::move(value);
  }
  return found;
}

}  // namespace madoguchi::console::web
