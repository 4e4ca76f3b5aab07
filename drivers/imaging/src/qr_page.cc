// decode_qr_page (qr_page.h): stb_image to 8-bit grey, ZXing-cpp to symbols.
#include "madoguchi/imaging/qr_page.h"

#define ZX_USE_UTF8 1
#include <ZXing/ReadBarcode.h>
#include <stb_image.h>

#include <algorithm>
#include <cstdint>
#include <memory>

namespace madoguchi::imaging {
namespace {

bool is_png(std::string_view b) { return b.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8); }
bool is_jpeg(std::string_view b) { return b.size() >= 3 && b.substr(0, 3) == "\xFF\xD8\xFF"; }

struct StbFree {
  void operator()(stbi_uc* p) const { stbi_image_free(p); }
};

// Puts the codes in reading order (qr_page.h): by the top of their bounding boxes, a code joining
// the row above while its vertical centre is above that row's lowest bottom; left to right in a
// row. ZXing reports them in whatever order its detector found them.
void sort_reading_order(std::vector<QrCode>& codes) {
  struct Box {
    int top, bottom, left;
    std::size_t index;
  };
  std::vector<Box> boxes;
  boxes.reserve(codes.size());
  for (std::size_t i = 0; i < codes.size(); ++i) {
    Box b{codes[i].corners[0].y, codes[i].corners[0].y, codes[i].corners[0].x, i};
    for (const PagePoint& p : codes[i].corners) {
      b.top = std::min(b.top, p.y);
      b.bottom = std::max(b.bottom, p.y);
      b.left = std::min(b.left, p.x);
    }
    boxes.push_back(b);
  }
  std::stable_sort(boxes.begin(), boxes.end(), [](const Box& a, const Box& b) { return a.top < b.top; });
  std::vector<QrCode> out;
  out.reserve(codes.size());
  for (std::size_t start = 0; start < boxes.size();) {
    std::size_t end = start + 1;
    int row_bottom = boxes[start].bottom;
    while (end < boxes.size() && (boxes[end].top + boxes[end].bottom) / 2 < row_bottom) {
      row_bottom = std::max(row_bottom, boxes[end].bottom);
      ++end;
    }
    std::stable_sort(boxes.begin() + static_cast<std::ptrdiff_t>(start), boxes.begin() + static_cast<std::ptrdiff_t>(end),
                     [](const Box& a, const Box& b) { return a.left < b.left; });
    for (std::size_t i = start; i < end; ++i) out.push_back(std::move(codes[boxes[i].index]));
    start = end;
  }
  codes = std::move(out);
}

}  // namespace

Expected<std::vector<QrCode>> decode_qr_page(std::string_view image, const PageLimits& limits) {
  if (image.size() > limits.max_image_bytes) {
    return make_error(Errc::too_large, "image of " + std::to_string(image.size()) +
                                           " bytes is over the limit of " +
                                           std::to_string(limits.max_image_bytes));
  }
  if (!is_png(image) && !is_jpeg(image)) {
    return make_error(Errc::malformed, "not a PNG or JPEG image");
  }
  const char* kind = is_png(image) ? "PNG" : "JPEG";
  // stb takes an int length; max_image_bytes is far below INT_MAX in any sane configuration.
  if (image.size() > static_cast<std::size_t>(INT32_MAX)) {
    return make_error(Errc::too_large, "image over 2 GiB");
  }
  const auto* data = reinterpret_cast<const stbi_uc*>(image.data());
  const int length = static_cast<int>(image.size());
  int width = 0;
  int height = 0;
  int channels = 0;
  if (stbi_info_from_memory(data, length, &width, &height, &channels) == 0 || width <= 0 ||
      height <= 0) {
    return make_error(Errc::malformed, std::string(kind) + " header is unreadable (" +
                                           stbi_failure_reason() + ")");
  }
  const std::uint64_t pixels = std::uint64_t(width) * std::uint64_t(height);
  if (pixels > limits.max_pixels) {
    return make_error(Errc::too_large, std::string(kind) + " of " + std::to_string(width) + "x" +
                                           std::to_string(height) + " pixels is over the limit of " +
                                           std::to_string(limits.max_pixels) + " pixels");
  }
  int w = 0;
  int h = 0;
  std::unique_ptr<stbi_uc, StbFree> grey(stbi_load_from_memory(data, length, &w, &h, &channels, 1));
  if (!grey) {
    return make_error(Errc::malformed, std::string(kind) + " image data is corrupt or truncated (" +
                                           stbi_failure_reason() + ")");
  }
  if (w != width || h != height) {
    return make_error(Errc::malformed, std::string(kind) + " header and data disagree on the size");
  }

  ZXing::DecodeHints hints;
  hints.setFormats(ZXing::BarcodeFormat::QRCode);
  hints.setTryHarder(true);
  hints.setTryRotate(true);
  // One more than the limit, so that a page over it is refused rather than silently cut short.
  hints.setMaxNumberOfSymbols(
      static_cast<std::uint8_t>(std::min<std::size_t>(limits.max_codes + 1, 255)));
  const ZXing::ImageView view(grey.get(), w, h, ZXing::ImageFormat::Lum);
  const ZXing::Results results = ZXing::ReadBarcodes(view, hints);

  std::vector<QrCode> codes;
  for (const ZXing::Result& r : results) {
    if (!r.isValid() || r.format() != ZXing::BarcodeFormat::QRCode) continue;
    if (codes.size() == limits.max_codes) {
      return make_error(Errc::too_large, "more than " + std::to_string(limits.max_codes) +
                                             " QR codes on one page");
    }
    QrCode code;
    const ZXing::ByteArray& bytes = r.bytes();
    code.bytes.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    const auto& pos = r.position();
    for (std::size_t i = 0; i < 4; ++i) code.corners[i] = PagePoint{pos[i].x, pos[i].y};
    code.orientation_degrees = r.orientation();
    if (r.isPartOfSequence()) {
      code.sequence_index = r.sequenceIndex();
      code.sequence_size = r.sequenceSize();
      code.sequence_id = r.sequenceId();
    }
    code.has_eci = r.hasECI();
    code.ec_level = r.ecLevel();
    codes.push_back(std::move(code));
  }
  sort_reading_order(codes);
  return codes;
}

}  // namespace madoguchi::imaging
