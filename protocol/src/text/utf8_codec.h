// Private to protocol/src: code point iteration over text already checked with valid_utf8, and
// appending a code point as UTF-8. No validation here: callers check first.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace madoguchi::text::detail {

// The code point that starts at s[i]; advances i past it. `s` must be valid UTF-8.
inline char32_t next_code_point(std::string_view s, std::size_t& i) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  auto cont = [&](std::size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(s[i + k]) & 0x3Fu); };
  char32_t cp = 0;
  if (b0 < 0x80) {
    cp = b0;
    i += 1;
  } else if (b0 < 0xE0) {
    cp = (static_cast<char32_t>(b0 & 0x1Fu) << 6) | cont(1);
    i += 2;
  } else if (b0 < 0xF0) {
    cp = (static_cast<char32_t>(b0 & 0x0Fu) << 12) | (cont(1) << 6) | cont(2);
    i += 3;
  } else {
    cp = (static_cast<char32_t>(b0 & 0x07u) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3);
    i += 4;
  }
  return cp;
}

// Appends `cp` (a Unicode scalar value) as UTF-8.
inline void append_utf8(std::string& out, char32_t cp) {
  auto byte = [&](char32_t v) { out.push_back(static_cast<char>(static_cast<unsigned char>(v))); };
  if (cp < 0x80) {
    byte(cp);
  } else if (cp < 0x800) {
    byte(0xC0 | (cp >> 6));
    byte(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    byte(0xE0 | (cp >> 12));
    byte(0x80 | ((cp >> 6) & 0x3F));
    byte(0x80 | (cp & 0x3F));
  } else {
    byte(0xF0 | (cp >> 18));
    byte(0x80 | ((cp >> 12) & 0x3F));
    byte(0x80 | ((cp >> 6) & 0x3F));
    byte(0x80 | (cp & 0x3F));
  }
}

}  // namespace madoguchi::text::detail
