#include "madoguchi/edge/booking_backend.h"

#include <algorithm>
#include <chrono>

#include "madoguchi/domain/booking_cards.h"
#include "madoguchi/domain/booking_records.h"
#include "madoguchi/domain/record_body.h"
#include "madoguchi/edge/booking_tables.h"

namespace madoguchi::edge {
namespace {

using domain::Booking;
using domain::BookingActor;
using domain::Business;
using domain::CounterMaster;
using domain::LocalDateTime;
using domain::Slot;

constexpr std::size_t kMaxCounters = 1000;
constexpr std::size_t kMaxSlotsRead = 20000;  // slots of one counter over at most 62 days
constexpr int kMaxAvailabilityDays = 62;
constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;
constexpr std::size_t kIndexBatch = 2000;  // keys folded into the booking index per transaction

Expected<std::optional<ViewRecord>> view_record(EdgeStore& store, std::string_view entity, std::string_view key) {
  return store.get(std::string(entity), std::string(key));
}

Expected<Booking> decode_booking(std::string_view body) {
  auto j = domain::parse_body(body);
  if (!j) return j.error();
  return domain::booking_from_json(*j);
}

// A view record decoded with from_json; nullopt when absent or not decodable.
template <typename T, typename F>
std::optional<T> decode(const std::optional<ViewRecord>& rec, F from_json) {
  if (!rec) return std::nullopt;
  auto j = domain::parse_body(rec->body);
  if (!j) return std::nullopt;
  auto v = from_json(*j);
  if (!v) return std::nullopt;
  return std::optional<T>(std::move(*v));
}

std::string day_text(const LocalDateTime& t) { return calendar::format_iso(t.date); }

// One booking's index rows from its view body: places by domain::booking_places, the hub's count.
// A body that does not decode takes no place (the hub does not count it either).
BookingIndexRow index_row(const std::string& body) {
  BookingIndexRow row;
  auto b = decode_booking(body);
  if (!b) return row;
  row.decoded = true;
  row.slot = b->slot;
  row.counter = b->counter;
  const auto colon = b->slot.find(':');
  row.day = colon == std::string::npos ? std::string() : b->slot.substr(colon + 1, 10);
  row.cancelled = b->cancelled;
  row.places = domain::booking_places(*b);
  for (const auto& p : b->people) {
    if (!p.manufacture_no.empty()) row.manufacture_nos.push_back(p.manufacture_no);
  }
  return row;
}

console::app::BookingSync sync_of(const RefusedBooking& r) {
  console::app::BookingSync s;
  s.state = console::app::BookingSync::State::refused;
  s.receipt = r.receipt;
  s.code = r.code;
  s.reason = r.reason;
  s.at_ms = r.at_ms;
  s.created = r.created;
  if (auto b = decode_booking(r.sent)) s.sent = std::move(*b);
  return s;
}

}  // namespace

// domain::BookingRecords over the view: the port the booking use cases (booking_records.h) read
// through, the same functions the hub calls.
class EdgeBookingBackend::Records final : public domain::BookingRecords {
 public:
  explicit Records(EdgeBookingBackend& backend) : backend_(backend), store_(backend.store_) {}

  Expected<domain::Settings> settings() override { return backend_.settings(); }
  Expected<std::vector<CounterMaster>> counters() override {
    auto records = store_.list(std::string(domain::kCounterEntity), kMaxCounters, 0);
    if (!records) return records.error();
    std::vector<CounterMaster> out;
    for (const auto& r : *records) {
      auto c = decode<CounterMaster>(std::optional<ViewRecord>(r), domain::counter_from_json);
      if (c && domain::counter_key(*c) == r.key) out.push_back(std::move(*c));
    }
    return out;  // list() is in key order: by id
  }
  Expected<std::optional<CounterMaster>> counter(std::string_view id) override {
    auto rec = view_record(store_, domain::kCounterEntity, id);
    if (!rec) return rec.error();
    return decode<CounterMaster>(*rec, domain::counter_from_json);
  }
  Expected<std::optional<Slot>> slot(std::string_view key) override {
    auto rec = view_record(store_, domain::kSlotEntity, key);
    if (!rec) return rec.error();
    return decode<Slot>(*rec, domain::slot_from_json);
  }
  Expected<int> places_taken(std::string_view slot_key, std::string_view except_receipt) override {
    return backend_.booked(slot_key, except_receipt);
  }
  Expected<std::optional<domain::Versioned<domain::Card>>> card(std::string_view manufacture_no) override {
    using Result = std::optional<domain::Versioned<domain::Card>>;
    auto rec = view_record(store_, domain::kCardEntity, manufacture_no);
    if (!rec) return rec.error();
    auto c = decode<domain::Card>(*rec, domain::card_from_json);
    if (!c) return Result();
    return Result(domain::Versioned<domain::Card>{std::move(*c), (*rec)->version});
  }
  Expected<std::optional<domain::Versioned<Booking>>> booking(std::string_view receipt) override {
    using Result = std::optional<domain::Versioned<Booking>>;
    if (receipt.empty() || receipt.size() > domain::kMaxReceiptBytes) return Result();
    auto rec = view_record(store_, domain::kBookingEntity, receipt);
    if (!rec) return rec.error();
    if (!*rec) return Result();
    auto b = decode_booking((*rec)->body);
    if (!b) return b.error();
    return Result(domain::Versioned<Booking>{std::move(*b), (*rec)->version});
  }

 private:
  EdgeBookingBackend& backend_;
  EdgeStore& store_;
};

Expected<std::unique_ptr<EdgeBookingBackend>> EdgeBookingBackend::open(EdgeStore& store, const Clock& clock,
                                                                       std::function<void()> after_write,
                                                                       bool fast_hashes_for_tests) {
  std::unique_ptr<EdgeBookingBackend> b(
      new EdgeBookingBackend(store, clock, std::move(after_write), fast_hashes_for_tests));
  return b;
}

EdgeBookingBackend::EdgeBookingBackend(EdgeStore& store, const Clock& clock, std::function<void()> after_write, bool fast)
    : store_(store),
      clock_(clock),
      after_write_(std::move(after_write)),
      fast_hashes_(fast),
      records_(std::make_unique<Records>(*this)) {}

EdgeBookingBackend::~EdgeBookingBackend() = default;

LocalDateTime EdgeBookingBackend::now() { return domain::japan_local_time(clock_.wall_ms()); }

Expected<domain::Settings> EdgeBookingBackend::settings() {
  auto rec = view_record(store_, domain::kSettingsEntity, domain::kSettingsKey);
  if (!rec) return rec.error();
  if (!*rec) return domain::Settings{};
  auto j = domain::parse_body((*rec)->body);
  if (!j) return j.error();
  return domain::settings_from_json(*j);
}

Expected<std::vector<CounterMaster>> EdgeBookingBackend::counters(Business business, const BookingActor& actor) {
  return domain::bookable_counters(*records_, business, actor, now());
}

Status EdgeBookingBackend::refresh_index() {
  while (true) {
    auto keys = store_.bookings().dirty(kIndexBatch);
    if (!keys) return keys.error();
    if (keys->empty()) return {};
    auto done = store_.transaction([&]() -> Status {
      BookingTables tables = store_.bookings();
      for (const auto& key : *keys) {
        auto rec = view_record(store_, domain::kBookingEntity, key);
        if (!rec) return rec.error();
        if (auto s = tables.put_index(key, *rec ? std::optional<BookingIndexRow>(index_row((*rec)->body)) : std::nullopt);
            !s) {
          return s;
        }
      }
      return {};
    });
    if (!done) return done;
  }
}

Expected<int> EdgeBookingBackend::booked(std::string_view slot_key, std::string_view except_receipt) {
  if (auto s = refresh_index(); !s) return s.error();
  return store_.bookings().places(std::string(slot_key), std::string(except_receipt));
}

Expected<std::vector<domain::SlotAvailability>> EdgeBookingBackend::availability(
    std::string_view counter_id, calendar::Date from, calendar::Date to, Business business, int places,
    const BookingActor& actor) {
  if (!calendar::valid_date(from) || !calendar::valid_date(to) || to < from) {
    return make_error(Errc::invalid_argument, "from: must be a valid date range");
  }
  if (calendar::days_between(from, to) >= kMaxAvailabilityDays) {
    return make_error(Errc::invalid_argument, "to: at most 62 days");
  }
  if (places < 1 || places > static_cast<int>(domain::kMaxBookingPeople)) {
    return make_error(Errc::invalid_argument, "people: 1-6 places");
  }
  if (auto s = refresh_index(); !s) return s.error();
  auto master = records_->counter(counter_id);
  if (!master) return master.error();
  if (!*master) return make_error(Errc::not_found, "counter " + std::string(counter_id) + " does not exist");
  auto sets = settings();
  const int days_ahead = sets ? sets->booking_days_ahead : domain::Settings{}.booking_days_ahead;
  // Slot keys "<counter>:<YYYY-MM-DD>T<HH:MM>" sort by start within a counter: one range of the
  // view's primary key ("U" sorts after the "T" of every key of the last day).
  auto recs = store_.range(std::string(domain::kSlotEntity), std::string(counter_id) + ":" + calendar::format_iso(from),
                           std::string(counter_id) + ":" + calendar::format_iso(to) + "U", kMaxSlotsRead);
  if (!recs) return recs.error();
  const LocalDateTime t = now();
  BookingTables tables = store_.bookings();
  std::vector<domain::SlotAvailability> out;
  for (const auto& r : *recs) {
    auto s = decode<Slot>(std::optional<ViewRecord>(r), domain::slot_from_json);
    if (!s || s->counter != counter_id) continue;
    auto n = tables.places(r.key, {});  // the index was refreshed once above
    if (!n) return n.error();
    domain::SlotAvailability a;
    a.booked = *n;
    const Status ok = domain::may_book_slot(**master, *s, business, *n, places, actor, t, days_ahead);
    a.bookable = ok.ok();
    if (!ok) a.reason = ok.error().message;
    a.slot = std::move(*s);
    out.push_back(std::move(a));
  }
  return out;
}

Expected<std::optional<domain::Card>> EdgeBookingBackend::card(std::string_view manufacture_no) {
  if (!domain::validate_manufacture_no(manufacture_no)) return std::optional<domain::Card>();
  auto c = records_->card(manufacture_no);
  if (!c) return c.error();
  if (!*c) return std::optional<domain::Card>();
  return std::optional<domain::Card>(std::move((*c)->value));
}

Expected<std::optional<domain::Card>> EdgeBookingBackend::card_by_postcard(std::string_view, int, int) {
  // Residents book on the citizen site at the hub, never at a counter PC.
  return make_error(Errc::forbidden, "postcard identification is served by the hub");
}

// Writes the changed cards inside the caller's transaction.
Expected<std::size_t> EdgeBookingBackend::write_cards(const domain::CardWrites& cards, std::int64_t now_ms) {
  const std::string card_entity(domain::kCardEntity);
  for (const auto& card : cards.changed) {
    auto w = store_.write_in_tx(card_entity, card.value.manufacture_no, protocol::OpKind::upsert,
                                domain::dump_body(domain::card_to_json(card.value)), now_ms);
    if (!w) return w.error();
  }
  return cards.changed.size();
}

Status EdgeBookingBackend::write_booking(const Booking* before, const Booking& booking, bool created,
                                         const std::string& staff, std::int64_t now_ms,
                                         std::optional<std::uint64_t> receipt_day_seq, const std::string& receipt_day) {
  std::size_t skipped = 0;
  auto written = store_.transaction([&]() -> Status {
    const std::string body = domain::dump_body(domain::booking_to_json(booking));
    auto seq = store_.write_in_tx(std::string(domain::kBookingEntity), booking.receipt, protocol::OpKind::upsert, body,
                                  now_ms);
    if (!seq) return seq.error();
    // The cards it names follow, in this transaction, after the booking (so the hub sees them in
    // that order). A card the view lacks is skipped.
    auto cards = domain::follow_cards(*records_, before, booking, staff, now_ms);
    if (!cards) return cards.error();
    if (auto w = write_cards(*cards, now_ms); !w) return w.error();
    skipped = cards->skipped;
    BookingTables tables = store_.bookings();
    if (receipt_day_seq) {
      if (auto s = tables.set_day_seq(receipt_day, *receipt_day_seq); !s) return s;
    }
    return tables.record_sent(booking.receipt, *seq, created, body, now_ms, store_.acked_upto(),
                              now_ms - kSentKeepDays * kDayMs);
  });
  if (!written) return written;
  if (skipped > 0) {
    cards_skipped_ += skipped;
    log_(LogLevel::warning, "booking " + booking.receipt + ": " + std::to_string(skipped) +
                                " card(s) not in this counter's records, not updated");
  }
  if (after_write_) after_write_();
  return {};
}

// The receipt number: this device's next number of the day, skipping any already in the view.
Expected<std::uint64_t> EdgeBookingBackend::next_receipt(Booking& b, const std::string& rule, const LocalDateTime& today) {
  const std::chrono::year_month_day ymd{std::chrono::year(today.date.year),
                                        std::chrono::month(static_cast<unsigned>(today.date.month)),
                                        std::chrono::day(static_cast<unsigned>(today.date.day))};
  auto last = store_.bookings().day_seq(day_text(today));
  if (!last) return last.error();
  std::uint64_t seq = *last;
  for (int tries = 0;; ++tries) {
    ++seq;
    auto base = domain::format_receipt_number(rule, ymd, seq);
    if (!base) return make_error(Errc::invalid_argument, "receipt_number_rule: " + base.error().message);
    b.receipt = *base + "-" + store_.device();
    if (b.receipt.size() > domain::kMaxReceiptBytes) {
      return make_error(Errc::invalid_argument, "receipt_number_rule: with this device's suffix the receipt number is over " +
                                                    std::to_string(domain::kMaxReceiptBytes) + " bytes");
    }
    auto existing = store_.get(std::string(domain::kBookingEntity), b.receipt);
    if (!existing) return existing.error();
    if (!*existing) return seq;
    if (tries > 10000) return make_error(Errc::internal, "no free receipt number");
  }
}

Expected<domain::MadeBooking> EdgeBookingBackend::create(const domain::NewBooking& request, const BookingActor& actor) {
  if (actor.kind != BookingActor::Kind::staff) return make_error(Errc::forbidden, "a counter PC books for staff only");
  // Refusals that arrived since the last tick first, so this write starts from consistent cards.
  if (auto n = put_back_refused_cards(); !n) return n.error();
  auto ref = domain::parse_slot_key(request.slot);
  if (!ref) return make_error(Errc::invalid_argument, "slot: not a slot key");
  auto sets = settings();
  if (!sets) return sets.error();
  const std::int64_t now_ms = clock_.wall_ms();
  const LocalDateTime today = domain::japan_local_time(now_ms);
  domain::MadeBooking made;
  made.booking = domain::booking_from_request(request, actor, ref->counter, now_ms);
  Booking& b = made.booking;
  auto seq = next_receipt(b, sets->receipt_number_rule, today);
  if (!seq) return seq.error();
  made.password = domain::generate_booking_password();
  auto hash = domain::hash_booking_password(made.password, fast_hashes_);
  if (!hash) return hash.error();
  b.password_hash = std::move(*hash);
  if (auto st = domain::validate_booking(b); !st) return st.error();
  if (auto st = domain::check_booking_write(*records_, nullptr, b, actor, today); !st) return st.error();
  if (auto st = write_booking(nullptr, b, true, actor.staff_id, now_ms, *seq, day_text(today)); !st) return st.error();
  return made;
}

Expected<std::optional<Booking>> EdgeBookingBackend::get(std::string_view receipt) {
  auto b = records_->booking(receipt);
  if (!b) return b.error();
  if (!*b) return std::optional<Booking>();
  return std::optional<Booking>(std::move((*b)->value));
}

Expected<Booking> EdgeBookingBackend::update(std::string_view receipt, const domain::BookingUpdate& u,
                                             const BookingActor& actor) {
  if (actor.kind != BookingActor::Kind::staff) return make_error(Errc::forbidden, "a counter PC books for staff only");
  if (auto n = put_back_refused_cards(); !n) return n.error();  // refusals since the last tick first
  const std::int64_t now_ms = clock_.wall_ms();
  auto change = domain::plan_booking_update(*records_, receipt, u, actor, now_ms);
  if (!change) return change.error();
  if (!change->changed) return change->before.value;
  if (auto st = write_booking(&change->before.value, change->after, false, actor.staff_id, now_ms, std::nullopt, {}); !st) {
    return st.error();
  }
  return change->after;
}

Expected<Booking> EdgeBookingBackend::cancel(std::string_view receipt, std::string_view note, const BookingActor& actor) {
  if (actor.kind != BookingActor::Kind::staff) return make_error(Errc::forbidden, "a counter PC books for staff only");
  if (auto n = put_back_refused_cards(); !n) return n.error();  // refusals since the last tick first
  const std::int64_t now_ms = clock_.wall_ms();
  auto change = domain::plan_booking_cancel(*records_, receipt, note, actor, now_ms);
  if (!change) return change.error();
  if (auto st = write_booking(&change->before.value, change->after, false, actor.staff_id, now_ms, std::nullopt, {}); !st) {
    return st.error();
  }
  return change->after;
}

Expected<std::vector<Booking>> EdgeBookingBackend::search(const domain::BookingQuery& q, std::size_t offset,
                                                          std::size_t limit) {
  if (auto s = refresh_index(); !s) return s.error();
  BookingSearch search{q.receipt, q.manufacture_no, q.counter, q.from ? calendar::format_iso(*q.from) : std::string(),
                       q.to ? calendar::format_iso(*q.to) : std::string(), q.include_cancelled};
  auto bodies = store_.bookings().search(search, offset, limit);
  if (!bodies) return bodies.error();
  std::vector<Booking> out;
  for (const auto& body : *bodies) {
    auto b = decode_booking(body);
    if (b) out.push_back(std::move(*b));  // a record that does not decode is not a booking to show
  }
  return out;
}

Expected<std::vector<domain::Notice>> EdgeBookingBackend::notices() {
  auto records = store_.list(std::string(domain::kNoticeEntity), 1000, 0);
  if (!records) return records.error();
  std::vector<domain::Notice> all;
  for (const auto& r : *records) {
    if (auto n = decode<domain::Notice>(std::optional<ViewRecord>(r), domain::notice_from_json)) all.push_back(std::move(*n));
  }
  return domain::published_notices(all, now());
}

Expected<std::size_t> EdgeBookingBackend::put_back_refused_cards(std::size_t limit) {
  // Every tick: one look past the mark on the rejections' primary key, no transaction.
  auto waiting = store_.bookings().refusals_waiting();
  if (!waiting) return waiting.error();
  if (!*waiting) return std::size_t{0};
  const std::int64_t now_ms = clock_.wall_ms();
  std::size_t changed = 0;
  std::vector<std::string> lines;
  auto done = store_.transaction([&]() -> Status {
    BookingTables tables = store_.bookings();
    auto refusals = tables.refusals(limit);
    if (!refusals) return refusals.error();
    if (refusals->empty()) return {};
    for (const auto& r : *refusals) {
      if (!r.sent) continue;
      auto sent = decode_booking(*r.sent);
      if (!sent) continue;  // not a booking this counter could have written; nothing to undo
      // The booking as the hub holds it now: the replica (the rejection put the hub's record there).
      auto body = store_.replica_body(std::string(domain::kBookingEntity), r.receipt);
      if (!body) return body.error();
      std::optional<Booking> held;
      if (*body) {
        auto b = decode_booking(**body);
        if (!b) {
          lines.push_back("booking " + r.receipt + ": refused by the hub; the hub's booking does not decode, cards left");
          continue;
        }
        held = std::move(*b);
      }
      const auto follows = domain::card_refusal_follows(*sent, held ? &*held : nullptr);
      auto cards = domain::apply_card_follows(*records_, follows, sent->staff.empty() ? std::string("web") : sent->staff,
                                              r.receipt, now_ms);
      if (!cards) return cards.error();
      auto w = write_cards(*cards, now_ms);
      if (!w) return w.error();
      changed += *w;
      if (*w > 0) lines.push_back("booking " + r.receipt + ": refused by the hub, " + std::to_string(*w) + " card(s) put back");
    }
    return tables.set_refusal_mark(refusals->back().seq);
  });
  if (!done) return done.error();
  for (const auto& line : lines) log_(LogLevel::info, line);
  if (changed > 0 && after_write_) after_write_();
  return changed;
}

Expected<console::app::BookingSync> EdgeBookingBackend::sync_state(std::string_view receipt) {
  auto refused = store_.bookings().refused(std::string(receipt));
  if (!refused) return refused.error();
  if (*refused) return sync_of(**refused);
  console::app::BookingSync out;
  out.receipt = std::string(receipt);
  auto v = store_.get(std::string(domain::kBookingEntity), std::string(receipt));
  if (!v) return v.error();
  if (*v && (*v)->pending) out.state = console::app::BookingSync::State::pending;
  return out;
}

Expected<std::vector<console::app::BookingSync>> EdgeBookingBackend::refused(std::size_t limit) {
  auto rows = store_.bookings().refused_unhandled(limit);
  if (!rows) return rows.error();
  std::vector<console::app::BookingSync> out;
  for (const auto& r : *rows) out.push_back(sync_of(r));
  return out;
}

Status EdgeBookingBackend::mark_refusal_handled(std::string_view receipt) {
  return store_.bookings().mark_handled(std::string(receipt));
}

}  // namespace madoguchi::edge
