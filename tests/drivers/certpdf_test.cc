// Certificates as PDF (issue 13, KON-1, KON-3; 004 7(9)): drivers/certpdf. The text is read back
// from the bytes with poppler's pdftotext: every value whole, IVS kept, the font embedded.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>

#include "madoguchi/certpdf/certificate_pdf.h"
#include "pdf_text.h"
#include "madoguchi/imaging/qr_page.h"
#include "skip.h"
#include "temp_dir.h"

using namespace madoguchi;
using namespace madoguchi::domain;

namespace {

const std::string kKuzu = "葛\xF3\xA0\x84\x82";   // 葛 with IVS E0102 (MJ022335)
const std::string kTsuji = "辻\xF3\xA0\x84\x82";  // 辻 with IVS E0102

CertificateDocument household(std::size_t members, const std::string& address) {
  CertificateDocument d;
  d.kind = CertificateKind::residence;
  d.title = "住民票の写し";
  d.number = "R-000123";
  d.municipality = "131016";
  d.municipality_name = "見本市";
  d.mayor = "見本市長　見本　花子";
  d.issued = {2026, 12, 6};
  d.header = {{"住所", address}, {"世帯主", kKuzu + "城　太郎"}};
  for (std::size_t i = 0; i < members; ++i) {
    d.blocks.push_back({{{"氏名", (i % 2 ? kTsuji : kKuzu) + "城　" + std::to_string(i + 1) + "郎"},
                         {"生年月日", "昭和55年4月2日"},
                         {"性別", "男"},
                         {"続柄", "子"},
                         {"住民となった年月日", "平成13年5月1日"},
                         {"住所を定めた年月日", "平成13年5月1日"},
                         {"前住所", "𠮷野県𠮷野市𠮷野町1丁目2番3号"}}});
  }
  d.statement = "この写しは、世帯全員の住民票の原本と相違ないことを証明する。";
  d.verification = "MGV1.example.code";
  return d;
}

std::string render_to_text(const CertificateDocument& d, const testing::TempDir& dir, std::string* pdf_out = nullptr) {
  auto pdf = certpdf::render_certificate(d, {});
  REQUIRE(pdf);
  CHECK(pdf->substr(0, 5) == "%PDF-");
  std::ofstream(dir / "c.pdf", std::ios::binary) << *pdf;
  if (pdf_out) *pdf_out = *pdf;
  auto text = testing::pdf_text(dir / "c.pdf");
  REQUIRE(text);
  // pdftotext writes the ideographic space (U+3000) as an ASCII one; the data has U+3000.
  std::string out;
  for (std::size_t i = 0; i < text->size(); ++i) {
    if ((*text)[i] == ' ') {
      out += "\xE3\x80\x80";
    } else {
      out += (*text)[i];
    }
  }
  return out;
}

// pdftotext puts a line break where a wrapped value continues: compare without them.
std::string joined(std::string s) {
  std::string out;
  for (char c : s) {
    if (c != '\n') out += c;
  }
  return out;
}

}  // namespace

TEST_CASE("certpdf: IPAmj Mincho is installed and the renderer refuses a missing font", "[certpdf]") {
  if (!certpdf::check_font("IPAmjMincho")) {
    testing::skip_test("IPAmj Mincho is not installed (Debian fonts-ipamj-mincho)");
    return;
  }
  CHECK_FALSE(certpdf::check_font("No Such Font Family 42"));
}

TEST_CASE("certpdf: the text extracts with its IVS and the font is embedded as a subset", "[certpdf]") {
  if (!testing::has_pdftotext() || !certpdf::check_font("IPAmjMincho")) {
    testing::skip_test("pdftotext or IPAmj Mincho missing (Debian poppler-utils, fonts-ipamj-mincho)");
    return;
  }
  testing::TempDir dir;
  const auto text = render_to_text(household(2, "東京都千代田区一番町1番地"), dir);
  CHECK(text.find("住民票の写し") != std::string::npos);
  CHECK(text.find(kKuzu + "城　1郎") != std::string::npos);
  CHECK(text.find(kTsuji + "城　2郎") != std::string::npos);
  CHECK(text.find("𠮷野県") != std::string::npos);
  CHECK(text.find("令和8年12月6日") != std::string::npos);
  CHECK(text.find("見本市長") != std::string::npos);
  CHECK(text.find("R-000123") != std::string::npos);
  CHECK(text.find("複写") == std::string::npos);  // the copy guard is drawn, never text
  auto fonts = testing::run_pdf_tool("pdffonts", dir / "c.pdf");
  REQUIRE(fonts);
  CHECK(fonts->find("+IPAmjMincho") != std::string::npos);  // a subset, embedded
  CHECK(fonts->find(" no ") == std::string::npos);           // nothing left unembedded
}

TEST_CASE("certpdf: the verification code prints as a QR that reads back whole (KON-1)", "[certpdf]") {
  if (!testing::has_pdftoppm() || !certpdf::check_font("IPAmjMincho")) {
    testing::skip_test("pdftoppm or IPAmj Mincho missing (Debian poppler-utils, fonts-ipamj-mincho)");
    return;
  }
  testing::TempDir dir;
  auto d = household(2, "東京都千代田区一番町1番地");
  d.verification = "https://yoyaku.example.jp/131016/verify?c=MGV1." + std::string(180, 'A') + ".sig";  // as long as the hub's
  auto pdf = certpdf::render_certificate(d, {});
  REQUIRE(pdf);
  std::ofstream(dir / "qr.pdf", std::ios::binary) << *pdf;
  for (int dpi : {300, 150}) {  // a printer's resolution, and a coarse scan
    auto png = testing::pdf_page_png(dir / "qr.pdf", dpi);
    REQUIRE(png);
    auto codes = imaging::decode_qr_page(*png);
    REQUIRE(codes);
    REQUIRE(codes->size() == 1);
    CHECK((*codes)[0].bytes == d.verification);
  }
}

TEST_CASE("certpdf: a long address shrinks, then wraps, and is printed whole (004 7(9))", "[certpdf]") {
  if (!testing::has_pdftotext() || !certpdf::check_font("IPAmjMincho")) {
    testing::skip_test("pdftotext or IPAmj Mincho missing");
    return;
  }
  testing::TempDir dir;
  std::string address = "東京都千代田区一番町";
  for (int i = 0; i < 12; ++i) address += "二丁目三番四号見本マンション";
  address += "終わり";
  const auto text = joined(render_to_text(household(1, address), dir));
  CHECK(text.find(address) != std::string::npos);
}

TEST_CASE("certpdf: a large household continues on the next page with every member", "[certpdf]") {
  if (!testing::has_pdftotext() || !certpdf::check_font("IPAmjMincho")) {
    testing::skip_test("pdftotext or IPAmj Mincho missing");
    return;
  }
  testing::TempDir dir;
  std::string pdf;
  const auto text = render_to_text(household(9, "東京都千代田区一番町1番地"), dir, &pdf);
  for (int i = 1; i <= 9; ++i) CHECK(text.find("城　" + std::to_string(i) + "郎") != std::string::npos);
  CHECK(text.find("住民票の写し（続き）") != std::string::npos);
  for (const char* folio : {"1　/　3", "2　/　3", "3　/　3"}) CHECK(text.find(folio) != std::string::npos);
}

TEST_CASE("certpdf: an impression that is not a PNG is refused", "[certpdf]") {
  auto d = household(1, "東京都千代田区一番町1番地");
  d.seal_png = "GIF89a...";
  auto pdf = certpdf::render_certificate(d, {});
  REQUIRE_FALSE(pdf);
  CHECK(pdf.error().code == Errc::malformed);
}
