// 職員管理 (ACC-1, ACC-2, ACC-3): the staff list, adding, editing, disabling, password resets and
// the CSV export. Served where ConsoleOptions::manage_staff is set (the hub console); route() has
// already checked the session, the staff menu permission and, for POST, the CSRF token.
//
// Changes are written with ConsoleStore::save_staff and logged, one entry each, with the acting
// administrator as staff_id and "staff/<id>" as target; details name fields, never values.
#include <algorithm>

#include <mstch/mstch.hpp>

#include "internal.h"
#include "madoguchi/console/password.h"
#include "madoguchi/console/staff_csv.h"
#include "madoguchi/console/web/page.h"
#include "madoguchi/text/csv.h"
#include "madoguchi/text/encoding.h"

namespace madoguchi::console::app {
namespace {

std::string query_value(const http::Request& r, const std::string& name) {
  auto it = r.query.find(name);
  return it == r.query.end() ? std::string() : it->second;
}

std::string role_name(const std::vector<Role>& roles, const std::string& id) {
  const Role* r = find_role(roles, id);
  return r ? r->name : id;
}

// Would an enabled account with the staff menu be left if `changed` replaced its record? The
// console must never lock every administrator out of 職員管理 (the same rule as plan_import()).
bool staff_manager_left(const std::vector<StaffAccount>& all, const StaffAccount& changed, const std::vector<Role>& roles) {
  for (const StaffAccount& a : all) {
    const StaffAccount& x = a.id == changed.id ? changed : a;
    const Role* r = find_role(roles, x.role_id);
    if (x.enabled && r && allowed(*r, Menu::staff)) return true;
  }
  return false;
}

}  // namespace

http::Response ConsoleApp::content_page(Context& c, const std::string& title, std::optional<Menu> current,
                                        const std::string& template_name, mstch::map content, int status) {
  auto ctx = web::layout_context(layout(c, title, current));
  if (!ctx) return error(c, 500);
  for (auto& [k, v] : content) ctx->insert_or_assign(k, std::move(v));
  return with_headers(web::page(templates_, status, template_name, *ctx), c.headers);
}

http::Response ConsoleApp::staff_route(Context& c) {
  const std::string& path = c.req.path;
  const bool get = c.req.method == "GET" || c.req.method == "HEAD";
  const bool post = c.req.method == "POST";
  if (path == "/staff") {
    if (!get) return error(c, 405);
    return staff_list(c);
  }
  if (path == "/staff/export") {
    if (!get) return error(c, 405);
    return staff_export(c);
  }
  if (path == "/staff/new") {
    if (get) {
      StaffAccount blank;
      blank.role_id = "";
      return staff_form(c, true, blank, {}, 200);
    }
    if (post) return post_staff_new(c);
    return error(c, 405);
  }
  if (path == "/staff/edit") {
    if (get) {
      const std::string id = query_value(c.req, "id");
      if (!validate_staff_id(id)) return error(c, 404);
      auto a = store_.staff(id);
      if (!a) return error(c, 503);
      if (!*a) return error(c, 404);
      return staff_form(c, false, **a, {}, 200);
    }
    if (post) return post_staff_edit(c);
    return error(c, 405);
  }
  if (path == "/staff/password") {
    if (post) return post_staff_password(c);
    return error(c, 405);
  }
  return error(c, 404);
}

http::Response ConsoleApp::staff_list(Context& c) {
  auto all = store_.all_staff();
  if (!all) return error(c, 503);
  mstch::array rows;
  for (const StaffAccount& a : *all) {
    rows.emplace_back(mstch::map{{"id", a.id},
                                 {"name", a.name},
                                 {"role", role_name(c.roles, a.role_id)},
                                 {"enabled", std::string(a.enabled ? "有効" : "無効")}});
  }
  mstch::map content{{"staff", std::move(rows)}, {"count", std::to_string(all->size())}};
  const std::string done = query_value(c.req, "done");
  if (done == "added") content.emplace("notice", std::string("職員を追加しました。"));
  if (done == "updated") content.emplace("notice", std::string("職員の情報を変更しました。"));
  if (done == "password") content.emplace("notice", std::string("パスワードを再設定しました。次のログインで本人が変更します。"));
  return content_page(c, std::string(menu_label(Menu::staff)), Menu::staff, "staff_list", std::move(content), 200);
}

http::Response ConsoleApp::staff_form(Context& c, bool adding, const StaffAccount& shown,
                                      const std::vector<web::FieldError>& errors, int status) {
  mstch::array roles;
  if (adding && shown.role_id.empty()) roles.emplace_back(mstch::map{{"id", std::string()}, {"name", std::string("選んでください")}, {"selected", true}});
  for (const Role& r : c.roles) {
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
  return content_page(c, title, Menu::staff, "staff_form", std::move(content), status);
}

namespace {

// Japanese messages for the name and role fields of a form.
void check_name_and_role(const std::string& name, const std::string& role_id, const std::vector<Role>& roles,
                         std::vector<web::FieldError>& errors) {
  if (name.empty()) {
    errors.push_back({"name", "氏名を入力してください。"});
  } else if (!validate_staff_name(name)) {
    errors.push_back({"name", "氏名は" + std::to_string(kMaxStaffNameChars) + "文字以内で、改行などの制御文字を含めずに入力してください。"});
  }
  if (!find_role(roles, role_id)) errors.push_back({"role_id", "権限を一覧から選んでください。"});
}

}  // namespace

http::Response ConsoleApp::post_staff_new(Context& c) {
  const text::Form& form = *c.form;
  StaffAccount a;
  a.id = form.value("staff_id");
  a.name = form.value("name");
  a.role_id = form.value("role_id");
  a.enabled = true;
  const std::string password = form.value("initial_password");
  std::vector<web::FieldError> errors;
  if (a.id.empty()) {
    errors.push_back({"staff_id", "職員IDを入力してください。"});
  } else if (!validate_staff_id(a.id)) {
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
    for (PasswordProblem p : password_problems(c.settings.password, password, a.id)) {
      errors.push_back({"initial_password", problem_text(p, c.settings.password)});
    }
  }
  if (errors.empty()) {
    auto s = set_password(a, c.settings.password, password, c.wall_ms, /*must_change=*/true, options_.fast_hashes_for_tests);
    if (!s) {
      if (s.error().code != Errc::invalid_argument) return error(c, 500);
      errors.push_back({"initial_password", "使用できないパスワードです。"});
    }
  }
  if (!errors.empty()) {
    StaffAccount shown = a;
    if (!validate_staff_id(shown.id)) shown.id.resize(std::min(shown.id.size(), kMaxStaffIdBytes));
    return staff_form(c, true, shown, errors, 422);
  }
  if (!store_.save_staff(a)) return error(c, 503);
  log("staff.add", c.account->id, "staff/" + a.id, "role " + a.role_id);
  return with_headers(web::see_other("/staff?done=added"), c.headers);
}

http::Response ConsoleApp::post_staff_edit(Context& c) {
  const text::Form& form = *c.form;
  const std::string id = form.value("staff_id");
  if (!validate_staff_id(id)) return error(c, 404);
  auto found = store_.staff(id);
  if (!found) return error(c, 503);
  if (!*found) return error(c, 404);
  const StaffAccount before = **found;
  StaffAccount after = before;  // the record as stored now: a password changed meanwhile is kept
  after.name = form.value("name");
  after.role_id = form.value("role_id");
  after.enabled = form.value("enabled") == "1";
  std::vector<web::FieldError> errors;
  check_name_and_role(after.name, after.role_id, c.roles, errors);
  if (errors.empty()) {
    auto all = store_.all_staff();
    if (!all) return error(c, 503);
    if (!staff_manager_left(*all, after, c.roles)) {
      errors.push_back({"enabled", "この変更をすると、職員管理を使える有効な職員がいなくなります。"});
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
    if (!after.enabled) sessions_.destroy_all_for(after.id);
    log("staff.update", c.account->id, "staff/" + after.id, detail);
  }
  return with_headers(web::see_other("/staff?done=updated"), c.headers);
}

http::Response ConsoleApp::post_staff_password(Context& c) {
  const text::Form& form = *c.form;
  const std::string id = form.value("staff_id");
  if (!validate_staff_id(id)) return error(c, 404);
  auto found = store_.staff(id);
  if (!found) return error(c, 503);
  if (!*found) return error(c, 404);
  StaffAccount a = **found;
  const std::string password = form.value("new_password");
  std::vector<web::FieldError> errors;
  if (password.empty()) errors.push_back({"new_password", "新しい初期パスワードを入力してください。"});
  for (PasswordProblem p : password_problems(c.settings.password, password, a.id)) {
    if (!password.empty()) errors.push_back({"new_password", problem_text(p, c.settings.password)});
  }
  if (errors.empty()) {
    auto s = set_password(a, c.settings.password, password, c.wall_ms, /*must_change=*/true, options_.fast_hashes_for_tests);
    if (!s) {
      if (s.error().code != Errc::invalid_argument) return error(c, 500);
      errors.push_back({"new_password", "以前に使ったパスワードは使えません。"});
    }
  }
  if (!errors.empty()) return staff_form(c, false, **found, errors, 422);
  if (!store_.save_staff(a)) return error(c, 503);
  // Sessions of that person opened with the old password end (in this console).
  if (a.id != c.account->id) sessions_.destroy_all_for(a.id);
  log("staff.password_reset", c.account->id, "staff/" + a.id, "");
  return with_headers(web::see_other("/staff?done=password"), c.headers);
}

http::Response ConsoleApp::staff_export(Context& c) {
  const std::string enc = query_value(c.req, "encoding");
  if (enc != "utf8" && enc != "cp932" && !enc.empty()) return error(c, 400);
  const text::Encoding encoding = enc == "cp932" ? text::Encoding::cp932 : text::Encoding::utf8;
  auto all = store_.all_staff();
  if (!all) return error(c, 503);
  auto bytes = text::to_excel_csv(staff_to_rows(*all, c.roles), encoding);
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

}  // namespace madoguchi::console::app
