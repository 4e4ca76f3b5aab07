// Internal helper: echo untrusted input inside error messages without letting it break the
// one-line answers of the control protocol or flood a log.
#pragma once

#include <string>
#include <string_view>

namespace madoguchi::sim::internal {

// "'text'" with control and non-ASCII bytes replaced by '?', cut to 40 bytes plus "...".
inline std::string quoted(std::string_view text) {
  constexpr std::size_t kMaxShown = 40;
  std::string out = "'";
  for (std::size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    out += (byte >= 0x20 && byte < 0x7f) ? text[i] : '?';
  }
  if (text.size() > kMaxShown) out += "...";
  out += "'";
  return out;
}

}  // namespace madoguchi::sim::internal
