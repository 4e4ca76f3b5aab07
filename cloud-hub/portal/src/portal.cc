// The citizen booking site (RSV-1..RSV-15). See include/madoguchi/portal/portal.h for the pages
// and docs/bookings.md ("The citizen site") for the design.
#include "madoguchi/portal/portal.h"

#include <sodium.h>

#include <algorithm>
#include <cassert>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

#include <mstch/mstch.hpp>

#include "assets.h"
#include "templates.h"
#include "madoguchi/console/web/cookies.h"
#include "madoguchi/console/web/session.h"
#include "madoguchi/text/form.h"
#include "text.h"

namespace madoguchi::portal {

using domain::ApplicationKind;
using domain::Booking;
using domain::BookingActor;
using domain::BookingPerson;
using domain::Business;
using domain::LocalDateTime;
using TimePoint = std::chrono::steady_clock::time_point;

namespace {

constexpr std::string_view kVisitCookie = "madoguchi_portal";
constexpr std::string_view kCsp =
    "default-src 'self'; script-src 'none'; object-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
constexpr int kBookingSteps = 5;
constexpr std::size_t kMaxNameChars = 64;
constexpr std::size_t kMaxInputBytes = 256;  // any single text field

// The one message of a failed identity check: never says which part did not match (RSV-5).
constexpr std::string_view kIdentityFailed =
    "はがきの番号と生年月日（月日）の組み合わせを確認できませんでした。通知はがきをご確認のうえ、もう一度入力してください。";
constexpr std::string_view kSignInFailed =
    "受付番号またはパスワードが正しくありません。メールでお知らせした受付番号とパスワードを入力してください。";

BookingActor resident() { return BookingActor{}; }

std::string business_description(Business b) {
  switch (b) {
    case Business::collection:
      return "交付通知書（はがき）が届いた方が、カードを受け取りに来る日時を予約します。はがきの番号と生年月日が必要です。";
    case Business::application:
      return "カードの新規申請・更新・再交付などの手続きに来る日時を予約します。";
    case Business::cert_renewal:
      return "カードに入っている電子証明書の更新に来る日時を予約します。";
  }
  return {};
}

std::string business_title(Business b) {
  switch (b) {
    case Business::collection: return "カードの受け取り（交付）";
    case Business::application: return "カードの申請";
    case Business::cert_renewal: return "電子証明書の更新";
  }
  return {};
}

std::string kind_label(ApplicationKind k) {
  switch (k) {
    case ApplicationKind::new_issue: return "新規申請";
    case ApplicationKind::renewal: return "カード更新";
    case ApplicationKind::reissue: return "再交付";
    case ApplicationKind::other: return "その他";
  }
  return {};
}

std::string kind_id(ApplicationKind k) {
  switch (k) {
    case ApplicationKind::new_issue: return "new";
    case ApplicationKind::renewal: return "renewal";
    case ApplicationKind::reissue: return "reissue";
    case ApplicationKind::other: return "other";
  }
  return {};
}

constexpr ApplicationKind kKinds[] = {ApplicationKind::new_issue, ApplicationKind::renewal, ApplicationKind::reissue,
                                      ApplicationKind::other};
constexpr Business kBusinesses[] = {Business::collection, Business::application, Business::cert_renewal};

std::string business_slug(Business b) {
  switch (b) {
    case Business::collection: return "collection";
    case Business::application: return "application";
    case Business::cert_renewal: return "cert_renewal";
  }
  return {};
}

std::optional<Business> business_from_slug(std::string_view s) {
  for (Business b : kBusinesses) {
    if (business_slug(b) == s) return b;
  }
  return std::nullopt;
}

// "<counter>:<YYYY-MM-DDTHH:MM>" (slots.h); local so that the site does not depend on more of the
// domain than it needs.
std::optional<std::pair<std::string, LocalDateTime>> split_slot_key(std::string_view key) {
  const auto colon = key.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  auto start = domain::parse_date_time(key.substr(colon + 1));
  if (!start) return std::nullopt;
  return std::make_pair(std::string(key.substr(0, colon)), *start);
}

std::string hex(const unsigned char* p, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kHex[p[i] >> 4]);
    out.push_back(kHex[p[i] & 15]);
  }
  return out;
}

bool same_token(std::string_view a, std::string_view b) {
  return a.size() == b.size() && !a.empty() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

struct PersonEntry {
  std::string postcard;  // as folded (collection); shown on the confirmation page
  BookingPerson person;  // manufacture_no (collection, never shown) or name_kana
};

// What the resident has entered so far (server-side, in the visit).
struct Draft {
  bool change = false;      // moving an existing booking (RSV-12) instead of making one
  std::string receipt;      // change only
  Business business = Business::collection;
  std::optional<ApplicationKind> kind;
  std::vector<PersonEntry> people;
  std::string counter;
  std::string counter_name;
  std::string slot;
  std::string slot_error;   // the slot was taken while confirming: shown on the slot page
  std::string email;
  std::string phone;
  std::optional<bool> proxy;
  bool contact_done = false;
  std::string nonce;        // the confirmation form's; a second submission finds the booking made
  std::string made_receipt;
  std::string made_password;  // cleared once shown
  std::string made_email;
};

struct Visit {
  // Held while a request of this visit runs (Impl::handle): a visit's requests run one at a time,
  // whichever threads their connections are on.
  std::mutex busy;
  std::string key;  // keyed hash of the cookie value
  std::string csrf;
  TimePoint last_seen{};
  std::optional<Draft> draft;
  std::string receipt;  // booking signed in (lookup), empty = none
  std::string flash;    // one message for the next detail page
};

struct FieldSpec {
  std::string id{};
  std::string label{};
  std::string value{};
  std::string hint{};
  std::string type = "text";
  std::size_t maxlength = 64;
  std::string autocomplete{};
  std::string inputmode{};
  bool narrow = false;
  bool required = true;
  std::string extra_describedby{};  // e.g. the person's error
};

}  // namespace

std::vector<HelpSection> default_help() {
  return {
      {"予約の流れ",
       "1. トップページで用件（カードの受け取り、申請、電子証明書の更新）を選びます。\n"
       "2. 来庁する方の情報を入力します。カードの受け取りでは、交付通知書（はがき）に書かれた番号と生年月日（月日）で、ご本人のカードか確認します。\n"
       "3. 窓口と日時を選びます。「残り2」は、あと2人分の空きがあるという意味です。「満員」「受付終了」の時間は選べません。\n"
       "4. メールアドレスなどを入力し、確認画面で内容を確かめてから「予約する」を押します。\n"
       "5. 受付番号とパスワードが表示され、同じ内容がメールで届きます。"},
      {"ご家族の分をまとめて予約するには",
       "最初の画面で人数（6人まで）を選ぶと、人数分の入力欄が表示されます。カードの受け取りでは、一人ずつ、その方のはがきの番号と生年月日を入力してください。"},
      {"予約の確認・変更・取消",
       "トップページの「予約を確認する」から、受付番号とパスワードを入力すると、予約の内容と履歴が見られます。印刷用の画面もあります。\n"
       "日時の変更と取消は、窓口ごとに決められた受付期限までできます。期限を過ぎた後は、お電話でご連絡ください。"},
      {"画面の使い方",
       "文字の大きさは、ブラウザの拡大機能で変えられます。キーボードだけでも操作できます。入力に誤りがあるときは、画面の上にまとめて表示し、それぞれの入力欄のそばにも表示します。"},
  };
}

std::vector<FaqEntry> default_faq() {
  return {
      {"はがきの番号を入力しても確認できません。",
       "はがきに印刷された番号（英数字3文字と数字6桁）と、カードを受け取る方の生年月日（月と日）を入力してください。全角でも半角でも入力できます。何度も間違えると、しばらく確認できなくなります。その場合は時間をおいてから、またはお電話でお問い合わせください。"},
      {"受付番号やパスワードを忘れました。",
       "予約したときのメールに書かれています。メールが見つからない場合は、お電話でお問い合わせください。パスワードはこの画面で再表示できません。"},
      {"メールが届きません。",
       "迷惑メールのフォルダーをご確認ください。届かない場合も予約はできています。受付番号は予約完了の画面に表示されています。"},
      {"代理の人が行ってもいいですか。",
       "連絡先の画面で「代理の方が来庁する」を選んでください。代理の方の本人確認書類などが必要です。詳しくはお問い合わせください。"},
      {"予約の日時を過ぎてしまいました。",
       "もう一度予約し直してください。わからない場合はお電話でお問い合わせください。"},
  };
}

struct Portal::Impl {
  domain::BookingBackend& backend;
  const Clock& clock;
  PortalOptions opts;
  // Guards the visits and the rate limiters (never held while a page is made or the backend is
  // called).
  mutable std::mutex state;
  console::web::RateLimiter check_client, check_number, sign_in_client, sign_in_number, new_visits;
  std::list<std::shared_ptr<Visit>> lru;  // most recently used first
  std::unordered_map<std::string, std::list<std::shared_ptr<Visit>>::iterator> visits;
  // Parsed once; rendered with `base` (the site-wide keys) under each page's own context.
  const detail::CompiledTemplates templates{detail::templates()};
  std::string css_url;
  mstch::node base;

  Impl(domain::BookingBackend& b, const Clock& c, PortalOptions o)
      : backend(b),
        clock(c),
        opts(std::move(o)),
        check_client(opts.check_per_client),
        check_number(opts.check_per_number),
        sign_in_client(opts.sign_in_per_client),
        sign_in_number(opts.sign_in_per_number),
        new_visits(opts.visits_per_client) {
    assert(opts.secret.size() >= 32);
    assert(opts.max_visits >= 1);
    assert(opts.slot_page_days >= 1 && opts.slot_page_days <= 31);
    assert(opts.base_path.empty() || (opts.base_path[0] == '/' && opts.base_path.back() != '/'));
    if (sodium_init() < 0) std::abort();
    if (opts.help.empty()) opts.help = default_help();
    if (opts.faq.empty()) opts.faq = default_faq();
    unsigned char h[crypto_generichash_BYTES];
    const auto css = detail::style_sheet();
    crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(css.data()), css.size(), nullptr, 0);
    css_url = url("/static/portal.css") + "?v=" + hex(h, 8);
    base = base_context();
  }

  // ---- plumbing ----

  std::string url(std::string_view rel) const { return opts.base_path + std::string(rel); }

  std::string keyed(std::string_view purpose, std::string_view value) const {
    unsigned char out[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(opts.secret.data()), opts.secret.size());
    crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(purpose.data()), purpose.size());
    const unsigned char sep = 0;
    crypto_auth_hmacsha256_update(&st, &sep, 1);
    crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(value.data()), value.size());
    crypto_auth_hmacsha256_final(&st, out);
    return hex(out, sizeof out);
  }

  http::Response respond(int status, std::string body) const {
    http::Response r;
    r.status = status;
    r.content_type = "text/html; charset=utf-8";
    r.body = std::move(body);
    r.headers.emplace_back("Content-Security-Policy", std::string(kCsp));
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    r.headers.emplace_back("X-Frame-Options", "DENY");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    // Every page may carry personal data or a form token: nothing is stored by caches.
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }

  http::Response redirect(std::string_view rel) const {
    http::Response r;
    r.status = 303;
    r.content_type.clear();
    r.headers.emplace_back("Location", url(rel));
    r.headers.emplace_back("Cache-Control", "no-store");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    return r;
  }

  mstch::map base_context() const {
    return mstch::map{
        {"service_name", opts.service_name},
        {"municipality_name", opts.municipality_name},
        {"css_url", css_url},
        {"home_url", url("/")},
        {"help_url", url("/help")},
        {"faq_url", url("/faq")},
        {"lookup_url", url("/lookup")},
        {"contact_phone", opts.contact_phone},
        {"contact_hours", opts.contact_hours},
    };
  }

  // Renders `page` in the layout. heading: the h1; step: 1..5 in the booking flow (0 = none);
  // errors: [field id, message] for the summary at the top.
  http::Response render(int status, std::string_view page, std::string heading, mstch::map ctx, int step = 0,
                        const std::vector<std::pair<std::string, std::string>>& errors = {}) {
    assert(page != "layout" && templates.has(page));
    std::string title = heading;
    if (step > 0) {
      ctx["step"] = std::to_string(step);
      ctx["steps"] = std::to_string(kBookingSteps);
      title += "（手順" + std::to_string(step) + "/" + std::to_string(kBookingSteps) + "）";
    }
    if (!errors.empty()) {
      title = "エラー：" + title;
      mstch::array list;
      for (const auto& [field, message] : errors) list.emplace_back(mstch::map{{"field", field}, {"message", message}});
      ctx["has_errors"] = true;
      ctx["errors"] = std::move(list);
      ctx["error_count"] = std::to_string(errors.size());
    }
    ctx["heading"] = std::move(heading);
    ctx["page_title"] = std::move(title);
    const mstch::node page_context(std::move(ctx));
    try {
      return respond(status, templates.render("layout", {&base, &page_context}, page));
    } catch (const std::exception&) {
      return respond(500, "<!DOCTYPE html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>エラーが発生しました</title>"
                          "</head><body><main><h1>エラーが発生しました</h1></main></body></html>");
    }
  }

  http::Response message(int status, std::string heading, std::vector<std::string> paras,
                         std::string next_rel = "/", std::string next_label = "トップページへ戻る") {
    mstch::array ps;
    for (auto& p : paras) ps.emplace_back(std::move(p));
    mstch::map ctx{{"paragraphs", ps}, {"next_url", url(next_rel)}, {"next_label", std::move(next_label)}};
    auto r = render(status, "message", std::move(heading), std::move(ctx));
    if (status == 429) r.headers.emplace_back("Retry-After", "600");
    return r;
  }

  std::string phone_sentence() const {
    if (opts.contact_phone.empty()) return opts.municipality_name + "へお電話でお問い合わせください。";
    return opts.municipality_name + "（電話 " + opts.contact_phone +
           (opts.contact_hours.empty() ? "" : "、" + opts.contact_hours) + "）へお電話でお問い合わせください。";
  }

  http::Response not_found() {
    return message(404, "ページが見つかりません", {"お探しのページは見つかりませんでした。"});
  }
  http::Response unavailable() {
    return message(503, "ただいま利用できません",
                   {"ただいま予約の受付ができません。しばらく時間をおいてから、もう一度お試しください。", phone_sentence()});
  }
  http::Response too_many() {
    return message(429, "入力の回数が多すぎます",
                   {"短い時間に何度も確認が行われたため、しばらくの間、確認を受け付けません。",
                    "1時間ほどたってから、もう一度お試しください。お急ぎの場合は、" + phone_sentence()});
  }
  http::Response expired() {
    return message(403, "最初からやり直してください",
                   {"一定の時間操作がなかったか、画面の有効期限が切れたため、入力内容を確認できませんでした。",
                    "お手数ですが、トップページからもう一度やり直してください。"});
  }

  // ---- visits ----

  // A rate limiter's verdict (under `state`).
  bool allow(console::web::RateLimiter& limiter, const std::string& key, TimePoint now) {
    std::lock_guard lock(state);
    return limiter.allow(key, now);
  }

  std::shared_ptr<Visit> find_visit(const http::Request& req) {
    auto h = req.headers.find("cookie");
    if (h == req.headers.end()) return nullptr;
    auto c = console::web::find_cookie(h->second, console::web::cookie_name(kVisitCookie, opts.secure_cookies));
    if (!c || !c->has_value()) return nullptr;
    const std::string key = keyed("visit", **c);
    std::lock_guard lock(state);
    auto it = visits.find(key);
    if (it == visits.end()) return nullptr;
    const TimePoint now = clock.now();
    if (now - (*it->second)->last_seen >= opts.visit_idle_timeout) {
      lru.erase(it->second);
      visits.erase(it);
      return nullptr;
    }
    (*it->second)->last_seen = now;
    lru.splice(lru.begin(), lru, it->second);
    return *it->second;
  }

  // A new visit; the cookie to set goes to *set_cookie. nullptr when the client made too many.
  std::shared_ptr<Visit> new_visit(const http::Request& req, std::string* set_cookie) {
    const TimePoint now = clock.now();
    const std::string id = console::web::random_token();
    auto v = std::make_shared<Visit>();
    v->key = keyed("visit", id);
    v->csrf = keyed("csrf", id);
    v->last_seen = now;
    {
      std::lock_guard lock(state);
      if (!new_visits.allow("v:" + req.remote_address, now)) return nullptr;
      while (visits.size() >= opts.max_visits && !lru.empty()) {
        visits.erase(lru.back()->key);
        lru.pop_back();
      }
      lru.push_front(v);
      visits.emplace(v->key, lru.begin());
    }
    auto cookie = console::web::set_cookie(kVisitCookie, id, opts.secure_cookies);
    if (cookie) *set_cookie = *cookie;
    return v;
  }

  void drop_visit(const Visit* v) {
    std::lock_guard lock(state);
    auto it = visits.find(v->key);
    if (it == visits.end()) return;
    lru.erase(it->second);
    visits.erase(it);
  }

  // ---- pages ----

  http::Response handle(const http::Request& req) {
    std::string_view path = req.path;
    if (!opts.base_path.empty()) {
      if (!path.starts_with(opts.base_path)) return not_found();
      path.remove_prefix(opts.base_path.size());
    }
    if (path.empty()) path = "/";
    const bool get = req.method == "GET" || req.method == "HEAD";
    const bool post = req.method == "POST";
    if (!get && !post) {
      auto r = message(405, "この操作はできません", {"この操作は受け付けられません。"});
      r.headers.emplace_back("Allow", "GET, HEAD, POST");
      return r;
    }
    if (req.body.size() > opts.max_body_bytes) {
      return message(413, "送信内容が大きすぎます", {"送信できる大きさを超えています。"});
    }
    if (get) {
      if (path == "/") return top();
      if (path == "/help") return help();
      if (path == "/faq") return faq();
      if (path == "/static/portal.css") return css();
    }

    // Everything else needs a visit: found, or made for a GET of a form page.
    std::string set_cookie;
    std::shared_ptr<Visit> visit = find_visit(req);
    if (post && path == "/sign-out") {
      if (visit) drop_visit(visit.get());
      auto r = redirect("/");
      r.headers.emplace_back("Set-Cookie", console::web::clear_cookie(kVisitCookie, opts.secure_cookies));
      return r;
    }
    std::optional<text::Form> form;
    if (post) {
      if (!visit) return expired();
      auto parsed = text::parse_form(req.body);
      if (!parsed) return message(400, "送信内容を処理できませんでした", {"入力内容を確認して、もう一度お試しください。"});
      form = std::move(parsed).value();
      const auto tokens = form->all("csrf_token");
      if (tokens.size() != 1 || !same_token(tokens[0], visit->csrf)) return expired();  // csrf is set once, when the visit is made
      for (const auto& [name, value] : form->fields()) {
        if (value.size() > kMaxInputBytes || name.size() > 64) {
          return message(400, "送信内容を処理できませんでした", {"入力が長すぎます。入力内容を確認してください。"});
        }
      }
    } else if (!visit) {
      visit = new_visit(req, &set_cookie);
      if (!visit) return too_many();
    }
    std::lock_guard busy(visit->busy);
    auto r = route(req, path, *visit, form ? &*form : nullptr);
    if (!set_cookie.empty()) r.headers.emplace_back("Set-Cookie", set_cookie);
    return r;
  }

  http::Response route(const http::Request& req, std::string_view path, Visit& v, const text::Form* form) {
    if (path.starts_with("/book/")) {
      const std::string_view step = path.substr(6);
      if (step == "counter") return form ? post_counter(v, *form) : counter_page(v, {});
      if (step == "slot") return form ? post_slot(v, *form) : slot_page(v, req, "");
      if (step == "contact") return form ? post_contact(v, *form) : contact_page(v, {});
      if (step == "confirm") return form ? post_confirm(v, *form) : confirm_page(v);
      if (step == "done" && !form) return done_page(v);
      if (auto b = business_from_slug(step)) {
        return form ? post_step1(v, *b, req, *form) : step1_page(v, *b, req, {}, {}, std::nullopt);
      }
      return not_found();
    }
    if (path == "/lookup") return form ? post_lookup(v, req, *form) : lookup_page(v, {}, {});
    if (path == "/booking" && !form) return detail_page(v, false);
    if (path == "/booking/print" && !form) return detail_page(v, true);
    if (path == "/booking/change") return form ? post_change(v, *form) : change_page(v, {});
    if (path == "/booking/cancel") return form ? post_cancel(v) : cancel_page(v);
    return not_found();
  }

  http::Response css() const {
    http::Response r;
    r.status = 200;
    r.content_type = "text/css; charset=utf-8";
    r.body = std::string(detail::style_sheet());
    r.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
    return r;
  }

  // RSV-3, RSV-15
  mstch::map notices_context() {
    mstch::array maintenance, info;
    auto notices = backend.notices();
    if (notices) {
      const LocalDateTime now = backend.now();
      for (const auto& n : *notices) {
        // The backend gives the published ones; judged again here so that a late clock or a cached
        // list never shows a notice outside its window (RSV-3).
        if (!domain::notice_published(n, now)) continue;
        mstch::array ps;
        for (auto& p : detail::paragraphs(n.body)) ps.emplace_back(std::move(p));
        mstch::map m{{"id", keyed("notice", n.id).substr(0, 12)}, {"title", n.title}, {"paragraphs", ps}};
        if (n.kind == domain::NoticeKind::maintenance && n.maintenance_from && n.maintenance_until) {
          m["period"] = detail::japanese_date_time(*n.maintenance_from) + " から " +
                        detail::japanese_date_time(*n.maintenance_until) + " まで";
          maintenance.emplace_back(std::move(m));
        } else {
          m["date"] = detail::japanese_date(n.publish_from.date);
          info.emplace_back(std::move(m));
        }
      }
    }
    const bool has_info = !info.empty();
    return mstch::map{{"maintenance", maintenance}, {"info", info}, {"has_info", has_info}};
  }

  http::Response top() {
    mstch::map ctx = notices_context();
    mstch::array bs;
    for (Business b : kBusinesses) {
      bs.emplace_back(mstch::map{{"id", business_slug(b)},
                                 {"label", business_title(b)},
                                 {"description", business_description(b)},
                                 {"url", url("/book/" + business_slug(b))},
                                 {"button", business_title(b) + "の予約を始める"}});
    }
    ctx["businesses"] = bs;
    return render(200, "top", opts.service_name, std::move(ctx));
  }

  http::Response help() {
    mstch::array sections;
    int i = 0;
    for (const auto& s : opts.help) {
      mstch::array ps;
      for (auto& p : detail::paragraphs(s.body)) ps.emplace_back(std::move(p));
      sections.emplace_back(mstch::map{{"index", std::to_string(++i)}, {"heading", s.heading}, {"paragraphs", ps}});
    }
    return render(200, "help", "使い方（ヘルプ）", mstch::map{{"sections", sections}});
  }

  http::Response faq() {
    mstch::array entries;
    int i = 0;
    for (const auto& e : opts.faq) {
      mstch::array ps;
      for (auto& p : detail::paragraphs(e.answer)) ps.emplace_back(std::move(p));
      entries.emplace_back(mstch::map{{"index", std::to_string(++i)}, {"question", e.question}, {"paragraphs", ps}});
    }
    return render(200, "faq", "よくある質問", mstch::map{{"entries", entries}});
  }

  static mstch::map field(const FieldSpec& f, const std::map<std::string, std::string>& errors) {
    auto e = errors.find(f.id);
    const std::string error = e == errors.end() ? "" : e->second;
    std::string describedby;
    auto add = [&](const std::string& id) { describedby += (describedby.empty() ? "" : " ") + id; };
    if (!f.hint.empty()) add(f.id + "-hint");
    if (!error.empty()) add(f.id + "-error");
    if (!f.extra_describedby.empty()) add(f.extra_describedby);
    return mstch::map{{"id", f.id},
                      {"label", f.label},
                      {"value", f.value},
                      {"hint", f.hint},
                      {"error", error},
                      {"type", f.type},
                      {"maxlength", std::to_string(f.maxlength)},
                      {"autocomplete", f.autocomplete},
                      {"inputmode", f.inputmode},
                      {"narrow", f.narrow},
                      {"required", f.required},
                      {"describedby", describedby},
                      {"invalid", !error.empty() || !f.extra_describedby.empty()}};
  }

  // A radio group; options: [value, label]. Returns the context of the "radios" partial.
  static mstch::map radios(const std::string& id, const std::string& legend, const std::string& hint,
                           const std::vector<std::pair<std::string, std::string>>& options, const std::string& checked,
                           const std::map<std::string, std::string>& errors) {
    auto e = errors.find(id);
    const std::string error = e == errors.end() ? "" : e->second;
    mstch::array opts_array;
    int i = 0;
    for (const auto& [value, label] : options) {
      opts_array.emplace_back(mstch::map{{"oid", id + "_" + std::to_string(++i)},
                                         {"value", value},
                                         {"label", label},
                                         {"checked", !checked.empty() && checked == value}});
    }
    std::string describedby;
    if (!hint.empty()) describedby = id + "-hint";
    if (!error.empty()) describedby += (describedby.empty() ? "" : " ") + id + "-error";
    return mstch::map{{"id", id},         {"legend", legend}, {"hint", hint},
                      {"error", error},   {"options", opts_array}, {"describedby", describedby}};
  }

  // ---- step 1: who comes (RSV-5, RSV-6, RSV-7, RSV-11) ----

  int people_from_query(const http::Request& req, const Visit& v, Business b) const {
    auto it = req.query.find("people");
    if (it != req.query.end()) {
      if (auto n = detail::parse_small_int(it->second, 1, static_cast<int>(domain::kMaxBookingPeople))) return *n;
    }
    if (v.draft && !v.draft->change && v.draft->business == b && !v.draft->people.empty()) {
      return static_cast<int>(v.draft->people.size());
    }
    return 1;
  }

  http::Response step1_page(Visit& v, Business b, const http::Request& req,
                            const std::map<std::string, std::string>& errors, std::map<std::string, std::string> values,
                            std::optional<int> people_override, const std::vector<std::pair<std::string, std::string>>&
                                                                    error_list = {}) {
    const int people = people_override.value_or(people_from_query(req, v, b));
    if (values.empty() && v.draft && !v.draft->change && v.draft->business == b && v.draft->made_receipt.empty()) {
      for (std::size_t i = 0; i < v.draft->people.size(); ++i) {
        values["name_" + std::to_string(i + 1)] = v.draft->people[i].person.name_kana;
      }
      if (v.draft->kind) values["kind"] = kind_id(*v.draft->kind);
    }
    mstch::array options;
    for (int n = 1; n <= static_cast<int>(domain::kMaxBookingPeople); ++n) {
      options.emplace_back(mstch::map{{"value", std::to_string(n)}, {"selected", n == people}});
    }
    mstch::array persons;
    for (int i = 1; i <= people; ++i) {
      const std::string n = std::to_string(i);
      mstch::array fields;
      const std::string person_error_key = "person_" + n;
      auto pe = errors.find(person_error_key);
      const std::string person_error = pe == errors.end() ? "" : pe->second;
      const std::string extra = person_error.empty() ? "" : "person_" + n + "-error";
      if (b == Business::collection) {
        fields.emplace_back(field({.id = "postcard_" + n, .label = "はがきの番号", .value = values["postcard_" + n],
                                   .hint = "交付通知書（はがき）に印刷された、英数字3文字と数字6桁の番号（例：ABC123456）",
                                   .maxlength = 20, .autocomplete = "off", .extra_describedby = extra},
                                  errors));
        fields.emplace_back(field({.id = "month_" + n, .label = "生まれた月", .value = values["month_" + n],
                                   .hint = "1から12の数字", .maxlength = 2, .autocomplete = "off",
                                   .inputmode = "numeric", .narrow = true, .extra_describedby = extra},
                                  errors));
        fields.emplace_back(field({.id = "day_" + n, .label = "生まれた日", .value = values["day_" + n],
                                   .hint = "1から31の数字", .maxlength = 2, .autocomplete = "off",
                                   .inputmode = "numeric", .narrow = true, .extra_describedby = extra},
                                  errors));
      } else {
        fields.emplace_back(field({.id = "name_" + n, .label = "お名前（カタカナ）", .value = values["name_" + n],
                                   .hint = "例：ヤマダ　タロウ（ひらがなで入力してもカタカナに直します）",
                                   .maxlength = kMaxNameChars, .autocomplete = i == 1 ? "name" : "off"},
                                  errors));
      }
      persons.emplace_back(mstch::map{{"legend", std::to_string(i) + "人目"},
                                      {"fields", fields},
                                      {"person_error", person_error},
                                      {"index", n}});
    }
    mstch::map ctx{{"form_url", url("/book/" + business_slug(b))},
                   {"csrf_token", v.csrf},
                   {"people", std::to_string(people)},
                   {"people_options", options},
                   {"max_people", std::to_string(domain::kMaxBookingPeople)},
                   {"persons", persons}};
    if (b == Business::application) {
      std::vector<std::pair<std::string, std::string>> kinds;
      for (auto k : kKinds) kinds.emplace_back(kind_id(k), kind_label(k));
      ctx["kind"] = radios("kind", "申請の種類", "", kinds, values["kind"], errors);
    }
    std::string heading;
    switch (b) {
      case Business::collection:
        heading = "カードを受け取る方の確認";
        ctx["intro"] = std::string(
            "カードを受け取りに来る方、一人ずつについて、交付通知書（はがき）の番号と生年月日（月日）を入力してください。");
        break;
      case Business::application:
        heading = "申請の種類と来庁する方";
        ctx["intro"] = std::string("申請の種類を選び、手続きに来る方のお名前をカタカナで入力してください。");
        break;
      case Business::cert_renewal:
        heading = "電子証明書を更新する方";
        ctx["intro"] = std::string("電子証明書の更新に来る方のお名前をカタカナで入力してください。");
        break;
    }
    return render(error_list.empty() ? 200 : 400, "identity", heading, std::move(ctx), 1, error_list);
  }

  http::Response post_step1(Visit& v, Business b, const http::Request& req, const text::Form& form) {
    auto people = detail::parse_small_int(form.value("people"), 1, static_cast<int>(domain::kMaxBookingPeople));
    if (!people) return message(400, "送信内容を処理できませんでした", {"人数は1人から6人までです。"}, "/book/" + business_slug(b));
    std::map<std::string, std::string> errors, values;
    std::vector<std::pair<std::string, std::string>> list;
    auto fail = [&](const std::string& field_id, const std::string& anchor, const std::string& msg, const std::string& who) {
      errors.emplace(field_id, msg);
      list.emplace_back(anchor, who + msg);
    };
    Draft d;
    d.business = b;
    if (b == Business::application) {
      const std::string kind = form.value("kind");
      values["kind"] = kind;
      for (auto k : kKinds) {
        if (kind_id(k) == kind) d.kind = k;
      }
      if (!d.kind) fail("kind", "kind_1", "申請の種類を選んでください。", "");
    }
    for (int i = 1; i <= *people; ++i) {
      const std::string n = std::to_string(i);
      const std::string who = *people > 1 ? n + "人目：" : "";
      PersonEntry entry;
      if (b == Business::collection) {
        const std::string typed = form.value("postcard_" + n);
        values["postcard_" + n] = typed;
        values["month_" + n] = form.value("month_" + n);
        values["day_" + n] = form.value("day_" + n);
        const std::string postcard = domain::normalize_postcard_no(typed);
        const auto month = detail::parse_small_int(form.value("month_" + n), 1, 12);
        const auto day = detail::parse_small_int(form.value("day_" + n), 1, 31);
        bool ok = true;
        if (detail::trim(typed).empty()) {
          fail("postcard_" + n, "postcard_" + n, "はがきの番号を入力してください。", who);
          ok = false;
        } else if (postcard.empty()) {
          fail("postcard_" + n, "postcard_" + n, "はがきの番号は、英数字3文字と数字6桁で入力してください。", who);
          ok = false;
        }
        if (!month) {
          fail("month_" + n, "month_" + n, "生まれた月を1から12の数字で入力してください。", who);
          ok = false;
        }
        if (!day) {
          fail("day_" + n, "day_" + n, "生まれた日を1から31の数字で入力してください。", who);
          ok = false;
        }
        if (!ok) continue;
        // Guessing (RSV-5): every check costs a token per client and per postcard number.
        const TimePoint now = clock.now();
        const bool client_ok = allow(check_client, "c:" + req.remote_address, now);
        const bool number_ok = allow(check_number, keyed("postcard", postcard), now);
        if (!client_ok || !number_ok) return too_many();
        auto card = backend.card_by_postcard(postcard, *month, *day);
        if (!card) return unavailable();
        if (!card->has_value()) {
          fail("person_" + n, "postcard_" + n, std::string(kIdentityFailed), who);
          continue;
        }
        const std::string& mno = (*card)->manufacture_no;
        const bool repeated = std::any_of(d.people.begin(), d.people.end(),
                                          [&](const PersonEntry& p) { return p.person.manufacture_no == mno; });
        if (repeated) {
          fail("postcard_" + n, "postcard_" + n, "同じ方のはがきが2回入力されています。", who);
          continue;
        }
        entry.postcard = postcard;
        entry.person.manufacture_no = mno;
      } else {
        const std::string typed = form.value("name_" + n);
        values["name_" + n] = typed;
        auto kana = detail::normalize_kana(typed, kMaxNameChars);
        if (detail::trim(typed).empty()) {
          fail("name_" + n, "name_" + n, "お名前をカタカナで入力してください。", who);
          continue;
        }
        if (!kana) {
          fail("name_" + n, "name_" + n, "お名前はカタカナ（64文字まで）で入力してください。", who);
          continue;
        }
        entry.person.name_kana = *kana;
      }
      d.people.push_back(std::move(entry));
    }
    if (!list.empty()) {
      // The postcard numbers and birthdays are not put back into the form after a failed check:
      // the page must not become a way of reading them back from a shared screen.
      if (b == Business::collection) {
        for (int i = 1; i <= *people; ++i) {
          const std::string n = std::to_string(i);
          if (errors.count("person_" + n)) values["month_" + n] = values["day_" + n] = "";
        }
      }
      return step1_page(v, b, req, errors, values, *people, list);
    }
    v.draft = std::move(d);
    return redirect("/book/counter");
  }

  // ---- step 2: counter (RSV-8) ----

  bool draft_ready(const Visit& v) const { return v.draft && !v.draft->people.empty() && v.draft->made_receipt.empty(); }

  http::Response counter_page(Visit& v, const std::map<std::string, std::string>& errors) {
    if (!draft_ready(v)) return redirect("/");
    const Draft& d = *v.draft;
    auto counters = backend.counters(d.business, resident());
    if (!counters) return unavailable();
    std::vector<std::pair<std::string, std::string>> options;
    for (const auto& c : *counters) options.emplace_back(c.id, c.name);
    mstch::map ctx{{"form_url", url("/book/counter")},
                   {"csrf_token", v.csrf},
                   {"has_counters", !options.empty()},
                   {"back_url", d.change ? url("/booking") : url("/book/" + business_slug(d.business))},
                   {"choice", radios("counter", "来庁する窓口", "", options, d.counter, errors)}};
    std::vector<std::pair<std::string, std::string>> list;
    if (auto e = errors.find("counter"); e != errors.end()) list.emplace_back("counter_1", e->second);
    return render(list.empty() ? 200 : 400, "counter", "窓口を選ぶ", std::move(ctx), d.change ? 0 : 2, list);
  }

  http::Response post_counter(Visit& v, const text::Form& form) {
    if (!draft_ready(v)) return redirect("/");
    Draft& d = *v.draft;
    auto counters = backend.counters(d.business, resident());
    if (!counters) return unavailable();
    const std::string id = form.value("counter");
    for (const auto& c : *counters) {
      if (c.id == id) {
        if (d.counter != id) d.slot.clear();
        d.counter = c.id;
        d.counter_name = c.name;
        return redirect("/book/slot");
      }
    }
    return counter_page(v, {{"counter", "窓口を選んでください。"}});
  }

  // ---- step 3: slot ----

  int days_ahead_for(const Draft& d) {
    auto counters = backend.counters(d.business, resident());
    auto settings = backend.settings();
    int days = settings ? settings->booking_days_ahead : 60;
    if (counters) {
      for (const auto& c : *counters) {
        if (c.id == d.counter && c.days_ahead) days = *c.days_ahead;
      }
    }
    return std::clamp(days, 1, 365);
  }

  http::Response slot_page(Visit& v, const http::Request& req, const std::string& error_in) {
    if (!draft_ready(v) || v.draft->counter.empty()) return redirect("/");
    Draft& d = *v.draft;
    std::string error = error_in;
    if (error.empty() && !d.slot_error.empty()) error = std::exchange(d.slot_error, "");
    const calendar::Date today = backend.now().date;
    const int ahead = days_ahead_for(d);
    const calendar::Date last = calendar::add_days(today, ahead);
    calendar::Date from = today;
    if (auto it = req.query.find("from"); it != req.query.end()) {
      if (auto f = calendar::parse_iso(it->second); f && *f >= today && *f <= last) from = *f;
    }
    const int span = opts.slot_page_days;
    const calendar::Date to = calendar::add_days(from, span - 1);
    const int places = static_cast<int>(d.people.size());
    auto slots = backend.availability(d.counter, from, to, d.business, places, resident());
    if (!slots) return unavailable();
    std::string current_slot;
    if (d.change) {
      if (auto b = backend.get(d.receipt); b && b->has_value()) current_slot = (*b)->slot;
    }
    mstch::array days;
    days.reserve(static_cast<std::size_t>(span));
    bool any = false;
    int sid = 0;
    for (int i = 0; i < span; ++i) {
      const calendar::Date day = calendar::add_days(from, i);
      mstch::array list;
      list.reserve(static_cast<std::size_t>(std::count_if(
          slots->begin(), slots->end(), [&](const domain::SlotAvailability& s) { return s.slot.start.date == day; })));
      for (const auto& s : *slots) {
        if (s.slot.start.date != day) continue;
        std::string key = domain::slot_key(s.slot);
        const int left = s.slot.capacity - s.booked;
        std::string fill;
        bool bookable = s.bookable && key != current_slot;
        if (key == current_slot) {
          fill = "現在の予約";
        } else if (s.bookable) {
          fill = "残り" + std::to_string(left);
        } else if (left <= 0 || !s.slot.open || s.slot.capacity <= 0) {
          fill = left <= 0 && s.slot.open && s.slot.capacity > 0 ? "満員" : "受付なし";
        } else if (left < places) {
          fill = "残り" + std::to_string(left) + "（" + std::to_string(places) + "人分の空きなし）";
        } else {
          fill = "受付終了";
        }
        any = any || bookable;
        // The week's rows are most of the page: built by moving, not through initializer lists
        // (which copy every value). "sid", "key" and "checked" are used only inside the template's
        // {{#bookable}} section, so a row that cannot be chosen goes without them (fewer map
        // nodes and strings per row; the page's bytes are the same, and the ids still count every
        // row).
        ++sid;
        mstch::map row;
        if (bookable) {
          row.emplace("sid", std::to_string(sid));
          row.emplace("checked", key == d.slot);
          row.emplace("key", std::move(key));
        }
        row.emplace("time", detail::japanese_time(s.slot.start.minute) + "〜" +
                                detail::japanese_time(s.slot.start.minute + s.slot.minutes));
        row.emplace("fill", std::move(fill));
        row.emplace("bookable", bookable);
        list.emplace_back(std::move(row));
      }
      mstch::map day_ctx;
      day_ctx.emplace("date_id", calendar::format_iso(day));
      day_ctx.emplace("date_label", detail::japanese_date(day));
      day_ctx.emplace("has_slots", !list.empty());
      day_ctx.emplace("slots", std::move(list));
      days.emplace_back(std::move(day_ctx));
    }
    mstch::map ctx{{"form_url", url("/book/slot")},
                   {"csrf_token", v.csrf},
                   {"from", calendar::format_iso(from)},
                   {"counter_name", d.counter_name},
                   {"places", std::to_string(places)},
                   {"range", detail::japanese_date(from) + "から" + detail::japanese_date(to) + "まで"},
                   {"has_any", any},
                   {"error", error},
                   {"back_url", d.change ? url("/booking/change") : url("/book/counter")}};
    ctx.emplace("days", std::move(days));
    if (from > today) {
      const calendar::Date prev = std::max(today, calendar::add_days(from, -span));
      ctx["prev_url"] = url("/book/slot?from=" + calendar::format_iso(prev));
    }
    if (calendar::add_days(from, span) <= last) {
      ctx["next_url"] = url("/book/slot?from=" + calendar::format_iso(calendar::add_days(from, span)));
    }
    std::vector<std::pair<std::string, std::string>> errs;
    if (!error.empty()) errs.emplace_back("slot-error", error);
    return render(errs.empty() ? 200 : 400, "slot", "日時を選ぶ", std::move(ctx), d.change ? 0 : 3, errs);
  }

  http::Response post_slot(Visit& v, const text::Form& form) {
    if (!draft_ready(v) || v.draft->counter.empty()) return redirect("/");
    Draft& d = *v.draft;
    http::Request again;
    again.query.emplace("from", form.value("from"));
    const std::string key = form.value("slot");
    auto ref = split_slot_key(key);
    if (key.empty() || !ref || ref->first != d.counter) return slot_page(v, again, "日時を選んでください。");
    auto slots = backend.availability(d.counter, ref->second.date, ref->second.date, d.business,
                                      static_cast<int>(d.people.size()), resident());
    if (!slots) return unavailable();
    const auto it = std::find_if(slots->begin(), slots->end(),
                                 [&](const domain::SlotAvailability& s) { return domain::slot_key(s.slot) == key; });
    if (it == slots->end() || !it->bookable) {
      return slot_page(v, again, "選んだ日時は予約できなくなりました。別の日時を選んでください。");
    }
    d.slot = key;
    return redirect(d.change || d.contact_done ? "/book/confirm" : "/book/contact");
  }

  // ---- step 4: contact ----

  http::Response contact_page(Visit& v, const std::map<std::string, std::string>& errors,
                              std::map<std::string, std::string> values = {},
                              const std::vector<std::pair<std::string, std::string>>& list = {}) {
    if (!draft_ready(v) || v.draft->slot.empty() || v.draft->change) return redirect("/");
    const Draft& d = *v.draft;
    if (values.empty()) {
      values["email"] = values["email_confirm"] = d.email;
      values["phone"] = d.phone;
      if (d.proxy) values["proxy"] = *d.proxy ? "yes" : "no";
    }
    mstch::array fields;
    fields.emplace_back(field({.id = "email", .label = "メールアドレス", .value = values["email"],
                               .hint = "受付番号とパスワードをこのアドレスへお送りします。", .type = "email",
                               .maxlength = 254, .autocomplete = "email"},
                              errors));
    fields.emplace_back(field({.id = "email_confirm", .label = "メールアドレス（確認のため、もう一度）",
                               .value = values["email_confirm"], .type = "email", .maxlength = 254,
                               .autocomplete = "off"},
                              errors));
    fields.emplace_back(field({.id = "phone", .label = "電話番号", .value = values["phone"],
                               .hint = "連絡が必要なときに使います。数字とハイフンで入力してください（例：03-1234-5678）。",
                               .type = "tel", .maxlength = 20, .autocomplete = "tel", .required = false},
                              errors));
    mstch::map ctx{{"form_url", url("/book/contact")},
                   {"csrf_token", v.csrf},
                   {"fields", fields},
                   {"back_url", url("/book/slot")},
                   {"proxy", radios("proxy", "来庁する方", "",
                                    {{"no", "ご本人が来庁する"}, {"yes", "代理の方が来庁する"}}, values["proxy"], errors)}};
    return render(list.empty() ? 200 : 400, "contact", "連絡先を入力する", std::move(ctx), 4, list);
  }

  http::Response post_contact(Visit& v, const text::Form& form) {
    if (!draft_ready(v) || v.draft->slot.empty() || v.draft->change) return redirect("/");
    std::map<std::string, std::string> errors, values;
    std::vector<std::pair<std::string, std::string>> list;
    auto fail = [&](const std::string& f, const std::string& anchor, const std::string& m) {
      errors.emplace(f, m);
      list.emplace_back(anchor, m);
    };
    const std::string email = detail::trim(detail::fold_width(form.value("email")));
    const std::string confirm = detail::trim(detail::fold_width(form.value("email_confirm")));
    const std::string phone_typed = form.value("phone");
    const std::string proxy = form.value("proxy");
    values = {{"email", form.value("email")}, {"email_confirm", form.value("email_confirm")},
              {"phone", phone_typed}, {"proxy", proxy}};
    if (email.empty()) {
      fail("email", "email", "メールアドレスを入力してください。");
    } else if (!detail::plausible_email(email)) {
      fail("email", "email", "メールアドレスの形式が正しくありません（例：taro@example.jp）。");
    }
    if (confirm.empty()) {
      fail("email_confirm", "email_confirm", "確認のため、メールアドレスをもう一度入力してください。");
    } else if (confirm != email) {
      fail("email_confirm", "email_confirm", "1回目と2回目のメールアドレスが一致しません。");
    }
    std::optional<std::string> phone = std::string();
    if (!detail::trim(phone_typed).empty()) {
      phone = detail::normalize_phone(phone_typed);
      if (!phone) fail("phone", "phone", "電話番号は数字とハイフンで、20文字までで入力してください。");
    }
    if (proxy != "yes" && proxy != "no") fail("proxy", "proxy_1", "来庁する方を選んでください。");
    if (!list.empty()) return contact_page(v, errors, values, list);
    Draft& d = *v.draft;
    d.email = email;
    d.phone = *phone;
    d.proxy = proxy == "yes";
    d.contact_done = true;
    return redirect("/book/confirm");
  }

  // ---- step 5: confirmation and the booking (RSV-9, RSV-10) ----

  mstch::array draft_rows(const Draft& d) {
    mstch::array rows;
    auto row = [&](std::string label, std::string value) {
      rows.emplace_back(mstch::map{{"label", std::move(label)}, {"value", std::move(value)}});
    };
    row("用件", business_title(d.business) + (d.kind ? "（" + kind_label(*d.kind) + "）" : ""));
    row("人数", std::to_string(d.people.size()) + "人");
    for (std::size_t i = 0; i < d.people.size(); ++i) {
      const std::string who = std::to_string(i + 1) + "人目";
      if (d.business == Business::collection) {
        row(who, "はがきの番号 " + d.people[i].postcard + "（確認済み）");
      } else {
        row(who, d.people[i].person.name_kana);
      }
    }
    row("窓口", d.counter_name);
    if (auto ref = split_slot_key(d.slot)) row("日時", detail::japanese_date_time(ref->second));
    if (!d.change) {
      row("メールアドレス", d.email);
      row("電話番号", d.phone.empty() ? "（なし）" : d.phone);
      row("来庁する方", d.proxy.value_or(false) ? "代理の方" : "ご本人");
    }
    return rows;
  }

  http::Response confirm_page(Visit& v) {
    if (v.draft && !v.draft->made_receipt.empty()) return redirect("/book/done");
    if (!draft_ready(v) || v.draft->slot.empty() || (!v.draft->change && !v.draft->contact_done)) return redirect("/");
    Draft& d = *v.draft;
    if (d.nonce.empty()) d.nonce = console::web::random_token();
    mstch::array edits;
    auto edit = [&](std::string rel, std::string label) {
      edits.emplace_back(mstch::map{{"url", url(rel)}, {"label", std::move(label)}});
    };
    if (!d.change) {
      edit("/book/" + business_slug(d.business), "来庁する方を直す");
      edit("/book/counter", "窓口を直す");
      edit("/book/slot", "日時を直す");
      edit("/book/contact", "連絡先を直す");
    } else {
      edit("/book/slot", "日時を選び直す");
      edit("/booking", "変更をやめて予約内容へ戻る");
    }
    mstch::map ctx{{"form_url", url("/book/confirm")},
                   {"csrf_token", v.csrf},
                   {"draft_token", d.nonce},
                   {"rows", draft_rows(d)},
                   {"edit_links", edits},
                   {"intro", d.change ? std::string("次の日時に変更します。よろしければ「変更する」を押してください。")
                                      : std::string("まだ予約は完了していません。内容を確かめて「予約する」を押してください。")},
                   {"submit_label", d.change ? std::string("変更する") : std::string("予約する")}};
    return render(200, "confirm", d.change ? "変更内容の確認" : "入力内容の確認", std::move(ctx), d.change ? 0 : 5);
  }

  http::Response booking_refused(Visit& v, const Error& e) {
    if (e.code == Errc::capacity || e.code == Errc::forbidden || e.code == Errc::not_found) {
      Draft& d = *v.draft;
      d.slot.clear();
      d.nonce.clear();
      d.slot_error = e.code == Errc::capacity ? "選んだ日時は、ほかの予約で満員になりました。別の日時を選んでください。"
                                              : "選んだ日時は予約できなくなりました。別の日時を選んでください。";
      return redirect("/book/slot");
    }
    if (e.code == Errc::invalid_argument) {
      return message(400, "予約できませんでした", {"入力内容に受け付けられないものがありました。最初からやり直してください。", phone_sentence()});
    }
    return unavailable();
  }

  http::Response post_confirm(Visit& v, const text::Form& form) {
    if (!v.draft) return v.receipt.empty() ? redirect("/") : redirect("/booking");
    Draft& d = *v.draft;
    // A second submission of the same form (double click, reload, back button) finds the booking
    // already made and shows it: one booking per confirmation.
    if (!d.made_receipt.empty()) return redirect("/book/done");
    if (!draft_ready(v) || d.slot.empty() || (!d.change && !d.contact_done)) return redirect("/");
    if (d.nonce.empty() || !same_token(form.value("draft"), d.nonce)) return redirect("/book/confirm");
    if (d.change) {
      domain::BookingUpdate up;
      up.slot = d.slot;
      auto done = backend.update(d.receipt, up, resident());
      if (!done) return booking_refused(v, done.error());
      v.draft.reset();
      v.flash = "予約の日時を変更しました。変更の内容をメールでお送りしました。";
      return redirect("/booking");
    }
    domain::NewBooking nb;
    nb.business = d.business;
    nb.application_kind = d.kind;
    nb.slot = d.slot;
    for (const auto& p : d.people) nb.people.push_back(p.person);
    nb.proxy = d.proxy.value_or(false);
    nb.email = d.email;
    nb.phone = d.phone;
    auto made = backend.create(nb, resident());
    if (!made) return booking_refused(v, made.error());
    d.made_receipt = made->booking.receipt;
    d.made_password = made->password;
    d.made_email = made->booking.email;
    d.nonce.clear();
    return redirect("/book/done");
  }

  http::Response done_page(Visit& v) {
    if (!v.draft || v.draft->made_receipt.empty()) return redirect("/");
    Draft& d = *v.draft;
    mstch::map ctx{{"lead", std::string("予約が完了しました。")},
                   {"receipt", d.made_receipt},
                   {"password", d.made_password},
                   {"mail_note", d.made_email + " 宛てに、受付番号とパスワードを書いたメールをお送りしました。"},
                   {"rows", draft_rows(d)}};
    // Shown once (RSV-10): a reload or a later visit shows the receipt number only.
    sodium_memzero(d.made_password.data(), d.made_password.size());
    d.made_password.clear();
    return render(200, "done", "予約が完了しました", std::move(ctx));
  }

  // ---- lookup (RSV-10, RSV-12) ----

  http::Response lookup_page(Visit& v, const std::string& error, const std::string& receipt) {
    std::map<std::string, std::string> errors;
    std::vector<std::pair<std::string, std::string>> list;
    if (!error.empty()) {
      errors["receipt"] = error;
      list.emplace_back("receipt", error);
    }
    mstch::array fields;
    fields.emplace_back(field({.id = "receipt", .label = "受付番号", .value = receipt,
                               .hint = "予約したときのメールに書かれています（例：20261122-0001）。",
                               .maxlength = domain::kMaxReceiptBytes, .autocomplete = "off"},
                              errors));
    fields.emplace_back(field({.id = "password", .label = "パスワード", .value = "",
                               .hint = "英数字10文字。大文字でも小文字でも入力できます。", .type = "password",
                               .maxlength = 64, .autocomplete = "off",
                               .extra_describedby = error.empty() ? "" : "receipt-error"},
                              {}));
    mstch::map ctx{{"form_url", url("/lookup")}, {"csrf_token", v.csrf}, {"fields", fields}};
    return render(list.empty() ? 200 : 400, "lookup", "予約の確認・変更・取消", std::move(ctx), 0, list);
  }

  http::Response post_lookup(Visit& v, const http::Request& req, const text::Form& form) {
    const std::string receipt = detail::trim(detail::fold_width(form.value("receipt")));
    const std::string password = detail::trim(detail::fold_width(form.value("password")));
    if (receipt.empty() || password.empty() || receipt.size() > domain::kMaxReceiptBytes || password.size() > 64) {
      return lookup_page(v, "受付番号とパスワードを入力してください。", form.value("receipt"));
    }
    // Guessing (RSV-10): every attempt costs a token per client and per receipt number.
    const TimePoint now = clock.now();
    const bool client_ok = allow(sign_in_client, "c:" + req.remote_address, now);
    const bool number_ok = allow(sign_in_number, keyed("receipt", receipt), now);
    if (!client_ok || !number_ok) return too_many();
    auto booking = backend.get(receipt);
    if (!booking) return unavailable();
    if (!booking->has_value() || !domain::verify_booking_password(**booking, password)) {
      return lookup_page(v, std::string(kSignInFailed), form.value("receipt"));
    }
    // A new visit id on sign-in (no fixation); the old visit and its draft go.
    drop_visit(&v);
    std::string cookie;
    auto fresh = new_visit(req, &cookie);
    if (!fresh) return too_many();
    {
      std::lock_guard busy(fresh->busy);
      fresh->receipt = (*booking)->receipt;
    }
    auto r = redirect("/booking");
    r.headers.emplace_back("Set-Cookie", cookie);
    return r;
  }

  struct Loaded {
    Booking booking;
    std::optional<domain::Slot> slot;
    std::string counter_name;
    bool may_change = false;
  };

  // The signed-in booking with its slot (for the deadline). nullopt: not signed in / gone; the
  // Response is set when the backend failed.
  std::optional<Loaded> load(Visit& v, std::optional<http::Response>& failure) {
    if (v.receipt.empty()) return std::nullopt;
    auto b = backend.get(v.receipt);
    if (!b) {
      failure = unavailable();
      return std::nullopt;
    }
    if (!b->has_value()) return std::nullopt;
    Loaded l{**b, std::nullopt, "", false};
    l.counter_name = "窓口 " + l.booking.counter;
    if (auto cs = backend.counters(l.booking.business, resident())) {
      for (const auto& c : *cs) {
        if (c.id == l.booking.counter) l.counter_name = c.name;
      }
    }
    if (auto ref = split_slot_key(l.booking.slot)) {
      auto slots = backend.availability(l.booking.counter, ref->second.date, ref->second.date, l.booking.business,
                                        std::max(1, domain::booking_places(l.booking)), resident());
      if (slots) {
        for (const auto& s : *slots) {
          if (domain::slot_key(s.slot) == l.booking.slot) l.slot = s.slot;
        }
      }
    }
    l.may_change = !l.booking.cancelled && l.slot && domain::resident_may_change(*l.slot, backend.now());
    return l;
  }

  mstch::array booking_rows(const Loaded& l) {
    const Booking& b = l.booking;
    mstch::array rows;
    auto row = [&](std::string label, std::string value) {
      rows.emplace_back(mstch::map{{"label", std::move(label)}, {"value", std::move(value)}});
    };
    std::string status = "予約中";
    if (b.cancelled) {
      status = "取消済み";
    } else if (auto ref = split_slot_key(b.slot); ref && ref->second < backend.now()) {
      status = "来庁日時を過ぎています";
    }
    row("受付番号", b.receipt);
    row("状態", status);
    row("用件", business_title(b.business) + (b.application_kind ? "（" + kind_label(*b.application_kind) + "）" : ""));
    row("窓口", l.counter_name);
    if (auto ref = split_slot_key(b.slot)) row("日時", detail::japanese_date_time(ref->second));
    row("人数", std::to_string(b.people.size()) + "人");
    for (std::size_t i = 0; i < b.people.size(); ++i) {
      if (!b.people[i].name_kana.empty()) row(std::to_string(i + 1) + "人目", b.people[i].name_kana);
    }
    row("来庁する方", b.proxy ? "代理の方" : "ご本人");
    row("メールアドレス", b.email);
    if (!b.phone.empty()) row("電話番号", b.phone);
    if (l.slot && !b.cancelled) row("変更・取消の期限", detail::japanese_date_time(l.slot->deadline));
    return rows;
  }

  http::Response detail_page(Visit& v, bool print) {
    std::optional<http::Response> failure;
    auto l = load(v, failure);
    if (failure) return *failure;
    if (!l) return redirect("/lookup");
    mstch::array history;
    for (const auto& e : l->booking.history) {
      std::string action;
      if (e.action == "created") action = "予約";
      else if (e.action == "changed") action = "変更";
      else if (e.action == "cancelled") action = "取消";
      else if (e.action == "reminded") action = "お知らせメールの送信";
      else continue;  // staff notes stay with the staff
      std::string note = e.note;
      if (e.action == "created" || e.action == "changed") {
        if (auto ref = split_slot_key(e.slot); ref && note.empty()) note = detail::japanese_date_time(ref->second);
      }
      history.emplace_back(mstch::map{{"at", detail::japanese_date_time(domain::japan_local_time(e.at_ms))},
                                      {"action", action},
                                      {"note", note}});
    }
    mstch::map ctx{{"rows", booking_rows(*l)},
                   {"history", history},
                   {"print", print},
                   {"flash", print ? std::string() : std::exchange(v.flash, "")},
                   {"may_change", l->may_change},
                   {"deadline_passed", !l->booking.cancelled && !l->may_change},
                   {"print_url", url("/booking/print")},
                   {"detail_url", url("/booking")},
                   {"change_url", url("/booking/change")},
                   {"cancel_url", url("/booking/cancel")},
                   {"sign_out_url", url("/sign-out")},
                   {"csrf_token", v.csrf}};
    return render(200, "detail", print ? "予約内容（印刷用）" : "予約内容", std::move(ctx));
  }

  http::Response deadline_passed() {
    return message(403, "変更・取消の受付期限を過ぎています",
                   {"この予約は、インターネットでの変更・取消の受付期限を過ぎています。",
                    "変更・取消をご希望の場合は、" + phone_sentence()},
                   "/booking", "予約内容へ戻る");
  }

  http::Response change_page(Visit& v, const std::map<std::string, std::string>& errors) {
    std::optional<http::Response> failure;
    auto l = load(v, failure);
    if (failure) return *failure;
    if (!l) return redirect("/lookup");
    if (!l->may_change) return deadline_passed();
    Draft d;
    d.change = true;
    d.receipt = l->booking.receipt;
    d.business = l->booking.business;
    d.kind = l->booking.application_kind;
    for (const auto& p : l->booking.people) d.people.push_back(PersonEntry{"", p});
    d.counter = l->booking.counter;
    d.counter_name = l->counter_name;
    v.draft = std::move(d);
    auto r = counter_page(v, errors);
    return r;
  }

  http::Response post_change(Visit& v, const text::Form& form) {
    std::optional<http::Response> failure;
    auto l = load(v, failure);
    if (failure) return *failure;
    if (!l) return redirect("/lookup");
    if (!l->may_change) return deadline_passed();
    if (!v.draft || !v.draft->change || v.draft->receipt != l->booking.receipt) return redirect("/booking/change");
    return post_counter(v, form);
  }

  http::Response cancel_page(Visit& v) {
    std::optional<http::Response> failure;
    auto l = load(v, failure);
    if (failure) return *failure;
    if (!l) return redirect("/lookup");
    if (!l->may_change) return deadline_passed();
    mstch::array edits;
    edits.emplace_back(mstch::map{{"url", url("/booking")}, {"label", std::string("取り消さずに予約内容へ戻る")}});
    mstch::map ctx{{"form_url", url("/booking/cancel")},
                   {"csrf_token", v.csrf},
                   {"draft_token", std::string("cancel")},
                   {"rows", booking_rows(*l)},
                   {"edit_links", edits},
                   {"intro", std::string("次の予約を取り消します。取り消した予約は元に戻せません。よろしければ「予約を取り消す」を押してください。")},
                   {"submit_label", std::string("予約を取り消す")}};
    return render(200, "confirm", "予約の取消の確認", std::move(ctx));
  }

  http::Response post_cancel(Visit& v) {
    std::optional<http::Response> failure;
    auto l = load(v, failure);
    if (failure) return *failure;
    if (!l) return redirect("/lookup");
    if (l->booking.cancelled) return redirect("/booking");  // a second submission: already done
    if (!l->may_change) return deadline_passed();
    auto done = backend.cancel(l->booking.receipt, "", resident());
    if (!done) {
      if (done.error().code == Errc::forbidden) return deadline_passed();
      return unavailable();
    }
    v.draft.reset();
    v.flash = "予約を取り消しました。取消の内容をメールでお送りしました。";
    return redirect("/booking");
  }
};

Portal::Portal(domain::BookingBackend& backend, const Clock& clock, PortalOptions options)
    : impl_(std::make_unique<Impl>(backend, clock, std::move(options))) {}

Portal::~Portal() = default;

http::Response Portal::handle(const http::Request& request) {
  try {
    return impl_->handle(request);
  } catch (const std::exception&) {
    return impl_->message(500, "エラーが発生しました", {"処理中にエラーが発生しました。しばらくしてから、もう一度お試しください。"});
  }
}

std::size_t Portal::visit_count() const {
  std::lock_guard lock(impl_->state);
  return impl_->visits.size();
}

}  // namespace madoguchi::portal
