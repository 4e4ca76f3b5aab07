#include "madoguchi/domain/booking_records.h"

#include <algorithm>

#include "madoguchi/domain/booking_change.h"

namespace madoguchi::domain {

Expected<std::vector<CounterMaster>> bookable_counters(BookingRecords& records, Business business,
                                                       const BookingActor& actor, const LocalDateTime& now) {
  auto all = records.counters();
  if (!all) return all.error();
  std::vector<CounterMaster> out;
  for (CounterMaster& c : *all) {
    if (!c.businesses.count(business)) continue;
    if (actor.kind == BookingActor::Kind::resident) {
      // A counter not yet valid may already take bookings for its first days; one whose validity
      // ended takes none.
      if (!c.visible_on_site || (c.valid_until && *c.valid_until <= now)) continue;
    }
    out.push_back(std::move(c));
  }
  return out;
}

Status may_book_slot(const CounterMaster& counter, const Slot& slot, Business business, int booked, int places,
                     const BookingActor& actor, const LocalDateTime& now, int default_days_ahead) {
  if (actor.kind == BookingActor::Kind::resident) {
    return resident_may_book(counter, slot, business, booked, places, now, default_days_ahead);
  }
  Booking probe;
  probe.business = business;
  if (business == Business::application) probe.application_kind = ApplicationKind::other;
  probe.counter = counter.id;
  probe.slot = slot_key(slot);
  probe.people.resize(static_cast<std::size_t>(std::max(places, 0)));
  BookingRuleInput in;
  in.after = &probe;
  in.slot = slot;
  in.counter = counter;
  in.booked_by_others = booked;
  in.now = now;
  return check_booking_rule(in);
}

namespace {

// RSV-8: a resident books only a slot the site would offer them.
Status resident_may_book_slot(BookingRecords& records, const Booking& after, int places, const LocalDateTime& now) {
  auto master = records.counter(after.counter);
  if (!master) return master.error();
  auto slot = records.slot(after.slot);
  if (!slot) return slot.error();
  if (!*master || !*slot) return make_error(Errc::not_found, "slot " + after.slot + " does not exist");
  auto booked = records.places_taken(after.slot, after.receipt);
  if (!booked) return booked.error();
  auto conf = records.settings();
  if (!conf) return conf.error();
  return resident_may_book(**master, **slot, after.business, *booked, places, now, conf->booking_days_ahead);
}

}  // namespace

Status check_booking_write(BookingRecords& records, const Booking* before, const Booking& after,
                           const BookingActor& actor, const LocalDateTime& now) {
  if (actor.kind == BookingActor::Kind::resident) {
    if (before) {
      // RSV-12: changes until the current slot's deadline (later only by phone).
      auto slot = records.slot(before->slot);
      if (!slot) return slot.error();
      if (*slot && !resident_may_change(**slot, now)) {
        return make_error(Errc::forbidden, "the deadline of slot " + before->slot + " has passed; changes by phone only");
      }
      if (!*slot && !after.cancelled) {
        return make_error(Errc::forbidden, "the slot of booking " + before->receipt + " no longer exists; changes by phone only");
      }
      if (after.cancelled || after.slot == before->slot) return {};
    }
    return resident_may_book_slot(records, after, booking_places(after), now);
  }
  BookingRuleInput in;
  in.before = before;
  in.after = &after;
  auto slot = records.slot(after.slot);
  if (!slot) return slot.error();
  in.slot = *slot;
  auto counter = records.counter(after.counter);
  if (!counter) return counter.error();
  in.counter = *counter;
  auto booked = records.places_taken(after.slot, after.receipt);
  if (!booked) return booked.error();
  in.booked_by_others = *booked;
  in.now = now;
  in.may_override = actor.may_override;
  return check_booking_rule(in);
}

namespace {

Expected<Versioned<Booking>> stored_booking(BookingRecords& records, std::string_view receipt) {
  auto found = records.booking(receipt);
  if (!found) return found.error();
  if (!*found) return make_error(Errc::not_found, "booking " + std::string(receipt) + " does not exist");
  return std::move(**found);
}

}  // namespace

Expected<PlannedChange> plan_booking_update(BookingRecords& records, std::string_view receipt,
                                            const BookingUpdate& update, const BookingActor& actor,
                                            std::int64_t now_ms) {
  auto before = stored_booking(records, receipt);
  if (!before) return before.error();
  auto change = apply_booking_update(before->value, update, actor, now_ms);
  if (!change) return change.error();
  PlannedChange out{std::move(*before), std::move(change->after), change->changed};
  if (!out.changed) return out;
  if (auto st = check_booking_write(records, &out.before.value, out.after, actor, japan_local_time(now_ms)); !st) {
    return st.error();
  }
  return out;
}

Expected<PlannedChange> plan_booking_cancel(BookingRecords& records, std::string_view receipt, std::string_view note,
                                            const BookingActor& actor, std::int64_t now_ms) {
  auto before = stored_booking(records, receipt);
  if (!before) return before.error();
  auto after = apply_booking_cancel(before->value, note, actor, now_ms);
  if (!after) return after.error();
  PlannedChange out{std::move(*before), std::move(*after), true};
  if (auto st = check_booking_write(records, &out.before.value, out.after, actor, japan_local_time(now_ms)); !st) {
    return st.error();
  }
  return out;
}

Expected<CardWrites> apply_card_follows(BookingRecords& records, const std::vector<CardFollow>& follows,
                                        std::string_view staff, const std::string& receipt, std::int64_t now_ms) {
  CardWrites out;
  for (const CardFollow& f : follows) {
    auto stored = records.card(f.manufacture_no);
    if (!stored) return stored.error();
    if (!*stored || card_key((*stored)->value) != f.manufacture_no) {
      ++out.skipped;  // not imported yet (or not decodable): the booking is written all the same
      continue;
    }
    Versioned<Card> card = std::move(**stored);
    auto changed = apply_card_follow(card.value, f, staff, receipt, now_ms);
    if (!changed) return changed.error().with_context("card of booking " + receipt);
    if (*changed) out.changed.push_back(std::move(card));
  }
  return out;
}

Expected<CardWrites> follow_cards(BookingRecords& records, const Booking* before, const Booking& after,
                                  std::string_view staff, std::int64_t now_ms) {
  return apply_card_follows(records, card_follows(before, after), staff, after.receipt, now_ms);
}

}  // namespace madoguchi::domain
