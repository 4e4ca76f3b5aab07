// 電話予約 (PHN-1 to PHN-6, EDGE-5): staff book visits on behalf of residents over a BookingBackend
// (the hub's authoritative service, or a counter PC's replica that works offline).
//
//   GET  /phone_bookings?receipt=&manufacture_no=&counter=&from=&to=&cancelled=1&page=N
//                                   search (PHN-6); at a counter PC also the bookings the hub refused
//   GET  /phone_bookings/new?business=&kind=&places=&counter=&week=&slot=&ovd=1&ovc=1&redo=
//                                   the new booking, one step at a time by what the query has:
//                                   business and places → counter (PHN-4) → slot of a week (PHN-5)
//                                   → people and contact (PHN-2, PHN-3, PHN-6)
//   POST /phone_bookings/new        action=confirm (checks, confirmation page), edit (back to the
//                                   form), create (makes it; 303 to done)
//   GET  /phone_bookings/done?id=   receipt number and password, shown once
//   GET  /phone_bookings/view?receipt=   a booking: state, people, history, sync state (EDGE-5)
//   GET/POST /phone_bookings/edit?receipt=   proxy, phone, e-mail, hand-over note
//   GET  /phone_bookings/move?receipt=&counter=&week=, POST /phone_bookings/move   another slot
//   GET/POST /phone_bookings/cancel?receipt=  (confirm=1)
//   POST /phone_bookings/handled    a refusal was dealt with (receipt)
// Every change is written to the operation log with "booking/<receipt>" as target and only the
// slot and override flags as detail: never a name, card number, phone number or e-mail (SYS-3).
#include <algorithm>
#include <variant>

#include <mstch/mstch.hpp>

#include "madoguchi/console/web/page.h"
#include "madoguchi/console/web/session.h"
#include "internal.h"
#include "modules.h"

namespace madoguchi::console::app {
namespace {

constexpr std::size_t kMaxParam = 600;
constexpr std::size_t kListRows = 50;
constexpr std::size_t kRefusalsShown = 20;
constexpr std::size_t kMaxMadeKept = 64;
constexpr auto kMadeTtl = std::chrono::minutes(30);

// A parameter of the request: the form's on POST, else the query's.
std::string param(const http::Request& r, const std::optional<text::Form>& form, const std::string& name) {
  if (r.method == "POST" && form) return form->value(name).substr(0, kMaxParam);
  auto it = r.query.find(name);
  return it == r.query.end() ? std::string() : it->second.substr(0, kMaxParam);
}

bool receipt_like(std::string_view s) {
  if (s.empty() || s.size() > domain::kMaxReceiptBytes) return false;
  return std::all_of(s.begin(), s.end(), [](char ch) {
    return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '-' || ch == '_';
  });
}

std::string upper_ascii(std::string s) {
  for (char& ch : s) {
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
  }
  return s;
}

std::string trim_spaces(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

bool manufacture_no_like(std::string_view s) {
  return s.size() == 16 && std::all_of(s.begin(), s.end(), [](char ch) {
           return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z');
         });
}

// Full-width katakana (U+30A1-U+30FA, ー U+30FC, ・ U+30FB) with spaces (ASCII and U+3000) between.
bool katakana_name(std::string_view s) {
  bool any = false;
  for (std::size_t i = 0; i < s.size();) {
    const auto c0 = static_cast<unsigned char>(s[i]);
    if (c0 == ' ') {
      ++i;
      continue;
    }
    if (c0 != 0xE3 || i + 3 > s.size()) return false;
    const unsigned cp = ((c0 & 0x0Fu) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6) |
                        (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
    if (cp == 0x3000) {
      i += 3;
      continue;
    }
    if (cp < 0x30A1 || cp > 0x30FC) return false;
    any = true;
    i += 3;
  }
  return any;
}

std::size_t chars(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char ch) { return (static_cast<unsigned char>(ch) & 0xC0) != 0x80; }));
}

bool phone_like(std::string_view s) {
  return !s.empty() && s.size() <= 20 &&
         std::all_of(s.begin(), s.end(), [](char ch) { return (ch >= '0' && ch <= '9') || ch == '-' || ch == '+'; });
}

bool email_like(std::string_view s) {
  const auto at = s.find('@');
  if (s.size() > 254 || at == std::string_view::npos || at == 0 || at + 1 >= s.size()) return false;
  return std::all_of(s.begin(), s.end(), [](char ch) { return ch > 0x20 && ch < 0x7F; });
}

std::string weekday_ja(const calendar::Date& d) {
  static const char* kDays[] = {"日", "月", "火", "水", "木", "金", "土"};
  return kDays[static_cast<int>(calendar::weekday_of(d))];
}

std::string date_ja(const calendar::Date& d) {
  return calendar::format_iso(d) + "（" + weekday_ja(d) + "）";
}

std::string slot_text(const domain::Slot& s) {
  return date_ja(s.start.date) + " " + domain::format_minute(s.start.minute) + "〜" +
         domain::format_minute(std::min(s.start.minute + s.minutes, domain::kMinutesPerDay));
}

std::string slot_key_text(std::string_view key) {
  auto ref = domain::parse_slot_key(key);
  if (!ref) return std::string(key);
  return date_ja(ref->start.date) + " " + domain::format_minute(ref->start.minute);
}

std::string business_text(const domain::Booking& b) {
  std::string s(domain::business_label(b.business));
  if (b.application_kind) s += "（" + std::string(domain::application_kind_label(*b.application_kind)) + "）";
  return s;
}

std::string action_text(std::string_view action) {
  if (action == "created") return "予約";
  if (action == "changed") return "変更";
  if (action == "cancelled") return "取消";
  if (action == "reminded") return "前日のお知らせ";
  if (action == "note") return "内容の変更";
  return std::string(action);
}

std::string by_text(std::string_view by) {
  if (by == "web") return "本人（予約サイト）";
  if (by == "hub") return "システム";
  if (by.rfind("staff:", 0) == 0) return "職員 " + std::string(by.substr(6));
  return std::string(by);
}

// EDGE-5: what a refusal by the hub means, and what to do about it.
std::string refusal_text(std::string_view code) {
  if (code == "capacity") return "満員のため受け付けられませんでした。";
  if (code == "forbidden") return "受付期限を過ぎていたか、枠の受付が停止されていたため受け付けられませんでした。";
  if (code == "conflict") return "本庁（ハブ）で先に別の変更がされていたため受け付けられませんでした。";
  if (code == "not_found") return "予約枠がなくなっていたため受け付けられませんでした。";
  if (code == "invalid_argument" || code == "malformed") return "内容に誤りがあったため受け付けられませんでした。";
  return "本庁（ハブ）で受け付けられませんでした（" + std::string(code) + "）。";
}

std::string refusal_todo(bool created) {
  return created ? "この予約は成立していません。お客様に電話で連絡し、別の枠を選んで予約し直してください。"
                 : "この変更は反映されていません。予約は本庁の内容（下記）のままです。お客様に電話で連絡し、"
                   "別の枠を選ぶなど、改めて対応してください。";
}

// Japanese text for an error of the backend, placed at the field it is about.
web::FieldError backend_error(const Error& e) {
  const std::string& m = e.message;
  auto has = [&](const char* part) { return m.find(part) != std::string::npos; };
  switch (e.code) {
    case Errc::capacity:
      return {"slot", "この枠は満員です。別の枠を選んでください（権限があれば「定員を超えて予約する」を選べます）。"};
    case Errc::not_found: return {"slot", "この枠はありません（削除された可能性があります）。別の枠を選んでください。"};
    case Errc::forbidden:
      if (has("override") || has("permission")) return {"slot", "受付期限後・定員超過の予約をする権限がありません。"};
      if (has("deadline")) {
        return {"slot", "この枠は受付期限を過ぎています。別の枠を選んでください（権限があれば「受付期限後でも予約する」を選べます）。"};
      }
      if (has("closed")) return {"slot", "この枠は受付を停止しています。別の枠を選んでください。"};
      if (has("cancelled")) return {"slot", "取り消された予約は変更できません。"};
      if (has("validity")) return {"slot", "この枠は窓口の有効期間の外です。別の枠を選んでください。"};
      if (has("business")) return {"slot", "この窓口はこの業務を扱っていません。"};
      return {"slot", "この操作はできません。"};
    case Errc::invalid_argument:
      if (m.rfind("people", 0) == 0) return {"people_1", "来庁する人の入力内容を確認してください。"};
      if (m.rfind("email", 0) == 0) return {"email", "メールアドレスの形式が正しくありません。"};
      if (m.rfind("phone", 0) == 0) return {"phone", "電話番号は半角数字とハイフンで20文字以内で入力してください。"};
      if (m.rfind("note", 0) == 0) return {"note", "申し送りは500文字以内で入力してください。"};
      if (m.rfind("receipt_number_rule", 0) == 0) {
        return {"slot", "受付番号の付け方（システム設定）がこの端末では使えません。管理者に連絡してください。"};
      }
      return {"slot", "入力内容を確認してください。"};
    default: return {"slot", "予約を保存できませんでした。しばらくしてからもう一度お試しください。"};
  }
}

// The new booking's choices so far, carried from step to step in the query or hidden fields.
struct Wizard {
  std::string business, kind, places, counter, week, slot, redo;
  bool ovd = false, ovc = false;
};

Wizard read_wizard(const http::Request& r, const std::optional<text::Form>& f) {
  Wizard w;
  w.business = param(r, f, "business");
  w.kind = param(r, f, "kind");
  w.places = param(r, f, "places");
  w.counter = param(r, f, "counter");
  w.week = param(r, f, "week");
  w.slot = param(r, f, "slot");
  w.redo = param(r, f, "redo");
  w.ovd = param(r, f, "ovd") == "1";
  w.ovc = param(r, f, "ovc") == "1";
  return w;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

// name/value pairs of the wizard up to (and without) `upto` ("counter", "week", "slot", "all").
Pairs carry_pairs(const Wizard& w, std::string_view upto) {
  Pairs out;
  auto add = [&](const char* k, const std::string& v) {
    if (!v.empty()) out.emplace_back(k, v);
  };
  add("business", w.business);
  add("kind", w.kind);
  add("places", w.places);
  add("redo", w.redo);
  if (upto == "counter") return out;
  add("counter", w.counter);
  if (upto == "week") return out;
  add("week", w.week);
  if (upto == "slot") return out;
  add("slot", w.slot);
  if (w.ovd) add("ovd", "1");
  if (w.ovc) add("ovc", "1");
  return out;
}

// The pairs as hidden fields (name, value).
mstch::array carry(const Wizard& w, std::string_view upto) {
  mstch::array out;
  for (auto& [k, v] : carry_pairs(w, upto)) out.push_back(mstch::map{{"name", k}, {"value", v}});
  return out;
}

// The pairs as a query string.
std::string carry_query(const Wizard& w, std::string_view upto) {
  std::string q;
  for (const auto& [k, v] : carry_pairs(w, upto)) {
    if (!q.empty()) q += '&';
    q += k + "=" + percent_encode(v);
  }
  return q;
}

enum class SlotProblem { none, full, deadline, closed };
SlotProblem problem_of(const domain::SlotAvailability& a) {
  if (a.bookable) return SlotProblem::none;
  if (a.reason.find("full") != std::string::npos) return SlotProblem::full;
  if (a.reason.find("deadline") != std::string::npos) return SlotProblem::deadline;
  return SlotProblem::closed;
}

// The week shown by the slot chooser: ?week= (any day of it), else today; Monday first.
calendar::Date week_start(const std::string& week, const domain::LocalDateTime& now) {
  calendar::Date d = now.date;
  if (auto p = calendar::parse_iso(week)) d = *p;
  const int wd = static_cast<int>(calendar::weekday_of(d));  // 0 = Sunday
  return calendar::add_days(d, -((wd + 6) % 7));
}

// The slot chooser's days and slots (phone_booking_slots: days[] with slots[]).
mstch::array slot_days(const std::vector<domain::SlotAvailability>& avail, const std::string& selected, bool may_override) {
  mstch::array days;
  std::optional<calendar::Date> day;
  mstch::array slots;
  auto flush = [&]() {
    if (day) days.push_back(mstch::map{{"date", date_ja(*day)}, {"slots", std::move(slots)}});
    slots = mstch::array{};
  };
  for (const auto& a : avail) {
    if (!day || *day != a.slot.start.date) {
      flush();
      day = a.slot.start.date;
    }
    const SlotProblem p = problem_of(a);
    std::string state = "空きあり";
    if (p == SlotProblem::full) state = "満員";
    if (p == SlotProblem::deadline) state = "受付期限切れ";
    if (p == SlotProblem::closed) state = "受付停止";
    const bool selectable = p == SlotProblem::none || (may_override && (p == SlotProblem::full || p == SlotProblem::deadline));
    const std::string key = domain::slot_key(a.slot);
    std::string id = "slot-" + key;
    for (char& ch : id) {
      if (ch == ':') ch = '-';
    }
    slots.push_back(mstch::map{{"key", key},
                               {"id", id},
                               {"time", domain::format_minute(a.slot.start.minute) + "〜" +
                                            domain::format_minute(std::min(a.slot.start.minute + a.slot.minutes, domain::kMinutesPerDay))},
                               {"fill", std::to_string(a.booked) + "/" + std::to_string(a.slot.capacity)},
                               {"state", state},
                               {"full", p == SlotProblem::full},
                               {"selectable", selectable},
                               {"needs_override", p != SlotProblem::none},
                               {"checked", key == selected},
                               {"note", a.slot.note}});
  }
  flush();
  return days;
}

class BookingPages final : public PageModule {
 public:
  BookingPages(Shell& shell, domain::BookingBackend& bookings, BookingSyncState* sync_state)
      : PageModule(shell), bookings_(bookings), sync(sync_state) {}

  void add_routes(RouteTable& routes) override {
    // 電話予約 (PHN): the phone_bookings menu decides, on every request (SEC-2).
    const std::vector<domain::Menu> menu{domain::Menu::phone_bookings};
    auto add = [&](Route::Methods methods, std::string path, http::Response (Call::*handler)()) {
      routes.add(call_route(this, methods, std::move(path), handler, menu));
    };
    add(Route::Methods::get, "/phone_bookings", &Call::search);
    add(Route::Methods::get_or_post, "/phone_bookings/new", &Call::create_booking);
    add(Route::Methods::get, "/phone_bookings/done", &Call::done);
    add(Route::Methods::get, "/phone_bookings/view", &Call::view);
    add(Route::Methods::post, "/phone_bookings/handled", &Call::handled);
    add(Route::Methods::get_or_post, "/phone_bookings/edit", &Call::edit);
    add(Route::Methods::get_or_post, "/phone_bookings/move", &Call::move);
    add(Route::Methods::get_or_post, "/phone_bookings/cancel", &Call::cancel);
    // 予約管理: every booking (the site's and the phone's) is searched, changed and cancelled on
    // the 電話予約 screens, one list for both; a role with both menus is taken there.
    routes.add(route(Route::Methods::get, menu_path(domain::Menu::bookings), &BookingPages::bookings_menu, this,
                     {domain::Menu::bookings}));
  }

 private:
  // A booking just made, waiting for its one showing on /phone_bookings/done (redirect after
  // POST): the password exists in clear only here, for the person who made it, until shown or
  // expired. Keyed by a random token.
  struct Made {
    std::string session_id;
    web::TimePoint expires;
    std::string receipt;
    std::string password;
  };
  struct Person {
    std::string value;  // manufacture number (collection) or name in katakana
    std::string card_name;
  };
  // A new booking's state through its steps (create_booking).
  struct Flow {
    Wizard w;
    std::optional<domain::Business> business;
    std::optional<domain::ApplicationKind> kind;
    int places = 0;
    std::optional<domain::Booking> redo;  // booking again after the hub refused this one
    domain::CounterMaster counter;
    domain::SlotAvailability chosen;
    SlotProblem problem = SlotProblem::none;
    bool collection = false;
    std::vector<Person> people;
    bool proxy = false;
    std::string phone, email, note;
  };

  // One request to the 電話予約 screens: who asks, and the helpers every handler uses.
  struct Call : PageCall {
    Call(BookingPages& pages_in, Context& ctx)
        : PageCall(pages_in, ctx),
          st(pages_in),
          bookings_(&pages_in.bookings_),
          may_override(ctx.role && domain::allowed(*ctx.role, domain::Menu::booking_override)),  // PHN-5
          actor{domain::BookingActor::Kind::staff, ctx.account->id, may_override} {}

    BookingPages& st;
    domain::BookingBackend* bookings_;
    const std::string title{domain::menu_label(domain::Menu::phone_bookings)};
    const bool may_override;
    const domain::BookingActor actor;

    std::string p(const std::string& name) const { return param(c.req, c.form, name); }
    http::Response page(const std::string& heading, const std::string& tmpl, mstch::map content, int status) {
      content.insert_or_assign("may_override", may_override);
      return content_page(c, heading, domain::Menu::phone_bookings, tmpl, std::move(content), status);
    }
    http::Response message(const std::string& text, int status) {
      return page(title, "message",
                  mstch::map{{"message", text},
                             {"next_url", std::string("/phone_bookings")},
                             {"next_label", std::string("電話予約の検索へ戻る")}},
                  status);
    }
    http::Response to_view(const std::string& receipt, std::string_view done) {
      return with_headers(web::see_other("/phone_bookings/view?receipt=" + percent_encode(receipt) + "&done=" +
                                         std::string(done)),
                          c.headers);
    }
    // Counter names for display (every counter a staff member can book, of any business).
    std::map<std::string, std::string> counter_names() {
      std::map<std::string, std::string> names;
      for (domain::Business b : domain::all_businesses()) {
        if (auto cs = bookings_->counters(b, actor)) {
          for (const auto& m : *cs) names[m.id] = m.name;
        }
      }
      return names;
    }
    static std::string counter_text(const std::map<std::string, std::string>& names, const std::string& id) {
      auto it = names.find(id);
      return it == names.end() ? id : it->second + "（" + id + "）";
    }
    std::optional<BookingSync> sync_of(const std::string& receipt) {
      if (!st.sync) return std::nullopt;
      auto s = st.sync->sync_state(receipt);
      if (!s) return std::nullopt;
      return std::move(*s);
    }
    // The booking named by ?receipt= (GET) or the form's receipt (POST), or the page to answer with.
    std::variant<domain::Booking, http::Response> find() {
      const std::string receipt = p("receipt");
      if (!receipt_like(receipt)) return error(c, 404);
      auto b = bookings_->get(receipt);
      if (!b) return error(c, 503);
      if (!*b) return error(c, 404);
      return std::move(**b);
    }

    http::Response search();          // GET /phone_bookings (PHN-6)
    http::Response create_booking();  // /phone_bookings/new (PHN-1 to PHN-5)
    http::Response done();
    http::Response view();
    http::Response handled();
    http::Response edit();
    http::Response move();
    http::Response cancel();

   private:
    http::Response business_page(const Flow& f, bool kind_ok);
    http::Response counter_page(const Flow& f, const std::vector<domain::CounterMaster>& counters);
    http::Response slot_page(const Flow& f, const std::vector<web::FieldError>& errors, int status);
    std::optional<http::Response> choose_slot(Flow& f);
    void read_people(Flow& f);
    static std::string business_label(const Flow& f);
    static mstch::map flow_content(const Flow& f, mstch::array people);
    http::Response form_page(const Flow& f, const std::vector<web::FieldError>& errors, int status);
    std::optional<http::Response> check_people(Flow& f, std::vector<web::FieldError>& errors);
    static domain::NewBooking booking_request(const Flow& f);
    http::Response confirm_page(const Flow& f, const domain::NewBooking& req);
    http::Response make(const Flow& f, const domain::NewBooking& req);
  };

  http::Response bookings_menu(Context& c) {
    if (domain::allowed(*c.role, domain::Menu::phone_bookings)) {
      return shell_.see_other(c, menu_path(domain::Menu::phone_bookings));
    }
    return content_page(c, std::string(domain::menu_label(domain::Menu::bookings)), domain::Menu::bookings, "message",
                        mstch::map{{"message", std::string("予約の検索・変更・取消は「電話予約」の画面で行います。"
                                                           "「電話予約」の権限を管理者に依頼してください。")},
                                   {"next_url", std::string(kHomePath)},
                                   {"next_label", std::string("ホームへ戻る")}},
                        200);
  }

  domain::BookingBackend& bookings_;
  BookingSyncState* sync = nullptr;  // a counter PC's: where its own booking writes stand (EDGE-5)
  std::map<std::string, Made> made;
};

// ---- search (PHN-6) ----
http::Response BookingPages::Call::search() {
  domain::BookingQuery q;
  std::vector<web::FieldError> errors;
  q.receipt = trim_spaces(p("receipt"));
  q.manufacture_no = upper_ascii(trim_spaces(p("manufacture_no")));
  q.counter = p("counter");
  q.include_cancelled = p("cancelled") == "1";
  const std::string from = p("from"), to = p("to");
  if (!q.receipt.empty() && !receipt_like(q.receipt)) {
    errors.push_back({"receipt", "受付番号は半角英数字とハイフンで入力してください。"});
  }
  if (!q.manufacture_no.empty() && !manufacture_no_like(q.manufacture_no)) {
    errors.push_back({"manufacture_no", "製造番号は半角英数字16文字で入力してください。"});
  }
  if (!from.empty()) {
    q.from = calendar::parse_iso(from);
    if (!q.from) errors.push_back({"from", "予約日（から）は実在する日付を入力してください。"});
  }
  if (!to.empty()) {
    q.to = calendar::parse_iso(to);
    if (!q.to) errors.push_back({"to", "予約日（まで）は実在する日付を入力してください。"});
  }
  std::size_t page_no = 1;
  if (auto n = parse_decimal12(p("page")); n && *n >= 1 && *n <= 10000) page_no = static_cast<std::size_t>(*n);
  const auto names = counter_names();
  mstch::array counters;
  for (const auto& [id, name] : names) {
    counters.push_back(mstch::map{{"id", id}, {"label", name + "（" + id + "）"}, {"selected", id == q.counter}});
  }
  mstch::map content{{"receipt", q.receipt},         {"manufacture_no", q.manufacture_no},
                     {"from", from},                 {"to", to},
                     {"cancelled", q.include_cancelled}, {"counters", std::move(counters)}};
  if (st.sync) {
    if (auto refused = st.sync->refused(kRefusalsShown)) {
      mstch::array rows;
      for (const auto& r : *refused) {
        rows.push_back(mstch::map{{"receipt", r.receipt},
                                  {"receipt_url", percent_encode(r.receipt)},
                                  {"text", refusal_text(r.code)},
                                  {"created", r.created},
                                  {"slot", r.sent ? slot_key_text(r.sent->slot) : std::string()},
                                  {"at", jst_time(r.at_ms)}});
      }
      if (!rows.empty()) {
        content.emplace("has_refusals", true);
        content.emplace("refusals", std::move(rows));
      }
    }
  }
  const std::string done = p("done");
  if (done == "handled") content.emplace("notice", std::string("対応済みにしました。"));
  if (!errors.empty()) {
    (void)web::add_field_errors(content, errors);
    return page(title, "phone_booking_list", std::move(content), 422);
  }
  auto found = bookings_->search(q, (page_no - 1) * kListRows, kListRows + 1);
  if (!found) return error(c, 503);
  const bool more = found->size() > kListRows;
  if (more) found->resize(kListRows);
  mstch::array rows;
  for (const domain::Booking& b : *found) {
    auto s = sync_of(b.receipt);
    rows.push_back(mstch::map{{"receipt", b.receipt},
                              {"receipt_url", percent_encode(b.receipt)},
                              {"slot", slot_key_text(b.slot)},
                              {"counter", counter_text(names, b.counter)},
                              {"business", business_text(b)},
                              {"places", std::to_string(b.people.size())},
                              {"cancelled", b.cancelled},
                              {"channel", std::string(b.channel == domain::BookingChannel::web ? "予約サイト" : "電話")},
                              {"pending", s && s->state == BookingSync::State::pending},
                              {"refused", s && s->state == BookingSync::State::refused}});
  }
  content.emplace("searched", true);
  content.emplace("has_rows", !rows.empty());
  content.emplace("rows", std::move(rows));
  std::string base;
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"receipt", q.receipt}, {"manufacture_no", q.manufacture_no}, {"counter", q.counter},
           {"from", from}, {"to", to}, {"cancelled", q.include_cancelled ? "1" : ""}}) {
    if (!v.empty()) base += k + "=" + percent_encode(v) + "&";
  }
  if (page_no > 1) content.emplace("prev_url", "/phone_bookings?" + base + "page=" + std::to_string(page_no - 1));
  if (more) content.emplace("next_url", "/phone_bookings?" + base + "page=" + std::to_string(page_no + 1));
  return page(title, "phone_booking_list", std::move(content), 200);
}

// ---- a new booking (PHN-1 to PHN-5), one step at a time ----

http::Response BookingPages::Call::create_booking() {
  Flow f;
  f.w = read_wizard(c.req, c.form);
  f.business = domain::business_from_id(f.w.business);
  f.kind = domain::application_kind_from_id(f.w.kind);
  const auto places_n = parse_decimal12(f.w.places);
  f.places = places_n && *places_n >= 1 && *places_n <= domain::kMaxBookingPeople ? static_cast<int>(*places_n) : 0;
  if (!f.w.redo.empty() && receipt_like(f.w.redo)) {
    if (auto s = sync_of(f.w.redo); s && s->sent) f.redo = s->sent;
  }
  // Step 1: the business and how many come.
  const bool kind_ok = !f.business || *f.business != domain::Business::application || f.kind.has_value();
  if (!f.business || !kind_ok || f.places == 0) return business_page(f, kind_ok);
  // Step 2: a counter handling the business (PHN-4; hidden counters too).
  auto counters = bookings_->counters(*f.business, actor);
  if (!counters) return error(c, 503);
  const auto counter_it = std::find_if(counters->begin(), counters->end(),
                                       [&](const domain::CounterMaster& m) { return m.id == f.w.counter; });
  if (counter_it == counters->end()) return counter_page(f, *counters);
  f.counter = *counter_it;
  // Step 3: a slot of the chosen week (PHN-5: full or past-deadline slots with the permission).
  if (auto refused = choose_slot(f)) return std::move(*refused);
  // Step 4: people, proxy, contact, note; then confirmation; then the booking.
  read_people(f);
  const std::string action = post ? c.form->value("action") : std::string();
  if (get || action == "edit") return form_page(f, {}, 200);
  if (action != "confirm" && action != "create") return error(c, 400);
  std::vector<web::FieldError> errors;
  if (auto failed = check_people(f, errors)) return std::move(*failed);
  if (!errors.empty()) return form_page(f, errors, 422);
  const domain::NewBooking req = booking_request(f);
  if (action == "confirm") return confirm_page(f, req);
  return make(f, req);
}

http::Response BookingPages::Call::business_page(const Flow& f, bool kind_ok) {
  std::vector<web::FieldError> errors;
  const bool asked = !f.w.business.empty() || !f.w.places.empty();
  if (asked && !f.business) errors.push_back({"business", "業務を選んでください。"});
  if (asked && f.business && !kind_ok) errors.push_back({"kind", "申請の種類を選んでください。"});
  if (asked && f.places == 0) errors.push_back({"places", "人数は1〜" + std::to_string(domain::kMaxBookingPeople) + "人で選んでください。"});
  mstch::array businesses;
  for (domain::Business b : domain::all_businesses()) {
    businesses.push_back(mstch::map{{"id", std::string(domain::business_id(b))},
                                    {"label", std::string(domain::business_label(b))},
                                    {"checked", f.business == b}});
  }
  mstch::array kinds;
  for (domain::ApplicationKind k : domain::all_application_kinds()) {
    kinds.push_back(mstch::map{{"id", std::string(domain::application_kind_id(k))},
                               {"label", std::string(domain::application_kind_label(k))},
                               {"selected", f.kind == k}});
  }
  mstch::array counts;
  for (int i = 1; i <= static_cast<int>(domain::kMaxBookingPeople); ++i) {
    counts.push_back(mstch::map{{"n", std::to_string(i)}, {"selected", i == (f.places == 0 ? 1 : f.places)}});
  }
  mstch::map content{{"step_business", true}, {"businesses", std::move(businesses)}, {"kinds", std::move(kinds)},
                     {"counts", std::move(counts)}, {"redo", f.w.redo}};
  (void)web::add_field_errors(content, errors);
  return page("電話予約：業務の選択", "phone_booking_start", std::move(content), errors.empty() ? 200 : 422);
}

http::Response BookingPages::Call::counter_page(const Flow& f, const std::vector<domain::CounterMaster>& counters) {
  mstch::array list;
  for (const auto& m : counters) {
    list.push_back(mstch::map{{"id", m.id},
                              {"name", m.name},
                              {"hidden", !m.visible_on_site},
                              {"checked", m.id == f.w.counter || counters.size() == 1}});
  }
  std::vector<web::FieldError> errors;
  if (!f.w.counter.empty()) errors.push_back({"counters", "窓口を一覧から選んでください。"});
  mstch::map content{{"step_counter", true},
                     {"business_label", std::string(domain::business_label(*f.business))},
                     {"counters", std::move(list)},
                     {"has_counters", !counters.empty()},
                     {"carry", carry(f.w, "counter")}};
  (void)web::add_field_errors(content, errors);
  return page("電話予約：窓口の選択", "phone_booking_start", std::move(content), errors.empty() ? 200 : 422);
}

http::Response BookingPages::Call::slot_page(const Flow& f, const std::vector<web::FieldError>& errors, int status) {
  const calendar::Date monday = week_start(f.w.week, bookings_->now());
  auto avail = bookings_->availability(f.counter.id, monday, calendar::add_days(monday, 6), *f.business, f.places, actor);
  if (!avail) return error(c, 503);
  Wizard prev = f.w, next = f.w, here = f.w;
  here.week = calendar::format_iso(monday);
  prev.week = calendar::format_iso(calendar::add_days(monday, -7));
  next.week = calendar::format_iso(calendar::add_days(monday, 7));
  mstch::map content{{"days", slot_days(*avail, f.w.slot, may_override)},
                     {"has_slots", !avail->empty()},
                     {"week_label", date_ja(monday) + "からの1週間"},
                     {"week", calendar::format_iso(monday)},
                     {"counter_name", f.counter.name + "（" + f.counter.id + "）"},
                     {"business_label", std::string(domain::business_label(*f.business))},
                     {"places", std::to_string(f.places)},
                     {"form_action", std::string("/phone_bookings/new")},
                     {"form_get", true},
                     {"ovd", f.w.ovd},
                     {"ovc", f.w.ovc},
                     {"carry", carry(here, "slot")},
                     {"prev_url", "/phone_bookings/new?" + carry_query(prev, "slot")},
                     {"next_url", "/phone_bookings/new?" + carry_query(next, "slot")},
                     {"back_url", "/phone_bookings/new?" + carry_query(f.w, "counter")}};
  (void)web::add_field_errors(content, errors);
  return page("電話予約：枠の選択", "phone_booking_slots", std::move(content), status);
}

// The chosen slot as it is now: it must exist and be bookable, or overridden with permission.
// Sets f.chosen and f.problem, or returns the slot page to answer with.
std::optional<http::Response> BookingPages::Call::choose_slot(Flow& f) {
  auto ref = domain::parse_slot_key(f.w.slot);
  if (!ref || ref->counter != f.counter.id) {
    return slot_page(f,
                     f.w.slot.empty() ? std::vector<web::FieldError>{}
                                      : std::vector<web::FieldError>{{"slots", "枠を一覧から選んでください。"}},
                     f.w.slot.empty() ? 200 : 422);
  }
  auto day = bookings_->availability(f.counter.id, ref->start.date, ref->start.date, *f.business, f.places, actor);
  if (!day) return error(c, 503);
  const auto chosen = std::find_if(day->begin(), day->end(),
                                   [&](const domain::SlotAvailability& a) { return domain::slot_key(a.slot) == f.w.slot; });
  if (chosen == day->end()) return slot_page(f, {{"slots", "この枠はありません。別の枠を選んでください。"}}, 422);
  f.chosen = *chosen;
  f.problem = problem_of(*chosen);
  if (!may_override) f.w.ovd = f.w.ovc = false;
  if (f.problem == SlotProblem::closed) {
    return slot_page(f, {{"slots", "この枠は受付を停止しています。別の枠を選んでください。"}}, 422);
  }
  if (f.problem == SlotProblem::full && !f.w.ovc) {
    return slot_page(f, {{"slots", may_override ? "この枠は満員です。定員を超えて予約するときは「定員を超えて予約する」にチェックを入れてください。"
                                                : "この枠は満員です。別の枠を選んでください。"}},
                     422);
  }
  if (f.problem == SlotProblem::deadline && !f.w.ovd) {
    return slot_page(f, {{"slots", may_override ? "この枠は受付期限を過ぎています。期限後に予約するときは「受付期限後でも予約する」にチェックを入れてください。"
                                                : "この枠は受付期限を過ぎています。別の枠を選んでください。"}},
                     422);
  }
  return std::nullopt;
}

// The people and contact as posted; on the first showing after a refusal, what was agreed with
// the resident, to confirm again.
void BookingPages::Call::read_people(Flow& f) {
  f.collection = *f.business == domain::Business::collection;
  f.people.assign(static_cast<std::size_t>(f.places), Person{});
  if (post) {
    for (int i = 0; i < f.places; ++i) {
      std::string v = trim_spaces(p("person_" + std::to_string(i + 1)));
      f.people[static_cast<std::size_t>(i)].value = f.collection ? upper_ascii(v) : v;
    }
    f.proxy = p("proxy") == "1";
    f.phone = trim_spaces(p("phone"));
    f.email = trim_spaces(p("email"));
    f.note = c.form->value("note").substr(0, 4 * domain::kMaxBookingNoteChars + 4);
  } else if (f.redo) {
    for (std::size_t i = 0; i < f.people.size() && i < f.redo->people.size(); ++i) {
      f.people[i].value = f.collection ? f.redo->people[i].manufacture_no : f.redo->people[i].name_kana;
    }
    f.proxy = f.redo->proxy;
    f.phone = f.redo->phone;
    f.email = f.redo->email;
    f.note = f.redo->note;
  }
}

std::string BookingPages::Call::business_label(const Flow& f) {
  return std::string(domain::business_label(*f.business)) +
         (f.kind && *f.business == domain::Business::application
              ? "（" + std::string(domain::application_kind_label(*f.kind)) + "）"
              : "");
}

// What the people-and-contact form and its confirmation both show.
mstch::map BookingPages::Call::flow_content(const Flow& f, mstch::array people) {
  return mstch::map{{"collection", f.collection},
                    {"people", std::move(people)},
                    {"proxy", f.proxy},
                    {"phone", f.phone},
                    {"email", f.email},
                    {"note", f.note},
                    {"slot_text", slot_text(f.chosen.slot)},
                    {"counter_name", f.counter.name + "（" + f.counter.id + "）"},
                    {"business_label", business_label(f)},
                    {"carry", carry(f.w, "all")}};
}

http::Response BookingPages::Call::form_page(const Flow& f, const std::vector<web::FieldError>& errors, int status) {
  mstch::array rows;
  for (std::size_t i = 0; i < f.people.size(); ++i) {
    const std::string field = "person_" + std::to_string(i + 1);
    mstch::map row{{"field", field}, {"n", std::to_string(i + 1)}, {"value", f.people[i].value}};
    for (const auto& e : errors) {
      if (e.field == field) row.insert_or_assign("error", e.message);
    }
    rows.push_back(std::move(row));
  }
  mstch::map content = flow_content(f, std::move(rows));
  content.emplace("override_deadline", f.w.ovd && f.problem == SlotProblem::deadline);
  content.emplace("override_capacity", f.w.ovc && f.problem == SlotProblem::full);
  content.emplace("slot_url", "/phone_bookings/new?" + carry_query(f.w, "slot"));
  (void)web::add_field_errors(content, errors);
  return page("電話予約：来庁する人と連絡先", "phone_booking_form", std::move(content), status);
}

// Checks the people (PHN-2: a collection's cards must be known; their names are shown to confirm
// with the caller) and the contact. Returns the page to answer with when the store fails.
std::optional<http::Response> BookingPages::Call::check_people(Flow& f, std::vector<web::FieldError>& errors) {
  std::vector<std::string> seen;
  for (std::size_t i = 0; i < f.people.size(); ++i) {
    const std::string field = "person_" + std::to_string(i + 1);
    const std::string n = std::to_string(i + 1) + "人目：";
    const std::string& v = f.people[i].value;
    if (!f.collection) {
      if (v.empty()) {
        errors.push_back({field, n + "氏名（カタカナ）を入力してください。"});
      } else if (chars(v) > 64 || !katakana_name(v)) {
        errors.push_back({field, n + "氏名は全角カタカナ64文字以内で入力してください。"});
      }
    } else if (v.empty()) {
      errors.push_back({field, n + "交付通知書（はがき）の製造番号を入力してください。"});
    } else if (!manufacture_no_like(v)) {
      errors.push_back({field, n + "製造番号は半角英数字16文字で入力してください。"});
    } else if (std::find(seen.begin(), seen.end(), v) != seen.end()) {
      errors.push_back({field, n + "同じ製造番号が2回入力されています。"});
    } else {
      seen.push_back(v);
      auto card = bookings_->card(v);
      if (!card) return error(c, 503);
      if (!*card) {
        errors.push_back({field, n + "この製造番号のカードは見つかりません。はがきの番号をもう一度確認してください。"});
      } else {
        f.people[i].card_name = (*card)->name_kanji + ((*card)->name_kana.empty() ? "" : "（" + (*card)->name_kana + "）");
      }
    }
  }
  if (f.phone.empty()) {
    errors.push_back({"phone", "電話番号を入力してください（予約について連絡するときに使います）。"});
  } else if (!phone_like(f.phone)) {
    errors.push_back({"phone", "電話番号は半角数字とハイフンで20文字以内で入力してください。"});
  }
  if (!f.email.empty() && !email_like(f.email)) errors.push_back({"email", "メールアドレスの形式が正しくありません。"});
  if (chars(f.note) > domain::kMaxBookingNoteChars) {
    errors.push_back({"note", "申し送りは" + std::to_string(domain::kMaxBookingNoteChars) + "文字以内で入力してください。"});
  }
  return std::nullopt;
}

domain::NewBooking BookingPages::Call::booking_request(const Flow& f) {
  domain::NewBooking req;
  req.business = *f.business;
  if (*f.business == domain::Business::application) req.application_kind = f.kind;
  req.slot = f.w.slot;
  for (const auto& person : f.people) {
    req.people.push_back(f.collection ? domain::BookingPerson{person.value, ""} : domain::BookingPerson{"", person.value});
  }
  req.proxy = f.proxy;
  req.phone = f.phone;
  req.email = f.email;
  req.note = f.note;
  // Only the override the slot needs is asked for.
  req.override_flags.deadline = f.w.ovd && f.problem == SlotProblem::deadline;
  req.override_flags.capacity = f.w.ovc && f.problem == SlotProblem::full;
  return req;
}

http::Response BookingPages::Call::confirm_page(const Flow& f, const domain::NewBooking& req) {
  mstch::array rows;
  for (std::size_t i = 0; i < f.people.size(); ++i) {
    rows.push_back(mstch::map{{"n", std::to_string(i + 1)},
                              {"field", "person_" + std::to_string(i + 1)},
                              {"value", f.people[i].value},
                              {"card_name", f.people[i].card_name}});
  }
  mstch::map content = flow_content(f, std::move(rows));
  content.emplace("fill", std::to_string(f.chosen.booked) + "/" + std::to_string(f.chosen.slot.capacity));
  content.emplace("override_deadline", req.override_flags.deadline);
  content.emplace("override_capacity", req.override_flags.capacity);
  return page("電話予約：内容の確認", "phone_booking_confirm", std::move(content), 200);
}

// Makes the booking; its receipt number and password wait for their one showing on
// /phone_bookings/done (redirect after POST).
http::Response BookingPages::Call::make(const Flow& f, const domain::NewBooking& req) {
  auto made = bookings_->create(req, actor);
  if (!made) {
    if (made.error().code == Errc::db || made.error().code == Errc::unavailable) return error(c, 503);
    return form_page(f, {backend_error(made.error())}, 422);
  }
  std::string detail = "slot=" + req.slot + " places=" + std::to_string(req.people.size());
  if (req.override_flags.deadline) detail += " override=deadline";
  if (req.override_flags.capacity) detail += " override=capacity";
  log("phone_booking.create", c.account->id, "booking/" + made->booking.receipt, detail);
  if (f.redo && st.sync) (void)st.sync->mark_refusal_handled(f.w.redo);
  std::erase_if(st.made, [&](const auto& m) { return m.second.expires <= c.now; });
  while (st.made.size() >= kMaxMadeKept) st.made.erase(st.made.begin());
  const std::string token = web::random_token();
  st.made.emplace(token, Made{c.session->id, c.now + kMadeTtl, made->booking.receipt, made->password});
  return with_headers(web::see_other("/phone_bookings/done?id=" + token), c.headers);
}

http::Response BookingPages::Call::done() {
  std::erase_if(st.made, [&](const auto& m) { return m.second.expires <= c.now; });
  auto it = st.made.find(p("id"));
  if (it == st.made.end() || it->second.session_id != c.session->id) {
    return message("この予約の受付番号とパスワードは、すでに表示したか時間がたったため表示できません。"
                   "受付番号は電話予約の検索で確認できます（パスワードは再表示できません）。",
                   404);
  }
  Made m = std::move(it->second);
  st.made.erase(it);
  auto s = sync_of(m.receipt);
  return page("電話予約：予約を受け付けました", "phone_booking_done",
              mstch::map{{"receipt", m.receipt},
                         {"receipt_url", percent_encode(m.receipt)},
                         {"password", m.password},
                         {"pending", s && s->state == BookingSync::State::pending}},
              200);
}

// ---- a booking ----
http::Response BookingPages::Call::view() {
  const std::string receipt = p("receipt");
  if (!receipt_like(receipt)) return error(c, 404);
  auto found = bookings_->get(receipt);
  if (!found) return error(c, 503);
  auto s = sync_of(receipt);
  const bool refused = s && s->state == BookingSync::State::refused;
  std::optional<domain::Booking> shown = *found;
  if (!shown && refused && s->sent) shown = s->sent;  // refused at creation: what was sent
  if (!shown) return error(c, 404);
  const domain::Booking& b = *shown;
  const auto names = counter_names();
  mstch::array people;
  for (std::size_t i = 0; i < b.people.size(); ++i) {
    const domain::BookingPerson& person = b.people[i];
    std::string name = person.name_kana;
    if (!person.manufacture_no.empty()) {
      if (auto card = bookings_->card(person.manufacture_no); card && *card) {
        name = (*card)->name_kanji + ((*card)->name_kana.empty() ? "" : "（" + (*card)->name_kana + "）");
      }
    }
    people.push_back(mstch::map{{"n", std::to_string(i + 1)}, {"manufacture_no", person.manufacture_no}, {"name", name}});
  }
  mstch::array history;
  for (auto it = b.history.rbegin(); it != b.history.rend(); ++it) {
    history.push_back(mstch::map{{"at", jst_time(it->at_ms)},
                                 {"action", action_text(it->action)},
                                 {"by", by_text(it->by)},
                                 {"slot", slot_key_text(it->slot)},
                                 {"note", it->note}});
  }
  mstch::map content{{"receipt", b.receipt},
                     {"receipt_url", percent_encode(b.receipt)},
                     {"cancelled", b.cancelled},
                     {"business", business_text(b)},
                     {"counter", counter_text(names, b.counter)},
                     {"slot", slot_key_text(b.slot)},
                     {"people", std::move(people)},
                     {"proxy", b.proxy},
                     {"phone", b.phone},
                     {"email", b.email},
                     {"note", b.note},
                     {"channel", std::string(b.channel == domain::BookingChannel::web ? "予約サイト（本人）" : "電話")},
                     {"staff", b.staff},
                     {"override_deadline", b.override_flags.deadline},
                     {"override_capacity", b.override_flags.capacity},
                     {"created", b.created_ms ? jst_time(b.created_ms) : std::string()},
                     {"history", std::move(history)},
                     {"exists", found->has_value()},
                     {"can_change", found->has_value() && !b.cancelled},
                     {"pending", s && s->state == BookingSync::State::pending}};
  if (refused) {
    Wizard again;
    again.business = std::string(domain::business_id(b.business));
    if (b.application_kind) again.kind = std::string(domain::application_kind_id(*b.application_kind));
    again.places = std::to_string(b.people.size());
    again.counter = b.counter;
    again.redo = b.receipt;
    content.emplace("refusal", mstch::map{{"text", refusal_text(s->code)},
                                          {"todo", refusal_todo(s->created || !found->has_value())},
                                          {"at", jst_time(s->at_ms)},
                                          {"created", s->created || !found->has_value()},
                                          {"redo_url", "/phone_bookings/new?" + carry_query(again, "week")}});
  }
  static const std::pair<std::string_view, std::string_view> kDone[] = {
      {"saved", "変更を保存しました。"}, {"moved", "予約枠を変更しました。"}, {"cancelled", "予約を取り消しました。"}};
  const std::string done = p("done");
  for (const auto& [id, text] : kDone) {
    if (done == id) content.emplace("notice", std::string(text));
  }
  return page("予約の詳細", "phone_booking_view", std::move(content), 200);
}

http::Response BookingPages::Call::handled() {
  const std::string receipt = p("receipt");
  if (!receipt_like(receipt) || !st.sync) return error(c, 404);
  if (auto s = st.sync->mark_refusal_handled(receipt); !s) return error(c, 503);
  log("phone_booking.refusal_handled", c.account->id, "booking/" + receipt, "");
  return with_headers(web::see_other("/phone_bookings?done=handled"), c.headers);
}

http::Response BookingPages::Call::edit() {
  auto found = find();
  if (auto* r = std::get_if<http::Response>(&found)) return std::move(*r);
  const domain::Booking b = std::get<domain::Booking>(found);
  if (b.cancelled) return message("取り消された予約は変更できません。", 409);
  auto form_page = [&](bool proxy, const std::string& phone, const std::string& email, const std::string& note,
                       const std::vector<web::FieldError>& errors, int status) {
    mstch::map content{{"receipt", b.receipt}, {"receipt_url", percent_encode(b.receipt)},
                       {"slot", slot_key_text(b.slot)}, {"proxy", proxy}, {"phone", phone},
                       {"email", email}, {"note", note}};
    (void)web::add_field_errors(content, errors);
    return page("予約内容の変更", "phone_booking_edit", std::move(content), status);
  };
  if (get) return form_page(b.proxy, b.phone, b.email, b.note, {}, 200);
  const bool proxy = p("proxy") == "1";
  const std::string phone = trim_spaces(p("phone")), email = trim_spaces(p("email"));
  const std::string note = c.form->value("note").substr(0, 4 * domain::kMaxBookingNoteChars + 4);
  std::vector<web::FieldError> errors;
  if (!phone.empty() && !phone_like(phone)) {
    errors.push_back({"phone", "電話番号は半角数字とハイフンで20文字以内で入力してください。"});
  }
  if (!email.empty() && !email_like(email)) errors.push_back({"email", "メールアドレスの形式が正しくありません。"});
  if (chars(note) > domain::kMaxBookingNoteChars) {
    errors.push_back({"note", "申し送りは" + std::to_string(domain::kMaxBookingNoteChars) + "文字以内で入力してください。"});
  }
  if (!errors.empty()) return form_page(proxy, phone, email, note, errors, 422);
  domain::BookingUpdate u;
  u.proxy = proxy;
  u.phone = phone;
  u.email = email;
  u.note = note;
  auto updated = bookings_->update(b.receipt, u, actor);
  if (!updated) {
    if (updated.error().code == Errc::db || updated.error().code == Errc::unavailable) return error(c, 503);
    auto e = backend_error(updated.error());
    if (e.field == "slot" || e.field == "people_1") e.field = "note";
    return form_page(proxy, phone, email, note, {e}, 422);
  }
  std::string detail;
  if (proxy != b.proxy) detail += "proxy ";
  if (phone != b.phone) detail += "phone ";
  if (email != b.email) detail += "email ";
  if (note != b.note) detail += "note";
  log("phone_booking.update", c.account->id, "booking/" + b.receipt, trim_spaces(detail));
  return to_view(b.receipt, "saved");
}

http::Response BookingPages::Call::move() {
  auto found = find();
  if (auto* r = std::get_if<http::Response>(&found)) return std::move(*r);
  const domain::Booking b = std::get<domain::Booking>(found);
  if (b.cancelled) return message("取り消された予約は変更できません。", 409);
  const int places = static_cast<int>(b.people.size());
  auto counters = bookings_->counters(b.business, actor);
  if (!counters) return error(c, 503);
  std::string counter_id = p("counter");
  if (counter_id.empty()) counter_id = b.counter;
  const auto counter_it = std::find_if(counters->begin(), counters->end(),
                                       [&](const domain::CounterMaster& m) { return m.id == counter_id; });
  if (counter_it == counters->end()) return error(c, 404);
  const domain::LocalDateTime now = bookings_->now();
  const std::string week = p("week").empty() ? (domain::parse_slot_key(b.slot) ? calendar::format_iso(domain::parse_slot_key(b.slot)->start.date) : std::string())
                                             : p("week");
  const std::string slot = p("slot");
  auto slot_page = [&](const std::vector<web::FieldError>& errors, int status) -> http::Response {
    const calendar::Date monday = week_start(week, now);
    auto avail = bookings_->availability(counter_it->id, monday, calendar::add_days(monday, 6), b.business, places, actor);
    if (!avail) return error(c, 503);
    mstch::array counter_options;
    for (const auto& m : *counters) {
      counter_options.push_back(mstch::map{{"id", m.id}, {"label", m.name + "（" + m.id + "）"}, {"selected", m.id == counter_it->id}});
    }
    auto url = [&](int days) {
      return "/phone_bookings/move?receipt=" + percent_encode(b.receipt) + "&counter=" + percent_encode(counter_it->id) +
             "&week=" + calendar::format_iso(calendar::add_days(monday, days));
    };
    mstch::array hidden{mstch::map{{"name", std::string("receipt")}, {"value", b.receipt}},
                        mstch::map{{"name", std::string("counter")}, {"value", counter_it->id}},
                        mstch::map{{"name", std::string("week")}, {"value", calendar::format_iso(monday)}}};
    mstch::map content{{"days", slot_days(*avail, slot.empty() ? b.slot : slot, may_override)},
                       {"has_slots", !avail->empty()},
                       {"week_label", date_ja(monday) + "からの1週間"},
                       {"week", calendar::format_iso(monday)},
                       {"counter_name", counter_it->name + "（" + counter_it->id + "）"},
                       {"business_label", std::string(domain::business_label(b.business))},
                       {"places", std::to_string(places)},
                       {"moving", true},
                       {"receipt", b.receipt},
                       {"receipt_url", percent_encode(b.receipt)},
                       {"current_slot", slot_key_text(b.slot)},
                       {"counter_options", std::move(counter_options)},
                       {"form_action", std::string("/phone_bookings/move")},
                       {"form_get", false},
                       {"ovd", false},
                       {"ovc", false},
                       {"carry", std::move(hidden)},
                       {"prev_url", url(-7)},
                       {"next_url", url(7)},
                       {"back_url", "/phone_bookings/view?receipt=" + percent_encode(b.receipt)}};
    (void)web::add_field_errors(content, errors);
    return page("予約枠の変更", "phone_booking_slots", std::move(content), status);
  };
  if (get) return slot_page({}, 200);
  auto ref = domain::parse_slot_key(slot);
  if (!ref || ref->counter != counter_it->id) return slot_page({{"slots", "枠を一覧から選んでください。"}}, 422);
  if (slot == b.slot) return slot_page({{"slots", "今の予約と同じ枠です。別の枠を選んでください。"}}, 422);
  domain::BookingUpdate u;
  u.slot = slot;
  u.override_flags.deadline = may_override && p("ovd") == "1";
  u.override_flags.capacity = may_override && p("ovc") == "1";
  // Only the override the slot needs is recorded (the rule refuses flags without permission).
  auto day = bookings_->availability(counter_it->id, ref->start.date, ref->start.date, b.business, places, actor);
  if (!day) return error(c, 503);
  const auto chosen = std::find_if(day->begin(), day->end(), [&](const domain::SlotAvailability& a) { return domain::slot_key(a.slot) == slot; });
  if (chosen == day->end()) return slot_page({{"slots", "この枠はありません。別の枠を選んでください。"}}, 422);
  const SlotProblem problem = problem_of(*chosen);
  u.override_flags.deadline = u.override_flags.deadline && problem == SlotProblem::deadline;
  u.override_flags.capacity = u.override_flags.capacity && problem == SlotProblem::full;
  auto updated = bookings_->update(b.receipt, u, actor);
  if (!updated) {
    if (updated.error().code == Errc::db || updated.error().code == Errc::unavailable) return error(c, 503);
    auto e = backend_error(updated.error());
    e.field = "slots";
    return slot_page({e}, 422);
  }
  std::string detail = "slot=" + b.slot + " -> " + slot;
  if (u.override_flags.deadline) detail += " override=deadline";
  if (u.override_flags.capacity) detail += " override=capacity";
  log("phone_booking.move", c.account->id, "booking/" + b.receipt, detail);
  return to_view(b.receipt, "moved");
}

http::Response BookingPages::Call::cancel() {
  auto found = find();
  if (auto* r = std::get_if<http::Response>(&found)) return std::move(*r);
  const domain::Booking b = std::get<domain::Booking>(found);
  if (b.cancelled) return to_view(b.receipt, "cancelled");
  auto form_page = [&](const std::string& reason, const std::vector<web::FieldError>& errors, int status) {
    mstch::map content{{"receipt", b.receipt}, {"receipt_url", percent_encode(b.receipt)},
                       {"slot", slot_key_text(b.slot)}, {"business", business_text(b)},
                       {"places", std::to_string(b.people.size())}, {"reason", reason}};
    (void)web::add_field_errors(content, errors);
    return page("予約の取消", "phone_booking_cancel", std::move(content), status);
  };
  if (get) return form_page("", {}, 200);
  const std::string reason = trim_spaces(p("reason"));
  std::vector<web::FieldError> errors;
  if (p("confirm") != "1") errors.push_back({"confirm", "取り消すには「取り消してよいことをお客様に確認しました」にチェックを入れてください。"});
  if (chars(reason) > 150) errors.push_back({"reason", "取消の理由は150文字以内で入力してください。"});
  if (!errors.empty()) return form_page(reason, errors, 422);
  auto cancelled = bookings_->cancel(b.receipt, reason, actor);
  if (!cancelled) {
    if (cancelled.error().code == Errc::db || cancelled.error().code == Errc::unavailable) return error(c, 503);
    auto e = backend_error(cancelled.error());
    e.field = "reason";
    return form_page(reason, {e}, 422);
  }
  log("phone_booking.cancel", c.account->id, "booking/" + b.receipt, "slot=" + b.slot);
  return to_view(b.receipt, "cancelled");
}

}  // namespace

std::unique_ptr<PageModule> make_booking_pages(Shell& shell, domain::BookingBackend& bookings, BookingSyncState* sync) {
  return std::make_unique<BookingPages>(shell, bookings, sync);
}

}  // namespace madoguchi::console::app
