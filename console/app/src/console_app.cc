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
#include "internal.h"
#include "modules.h"

namespace madoguchi::console::app {
namespace {

using namespace std::chrono_literals;

// Where an idle session is sent: the sign-in page with the idle notice (ACC-4).
constexpr std::string_view kIdleSignInTarget = "/sign-in?signed_out=idle";

std::string header(const http::Request& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? std::string() : it->second;
}

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

std::string query_value(const http::Request& r, const std::string& name) {
  auto it = r.query.find(name);
  return it == r.query.end() ? std::string() : it->second;
}

std::string age_text(std::int64_t ms) {
  if (ms < 60'000) return "1分以内";
  if (ms < 3'600'000) return std::to_string(ms / 60'000) + "分前";
  if (ms < 172'800'000) return std::to_string(ms / 3'600'000) + "時間前";
  return std::to_string(ms / 86'400'000) + "日前";
}

std::string linkage_kind_label(std::string_view entity) {
  if (entity == "resident") return "住民記録";
  if (entity == "seal") return "印鑑登録";
  if (entity == "tax") return "税";
  return std::string(entity);
}

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
      {"gaiji.propose", "外字の候補登録"},
      {"gaiji.confirm", "外字の確認"},
      {"gaiji.import", "外字対照表の取り込み"},
      {"linkage.request", "連携データの再送依頼"},
      {"konbini.view", "コンビニ交付記録の閲覧"},
      {"konbini.export", "コンビニ交付記録の出力（CSV・Excel）"},
      {"konbini.stats_export", "交付統計の出力（CSV・Excel）"},
      {"konbini.flag_lookup", "コンビニ交付の停止（住民記録の確認）"},
      {"konbini.flag_set", "コンビニ交付の停止"},
      {"konbini.flag_clear", "コンビニ交付の停止の解除"},
      {"alarm.ack", "障害通知の確認"},
      {"alarm.ack_all", "障害通知の一括確認"},
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
std::int64_t day_start(const calendar::Date& d) {
  return static_cast<std::int64_t>(calendar::days_between({1970, 1, 1}, d)) * 86'400'000 - 9LL * 3'600'000;
}

calendar::Date jst_date(std::int64_t ms) { return calendar::local_time(ms, 9 * 60).date; }

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


Shell::Shell(ConsoleStore& store_in, const Clock& clock_in, ConsoleOptions options_in)
    : store(store_in), clock(clock_in), options(std::move(options_in)), sessions(options.sessions) {}

void Shell::log(std::string_view action, std::string_view staff_id, std::string_view target, std::string_view detail) {
  // A failing log write must not stop the console (staff must still be able to sign out); it is
  // counted so a status page can show it.
  if (!store.append_oplog(action, staff_id, target, detail, clock.wall_ms())) ++oplog_failures;
}

web::Layout Shell::layout(const Context& c, std::string title, std::optional<domain::Menu> current) const {
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
        if (!served_menus.count(m)) continue;
        l.menus.push_back({std::string(domain::menu_label(m)), menu_path(m), current == m});
      }
      if (alarms && domain::allowed(*c.role, domain::Menu::alarms)) {
        l.alarm_watch = true;
        if (auto n = alarms->counts(); n) {
          l.alarms_unacknowledged = n->unacknowledged;
          l.alarms_critical = n->critical > 0;
        }
      }
    }
  }
  return l;
}

http::Response Shell::error(Context& c, int status) {
  auto ctx = web::layout_context(layout(c, "", std::nullopt));
  return with_headers(web::error_page(templates, status, ctx ? *ctx : mstch::map{}), c.headers);
}

http::Response Shell::content_page(Context& c, const std::string& title, std::optional<domain::Menu> current,
                                   const std::string& template_name, mstch::map content, int status) {
  auto ctx = web::layout_context(layout(c, title, current));
  if (!ctx) return error(c, 500);
  for (auto& [k, v] : content) ctx->insert_or_assign(k, std::move(v));
  return with_headers(web::page(templates, status, template_name, *ctx), c.headers);
}

http::Response Shell::see_other(Context& c, const std::string& target) const {
  return with_headers(web::see_other(target), c.headers);
}

void RouteTable::add(Route route) {
  for (const Route& r : routes_) {
    if (r.path == route.path && r.methods == route.methods) return;
  }
  routes_.push_back(std::move(route));
}

RouteTable::Match RouteTable::find(std::string_view path, std::string_view method) const {
  Match m;
  const bool get = method == "GET" || method == "HEAD";
  const bool post = method == "POST";
  for (const Route& r : routes_) {
    if (r.path != path) continue;
    m.path_known = true;
    if (!m.any_method) m.any_method = &r;
    const bool fits = r.methods == Route::Methods::get_or_post ? (get || post)
                      : r.methods == Route::Methods::get        ? get
                                                                : post;
    if (fits) {
      m.route = &r;
      m.any_method = &r;
      return m;
    }
  }
  return m;
}

bool RouteTable::has_path(std::string_view path) const {
  return std::any_of(routes_.begin(), routes_.end(), [&](const Route& r) { return r.path == path; });
}

ConsoleApp::ConsoleApp(ConsoleStore& store, const Clock& clock, ConsoleOptions options)
    : shell_(std::make_unique<Shell>(store, clock, std::move(options))) {
  modules_.push_back(make_sign_in_pages(*shell_));
  modules_.push_back(make_home_pages(*shell_));
  modules_.push_back(make_oplog_pages(*shell_));
  if (shell_->options.manage_staff) {
    modules_.push_back(make_staff_pages(*shell_));
    modules_.push_back(make_role_pages(*shell_));
    modules_.push_back(make_settings_pages(*shell_));
  }
  rebuild_routes();
}

ConsoleApp::~ConsoleApp() = default;

std::size_t ConsoleApp::sessions() const { return shell_->sessions.size(); }

std::uint64_t ConsoleApp::oplog_failures() const { return shell_->oplog_failures; }

void ConsoleApp::attach_masters(MasterStore& masters) {
  masters_ = make_master_pages(*shell_, masters);
  notices_ = make_notice_pages(*shell_, masters);
  rebuild_routes();
}

void ConsoleApp::attach_bookings(domain::BookingBackend& bookings, BookingSyncState* sync) {
  bookings_ = make_booking_pages(*shell_, bookings, sync);
  rebuild_routes();
}

void ConsoleApp::attach_linkage(LinkageView& linkage) {
  shell_->linkage = &linkage;
  linkage_ = make_linkage_pages(*shell_, linkage);
  rebuild_routes();
}

void ConsoleApp::attach_gaiji(GaijiView& gaiji) {
  gaiji_ = make_gaiji_pages(*shell_, gaiji);
  rebuild_routes();
}

void ConsoleApp::attach_sync(SyncView& sync) {
  shell_->sync = &sync;
  sync_ = make_sync_pages(*shell_, sync);
  rebuild_routes();
}

void ConsoleApp::attach_konbini(KonbiniRecords& records, TableWriterFactory excel, KonbiniFlags* flags) {
  shell_->konbini = &records;
  kiosk_log_ = make_kiosk_log_pages(*shell_, records, std::move(excel), flags != nullptr);
  kiosk_flags_ = flags ? make_kiosk_flag_pages(*shell_, *flags) : nullptr;
  rebuild_routes();
}

void ConsoleApp::attach_alarms(AlarmBoard& board) {
  shell_->alarms = &board;
  alarms_ = make_alarm_pages(*shell_, board);
  rebuild_routes();
}

void ConsoleApp::attach_cards(CardStore& cards, CardServices services) {
  card_services_ = std::move(services);
  cards_ = make_card_pages(*shell_, cards, card_services_);
  card_imports_ = make_card_import_pages(*shell_, cards, card_services_);
  rebuild_routes();
}

void ConsoleApp::rebuild_routes() {
  routes_ = std::make_unique<RouteTable>();
  for (auto& m : modules_) m->add_routes(*routes_);
  for (PageModule* m : {cards_.get(), card_imports_.get(), masters_.get(), notices_.get(), bookings_.get(), linkage_.get(), gaiji_.get(), sync_.get(), kiosk_log_.get(), kiosk_flags_.get(), alarms_.get()}) {
    if (m) m->add_routes(*routes_);
  }
  shell_->served_menus.clear();
  for (domain::Menu m : domain::all_menus()) {
    if (m == domain::Menu::home || (!domain::is_permission(m) && routes_->has_path(menu_path(m)))) shell_->served_menus.insert(m);
  }
  add_menu_fallbacks(*shell_, *routes_);
}

namespace {

// The session the browser presents, checked against its account (ACC-4, ACC-5). Returns the page
// to answer with when the store fails.
std::optional<int> read_session(Shell& shell, Context& c) {
  const bool tls = shell.options.tls;
  auto sid = web::find_cookie(header(c.req, "cookie"), web::cookie_name(web::kSessionCookie, tls));
  if (!sid) return 400;
  if (!*sid) return std::nullopt;
  // Looked up with the longest lifetime as idle bound, so that an idle session is still found
  // here and its sign-out can be logged with the person's id; the Settings' idle timeout is
  // applied just below.
  auto found = shell.sessions.find(**sid, c.req.remote_address, c.now,
                                   std::chrono::duration_cast<std::chrono::seconds>(shell.options.sessions.max_lifetime));
  if (found) {
    web::Session s = **found;
    auto account = shell.store.staff(s.staff_id);
    if (!account) return 503;
    if (c.now - s.last_seen >= c.settings.session_idle) {
      shell.sessions.destroy(s.id);
      shell.log("sign_out.idle", s.staff_id, "", "");
      c.session_ended = true;
      c.idle_signed_out = true;
    } else if (!*account || !(*account)->enabled) {
      shell.sessions.destroy(s.id);
      shell.log("sign_out.account_disabled", s.staff_id, "staff/" + s.staff_id, "");
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
  if (c.session_ended) c.headers.emplace_back("Set-Cookie", web::clear_cookie(web::kSessionCookie, tls));
  return std::nullopt;
}

// Decodes a POST's body into c.form (and c.parts for an upload the route takes), then checks the
// CSRF token. Returns the status to refuse with.
std::optional<int> read_form(Context& c, const Route* route) {
  const std::string type = header(c.req, "content-type");
  if (route && route->upload_bytes > 0 && multipart_type(type)) {
    // Only here is a body parsed as multipart; its text parts become the form the CSRF check reads.
    text::MultipartLimits limits;
    limits.max_bytes = route->upload_bytes + 64 * 1024;
    limits.max_parts = 8;
    auto parts = text::parse_multipart(type, c.req.body, limits);
    if (!parts) return parts.error().code == Errc::too_large ? 413 : 400;
    std::vector<std::pair<std::string, std::string>> fields;
    for (const text::Part& p : *parts) {
      if (p.filename) continue;
      if (p.data.size() > text::kMaxFormBytes || !text::valid_utf8(p.data) || p.data.find('\0') != std::string_view::npos) {
        return 400;
      }
      fields.emplace_back(p.name, std::string(p.data));
    }
    c.form = text::Form(std::move(fields));
    c.parts = std::move(*parts);
  } else {
    auto form = text::parse_form(c.req.body);
    if (!form) return 400;
    c.form = std::move(*form);
  }
  // The sign-in form has its own double-submit token (checked by its handler).
  if (c.session && c.req.path != web::kSignInPath && !web::check_csrf(*c.session, *c.form)) return 403;
  return std::nullopt;
}

}  // namespace

http::Response ConsoleApp::handle(const http::Request& request) {
  if (request.path == web::kStaticCssPath || request.path == web::kStaticJsPath) {
    if (request.method != "GET" && request.method != "HEAD") return http::Response::text(405, "method not allowed");
    return request.path == web::kStaticCssPath ? web::static_css() : web::static_js();
  }
  Shell& shell = *shell_;
  Context c{request, shell.clock.now(), shell.clock.wall_ms(), {}, {}, {}, {}, nullptr, false, false, {}, {}, {}};
  if (auto s = shell.store.settings(); s) c.settings = std::move(*s);
  auto roles = shell.store.roles();
  if (!roles) return shell.error(c, 503);
  c.roles = domain::effective_roles(std::move(*roles));
  if (auto refused = read_session(shell, c)) return shell.error(c, *refused);

  const RouteTable::Match match = routes_->find(request.path, request.method);
  if (web::requires_csrf(request.method)) {
    if (auto refused = read_form(c, match.route)) return shell.error(c, *refused);
  }
  const Route* route = match.any_method;
  if (!route) return shell.error(c, 404);
  if (route->access != Route::Access::anyone) {
    if (!c.signed_in()) {
      // After an idle sign-out the sign-in page tells why; the query only selects a notice.
      return shell.see_other(c, std::string(c.idle_signed_out ? kIdleSignInTarget : web::kSignInPath));
    }
    // The idle timeout counts activity; a page's poll is not activity (ACC-4).
    if (!(route->poll_is_idle && request.query.count("poll") > 0)) (void)shell.sessions.touch(c.session->id, c.now);
    // ACC-4: after a reset (or when the password expired) the person may only change it.
    if (route->access != Route::Access::password_change &&
        domain::password_change_required(*c.account, c.settings.password, c.wall_ms)) {
      return shell.see_other(c, std::string(web::kPasswordPath));
    }
    for (domain::Menu m : route->menus) {
      if (!c.role || !domain::allowed(*c.role, m)) {
        // SEC-2: enforced here, whatever the navigation showed. Logged: it is a sign of probing.
        shell.log("menu.forbidden", c.account->id, "menu/" + std::string(domain::menu_id(route->menus.front())), "");
        return shell.error(c, 403);
      }
    }
  }
  if (!match.route) return shell.error(c, 405);
  return match.route->handler(c);
}

}  // namespace madoguchi::console::app
