#include "madoguchi/xlsx/sheet_writer.h"

#include <fcntl.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include "madoguchi/text/encoding.h"

namespace madoguchi::xlsx {

namespace {
constexpr double kMinWidth = 6;
constexpr double kMaxWidth = 60;
constexpr std::uint64_t kCellOverhead = 64;  // XML around one inline string cell, generously

Error lxw(std::string_view what, lxw_error e) {
  return make_error(Errc::io, std::string(what) + ": " + lxw_strerror(e));
}

// Display width in Excel's character units: ASCII 1, anything else 2; the longest line counts.
std::size_t display_width(std::string_view s) {
  std::size_t widest = 0, width = 0;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      widest = std::max(widest, width);
      width = 0;
    } else if (c < 0x80) {
      width += 1;
    } else if ((c & 0xC0) != 0x80) {  // a lead byte starts a wide character
      width += 2;
    }
  }
  return std::max(widest, width);
}

std::string excel_column(std::size_t index) {  // 0 -> A
  std::string out;
  std::size_t n = index + 1;
  while (n > 0) {
    --n;
    out.insert(out.begin(), static_cast<char>('A' + n % 26));
    n /= 26;
  }
  return out;
}
}  // namespace

struct SheetWriter::Impl {
  std::filesystem::path work_dir;
  std::filesystem::path file;  // the workbook being written
  std::string tmpdir;          // kept alive for lxw_workbook_options
  lxw_workbook* workbook = nullptr;
  lxw_worksheet* sheet = nullptr;
  lxw_format* bold = nullptr;
  std::size_t columns = 0;
  std::size_t next_row = 0;  // the header is row 0
  std::uint64_t sheet_bytes = 0;
  std::vector<std::size_t> widths;
  bool finished = false;

  ~Impl() {
    if (workbook != nullptr) workbook_close(workbook);  // frees; the file is removed below
    if (!file.empty()) {
      std::error_code ec;
      std::filesystem::remove(file, ec);
    }
  }

  Status write_row(const std::vector<std::string>& cells, lxw_format* format) {
    if (finished) return make_error(Errc::invalid_argument, "xlsx: the workbook is already finished");
    if (next_row >= kMaxRows) {
      return make_error(Errc::too_large, "xlsx: a sheet holds at most " + std::to_string(kMaxRows) + " rows");
    }
    if (cells.size() > columns) {
      return make_error(Errc::invalid_argument, "xlsx: row " + std::to_string(next_row + 1) + " has " +
                                                    std::to_string(cells.size()) + " cells, the header " +
                                                    std::to_string(columns));
    }
    std::uint64_t bytes = 0;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::string& v = cells[c];
      const std::string where = "xlsx: row " + std::to_string(next_row + 1) + ", column " + excel_column(c);
      if (v.size() > kMaxCellBytes) {
        return make_error(Errc::too_large, where + ": a cell holds at most " + std::to_string(kMaxCellBytes) + " bytes");
      }
      if (!text::valid_utf8(v)) return make_error(Errc::invalid_argument, where + ": not valid UTF-8");
      if (v.find('\0') != std::string::npos) return make_error(Errc::invalid_argument, where + ": contains NUL");
      if (!v.empty()) bytes += v.size() + kCellOverhead;
    }
    if (sheet_bytes + bytes > kMaxSheetBytes) {
      return make_error(Errc::too_large, "xlsx: the sheet would be over " + std::to_string(kMaxSheetBytes) + " bytes");
    }
    const auto row = static_cast<lxw_row_t>(next_row);
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (cells[c].empty()) continue;
      const lxw_error e = worksheet_write_string(sheet, row, static_cast<lxw_col_t>(c), cells[c].c_str(), format);
      if (e != LXW_NO_ERROR) return lxw("xlsx: writing row " + std::to_string(next_row + 1), e);
      widths[c] = std::max(widths[c], display_width(cells[c]));
    }
    sheet_bytes += bytes;
    ++next_row;
    return {};
  }

  // Column widths, the filter over header and data; then closes the workbook.
  Status close() {
    if (finished) return make_error(Errc::invalid_argument, "xlsx: the workbook is already finished");
    finished = true;
    for (std::size_t c = 0; c < columns; ++c) {
      // A little room for the filter button of the header.
      const double w = std::clamp(static_cast<double>(widths[c]) + 3, kMinWidth, kMaxWidth);
      const auto col = static_cast<lxw_col_t>(c);
      if (auto e = worksheet_set_column(sheet, col, col, w, nullptr); e != LXW_NO_ERROR) {
        return lxw("xlsx: column width", e);
      }
    }
    if (auto e = worksheet_autofilter(sheet, 0, 0, static_cast<lxw_row_t>(next_row - 1),
                                      static_cast<lxw_col_t>(columns - 1));
        e != LXW_NO_ERROR) {
      return lxw("xlsx: autofilter", e);
    }
    const lxw_error e = workbook_close(workbook);
    workbook = nullptr;
    if (e != LXW_NO_ERROR) return lxw("xlsx: closing the workbook", e);
    return {};
  }
};

SheetWriter::SheetWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SheetWriter::~SheetWriter() = default;

Expected<std::unique_ptr<SheetWriter>> SheetWriter::create(const std::filesystem::path& work_dir,
                                                           std::string_view sheet_name,
                                                           const std::vector<std::string>& header) {
  if (header.empty() || header.size() > kMaxColumns) {
    return make_error(Errc::invalid_argument, "xlsx: the header must have 1-" + std::to_string(kMaxColumns) + " cells");
  }
  const std::string name(sheet_name);
  if (name.empty() || !text::valid_utf8(name)) {
    return make_error(Errc::invalid_argument, "xlsx: the sheet name must be non-empty UTF-8");
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(work_dir, ec)) {
    return make_error(Errc::io, "xlsx: work directory " + work_dir.string() + " does not exist");
  }

  auto impl = std::make_unique<Impl>();
  impl->work_dir = work_dir;
  impl->tmpdir = work_dir.string();
  // Reserve a name no one else has (0600); libxlsxwriter reopens it for writing.
  std::string pattern = (work_dir / "madoguchi-xlsx-XXXXXX.xlsx").string();
  const int fd = ::mkstemps(pattern.data(), 5);
  if (fd < 0) {
    return make_error(Errc::io, "xlsx: cannot create a file in " + work_dir.string() + ": " + std::strerror(errno));
  }
  ::close(fd);
  impl->file = pattern;

  lxw_workbook_options options{};
  options.constant_memory = LXW_TRUE;
  options.tmpdir = impl->tmpdir.data();
  options.use_zip64 = LXW_FALSE;
  impl->workbook = workbook_new_opt(impl->file.c_str(), &options);
  if (impl->workbook == nullptr) return make_error(Errc::io, "xlsx: cannot start a workbook");
  if (auto e = workbook_validate_sheet_name(impl->workbook, name.c_str()); e != LXW_NO_ERROR) {
    return make_error(Errc::invalid_argument, std::string("xlsx: sheet name: ") + lxw_strerror(e));
  }
  impl->sheet = workbook_add_worksheet(impl->workbook, name.c_str());
  if (impl->sheet == nullptr) return make_error(Errc::io, "xlsx: cannot add the sheet");
  impl->bold = workbook_add_format(impl->workbook);
  format_set_bold(impl->bold);
  worksheet_freeze_panes(impl->sheet, 1, 0);
  impl->columns = header.size();
  impl->widths.assign(header.size(), 0);
  if (auto st = impl->write_row(header, impl->bold); !st) return st.error();
  return std::unique_ptr<SheetWriter>(new SheetWriter(std::move(impl)));
}

Status SheetWriter::add_row(const std::vector<std::string>& cells) { return impl_->write_row(cells, nullptr); }

std::size_t SheetWriter::rows() const noexcept { return impl_->next_row - 1; }

Expected<std::string> SheetWriter::finish_bytes() {
  if (auto st = impl_->close(); !st) return st.error();
  std::ifstream in(impl_->file, std::ios::binary);
  if (!in) return make_error(Errc::io, "xlsx: cannot read back the workbook");
  std::ostringstream out;
  out << in.rdbuf();
  if (!in.good() && !in.eof()) return make_error(Errc::io, "xlsx: cannot read back the workbook");
  std::error_code ec;
  std::filesystem::remove(impl_->file, ec);
  impl_->file.clear();
  return std::move(out).str();
}

Status SheetWriter::finish_to(const std::filesystem::path& path) {
  if (auto st = impl_->close(); !st) return st;
  std::error_code ec;
  std::filesystem::rename(impl_->file, path, ec);
  if (ec) {  // another file system: copy, then the destructor removes the temporary file
    ec.clear();
    std::filesystem::copy_file(impl_->file, path, std::filesystem::copy_options::overwrite_existing, ec);
    if (ec) return make_error(Errc::io, "xlsx: cannot write " + path.string() + ": " + ec.message());
    return {};
  }
  impl_->file.clear();
  return {};
}

}  // namespace madoguchi::xlsx
