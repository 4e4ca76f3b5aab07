#include "madoguchi/hub/linkage_reconciler.h"

#include <chrono>
#include <set>
#include <tuple>

#include "madoguchi/domain/certificate_data.h"
#include "madoguchi/domain/linkage_record.h"

namespace madoguchi::hub {

namespace d = madoguchi::domain;

bool linkage_request_pending(const protocol::Record& record) {
  if (record.deleted || record.entity != d::kLinkageRequestEntity) return false;
  auto request = d::linkage_request_from_body(record.key, record.body);
  return request && !request->sent;
}

void set_linkage_options(HubOptions& o, std::function<LinkageReconciler*()> reconciler) {
  o.certificate_write_policy = [](std::string_view origin, std::string_view entity, std::string_view, bool remove, std::string_view body,
                                  const std::optional<protocol::Record>& current) -> Status {
    if (auto routed = d::check_data_route(d::DataStore::certificate, entity); !routed) return routed;
    std::optional<std::string_view> before;
    if (current && !current->deleted) before = current->body;
    if (entity == d::kLinkageRequestEntity) return d::check_linkage_request_write(origin == "hub", before, body, remove);
    if (auto kind = d::linkage_kind_from_name(entity); kind && !remove) return d::check_linkage_record_order(*kind, before, body);
    return {};
  };
  o.certificate_entities.clear();
  for (std::string_view e : d::kCertificateEntities) o.certificate_entities.emplace_back(e);
  o.linkage_down_entity = std::string(d::kLinkageRequestEntity);
  o.linkage_down_pending = linkage_request_pending;
  o.after_certificate_batch = [reconciler = std::move(reconciler)](const std::string& municipality, const protocol::OpBatch& batch) {
    if (!reconciler) return;
    if (LinkageReconciler* r = reconciler()) r->after_batch(municipality, batch);
  };
}

LinkageReconciler::LinkageReconciler(HubEngine& engine, const Clock& clock, LogSink log)
    : engine_(engine), clock_(clock), log_(std::move(log)) {}

Expected<std::vector<std::string>> LinkageReconciler::request(const std::string& municipality, d::LinkageKind kind,
                                                              const std::string& source, const std::vector<std::string>& keys,
                                                              const std::string& reason, const std::string& by) {
  HubStore* cert = engine_.certificate_store(municipality);
  if (!cert) return Error{Errc::invalid_argument, "unknown municipality"};
  if (keys.empty()) return Error{Errc::invalid_argument, "再送するものがありません"};
  const std::int64_t now = clock_.wall_ms();
  std::vector<LocalWrite> writes;
  std::vector<std::string> ids;
  for (std::size_t at = 0, n = 1; at < keys.size(); at += d::kMaxRequestKeys, ++n) {
    d::LinkageRequest r;
    r.id = d::linkage_request_key(now, kind, source, n);
    r.kind = kind;
    r.source = source;
    r.keys.assign(keys.begin() + static_cast<std::ptrdiff_t>(at),
                  keys.begin() + static_cast<std::ptrdiff_t>(std::min(keys.size(), at + d::kMaxRequestKeys)));
    r.reason = reason;
    r.by = by;
    r.requested_ms = now;
    const std::string body = d::linkage_request_body(r);
    if (auto checked = d::linkage_request_from_body(r.id, body); !checked) {
      return Error{Errc::invalid_argument, "再送依頼にできません: " + checked.error().message};
    }
    writes.push_back({std::string(d::kLinkageRequestEntity), r.id, protocol::OpKind::upsert, body});
    ids.push_back(r.id);
  }
  if (auto written = cert->write_local_batch(writes, now); !written) return written.error();
  log_(LogLevel::info, "linkage re-request of " + std::to_string(keys.size()) + " " + std::string(d::linkage_kind_name(kind)) +
                           " records of " + municipality + "/" + source + " (" + reason + "), " + std::to_string(ids.size()) + " request(s)");
  engine_.push_linkage_down(municipality);
  return ids;
}

void LinkageReconciler::after_batch(const std::string& municipality, const protocol::OpBatch& batch) {
  std::set<std::tuple<d::LinkageKind, std::string, std::string>> complete;
  for (const auto& op : batch.ops) {
    if (op.entity != d::kLinkageDigestEntity || op.kind != protocol::OpKind::upsert) continue;
    auto digest = d::linkage_digest_from_body(op.body);
    if (!digest) continue;  // it was stored as sent; the comparison says what is wrong with it
    if (digest->chunk == digest->chunks) complete.emplace(digest->kind, digest->source, digest->run);
  }
  for (const auto& [kind, source, run] : complete) {
    auto outcome = reconcile(municipality, kind, source, run);
    if (!outcome) {
      log_(LogLevel::error, "reconciliation of " + municipality + " " + std::string(d::linkage_kind_name(kind)) + "/" + source + " run " + run +
                                ": " + outcome.error().describe());
    }
  }
}

Status LinkageReconciler::resume(const std::string& municipality) {
  HubStore* cert = engine_.certificate_store(municipality);
  if (!cert) return Error{Errc::invalid_argument, "unknown municipality"};
  std::set<std::tuple<d::LinkageKind, std::string, std::string>> complete;
  std::string after;
  while (true) {
    auto page = cert->records_between(std::string(d::kLinkageDigestEntity), after, "", 256);
    if (!page) return page.error();
    for (const auto& r : *page) {
      auto digest = d::linkage_digest_from_body(r.body);
      if (digest && digest->chunk == digest->chunks) complete.emplace(digest->kind, digest->source, digest->run);
    }
    if (page->size() < 256) break;
    after = page->back().key;
  }
  for (const auto& [kind, source, run] : complete) {
    log_(LogLevel::info, "comparing the digest of " + municipality + " " + std::string(d::linkage_kind_name(kind)) + "/" + source + " run " +
                             run + ", committed before the last stop");
    if (auto outcome = reconcile(municipality, kind, source, run); !outcome) {
      log_(LogLevel::error, "reconciliation of " + municipality + " run " + run + ": " + outcome.error().describe());
    }
  }
  return {};
}

Expected<d::LinkageReconcile> LinkageReconciler::reconcile(const std::string& municipality, d::LinkageKind kind, const std::string& source,
                                                           const std::string& run) {
  HubStore* cert = engine_.certificate_store(municipality);
  if (!cert) return Error{Errc::invalid_argument, "unknown municipality"};
  const auto started = std::chrono::steady_clock::now();
  const std::string entity(d::linkage_entity(kind));
  const std::string prefix = d::linkage_reconcile_key(kind, source, run) + ":";

  std::vector<d::LinkageDigest> chunks;
  std::vector<std::string> digest_keys;
  {
    std::string after = prefix;
    while (true) {
      auto page = cert->records_between(std::string(d::kLinkageDigestEntity), after, prefix + "~", 256);
      if (!page) return page.error();
      for (const auto& r : *page) {
        auto digest = d::linkage_digest_from_body(r.body);
        if (!digest) return digest.error().with_context("digest " + r.key);
        chunks.push_back(std::move(*digest));
        digest_keys.push_back(r.key);
      }
      if (page->size() < 256) break;
      after = page->back().key;
    }
  }
  auto comparison = d::LinkageComparison::start(chunks);
  if (!comparison) return comparison.error();
  chunks.clear();
  chunks.shrink_to_fit();

  {
    auto scope = cert->read_scope();
    if (!scope) return scope.error();
    std::string after;
    while (true) {
      auto page = cert->records_between(entity, after, "", 2000);
      if (!page) return page.error();
      for (const auto& r : *page) {
        auto record = d::linkage_record_from_body(kind, r.body);
        if (!record) continue;  // not the linkage file's layout (an older release's): not compared
        comparison->stored(r.key, *record);
      }
      if (page->size() < 2000) break;
      after = page->back().key;
    }
  }
  std::vector<std::string> repair;
  d::LinkageReconcile outcome = comparison->finish(clock_.wall_ms(), repair);
  if (!repair.empty()) {
    auto ids = request(municipality, kind, source, repair, "reconcile", "reconcile");
    if (!ids) return ids.error();
    outcome.requests = std::move(*ids);
  }
  std::vector<LocalWrite> writes;
  writes.push_back({std::string(d::kLinkageReconcileEntity), d::linkage_reconcile_key(kind, source, run), protocol::OpKind::upsert,
                    d::linkage_reconcile_body(outcome)});
  for (const auto& key : digest_keys) writes.push_back({std::string(d::kLinkageDigestEntity), key, protocol::OpKind::remove, ""});
  if (auto written = cert->write_local_batch(writes, clock_.wall_ms()); !written) return written.error();
  log_(outcome.differences() > 0 ? LogLevel::warning : LogLevel::info,
       "reconciled " + municipality + " " + entity + "/" + source + " run " + run + " as of 連携番号 " + std::to_string(outcome.as_of) + ": " +
           std::to_string(outcome.matching) + " matching, " + std::to_string(outcome.differing) + " differing, " +
           std::to_string(outcome.missing) + " missing at the hub, " + std::to_string(outcome.extra) + " not at the source, " +
           std::to_string(outcome.newer) + " newer, in " +
           std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count()) + " ms");
  return outcome;
}

}  // namespace madoguchi::hub
