#include "madoguchi/console/app/console_app.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

#include <mstch/mstch.hpp>

#include "madoguchi/domain/password.h"
#include "madoguchi/console/web/cookies.h"
#include "madoguchi/console/web/csrf.h"
#include "madoguchi/console/web/page.h"
#include "madoguchi/text/encoding.h"
#include "madoguchi/text/form.h"
#include "madoguchi/text/multipart.h"
#include "booking_pages.h"
#include "card_imports.h"
#include "internal.h"
#include "master_pages.h"

namespace madoguchi::console::app {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kHomePath = "/";
// Where an idle session is sent: the sign-in page with the idle notice (ACC-4).
constexpr std::string_view kIdleSignInTarget = "/sign-in?signed_out=idle";

std::string header(const http::Request& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? std::string() : it->second;
}

bool is_get(const http::Request& r) { return r.method == "GET" || r.method == "HEAD"; }

// "multipart/form-data" as the media type of a Content-Type value (parameters follow).
bool multipart_type(std::string_view type) {
  constexpr std::string_view kType = "multipart/form-data";
  if (type.size() < kType.size()) return false;
  for (std::size_t i = 0; i < kType.size(); ++i) {
    char ch = type[i];
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    if (ch != kType[i]) return false;
  }
  return type.size() == kType.size() || type[kType.size()] == ';' || type[kType.size()] == ' ';
}

}  // namespace

std::string action_label(std::string_view action) {
  static const std::pair<std::string_view, std::string_view> kLabels[] = {
      {"sign_in", "ログイン"},
      {"sign_in.failure", "ログイン失敗"},
      {"sign_in.locked", "ログインのロック"},
      {"sign_in.refused_locked", "ロック中のログイン"},
      {"sign_out", "ログアウト"},
      {"sign_out.idle", "自動ログアウト（無操作）"},
      {"sign_out.account_disabled", "ログアウト（アカウント無効）"},
      {"password.change", "パスワード変更"},
      {"password.change_failure", "パスワード変更の失敗"},
      {"menu.forbidden", "権限のない画面へのアクセス"},
      {"staff.add", "職員の追加"},
      {"staff.update", "職員の変更"},
      {"staff.remove", "職員の削除"},
      {"staff.password_reset", "職員のパスワード再設定"},
      {"staff.export", "職員一覧のCSV出力"},
      {"staff.import", "職員のCSV取り込み"},
      {"oplog.export", "操作ログのCSV出力"},
      {"oplog.verify", "操作ログの改ざん検査"},
      {"settings.update", "システム設定の変更"},
      {"role.add", "権限の追加"},
      {"role.update", "権限の変更"},
      {"role.remove", "権限の削除"},
      {"card.add", "カードの手入力登録"},
      {"card.update", "カードの変更"},
      {"card.remove", "カードの削除"},
      {"card.progress", "カードの進捗の記録"},
      {"card.progress_clear", "カードの進捗の取消"},
      {"card.booking", "カードの予約の変更"},
      {"card.booking_cancel", "カードの予約の取消"},
      {"card.bulk", "カードの一括記録"},
      {"card.export", "カードの出力"},
      {"card.import", "二次元コードの取込"},
      {"card.import_refused", "二次元コードの取込の拒否"},
      {"card.ledger_import", "台帳CSVの取込"},
      {"card.renewal_import", "更新対象リストの取込"},
      {"master.counter.add", "窓口の追加"},
      {"master.counter.update", "窓口の変更"},
      {"master.counter.remove", "窓口の削除"},
      {"master.slots.generate", "予約枠の作成"},
      {"master.slot.add", "予約枠の追加"},
      {"master.slot.edit", "予約枠の変更"},
      {"master.calendar.update", "休業日・祝日の変更"},
      {"notice.add", "お知らせの追加"},
      {"notice.update", "お知らせの変更"},
      {"notice.remove", "お知らせの削除"},
      {"phone_booking.create", "電話予約の受付"},
      {"phone_booking.update", "電話予約の内容の変更"},
      {"phone_booking.move", "電話予約の日時の変更"},
      {"phone_booking.cancel", "電話予約の取消"},
      {"phone_booking.refusal_handled", "受け付けられなかった電話予約の対応済み"},
  };
  for (const auto& [id, label] : kLabels) {
    if (id == action) return std::string(label);
  }
  return std::string(action);
}

// "2026-01-05 09:30:12" in Japan Standard Time (UTC+9, no daylight saving), the time staff read.
std::string jst_time(std::int64_t at_ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> t{milliseconds(at_ms)};
  const auto local = t + 9h;
  const auto day = floor<days>(local);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> hms{floor<milliseconds>(local - day)};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02ld:%02ld:%02ld", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                static_cast<long>(hms.seconds().count()));
  return buf;
}

namespace {

// The oplog screen's content. console/web has no table page yet, and this change may not add
// templates there; so the table is rendered here (mstch escapes every value, as in console/web)
// and put in place of the "message" page's notice (see splice_content).
constexpr const char* kOplogContent =
    "<p>{{staff_id}} の最近の操作です（新しい順、最大{{limit}}件）。</p>\n"
    "{{#has_entries}}\n"
    "<table class=\"oplog\">\n"
    "<caption>操作ログ</caption>\n"
    "<thead><tr><th scope=\"col\">日時</th><th scope=\"col\">操作</th><th scope=\"col\">対象</th>"
    "<th scope=\"col\">端末</th></tr></thead>\n"
    "<tbody>\n"
    "{{#entries}}<tr><td>{{time}}</td><td>{{action}}</td><td>{{target}}</td><td>{{device}}</td></tr>\n{{/entries}}"
    "</tbody>\n</table>\n"
    "{{/has_entries}}\n"
    "{{^has_entries}}<p>操作ログはまだありません。</p>{{/has_entries}}\n";

constexpr std::string_view kContentMarker = "MADOGUCHI-APP-CONTENT-7f3a";

// Replaces the notice holding kContentMarker (message.mustache: <div class="notice" ...><p>marker
// </p></div>) with `content`. Empty when the page does not have that shape (a template change).
std::string splice_content(const std::string& page, const std::string& content) {
  const auto marker = page.find(kContentMarker);
  if (marker == std::string::npos) return {};
  const auto open = page.rfind("<div class=\"notice\"", marker);
  const auto close = page.find("</div>", marker);
  if (open == std::string::npos || close == std::string::npos) return {};
  return page.substr(0, open) + content + page.substr(close + 6);
}

}  // namespace

// Japanese texts of the password rules and problems (the domain speaks English, by field).
std::vector<std::string> rule_texts(const domain::PasswordRules& rules) {
  std::vector<std::string> out;
  out.push_back(std::to_string(rules.min_length) + "文字以上");
  if (rules.require_upper) out.push_back("英大文字（A〜Z）を1文字以上含む");
  if (rules.require_lower) out.push_back("英小文字（a〜z）を1文字以上含む");
  if (rules.require_digit) out.push_back("数字（0〜9）を1文字以上含む");
  if (rules.require_symbol) out.push_back("記号などの英数字以外の文字を1文字以上含む");
  out.push_back("IDを含まない");
  if (rules.history > 0) out.push_back("直近" + std::to_string(rules.history) + "回に使ったパスワードは使えない");
  return out;
}

std::string problem_text(domain::PasswordProblem p, const domain::PasswordRules& rules) {
  switch (p) {
    case domain::PasswordProblem::invalid_text: return "使用できない文字が含まれています。";
    case domain::PasswordProblem::too_long: return "長すぎます。" + std::to_string(domain::kMaxPasswordBytes) + "バイト以内で入力してください。";
    case domain::PasswordProblem::too_short: return std::to_string(rules.min_length) + "文字以上で入力してください。";
    case domain::PasswordProblem::contains_id: return "IDを含めないでください。";
    case domain::PasswordProblem::missing_upper: return "英大文字（A〜Z）を1文字以上含めてください。";
    case domain::PasswordProblem::missing_lower: return "英小文字（a〜z）を1文字以上含めてください。";
    case domain::PasswordProblem::missing_digit: return "数字（0〜9）を1文字以上含めてください。";
    case domain::PasswordProblem::missing_symbol: return "記号などの英数字以外の文字を1文字以上含めてください。";
  }
  return "使用できないパスワードです。";
}

http::Response with_headers(http::Response r, const std::vector<std::pair<std::string, std::string>>& headers) {
  for (const auto& h : headers) r.headers.push_back(h);
  return r;
}

Expected<std::vector<domain::StaffAccount>> ConsoleStore::all_staff() {
  return make_error(Errc::forbidden, "staff management is not served here");
}

Status ConsoleStore::remove_staff(std::string_view) {
  return make_error(Errc::forbidden, "staff management is not served here");
}

Expected<std::vector<domain::OpLogEntry>> ConsoleStore::find_oplog(const OpLogFilter&, std::size_t, std::size_t) {
  return make_error(Errc::forbidden, "the whole operation log is not served here");
}

Expected<std::vector<std::string>> ConsoleStore::oplog_devices(std::size_t) {
  return make_error(Errc::forbidden, "the whole operation log is not served here");
}

Expected<std::vector<domain::OpLogEntry>> ConsoleStore::oplog_chain(std::string_view, std::uint64_t, std::size_t) {
  return make_error(Errc::forbidden, "the whole operation log is not served here");
}

Status ConsoleStore::save_settings(const domain::Settings&) {
  return make_error(Errc::forbidden, "settings are not managed here");
}

Status ConsoleStore::save_role(const domain::Role&) {
  return make_error(Errc::forbidden, "roles are not managed here");
}

Status ConsoleStore::remove_role(std::string_view) {
  return make_error(Errc::forbidden, "roles are not managed here");
}

std::string menu_path(domain::Menu m) {
  if (m == domain::Menu::home) return std::string(kHomePath);
  return "/" + std::string(domain::menu_id(m));
}


ConsoleApp::ConsoleApp(ConsoleStore& store, const Clock& clock, ConsoleOptions options)
    : store_(store),
      clock_(clock),
      options_(options),
      sessions_(options.sessions),
      sign_in_limiter_(options.sign_in_rate) {}

ConsoleApp::~ConsoleApp() = default;

void ConsoleApp::attach_masters(MasterStore& masters) {
  masters_ = &masters;
  if (!master_pages_) master_pages_ = std::make_unique<MasterPages>();
}

void ConsoleApp::attach_bookings(domain::BookingBackend& bookings, BookingSyncState* sync) {
  bookings_ = &bookings;
  if (!booking_pages_) booking_pages_ = std::make_unique<BookingPages>();
  booking_pages_->sync = sync;
}

void ConsoleApp::attach_cards(CardStore& cards, CardServices services) {
  cards_ = &cards;
  card_services_ = std::move(services);
  if (!card_imports_) card_imports_ = std::make_unique<CardImports>();
}

void ConsoleApp::log(std::string_view action, std::string_view staff_id, std::string_view target,
                     std::string_view detail) {
  // A failing log write must not stop the console (staff must still be able to sign out); it is
  // counted so a status page can show it.
  if (!store_.append_oplog(action, staff_id, target, detail, clock_.wall_ms())) ++oplog_failures_;
}

web::Layout ConsoleApp::layout(const Context& c, std::string title, std::optional<domain::Menu> current) const {
  web::Layout l;
  l.title = std::move(title);
  l.service_name = c.settings.service_name;
  l.municipality_name = c.settings.municipality_name;
  if (web::is_local_path(c.settings.logo_path)) l.emblem_url = c.settings.logo_path;
  if (c.session && c.account) {
    l.staff_name = c.account->name;
    l.csrf_token = c.session->csrf_token;
    // While a password change is due, no menu is offered (ACC-4).
    if (c.role && !domain::password_change_required(*c.account, c.settings.password, c.wall_ms)) {
      for (domain::Menu m : domain::visible_menus(*c.role)) {
        l.menus.push_back({std::string(domain::menu_label(m)), menu_path(m), current == m});
      }
    }
  }
  return l;
}


http::Response ConsoleApp::error(Context& c, int status) {
  auto ctx = web::layout_context(layout(c, "", std::nullopt));
  return with_headers(web::error_page(templates_, status, ctx ? *ctx : mstch::map{}), c.headers);
}

http::Response ConsoleApp::handle(const http::Request& request) {
  if (request.path == web::kStaticCssPath) {
    if (!is_get(request)) return http::Response::text(405, "method not allowed");
    return web::static_css();
  }
  if (request.path == web::kStaticJsPath) {
    if (!is_get(request)) return http::Response::text(405, "method not allowed");
    return web::static_js();
  }
  Context c{request, clock_.now(), clock_.wall_ms(), {}, {}, {}, {}, nullptr, false, false, {}, {}, {}};
  if (auto s = store_.settings(); s) c.settings = std::move(*s);
  guard_.set_limits(domain::sign_in_limits(c.settings.password));
  auto roles = store_.roles();
  if (!roles) return error(c, 503);
  c.roles = domain::effective_roles(std::move(*roles));

  const std::string session_cookie = web::cookie_name(web::kSessionCookie, options_.tls);
  auto sid = web::find_cookie(header(request, "cookie"), session_cookie);
  if (!sid) return error(c, 400);
  if (*sid) {
    // Looked up with the longest lifetime as idle bound, so that an idle session is still found
    // here and its sign-out can be logged with the person's id; the Settings' idle timeout is
    // applied just below.
    auto found = sessions_.find(**sid, request.remote_address, c.now,
                                std::chrono::duration_cast<std::chrono::seconds>(options_.sessions.max_lifetime));
    if (found) {
      web::Session s = **found;
      auto account = store_.staff(s.staff_id);
      if (!account) return error(c, 503);
      if (c.now - s.last_seen >= c.settings.session_idle) {
        sessions_.destroy(s.id);
        log("sign_out.idle", s.staff_id, "", "");
        c.session_ended = true;
        c.idle_signed_out = true;
      } else if (!*account || !(*account)->enabled) {
        sessions_.destroy(s.id);
        log("sign_out.account_disabled", s.staff_id, "staff/" + s.staff_id, "");
        c.session_ended = true;
      } else {
        c.session = std::move(s);
        c.account = std::move(**account);
        c.role = domain::find_role(c.roles, c.account->role_id);
      }
    } else {
      // Unknown, expired or presented by another client (the session was deleted: a leaked
      // cookie, ACC-5). Either way the browser's cookie is dead.
      c.session_ended = true;
    }
    if (c.session_ended) c.headers.emplace_back("Set-Cookie", web::clear_cookie(web::kSessionCookie, options_.tls));
  }

  if (web::requires_csrf(request.method)) {
    const std::string type = header(request, "content-type");
    const bool staff_upload = options_.manage_staff && request.path == "/staff/import";
    // マスタ管理's holiday list upload (the Cabinet Office CSV, at most 1 MiB).
    const bool holiday_upload = masters_ && request.path == "/masters/calendar/upload";
    if ((staff_upload || holiday_upload || card_upload_path(request.path)) && multipart_type(type)) {
      // The upload routes. Only here is a body parsed as multipart; its text parts become the
      // form the CSRF check reads.
      text::MultipartLimits limits;
      limits.max_bytes =
          (staff_upload || holiday_upload ? options_.max_import_file_bytes : options_.max_card_upload_bytes) + 64 * 1024;
      limits.max_parts = 8;
      auto parts = text::parse_multipart(type, request.body, limits);
      if (!parts) return error(c, parts.error().code == Errc::too_large ? 413 : 400);
      std::vector<std::pair<std::string, std::string>> fields;
      for (const text::Part& p : *parts) {
        if (p.filename) continue;
        if (p.data.size() > text::kMaxFormBytes || !text::valid_utf8(p.data) ||
            p.data.find('\0') != std::string_view::npos) {
          return error(c, 400);
        }
        fields.emplace_back(p.name, std::string(p.data));
      }
      c.form = text::Form(std::move(fields));
      c.parts = std::move(*parts);
    } else {
      auto form = text::parse_form(request.body);
      if (!form) return error(c, 400);
      c.form = std::move(*form);
    }
    // The sign-in form has its own double-submit token (checked in post_sign_in).
    if (c.session && request.path != web::kSignInPath) {
      if (!web::check_csrf(*c.session, *c.form)) return error(c, 403);
    }
  }
  // The QR import screen's poll (console.js, once a second) is not activity: it must not keep an
  // unattended session alive past the idle timeout (ACC-4).
  const bool poll = request.path == "/cards/import/session" && request.query.count("poll") > 0;
  if (c.session && !poll) (void)sessions_.touch(c.session->id, c.now);
  return route(c);
}

http::Response ConsoleApp::route(Context& c) {
  const std::string& path = c.req.path;
  const bool get = is_get(c.req);
  const bool post = c.req.method == "POST";

  if (path == web::kSignInPath) {
    if (get) {
      if (c.signed_in()) return with_headers(web::see_other(kHomePath), c.headers);
      return get_sign_in(c, false, false, "", 200);
    }
    if (post) return post_sign_in(c);
    return error(c, 405);
  }
  if (path == web::kSignOutPath) {
    if (post) return post_sign_out(c);
    return error(c, 405);
  }

  // Everything below needs a session.
  if (!c.signed_in()) {
    const bool known = path == kHomePath || path == web::kPasswordPath ||
                       (options_.manage_staff && (path.rfind("/staff/", 0) == 0 || path.rfind("/oplog/", 0) == 0 ||
                                                  path.rfind("/roles/", 0) == 0)) ||
                       (cards_ && path.rfind("/cards/", 0) == 0) ||
                       (masters_ && (path.rfind("/masters/", 0) == 0 || path.rfind("/notices/", 0) == 0)) ||
                       (bookings_ && path.rfind("/phone_bookings/", 0) == 0) ||
                       std::any_of(domain::all_menus().begin(), domain::all_menus().end(),
                                   [&](domain::Menu m) { return !domain::is_permission(m) && path == menu_path(m); });
    if (!known) return error(c, 404);
    // After an idle sign-out the sign-in page tells why; the query only selects a notice.
    if (c.idle_signed_out) return with_headers(web::see_other(kIdleSignInTarget), c.headers);
    return with_headers(web::see_other(web::kSignInPath), c.headers);
  }
  if (path == web::kPasswordPath) {
    if (get) return password_page(c, {}, 200);
    if (post) return post_password(c);
    return error(c, 405);
  }
  // ACC-4: after a reset (or when the password expired) the person may only change it.
  if (domain::password_change_required(*c.account, c.settings.password, c.wall_ms)) {
    return with_headers(web::see_other(web::kPasswordPath), c.headers);
  }
  if (path == kHomePath) {
    if (!get) return error(c, 405);
    return home(c);
  }
  if (options_.manage_staff && (path == menu_path(domain::Menu::staff) || path.rfind("/staff/", 0) == 0)) {
    if (!c.role || !domain::allowed(*c.role, domain::Menu::staff)) {
      log("menu.forbidden", c.account->id, "menu/staff", "");
      return error(c, 403);
    }
    return staff_route(c);
  }
  if (options_.manage_staff && (path == menu_path(domain::Menu::roles) || path.rfind("/roles/", 0) == 0)) {
    // 権限管理 (ACC-2): the roles menu alone decides, on every request (SEC-2).
    if (!c.role || !domain::allowed(*c.role, domain::Menu::roles)) {
      log("menu.forbidden", c.account->id, "menu/roles", "");
      return error(c, 403);
    }
    return roles_route(c);
  }
  if (cards_ && (path == menu_path(domain::Menu::cards) || path.rfind("/cards/", 0) == 0)) {
    // 交付管理 (ISS): the cards menu decides, on every request (SEC-2).
    if (!c.role || !domain::allowed(*c.role, domain::Menu::cards)) {
      log("menu.forbidden", c.account->id, "menu/cards", "");
      return error(c, 403);
    }
    if (path.rfind("/cards/import", 0) == 0 || path.rfind("/cards/ledger", 0) == 0 ||
        path.rfind("/cards/renewal", 0) == 0) {
      return card_import_route(c);
    }
    return cards_route(c);
  }
  if (masters_ && (path == menu_path(domain::Menu::masters) || path.rfind("/masters/", 0) == 0 ||
                   path == menu_path(domain::Menu::notices) || path.rfind("/notices/", 0) == 0)) {
    // マスタ管理 and お知らせ (MST, RSV-3, RSV-15): each menu decides, on every request (SEC-2).
    const domain::Menu needed = path.rfind("/masters", 0) == 0 ? domain::Menu::masters : domain::Menu::notices;
    if (!c.role || !domain::allowed(*c.role, needed)) {
      log("menu.forbidden", c.account->id, "menu/" + std::string(domain::menu_id(needed)), "");
      return error(c, 403);
    }
    return needed == domain::Menu::masters ? masters_route(c) : notices_route(c);
  }
  if (bookings_ && path == menu_path(domain::Menu::bookings)) {
    // 予約管理: every booking (the site's and the phone's) is searched, changed and cancelled on
    // the 電話予約 screens, one list for both; a role with both menus is taken there.
    if (!c.role || !domain::allowed(*c.role, domain::Menu::bookings)) {
      log("menu.forbidden", c.account->id, "menu/bookings", "");
      return error(c, 403);
    }
    if (!get) return error(c, 405);
    if (domain::allowed(*c.role, domain::Menu::phone_bookings)) {
      return with_headers(web::see_other(menu_path(domain::Menu::phone_bookings)), c.headers);
    }
    return menu_page(c, domain::Menu::bookings);
  }
  if (bookings_ && (path == menu_path(domain::Menu::phone_bookings) || path.rfind("/phone_bookings/", 0) == 0)) {
    // 電話予約 (PHN): the phone_bookings menu decides, on every request (SEC-2).
    if (!c.role || !domain::allowed(*c.role, domain::Menu::phone_bookings)) {
      log("menu.forbidden", c.account->id, "menu/phone_bookings", "");
      return error(c, 403);
    }
    return phone_bookings_route(c);
  }
  if (options_.manage_staff && (path == "/oplog" || path.rfind("/oplog/", 0) == 0 || path == "/settings")) {
    // The administrators' screens of the hub console. /oplog stays the person's own log for a
    // role without 職員管理; its export and verification are for administrators only.
    const bool settings = path == "/settings";
    const domain::Menu needed = settings ? domain::Menu::settings : domain::Menu::oplog;
    const bool admin = c.role && domain::allowed(*c.role, domain::Menu::staff);
    if (!c.role || !domain::allowed(*c.role, needed) || (path.rfind("/oplog/", 0) == 0 && !admin)) {
      log("menu.forbidden", c.account->id, "menu/" + std::string(domain::menu_id(needed)), "");
      return error(c, 403);
    }
    if (settings) {
      if (get) return settings_form(c, {}, {}, 200, false);
      if (post) return post_settings(c);
      return error(c, 405);
    }
    if (!get) return error(c, 405);
    if (path == "/oplog") return admin ? oplog_all(c) : oplog_page(c);
    if (path == "/oplog/export") return oplog_export(c);
    if (path == "/oplog/verify") return oplog_verify(c);
    return error(c, 404);
  }
  for (domain::Menu m : domain::all_menus()) {
    if (m == domain::Menu::home || domain::is_permission(m) || path != menu_path(m)) continue;
    if (!c.role || !domain::allowed(*c.role, m)) {
      // SEC-2: enforced here, whatever the navigation showed. Logged: it is a sign of probing.
      log("menu.forbidden", c.account->id, "menu/" + std::string(domain::menu_id(m)), "");
      return error(c, 403);
    }
    if (!get) return error(c, 405);
    return menu_page(c, m);
  }
  return error(c, 404);
}

http::Response ConsoleApp::get_sign_in(Context& c, bool failed, bool throttled, std::string login_id, int status) {
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

http::Response ConsoleApp::post_sign_in(Context& c) {
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
  if (!guard_.check(id, client, c.now)) {
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
  if (domain::needs_rehash(account->password_hash, options_.fast_hashes_for_tests)) {
    // An old cost: upgrade now that the password is known (password.h). Best effort.
    if (auto h = domain::hash_password(password, options_.fast_hashes_for_tests); h) {
      account->password_hash = *h;
      (void)store_.save_staff(*account);
    }
  }
  // No fixation: whatever session the browser had is dropped and a new one made.
  if (c.session) sessions_.destroy(c.session->id);
  web::Session s = sessions_.create(id, client, c.now);
  auto cookie = web::set_cookie(web::kSessionCookie, s.id, options_.tls);
  if (!cookie) return error(c, 500);
  log("sign_in", id, "staff/" + id, "");
  c.headers.clear();
  c.headers.emplace_back("Set-Cookie", *cookie);
  c.headers.emplace_back("Set-Cookie", web::clear_cookie(web::kSignInCookie, options_.tls));
  const bool change = domain::password_change_required(*account, c.settings.password, c.wall_ms);
  return with_headers(web::see_other(change ? web::kPasswordPath : kHomePath), c.headers);
}

http::Response ConsoleApp::post_sign_out(Context& c) {
  if (c.session) {
    sessions_.destroy(c.session->id);
    log("sign_out", c.session->staff_id, "", "");
    c.headers.emplace_back("Set-Cookie", web::clear_cookie(web::kSessionCookie, options_.tls));
  }
  return with_headers(web::see_other(web::kSignInPath), c.headers);
}

http::Response ConsoleApp::password_page(Context& c, const std::vector<web::FieldError>& errors, int status) {
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

http::Response ConsoleApp::post_password(Context& c) {
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
  domain::StaffAccount updated = account;
  if (errors.empty()) {
    auto s = domain::set_password(updated, c.settings.password, next, c.wall_ms, false, options_.fast_hashes_for_tests);
    if (!s) {
      if (s.error().code != Errc::invalid_argument) return error(c, 500);
      // The rules were checked above, so what is left is the history rule.
      errors.push_back({"new_password", "以前に使ったパスワードは使えません。"});
    }
  }
  if (!errors.empty()) {
    log("password.change_failure", account.id, "staff/" + account.id, current_ok ? "rules not met" : "wrong current password");
    return password_page(c, errors, 422);
  }
  if (!store_.save_staff(updated)) return error(c, 503);
  guard_.record_success(account.id, client);
  // Signed out everywhere else (a leaked session dies with the old password), in again here.
  sessions_.destroy_all_for(account.id);
  web::Session s = sessions_.create(account.id, client, c.now);
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

http::Response ConsoleApp::home(Context& c) {
  auto ctx = web::layout_context(layout(c, "ホーム", domain::Menu::home));
  if (!ctx) return error(c, 500);
  const bool any = c.role && !domain::visible_menus(*c.role).empty();
  ctx->insert_or_assign("message", c.account->name + "さん、ようこそ。" +
                                       (any ? std::string("メニューから業務を選んでください。")
                                            : std::string("使えるメニューがありません。管理者にお問い合わせください。")));
  return with_headers(web::page(templates_, 200, "message", *ctx), c.headers);
}

http::Response ConsoleApp::menu_page(Context& c, domain::Menu m) {
  if (m == domain::Menu::oplog) return oplog_page(c);
  auto ctx = web::layout_context(layout(c, std::string(domain::menu_label(m)), m));
  if (!ctx) return error(c, 500);
  ctx->insert_or_assign("message", m == domain::Menu::staff
                                       ? std::string("職員の追加・変更・CSVの取り込みは、本庁の管理コンソール（ハブ）で行います。")
                                       : "「" + std::string(domain::menu_label(m)) + "」の画面は準備中です。");
  ctx->insert_or_assign("next_url", std::string(kHomePath));
  ctx->insert_or_assign("next_label", std::string("ホームへ戻る"));
  return with_headers(web::page(templates_, 200, "message", *ctx), c.headers);
}

http::Response ConsoleApp::oplog_page(Context& c) {
  auto entries = store_.recent_oplog(c.account->id, options_.oplog_page_entries);
  if (!entries) return error(c, 503);
  mstch::array rows;
  for (const domain::OpLogEntry& e : *entries) {
    rows.emplace_back(mstch::map{{"time", jst_time(e.at_ms)},
                                 {"action", action_label(e.action)},
                                 {"target", e.target},
                                 {"device", e.device}});
  }
  const bool has_entries = !rows.empty();
  std::string content;
  try {
    content = mstch::render(kOplogContent, mstch::map{{"staff_id", c.account->id},
                                                      {"limit", std::to_string(options_.oplog_page_entries)},
                                                      {"has_entries", has_entries},
                                                      {"entries", std::move(rows)}});
  } catch (...) {
    return error(c, 500);
  }
  auto ctx = web::layout_context(layout(c, std::string(domain::menu_label(domain::Menu::oplog)), domain::Menu::oplog));
  if (!ctx) return error(c, 500);
  ctx->insert_or_assign("message", std::string(kContentMarker));
  auto rendered = templates_.render("message", *ctx);
  if (!rendered) return error(c, 500);
  std::string body = splice_content(*rendered, content);
  if (body.empty()) return error(c, 500);
  return with_headers(web::html(200, std::move(body)), c.headers);
}

}  // namespace madoguchi::console::app
