// `madoguchi-bench linkage`: the linkage route measured end to end through real processes (the
// mosquitto broker with TLS, the hub, the linkage agent of municipality 131016 reading its inbox),
// with a generated town (madoguchi-sim residents). Figures and goals: docs/performance.md.
//
//   linkage.initial_seconds       s   the resident full copy (--people, 300,000), first file in the
//                                     inbox -> every resident queryable in the hub's certificate
//                                     database; baseline = sqlite3's own .import of the same rows
//   linkage.initial_rows_per_s    rows/s  the same, as a rate
//   linkage.delta_latency_p50_ms  ms  a delta file renamed into the inbox -> its last row queryable
//   linkage.delta_latency_p99_ms      at the hub; "phase": "steady" (one file every 2 s) and
//                                     "burst" (a move-in season day's changes in one hour, x10)
//   linkage.lost / .duplicated    rows  must be 0: every delivered row applied once, every
//                                     person's record the last row delivered for them
#pragma once

#include "bench.h"

namespace madoguchi::bench {

int run_linkage(const Args& args, Reporter& out);

}  // namespace madoguchi::bench
