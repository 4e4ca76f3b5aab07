// libFuzzer target: the linkage files of the core systems (docs/formats/linkage-records.md),
// parse_linkage_file on arbitrary bytes (what a vendor's system, or anyone on the server room's
// network share, may drop into the inbox). Properties:
//   - it never throws and never accepts more than kMaxLinkageRows rows;
//   - a refusal has a message that starts with the line it names ("<n>行目") or says the file is
//     too large, and quotes no field of the input;
//   - an accepted file's rows each have a field per column, lines strictly increasing from 3,
//     consecutive 連携番号, a change of A/M/D (delta) or F (full), and the trailer's SHA-256;
//   - written again in UTF-8 from what was read (write_linkage_file), it reads back to the same rows;
//   - read as a vendor's 外字対照表 (parse_vendor_code_table) it never throws, and every row it
//     accepts is a valid vendor code with one printable character; vendor codes round-trip;
//   - read as the bodies a linkage agent sends or the hub stores for reconciliation and re-requests
//     (linkage_digest, linkage_request, linkage_reconcile) it never throws, and what is accepted
//     is written back to the same body; the header alone (parse_linkage_header) agrees with the
//     whole file's.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "madoguchi/domain/gaiji.h"
#include "madoguchi/domain/linkage_file.h"
#include "madoguchi/domain/linkage_reconcile.h"
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
  auto again = d::write_linkage_file({f.kind, f.source, t::Encoding::utf8, f.code_table, f.full, f.run_id, f.as_of, f.part, f.parts},
                                     f.columns, rows);
  check(again.ok());
  auto reread = d::parse_linkage_file(*again);
  check(reread.ok());
  check(reread->rows.size() == f.rows.size());
  check(reread->as_of == f.as_of && reread->part == f.part && reread->parts == f.parts);
  for (std::size_t i = 0; i < f.rows.size(); ++i) check(reread->rows[i].fields == f.rows[i].fields);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto f = d::parse_linkage_file(bytes);
  if (f) {
    check_file(*f);
    auto header = d::parse_linkage_header(bytes);
    check(header.ok() && header->kind == f->kind && header->run_id == f->run_id && header->as_of == f->as_of && header->parts == f->parts);
  } else {
    const std::string& m = f.error().message;
    check(!m.empty());
    check(m.find("行目") != std::string::npos || m.find("ファイルが大きすぎます") == 0 || m.find("1ファイル") == 0);
  }
  // The same bytes as a vendor's 外字対照表 (the hub console's upload): never throws; what it
  // accepts is a valid vendor code and one printable character per row.
  if (auto table = d::parse_vendor_code_table(bytes)) {
    for (const auto& row : *table) {
      check(d::code_point_of_vendor_code(row.code).has_value());
      check(d::printable_single_character(row.text));
    }
  }
  // Vendor codes found in any text map back to their code points.
  for (const auto& code : d::vendor_codes_in(bytes)) check(d::vendor_code_of(*d::code_point_of_vendor_code(code)) == code);
  // The reconciliation and re-request bodies.
  if (auto digest = d::linkage_digest_from_body(bytes)) {
    check(digest->chunk >= 1 && digest->chunk <= digest->chunks && digest->entries.size() <= d::kDigestEntriesPerChunk);
    check(d::linkage_digest_from_body(d::linkage_digest_body(*digest)).ok());
    (void)d::LinkageComparison::start({*digest});
  }
  if (auto request = d::linkage_request_from_body("1:resident:x:1", bytes)) {
    check(!request->keys.empty() && request->keys.size() <= d::kMaxRequestKeys);
    check(d::linkage_request_from_body("1:resident:x:1", d::linkage_request_body(*request)).ok());
    (void)d::linkage_request_file(*request);
  }
  if (auto reconcile = d::linkage_reconcile_from_body(bytes)) check(d::linkage_reconcile_from_body(d::linkage_reconcile_body(*reconcile)).ok());
  return 0;
}
