#include "madoguchi/text/normalize.h"

#include <array>
#include <vector>

#include "madoguchi/text/encoding.h"
#include "utf8_codec.h"

namespace madoguchi::text {

namespace {

// U+FF61..U+FF9D (half-width punctuation and katakana) to their full-width forms.
constexpr std::array<char32_t, 0xFF9D - 0xFF61 + 1> kHalfwidth{
    0x3002, 0x300C, 0x300D, 0x3001, 0x30FB, 0x30F2, 0x30A1, 0x30A3, 0x30A5, 0x30A7, 0x30A9, 0x30E3,
    0x30E5, 0x30E7, 0x30C3, 0x30FC, 0x30A2, 0x30A4, 0x30A6, 0x30A8, 0x30AA, 0x30AB, 0x30AD, 0x30AF,
    0x30B1, 0x30B3, 0x30B5, 0x30B7, 0x30B9, 0x30BB, 0x30BD, 0x30BF, 0x30C1, 0x30C4, 0x30C6, 0x30C8,
    0x30CA, 0x30CB, 0x30CC, 0x30CD, 0x30CE, 0x30CF, 0x30D2, 0x30D5, 0x30D8, 0x30DB, 0x30DE, 0x30DF,
    0x30E0, 0x30E1, 0x30E2, 0x30E4, 0x30E6, 0x30E8, 0x30E9, 0x30EA, 0x30EB, 0x30EC, 0x30ED, 0x30EF,
    0x30F3};

constexpr char32_t kVoiced = 0x3099;      // combining dakuten
constexpr char32_t kSemiVoiced = 0x309A;  // combining handakuten

bool is_katakana(char32_t c) { return c >= 0x30A1 && c <= 0x30FA; }
bool is_hiragana(char32_t c) { return c >= 0x3041 && c <= 0x3096; }

// Katakana whose voiced form is the next code point: カ行, サ行, タ行 (without small ッ), ハ行.
bool voices_by_one(char32_t k) {
  if (k >= 0x30AB && k <= 0x30C2) return (k - 0x30AB) % 2 == 0;  // カ..ヂ: カキクケコサシスセソタチ
  if (k >= 0x30C4 && k <= 0x30C9) return (k - 0x30C4) % 2 == 0;  // ツテト
  if (k >= 0x30CF && k <= 0x30DD) return (k - 0x30CF) % 3 == 0;  // ハヒフヘホ
  return false;
}

// The composition of kana `base` with a (semi-)voiced mark, or 0 when there is none.
char32_t compose(char32_t base, char32_t mark) {
  const bool hira = is_hiragana(base) || base == 0x309D;
  const char32_t k = hira ? base + 0x60 : base;  // work on katakana
  char32_t r = 0;
  if (mark == kVoiced) {
    if (voices_by_one(k)) r = k + 1;
    else if (k == 0x30A6) r = 0x30F4;                   // ウ -> ヴ
    else if (k >= 0x30EF && k <= 0x30F2 && !hira) r = k + 8;  // ワヰヱヲ -> ヷヸヹヺ
    else if (k == 0x30FD) r = 0x30FE;                   // ヽ -> ヾ
  } else if (k >= 0x30CF && k <= 0x30DD && (k - 0x30CF) % 3 == 0) {
    r = k + 2;  // ハ行 -> パ行
  }
  if (r == 0) return 0;
  return hira ? r - 0x60 : r;
}

bool dropped(char32_t c) {
  return c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x3000 || c == 0x30FB || c == 0xFF65 ||
         c == 0x00B7 || (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xE0100 && c <= 0xE01EF);
}

}  // namespace

Expected<std::string> search_key(std::string_view utf8) {
  if (auto bad = first_invalid_utf8(utf8)) {
    return make_error(Errc::invalid_argument, "invalid UTF-8 at byte offset " + std::to_string(*bad));
  }
  std::vector<char32_t> folded;
  folded.reserve(utf8.size());
  std::size_t i = 0;
  while (i < utf8.size()) {
    char32_t c = detail::next_code_point(utf8, i);
    if (c >= 0xFF01 && c <= 0xFF5E) c -= 0xFEE0;  // full-width ASCII
    if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
    if (c >= 0xFF61 && c <= 0xFF9D) c = kHalfwidth[c - 0xFF61];
    if (c == 0xFF9E || c == 0x309B) c = kVoiced;
    if (c == 0xFF9F || c == 0x309C) c = kSemiVoiced;
    if (dropped(c)) continue;
    if (c == kVoiced || c == kSemiVoiced) {
      const char32_t composed = folded.empty() ? 0 : compose(folded.back(), c);
      if (composed != 0) {
        folded.back() = composed;
      } else {
        folded.push_back(c == kVoiced ? 0x309B : 0x309C);  // spacing ゛ / ゜
      }
      continue;
    }
    folded.push_back(c);
  }
  std::string out;
  out.reserve(utf8.size());
  for (char32_t c : folded) {
    if (is_katakana(c) && c <= 0x30F6) c -= 0x60;  // ァ..ヶ -> ぁ..ゖ
    else if (c == 0x30FD || c == 0x30FE) c -= 0x60;  // ヽヾ -> ゝゞ
    detail::append_utf8(out, c);
  }
  return out;
}

}  // namespace madoguchi::text
