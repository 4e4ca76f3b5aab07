// madoguchi-sim residents: a generated town's linkage files (sim/town_generator.h), for the demo,
// the tests and madoguchi-bench linkage.
#include <charconv>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>

#include "commands.h"
#include "madoguchi/sim/town_generator.h"

namespace madoguchi::sim::cli {

namespace {

constexpr std::string_view kUsage =
    "usage: madoguchi-sim residents --out DIR [--people N] [--seed S] [--as-of YYYY-MM-DD]\n"
    "                               [--days D] [--changes-per-day K] [--rows-per-file R] [--part-rows P]\n"
    "                               [--encoding utf-8|cp932] [--code-table NAME] [--run-id ID]\n"
    "                               [--no-seal-images] [--deltas-only] [--reconcile RUN]\n"
    "                               [--card-holders FILE] [--card-holder-count N]\n"
    "\n"
    "Writes a generated town of N people (default 1000) as the core systems would deliver it\n"
    "(docs/formats/linkage-records.md): DIR/resident, DIR/seal (with impression PNGs) and DIR/tax,\n"
    "first the full copy as of --as-of (default 2026-12-01) in parts of P rows (default 50000),\n"
    "then D days (default 0) of changes, K a day (default 20), in delta files of R rows (default 5).\n"
    "Files are written under a dot name and renamed, in delivery order, so DIR may be the linkage\n"
    "agent's inbox. In cp932, family names with characters outside CP932 or Moji_Joho IVS variants\n"
    "are vendor external characters; DIR/gaiji-<code table>.tsv lists them. Every name, number and\n"
    "address is generated. --no-seal-images writes no seal files (each registration needs its\n"
    "impression). --reconcile RUN then writes DIR/reconcile: the core systems' extract of every\n"
    "current record for reconciliation, as of the last delta (run id RUN). --card-holders FILE\n"
    "writes N (default 40) current residents as TSV for the counter's sample cards and bookings\n"
    "(madoguchi-sim jlis --people-from FILE). Prints a JSON summary.\n";

int usage_error(std::string_view message) {
  std::cerr << "madoguchi-sim residents: " << message << "\n\n" << kUsage;
  return 2;
}

template <class T>
bool number(std::string_view v, T& out) {
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && end == v.data() + v.size();
}

}  // namespace

int run_residents(Args args) {
  TownOptions o;
  std::string out;
  std::string holders_file;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (a == "--no-seal-images") {
      o.seal_images = false;
      continue;
    }
    if (a == "--deltas-only") {
      o.full = false;
      continue;
    }
    if (i + 1 >= args.size()) return usage_error(std::string(a) + " needs a value");
    const std::string_view v = args[++i];
    bool ok = true;
    if (a == "--out") {
      out = std::string(v);
    } else if (a == "--people") {
      ok = number(v, o.people);
    } else if (a == "--seed") {
      ok = number(v, o.seed);
    } else if (a == "--days") {
      ok = number(v, o.delta_days) && o.delta_days <= 3660;
    } else if (a == "--changes-per-day") {
      ok = number(v, o.changes_per_day) && o.changes_per_day <= 1'000'000;
    } else if (a == "--rows-per-file") {
      ok = number(v, o.rows_per_delta_file) && o.rows_per_delta_file >= 1 && o.rows_per_delta_file <= 200'000;
    } else if (a == "--part-rows") {
      ok = number(v, o.part_rows);
    } else if (a == "--as-of") {
      auto d = calendar::parse_iso(v);
      ok = d.has_value();
      if (d) o.as_of = *d;
    } else if (a == "--encoding") {
      ok = v == "utf-8" || v == "cp932";
      o.encoding = v == "cp932" ? text::Encoding::cp932 : text::Encoding::utf8;
    } else if (a == "--code-table") {
      o.code_table = std::string(v);
    } else if (a == "--run-id") {
      o.run_id = std::string(v);
    } else if (a == "--reconcile") {
      o.reconcile_run = std::string(v);
    } else if (a == "--card-holders") {
      holders_file = std::string(v);
      if (o.card_holders == 0) o.card_holders = 40;
    } else if (a == "--card-holder-count") {
      ok = number(v, o.card_holders) && o.card_holders > 0;
    } else {
      return usage_error("unknown option " + std::string(a));
    }
    if (!ok) return usage_error("bad value for " + std::string(a));
  }
  if (out.empty()) return usage_error("--out is required");
  if (holders_file.empty()) o.card_holders = 0;
  auto s = write_town(o, out);
  if (!s) {
    std::cerr << "madoguchi-sim residents: " << s.error().describe() << "\n";
    return s.error().code == Errc::invalid_argument ? 2 : 1;
  }
  if (!holders_file.empty()) {
    std::ofstream f(holders_file, std::ios::binary | std::ios::trunc);
    f << card_holders_tsv(s->card_holders);
    if (!f.flush()) {
      std::cerr << "madoguchi-sim residents: cannot write " << holders_file << "\n";
      return 1;
    }
  }
  std::cout << "{\"residents\":" << s->residents << ",\"households\":" << s->households << ",\"foreign\":" << s->foreign
            << ",\"support\":" << s->support << ",\"gaiji_people\":" << s->gaiji_people << ",\"seals\":" << s->seals
            << ",\"tax_rows\":" << s->tax_rows << ",\"non_taxable\":" << s->non_taxable << ",\"full_files\":" << s->full_files
            << ",\"delta_files\":" << s->delta_files << ",\"delta_rows\":" << s->delta_rows
            << ",\"reconcile_files\":" << s->reconcile_files << "}\n";
  return 0;
}

}  // namespace madoguchi::sim::cli
