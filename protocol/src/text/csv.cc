#include "madoguchi/text/csv.h"

#include <algorithm>
#include <utility>

#include "iconv_converter.h"

namespace madoguchi::text {
namespace {

Error at(Errc code, std::size_t line, std::size_t column, std::string_view what) {
  std::string message = "line " + std::to_string(line) + ", column " + std::to_string(column) + ": ";
  message += what;
  return make_error(code, std::move(message));
}

// Line breaks (CRLF, LF or a lone CR) in bytes[0, end).
std::size_t count_line_breaks(std::string_view bytes, std::size_t end) {
  std::size_t breaks = 0;
  for (std::size_t i = 0; i < end; ++i) {
    if (bytes[i] == '\n' || (bytes[i] == '\r' && (i + 1 >= bytes.size() || bytes[i + 1] != '\n'))) ++breaks;
  }
  return breaks;
}

// Refuses NUL and invalid UTF-8 in a finished field that started on `line`. Line breaks inside
// the value are the input's own (quoting keeps them), so the offending byte's line is exact.
std::optional<Error> check_field_text(std::string_view field, std::size_t line, std::size_t column) {
  const std::size_t nul = field.find('\0');
  const std::optional<std::size_t> bad = first_invalid_utf8(field.substr(0, nul));
  if (bad) return at(Errc::malformed, line + count_line_breaks(field, *bad), column, "invalid UTF-8");
  if (nul != std::string_view::npos) return at(Errc::malformed, line + count_line_breaks(field, nul), column, "NUL byte");
  return std::nullopt;
}

// U+FF1D ＝, U+FF0B ＋, U+FF0D －, U+FF20 ＠ in UTF-8.
constexpr std::string_view kFullWidthFormulaStarts[] = {"\xEF\xBC\x9D", "\xEF\xBC\x8B", "\xEF\xBC\x8D", "\xEF\xBC\xA0"};

bool could_start_formula(std::string_view value) {
  if (value.empty()) return false;
  switch (value.front()) {
    case '=': case '+': case '-': case '@': case '\t': case '\r': return true;
    default: break;
  }
  return std::any_of(std::begin(kFullWidthFormulaStarts), std::end(kFullWidthFormulaStarts),
                     [&](std::string_view s) { return value.starts_with(s); });
}

void append_field(std::string& out, std::string_view value, bool excel_safe) {
  const bool guard = excel_safe && could_start_formula(value);
  const bool quote = value.find_first_of(",\"\r\n") != std::string_view::npos || (!guard && value.starts_with(kUtf8Bom));
  if (quote) out += '"';
  if (guard) out += '\'';
  if (quote) {
    for (char c : value) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
  } else {
    out += value;
  }
}

}  // namespace

Expected<CsvRows> parse_csv(std::string_view utf8_text, const CsvOptions& options) {
  if (utf8_text.size() > options.max_bytes) {
    return make_error(Errc::too_large, "CSV of " + std::to_string(utf8_text.size()) + " bytes exceeds the limit of " +
                                           std::to_string(options.max_bytes) + " bytes");
  }
  const std::string_view text = strip_utf8_bom(utf8_text);
  const std::size_t n = text.size();
  CsvRows rows;
  if (n == 0) return rows;

  CsvRow row;
  std::string field;
  std::size_t i = 0;
  std::size_t line = 1;         // physical line of text[i]
  std::size_t record_line = 1;  // line where the current record started
  for (;;) {
    // At the start of a field.
    const std::size_t column = row.size() + 1;
    const std::size_t field_line = line;
    if (column > options.max_fields) {
      return at(Errc::too_large, line, column, "more than " + std::to_string(options.max_fields) + " fields in a record");
    }
    field.clear();
    if (i < n && text[i] == '"') {  // i == n after a trailing ','
      ++i;
      for (;;) {
        // Checked before every character, escaped quotes included (a field of "" pairs once
        // grew past the bound: found by fuzz_csv).
        if (field.size() > options.max_field_bytes) {
          return at(Errc::too_large, field_line, column,
                    "field longer than " + std::to_string(options.max_field_bytes) + " bytes");
        }
        if (i >= n) return at(Errc::malformed, field_line, column, "unterminated quoted field");
        const char c = text[i];
        if (c == '"') {
          if (i + 1 < n && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        if (c == '\n' || (c == '\r' && (i + 1 >= n || text[i + 1] != '\n'))) ++line;
        field += c;
        ++i;
      }
      if (field.size() > options.max_field_bytes) {
        return at(Errc::too_large, field_line, column,
                  "field longer than " + std::to_string(options.max_field_bytes) + " bytes");
      }
      if (i < n && text[i] != ',' && text[i] != '\r' && text[i] != '\n') {
        return at(Errc::malformed, line, column, "unexpected character after the closing quote");
      }
    } else {
      std::size_t end = text.find_first_of(",\r\n\"", i);
      if (end == std::string_view::npos) end = n;
      if (end < n && text[end] == '"') {
        return at(Errc::malformed, line, column, "quote inside an unquoted field (quote the whole field)");
      }
      if (end - i > options.max_field_bytes) {
        return at(Errc::too_large, line, column, "field longer than " + std::to_string(options.max_field_bytes) + " bytes");
      }
      field.assign(text.substr(i, end - i));
      i = end;
    }
    if (auto bad = check_field_text(field, field_line, column)) return *bad;
    row.push_back(field);

    // After a field: ',', a line break or the end.
    if (i < n && text[i] == ',') {
      ++i;
      continue;
    }
    if (rows.size() >= options.max_rows) {
      return at(Errc::too_large, record_line, 1, "more than " + std::to_string(options.max_rows) + " records");
    }
    rows.push_back(std::move(row));
    row.clear();
    if (i >= n) break;
    if (text[i] == '\r' && i + 1 < n && text[i + 1] == '\n') ++i;
    ++i;
    ++line;
    record_line = line;
    if (i >= n) break;  // the newline after the last record is optional
  }
  return rows;
}

Expected<CsvRows> read_csv_bytes(std::string_view bytes, std::optional<Encoding> forced, const CsvOptions& options) {
  if (bytes.size() > options.max_bytes) {
    return make_error(Errc::too_large, "CSV file of " + std::to_string(bytes.size()) + " bytes exceeds the limit of " +
                                           std::to_string(options.max_bytes) + " bytes");
  }
  const Encoding encoding = forced.value_or(detect_encoding(bytes));
  if (encoding == Encoding::utf8) return parse_csv(bytes, options);
  auto decoded = cp932_to_utf8(bytes);
  if (!decoded) return decoded.error().with_context("reading CSV as CP932");
  return parse_csv(*decoded, options);
}

std::string write_csv(const CsvRows& rows, bool excel_safe) {
  std::string out;
  for (const CsvRow& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c > 0) out += ',';
      append_field(out, row[c], excel_safe);
    }
    out += "\r\n";
  }
  return out;
}

Expected<std::string> to_excel_csv(const CsvRows& rows, Encoding encoding) {
  auto where = [](std::size_t r, std::size_t c, std::string_view what) {
    return make_error(Errc::malformed,
                      "row " + std::to_string(r + 1) + ", column " + std::to_string(c + 1) + ": " + std::string(what));
  };
  for (std::size_t r = 0; r < rows.size(); ++r) {
    for (std::size_t c = 0; c < rows[r].size(); ++c) {
      if (!valid_utf8(rows[r][c])) return where(r, c, "invalid UTF-8");
    }
  }
  if (encoding == Encoding::utf8) return std::string(kUtf8Bom) + write_csv(rows, true);

  // Separators, quotes and the apostrophe are ASCII and identical in CP932, so cells are encoded
  // one at a time: the failing cell is then known without searching the output.
  auto converter = detail::IconvConverter::open("CP932", "UTF-8");
  if (!converter) return converter.error();
  std::string out;
  std::string cell;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    for (std::size_t c = 0; c < rows[r].size(); ++c) {
      if (c > 0) out += ',';
      cell.clear();
      append_field(cell, rows[r][c], true);
      if (converter->convert(cell, out).has_value()) return where(r, c, "character not representable in CP932");
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace madoguchi::text
