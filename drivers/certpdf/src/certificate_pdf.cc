#include "madoguchi/certpdf/certificate_pdf.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>
#include <qrencode.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace madoguchi::certpdf {

namespace {

constexpr double kPageW = 595.28, kPageH = 841.89;  // A4 in points
constexpr double kMargin = 42;
constexpr double kLabelW = 150;
constexpr double kValueW = kPageW - 2 * kMargin - kLabelW - 12;
constexpr double kBody = 10.5, kMinBody = 7;
constexpr double kFooterH = 190;  // statement, date, mayor and seal, the QR

struct Free {
  void operator()(PangoLayout* p) const { g_object_unref(p); }
  void operator()(PangoFontDescription* p) const { pango_font_description_free(p); }
  void operator()(PangoContext* p) const { g_object_unref(p); }
  void operator()(cairo_t* p) const { cairo_destroy(p); }
  void operator()(cairo_surface_t* p) const { cairo_surface_destroy(p); }
  void operator()(cairo_pattern_t* p) const { cairo_pattern_destroy(p); }
  void operator()(QRcode* p) const { QRcode_free(p); }
};
template <class T>
using Ptr = std::unique_ptr<T, Free>;

// One font map per thread: Pango's font maps are not shared across threads.
PangoFontMap* font_map() {
  thread_local PangoFontMap* map = pango_cairo_font_map_new();
  return map;
}

cairo_status_t append(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

struct PngReader {
  std::string_view bytes;
  std::size_t at = 0;
};
cairo_status_t read_png(void* closure, unsigned char* data, unsigned int length) {
  auto* r = static_cast<PngReader*>(closure);
  if (r->bytes.size() - r->at < length) return CAIRO_STATUS_READ_ERROR;
  std::copy_n(r->bytes.data() + r->at, length, data);
  r->at += length;
  return CAIRO_STATUS_SUCCESS;
}

Expected<Ptr<cairo_surface_t>> png_surface(std::string_view png) {
  if (png.size() < 8 || png.substr(1, 3) != "PNG") return Error{Errc::malformed, "image is not a PNG"};
  PngReader r{png};
  Ptr<cairo_surface_t> s(cairo_image_surface_create_from_png_stream(read_png, &r));
  if (cairo_surface_status(s.get()) != CAIRO_STATUS_SUCCESS) return Error{Errc::malformed, "PNG cannot be read"};
  return s;
}

// A laid-out value: the layout at the size it fits, and its height.
struct Fitted {
  Ptr<PangoLayout> layout;
  double height = 0;
};

class Page {
 public:
  Page(PangoContext* ctx, const std::string& family) : ctx_(ctx), family_(family) {}

  Ptr<PangoLayout> layout(const std::string& text, double size, bool bold = false) const {
    Ptr<PangoLayout> l(pango_layout_new(ctx_));
    Ptr<PangoFontDescription> d(pango_font_description_new());
    pango_font_description_set_family(d.get(), family_.c_str());
    pango_font_description_set_size(d.get(), static_cast<int>(size * PANGO_SCALE));
    if (bold) pango_font_description_set_weight(d.get(), PANGO_WEIGHT_BOLD);
    pango_layout_set_font_description(l.get(), d.get());
    pango_layout_set_text(l.get(), text.c_str(), static_cast<int>(text.size()));
    return l;
  }

  static double width_of(PangoLayout* l) {
    int w = 0, h = 0;
    pango_layout_get_size(l, &w, &h);
    return static_cast<double>(w) / PANGO_SCALE;
  }
  static double height_of(PangoLayout* l) {
    int w = 0, h = 0;
    pango_layout_get_size(l, &w, &h);
    return static_cast<double>(h) / PANGO_SCALE;
  }

  // Shrink, then wrap (004 7(9)): never cut, never refuse.
  Fitted fit(const std::string& text, double width) const {
    auto l = layout(text, kBody);
    const double w = width_of(l.get());
    if (w > width) {
      const double size = std::max(kMinBody, std::floor(kBody * width / w * 10) / 10);
      l = layout(text, size);
      if (width_of(l.get()) > width) {
        pango_layout_set_width(l.get(), static_cast<int>(width * PANGO_SCALE));
        pango_layout_set_wrap(l.get(), PANGO_WRAP_WORD_CHAR);
      }
    }
    const double h = height_of(l.get());
    return {std::move(l), h};
  }

 private:
  PangoContext* ctx_;
  const std::string& family_;
};

// A row of the form: a label and its value, or a gap between persons.
struct Row {
  std::string label;
  Fitted value;
  double height = 0;
  bool block_start = false;
  int page = 0;
  double y = 0;
};

void draw_at(cairo_t* cr, PangoLayout* l, double x, double y) {
  cairo_move_to(cr, x, y);
  pango_cairo_show_layout(cr, l);
}

// A tiling pattern of round dots: `cell` apart, `dot` across. Two of them with the same coverage
// look the same grey; a copier keeps the coarse dots and loses the fine ones, so 複写 appears.
Ptr<cairo_pattern_t> dots(double cell, double dot) {
  cairo_rectangle_t extents{0, 0, cell, cell};
  Ptr<cairo_surface_t> tile(cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, &extents));
  Ptr<cairo_t> t(cairo_create(tile.get()));
  cairo_set_source_rgb(t.get(), 0.62, 0.70, 0.78);
  cairo_arc(t.get(), cell / 2, cell / 2, dot / 2, 0, 2 * M_PI);
  cairo_fill(t.get());
  Ptr<cairo_pattern_t> p(cairo_pattern_create_for_surface(tile.get()));
  cairo_pattern_set_extend(p.get(), CAIRO_EXTEND_REPEAT);
  return p;
}

void copy_guard(cairo_t* cr, const Page& page) {
  auto fine = dots(1.6, 0.48);
  auto coarse = dots(3.2, 0.96);
  cairo_save(cr);
  cairo_set_source(cr, fine.get());
  cairo_paint(cr);
  // The word once, as a form painted three times: its outline is the largest path of the page.
  // The letters as outlines, not text: a reader extracting the certificate's text must not find
  // 複写 in it. White over the fine dots, then the coarse dots, inside the outline.
  auto word = page.layout("複写", 150, true);
  cairo_rectangle_t extents{0, 0, Page::width_of(word.get()), Page::height_of(word.get())};
  Ptr<cairo_surface_t> form(cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, &extents));
  {
    Ptr<cairo_t> f(cairo_create(form.get()));
    cairo_move_to(f.get(), 0, 0);
    pango_cairo_layout_path(f.get(), word.get());
    cairo_clip(f.get());
    cairo_set_source_rgb(f.get(), 1, 1, 1);
    cairo_paint(f.get());
    cairo_set_source(f.get(), coarse.get());
    cairo_paint(f.get());
  }
  for (int i = 0; i < 3; ++i) {
    cairo_save(cr);
    cairo_translate(cr, 90, 170 + i * 240);
    cairo_rotate(cr, -0.35);
    cairo_set_source_surface(cr, form.get(), 0, 0);
    cairo_paint(cr);
    cairo_restore(cr);
  }
  cairo_restore(cr);
}

// The mayor's seal (職印) when the municipality gave no image: a red square with the title in
// columns, read top to bottom and right to left.
void drawn_seal(cairo_t* cr, const Page& page, const std::string& title, double x, double y, double size) {
  std::vector<std::string> chars;
  for (std::size_t i = 0; i < title.size();) {
    std::size_t n = 1;
    const auto c = static_cast<unsigned char>(title[i]);
    if (c >= 0xF0) n = 4; else if (c >= 0xE0) n = 3; else if (c >= 0xC0) n = 2;
    chars.push_back(title.substr(i, n));
    i += n;
  }
  const std::size_t cols = chars.size() <= 4 ? 2 : chars.size() <= 9 ? 3 : 4;
  const std::size_t rows = (chars.size() + cols - 1) / cols;
  const double cell = (size - 8) / static_cast<double>(std::max(rows, cols));
  cairo_save(cr);
  cairo_set_source_rgb(cr, 0.80, 0.10, 0.10);
  cairo_set_line_width(cr, 2.5);
  cairo_rectangle(cr, x, y, size, size);
  cairo_stroke(cr);
  for (std::size_t i = 0; i < chars.size(); ++i) {
    const double cx = x + size - 4 - cell * static_cast<double>(i / rows + 1);
    const double cy = y + 4 + cell * static_cast<double>(i % rows);
    auto l = page.layout(chars[i], cell * 0.8, true);
    draw_at(cr, l.get(), cx + (cell - Page::width_of(l.get())) / 2, cy + (cell - Page::height_of(l.get())) / 2);
  }
  cairo_restore(cr);
}

void draw_png(cairo_t* cr, cairo_surface_t* img, double x, double y, double box) {
  const double w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
  const double scale = box / std::max(w, h);
  cairo_save(cr);
  cairo_translate(cr, x + (box - w * scale) / 2, y + (box - h * scale) / 2);
  cairo_scale(cr, scale, scale);
  cairo_set_source_surface(cr, img, 0, 0);
  cairo_paint(cr);
  cairo_restore(cr);
}

// The QR as an image of one pixel per module (the quiet zone included), drawn without smoothing:
// a few hundred bytes in the PDF where a rectangle per run of modules took tens of kilobytes of
// coordinates to print and compress (most of a certificate's rendering time).
Status draw_qr(cairo_t* cr, const std::string& code, double x, double y, double size) {
  Ptr<QRcode> qr(QRcode_encodeString8bit(code.c_str(), 0, QR_ECLEVEL_M));
  if (!qr) return Error{Errc::internal, "the verification code does not fit a QR code"};
  const int n = qr->width, side = n + 8;  // a quiet zone of 4 modules
  Ptr<cairo_surface_t> img(cairo_image_surface_create(CAIRO_FORMAT_RGB24, side, side));
  if (cairo_surface_status(img.get()) != CAIRO_STATUS_SUCCESS) return Error{Errc::internal, "cairo: the QR image"};
  cairo_surface_flush(img.get());
  unsigned char* data = cairo_image_surface_get_data(img.get());
  const int stride = cairo_image_surface_get_stride(img.get());
  for (int r = 0; r < side; ++r) {
    auto* row = reinterpret_cast<std::uint32_t*>(data + static_cast<std::ptrdiff_t>(r) * stride);
    for (int c = 0; c < side; ++c) {
      const bool dark = r >= 4 && r < n + 4 && c >= 4 && c < n + 4 && (qr->data[(r - 4) * n + (c - 4)] & 1);
      row[c] = dark ? 0x000000u : 0xFFFFFFu;
    }
  }
  cairo_surface_mark_dirty(img.get());
  cairo_save(cr);
  cairo_translate(cr, x, y);
  cairo_scale(cr, size / side, size / side);
  cairo_set_source_surface(cr, img.get(), 0, 0);
  cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);  // sharp modules (/Interpolate false)
  cairo_paint(cr);
  cairo_restore(cr);
  return {};
}

}  // namespace

Status check_font(const std::string& family) {
  Ptr<PangoContext> ctx(pango_font_map_create_context(font_map()));
  Ptr<PangoFontDescription> d(pango_font_description_new());
  pango_font_description_set_family(d.get(), family.c_str());
  PangoFont* font = pango_font_map_load_font(font_map(), ctx.get(), d.get());
  if (!font) return Error{Errc::unavailable, "font " + family + " is not installed"};
  Ptr<PangoFontDescription> got(pango_font_describe(font));
  g_object_unref(font);
  const char* name = pango_font_description_get_family(got.get());
  if (!name || family != name) {
    return Error{Errc::unavailable, "font " + family + " is not installed (Debian: fonts-ipamj-mincho)"};
  }
  return {};
}

Expected<std::string> render_certificate(const domain::CertificateDocument& doc, const RenderOptions& options) {
  Ptr<cairo_surface_t> seal_img, municipal_img;
  if (!doc.seal_png.empty()) {
    auto s = png_surface(doc.seal_png);
    if (!s) return s.error();
    seal_img = std::move(*s);
  }
  if (!options.municipal_seal_png.empty()) {
    auto s = png_surface(options.municipal_seal_png);
    if (!s) return s.error();
    municipal_img = std::move(*s);
  }

  std::string out;
  Ptr<cairo_surface_t> surface(cairo_pdf_surface_create_for_stream(append, &out, kPageW, kPageH));
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, doc.title.c_str());
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "madoguchi");
  Ptr<cairo_t> cr(cairo_create(surface.get()));
  Ptr<PangoContext> ctx(pango_font_map_create_context(font_map()));
  pango_cairo_context_set_resolution(ctx.get(), 72);  // one Pango point is one PDF point
  pango_cairo_update_context(cr.get(), ctx.get());
  Page page(ctx.get(), options.font_family);

  // Lay out every row, then place them on pages.
  std::vector<Row> rows;
  auto add_row = [&](const std::string& label, const std::string& value, bool block_start) {
    Row r;
    r.label = label;
    r.value = page.fit(value, kValueW);
    r.height = std::max(r.value.height, 12.0) + 7;
    r.block_start = block_start;
    rows.push_back(std::move(r));
  };
  for (const auto& h : doc.header) add_row(h.label, h.value, false);
  for (const auto& b : doc.blocks) {
    bool first = true;
    for (const auto& f : b.fields) {
      add_row(f.label, f.value, first);
      first = false;
    }
  }
  // A seal certificate shows the impression under the title, the rows below it.
  constexpr double kSealBox = 110;
  const double top = kMargin + 92 + (seal_img ? kSealBox + 24 : 0), bottom = kPageH - kMargin - 20;
  int pages = 1;
  double y = top;
  for (auto& r : rows) {
    const double need = r.height + (r.block_start ? 8 : 0);
    if (y + need > bottom) {
      ++pages;
      y = kMargin + 40;
    }
    if (r.block_start) y += 8;
    r.page = pages;
    r.y = y;
    y += r.height;
  }
  double footer_y = y + 14;
  if (footer_y + kFooterH > bottom + 20) {
    ++pages;
    footer_y = kMargin + 40;
  }

  auto title = page.layout(doc.title, 20, true);
  auto number = page.layout("証明書番号　" + doc.number, 9);
  for (int p = 1; p <= pages; ++p) {
    if (p > 1) cairo_show_page(cr.get());
    copy_guard(cr.get(), page);
    cairo_set_source_rgb(cr.get(), 0, 0, 0);
    draw_at(cr.get(), number.get(), kPageW - kMargin - Page::width_of(number.get()), kMargin - 18);
    auto folio = page.layout(std::to_string(p) + " / " + std::to_string(pages), 9);
    draw_at(cr.get(), folio.get(), (kPageW - Page::width_of(folio.get())) / 2, kPageH - kMargin);
    if (p == 1) {
      draw_at(cr.get(), title.get(), (kPageW - Page::width_of(title.get())) / 2, kMargin + 10);
      auto via = page.layout(doc.municipality_name + "　（コンビニ交付）", 10);
      draw_at(cr.get(), via.get(), (kPageW - Page::width_of(via.get())) / 2, kMargin + 48);
    } else {
      auto cont = page.layout(doc.title + "（続き）", 12, true);
      draw_at(cr.get(), cont.get(), kMargin, kMargin + 6);
    }
    cairo_set_line_width(cr.get(), 0.6);
    for (const auto& r : rows) {
      if (r.page != p) continue;
      if (r.block_start) {
        cairo_move_to(cr.get(), kMargin, r.y - 4);
        cairo_line_to(cr.get(), kPageW - kMargin, r.y - 4);
        cairo_stroke(cr.get());
      }
      auto label = page.layout(r.label, 9.5);
      draw_at(cr.get(), label.get(), kMargin + 4, r.y + 2);
      draw_at(cr.get(), r.value.layout.get(), kMargin + kLabelW, r.y + 2);
      cairo_move_to(cr.get(), kMargin, r.y + r.height);
      cairo_line_to(cr.get(), kPageW - kMargin, r.y + r.height);
      cairo_set_source_rgb(cr.get(), 0.55, 0.55, 0.55);
      cairo_stroke(cr.get());
      cairo_set_source_rgb(cr.get(), 0, 0, 0);
    }
    if (p == 1 && seal_img) {
      const double sx = (kPageW - kSealBox) / 2, sy = kMargin + 92;
      auto cap = page.layout("印影", 9);
      draw_at(cr.get(), cap.get(), sx - Page::width_of(cap.get()) - 8, sy);
      cairo_rectangle(cr.get(), sx, sy, kSealBox, kSealBox);
      cairo_stroke(cr.get());
      draw_png(cr.get(), seal_img.get(), sx + 5, sy + 5, kSealBox - 10);
    }
    if (p == pages) {
      auto statement = page.fit(doc.statement, kPageW - 2 * kMargin);
      draw_at(cr.get(), statement.layout.get(), kMargin, footer_y);
      const double fy = footer_y + statement.height + 14;
      auto dl = page.layout(domain::wareki_date(doc.issued), 10.5);
      draw_at(cr.get(), dl.get(), kMargin + 20, fy);
      auto mayor = page.layout(doc.mayor, 13, true);
      const double mx = kPageW - kMargin - 80 - Page::width_of(mayor.get());
      draw_at(cr.get(), mayor.get(), mx, fy + 30);
      if (municipal_img) {
        draw_png(cr.get(), municipal_img.get(), kPageW - kMargin - 72, fy + 12, 64);
      } else {
        drawn_seal(cr.get(), page, doc.mayor.substr(0, doc.mayor.find("　")) + "之印", kPageW - kMargin - 72, fy + 12, 64);
      }
      if (!doc.verification.empty()) {
        if (auto s = draw_qr(cr.get(), doc.verification, kMargin, fy + 40, 92); !s) return s.error();
        auto note = page.layout("検証コード：この証明書が交付されたものであることを、次のページで確かめられます。", 8);
        draw_at(cr.get(), note.get(), kMargin + 100, fy + 96);
        if (!options.verify_url.empty()) {
          auto url = page.layout(options.verify_url, 8);
          draw_at(cr.get(), url.get(), kMargin + 100, fy + 110);
        }
      }
    }
  }
  cairo_destroy(cr.release());
  cairo_surface_finish(surface.get());
  if (auto st = cairo_surface_status(surface.get()); st != CAIRO_STATUS_SUCCESS) {
    return Error{Errc::internal, std::string("cairo: ") + cairo_status_to_string(st)};
  }
  surface.reset();
  return out;
}

}  // namespace madoguchi::certpdf
