// Internal to madoguchi_portal: small text helpers for the citizen site's forms and pages.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/domain/counter_master.h"

namespace madoguchi::portal::detail {

// Characters (UTF-8 code points) of valid UTF-8; npos-like SIZE_MAX for invalid input.
std::size_t utf8_chars(std::string_view s);
// Trims ASCII white space and U+3000 at both ends.
std::string trim(std::string_view s);
// Full-width ASCII (U+FF01-FF5E) to ASCII, U+3000 to a space; everything else unchanged.
std::string fold_width(std::string_view s);
// A whole number typed by a person (full-width digits allowed) within [lo, hi], or nullopt.
std::optional<int> parse_small_int(std::string_view typed, int lo, int hi);
// A reading in katakana: hiragana are turned into katakana, half-width spaces and U+3000 become one
// U+3000, trimmed. nullopt when anything but katakana (U+30A1-U+30FA, ー, ・) and spaces remains,
// when empty, or when longer than max_chars.
std::optional<std::string> normalize_kana(std::string_view typed, std::size_t max_chars);
// local@domain, printable ASCII without spaces, at most 254 bytes, one '@', a dot in the domain.
bool plausible_email(std::string_view s);
// 1-20 of [0-9+-] after width folding; returns the folded text.
std::optional<std::string> normalize_phone(std::string_view typed);
// Paragraphs of plain text: split at line breaks, trimmed, empty lines dropped.
std::vector<std::string> paragraphs(std::string_view text);
// 「2026年11月30日（月）」
std::string japanese_date(const calendar::Date& d);
// 「2026年11月30日（月）9:00」
std::string japanese_date_time(const domain::LocalDateTime& t);
// 「9:00」
std::string japanese_time(int minute);

}  // namespace madoguchi::portal::detail
