// madoguchi-sim: simulators for tests and the demo. A thin dispatcher: each subcommand is one
// function in commands/, listed in the table below.
#include <array>
#include <iostream>
#include <string_view>
#include <vector>

#include "commands.h"

namespace {

using madoguchi::sim::cli::Args;

struct Subcommand {
  std::string_view name;
  std::string_view summary;
  int (*run)(Args args);
};

constexpr std::array<Subcommand, 7> kSubcommands{{
    {"proxy", "TCP fault proxy that cuts a link on purpose (pass/drop/blackhole/reset/delay)",
     &madoguchi::sim::cli::run_proxy},
    {"proxy-ctl", "send one command to a running proxy's control port and print the answer",
     &madoguchi::sim::cli::run_proxy_ctl},
    {"jlis", "J-LIS issuance target list: QR payloads, A4 page images and the expected decode",
     &madoguchi::sim::cli::run_jlis},
    {"sample-masters", "sample counters, slots and notices as records for the hub's POST /api/v1/{muni}/records",
     &madoguchi::sim::cli::run_sample_masters},
    {"residents", "a generated town's resident, seal and tax linkage files (full copy, then deltas)",
     &madoguchi::sim::cli::run_residents},
    {"jpki", "the public personal authentication service: a CA, cards with PINs, revocation (CRL and OCSP)",
     &madoguchi::sim::cli::run_jpki},
    {"kiosk", "a convenience-store kiosk and the issuing center asking the hub for a certificate",
     &madoguchi::sim::cli::run_kiosk},
}};

void print_help(std::ostream& out) {
  out << "usage: madoguchi-sim <subcommand> [options]\n"
         "       madoguchi-sim <subcommand> --help\n\n"
         "subcommands:\n";
  for (const Subcommand& sub : kSubcommands) {
    out << "  " << sub.name;
    for (std::size_t pad = sub.name.size(); pad < 16; ++pad) out << ' ';
    out << sub.summary << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.empty()) {
    print_help(std::cerr);
    return 2;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_help(std::cout);
    return 0;
  }
  for (const Subcommand& sub : kSubcommands) {
    if (sub.name == args[0]) return sub.run(Args(args).subspan(1));
  }
  std::cerr << "madoguchi-sim: unknown subcommand '" << args[0] << "'\n\n";
  print_help(std::cerr);
  return 2;
}
