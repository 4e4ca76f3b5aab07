// The edge side of the sync protocol (docs/protocol.md), as a state machine over narrow
// interfaces: an EdgeStore, a Transport and a Clock. It owns no socket and no thread; the agent
// feeds it events (connected, disconnected, message, tick) on one thread.
//
// Sending: outbox entries go out in batches from a cursor, with at most `window_batches`
// unacknowledged. On every connect, and whenever no acknowledgement arrives within
// `ack_timeout`, the cursor goes back to the first unacknowledged entry: the hub deduplicates by
// (device, seq), so resending is always safe and nothing is lost when the broker or hub drops a
// message.
// Receiving: the hub's feed is applied strictly in order. On connect, and on any gap, the engine
// asks the hub for everything after its feed position; a device too far behind gets a snapshot.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>

#include "madoguchi/edge/edge_store.h"
#include "madoguchi/log.h"
#include "madoguchi/transport.h"

namespace madoguchi::edge {

struct SyncOptions {
  std::size_t batch_ops = 256;            // operations per message (<= protocol::kMaxOpsPerBatch)
  std::size_t batch_bytes = 192 * 1024;   // approximate body bytes per message
  std::size_t window_batches = 8;         // unacknowledged messages in flight
  std::chrono::milliseconds ack_timeout{5000};
  std::chrono::milliseconds sync_retry{5000};  // re-ask for the feed if no answer
  std::chrono::milliseconds feed_check{30000};  // ask for the feed this often even when idle
};

struct SyncCounters {
  std::uint64_t batches_sent = 0;
  std::uint64_t ops_sent = 0;
  std::uint64_t resends = 0;
  std::uint64_t acks = 0;
  std::uint64_t changes_applied = 0;
  std::uint64_t snapshots = 0;
  std::uint64_t refused_messages = 0;
  std::uint64_t sync_requests = 0;
  std::uint64_t resequenced = 0;  // recoveries after a restored or replaced database
};

class SyncEngine {
 public:
  SyncEngine(EdgeStore& store, Transport& transport, const Clock& clock, SyncOptions options = {},
             LogSink log = null_log());

  // The transport (re)connected and subscribed: resend from the first unacknowledged entry and
  // ask for the feed after our position.
  void on_connected();
  void on_disconnected();
  // A message arrived on our down topic or our municipality's feed topic. Bad input is refused
  // with a log line; nothing is applied from it.
  void on_message(const std::string& topic, const std::string& payload);
  // Periodic: timeouts and sending. Also call after local writes.
  void tick();

  bool caught_up() const;  // outbox empty and no feed request outstanding
  const SyncCounters& counters() const { return counters_; }
  std::uint64_t hub_head() const { return hub_head_; }

 private:
  void pump();
  void request_feed();
  void handle(const protocol::Ack& ack);
  void handle(const protocol::ChangeBatch& batch);
  void handle(const protocol::SnapshotChunk& chunk);
  void refuse(const std::string& why);

  EdgeStore& store_;
  Transport& transport_;
  const Clock& clock_;
  SyncOptions options_;
  LogSink log_;
  SyncCounters counters_;

  std::uint64_t send_cursor_ = 1;        // next seq to send
  struct InFlight {
    std::uint64_t last_seq;
  };
  std::deque<InFlight> inflight_;
  std::chrono::steady_clock::time_point last_ack_progress_{};
  std::chrono::milliseconds ack_timeout_{5000};  // current, with backoff

  bool sync_outstanding_ = false;
  std::chrono::steady_clock::time_point sync_sent_at_{};
  std::uint64_t hub_head_ = 0;

  std::uint64_t snapshot_id_ = 0;
  std::uint32_t snapshot_next_part_ = 0;
};

}  // namespace madoguchi::edge
