// 職員管理 (ACC-1, ACC-2, ACC-3): the staff list, adding, editing, disabling, password resets and
// the CSV export and import. Served where ConsoleOptions::manage_staff is set (the hub console); the
// shell has already checked the session, the staff menu permission and, for POST, the CSRF token.
//
// Changes are written with ConsoleStore::save_staff and logged, one entry each, with the acting
// administrator as staff_id and "staff/<id>" as target; details name fields, never values.
#include <algorithm>
#include <chrono>
#include <iterator>
#include <tuple>

#include <mstch/mstch.hpp>

#include "internal.h"
#include "modules.h"
#include "madoguchi/domain/password.h"
#include "madoguchi/domain/staff_csv.h"
#include "madoguchi/console/web/page.h"
#include "madoguchi/text/csv.h"
#include "madoguchi/text/encoding.h"

namespace madoguchi::console::app {
namespace {

std::string role_name(const std::vector<domain::Role>& roles, const std::string& id) {
  const domain::Role* r = domain::find_role(roles, id);
  return r ? r->name : id;
}

class StaffPages final : public PageModule {
 public:
  explicit StaffPages(Shell& shell) : PageModule(shell) {}

  void add_routes(RouteTable& routes) override {
    const std::vector<domain::Menu> menu{domain::Menu::staff};
    routes.add(route(Route::Methods::get, "/staff", &StaffPages::staff_list, this, menu));
    routes.add(route(Route::Methods::get, "/staff/export", &StaffPages::staff_export, this, menu));
    routes.add(route(Route::Methods::get, "/staff/new", &StaffPages::new_form, this, menu));
    routes.add(route(Route::Methods::post, "/staff/new", &StaffPages::post_staff_new, this, menu));
    routes.add(route(Route::Methods::get, "/staff/edit", &StaffPages::edit_form, this, menu));
    routes.add(route(Route::Methods::post, "/staff/edit", &StaffPages::post_staff_edit, this, menu));
    routes.add(route(Route::Methods::post, "/staff/password", &StaffPages::post_staff_password, this, menu));
    routes.add(route(Route::Methods::get, "/staff/import", &StaffPages::import_form, this, menu));
    Route upload = route(Route::Methods::post, "/staff/import", &StaffPages::post_staff_import, this, menu);
    upload.upload_bytes = options_.max_import_file_bytes;
    routes.add(std::move(upload));
    routes.add(route(Route::Methods::post, "/staff/import/apply", &StaffPages::post_staff_import_apply, this, menu));
  }

 private:
  http::Response new_form(Context& c) {
    domain::StaffAccount blank;
    blank.role_id = "";
    return staff_form(c, true, blank, {}, 200);
  }
  http::Response edit_form(Context& c) {
    auto a = staff_or_error(c, query_value(c.req, "id"));
    if (auto* page = std::get_if<http::Response>(&a)) return std::move(*page);
    return staff_form(c, false, std::get<domain::StaffAccount>(a), {}, 200);
  }
  http::Response import_form(Context& c) { return staff_import_page(c, {}, 200); }
  http::Response staff_list(Context& c);
  http::Response staff_form(Context& c, bool adding, const domain::StaffAccount& shown,
                            const std::vector<web::FieldError>& errors, int status);
  http::Response post_staff_new(Context& c);
  // The account with this id, or the page to answer with: 404 for a bad or unknown id, 503 when
  // the store fails.
  std::variant<domain::StaffAccount, http::Response> staff_or_error(Context& c, const std::string& id);
  http::Response post_staff_edit(Context& c);
  http::Response post_staff_password(Context& c);
  http::Response staff_export(Context& c);
  http::Response staff_import_page(Context& c, const std::string& problem, int status);
  http::Response post_staff_import(Context& c);
  http::Response post_staff_import_apply(Context& c);
  void prune_pending_imports(web::TimePoint now);

  // A previewed staff import awaiting its confirmation. Holds the file's rows (with initial
  // passwords in plain text: memory only, never logged or shown) and what the preview showed, to
  // refuse the confirmation when the staff changed in between.
  struct PendingImport {
    std::string session_id;
    web::TimePoint expires;
    domain::CsvRows rows;
    std::vector<domain::StaffAccount> staff_at_preview;
    domain::ImportPlan plan;
  };
  std::map<std::string, PendingImport> pending_imports_;  // by random token
};

http::Response StaffPages::staff_list(Context& c) {
  auto all = store_.all_staff();
  if (!all) return error(c, 503);
  mstch::array rows;
  for (const domain::StaffAccount& a : *all) {
    rows.emplace_back(mstch::map{{"id", a.id},
                                 {"name", a.name},
                                 {"role", role_name(c.roles, a.role_id)},
                                 {"enabled", std::string(a.enabled ? "有効" : "無効")}});
  }
  mstch::map content{{"staff", std::move(rows)}, {"count", std::to_string(all->size())}};
  const std::string done = query_value(c.req, "done");
  if (done == "added") content.emplace("notice", std::string("職員を追加しました。"));
  if (done == "updated") content.emplace("notice", std::string("職員の情報を変更しました。"));
  if (done == "imported") content.emplace("notice", std::string("CSVファイルの内容を反映しました。"));
  if (done == "password") content.emplace("notice", std::string("パスワードを再設定しました。次のログインで本人が変更します。"));
  return content_page(c, std::string(domain::menu_label(domain::Menu::staff)), domain::Menu::staff, "staff_list", std::move(content), 200);
}

http::Response StaffPages::staff_form(Context& c, bool adding, const domain::StaffAccount& shown,
                                      const std::vector<web::FieldError>& errors, int status) {
  mstch::array roles;
  if (adding && shown.role_id.empty()) roles.emplace_back(mstch::map{{"id", std::string()}, {"name", std::string("選んでください")}, {"selected", true}});
  for (const domain::Role& r : c.roles) {
    roles.emplace_back(mstch::map{{"id", r.id}, {"name", r.name}, {"selected", r.id == shown.role_id}});
  }
  mstch::array rules;
  for (auto& r : rule_texts(c.settings.password)) rules.emplace_back(std::move(r));
  mstch::map content{{"adding", adding},
                     {"staff_id", shown.id},
                     {"name", shown.name},
                     {"enabled", shown.enabled},
                     {"roles", std::move(roles)},
                     {"password_rules", std::move(rules)},
                     {"csrf_token", c.session->csrf_token}};
  if (!web::add_field_errors(content, errors)) return error(c, 500);
  const std::string title = adding ? "職員の追加" : "職員の変更";
  return content_page(c, title, domain::Menu::staff, "staff_form", std::move(content), status);
}


// Japanese messages for the name and role fields of a form.
void check_name_and_role(const std::string& name, const std::string& role_id, const std::vector<domain::Role>& roles,
                         std::vector<web::FieldError>& errors) {
  if (name.empty()) {
    errors.push_back({"name", "氏名を入力してください。"});
  } else if (!domain::validate_staff_name(name)) {
    errors.push_back({"name", "氏名は" + std::to_string(domain::kMaxStaffNameChars) + "文字以内で、改行などの制御文字を含めずに入力してください。"});
  }
  if (!domain::find_role(roles, role_id)) errors.push_back({"role_id", "権限を一覧から選んでください。"});
}


http::Response StaffPages::post_staff_new(Context& c) {
  const text::Form& form = *c.form;
  domain::StaffAccount a;
  a.id = form.value("staff_id");
  a.name = form.value("name");
  a.role_id = form.value("role_id");
  a.enabled = true;
  const std::string password = form.value("initial_password");
  std::vector<web::FieldError> errors;
  if (a.id.empty()) {
    errors.push_back({"staff_id", "職員IDを入力してください。"});
  } else if (!domain::validate_staff_id(a.id)) {
    errors.push_back({"staff_id", "職員IDは半角英数字と「.」「_」「-」の32文字以内で、先頭を英数字にしてください。"});
  } else {
    auto existing = store_.staff(a.id);
    if (!existing) return error(c, 503);
    if (*existing) errors.push_back({"staff_id", "この職員IDはすでに使われています。"});
  }
  check_name_and_role(a.name, a.role_id, c.roles, errors);
  if (password.empty()) {
    errors.push_back({"initial_password", "初期パスワードを入力してください。"});
  } else {
    // The id may be invalid here; the rules still check the password on its own.
    for (domain::PasswordProblem p : domain::password_problems(c.settings.password, password, a.id)) {
      errors.push_back({"initial_password", problem_text(p, c.settings.password)});
    }
  }
  if (errors.empty()) {
    auto s = domain::set_password(a, c.settings.password, password, c.wall_ms, /*must_change=*/true, options_.fast_hashes_for_tests);
    if (!s) {
      if (s.error().code != Errc::invalid_argument) return error(c, 500);
      errors.push_back({"initial_password", "使用できないパスワードです。"});
    }
  }
  if (!errors.empty()) {
    domain::StaffAccount shown = a;
    if (!domain::validate_staff_id(shown.id)) shown.id.resize(std::min(shown.id.size(), domain::kMaxStaffIdBytes));
    return staff_form(c, true, shown, errors, 422);
  }
  if (!store_.save_staff(a)) return error(c, 503);
  log("staff.add", c.account->id, "staff/" + a.id, "role " + a.role_id);
  return with_headers(web::see_other("/staff?done=added"), c.headers);
}

std::variant<domain::StaffAccount, http::Response> StaffPages::staff_or_error(Context& c, const std::string& id) {
  if (!domain::validate_staff_id(id)) return error(c, 404);
  auto found = store_.staff(id);
  if (!found) return error(c, 503);
  if (!*found) return error(c, 404);
  return **found;
}

http::Response StaffPages::post_staff_edit(Context& c) {
  const text::Form& form = *c.form;
  auto found = staff_or_error(c, form.value("staff_id"));
  if (auto* page = std::get_if<http::Response>(&found)) return std::move(*page);
  const domain::StaffAccount before = std::get<domain::StaffAccount>(found);
  domain::StaffAccount after = before;  // the record as stored now: a password changed meanwhile is kept
  after.name = form.value("name");
  after.role_id = form.value("role_id");
  after.enabled = form.value("enabled") == "1";
  std::vector<web::FieldError> errors;
  check_name_and_role(after.name, after.role_id, c.roles, errors);
  if (errors.empty()) {
    auto all = store_.all_staff();
    if (!all) return error(c, 503);
    if (!domain::check_administrator_remains(*all, c.roles, domain::with_account(*all, after), c.roles)) {
      errors.push_back({"enabled", kAdministratorRemainsMessage});
    }
  }
  if (!errors.empty()) return staff_form(c, false, after, errors, 422);
  std::string detail;
  if (after.name != before.name) detail += "name";
  if (after.role_id != before.role_id) detail += (detail.empty() ? "" : ", ") + ("role " + before.role_id + " -> " + after.role_id);
  if (after.enabled != before.enabled) detail += (detail.empty() ? "" : ", ") + std::string(after.enabled ? "enabled" : "disabled");
  if (!detail.empty()) {
    if (!store_.save_staff(after)) return error(c, 503);
    // A disabled account loses its sessions here at once (the others' on their next request).
    if (!after.enabled) shell_.sessions.destroy_all_for(after.id);
    log("staff.update", c.account->id, "staff/" + after.id, detail);
  }
  return with_headers(web::see_other("/staff?done=updated"), c.headers);
}

http::Response StaffPages::post_staff_password(Context& c) {
  const text::Form& form = *c.form;
  auto found = staff_or_error(c, form.value("staff_id"));
  if (auto* page = std::get_if<http::Response>(&found)) return std::move(*page);
  const domain::StaffAccount& stored = std::get<domain::StaffAccount>(found);
  domain::StaffAccount a = stored;
  const std::string password = form.value("new_password");
  std::vector<web::FieldError> errors;
  if (password.empty()) errors.push_back({"new_password", "新しい初期パスワードを入力してください。"});
  for (domain::PasswordProblem p : domain::password_problems(c.settings.password, password, a.id)) {
    if (!password.empty()) errors.push_back({"new_password", problem_text(p, c.settings.password)});
  }
  if (errors.empty()) {
    auto s = domain::set_password(a, c.settings.password, password, c.wall_ms, /*must_change=*/true, options_.fast_hashes_for_tests);
    if (!s) {
      if (s.error().code != Errc::invalid_argument) return error(c, 500);
      errors.push_back({"new_password", "以前に使ったパスワードは使えません。"});
    }
  }
  if (!errors.empty()) return staff_form(c, false, stored, errors, 422);
  if (!store_.save_staff(a)) return error(c, 503);
  // Sessions of that person opened with the old password end (in this console).
  if (a.id != c.account->id) shell_.sessions.destroy_all_for(a.id);
  log("staff.password_reset", c.account->id, "staff/" + a.id, "");
  return with_headers(web::see_other("/staff?done=password"), c.headers);
}

http::Response StaffPages::staff_export(Context& c) {
  const std::string enc = query_value(c.req, "encoding");
  if (enc != "utf8" && enc != "cp932" && !enc.empty()) return error(c, 400);
  const text::Encoding encoding = enc == "cp932" ? text::Encoding::cp932 : text::Encoding::utf8;
  auto all = store_.all_staff();
  if (!all) return error(c, 503);
  auto bytes = text::to_excel_csv(domain::staff_to_rows(*all, c.roles), encoding);
  // A name CP932 cannot write (e.g. 髙 is fine, but some IBM extension or emoji is not): say so.
  if (!bytes) return error(c, 400);
  log("staff.export", c.account->id, "staff", enc == "cp932" ? "cp932" : "utf8");
  http::Response r;
  r.status = 200;
  r.content_type = encoding == text::Encoding::cp932 ? "text/csv; charset=Shift_JIS" : "text/csv; charset=utf-8";
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"staff.csv\"");
  r.body = std::move(*bytes);
  return with_headers(std::move(r), c.headers);
}

// ---- CSV import (ACC-3) ----
//
// POST /staff/import parses the upload (handle() has parsed the multipart body and checked the
// CSRF field), reads the CSV and plans it (plan_import) against the staff, roles and password rules
// of now; the preview shows every change and every line error. A plan without errors is kept here,
// under a random token bound to the session, for options_.pending_import_ttl; its confirmation
// (POST /staff/import/apply) plans the same rows again against the staff of then and refuses when
// anything differs from the preview. Then every account to write is prepared (initial passwords
// hashed) before the first write, so what can still fail midway is only the store: each write is
// its own committed record change (there is no transaction across records at the hub), and a
// failure is reported with how far it got.


const char* kind_label(domain::ChangeKind k) {
  switch (k) {
    case domain::ChangeKind::add: return "追加";
    case domain::ChangeKind::update: return "変更";
    case domain::ChangeKind::remove: return "削除";
  }
  return "";
}

std::string enabled_label(bool enabled) { return enabled ? "有効" : "無効"; }

// What the preview shows of a change, to compare a confirmation's plan with the previewed one.
bool same_shown(const domain::Change& a, const domain::Change& b) {
  auto shown = [](const std::optional<domain::StaffAccount>& x) {
    return x ? std::make_tuple(true, x->id, x->name, x->role_id, x->enabled) : std::make_tuple(false, std::string(), std::string(), std::string(), false);
  };
  return a.kind == b.kind && a.line == b.line && shown(a.before) == shown(b.before) && shown(a.after) == shown(b.after);
}

// The staff as the preview showed them: id, name, role and state of every account.
bool same_staff(const std::vector<domain::StaffAccount>& a, const std::vector<domain::StaffAccount>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].id != b[i].id || a[i].name != b[i].name || a[i].role_id != b[i].role_id || a[i].enabled != b[i].enabled) {
      return false;
    }
  }
  return true;
}


void StaffPages::prune_pending_imports(web::TimePoint now) {
  for (auto it = pending_imports_.begin(); it != pending_imports_.end();) {
    it = it->second.expires <= now ? pending_imports_.erase(it) : std::next(it);
  }
}

http::Response StaffPages::staff_import_page(Context& c, const std::string& problem, int status) {
  mstch::map content{{"csrf_token", c.session->csrf_token}};
  std::vector<web::FieldError> errors;
  if (!problem.empty()) errors.push_back({"file", problem});
  if (!web::add_field_errors(content, errors)) return error(c, 500);
  return content_page(c, "職員のCSV取り込み", domain::Menu::staff, "staff_import", std::move(content), status);
}

http::Response StaffPages::post_staff_import(Context& c) {
  // handle() fills parts only for a multipart body; a urlencoded POST here has no file.
  const text::Part* file = nullptr;
  for (const text::Part& p : c.parts) {
    if (p.name == "file" && p.filename) {
      if (file) return error(c, 400);  // one file only
      file = &p;
    }
  }
  if (!file || (file->filename->empty() && file->data.empty())) {
    return staff_import_page(c, "取り込むCSVファイルを選んでください。", 422);
  }
  if (file->data.size() > options_.max_import_file_bytes) {
    return staff_import_page(c, "ファイルが大きすぎます。1MB以内にしてください。", 413);
  }
  if (file->data.empty()) return staff_import_page(c, "ファイルが空です。", 422);
  const std::string enc = c.form->value("encoding");
  std::optional<text::Encoding> forced;
  if (enc == "utf8") {
    forced = text::Encoding::utf8;
  } else if (enc == "cp932") {
    forced = text::Encoding::cp932;
  } else if (!enc.empty() && enc != "auto") {
    return error(c, 400);
  }
  text::CsvOptions csv;
  csv.max_bytes = 4 * options_.max_import_file_bytes;  // decoded CP932 may grow (csv.h)
  csv.max_rows = domain::kMaxStaffCsvRows + 1;
  csv.max_fields = 32;
  csv.max_field_bytes = 4096;
  auto rows = text::read_csv_bytes(file->data, forced, csv);
  if (!rows) {
    // The reader's message names line and column, never the data (csv.h).
    return staff_import_page(c,
                             "CSVファイルとして読み取れませんでした。文字コードの指定とファイルの形式を確かめてください。（" +
                                 rows.error().message + "）",
                             422);
  }
  auto all = store_.all_staff();
  if (!all) return error(c, 503);
  domain::ImportPlan plan = domain::plan_import(*rows, *all, c.roles, c.settings.password);

  std::size_t added = 0, updated = 0, removed = 0;
  mstch::array changes;
  for (const domain::Change& ch : plan.changes) {
    const domain::StaffAccount& shown = ch.after ? *ch.after : *ch.before;
    mstch::map row{{"line", std::to_string(ch.line)},
                   {"kind", std::string(kind_label(ch.kind))},
                   {"id", shown.id},
                   {"name", shown.name},
                   {"role", role_name(c.roles, shown.role_id)},
                   {"enabled", enabled_label(shown.enabled)}};
    if (ch.kind == domain::ChangeKind::update) {
      row.emplace("name_changed", ch.before->name != ch.after->name);
      row.emplace("name_before", ch.before->name);
      row.emplace("role_changed", ch.before->role_id != ch.after->role_id);
      row.emplace("role_before", role_name(c.roles, ch.before->role_id));
      row.emplace("enabled_changed", ch.before->enabled != ch.after->enabled);
      row.emplace("enabled_before", enabled_label(ch.before->enabled));
    }
    (ch.kind == domain::ChangeKind::add ? added : ch.kind == domain::ChangeKind::update ? updated : removed)++;
    changes.emplace_back(std::move(row));
  }
  mstch::array errors;
  for (const domain::LineError& e : plan.errors) errors.emplace_back(mstch::map{{"message", e.message}});
  const bool can_apply = plan.ok() && !plan.changes.empty();
  mstch::map content{{"has_errors", !plan.ok()},
                     {"error_count", std::to_string(plan.errors.size())},
                     {"errors", std::move(errors)},
                     {"has_changes", !plan.changes.empty()},
                     {"changes", std::move(changes)},
                     {"added", std::to_string(added)},
                     {"updated", std::to_string(updated)},
                     {"removed", std::to_string(removed)},
                     {"can_apply", can_apply},
                     {"csrf_token", c.session->csrf_token},
                     {"ttl_minutes", std::to_string(std::chrono::duration_cast<std::chrono::minutes>(options_.pending_import_ttl).count())}};
  if (can_apply) {
    prune_pending_imports(c.now);
    // One pending import per session: a new preview replaces the earlier one.
    for (auto it = pending_imports_.begin(); it != pending_imports_.end();) {
      it = it->second.session_id == c.session->id ? pending_imports_.erase(it) : std::next(it);
    }
    while (!pending_imports_.empty() && pending_imports_.size() >= options_.max_pending_imports) {
      auto oldest = std::min_element(pending_imports_.begin(), pending_imports_.end(),
                                     [](const auto& a, const auto& b) { return a.second.expires < b.second.expires; });
      pending_imports_.erase(oldest);
    }
    const std::string token = web::random_token();
    pending_imports_[token] = PendingImport{c.session->id, c.now + options_.pending_import_ttl, std::move(*rows), *all, plan};
    content.emplace("import_token", token);
  }
  return content_page(c, "職員のCSV取り込み（確認）", domain::Menu::staff, "staff_import_preview", std::move(content),
                      plan.ok() ? 200 : 422);
}

http::Response StaffPages::post_staff_import_apply(Context& c) {
  prune_pending_imports(c.now);
  auto it = pending_imports_.find(c.form->value("import_token"));
  if (it == pending_imports_.end() || it->second.session_id != c.session->id) {
    return content_page(c, "職員のCSV取り込み", domain::Menu::staff, "message",
                        mstch::map{{"message", std::string("この確認画面は期限が切れたか、すでに使われています。もう一度ファイルをアップロードしてください。")},
                                   {"next_url", std::string("/staff/import")},
                                   {"next_label", std::string("CSVファイルを選び直す")}},
                        409);
  }
  PendingImport pending = std::move(it->second);
  pending_imports_.erase(it);  // single use, whatever happens below

  auto all = store_.all_staff();
  if (!all) return error(c, 503);
  domain::ImportPlan plan = domain::plan_import(pending.rows, *all, c.roles, c.settings.password);
  bool same = plan.ok() && same_staff(*all, pending.staff_at_preview) && plan.changes.size() == pending.plan.changes.size();
  for (std::size_t i = 0; same && i < plan.changes.size(); ++i) same = same_shown(plan.changes[i], pending.plan.changes[i]);
  if (!same) {
    log("staff.import", c.account->id, "staff", "refused: staff changed since the preview");
    return content_page(c, "職員のCSV取り込み", domain::Menu::staff, "message",
                        mstch::map{{"message", std::string("確認画面を表示したあとに職員の情報が変わったため、反映しませんでした。もう一度ファイルをアップロードして、確認し直してください。")},
                                   {"next_url", std::string("/staff/import")},
                                   {"next_label", std::string("CSVファイルを選び直す")}},
                        409);
  }
  // Everything that can fail before the store does, first: no write until every account is ready.
  std::vector<std::optional<domain::StaffAccount>> writes;
  writes.reserve(plan.changes.size());
  for (const domain::Change& ch : plan.changes) {
    if (ch.kind == domain::ChangeKind::remove) {
      writes.emplace_back();
      continue;
    }
    auto a = domain::account_to_write(ch, c.wall_ms, options_.fast_hashes_for_tests);
    if (!a) return error(c, 500);
    writes.emplace_back(std::move(*a));
  }
  std::size_t added = 0, updated = 0, removed = 0, done = 0;
  for (std::size_t i = 0; i < plan.changes.size(); ++i) {
    const domain::Change& ch = plan.changes[i];
    const std::string id = ch.after ? ch.after->id : ch.before->id;
    const Status s = ch.kind == domain::ChangeKind::remove ? store_.remove_staff(id) : store_.save_staff(*writes[i]);
    if (!s) break;
    ++done;
    if (ch.kind == domain::ChangeKind::remove || !ch.after->enabled) shell_.sessions.destroy_all_for(id);
    if (ch.kind == domain::ChangeKind::add) {
      ++added;
      log("staff.add", c.account->id, "staff/" + id, "import, role " + ch.after->role_id);
    } else if (ch.kind == domain::ChangeKind::update) {
      ++updated;
      log("staff.update", c.account->id, "staff/" + id, "import");
    } else {
      ++removed;
      log("staff.remove", c.account->id, "staff/" + id, "import");
    }
  }
  const std::string counts = "added " + std::to_string(added) + ", updated " + std::to_string(updated) + ", removed " +
                             std::to_string(removed);
  if (done != plan.changes.size()) {
    log("staff.import", c.account->id, "staff", counts + "; failed after " + std::to_string(done) + " of " + std::to_string(plan.changes.size()));
    return content_page(c, "職員のCSV取り込み", domain::Menu::staff, "message",
                        mstch::map{{"message", "保存中にエラーが起きたため、取り込みが途中で止まりました。" + std::to_string(plan.changes.size()) +
                                                   "件のうち" + std::to_string(done) + "件（ファイルの順に先頭から）は反映済み、残りは反映されていません。職員一覧を確かめてください。"},
                                   {"next_url", std::string("/staff")},
                                   {"next_label", std::string("職員一覧へ")}},
                        503);
  }
  log("staff.import", c.account->id, "staff", counts);
  return with_headers(web::see_other("/staff?done=imported"), c.headers);
}

}  // namespace

std::unique_ptr<PageModule> make_staff_pages(Shell& shell) { return std::make_unique<StaffPages>(shell); }

}  // namespace madoguchi::console::app
