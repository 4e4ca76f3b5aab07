// libFuzzer target: the linkage files of the core systems (docs/formats/linkage-records.md),
// parse_linkage_file on arbitrary bytes (what a vendor's system, or anyone on the server room's
// network share, may drop into the inbox). Properties:
//   - it never throws and never accepts more than kMaxLinkageRows rows;
//   - a refusal has a message that starts with the line it names ("<n>行目") or says the file is
//     too large, and quotes no field of the input;
//   - an accepted file's rows each have a field per column, lines strictly increasing from 3,
//     consecutive 連携番号, a change of A/M/D (delta) or F (full), and the trailer's SHA-256;
//   - written again in UTF-8 from what was read, it reads back to the same rows.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "madoguchi/domain/linkage_file.h"
#include "madoguchi/text/csv.h"

namespace {

namespace d = madoguchi::domain;
namespace t = madoguchi::text;

void check(bool condition) {
  if (!condition) std::abort();
}

void check_file(const d::LinkageFile& f) {
  check(f.rows.size() <= d::kMaxLinkageRows);
  check(f.sha256.size() == 64);
  std::size_t last_line = 2;
  for (std::size_t i = 0; i < f.rows.size(); ++i) {
    const d::LinkageRow& r = f.rows[i];
    check(r.fields.size() == f.columns.size());
    check(r.line > last_line);
    last_line = r.line;
    if (i > 0) check(r.seq == f.rows[i - 1].seq + 1);
    check(f.full ? r.change == 'F' : (r.change == 'A' || r.change == 'M' || r.change == 'D'));
  }
  // The same content written again, in UTF-8, reads back to the same rows.
  t::CsvRows rows;
  for (const auto& r : f.rows) {
    t::CsvRow cells;
    for (const auto& [name, value] : r.fields) cells.push_back(value);
    rows.push_back(std::move(cells));
  }
  const std::string names = t::write_csv({f.columns}, false);
  const std::string data = f.rows.empty() ? std::string() : t::write_csv(rows, false);
  const std::string again = "#madoguchi-linkage,1," + std::string(d::linkage_kind_name(f.kind)) + "," + f.source + ",utf-8," +
                            f.code_table + "," + (f.full ? "full" : "delta") + "," + f.run_id + "\r\n" + names + data +
                            d::linkage_trailer(f.rows.size(), data) + "\r\n";
  auto reread = d::parse_linkage_file(again);
  check(reread.ok());
  check(reread->rows.size() == f.rows.size());
  for (std::size_t i = 0; i < f.rows.size(); ++i) check(reread->rows[i].fields == f.rows[i].fields);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto f = d::parse_linkage_file(bytes);
  if (f) {
    check_file(*f);
  } else {
    const std::string& m = f.error().message;
    check(!m.empty());
    check(m.find("行目") != std::string::npos || m.find("ファイルが大きすぎます") == 0 || m.find("1ファイル") == 0);
  }
  return 0;
}
