// Every QR code on a scanned page image (PNG or JPEG bytes in memory), for the J-LIS issuance
// lists that arrive on paper (ISS-1, ISS-13). Images are decoded with stb_image, symbols with
// ZXing-cpp; both are confined to the .cc.
//
// Each code comes back as its RAW bytes: the byte content of the symbol without any character
// set conversion (ZXing's Result::bytes()), so a Shift_JIS payload (kanji mode or 8-bit bytes,
// with no ECI, as Japanese QR codes usually are) arrives as Shift_JIS and the caller decides the
// encoding. Also returned: where it is on the page and its structured-append position; the
// parts of a structured-append sequence are NOT merged here (the caller checks that all parts
// are present and joins them in index order).
//
// Order: as a person reads the page, rows top to bottom and left to right within a row (a code
// belongs to the row above while its vertical centre lies above that row's lowest edge), so the
// codes of a J-LIS sheet come back in their printed order whatever order the detector found them.
//
// Bounds: at most max_image_bytes of input and max_pixels pixels (checked from the header before
// anything is decoded), at most max_codes codes. Errors: malformed for bytes that are not a PNG
// or JPEG, or a corrupt or truncated one; too_large over the bounds. No code on the page is not
// an error (an empty list). Thread safety: may be called concurrently.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/error.h"

namespace madoguchi::imaging {

struct PagePoint {
  int x = 0;
  int y = 0;
};

struct QrCode {
  std::string bytes;  // raw payload bytes (not necessarily UTF-8)
  // Corners in image pixels: top-left, top-right, bottom-right, bottom-left of the symbol as
  // printed (a rotated symbol has its top-left corner wherever it lies on the page).
  std::array<PagePoint, 4> corners{};
  int orientation_degrees = 0;  // rotation of the symbol on the page
  // Structured append: index (0-based) and size of the sequence, and its parity as a decimal
  // string; -1, -1 and empty for a standalone symbol.
  int sequence_index = -1;
  int sequence_size = -1;
  std::string sequence_id;
  bool has_eci = false;  // the symbol declares its character set (then bytes follow it)
  std::string ec_level;  // "L", "M", "Q" or "H"
};

struct PageLimits {
  std::size_t max_image_bytes = 64 * 1024 * 1024;
  std::uint64_t max_pixels = 60'000'000;  // A4 at 600 dpi is ~35 MP; A3 at 600 dpi ~70 MP
  std::size_t max_codes = 64;
};

Expected<std::vector<QrCode>> decode_qr_page(std::string_view image_bytes,
                                             const PageLimits& limits = {});

}  // namespace madoguchi::imaging
