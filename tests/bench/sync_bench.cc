#include "sync_bench.h"

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "madoguchi/edge/edge_store.h"
#include "madoguchi/protocol/messages.h"
#include "madoguchi/protocol/topics.h"
#include "madoguchi/sqlite/sqlite.h"
#include "raw_mqtt.h"
#include "stack.h"
#include "temp_dir.h"

namespace madoguchi::bench {

namespace fs = std::filesystem;
namespace p = madoguchi::protocol;
using nlohmann::json;
using testing::Stack;
using namespace std::chrono_literals;

namespace {

const std::string kMuni = "131016";
const std::string kDevA = "counter-01";
const std::string kDevB = "counter-02";
const std::string kA = kMuni + "." + kDevA;
const std::string kB = kMuni + "." + kDevB;

// Sizes of one run. --quick shrinks them so the smoke test finishes in seconds; the figures of a
// quick run say nothing about speed.
struct Plan {
  std::uint64_t throughput_ops = 50000;  // --ops
  std::uint64_t ops_per_tx = 100;        // --tx-ops: operations per local transaction in the throughput run
  std::uint64_t backlog = 4096;          // --backlog: most operations written but not yet at the hub
  std::uint64_t single_ops = 200;        // single-operation transactions timed for edge.single_op_commit_ms
  double latency_seconds = 10;
  double latency_rate = 1000;            // ops/s
  // --commit-ms: least time between commits in the latency run. Not 0 (commit each operation as
  // it falls due): the benchmark writes from a second process, and a writer that holds SQLite's
  // lock almost all the time starves the agent (SQLite's busy handler sleeps in growing steps while
  // the other process takes the lock again), which measures lock fairness instead of sync; in
  // service, writes go through the agent's own connection. docs/performance.md shows both.
  std::chrono::milliseconds commit_every{10};
  std::uint64_t replay_ops = 100000;     // --replay-ops
  std::uint64_t replay_ops_per_tx = 5000;
  std::chrono::milliseconds settle{2000};  // idle time before reading resident memory
  std::chrono::seconds deadline{180};      // any single wait; a hang guard, not a goal
};

Plan plan_from(const Args& args) {
  Plan plan;
  if (args.flag("quick")) {
    plan.throughput_ops = 1000;
    plan.single_ops = 20;
    plan.latency_seconds = 2;
    plan.replay_ops = 5000;
    plan.settle = 1000ms;
    plan.deadline = 60s;
  }
  plan.throughput_ops = args.count("ops", plan.throughput_ops);
  plan.ops_per_tx = args.count("tx-ops", plan.ops_per_tx);
  plan.backlog = args.count("backlog", plan.backlog);
  plan.replay_ops = args.count("replay-ops", plan.replay_ops);
  plan.commit_every = std::chrono::milliseconds(
      static_cast<std::int64_t>(args.count("commit-ms", static_cast<std::uint64_t>(plan.commit_every.count()), /*zero_ok=*/true)));
  return plan;
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string padded_key(char prefix, std::uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%c%08llu", prefix, static_cast<unsigned long long>(n));
  return buf;
}

// A counter transaction of about 200 bytes of JSON, mostly Japanese (3 bytes a character in
// UTF-8). Deterministic, so the raw baseline publishes exactly the bytes the edge sends.
std::string card_body(std::uint64_t n) {
  return R"({"n":)" + std::to_string(n) +
         R"(,"氏名":"山田 太郎","カナ":"ヤマダ タロウ","住所":"東京都千代田区千代田1-1","手続":"マイナンバーカード交付","窓口":3})";
}

// The latency probe carries its commit time (wall clock, for a reader of the database).
std::string probe_body(std::uint64_t n, std::int64_t at_ms) {
  return R"({"n":)" + std::to_string(n) + R"(,"t":)" + std::to_string(at_ms) + R"(,"手続":"転入届","窓口":1})";
}

template <class T>
T need(Expected<T> e, const std::string& what) {
  if (!e) throw std::runtime_error(what + ": " + e.error().describe());
  return std::move(*e);
}
void need(const Status& s, const std::string& what) {
  if (!s) throw std::runtime_error(what + ": " + s.error().describe());
}

template <class Pred>
void wait_until(Pred pred, std::chrono::milliseconds timeout, std::chrono::milliseconds poll, const std::string& what) {
  auto deadline = Clock::now() + timeout;
  while (!pred()) {
    if (Clock::now() > deadline) throw std::runtime_error("timed out waiting for " + what);
    std::this_thread::sleep_for(poll);
  }
}

// Reads one integer from a database another process writes, read-only. Polling the hub's own
// database keeps the measurement off the hub's event loop: its status endpoint counts every
// record (O(records)) and, polled every few milliseconds, would slow what it measures.
class DbCounter {
 public:
  DbCounter(const fs::path& db, const std::string& sql, const std::string& arg)
      : db_(need(sqlite::Db::open(db, {.read_only = true}), "opening " + db.string())),
        st_(need(db_.prepare(sql), "preparing " + sql)),
        arg_(arg) {}
  std::uint64_t read() {
    st_.bind(1, arg_);
    auto row = need(st_.step(), "reading " + db_.path().string());
    std::uint64_t v = row ? st_.column_u64(0) : 0;
    st_.reset();
    return v;
  }

 private:
  sqlite::Db db_;
  sqlite::Stmt st_;
  std::string arg_;
};

DbCounter hub_last_seq(Stack& s, const std::string& device) {
  return DbCounter(s.hub_db(kMuni), "SELECT last_seq FROM devices WHERE device = ?1", device);
}
DbCounter edge_acked_upto(Stack& s, const std::string& name) {
  return DbCounter(s.edge_db(name), "SELECT CAST(v AS INTEGER) FROM meta WHERE k = ?1", "acked_upto");
}

bool edge_settled(Stack& s, const std::string& name) {
  auto st = s.edge_get(name, "/api/v1/status");
  return st.value("connected", false) && st.value("caught_up", false) && st.value("outbox_depth", std::uint64_t{1}) == 0;
}

void wait_settled(Stack& s, const Plan& plan) {
  wait_until([&] { return edge_settled(s, kA) && edge_settled(s, kB); }, plan.deadline, 100ms, "both edges to settle");
}

fs::path edge_config(const Stack& s, const std::string& name) { return s.dir() / "edges" / name / "edge.json"; }

pid_t pid_of(const fs::path& config_arg) {
  auto pid = find_process_with_arg(config_arg.string());
  if (!pid) throw std::runtime_error("no process started with " + config_arg.string());
  return *pid;
}

// CPU seconds of every process of the stack, to say where the time of a phase went.
struct CpuSample {
  std::map<std::string, double> seconds;
};
std::map<std::string, pid_t> stack_pids(const Stack& s) {
  return {{"broker", pid_of(s.dir() / "broker" / "mosquitto.conf")},
          {"hub", pid_of(s.dir() / "hub.json")},
          {"edge_a", pid_of(edge_config(s, kA))},
          {"edge_b", pid_of(edge_config(s, kB))},
          {"bench", ::getpid()}};
}
CpuSample cpu_now(const std::map<std::string, pid_t>& pids) {
  CpuSample c;
  for (const auto& [name, pid] : pids) c.seconds[name] = cpu_seconds(pid).value_or(0);
  return c;
}
json cpu_share(const CpuSample& before, const CpuSample& after, double wall) {
  json j = json::object();
  for (const auto& [name, v] : after.seconds) j[name] = std::round((v - before.seconds.at(name)) / wall * 100) / 100;
  return j;
}

edge::EdgeStore open_edge_store(Stack& s, const std::string& device) {
  return need(edge::EdgeStore::open(s.edge_db(kMuni + "." + device), kMuni, device), "opening the edge database");
}

// Writes ops [first, last] of one kind into the store in one transaction.
template <class BodyFn>
void write_tx(edge::EdgeStore& store, const std::string& entity, char prefix, std::uint64_t first, std::uint64_t last, BodyFn body) {
  need(store.transaction([&]() -> Status {
         for (std::uint64_t i = first; i <= last; ++i) {
           auto w = store.write_in_tx(entity, padded_key(prefix, i), p::OpKind::upsert, body(i), wall_ms());
           if (!w) return w.error();
         }
         return {};
       }),
       "write");
}

// --- the phases ---------------------------------------------------------------------------

double measure_raw(Stack& s, const Plan& plan, Reporter& out) {
  std::vector<std::string> payloads;
  payloads.reserve(plan.throughput_ops);
  std::size_t bytes = 0;
  for (std::uint64_t i = 1; i <= plan.throughput_ops; ++i) {
    p::Op op;
    op.seq = i;
    op.op_id = kA + ":" + std::to_string(i);
    op.entity = "bench";
    op.key = padded_key('T', i);
    op.body = need(p::canonical_body(card_body(i)), "body");
    op.at_ms = wall_ms();
    payloads.push_back(p::encode(p::Message{p::OpBatch{kMuni, kDevA, {std::move(op)}}}));
    bytes += payloads.back().size();
  }
  RawQos1Options o;
  o.port = s.broker_port();
  o.ca_file = s.pki() / "ca.crt";
  o.publisher_cert = s.pki() / (kA + ".crt");
  o.publisher_key = s.pki() / (kA + ".key");
  o.subscriber_cert = s.pki() / "hub.crt";
  o.subscriber_key = s.pki() / "hub.key";
  o.topic = p::up_topic(kMuni, kDevA);
  o.filter = "mg/v1/+/+/up";
  o.timeout_seconds = static_cast<double>(plan.deadline.count());
  log("raw QoS 1: " + std::to_string(payloads.size()) + " messages of ~" + std::to_string(bytes / payloads.size()) + " bytes");
  auto r = run_raw_qos1(o, payloads);
  if (r.received != payloads.size()) {
    throw std::runtime_error("raw QoS 1: received " + std::to_string(r.received) + " of " + std::to_string(payloads.size()));
  }
  double rate = static_cast<double>(r.received) / r.seconds;
  out.metric("mqtt.raw_qos1_tls", rate, "msgs/s",
             {{"n", r.received}, {"seconds", std::round(r.seconds * 1000) / 1000}, {"payload_bytes", bytes / payloads.size()}});
  return rate;
}

void measure_idle_rss(Stack& s, const Plan& plan, Reporter& out, const std::string& metric) {
  wait_settled(s, plan);
  std::this_thread::sleep_for(plan.settle);
  auto a = resident_mb(pid_of(edge_config(s, kA)));
  auto b = resident_mb(pid_of(edge_config(s, kB)));
  if (!a || !b) throw std::runtime_error("edge process vanished");
  out.metric(metric, std::max(*a, *b), "MiB", {{"edge_a", std::round(*a * 10) / 10}, {"edge_b", std::round(*b * 10) / 10}});
}

// The price of durability at a counter: one operation per transaction, synchronous=FULL.
void measure_single_commit(Stack& s, const Plan& plan, Reporter& out) {
  auto store = open_edge_store(s, kDevA);
  std::vector<double> ms;
  for (std::uint64_t i = 1; i <= plan.single_ops; ++i) {
    auto t0 = Clock::now();
    need(store.write("single", padded_key('S', i), p::OpKind::upsert, card_body(i), wall_ms()), "write");
    ms.push_back(seconds_since(t0) * 1000);
  }
  out.metric("edge.single_op_commit_ms", percentile(ms, 50), "ms", {{"n", ms.size()}, {"p99", std::round(percentile(ms, 99) * 1000) / 1000}});
  wait_settled(s, plan);
}

void measure_throughput(Stack& s, const Plan& plan, double raw_rate, Reporter& out) {
  auto hub = hub_last_seq(s, kDevA);
  const std::uint64_t base = hub.read();
  const std::uint64_t target = base + plan.throughput_ops;
  auto pids = stack_pids(s);
  std::atomic<bool> failed{false}, stop{false};
  std::string error;
  double write_seconds = 0;

  auto cpu0 = cpu_now(pids);
  const auto t0 = Clock::now();
  std::thread writer([&] {
    try {
      auto store = open_edge_store(s, kDevA);
      auto applied = hub_last_seq(s, kDevA);  // this thread's own connection
      for (std::uint64_t i = 1; i <= plan.throughput_ops; i += plan.ops_per_tx) {
        // A steady stream as fast as the hub drains: stay at most `backlog` ahead of it, so the
        // figure is the sustained rate and not the drain of a queue (that is the replay's).
        while (base + i - 1 > applied.read() + plan.backlog) {
          if (stop) return;
          std::this_thread::sleep_for(1ms);
        }
        write_tx(store, "bench", 'T', i, std::min(plan.throughput_ops, i + plan.ops_per_tx - 1), card_body);
      }
      write_seconds = seconds_since(t0);
    } catch (const std::exception& e) {
      error = e.what();
      failed = true;
    }
  });
  auto next_log = Clock::now() + 2s;
  try {
    wait_until(
        [&] {
          if (failed) return true;
          if (Clock::now() > next_log) {
            next_log += 2s;
            log("throughput: hub at " + std::to_string(hub.read() - base) + " of " + std::to_string(plan.throughput_ops));
          }
          return hub.read() >= target;
        },
        plan.deadline, 2ms, "the hub to apply the throughput run");
  } catch (...) {
    stop = true;
    writer.join();
    throw;
  }
  const double seconds = seconds_since(t0);
  auto cpu1 = cpu_now(pids);
  writer.join();
  if (failed) throw std::runtime_error("throughput writer: " + error);

  double rate = static_cast<double>(plan.throughput_ops) / seconds;
  out.compared("sync.throughput", rate, "ops/s", raw_rate,
               {{"n", plan.throughput_ops},
                {"seconds", std::round(seconds * 1000) / 1000},
                {"ops_per_local_tx", plan.ops_per_tx},
                {"backlog", plan.backlog},
                {"local_write_seconds", std::round(write_seconds * 1000) / 1000}});
  // CPU used by each process over the run, in cores (1.0 = one core busy all the time).
  out.line({{"metric", "sync.throughput_cpu"}, {"unit", "cores"}, {"cores", cpu_share(cpu0, cpu1, seconds)}});
}

void measure_latency(Stack& s, const Plan& plan, Reporter& out) {
  const auto total = static_cast<std::size_t>(plan.latency_seconds * plan.latency_rate);
  std::vector<Clock::time_point> committed(total + 1), visible(total + 1);
  std::vector<std::int64_t> committed_wall_ms(total + 1);  // to compare with the hub's apply time
  std::atomic<bool> writing_done{false};
  std::string poll_error;

  // Edge B's database, read-only, every millisecond: the keys are zero-padded, and B applies the
  // hub's feed in order, so each poll asks only for keys after the last one seen.
  std::thread poller([&] {
    try {
      auto db = need(sqlite::Db::open(s.edge_db(kB), {.read_only = true}), "opening edge B");
      auto st = need(db.prepare("SELECT key FROM records WHERE entity = 'lat' AND key > ?1 ORDER BY key"), "prepare");
      std::string last = "";
      std::size_t seen = 0;
      Clock::time_point give_up = Clock::time_point::max();
      while (seen < total) {
        auto now = Clock::now();
        if (writing_done && give_up == Clock::time_point::max()) give_up = now + 30s;
        if (now > give_up) break;
        st.bind(1, last);
        while (need(st.step(), "poll")) {
          last = st.column_text(0);
          auto n = static_cast<std::size_t>(std::stoull(last.substr(1)));
          if (n >= 1 && n <= total && visible[n] == Clock::time_point{}) {
            visible[n] = now;
            ++seen;
          }
        }
        st.reset();
        std::this_thread::sleep_for(1ms);
      }
    } catch (const std::exception& e) {
      poll_error = e.what();
    }
  });

  std::size_t commits = 0;
  try {
    auto store = open_edge_store(s, kDevA);
    const auto t0 = Clock::now();
    const auto period = std::chrono::duration<double>(1.0 / plan.latency_rate);
    std::size_t written = 0;
    while (written < total) {
      auto due = std::min(total, static_cast<std::size_t>(seconds_since(t0) * plan.latency_rate) + 1);
      if (written < due) {
        // Ops that fell due while the previous commit was syncing go in one transaction: the
        // pace holds even when one commit takes longer than the period.
        write_tx(store, "lat", 'L', written + 1, due, [](std::uint64_t n) { return probe_body(n, wall_ms()); });
        auto tc = Clock::now();
        auto tc_wall = wall_ms();
        for (std::size_t i = written + 1; i <= due; ++i) {
          committed[i] = tc;
          committed_wall_ms[i] = tc_wall;
        }
        written = due;
        ++commits;
        if (plan.commit_every.count() > 0) std::this_thread::sleep_until(tc + plan.commit_every);
      } else {
        std::this_thread::sleep_until(t0 + std::chrono::duration_cast<Clock::duration>(period * static_cast<double>(written)));
      }
    }
  } catch (...) {
    writing_done = true;
    poller.join();
    throw;
  }
  writing_done = true;
  poller.join();
  if (!poll_error.empty()) throw std::runtime_error("latency poller: " + poll_error);

  std::vector<double> ms;
  for (std::size_t i = 1; i <= total; ++i) {
    if (visible[i] != Clock::time_point{}) ms.push_back(std::chrono::duration<double, std::milli>(visible[i] - committed[i]).count());
  }
  json extra = {{"n", total}, {"rate", plan.latency_rate}, {"commit_ms", plan.commit_every.count()}, {"local_commits", commits},
                {"missing", total - ms.size()}};
  out.metric("sync.latency_p50", percentile(ms, 50), "ms", extra);
  out.metric("sync.latency_p99", percentile(ms, 99), "ms", extra);
  out.metric("sync.latency_max", percentile(ms, 100), "ms", extra);

  // The first leg alone: edge A's commit to the hub's commit (the hub stamps each feed entry
  // with its wall clock, in milliseconds). The rest is the hub's feed reaching edge B.
  auto db = need(sqlite::Db::open(s.hub_db(kMuni), {.read_only = true}), "opening the hub database");
  auto st = need(db.prepare("SELECT key, at_ms FROM feed WHERE entity = 'lat'"), "prepare");
  std::vector<double> to_hub;
  while (need(st.step(), "reading the feed")) {
    auto n = static_cast<std::size_t>(std::stoull(st.column_text(0).substr(1)));
    if (n >= 1 && n <= total) to_hub.push_back(static_cast<double>(st.column_int(1) - committed_wall_ms[n]));
  }
  st.reset();
  out.metric("sync.latency_to_hub_p50", percentile(to_hub, 50), "ms", {{"n", to_hub.size()}});
  out.metric("sync.latency_to_hub_p99", percentile(to_hub, 99), "ms", {{"n", to_hub.size()}});
}

void measure_replay(Stack& s, const Plan& plan, Reporter& out) {
  wait_settled(s, plan);
  const std::uint64_t base = hub_last_seq(s, kDevA).read();
  const std::uint64_t target = base + plan.replay_ops;
  const auto applied0 = s.hub_status()["counters"]["ops_applied"].get<std::uint64_t>();

  s.terminate_edge(kA);
  {
    auto t0 = Clock::now();
    auto store = open_edge_store(s, kDevA);
    for (std::uint64_t i = 1; i <= plan.replay_ops; i += plan.replay_ops_per_tx) {
      write_tx(store, "replay", 'R', i, std::min(plan.replay_ops, i + plan.replay_ops_per_tx - 1), card_body);
    }
    if (store.last_seq() != target) {
      throw std::runtime_error("edge A's outbox ends at " + std::to_string(store.last_seq()) + ", expected " + std::to_string(target));
    }
    log("replay: queued " + std::to_string(plan.replay_ops) + " operations in " + std::to_string(seconds_since(t0)) + " s");
  }

  auto hub = hub_last_seq(s, kDevA);
  auto acked = edge_acked_upto(s, kA);
  const auto t0 = Clock::now();
  s.start_edge({kMuni, kDevA});
  double hub_seconds = 0;
  wait_until(
      [&] {
        if (hub.read() < target) return false;
        hub_seconds = seconds_since(t0);
        return true;
      },
      plan.deadline, 2ms, "the hub to apply the replay");
  wait_until([&] { return acked.read() >= target; }, plan.deadline, 2ms, "edge A to receive the last acknowledgement");
  const double acked_seconds = seconds_since(t0);

  // Every operation of the replay is one feed entry at the hub, keyed by its origin seq.
  auto db = need(sqlite::Db::open(s.hub_db(kMuni), {.read_only = true}), "opening the hub database");
  auto st = need(db.prepare("SELECT count(*), count(DISTINCT origin_seq) FROM feed "
                            "WHERE origin_device = ?1 AND origin_seq > ?2 AND origin_seq <= ?3"),
                 "prepare");
  st.bind(1, kDevA).bind(2, base).bind(3, target);
  need(st.step(), "counting the feed");
  const std::uint64_t rows = st.column_u64(0), distinct = st.column_u64(1);
  st.reset();
  const auto applied = s.hub_status()["counters"]["ops_applied"].get<std::uint64_t>() - applied0;
  const std::uint64_t lost = plan.replay_ops - std::min(distinct, plan.replay_ops);
  const std::uint64_t duplicated = std::max(rows - distinct, applied > plan.replay_ops ? applied - plan.replay_ops : 0);

  json extra = {{"n", plan.replay_ops}};
  out.metric("sync.replay_100k_seconds", hub_seconds, "s", extra);
  out.metric("sync.replay_acked_seconds", acked_seconds, "s", extra);
  out.count("sync.replay_lost", lost, "ops", extra);
  out.count("sync.replay_duplicated", duplicated, "ops", {{"n", plan.replay_ops}, {"hub_ops_applied", applied}});
}

// The hub's status endpoint, once the hub holds every record of the run.
void measure_hub_status(Stack& s, Reporter& out) {
  std::vector<double> ms;
  for (int i = 0; i < 5; ++i) {
    auto t0 = Clock::now();
    (void)s.hub_status();
    ms.push_back(seconds_since(t0) * 1000);
  }
  auto records = s.hub_status()["municipalities"][kMuni]["records"].get<std::uint64_t>();
  out.metric("hub.status_ms", percentile(ms, 50), "ms", {{"records", records}});
}

}  // namespace

int run_sync(const Args& args, Reporter& out) {
  args.only({"quick", "ops", "tx-ops", "backlog", "replay-ops", "commit-ms", "bin"});
  const Plan plan = plan_from(args);
  const fs::path bin = resolve_bin_dir(args);
  out.line(machine_line());

  testing::TempDir dir;
  log("working in " + dir.path().string() + (std::getenv("MADOGUCHI_KEEP_TEST_DIRS") ? " (kept)" : ""));
  Stack s(dir.path(), bin);
  s.start_broker();
  // The baseline first, while no hub consumes the up topics.
  const double raw = measure_raw(s, plan, out);

  s.start_hub();
  s.start_edge({kMuni, kDevA});
  s.start_edge({kMuni, kDevB});
  measure_idle_rss(s, plan, out, "edge.idle_rss_mb");
  measure_single_commit(s, plan, out);
  measure_throughput(s, plan, raw, out);
  wait_settled(s, plan);
  measure_latency(s, plan, out);
  measure_replay(s, plan, out);
  measure_idle_rss(s, plan, out, "edge.idle_rss_after_load_mb");
  measure_hub_status(s, out);
  return 0;
}

}  // namespace madoguchi::bench
