#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "madoguchi/domain/staff_csv.h"

namespace c = madoguchi::domain;
using c::ChangeKind;
using c::CsvRows;
using madoguchi::Errc;

namespace {
const std::vector<std::string> kHeader{"職員ID", "氏名", "権限", "有効", "操作", "初期パスワード"};

c::StaffAccount staff(std::string id, std::string name, std::string role, bool enabled = true) {
  c::StaffAccount a;
  a.id = std::move(id);
  a.name = std::move(name);
  a.role_id = std::move(role);
  a.password_hash = std::string(c::kDummyPasswordHash);  // a valid hash string; nothing is verified here
  a.enabled = enabled;
  a.password_changed_ms = 1'767'225'600'000;
  a.must_change_password = false;
  return a;
}

std::vector<c::StaffAccount> current() {
  return {staff("admin01", "管理 太郎", "administrator"), staff("tanaka01", "田中 花子", "counter_clerk"),
          staff("suzuki02", "鈴木 一郎", "call_center", false)};
}

CsvRows with_header(std::vector<std::vector<std::string>> rows) {
  CsvRows out{kHeader};
  for (auto& r : rows) out.push_back(std::move(r));
  return out;
}

c::ImportPlan plan(const CsvRows& rows) {
  return c::plan_import(rows, current(), c::default_roles(), c::PasswordRules{});
}

// The messages of a plan, for failure output and simple checks.
std::vector<std::string> messages(const c::ImportPlan& p) {
  std::vector<std::string> out;
  for (const auto& e : p.errors) out.push_back(e.message);
  return out;
}
std::string joined(const c::ImportPlan& p) {
  std::string out;
  for (const auto& m : messages(p)) out += m + "\n";
  return out;
}
}  // namespace

TEST_CASE("The exported staff list has the Japanese header, role names, and never a password or hash (ACC-3)",
          "[console][staff_csv]") {
  auto rows = c::staff_to_rows(current(), c::default_roles());
  REQUIRE(rows.size() == 4);
  CHECK(rows[0] == kHeader);
  // Ordered by id.
  CHECK(rows[1] == std::vector<std::string>{"admin01", "管理 太郎", "管理者", "有効", "", ""});
  CHECK(rows[2] == std::vector<std::string>{"suzuki02", "鈴木 一郎", "コールセンター", "無効", "", ""});
  CHECK(rows[3] == std::vector<std::string>{"tanaka01", "田中 花子", "窓口職員", "有効", "", ""});
  for (const auto& row : rows) {
    for (const auto& cell : row) CHECK(cell.find("argon2") == std::string::npos);
  }
  // A role that no longer exists shows its id.
  auto dangling = c::staff_to_rows({staff("x1", "エックス", "gone_role")}, c::default_roles());
  CHECK(dangling[1][2] == "gone_role");
}

TEST_CASE("An exported staff list imports back with no changes", "[console][staff_csv]") {
  auto p = plan(c::staff_to_rows(current(), c::default_roles()));
  CHECK(p.ok());
  CHECK(p.changes.empty());
}

TEST_CASE("Add, change and delete rows become a preview with before and after (ACC-3)", "[console][staff_csv]") {
  auto p = plan(with_header({
      {"sato03", "佐藤 次郎", "窓口職員", "有効", "追加", "Hajime-2026xyz"},
      {"tanaka01", "田中 花子", "管理者", "有効", "変更", ""},
      {"suzuki02", "", "", "", "削除", ""},
      {"admin01", "管理 太郎", "管理者", "有効", "", ""},
  }));
  INFO(joined(p));
  REQUIRE(p.ok());
  REQUIRE(p.changes.size() == 3);

  const auto& add = p.changes[0];
  CHECK(add.kind == ChangeKind::add);
  CHECK(add.line == 2);
  CHECK_FALSE(add.before.has_value());
  REQUIRE(add.after.has_value());
  CHECK(add.after->id == "sato03");
  CHECK(add.after->role_id == "counter_clerk");
  CHECK(add.after->must_change_password);
  CHECK(add.after->password_hash.empty());  // hashed only when applied
  CHECK(add.initial_password == "Hajime-2026xyz");

  const auto& update = p.changes[1];
  CHECK(update.kind == ChangeKind::update);
  CHECK(update.line == 3);
  REQUIRE(update.before.has_value());
  REQUIRE(update.after.has_value());
  CHECK(update.before->role_id == "counter_clerk");
  CHECK(update.after->role_id == "administrator");
  CHECK(update.after->password_hash == update.before->password_hash);  // a change keeps the password

  const auto& remove = p.changes[2];
  CHECK(remove.kind == ChangeKind::remove);
  CHECK(remove.line == 4);
  REQUIRE(remove.before.has_value());
  CHECK(remove.before->id == "suzuki02");
  CHECK_FALSE(remove.after.has_value());
}

TEST_CASE("Duplicate staff IDs are refused naming both lines", "[console][staff_csv]") {
  auto p = plan(with_header({
      {"tanaka01", "田中 花子", "窓口職員", "有効", "", ""},
      {"tanaka01", "田中 花子", "管理者", "有効", "変更", ""},
  }));
  CHECK_FALSE(p.ok());
  CHECK(messages(p) == std::vector<std::string>{"3行目: 職員IDが重複しています（2行目と同じ「tanaka01」）"});
}

TEST_CASE("An unknown role is refused, and roles are found by name or by id", "[console][staff_csv]") {
  auto p = plan(with_header({
      {"tanaka01", "田中 花子", "係長", "有効", "変更", ""},
      {"suzuki02", "鈴木 一郎", "counter_clerk", "有効", "変更", ""},
  }));
  CHECK(messages(p) == std::vector<std::string>{"2行目: 権限「係長」がありません"});
  REQUIRE(p.changes.size() == 1);
  CHECK(p.changes[0].after->role_id == "counter_clerk");

  auto roles = c::default_roles();
  roles.push_back(c::Role{"clerk_b", "窓口職員", {}});  // a second role of the same name
  auto ambiguous = c::plan_import(with_header({{"tanaka01", "田中 花子", "窓口職員", "無効", "変更", ""}}), current(),
                                  roles, c::PasswordRules{});
  REQUIRE(ambiguous.errors.size() == 1);
  CHECK(ambiguous.errors[0].message.find("複数") != std::string::npos);
}

TEST_CASE("A flag other than 有効 or 無効 is refused", "[console][staff_csv]") {
  for (const char* flag : {"1", "TRUE", "", "有"}) {
    INFO(flag);
    auto p = plan(with_header({{"tanaka01", "田中 花子", "窓口職員", flag, "変更", ""}}));
    REQUIRE(p.errors.size() == 1);
    CHECK(p.errors[0].line == 2);
    CHECK(p.errors[0].message.rfind("2行目: 有効の欄は「有効」か「無効」にしてください", 0) == 0);
  }
}

TEST_CASE("A weak or missing initial password is refused with the unmet rules and never shown",
          "[console][staff_csv]") {
  auto p = plan(with_header({
      {"sato03", "佐藤 次郎", "窓口職員", "有効", "追加", "sato03pass"},
      {"kato04", "加藤 三郎", "窓口職員", "有効", "追加", ""},
  }));
  CHECK(messages(p) == std::vector<std::string>{
                           "2行目: 初期パスワードが規則に合いません（12文字以上、職員IDを含まない、英大文字を含む）",
                           "3行目: 追加する職員には初期パスワードが必要です"});
  CHECK(p.changes.empty());
  for (const auto& m : messages(p)) CHECK(m.find("sato03pass") == std::string::npos);
}

TEST_CASE("The whole import is refused when any line is bad", "[console][staff_csv]") {
  auto p = plan(with_header({
      {"sato03", "佐藤 次郎", "窓口職員", "有効", "追加", "Hajime-2026xyz"},
      {"tanaka01", "田中 花子", "窓口職員", "無効", "変更", ""},
      {"kato04", "加藤\n三郎", "窓口職員", "有効", "追加", "Hajime-2026xyz"},
  }));
  CHECK_FALSE(p.ok());
  REQUIRE(p.errors.size() == 1);
  CHECK(p.errors[0].line == 4);
  CHECK(p.errors[0].message == "4行目: 氏名に使えない文字（改行など）が含まれています");
}

TEST_CASE("Rows that do not fit their operation are refused with their line", "[console][staff_csv]") {
  auto p = plan(with_header({
      {"tanaka01", "田中 花子", "窓口職員", "有効", "追加", "Hajime-2026xyz"},  // exists
      {"nobody9", "誰 か", "窓口職員", "有効", "変更", ""},                     // does not exist
      {"nobody8", "", "", "", "削除", ""},                                      // does not exist
      {"suzuki02", "鈴木 一郎", "窓口職員", "有効", "変更", "Hajime-2026xyz"},  // password on a change
      {"sato03", "佐藤", "窓口職員", "有効", "更新", ""},                       // unknown operation
      {"", "名無し", "窓口職員", "有効", "追加", "Hajime-2026xyz"},             // no id
      {"-bad", "悪い", "窓口職員", "有効", "追加", "Hajime-2026xyz"},           // bad id
      {"short", "短い"},                                                        // too few cells
      {"", "", "", "", "", ""},                                                 // empty: skipped
  }));
  std::vector<std::size_t> lines;
  for (const auto& e : p.errors) lines.push_back(e.line);
  INFO(joined(p));
  CHECK(lines == std::vector<std::size_t>{2, 3, 4, 5, 6, 7, 8, 9});
  CHECK(p.errors[0].message.find("すでに登録されています") != std::string::npos);
  CHECK(p.errors[1].message.find("登録されていません") != std::string::npos);
  CHECK(p.errors[3].message == "5行目: 初期パスワードは「追加」の行にだけ書けます");
  CHECK(p.errors[4].message.find("操作「更新」は使えません") != std::string::npos);
  CHECK(p.errors[5].message == "7行目: 職員IDが空です");
  CHECK(p.errors[7].message == "9行目: 列の数が見出しと違います（2列、見出しは6列）");
}

TEST_CASE("A bad header is reported on line 1 and nothing else is read", "[console][staff_csv]") {
  auto missing = c::plan_import({{"職員ID", "氏名", "権限", "操作"}, {"x", "y", "z", "追加"}}, current(),
                                c::default_roles(), c::PasswordRules{});
  CHECK(messages(missing) == std::vector<std::string>{"1行目: 列「有効」がありません"});
  auto unknown = c::plan_import({{"職員ID", "氏名", "権限", "有効", "操作", "メール"}}, current(), c::default_roles(),
                                c::PasswordRules{});
  CHECK(messages(unknown) == std::vector<std::string>{"1行目: 「メール」という列は使えません"});
  auto empty = c::plan_import({}, current(), c::default_roles(), c::PasswordRules{});
  REQUIRE(empty.errors.size() == 1);
  CHECK(empty.errors[0].line == 0);
  // Columns in another order, a BOM, and no password column are fine.
  auto reordered = c::plan_import({{"\xEF\xBB\xBF操作", "職員ID", "有効", "権限", "氏名"},
                                   {"変更", "tanaka01", "無効", "窓口職員", "田中 花子"}},
                                  current(), c::default_roles(), c::PasswordRules{});
  INFO(joined(reordered));
  REQUIRE(reordered.ok());
  REQUIRE(reordered.changes.size() == 1);
  CHECK_FALSE(reordered.changes[0].after->enabled);
}

TEST_CASE("An import that would leave nobody able to manage staff is refused (SEC-2)", "[console][staff_csv]") {
  auto p = plan(with_header({{"admin01", "管理 太郎", "窓口職員", "有効", "変更", ""}}));
  REQUIRE(p.errors.size() == 1);
  CHECK(p.errors[0].line == 0);
  CHECK(p.errors[0].message.find("職員管理") != std::string::npos);
  auto removed = plan(with_header({{"admin01", "", "", "", "削除", ""}}));
  CHECK_FALSE(removed.ok());
  // Handing over to a new administrator in the same file is fine.
  auto handover = plan(with_header({{"admin01", "", "", "", "削除", ""},
                                    {"new01", "新任 管理者", "管理者", "有効", "追加", "Hajime-2026xyz"}}));
  CHECK(handover.ok());
}

TEST_CASE("An import that keeps 職員管理 but leaves nobody with 権限管理 is refused (ACC-2)", "[console][staff_csv]") {
  auto roles = c::default_roles();
  roles.push_back({"staff_only", "職員管理のみ", {c::Menu::home, c::Menu::staff}});
  auto p = c::plan_import(with_header({{"admin01", "管理 太郎", "職員管理のみ", "有効", "変更", ""}}), current(), roles,
                          c::PasswordRules{});
  REQUIRE(p.errors.size() == 1);
  CHECK(p.errors[0].message.find("権限管理") != std::string::npos);
}

TEST_CASE("Too many rows are refused as a whole", "[console][staff_csv]") {
  CsvRows rows{kHeader};
  rows.resize(c::kMaxStaffCsvRows + 2, {"", "", "", "", "", ""});
  auto p = plan(rows);
  REQUIRE(p.errors.size() == 1);
  CHECK(p.errors[0].line == 0);
}

TEST_CASE("Applying an add hashes the initial password and asks for a change at first sign-in",
          "[console][staff_csv]") {
  auto p = plan(with_header({{"sato03", "佐藤 次郎", "窓口職員", "有効", "追加", "Hajime-2026xyz"},
                             {"tanaka01", "田中 花子", "窓口職員", "無効", "変更", ""},
                             {"suzuki02", "", "", "", "削除", ""}}));
  REQUIRE(p.ok());
  auto added = c::account_to_write(p.changes[0], 1'767'312'000'000, /*fast_for_tests=*/true);
  REQUIRE(added.ok());
  CHECK(c::verify_password(added->password_hash, "Hajime-2026xyz"));
  CHECK(added->must_change_password);
  CHECK(added->password_changed_ms == 1'767'312'000'000);
  CHECK(c::validate_staff(*added).ok());
  auto updated = c::account_to_write(p.changes[1], 0, true);
  REQUIRE(updated.ok());
  CHECK_FALSE(updated->enabled);
  auto removed = c::account_to_write(p.changes[2], 0, true);
  REQUIRE_FALSE(removed.ok());
  CHECK(removed.error().code == Errc::invalid_argument);
}
