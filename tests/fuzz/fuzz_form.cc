// libFuzzer target: parse_form on arbitrary bytes. Besides "no crash, no sanitizer report", it
// checks the contract: accepted fields are valid UTF-8 without NUL, within the bounds, and
// percent-encoding them again parses back to the same fields.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "madoguchi/text/encoding.h"
#include "madoguchi/text/form.h"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')) {
      out += c;
    } else if (b == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 0x0F];
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace t = madoguchi::text;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto form = t::parse_form(body);
  if (!form) return 0;
  check(form->fields().size() <= t::kMaxFormFields);
  std::string again;
  for (const auto& [name, value] : form->fields()) {
    check(t::valid_utf8(name) && t::valid_utf8(value));
    check(name.find('\0') == std::string::npos && value.find('\0') == std::string::npos);
    check(form->has(name));
    if (!again.empty()) again += '&';
    again += percent_encode(name) + '=' + percent_encode(value);
  }
  if (again.size() <= t::kMaxFormBytes) {
    auto reparsed = t::parse_form(again);
    check(reparsed.ok());
    // Fields with an empty name and value ("=") are kept, so the counts match exactly.
    check(reparsed->fields() == form->fields());
  }
  return 0;
}
