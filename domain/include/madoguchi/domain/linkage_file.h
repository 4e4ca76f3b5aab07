// A linkage file (docs/formats/linkage-records.md, version 1) checked whole before anything of it is
// applied (LNK-1..LNK-4): the header line (kind, source, encoding, code table, full or delta), the
// column names of its kind, the trailer (row count and SHA-256 of the data rows' bytes, so a
// truncated file is refused), and every row's fields (required ones present, dates, codes,
// amounts, the sequence numbers consecutive). Pure function, no I/O.
//
// Errors are Errc::malformed (or too_large) with a message for staff in Japanese that names the
// line and the column, never the data: "12行目 生年月日: 日付として読めません". The first error
// refuses the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "madoguchi/calendar/date.h"
#include "madoguchi/error.h"
#include "madoguchi/text/encoding.h"

namespace madoguchi::domain {

enum class LinkageKind { resident, seal, tax };
std::string_view linkage_kind_name(LinkageKind kind) noexcept;  // "resident", "seal", "tax"

inline constexpr std::size_t kMaxLinkageRows = 200'000;
inline constexpr std::size_t kMaxLinkageFileBytes = 64 * 1024 * 1024;

struct LinkageRow {
  std::size_t line = 0;        // the row's first physical line in the file (1-based)
  std::uint64_t seq = 0;       // 連携番号
  char change = 'A';           // 異動区分: 'A', 'M', 'D', or 'F' in a full copy
  std::string person;          // 宛名番号
  calendar::Date effective{};  // 異動日
  // Every column of the file by its name, as UTF-8 text (外字 of a CP932 file as U+E000..U+E757,
  // to be identified through the file's code table), the common columns included.
  std::vector<std::pair<std::string, std::string>> fields;

  // The field named `column`, or "" when the file has no such column.
  std::string_view field(std::string_view column) const;
};

struct LinkageFile {
  LinkageKind kind = LinkageKind::resident;
  std::string source;        // the core system, 1-16 of a-z A-Z 0-9 _ -
  text::Encoding encoding = text::Encoding::utf8;
  std::string code_table;    // the vendor's 外字対照表 (empty: the file has no external character)
  bool full = false;         // a full copy (全件) rather than a delta
  std::string run_id;        // a full copy's run
  // A full copy may state the delta 連携番号 of its source it reflects (as_of: every delta up to it
  // is in the copy, none after it) and which part of how many it is. A reconciliation extract
  // must (docs/formats/linkage-records.md, "Reconciliation"). 0 when not stated.
  std::uint64_t as_of = 0;
  std::uint32_t part = 0;
  std::uint32_t parts = 0;
  std::vector<std::string> columns;
  std::vector<LinkageRow> rows;
  std::string sha256;        // of the data rows' bytes, as the trailer states it
};

Expected<LinkageFile> parse_linkage_file(std::string_view bytes);

// An id column's value as the format allows it (宛名番号, 世帯番号, ...): 1-20 of 0-9 A-Z a-z _ -.
bool valid_linkage_id(std::string_view value) noexcept;

// Writes a whole linkage file (madoguchi-sim, tests, the benchmark): header line, the column
// names, the rows (UTF-8 cells, 外字 as U+E000..U+E757; encoded to the header's encoding) and the
// trailer, CRLF line ends. Errors: malformed when a cell cannot be carried in CP932 (names the
// row), invalid_argument for a source or run id outside the format's characters.
struct LinkageFileHeader {
  LinkageKind kind = LinkageKind::resident;
  std::string source;
  text::Encoding encoding = text::Encoding::utf8;
  std::string code_table;
  bool full = false;
  std::string run_id;
  std::uint64_t as_of = 0;   // with parts > 0: written as ",<as_of>,<part>/<parts>"
  std::uint32_t part = 0;
  std::uint32_t parts = 0;
};
Expected<std::string> write_linkage_file(const LinkageFileHeader& header, const std::vector<std::string>& columns,
                                         const std::vector<std::vector<std::string>>& rows);

// The trailer line for `data_rows` rows whose bytes (as they will stand in the file, each row with
// its line break) are `data_bytes`: "#end,<n>,<sha256>". For writers (madoguchi-sim, tests).
// The header line alone (the first line of `bytes`), checked as parse_linkage_file checks it: to
// sort and group files before reading them whole.
Expected<LinkageFileHeader> parse_linkage_header(std::string_view bytes);

std::string linkage_trailer(std::size_t data_rows, std::string_view data_bytes);

}  // namespace madoguchi::domain
