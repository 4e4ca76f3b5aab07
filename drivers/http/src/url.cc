// Percent-decoding, query parsing and path normalisation: pure functions over outside input.
// They return precise errors and never echo the input back (it may be hostile or huge).
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/http/server.h"

namespace madoguchi::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Expected<std::string> percent_decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (in.size() - i < 3) {
        return make_error(Errc::malformed, "truncated percent-escape");
      }
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) {
        return make_error(Errc::malformed, "percent-escape is not followed by two hex digits");
      }
      const int value = hi * 16 + lo;
      if (value == 0) {
        return make_error(Errc::malformed, "percent-escape decodes to NUL");
      }
      out.push_back(static_cast<char>(static_cast<unsigned char>(value)));
      i += 2;
    } else if (c == '\0') {
      return make_error(Errc::malformed, "NUL byte");
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Expected<std::multimap<std::string, std::string>> parse_query(std::string_view query) {
  std::multimap<std::string, std::string> out;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (piece.empty()) continue;
    const std::size_t eq = piece.find('=');
    auto key = percent_decode(piece.substr(0, eq), true);
    if (!key) return key.error().with_context("query parameter name");
    std::string value;
    if (eq != std::string_view::npos) {
      auto decoded = percent_decode(piece.substr(eq + 1), true);
      if (!decoded) return decoded.error().with_context("query parameter value");
      value = std::move(decoded).value();
    }
    out.emplace(std::move(key).value(), std::move(value));
  }
  return out;
}

Expected<std::string> decode_path(std::string_view raw_path) {
  if (raw_path.empty() || raw_path.front() != '/') {
    return make_error(Errc::malformed, "path does not start with \"/\"");
  }
  // Decode first, then split: "%2e%2e" and "%2F" must not smuggle a ".." segment past the check.
  auto decoded = percent_decode(raw_path, false);
  if (!decoded) return decoded.error().with_context("path");
  const std::string& path = decoded.value();

  std::vector<std::string_view> segments;
  std::string_view rest = path;
  while (!rest.empty()) {
    const std::size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") return make_error(Errc::malformed, "path has a \"..\" segment");
    segments.push_back(segment);
  }
  std::string out;
  out.reserve(path.size());
  for (const std::string_view segment : segments) {
    out.push_back('/');
    out.append(segment);
  }
  if (out.empty() || path.back() == '/') out.push_back('/');
  return out;
}

}  // namespace madoguchi::http
