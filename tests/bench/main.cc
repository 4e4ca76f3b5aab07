// madoguchi-bench: benchmarks of the real system on this machine. One JSON object per line on
// stdout ({"metric", "value", "unit"[, "baseline", "ratio"]}), logs on stderr.
//
//   madoguchi-bench sync [--ops N] [--quick] [--bin DIR]
//   madoguchi-bench counter [--people N] [--cards N] [--rows N] [--pages N] [--quick]
//   madoguchi-bench portal [--connections 64,256] [--seconds N] [--attempts N] [--places N] [--quick]
//   madoguchi-bench linkage [--people N] [--burst-changes N] [--quick]
//   madoguchi-bench konbini [--people N] [--kiosks N] [--cards N] [--seconds S] [--quick]
//
// Subcommands live in the table below, one function each.
#include <array>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "bench.h"
#include "counter_bench.h"
#include "konbini_bench.h"
#include "linkage_bench.h"
#include "portal_bench.h"
#include "sync_bench.h"

namespace {

using madoguchi::bench::Args;
using madoguchi::bench::Reporter;

struct Command {
  std::string_view name;
  std::string_view usage;  // arguments after the name
  std::string_view summary;
  int (*run)(const Args&, Reporter&);
};

constexpr std::array kCommands = {
    Command{"sync", "[--ops N] [--tx-ops N] [--backlog N] [--commit-ms N] [--replay-ops N] [--quick] [--bin DIR]",
            "edge -> hub throughput vs raw MQTT, edge-to-edge latency, outage replay, idle memory",
            &madoguchi::bench::run_sync},
    Command{"counter", "[--people N] [--commit-codes N] [--cards N] [--search-reps N] [--rows N] [--pages N] [--quick]",
            "the counter's card work in-process: J-LIS import, search over many cards, CSV/Excel export, page decode",
            &madoguchi::bench::run_counter},
    Command{"portal",
            "[--connections N,N] [--seconds N] [--places N] [--slots N] [--attempts N] [--concurrency N] [--counters N] "
            "[--seed-bookings N] [--quick] [--bin DIR] [--nginx PATH]",
            "the citizen site over HTTPS at the real hub: slot page vs nginx static, booking rush verified in the database",
            &madoguchi::bench::run_portal},
    Command{"linkage", "[--people N] [--burst-changes N] [--quick] [--bin DIR]",
            "a generated town through the linkage agent to the hub's certificate database: initial copy vs sqlite3, delta latency",
            &madoguchi::bench::run_linkage},
    Command{"konbini", "[--people N] [--kiosks N] [--cards N] [--seconds S] [--quick] [--bin DIR]",
            "convenience-store issuance at concurrent kiosks through the real hub: latency, certificates/s, wrong subjects",
            &madoguchi::bench::run_konbini},
};

// Flags (options without a value) of every subcommand.
const std::vector<std::string_view> kFlags = {"quick"};

void usage(std::ostream& os) {
  os << "usage: madoguchi-bench COMMAND [options]\n\ncommands:\n";
  for (const auto& c : kCommands) os << "  " << c.name << " " << c.usage << "\n      " << c.summary << "\n";
  os << "\n--quick uses small sizes (a smoke test: the figures mean nothing).\n"
        "--bin DIR (sync) holds madoguchi-edge and madoguchi-hub (default: this executable's directory).\n"
        "Set MADOGUCHI_KEEP_TEST_DIRS=1 to keep the working directory (logs, databases).\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    usage(args.empty() ? std::cerr : std::cout);
    return args.empty() ? 2 : 0;
  }
  for (const auto& c : kCommands) {
    if (c.name != args[0]) continue;
    try {
      Args parsed = Args::parse({args.begin() + 1, args.end()}, kFlags);
      Reporter out;
      return c.run(parsed, out);
    } catch (const std::invalid_argument& e) {
      std::cerr << "madoguchi-bench " << c.name << ": " << e.what() << "\n";
      return 2;
    } catch (const std::exception& e) {
      std::cerr << "madoguchi-bench " << c.name << ": " << e.what() << "\n";
      return 1;
    }
  }
  std::cerr << "madoguchi-bench: unknown command '" << args[0] << "'\n";
  usage(std::cerr);
  return 2;
}
