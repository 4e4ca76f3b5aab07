// The text of a PDF as a reader extracts it (poppler's pdftotext), for tests that check what a
// certificate says from its bytes (issue 13). nullopt when pdftotext is not installed (the test
// reports itself skipped) or cannot read the file.
#pragma once

#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

namespace madoguchi::testing {

inline bool has_pdftotext() { return std::filesystem::exists("/usr/bin/pdftotext"); }

// What a command printed on stdout; nullopt when it cannot run or exits non-zero.
inline std::optional<std::string> command_output(const std::string& cmd) {
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return std::nullopt;
  std::string out;
  char buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  if (::pclose(p) != 0) return std::nullopt;
  return out;
}

// `tool` is "pdftotext" (text in content order) or "pdffonts" (the fonts and whether embedded).
inline std::optional<std::string> run_pdf_tool(const std::string& tool, const std::filesystem::path& pdf) {
  return command_output(tool == "pdftotext" ? "/usr/bin/pdftotext -raw -enc UTF-8 '" + pdf.string() + "' - 2>/dev/null"
                                            : "/usr/bin/pdffonts '" + pdf.string() + "' 2>/dev/null");
}

inline std::optional<std::string> pdf_text(const std::filesystem::path& pdf) { return run_pdf_tool("pdftotext", pdf); }

inline bool has_pdftoppm() { return std::filesystem::exists("/usr/bin/pdftoppm"); }

// The PDF's first page as a PNG at `dpi` (poppler's pdftoppm; without an output root it writes the
// PNG to stdout), as a printer or a phone's camera would see it; nullopt when pdftoppm is missing
// or fails.
inline std::optional<std::string> pdf_page_png(const std::filesystem::path& pdf, int dpi = 200) {
  auto png = command_output("/usr/bin/pdftoppm -r " + std::to_string(dpi) + " -png -singlefile -f 1 -l 1 '" + pdf.string() + "' 2>/dev/null");
  if (!png || png->empty()) return std::nullopt;
  return png;
}

}  // namespace madoguchi::testing
