#include "madoguchi/hub/console_store.h"

#include <algorithm>
#include <limits>

#include "madoguchi/domain/record_body.h"

namespace madoguchi::hub {

using namespace madoguchi::console;
using namespace madoguchi::domain;

namespace {

// Every live record of `entity`, in key order, at most `max` (HubStore pages through all entities
// in (entity, key) order).
Expected<std::vector<protocol::Record>> entity_records(HubStore& store, const std::string& entity, std::size_t max) {
  std::vector<protocol::Record> out;
  std::string after_key;
  constexpr std::size_t kPage = 500;
  bool first = true;
  while (out.size() < max) {
    // Start just before the entity: (entity, "") is the smallest key of it, and keys are non-empty.
    auto page = store.records_after(entity, first ? std::string() : after_key, kPage);
    if (!page) return page.error();
    first = false;
    for (auto& r : *page) {
      if (r.entity != entity || out.size() >= max) return out;
      after_key = r.key;
      out.push_back(std::move(r));
    }
    if (page->size() < kPage) break;
  }
  return out;
}

}  // namespace

HubConsoleStore::HubConsoleStore(HubEngine& engine, std::string municipality, std::string device)
    : engine_(engine), municipality_(std::move(municipality)), device_(std::move(device)) {}

Expected<HubStore*> HubConsoleStore::store() {
  HubStore* s = engine_.store(municipality_);
  if (!s) return make_error(Errc::not_found, "unknown municipality " + municipality_);
  return s;
}

Expected<std::optional<domain::StaffAccount>> HubConsoleStore::staff(std::string_view id) {
  auto s = store();
  if (!s) return s.error();
  auto rec = (*s)->get(std::string(domain::kStaffEntity), std::string(id));
  if (!rec) return rec.error();
  if (!*rec || (*rec)->deleted) return std::optional<domain::StaffAccount>();
  auto body = domain::parse_body((*rec)->body);
  if (!body) return std::optional<domain::StaffAccount>();
  auto account = domain::staff_from_json(*body);
  if (!account || domain::staff_key(*account) != id) return std::optional<domain::StaffAccount>();
  return std::optional<domain::StaffAccount>(std::move(*account));
}

Expected<std::vector<domain::StaffAccount>> HubConsoleStore::all_staff() {
  auto s = store();
  if (!s) return s.error();
  auto recs = entity_records(**s, std::string(domain::kStaffEntity), kMaxScan);
  if (!recs) return recs.error();
  std::vector<domain::StaffAccount> out;
  for (const auto& r : *recs) {
    auto body = domain::parse_body(r.body);
    if (!body) continue;
    auto account = domain::staff_from_json(*body);
    if (account && domain::staff_key(*account) == r.key) out.push_back(std::move(*account));
  }
  return out;
}

Expected<std::vector<domain::Role>> HubConsoleStore::roles() {
  auto s = store();
  if (!s) return s.error();
  auto recs = entity_records(**s, std::string(domain::kRoleEntity), 1000);
  if (!recs) return recs.error();
  std::vector<domain::Role> out;
  for (const auto& r : *recs) {
    auto body = domain::parse_body(r.body);
    if (!body) continue;
    auto role = domain::role_from_json(*body);
    if (role && domain::role_key(*role) == r.key) out.push_back(std::move(*role));
  }
  return out;
}

Expected<domain::Settings> HubConsoleStore::settings() {
  auto s = store();
  if (!s) return s.error();
  auto rec = (*s)->get(std::string(domain::kSettingsEntity), std::string(domain::kSettingsKey));
  if (!rec) return rec.error();
  if (!*rec || (*rec)->deleted) return domain::Settings{};
  auto body = domain::parse_body((*rec)->body);
  if (!body) return body.error();
  return settings_from_json(*body);
}

Status HubConsoleStore::write(std::string_view entity, std::string_view key, protocol::OpKind kind, const std::string& body) {
  auto s = store();
  if (!s) return s.error();
  auto rec = (*s)->get(std::string(entity), std::string(key));
  if (!rec) return rec.error();
  if (kind == protocol::OpKind::remove && (!*rec || (*rec)->deleted)) return {};
  const std::uint64_t base = *rec ? (*rec)->version : 0;
  auto written = engine_.write_local(municipality_, std::string(entity), std::string(key), kind, body, base);
  if (!written) return written.error();
  return {};
}

Status HubConsoleStore::save_staff(const domain::StaffAccount& account) {
  return write(domain::kStaffEntity, domain::staff_key(account), protocol::OpKind::upsert, domain::dump_body(domain::staff_to_json(account)));
}

Status HubConsoleStore::remove_staff(std::string_view id) {
  return write(domain::kStaffEntity, id, protocol::OpKind::remove, "");
}

Status HubConsoleStore::append_oplog(std::string_view action, std::string_view staff_id, std::string_view target,
                                     std::string_view detail, std::int64_t at_ms) {
  auto s = store();
  if (!s) return s.error();
  if (!last_loaded_) {
    auto rec = (*s)->last_with_prefix(std::string(domain::kOpLogEntity), device_ + ":");
    if (!rec) return rec.error();
    if (*rec) {
      auto body = domain::parse_body((*rec)->body);
      if (!body) return body.error().with_context("the hub's last oplog entry");
      auto entry = domain::oplog_from_json(*body);
      if (!entry) return entry.error().with_context("the hub's last oplog entry");
      if (entry->device != device_ || domain::oplog_key(*entry) != (*rec)->key) {
        return make_error(Errc::invalid_argument, "the hub's last oplog entry does not match its key");
      }
      last_ = std::move(*entry);
    }
    last_loaded_ = true;
  }
  domain::OpLogEntry entry = domain::make_entry(last_ ? &*last_ : nullptr, device_, staff_id, at_ms, action, target, detail);
  if (auto w = write(domain::kOpLogEntity, domain::oplog_key(entry), protocol::OpKind::upsert, domain::dump_body(domain::oplog_to_json(entry))); !w) return w;
  last_ = std::move(entry);
  return {};
}

Expected<std::vector<domain::OpLogEntry>> HubConsoleStore::recent_oplog(std::string_view staff_id, std::size_t limit) {
  // Newest first and bounded in the query (it used to read the oldest kMaxScan records and lose
  // the newest once the log grew past them).
  console::app::OpLogFilter f;
  f.staff_id = std::string(staff_id);
  return find_oplog(f, 0, limit);
}

Expected<std::vector<domain::OpLogEntry>> HubConsoleStore::find_oplog(const console::app::OpLogFilter& filter, std::size_t offset,
                                                              std::size_t limit) {
  auto s = store();
  if (!s) return s.error();
  auto recs = (*s)->oplog_records(filter.staff_id, filter.device, filter.action,
                                  filter.from_ms.value_or(std::numeric_limits<std::int64_t>::min()),
                                  filter.to_ms.value_or(std::numeric_limits<std::int64_t>::max()), offset, limit);
  if (!recs) return recs.error();
  std::vector<domain::OpLogEntry> out;
  for (const auto& r : *recs) {
    auto body = domain::parse_body(r.body);
    if (!body) continue;
    auto entry = domain::oplog_from_json(*body);
    if (entry && domain::oplog_key(*entry) == r.key) out.push_back(std::move(*entry));
  }
  return out;
}

Expected<std::vector<std::string>> HubConsoleStore::oplog_devices(std::size_t limit) {
  auto s = store();
  if (!s) return s.error();
  return (*s)->oplog_devices(limit);
}

Expected<std::vector<domain::OpLogEntry>> HubConsoleStore::oplog_chain(std::string_view device, std::uint64_t after_seq,
                                                               std::size_t limit) {
  auto s = store();
  if (!s) return s.error();
  const std::string prefix = std::string(device) + ":";
  // Keys are "<device>:<seq, 12 digits>", so key order is seq order within the device.
  auto recs = (*s)->records_after(std::string(domain::kOpLogEntity), after_seq == 0 ? prefix : domain::oplog_key(device, after_seq), limit);
  if (!recs) return recs.error();
  std::vector<domain::OpLogEntry> out;
  for (const auto& r : *recs) {
    if (r.entity != domain::kOpLogEntity || r.key.rfind(prefix, 0) != 0) break;
    auto body = domain::parse_body(r.body);
    Expected<domain::OpLogEntry> entry = body ? domain::oplog_from_json(*body) : Expected<domain::OpLogEntry>(body.error());
    if (entry && domain::oplog_key(*entry) == r.key) {
      out.push_back(std::move(*entry));
      continue;
    }
    // Undecodable or under another key: kept as a hollow entry so verify_chain reports it.
    domain::OpLogEntry hollow;
    hollow.device = std::string(device);
    const std::string digits = r.key.substr(prefix.size());
    hollow.seq = digits.find_first_not_of("0123456789") == std::string::npos && !digits.empty() && digits.size() <= 18
                     ? std::stoull(digits)
                     : 0;
    out.push_back(std::move(hollow));
  }
  return out;
}

Status HubConsoleStore::save_settings(const domain::Settings& settings) {
  return write(domain::kSettingsEntity, domain::kSettingsKey, protocol::OpKind::upsert, domain::dump_body(domain::settings_to_json(settings)));
}

Status HubConsoleStore::save_role(const domain::Role& role) {
  if (auto v = domain::validate_role(role); !v) return v;
  return write(domain::kRoleEntity, domain::role_key(role), protocol::OpKind::upsert, domain::dump_body(domain::role_to_json(role)));
}

Status HubConsoleStore::remove_role(std::string_view id) {
  if (auto v = domain::validate_role_id(id); !v) return v;
  return write(domain::kRoleEntity, id, protocol::OpKind::remove, "");
}

}  // namespace madoguchi::hub
