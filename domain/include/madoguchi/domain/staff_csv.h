// The staff list as CSV (ACC-3): export, and bulk add / change / delete by import. Pure functions
// over rows of cells; the CSV bytes are read and written by protocol/text (another module), so
// quoting, encodings and the BOM are not handled here.
//
// Layout. Row 1 is the header; each later row is one staff member:
//   職員ID,氏名,権限,有効,操作,初期パスワード
//   tanaka01,田中 花子,窓口職員,有効,,
//   suzuki02,鈴木 一郎,コールセンター,無効,変更,
//   sato03,佐藤 次郎,窓口職員,有効,追加,Hajime-2026x
//   - 職員ID   the staff id (staff.h rules; case-sensitive)
//   - 氏名     the name, 1-64 characters
//   - 権限     a role's name (管理者, 窓口職員, ...) or its id (counter_clerk)
//   - 有効     「有効」 or 「無効」 (may the account sign in)
//   - 操作     on import: 「追加」 add, 「変更」 change name/role/有効 (all three given, as exported),
//              「削除」 delete (other cells ignored), or empty:
//              leave the row's account alone (export writes it empty, so an exported file edited on
//              a few rows imports only those rows)
//   - 初期パスワード  only with 追加 (required there), checked against the password rules; the new
//              account must change it at first sign-in. Never exported, never echoed in messages.
// On import the columns are found by their header names (any order); 初期パスワード may be left out
// when no row adds. Cells are trimmed of spaces (ASCII and 全角) except 初期パスワード. Rows whose
// cells are all empty are skipped. A 変更 row that changes nothing makes no change.
//
// Line numbers in messages count rows as a spreadsheet shows them: the header is 1行目.
//
// Apply contract: plan_import() changes nothing. The caller shows `changes` as a preview (before
// and after of each; never initial_password) and, when the administrator confirms, applies the
// plan ONLY when `errors` is empty (ImportPlan::ok()): for each change in order, add and update
// write the record account_to_write() gives, remove deletes the record; and one operation log entry
// per change. A plan with any error is refused whole; nothing of it is applied. The plan holds
// initial passwords in plain text: keep it on the server only, or plan again from the same file at
// confirmation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/domain/password.h"
#include "madoguchi/domain/permissions.h"
#include "madoguchi/domain/staff.h"
#include "madoguchi/error.h"

namespace madoguchi::domain {

// Data rows one import may hold (a town has tens of staff, a city a few thousand at most).
inline constexpr std::size_t kMaxStaffCsvRows = 5000;

using CsvRows = std::vector<std::vector<std::string>>;

// Header and one row per account, ordered by id. 権限 is the role's name (its id when the role is
// unknown); 操作 and 初期パスワード are empty. Never a password or a hash.
CsvRows staff_to_rows(const std::vector<StaffAccount>& accounts, const std::vector<Role>& roles);

enum class ChangeKind { add, update, remove };

struct Change {
  ChangeKind kind = ChangeKind::add;
  std::size_t line = 0;                 // row of the file (header = 1)
  std::optional<StaffAccount> before;   // update, remove: the account now
  std::optional<StaffAccount> after;    // add, update: the account after (add: no hash yet)
  std::string initial_password;         // add only; not for display
};

struct LineError {
  std::size_t line = 0;  // row of the file; 0 for the file as a whole
  std::string message;   // Japanese, for staff, starting with "N行目: " when line > 0
};

struct ImportPlan {
  std::vector<Change> changes;    // in file order
  std::vector<LineError> errors;  // in line order; whole-file checks (line 0) may come last
  bool ok() const noexcept { return errors.empty(); }
};

// Plans an import against the current accounts and the effective roles (effective_roles()).
// Besides per-row checks, refuses a plan that breaks the administrator-remains invariant
// (administrator.h).
ImportPlan plan_import(const CsvRows& rows, const std::vector<StaffAccount>& current, const std::vector<Role>& roles,
                       const PasswordRules& rules);

// The account to write for an add or update of an error-free plan: for add, the initial password
// hashed, password_changed_ms = now_ms and must_change_password = true; for update, `after`.
// Errors: invalid_argument (a remove, or a change without `after`), crypto.
Expected<StaffAccount> account_to_write(const Change& change, std::int64_t now_ms, bool fast_for_tests = false);

}  // namespace madoguchi::domain
