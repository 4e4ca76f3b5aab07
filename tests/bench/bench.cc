#include "bench.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace madoguchi::bench {

namespace fs = std::filesystem;
using nlohmann::json;

Args Args::parse(const std::vector<std::string>& argv, const std::vector<std::string_view>& flags) {
  Args a;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg.rfind("--", 0) != 0) throw std::invalid_argument("unexpected argument '" + arg + "'");
    std::string name = arg.substr(2);
    if (std::find(flags.begin(), flags.end(), name) != flags.end()) {
      a.values_[name] = "";
    } else {
      if (i + 1 >= argv.size()) throw std::invalid_argument(arg + " needs a value");
      a.values_[name] = argv[++i];
    }
  }
  return a;
}

bool Args::flag(std::string_view name) const { return values_.find(name) != values_.end(); }

std::optional<std::string> Args::value(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::uint64_t Args::count(std::string_view name, std::uint64_t fallback, bool zero_ok) const {
  auto v = value(name);
  if (!v) return fallback;
  std::uint64_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size() || (n == 0 && !zero_ok)) {
    throw std::invalid_argument("--" + std::string(name) + " must be a " + (zero_ok ? "non-negative" : "positive") +
                                " integer, not '" + *v + "'");
  }
  return n;
}

void Args::only(const std::vector<std::string_view>& known) const {
  for (const auto& [name, v] : values_) {
    if (std::find(known.begin(), known.end(), name) == known.end()) throw std::invalid_argument("unknown option --" + name);
  }
}

void Reporter::line(const json& object) {
  std::cout << object.dump() << "\n";
  std::cout.flush();
}

namespace {
// Figures are rounded for reading; three significant decimals are more than any run repeats.
double rounded(double v) { return std::round(v * 1000.0) / 1000.0; }
}  // namespace

void Reporter::metric(std::string_view name, double value, std::string_view unit, json extra) {
  json j = {{"metric", name}, {"value", rounded(value)}, {"unit", unit}};
  for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
  line(j);
}

void Reporter::count(std::string_view name, std::uint64_t value, std::string_view unit, json extra) {
  json j = {{"metric", name}, {"value", value}, {"unit", unit}};
  for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
  line(j);
}

void Reporter::compared(std::string_view name, double value, std::string_view unit, double baseline, json extra) {
  json j = {{"metric", name}, {"value", rounded(value)}, {"unit", unit}, {"baseline", rounded(baseline)},
            {"ratio", baseline > 0 ? rounded(value / baseline) : 0.0}};
  for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
  line(j);
}

void log(std::string_view message) { std::cerr << "madoguchi-bench: " << message << "\n"; }

namespace {
bool has_executables(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "madoguchi-edge", ec) && fs::is_regular_file(dir / "madoguchi-hub", ec);
}
}  // namespace

fs::path resolve_bin_dir(const Args& args) {
  fs::path dir;
  if (auto v = args.value("bin")) {
    dir = *v;
  } else {
    std::error_code ec;
    fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (!ec && has_executables(self.parent_path())) {
      dir = self.parent_path();
    } else {
#ifdef MADOGUCHI_BIN_DIR
      dir = MADOGUCHI_BIN_DIR;
#endif
    }
  }
  if (dir.empty() || !has_executables(dir)) {
    throw std::runtime_error("no madoguchi-edge and madoguchi-hub in '" + dir.string() + "' (use --bin DIR)");
  }
  return fs::absolute(dir);
}

namespace {
std::string first_line_of(const fs::path& file) {
  std::ifstream in(file);
  std::string s;
  std::getline(in, s);
  return s;
}

// "key : value" lines (/proc/cpuinfo) or "Key:   value unit" lines (/proc/meminfo, status).
std::optional<std::string> proc_field(const fs::path& file, std::string_view key) {
  std::ifstream in(file);
  std::string l;
  while (std::getline(in, l)) {
    auto colon = l.find(':');
    if (colon == std::string::npos) continue;
    std::string k = l.substr(0, colon);
    while (!k.empty() && (k.back() == ' ' || k.back() == '\t')) k.pop_back();
    if (k != key) continue;
    std::string v = l.substr(colon + 1);
    v.erase(0, v.find_first_not_of(" \t"));
    return v;
  }
  return std::nullopt;
}
}  // namespace

json machine_line() {
  double mem_gb = 0;
  if (auto v = proc_field("/proc/meminfo", "MemTotal")) mem_gb = std::stod(*v) / (1024.0 * 1024.0);
  std::string os = "Debian " + first_line_of("/etc/debian_version");
  // Other work on the machine skews every figure; the load average at the start says if there was any.
  double load = 0;
  std::istringstream(first_line_of("/proc/loadavg")) >> load;
  return {{"metric", "machine"},
          {"cpus", std::thread::hardware_concurrency()},
          {"model", proc_field("/proc/cpuinfo", "model name").value_or("unknown")},
          {"memory_gb", std::round(mem_gb * 10) / 10},
          {"os", os},
          {"compiler", std::string("g++ ") + __VERSION__},
          {"load_1m", load}};
}

std::optional<pid_t> find_process_with_arg(const std::string& arg) {
  const pid_t self = ::getpid();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    pid_t pid = 0;
    auto [p, e] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (e != std::errc() || p != name.data() + name.size() || pid == self) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::istringstream args(cmdline);
    std::string a;
    while (std::getline(args, a, '\0')) {
      if (a == arg) return pid;
    }
  }
  return std::nullopt;
}

std::optional<double> resident_mb(pid_t pid) {
  auto v = proc_field("/proc/" + std::to_string(pid) + "/status", "VmRSS");
  if (!v) return std::nullopt;
  return std::stod(*v) / 1024.0;  // "1234 kB"
}

std::optional<double> cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return std::nullopt;
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(stat.substr(close + 2));
  std::vector<std::string> f;
  std::string x;
  while (rest >> x) f.push_back(x);
  if (f.size() < 13) return std::nullopt;
  double ticks = std::stod(f[11]) + std::stod(f[12]);
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double percentile(std::vector<double> samples, double p) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(samples.size())));
  rank = std::clamp<std::size_t>(rank, 1, samples.size());
  return samples[rank - 1];
}

}  // namespace madoguchi::bench
