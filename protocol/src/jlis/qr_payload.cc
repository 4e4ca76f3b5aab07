// JLIS-ISS version 1: see docs/formats/jlis-qr.md for the format and the reasons behind it.
#include "madoguchi/jlis/qr_payload.h"

#include <array>
#include <cstdio>
#include <map>

#include "../text/utf8_codec.h"
#include "madoguchi/text/encoding.h"

namespace madoguchi::jlis {

namespace {

constexpr char kUnitSep = '\x1F';    // US: between fields
constexpr char kRecordSep = '\x1E';  // RS: after every record
constexpr std::size_t kHeaderFields = 8;
constexpr std::size_t kPersonFields = 10;
constexpr std::size_t kChecksumDigits = 8;
// Encoded bytes of one text field; far above what the character bounds allow in practice.
constexpr std::size_t kMaxTextFieldBytes = 1024;

// Field names as staff see them in messages.
constexpr std::array<std::string_view, kHeaderFields> kHeaderNames{
    "形式ID", "版", "市区町村コード", "作成日", "シート番号", "コード番号", "コード数", "件数"};
constexpr std::array<std::string_view, kPersonFields> kPersonNames{
    "申請書ID", "カード製造番号", "交付通知書番号", "氏名", "氏名カナ",
    "生年月日", "性別",         "住所",           "カード有効期限", "電子証明書有効期限"};

enum PersonField : std::size_t {
  kApplicationId, kCardSerial, kPostcard, kNameKanji, kNameKana,
  kBirth, kSex, kAddress, kCardExpiry, kCertExpiry,
};
enum HeaderField : std::size_t {
  kFormat, kVersion, kMunicipality, kListDate, kSheet, kCodeIndex, kCodeCount, kCount,
};

Error fail(std::string message) { return make_error(Errc::invalid_argument, "QRコード: " + std::move(message)); }
Error header_error(HeaderField field, std::string_view problem) {
  return fail("ヘッダーの「" + std::string(kHeaderNames[field]) + "」: " + std::string(problem));
}
Error person_error(std::size_t record, PersonField field, std::string_view problem) {
  return fail(std::to_string(record) + "件目の「" + std::string(kPersonNames[field]) + "」: " +
              std::string(problem));
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool all_digits(std::string_view s) {
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  return true;
}
// 0-9 and A-Z without I and O (easily confused with 1 and 0 when a person types one in).
bool is_serial_char(char c) { return is_digit(c) || (c >= 'A' && c <= 'Z' && c != 'I' && c != 'O'); }

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

std::string hex_byte(unsigned char b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", b);
  return buf;
}

std::string zero_pad(std::uint64_t value, int width) {
  std::string s = std::to_string(value);
  if (s.size() < static_cast<std::size_t>(width)) s.insert(0, static_cast<std::size_t>(width) - s.size(), '0');
  return s;
}

// Fixed-width decimal of `width` digits in [lo, hi], or nullopt.
std::optional<std::uint32_t> fixed_number(std::string_view s, std::size_t width, std::uint32_t lo, std::uint32_t hi) {
  if (s.size() != width || !all_digits(s)) return std::nullopt;
  std::uint32_t v = 0;
  for (char c : s) v = v * 10 + static_cast<std::uint32_t>(c - '0');
  if (v < lo || v > hi) return std::nullopt;
  return v;
}

// ---- identifiers -----------------------------------------------------------------------------

std::optional<std::string_view> application_id_problem(std::string_view id) {
  if (id.size() != 23 || !all_digits(id)) return "23桁の数字ではありません";
  if (application_id_check_digit(id.substr(0, 22)) != id[22]) return "検査数字（23桁目）が合いません";
  return std::nullopt;
}

std::optional<std::string_view> card_serial_problem(std::string_view s) {
  if (s.size() != 16) return "16文字ではありません";
  for (char c : s) {
    if (!is_serial_char(c)) return "使える文字は数字と英大文字（I・Oを除く）だけです";
  }
  return std::nullopt;
}

std::optional<std::string_view> postcard_problem(std::string_view s) {
  if (s.size() != 9) return "9文字（英数字3文字と数字6桁）ではありません";
  for (std::size_t i = 0; i < 3; ++i) {
    if (!is_serial_char(s[i])) return "先頭3文字は数字か英大文字（I・Oを除く）です";
  }
  if (!all_digits(s.substr(3))) return "4文字目からは6桁の数字です";
  return std::nullopt;
}

// ---- text fields -----------------------------------------------------------------------------

bool is_variation_selector(char32_t cp) {
  return (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0100 && cp <= 0xE01EF);
}
bool is_private_use(char32_t cp) {
  return (cp >= 0xE000 && cp <= 0xF8FF) || cp >= 0xF0000;
}
bool is_space(char32_t cp) { return cp == 0x20 || cp == 0x3000; }

// True when `cp` survives UTF-8 -> CP932 -> UTF-8 unchanged, i.e. is written as CP932 bytes.
bool cp932_round_trips(char32_t cp) {
  std::string one;
  text::detail::append_utf8(one, cp);
  auto bytes = text::utf8_to_cp932(one);
  if (!bytes) return false;
  auto back = text::cp932_to_utf8(*bytes);
  return back && *back == one;
}

// Checks the decoded (UTF-8) text of a name or address field. Both the parser (after resolving
// escapes) and the encoder (before writing) apply exactly these rules.
std::optional<std::string> text_problem(std::string_view utf8, std::size_t max_chars) {
  if (utf8.empty()) return "空です";
  if (!text::valid_utf8(utf8)) return "UTF-8として正しくない文字があります";
  std::size_t count = 0;
  std::size_t i = 0;
  char32_t previous = 0;
  bool first = true;
  while (i < utf8.size()) {
    const char32_t cp = text::detail::next_code_point(utf8, i);
    ++count;
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) return "制御文字があります";
    if (cp == '&') return "「&」は使えません";
    if (is_private_use(cp)) return "外字（私用領域の文字）は使えません。MJ文字は異体字セレクタで表します";
    if (cp >= 0xD800 && cp <= 0xDFFF) return "UTF-8として正しくない文字があります";
    if (is_variation_selector(cp) && (first || is_variation_selector(previous) || is_space(previous))) {
      return "異体字セレクタの前に漢字がありません";
    }
    if (first && is_space(cp)) return "先頭に空白があります";
    previous = cp;
    first = false;
  }
  if (is_space(previous)) return "末尾に空白があります";
  if (count > max_chars) return std::to_string(max_chars) + "文字を超えています";
  return std::nullopt;
}

// Field bytes (CP932 with &#xHHHH; escapes) to UTF-8. Escapes stand only for characters CP932
// cannot hold, so every text has exactly one encoding.
Expected<std::string> decode_text_field(std::string_view raw) {
  auto decoded = text::cp932_to_utf8(raw);
  if (!decoded) return make_error(Errc::invalid_argument, "Shift_JIS (CP932) として読めないバイトがあります");
  const std::string& s = *decoded;
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] != '&') {
      out.push_back(s[i++]);
      continue;
    }
    // "&#x" + 4..6 upper-case hex digits + ";"
    std::size_t j = i + 3;
    if (s.compare(i, 3, "&#x") != 0) return make_error(Errc::invalid_argument, "「&」の後が「&#x」ではありません");
    char32_t cp = 0;
    std::size_t digits = 0;
    while (j < s.size() && digits < 7) {
      const char c = s[j];
      if (is_digit(c)) {
        cp = cp * 16 + static_cast<char32_t>(c - '0');
      } else if (c >= 'A' && c <= 'F') {
        cp = cp * 16 + static_cast<char32_t>(c - 'A' + 10);
      } else {
        break;
      }
      ++digits;
      ++j;
    }
    if (digits < 4 || digits > 6 || j >= s.size() || s[j] != ';') {
      return make_error(Errc::invalid_argument, "「&#x」の後は大文字の16進4〜6桁と「;」です");
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp < 0x80) {
      return make_error(Errc::invalid_argument, "「&#x…;」が正しい文字を表していません");
    }
    if (digits > 4 && cp < 0x10000) {
      return make_error(Errc::invalid_argument, "「&#x…;」の16進に余分な0があります");
    }
    if (cp932_round_trips(cp)) {
      return make_error(Errc::invalid_argument, "Shift_JISで書ける文字が「&#x…;」で書かれています");
    }
    text::detail::append_utf8(out, cp);
    i = j + 1;
  }
  return out;
}

// UTF-8 text (already checked by text_problem) to field bytes: CP932, escapes for the rest.
Expected<std::string> encode_text_field(std::string_view utf8) {
  if (auto whole = text::utf8_to_cp932(utf8)) {
    auto back = text::cp932_to_utf8(*whole);
    if (back && *back == utf8) return std::move(*whole);
  }
  std::string out;
  std::size_t i = 0;
  while (i < utf8.size()) {
    const std::size_t start = i;
    const char32_t cp = text::detail::next_code_point(utf8, i);
    if (cp932_round_trips(cp)) {
      auto bytes = text::utf8_to_cp932(utf8.substr(start, i - start));
      if (!bytes) return bytes.error();
      out += *bytes;
    } else {
      char buf[16];
      std::snprintf(buf, sizeof buf, "&#x%04X;", static_cast<unsigned>(cp));
      out += buf;
    }
  }
  return out;
}

// Full-width katakana, ー, ・, ヽ, ヾ, and single U+3000 spaces between parts.
std::optional<std::string> kana_problem(std::string_view utf8) {
  if (utf8.empty()) return "空です";
  if (!text::valid_utf8(utf8)) return "UTF-8として正しくない文字があります";
  std::size_t i = 0;
  std::size_t count = 0;
  char32_t previous = 0;
  while (i < utf8.size()) {
    const char32_t cp = text::detail::next_code_point(utf8, i);
    ++count;
    const bool katakana = (cp >= 0x30A1 && cp <= 0x30F6) || cp == 0x30FC || cp == 0x30FB || cp == 0x30FD ||
                          cp == 0x30FE;
    if (cp == 0x3000) {
      if (count == 1) return "先頭に空白があります";
      if (previous == 0x3000) return "空白が続いています";
    } else if (!katakana) {
      return "全角カタカナ以外の文字があります";
    }
    previous = cp;
  }
  if (previous == 0x3000) return "末尾に空白があります";
  if (count > kMaxNameKanaChars) return std::to_string(kMaxNameKanaChars) + "文字を超えています";
  return std::nullopt;
}

// ---- whole records ---------------------------------------------------------------------------

Status check_header(const QrHeader& h) {
  if (h.version != kFormatVersion) return header_error(kVersion, "対応していない版です（対応している版: 1）");
  if (h.municipality.size() != 6 || !all_digits(h.municipality)) {
    return header_error(kMunicipality, "6桁の数字ではありません");
  }
  if (!valid_municipality_code(h.municipality)) return header_error(kMunicipality, "検査数字（6桁目）が合いません");
  if (!valid_date(h.list_date)) return header_error(kListDate, "存在しない日付です");
  if (h.sheet_number < 1 || h.sheet_number > kMaxSheetNumber) {
    return header_error(kSheet, "000001〜999999の6桁の数字ではありません");
  }
  if (h.code_count < 1 || h.code_count > kMaxCodesPerSheet) {
    return header_error(kCodeCount, "01〜99の2桁の数字ではありません");
  }
  if (h.code_index < 1 || h.code_index > h.code_count) return header_error(kCodeIndex, "コード数を超えています");
  return {};
}

// Checks the values of one person (the parser has already checked the syntax of each field).
Status check_person(const IssuanceTarget& p, std::size_t n, const QrHeader& h) {
  if (auto e = application_id_problem(p.application_id)) return person_error(n, kApplicationId, *e);
  if (auto e = card_serial_problem(p.card_serial)) return person_error(n, kCardSerial, *e);
  if (auto e = postcard_problem(p.postcard_number)) return person_error(n, kPostcard, *e);
  if (auto e = text_problem(p.name_kanji, kMaxNameKanjiChars)) return person_error(n, kNameKanji, *e);
  if (auto e = kana_problem(p.name_kana)) return person_error(n, kNameKana, *e);
  if (!valid_date(p.birth_date)) return person_error(n, kBirth, "存在しない日付です");
  if (p.birth_date > h.list_date) return person_error(n, kBirth, "作成日より後の日付です");
  switch (p.sex) {
    case Sex::not_known:
    case Sex::male:
    case Sex::female:
    case Sex::not_applicable: break;
    default: return person_error(n, kSex, "0・1・2・9のどれでもありません");
  }
  if (auto e = text_problem(p.address, kMaxAddressChars)) return person_error(n, kAddress, *e);
  if (!valid_date(p.card_expiry)) return person_error(n, kCardExpiry, "存在しない日付です");
  if (p.card_expiry <= p.birth_date) return person_error(n, kCardExpiry, "生年月日より後の日付ではありません");
  if (p.card_expiry <= h.list_date) return person_error(n, kCardExpiry, "作成日より後の日付ではありません");
  if (p.certificate_expiry) {
    const Date& c = *p.certificate_expiry;
    if (!valid_date(c)) return person_error(n, kCertExpiry, "存在しない日付です");
    if (c <= h.list_date) return person_error(n, kCertExpiry, "作成日より後の日付ではありません");
    if (c > p.card_expiry) return person_error(n, kCertExpiry, "カード有効期限より後の日付です");
  }
  return {};
}

Status check_people(const QrPayload& payload) {
  if (payload.people.empty()) return header_error(kCount, "0件です（1〜20件）");
  if (payload.people.size() > kMaxPeoplePerCode) return header_error(kCount, "20件を超えています");
  std::map<std::string_view, std::size_t> seen;
  for (std::size_t i = 0; i < payload.people.size(); ++i) {
    if (Status s = check_person(payload.people[i], i + 1, payload.header); !s) return s;
    auto [it, inserted] = seen.emplace(payload.people[i].application_id, i + 1);
    if (!inserted) {
      return person_error(i + 1, kApplicationId, std::to_string(it->second) + "件目と同じ申請書IDです");
    }
  }
  return {};
}

std::string checksum_hex(std::uint32_t crc) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08X", static_cast<unsigned>(crc));
  return buf;
}

bool is_upper_hex(char c) { return is_digit(c) || (c >= 'A' && c <= 'F'); }

Expected<QrHeader> parse_header(std::string_view raw, std::size_t& count) {
  const auto f = split(raw, kUnitSep);
  if (f.size() != kHeaderFields) {
    return fail("ヘッダーの項目数が違います（" + std::to_string(kHeaderFields) + "項目のところ" +
                std::to_string(f.size()) + "項目）");
  }
  QrHeader h;
  if (f[kFormat] != kFormatId) return header_error(kFormat, "JLIS-ISS ではありません");
  if (f[kVersion] != "1") return header_error(kVersion, "対応していない版です（対応している版: 1）");
  if (f[kMunicipality].size() != 6 || !all_digits(f[kMunicipality])) {
    return header_error(kMunicipality, "6桁の数字ではありません");
  }
  h.municipality = std::string(f[kMunicipality]);
  auto date = parse_yyyymmdd(f[kListDate]);
  if (!date) return header_error(kListDate, "存在する日付の8桁（YYYYMMDD）ではありません");
  h.list_date = *date;
  auto sheet = fixed_number(f[kSheet], 6, 1, kMaxSheetNumber);
  if (!sheet) return header_error(kSheet, "000001〜999999の6桁の数字ではありません");
  h.sheet_number = *sheet;
  auto index = fixed_number(f[kCodeIndex], 2, 1, kMaxCodesPerSheet);
  if (!index) return header_error(kCodeIndex, "01〜99の2桁の数字ではありません");
  auto codes = fixed_number(f[kCodeCount], 2, 1, kMaxCodesPerSheet);
  if (!codes) return header_error(kCodeCount, "01〜99の2桁の数字ではありません");
  h.code_index = static_cast<int>(*index);
  h.code_count = static_cast<int>(*codes);
  auto n = fixed_number(f[kCount], 2, 1, kMaxPeoplePerCode);
  if (!n) return header_error(kCount, "01〜20の2桁の数字ではありません");
  count = *n;
  if (Status s = check_header(h); !s) return s.error();
  return h;
}

Expected<IssuanceTarget> parse_person(std::string_view raw, std::size_t n, const QrHeader& h) {
  const auto f = split(raw, kUnitSep);
  if (f.size() != kPersonFields) {
    return fail(std::to_string(n) + "件目: 項目数が違います（" + std::to_string(kPersonFields) + "項目のところ" +
                std::to_string(f.size()) + "項目）");
  }
  IssuanceTarget p;
  p.application_id = std::string(f[kApplicationId]);
  p.card_serial = std::string(f[kCardSerial]);
  p.postcard_number = std::string(f[kPostcard]);
  for (PersonField field : {kNameKanji, kAddress}) {
    if (f[field].size() > kMaxTextFieldBytes) return person_error(n, field, "長すぎます");
    auto decoded = decode_text_field(f[field]);
    if (!decoded) return person_error(n, field, decoded.error().message);
    (field == kNameKanji ? p.name_kanji : p.address) = std::move(*decoded);
  }
  if (f[kNameKana].size() > kMaxTextFieldBytes) return person_error(n, kNameKana, "長すぎます");
  auto kana = text::cp932_to_utf8(f[kNameKana]);
  if (!kana) return person_error(n, kNameKana, "Shift_JIS (CP932) として読めないバイトがあります");
  p.name_kana = std::move(*kana);
  for (PersonField field : {kBirth, kCardExpiry}) {
    auto date = parse_yyyymmdd(f[field]);
    if (!date) return person_error(n, field, "存在する日付の8桁（YYYYMMDD）ではありません");
    (field == kBirth ? p.birth_date : p.card_expiry) = *date;
  }
  if (!f[kCertExpiry].empty()) {
    auto date = parse_yyyymmdd(f[kCertExpiry]);
    if (!date) return person_error(n, kCertExpiry, "存在する日付の8桁（YYYYMMDD）か空欄ではありません");
    p.certificate_expiry = *date;
  }
  const std::string_view sex = f[kSex];
  if (sex == "0") {
    p.sex = Sex::not_known;
  } else if (sex == "1") {
    p.sex = Sex::male;
  } else if (sex == "2") {
    p.sex = Sex::female;
  } else if (sex == "9") {
    p.sex = Sex::not_applicable;
  } else {
    return person_error(n, kSex, "0・1・2・9のどれでもありません");
  }
  if (Status s = check_person(p, n, h); !s) return s.error();
  return p;
}

}  // namespace

// ---- dates, check digits, CRC -----------------------------------------------------------------

bool valid_date(const Date& d) noexcept {
  if (d.year < 1900 || d.year > 2199 || d.month < 1 || d.month > 12 || d.day < 1) return false;
  static constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (d.year % 4 == 0 && d.year % 100 != 0) || d.year % 400 == 0;
  const int days = kDays[static_cast<std::size_t>(d.month - 1)] + (d.month == 2 && leap ? 1 : 0);
  return d.day <= days;
}

std::optional<Date> parse_yyyymmdd(std::string_view s) noexcept {
  if (s.size() != 8 || !all_digits(s)) return std::nullopt;
  auto num = [&](std::size_t from, std::size_t len) {
    int v = 0;
    for (std::size_t i = from; i < from + len; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  const Date d{num(0, 4), num(4, 2), num(6, 2)};
  if (!valid_date(d)) return std::nullopt;
  return d;
}

std::string format_yyyymmdd(const Date& d) {
  return zero_pad(static_cast<std::uint64_t>(d.year < 0 ? 0 : d.year), 4) +
         zero_pad(static_cast<std::uint64_t>(d.month < 0 ? 0 : d.month), 2) +
         zero_pad(static_cast<std::uint64_t>(d.day < 0 ? 0 : d.day), 2);
}

std::string code_key(const QrHeader& h) {
  return std::string(kFormatId) + "/" + std::to_string(h.version) + "/" + h.municipality + "/" +
         format_yyyymmdd(h.list_date) + "/" + zero_pad(h.sheet_number, 6) + "/" +
         zero_pad(static_cast<std::uint64_t>(h.code_index < 0 ? 0 : h.code_index), 2);
}

char application_id_check_digit(std::string_view first22) noexcept {
  // Weights 2,3,4,5,6,7,2,3,... from the rightmost digit; remainder 0 or 1 gives 0.
  int sum = 0;
  for (std::size_t k = 0; k < first22.size(); ++k) {
    const int digit = first22[first22.size() - 1 - k] - '0';
    sum += digit * (static_cast<int>(k % 6) + 2);
  }
  const int r = sum % 11;
  return static_cast<char>('0' + (r <= 1 ? 0 : 11 - r));
}

char municipality_check_digit(std::string_view first5) noexcept {
  int sum = 0;
  for (std::size_t k = 0; k < first5.size(); ++k) sum += (first5[k] - '0') * (6 - static_cast<int>(k));
  return static_cast<char>('0' + (11 - sum % 11) % 10);
}

bool valid_municipality_code(std::string_view code) noexcept {
  return code.size() == 6 && all_digits(code) && municipality_check_digit(code.substr(0, 5)) == code[5];
}

std::uint32_t crc32(std::string_view bytes) noexcept {
  static const std::array<std::uint32_t, 256> kTable = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1u) ? (0xEDB88320u ^ (c >> 1)) : (c >> 1);
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t crc = 0xFFFFFFFFu;
  for (char ch : bytes) crc = kTable[(crc ^ static_cast<unsigned char>(ch)) & 0xFFu] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

// ---- parser and encoder -----------------------------------------------------------------------

Expected<QrPayload> JlisQrV1Parser::parse(std::string_view raw) const {
  // Scanners append CR, LF (keyboard-wedge mode) or NUL (some serial drivers) after the data.
  while (!raw.empty() && (raw.back() == '\r' || raw.back() == '\n' || raw.back() == '\0')) raw.remove_suffix(1);
  if (raw.empty()) return fail("データが空です");
  if (raw.size() > kMaxPayloadBytes) {
    return fail("長すぎます（" + std::to_string(raw.size()) + "バイト、上限" + std::to_string(kMaxPayloadBytes) +
                "バイト）");
  }
  const std::string prefix = std::string(kFormatId) + kUnitSep;
  if (!raw.starts_with(prefix)) return fail("JLIS-ISS 形式の交付対象者QRコードではありません");

  // A valid payload always has a katakana name, whose CP932 lead byte 0x83 (or 0x81 for ー, ・)
  // cannot start a UTF-8 sequence; so non-ASCII bytes that are valid UTF-8 mean the producer
  // wrote UTF-8.
  bool non_ascii = false;
  for (char c : raw) non_ascii = non_ascii || static_cast<unsigned char>(c) >= 0x80;
  if (non_ascii && text::valid_utf8(raw)) {
    return fail("文字コードがUTF-8です。Shift_JIS (CP932) のデータが必要です");
  }
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const auto b = static_cast<unsigned char>(raw[i]);
    if ((b < 0x20 && b != 0x1E && b != 0x1F) || b == 0x7F) {
      return fail(std::to_string(i + 1) + "バイト目に制御文字（" + hex_byte(b) + "）があります");
    }
  }

  // Trailer: RS, then 8 upper-case hex digits of the CRC-32 of everything up to that RS.
  const std::size_t last_rs = raw.rfind(kRecordSep);
  if (last_rs == std::string_view::npos || raw.size() - last_rs - 1 != kChecksumDigits) {
    return fail("末尾のチェックサムがありません（途中で切れているか、余分なデータがあります）");
  }
  const std::string_view digits = raw.substr(last_rs + 1);
  for (char c : digits) {
    if (!is_upper_hex(c)) return fail("末尾のチェックサムが16進8桁ではありません");
  }
  const std::string_view body = raw.substr(0, last_rs + 1);
  if (checksum_hex(crc32(body)) != digits) {
    return fail("チェックサムが合いません（読み取りの誤りか、データが途中で切れています）");
  }

  const auto records = split(body.substr(0, body.size() - 1), kRecordSep);
  std::size_t count = 0;
  auto header = parse_header(records[0], count);
  if (!header) return header.error();
  if (records.size() - 1 != count) {
    return header_error(kCount, std::to_string(count) + "件とありますが、実際は" + std::to_string(records.size() - 1) +
                                    "件です");
  }
  QrPayload payload;
  payload.header = std::move(*header);
  for (std::size_t i = 1; i < records.size(); ++i) {
    auto person = parse_person(records[i], i, payload.header);
    if (!person) return person.error();
    payload.people.push_back(std::move(*person));
  }
  if (Status s = check_people(payload); !s) return s.error();
  return payload;
}

Expected<std::string> encode_v1(const QrPayload& payload) {
  if (Status s = check_header(payload.header); !s) return s.error();
  if (Status s = check_people(payload); !s) return s.error();
  const QrHeader& h = payload.header;
  std::string out;
  out.reserve(kMaxPayloadBytes);
  auto field = [&](std::string_view value, bool last = false) {
    out += value;
    out += last ? kRecordSep : kUnitSep;
  };
  field(kFormatId);
  field(std::to_string(h.version));
  field(h.municipality);
  field(format_yyyymmdd(h.list_date));
  field(zero_pad(h.sheet_number, 6));
  field(zero_pad(static_cast<std::uint64_t>(h.code_index), 2));
  field(zero_pad(static_cast<std::uint64_t>(h.code_count), 2));
  field(zero_pad(payload.people.size(), 2), true);
  for (std::size_t i = 0; i < payload.people.size(); ++i) {
    const IssuanceTarget& p = payload.people[i];
    field(p.application_id);
    field(p.card_serial);
    field(p.postcard_number);
    auto name = encode_text_field(p.name_kanji);
    if (!name) return person_error(i + 1, kNameKanji, "Shift_JISに変換できません");
    field(*name);
    auto kana = text::utf8_to_cp932(p.name_kana);
    if (!kana) return person_error(i + 1, kNameKana, "Shift_JISに変換できません");
    field(*kana);
    field(format_yyyymmdd(p.birth_date));
    field(std::to_string(static_cast<int>(p.sex)));
    auto address = encode_text_field(p.address);
    if (!address) return person_error(i + 1, kAddress, "Shift_JISに変換できません");
    field(*address);
    field(format_yyyymmdd(p.card_expiry));
    field(p.certificate_expiry ? format_yyyymmdd(*p.certificate_expiry) : std::string(), true);
    for (PersonField f : {kNameKanji, kAddress}) {
      const std::size_t size = (f == kNameKanji ? name->size() : address->size());
      if (size > kMaxTextFieldBytes) return person_error(i + 1, f, "長すぎます");
    }
  }
  out += checksum_hex(crc32(out));
  if (out.size() > kMaxPayloadBytes) {
    return fail("QRコード1つに入りません（" + std::to_string(out.size()) + "バイト、上限" +
                std::to_string(kMaxPayloadBytes) + "バイト）");
  }
  return out;
}

}  // namespace madoguchi::jlis
