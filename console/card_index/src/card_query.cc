#include "madoguchi/console/card_index/card_query.h"

#include "madoguchi/domain/card.h"
#include "madoguchi/text/normalize.h"

namespace madoguchi::console::card_index {

namespace {

enum class NameScript { kana, kanji, other };

// What a folded name key (text::search_key: katakana folded to hiragana) is written in: kana
// when every character is hiragana or the prolonged sound mark, kanji when any character is an
// ideograph (or 々 〆 ヶ), other otherwise. The key is valid UTF-8.
NameScript name_script(std::string_view key) {
  bool all_kana = true;
  for (std::size_t i = 0; i < key.size();) {
    const auto c0 = static_cast<unsigned char>(key[i]);
    char32_t cp = 0;
    std::size_t len = 1;
    if (c0 < 0x80) {
      cp = c0;
    } else if ((c0 >> 5) == 0x6) {
      len = 2;
      cp = c0 & 0x1F;
    } else if ((c0 >> 4) == 0xE) {
      len = 3;
      cp = c0 & 0x0F;
    } else {
      len = 4;
      cp = c0 & 0x07;
    }
    for (std::size_t j = 1; j < len && i + j < key.size(); ++j) {
      cp = (cp << 6) | (static_cast<unsigned char>(key[i + j]) & 0x3F);
    }
    i += len;
    const bool ideograph = (cp >= 0x3400 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) || cp >= 0x20000 ||
                           cp == 0x3005 || cp == 0x3006 || cp == 0x30F6;
    if (ideograph) return NameScript::kanji;
    const bool kana = (cp >= 0x3041 && cp <= 0x309F) || cp == 0x30FC;
    all_kana = all_kana && kana;
  }
  return all_kana ? NameScript::kana : NameScript::other;
}

}  // namespace

Expected<Filter> filter_of(const app::CardQuery& q) {
  Filter f;
  for (char ch : q.manufacture_no) {
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z'))) {
      return make_error(Errc::invalid_argument, "manufacture_no: only 0-9 and A-Z");
    }
    f.manufacture_prefix += ch;
  }
  if (!q.name.empty()) {
    auto k = text::search_key(q.name);
    if (!k) return make_error(Errc::invalid_argument, "name: " + k.error().message);
    f.name_key = *k;
    // A key of kana alone can only be a reading, one with a kanji only a written name. Anything
    // else (Latin letters of a foreign resident's name, digits) may be in either.
    switch (name_script(*k)) {
      case NameScript::kana: f.name_column = NameColumn::kana; break;
      case NameScript::kanji: f.name_column = NameColumn::kanji; break;
      case NameScript::other: f.name_column = NameColumn::either; break;
    }
  }
  if (!q.booking_from.empty()) {
    if (!domain::is_valid_date(q.booking_from)) return make_error(Errc::invalid_argument, "booking_from: not a date");
    f.booking_from = q.booking_from + "T00:00";
  }
  if (!q.booking_to.empty()) {
    if (!domain::is_valid_date(q.booking_to)) return make_error(Errc::invalid_argument, "booking_to: not a date");
    f.booking_to = q.booking_to + "T23:59";
  }
  if (q.status) f.status = static_cast<int>(*q.status);
  f.counter = q.counter;
  f.shipment_no = q.shipment_no;
  f.receipt_no = q.receipt_no;
  f.renewal_only = q.renewal_only;
  switch (q.sort) {
    case app::CardSort::receipt_no: f.sort = Sort::receipt_no; break;
    case app::CardSort::counter: f.sort = Sort::counter; break;
    case app::CardSort::booking_at: f.sort = Sort::booking_at; break;
    case app::CardSort::status: f.sort = Sort::status; break;
    case app::CardSort::manufacture_no: f.sort = Sort::manufacture_no; break;
  }
  f.descending = q.descending;
  return f;
}

}  // namespace madoguchi::console::card_index
