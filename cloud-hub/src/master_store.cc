#include "madoguchi/hub/master_store.h"

#include <utility>

#include "madoguchi/domain/record_body.h"

namespace madoguchi::hub {

using namespace madoguchi::console;
using namespace madoguchi::domain;

namespace {

// The exclusive key bounds of a counter's slots from `from` (to `to`, or open-ended): keys are
// "<counter>:<YYYY-MM-DD>T<HH:MM>", so every key of `from` sorts after "<counter>:<from>", every
// key of `to` before "<counter>:<to>T~", and every key of the counter before "<counter>;".
std::pair<std::string, std::string> slot_key_range(std::string_view counter, calendar::Date from,
                                                   std::optional<calendar::Date> to) {
  const std::string c(counter);
  return {c + ":" + calendar::format_iso(from), to ? c + ":" + calendar::format_iso(*to) + "T~" : c + ";"};
}

// Every live record of `entity`, in key order, at most `max`.
Expected<std::vector<protocol::Record>> entity_records(HubStore& store, const std::string& entity, std::size_t max) {
  std::vector<protocol::Record> out;
  std::string after_key;
  constexpr std::size_t kPage = 500;
  while (out.size() < max) {
    auto page = store.records_after(entity, after_key, kPage);
    if (!page) return page.error();
    for (auto& r : *page) {
      if (r.entity != entity || out.size() >= max) return out;
      after_key = r.key;
      out.push_back(std::move(r));
    }
    if (page->size() < kPage) break;
  }
  return out;
}

std::optional<domain::CounterMaster> decode_counter(const protocol::Record& r) {
  auto body = domain::parse_body(r.body);
  if (!body) return std::nullopt;
  auto c = domain::counter_from_json(*body);
  if (!c || domain::counter_key(*c) != r.key) return std::nullopt;
  return std::move(*c);
}

std::optional<domain::Slot> decode_slot(const protocol::Record& r) {
  auto body = domain::parse_body(r.body);
  if (!body) return std::nullopt;
  auto s = domain::slot_from_json(*body);
  if (!s || domain::slot_key(*s) != r.key) return std::nullopt;
  return std::move(*s);
}

std::optional<domain::Notice> decode_notice(const protocol::Record& r) {
  auto body = domain::parse_body(r.body);
  if (!body) return std::nullopt;
  auto n = domain::notice_from_json(*body);
  if (!n || n->id != r.key) return std::nullopt;
  return std::move(*n);
}

}  // namespace

HubMasterStore::HubMasterStore(HubEngine& engine, std::string municipality)
    : engine_(engine), municipality_(std::move(municipality)) {}

Expected<HubStore*> HubMasterStore::store() {
  HubStore* s = engine_.store(municipality_);
  if (!s) return make_error(Errc::not_found, "unknown municipality " + municipality_);
  return s;
}

Status HubMasterStore::write(std::string_view entity, std::string_view key, protocol::OpKind kind, const std::string& body) {
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

// ---- counters ---------------------------------------------------------------------------------------

Expected<std::vector<domain::CounterMaster>> HubMasterStore::counters() {
  auto s = store();
  if (!s) return s.error();
  auto recs = entity_records(**s, std::string(domain::kCounterEntity), kMaxScan);
  if (!recs) return recs.error();
  std::vector<domain::CounterMaster> out;
  for (const auto& r : *recs) {
    if (auto c = decode_counter(r)) out.push_back(std::move(*c));
  }
  return out;
}

Expected<std::optional<domain::CounterMaster>> HubMasterStore::counter(std::string_view id) {
  if (!domain::validate_counter_id(id)) return std::optional<domain::CounterMaster>();
  auto s = store();
  if (!s) return s.error();
  auto rec = (*s)->get(std::string(domain::kCounterEntity), std::string(id));
  if (!rec) return rec.error();
  if (!*rec || (*rec)->deleted) return std::optional<domain::CounterMaster>();
  return decode_counter(**rec);
}

Status HubMasterStore::save_counter(const domain::CounterMaster& counter) {
  if (auto v = domain::validate_counter(counter); !v) return v;
  return write(domain::kCounterEntity, domain::counter_key(counter), protocol::OpKind::upsert, domain::dump_body(domain::counter_to_json(counter)));
}

Status HubMasterStore::remove_counter(std::string_view id, calendar::Date slots_from) {
  if (auto v = domain::validate_counter_id(id); !v) return v;
  auto recs = slot_records(id, slots_from, std::nullopt);
  if (!recs) return recs.error();
  std::vector<LocalWrite> writes;
  writes.reserve(recs->size() + 1);
  for (const auto& r : *recs) writes.push_back({std::string(domain::kSlotEntity), r.key, protocol::OpKind::remove, ""});
  writes.push_back({std::string(domain::kCounterEntity), std::string(id), protocol::OpKind::remove, ""});
  auto done = engine_.write_local_batch(municipality_, writes);
  if (!done) return done.error();
  return {};
}

// ---- slots ------------------------------------------------------------------------------------------

Expected<std::vector<protocol::Record>> HubMasterStore::slot_records(std::string_view counter, calendar::Date from,
                                                                     std::optional<calendar::Date> to) {
  auto s = store();
  if (!s) return s.error();
  const auto [first, last] = slot_key_range(counter, from, to);
  // One bounded statement; one more than the bound tells a range that is too large.
  auto recs = (*s)->records_between(std::string(domain::kSlotEntity), first, last, kMaxSlotScan + 1);
  if (!recs) return recs.error();
  if (recs->size() > kMaxSlotScan) {
    return make_error(Errc::too_large, "more than " + std::to_string(kMaxSlotScan) + " slots in the range");
  }
  return recs;
}

Expected<std::vector<domain::Slot>> HubMasterStore::slots(std::string_view counter, calendar::Date from, calendar::Date to) {
  if (!domain::validate_counter_id(counter)) return std::vector<domain::Slot>();
  auto recs = slot_records(counter, from, to);
  if (!recs) return recs.error();
  std::vector<domain::Slot> out;
  out.reserve(recs->size());
  for (const auto& r : *recs) {
    if (auto slot = decode_slot(r)) out.push_back(std::move(*slot));
  }
  return out;  // key order is start order within a counter
}

Expected<std::optional<domain::Slot>> HubMasterStore::slot(std::string_view key) {
  auto s = store();
  if (!s) return s.error();
  auto rec = (*s)->get(std::string(domain::kSlotEntity), std::string(key));
  if (!rec) return rec.error();
  if (!*rec || (*rec)->deleted) return std::optional<domain::Slot>();
  return decode_slot(**rec);
}

Status HubMasterStore::save_slot(const domain::Slot& slot) {
  if (auto v = domain::validate_slot(slot); !v) return v;
  return write(domain::kSlotEntity, domain::slot_key(slot), protocol::OpKind::upsert, domain::dump_body(domain::slot_to_json(slot)));
}

Status HubMasterStore::apply_plan(const domain::RegenerationPlan& plan) {
  if (plan.upserts.empty() && plan.removals.empty()) return {};
  std::vector<LocalWrite> writes;
  writes.reserve(plan.upserts.size() + plan.removals.size());
  for (const domain::Slot& slot : plan.upserts) {
    if (auto v = domain::validate_slot(slot); !v) return v;
    writes.push_back({std::string(domain::kSlotEntity), domain::slot_key(slot), protocol::OpKind::upsert, domain::dump_body(domain::slot_to_json(slot))});
  }
  for (const std::string& key : plan.removals) writes.push_back({std::string(domain::kSlotEntity), key, protocol::OpKind::remove, ""});
  auto done = engine_.write_local_batch(municipality_, writes);
  if (!done) return done.error();
  return {};
}

Expected<std::map<std::string, std::int64_t>> HubMasterStore::booked_places(std::string_view counter, calendar::Date from,
                                                                            calendar::Date to) {
  std::map<std::string, std::int64_t> out;
  if (!domain::validate_counter_id(counter)) return out;
  auto s = store();
  if (!s) return s.error();
  const auto [first, last] = slot_key_range(counter, from, to);
  // The slots with their fill in one statement (booking_load), as the citizen site reads them.
  auto recs = (*s)->records_between_with_places(std::string(domain::kSlotEntity), first, last, kMaxSlotScan);
  if (!recs) return recs.error();
  for (const auto& r : *recs) {
    if (r.places > 0) out.emplace(r.record.key, r.places);
  }
  return out;
}

// ---- calendar ---------------------------------------------------------------------------------------

Expected<domain::CalendarConfig> HubMasterStore::calendar_config() {
  auto s = store();
  if (!s) return s.error();
  auto rec = (*s)->get(std::string(domain::kCalendarEntity), std::string(domain::kCalendarConfigKey));
  if (!rec) return rec.error();
  if (!*rec || (*rec)->deleted) return domain::CalendarConfig{};
  auto body = domain::parse_body((*rec)->body);
  if (!body) return body.error().with_context("the calendar configuration");
  auto config = domain::calendar_config_from_json(*body);
  if (!config) return config.error().with_context("the calendar configuration");
  return config;
}

Status HubMasterStore::save_calendar_config(const domain::CalendarConfig& config) {
  auto body = domain::calendar_config_body(config);
  if (!body) return body.error();
  return write(domain::kCalendarEntity, domain::kCalendarConfigKey, protocol::OpKind::upsert, *body);
}

// ---- notices ----------------------------------------------------------------------------------------

Expected<std::vector<domain::Notice>> HubMasterStore::notices() {
  auto s = store();
  if (!s) return s.error();
  auto recs = entity_records(**s, std::string(domain::kNoticeEntity), kMaxScan);
  if (!recs) return recs.error();
  std::vector<domain::Notice> out;
  for (const auto& r : *recs) {
    if (auto n = decode_notice(r)) out.push_back(std::move(*n));
  }
  return out;
}

Expected<std::optional<domain::Notice>> HubMasterStore::notice(std::string_view id) {
  auto s = store();
  if (!s) return s.error();
  if (id.empty()) return std::optional<domain::Notice>();
  auto rec = (*s)->get(std::string(domain::kNoticeEntity), std::string(id));
  if (!rec) return rec.error();
  if (!*rec || (*rec)->deleted) return std::optional<domain::Notice>();
  return decode_notice(**rec);
}

Status HubMasterStore::save_notice(const domain::Notice& notice) {
  if (auto v = domain::validate_notice(notice); !v) return v;
  return write(domain::kNoticeEntity, notice.id, protocol::OpKind::upsert, domain::dump_body(domain::notice_to_json(notice)));
}

Status HubMasterStore::remove_notice(std::string_view id) {
  if (id.empty()) return {};
  return write(domain::kNoticeEntity, id, protocol::OpKind::remove, "");
}

}  // namespace madoguchi::hub
