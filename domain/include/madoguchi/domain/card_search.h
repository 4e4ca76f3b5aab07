// What a card is found and sorted by in 交付管理's search (ISS-5, ISS-6), derived from its record
// body ("card" entity, card.h). The one rule behind both search indexes: the counter's
// (EdgeCardStore's card_index, filled from its view) and the hub's (HubStore's card_index, kept in
// the transaction that writes the record).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace madoguchi::domain {

struct CardSearchFields {
  bool decoded = false;                   // false: the body does not decode (listed by its key only)
  std::uint64_t receipt_no = 0;
  std::string counter;                    // the booking's counter, else the import's
  std::optional<std::string> booking_at;  // YYYY-MM-DDTHH:MM
  int status = 0;                         // CardStatus order (card_status())
  std::string kanji_key;                  // text::search_key of the names
  std::string kana_key;
  std::string shipment_no;
  bool renewal = false;                   // matched to a renewal list (ISS-4)
  std::string application_id;
};

CardSearchFields card_search_fields(std::string_view body);

}  // namespace madoguchi::domain
