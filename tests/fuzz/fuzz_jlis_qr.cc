// libFuzzer target: the JLIS-ISS v1 QR payload parser on arbitrary bytes (what a scanner may
// deliver), and search_key on the same bytes. Properties: a payload that parses encodes again
// (encode_v1 accepts exactly what the parser accepts) and that encoding parses to the same
// payload; every parse error is invalid_argument; search_key accepts exactly valid UTF-8 and is
// idempotent.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "madoguchi/jlis/qr_payload.h"
#include "madoguchi/text/encoding.h"
#include "madoguchi/text/normalize.h"

namespace {

namespace j = madoguchi::jlis;
namespace t = madoguchi::text;

void check(bool condition) {
  if (!condition) std::abort();
}

void check_payload(const j::QrPayloadParser& parser, std::string_view bytes) {
  auto parsed = parser.parse(bytes);
  if (!parsed) {
    check(parsed.error().code == madoguchi::Errc::invalid_argument);
    return;
  }
  check(!parsed->people.empty() && parsed->people.size() <= j::kMaxPeoplePerCode);
  auto encoded = j::encode_v1(*parsed);
  check(encoded.ok());
  check(encoded->size() <= j::kMaxPayloadBytes);
  auto again = parser.parse(*encoded);
  check(again.ok());
  check(*again == *parsed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  const j::JlisQrV1Parser parser;
  check_payload(parser, bytes);
  // The fuzzer rarely guesses a CRC-32, so also try the input with its last 8 bytes replaced by
  // the right checksum: that reaches the header and field checks behind it.
  if (bytes.size() > 8) {
    std::string sealed(bytes.substr(0, bytes.size() - 8));
    char hex[16];
    std::snprintf(hex, sizeof hex, "%08X", static_cast<unsigned>(j::crc32(sealed)));
    check_payload(parser, sealed + hex);
  }

  auto key = t::search_key(bytes);
  check(key.ok() == t::valid_utf8(bytes));
  if (key) {
    check(t::valid_utf8(*key));
    auto twice = t::search_key(*key);
    check(twice.ok() && *twice == *key);
  }
  return 0;
}
