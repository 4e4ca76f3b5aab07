// Excel workbooks of one sheet (ISS-7: the card list as an Excel workbook), written with
// libxlsxwriter (Debian libxlsxwriter-dev, pkg-config "xlsxwriter"), which stays inside the .cc.
//
// A SheetWriter takes a sheet name, a header row and then data rows pushed one at a time, and
// finishes into the file's bytes or into a file. Every cell is written as TEXT (never a number or
// a date), so codes keep their leading zeros (製造番号 0123…, 受付番号 0001) and Excel shows what
// the CSV export says. The header is bold and frozen (it stays in view while scrolling), has an
// autofilter, and each column is as wide as its longest cell (East Asian characters count double),
// within 6-60 characters.
//
// Memory: libxlsxwriter's constant_memory mode writes each row to a temporary file as soon as the
// next one starts, so 300,000 rows take the memory of one row (plus the column widths). The
// workbook and libxlsxwriter's temporary files live in the caller-given work directory (files
// created 0600, removed when the writer finishes or is destroyed): give it a directory on disk,
// not a RAM-backed /tmp, and one only the service can read (the rows are personal data).
//
// Bounds: at most kMaxRows rows including the header (Excel's 1,048,576), kMaxColumns columns, a
// cell at most kMaxCellBytes bytes (Excel's 32,767 characters, counted in bytes here), and at most
// kMaxSheetBytes of cell text plus per-cell overhead (the sheet's XML must stay under ZIP's 4 GiB
// without ZIP64). Errors: invalid_argument for a bad sheet name, a row longer than the header or
// a cell that is not valid UTF-8 (naming row and column, never the text); too_large past a bound;
// io when a file cannot be written or read. After an error from add_row the writer can still
// finish with the rows written before; after finish it refuses everything.
// Not thread-safe: one writer per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/error.h"

namespace madoguchi::xlsx {

inline constexpr std::size_t kMaxRows = 1'048'576;
inline constexpr std::size_t kMaxColumns = 16'384;
inline constexpr std::size_t kMaxCellBytes = 32'767;
inline constexpr std::uint64_t kMaxSheetBytes = 3ULL * 1024 * 1024 * 1024;

class SheetWriter {
 public:
  // Starts a workbook with one sheet named `sheet_name` (1-31 characters, none of []:*?/\ and not
  // starting or ending with ') whose first row is `header` (1..kMaxColumns cells).
  static Expected<std::unique_ptr<SheetWriter>> create(const std::filesystem::path& work_dir,
                                                       std::string_view sheet_name,
                                                       const std::vector<std::string>& header);
  ~SheetWriter();
  SheetWriter(const SheetWriter&) = delete;
  SheetWriter& operator=(const SheetWriter&) = delete;

  // Appends one row (at most as many cells as the header; empty cells stay empty).
  Status add_row(const std::vector<std::string>& cells);
  // Data rows written so far (the header not counted).
  std::size_t rows() const noexcept;

  // Closes the workbook and returns the .xlsx bytes; the temporary file is removed.
  Expected<std::string> finish_bytes();
  // Closes the workbook and moves it to `path` (replacing a file there).
  Status finish_to(const std::filesystem::path& path);

 private:
  struct Impl;
  explicit SheetWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace madoguchi::xlsx
