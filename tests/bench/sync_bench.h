// `madoguchi-bench sync`: the sync backbone measured end to end through real processes (a
// mosquitto broker with TLS and ACLs, the hub, two edge agents of municipality 131016), in one
// run on one machine. Figures and goals: docs/performance.md.
//
//   mqtt.raw_qos1_tls            msgs/s  the same payloads as bare QoS 1 messages (the baseline)
//   edge.idle_rss_mb             MiB     an edge agent connected and idle (the larger of the two)
//   edge.single_op_commit_ms     ms      one operation per transaction, synchronous=FULL (the disk)
//   sync.throughput              ops/s   edge outbox -> hub commit -> edge ack; ratio to the baseline
//   sync.throughput_cpu          cores   CPU of each process during that run (context, no value)
//   sync.latency_p50/_p99/_max   ms      edge A commit -> visible in edge B's database, 1,000 ops/s
//   sync.latency_to_hub_p50/_p99 ms      the first leg of it: edge A commit -> hub commit
//   sync.replay_100k_seconds     s       100,000 operations queued while edge A was stopped
//   sync.replay_acked_seconds    s       the same, until edge A holds the last acknowledgement
//   sync.replay_lost/_duplicated ops     must be 0
//   edge.idle_rss_after_load_mb  MiB     both agents idle again after everything above
//   hub.status_ms                ms      GET /api/v1/status once the hub holds every record
#pragma once

#include "bench.h"

namespace madoguchi::bench {

// Returns the process exit code. Throws on a broken environment (a process that does not start).
int run_sync(const Args& args, Reporter& out);

}  // namespace madoguchi::bench
