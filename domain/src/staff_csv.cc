#include "madoguchi/domain/staff_csv.h"

#include "madoguchi/domain/administrator.h"

#include <algorithm>
#include <array>
#include <map>

#include "text.h"

namespace madoguchi::domain {

namespace {
constexpr std::string_view kColId = "職員ID";
constexpr std::string_view kColName = "氏名";
constexpr std::string_view kColRole = "権限";
constexpr std::string_view kColEnabled = "有効";
constexpr std::string_view kColOp = "操作";
constexpr std::string_view kColPassword = "初期パスワード";
constexpr std::array<std::string_view, 6> kColumns{kColId, kColName, kColRole, kColEnabled, kColOp, kColPassword};

constexpr std::string_view kEnabled = "有効";
constexpr std::string_view kDisabled = "無効";
constexpr std::string_view kOpAdd = "追加";
constexpr std::string_view kOpUpdate = "変更";
constexpr std::string_view kOpRemove = "削除";
constexpr std::string_view kBom = "\xEF\xBB\xBF";

std::string at_line(std::size_t line) { return std::to_string(line) + "行目: "; }

// A cell's content for a message: sanitised and short.
std::string quoted(std::string_view cell) { return "「" + detail::abbreviate(detail::sanitize(cell, 512), 32) + "」"; }

std::string_view password_rule_ja(PasswordProblem p) {
  switch (p) {
    case PasswordProblem::invalid_text: return "改行などの制御文字を含まない";
    case PasswordProblem::too_long: return "128バイト以内";
    case PasswordProblem::too_short: return "";  // built with the number below
    case PasswordProblem::contains_id: return "職員IDを含まない";
    case PasswordProblem::missing_upper: return "英大文字を含む";
    case PasswordProblem::missing_lower: return "英小文字を含む";
    case PasswordProblem::missing_digit: return "数字を含む";
    case PasswordProblem::missing_symbol: return "記号など英数字以外の文字を含む";
  }
  return "";
}

struct Columns {
  std::size_t count = 0;
  std::map<std::string_view, std::size_t> index;  // header name -> column
  bool has(std::string_view name) const { return index.count(name) != 0; }
};

// Reads the header row; adds errors for unknown, repeated and missing columns.
Columns read_header(const std::vector<std::string>& header, std::vector<LineError>& errors) {
  Columns cols;
  cols.count = header.size();
  for (std::size_t i = 0; i < header.size(); ++i) {
    std::string_view name = header[i];
    if (i == 0 && name.substr(0, kBom.size()) == kBom) name.remove_prefix(kBom.size());
    name = detail::trim(name);
    auto known = std::find(kColumns.begin(), kColumns.end(), name);
    if (known == kColumns.end()) {
      errors.push_back({1, at_line(1) + quoted(name) + "という列は使えません"});
    } else if (cols.has(*known)) {
      errors.push_back({1, at_line(1) + "列" + quoted(name) + "が2回あります"});
    } else {
      cols.index[*known] = i;
    }
  }
  for (auto name : {kColId, kColName, kColRole, kColEnabled, kColOp}) {
    if (!cols.has(name)) errors.push_back({1, at_line(1) + "列" + quoted(name) + "がありません"});
  }
  return cols;
}

class RowView {
 public:
  RowView(const Columns& cols, const std::vector<std::string>& row) : cols_(cols), row_(row) {}
  // The trimmed cell of a column, "" when the column is absent.
  std::string_view cell(std::string_view column) const {
    auto it = cols_.index.find(column);
    return it == cols_.index.end() ? std::string_view{} : detail::trim(row_[it->second]);
  }
  std::string_view raw(std::string_view column) const {
    auto it = cols_.index.find(column);
    return it == cols_.index.end() ? std::string_view{} : std::string_view(row_[it->second]);
  }

 private:
  const Columns& cols_;
  const std::vector<std::string>& row_;
};

bool all_empty(const std::vector<std::string>& row) {
  return std::all_of(row.begin(), row.end(), [](const std::string& c) { return detail::trim(c).empty(); });
}

struct RowFields {
  std::string name;
  std::string role_id;
  bool enabled = true;
};

// Checks name, role and flag of an add or update row; adds errors; true when all are good.
bool read_fields(const RowView& row, std::size_t line, const std::vector<Role>& roles, RowFields& out,
                 std::vector<LineError>& errors) {
  bool ok = true;
  const std::string_view name = row.cell(kColName);
  switch (detail::check_text(name, 1, kMaxStaffNameChars)) {
    case detail::TextProblem::none: out.name = std::string(name); break;
    case detail::TextProblem::empty: errors.push_back({line, at_line(line) + "氏名が空です"}); ok = false; break;
    case detail::TextProblem::bad_length:
      errors.push_back({line, at_line(line) + "氏名は" + std::to_string(kMaxStaffNameChars) + "文字以内にしてください"});
      ok = false;
      break;
    case detail::TextProblem::invalid_utf8:
    case detail::TextProblem::control:
      errors.push_back({line, at_line(line) + "氏名に使えない文字（改行など）が含まれています"});
      ok = false;
      break;
  }

  const std::string_view role = row.cell(kColRole);
  if (role.empty()) {
    errors.push_back({line, at_line(line) + "権限が空です"});
    ok = false;
  } else if (const Role* by_id = find_role(roles, role)) {
    out.role_id = by_id->id;
  } else {
    const Role* match = nullptr;
    int matches = 0;
    for (const auto& r : roles) {
      if (r.name == role) {
        match = &r;
        ++matches;
      }
    }
    if (matches == 1) {
      out.role_id = match->id;
    } else if (matches == 0) {
      errors.push_back({line, at_line(line) + "権限" + quoted(role) + "がありません"});
      ok = false;
    } else {
      errors.push_back({line, at_line(line) + "権限" + quoted(role) + "に当たるものが複数あります。権限IDで指定してください"});
      ok = false;
    }
  }

  const std::string_view flag = row.cell(kColEnabled);
  if (flag == kEnabled) {
    out.enabled = true;
  } else if (flag == kDisabled) {
    out.enabled = false;
  } else {
    errors.push_back({line, at_line(line) + "有効の欄は「有効」か「無効」にしてください（" + quoted(flag) + "は使えません）"});
    ok = false;
  }
  return ok;
}

void check_initial_password(std::string_view password, std::string_view id, const PasswordRules& rules,
                            std::size_t line, std::vector<LineError>& errors) {
  if (password.empty()) {
    errors.push_back({line, at_line(line) + "追加する職員には初期パスワードが必要です"});
    return;
  }
  const auto problems = password_problems(rules, password, id);
  if (problems.empty()) return;
  std::string rules_ja;
  for (auto p : problems) {
    if (!rules_ja.empty()) rules_ja += "、";
    rules_ja += p == PasswordProblem::too_short ? std::to_string(rules.min_length) + "文字以上"
                                                : std::string(password_rule_ja(p));
  }
  errors.push_back({line, at_line(line) + "初期パスワードが規則に合いません（" + rules_ja + "）"});
}
}  // namespace

CsvRows staff_to_rows(const std::vector<StaffAccount>& accounts, const std::vector<Role>& roles) {
  CsvRows rows;
  rows.reserve(accounts.size() + 1);
  rows.emplace_back(kColumns.begin(), kColumns.end());
  std::vector<const StaffAccount*> sorted;
  sorted.reserve(accounts.size());
  for (const auto& a : accounts) sorted.push_back(&a);
  std::sort(sorted.begin(), sorted.end(), [](const auto* x, const auto* y) { return x->id < y->id; });
  for (const auto* a : sorted) {
    const Role* r = find_role(roles, a->role_id);
    rows.push_back({a->id, a->name, r ? r->name : a->role_id, std::string(a->enabled ? kEnabled : kDisabled), "", ""});
  }
  return rows;
}

ImportPlan plan_import(const CsvRows& rows, const std::vector<StaffAccount>& current, const std::vector<Role>& roles,
                       const PasswordRules& rules) {
  ImportPlan plan;
  auto& errors = plan.errors;
  if (rows.empty()) {
    errors.push_back({0, "ファイルが空です。1行目に見出し（職員ID,氏名,権限,有効,操作）が必要です"});
    return plan;
  }
  if (rows.size() - 1 > kMaxStaffCsvRows) {
    errors.push_back({0, "行が多すぎます。一度に取り込めるのは" + std::to_string(kMaxStaffCsvRows) + "行までです"});
    return plan;
  }
  const Columns cols = read_header(rows.front(), errors);
  if (!errors.empty()) return plan;

  std::map<std::string, const StaffAccount*> existing;
  for (const auto& a : current) existing[a.id] = &a;
  std::map<std::string, std::size_t> seen;  // id -> first line

  for (std::size_t i = 1; i < rows.size(); ++i) {
    const std::size_t line = i + 1;
    const auto& cells = rows[i];
    if (all_empty(cells)) continue;
    if (cells.size() != cols.count) {
      errors.push_back({line, at_line(line) + "列の数が見出しと違います（" + std::to_string(cells.size()) + "列、見出しは" +
                                  std::to_string(cols.count) + "列）"});
      continue;
    }
    const RowView row(cols, cells);
    const std::string_view op = row.cell(kColOp);
    const std::string_view id = row.cell(kColId);

    if (!op.empty() && op != kOpAdd && op != kOpUpdate && op != kOpRemove) {
      errors.push_back({line, at_line(line) + "操作" + quoted(op) + "は使えません。「追加」「変更」「削除」のいずれかか、空欄にしてください"});
      continue;
    }
    if (id.empty()) {
      errors.push_back({line, at_line(line) + "職員IDが空です"});
      continue;
    }
    if (!validate_staff_id(id)) {
      errors.push_back({line, at_line(line) + "職員ID" + quoted(id) +
                                  "は使えません。半角英数字と . _ - の32文字以内で、先頭は英数字にしてください"});
      continue;
    }
    if (auto [it, fresh] = seen.emplace(std::string(id), line); !fresh) {
      errors.push_back({line, at_line(line) + "職員IDが重複しています（" + std::to_string(it->second) + "行目と同じ" +
                                  quoted(id) + "）"});
      continue;
    }
    if (op.empty()) continue;  // leave this account alone

    const auto found = existing.find(std::string(id));
    const StaffAccount* before = found == existing.end() ? nullptr : found->second;
    const std::string_view password = row.raw(kColPassword);

    if (op == kOpRemove) {
      if (!before) {
        errors.push_back({line, at_line(line) + "職員ID" + quoted(id) + "は登録されていません"});
        continue;
      }
      plan.changes.push_back({ChangeKind::remove, line, *before, std::nullopt, {}});
      continue;
    }

    RowFields fields;
    const bool fields_ok = read_fields(row, line, roles, fields, errors);
    if (op == kOpAdd) {
      if (before) {
        errors.push_back({line, at_line(line) + "職員ID" + quoted(id) +
                                    "はすでに登録されています（変えるときは操作を「変更」にしてください）"});
        continue;
      }
      const std::size_t errors_before = errors.size();
      check_initial_password(password, id, rules, line, errors);
      if (!fields_ok || errors.size() != errors_before) continue;
      StaffAccount after;
      after.id = std::string(id);
      after.name = fields.name;
      after.role_id = fields.role_id;
      after.enabled = fields.enabled;
      after.must_change_password = true;
      plan.changes.push_back({ChangeKind::add, line, std::nullopt, std::move(after), std::string(password)});
      continue;
    }

    // 変更
    if (!before) {
      errors.push_back({line, at_line(line) + "職員ID" + quoted(id) + "は登録されていません（新しい職員は操作を「追加」にしてください）"});
      continue;
    }
    if (!password.empty()) {
      errors.push_back({line, at_line(line) + "初期パスワードは「追加」の行にだけ書けます"});
      continue;
    }
    if (!fields_ok) continue;
    StaffAccount after = *before;
    after.name = fields.name;
    after.role_id = fields.role_id;
    after.enabled = fields.enabled;
    if (after.name == before->name && after.role_id == before->role_id && after.enabled == before->enabled) continue;
    plan.changes.push_back({ChangeKind::update, line, *before, std::move(after), {}});
  }

  // The administrator-remains invariant (administrator.h), on the accounts as they would be.
  if (errors.empty()) {
    std::map<std::string, StaffAccount> result;
    for (const auto& a : current) result[a.id] = a;
    for (const auto& c : plan.changes) {
      if (c.kind == ChangeKind::remove) {
        result.erase(c.before->id);
      } else {
        result[c.after->id] = *c.after;
      }
    }
    std::vector<StaffAccount> after;
    after.reserve(result.size());
    for (auto& kv : result) after.push_back(std::move(kv.second));
    if (!check_administrator_remains(current, roles, after, roles)) {
      errors.push_back({0, "この内容を取り込むと、職員管理と権限管理の両方を使える有効な職員がいなくなります"});
    }
  }
  return plan;
}

Expected<StaffAccount> account_to_write(const Change& change, std::int64_t now_ms, bool fast_for_tests) {
  if (change.kind == ChangeKind::remove || !change.after) {
    return make_error(Errc::invalid_argument, "change: only an add or an update has an account to write");
  }
  StaffAccount a = *change.after;
  if (change.kind == ChangeKind::add) {
    auto hash = hash_password(change.initial_password, fast_for_tests);
    if (!hash) return hash.error();
    auto key = make_password_key(change.initial_password, fast_for_tests);
    if (!key) return key.error();
    a.password_hash = std::move(*hash);
    a.password_key = std::move(*key);
    a.password_proof.clear();
    a.password_changed_ms = now_ms;
    a.must_change_password = true;
  }
  if (auto st = validate_staff(a); !st) return st.error();
  return a;
}

}  // namespace madoguchi::domain
