// 権限管理 (ACC-2): the roles and the menus each grants. Served where ConsoleOptions::manage_staff
// is set (the hub console); the shell has already checked the session, the roles menu permission
// and, for POST, the CSRF token.
//
//   GET  /roles               every effective role (the built-ins while none is stored), its menus
//                             and how many accounts use it
//   GET  /roles/new, POST     add a role: ID, 名前, a checkbox per menu
//   GET  /roles/edit?id=, POST /roles/edit   名前 and menus of a role (the ID is fixed)
//   POST /roles/delete        delete a role that no account uses
//
// Rules, checked before anything is written:
//   - validate_role(); names are unique among roles; menu ids are known ones.
//   - The administrator-remains invariant (domain/administrator.h).
//   - While no role is stored (effective_roles() gives the built-ins), the first change stores the
//     whole resulting set, built-ins included: a stored set replaces the built-ins entirely, so
//     storing one role alone would drop the others. The roles that keep an administrator in are
//     written first, so a storage failure midway cannot lock everyone out either.
// Menus take effect on everyone's next request: handle() reads the roles on every request.
// Every change is logged (role.add, role.update, role.remove) with "role/<id>" as target; the
// detail names menu ids and fields, never a person.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <mstch/mstch.hpp>

#include "internal.h"
#include "modules.h"
#include "madoguchi/console/web/page.h"

namespace madoguchi::console::app {
namespace {

std::size_t users_of(const std::vector<domain::StaffAccount>& all, const std::string& role_id) {
  return static_cast<std::size_t>(
      std::count_if(all.begin(), all.end(), [&](const domain::StaffAccount& a) { return a.role_id == role_id; }));
}

// The roles that keep an enabled administrator in, first (see the header comment).
void order_writes(std::vector<domain::Role>& writes, const std::vector<domain::StaffAccount>& all) {
  std::stable_partition(writes.begin(), writes.end(), [&](const domain::Role& r) {
    return domain::administers(r) && std::any_of(all.begin(), all.end(), [&](const domain::StaffAccount& a) { return a.enabled && a.role_id == r.id; });
  });
}

std::string menu_labels(const domain::Role& r) {
  std::string out;
  for (domain::Menu m : domain::all_menus()) {  // permissions (booking_override) included
    if (domain::allowed(r, m)) out += (out.empty() ? "" : "、") + std::string(domain::menu_label(m));
  }
  return out.empty() ? std::string("（なし）") : out;
}

// "menus +cards -bookings" and/or "name" (ids of menus and field names only).
std::string change_detail(const domain::Role& before, const domain::Role& after) {
  std::string detail;
  if (before.name != after.name) detail = "name";
  std::string menus;
  for (domain::Menu m : domain::all_menus()) {
    if (domain::allowed(after, m) && !domain::allowed(before, m)) menus += " +" + std::string(domain::menu_id(m));
    if (!domain::allowed(after, m) && domain::allowed(before, m)) menus += " -" + std::string(domain::menu_id(m));
  }
  if (!menus.empty()) detail += (detail.empty() ? "menus" : ", menus") + menus;
  return detail;
}

std::string menu_ids(const domain::Role& r) {
  std::string out;
  for (domain::Menu m : domain::all_menus()) {
    if (domain::allowed(r, m)) out += (out.empty() ? "" : ",") + std::string(domain::menu_id(m));
  }
  return out;
}


class RolePages final : public PageModule {
 public:
  explicit RolePages(Shell& shell) : PageModule(shell) {}

  void add_routes(RouteTable& routes) override {
    // 権限管理 (ACC-2): the roles menu alone decides, on every request (SEC-2).
    const std::vector<domain::Menu> menu{domain::Menu::roles};
    routes.add(route(Route::Methods::get, "/roles", &RolePages::roles_list, this, menu));
    routes.add(route(Route::Methods::get, "/roles/new", &RolePages::new_form, this, menu));
    routes.add(route(Route::Methods::post, "/roles/new", &RolePages::post_new, this, menu));
    routes.add(route(Route::Methods::get, "/roles/edit", &RolePages::edit_form, this, menu));
    routes.add(route(Route::Methods::post, "/roles/edit", &RolePages::post_edit, this, menu));
    routes.add(route(Route::Methods::post, "/roles/delete", &RolePages::post_role_delete, this, menu));
  }

 private:
  http::Response new_form(Context& c) { return role_form(c, true, domain::Role{}, {}, 200); }
  http::Response edit_form(Context& c) {
    const domain::Role* r = domain::find_role(c.roles, query_value(c.req, "id"));
    if (!r) return error(c, 404);
    return role_form(c, false, *r, {}, 200);
  }
  http::Response post_new(Context& c) { return post_role(c, true); }
  http::Response post_edit(Context& c) { return post_role(c, false); }
  http::Response roles_list(Context& c);
  http::Response role_form(Context& c, bool adding, const domain::Role& shown, const std::vector<web::FieldError>& errors,
                           int status);
  http::Response post_role(Context& c, bool adding);
  http::Response post_role_delete(Context& c);
};

http::Response RolePages::roles_list(Context& c) {
  auto all = store_.all_staff();
  if (!all) return error(c, 503);
  auto stored = store_.roles();
  if (!stored) return error(c, 503);
  mstch::array rows;
  for (const domain::Role& r : c.roles) {
    rows.emplace_back(mstch::map{{"id", r.id},
                                 {"name", r.name},
                                 {"menu_labels", menu_labels(r)},
                                 {"staff_count", std::to_string(users_of(*all, r.id))}});
  }
  mstch::map content{{"role_rows", std::move(rows)},
                     {"count", std::to_string(c.roles.size())},
                     {"builtin", stored->empty()}};
  const std::string done = query_value(c.req, "done");
  if (done == "added") content.emplace("notice", std::string("権限を追加しました。"));
  if (done == "updated") content.emplace("notice", std::string("権限を変更しました。変更は、各職員の次の操作から反映されます。"));
  if (done == "removed") content.emplace("notice", std::string("権限を削除しました。"));
  return content_page(c, std::string(domain::menu_label(domain::Menu::roles)), domain::Menu::roles, "role_list", std::move(content), 200);
}

http::Response RolePages::role_form(Context& c, bool adding, const domain::Role& shown, const std::vector<web::FieldError>& errors,
                                     int status) {
  mstch::array choices;
  for (domain::Menu m : domain::all_menus()) {
    choices.emplace_back(mstch::map{{"menu_id", std::string(domain::menu_id(m))},
                                    {"menu_label", std::string(domain::menu_label(m))},
                                    {"checked", domain::allowed(shown, m)},
                                    {"admin_menu", m == domain::Menu::staff || m == domain::Menu::roles},
                                    {"permission", domain::is_permission(m)}});
  }
  mstch::map content{{"adding", adding},
                     {"role_id", shown.id},
                     {"name", shown.name},
                     {"menu_choices", std::move(choices)},
                     {"csrf_token", c.session->csrf_token}};
  if (!adding) {
    auto all = store_.all_staff();
    if (!all) return error(c, 503);
    const std::size_t users = users_of(*all, shown.id);
    content.emplace("deletable", users == 0);
    content.emplace("staff_count", std::to_string(users));
  }
  if (!web::add_field_errors(content, errors)) return error(c, 500);
  return content_page(c, adding ? "権限の追加" : "権限の変更", domain::Menu::roles, "role_form", std::move(content), status);
}

http::Response RolePages::post_role(Context& c, bool adding) {
  const text::Form& form = *c.form;
  domain::Role role;
  role.id = form.value("role_id");
  role.name = form.value("name");
  const domain::Role* before = nullptr;
  std::vector<web::FieldError> errors;
  if (adding) {
    if (role.id.empty()) {
      errors.push_back({"role_id", "権限IDを入力してください。"});
    } else if (!domain::validate_role_id(role.id)) {
      errors.push_back({"role_id", "権限IDは半角の英小文字・数字と「_」「-」で32文字以内にし、先頭を英小文字か数字にしてください。"});
    } else if (domain::find_role(c.roles, role.id)) {
      errors.push_back({"role_id", "この権限IDはすでに使われています。"});
    }
  } else {
    before = domain::find_role(c.roles, role.id);
    if (!before) return error(c, 404);
  }
  if (role.name.empty()) {
    errors.push_back({"name", "名前を入力してください。"});
  } else {
    domain::Role name_only{"x", role.name, {}};
    if (!domain::validate_role(name_only)) {
      errors.push_back({"name", "名前は32文字以内で、改行などの制御文字を含めずに入力してください。"});
    } else if (std::any_of(c.roles.begin(), c.roles.end(), [&](const domain::Role& r) { return r.name == role.name && r.id != role.id; })) {
      errors.push_back({"name", "この名前はほかの権限で使われています。"});
    }
  }
  bool unknown_menu = false;
  for (const std::string& id : form.all("menus")) {
    if (auto m = domain::menu_from_id(id)) {
      role.menus.insert(*m);
    } else {
      unknown_menu = true;
    }
  }
  if (unknown_menu) errors.push_back({"menus", "メニューの指定が正しくありません。画面を開き直して、一覧から選んでください。"});
  if (errors.empty()) {
    if (auto v = domain::validate_role(role); !v) errors.push_back({"name", "この権限は保存できません。入力内容を確かめてください。"});
  }
  // The set of roles as it would be after this change.
  std::vector<domain::Role> after = c.roles;
  if (adding) {
    after.push_back(role);
  } else {
    for (domain::Role& r : after) {
      if (r.id == role.id) r = role;
    }
  }
  std::vector<domain::StaffAccount> all;
  if (errors.empty()) {
    auto found = store_.all_staff();
    if (!found) return error(c, 503);
    all = std::move(*found);
    if (!domain::check_administrator_remains(all, c.roles, all, after)) errors.push_back({"menus", kAdministratorRemainsMessage});
  }
  if (!errors.empty()) {
    domain::Role shown = role;
    if (adding && !domain::validate_role_id(shown.id)) shown.id.resize(std::min<std::size_t>(shown.id.size(), 32));
    return role_form(c, adding, shown, errors, 422);
  }
  const std::string detail = adding ? "menus " + menu_ids(role) : change_detail(*before, role);
  auto stored = store_.roles();
  if (!stored) return error(c, 503);
  const bool materialize = stored->empty();
  if (!adding && detail.empty() && !materialize) return with_headers(web::see_other("/roles?done=updated"), c.headers);

  std::vector<domain::Role> writes = materialize ? after : std::vector<domain::Role>{role};
  order_writes(writes, all);
  const std::string action = adding ? "role.add" : "role.update";
  const std::string suffix = materialize ? "; built-in roles stored" : "";
  std::size_t done = 0;
  for (const domain::Role& r : writes) {
    if (!store_.save_role(r)) break;
    ++done;
  }
  if (done != writes.size()) {
    log(action, c.account->id, "role/" + role.id,
        detail + suffix + "; failed after " + std::to_string(done) + " of " + std::to_string(writes.size()) + " writes");
    return content_page(c, std::string(domain::menu_label(domain::Menu::roles)), domain::Menu::roles, "message",
                        mstch::map{{"message", std::string("保存中にエラーが起きたため、保存できなかった権限があります。権限一覧を確かめて、もう一度操作してください。")},
                                   {"next_url", std::string("/roles")},
                                   {"next_label", std::string("権限一覧へ")}},
                        503);
  }
  log(action, c.account->id, "role/" + role.id, detail + suffix);
  return with_headers(web::see_other(adding ? "/roles?done=added" : "/roles?done=updated"), c.headers);
}

http::Response RolePages::post_role_delete(Context& c) {
  const std::string id = c.form->value("role_id");
  const domain::Role* role = domain::find_role(c.roles, id);
  if (!role) return error(c, 404);
  auto all = store_.all_staff();
  if (!all) return error(c, 503);
  std::vector<domain::Role> after;
  for (const domain::Role& r : c.roles) {
    if (r.id != id) after.push_back(r);
  }
  if (const std::size_t users = users_of(*all, id); users > 0) {
    return role_form(c, false, *role,
                     {{"delete", "この権限は" + std::to_string(users) + "人の職員が使っているため削除できません。先にその職員の権限を変更してください。"}},
                     409);
  }
  // Unreachable while the role has no user, but the rule is the rule; an empty set would bring the
  // built-ins back.
  if (after.empty() || !domain::check_administrator_remains(*all, c.roles, *all, after)) {
    return role_form(c, false, *role, {{"delete", kAdministratorRemainsMessage}}, 409);
  }
  auto stored = store_.roles();
  if (!stored) return error(c, 503);
  const bool materialize = stored->empty();
  std::size_t done = 0, total = 1;
  if (materialize) {
    // Nothing stored: storing the other built-ins is what removes this one.
    order_writes(after, *all);
    total = after.size();
    for (const domain::Role& r : after) {
      if (!store_.save_role(r)) break;
      ++done;
    }
  } else if (store_.remove_role(id)) {
    done = 1;
  }
  const std::string detail = materialize ? "built-in roles stored" : "";
  if (done != total) {
    log("role.remove", c.account->id, "role/" + id,
        detail + (detail.empty() ? "" : "; ") + "failed after " + std::to_string(done) + " of " + std::to_string(total) + " writes");
    return content_page(c, std::string(domain::menu_label(domain::Menu::roles)), domain::Menu::roles, "message",
                        mstch::map{{"message", std::string("保存中にエラーが起きたため、削除できませんでした。権限一覧を確かめて、もう一度操作してください。")},
                                   {"next_url", std::string("/roles")},
                                   {"next_label", std::string("権限一覧へ")}},
                        503);
  }
  log("role.remove", c.account->id, "role/" + id, detail);
  return with_headers(web::see_other("/roles?done=removed"), c.headers);
}

}  // namespace

std::unique_ptr<PageModule> make_role_pages(Shell& shell) { return std::make_unique<RolePages>(shell); }

}  // namespace madoguchi::console::app
