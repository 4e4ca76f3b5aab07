// CSV as Japanese offices exchange it with Excel: RFC 4180, UTF-8 (with or without BOM) or CP932.
// Pure functions, no I/O; the reader is fuzzed (tests/fuzz/fuzz_csv.cc).
//
// Reading (strict, bounded):
//  - Fields are separated by ',' and records by CRLF, LF or a lone CR (old Excel for Mac). The
//    newline after the last record is optional. An empty line is a record with one empty field.
//  - A field that starts with '"' is quoted: it runs to the next lone '"', "" inside stands for
//    one '"', and commas and line breaks inside are data (kept byte for byte: Excel writes a line
//    break inside a cell as LF). After the closing quote must come ',', a line break or the end.
//  - A '"' anywhere else (inside an unquoted field, or after spaces before a quoted one) is an
//    error, as is a NUL byte or invalid UTF-8.
//  - Records may have different numbers of fields; checking the shape is the caller's business.
//  - A leading UTF-8 BOM is skipped.
//  - Errors name where: "line 12, column 3: unterminated quoted field". Lines are physical lines
//    of the input (1-based; a line break inside a quoted field starts a new line). The column is
//    the 1-based position of the field in its record, as a spreadsheet numbers columns (A = 1),
//    not a character offset. An unterminated quoted field is reported where its quote opens.
//    Messages never quote the data.
//
// Writing: see write_csv.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/error.h"
#include "madoguchi/text/encoding.h"

namespace madoguchi::text {

using CsvRow = std::vector<std::string>;
using CsvRows = std::vector<CsvRow>;

// Bounds on what a reader accepts. Going over one is Errc::too_large.
struct CsvOptions {
  // The whole input, in bytes; for read_csv_bytes both the raw bytes and the decoded UTF-8 text
  // (CP932 half-width katakana grows 3x when decoded).
  std::size_t max_bytes = 64 * 1024 * 1024;
  // Fields in one record.
  std::size_t max_fields = 256;
  // Bytes in one field, after unquoting.
  std::size_t max_field_bytes = 64 * 1024;
  // Records in the input.
  std::size_t max_rows = 1'000'000;
};

// Parses UTF-8 CSV text into records of fields. Errors: malformed (broken quoting, NUL, invalid
// UTF-8), too_large (a bound in `options`), each naming the line and column.
Expected<CsvRows> parse_csv(std::string_view utf8_text, const CsvOptions& options = {});

// Decodes raw file bytes, then parses them. Without `forced`, the encoding is detected
// (detect_encoding: a BOM or valid UTF-8 means UTF-8, else CP932); `forced` = utf8 still skips a
// BOM. Errors: as parse_csv, plus malformed naming the byte offset of bytes that are not valid in
// the encoding, and too_large when `bytes` is over options.max_bytes.
Expected<CsvRows> read_csv_bytes(std::string_view bytes, std::optional<Encoding> forced = {},
                                 const CsvOptions& options = {});

// Writes records as CSV text: ',' between fields, CRLF after every record (the last included).
// A field is quoted when it contains ',', '"', CR or LF, or starts with a BOM (U+FEFF); '"' is
// doubled inside quotes. Bytes are written as given (the caller passes UTF-8).
//
// Formula-injection protection (`excel_safe`, on by default): Excel runs a cell that begins with
// '=', '+', '-' or '@' as a formula (and TAB or CR in front of one can hide it), so a value such
// as "=HYPERLINK(...)" typed into a form by anyone would become live in a staff member's Excel.
// With `excel_safe`, a field starting with one of = + - @ TAB CR gets a leading apostrophe ('),
// the marker that makes Excel treat the cell as text. As a precaution the full-width forms
// ＝ ＋ － ＠ (U+FF1D, U+FF0B, U+FF0D, U+FF20) are guarded too, since Japanese input methods
// produce them and we have not verified how every Excel version treats them; for real data
// (names, addresses) a cell rarely starts with one. Consequences: the apostrophe is part of the
// written text, so negative numbers ("-5") become text, and reading the file back (with
// parse_csv or a non-Excel tool) yields "'-5", not "-5". Use excel_safe = false for files meant
// for programs, never for files a person opens in Excel.
//
// A record with no fields is written as an empty line, which reads back as one empty field.
std::string write_csv(const CsvRows& rows, bool excel_safe = true);

// write_csv(rows, true), encoded for Excel: UTF-8 with a BOM (Excel needs the BOM to recognise
// UTF-8), or CP932 (what older Excel and many office tools expect; see encoding.h for the
// Microsoft mapping it uses). Errors: malformed naming the row and column (1-based) of the first
// cell that is invalid UTF-8 or has a character CP932 cannot represent, never the text.
Expected<std::string> to_excel_csv(const CsvRows& rows, Encoding encoding);

}  // namespace madoguchi::text
