// Page images for madoguchi-sim jlis: QR codes drawn with libqrencode onto a grey A4 page at
// 200 dpi, written as PNG with stb_image_write (both linked privately by madoguchi_sim).
#include <qrencode.h>
#include <stb_image_write.h>

#include <memory>
#include <vector>

#include "madoguchi/sim/jlis_generator.h"

namespace madoguchi::sim {

namespace {

struct QrFree {
  void operator()(QRcode* code) const noexcept { QRcode_free(code); }
};
using QrPtr = std::unique_ptr<QRcode, QrFree>;

constexpr int kQuietModules = 4;

void append_bytes(void* context, void* data, int size) {
  auto* out = static_cast<std::string*>(context);
  out->append(static_cast<const char*>(data), static_cast<std::size_t>(size));
}

}  // namespace

Expected<std::string> render_jlis_page_png(const std::vector<std::string>& payloads, std::size_t codes_per_page,
                                           std::uint64_t seed) {
  if (payloads.size() > codes_per_page || codes_per_page == 0) {
    return make_error(Errc::invalid_argument, "more payloads than codes per page");
  }
  std::vector<unsigned char> page(static_cast<std::size_t>(kPageWidth) * kPageHeight, 255);
  // Paper: light speckles, deterministic for the seed.
  std::uint64_t state = seed ^ 0xD1B54A32D192ED03ull;
  auto next = [&state]() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  if (state == 0) state = 1;
  for (unsigned char& px : page) {
    const std::uint64_t r = next();
    if ((r & 0x3F) == 0) px = static_cast<unsigned char>(255 - ((r >> 8) % 40));
  }
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    const std::string& data = payloads[i];
    QrPtr code(QRcode_encodeData(static_cast<int>(data.size()), reinterpret_cast<const unsigned char*>(data.data()), 0,
                                 QR_ECLEVEL_M));
    if (!code) {
      code.reset(QRcode_encodeData(static_cast<int>(data.size()), reinterpret_cast<const unsigned char*>(data.data()), 0,
                                   QR_ECLEVEL_L));
    }
    if (!code) return make_error(Errc::invalid_argument, "payload " + std::to_string(i + 1) + " does not fit a QR code");
    const PageCell cell = page_cell(codes_per_page, i);
    const int modules = code->width + 2 * kQuietModules;
    const int scale = std::min(cell.width, cell.height) / modules;
    if (scale < 2) {
      return make_error(Errc::invalid_argument, "a code of " + std::to_string(code->width) +
                                                    " modules does not fit its cell at 2 pixels per module "
                                                    "(lower --codes-per-page or --per-code)");
    }
    const int side = modules * scale;
    const int x0 = cell.x + (cell.width - side) / 2 + kQuietModules * scale;
    const int y0 = cell.y + (cell.height - side) / 2 + kQuietModules * scale;
    // The quiet zone is clean paper, as a printer leaves it.
    for (int y = y0 - kQuietModules * scale; y < y0 - kQuietModules * scale + side; ++y) {
      for (int x = x0 - kQuietModules * scale; x < x0 - kQuietModules * scale + side; ++x) {
        page[static_cast<std::size_t>(y) * kPageWidth + static_cast<std::size_t>(x)] = 255;
      }
    }
    for (int my = 0; my < code->width; ++my) {
      for (int mx = 0; mx < code->width; ++mx) {
        if ((code->data[my * code->width + mx] & 1) == 0) continue;
        // Toner is never quite black.
        const auto ink = static_cast<unsigned char>(20 + next() % 25);
        for (int dy = 0; dy < scale; ++dy) {
          for (int dx = 0; dx < scale; ++dx) {
            page[static_cast<std::size_t>(y0 + my * scale + dy) * kPageWidth +
                 static_cast<std::size_t>(x0 + mx * scale + dx)] = ink;
          }
        }
      }
    }
  }
  std::string png;
  if (stbi_write_png_to_func(&append_bytes, &png, kPageWidth, kPageHeight, 1, page.data(), kPageWidth) == 0) {
    return make_error(Errc::internal, "PNG encoding failed");
  }
  return png;
}

}  // namespace madoguchi::sim
