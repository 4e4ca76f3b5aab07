#include "madoguchi/console/app/page_decoder.h"

#include "madoguchi/imaging/qr_page.h"

namespace madoguchi::console::app {

PageDecoder qr_page_decoder() {
  return [](std::string_view image) -> Expected<std::vector<std::string>> {
    auto codes = imaging::decode_qr_page(image);
    if (!codes) {
      return make_error(Errc::invalid_argument, codes.error().code == Errc::too_large
                                                    ? "画像が大きすぎます。解像度を下げて（300dpi程度）読み取り直してください。"
                                                    : "画像を読み込めませんでした。PNGかJPEGの画像を選んでください。");
    }
    std::vector<std::string> out;
    out.reserve(codes->size());
    for (auto& c : *codes) out.push_back(std::move(c.bytes));
    return out;
  };
}

}  // namespace madoguchi::console::app
