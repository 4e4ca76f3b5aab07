#include "madoguchi/domain/card_csv.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "madoguchi/text/normalize.h"
#include "text.h"

namespace madoguchi::domain {

namespace {
constexpr std::string_view kBom = "\xEF\xBB\xBF";

// ---- the card layout --------------------------------------------------------------------------------
enum class F {
  manufacture_no,
  application_id,
  postcard_no,
  name_kanji,
  name_kana,
  birth_date,
  sex,
  address,
  card_expiry,
  cert_expiry,
  receipt_no,
  counter,
  shipment_no,
  booking_at,
  booking_counter,
  issued_at,
  issued_counter,
  issued_staff,
  issued_note,
  event_date,
  event_note,
  event_staff,
  reissue,
  renewal_list,
  renewal_kind,
  renewal_due,
  status,           // export only
  source,           // export only
  imported_at,      // export only
  booking_history,  // export only
  note,
};

struct ColumnDef {
  std::string name;
  F field;
  std::size_t event = 0;  // index into all_card_events() for the event columns
  bool required = false;
  bool export_only = false;
};

std::string event_stem(CardEvent e) {
  std::string label(card_event_label(e));
  constexpr std::string_view kDay = "日";
  if (label.size() > kDay.size() && label.compare(label.size() - kDay.size(), kDay.size(), kDay) == 0) {
    label.resize(label.size() - kDay.size());
  }
  return label;
}

std::vector<ColumnDef> make_columns() {
  std::vector<ColumnDef> c = {
      {"製造番号", F::manufacture_no, 0, true, false},
      {"申請書ID", F::application_id},
      {"交付通知書番号", F::postcard_no},
      {"氏名", F::name_kanji, 0, true, false},
      {"氏名カナ", F::name_kana},
      {"生年月日", F::birth_date, 0, true, false},
      {"性別", F::sex},
      {"住所", F::address},
      {"カード有効期限", F::card_expiry},
      {"電子証明書有効期限", F::cert_expiry},
      {"受付番号", F::receipt_no},
      {"交付窓口", F::counter},
      {"発送番号", F::shipment_no},
      {"予約日時", F::booking_at},
      {"予約窓口", F::booking_counter},
      {"交付日時", F::issued_at},
      {"交付実施窓口", F::issued_counter},
      {"交付担当者", F::issued_staff},
      {"交付メモ", F::issued_note},
  };
  const auto events = all_card_events();
  for (std::size_t i = 0; i < events.size(); ++i) {
    const std::string stem = event_stem(events[i]);
    c.push_back({std::string(card_event_label(events[i])), F::event_date, i});
    c.push_back({stem + "メモ", F::event_note, i});
    c.push_back({stem + "担当者", F::event_staff, i});
  }
  const std::vector<ColumnDef> tail = {
      {"再交付", F::reissue},
      {"更新リスト", F::renewal_list},
      {"更新種別", F::renewal_kind},
      {"更新期限", F::renewal_due},
      {"状態", F::status, 0, false, true},
      {"取込元", F::source, 0, false, true},
      {"取込日時", F::imported_at, 0, false, true},
      {"予約変更履歴", F::booking_history, 0, false, true},
      {"備考", F::note},
  };
  c.insert(c.end(), tail.begin(), tail.end());
  return c;
}

const std::vector<ColumnDef>& columns() {
  static const std::vector<ColumnDef> kColumns = make_columns();
  return kColumns;
}

// ---- cell formats -----------------------------------------------------------------------------------
bool digit(char c) { return c >= '0' && c <= '9'; }
bool upper_alnum(char c) { return digit(c) || (c >= 'A' && c <= 'Z'); }
bool all_digits(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), digit); }

std::string pad2(int v) { return std::string(1, static_cast<char>('0' + v / 10)) + static_cast<char>('0' + v % 10); }

// "YYYY-MM-DDTHH:MM" -> "YYYY-MM-DD HH:MM" (the form a person reads and Excel recognises).
std::string date_time_out(std::string_view at) {
  std::string s(at);
  if (s.size() > 10 && s[10] == 'T') s[10] = ' ';
  return s;
}

// Milliseconds since the epoch as Japan's wall time (UTC+9, no daylight saving), "YYYY-MM-DD HH:MM".
std::string jst_date_time(std::int64_t ms) {
  constexpr std::int64_t kDayMs = 86'400'000;
  const std::int64_t local = ms + 9 * 3'600'000;
  std::int64_t days = local / kDayMs;
  std::int64_t rem = local % kDayMs;
  if (rem < 0) {
    rem += kDayMs;
    --days;
  }
  // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  const std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const int minutes = static_cast<int>(rem / 60'000);
  return std::to_string(y) + "-" + pad2(m) + "-" + pad2(d) + " " + pad2(minutes / 60) + ":" + pad2(minutes % 60);
}

// Full-width ASCII (U+FF01-FF5E) to ASCII, for code cells typed with a Japanese input method.
std::string fold_width(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t start = i;
    auto cp = detail::next_code_point(s, i);
    if (!cp) return std::string(s);  // invalid UTF-8: the caller's check reports it
    if (*cp >= 0xFF01 && *cp <= 0xFF5E) {
      out.push_back(static_cast<char>(*cp - 0xFEE0));
    } else {
      out.append(s.substr(start, i - start));
    }
  }
  return out;
}

std::string upper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

// Reads 1..max_digits digits at s[i]; advances i.
std::optional<int> read_number(std::string_view s, std::size_t& i, std::size_t min_digits, std::size_t max_digits) {
  int v = 0;
  std::size_t n = 0;
  while (i < s.size() && digit(s[i]) && n < max_digits) {
    v = v * 10 + (s[i] - '0');
    ++i;
    ++n;
  }
  if (n < min_digits) return std::nullopt;
  return v;
}

// "YYYY-MM-DD", "YYYY/MM/DD", "YYYY/M/D" (and "-" unpadded) -> "YYYY-MM-DD" of a day that exists.
std::optional<std::string> parse_date(std::string_view s) {
  std::size_t i = 0;
  auto y = read_number(s, i, 4, 4);
  if (!y || i >= s.size() || (s[i] != '-' && s[i] != '/')) return std::nullopt;
  const char sep = s[i++];
  auto m = read_number(s, i, 1, 2);
  if (!m || i >= s.size() || s[i] != sep) return std::nullopt;
  ++i;
  auto d = read_number(s, i, 1, 2);
  if (!d || i != s.size()) return std::nullopt;
  std::string out = std::to_string(*y) + "-" + pad2(*m) + "-" + pad2(*d);
  if (!is_valid_date(out)) return std::nullopt;
  return out;
}

// A date, then ' ' (one or more) or 'T', then H:MM or HH:MM with optional :SS -> "YYYY-MM-DDTHH:MM".
std::optional<std::string> parse_date_time(std::string_view s) {
  std::size_t cut = s.find_first_of(" T");
  if (cut == std::string_view::npos) return std::nullopt;
  auto date = parse_date(s.substr(0, cut));
  if (!date) return std::nullopt;
  std::size_t i = cut + 1;
  if (s[cut] == ' ') {
    while (i < s.size() && s[i] == ' ') ++i;
  }
  auto h = read_number(s, i, 1, 2);
  if (!h || i >= s.size() || s[i] != ':') return std::nullopt;
  ++i;
  auto mi = read_number(s, i, 2, 2);
  if (!mi) return std::nullopt;
  if (i < s.size()) {
    if (s[i] != ':') return std::nullopt;
    ++i;
    auto sec = read_number(s, i, 2, 2);
    if (!sec || *sec > 59 || i != s.size()) return std::nullopt;
  }
  if (*h > 23 || *mi > 59) return std::nullopt;
  return *date + "T" + pad2(*h) + ":" + pad2(*mi);
}

std::string_view sex_out(std::string_view code) {
  if (code == "1") return "男";
  if (code == "2") return "女";
  if (code == "9") return "適用外";
  return code;
}
std::optional<std::string> sex_in(std::string_view s) {
  if (s.empty()) return std::string();
  if (s == "1" || s == "男" || s == "男性") return std::string("1");
  if (s == "2" || s == "女" || s == "女性") return std::string("2");
  if (s == "9" || s == "適用外") return std::string("9");
  return std::nullopt;
}

std::optional<bool> yes_no(std::string_view s) {
  for (std::string_view y : {"○", "〇", "はい", "1", "true", "TRUE", "True", "再交付"}) {
    if (s == y) return true;
  }
  for (std::string_view n : {"", "×", "いいえ", "0", "false", "FALSE", "False"}) {
    if (s == n) return false;
  }
  return std::nullopt;
}

std::string_view kind_out(std::string_view kind) {
  if (kind == "card") return "カード";
  if (kind == "cert") return "電子証明書";
  return kind;
}
std::optional<std::string> kind_in(std::string_view s) {
  if (s == "カード" || s == "カード更新" || s == "card") return std::string("card");
  if (s == "電子証明書" || s == "電子証明書更新" || s == "cert") return std::string("cert");
  return std::nullopt;
}

std::string_view source_label(CardSource s) {
  switch (s) {
    case CardSource::qr: return "QR読取";
    case CardSource::renewal: return "更新リスト";
    case CardSource::ledger: return "台帳";
    case CardSource::manual: return "手入力";
  }
  return "";
}

// One line per earlier booking: "<was> <counter>（<changed at> <staff>: <note>）", oldest first.
std::string history_out(const std::vector<BookingChange>& history) {
  std::string out;
  for (const auto& h : history) {
    if (!out.empty()) out += "\n";
    out += h.at.empty() ? std::string("予約なし") : date_time_out(h.at);
    if (!h.counter.empty()) out += " 窓口" + h.counter;
    out += "（" + jst_date_time(h.changed_ms) + " 変更";
    if (!h.staff.empty()) out += " " + h.staff;
    if (!h.note.empty()) out += ": " + h.note;
    out += "）";
  }
  return out;
}

// Undoes text::write_csv's formula guard: "'" before = + - @ TAB CR or ＝ ＋ － ＠.
std::string_view unguard(std::string_view cell) {
  if (cell.size() < 2 || cell[0] != '\'') return cell;
  const std::string_view rest = cell.substr(1);
  for (std::string_view lead : {"=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠"}) {
    if (rest.substr(0, lead.size()) == lead) return rest;
  }
  return cell;
}

// ---- messages -----------------------------------------------------------------------------------------
std::string at_line(std::size_t line) { return std::to_string(line) + "行目: "; }

std::string column_letter(std::size_t index) {  // 0 -> A, 25 -> Z, 26 -> AA
  std::string out;
  std::size_t n = index + 1;
  while (n > 0) {
    --n;
    out.insert(out.begin(), static_cast<char>('A' + n % 26));
    n /= 26;
  }
  return out;
}

std::string bracketed(std::string_view cell) { return "「" + detail::abbreviate(detail::sanitize(cell, 512), 32) + "」"; }

// ---- header and rows ------------------------------------------------------------------------------------
struct Header {
  std::size_t count = 0;
  std::vector<std::size_t> file_index;  // per layout column: its column in the file, or npos
};
constexpr std::size_t kAbsent = static_cast<std::size_t>(-1);

std::string_view header_name(const std::vector<std::string>& header, std::size_t i) {
  std::string_view name = header[i];
  if (i == 0 && name.substr(0, kBom.size()) == kBom) name.remove_prefix(kBom.size());
  return detail::trim(name);
}

// Reads a header row against column names; adds errors for unknown, repeated and missing columns.
Header read_header(const std::vector<std::string>& header, const std::vector<std::string_view>& names,
                   const std::vector<bool>& required, std::string_view accepted, std::vector<LineError>& errors) {
  Header h;
  h.count = header.size();
  h.file_index.assign(names.size(), kAbsent);
  bool unknown = false;
  for (std::size_t i = 0; i < header.size(); ++i) {
    const std::string_view name = header_name(header, i);
    auto known = std::find(names.begin(), names.end(), name);
    if (known == names.end()) {
      errors.push_back({1, at_line(1) + column_letter(i) + "列の" + bracketed(name) + "という列は使えません"});
      unknown = true;
      continue;
    }
    auto& slot = h.file_index[static_cast<std::size_t>(known - names.begin())];
    if (slot != kAbsent) {
      errors.push_back({1, at_line(1) + "列" + bracketed(name) + "が2回あります"});
    } else {
      slot = i;
    }
  }
  for (std::size_t c = 0; c < names.size(); ++c) {
    if (required[c] && h.file_index[c] == kAbsent) {
      errors.push_back({1, at_line(1) + "列" + bracketed(names[c]) + "がありません"});
    }
  }
  if (unknown) errors.push_back({1, at_line(1) + "使える列は " + std::string(accepted) + " です"});
  return h;
}

bool all_empty(const std::vector<std::string>& row) {
  return std::all_of(row.begin(), row.end(), [](const std::string& c) { return detail::trim(c).empty(); });
}

// One data row being read: cells by layout column, errors naming line and column.
class RowReader {
 public:
  RowReader(const Header& h, const std::vector<std::string_view>& names, const std::vector<std::string>& cells,
            std::size_t line, std::vector<LineError>& errors)
      : h_(h), names_(names), cells_(cells), line_(line), errors_(errors) {}

  // The cell, unguarded and trimmed; "" when the column is absent.
  std::string_view cell(std::size_t col) const { return detail::trim(raw(col)); }
  // Unguarded, not trimmed (memos keep their spaces).
  std::string_view raw(std::size_t col) const {
    const std::size_t i = h_.file_index[col];
    return i == kAbsent ? std::string_view{} : unguard(cells_[i]);
  }
  bool present(std::size_t col) const { return h_.file_index[col] != kAbsent; }

  void fail(std::size_t col, std::string message) {
    const std::size_t i = h_.file_index[col];
    std::string where = std::to_string(line_) + "行目";
    if (i != kAbsent) where += " " + column_letter(i) + "列";
    errors_.push_back({line_, where + "（" + std::string(names_[col]) + "）: " + message});
    ok_ = false;
  }
  void fail_row(std::string message) {
    errors_.push_back({line_, at_line(line_) + message});
    ok_ = false;
  }
  bool ok() const { return ok_; }

  // A one-line text of min..max characters.
  std::string text(std::size_t col, std::size_t min_chars, std::size_t max_chars) {
    const std::string_view v = cell(col);
    switch (detail::check_text(v, min_chars, max_chars)) {
      case detail::TextProblem::none: return std::string(v);
      case detail::TextProblem::empty: fail(col, "空です（必須の項目です）"); break;
      case detail::TextProblem::bad_length: fail(col, std::to_string(max_chars) + "文字以内にしてください"); break;
      case detail::TextProblem::invalid_utf8:
      case detail::TextProblem::control: fail(col, "使えない文字（改行など）が含まれています"); break;
    }
    return {};
  }

  // A memo: line breaks and tabs allowed, at most kMaxNoteChars characters; kept as written.
  std::string memo(std::size_t col) {
    const std::string_view v = raw(col);
    if (detail::trim(v).empty()) return {};
    std::size_t chars = 0;
    for (std::size_t i = 0; i < v.size();) {
      auto cp = detail::next_code_point(v, i);
      if (!cp) {
        fail(col, "文字コードが正しくありません");
        return {};
      }
      if (detail::is_control(*cp) && *cp != '\n' && *cp != '\r' && *cp != '\t') {
        fail(col, "使えない制御文字が含まれています");
        return {};
      }
      ++chars;
    }
    if (chars > kMaxNoteChars) {
      fail(col, std::to_string(kMaxNoteChars) + "文字以内にしてください");
      return {};
    }
    return std::string(v);
  }

  std::string date(std::size_t col, bool required) {
    const std::string v = fold_width(cell(col));
    if (v.empty()) {
      if (required) fail(col, "空です（必須の項目です）");
      return {};
    }
    if (auto d = parse_date(v)) return *d;
    fail(col, bracketed(v) + "は日付として正しくありません（2026-11-22 か 2026/11/22 の形で、実在する日付にしてください）");
    return {};
  }

  std::string date_time(std::size_t col) {
    const std::string v = fold_width(cell(col));
    if (v.empty()) return {};
    if (auto d = parse_date_time(v)) return *d;
    fail(col, bracketed(v) + "は日時として正しくありません（2026-12-01 10:30 の形にしてください）");
    return {};
  }

 private:
  const Header& h_;
  const std::vector<std::string_view>& names_;
  const std::vector<std::string>& cells_;
  std::size_t line_;
  std::vector<LineError>& errors_;
  bool ok_ = true;
};

// Stops a plan that has collected enough messages; true when reading must stop.
bool too_many_errors(std::vector<LineError>& errors) {
  if (errors.size() < kMaxCsvErrors) return false;
  errors.resize(kMaxCsvErrors);
  errors.push_back({0, "誤りが多いため、ここで確認をやめました（最初の" + std::to_string(kMaxCsvErrors) +
                           "件を表示しています）。直してからもう一度取り込んでください"});
  return true;
}

bool check_row_shape(const std::vector<std::string>& cells, const Header& h, std::size_t line,
                     std::vector<LineError>& errors) {
  if (cells.size() == h.count) return true;
  errors.push_back({line, at_line(line) + "列の数が見出しと違います（" + std::to_string(cells.size()) + "列、見出しは" +
                              std::to_string(h.count) + "列）"});
  return false;
}

std::string joined_names(const std::vector<std::string_view>& names, const std::vector<bool>& skip) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (skip[i]) continue;
    if (!out.empty()) out += "、";
    out += names[i];
  }
  return out;
}

// Sorts errors by line, whole-file errors (line 0) last, keeping the order within a line.
void sort_errors(std::vector<LineError>& errors) {
  std::stable_sort(errors.begin(), errors.end(), [](const LineError& a, const LineError& b) {
    const std::size_t la = a.line == 0 ? kAbsent : a.line;
    const std::size_t lb = b.line == 0 ? kAbsent : b.line;
    return la < lb;
  });
}

// Reads one data row of the card layout into a card; errors go to the reader.
Card read_card(RowReader& r, const std::vector<ColumnDef>& cols, std::int64_t now_ms) {
  Card c;
  c.source = CardSource::ledger;
  c.imported_ms = now_ms;
  const auto events = all_card_events();
  std::array<std::string, kCardEventCount> ev_date, ev_note, ev_staff;
  std::array<std::size_t, kCardEventCount> ev_date_col{};
  std::string booking_at, booking_counter, issued_at, issued_counter, issued_staff, issued_note;
  std::size_t booking_at_col = 0, issued_at_col = 0;
  std::string renewal_list, renewal_kind, renewal_due;
  std::size_t renewal_list_col = 0;
  bool any_renewal = false;

  for (std::size_t col = 0; col < cols.size(); ++col) {
    const ColumnDef& def = cols[col];
    switch (def.field) {
      case F::manufacture_no: {
        const std::string v = upper(fold_width(r.cell(col)));
        if (v.empty()) {
          r.fail(col, "空です（必須の項目です）");
        } else if (v.size() != 16 || !std::all_of(v.begin(), v.end(), upper_alnum)) {
          std::string m = bracketed(v) + "は製造番号として正しくありません（英数字16桁）";
          if (v.find("E+") != std::string::npos) m += "。Excelで数値に変換された可能性があります。列を文字列にして保存し直してください";
          r.fail(col, std::move(m));
        } else {
          c.manufacture_no = v;
        }
        break;
      }
      case F::application_id: {
        const std::string v = fold_width(r.cell(col));
        if (!v.empty() && (v.size() != 23 || !all_digits(v))) {
          r.fail(col, bracketed(v) + "は申請書IDとして正しくありません（数字23桁か空欄）");
        } else {
          c.application_id = v;
        }
        break;
      }
      case F::postcard_no: {
        const std::string v = upper(fold_width(r.cell(col)));
        if (!v.empty() && (v.size() != 9 || !std::all_of(v.begin(), v.begin() + 3, upper_alnum) ||
                           !all_digits(std::string_view(v).substr(3)))) {
          r.fail(col, bracketed(v) + "は交付通知書番号として正しくありません（英数字3桁と数字6桁か空欄）");
        } else {
          c.postcard_no = v;
        }
        break;
      }
      case F::name_kanji: c.name_kanji = r.text(col, 1, kMaxNameChars); break;
      case F::name_kana: c.name_kana = r.text(col, 0, kMaxNameChars); break;
      case F::birth_date: c.birth_date = r.date(col, true); break;
      case F::sex: {
        const std::string_view v = r.cell(col);
        if (auto s = sex_in(fold_width(v))) {
          c.sex = *s;
        } else {
          r.fail(col, bracketed(v) + "は使えません（男・女・適用外か、1・2・9、または空欄）");
        }
        break;
      }
      case F::address: c.address = r.text(col, 0, kMaxAddressChars); break;
      case F::card_expiry: c.card_expiry = r.date(col, false); break;
      case F::cert_expiry: c.cert_expiry = r.date(col, false); break;
      case F::receipt_no: {
        const std::string v = fold_width(r.cell(col));
        if (v.empty()) break;
        if (!all_digits(v) || v.size() > 12) {
          r.fail(col, bracketed(v) + "は受付番号として正しくありません（数字12桁以内か空欄）");
        } else {
          c.receipt_no = std::stoull(v);
        }
        break;
      }
      case F::counter: c.counter = r.text(col, 0, kMaxShortTextChars); break;
      case F::shipment_no: c.shipment_no = r.text(col, 0, kMaxShortTextChars); break;
      case F::booking_at:
        booking_at = r.date_time(col);
        booking_at_col = col;
        break;
      case F::booking_counter: booking_counter = r.text(col, 0, kMaxShortTextChars); break;
      case F::issued_at:
        issued_at = r.date_time(col);
        issued_at_col = col;
        break;
      case F::issued_counter: issued_counter = r.text(col, 0, kMaxShortTextChars); break;
      case F::issued_staff: issued_staff = r.text(col, 0, kMaxShortTextChars); break;
      case F::issued_note: issued_note = r.memo(col); break;
      case F::event_date:
        ev_date[def.event] = r.date(col, false);
        ev_date_col[def.event] = col;
        break;
      case F::event_note: ev_note[def.event] = r.memo(col); break;
      case F::event_staff: ev_staff[def.event] = r.text(col, 0, kMaxShortTextChars); break;
      case F::reissue: {
        const std::string_view v = r.cell(col);
        if (auto b = yes_no(v)) {
          c.reissue = *b;
        } else {
          r.fail(col, bracketed(v) + "は使えません（再交付なら「○」、そうでなければ空欄）");
        }
        break;
      }
      case F::renewal_list:
        renewal_list = r.text(col, 0, kMaxShortTextChars);
        renewal_list_col = col;
        any_renewal = any_renewal || !r.cell(col).empty();
        break;
      case F::renewal_kind: {
        const std::string_view v = r.cell(col);
        any_renewal = any_renewal || !v.empty();
        if (v.empty()) break;
        if (auto k = kind_in(v)) {
          renewal_kind = *k;
        } else {
          r.fail(col, bracketed(v) + "は使えません（「カード」か「電子証明書」）");
        }
        break;
      }
      case F::renewal_due:
        any_renewal = any_renewal || !r.cell(col).empty();
        renewal_due = r.date(col, false);
        break;
      case F::status:
      case F::source:
      case F::imported_at:
      case F::booking_history: break;  // export only
      case F::note: c.note = r.memo(col); break;
    }
  }
  if (!r.ok()) return c;

  // Parts that belong together.
  if (!booking_at.empty()) {
    c.booking = CardBooking{booking_at, booking_counter};
  } else if (!booking_counter.empty()) {
    r.fail(booking_at_col, "予約窓口があるときは予約日時も書いてください");
  }
  if (!issued_at.empty()) {
    c.issued = Issue{issued_at, issued_counter, issued_note, issued_staff};
  } else if (!issued_counter.empty() || !issued_staff.empty() || !issued_note.empty()) {
    r.fail(issued_at_col, "交付実施窓口・交付担当者・交付メモがあるときは交付日時も書いてください");
  }
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (!ev_date[i].empty()) {
      c.events[i] = DatedNote{ev_date[i], ev_note[i], ev_staff[i]};
    } else if (!ev_note[i].empty() || !ev_staff[i].empty()) {
      r.fail(ev_date_col[i], "メモや担当者があるときは日付も書いてください");
    }
  }
  if (any_renewal) {
    if (renewal_list.empty() || renewal_kind.empty() || renewal_due.empty()) {
      r.fail(renewal_list_col, "更新リスト・更新種別・更新期限は3つともそろえて書くか、3つとも空欄にしてください");
    } else {
      c.renewal = Renewal{renewal_list, renewal_kind, renewal_due, now_ms};
    }
  }
  return c;
}

// ---- renewal list --------------------------------------------------------------------------------------
constexpr std::array<std::string_view, 5> kRenewalColumns = {"製造番号", "氏名カナ", "生年月日", "更新種別", "有効期限"};
enum RenewalCol : std::size_t { r_manufacture_no, r_name_kana, r_birth_date, r_kind, r_due };

}  // namespace

std::vector<std::string> card_csv_header() {
  std::vector<std::string> out;
  out.reserve(columns().size());
  for (const auto& c : columns()) out.push_back(c.name);
  return out;
}

std::vector<std::string> card_to_csv_row(const Card& card) {
  const auto& cols = columns();
  std::vector<std::string> row;
  row.reserve(cols.size());
  for (const auto& def : cols) {
    const auto& ev = card.events[def.event];
    switch (def.field) {
      case F::manufacture_no: row.push_back(card.manufacture_no); break;
      case F::application_id: row.push_back(card.application_id); break;
      case F::postcard_no: row.push_back(card.postcard_no); break;
      case F::name_kanji: row.push_back(card.name_kanji); break;
      case F::name_kana: row.push_back(card.name_kana); break;
      case F::birth_date: row.push_back(card.birth_date); break;
      case F::sex: row.emplace_back(sex_out(card.sex)); break;
      case F::address: row.push_back(card.address); break;
      case F::card_expiry: row.push_back(card.card_expiry); break;
      case F::cert_expiry: row.push_back(card.cert_expiry); break;
      case F::receipt_no: row.push_back(card.receipt_no == 0 ? std::string() : std::to_string(card.receipt_no)); break;
      case F::counter: row.push_back(card.counter); break;
      case F::shipment_no: row.push_back(card.shipment_no); break;
      case F::booking_at: row.push_back(card.booking ? date_time_out(card.booking->at) : std::string()); break;
      case F::booking_counter: row.push_back(card.booking ? card.booking->counter : std::string()); break;
      case F::issued_at: row.push_back(card.issued ? date_time_out(card.issued->at) : std::string()); break;
      case F::issued_counter: row.push_back(card.issued ? card.issued->counter : std::string()); break;
      case F::issued_staff: row.push_back(card.issued ? card.issued->staff : std::string()); break;
      case F::issued_note: row.push_back(card.issued ? card.issued->note : std::string()); break;
      case F::event_date: row.push_back(ev ? ev->date : std::string()); break;
      case F::event_note: row.push_back(ev ? ev->note : std::string()); break;
      case F::event_staff: row.push_back(ev ? ev->staff : std::string()); break;
      case F::reissue: row.push_back(card.reissue ? "○" : ""); break;
      case F::renewal_list: row.push_back(card.renewal ? card.renewal->list : std::string()); break;
      case F::renewal_kind: row.emplace_back(card.renewal ? kind_out(card.renewal->kind) : std::string_view()); break;
      case F::renewal_due: row.push_back(card.renewal ? card.renewal->due : std::string()); break;
      case F::status: row.emplace_back(card_status_label(card_status(card))); break;
      case F::source: row.emplace_back(source_label(card.source)); break;
      case F::imported_at: row.push_back(card.imported_ms == 0 ? std::string() : jst_date_time(card.imported_ms)); break;
      case F::booking_history: row.push_back(history_out(card.booking_history)); break;
      case F::note: row.push_back(card.note); break;
    }
  }
  return row;
}

namespace {
// A file with a header and at most max_rows data rows; otherwise one whole-file error.
template <typename Errors>
bool row_count_fits(const CsvRows& rows, std::size_t max_rows, std::string_view header_hint, Errors& errors) {
  if (rows.empty()) {
    errors.push_back({0, "ファイルが空です。1行目に見出し（" + std::string(header_hint) + "）が必要です"});
    return false;
  }
  if (rows.size() - 1 > max_rows) {
    errors.push_back({0, "行が多すぎます。一度に取り込めるのは" + std::to_string(max_rows) +
                             "行までです。ファイルを分けて取り込んでください"});
    return false;
  }
  return true;
}
}  // namespace

CardImportPlan plan_card_import(const CsvRows& rows, std::int64_t now_ms) {
  CardImportPlan plan;
  auto& errors = plan.errors;
  if (!row_count_fits(rows, kMaxCardCsvRows, "製造番号,氏名,生年月日 など", errors)) return plan;
  const auto& cols = columns();
  std::vector<std::string_view> names;
  std::vector<bool> required, export_only;
  for (const auto& c : cols) {
    names.push_back(c.name);
    required.push_back(c.required);
    export_only.push_back(c.export_only);
  }
  const Header header = read_header(rows.front(), names, required, joined_names(names, export_only), errors);
  if (!errors.empty()) return plan;

  std::map<std::string, std::size_t> seen;  // manufacture number -> first line
  for (std::size_t i = 1; i < rows.size(); ++i) {
    if (too_many_errors(errors)) break;
    const std::size_t line = i + 1;
    const auto& cells = rows[i];
    if (all_empty(cells)) continue;
    if (!check_row_shape(cells, header, line, errors)) continue;
    RowReader r(header, names, cells, line, errors);
    Card card = read_card(r, cols, now_ms);
    if (!card.manufacture_no.empty()) {
      if (auto [it, fresh] = seen.emplace(card.manufacture_no, line); !fresh) {
        r.fail_row("製造番号" + bracketed(card.manufacture_no) + "が重複しています（" + std::to_string(it->second) +
                   "行目と同じ）");
      }
    }
    if (!r.ok()) continue;
    if (auto st = validate_card(card); !st) {
      // Every rule is checked above with a Japanese message; this is the safety net.
      r.fail_row("内容に誤りがあります（" + detail::sanitize(st.error().message, 200) + "）");
      continue;
    }
    plan.cards.push_back({line, std::move(card)});
  }
  sort_errors(errors);
  return plan;
}

std::size_t add_already_on_record(CardImportPlan& plan, const std::vector<std::string>& on_record) {
  const std::set<std::string_view> known(on_record.begin(), on_record.end());
  std::size_t added = 0;
  for (const auto& p : plan.cards) {
    if (known.count(p.card.manufacture_no) == 0) continue;
    plan.errors.push_back({p.line, at_line(p.line) + "製造番号" + bracketed(p.card.manufacture_no) + "はすでに登録されています"});
    ++added;
  }
  sort_errors(plan.errors);
  return added;
}

std::vector<std::string> renewal_csv_header() { return {kRenewalColumns.begin(), kRenewalColumns.end()}; }

RenewalPlan plan_renewal_import(const CsvRows& rows) {
  RenewalPlan plan;
  auto& errors = plan.errors;
  if (!row_count_fits(rows, kMaxRenewalCsvRows, "氏名カナ,生年月日,更新種別,有効期限", errors)) return plan;
  const std::vector<std::string_view> names(kRenewalColumns.begin(), kRenewalColumns.end());
  const std::vector<bool> required = {false, true, true, true, true};
  const Header header =
      read_header(rows.front(), names, required, joined_names(names, std::vector<bool>(names.size())), errors);
  if (!errors.empty()) return plan;

  std::map<std::string, std::size_t> seen;  // manufacture number or kana key + birth date, with kind
  for (std::size_t i = 1; i < rows.size(); ++i) {
    if (too_many_errors(errors)) break;
    const std::size_t line = i + 1;
    const auto& cells = rows[i];
    if (all_empty(cells)) continue;
    if (!check_row_shape(cells, header, line, errors)) continue;
    RowReader r(header, names, cells, line, errors);
    RenewalLine out;
    out.line = line;
    const std::string no = upper(fold_width(r.cell(r_manufacture_no)));
    if (!no.empty() && (no.size() != 16 || !std::all_of(no.begin(), no.end(), upper_alnum))) {
      r.fail(r_manufacture_no, bracketed(no) + "は製造番号として正しくありません（英数字16桁か空欄）");
    }
    out.manufacture_no = no;
    out.name_kana = r.text(r_name_kana, 1, kMaxNameChars);
    std::string key;
    if (!out.name_kana.empty()) {
      auto k = text::search_key(out.name_kana);
      if (!k || k->empty()) {
        r.fail(r_name_kana, "読み取れません（カタカナかひらがなで書いてください）");
      } else {
        key = std::move(*k);
      }
    }
    out.birth_date = r.date(r_birth_date, true);
    const std::string_view kind = r.cell(r_kind);
    if (auto k = kind_in(kind)) {
      out.kind = *k;
    } else if (kind.empty()) {
      r.fail(r_kind, "空です（「カード」か「電子証明書」）");
    } else {
      r.fail(r_kind, bracketed(kind) + "は使えません（「カード」か「電子証明書」）");
    }
    out.due = r.date(r_due, true);
    if (!r.ok()) continue;
    const std::string dup_key = (no.empty() ? key + "\x1F" + out.birth_date : no) + "\x1F" + out.kind;
    if (auto [it, fresh] = seen.emplace(dup_key, line); !fresh) {
      r.fail_row((no.empty() ? std::string("氏名カナ・生年月日・更新種別") : "製造番号" + bracketed(no) + "と更新種別") +
                 "が同じ行があります（" + std::to_string(it->second) + "行目）");
      continue;
    }
    plan.lines.push_back(std::move(out));
  }
  sort_errors(errors);
  return plan;
}

std::optional<std::size_t> match_renewal_line(const RenewalLine& line, const std::vector<Card>& candidates,
                                              std::string* reason) {
  auto refuse = [&](std::string why) -> std::optional<std::size_t> {
    if (reason) *reason = std::move(why);
    return std::nullopt;
  };
  if (!line.manufacture_no.empty()) {
    std::optional<std::size_t> found;
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      if (candidates[i].manufacture_no != line.manufacture_no) continue;
      if (found) return refuse("製造番号が同じカードが複数あり、特定できません");
      found = i;
    }
    if (!found) return refuse("製造番号に当たるカードがありません");
    if (candidates[*found].birth_date != line.birth_date) {
      return refuse("製造番号に当たるカードはありますが、生年月日が一致しません");
    }
    if (reason) reason->clear();
    return found;
  }
  auto key = text::search_key(line.name_kana);
  if (!key || key->empty()) return refuse("氏名カナが読み取れません");
  std::optional<std::size_t> found;
  std::size_t count = 0;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const Card& c = candidates[i];
    if (c.birth_date != line.birth_date || c.name_kana.empty()) continue;
    // A lost or disposed card is not the one to renew (a reissued card of the same person is).
    const CardStatus s = card_status(c);
    if (s == CardStatus::lost || s == CardStatus::disposed) continue;
    auto k = text::search_key(c.name_kana);
    if (!k || *k != *key) continue;
    found = i;
    ++count;
  }
  if (count == 0) return refuse("氏名カナと生年月日が一致するカードがありません");
  if (count > 1) {
    return refuse("氏名カナと生年月日が一致するカードが" + std::to_string(count) +
                  "件あり、特定できません（製造番号を書いてください）");
  }
  if (reason) reason->clear();
  return found;
}

}  // namespace madoguchi::domain
