// libFuzzer target: what convenience-store issuance reads from outside (issue 13): the kiosk
// interface's options object (certificate_options_from_json), the municipality's policy
// (issuance_policy_from_json, from hub.json), a verification code typed or scanned into the
// verification page (parse_verification_code), and the certificate database's konbini_flag and
// seal_image bodies. The first byte picks the parser, the rest is its input. Properties:
//   - nothing throws;
//   - accepted options are written back (certificate_options_json) and read to the same options;
//   - an accepted verification code has a known kind, a valid date, a 6-digit municipality and a
//     64-hex digest, and verification_code() of what was read parses to the same payload;
//   - a seal image is accepted only when its bytes match the SHA-256 it is filed under.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "madoguchi/domain/konbini.h"

namespace {
namespace d = madoguchi::domain;
void require(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 5) {
    case 0:
      for (auto kind : d::kCertificateKinds) {
        auto o = d::certificate_options_from_json(kind, in);
        if (!o) continue;
        auto back = d::certificate_options_from_json(kind, d::certificate_options_json(kind, *o));
        require(back && *back == *o);
      }
      break;
    case 1:
      (void)d::issuance_policy_from_json(in);
      break;
    case 2: {
      auto v = d::parse_verification_code(in);
      if (!v) break;
      require(v->payload.municipality.size() == 6 && v->payload.digest.size() == 64 && v->signature.size() == 64);
      require(madoguchi::calendar::valid_date(v->payload.issued));
      auto again = d::parse_verification_code(d::verification_code(v->payload_text, v->signature));
      require(again && again->payload_text == v->payload_text && again->signature == v->signature);
      break;
    }
    case 3:
      (void)d::staff_flag_from_body(in);
      break;
    case 4: {
      const std::string sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";  // SHA-256 of "test"
      auto png = d::seal_image_from_parts(sha, {std::string(in)});
      if (png) require(*png == "test");
      break;
    }
  }
  return 0;
}
