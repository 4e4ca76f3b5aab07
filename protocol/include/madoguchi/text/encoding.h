// Text encodings at the edges of the system: UTF-8 (what we store and send) and CP932 (Windows'
// Shift_JIS, what Japanese offices' Excel reads and writes). Pure functions, no I/O.
//
// CP932 is Microsoft's Shift_JIS: JIS X 0208 plus NEC row 13 (①, Ⅰ, ㈱ ...), the NEC-selected and
// IBM extensions (髙, 﨑, 德 ...) and the user-defined area (gaiji, 0xF040-0xF9FC <-> U+E000-U+E757,
// private use). Where CP932 and plain JIS disagree we follow Microsoft, as Windows and Excel do:
// 0x8160 is U+FF5E FULLWIDTH TILDE (JIS: U+301C WAVE DASH), 0x817C is U+FF0D FULLWIDTH HYPHEN-MINUS
// (JIS: U+2212 MINUS SIGN), 0x8161 is U+2225, 0x8191/0x8192/0x81CA are U+FFE0/U+FFE1/U+FFE2,
// 0x815C is U+2015, and 0x5C/0x7E stay U+005C/U+007E. The conversion is glibc iconv's "CP932",
// which agrees with Microsoft's table (unicode.org VENDORS/MICSFT/WINDOWS/CP932.TXT) for every
// one of its 7,915 codes in both directions; tests/text/encoding_test.cc checks that.
//
// Encoding into CP932 is not one-to-one, in two ways worth knowing:
//  - Some characters have two or three CP932 codes (NEC row 13 vs IBM, NEC-selected vs IBM
//    extensions). We produce the code Windows produces (e.g. U+2252 -> 0x81E0, U+2160 -> 0x8754,
//    U+2170 and the IBM kanji -> 0xFAxx); decoding either code gives the same character.
//  - glibc also accepts the JIS-flavoured code points a Mac or an EUC-JP source produces and maps
//    them one way: U+301C -> 0x8160, U+2212 -> 0x817C, U+2016 -> 0x8161, U+2014 -> 0x815C,
//    U+00A2/U+00A3/U+00AC -> 0x8191/0x8192/0x81CA, U+00A5 -> 0x5C, U+203E -> 0x7E. That is what a
//    user exporting to Excel wants (〜 shows as 〜), but decoding the result gives the Microsoft
//    code points, not the original ones.
//
// Errors never quote the text (it may be a resident's name); they name the byte offset.
// Thread safety: every function may be called concurrently; each call opens its own iconv handle.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "madoguchi/error.h"

namespace madoguchi::text {

enum class Encoding { utf8, cp932 };

// "utf-8" or "cp932".
std::string_view encoding_name(Encoding encoding) noexcept;

// True when `bytes` is well-formed UTF-8 (Unicode 3.2+ rules: no overlong forms, no surrogates,
// nothing above U+10FFFF). The empty string is valid.
bool valid_utf8(std::string_view bytes) noexcept;

// The offset of the first byte that does not start a well-formed UTF-8 sequence (or of the lead
// byte of a truncated or malformed one), or nullopt when all of `bytes` is valid.
std::optional<std::size_t> first_invalid_utf8(std::string_view bytes) noexcept;

// The three bytes EF BB BF.
inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// `bytes` without a leading UTF-8 byte order mark (unchanged when there is none).
std::string_view strip_utf8_bom(std::string_view bytes) noexcept;

// A UTF-8 BOM, or bytes that are valid UTF-8 (pure ASCII included), mean utf8; anything else is
// taken to be cp932. This is a guess, not a proof: short Shift_JIS text can be valid UTF-8 by
// accident (rare for Japanese text of more than a few characters), so let users override it.
Encoding detect_encoding(std::string_view bytes) noexcept;

// CP932 bytes to UTF-8. Errors: malformed naming the byte offset of an invalid or unassigned
// sequence (0x80, 0xA0, 0xFD-0xFF, a bad trail byte, a lead byte at the end).
Expected<std::string> cp932_to_utf8(std::string_view cp932);

// UTF-8 text to CP932. Errors: malformed naming the byte offset (in the UTF-8 input) of invalid
// UTF-8 or of the first character CP932 cannot represent (emoji, 𠮷, most non-Japanese scripts).
Expected<std::string> utf8_to_cp932(std::string_view utf8);

}  // namespace madoguchi::text
