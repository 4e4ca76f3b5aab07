// madoguchi-bench portal: the citizen booking site served by the real hub process over HTTPS
// (docs/performance.md, "The citizen site"): slot-page throughput and latency next to nginx serving
// a static copy of the same page, and a booking rush verified against the hub's database.
#pragma once

#include "bench.h"

namespace madoguchi::bench {

// Exit code 0 when the rush's result is exact (accepted bookings == places, none over capacity,
// every accepted receipt in the hub's database); 1 otherwise.
int run_portal(const Args& args, Reporter& out);

}  // namespace madoguchi::bench
