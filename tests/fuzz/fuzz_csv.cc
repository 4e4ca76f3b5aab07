// libFuzzer target: read_csv_bytes on arbitrary bytes (encoding detection, CP932 decoding, the
// CSV parser). It also checks two properties: whatever is read writes back (write_csv without
// formula guards) and reads again to the same records; and CP932 text that decodes re-encodes
// to bytes that decode to the same text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "madoguchi/text/csv.h"
#include "madoguchi/text/encoding.h"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace t = madoguchi::text;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  // Small bounds so the fuzzer reaches the too_large paths too.
  t::CsvOptions options;
  options.max_fields = 16;
  options.max_field_bytes = 256;
  options.max_rows = 64;

  auto rows = t::read_csv_bytes(bytes, std::nullopt, options);
  if (rows) {
    check(rows->size() <= options.max_rows);
    for (const auto& row : *rows) {
      check(!row.empty() && row.size() <= options.max_fields);
      for (const auto& field : row) check(field.size() <= options.max_field_bytes && t::valid_utf8(field));
    }
    auto again = t::parse_csv(t::write_csv(*rows, false), options);
    check(again.ok());
    check(*again == *rows);
    // The Excel forms must not fail on valid text except for characters CP932 lacks.
    check(t::to_excel_csv(*rows, t::Encoding::utf8).ok());
    (void)t::to_excel_csv(*rows, t::Encoding::cp932);
  }

  auto forced = t::read_csv_bytes(bytes, t::Encoding::cp932, options);
  (void)forced;

  auto text = t::cp932_to_utf8(bytes);
  if (text) {
    check(t::valid_utf8(*text));
    auto encoded = t::utf8_to_cp932(*text);
    check(encoded.ok());
    auto decoded = t::cp932_to_utf8(*encoded);
    check(decoded.ok() && *decoded == *text);
  }
  return 0;
}
