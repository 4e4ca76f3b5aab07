#include "linkage_bench.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <thread>

#include "madoguchi/domain/linkage_file.h"
#include "madoguchi/domain/linkage_reconcile.h"
#include "madoguchi/domain/linkage_record.h"
#include "madoguchi/sim/town_generator.h"
#include "madoguchi/sqlite/sqlite.h"
#include "stack.h"
#include "temp_dir.h"

namespace madoguchi::bench {

namespace fs = std::filesystem;
namespace d = madoguchi::domain;
using testing::Stack;
using namespace std::chrono_literals;

namespace {

const std::string kMuni = "131016";
const std::string kAgent = "131016.linkage";

struct Plan {
  std::size_t people = 300'000;
  std::size_t steady_files = 30;         // one every steady_every
  std::chrono::milliseconds steady_every{2000};
  std::size_t burst_changes = 3000;      // a move-in season day of a city this size
  std::chrono::seconds burst_window{360};  // its hour, ten times faster
  std::chrono::seconds deadline{600};
};

Plan plan_from(const Args& args) {
  Plan p;
  if (args.flag("quick")) {
    p.people = 3000;
    p.steady_files = 5;
    p.steady_every = 300ms;
    p.burst_changes = 200;
    p.burst_window = 4s;
    p.deadline = 120s;
  }
  p.people = args.count("people", p.people);
  p.burst_changes = args.count("burst-changes", p.burst_changes);
  return p;
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

template <class T>
T need(Expected<T> e, const std::string& what) {
  if (!e) throw std::runtime_error(what + ": " + e.error().describe());
  return std::move(*e);
}

// Reads the hub's certificate database read-only while the hub writes it.
class CertReader {
 public:
  explicit CertReader(const fs::path& db)
      : db_(need(sqlite::Db::open(db, {.read_only = true}), "opening " + db.string())),
        count_(need(db_.prepare("SELECT count(*) FROM records WHERE entity = 'resident' AND deleted = 0"), "count")),
        seq_(need(db_.prepare("SELECT json_extract(body, '$.seq') FROM records WHERE entity = 'resident' AND key = ?1 "
                               "AND json_extract(body, '$.run') = ''"),
                   "seq")) {}
  std::uint64_t residents() {
    auto row = need(count_.step(), "count");
    const std::uint64_t n = row ? count_.column_u64(0) : 0;
    count_.reset();
    return n;
  }
  // The 連携番号 of the person's record when it came from a delta (a full copy numbers its own run).
  std::uint64_t seq_of(const std::string& key) {
    seq_.bind(1, key);
    auto row = need(seq_.step(), "seq");
    const std::uint64_t n = row ? seq_.column_u64(0) : 0;
    seq_.reset();
    return n;
  }

 private:
  sqlite::Db db_;
  sqlite::Stmt count_, seq_;
};

void deliver(const fs::path& file, const fs::path& inbox) {
  const fs::path folder = inbox / "resident";
  fs::copy_file(file, folder / ("." + file.filename().string()), fs::copy_options::overwrite_existing);
  fs::rename(folder / ("." + file.filename().string()), folder / file.filename());
}

// sqlite3's own CSV import of the same data rows: the baseline of the initial copy.
double sqlite_import_seconds(const std::vector<fs::path>& parts, const fs::path& work) {
  const fs::path csv = work / "baseline.csv";
  {
    std::ofstream out(csv, std::ios::binary);
    bool first = true;
    for (const auto& p : parts) {
      const std::string bytes = read(p);
      std::size_t begin = bytes.find('\n') + 1;           // past the header line
      if (!first) begin = bytes.find('\n', begin) + 1;   // and, after the first part, past the column names
      const std::size_t end = bytes.rfind("#end,");
      out.write(bytes.data() + begin, static_cast<std::streamsize>(end - begin));
      first = false;
    }
  }
  const fs::path db = work / "baseline.db";
  const fs::path script = work / "baseline.sql";
  std::ofstream(script) << "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=FULL;\n.import --csv " << csv.string() << " residents\n";
  const std::string cmd = "sqlite3 " + db.string() + " < " + script.string() + " > /dev/null";
  const auto t0 = Clock::now();
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("sqlite3 import failed (is Debian's sqlite3 installed?)");
  return seconds_since(t0);
}

struct Delivered {
  fs::path file;
  std::string last_key;     // the person of the file's last row
  std::uint64_t last_seq = 0;
};

std::vector<Delivered> read_deltas(const std::vector<fs::path>& files, std::map<std::string, std::uint64_t>& final_seq,
                                   std::uint64_t& rows) {
  std::vector<Delivered> out;
  for (const auto& f : files) {
    if (f.parent_path().filename() != "resident") continue;
    auto parsed = need(d::parse_linkage_file(read(f)), f.string());
    if (parsed.full || parsed.rows.empty()) continue;
    for (const auto& row : parsed.rows) final_seq[row.person] = row.seq;
    rows += parsed.rows.size();
    out.push_back({f, parsed.rows.back().person, parsed.rows.back().seq});
  }
  return out;
}

void measure_deltas(const std::vector<Delivered>& files, std::size_t from, std::size_t count, std::chrono::milliseconds every,
                    const fs::path& inbox, CertReader& cert, const Plan& plan, const std::string& phase, Reporter& out) {
  std::vector<double> latencies;
  std::vector<std::pair<std::size_t, Clock::time_point>> waiting;
  auto next = Clock::now();
  std::size_t i = from;
  const auto deadline = Clock::now() + plan.deadline;
  while (i < from + count || !waiting.empty()) {
    if (Clock::now() > deadline) throw std::runtime_error("timed out waiting for delta files (" + phase + ")");
    if (i < from + count && Clock::now() >= next) {
      deliver(files[i].file, inbox);
      waiting.emplace_back(i, Clock::now());
      ++i;
      next += every;
    }
    for (auto it = waiting.begin(); it != waiting.end();) {
      if (cert.seq_of(files[it->first].last_key) >= files[it->first].last_seq) {
        latencies.push_back(std::chrono::duration<double, std::milli>(Clock::now() - it->second).count());
        it = waiting.erase(it);
      } else {
        ++it;
      }
    }
    std::this_thread::sleep_for(2ms);
  }
  const nlohmann::json extra = {{"phase", phase}, {"files", count}, {"file_every_ms", every.count()}};
  out.metric("linkage.delta_latency_p50_ms", percentile(latencies, 50), "ms", extra);
  out.metric("linkage.delta_latency_p99_ms", percentile(latencies, 99), "ms", extra);
}

}  // namespace

int run_linkage(const Args& args, Reporter& out) {
  args.only({"quick", "people", "burst-changes", "bin"});
  const Plan plan = plan_from(args);
  const fs::path bin = resolve_bin_dir(args);
  out.line(machine_line());

  testing::TempDir dir;
  log("working in " + dir.path().string() + (std::getenv("MADOGUCHI_KEEP_TEST_DIRS") ? " (kept)" : ""));
  // The town: its resident full copy in parts, then enough delta files for both phases.
  sim::TownOptions town;
  town.people = plan.people;
  town.seal_images = false;
  town.delta_days = 2;
  town.changes_per_day = (plan.steady_files * 3 + plan.burst_changes) / 2 + 1;
  town.rows_per_delta_file = 3;
  town.reconcile_run = "N1";  // the residents' nightly extract after the deltas, for linkage.reconcile_seconds
  log("generating a town of " + std::to_string(plan.people) + " people");
  const auto files = need(sim::write_town(town, dir / "town"), "generating the town");
  std::vector<fs::path> parts;
  for (const auto& f : files.files) {
    if (f.parent_path().filename() == "resident" && f.filename().string().find("-full-") != std::string::npos) parts.push_back(f);
  }
  std::map<std::string, std::uint64_t> final_seq;
  std::uint64_t delta_rows = 0;
  const auto deltas = read_deltas(files.files, final_seq, delta_rows);

  Stack s(dir.path(), bin);
  s.start_broker();
  s.start_hub();
  s.start_edge({kMuni, "linkage", false, true});
  const fs::path inbox = s.edge_data_dir(kAgent) / "inbox";
  const fs::path cert_db = dir / "hub" / (kMuni + ".cert.db");
  const auto ready = Clock::now() + plan.deadline;
  while (!fs::exists(inbox / "resident") || !fs::exists(cert_db)) {
    if (Clock::now() > ready) throw std::runtime_error("the linkage agent's inbox or the certificate database never appeared");
    std::this_thread::sleep_for(50ms);
  }
  CertReader cert(cert_db);

  // The initial copy.
  log("initial copy: " + std::to_string(parts.size()) + " parts");
  std::uint64_t full_rows = 0;
  for (const auto& p : parts) full_rows += need(d::parse_linkage_file(read(p)), p.string()).rows.size();
  const auto t0 = Clock::now();
  for (const auto& p : parts) deliver(p, inbox);
  // Counting 300,000 records costs the machine too: looked at five times a second.
  while (cert.residents() < full_rows) {
    if (Clock::now() - t0 > plan.deadline) throw std::runtime_error("timed out waiting for the initial copy");
    std::this_thread::sleep_for(200ms);
  }
  const double initial = seconds_since(t0);
  const double baseline = sqlite_import_seconds(parts, dir.path());
  out.compared("linkage.initial_seconds", initial, "s", baseline,
               {{"residents", full_rows}, {"parts", parts.size()}, {"baseline_is", "sqlite3 .import --csv of the same rows, WAL, synchronous=FULL"}});
  out.metric("linkage.initial_rows_per_s", static_cast<double>(full_rows) / initial, "rows/s");

  // Deltas: steady, then the burst.
  const std::size_t steady = std::min(plan.steady_files, deltas.size());
  measure_deltas(deltas, 0, steady, plan.steady_every, inbox, cert, plan, "steady", out);
  const std::size_t burst = deltas.size() - steady;
  const std::chrono::milliseconds every(
      std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(plan.burst_window).count() /
                                    static_cast<std::int64_t>(std::max<std::size_t>(1, burst))));
  measure_deltas(deltas, steady, burst, every, inbox, cert, plan, "burst", out);

  // Every row once: each person's record is the last row delivered for them, and the batches
  // applied exactly the rows delivered.
  std::uint64_t lost = 0;
  for (const auto& [person, seq] : final_seq) lost += cert.seq_of(person) == seq ? 0U : 1U;
  auto db = need(sqlite::Db::open(cert_db, {.read_only = true}), "opening the certificate database");
  auto st = need(db.prepare("SELECT body FROM records WHERE entity = 'linkage_batch' AND deleted = 0"), "batches");
  std::uint64_t applied = 0, duplicates = 0;
  while (need(st.step(), "batches")) {
    auto b = need(d::linkage_batch_from_body(st.column_text(0)), "a batch record");
    if (b.kind != d::LinkageKind::resident) continue;
    applied += b.applied;
    duplicates += b.duplicates;
  }
  const std::uint64_t delivered = full_rows + delta_rows;
  if (applied < delivered) lost += delivered - applied;
  out.count("linkage.lost", lost, "rows", {{"delivered", delivered}, {"applied", applied}});
  out.count("linkage.duplicated", applied > delivered ? applied - delivered : 0, "rows", {{"redelivered_rows_skipped", duplicates}});

  // Reconciliation: the residents' extract as of the last delta, dropped into the agent's
  // reconcile folder -> the hub's comparison stored (the agent reads and digests every part, the
  // hub compares every record).
  std::vector<fs::path> extract;
  for (const auto& f : files.files) {
    if (f.parent_path().filename() == "reconcile" && f.filename().string().starts_with("resident-")) extract.push_back(f);
  }
  auto outcome_of = [&]() -> std::optional<d::LinkageReconcile> {
    auto q = need(db.prepare("SELECT body FROM records WHERE entity = 'linkage_reconcile' AND key = 'resident:jukiA:N1' AND deleted = 0"),
                  "reconcile");
    if (!need(q.step(), "reconcile")) return std::nullopt;
    return need(d::linkage_reconcile_from_body(q.column_text(0)), "the reconcile record");
  };
  log("reconciliation: " + std::to_string(extract.size()) + " parts");
  const auto r0 = Clock::now();
  for (const auto& f : extract) {
    fs::copy_file(f, inbox / "reconcile" / ("." + f.filename().string()), fs::copy_options::overwrite_existing);
    fs::rename(inbox / "reconcile" / ("." + f.filename().string()), inbox / "reconcile" / f.filename());
  }
  std::optional<d::LinkageReconcile> outcome;
  while (!(outcome = outcome_of())) {
    if (Clock::now() - r0 > plan.deadline) throw std::runtime_error("timed out waiting for the reconciliation");
    std::this_thread::sleep_for(100ms);
  }
  out.metric("linkage.reconcile_seconds", seconds_since(r0), "s",
             {{"residents", outcome->source_records}, {"matching", outcome->matching}, {"differences", outcome->differences()},
              {"newer", outcome->newer}, {"parts", extract.size()}});
  return 0;
}

}  // namespace madoguchi::bench
