#include "madoguchi/domain/card_search.h"

#include "madoguchi/domain/card.h"
#include "madoguchi/domain/record_body.h"
#include "madoguchi/text/normalize.h"

namespace madoguchi::domain {

CardSearchFields card_search_fields(std::string_view body) {
  CardSearchFields f;
  auto j = parse_body(body);
  if (!j) return f;
  auto card = card_from_json(*j);
  if (!card) return f;
  const Card& c = *card;
  f.decoded = true;
  f.receipt_no = c.receipt_no;
  f.counter = c.booking && !c.booking->counter.empty() ? c.booking->counter : c.counter;
  if (c.booking) f.booking_at = c.booking->at;
  f.status = static_cast<int>(card_status(c));
  auto kanji = text::search_key(c.name_kanji);
  auto kana = text::search_key(c.name_kana);
  f.kanji_key = kanji ? *kanji : std::string();
  f.kana_key = kana ? *kana : std::string();
  f.shipment_no = c.shipment_no;
  f.renewal = c.renewal.has_value();
  f.application_id = c.application_id;
  return f;
}

}  // namespace madoguchi::domain
