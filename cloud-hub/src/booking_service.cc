#include "madoguchi/hub/booking_service.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <unordered_map>

#include "madoguchi/domain/administrator.h"
#include "madoguchi/domain/booking_cards.h"
#include "madoguchi/domain/booking_change.h"
#include "madoguchi/domain/booking_records.h"
#include "madoguchi/domain/permissions.h"
#include "madoguchi/domain/record_body.h"
#include "madoguchi/domain/staff.h"

namespace madoguchi::hub {

using namespace madoguchi::domain;
namespace p = madoguchi::protocol;

namespace {

const std::string kBooking(domain::kBookingEntity);

// The writer a booking's cards name in their history: the staff id, or "web" for a resident.
std::string writer_of(const domain::BookingActor& actor) {
  return actor.kind == domain::BookingActor::Kind::staff ? actor.staff_id : std::string("web");
}
const std::string kSlot = "slot";
const std::string kCounter = "counter";

template <typename T, typename F>
std::optional<T> decode_live(const std::optional<p::Record>& rec, F from_json) {
  if (!rec || rec->deleted) return std::nullopt;
  auto body = domain::parse_body(rec->body);
  if (!body) return std::nullopt;
  auto v = from_json(*body);
  if (!v) return std::nullopt;
  return std::optional<T>(std::move(*v));
}

// The roles in force (effective_roles over the stored "role" records), read in the transaction.
Expected<std::vector<domain::Role>> read_roles(TxReader& tx) {
  auto recs = tx.records(std::string(domain::kRoleEntity), 1000);
  if (!recs) return recs.error();
  std::vector<domain::Role> stored;
  for (const auto& r : *recs) {
    auto role = decode_live<domain::Role>(std::optional<p::Record>(r), role_from_json);
    if (role && domain::role_key(*role) == r.key) stored.push_back(std::move(*role));
  }
  return domain::effective_roles(std::move(stored));
}

// PHN-5: the staff member named in the booking holds Menu::booking_override through their role.
// Read inside the writing transaction, so a role changed a moment ago counts as changed.
Expected<bool> staff_may_override(TxReader& tx, const std::string& staff_id) {
  if (staff_id.empty()) return false;
  auto rec = tx.get(std::string(domain::kStaffEntity), staff_id);
  if (!rec) return rec.error();
  auto account = decode_live<domain::StaffAccount>(*rec, staff_from_json);
  if (!account || !account->enabled || account->id != staff_id) return false;
  auto roles = read_roles(tx);
  if (!roles) return roles.error();
  const domain::Role* role = domain::find_role(*roles, account->role_id);
  return role != nullptr && domain::allowed(*role, domain::Menu::booking_override);
}

// Issue 11 hole 4: a counter PC never changes the password of an account holding an
// administration menu, whatever proof it brings (the write policy has checked the proof and that
// nothing but the password changes). The role is the one stored now, read in this transaction.
Status check_counter_staff_write(const ConstraintInput& in, TxReader& tx) {
  if (in.origin == "hub" || !in.current) return {};
  auto account = decode_live<domain::StaffAccount>(in.current, staff_from_json);
  if (!account) return {};
  auto roles = read_roles(tx);
  if (!roles) return roles.error();
  const domain::Role* role = domain::find_role(*roles, account->role_id);
  if (role != nullptr && domain::grants_administration(*role)) {
    return make_error(Errc::forbidden, "an account with administration menus changes its password only at the hub");
  }
  return {};
}

Expected<domain::Booking> decode_booking(std::string_view body) {
  auto json = domain::parse_body(body);
  if (!json) return json.error();
  return booking_from_json(*json);
}

std::string date_key(const calendar::Date& d) { return calendar::format_iso(d); }

// A record's decoded form, reused while the record's stored body is byte-for-byte the body it was
// decoded from. Decoding (parse_body, then from_json) is a pure function of the body, so a hit
// gives exactly what decoding that body again would: the cache cannot serve stale data, whatever
// happened to the record in between, and it never answers for a record it was not handed (every
// lookup passes the record just read, in the caller's transaction). The body is compared rather
// than only the version so that nothing depends on how versions are numbered (a restored
// database). Only successful decodes are kept. Bounded: at most `limit` keys; when a new key
// finds it full it is emptied and refills from the records read next.
template <typename T>
class DecodeCache {
 public:
  explicit DecodeCache(std::size_t limit) : limit_(limit) {}

  template <typename F>
  Expected<T> decode(const p::Record& r, F from_json) {
    auto it = entries_.find(r.key);
    if (it != entries_.end() && it->second.body == r.body) return it->second.value;
    auto body = domain::parse_body(r.body);
    if (!body) return body.error();
    auto v = from_json(*body);
    if (!v) return v.error();
    if (it == entries_.end()) {
      if (entries_.size() >= limit_) entries_.clear();
      it = entries_.emplace(r.key, Entry{r.body, *v}).first;
    } else {
      it->second = Entry{r.body, *v};
    }
    return v;
  }

 private:
  struct Entry {
    std::string body;
    T value;
  };
  std::unordered_map<std::string, Entry> entries_;
  std::size_t limit_;
};

// A live record decoded through `cache` (nullopt: absent, deleted or not decodable).
template <typename T, typename F>
std::optional<T> decode_live_cached(DecodeCache<T>& cache, const std::optional<p::Record>& rec, F from_json) {
  if (!rec || rec->deleted) return std::nullopt;
  auto v = cache.decode(*rec, from_json);
  if (!v) return std::nullopt;
  return std::optional<T>(std::move(*v));
}

}  // namespace

// The settings record, the counters and the slots of the pages the site serves (bounds: one
// settings record; counters and slots well above what a municipality's site reads in a while).
struct HubBookingService::DecodeCaches {
  DecodeCache<domain::Settings> settings{4};
  DecodeCache<domain::CounterMaster> counters{1024};
  DecodeCache<domain::Slot> slots{4096};
};

// What residents were answered (counters and slot availability), kept while the database and the
// minute stay the same (HubStore::data_version; the rule's `now` has minute resolution): the
// citizen site asks the same week of the same counter again and again. Staff answers depend on
// the staff member and are not kept.
struct HubBookingService::ResidentAnswers {
  static constexpr std::size_t kMaxWeeks = 512;  // cleared when full
  bool valid = false;
  HubStore::DataVersion version;
  domain::LocalDateTime at;
  std::map<domain::Business, std::vector<domain::CounterMaster>> counters;
  std::unordered_map<std::string, std::vector<domain::SlotAvailability>> weeks;

  // Forgets everything unless `version` and `now` are those of the answers kept.
  void refresh(const HubStore::DataVersion& v, const domain::LocalDateTime& now) {
    if (valid && v == version && now == at) return;
    counters.clear();
    weeks.clear();
    version = v;
    at = now;
    valid = true;
  }
};

// domain::BookingRecords over the municipality's HubStore: the port the booking use cases
// (booking_records.h) read through, with the service's decode caches.
class HubBookingService::Records final : public domain::BookingRecords {
 public:
  Records(HubBookingService& service, HubStore& store) : service_(service), store_(store) {}

  Expected<domain::Settings> settings() override { return service_.settings(); }
  Expected<std::vector<domain::CounterMaster>> counters() override {
    auto recs = store_.records_between(kCounter, "", "", service_.options_.max_scan);
    if (!recs) return recs.error();
    std::vector<domain::CounterMaster> out;
    for (const auto& r : *recs) {
      if (r.deleted) continue;
      auto c = service_.decoded_->counters.decode(r, counter_from_json);
      if (c && domain::counter_key(*c) == r.key) out.push_back(std::move(*c));
    }
    return out;
  }
  Expected<std::optional<domain::CounterMaster>> counter(std::string_view id) override {
    auto rec = store_.get(kCounter, std::string(id));
    if (!rec) return rec.error();
    return decode_live_cached(service_.decoded_->counters, *rec, counter_from_json);
  }
  Expected<std::optional<domain::Slot>> slot(std::string_view key) override {
    auto rec = store_.get(kSlot, std::string(key));
    if (!rec) return rec.error();
    return decode_live_cached(service_.decoded_->slots, *rec, slot_from_json);
  }
  Expected<int> places_taken(std::string_view slot_key, std::string_view except_receipt) override {
    auto n = store_.booked_places(std::string(slot_key), std::string(except_receipt));
    if (!n) return n.error();
    return static_cast<int>(*n);
  }
  Expected<std::optional<domain::Versioned<domain::Card>>> card(std::string_view manufacture_no) override {
    using Result = std::optional<domain::Versioned<domain::Card>>;
    auto rec = store_.get(std::string(domain::kCardEntity), std::string(manufacture_no));
    if (!rec) return rec.error();
    auto c = decode_live<domain::Card>(*rec, card_from_json);
    if (!c) return Result();
    return Result(domain::Versioned<domain::Card>{std::move(*c), (*rec)->version});
  }
  Expected<std::optional<domain::Versioned<domain::Booking>>> booking(std::string_view receipt) override {
    using Result = std::optional<domain::Versioned<domain::Booking>>;
    if (receipt.empty() || receipt.size() > domain::kMaxReceiptBytes || !p::valid_key(receipt)) return Result();
    auto rec = store_.get(kBooking, std::string(receipt));
    if (!rec) return rec.error();
    if (!*rec || (*rec)->deleted) return Result();
    auto b = decode_booking((*rec)->body);
    if (!b) return b.error().with_context("booking " + std::string(receipt));
    return Result(domain::Versioned<domain::Booking>{std::move(*b), (*rec)->version});
  }

 private:
  HubBookingService& service_;
  HubStore& store_;
};

PlaceCount booking_place_count() {
  return PlaceCount{kBooking, [](std::string_view body) -> std::optional<SlotPlaces> {
                      auto b = decode_booking(body);
                      if (!b) return std::nullopt;
                      return SlotPlaces{b->slot, domain::booking_places(*b)};
                    }};
}

Constraint booking_constraint() {
  return [](const ConstraintInput& in, TxReader& tx) -> Status {
    if (in.entity != domain::kBookingEntity || in.remove) return {};  // removals: the write policy decides
    auto after = decode_booking(in.body);
    if (!after) return after.error().with_context("booking " + std::string(in.key));
    if (after->receipt != in.key) {
      return make_error(Errc::invalid_argument, "receipt: " + after->receipt + " is not the record key");
    }
    std::optional<domain::Booking> before;
    if (in.current) {
      auto b = decode_booking(in.current->body);
      if (b) before = std::move(*b);
    }
    domain::BookingRuleInput rule;
    rule.before = before ? &*before : nullptr;
    rule.after = &*after;
    auto slot = tx.get(kSlot, after->slot);
    if (!slot) return slot.error();
    rule.slot = decode_live<domain::Slot>(*slot, slot_from_json);
    auto counter = tx.get(kCounter, after->counter);
    if (!counter) return counter.error();
    rule.counter = decode_live<domain::CounterMaster>(*counter, counter_from_json);
    auto booked = tx.booked_places(after->slot, std::string(in.key));
    if (!booked) return booked.error();
    rule.booked_by_others = static_cast<int>(*booked);
    rule.now = domain::japan_local_time(in.now_ms);
    if (after->channel != domain::BookingChannel::web) {
      auto may = staff_may_override(tx, after->staff);
      if (!may) return may.error();
      rule.may_override = *may;
    }
    return check_booking_rule(rule);
  };
}

Status install_booking_rule(HubStore& store) {
  // HubStore holds one Constraint: the booking rule, and the staff rule for writes from devices.
  return store.set_constraint(
      [bookings = booking_constraint()](const ConstraintInput& in, TxReader& tx) -> Status {
        if (in.entity == domain::kStaffEntity && !in.remove) return check_counter_staff_write(in, tx);
        return bookings(in, tx);
      },
      booking_place_count());
}

HubBookingService::HubBookingService(HubEngine& engine, std::string municipality, const Clock& clock,
                                     BookingServiceOptions options)
    : engine_(engine),
      municipality_(std::move(municipality)),
      clock_(clock),
      options_(options),
      decoded_(std::make_unique<DecodeCaches>()),
      answers_(std::make_unique<ResidentAnswers>()) {}

HubBookingService::~HubBookingService() = default;

Expected<HubStore*> HubBookingService::store() {
  HubStore* s = engine_.store(municipality_);
  if (!s) return make_error(Errc::not_found, "unknown municipality " + municipality_);
  return s;
}

domain::LocalDateTime HubBookingService::now() { return domain::japan_local_time(clock_.wall_ms()); }

// Live records of `entity` with from_key < key < to_key, in key order, at most options_.max_scan.
Expected<std::vector<p::Record>> HubBookingService::entity_records(std::string_view entity, std::string_view from_key,
                                                                   std::string_view to_key) {
  auto s = store();
  if (!s) return s.error();
  // One statement bounded by the range (records_after would page on into the next entities).
  return (*s)->records_between(std::string(entity), std::string(from_key), std::string(to_key), options_.max_scan);
}

Expected<domain::Settings> HubBookingService::settings() {
  auto s = store();
  if (!s) return s.error();
  auto rec = (*s)->get(std::string(domain::kSettingsEntity), std::string(domain::kSettingsKey));
  if (!rec) return rec.error();
  if (!*rec || (*rec)->deleted) return domain::Settings{};
  return decoded_->settings.decode(**rec, settings_from_json);
}

HubBookingService::ResidentAnswers* HubBookingService::resident_answers(const domain::BookingActor& actor,
                                                                       const domain::LocalDateTime& t) {
  if (actor.kind != domain::BookingActor::Kind::resident) return nullptr;
  auto s = store();
  if (!s) return nullptr;
  auto v = (*s)->data_version();
  if (!v) return nullptr;  // answered from the database, as without the cache
  answers_->refresh(*v, t);
  return answers_.get();
}

Expected<std::vector<domain::CounterMaster>> HubBookingService::counters(domain::Business business, const domain::BookingActor& actor) {
  const domain::LocalDateTime t = now();
  ResidentAnswers* kept = resident_answers(actor, t);
  if (kept) {
    if (auto it = kept->counters.find(business); it != kept->counters.end()) return it->second;
  }
  auto r = records();
  if (!r) return r.error();
  auto out = domain::bookable_counters(**r, business, actor, t);
  if (out && kept) kept->counters[business] = *out;
  return out;
}

Expected<std::vector<domain::SlotAvailability>> HubBookingService::availability(std::string_view counter, calendar::Date from,
                                                                        calendar::Date to, domain::Business business,
                                                                        int places, const domain::BookingActor& actor) {
  if (auto v = domain::validate_counter_id(counter); !v) return v.error();
  if (!calendar::valid_date(from) || !calendar::valid_date(to) || to < from || calendar::days_between(from, to) > 61) {
    return make_error(Errc::invalid_argument, "range: from..to must be valid dates at most 62 days apart");
  }
  if (places < 1 || places > static_cast<int>(domain::kMaxBookingPeople)) {
    return make_error(Errc::invalid_argument, "places: 1-" + std::to_string(domain::kMaxBookingPeople));
  }
  const domain::LocalDateTime t = now();
  ResidentAnswers* kept = resident_answers(actor, t);
  std::string week_key;
  if (kept) {
    week_key = std::string(counter) + '|' + calendar::format_iso(from) + '|' + calendar::format_iso(to) + '|' +
               std::to_string(static_cast<int>(business)) + '|' + std::to_string(places);
    if (auto it = kept->weeks.find(week_key); it != kept->weeks.end()) return it->second;
  }
  auto s = store();
  if (!s) return s.error();
  // One read transaction for the page's reads: one state, the read lock taken once.
  auto scope = (*s)->read_scope();
  if (!scope) return scope.error();
  auto crec = (*s)->get(kCounter, std::string(counter));
  if (!crec) return crec.error();
  auto master = decode_live_cached(decoded_->counters, *crec, counter_from_json);
  if (!master) return make_error(Errc::not_found, "counter " + std::string(counter) + " does not exist");
  auto conf = settings();
  if (!conf) return conf.error();
  // Slot keys are "<counter>:<YYYY-MM-DD>T<HH:MM>": the day range is a key range ('U' follows 'T').
  const std::string prefix = std::string(counter) + ":";
  // The slots and their fill (booking_load) in one statement.
  auto recs = (*s)->records_between_with_places(std::string(kSlot), prefix + date_key(from),
                                                prefix + date_key(to) + "U", options_.max_scan);
  if (!recs) return recs.error();
  std::vector<domain::SlotAvailability> out;
  for (const auto& [r, booked] : *recs) {
    if (r.deleted) continue;
    auto slot = decoded_->slots.decode(r, slot_from_json);
    if (!slot || domain::slot_key(*slot) != r.key) continue;
    domain::SlotAvailability a{*slot, static_cast<int>(booked), false, ""};
    // Staff: the booking rule itself, without override (what an override would pass is the
    // screen's business: it shows the fill and the reason).
    const Status ok = domain::may_book_slot(*master, *slot, business, a.booked, places, actor, t, conf->booking_days_ahead);
    a.bookable = ok.ok();
    if (!ok) a.reason = ok.error().message;
    out.push_back(std::move(a));
  }
  if (kept) {
    if (kept->weeks.size() >= ResidentAnswers::kMaxWeeks) kept->weeks.clear();
    kept->weeks.emplace(std::move(week_key), out);
  }
  return out;
}

Expected<std::optional<domain::Card>> HubBookingService::card_by_postcard(std::string_view postcard_no, int birth_month,
                                                                  int birth_day) {
  const std::string folded = domain::normalize_postcard_no(postcard_no);
  if (folded.empty()) return std::optional<domain::Card>();
  auto s = store();
  if (!s) return s.error();
  // One lookup in the expression index records_card_postcard (hub_store.cc).
  auto recs = (*s)->cards_by_postcard(folded, 16);
  if (!recs) return recs.error();
  for (const auto& r : *recs) {
    auto c = decode_live<domain::Card>(std::optional<p::Record>(r), card_from_json);
    if (c && domain::card_key(*c) == r.key && domain::card_matches(*c, folded, birth_month, birth_day)) return std::optional<domain::Card>(std::move(*c));
  }
  return std::optional<domain::Card>();
}

Expected<std::optional<domain::Card>> HubBookingService::card(std::string_view manufacture_no) {
  if (!domain::validate_manufacture_no(manufacture_no)) return std::optional<domain::Card>();
  auto s = store();
  if (!s) return s.error();
  auto rec = (*s)->get(std::string(domain::kCardEntity), std::string(manufacture_no));
  if (!rec) return rec.error();
  return decode_live<domain::Card>(*rec, card_from_json);
}

Expected<std::unique_ptr<HubBookingService::Records>> HubBookingService::records() {
  auto s = store();
  if (!s) return s.error();
  return std::make_unique<Records>(*this, **s);
}

Expected<domain::Booking> HubBookingService::write_booking(Records& records, const domain::Booking* before,
                                                           const domain::Booking& booking, std::uint64_t base_version,
                                                           const std::string& staff, std::int64_t now_ms) {
  if (auto v = domain::validate_booking(booking); !v) return v.error();
  const std::string card_entity(domain::kCardEntity);
  constexpr int kTries = 3;
  for (int attempt = 1;; ++attempt) {
    std::vector<LocalWrite> writes;
    writes.push_back(LocalWrite{kBooking, booking.receipt, p::OpKind::upsert, domain::dump_body(domain::booking_to_json(booking)), base_version});
    auto cards = domain::follow_cards(records, before, booking, staff, now_ms);
    if (!cards) return cards.error();
    for (const auto& card : cards->changed) {
      writes.push_back(LocalWrite{card_entity, card.value.manufacture_no, p::OpKind::upsert,
                                  domain::dump_body(domain::card_to_json(card.value)), card.version});
    }
    auto written = engine_.write_local_batch(municipality_, writes);
    if (written) {
      if (cards->skipped > 0) {
        cards_skipped_ += cards->skipped;
        options_.log(LogLevel::warning, "booking " + booking.receipt + ": " + std::to_string(cards->skipped) +
                                            " card(s) not in the hub's records, not updated");
      }
      return booking;
    }
    if (written.error().code != Errc::conflict || attempt == kTries) return written.error();
    // A conflict: the booking changed since it was read (the caller's conflict), or one of its
    // cards did (read the cards again).
    auto stored = records.booking(booking.receipt);
    if (!stored) return stored.error();
    if ((*stored ? (*stored)->version : 0) != base_version) return written.error();
  }
}

Expected<HubBookingService::NewPassword> HubBookingService::new_password() const {
  NewPassword p;
  p.password = domain::generate_booking_password();
  auto hash = domain::hash_booking_password(p.password, options_.fast_hashing_for_tests);
  if (!hash) return hash.error();
  p.hash = std::move(*hash);
  return p;
}

Expected<domain::MadeBooking> HubBookingService::create(const domain::NewBooking& request, const domain::BookingActor& actor) {
  auto password = new_password();
  if (!password) return password.error();
  return create(request, actor, std::move(*password));
}

// The record `request` makes at now_ms, before its receipt number and password ("pending").
Expected<domain::Booking> HubBookingService::draft(const domain::NewBooking& request, const domain::BookingActor& actor,
                                                   std::int64_t now_ms) {
  const bool staff = actor.kind == domain::BookingActor::Kind::staff;
  if (staff && domain::validate_staff_id(actor.staff_id).ok() == false) return make_error(Errc::invalid_argument, "staff: bad id");
  auto ref = domain::parse_slot_key(request.slot);
  if (!ref) return make_error(Errc::invalid_argument, "slot: not a slot key");
  domain::Booking b = domain::booking_from_request(request, actor, ref->counter, now_ms);
  b.receipt = "pending";
  return b;
}

Status HubBookingService::check_new(const domain::NewBooking& request, const domain::BookingActor& actor) {
  const std::int64_t now_ms = clock_.wall_ms();
  auto b = draft(request, actor, now_ms);
  if (!b) return b.error();
  auto r = records();
  if (!r) return r.error();
  return domain::check_booking_write(**r, nullptr, *b, actor, domain::japan_local_time(now_ms));
}

Expected<domain::MadeBooking> HubBookingService::create(const domain::NewBooking& request, const domain::BookingActor& actor,
                                                        NewPassword password) {
  const bool staff = actor.kind == domain::BookingActor::Kind::staff;
  auto conf = settings();
  if (!conf) return conf.error();
  auto r = records();
  if (!r) return r.error();
  auto s = store();
  if (!s) return s.error();
  const std::int64_t now_ms = clock_.wall_ms();
  const domain::LocalDateTime t = domain::japan_local_time(now_ms);
  auto drafted = draft(request, actor, now_ms);
  if (!drafted) return drafted.error();
  domain::Booking b = std::move(*drafted);
  domain::MadeBooking made;
  made.password = std::move(password.password);
  b.password_hash = std::move(password.hash);
  // Checked before a receipt number is drawn, so a bad request does not use one up. The
  // resident's window (RSV-8) or the booking rule first; the booking rule in the writing
  // transaction protects the capacity whatever happens in between.
  if (auto v = domain::validate_booking(b); !v) return v.error();
  if (auto ok = domain::check_booking_write(**r, nullptr, b, actor, t); !ok) return ok.error();

  // RSV-10 / MST-7: the day's sequence, kept in the hub's own table (one small transaction).
  const std::chrono::year_month_day day{std::chrono::year{t.date.year}, std::chrono::month{static_cast<unsigned>(t.date.month)},
                                        std::chrono::day{static_cast<unsigned>(t.date.day)}};
  auto seq = (*s)->next_sequence("receipt:" + date_key(t.date));
  if (!seq) return seq.error();
  auto receipt = domain::format_receipt_number(conf->receipt_number_rule, day, static_cast<std::uint64_t>(*seq));
  if (!receipt) return receipt.error();
  b.receipt = std::move(*receipt);
  if (holder_) {
    if (auto held = holder_(b, made.password); !held) return held.error();
  }
  // capacity / forbidden / not_found: nothing stored, no card changed.
  auto written = write_booking(**r, nullptr, b, 0, staff ? actor.staff_id : std::string("web"), now_ms);
  if (!written) return written.error();
  made.booking = std::move(*written);
  if (notifier_) notifier_(made.booking, "made", made.password);
  return made;
}

Expected<std::optional<domain::Booking>> HubBookingService::get(std::string_view receipt) {
  auto r = records();
  if (!r) return r.error();
  auto b = (*r)->booking(receipt);
  if (!b) return b.error();
  if (!*b) return std::optional<domain::Booking>();
  return std::optional<domain::Booking>(std::move((*b)->value));
}

Expected<domain::Booking> HubBookingService::update(std::string_view receipt, const domain::BookingUpdate& update,
                                                    const domain::BookingActor& actor) {
  auto r = records();
  if (!r) return r.error();
  const std::int64_t now_ms = clock_.wall_ms();
  auto change = domain::plan_booking_update(**r, receipt, update, actor, now_ms);
  if (!change) return change.error();
  if (!change->changed) return change->before.value;
  auto written = write_booking(**r, &change->before.value, change->after, change->before.version, writer_of(actor), now_ms);
  if (!written) return written.error();
  // The resident is mailed for what they see; a change of 申し送り alone is internal.
  if (notifier_ && written->history.back().action == "changed") notifier_(*written, "changed", std::string());
  return written;
}

Expected<domain::Booking> HubBookingService::cancel(std::string_view receipt, std::string_view note,
                                                    const domain::BookingActor& actor) {
  auto r = records();
  if (!r) return r.error();
  const std::int64_t now_ms = clock_.wall_ms();
  auto change = domain::plan_booking_cancel(**r, receipt, note, actor, now_ms);
  if (!change) return change.error();
  auto written = write_booking(**r, &change->before.value, change->after, change->before.version, writer_of(actor), now_ms);
  if (!written) return written.error();
  if (notifier_) notifier_(*written, "cancelled", std::string());
  return written;
}

Expected<std::vector<domain::Booking>> HubBookingService::search(const domain::BookingQuery& query, std::size_t offset, std::size_t limit) {
  std::vector<domain::Booking> found;
  auto matches = [&](const domain::Booking& b) {
    if (!query.include_cancelled && b.cancelled) return false;
    if (!query.counter.empty() && b.counter != query.counter) return false;
    if (!query.manufacture_no.empty() &&
        std::none_of(b.people.begin(), b.people.end(), [&](const domain::BookingPerson& p) { return p.manufacture_no == query.manufacture_no; })) {
      return false;
    }
    auto ref = domain::parse_slot_key(b.slot);
    if (!ref) return false;
    if (query.from && ref->start.date < *query.from) return false;
    if (query.to && *query.to < ref->start.date) return false;
    return true;
  };
  if (!query.receipt.empty()) {
    auto b = get(query.receipt);
    if (!b) return b.error();
    if (*b && matches(**b)) found.push_back(std::move(**b));
  } else {
    auto recs = entity_records(kBooking, "", "");
    if (!recs) return recs.error();
    for (const auto& r : *recs) {
      auto b = decode_booking(r.body);
      if (b && b->receipt == r.key && matches(*b)) found.push_back(std::move(*b));
    }
  }
  // PHN-6: newest slot first (slot keys of one counter sort by time; across counters by start).
  std::sort(found.begin(), found.end(), [](const domain::Booking& a, const domain::Booking& b) {
    auto ra = domain::parse_slot_key(a.slot), rb = domain::parse_slot_key(b.slot);
    if (ra->start != rb->start) return rb->start < ra->start;
    return a.receipt > b.receipt;
  });
  if (offset >= found.size()) return std::vector<domain::Booking>();
  const std::size_t end = std::min(found.size(), offset + limit);
  return std::vector<domain::Booking>(std::make_move_iterator(found.begin() + static_cast<std::ptrdiff_t>(offset)),
                              std::make_move_iterator(found.begin() + static_cast<std::ptrdiff_t>(end)));
}

Expected<std::vector<domain::Notice>> HubBookingService::notices() {
  auto recs = entity_records(domain::kNoticeEntity, "", "");
  if (!recs) return recs.error();
  std::vector<domain::Notice> all;
  for (const auto& r : *recs) {
    auto n = decode_live<domain::Notice>(std::optional<p::Record>(r), notice_from_json);
    if (n && n->id == r.key) all.push_back(std::move(*n));
  }
  return published_notices(all, now());
}

Expected<std::vector<domain::Booking>> HubBookingService::reminders_due(std::size_t limit) {
  auto conf = settings();
  if (!conf) return conf.error();
  std::vector<domain::Booking> out;
  if (conf->reminder_days_before <= 0) return out;
  const domain::LocalDateTime t = now();
  auto s = store();
  if (!s) return s.error();
  // Only live bookings of the coming days: candidates from booking_load by slot day, decoded one by
  // one (a full scan of every booking ever made would grow with the years).
  auto keys = (*s)->load_keys_between_days(calendar::format_iso(t.date),
                                           calendar::format_iso(calendar::add_days(t.date, conf->reminder_days_before)),
                                           options_.max_scan);
  if (!keys) return keys.error();
  for (const auto& key : *keys) {
    auto rec = (*s)->get(std::string(kBooking), key);
    if (!rec) return rec.error();
    if (!*rec || (*rec)->deleted) continue;
    auto b = decode_booking((*rec)->body);
    if (!b || b->receipt != key || b->cancelled || b->email.empty() || b->reminded_ms != 0) continue;
    auto ref = domain::parse_slot_key(b->slot);
    if (!ref || ref->start <= t) continue;
    out.push_back(std::move(*b));
  }
  std::sort(out.begin(), out.end(), [](const domain::Booking& a, const domain::Booking& b) {
    return domain::parse_slot_key(a.slot)->start < domain::parse_slot_key(b.slot)->start;
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

Status HubBookingService::mark_reminded(std::string_view receipt) {
  auto r = records();
  if (!r) return r.error();
  auto stored = (*r)->booking(receipt);
  if (!stored) return stored.error();
  if (!*stored) return make_error(Errc::not_found, "booking " + std::string(receipt) + " does not exist");
  const std::int64_t now_ms = clock_.wall_ms();
  domain::Booking b = (*stored)->value;
  b.reminded_ms = now_ms;
  domain::add_booking_event(b, domain::BookingEvent{now_ms, "reminded", "hub", b.slot, ""});
  auto written = write_booking(**r, &(*stored)->value, b, (*stored)->version, "hub", now_ms);
  if (!written) return written.error();
  return {};
}


// ---- SharedBookingService ----

domain::LocalDateTime SharedBookingService::now() {
  std::lock_guard lock(mutex_);
  return inner_.now();
}
Expected<domain::Settings> SharedBookingService::settings() {
  std::lock_guard lock(mutex_);
  return inner_.settings();
}
Expected<std::vector<domain::CounterMaster>> SharedBookingService::counters(domain::Business business,
                                                                            const domain::BookingActor& actor) {
  std::lock_guard lock(mutex_);
  return inner_.counters(business, actor);
}
Expected<std::vector<domain::SlotAvailability>> SharedBookingService::availability(std::string_view counter, calendar::Date from,
                                                                                   calendar::Date to, domain::Business business,
                                                                                   int places,
                                                                                   const domain::BookingActor& actor) {
  std::lock_guard lock(mutex_);
  return inner_.availability(counter, from, to, business, places, actor);
}
Expected<std::optional<domain::Card>> SharedBookingService::card_by_postcard(std::string_view postcard_no, int birth_month,
                                                                             int birth_day) {
  std::lock_guard lock(mutex_);
  return inner_.card_by_postcard(postcard_no, birth_month, birth_day);
}
Expected<std::optional<domain::Card>> SharedBookingService::card(std::string_view manufacture_no) {
  std::lock_guard lock(mutex_);
  return inner_.card(manufacture_no);
}
Expected<domain::MadeBooking> SharedBookingService::create(const domain::NewBooking& request,
                                                           const domain::BookingActor& actor) {
  {
    // A slot already full (the usual answer late in a rush) costs no hashing.
    std::lock_guard lock(mutex_);
    if (auto ok = inner_.check_new(request, actor); !ok) return ok.error();
  }
  auto password = inner_.new_password();  // outside the lock: argon2id is most of a booking's CPU
  if (!password) return password.error();
  std::lock_guard lock(mutex_);
  return inner_.create(request, actor, std::move(*password));
}
Expected<std::optional<domain::Booking>> SharedBookingService::get(std::string_view receipt) {
  std::lock_guard lock(mutex_);
  return inner_.get(receipt);
}
Expected<domain::Booking> SharedBookingService::update(std::string_view receipt, const domain::BookingUpdate& update,
                                                       const domain::BookingActor& actor) {
  std::lock_guard lock(mutex_);
  return inner_.update(receipt, update, actor);
}
Expected<domain::Booking> SharedBookingService::cancel(std::string_view receipt, std::string_view note,
                                                       const domain::BookingActor& actor) {
  std::lock_guard lock(mutex_);
  return inner_.cancel(receipt, note, actor);
}
Expected<std::vector<domain::Booking>> SharedBookingService::search(const domain::BookingQuery& query, std::size_t offset,
                                                                    std::size_t limit) {
  std::lock_guard lock(mutex_);
  return inner_.search(query, offset, limit);
}
Expected<std::vector<domain::Notice>> SharedBookingService::notices() {
  std::lock_guard lock(mutex_);
  return inner_.notices();
}

}  // namespace madoguchi::hub
