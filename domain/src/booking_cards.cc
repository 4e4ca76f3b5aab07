#include "madoguchi/domain/booking_cards.h"

#include <algorithm>

#include "madoguchi/domain/counter_master.h"

namespace madoguchi::domain {
namespace {

// Where a live collection booking puts its cards, or nullopt (other business, cancelled, or a
// slot key that does not parse).
std::optional<CardBooking> mirror_of(const Booking* b) {
  if (b == nullptr || b->business != Business::collection || b->cancelled) return std::nullopt;
  auto ref = parse_slot_key(b->slot);
  if (!ref) return std::nullopt;
  return CardBooking{format_date_time(ref->start), b->counter};
}

std::vector<std::string> card_numbers(const Booking* b) {
  std::vector<std::string> out;
  if (b == nullptr) return out;
  for (const auto& p : b->people) {
    if (!p.manufacture_no.empty() && std::find(out.begin(), out.end(), p.manufacture_no) == out.end()) {
      out.push_back(p.manufacture_no);
    }
  }
  return out;
}

bool same(const CardBooking& a, const CardBooking& b) { return a.at == b.at && a.counter == b.counter; }

}  // namespace

std::vector<CardFollow> card_follows(const Booking* before, const Booking& after) {
  const auto was = mirror_of(before);
  const auto now = mirror_of(&after);
  const auto had = was ? card_numbers(before) : std::vector<std::string>();
  const auto has = now ? card_numbers(&after) : std::vector<std::string>();
  std::vector<CardFollow> out;
  const bool moved = !was || !now || !same(*was, *now);
  for (const auto& no : has) {
    const bool added = std::find(had.begin(), had.end(), no) == had.end();
    if (moved || added) out.push_back(CardFollow{no, now, {}, std::nullopt, {}});
  }
  for (const auto& no : had) {
    if (std::find(has.begin(), has.end(), no) == has.end()) {
      out.push_back(CardFollow{no, std::nullopt, *was, std::nullopt, {}});
    }
  }
  return out;
}

std::vector<CardFollow> card_refusal_follows(const Booking& sent, const Booking* held) {
  const auto was = mirror_of(&sent);
  std::vector<CardFollow> out;
  if (!was) return out;
  const auto now = mirror_of(held);
  const auto kept = now ? card_numbers(held) : std::vector<std::string>();
  const std::string note = card_refusal_note(sent.receipt);
  for (const auto& no : card_numbers(&sent)) {
    const bool named = std::find(kept.begin(), kept.end(), no) != kept.end();
    if (named && same(*was, *now)) continue;  // the hub's booking keeps this card on that slot
    out.push_back(CardFollow{no, named ? now : std::nullopt, *was, *was, note});
  }
  return out;
}

std::string card_refusal_note(std::string_view receipt) {
  return "受付番号 " + std::string(receipt) + " はハブで受け付けられませんでした";
}

Expected<bool> apply_card_follow(Card& card, const CardFollow& follow, std::string_view staff, std::string_view receipt,
                                 std::int64_t now_ms) {
  if (!follow.next && (!card.booking || !same(*card.booking, follow.clear_if))) return false;
  if (follow.only_while && (!card.booking || !same(*card.booking, *follow.only_while))) return false;
  return change_booking(card, follow.next, staff, follow.note.empty() ? receipt : std::string_view(follow.note), now_ms);
}

}  // namespace madoguchi::domain
