#include "madoguchi/edge/sync_engine.h"

#include <algorithm>

#include "madoguchi/protocol/topics.h"

namespace madoguchi::edge {

namespace p = madoguchi::protocol;

SyncEngine::SyncEngine(EdgeStore& store, Transport& transport, const Clock& clock, SyncOptions options, LogSink log)
    : store_(store), transport_(transport), clock_(clock), options_(options), log_(std::move(log)) {
  options_.batch_ops = std::clamp<std::size_t>(options_.batch_ops, 1, p::kMaxOpsPerBatch);
  options_.window_batches = std::max<std::size_t>(options_.window_batches, 1);
  send_cursor_ = store_.acked_upto() + 1;
  ack_timeout_ = options_.ack_timeout;
}

void SyncEngine::on_connected() {
  inflight_.clear();
  ack_timeout_ = options_.ack_timeout;
  send_cursor_ = store_.acked_upto() + 1;
  last_ack_progress_ = clock_.now();
  sync_outstanding_ = false;
  snapshot_id_ = 0;
  request_feed();
  pump();
}

void SyncEngine::on_disconnected() {
  inflight_.clear();
  sync_outstanding_ = false;
}

void SyncEngine::request_feed() {
  p::SyncRequest req{store_.municipality(), store_.device(), store_.feed_seq()};
  auto s = transport_.publish(p::up_topic(store_.municipality(), store_.device()), p::encode(p::Message{req}));
  if (!s) return;  // not connected: on_connected() asks again
  sync_outstanding_ = true;
  sync_sent_at_ = clock_.now();
  ++counters_.sync_requests;
}

void SyncEngine::pump() {
  if (!transport_.connected()) return;
  if (send_cursor_ <= store_.acked_upto()) send_cursor_ = store_.acked_upto() + 1;
  while (inflight_.size() < options_.window_batches && send_cursor_ <= store_.last_seq()) {
    auto ops = store_.outbox_from(send_cursor_, options_.batch_ops, options_.batch_bytes);
    if (!ops) {
      log_(LogLevel::error, "reading outbox: " + ops.error().describe());
      return;
    }
    if (ops->empty()) return;
    if (ops->front().seq != send_cursor_) {
      // Entries below the cursor were settled meanwhile; start at what is there.
      send_cursor_ = ops->front().seq;
    }
    std::uint64_t last = ops->back().seq;
    std::size_t n = ops->size();
    p::OpBatch batch{store_.municipality(), store_.device(), std::move(*ops)};
    auto s = transport_.publish(p::up_topic(store_.municipality(), store_.device()), p::encode(p::Message{std::move(batch)}));
    if (!s) return;  // disconnected: on_connected() restarts from the first unacknowledged
    if (inflight_.empty()) last_ack_progress_ = clock_.now();
    inflight_.push_back({last});
    send_cursor_ = last + 1;
    ++counters_.batches_sent;
    counters_.ops_sent += n;
  }
}

void SyncEngine::tick() {
  if (auto changed = store_.refresh_if_changed(); !changed) {
    log_(LogLevel::error, "checking for new operations: " + changed.error().describe());
  }
  auto now = clock_.now();
  if (transport_.connected()) {
    if (!inflight_.empty() && now - last_ack_progress_ >= ack_timeout_) {
      // The hub did not confirm in time (message lost, hub restarting): send again from the
      // first unacknowledged entry. The hub drops what it already has. Each timeout in a row
      // doubles the wait (up to 60 s), so a hub that is down is not flooded.
      log_(LogLevel::warning, "no acknowledgement for " + std::to_string(ack_timeout_.count()) +
                                  " ms; resending from seq " + std::to_string(store_.acked_upto() + 1));
      inflight_.clear();
      send_cursor_ = store_.acked_upto() + 1;
      last_ack_progress_ = now;
      ack_timeout_ = std::min(ack_timeout_ * 2, std::chrono::milliseconds(60000));
      ++counters_.resends;
    }
    if (sync_outstanding_ && now - sync_sent_at_ >= options_.sync_retry) {
      sync_outstanding_ = false;
      snapshot_id_ = 0;
      request_feed();
    } else if (!sync_outstanding_ && now - sync_sent_at_ >= options_.feed_check) {
      // A lost live feed message is otherwise noticed only with the next change: ask now and then.
      request_feed();
    }
  }
  pump();
}

bool SyncEngine::caught_up() const {
  return store_.acked_upto() == store_.last_seq() && !sync_outstanding_ && store_.feed_seq() >= hub_head_;
}

void SyncEngine::refuse(const std::string& why) {
  ++counters_.refused_messages;
  log_(LogLevel::warning, "refused message: " + why);
}

void SyncEngine::on_message(const std::string& topic, const std::string& payload) {
  auto parsed = p::parse_topic(topic);
  if (!parsed) return refuse(parsed.error().describe());
  if (parsed->municipality != store_.municipality()) return refuse("topic of another municipality");
  if (parsed->kind == p::TopicKind::up) return refuse("up topic is not for devices");
  if (parsed->kind == p::TopicKind::down && parsed->device != store_.device()) return refuse("down topic of another device");
  auto msg = p::decode(payload);
  if (!msg) return refuse(std::string(topic) + ": " + msg.error().describe());
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, p::Ack> || std::is_same_v<T, p::ChangeBatch> || std::is_same_v<T, p::SnapshotChunk>) {
          if (m.municipality != store_.municipality()) return refuse("payload of another municipality");
          if constexpr (!std::is_same_v<T, p::ChangeBatch>) {
            if (parsed->kind != p::TopicKind::down) return refuse("device message on the feed topic");
          }
          handle(m);
        } else {
          refuse(std::string("unexpected message type ") + std::string(p::message_type_name(p::Message{m})));
        }
      },
      *msg);
}

void SyncEngine::handle(const p::Ack& ack) {
  if (ack.device != store_.device()) return refuse("acknowledgement for another device");
  ++counters_.acks;
  if (ack.upto > store_.last_seq()) {
    // The hub has settled operations this database never made: it was restored from a backup or
    // replaced. Renumber what is waiting so it follows the hub's count and nothing is lost.
    log_(LogLevel::error, "hub has settled seq " + std::to_string(ack.upto) + " but this database has made only " +
                              std::to_string(store_.last_seq()) +
                              " operations: this database was restored or replaced, or another client used this "
                              "device's certificate; renumbering " +
                              "the waiting operations after " + std::to_string(ack.upto));
    if (auto s = store_.resequence_after(ack.upto); !s) {
      log_(LogLevel::error, "renumbering: " + s.error().describe());
      return;
    }
    ++counters_.resequenced;
    inflight_.clear();
    send_cursor_ = store_.acked_upto() + 1;
    last_ack_progress_ = clock_.now();
    pump();
    return;
  }
  std::uint64_t before = store_.acked_upto();
  if (auto s = store_.apply_ack(ack, clock_.wall_ms()); !s) {
    log_(LogLevel::error, "applying acknowledgement: " + s.error().describe());
    return;
  }
  for (const auto& r : ack.rejected) {
    if (r.seq > before && r.seq <= ack.upto) {
      log_(LogLevel::warning, "hub rejected seq " + std::to_string(r.seq) + ": " + std::string(errc_name(r.code)));
    }
  }
  if (store_.acked_upto() > before) {
    last_ack_progress_ = clock_.now();
    ack_timeout_ = options_.ack_timeout;
  }
  while (!inflight_.empty() && inflight_.front().last_seq <= store_.acked_upto()) inflight_.pop_front();
  if (ack.expect <= store_.last_seq() && ack.expect < send_cursor_ && inflight_.empty()) {
    // The hub is waiting for an entry it never got (a gap): go back to it.
    send_cursor_ = std::max(ack.expect, store_.acked_upto() + 1);
  }
  pump();
}

void SyncEngine::handle(const p::ChangeBatch& batch) {
  hub_head_ = std::max(hub_head_, batch.head);
  if (batch.catchup && batch.changes.empty()) {
    // The hub says we are current.
    if (store_.feed_seq() >= batch.head) sync_outstanding_ = false;
    return;
  }
  if (batch.changes.empty()) return;
  std::uint64_t first = batch.changes.front().version;
  if (first > store_.feed_seq() + 1) {
    // A gap in the live feed (we were away, or a message was lost): ask for the rest, once.
    if (!sync_outstanding_) request_feed();
    return;
  }
  auto applied = store_.apply_changes(batch.changes);
  if (!applied) {
    log_(LogLevel::error, "applying feed changes: " + applied.error().describe());
    return;
  }
  counters_.changes_applied += batch.changes.size();
  if (!batch.catchup && *applied < batch.head && !sync_outstanding_) request_feed();
  if (batch.catchup) {
    sync_sent_at_ = clock_.now();  // the answer is arriving; keep waiting for the rest
    if (*applied >= batch.head) sync_outstanding_ = false;
  }
}

void SyncEngine::handle(const p::SnapshotChunk& chunk) {
  if (chunk.part == 0) {
    if (auto s = store_.snapshot_begin(chunk.snapshot_id); !s) {
      log_(LogLevel::error, "snapshot: " + s.error().describe());
      return;
    }
    snapshot_id_ = chunk.snapshot_id;
    snapshot_next_part_ = 0;
    ++counters_.snapshots;
    log_(LogLevel::info, "receiving snapshot as of feed seq " + std::to_string(chunk.as_of));
  }
  if (chunk.snapshot_id != snapshot_id_ || chunk.part != snapshot_next_part_) {
    // Out of order or from an abandoned snapshot: start over with a fresh request.
    snapshot_id_ = 0;
    return refuse("snapshot part out of order; asking again");
  }
  if (auto s = store_.snapshot_add(chunk.records); !s) {
    log_(LogLevel::error, "snapshot: " + s.error().describe());
    snapshot_id_ = 0;
    return;
  }
  ++snapshot_next_part_;
  sync_sent_at_ = clock_.now();
  hub_head_ = std::max(hub_head_, chunk.as_of);
  if (chunk.last) {
    if (auto s = store_.snapshot_finish(chunk.as_of); !s) {
      log_(LogLevel::error, "snapshot: " + s.error().describe());
    }
    snapshot_id_ = 0;
    sync_outstanding_ = false;
    // Changes after as_of follow as catch-up from the hub.
  }
}

}  // namespace madoguchi::edge
