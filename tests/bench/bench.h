// What every madoguchi-bench subcommand shares: its arguments, the one-JSON-object-per-line
// report on stdout, where the executables are, and what /proc tells about the processes a
// benchmark started (resident memory, CPU time).
//
// Benchmarks measure; they never pass or fail on speed. Goals are written next to the figures in
// docs/performance.md, and the smoke test (bench_sync_quick) checks only that a run completes
// and reports correctness counters (lost, duplicated) of zero.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace madoguchi::bench {

// Arguments after the subcommand name: "--name value" pairs and bare flags ("--quick").
// Unknown or malformed arguments are refused by the subcommand (std::invalid_argument).
class Args {
 public:
  // Throws std::invalid_argument on a stray positional argument.
  static Args parse(const std::vector<std::string>& argv, const std::vector<std::string_view>& flags);
  bool flag(std::string_view name) const;
  std::optional<std::string> value(std::string_view name) const;
  // A positive integer value (or zero, if `zero_ok`), or `fallback` when absent. Throws
  // std::invalid_argument when malformed.
  std::uint64_t count(std::string_view name, std::uint64_t fallback, bool zero_ok = false) const;
  // Throws std::invalid_argument naming the first argument not in `known`.
  void only(const std::vector<std::string_view>& known) const;

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

// Writes one JSON object per line to stdout and flushes it, so a run cut short still leaves
// every figure measured so far. Logs go to stderr, never here.
class Reporter {
 public:
  void metric(std::string_view name, double value, std::string_view unit, nlohmann::json extra = nlohmann::json::object());
  // A count (lost, duplicated): printed as an integer.
  void count(std::string_view name, std::uint64_t value, std::string_view unit, nlohmann::json extra = nlohmann::json::object());
  // A figure next to a baseline measured in the same run: ratio = value / baseline.
  void compared(std::string_view name, double value, std::string_view unit, double baseline, nlohmann::json extra = nlohmann::json::object());
  void line(const nlohmann::json& object);
};

void log(std::string_view message);

// The directory holding madoguchi-edge and madoguchi-hub: `--bin DIR` if given; else the
// directory of this executable when it holds them (build/bin); else the build's bin directory
// compiled in. Throws std::runtime_error if the chosen directory lacks either executable.
std::filesystem::path resolve_bin_dir(const Args& args);

// {"metric":"machine", cpus, model, memory_gb, os, compiler, load_1m}: the context of every figure.
nlohmann::json machine_line();

// The first process (other than this one) whose command line has an argument equal to `arg`,
// e.g. an edge agent's config path. Processes are started by the Stack and only it knows their
// pids; the command line is the stable, public way to find them again.
std::optional<pid_t> find_process_with_arg(const std::string& arg);
// VmRSS in MiB, or nullopt if the process is gone.
std::optional<double> resident_mb(pid_t pid);
// User + system CPU seconds used so far, or nullopt if the process is gone.
std::optional<double> cpu_seconds(pid_t pid);

// Nearest-rank percentile (p in (0, 100]) of unsorted samples; 0 for no samples.
double percentile(std::vector<double> samples, double p);

using Clock = std::chrono::steady_clock;
inline double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

}  // namespace madoguchi::bench
