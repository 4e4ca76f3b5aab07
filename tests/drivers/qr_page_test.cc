// decode_qr_page (drivers/imaging; ISS-1, ISS-13: issuance lists read from QR codes on paper).
// 1. The zxing-cpp sample images of the shared data: every image its MANIFEST.csv says decodes
//    with Debian's zxing-cpp 1.4.0 gives the expected text (Shift_JIS samples compared after
//    CP932 -> UTF-8, the GB2312 one after GB2312 -> UTF-8, all others byte for byte), and the
//    four structured-append parts come back with their positions in the sequence.
// 2. A page built here with libqrencode: several codes (kanji mode, 8-bit Shift_JIS, a rotated
//    one, a structured-append pair) on one A4 page, as PNG and as JPEG; all come back, in place.
// 3. Bad input: not an image, a truncated PNG, and the size bounds.
#include <catch2/catch.hpp>

#include <iconv.h>
#include <qrencode.h>
#include <stb_image_write.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "madoguchi/imaging/qr_page.h"
#include "madoguchi/text/csv.h"
#include "madoguchi/text/encoding.h"
#include "skip.h"

namespace im = madoguchi::imaging;
using madoguchi::Errc;

namespace {

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string gb2312_to_utf8(const std::string& in) {
  iconv_t cd = iconv_open("UTF-8", "GB2312");
  REQUIRE(cd != reinterpret_cast<iconv_t>(-1));
  std::string out(in.size() * 4 + 16, '\0');
  char* src = const_cast<char*>(in.data());
  std::size_t src_left = in.size();
  char* dst = out.data();
  std::size_t dst_left = out.size();
  const std::size_t rc = iconv(cd, &src, &src_left, &dst, &dst_left);
  iconv_close(cd);
  REQUIRE(rc != static_cast<std::size_t>(-1));
  out.resize(out.size() - dst_left);
  return out;
}

// ---- a page drawn with libqrencode -------------------------------------------------------

struct Page {
  int width;
  int height;
  std::vector<unsigned char> grey;  // 0 black, 255 white
  Page(int w, int h) : width(w), height(h), grey(static_cast<std::size_t>(w * h), 255) {}

  // Draws `code` with its top-left at (x, y), `scale` pixels a module, rotated by a quarter
  // turn clockwise `quarter_turns` times. Returns the drawn box {x0, y0, x1, y1}.
  std::array<int, 4> draw(const QRcode* code, int x, int y, int scale, int quarter_turns = 0) {
    const int n = code->width;
    for (int my = 0; my < n; ++my) {
      for (int mx = 0; mx < n; ++mx) {
        if ((code->data[my * n + mx] & 1) == 0) continue;
        int rx = mx, ry = my;
        for (int t = 0; t < quarter_turns; ++t) {  // (x, y) -> (n-1-y, x)
          const int tmp = rx;
          rx = n - 1 - ry;
          ry = tmp;
        }
        for (int py = 0; py < scale; ++py) {
          for (int px = 0; px < scale; ++px) {
            grey[static_cast<std::size_t>((y + ry * scale + py) * width + x + rx * scale + px)] = 0;
          }
        }
      }
    }
    return {x, y, x + n * scale, y + n * scale};
  }
};

void append_bytes(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<std::size_t>(size));
}

std::string png_of(const Page& page) {
  std::string out;
  REQUIRE(stbi_write_png_to_func(&append_bytes, &out, page.width, page.height, 1, page.grey.data(), page.width) != 0);
  return out;
}

std::string jpeg_of(const Page& page) {
  std::string out;
  REQUIRE(stbi_write_jpg_to_func(&append_bytes, &out, page.width, page.height, 1, page.grey.data(), 95) != 0);
  return out;
}

std::string sjis(std::string_view utf8) {
  auto r = madoguchi::text::utf8_to_cp932(utf8);
  REQUIRE(r.ok());
  return *r;
}

bool inside(const im::QrCode& code, const std::array<int, 4>& box) {
  for (const auto& p : code.corners) {
    if (p.x < box[0] - 2 || p.x > box[2] + 2 || p.y < box[1] - 2 || p.y > box[3] + 2) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("QR samples of zxing-cpp decode to the expected text", "[imaging][samples]") {
  const std::string root = MADOGUCHI_QR_SAMPLES;
  const auto manifest = read_file(root + "/MANIFEST.csv");
  if (!manifest) {
    madoguchi::testing::skip_test("the zxing-cpp QR samples are not at " + root + " (shared/data is not checked out)");
    return;
  }
  auto rows = madoguchi::text::parse_csv(*manifest);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() > 1);
  const auto& header = rows->front();
  auto column = [&](std::string_view name) {
    const auto it = std::find(header.begin(), header.end(), name);
    REQUIRE(it != header.end());
    return static_cast<std::size_t>(it - header.begin());
  };
  const std::size_t c_image = column("image"), c_expected = column("expected_text_file"),
                    c_meta = column("result_meta_file"),
                    c_decodes = column("decoded_ok_by_debian_zxing_cpp_1.4.0"), c_note = column("note");

  std::size_t expected_to_decode = 0, checked = 0;
  std::map<int, std::string> sequence_parts;  // qrcode-7: index -> bytes
  std::string sequence_expected;
  std::set<std::string> sequence_ids;
  for (std::size_t i = 1; i < rows->size(); ++i) {
    const auto& row = (*rows)[i];
    if (row.size() < header.size()) continue;
    if (row[c_decodes].rfind("yes", 0) != 0) continue;  // "yes" or "yes (each part)"
    ++expected_to_decode;
    INFO(row[c_image]);
    const auto image = read_file(root + "/" + row[c_image]);
    const auto expected = read_file(root + "/" + row[c_expected]);
    REQUIRE(image);
    REQUIRE(expected);
    auto codes = im::decode_qr_page(*image);
    REQUIRE(codes.ok());
    REQUIRE(codes->size() == 1);
    const im::QrCode& code = codes->front();
    for (const auto& p : code.corners) {
      CHECK(p.x >= -1);
      CHECK(p.y >= -1);
    }
    const std::string& note = row[c_note];
    if (note.find("structured append") != std::string::npos) {
      CHECK(code.sequence_size == 4);
      REQUIRE(code.sequence_index >= 0);
      sequence_parts[code.sequence_index] = code.bytes;
      sequence_ids.insert(code.sequence_id);
      sequence_expected = *expected;
      ++checked;
      continue;
    }
    CHECK(code.sequence_index == -1);
    if (note.find("Shift_JIS") != std::string::npos) {
      // Raw bytes: the Shift_JIS of the symbol, not text converted by a guess.
      CHECK_FALSE(madoguchi::text::valid_utf8(code.bytes));
      auto utf8 = madoguchi::text::cp932_to_utf8(code.bytes);
      REQUIRE(utf8.ok());
      CHECK(*utf8 == *expected);
    } else if (note.find("GB2312") != std::string::npos) {
      CHECK(gb2312_to_utf8(code.bytes) == *expected);
    } else {
      CHECK(code.bytes == *expected);
    }
    if (!row[c_meta].empty()) {
      const auto meta = read_file(root + "/" + row[c_meta]);
      REQUIRE(meta);
      std::istringstream lines(*meta);
      for (std::string line; std::getline(lines, line);) {
        if (line.rfind("ecLevel=", 0) == 0) CHECK(code.ec_level == line.substr(8));
      }
    }
    ++checked;
  }
  CHECK(checked == expected_to_decode);
  CHECK(expected_to_decode >= 50);  // 46 single images and 4 parts (PROVENANCE.md)
  REQUIRE(sequence_parts.size() == 4);
  CHECK(sequence_ids.size() == 1);
  CHECK(*sequence_ids.begin() == "95");
  std::string joined;
  for (const auto& [index, bytes] : sequence_parts) joined += bytes;
  CHECK(joined == sequence_expected);
}

TEST_CASE("a page with several codes returns them all, raw and in place", "[imaging][page]") {
  Page page(1654, 2339);  // A4 at 200 dpi
  struct Drawn {
    std::string bytes;
    std::array<int, 4> box;
  };
  std::vector<Drawn> drawn;

  // Kanji mode (libqrencode reads Shift_JIS input and encodes the kanji as 13-bit values).
  const std::string kanji = sjis("交付対象者一覧　山田太郎　東京都千代田区霞が関二丁目");
  QRcode* a = QRcode_encodeString(kanji.c_str(), 0, QR_ECLEVEL_M, QR_MODE_KANJI, 1);
  REQUIRE(a != nullptr);
  drawn.push_back({kanji, page.draw(a, 100, 100, 6)});
  QRcode_free(a);

  // 8-bit mode Shift_JIS with half-width katakana and a CR LF.
  const std::string eight = sjis("131016,ﾔﾏﾀﾞ ﾀﾛｳ,髙橋\r\n") + "0001";
  QRcode* b = QRcode_encodeData(static_cast<int>(eight.size()),
                                reinterpret_cast<const unsigned char*>(eight.data()), 0, QR_ECLEVEL_Q);
  REQUIRE(b != nullptr);
  drawn.push_back({eight, page.draw(b, 900, 150, 7)});
  QRcode_free(b);

  // ASCII, turned a quarter.
  const std::string ascii = "MADOGUCHI-ISSUANCE-LIST-2026-0001";
  QRcode* c = QRcode_encodeString(ascii.c_str(), 0, QR_ECLEVEL_H, QR_MODE_8, 1);
  REQUIRE(c != nullptr);
  drawn.push_back({ascii, page.draw(c, 150, 1000, 8, 1)});
  QRcode_free(c);

  // A structured-append sequence of small symbols (version 2 forces more than one).
  const std::string long_text = "131016,0001,YAMADA TARO,1990-01-01;131016,0002,SATO HANAKO,1985-05-05";
  QRcode_List* list = QRcode_encodeString8bitStructured(long_text.c_str(), 2, QR_ECLEVEL_L);
  REQUIRE(list != nullptr);
  int parts = 0;
  std::vector<std::array<int, 4>> part_boxes;
  for (QRcode_List* e = list; e != nullptr; e = e->next, ++parts) {
    part_boxes.push_back(page.draw(e->code, 800 + parts * 260, 1300, 8));
  }
  QRcode_List_free(list);
  REQUIRE(parts >= 2);
  REQUIRE(parts <= 3);

  for (const std::string& image : {png_of(page), jpeg_of(page)}) {
    auto codes = im::decode_qr_page(image);
    REQUIRE(codes.ok());
    REQUIRE(codes->size() == drawn.size() + static_cast<std::size_t>(parts));
    for (const Drawn& d : drawn) {
      const auto it = std::find_if(codes->begin(), codes->end(),
                                   [&](const im::QrCode& q) { return q.bytes == d.bytes; });
      REQUIRE(it != codes->end());
      CHECK(inside(*it, d.box));
      CHECK(it->sequence_index == -1);
    }
    // The rotated one says so.
    const auto turned = std::find_if(codes->begin(), codes->end(),
                                     [&](const im::QrCode& q) { return q.bytes == ascii; });
    CHECK(turned->orientation_degrees != 0);
    // The parts: one id, indexes 0..parts-1, joined in index order they give the text back.
    std::map<int, std::string> by_index;
    std::set<std::string> ids;
    for (const im::QrCode& q : *codes) {
      if (q.sequence_index < 0) continue;
      CHECK(q.sequence_size == parts);
      CHECK(inside(q, part_boxes[static_cast<std::size_t>(q.sequence_index)]));
      by_index[q.sequence_index] = q.bytes;
      ids.insert(q.sequence_id);
    }
    REQUIRE(by_index.size() == static_cast<std::size_t>(parts));
    CHECK(ids.size() == 1);
    std::string joined;
    for (const auto& [i, bytes] : by_index) joined += bytes;
    CHECK(joined == long_text);
  }
}

TEST_CASE("codes come back in reading order, rows top to bottom, left to right (ISS-3)", "[imaging][page]") {
  // Two columns of three rows as J-LIS prints a sheet; the right column a little higher and the
  // rows a little uneven, as on a skewed scan. Receipt numbers follow this order (ISS-3).
  Page page(1654, 2339);
  std::vector<std::string> texts;
  for (int row = 0; row < 3; ++row) {
    for (int col = 0; col < 2; ++col) {
      texts.push_back("JLIS-CODE-" + std::to_string(row * 2 + col + 1));
      QRcode* q = QRcode_encodeString(texts.back().c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1);
      REQUIRE(q != nullptr);
      page.draw(q, 150 + col * 800 + row * 30, 150 + row * 700 - col * 60, 9);
      QRcode_free(q);
    }
  }
  auto codes = im::decode_qr_page(png_of(page));
  REQUIRE(codes.ok());
  std::vector<std::string> got;
  for (const im::QrCode& q : *codes) got.push_back(q.bytes);
  CHECK(got == texts);
}

TEST_CASE("a blank page is no codes, not an error", "[imaging][page]") {
  auto none = im::decode_qr_page(png_of(Page(400, 300)));
  REQUIRE(none.ok());
  CHECK(none->empty());
}

TEST_CASE("page bounds: pixels, bytes, number of codes", "[imaging][page]") {
  Page page(1654, 2339);
  for (int i = 0; i < 3; ++i) {
    const std::string text = "CODE-" + std::to_string(i);
    QRcode* q = QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    REQUIRE(q != nullptr);
    page.draw(q, 100 + i * 400, 200, 8);
    QRcode_free(q);
  }
  const std::string png = png_of(page);
  REQUIRE(im::decode_qr_page(png)->size() == 3);
  im::PageLimits small_pixels;
  small_pixels.max_pixels = 1'000'000;
  auto over = im::decode_qr_page(png, small_pixels);
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().code == Errc::too_large);
  CHECK(over.error().message.find("1654x2339") != std::string::npos);
  im::PageLimits small_bytes;
  small_bytes.max_image_bytes = png.size() - 1;
  auto big = im::decode_qr_page(png, small_bytes);
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().code == Errc::too_large);
  im::PageLimits few;
  few.max_codes = 2;
  auto many = im::decode_qr_page(png, few);
  REQUIRE_FALSE(many.ok());
  CHECK(many.error().code == Errc::too_large);
}

TEST_CASE("corrupt, truncated and foreign images give clear errors", "[imaging][errors]") {
  Page page(300, 300);
  QRcode* q = QRcode_encodeString("TRUNCATE-ME", 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  REQUIRE(q != nullptr);
  page.draw(q, 40, 40, 6);
  QRcode_free(q);
  const std::string png = png_of(page);
  REQUIRE(im::decode_qr_page(png).ok());

  auto truncated = im::decode_qr_page(png.substr(0, png.size() / 2));
  REQUIRE_FALSE(truncated.ok());
  CHECK(truncated.error().code == Errc::malformed);
  CHECK(truncated.error().message.find("PNG") != std::string::npos);

  auto header_only = im::decode_qr_page(png.substr(0, 20));
  REQUIRE_FALSE(header_only.ok());
  CHECK(header_only.error().code == Errc::malformed);

  auto empty = im::decode_qr_page("");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().message.find("not a PNG or JPEG") != std::string::npos);

  auto gif = im::decode_qr_page("GIF89a\x01\x00\x01\x00");
  REQUIRE_FALSE(gif.ok());
  CHECK(gif.error().code == Errc::malformed);

  std::string jpeg_garbage = "\xFF\xD8\xFF\xE0";
  jpeg_garbage += std::string(100, '\x13');
  auto bad_jpeg = im::decode_qr_page(jpeg_garbage);
  REQUIRE_FALSE(bad_jpeg.ok());
  CHECK(bad_jpeg.error().message.find("JPEG") != std::string::npos);
}
