// A certificate as the counter's form: A4 PDF, IPAmj Mincho through Pango/HarfBuzz (IVS honoured),
// the font embedded as a subset with its ToUnicode map (the text, IVS included, extracts), the
// municipality's name and seal, a background that shows 複写 on a photocopy, and the verification
// code as a QR (issue 13, KON-1, KON-3).
//
// Layout rules (004 7(9)): a value longer than its field shrinks (down to 7 pt), then wraps at
// that size; nothing is ever cut off and no value blocks issuance. A household longer than a page
// continues on the next, every page carrying the certificate number and "n / m".
//
// Thread-safe: each thread keeps its own Pango font map.
#pragma once

#include <string>

#include "madoguchi/domain/konbini.h"
#include "madoguchi/error.h"

namespace madoguchi::certpdf {

struct RenderOptions {
  std::string font_family = "IPAmjMincho";
  // The municipality's seal (職印) as PNG; empty: a red square seal is drawn with the mayor's title.
  std::string municipal_seal_png;
  // Printed under the QR: where the code is checked ("https://…/131016/verify").
  std::string verify_url;
};

// Errc::unavailable when `family` is not installed (Pango would silently substitute another font,
// and a certificate must never print in a font that lacks the registered characters).
Status check_font(const std::string& family);

// The PDF's bytes. Errc::malformed when an image is not a PNG cairo can read.
Expected<std::string> render_certificate(const domain::CertificateDocument& doc, const RenderOptions& options);

}  // namespace madoguchi::certpdf
