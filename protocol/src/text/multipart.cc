#include "madoguchi/text/multipart.h"

#include <utility>

#include "madoguchi/text/encoding.h"

namespace madoguchi::text {
namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::size_t kMaxBoundaryChars = 70;  // RFC 2046 §5.1.1

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

// RFC 9110 tchar.
bool is_tchar(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// RFC 2046 bcharsnospace, plus the space it allows inside.
bool is_bchar(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

bool is_ctl(char c) noexcept {
  const auto b = static_cast<unsigned char>(c);
  return b < 0x20 || b == 0x7F;
}

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

Error fail(Errc code, std::string_view where, std::string message) {
  return Error{code, std::string(where) + (where.empty() ? "" : ": ") + std::move(message)};
}

struct HeaderValue {
  std::string type;  // lower-cased
  std::vector<std::pair<std::string, std::string>> params;  // lower-cased names, values as sent
};

// `type *( OWS ";" OWS name "=" value ) OWS`, value a token or a quoted string without escapes.
Expected<HeaderValue> parse_header_value(std::string_view s, std::string_view where) {
  HeaderValue out;
  std::size_t i = 0;
  auto skip_ows = [&] {
    while (i < s.size() && is_ows(s[i])) ++i;
  };
  auto token = [&]() -> std::string_view {
    const std::size_t start = i;
    while (i < s.size() && is_tchar(s[i])) ++i;
    return s.substr(start, i - start);
  };
  skip_ows();
  const std::string_view type = token();
  std::string_view subtype;
  if (i < s.size() && s[i] == '/') {
    ++i;
    subtype = token();
    if (subtype.empty()) return fail(Errc::malformed, where, "media type without a subtype");
  }
  if (type.empty()) return fail(Errc::malformed, where, "missing type");
  out.type = lowered(type);
  if (!subtype.empty()) {
    // Appended piecewise: GCC 12 at -O3 warns (-Wrestrict, a false positive) on "/" + string.
    out.type += '/';
    out.type += lowered(subtype);
  }
  for (;;) {
    skip_ows();
    if (i == s.size()) break;
    if (s[i] != ';') return fail(Errc::malformed, where, "expected ';' between parameters");
    ++i;
    skip_ows();
    const std::string_view name = token();
    if (name.empty()) return fail(Errc::malformed, where, "parameter without a name");
    skip_ows();
    if (i == s.size() || s[i] != '=') return fail(Errc::malformed, where, "parameter without '='");
    ++i;
    skip_ows();
    std::string value;
    if (i < s.size() && s[i] == '"') {
      const std::size_t close = s.find('"', i + 1);
      if (close == std::string_view::npos) return fail(Errc::malformed, where, "unterminated quoted parameter");
      value.assign(s.substr(i + 1, close - i - 1));
      i = close + 1;
    } else {
      const std::string_view v = token();
      if (v.empty()) return fail(Errc::malformed, where, "parameter without a value");
      value.assign(v);
    }
    for (char c : value) {
      if (is_ctl(c)) return fail(Errc::malformed, where, "control character in a parameter");
    }
    std::string key = lowered(name);
    for (const auto& [k, v] : out.params) {
      if (k == key) return fail(Errc::malformed, where, "repeated parameter " + key);
    }
    out.params.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

const std::string* param(const HeaderValue& h, std::string_view name) {
  for (const auto& [k, v] : h.params) {
    if (k == name) return &v;
  }
  return nullptr;
}

}  // namespace

Expected<std::string> multipart_boundary(std::string_view content_type_header) {
  auto h = parse_header_value(content_type_header, "content-type");
  if (!h) return h.error();
  if (h->type != "multipart/form-data") return fail(Errc::malformed, "content-type", "not multipart/form-data");
  const std::string* b = param(*h, "boundary");
  if (!b) return fail(Errc::malformed, "content-type", "missing boundary");
  if (b->empty() || b->size() > kMaxBoundaryChars) {
    return fail(Errc::malformed, "content-type", "boundary must be 1-70 characters");
  }
  for (char c : *b) {
    if (!is_bchar(c)) return fail(Errc::malformed, "content-type", "boundary has a character RFC 2046 does not allow");
  }
  if (b->back() == ' ') return fail(Errc::malformed, "content-type", "boundary ends with a space");
  return *b;
}

Expected<std::vector<Part>> parse_multipart(std::string_view content_type_header, std::string_view body,
                                            const MultipartLimits& limits) {
  if (body.size() > limits.max_bytes) {
    return fail(Errc::too_large, "", "body over " + std::to_string(limits.max_bytes) + " bytes");
  }
  auto boundary = multipart_boundary(content_type_header);
  if (!boundary) return boundary.error();
  const std::string dash_boundary = "--" + *boundary;
  const std::string delimiter = "\r\n" + dash_boundary;  // ends every part's data

  if (body.substr(0, dash_boundary.size()) != dash_boundary) {
    return fail(Errc::malformed, "", "body does not start with the boundary");
  }
  std::size_t pos = dash_boundary.size();
  std::vector<Part> parts;
  for (;;) {
    // After a delimiter: "--" closes the body, CRLF starts a part.
    const std::string_view after = body.substr(pos);
    if (after.substr(0, 2) == "--") {
      const std::string_view rest = after.substr(2);
      if (!rest.empty() && rest != kCrlf) return fail(Errc::malformed, "", "data after the closing boundary");
      break;
    }
    if (after.substr(0, 2) != kCrlf) {
      return fail(Errc::malformed, "", after.empty() ? "truncated body (no closing boundary)" : "boundary not followed by CRLF");
    }
    pos += 2;
    if (parts.size() == limits.max_parts) {
      return fail(Errc::too_large, "", "more than " + std::to_string(limits.max_parts) + " parts");
    }
    const std::string where = "part " + std::to_string(parts.size() + 1);

    // The header block: lines up to an empty line.
    Part part;
    bool have_disposition = false, have_type = false;
    const std::size_t headers_start = pos;
    for (;;) {
      const std::size_t eol = body.find(kCrlf, pos);
      if (eol == std::string_view::npos || eol - headers_start > limits.max_header_bytes) {
        if (eol == std::string_view::npos && body.size() - headers_start <= limits.max_header_bytes) {
          return fail(Errc::malformed, where, "truncated headers");
        }
        return fail(Errc::too_large, where, "headers over " + std::to_string(limits.max_header_bytes) + " bytes");
      }
      const std::string_view line = body.substr(pos, eol - pos);
      pos = eol + 2;
      if (line.empty()) break;
      if (is_ows(line.front())) return fail(Errc::malformed, where, "folded header line");
      for (char c : line) {
        if (is_ctl(c) && c != '\t') return fail(Errc::malformed, where, "control character in a header");
      }
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0) return fail(Errc::malformed, where, "header line without a name");
      const std::string_view name = line.substr(0, colon);
      for (char c : name) {
        if (!is_tchar(c)) return fail(Errc::malformed, where, "bad header name");
      }
      const std::string_view value = trim_ows(line.substr(colon + 1));
      if (iequals(name, "content-disposition")) {
        if (have_disposition) return fail(Errc::malformed, where, "repeated Content-Disposition");
        have_disposition = true;
        auto h = parse_header_value(value, where + " Content-Disposition");
        if (!h) return h.error();
        if (h->type != "form-data") return fail(Errc::malformed, where, "Content-Disposition is not form-data");
        const std::string* n = param(*h, "name");
        if (!n) return fail(Errc::malformed, where, "Content-Disposition without a name");
        part.name = *n;
        if (const std::string* f = param(*h, "filename")) part.filename = *f;
      } else if (iequals(name, "content-type")) {
        if (have_type) return fail(Errc::malformed, where, "repeated Content-Type");
        have_type = true;
        part.content_type.assign(value);
      }
      // Other headers are ignored (RFC 7578 §4.8).
    }
    if (!have_disposition) return fail(Errc::malformed, where, "missing Content-Disposition");
    if (!valid_utf8(part.name) || (part.filename && !valid_utf8(*part.filename))) {
      return fail(Errc::malformed, where, "name or filename is not valid UTF-8");
    }

    // The data runs to the next CRLF--boundary. The headers' empty line may be directly followed
    // by it (an empty part): the CRLF of that line then also starts the delimiter.
    const std::size_t end = body.find(delimiter, pos - 2);
    if (end == std::string_view::npos) return fail(Errc::malformed, where, "truncated body (no closing boundary)");
    part.data = end < pos ? body.substr(end, 0) : body.substr(pos, end - pos);
    pos = end + delimiter.size();
    parts.push_back(std::move(part));
  }
  return parts;
}

}  // namespace madoguchi::text
