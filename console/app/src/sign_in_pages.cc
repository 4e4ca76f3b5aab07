// ログイン, ログアウト, パスワード変更 (ACC-1, ACC-4, ACC-5), and the page of a menu whose
// screen this console does not serve.
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <mstch/mstch.hpp>

#include "internal.h"
#include "madoguchi/console/web/cookies.h"
#include "madoguchi/console/web/csrf.h"
#include "madoguchi/console/web/page.h"
#include "madoguchi/domain/administrator.h"
#include "madoguchi/domain/password.h"
#include "modules.h"

namespace madoguchi::console::app {
namespace {

std::string header(const http::Request& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? std::string() : it->second;
}

class SignInPages final : public PageModule {
 public:
  explicit SignInPages(Shell& shell) : PageModule(shell), guard_(), sign_in_limiter_(shell.options.sign_in_rate) {}

  void add_routes(RouteTable& routes) override {
    Route sign_in = route(Route::Methods::get_or_post, std::string(web::kSignInPath), &SignInPages::sign_in, this, {});
    sign_in.access = Route::Access::anyone;
    routes.add(std::move(sign_in));
    Route sign_out = route(Route::Methods::post, std::string(web::kSignOutPath), &SignInPages::post_sign_out, this, {});
    sign_out.access = Route::Access::anyone;
    routes.add(std::move(sign_out));
    Route password = route(Route::Methods::get_or_post, std::string(web::kPasswordPath), &SignInPages::password, this, {});
    password.access = Route::Access::password_change;
    routes.add(std::move(password));
  }

 private:
  http::Response sign_in(Context& c) {
    guard_.set_limits(domain::sign_in_limits(c.settings.password));
    if (c.post()) return post_sign_in(c);
    if (c.signed_in()) return shell_.see_other(c, std::string(kHomePath));
    return get_sign_in(c, false, false, "", 200);
  }
  http::Response password(Context& c) {
    guard_.set_limits(domain::sign_in_limits(c.settings.password));
    return c.post() ? post_password(c) : password_page(c, {}, 200);
  }
  http::Response get_sign_in(Context& c, bool failed, bool throttled, std::string login_id, int status);
  http::Response post_sign_in(Context& c);
  http::Response post_sign_out(Context& c);
  http::Response password_page(Context& c, const std::vector<web::FieldError>& errors, int status);
  http::Response post_password(Context& c);
  // Whether this console may change the account's password: always at the hub; at a counter PC
  // only for an account with a password key and no administration menu (what the hub accepts).
  bool may_change_password_here(const Context& c, const domain::StaffAccount& account) const;
  void upgrade_password(const Context& c, domain::StaffAccount& account, std::string_view password);
  domain::SignInGuard guard_;
  web::RateLimiter sign_in_limiter_;
};

http::Response SignInPages::get_sign_in(Context& c, bool failed, bool throttled, std::string login_id, int status) {
  const std::string token = web::random_token();
  auto cookie = web::set_cookie(web::kSignInCookie, token, options_.tls, std::chrono::seconds(3600));
  if (!cookie) return error(c, 500);
  c.headers.emplace_back("Set-Cookie", *cookie);
  auto ctx = web::layout_context(layout(c, "ログイン", std::nullopt));
  if (!ctx) return error(c, 500);
  ctx->insert_or_assign("login_id", std::move(login_id));
  ctx->insert_or_assign("failed", failed);
  ctx->insert_or_assign("throttled", throttled);
  const auto reason = c.req.query.find("signed_out");
  ctx->insert_or_assign("idle", !failed && !throttled &&
                                    (c.idle_signed_out || (reason != c.req.query.end() && reason->second == "idle")));
  ctx->insert_or_assign("csrf_token", token);
  return with_headers(web::page(templates_, status, "sign_in", *ctx), c.headers);
}

http::Response SignInPages::post_sign_in(Context& c) {
  const text::Form& form = *c.form;
  auto presented = web::find_cookie(header(c.req, "cookie"), web::cookie_name(web::kSignInCookie, options_.tls));
  if (!presented || !*presented || !web::check_token(**presented, form)) return error(c, 403);
  const std::string client = c.req.remote_address;
  std::string id = form.value("login_id");
  const std::string password = form.value("password");
  if (id.size() > domain::kMaxStaffIdBytes) id.resize(domain::kMaxStaffIdBytes);  // never echo or track more

  if (!sign_in_limiter_.allow(client, c.now)) return get_sign_in(c, false, true, id, 429);

  std::optional<domain::StaffAccount> account;
  if (domain::validate_staff_id(id)) {
    auto a = store_.staff(id);
    if (!a) return error(c, 503);
    account = std::move(*a);
  }
  if (auto allowed = guard_.check(id, client, c.now); !allowed) {
    // This address failed too often: it waits a few seconds, as under the rate limit (never a
    // lock: the office behind one NAT address must go on signing in).
    if (allowed.error().code == Errc::unavailable) return get_sign_in(c, false, true, id, 429);
    // Locked: refused before any password is verified, with the same message as a wrong one.
    log("sign_in.refused_locked", account ? id : "", account ? "staff/" + id : "", "");
    return get_sign_in(c, true, false, id, 200);
  }
  // Unknown IDs cost the same as known ones: one interactive-cost verify (password.h).
  const std::string_view hash = account ? std::string_view(account->password_hash) : domain::kDummyPasswordHash;
  const bool password_ok = password.size() <= domain::kMaxPasswordBytes && domain::verify_password(hash, password);
  if (!password_ok || !account || !account->enabled) {
    const bool locked = guard_.record_failure(id, client, c.now);
    // An unknown ID is not logged as typed: it may be a password typed into the wrong field.
    const std::string who = account ? id : "";
    const std::string target = account ? "staff/" + id : "";
    log("sign_in.failure", who, target, !account ? "unknown id" : (!account->enabled ? "account disabled" : "wrong password"));
    if (locked) log("sign_in.locked", who, target, "");
    return get_sign_in(c, true, false, id, 200);
  }
  guard_.record_success(id, client);
  upgrade_password(c, *account, password);
  // No fixation: whatever session the browser had is dropped and a new one made.
  if (c.session) shell_.sessions.destroy(c.session->id);
  web::Session s = shell_.sessions.create(id, client, c.now);
  auto cookie = web::set_cookie(web::kSessionCookie, s.id, options_.tls);
  if (!cookie) return error(c, 500);
  log("sign_in", id, "staff/" + id, "");
  c.headers.clear();
  c.headers.emplace_back("Set-Cookie", *cookie);
  c.headers.emplace_back("Set-Cookie", web::clear_cookie(web::kSignInCookie, options_.tls));
  const bool change = domain::password_change_required(*account, c.settings.password, c.wall_ms);
  return with_headers(web::see_other(change ? web::kPasswordPath : kHomePath), c.headers);
}

http::Response SignInPages::post_sign_out(Context& c) {
  if (c.session) {
    shell_.sessions.destroy(c.session->id);
    log("sign_out", c.session->staff_id, "", "");
    c.headers.emplace_back("Set-Cookie", web::clear_cookie(web::kSessionCookie, options_.tls));
  }
  return with_headers(web::see_other(web::kSignInPath), c.headers);
}

http::Response SignInPages::password_page(Context& c, const std::vector<web::FieldError>& errors, int status) {
  const bool required = domain::password_change_required(*c.account, c.settings.password, c.wall_ms);
  auto ctx = web::layout_context(layout(c, "パスワード変更", std::nullopt));
  if (!ctx) return error(c, 500);
  mstch::array rules;
  for (auto& r : rule_texts(c.settings.password)) rules.emplace_back(std::move(r));
  ctx->insert_or_assign("csrf_token", c.session->csrf_token);
  ctx->insert_or_assign("password_rules", std::move(rules));
  ctx->insert_or_assign("change_required", required);
  if (!web::add_field_errors(*ctx, errors)) return error(c, 500);
  return with_headers(web::page(templates_, status, "password_change", *ctx), c.headers);
}

bool SignInPages::may_change_password_here(const Context& c, const domain::StaffAccount& account) const {
  if (options_.manage_staff) return true;  // the hub
  const domain::Role* role = domain::find_role(c.roles, account.role_id);
  return !account.password_key.empty() && !(role && domain::grants_administration(*role));
}

void SignInPages::upgrade_password(const Context& c, domain::StaffAccount& account, std::string_view password) {
  // An old cost, or a password set before password keys existed: upgrade now that the password
  // is known (password.h). Best effort. At a counter PC only as a proved change the hub accepts
  // (issue 11 hole 4); a key is made only at the hub, where no proof is needed.
  const bool rehash = domain::needs_rehash(account.password_hash, options_.fast_hashes_for_tests);
  const bool rekey = account.password_key.empty() && options_.manage_staff;
  if ((!rehash && !rekey) || !may_change_password_here(c, account)) return;
  domain::StaffAccount updated = account;
  if (rehash) {
    auto h = domain::hash_password(password, options_.fast_hashes_for_tests);
    if (!h) return;
    updated.password_hash = std::move(*h);
  }
  if (rekey) {
    auto k = domain::make_password_key(password, options_.fast_hashes_for_tests);
    if (!k) return;
    updated.password_key = std::move(*k);
  }
  updated.password_proof.clear();
  if (!options_.manage_staff && !domain::prove_password_change(account, password, updated)) return;
  if (store_.save_staff(updated)) account = std::move(updated);
}

http::Response SignInPages::post_password(Context& c) {
  const text::Form& form = *c.form;
  const std::string current = form.value("current_password");
  const std::string next = form.value("new_password");
  const std::string confirm = form.value("confirm_password");
  const domain::StaffAccount& account = *c.account;
  const std::string& client = c.req.remote_address;
  std::vector<web::FieldError> errors;

  // The current password is asked again, so a session left open cannot take the account over;
  // wrong guesses count towards the lockout like sign-in failures do.
  const bool current_ok = guard_.check(account.id, client, c.now) && current.size() <= domain::kMaxPasswordBytes &&
                          domain::verify_password(account.password_hash, current);
  if (!current_ok) {
    (void)guard_.record_failure(account.id, client, c.now);
    errors.push_back({"current_password", "現在のパスワードが正しくありません。"});
  }
  for (domain::PasswordProblem p : domain::password_problems(c.settings.password, next, account.id)) {
    errors.push_back({"new_password", problem_text(p, c.settings.password)});
  }
  if (next != confirm) errors.push_back({"confirm_password", "確認用のパスワードが新しいパスワードと一致しません。"});
  // At a counter PC the hub accepts a change only of an account without administration menus,
  // signed with the current password (issue 11 hole 4): say so here rather than let the hub
  // refuse it later.
  const bool at_counter = !options_.manage_staff;
  if (current_ok && !may_change_password_here(c, account)) {
    errors.push_back({"current_password",
                      "このアカウントのパスワードは窓口端末では変更できません。本庁の管理画面で変更してください。"});
  }
  domain::StaffAccount updated = account;
  if (errors.empty()) {
    auto s = domain::set_password(updated, c.settings.password, next, c.wall_ms, false, options_.fast_hashes_for_tests);
    if (!s) {
      if (s.error().code != Errc::invalid_argument) return error(c, 500);
      // The rules were checked above, so what is left is the history rule.
      errors.push_back({"new_password", "以前に使ったパスワードは使えません。"});
    } else if (at_counter && !domain::prove_password_change(account, current, updated)) {
      return error(c, 500);
    }
  }
  if (!errors.empty()) {
    log("password.change_failure", account.id, "staff/" + account.id, current_ok ? "rules not met" : "wrong current password");
    return password_page(c, errors, 422);
  }
  if (!store_.save_staff(updated)) return error(c, 503);
  guard_.record_success(account.id, client);
  // Signed out everywhere else (a leaked session dies with the old password), in again here.
  shell_.sessions.destroy_all_for(account.id);
  web::Session s = shell_.sessions.create(account.id, client, c.now);
  auto cookie = web::set_cookie(web::kSessionCookie, s.id, options_.tls);
  if (!cookie) return error(c, 500);
  c.headers.emplace_back("Set-Cookie", *cookie);
  c.session = s;
  c.account = updated;
  log("password.change", account.id, "staff/" + account.id, "");
  auto ctx = web::layout_context(layout(c, "パスワード変更", std::nullopt));
  if (!ctx) return error(c, 500);
  ctx->insert_or_assign("message", std::string("パスワードを変更しました。"));
  ctx->insert_or_assign("next_url", std::string(kHomePath));
  ctx->insert_or_assign("next_label", std::string("ホームへ"));
  return with_headers(web::page(templates_, 200, "message", *ctx), c.headers);
}

// Where a screen this console does not have lives (a bookmark from the hub's console opened at a
// counter PC). Never a menu item: the layout offers only served menus.
http::Response elsewhere_page(Shell& shell, Context& c, domain::Menu m) {
  auto ctx = web::layout_context(shell.layout(c, std::string(domain::menu_label(m)), std::nullopt));
  if (!ctx) return shell.error(c, 500);
  std::string text = "「" + std::string(domain::menu_label(m)) + "」は、本庁の管理コンソール（ハブ）で確認します。";
  if (m == domain::Menu::staff) text = "職員の追加・変更・CSVの取り込みは、本庁の管理コンソール（ハブ）で行います。";
  ctx->insert_or_assign("message", text);
  ctx->insert_or_assign("next_url", std::string(kHomePath));
  ctx->insert_or_assign("next_label", std::string("ホームへ戻る"));
  return with_headers(web::page(shell.templates, 200, "message", *ctx), c.headers);
}

}  // namespace

std::unique_ptr<PageModule> make_sign_in_pages(Shell& shell) { return std::make_unique<SignInPages>(shell); }

void add_menu_fallbacks(Shell& shell, RouteTable& routes) {
  for (domain::Menu m : {domain::Menu::staff, domain::Menu::linkage, domain::Menu::sync}) {
    if (routes.has_path(menu_path(m))) continue;
    Route r;
    r.path = menu_path(m);
    r.menus = {m};
    r.handler = [&shell, m](Context& c) { return elsewhere_page(shell, c, m); };
    routes.add(std::move(r));
  }
}

}  // namespace madoguchi::console::app
