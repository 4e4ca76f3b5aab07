// `madoguchi-bench counter`: the counter PC's card work measured in-process, on the real code
// paths the 交付管理 screens use (ISS-1, ISS-5, ISS-6, ISS-7, ISS-13), in one run on one machine.
// Figures and goals: docs/performance.md ("Counter work").
//
//   counter.import_seconds          s        J-LIS payloads of --people persons as the import screen
//                                            takes them: parse, convert, the checks of ISS-2 per code
//                                            and per commit, save_import per --commit-codes codes
//   counter.import_rate             cards/s  the same as a rate
//   counter.import_missing          cards    cards of the import not found afterwards; must be 0
//   counter.load_seconds            s        --cards cards written as Card values (setup, context)
//   counter.index_build_seconds     s        the search index built once over all of them
//   counter.search_<kind>_ms        ms       p99 of one kind of query of the mix (p50, max, total)
//   counter.search_p50/_p99/_max    ms       the whole mix; goal p99 < 20 ms
//   counter.export_csv_utf8_seconds s        --rows rows as CSV with BOM, as the console builds it
//   counter.export_csv_cp932_seconds s       the same in CP932
//   counter.export_xlsx_seconds     s        the same rows as .xlsx through xlsx::SheetWriter
//                                            (each export also: rows/s, bytes, peak RSS growth)
//   counter.decode_page_ms          ms       imaging::decode_qr_page per page, ratio to ZXing alone
//   counter.decode_code_ms          ms       the same per code
//   counter.decode_png_load_ms      ms       stb_image alone (PNG -> grey) per page
//   counter.decode_codes_missing    codes    codes on the pages not found, or found with other
//                                            bytes; must be 0
#pragma once

#include "bench.h"

namespace madoguchi::bench {

// Returns the process exit code (1 when a correctness counter is not 0).
int run_counter(const Args& args, Reporter& out);

}  // namespace madoguchi::bench
