// Subcommands of madoguchi-sim. Each takes the arguments after its own name and returns the
// process exit code: 0 success, 1 runtime failure, 2 usage error. Each prints its own usage
// for --help. New simulators (jlis, ...) add a function here and a row in main.cc's table.
#pragma once

#include <span>
#include <string_view>

namespace madoguchi::sim::cli {

using Args = std::span<const std::string_view>;

// madoguchi-sim proxy: runs a FaultProxy (and optionally its control server) until SIGINT/SIGTERM.
int run_proxy(Args args);

// madoguchi-sim proxy-ctl: sends one control command and prints the answer.
int run_proxy_ctl(Args args);

// madoguchi-sim jlis: writes a simulated J-LIS issuance target list (payloads, pages, expected).
int run_jlis(Args args);

// madoguchi-sim sample-masters: sample counters, slots and notices for the hub (the demo).
int run_sample_masters(Args args);

// madoguchi-sim residents: a generated town's resident, seal and tax linkage files (issue 12).
int run_residents(Args args);

// madoguchi-sim jpki: the simulated public personal authentication service (issue 13, KON-2).
int run_jpki(Args args);

// madoguchi-sim kiosk: a convenience-store kiosk and the issuing center (issue 13, KON-3).
int run_kiosk(Args args);

}  // namespace madoguchi::sim::cli
