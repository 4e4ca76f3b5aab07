#include "madoguchi/edge/console_store.h"

#include <algorithm>
#include <string>

#include "madoguchi/domain/record_body.h"

namespace madoguchi::edge {

using namespace madoguchi::console;
using namespace madoguchi::domain;

EdgeConsoleStore::EdgeConsoleStore(EdgeStore& store, const Clock& clock, std::function<void()> after_write)
    : store_(store), clock_(clock), after_write_(std::move(after_write)) {}

Expected<std::optional<domain::StaffAccount>> EdgeConsoleStore::staff(std::string_view id) {
  auto rec = store_.get(std::string(domain::kStaffEntity), std::string(id));
  if (!rec) return rec.error();
  if (!*rec) return std::optional<domain::StaffAccount>();
  auto body = domain::parse_body((*rec)->body);
  if (!body) return std::optional<domain::StaffAccount>();
  auto account = domain::staff_from_json(*body);
  if (!account || domain::staff_key(*account) != id) return std::optional<domain::StaffAccount>();
  return std::optional<domain::StaffAccount>(std::move(*account));
}

Expected<std::vector<domain::Role>> EdgeConsoleStore::roles() {
  // Roles are few (a handful per municipality); 1000 is far above any real count.
  auto recs = store_.list(std::string(domain::kRoleEntity), 1000, 0);
  if (!recs) return recs.error();
  std::vector<domain::Role> out;
  for (const ViewRecord& r : *recs) {
    auto body = domain::parse_body(r.body);
    if (!body) continue;
    auto role = domain::role_from_json(*body);
    if (role && domain::role_key(*role) == r.key) out.push_back(std::move(*role));
  }
  return out;
}

Expected<domain::Settings> EdgeConsoleStore::settings() {
  auto rec = store_.get(std::string(domain::kSettingsEntity), std::string(domain::kSettingsKey));
  if (!rec) return rec.error();
  if (!*rec) return domain::Settings{};
  auto body = domain::parse_body((*rec)->body);
  if (!body) return body.error();
  return settings_from_json(*body);
}

Status EdgeConsoleStore::save_staff(const domain::StaffAccount& account) {
  auto seq = store_.write(std::string(domain::kStaffEntity), domain::staff_key(account), protocol::OpKind::upsert,
                          domain::dump_body(domain::staff_to_json(account)), clock_.wall_ms());
  if (!seq) return seq.error();
  if (after_write_) after_write_();
  return {};
}

Status EdgeConsoleStore::load_last_entry() {
  if (last_loaded_) return {};
  auto recs = store_.list_prefix_desc(std::string(domain::kOpLogEntity), store_.device() + ":", 1);
  if (!recs) return recs.error();
  if (!recs->empty()) {
    auto body = domain::parse_body(recs->front().body);
    if (!body) return body.error().with_context("the device's last oplog entry");
    auto entry = domain::oplog_from_json(*body);
    if (!entry) return entry.error().with_context("the device's last oplog entry");
    if (entry->device != store_.device() || domain::oplog_key(*entry) != recs->front().key) {
      return make_error(Errc::invalid_argument, "the device's last oplog entry does not match its key");
    }
    last_ = std::move(*entry);
  }
  last_loaded_ = true;
  return {};
}

Status EdgeConsoleStore::append_oplog(std::string_view action, std::string_view staff_id, std::string_view target,
                                      std::string_view detail, std::int64_t at_ms) {
  if (auto s = load_last_entry(); !s) return s;
  domain::OpLogEntry entry = domain::make_entry(last_ ? &*last_ : nullptr, store_.device(), staff_id, at_ms, action, target, detail);
  auto seq = store_.write(std::string(domain::kOpLogEntity), domain::oplog_key(entry), protocol::OpKind::upsert,
                          domain::dump_body(domain::oplog_to_json(entry)), at_ms);
  if (!seq) return seq.error();
  last_ = std::move(entry);
  if (after_write_) after_write_();
  return {};
}

Expected<std::vector<domain::OpLogEntry>> EdgeConsoleStore::recent_oplog(std::string_view staff_id, std::size_t limit) {
  std::vector<domain::OpLogEntry> found;
  constexpr std::size_t kPage = 500;
  for (std::size_t offset = 0; offset < kMaxOplogScan; offset += kPage) {
    auto recs = store_.list(std::string(domain::kOpLogEntity), kPage, offset);
    if (!recs) return recs.error();
    for (const ViewRecord& r : *recs) {
      auto body = domain::parse_body(r.body);
      if (!body) continue;
      auto entry = domain::oplog_from_json(*body);
      if (entry && entry->staff_id == staff_id) found.push_back(std::move(*entry));
    }
    if (recs->size() < kPage) break;
  }
  std::stable_sort(found.begin(), found.end(), [](const domain::OpLogEntry& a, const domain::OpLogEntry& b) {
    return a.at_ms != b.at_ms ? a.at_ms > b.at_ms : (a.device != b.device ? a.device < b.device : a.seq > b.seq);
  });
  if (found.size() > limit) found.resize(limit);
  return found;
}

}  // namespace madoguchi::edge
