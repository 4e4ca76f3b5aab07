#include "text.h"

#include <algorithm>
#include <limits>

namespace madoguchi::domain::detail {

std::optional<char32_t> next_code_point(std::string_view s, std::size_t& i) noexcept {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) {
    ++i;
    return char32_t{b0};
  }
  std::size_t len = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1Fu;
    min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0Fu;
    min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07u;
    min = 0x10000;
  } else {
    return std::nullopt;
  }
  if (s.size() - i < len) return std::nullopt;
  for (std::size_t k = 1; k < len; ++k) {
    const unsigned char b = byte(i + k);
    if ((b & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (b & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  i += len;
  return cp;
}

std::optional<std::size_t> utf8_length(std::string_view s) noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size();) {
    if (!next_code_point(s, i)) return std::nullopt;
    ++n;
  }
  return n;
}

bool is_control(char32_t c) noexcept { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }

TextProblem check_text(std::string_view s, std::size_t min_chars, std::size_t max_chars) noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size();) {
    auto cp = next_code_point(s, i);
    if (!cp) return TextProblem::invalid_utf8;
    if (is_control(*cp)) return TextProblem::control;
    ++n;
  }
  if (n == 0 && min_chars > 0) return TextProblem::empty;
  if (n < min_chars || n > max_chars) return TextProblem::bad_length;
  return TextProblem::none;
}

std::string text_problem_en(TextProblem p, std::size_t min_chars, std::size_t max_chars) {
  switch (p) {
    case TextProblem::none: return "ok";
    case TextProblem::empty: return "must not be empty";
    case TextProblem::bad_length:
      if (min_chars > 1) {
        return "must be " + std::to_string(min_chars) + "-" + std::to_string(max_chars) + " characters";
      }
      return "must be at most " + std::to_string(max_chars) + " characters";
    case TextProblem::invalid_utf8: return "must be valid UTF-8";
    case TextProblem::control: return "must not contain control characters (line breaks, tabs)";
  }
  return "invalid";
}

std::string sanitize(std::string_view s, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(s.size(), max_bytes));
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t start = i;
    auto cp = next_code_point(s, i);
    std::string_view piece;
    if (!cp) {
      i = start + 1;  // skip one byte and resynchronise
      piece = "\xEF\xBF\xBD";
    } else if (is_control(*cp)) {
      piece = " ";
    } else {
      piece = s.substr(start, i - start);
    }
    if (out.size() + piece.size() > max_bytes) break;
    out += piece;
  }
  return out;
}

std::string abbreviate(std::string_view s, std::size_t max_chars) {
  std::string out;
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t start = i;
    auto cp = next_code_point(s, i);
    if (!cp) return abbreviate(sanitize(s, s.size() * 3), max_chars);  // sanitized is valid UTF-8
    if (n == max_chars) return out + "…";
    out.append(s.substr(start, i - start));
    ++n;
  }
  return out;
}

std::string_view trim(std::string_view s) noexcept {
  static constexpr std::string_view kIdeographicSpace = "\xE3\x80\x80";
  while (true) {
    if (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
      s.remove_prefix(1);
    } else if (s.substr(0, 3) == kIdeographicSpace) {
      s.remove_prefix(3);
    } else {
      break;
    }
  }
  while (true) {
    if (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
      s.remove_suffix(1);
    } else if (s.size() >= 3 && s.substr(s.size() - 3) == kIdeographicSpace) {
      s.remove_suffix(3);
    } else {
      break;
    }
  }
  return s;
}

// ---- strict JSON reading ------------------------------------------------------------------------

namespace {
Error wrong_type(std::string_view what, const char* key, std::string_view expected) {
  std::string m(what);
  m += '.';
  m += key;
  m += ": must be ";
  m += expected;
  return make_error(Errc::malformed, std::move(m));
}

// Finds key in obj; nullptr when absent (and a Status error when required).
const nlohmann::json* find(const nlohmann::json& obj, std::string_view what, const char* key, bool required,
                           Status& status) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) {
      std::string m(what);
      m += '.';
      m += key;
      m += ": is missing";
      status = make_error(Errc::malformed, std::move(m));
    }
    return nullptr;
  }
  return &*it;
}
}  // namespace

Status require_object(const nlohmann::json& j, std::string_view what) {
  if (!j.is_object()) return make_error(Errc::malformed, std::string(what) + ": body must be a JSON object");
  return {};
}

Status refuse_unknown_keys(const nlohmann::json& obj, std::string_view what,
                           std::initializer_list<std::string_view> known) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (std::find(known.begin(), known.end(), it.key()) == known.end()) {
      return make_error(Errc::malformed,
                        std::string(what) + ": unknown key '" + abbreviate(sanitize(it.key(), 256), 32) + "'");
    }
  }
  return {};
}

Status read_string(const nlohmann::json& obj, std::string_view what, const char* key, std::string& out,
                   bool required) {
  Status st;
  const auto* v = find(obj, what, key, required, st);
  if (!v) return st;
  if (!v->is_string()) return wrong_type(what, key, "a string");
  out = v->get<std::string>();
  return {};
}

Status read_bool(const nlohmann::json& obj, std::string_view what, const char* key, bool& out, bool required) {
  Status st;
  const auto* v = find(obj, what, key, required, st);
  if (!v) return st;
  if (!v->is_boolean()) return wrong_type(what, key, "true or false");
  out = v->get<bool>();
  return {};
}

Status read_i64(const nlohmann::json& obj, std::string_view what, const char* key, std::int64_t& out,
                bool required) {
  Status st;
  const auto* v = find(obj, what, key, required, st);
  if (!v) return st;
  if (v->is_number_unsigned()) {
    const auto u = v->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return wrong_type(what, key, "a 64-bit integer");
    }
    out = static_cast<std::int64_t>(u);
    return {};
  }
  if (!v->is_number_integer()) return wrong_type(what, key, "an integer");
  out = v->get<std::int64_t>();
  return {};
}

Status read_u64(const nlohmann::json& obj, std::string_view what, const char* key, std::uint64_t& out,
                bool required) {
  Status st;
  const auto* v = find(obj, what, key, required, st);
  if (!v) return st;
  if (v->is_number_unsigned()) {
    out = v->get<std::uint64_t>();
    return {};
  }
  if (v->is_number_integer() && v->get<std::int64_t>() >= 0) {
    out = static_cast<std::uint64_t>(v->get<std::int64_t>());
    return {};
  }
  return wrong_type(what, key, "an integer >= 0");
}

Status read_int_in(const nlohmann::json& obj, std::string_view what, const char* key, int& out, int lo, int hi,
                   bool required) {
  std::int64_t v = out;
  if (auto st = read_i64(obj, what, key, v, required); !st) return st;
  if (v < lo || v > hi) {
    return make_error(Errc::invalid_argument,
                      std::string(key) + ": must be " + std::to_string(lo) + "-" + std::to_string(hi));
  }
  out = static_cast<int>(v);
  return {};
}

Error field_error(std::string_view field, std::string_view reason) {
  std::string m(field);
  m += ": ";
  m += reason;
  return make_error(Errc::invalid_argument, std::move(m));
}

Status check_line(std::string_view field, std::string_view value, std::size_t min_chars, std::size_t max_chars) {
  if (auto p = check_text(value, min_chars, max_chars); p != TextProblem::none) {
    return field_error(field, text_problem_en(p, min_chars, max_chars));
  }
  return {};
}

}  // namespace madoguchi::domain::detail
