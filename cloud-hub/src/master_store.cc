#include "madoguchi/hub/master_store.h"

#include <utility>

#include "madoguchi/console/record_body.h"

namespace madoguchi::hub {

using namespace madoguchi::console;

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

std::optional<CounterMaster> decode_counter(const protocol::Record& r) {
  auto body = parse_body(r.body);
  if (!body) return std::nullopt;
  auto c = counter_from_json(*body);
  if (!c || counter_key(*c) != r.key) return std::nullopt;
  return std::move(*c);
}

std::optional<Slot> decode_slot(const protocol::Record& r) {
  auto body = parse_body(r.body);
  if (!body) return std::nullopt;
  auto s = slot_from_json(*body);
  if (!s || slot_key(*s) != r.key) return std::nullopt;
  return std::move(*s);
}

std::optional<Notice> decode_notice(const protocol::Record& r) {
  auto body = parse_body(r.body);
  if (!body) return std::nullopt;
  auto n = notice_from_json(*body);
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

Expected<std::vector<CounterMaster>> HubMasterStore::counters() {
  auto s = store();
  if (!s) return s.error();
  auto recs = entity_records(**s, std::string(kCounterEntity), kMaxScan);
  if (!recs) return recs.error();
  std::vector<CounterMaster> out;
  for (const auto& r : *recs) {
    if (auto c = decode_counter(r)) out.push_back(std::move(*c));
  }
  return out;
}

Expected<std::optional<CounterMaster>> HubMasterStore::counter(std::string_view id) {
  if (!validate_counter_id(id)) return std::optional<CounterMaster>();
  auto s = store();
  if (!s) return s.error();
  auto rec = (*s)->get(std::string(kCounterEntity), std::string(id));
  if (!rec) return rec.error();
  if (!*rec || (*rec)->deleted) return std::optional<CounterMaster>();
  return decode_counter(**rec);
}

Status HubMasterStore::save_counter(const CounterMaster& counter) {
  if (auto v = validate_counter(counter); !v) return v;
  return write(kCounterEntity, counter_key(counter), protocol::OpKind::upsert, dump_body(counter_to_json(counter)));
}

Status HubMasterStore::remove_counter(std::string_view id, calendar::Date slots_from) {
  if (auto v = validate_counter_id(id); !v) return v;
  auto recs = slot_records(id, slots_from, std::nullopt);
  if (!recs) return recs.error();
  std::vector<LocalWrite> writes;
  writes.reserve(recs->size() + 1);
  for (const auto& r : *recs) writes.push_back({std::string(kSlotEntity), r.key, protocol::OpKind::remove, ""});
  writes.push_back({std::string(kCounterEntity), std::string(id), protocol::OpKind::remove, ""});
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
  auto recs = (*s)->records_between(std::string(kSlotEntity), first, last, kMaxSlotScan + 1);
  if (!recs) return recs.error();
  if (recs->size() > kMaxSlotScan) {
    return make_error(Errc::too_large, "more than " + std::to_string(kMaxSlotScan) + " slots in the range");
  }
  return recs;
}

Expected<std::vector<Slot>> HubMasterStore::slots(std::string_view counter, calendar::Date from, calendar::Date to) {
  if (!validate_counter_id(counter)) return std::vector<Slot>();
  auto recs = slot_records(counter, from, to);
  if (!recs) return recs.error();
  std::vector<Slot> out;
  out.reserve(recs->size());
  for (const auto& r : *recs) {
    if (auto slot = decode_slot(r)) out.push_back(std::move(*slot));
  }
  return out;  // key order is start order within a counter
}

Expected<std::optional<Slot>> HubMasterStore::slot(std::string_view key) {
  auto s = store();
  if (!s) return s.error();
  auto rec = (*s)->get(std::string(kSlotEntity), std::string(key));
  if (!rec) return rec.error();
  if (!*rec || (*rec)->deleted) return std::optional<Slot>();
  return decode_slot(**rec);
}

Status HubMasterStore::save_slot(const Slot& slot) {
  if (auto v = validate_slot(slot); !v) return v;
  return write(kSlotEntity, slot_key(slot), protocol::OpKind::upsert, dump_body(slot_to_json(slot)));
}

Status HubMasterStore::apply_plan(const RegenerationPlan& plan) {
  if (plan.upserts.empty() && plan.removals.empty()) return {};
  std::vector<LocalWrite> writes;
  writes.reserve(plan.upserts.size() + plan.removals.size());
  for (const Slot& slot : plan.upserts) {
    if (auto v = validate_slot(slot); !v) return v;
    writes.push_back({std::string(kSlotEntity), slot_key(slot), protocol::OpKind::upsert, dump_body(slot_to_json(slot))});
  }
  for (const std::string& key : plan.removals) writes.push_back({std::string(kSlotEntity), key, protocol::OpKind::remove, ""});
  auto done = engine_.write_local_batch(municipality_, writes);
  if (!done) return done.error();
  return {};
}

Expected<std::map<std::string, std::int64_t>> HubMasterStore::booked_places(std::string_view counter, calendar::Date from,
                                                                            calendar::Date to) {
  std::map<std::string, std::int64_t> out;
  if (!validate_counter_id(counter)) return out;
  auto s = store();
  if (!s) return s.error();
  const auto [first, last] = slot_key_range(counter, from, to);
  // The slots with their fill in one statement (booking_load), as the citizen site reads them.
  auto recs = (*s)->records_between_with_places(std::string(kSlotEntity), first, last, kMaxSlotScan);
  if (!recs) return recs.error();
  for (const auto& r : *recs) {
    if (r.places > 0) out.emplace(r.record.key, r.places);
  }
  return out;
}

// ---- calendar ---------------------------------------------------------------------------------------

Expected<CalendarConfig> HubMasterStore::calendar_config() {
  auto s = store();
  if (!s) return s.error();
  auto rec = (*s)->get(std::string(kCalendarEntity), std::string(kCalendarConfigKey));
  if (!rec) return rec.error();
  if (!*rec || (*rec)->deleted) return CalendarConfig{};
  auto body = parse_body((*rec)->body);
  if (!body) return body.error().with_context("the calendar configuration");
  auto config = calendar_config_from_json(*body);
  if (!config) return config.error().with_context("the calendar configuration");
  return config;
}

Status HubMasterStore::save_calendar_config(const CalendarConfig& config) {
  auto body = calendar_config_body(config);
  if (!body) return body.error();
  return write(kCalendarEntity, kCalendarConfigKey, protocol::OpKind::upsert, *body);
}

// ---- notices ----------------------------------------------------------------------------------------

Expected<std::vector<Notice>> HubMasterStore::notices() {
  auto s = store();
  if (!s) return s.error();
  auto recs = entity_records(**s, std::string(kNoticeEntity), kMaxScan);
  if (!recs) return recs.error();
  std::vector<Notice> out;
  for (const auto& r : *recs) {
    if (auto n = decode_notice(r)) out.push_back(std::move(*n));
  }
  return out;
}

Expected<std::optional<Notice>> HubMasterStore::notice(std::string_view id) {
  auto s = store();
  if (!s) return s.error();
  if (id.empty()) return std::optional<Notice>();
  auto rec = (*s)->get(std::string(kNoticeEntity), std::string(id));
  if (!rec) return rec.error();
  if (!*rec || (*rec)->deleted) return std::optional<Notice>();
  return decode_notice(**rec);
}

Status HubMasterStore::save_notice(const Notice& notice) {
  if (auto v = validate_notice(notice); !v) return v;
  return write(kNoticeEntity, notice.id, protocol::OpKind::upsert, dump_body(notice_to_json(notice)));
}

Status HubMasterStore::remove_notice(std::string_view id) {
  if (id.empty()) return {};
  return write(kNoticeEntity, id, protocol::OpKind::remove, "");
}

}  // namespace madoguchi::hub
