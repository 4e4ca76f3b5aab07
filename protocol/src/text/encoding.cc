#include "madoguchi/text/encoding.h"

#include <cerrno>
#include <cstdint>

#include "iconv_converter.h"

namespace madoguchi::text {
namespace detail {

void IconvConverter::Closer::operator()(void* handle) const noexcept {
  iconv_close(static_cast<iconv_t>(handle));
}

Expected<IconvConverter> IconvConverter::open(const char* to_code, const char* from_code) {
  iconv_t handle = iconv_open(to_code, from_code);
  if (handle == reinterpret_cast<iconv_t>(static_cast<std::intptr_t>(-1))) {
    return make_error(Errc::internal, std::string("iconv cannot convert from ") + from_code + " to " +
                                          to_code + " (are glibc's gconv modules installed?)");
  }
  return IconvConverter(handle);
}

std::optional<IconvConverter::Stop> IconvConverter::convert(std::string_view input, std::string& out) {
  // Back to the initial shift state, in case an earlier call stopped half-way.
  iconv(handle_.get(), nullptr, nullptr, nullptr, nullptr);
  if (input.empty()) return std::nullopt;

  // glibc's iconv does not write through the input pointer; the API just predates const.
  char* in = const_cast<char*>(input.data());
  std::size_t in_left = input.size();
  std::size_t used = out.size();
  // CP932 -> UTF-8 grows at most 3x (half-width katakana); UTF-8 -> CP932 never grows.
  out.resize(used + input.size() + input.size() / 2 + 16);
  for (;;) {
    char* dst = out.data() + used;
    std::size_t dst_left = out.size() - used;
    const std::size_t before = dst_left;
    const std::size_t rc = iconv(handle_.get(), &in, &in_left, &dst, &dst_left);
    used += before - dst_left;
    if (rc != static_cast<std::size_t>(-1)) break;
    const int err = errno;
    if (err == E2BIG) {
      out.resize(out.size() + in_left * 3 + 16);
      continue;
    }
    out.resize(used);
    const auto offset = static_cast<std::size_t>(in - input.data());
    return Stop{err == EINVAL ? Failure::incomplete : Failure::invalid, offset};
  }
  out.resize(used);
  return std::nullopt;
}

}  // namespace detail

std::string_view encoding_name(Encoding encoding) noexcept {
  switch (encoding) {
    case Encoding::utf8: return "utf-8";
    case Encoding::cp932: return "cp932";
  }
  return "utf-8";
}

std::optional<std::size_t> first_invalid_utf8(std::string_view bytes) noexcept {
  // Well-formed sequences, Unicode Table 3-7.
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c == 0xE0) {
      len = 3;
      lo = 0xA0;
    } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
      len = 3;
    } else if (c == 0xED) {
      len = 3;
      hi = 0x9F;  // no surrogates
    } else if (c == 0xF0) {
      len = 4;
      lo = 0x90;
    } else if (c >= 0xF1 && c <= 0xF3) {
      len = 4;
    } else if (c == 0xF4) {
      len = 4;
      hi = 0x8F;  // nothing above U+10FFFF
    } else {
      return i;  // a continuation byte, C0/C1 (overlong) or F5-FF
    }
    if (n - i < len) return i;
    if (s[i + 1] < lo || s[i + 1] > hi) return i;
    for (std::size_t k = 2; k < len; ++k) {
      if (s[i + k] < 0x80 || s[i + k] > 0xBF) return i;
    }
    i += len;
  }
  return std::nullopt;
}

bool valid_utf8(std::string_view bytes) noexcept { return !first_invalid_utf8(bytes).has_value(); }

std::string_view strip_utf8_bom(std::string_view bytes) noexcept {
  if (bytes.starts_with(kUtf8Bom)) bytes.remove_prefix(kUtf8Bom.size());
  return bytes;
}

Encoding detect_encoding(std::string_view bytes) noexcept {
  if (bytes.starts_with(kUtf8Bom) || valid_utf8(bytes)) return Encoding::utf8;
  return Encoding::cp932;
}

Expected<std::string> cp932_to_utf8(std::string_view cp932) {
  auto converter = detail::IconvConverter::open("UTF-8", "CP932");
  if (!converter) return converter.error();
  std::string out;
  if (auto stop = converter->convert(cp932, out)) {
    return make_error(Errc::malformed,
                      "byte offset " + std::to_string(stop->offset) +
                          (stop->failure == detail::IconvConverter::Failure::incomplete
                               ? ": CP932 text ends inside a two-byte character"
                               : ": invalid or unassigned CP932 byte sequence"));
  }
  return out;
}

Expected<std::string> utf8_to_cp932(std::string_view utf8) {
  // Validate first: glibc's UTF-8 decoder is laxer than Table 3-7 in places, and this way
  // "invalid UTF-8" and "not representable in CP932" are told apart.
  if (auto bad = first_invalid_utf8(utf8)) {
    return make_error(Errc::malformed, "byte offset " + std::to_string(*bad) + ": invalid UTF-8");
  }
  auto converter = detail::IconvConverter::open("CP932", "UTF-8");
  if (!converter) return converter.error();
  std::string out;
  if (auto stop = converter->convert(utf8, out)) {
    return make_error(Errc::malformed,
                      "byte offset " + std::to_string(stop->offset) + ": character not representable in CP932");
  }
  return out;
}

}  // namespace madoguchi::text
