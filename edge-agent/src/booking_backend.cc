#include "madoguchi/edge/booking_backend.h"

#include <algorithm>
#include <chrono>

#include "madoguchi/domain/booking_cards.h"
#include "madoguchi/domain/booking_change.h"
#include "madoguchi/domain/record_body.h"

namespace madoguchi::edge {
namespace {

using domain::Booking;
using domain::BookingActor;
using domain::Business;
using domain::CounterMaster;
using domain::LocalDateTime;
using domain::Slot;

constexpr std::size_t kMaxCounters = 1000;
constexpr int kMaxAvailabilityDays = 62;
constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;

// Its tables (booking_index, booking_person, booking_dirty, edge_booking_*) and the triggers that
// mark changed bookings are in the edge schema (edge_schema.cc).
constexpr std::int64_t kIndexBatch = 2000;  // keys folded into the index per transaction

Expected<std::optional<std::string>> view_body(EdgeStore& store, std::string_view entity, std::string_view key) {
  auto r = store.get(std::string(entity), std::string(key));
  if (!r) return r.error();
  if (!*r) return std::optional<std::string>();
  return std::optional<std::string>((*r)->body);
}

Expected<Booking> decode_booking(std::string_view body) {
  auto j = domain::parse_body(body);
  if (!j) return j.error();
  return domain::booking_from_json(*j);
}

// Declared before a transaction that writes local changes: unless disarmed after the commit, the
// store's counters are read again from the database once the transaction was rolled back.
struct ReloadOnRollback {
  EdgeStore& store;
  bool armed = true;
  ~ReloadOnRollback() {
    if (armed) (void)store.reload_counters();
  }
};

std::string day_text(const LocalDateTime& t) { return calendar::format_iso(t.date); }

// Why this actor may not book `places` in the slot now, or empty. Staff may book any counter
// (hidden ones too, PHN-4) and are not bound by the resident's window; residents get
// resident_may_book.
std::string not_bookable(const CounterMaster& counter, const Slot& slot, Business business, int booked, int places,
                         const LocalDateTime& now, const BookingActor& actor, int default_days_ahead) {
  if (actor.kind == BookingActor::Kind::resident) {
    auto st = domain::resident_may_book(counter, slot, business, booked, places, now, default_days_ahead);
    return st ? std::string() : st.error().message;
  }
  const std::string key = domain::slot_key(slot);
  if (!counter.businesses.count(business)) return "counter " + counter.id + " does not handle this business";
  if (!slot.open || slot.capacity <= 0) return "slot " + key + " is closed";
  if (!domain::within_validity(counter, slot.start, slot.minutes)) return "slot " + key + " is outside the counter's validity";
  if (now > slot.deadline) return "deadline of slot " + key + " passed at " + domain::format_date_time(slot.deadline);
  if (booked + places > slot.capacity) {
    return "slot " + key + " is full (" + std::to_string(booked) + " of " + std::to_string(slot.capacity) +
           " places taken)";
  }
  return {};
}

}  // namespace

Expected<std::unique_ptr<EdgeBookingBackend>> EdgeBookingBackend::open(EdgeStore& store, const Clock& clock,
                                                                       std::function<void()> after_write,
                                                                       bool fast_hashes_for_tests) {
  std::unique_ptr<EdgeBookingBackend> b(
      new EdgeBookingBackend(store, clock, std::move(after_write), fast_hashes_for_tests));
  return b;
}


LocalDateTime EdgeBookingBackend::now() { return domain::japan_local_time(clock_.wall_ms()); }

Expected<domain::Settings> EdgeBookingBackend::settings() {
  auto body = view_body(store_, domain::kSettingsEntity, domain::kSettingsKey);
  if (!body) return body.error();
  if (!*body) return domain::Settings{};
  auto j = domain::parse_body(**body);
  if (!j) return j.error();
  return domain::settings_from_json(*j);
}

Expected<std::optional<CounterMaster>> EdgeBookingBackend::counter(std::string_view id) {
  auto body = view_body(store_, domain::kCounterEntity, id);
  if (!body) return body.error();
  if (!*body) return std::optional<CounterMaster>();
  auto j = domain::parse_body(**body);
  if (!j) return std::optional<CounterMaster>();
  auto c = domain::counter_from_json(*j);
  if (!c) return std::optional<CounterMaster>();  // a record that does not decode offers nothing
  return std::optional<CounterMaster>(std::move(*c));
}

Expected<std::optional<Slot>> EdgeBookingBackend::slot(std::string_view key) {
  auto body = view_body(store_, domain::kSlotEntity, key);
  if (!body) return body.error();
  if (!*body) return std::optional<Slot>();
  auto j = domain::parse_body(**body);
  if (!j) return std::optional<Slot>();
  auto s = domain::slot_from_json(*j);
  if (!s) return std::optional<Slot>();
  return std::optional<Slot>(std::move(*s));
}

Expected<std::vector<CounterMaster>> EdgeBookingBackend::counters(Business business, const BookingActor& actor) {
  auto records = store_.list(std::string(domain::kCounterEntity), kMaxCounters, 0);
  if (!records) return records.error();
  const LocalDateTime t = now();
  std::vector<CounterMaster> out;
  for (const auto& r : *records) {
    auto j = domain::parse_body(r.body);
    if (!j) continue;
    auto c = domain::counter_from_json(*j);
    if (!c || !c->businesses.count(business)) continue;
    if (actor.kind == BookingActor::Kind::resident) {
      if (!c->visible_on_site) continue;
      if (c->valid_until && *c->valid_until <= t) continue;
    }
    out.push_back(std::move(*c));
  }
  std::sort(out.begin(), out.end(), [](const CounterMaster& a, const CounterMaster& b) { return a.id < b.id; });
  return out;
}

Status EdgeBookingBackend::refresh_index() {
  auto& db = store_.db();
  while (true) {
    auto any = db.cached("SELECT 1 FROM booking_dirty LIMIT 1");
    if (!any) return any.error();
    auto row = (*any)->step();
    (*any)->reset();
    if (!row) return row.error();
    if (!*row) return {};
    auto tx = sqlite::Tx::begin(db);
    if (!tx) return tx.error();
    std::vector<std::string> keys;
    {
      auto st = db.cached("SELECT key FROM booking_dirty LIMIT ?1");
      if (!st) return st.error();
      (*st)->bind(1, kIndexBatch);
      while (true) {
        auto r = (*st)->step();
        if (!r) {
          (*st)->reset();
          return r.error();
        }
        if (!*r) break;
        keys.push_back((*st)->column_text(0));
      }
      (*st)->reset();
    }
    for (const auto& key : keys) {
      if (auto s = index_booking(key); !s) return s;
    }
    if (auto s = tx->commit(); !s) return s;
  }
}

// One booking's rows in booking_index and booking_person from its view record: places by
// domain::booking_places, the hub's count. A body that does not decode is indexed with no slot
// and no places (the hub does not count it either); an absent record leaves no rows.
Status EdgeBookingBackend::index_booking(const std::string& key) {
  auto& db = store_.db();
  for (const char* sql : {"DELETE FROM booking_index WHERE key = ?1", "DELETE FROM booking_person WHERE key = ?1",
                          "DELETE FROM booking_dirty WHERE key = ?1"}) {
    auto st = db.cached(sql);
    if (!st) return st.error();
    if (auto s = (*st)->bind(1, key).run(); !s) return s;
  }
  auto body = view_body(store_, domain::kBookingEntity, key);
  if (!body) return body.error();
  if (!*body) return {};
  auto b = decode_booking(**body);
  auto ins = db.cached("INSERT INTO booking_index(key, slot, counter, day, cancelled, places) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
  if (!ins) return ins.error();
  (*ins)->bind(1, key);
  if (!b) {
    (*ins)->bind_null(2).bind_null(3).bind_null(4).bind(5, 0).bind(6, 0);
    return (*ins)->run();
  }
  const auto colon = b->slot.find(':');
  const std::string day = colon == std::string::npos ? std::string() : b->slot.substr(colon + 1, 10);
  (*ins)->bind(2, b->slot).bind(3, b->counter).bind(4, day).bind(5, b->cancelled).bind(6, domain::booking_places(*b));
  if (auto s = (*ins)->run(); !s) return s;
  auto person = db.cached("INSERT OR IGNORE INTO booking_person(key, manufacture_no) VALUES(?1, ?2)");
  if (!person) return person.error();
  for (const auto& p : b->people) {
    if (p.manufacture_no.empty()) continue;
    if (auto s = (*person)->bind(1, key).bind(2, p.manufacture_no).run(); !s) return s;
  }
  return {};
}

Expected<int> EdgeBookingBackend::booked(std::string_view slot_key, std::string_view except_receipt) {
  if (auto s = refresh_index(); !s) return s.error();
  return indexed_places(slot_key, except_receipt);
}

Expected<int> EdgeBookingBackend::indexed_places(std::string_view slot_key, std::string_view except_receipt) {
  auto st = store_.db().cached("SELECT coalesce(sum(places), 0) FROM booking_index WHERE slot = ?1 AND key <> ?2");
  if (!st) return st.error();
  (*st)->bind(1, std::string(slot_key)).bind(2, std::string(except_receipt));  // never a null pointer: NULL
  auto row = (*st)->step();
  if (!row) {
    (*st)->reset();
    return row.error();
  }
  const int n = static_cast<int>((*st)->column_int(0));
  (*st)->reset();
  return n;
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
  auto master = counter(counter_id);
  if (!master) return master.error();
  if (!*master) return make_error(Errc::not_found, "counter " + std::string(counter_id) + " does not exist");
  auto sets = settings();
  const int days_ahead = sets ? sets->booking_days_ahead : domain::Settings{}.booking_days_ahead;
  // Slot keys "<counter>:<YYYY-MM-DD>T<HH:MM>" sort by start within a counter: one range of the
  // view's primary key ("U" sorts after the "T" of every key of the last day).
  const std::string lo = std::string(counter_id) + ":" + calendar::format_iso(from);
  const std::string hi = std::string(counter_id) + ":" + calendar::format_iso(to) + "U";
  auto st = store_.db().cached(
      "SELECT body FROM records WHERE entity = 'slot' AND key >= ?1 AND key < ?2 ORDER BY key");
  if (!st) return st.error();
  (*st)->bind(1, lo).bind(2, hi);
  std::vector<Slot> slots;
  for (;;) {
    auto row = (*st)->step();
    if (!row) {
      (*st)->reset();
      return row.error();
    }
    if (!*row) break;
    auto j = domain::parse_body((*st)->column_text(0));
    if (!j) continue;
    auto s = domain::slot_from_json(*j);
    if (s && s->counter == counter_id) slots.push_back(std::move(*s));
  }
  (*st)->reset();
  const LocalDateTime t = now();
  std::vector<domain::SlotAvailability> out;
  out.reserve(slots.size());
  for (auto& s : slots) {
    auto n = indexed_places(domain::slot_key(s), {});  // refreshed once above
    if (!n) return n.error();
    domain::SlotAvailability a;
    a.booked = *n;
    a.reason = not_bookable(**master, s, business, *n, places, t, actor, days_ahead);
    a.bookable = a.reason.empty();
    a.slot = std::move(s);
    out.push_back(std::move(a));
  }
  return out;
}

Expected<std::optional<domain::Card>> EdgeBookingBackend::card(std::string_view manufacture_no) {
  if (!domain::validate_manufacture_no(manufacture_no)) return std::optional<domain::Card>();
  auto body = view_body(store_, domain::kCardEntity, manufacture_no);
  if (!body) return body.error();
  if (!*body) return std::optional<domain::Card>();
  auto j = domain::parse_body(**body);
  if (!j) return std::optional<domain::Card>();
  auto c = domain::card_from_json(*j);
  if (!c) return std::optional<domain::Card>();
  return std::optional<domain::Card>(std::move(*c));
}

Expected<std::optional<domain::Card>> EdgeBookingBackend::card_by_postcard(std::string_view, int, int) {
  // Residents book on the citizen site at the hub, never at a counter PC.
  return make_error(Errc::forbidden, "postcard identification is served by the hub");
}

Status EdgeBookingBackend::judge(const Booking* before, const Booking& after, const BookingActor& actor) {
  if (actor.kind != BookingActor::Kind::staff) return make_error(Errc::forbidden, "a counter PC books for staff only");
  domain::BookingRuleInput in;
  in.before = before;
  in.after = &after;
  auto s = slot(after.slot);
  if (!s) return s.error();
  in.slot = *s;
  auto c = counter(after.counter);
  if (!c) return c.error();
  in.counter = *c;
  auto n = booked(after.slot, after.receipt);
  if (!n) return n.error();
  in.booked_by_others = *n;
  in.now = now();
  in.may_override = actor.may_override;
  return domain::check_booking_rule(in);
}

Expected<EdgeBookingBackend::CardWrites> EdgeBookingBackend::write_card_follows(
    const std::vector<domain::CardFollow>& follows, const std::string& staff, const std::string& receipt,
    std::int64_t now_ms) {
  CardWrites out;
  const std::string card_entity(domain::kCardEntity);
  for (const auto& f : follows) {
    auto cur = view_body(store_, card_entity, f.manufacture_no);
    if (!cur) return cur.error();
    std::optional<domain::Card> card;
    if (*cur) {
      if (auto j = domain::parse_body(**cur)) {
        if (auto c = domain::card_from_json(*j); c && domain::card_key(*c) == f.manufacture_no) card = std::move(*c);
      }
    }
    if (!card) {
      ++out.skipped;
      continue;
    }
    auto changed = domain::apply_card_follow(*card, f, staff, receipt, now_ms);
    if (!changed) return changed.error().with_context("card of booking " + receipt);
    if (!*changed) continue;
    auto w = store_.write_in_tx(card_entity, f.manufacture_no, protocol::OpKind::upsert,
                                domain::dump_body(domain::card_to_json(*card)), now_ms);
    if (!w) return w.error();
    ++out.changed;
  }
  return out;
}

Status EdgeBookingBackend::write_booking(const Booking* before, const Booking& booking, bool created,
                                         const std::string& staff, std::int64_t now_ms,
                                         std::optional<std::uint64_t> receipt_day_seq, const std::string& receipt_day) {
  auto& db = store_.db();
  // Any failure below rolls the transaction back (tx, destroyed first): the store's counters must
  // then follow the database.
  ReloadOnRollback reload{store_};
  auto tx = sqlite::Tx::begin(db);
  if (!tx) return tx.error();
  const std::string body = domain::dump_body(domain::booking_to_json(booking));
  auto seq = store_.write_in_tx(std::string(domain::kBookingEntity), booking.receipt, protocol::OpKind::upsert, body,
                                now_ms);
  if (!seq) return seq.error();
  // The cards it names follow, in this transaction, after the booking (so the hub sees them in
  // that order). A card the view lacks is skipped.
  auto cards = write_card_follows(domain::card_follows(before, booking), staff, booking.receipt, now_ms);
  if (!cards) return cards.error();
  const std::uint64_t skipped = cards->skipped;
  if (receipt_day_seq) {
    auto st = db.cached(
        "INSERT INTO edge_booking_seq(day, seq) VALUES(?1, ?2) ON CONFLICT(day) DO UPDATE SET seq = excluded.seq");
    if (!st) return st.error();
    if (auto s = (*st)->bind(1, receipt_day).bind(2, *receipt_day_seq).run(); !s) return s;
  }
  // created stays 1 once set: a change made before the creation reached the hub is refused along
  // with it, and the booking then does not exist either.
  auto sent = db.cached(
      "INSERT INTO edge_booking_sent(receipt, last_seq, created, body, at_ms, handled) VALUES(?1, ?2, ?3, ?4, ?5, 0) "
      "ON CONFLICT(receipt) DO UPDATE SET last_seq = excluded.last_seq, body = excluded.body, at_ms = excluded.at_ms, "
      "handled = 0, created = CASE WHEN edge_booking_sent.created = 1 AND edge_booking_sent.last_seq > ?6 THEN 1 "
      "ELSE excluded.created END");
  if (!sent) return sent.error();
  if (auto s = (*sent)->bind(1, booking.receipt).bind(2, *seq).bind(3, created).bind(4, body).bind(5, now_ms)
                   .bind(6, store_.acked_upto()).run();
      !s) {
    return s;
  }
  auto prune = db.cached("DELETE FROM edge_booking_sent WHERE at_ms < ?1");
  if (!prune) return prune.error();
  if (auto s = (*prune)->bind(1, now_ms - kSentKeepDays * kDayMs).run(); !s) return s;
  if (receipt_day_seq) {
    // Only today's sequence is ever read again; older days are dropped.
    auto old = db.cached("DELETE FROM edge_booking_seq WHERE day < ?1");
    if (!old) return old.error();
    if (auto s = (*old)->bind(1, receipt_day).run(); !s) return s;
  }
  if (auto s = tx->commit(); !s) return s;
  reload.armed = false;
  if (skipped > 0) {
    cards_skipped_ += skipped;
    log_(LogLevel::warning, "booking " + booking.receipt + ": " + std::to_string(skipped) +
                                " card(s) not in this counter's records, not updated");
  }
  if (after_write_) after_write_();
  return {};
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
  const std::string day = day_text(today);
  const std::chrono::year_month_day ymd{std::chrono::year(today.date.year),
                                        std::chrono::month(static_cast<unsigned>(today.date.month)),
                                        std::chrono::day(static_cast<unsigned>(today.date.day))};

  domain::MadeBooking made;
  made.booking = domain::booking_from_request(request, actor, ref->counter, now_ms);
  Booking& b = made.booking;

  // The receipt number: this device's next number of the day, skipping any already in the view.
  std::uint64_t seq = 0;
  {
    auto st = store_.db().cached("SELECT seq FROM edge_booking_seq WHERE day = ?1");
    if (!st) return st.error();
    (*st)->bind(1, day);
    auto row = (*st)->step();
    if (!row) {
      (*st)->reset();
      return row.error();
    }
    if (*row) seq = (*st)->column_u64(0);
    (*st)->reset();
  }
  for (int tries = 0;; ++tries) {
    ++seq;
    auto base = domain::format_receipt_number(sets->receipt_number_rule, ymd, seq);
    if (!base) return make_error(Errc::invalid_argument, "receipt_number_rule: " + base.error().message);
    b.receipt = *base + "-" + store_.device();
    if (b.receipt.size() > domain::kMaxReceiptBytes) {
      return make_error(Errc::invalid_argument, "receipt_number_rule: with this device's suffix the receipt number is over " +
                                                    std::to_string(domain::kMaxReceiptBytes) + " bytes");
    }
    auto existing = store_.get(std::string(domain::kBookingEntity), b.receipt);
    if (!existing) return existing.error();
    if (!*existing) break;
    if (tries > 10000) return make_error(Errc::internal, "no free receipt number");
  }
  made.password = domain::generate_booking_password();
  auto hash = domain::hash_booking_password(made.password, fast_hashes_);
  if (!hash) return hash.error();
  b.password_hash = std::move(*hash);
  if (auto st = domain::validate_booking(b); !st) return st.error();
  if (auto st = judge(nullptr, b, actor); !st) return st.error();
  if (auto st = write_booking(nullptr, b, true, actor.staff_id, now_ms, seq, day); !st) return st.error();
  return made;
}

Expected<std::optional<Booking>> EdgeBookingBackend::get(std::string_view receipt) {
  if (receipt.empty() || receipt.size() > domain::kMaxReceiptBytes) return std::optional<Booking>();
  auto body = view_body(store_, domain::kBookingEntity, receipt);
  if (!body) return body.error();
  if (!*body) return std::optional<Booking>();
  auto b = decode_booking(**body);
  if (!b) return b.error();
  return std::optional<Booking>(std::move(*b));
}

Expected<Booking> EdgeBookingBackend::update(std::string_view receipt, const domain::BookingUpdate& u,
                                             const BookingActor& actor) {
  if (auto n = put_back_refused_cards(); !n) return n.error();  // refusals since the last tick first
  auto found = get(receipt);
  if (!found) return found.error();
  if (!*found) return make_error(Errc::not_found, "booking " + std::string(receipt) + " does not exist");
  const Booking before = **found;
  const std::int64_t now_ms = clock_.wall_ms();
  auto change = domain::apply_booking_update(before, u, actor, now_ms);
  if (!change) return change.error();
  if (!change->changed) return before;
  const Booking& after = change->after;
  if (auto st = judge(&before, after, actor); !st) return st.error();
  if (auto st = write_booking(&before, after, false, actor.staff_id, now_ms, std::nullopt, {}); !st) return st.error();
  return after;
}

Expected<Booking> EdgeBookingBackend::cancel(std::string_view receipt, std::string_view note, const BookingActor& actor) {
  if (auto n = put_back_refused_cards(); !n) return n.error();  // refusals since the last tick first
  auto found = get(receipt);
  if (!found) return found.error();
  if (!*found) return make_error(Errc::not_found, "booking " + std::string(receipt) + " does not exist");
  const Booking before = **found;
  const std::int64_t now_ms = clock_.wall_ms();
  auto cancelled = domain::apply_booking_cancel(before, note, actor, now_ms);
  if (!cancelled) return cancelled.error();
  const Booking& after = *cancelled;
  if (auto st = judge(&before, after, actor); !st) return st.error();
  if (auto st = write_booking(&before, after, false, actor.staff_id, now_ms, std::nullopt, {}); !st) return st.error();
  return after;
}

Expected<std::vector<Booking>> EdgeBookingBackend::search(const domain::BookingQuery& q, std::size_t offset,
                                                          std::size_t limit) {
  // One statement: an empty parameter matches everything. Bookings at one counter PC are the
  // municipality's (tens of thousands a year): the day index serves the date range; a receipt or
  // manufacture number narrows through the primary key and booking_person.
  if (auto s = refresh_index(); !s) return s.error();
  auto st = store_.db().cached(
      "SELECT r.body FROM booking_index i JOIN records r ON r.entity = 'booking' AND r.key = i.key "
      "WHERE (?1 = '' OR i.key = ?1) "
      "AND (?2 = '' OR i.key IN (SELECT key FROM booking_person WHERE manufacture_no = ?2)) "
      "AND (?3 = '' OR i.counter = ?3) AND (?4 = '' OR i.day >= ?4) AND (?5 = '' OR i.day <= ?5) "
      "AND (?6 OR i.cancelled = 0) "
      "ORDER BY i.slot DESC, i.key DESC LIMIT ?7 OFFSET ?8");
  if (!st) return st.error();
  (*st)->bind(1, q.receipt).bind(2, q.manufacture_no).bind(3, q.counter)
      .bind(4, q.from ? calendar::format_iso(*q.from) : std::string())
      .bind(5, q.to ? calendar::format_iso(*q.to) : std::string())
      .bind(6, q.include_cancelled)
      .bind(7, static_cast<std::int64_t>(std::min<std::size_t>(limit, 1000)))
      .bind(8, static_cast<std::int64_t>(offset));
  std::vector<Booking> out;
  for (;;) {
    auto row = (*st)->step();
    if (!row) {
      (*st)->reset();
      return row.error();
    }
    if (!*row) break;
    auto b = decode_booking((*st)->column_text(0));
    if (b) out.push_back(std::move(*b));  // a record that does not decode is not a booking to show
  }
  (*st)->reset();
  return out;
}

Expected<std::vector<domain::Notice>> EdgeBookingBackend::notices() {
  auto records = store_.list(std::string(domain::kNoticeEntity), 1000, 0);
  if (!records) return records.error();
  std::vector<domain::Notice> all;
  for (const auto& r : *records) {
    auto j = domain::parse_body(r.body);
    if (!j) continue;
    if (auto n = domain::notice_from_json(*j)) all.push_back(std::move(*n));
  }
  return domain::published_notices(all, now());
}

Expected<std::size_t> EdgeBookingBackend::put_back_refused_cards(std::size_t limit) {
  auto& db = store_.db();
  {
    // Every tick: one look past the mark on the rejections' primary key, no transaction.
    auto st = db.cached(
        "SELECT 1 FROM edge_booking_refusal_mark m WHERE EXISTS (SELECT 1 FROM rejections j WHERE j.seq > m.seq)");
    if (!st) return st.error();
    auto row = (*st)->step();
    (*st)->reset();
    if (!row) return row.error();
    if (!*row) return std::size_t{0};
  }
  ReloadOnRollback reload{store_};
  auto tx = sqlite::Tx::begin(db);
  if (!tx) return tx.error();
  // The rejections past the mark, oldest first; body is set only for a booking rejection that is
  // for this counter's latest operation on the booking (the refused write is what staff last
  // wrote; after a later write the cards followed that one instead).
  struct Refusal {
    std::uint64_t seq = 0;
    std::string receipt;
    std::optional<std::string> sent;
  };
  std::vector<Refusal> refusals;
  {
    auto st = db.cached(
        "SELECT j.seq, j.key, s.body FROM rejections j LEFT JOIN edge_booking_sent s "
        "ON j.entity = 'booking' AND s.receipt = j.key AND s.last_seq = j.seq "
        "WHERE j.seq > (SELECT seq FROM edge_booking_refusal_mark WHERE id = 1) ORDER BY j.seq LIMIT ?1");
    if (!st) return st.error();
    (*st)->bind(1, static_cast<std::int64_t>(std::max<std::size_t>(limit, 1)));
    for (;;) {
      auto row = (*st)->step();
      if (!row) {
        (*st)->reset();
        return row.error();
      }
      if (!*row) break;
      Refusal r;
      r.seq = (*st)->column_u64(0);
      r.receipt = (*st)->column_text(1);
      if (!(*st)->column_is_null(2)) r.sent = (*st)->column_text(2);
      refusals.push_back(std::move(r));
    }
    (*st)->reset();
  }
  if (refusals.empty()) return std::size_t{0};
  const std::int64_t now_ms = clock_.wall_ms();
  std::size_t changed = 0;
  std::vector<std::string> lines;
  for (const auto& r : refusals) {
    if (!r.sent) continue;
    auto sent = decode_booking(*r.sent);
    if (!sent) continue;  // not a booking this counter could have written; nothing to undo
    // The booking as the hub holds it now: the replica (the rejection put the hub's record there).
    std::optional<Booking> held;
    {
      auto st = db.cached("SELECT body FROM replica WHERE entity = 'booking' AND key = ?1 AND deleted = 0");
      if (!st) return st.error();
      (*st)->bind(1, r.receipt);
      auto row = (*st)->step();
      if (!row) {
        (*st)->reset();
        return row.error();
      }
      std::optional<std::string> body;
      if (*row) body = (*st)->column_text(0);
      (*st)->reset();
      if (body) {
        auto b = decode_booking(*body);
        if (!b) {
          lines.push_back("booking " + r.receipt + ": refused by the hub; the hub's booking does not decode, cards left");
          continue;
        }
        held = std::move(*b);
      }
    }
    const auto follows = domain::card_refusal_follows(*sent, held ? &*held : nullptr);
    auto w = write_card_follows(follows, sent->staff.empty() ? std::string("web") : sent->staff, r.receipt, now_ms);
    if (!w) return w.error();
    changed += w->changed;
    if (w->changed > 0) {
      lines.push_back("booking " + r.receipt + ": refused by the hub, " + std::to_string(w->changed) +
                      " card(s) put back");
    }
  }
  {
    auto st = db.cached("UPDATE edge_booking_refusal_mark SET seq = ?1 WHERE id = 1");
    if (!st) return st.error();
    if (auto s = (*st)->bind(1, refusals.back().seq).run(); !s) return s.error();
  }
  if (auto s = tx->commit(); !s) return s.error();
  reload.armed = false;
  for (const auto& line : lines) log_(LogLevel::info, line);
  if (changed > 0 && after_write_) after_write_();
  return changed;
}

namespace {

console::app::BookingSync refused_row(sqlite::Stmt& st) {
  console::app::BookingSync s;
  s.state = console::app::BookingSync::State::refused;
  s.receipt = st.column_text(0);
  s.code = st.column_text(1);
  s.reason = st.column_text(2);
  s.at_ms = st.column_int(3);
  s.created = st.column_int(4) != 0;
  if (auto b = decode_booking(st.column_text(5))) s.sent = std::move(*b);
  return s;
}

// A refusal is current when it is for this counter's latest operation on the booking.
constexpr const char* kRefusedColumns =
    "SELECT s.receipt, j.code, j.reason, j.at_ms, s.created, s.body FROM edge_booking_sent s "
    "JOIN rejections j ON j.entity = 'booking' AND j.key = s.receipt AND j.seq = s.last_seq ";

}  // namespace

Expected<console::app::BookingSync> EdgeBookingBackend::sync_state(std::string_view receipt) {
  console::app::BookingSync out;
  out.receipt = std::string(receipt);
  {
    auto st = store_.db().cached(std::string(kRefusedColumns) + "WHERE s.receipt = ?1");
    if (!st) return st.error();
    (*st)->bind(1, std::string(receipt));
    auto row = (*st)->step();
    if (!row) {
      (*st)->reset();
      return row.error();
    }
    if (*row) {
      out = refused_row(**st);
      (*st)->reset();
      return out;
    }
    (*st)->reset();
  }
  auto v = store_.get(std::string(domain::kBookingEntity), std::string(receipt));
  if (!v) return v.error();
  if (*v && (*v)->pending) out.state = console::app::BookingSync::State::pending;
  return out;
}

Expected<std::vector<console::app::BookingSync>> EdgeBookingBackend::refused(std::size_t limit) {
  auto st = store_.db().cached(std::string(kRefusedColumns) + "WHERE s.handled = 0 ORDER BY j.seq DESC LIMIT ?1");
  if (!st) return st.error();
  (*st)->bind(1, static_cast<std::int64_t>(limit));
  std::vector<console::app::BookingSync> out;
  for (;;) {
    auto row = (*st)->step();
    if (!row) {
      (*st)->reset();
      return row.error();
    }
    if (!*row) break;
    out.push_back(refused_row(**st));
  }
  (*st)->reset();
  return out;
}

Status EdgeBookingBackend::mark_refusal_handled(std::string_view receipt) {
  auto st = store_.db().cached("UPDATE edge_booking_sent SET handled = 1 WHERE receipt = ?1");
  if (!st) return st.error();
  return (*st)->bind(1, std::string(receipt)).run();
}

}  // namespace madoguchi::edge
