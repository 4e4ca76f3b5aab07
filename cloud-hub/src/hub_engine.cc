#include "madoguchi/hub/hub_engine.h"

#include <algorithm>
#include <system_error>

#include "madoguchi/protocol/topics.h"

namespace madoguchi::hub {

namespace p = madoguchi::protocol;

namespace {
// Messages the hub sends are bounded by bytes as well as by count: well under the protocol's
// kMaxMessageBytes (and the broker's max_packet_size) even when every body is at its maximum.
constexpr std::size_t kMaxPayloadBytes = 256 * 1024;

// Keeps the longest prefix within kMaxPayloadBytes (at least one record). True if it cut.
bool trim_to_bytes(std::vector<p::Record>& records) {
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    bytes += records[i].body.size() + records[i].key.size() + records[i].entity.size() + 128;
    if (bytes > kMaxPayloadBytes && i > 0) {
      records.resize(i);
      return true;
    }
  }
  return false;
}
}  // namespace

HubEngine::HubEngine(DeviceRegistry registry, HubOptions options, Transport& transport, const Clock& clock, LogSink log)
    : registry_(std::move(registry)), options_(std::move(options)), transport_(transport), clock_(clock),
      log_(std::move(log)), next_snapshot_id_(static_cast<std::uint64_t>(clock.wall_ms())) {}

Status HubEngine::open() {
  std::error_code ec;
  std::filesystem::create_directories(options_.data_dir, ec);
  if (ec) return Error{Errc::io, "creating " + options_.data_dir.string() + ": " + ec.message()};
  for (const auto& [muni, devices] : registry_) {
    auto s = HubStore::open(options_.data_dir / (muni + ".db"), muni);
    if (!s) return s.error().with_context("municipality " + muni);
    auto b = s->feed_bounds();
    if (!b) return b.error();
    // What was committed but not yet published before a restart is unknown: publish the newest
    // entries again on connect. Devices drop what they have; a device further behind sees the
    // gap and asks for the rest.
    published_[muni] = b->head > p::kMaxChangesPerBatch ? b->head - p::kMaxChangesPerBatch : 0;
    stores_[muni] = std::make_unique<HubStore>(std::move(*s));
    if (options_.write_policy) stores_[muni]->set_write_policy(options_.write_policy);
    auto cert = HubStore::open(options_.data_dir / (muni + ".cert.db"), muni);
    if (!cert) return cert.error().with_context("certificate database of " + muni);
    certificate_stores_[muni] = std::make_unique<HubStore>(std::move(*cert));
    if (options_.certificate_write_policy) certificate_stores_[muni]->set_write_policy(options_.certificate_write_policy);
    certificate_stores_[muni]->set_feed_kept(false);  // nothing publishes it (KON-5)
    if (auto moved = move_certificate_records(muni); !moved) return moved.error().with_context("municipality " + muni);
  }
  return {};
}

Status HubEngine::move_certificate_records(const std::string& municipality) {
  HubStore& records = *stores_.at(municipality);
  HubStore& cert = *certificate_stores_.at(municipality);
  if (auto it = options_.linkage_devices.find(municipality); it != options_.linkage_devices.end()) {
    for (const auto& device : it->second) {
      auto settled = records.device_last_seq(device);
      if (!settled) return settled.error();
      if (*settled > 0) {
        if (auto s = cert.raise_device_seq(device, *settled); !s) return s;
      }
    }
  }
  std::uint64_t moved = 0;
  const std::int64_t now_ms = clock_.wall_ms();
  for (const auto& entity : options_.certificate_entities) {
    while (true) {
      auto page = records.records_between(entity, "", "", 1000);
      if (!page) return page.error();
      if (page->empty()) break;
      for (const auto& r : *page) {
        auto there = cert.get(r.entity, r.key);
        if (!there) return there.error();
        if (!there->has_value()) {
          auto copied = cert.write_local(r.entity, r.key, p::OpKind::upsert, r.body, 0, now_ms);
          if (!copied) return copied.error();
        }
        auto removed = records.write_local(r.entity, r.key, p::OpKind::remove, "", r.version, now_ms);
        if (!removed) return removed.error();
        ++moved;
      }
    }
  }
  if (moved > 0) {
    log_(LogLevel::warning, "moved " + std::to_string(moved) + " resident, seal and tax records of " + municipality +
                                " from its records (an older release) to its certificate database; counter PCs drop them with the feed");
  }
  return {};
}

HubStore* HubEngine::certificate_store(const std::string& municipality) {
  auto it = certificate_stores_.find(municipality);
  return it == certificate_stores_.end() ? nullptr : it->second.get();
}

HubStore* HubEngine::store(const std::string& municipality) {
  auto it = stores_.find(municipality);
  return it == stores_.end() ? nullptr : it->second.get();
}

void HubEngine::on_connected() {
  // Anything committed while we were away reaches the feed now; devices that missed live
  // messages catch up through their own sync requests.
  for (auto& [muni, store] : stores_) publish_feed(muni);
}

void HubEngine::refuse(const std::string& topic, const std::string& why) {
  ++counters_.refused_messages;
  log_(LogLevel::warning, "refused message on " + topic.substr(0, 128) + ": " + why);
}

void HubEngine::on_message(const std::string& topic, const std::string& payload) {
  auto parsed = p::parse_topic(topic);
  if (!parsed) return refuse(topic, parsed.error().describe());
  if (parsed->kind != p::TopicKind::up) return refuse(topic, "the hub only reads up topics");
  auto reg = registry_.find(parsed->municipality);
  if (reg == registry_.end()) return refuse(topic, "unknown municipality");
  if (!reg->second.count(parsed->device)) return refuse(topic, "unknown device");
  auto msg = p::decode(payload);
  if (!msg) return refuse(topic, msg.error().describe());
  if (auto* ops = std::get_if<p::OpBatch>(&*msg)) {
    // The broker's ACL guarantees who may publish on a topic; the payload must agree with it.
    if (ops->municipality != parsed->municipality || ops->device != parsed->device) {
      return refuse(topic, "payload identity " + ops->municipality + "." + ops->device + " does not match the topic");
    }
    return handle_ops(*ops);
  }
  if (auto* sync = std::get_if<p::SyncRequest>(&*msg)) {
    if (sync->municipality != parsed->municipality || sync->device != parsed->device) {
      return refuse(topic, "payload identity does not match the topic");
    }
    return handle_sync(*sync);
  }
  refuse(topic, "unexpected message type " + std::string(p::message_type_name(*msg)));
}

bool HubEngine::is_linkage(const std::string& municipality, const std::string& device) const {
  auto linkage = options_.linkage_devices.find(municipality);
  return linkage != options_.linkage_devices.end() && linkage->second.count(device) > 0;
}

void HubEngine::handle_ops(const p::OpBatch& batch) {
  const bool certificate = is_linkage(batch.municipality, batch.device);
  HubStore* store = certificate ? certificate_store(batch.municipality) : this->store(batch.municipality);
  if (!store) return;
  ++counters_.batches;
  auto out = store->apply_batch(batch, clock_.wall_ms());
  if (!out) {
    // Not committed: no ack, so the device sends again after its timeout.
    log_(LogLevel::error, "applying batch from " + batch.municipality + "." + batch.device + ": " + out.error().describe());
    return;
  }
  counters_.ops_applied += out->applied;
  counters_.ops_duplicate += out->duplicates;
  if (out->gap) {
    ++counters_.gaps;
    log_(LogLevel::info, "gap from " + batch.device + ": got " + std::to_string(batch.ops.front().seq) + ", expecting " +
                             std::to_string(out->last_seq + 1));
  }
  counters_.ops_rejected += out->newly_rejected;
  // Every new refusal is logged with its code and reason (never personal data: the reason is
  // written for staff, the key is left out) and counted by code.
  for (const auto& r : out->rejected) {
    if (r.seq <= out->settled_before) continue;  // refused before: logged then
    const std::string code(errc_name(r.code));
    ++counters_.ops_rejected_by_code[code];
    std::string entity;
    for (const auto& op : batch.ops) {
      if (op.seq == r.seq) entity = op.entity;
    }
    log_(r.code == Errc::forbidden ? LogLevel::warning : LogLevel::info,
         "refused op " + std::to_string(r.seq) + " of " + batch.municipality + "." + batch.device + " on " +
             (entity.empty() ? std::string("?") : entity) + ": " + code + " (" + r.reason + ")");
  }
  p::Ack ack{batch.municipality, batch.device, out->last_seq, out->last_seq + 1, std::move(out->rejected)};
  (void)transport_.publish(p::down_topic(batch.municipality, batch.device), p::encode(p::Message{std::move(ack)}));
  if (!certificate) {
    publish_feed(batch.municipality);
  } else if (out->applied > 0 && options_.after_certificate_batch) {
    options_.after_certificate_batch(batch.municipality, batch);
  }
}

void HubEngine::push_linkage_down(const std::string& municipality) {
  auto linkage = options_.linkage_devices.find(municipality);
  if (linkage == options_.linkage_devices.end()) return;
  for (const auto& device : linkage->second) send_linkage_down(municipality, device, 0);
}

void HubEngine::send_linkage_down(const std::string& municipality, const std::string& device, std::uint64_t since) {
  HubStore* cert = certificate_store(municipality);
  if (!cert || !transport_.connected()) return;
  auto b = cert->feed_bounds();
  if (!b) {
    log_(LogLevel::error, "certificate database bounds: " + b.error().describe());
    return;
  }
  const auto topic = p::down_topic(municipality, device);
  // The pending records, oldest first, a bounded number at a time (the rest follow once these
  // are marked sent); and whether any of the entity changed since the agent's last answer.
  constexpr std::size_t kMaxDown = 64;
  std::vector<p::Record> pending;
  std::uint64_t newest = 0;
  std::string after;
  while (!options_.linkage_down_entity.empty()) {
    auto page = cert->records_between(options_.linkage_down_entity, after, "", 256);
    if (!page) {
      log_(LogLevel::error, "reading " + options_.linkage_down_entity + ": " + page.error().describe());
      return;
    }
    for (auto& r : *page) {
      newest = std::max(newest, r.version);
      if (pending.size() < kMaxDown && (!options_.linkage_down_pending || options_.linkage_down_pending(r))) pending.push_back(std::move(r));
    }
    if (page->size() < 256) break;
    after = page->back().key;
  }
  if (since != 0 && newest <= since && since <= b->head) {
    // Nothing of it changed since the agent's last snapshot: it is current as it stands (its
    // position stays its own; the certificate database's head moves with every row it sends).
    // An agent ahead of the head (the database restored from a backup) gets a snapshot.
    p::ChangeBatch current{municipality, true, since, {}};
    (void)transport_.publish(topic, p::encode(p::Message{std::move(current)}));
    return;
  }
  // One snapshot in parts within the message bounds: the agent's view becomes exactly these.
  const std::uint64_t id = ++next_snapshot_id_;
  std::uint32_t part = 0;
  std::size_t at = 0;
  do {
    std::vector<p::Record> chunk(pending.begin() + static_cast<std::ptrdiff_t>(at),
                                 pending.begin() + static_cast<std::ptrdiff_t>(std::min(pending.size(), at + p::kMaxRecordsPerChunk)));
    trim_to_bytes(chunk);
    at += chunk.size();
    p::SnapshotChunk message{municipality, id, b->head, part++, at >= pending.size(), std::move(chunk)};
    if (!transport_.publish(topic, p::encode(p::Message{std::move(message)}))) return;
  } while (at < pending.size());
}

void HubEngine::publish_feed(const std::string& municipality) {
  HubStore* store = this->store(municipality);
  if (!store || !transport_.connected()) return;
  std::uint64_t& done = published_[municipality];
  while (true) {
    auto changes = store->feed_after(done, p::kMaxChangesPerBatch);
    if (!changes) {
      log_(LogLevel::error, "reading feed: " + changes.error().describe());
      return;
    }
    if (changes->empty()) return;
    trim_to_bytes(*changes);
    std::uint64_t last = changes->back().version;
    p::ChangeBatch batch{municipality, false, last, std::move(*changes)};
    if (auto s = transport_.publish(p::feed_topic(municipality), p::encode(p::Message{std::move(batch)})); !s) {
      log_(LogLevel::warning, "publishing feed: " + s.error().describe());
      return;
    }
    done = last;
  }
}

void HubEngine::handle_sync(const p::SyncRequest& request) {
  ++counters_.sync_requests;
  if (is_linkage(request.municipality, request.device)) return send_linkage_down(request.municipality, request.device, request.since);
  HubStore* store = this->store(request.municipality);
  if (!store) return;
  auto b = store->feed_bounds();
  if (!b) {
    log_(LogLevel::error, "feed bounds: " + b.error().describe());
    return;
  }
  Job job;
  job.municipality = request.municipality;
  job.device = request.device;
  job.head = b->head;
  if (request.since >= b->head) {
    // Current (or ahead after a hub restore: the device will converge on the next changes).
    p::ChangeBatch empty{request.municipality, true, b->head, {}};
    (void)transport_.publish(p::down_topic(request.municipality, request.device), p::encode(p::Message{std::move(empty)}));
    jobs_.erase(p::device_identity(request.municipality, request.device));
    return;
  }
  if (request.since + 1 >= b->min) {
    job.cursor_seq = request.since;
  } else {
    job.snapshot = true;
    job.snapshot_id = ++next_snapshot_id_;
    ++counters_.snapshots;
    log_(LogLevel::info, "device " + request.device + " is behind the retained feed; sending a snapshot");
  }
  auto key = p::device_identity(request.municipality, request.device);
  jobs_[key] = std::move(job);
  if (run_job(jobs_[key])) jobs_.erase(key);
}

bool HubEngine::run_job(Job& job) {
  HubStore* store = this->store(job.municipality);
  if (!store) return true;
  auto topic = p::down_topic(job.municipality, job.device);
  for (std::size_t i = 0; i < options_.messages_per_job_per_tick; ++i) {
    if (!transport_.connected()) return false;
    if (!job.snapshot) {
      auto changes = store->feed_after(job.cursor_seq, p::kMaxChangesPerBatch);
      if (!changes) return true;
      if (changes->empty() || changes->front().version != job.cursor_seq + 1) {
        if (!changes->empty()) {
          // Trimmed while we were sending: fall back to a snapshot.
          job.snapshot = true;
          job.snapshot_id = ++next_snapshot_id_;
          continue;
        }
        return true;
      }
      trim_to_bytes(*changes);
      std::uint64_t last = changes->back().version;
      auto b = store->feed_bounds();
      std::uint64_t head = b ? b->head : last;
      p::ChangeBatch batch{job.municipality, true, head, std::move(*changes)};
      if (!transport_.publish(topic, p::encode(p::Message{std::move(batch)}))) return false;
      job.cursor_seq = last;
      if (last >= head) return true;
    } else {
      auto records = store->records_after(job.cursor_entity, job.cursor_key, p::kMaxRecordsPerChunk);
      if (!records) return true;
      if (job.part == 0) {
        auto b = store->feed_bounds();
        if (!b) return true;
        job.head = b->head;  // as_of: records read after this include changes up to head or later
      }
      bool exhausted = records->size() < p::kMaxRecordsPerChunk;
      bool last = !trim_to_bytes(*records) && exhausted;
      std::string ce = records->empty() ? job.cursor_entity : records->back().entity;
      std::string ck = records->empty() ? job.cursor_key : records->back().key;
      p::SnapshotChunk chunk{job.municipality, job.snapshot_id, job.head, job.part, last, std::move(*records)};
      if (!transport_.publish(topic, p::encode(p::Message{std::move(chunk)}))) return false;
      job.cursor_entity = ce;
      job.cursor_key = ck;
      ++job.part;
      if (last) {
        // Changes committed while the snapshot was being sent follow as catch-up. Records sent
        // may already contain some of them; re-applying a newer version is harmless.
        job.snapshot = false;
        job.cursor_seq = job.head;
        job.part = 0;
      }
    }
  }
  return false;
}

void HubEngine::tick() {
  for (auto& [muni, store] : stores_) publish_feed(muni);
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    if (run_job(it->second)) {
      it = jobs_.erase(it);
    } else {
      ++it;
    }
  }
  auto now = clock_.now();
  if (now - last_trim_ >= std::chrono::seconds(60)) {
    last_trim_ = now;
    for (auto& [muni, store] : stores_) {
      if (auto s = store->trim_feed(options_.feed_retention); !s) log_(LogLevel::error, "trimming feed: " + s.error().describe());
    }
    for (auto& [muni, store] : certificate_stores_) {  // only what an older release wrote to their feed
      if (auto s = store->trim_feed(options_.feed_retention); !s) log_(LogLevel::error, "trimming feed: " + s.error().describe());
      if (auto s = store->checkpoint(); !s) log_(LogLevel::error, "checkpoint: " + s.error().describe());
    }
  }
}

Expected<p::Record> HubEngine::write_local(const std::string& municipality, const std::string& entity, const std::string& key,
                                           p::OpKind kind, const std::string& body_json, std::uint64_t base_version) {
  HubStore* store = this->store(municipality);
  if (!store) return make_error(Errc::not_found, "unknown municipality");
  auto r = store->write_local(entity, key, kind, body_json, base_version, clock_.wall_ms());
  if (r) publish_feed(municipality);
  return r;
}

Expected<std::vector<p::Record>> HubEngine::write_local_batch(const std::string& municipality,
                                                              const std::vector<LocalWrite>& writes) {
  HubStore* store = this->store(municipality);
  if (!store) return make_error(Errc::not_found, "unknown municipality");
  auto r = store->write_local_batch(writes, clock_.wall_ms());
  if (r) publish_feed(municipality);
  return r;
}

}  // namespace madoguchi::hub
