#include "madoguchi/text/form.h"

#include "madoguchi/text/encoding.h"

namespace madoguchi::text {
namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes one name or value: '+' is a space, %XX a byte. The message of an error says what is
// wrong and where in the part (a byte offset), never the bytes themselves.
Expected<std::string> decode_component(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      const int hi = i + 1 < raw.size() ? hex_value(raw[i + 1]) : -1;
      const int lo = i + 2 < raw.size() ? hex_value(raw[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return make_error(Errc::malformed, "invalid percent escape at byte " + std::to_string(i));
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  if (out.find('\0') != std::string::npos) return make_error(Errc::malformed, "contains a NUL byte");
  if (auto bad = first_invalid_utf8(out)) {
    return make_error(Errc::malformed, "invalid UTF-8 at decoded byte " + std::to_string(*bad));
  }
  return out;
}

}  // namespace

std::optional<std::string> Form::get(std::string_view name) const {
  for (const auto& [n, v] : fields_) {
    if (n == name) return v;
  }
  return std::nullopt;
}

std::string Form::value(std::string_view name) const { return get(name).value_or(std::string()); }

std::vector<std::string> Form::all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [n, v] : fields_) {
    if (n == name) out.push_back(v);
  }
  return out;
}

bool Form::has(std::string_view name) const { return get(name).has_value(); }

// Follows the WHATWG application/x-www-form-urlencoded parser (empty pieces between '&' are
// skipped, a piece without '=' is a name with an empty value), except that it is strict where
// WHATWG is lenient: a bad percent escape, a NUL or invalid UTF-8 refuses the whole body instead
// of passing through or becoming U+FFFD. Field positions in messages are 1-based and count the
// non-empty pieces.
Expected<Form> parse_form(std::string_view body) {
  if (body.size() > kMaxFormBytes) {
    return make_error(Errc::too_large, "form body of " + std::to_string(body.size()) + " bytes exceeds the limit of " +
                                           std::to_string(kMaxFormBytes));
  }
  Form form;
  std::size_t position = 0;
  while (!body.empty()) {
    const std::size_t amp = body.find('&');
    const std::string_view piece = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (piece.empty()) continue;
    if (++position > kMaxFormFields) {
      return make_error(Errc::too_large, "form has more than " + std::to_string(kMaxFormFields) + " fields");
    }
    const std::size_t eq = piece.find('=');
    const std::string_view raw_name = piece.substr(0, eq);
    const std::string_view raw_value = eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
    auto name = decode_component(raw_name);
    if (!name) return name.error().with_context("form field " + std::to_string(position) + " name");
    auto value = decode_component(raw_value);
    if (!value) return value.error().with_context("form field " + std::to_string(position) + " value");
    form.fields_.emplace_back(std::move(*name), std::move(*value));
  }
  return form;
}

}  // namespace madoguchi::text
