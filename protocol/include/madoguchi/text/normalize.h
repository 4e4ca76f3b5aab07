// Search keys for names (ISS-5): two spellings a person would call "the same name" get the same
// key, so staff find ヤマダ タロウ by typing やまだたろう, ﾔﾏﾀﾞﾀﾛｳ or ヤマダ　タロウ, and find an
// MJ variant (渡邉 + U+E0110) by typing the plain 渡邉. Pure, no I/O.
//
// What search_key does, code point by code point (an NFKC-like folding restricted to what name
// search needs; kanji are never changed):
//  - full-width ASCII (U+FF01-FF5E) becomes ASCII; A-Z become a-z;
//  - half-width katakana (U+FF61-FF9F) become full-width, with ﾞ and ﾟ combined into the
//    preceding kana (ｶﾞ -> ガ, ﾊﾟ -> パ, ｳﾞ -> ヴ); a mark that cannot combine becomes ゛/゜;
//  - combining marks U+3099/U+309A combine with the preceding kana the same way (macOS input);
//  - katakana become hiragana (ヴ -> ゔ, ヵヶ -> ゕゖ, ヽヾ -> ゝゞ); ヷヸヹヺ, which have no
//    hiragana, stay; the long vowel mark ー stays (ラーメン and ラメン are different names);
//  - removed: spaces (U+0020, TAB, CR, LF, U+3000), middle dots (・ U+30FB, ･ U+FF65, · U+00B7),
//    variation selectors (U+FE00-FE0F, U+E0100-E01EF), so an MJ variant matches its base.
// Kanji variants that are different code points (髙/高, 﨑/崎, 邊/辺) are NOT folded: that is a
// policy decision for the search screen, not a normalisation.
#pragma once

#include <string>
#include <string_view>

#include "madoguchi/error.h"

namespace madoguchi::text {

// The search key of `utf8`. Errors: Errc::invalid_argument naming the byte offset of invalid
// UTF-8 (never the text).
Expected<std::string> search_key(std::string_view utf8);

}  // namespace madoguchi::text
