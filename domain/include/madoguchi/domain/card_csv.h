// The card CSV layouts (ISS-4, ISS-7, ISS-13, ISS-14, ISS-15). Pure functions over rows of cells;
// the CSV bytes are read and written by protocol/text (csv.h: quoting, UTF-8 BOM / CP932), as for
// the staff list (staff_csv.h, whose conventions this file follows).
//
// ---- The card layout (export of every record ISS-15, of search results ISS-7, ledger import ISS-14)
// ONE layout, so an exported file imports back. Row 1 is the header (card_csv_header()); each later
// row is one card. Columns, in export order (docs/formats/ledger-import.md has the table):
//   製造番号*, 申請書ID, 交付通知書番号, 氏名*, 氏名カナ, 生年月日*, 性別, 住所, カード有効期限,
//   電子証明書有効期限, 受付番号, 交付窓口, 発送番号, 予約日時, 予約窓口, 交付日時, 交付実施窓口,
//   交付担当者, 交付メモ, then per CardEvent in all_card_events() order three columns
//   <label> (the date), <stem>メモ, <stem>担当者 (stem = the label without its final 日, e.g.
//   カード発送日, カード発送メモ, カード発送担当者), 再交付, 更新リスト, 更新種別, 更新期限,
//   状態†, 取込元†, 取込日時†, 予約変更履歴†, 備考.
//   * required on import (column and value); † export only: written by export, accepted and
//   ignored on import (a file edited in Excel may keep them).
// Cell formats (export writes the first form; import accepts every form listed):
//   - dates: YYYY-MM-DD; also YYYY/MM/DD and the unpadded YYYY/M/D Excel writes when it re-saves.
//   - date-times: "YYYY-MM-DD HH:MM"; also "/" for "-", "T" for the space, an unpadded month, day
//     or hour, and ":SS" seconds (dropped).
//   - 性別: 男 / 女 / 適用外 (codes 1 / 2 / 9); also the codes themselves, 男性 and 女性. Empty: unknown.
//   - 受付番号: digits (at most 12); empty = none (0).
//   - 再交付: 「○」 or empty; also 〇 / はい / 1 / true (yes) and ×, いいえ, 0, false (no).
//   - 更新種別: カード / 電子証明書 (also card / cert); 更新リスト, 更新種別 and 更新期限 are given
//     all three or none.
//   - An event with a memo or staff needs its date; 予約窓口 needs 予約日時; 交付実施窓口, 交付担当者
//     and 交付メモ need 交付日時.
//   - Codes (製造番号, 申請書ID, 交付通知書番号, 受付番号, dates) may be typed with full-width
//     digits and letters; 製造番号 and 交付通知書番号 may be lower case. Both are folded.
//   - A cell starting with ' followed by = + - @ (or their full-width forms, TAB or CR) loses the
//     ': it is the marker text::write_csv adds against formula injection, so export -> import is
//     exact.
// Import (plan_card_import): columns found by header name in any order; only 製造番号, 氏名 and
// 生年月日 are required, a missing optional column means empty; unknown or repeated columns are
// refused. Cells are trimmed of spaces (ASCII and 全角) except the memos and 備考. Rows whose cells
// are all empty are skipped. Each card gets source = ledger and imported_ms = now; a renewal's
// matched_ms = now. Not imported: 予約変更履歴 (the operation log keeps the history). Every card of
// a plan passes validate_card().
//
// ---- The renewal target list (ISS-4), made by the municipality from J-LIS systems
//   製造番号, 氏名カナ*, 生年月日*, 更新種別*, 有効期限*   (docs/formats/renewal-list.md)
//   - 製造番号: optional column and cell; when given, the line matches that card only.
//   - 氏名カナ: katakana or hiragana, full or half width (matched by text::search_key).
//   - 更新種別: カード / 電子証明書 (also カード更新 / 電子証明書更新 / card / cert).
//   - 有効期限: the expiry that makes renewal due (dates as above).
//
// Line numbers in messages count rows as a spreadsheet shows them: the header is 1行目. A message
// about one cell names its column by letter and header name: "3行目 F列（生年月日）: …".
//
// Apply contract: the plans change nothing. The caller (the console) adds "already on record"
// errors with add_already_on_record() and applies a plan ONLY when ok(): all or nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/domain/card.h"
#include "madoguchi/domain/staff_csv.h"  // CsvRows, LineError
#include "madoguchi/error.h"

namespace madoguchi::domain {

// Data rows one import may hold: the ledger of the largest city with margin (a city of 300,000
// cards). Over it the whole file is refused before any row is read.
inline constexpr std::size_t kMaxCardCsvRows = 500'000;
inline constexpr std::size_t kMaxRenewalCsvRows = 500'000;
// Messages one plan collects; past this the plan stops reading rows and says so (it is refused
// anyway, and a person reads the first errors first).
inline constexpr std::size_t kMaxCsvErrors = 1000;

// ---- card layout ----------------------------------------------------------------------------------
std::vector<std::string> card_csv_header();
// One row, aligned with card_csv_header(). Streamable: no state between rows.
std::vector<std::string> card_to_csv_row(const Card& card);

struct PlannedCard {
  std::size_t line = 0;  // row of the file (header = 1)
  Card card;
};

struct CardImportPlan {
  std::vector<PlannedCard> cards;  // in file order, each passing validate_card()
  std::vector<LineError> errors;   // in line order; whole-file errors (line 0) last
  bool ok() const noexcept { return errors.empty(); }
};

CardImportPlan plan_card_import(const CsvRows& rows, std::int64_t now_ms);

// Adds "N行目: 製造番号「…」はすでに登録されています" for every planned card whose manufacture
// number is in `on_record` (as the store reports them), keeping errors in line order. Returns how
// many were added.
std::size_t add_already_on_record(CardImportPlan& plan, const std::vector<std::string>& on_record);

// ---- renewal target list --------------------------------------------------------------------------
std::vector<std::string> renewal_csv_header();

struct RenewalLine {
  std::size_t line = 0;        // row of the file (header = 1)
  std::string manufacture_no;  // empty when not given
  std::string name_kana;       // as written (trimmed)
  std::string birth_date;      // YYYY-MM-DD
  std::string kind;            // "card" or "cert"
  std::string due;             // YYYY-MM-DD
};

struct RenewalPlan {
  std::vector<RenewalLine> lines;  // in file order
  std::vector<LineError> errors;
  bool ok() const noexcept { return errors.empty(); }
};

RenewalPlan plan_renewal_import(const CsvRows& rows);

// The card a renewal line is about, among `candidates` (the caller's pre-selection, e.g. the cards
// with that manufacture number or birth date). With a manufacture number: the candidate with that
// number, and its birth date must agree. Without: the candidates whose search_key(name_kana) and
// birth date equal the line's, leaving out cards that are lost or disposed (紛失, 廃棄: the
// reissued card of the same person is the one to renew); exactly one, else no match (two or more:
// ambiguous, never a guess). `reason` (Japanese, no personal data) says why there is no match.
std::optional<std::size_t> match_renewal_line(const RenewalLine& line, const std::vector<Card>& candidates,
                                              std::string* reason = nullptr);

}  // namespace madoguchi::domain
