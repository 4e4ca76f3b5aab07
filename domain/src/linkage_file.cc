#include "madoguchi/domain/linkage_file.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <set>

#include "digest.h"
#include "madoguchi/text/csv.h"
#include "text.h"

namespace madoguchi::domain {

namespace {

enum class Check {
  text,     // up to kMaxTextChars characters
  id,       // 1-20 of 0-9 A-Z a-z _ -
  date,     // YYYY-MM-DD or YYYYMMDD
  birth,    // a date whose month or day may be 00 (不詳)
  digits11, // 住民票コード
  year,     // four digits
  amount,   // whole yen
  count,    // a small whole number
  hex64,    // SHA-256, lower-case hex
  sex,      // 1, 2
  flag,     // 0, 1
  support,  // 0, 1, 2
  seal_state,  // 1, 2, 3
  tax_class,   // 1, 2, 3, 4
  digits12,    // 個人番号: 12 digits
  serial,      // a certificate serial: 1..40 hex digits, upper case
};

struct Column {
  std::string_view name;
  Check check;
  bool required;
};

constexpr std::size_t kMaxTextChars = 200;

// The columns every kind has (docs/formats/linkage-records.md, "Columns every kind has").
constexpr Column kCommon[] = {
    {"連携番号", Check::count, true}, {"異動区分", Check::text, true}, {"異動事由", Check::text, false},
    {"異動日", Check::date, true},    {"届出日", Check::date, false},  {"宛名番号", Check::id, true},
};

constexpr Column kResident[] = {
    {"住民票コード", Check::digits11, true},
    {"世帯番号", Check::id, true},
    {"世帯内順位", Check::count, false},
    {"氏名", Check::text, true},
    {"氏名フリガナ", Check::text, false},
    {"旧氏", Check::text, false},
    {"旧氏フリガナ", Check::text, false},
    {"通称", Check::text, false},
    {"通称フリガナ", Check::text, false},
    {"生年月日", Check::birth, true},
    {"性別", Check::sex, true},
    {"世帯主氏名", Check::text, true},
    {"続柄", Check::text, true},
    {"住所", Check::text, true},
    {"方書", Check::text, false},
    {"住所を定めた年月日", Check::date, true},
    {"住民となった年月日", Check::date, true},
    {"前住所", Check::text, false},
    {"本籍", Check::text, false},
    {"筆頭者氏名", Check::text, false},
    {"国籍・地域", Check::text, false},
    {"第30条の45に規定する区分", Check::text, false},
    {"在留資格", Check::text, false},
    {"在留期間", Check::text, false},
    {"在留期間の満了の日", Check::date, false},
    {"在留カード等の番号", Check::id, false},
    {"外国人住民となった年月日", Check::date, false},
    {"支援措置", Check::support, true},
    {"文字溢れ", Check::flag, false},
    {"転出予定日", Check::date, false},
    {"個人番号", Check::digits12, false},
    {"利用者証明用電子証明書シリアル番号", Check::serial, false},
};

constexpr Column kSeal[] = {
    {"印鑑登録番号", Check::id, true}, {"登録状態", Check::seal_state, true}, {"登録年月日", Check::date, true},
    {"廃止年月日", Check::date, false}, {"登録氏名", Check::text, true},      {"印影ファイル", Check::text, false},
    {"印影SHA256", Check::hex64, false},
};

constexpr Column kTax[] = {
    {"課税年度", Check::year, true},
    {"賦課期日住所", Check::text, true},
    {"課税区分", Check::tax_class, true},
    {"扶養者宛名番号", Check::id, false},
    {"給与収入", Check::amount, false},
    {"給与所得", Check::amount, false},
    {"公的年金等収入", Check::amount, false},
    {"公的年金等所得", Check::amount, false},
    {"営業等所得", Check::amount, false},
    {"農業所得", Check::amount, false},
    {"不動産所得", Check::amount, false},
    {"利子所得", Check::amount, false},
    {"配当所得", Check::amount, false},
    {"雑所得(その他)", Check::amount, false},
    {"総合譲渡・一時所得", Check::amount, false},
    {"分離課税所得", Check::amount, false},
    {"総所得金額", Check::amount, true},
    {"合計所得金額", Check::amount, true},
    {"社会保険料控除", Check::amount, false},
    {"小規模企業共済等掛金控除", Check::amount, false},
    {"生命保険料控除", Check::amount, false},
    {"地震保険料控除", Check::amount, false},
    {"医療費控除", Check::amount, false},
    {"障害者控除", Check::amount, false},
    {"寡婦控除", Check::amount, false},
    {"ひとり親控除", Check::amount, false},
    {"勤労学生控除", Check::amount, false},
    {"配偶者控除", Check::amount, false},
    {"配偶者特別控除", Check::amount, false},
    {"扶養控除", Check::amount, false},
    {"基礎控除", Check::amount, false},
    {"雑損控除", Check::amount, false},
    {"所得控除合計", Check::amount, true},
    {"控除対象配偶者", Check::flag, false},
    {"扶養親族数_一般", Check::count, false},
    {"扶養親族数_特定", Check::count, false},
    {"扶養親族数_老人", Check::count, false},
    {"扶養親族数_同居老親等", Check::count, false},
    {"扶養親族数_年少", Check::count, false},
    {"課税標準額", Check::amount, true},
    {"市町村民税_所得割額", Check::amount, true},
    {"市町村民税_均等割額", Check::amount, true},
    {"道府県民税_所得割額", Check::amount, true},
    {"道府県民税_均等割額", Check::amount, true},
    {"調整控除", Check::amount, false},
    {"配当控除", Check::amount, false},
    {"住宅借入金等特別税額控除", Check::amount, false},
    {"寄附金税額控除", Check::amount, false},
    {"配当割額・株式等譲渡所得割額控除", Check::amount, false},
    {"年税額", Check::amount, true},
};

std::vector<Column> columns_of(LinkageKind kind) {
  std::vector<Column> out(std::begin(kCommon), std::end(kCommon));
  switch (kind) {
    case LinkageKind::resident: out.insert(out.end(), std::begin(kResident), std::end(kResident)); break;
    case LinkageKind::seal: out.insert(out.end(), std::begin(kSeal), std::end(kSeal)); break;
    case LinkageKind::tax: out.insert(out.end(), std::begin(kTax), std::end(kTax)); break;
  }
  return out;
}

Error fail(std::size_t line, std::string_view column, std::string_view what) {
  std::string m = std::to_string(line) + "行目";
  if (!column.empty()) m += " " + std::string(column);
  return Error{Errc::malformed, m + ": " + std::string(what)};
}

bool all_of(std::string_view s, bool (*ok)(char)) { return std::all_of(s.begin(), s.end(), ok); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex_lower(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }
bool is_id_char(char c) { return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == '-'; }

// At most `max` bytes of `s`, not cutting a character.
std::string utf8_prefix(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n)) + "…";
}

std::optional<std::uint64_t> to_number(std::string_view s) {
  if (s.empty() || s.size() > 15 || !all_of(s, is_digit)) return std::nullopt;
  std::uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// "YYYY-MM-DD" or "YYYYMMDD" as a valid date; with `unknown_ok`, month or day 00 (不詳) too.
bool date_ok(std::string_view s, bool unknown_ok, calendar::Date* out = nullptr) {
  std::string iso(s);
  if (iso.size() == 8 && all_of(iso, is_digit)) iso = iso.substr(0, 4) + "-" + iso.substr(4, 2) + "-" + iso.substr(6, 2);
  if (unknown_ok && iso.size() == 10 && iso[4] == '-' && iso[7] == '-') {
    const std::string y = iso.substr(0, 4), m = iso.substr(5, 2), d = iso.substr(8, 2);
    if (all_of(y, is_digit) && m == "00" && d == "00") return true;
    if (d == "00" && all_of(m, is_digit)) iso = y + "-" + m + "-01";
  }
  auto date = calendar::parse_iso(iso);
  if (!date) return false;
  if (out) *out = *date;
  return true;
}

std::optional<std::string> check_value(Check check, std::string_view v) {
  switch (check) {
    case Check::text:
      if (detail::utf8_length(v).value_or(kMaxTextChars + 1) > kMaxTextChars) return std::to_string(kMaxTextChars) + "文字を超えています";
      return std::nullopt;
    case Check::id:
      if (!v.empty() && !valid_linkage_id(v)) return "英数字20文字以内で書いてください";
      return std::nullopt;
    case Check::date:
      if (!date_ok(v, false)) return "日付として読めません（YYYY-MM-DD）";
      return std::nullopt;
    case Check::birth:
      if (!date_ok(v, true)) return "日付として読めません（YYYY-MM-DD、不詳は00）";
      return std::nullopt;
    case Check::digits11:
      if (v.size() != 11 || !all_of(v, is_digit)) return "数字11桁で書いてください";
      return std::nullopt;
    case Check::digits12:
      if (v.size() != 12 || !all_of(v, is_digit)) return "数字12桁で書いてください";
      return std::nullopt;
    case Check::serial:
      if (v.empty() || v.size() > 40 || !all_of(v, [](char c) { return is_digit(c) || (c >= 'A' && c <= 'F'); })) {
        return "16進の数字（大文字）40桁以内で書いてください";
      }
      return std::nullopt;
    case Check::year:
      if (v.size() != 4 || !all_of(v, is_digit)) return "西暦4桁で書いてください";
      return std::nullopt;
    case Check::amount:
    case Check::count:
      if (!to_number(v)) return "0以上の整数（区切りなし、15桁まで）で書いてください";
      return std::nullopt;
    case Check::hex64:
      if (v.size() != 64 || !all_of(v, is_hex_lower)) return "SHA-256（小文字の16進64桁）で書いてください";
      return std::nullopt;
    case Check::sex:
      if (v != "1" && v != "2") return "1（男）か2（女）で書いてください";
      return std::nullopt;
    case Check::flag:
      if (v != "0" && v != "1") return "0か1で書いてください";
      return std::nullopt;
    case Check::support:
      if (v != "0" && v != "1" && v != "2") return "0、1、2のどれかで書いてください";
      return std::nullopt;
    case Check::seal_state:
      if (v != "1" && v != "2" && v != "3") return "1（登録）、2（廃止）、3（一時停止）のどれかで書いてください";
      return std::nullopt;
    case Check::tax_class:
      if (v != "1" && v != "2" && v != "3" && v != "4") return "1から4のどれかで書いてください";
      return std::nullopt;
  }
  return std::nullopt;
}

// The file's physical line (1-based) that holds byte `offset` of `bytes`.
std::size_t line_at(std::string_view bytes, std::size_t offset, std::size_t first_line) {
  return first_line + static_cast<std::size_t>(std::count(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(std::min(offset, bytes.size())), '\n'));
}

// `bytes` (lines of the file from `first_line`) as UTF-8. CP932 is decoded line by line: its
// multi-byte characters never contain a line feed, so an error names its line.
Expected<std::string> to_utf8(std::string_view bytes, text::Encoding encoding, std::size_t first_line) {
  if (encoding == text::Encoding::utf8) {
    if (auto bad = text::first_invalid_utf8(bytes)) return fail(line_at(bytes, *bad, first_line), "", "UTF-8として読めないバイトがあります");
    return std::string(bytes);
  }
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 2);
  std::size_t line = first_line;
  std::size_t start = 0;
  while (start < bytes.size()) {
    std::size_t end = bytes.find('\n', start);
    const std::size_t stop = end == std::string_view::npos ? bytes.size() : end;
    auto decoded = text::cp932_to_utf8(bytes.substr(start, stop - start));
    if (!decoded) return fail(line, "", "CP932（Shift_JIS）として読めないバイトがあります");
    out += *decoded;
    if (end == std::string_view::npos) break;
    out += '\n';
    start = end + 1;
    ++line;
  }
  return out;
}

// The fields of one line of the file's frame (the header line, the trailer): ASCII CSV.
std::vector<std::string> frame_fields(std::string_view line) {
  auto rows = text::parse_csv(line);
  if (!rows || rows->size() != 1) return {};
  return std::move(rows->front());
}

std::string_view chomp(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

std::string_view linkage_kind_name(LinkageKind kind) noexcept {
  switch (kind) {
    case LinkageKind::resident: return "resident";
    case LinkageKind::seal: return "seal";
    case LinkageKind::tax: return "tax";
  }
  return "resident";
}

std::string_view LinkageRow::field(std::string_view column) const {
  for (const auto& [name, value] : fields) {
    if (name == column) return value;
  }
  return {};
}

std::string linkage_trailer(std::size_t data_rows, std::string_view data_bytes) {
  return "#end," + std::to_string(data_rows) + "," + detail::sha256_hex(data_bytes);
}

Expected<std::string> write_linkage_file(const LinkageFileHeader& header, const std::vector<std::string>& columns,
                                         const std::vector<std::vector<std::string>>& rows) {
  if (header.source.empty() || header.source.size() > 16 || !all_of(header.source, is_id_char)) {
    return Error{Errc::invalid_argument, "source must be 1-16 of a-z A-Z 0-9 _ -"};
  }
  if (header.run_id.size() > 64 || !all_of(header.run_id, is_id_char) || header.code_table.size() > 64 ||
      !all_of(header.code_table, is_id_char)) {
    return Error{Errc::invalid_argument, "run id and code table must be up to 64 of a-z A-Z 0-9 _ -"};
  }
  const bool cp932 = header.encoding == text::Encoding::cp932;
  auto encode = [&](std::string utf8, std::size_t row) -> Expected<std::string> {
    if (!cp932) return utf8;
    auto bytes = text::utf8_to_cp932(utf8);
    if (!bytes) return Error{Errc::malformed, "row " + std::to_string(row) + ": not representable in CP932"};
    return std::move(*bytes);
  };
  std::string out = "#madoguchi-linkage,1," + std::string(linkage_kind_name(header.kind)) + "," + header.source + "," +
                    std::string(text::encoding_name(header.encoding)) + "," + header.code_table + "," +
                    (header.full ? "full" : "delta") + "," + header.run_id;
  if (header.parts > 0) {
    if (!header.full || header.part == 0 || header.part > header.parts) {
      return Error{Errc::invalid_argument, "as_of and part/parts are for a full copy, part 1..parts"};
    }
    out += "," + std::to_string(header.as_of) + "," + std::to_string(header.part) + "/" + std::to_string(header.parts);
  }
  out += "\r\n";
  auto names = encode(text::write_csv({columns}, false), 0);
  if (!names) return names.error();
  out += *names;
  auto data = encode(text::write_csv(text::CsvRows(rows.begin(), rows.end()), false), 0);
  if (!data) {
    for (std::size_t i = 0; i < rows.size(); ++i) {  // which row
      if (auto row = encode(text::write_csv({rows[i]}, false), i + 1); !row) return row.error();
    }
    return data.error();
  }
  out += *data;
  out += linkage_trailer(rows.size(), *data);
  out += "\r\n";
  return out;
}

// Line 1 of a file: the header line (ASCII) into `file`'s kind, source, encoding, code table,
// full or delta, run id, and a full copy's as_of and part/parts.
Status parse_header_line(std::string_view line, LinkageFile& file) {
  const auto header = frame_fields(chomp(line));
  if ((header.size() != 8 && header.size() != 10) || header[0] != "#madoguchi-linkage") return fail(1, "", "見出し行が #madoguchi-linkage,1,… の形ではありません");
  if (header[1] != "1") return fail(1, "", "この版（" + std::string(header[1].substr(0, 8)) + "）の連携ファイルは読めません（版1のみ）");
  if (header[2] == "resident") {
    file.kind = LinkageKind::resident;
  } else if (header[2] == "seal") {
    file.kind = LinkageKind::seal;
  } else if (header[2] == "tax") {
    file.kind = LinkageKind::tax;
  } else {
    return fail(1, "", "種類は resident、seal、tax のどれかです");
  }
  if (header[3].empty() || header[3].size() > 16 || !all_of(header[3], is_id_char)) return fail(1, "", "連携元は英数字16文字以内です");
  file.source = std::string(header[3]);
  if (header[4] == "utf-8") {
    file.encoding = text::Encoding::utf8;
  } else if (header[4] == "cp932") {
    file.encoding = text::Encoding::cp932;
  } else {
    return fail(1, "", "文字コードは utf-8 か cp932 です");
  }
  if (header[5].size() > 64 || !all_of(header[5], is_id_char)) return fail(1, "", "外字対照表の名前は英数字64文字以内です");
  file.code_table = std::string(header[5]);
  if (header[6] == "full") {
    file.full = true;
  } else if (header[6] != "delta") {
    return fail(1, "", "full か delta を書いてください");
  }
  if (header[7].size() > 64 || !all_of(header[7], is_id_char)) return fail(1, "", "実行IDは英数字64文字以内です");
  if (file.full && header[7].empty()) return fail(1, "", "全件（full）には実行IDが要ります");
  file.run_id = std::string(header[7]);
  if (header.size() == 10) {
    // ",<as of 連携番号>,<part>/<parts>": a full copy that states what it reflects.
    if (!file.full) return fail(1, "", "反映済み連携番号と部番号は全件（full）だけに書きます");
    auto number = [](std::string_view s, std::uint64_t max) -> std::optional<std::uint64_t> {
      if (s.empty() || s.size() > 12 || !all_of(s, is_digit)) return std::nullopt;
      const std::uint64_t n = std::stoull(std::string(s));
      if (n > max) return std::nullopt;
      return n;
    };
    auto as_of = number(header[8], 999'999'999'999);
    if (!as_of) return fail(1, "", "反映済み連携番号は12桁までの数字です");
    const auto slash = header[9].find('/');
    auto part = slash == std::string_view::npos ? std::nullopt : number(header[9].substr(0, slash), 9999);
    auto parts = slash == std::string_view::npos ? std::nullopt : number(header[9].substr(slash + 1), 9999);
    if (!part || !parts || *part == 0 || *part > *parts) return fail(1, "", "部番号は「部/部数」（1/3 など、9999まで）です");
    file.as_of = *as_of;
    file.part = static_cast<std::uint32_t>(*part);
    file.parts = static_cast<std::uint32_t>(*parts);
  }

  return {};
}

Expected<LinkageFileHeader> parse_linkage_header(std::string_view bytes) {
  const std::string_view raw = text::strip_utf8_bom(bytes);
  LinkageFile file;
  if (auto h = parse_header_line(raw.substr(0, raw.find('\n')), file); !h) return h.error();
  return LinkageFileHeader{file.kind, file.source, file.encoding, file.code_table, file.full, file.run_id, file.as_of, file.part, file.parts};
}

Expected<LinkageFile> parse_linkage_file(std::string_view bytes) {
  if (bytes.size() > kMaxLinkageFileBytes) {
    return Error{Errc::too_large, "ファイルが大きすぎます（" + std::to_string(kMaxLinkageFileBytes / (1024 * 1024)) + " MiB まで。全件は分けて送ってください）"};
  }
  const std::string_view raw = text::strip_utf8_bom(bytes);
  LinkageFile file;

  // Line 1: the header line (ASCII).
  const std::size_t end1 = raw.find('\n');
  if (end1 == std::string_view::npos) return fail(1, "", "見出し行（#madoguchi-linkage）のあとに行がありません");
  if (auto h = parse_header_line(raw.substr(0, end1), file); !h) return h.error();

  // Line 2: the column names. Then the data rows, and the trailer as the last line.
  const std::size_t end2 = raw.find('\n', end1 + 1);
  if (end2 == std::string_view::npos) return fail(2, "", "列名の行のあとに最終行（#end）がありません");
  std::string_view rest = raw.substr(end2 + 1);
  while (!rest.empty() && (rest.back() == '\n' || rest.back() == '\r')) rest.remove_suffix(1);
  const std::size_t last_nl = rest.rfind('\n');
  const std::string_view trailer_line = chomp(last_nl == std::string_view::npos ? rest : rest.substr(last_nl + 1));
  const std::string_view data = last_nl == std::string_view::npos ? std::string_view() : rest.substr(0, last_nl + 1);
  const std::size_t trailer_line_no = line_at(data, data.size(), 3);
  const auto trailer = frame_fields(trailer_line);
  if (trailer.size() != 3 || trailer[0] != "#end") {
    return fail(trailer_line_no, "", "最終行が #end,件数,SHA-256 ではありません（ファイルが途中で切れていないか確認してください）");
  }
  const auto declared_rows = to_number(trailer[1]);
  if (!declared_rows || trailer[2].size() != 64 || !all_of(trailer[2], is_hex_lower)) {
    return fail(trailer_line_no, "", "最終行の件数かSHA-256が読めません");
  }
  if (*declared_rows > kMaxLinkageRows) return Error{Errc::too_large, "1ファイル" + std::to_string(kMaxLinkageRows) + "件までです"};
  if (detail::sha256_hex(data) != trailer[2]) {
    return fail(trailer_line_no, "", "SHA-256がデータ行と一致しません（ファイルが途中で切れたか、書き換えられています）");
  }
  file.sha256 = std::string(trailer[2]);

  auto names_text = to_utf8(chomp(raw.substr(end1 + 1, end2 - end1 - 1)), file.encoding, 2);
  if (!names_text) return names_text.error();
  auto names = text::parse_csv(*names_text);
  if (!names || names->size() != 1) return fail(2, "", "列名の行を読めません");
  const std::vector<Column> spec = columns_of(file.kind);
  std::vector<const Column*> by_index;
  std::set<std::string> seen;
  for (const auto& name : names->front()) {
    auto it = std::find_if(spec.begin(), spec.end(), [&](const Column& c) { return c.name == name; });
    if (it == spec.end()) return fail(2, utf8_prefix(name, 64), "この種類（" + std::string(linkage_kind_name(file.kind)) + "）にない列名です");
    if (!seen.insert(name).second) return fail(2, name, "同じ列名が2回あります");
    by_index.push_back(&*it);
    file.columns.push_back(name);
  }
  for (const auto& c : spec) {
    if (c.required && !seen.count(std::string(c.name))) return fail(2, c.name, "必須の列がありません");
  }

  auto data_text = to_utf8(data, file.encoding, 3);
  if (!data_text) return data_text.error();
  text::CsvOptions csv;
  csv.max_rows = kMaxLinkageRows;
  auto rows = text::parse_csv(*data_text, csv);
  if (!rows) return Error{rows.error().code, "3行目以降: CSVとして読めません（" + rows.error().message + "。行はデータの1行目を1と数えます）"};
  if (data.empty()) rows->clear();
  if (rows->size() != *declared_rows) {
    return fail(trailer_line_no, "", "最終行の件数（" + std::to_string(*declared_rows) + "）とデータ行の数（" + std::to_string(rows->size()) + "）が違います");
  }

  std::size_t line = 3;
  std::uint64_t previous_seq = 0;
  file.rows.reserve(rows->size());
  for (auto& cells : *rows) {
    LinkageRow row;
    row.line = line;
    std::size_t breaks = 0;
    for (const auto& cell : cells) breaks += static_cast<std::size_t>(std::count(cell.begin(), cell.end(), '\n'));
    line += 1 + breaks;
    if (cells.size() != by_index.size()) {
      return fail(row.line, "", "列の数（" + std::to_string(cells.size()) + "）が列名の行（" + std::to_string(by_index.size()) + "）と違います");
    }
    for (std::size_t i = 0; i < cells.size(); ++i) {
      const Column& c = *by_index[i];
      if (cells[i].empty()) {
        if (c.required) return fail(row.line, c.name, "必須の項目が空です");
        continue;
      }
      if (auto why = check_value(c.check, cells[i])) return fail(row.line, c.name, *why);
    }
    for (std::size_t i = 0; i < cells.size(); ++i) row.fields.emplace_back(file.columns[i], std::move(cells[i]));
    row.seq = *to_number(row.field("連携番号"));
    if (previous_seq != 0 && row.seq != previous_seq + 1) return fail(row.line, "連携番号", "前の行の続きの番号ではありません");
    previous_seq = row.seq;
    const std::string_view change = row.field("異動区分");
    if (file.full ? change != "F" : (change != "A" && change != "M" && change != "D")) {
      return fail(row.line, "異動区分", file.full ? "全件（full）ではFです" : "A、M、Dのどれかです");
    }
    row.change = change[0];
    row.person = std::string(row.field("宛名番号"));
    date_ok(row.field("異動日"), false, &row.effective);
    if (file.kind == LinkageKind::seal) {
      const std::string_view state = row.field("登録状態");
      if (state == "2" && row.field("廃止年月日").empty()) return fail(row.line, "廃止年月日", "廃止（2）には廃止年月日が要ります");
      if (state == "1" && (row.field("印影ファイル").empty() || row.field("印影SHA256").empty())) {
        return fail(row.line, "印影ファイル", "登録（1）には印影ファイルと印影SHA256が要ります");
      }
    }
    file.rows.push_back(std::move(row));
  }
  return file;
}

bool valid_linkage_id(std::string_view value) noexcept { return !value.empty() && value.size() <= 20 && all_of(value, is_id_char); }

}  // namespace madoguchi::domain
