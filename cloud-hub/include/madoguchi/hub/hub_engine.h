// The hub side of the sync protocol over narrow interfaces (Transport, Clock, a data directory
// of per-municipality HubStores). No socket, no thread: the hub process feeds it events.
//
// For each op batch: check the topic identity against the payload and the device registry,
// apply in one transaction, commit, and only then acknowledge (application-level ack) and
// publish the new changes on the municipality's feed. A linkage agent's batches go to the
// municipality's certificate database instead, which no feed publishes. Bad input is refused with a logged reason
// and changes nothing; the hub keeps running.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "madoguchi/hub/hub_store.h"
#include "madoguchi/log.h"
#include "madoguchi/transport.h"

namespace madoguchi::hub {

// Which devices exist, per municipality. Devices not listed are refused.
using DeviceRegistry = std::map<std::string, std::set<std::string>>;

struct HubOptions {
  std::filesystem::path data_dir{};
  std::uint64_t feed_retention = 200000;          // feed entries kept per municipality
  std::size_t messages_per_job_per_tick = 32;     // catch-up/snapshot pacing (bounds memory)
  WritePolicy write_policy{};                     // who may change what (none = anyone, anything)
  // The linkage agents, per municipality: their batches are applied to the municipality's
  // certificate database (<muni>.cert.db, a HubStore of its own), never to its records, so
  // resident, seal and tax records never reach the feed that counter PCs replicate (KON-5,
  // domain/certificate_data.h). Acknowledged as any batch; nothing of it is published.
  std::map<std::string, std::set<std::string>> linkage_devices{};
  WritePolicy certificate_write_policy{};         // for the certificate databases
  // The certificate databases' entities (domain::kCertificateEntities). open() moves live records
  // of these that an older release stored in a municipality's records to its certificate
  // database, removes them from the records (the feed's removals take them off every counter PC),
  // and carries each linkage agent's settled seq over, so it goes on without a gap.
  std::vector<std::string> certificate_entities{};
  // What a linkage agent receives (KON-5: no municipality feed; the broker lets it read its down
  // topic only): when push_linkage_down() is called, and on a sync request when a record of
  // `linkage_down_entity` changed since the agent's position, a snapshot of those in the
  // certificate database that `linkage_down_pending` accepts (the re-requests it has not sent on
  // yet, domain/linkage_reconcile.h); otherwise "current". Its view holds exactly those.
  std::string linkage_down_entity{};
  std::function<bool(const protocol::Record&)> linkage_down_pending{};
  // Called after a linkage agent's batch was committed to the certificate database (the
  // reconciler compares a digest that is complete).
  std::function<void(const std::string& municipality, const protocol::OpBatch& batch)> after_certificate_batch{};
};

struct HubCounters {
  std::uint64_t batches = 0;
  std::uint64_t ops_applied = 0;
  std::uint64_t ops_duplicate = 0;
  std::uint64_t ops_rejected = 0;
  // ops_rejected by rejection code (errc_name: "forbidden", "conflict", "capacity", ...).
  std::map<std::string, std::uint64_t> ops_rejected_by_code;
  std::uint64_t gaps = 0;
  std::uint64_t refused_messages = 0;
  std::uint64_t sync_requests = 0;
  std::uint64_t snapshots = 0;
};

class HubEngine {
 public:
  HubEngine(DeviceRegistry registry, HubOptions options, Transport& transport, const Clock& clock, LogSink log = null_log());

  // Opens every municipality's database. Errors name the file.
  Status open();
  void on_connected();
  void on_message(const std::string& topic, const std::string& payload);
  // Publishes feed entries written by others, paces catch-up and snapshot jobs, trims the feed.
  void tick();

  // A change made at the hub (citizen site, administrator). Published on the feed at once.
  Expected<protocol::Record> write_local(const std::string& municipality, const std::string& entity, const std::string& key,
                                         protocol::OpKind kind, const std::string& body_json, std::uint64_t base_version);

  // Several changes made at the hub in ONE transaction (a year of generated slots, MST-4): each
  // follows the conflict rule based on the version stored now (a change at the hub wins), the
  // write policy and the constraint; the first refusal rolls back all and is returned. Published
  // on the feed at once. At most kMaxLocalBatch writes.
  using LocalWrite = hub::LocalWrite;  // entity, key, kind, body_json (empty for a removal)
  static constexpr std::size_t kMaxLocalBatch = HubStore::kMaxLocalBatch;
  Expected<std::vector<protocol::Record>> write_local_batch(const std::string& municipality,
                                                            const std::vector<LocalWrite>& writes);
  HubStore* store(const std::string& municipality);
  // Sends each linkage agent of the municipality what it is to receive now (see
  // HubOptions::linkage_down_entity); one that is offline gets it with its next sync request.
  void push_linkage_down(const std::string& municipality);
  // The municipality's certificate database (nullptr: unknown municipality).
  HubStore* certificate_store(const std::string& municipality);
  const HubCounters& counters() const { return counters_; }

 private:
  struct Job {  // an answer to a SyncRequest, sent a few messages per tick
    std::string municipality;
    std::string device;
    bool snapshot = false;
    std::uint64_t cursor_seq = 0;       // catch-up: last feed seq sent
    std::uint64_t head = 0;             // catch-up target / snapshot as_of
    std::string cursor_entity, cursor_key;  // snapshot: last record sent
    std::uint64_t snapshot_id = 0;
    std::uint32_t part = 0;
  };

  // See HubOptions::certificate_entities. Crash-safe: each record is in the certificate database
  // before it leaves the records, and a second run finds what the first left.
  Status move_certificate_records(const std::string& municipality);
  void refuse(const std::string& topic, const std::string& why);
  void handle_ops(const protocol::OpBatch& batch);
  void handle_sync(const protocol::SyncRequest& request);
  void publish_feed(const std::string& municipality);
  bool is_linkage(const std::string& municipality, const std::string& device) const;
  void send_linkage_down(const std::string& municipality, const std::string& device, std::uint64_t since);
  bool run_job(Job& job);  // true when finished

  DeviceRegistry registry_;
  HubOptions options_;
  Transport& transport_;
  const Clock& clock_;
  LogSink log_;
  HubCounters counters_;
  std::map<std::string, std::unique_ptr<HubStore>> certificate_stores_;  // <muni>.cert.db
  std::map<std::string, std::unique_ptr<HubStore>> stores_;
  std::map<std::string, std::uint64_t> published_;   // feed seq published live, per municipality
  std::map<std::string, Job> jobs_;                  // by device identity; a new request replaces
  std::uint64_t next_snapshot_id_;
  std::chrono::steady_clock::time_point last_trim_{};
};

}  // namespace madoguchi::hub
