// The issuance target list (交付対象者一覧) that J-LIS sends a municipality, as it arrives at the
// counter: QR codes printed on data sheets, read by a scanner into raw bytes (ISS-1, ISS-13).
//
// J-LIS does not publish the real layout, so this is OUR format "JLIS-ISS" version 1, defined in
// docs/formats/jlis-qr.md (fields, separators, checksum, bounds, a worked example). It sits behind
// the QrPayloadParser interface so that a parser of the real layout can be dropped in without
// touching the code that imports the records.
//
// In short: Shift_JIS (CP932) bytes; a header record and 1-20 person records, each ended by RS
// (0x1E), fields separated by US (0x1F); then 8 upper-case hex digits of the CRC-32 of everything
// before them. Text fields that hold characters CP932 lacks (MJ characters with ideographic
// variation selectors, 𠮷 ...) write them as "&#xHHHH;" escapes. At most 2953 bytes (QR version 40,
// byte mode, error correction L).
//
// Pure functions, no I/O. Errors are Errc::invalid_argument with a Japanese message for staff that
// names the record (1-based within the code, "3件目") and the field, never the data itself.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/error.h"

namespace madoguchi::jlis {

inline constexpr std::string_view kFormatId = "JLIS-ISS";
inline constexpr int kFormatVersion = 1;
// QR version 40, byte mode, error correction level L.
inline constexpr std::size_t kMaxPayloadBytes = 2953;
inline constexpr std::size_t kMaxPeoplePerCode = 20;
inline constexpr int kMaxCodesPerSheet = 99;
inline constexpr std::uint32_t kMaxSheetNumber = 999999;
// Bounds on text fields, in Unicode code points (variation selectors count).
inline constexpr std::size_t kMaxNameKanjiChars = 50;
inline constexpr std::size_t kMaxNameKanaChars = 50;
inline constexpr std::size_t kMaxAddressChars = 150;

// A Gregorian calendar date. Valid ones lie in 1900-01-01..2199-12-31 and exist (leap years).
struct Date {
  int year = 0;
  int month = 0;
  int day = 0;
  friend auto operator<=>(const Date&, const Date&) = default;
  friend bool operator==(const Date&, const Date&) = default;
};

bool valid_date(const Date& date) noexcept;
// "YYYYMMDD" (8 ASCII digits) of an existing date in the valid range, or nullopt.
std::optional<Date> parse_yyyymmdd(std::string_view text) noexcept;
// "YYYYMMDD" with zero padding (for any date whose year has at most four digits).
std::string format_yyyymmdd(const Date& date);

// ISO/IEC 5218 (JIS X 0303) codes, as resident registers use them.
enum class Sex : int { not_known = 0, male = 1, female = 2, not_applicable = 9 };

// One person whose card is to be issued.
struct IssuanceTarget {
  std::string application_id;   // 申請書ID: 23 digits, the last a check digit (application_id_check_digit)
  std::string card_serial;      // カード製造番号: 16 of 0-9 and A-Z without I and O
  std::string postcard_number;  // 交付通知書番号: 3 of 0-9/A-Z (without I, O), then 6 digits
  std::string name_kanji;       // 氏名: UTF-8; may hold variation sequences (base + U+E0100..E01EF)
  std::string name_kana;        // 氏名カナ: UTF-8 full-width katakana, ー, ・, U+3000 between names
  Date birth_date;              // 生年月日
  Sex sex = Sex::not_known;     // 性別
  std::string address;          // 住所: UTF-8, same character rules as name_kanji
  Date card_expiry;             // カード有効期限
  std::optional<Date> certificate_expiry;  // 電子証明書有効期限; nullopt: no certificate is issued

  friend bool operator==(const IssuanceTarget&, const IssuanceTarget&) = default;
};

// What identifies one printed code: code `code_index` of `code_count` on sheet `sheet_number` of
// the list the municipality received on `list_date`.
struct QrHeader {
  int version = kFormatVersion;
  std::string municipality;    // 6-digit local government code with its check digit, e.g. "131016"
  Date list_date;              // 作成日 of the list
  std::uint32_t sheet_number = 1;  // 1..999999
  int code_index = 1;          // 1..code_count
  int code_count = 1;          // 1..99

  friend bool operator==(const QrHeader&, const QrHeader&) = default;
};

struct QrPayload {
  QrHeader header;
  std::vector<IssuanceTarget> people;  // 1..kMaxPeoplePerCode, distinct application IDs

  friend bool operator==(const QrPayload&, const QrPayload&) = default;
};

// A stable key of the code a payload came from, for refusing a code read twice (ISS-2):
// "JLIS-ISS/1/131016/20261122/000123/02". Equal keys mean the same printed code.
std::string code_key(const QrHeader& header);

// Turns the raw bytes a scanner delivered into a payload, or explains why it cannot.
class QrPayloadParser {
 public:
  virtual ~QrPayloadParser() = default;
  // Errors: Errc::invalid_argument with a Japanese message naming the record and field.
  virtual Expected<QrPayload> parse(std::string_view raw_bytes) const = 0;
};

// Our format, version 1 (docs/formats/jlis-qr.md). Tolerates CR, LF and NUL bytes that scanners
// append after the payload; refuses everything else that is not exactly the format.
class JlisQrV1Parser final : public QrPayloadParser {
 public:
  Expected<QrPayload> parse(std::string_view raw_bytes) const override;
};

// The payload as CP932 bytes in format version 1, with its checksum. Validates exactly what the
// parser validates, so parse(encode_v1(p)) == p for every payload it accepts.
// Errors: Errc::invalid_argument (same messages as the parser).
Expected<std::string> encode_v1(const QrPayload& payload);

// Check digits and checksum of the format.
// The application ID's 23rd digit from its first 22 (the My Number check digit scheme, weights
// 2..7 repeating from the right, mod 11). `first22` must be 22 ASCII digits.
char application_id_check_digit(std::string_view first22) noexcept;
// The 6th digit of a local government code from its first 5 (JIS X 0402: weights 6..2, mod 11,
// last digit of 11 - remainder). `first5` must be 5 ASCII digits.
char municipality_check_digit(std::string_view first5) noexcept;
// True for 6 digits whose last is the check digit of the first five.
bool valid_municipality_code(std::string_view code) noexcept;
// CRC-32 (IEEE 802.3 / zlib polynomial 0xEDB88320, reflected, init and final xor 0xFFFFFFFF).
std::uint32_t crc32(std::string_view bytes) noexcept;

}  // namespace madoguchi::jlis
