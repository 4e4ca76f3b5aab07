// The citizen booking site (RSV-1..RSV-15) driven with http::Request values over an in-memory
// BookingBackend that applies the real rules (resident_may_book, check_booking_rule,
// card_matches, published_notices, booking passwords). "Now" is 2026-11-20 (Fri) 10:00 in Japan;
// counter "1" (visible) has slots 09:00 and 09:30 with 2 places each from 11-23 to 12-04, their
// deadline the day before at 17:00; counter "9" is hidden from the site (RSV-8).
#include <catch2/catch.hpp>

#include <algorithm>
#include <latch>
#include <mutex>
#include <thread>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "madoguchi/domain/booking.h"
#include "madoguchi/domain/booking_backend.h"
#include "madoguchi/domain/notice.h"
#include "madoguchi/portal/portal.h"
#include "madoguchi/transport.h"

namespace c = madoguchi::domain;
using madoguchi::Errc;
using madoguchi::Expected;
using madoguchi::ManualClock;
using madoguchi::make_error;
using madoguchi::http::Request;
using madoguchi::http::Response;
using madoguchi::portal::Portal;
using madoguchi::portal::PortalOptions;

namespace {

c::LocalDateTime at(std::string_view s) { return c::parse_date_time(s).value(); }

// ---- the fake backend: the hub's behaviour over in-memory vectors ----
class FakeBackend final : public c::BookingBackend {
 public:
  c::LocalDateTime clock_now = at("2026-11-20T10:00");
  c::Settings settings_value;
  std::vector<c::CounterMaster> counters_list;
  std::vector<c::Slot> slots;
  std::vector<c::Card> cards;
  std::map<std::string, c::Booking> bookings;
  std::vector<c::Notice> all_notices;
  int card_checks = 0;
  int sequence = 0;

  FakeBackend() {
    settings_value.booking_days_ahead = 60;
    counters_list.push_back(counter("1", "本庁舎 市民課窓口", true));
    counters_list.push_back(counter("9", "非公開の出張窓口", false));
    for (int d = 23; d <= 34; ++d) {
      const madoguchi::calendar::Date day = madoguchi::calendar::add_days({2026, 11, 0}, d);
      for (const char* id : {"1", "9"}) {
        for (int minute : {9 * 60, 9 * 60 + 30}) {
          c::Slot s;
          s.counter = id;
          s.start = c::LocalDateTime{day, minute};
          s.minutes = 30;
          s.capacity = 2;
          s.deadline = c::LocalDateTime{madoguchi::calendar::add_days(day, -1), 17 * 60};
          slots.push_back(s);
        }
      }
    }
    cards.push_back(card("MN00000000000001", "ABC123456", "1980-05-10"));
    cards.push_back(card("MN00000000000002", "DEF654321", "1985-12-01"));
    cards.push_back(card("MN00000000000003", "GHI111111", "2010-03-03"));
  }

  static c::CounterMaster counter(std::string id, std::string name, bool visible) {
    c::CounterMaster m;
    m.id = std::move(id);
    m.name = std::move(name);
    m.businesses = {c::Business::collection, c::Business::application, c::Business::cert_renewal};
    for (auto& day : m.week) day = {c::TimeBand{9 * 60, 10 * 60}};
    m.minutes_per_visit = 30;
    m.capacity_per_slot = 2;
    m.valid_from = at("2026-01-01T00:00");
    m.visible_on_site = visible;
    return m;
  }
  static c::Card card(std::string mno, std::string postcard, std::string birth) {
    c::Card k;
    k.manufacture_no = std::move(mno);
    k.postcard_no = std::move(postcard);
    k.birth_date = std::move(birth);
    k.name_kanji = "試験 太郎";
    return k;
  }

  const c::Slot* find_slot(const std::string& key) const {
    for (const auto& s : slots) {
      if (c::slot_key(s) == key) return &s;
    }
    return nullptr;
  }
  const c::CounterMaster* find_counter(const std::string& id) const {
    for (const auto& m : counters_list) {
      if (m.id == id) return &m;
    }
    return nullptr;
  }
  int booked(const std::string& key, const std::string& except = "") const {
    int n = 0;
    for (const auto& [r, b] : bookings) {
      if (b.slot == key && r != except) n += c::booking_places(b);
    }
    return n;
  }
  int live_bookings() const {
    return static_cast<int>(std::count_if(bookings.begin(), bookings.end(), [](const auto& p) { return !p.second.cancelled; }));
  }

  c::LocalDateTime now() override { return clock_now; }
  Expected<c::Settings> settings() override { return settings_value; }
  Expected<std::vector<c::CounterMaster>> counters(c::Business business, const c::BookingActor& actor) override {
    std::vector<c::CounterMaster> out;
    for (const auto& m : counters_list) {
      if (!m.businesses.count(business)) continue;
      if (actor.kind == c::BookingActor::Kind::resident && !m.visible_on_site) continue;
      out.push_back(m);
    }
    return out;
  }
  Expected<std::vector<c::SlotAvailability>> availability(std::string_view counter_id, madoguchi::calendar::Date from,
                                                           madoguchi::calendar::Date to, c::Business business,
                                                           int places, const c::BookingActor&) override {
    std::vector<c::SlotAvailability> out;
    const c::CounterMaster* m = find_counter(std::string(counter_id));
    if (!m) return out;
    for (const auto& s : slots) {
      if (s.counter != counter_id || s.start.date < from || to < s.start.date) continue;
      c::SlotAvailability a;
      a.slot = s;
      a.booked = booked(c::slot_key(s));
      auto st = c::resident_may_book(*m, s, business, a.booked, places, clock_now, settings_value.booking_days_ahead);
      a.bookable = st.ok();
      if (!st) a.reason = st.error().message;
      out.push_back(a);
    }
    return out;
  }
  Expected<std::optional<c::Card>> card_by_postcard(std::string_view postcard, int month, int day) override {
    ++card_checks;
    for (const auto& k : cards) {
      if (c::card_matches(k, postcard, month, day)) return std::optional<c::Card>(k);
    }
    return std::optional<c::Card>();
  }
  Expected<std::optional<c::Card>> card(std::string_view mno) override {
    for (const auto& k : cards) {
      if (k.manufacture_no == mno) return std::optional<c::Card>(k);
    }
    return std::optional<c::Card>();
  }
  madoguchi::Status rule(const c::Booking* before, const c::Booking& after) {
    c::BookingRuleInput in;
    in.before = before;
    in.after = &after;
    if (const auto* s = find_slot(after.slot)) in.slot = *s;
    if (const auto* m = find_counter(after.counter)) in.counter = *m;
    in.booked_by_others = booked(after.slot, after.receipt);
    in.now = clock_now;
    return c::check_booking_rule(in);
  }
  Expected<c::MadeBooking> create(const c::NewBooking& req, const c::BookingActor& actor) override {
    const auto* s = find_slot(req.slot);
    if (!s) return make_error(Errc::not_found, "slot does not exist");
    if (actor.kind == c::BookingActor::Kind::resident) {
      auto st = c::resident_may_book(*find_counter(s->counter), *s, req.business, booked(req.slot),
                                     static_cast<int>(req.people.size()), clock_now, settings_value.booking_days_ahead);
      if (!st) return st.error();
    }
    c::MadeBooking made;
    made.password = c::generate_booking_password();
    c::Booking& b = made.booking;
    char receipt[32];
    std::snprintf(receipt, sizeof receipt, "20261120-%04d", ++sequence);
    b.receipt = receipt;
    b.password_hash = c::hash_booking_password(made.password, true).value();
    b.business = req.business;
    b.application_kind = req.application_kind;
    b.counter = s->counter;
    b.slot = req.slot;
    b.people = req.people;
    b.proxy = req.proxy;
    b.email = req.email;
    b.phone = req.phone;
    b.created_ms = b.updated_ms = 1'795'136'400'000;
    c::add_booking_event(b, {b.created_ms, "created", "web", b.slot, ""});
    if (auto st = c::validate_booking(b); !st) return st.error();
    if (auto st = rule(nullptr, b); !st) return st.error();
    bookings[b.receipt] = b;
    return made;
  }
  Expected<std::optional<c::Booking>> get(std::string_view receipt) override {
    auto it = bookings.find(std::string(receipt));
    if (it == bookings.end()) return std::optional<c::Booking>();
    return std::optional<c::Booking>(it->second);
  }
  Expected<c::Booking> update(std::string_view receipt, const c::BookingUpdate& up, const c::BookingActor&) override {
    auto it = bookings.find(std::string(receipt));
    if (it == bookings.end()) return make_error(Errc::not_found, "no booking");
    c::Booking after = it->second;
    const auto* old_slot = find_slot(after.slot);
    if (!old_slot || !c::resident_may_change(*old_slot, clock_now)) return make_error(Errc::forbidden, "deadline passed");
    if (up.slot) {
      const auto* s = find_slot(*up.slot);
      if (!s) return make_error(Errc::not_found, "slot does not exist");
      auto st = c::resident_may_book(*find_counter(s->counter), *s, after.business, booked(*up.slot),
                                     c::booking_places(after), clock_now, settings_value.booking_days_ahead);
      if (!st) return st.error();
      after.slot = *up.slot;
      after.counter = s->counter;
    }
    c::add_booking_event(after, {1'795'136'500'000, "changed", "web", after.slot, ""});
    if (auto st = rule(&it->second, after); !st) return st.error();
    it->second = after;
    return after;
  }
  Expected<c::Booking> cancel(std::string_view receipt, std::string_view, const c::BookingActor&) override {
    auto it = bookings.find(std::string(receipt));
    if (it == bookings.end()) return make_error(Errc::not_found, "no booking");
    const auto* s = find_slot(it->second.slot);
    if (!s || !c::resident_may_change(*s, clock_now)) return make_error(Errc::forbidden, "deadline passed");
    it->second.cancelled = true;
    c::add_booking_event(it->second, {1'795'136'600'000, "cancelled", "web", it->second.slot, ""});
    return it->second;
  }
  Expected<std::vector<c::Booking>> search(const c::BookingQuery&, std::size_t, std::size_t) override {
    return std::vector<c::Booking>();
  }
  Expected<std::vector<c::Notice>> notices() override { return c::published_notices(all_notices, clock_now); }
};

// ---- a browser: one cookie jar, the last page's CSRF token ----
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    for (const std::string* s : {&k, &v}) {
      for (const char sc : *s) {
        const auto ch = static_cast<unsigned char>(sc);
        if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
          out += static_cast<char>(ch);
        } else {
          char buf[4];
          std::snprintf(buf, sizeof buf, "%%%02X", ch);
          out += buf;
        }
      }
      if (s == &k) out += '=';
    }
  }
  return out;
}

std::string header(const Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

std::string csrf_of(const std::string& html) {
  std::smatch m;
  static const std::regex re(R"re(name="csrf_token" value="([^"]+)")re");
  return std::regex_search(html, m, re) ? m[1].str() : "";
}

struct Browser {
  explicit Browser(Portal& p) : portal(p) {}
  Portal& portal;
  std::string address = "203.0.113.5";
  std::string cookie;
  std::string csrf;
  Response last;

  Response send(std::string method, std::string target, std::string body = "") {
    Request r;
    r.method = std::move(method);
    r.target = target;
    const auto q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) {
      std::string query = target.substr(q + 1);
      std::size_t pos = 0;
      while (pos < query.size()) {
        auto amp = query.find('&', pos);
        std::string kv = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
        auto eq = kv.find('=');
        r.query.emplace(kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1));
        if (amp == std::string::npos) break;
        pos = amp + 1;
      }
    }
    if (!cookie.empty()) r.headers["cookie"] = cookie;
    r.headers["content-type"] = "application/x-www-form-urlencoded";
    r.body = std::move(body);
    r.remote_address = address;
    Response resp = portal.handle(r);
    const std::string set = header(resp, "Set-Cookie");
    if (!set.empty()) {
      const std::string pair = set.substr(0, set.find(';'));
      cookie = pair.substr(pair.find('=') + 1).empty() ? "" : pair;
    }
    if (const std::string t = csrf_of(resp.body); !t.empty()) csrf = t;
    last = resp;
    return resp;
  }
  // GET, following redirects.
  Response get(std::string target) {
    Response r = send("GET", std::move(target));
    for (int i = 0; i < 5 && r.status == 303; ++i) r = send("GET", header(r, "Location"));
    return r;
  }
  // POST with the current CSRF token, following the redirect.
  Response post(std::string target, std::vector<std::pair<std::string, std::string>> fields, bool follow = true) {
    fields.emplace_back("csrf_token", csrf);
    Response r = send("POST", std::move(target), form_encode(fields));
    if (follow && r.status == 303) r = get(header(r, "Location"));
    return r;
  }
};

PortalOptions options() {
  PortalOptions o;
  o.municipality_name = "見本市";
  o.contact_phone = "0120-000-000";
  o.contact_hours = "平日8:30〜17:15";
  o.secret = std::string(32, 'k');
  o.secure_cookies = false;
  return o;
}

// The fake backend for several threads: one call at a time, as the hub's SharedBookingService
// takes the hub's lock around each call.
class LockedBackend final : public c::BookingBackend {
 public:
  explicit LockedBackend(c::BookingBackend& inner) : inner_(inner) {}

 private:
  template <class F>
  auto locked(F&& f) {
    std::lock_guard lock(mutex_);
    return f();
  }
  c::BookingBackend& inner_;
  std::mutex mutex_;

 public:
  c::LocalDateTime now() override { return locked([&] { return inner_.now(); }); }
  Expected<c::Settings> settings() override { return locked([&] { return inner_.settings(); }); }
  Expected<std::vector<c::CounterMaster>> counters(c::Business b, const c::BookingActor& a) override {
    return locked([&] { return inner_.counters(b, a); });
  }
  Expected<std::vector<c::SlotAvailability>> availability(std::string_view counter, madoguchi::calendar::Date from,
                                                          madoguchi::calendar::Date to, c::Business b, int places,
                                                          const c::BookingActor& a) override {
    return locked([&] { return inner_.availability(counter, from, to, b, places, a); });
  }
  Expected<std::optional<c::Card>> card_by_postcard(std::string_view p, int m, int d) override {
    return locked([&] { return inner_.card_by_postcard(p, m, d); });
  }
  Expected<std::optional<c::Card>> card(std::string_view mno) override { return locked([&] { return inner_.card(mno); }); }
  Expected<c::MadeBooking> create(const c::NewBooking& req, const c::BookingActor& a) override {
    return locked([&] { return inner_.create(req, a); });
  }
  Expected<std::optional<c::Booking>> get(std::string_view r) override { return locked([&] { return inner_.get(r); }); }
  Expected<c::Booking> update(std::string_view r, const c::BookingUpdate& u, const c::BookingActor& a) override {
    return locked([&] { return inner_.update(r, u, a); });
  }
  Expected<c::Booking> cancel(std::string_view r, std::string_view note, const c::BookingActor& a) override {
    return locked([&] { return inner_.cancel(r, note, a); });
  }
  Expected<std::vector<c::Booking>> search(const c::BookingQuery& q, std::size_t o, std::size_t l) override {
    return locked([&] { return inner_.search(q, o, l); });
  }
  Expected<std::vector<c::Notice>> notices() override { return locked([&] { return inner_.notices(); }); }

};

struct Site {
  FakeBackend backend;
  ManualClock clock;
  Portal portal;
  explicit Site(PortalOptions o = options()) : portal(backend, clock, std::move(o)) {}
};

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

// mstch escapes '/' too (as &#x2F;), also in attributes.
std::string esc(std::string s) {
  std::string out;
  for (char ch : s) out += ch == '/' ? std::string("&#x2F;") : std::string(1, ch);
  return out;
}

// The error summary's messages, in order.
std::vector<std::string> summary_messages(const std::string& html) {
  std::vector<std::string> out;
  static const std::regex re(R"re(<li><a href="#[^"]+">([^<]*)</a></li>)re");
  const auto start = html.find("error-summary");
  if (start == std::string::npos) return out;
  const std::string part = html.substr(start, html.find("</div>", start) - start);
  for (std::sregex_iterator it(part.begin(), part.end(), re), end; it != end; ++it) out.push_back((*it)[1].str());
  return out;
}

// A structural accessibility check (RSV-2): lang="ja", one h1, a skip link to #main, every
// visible input/select has a <label for> (radios too), every aria-describedby id exists, a
// <title>, no script element or inline handler.
void check_accessible(const std::string& html) {
  INFO(html.substr(0, 400));
  CHECK(contains(html, "<html lang=\"ja\">"));
  std::size_t h1 = 0;
  for (auto p = html.find("<h1"); p != std::string::npos; p = html.find("<h1", p + 1)) ++h1;
  CHECK(h1 == 1);
  CHECK(contains(html, "<a class=\"skip-link\" href=\"#main\">"));
  CHECK(contains(html, "<main id=\"main\""));
  CHECK(std::regex_search(html, std::regex("<title>[^<]+</title>")));
  CHECK_FALSE(contains(html, "<script"));
  CHECK_FALSE(std::regex_search(html, std::regex(R"re(\son[a-z]+=)re")));
  std::set<std::string> ids;
  static const std::regex id_re(R"re(\sid="([^"]+)")re");
  for (std::sregex_iterator it(html.begin(), html.end(), id_re), end; it != end; ++it) ids.insert((*it)[1].str());
  static const std::regex control_re(R"re(<(input|select|textarea)\b[^>]*>)re");
  for (std::sregex_iterator it(html.begin(), html.end(), control_re), end; it != end; ++it) {
    const std::string tag = (*it)[0].str();
    if (contains(tag, "type=\"hidden\"")) continue;
    std::smatch id;
    REQUIRE(std::regex_search(tag, id, std::regex(R"re(\sid="([^"]+)")re")));
    INFO(tag);
    CHECK(contains(html, "<label for=\"" + id[1].str() + "\""));
  }
  static const std::regex desc_re(R"re(aria-describedby="([^"]+)")re");
  for (std::sregex_iterator it(html.begin(), html.end(), desc_re), end; it != end; ++it) {
    std::string list = (*it)[1].str();
    std::size_t pos = 0;
    while (pos <= list.size()) {
      auto sp = list.find(' ', pos);
      const std::string one = list.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos);
      INFO("aria-describedby " << one);
      CHECK(ids.count(one) == 1);
      if (sp == std::string::npos) break;
      pos = sp + 1;
    }
  }
  // Links of the error summary point at elements of the page.
  static const std::regex link_re(R"re(<a href="#([^"]+)">)re");
  for (std::sregex_iterator it(html.begin(), html.end(), link_re), end; it != end; ++it) {
    CHECK(ids.count((*it)[1].str()) == 1);
  }
}

// Books a collection visit for the first `people` cards in slot `slot_key`; returns the done page.
Response book_collection(Browser& b, int people, const std::string& slot_key) {
  const std::vector<std::tuple<std::string, std::string, std::string>> cards = {
      {"abc-123456", "5", "10"}, {"ＤＥＦ６５４３２１", "12", "1"}, {"GHI111111", "3", "3"}};
  b.get("/book/collection?people=" + std::to_string(people));
  std::vector<std::pair<std::string, std::string>> fields{{"people", std::to_string(people)}};
  for (int i = 0; i < people; ++i) {
    const std::string n = std::to_string(i + 1);
    fields.emplace_back("postcard_" + n, std::get<0>(cards[static_cast<std::size_t>(i)]));
    fields.emplace_back("month_" + n, std::get<1>(cards[static_cast<std::size_t>(i)]));
    fields.emplace_back("day_" + n, std::get<2>(cards[static_cast<std::size_t>(i)]));
  }
  Response r = b.post("/book/collection", fields);
  REQUIRE(contains(r.body, "窓口を選ぶ"));
  r = b.post("/book/counter", {{"counter", "1"}});
  REQUIRE(contains(r.body, "日時を選ぶ"));
  r = b.post("/book/slot", {{"slot", slot_key}, {"from", "2026-11-23"}});
  REQUIRE(contains(r.body, "連絡先を入力する"));
  r = b.post("/book/contact",
             {{"email", "taro@example.jp"}, {"email_confirm", "taro@example.jp"}, {"phone", "03-1234-5678"}, {"proxy", "no"}});
  REQUIRE(contains(r.body, "入力内容の確認"));
  std::smatch m;
  REQUIRE(std::regex_search(r.body, m, std::regex(R"re(name="draft" value="([^"]+)")re")));
  return b.post("/book/confirm", {{"draft", m[1].str()}});
}

std::pair<std::string, std::string> receipt_and_password(const std::string& done_html) {
  std::smatch m;
  REQUIRE(std::regex_search(done_html, m,
                            std::regex(R"re(<dt>受付番号</dt><dd class="secret">([^<]+)</dd></div>\s*<div class="summary-row"><dt>パスワード</dt><dd class="secret">([^<]+)</dd>)re")));
  return {m[1].str(), m[2].str()};
}

}  // namespace

TEST_CASE("portal: every page renders, is accessible and carries the security headers (RSV-1, RSV-2, RSV-4)",
          "[portal]") {
  Site site;
  Browser b{site.portal};
  for (const char* path : {"/", "/help", "/faq", "/book/collection", "/book/collection?people=3", "/book/application",
                           "/book/cert_renewal", "/lookup"}) {
    INFO(path);
    const Response r = b.get(path);
    CHECK(r.status == 200);
    CHECK(r.content_type == "text/html; charset=utf-8");
    check_accessible(r.body);
    const std::string csp = header(r, "Content-Security-Policy");
    CHECK(contains(csp, "default-src 'self'"));
    CHECK(contains(csp, "frame-ancestors 'none'"));
    CHECK_FALSE(contains(csp, "unsafe-inline"));
    CHECK(header(r, "X-Frame-Options") == "DENY");
    CHECK(header(r, "Referrer-Policy") == "no-referrer");
    CHECK(header(r, "Cache-Control") == "no-store");
  }
  const Response top = b.get("/");
  CHECK(contains(top.body, "href=\"" + esc("/help") + "\""));
  CHECK(contains(top.body, "href=\"" + esc("/faq") + "\""));
  for (const char* biz : {"/book/collection", "/book/application", "/book/cert_renewal"}) {
    CHECK(contains(top.body, "href=\"" + esc(biz) + "\""));
  }
  CHECK(contains(b.get("/book/collection?people=3").body, "3人目"));
  const Response css = b.get("/static/portal.css");
  CHECK(css.status == 200);
  CHECK(css.content_type == "text/css; charset=utf-8");
  CHECK(contains(css.body, "@media print"));
  CHECK(b.get("/nothing").status == 404);
  CHECK(b.send("DELETE", "/").status == 405);
}

TEST_CASE("portal: base path", "[portal]") {
  auto o = options();
  o.base_path = "/yoyaku";
  Site site(o);
  Browser b{site.portal};
  const Response top = b.get("/yoyaku/");
  CHECK(top.status == 200);
  CHECK(contains(top.body, "href=\"" + esc("/yoyaku/book/collection") + "\""));
  CHECK(contains(top.body, "href=\"" + esc("/yoyaku/static/portal.css") + "?v="));
  CHECK(b.get("/book/collection").status == 404);
}

TEST_CASE("portal: a collection booking for two people, receipt and password shown once (RSV-5, RSV-9, RSV-10, RSV-11)",
          "[portal]") {
  Site site;
  Browser b{site.portal};
  const Response done = book_collection(b, 2, "1:2026-11-24T09:00");
  REQUIRE(done.status == 200);
  check_accessible(done.body);
  CHECK(contains(done.body, "予約が完了しました"));
  CHECK(contains(done.body, "taro@example.jp 宛てに"));
  const auto [receipt, password] = receipt_and_password(done.body);
  REQUIRE(site.backend.bookings.size() == 1);
  const c::Booking& made = site.backend.bookings.at(receipt);
  CHECK(made.people.size() == 2);
  CHECK(made.people[0].manufacture_no == "MN00000000000001");
  CHECK(made.people[1].manufacture_no == "MN00000000000002");
  CHECK(made.slot == "1:2026-11-24T09:00");
  CHECK(made.email == "taro@example.jp");
  CHECK(made.phone == "03-1234-5678");
  CHECK(c::verify_booking_password(made, password));
  CHECK_FALSE(contains(done.body, "MN0000000000000"));  // card numbers never shown
  // Reloading the done page shows the receipt number but not the password again.
  const Response again = b.get("/book/done");
  CHECK(contains(again.body, receipt));
  CHECK_FALSE(contains(again.body, password));
  // The slot page now shows the fill as text: 0 of 2 places left.
  Browser other{site.portal};
  other.address = "198.51.100.7";
  book_collection(other, 1, "1:2026-11-25T09:00");
  other.get("/book/collection");
  other.post("/book/collection", {{"people", "1"}, {"postcard_1", "GHI111111"}, {"month_1", "3"}, {"day_1", "3"}});
  other.post("/book/counter", {{"counter", "1"}});
  const Response slots = other.get("/book/slot?from=2026-11-23");
  check_accessible(slots.body);
  CHECK(contains(slots.body, "満員"));
  CHECK(contains(slots.body, "残り2"));
  CHECK(contains(slots.body, "残り1"));
  CHECK_FALSE(contains(slots.body, "value=\"1:2026-11-24T09:00\""));  // full: not selectable
  CHECK(contains(slots.body, "value=\"1:2026-11-24T09:30\""));
  // The rows' exact markup: a full slot has no radio button but takes an id number all the same
  // (slot-3 here), a selectable one has both.
  CHECK(contains(slots.body, "<li><span class=\"slot-closed\">9:00〜9:30 <span class=\"fill\">満員</span></span></li>\n"
                             "<li><input type=\"radio\" id=\"slot-4\" name=\"slot\" value=\"1:2026-11-24T09:30\"><label "
                             "for=\"slot-4\">9:30〜10:00 <span class=\"fill\">残り2</span></label></li>\n"));
}

TEST_CASE("portal: submitting the confirmation twice makes one booking", "[portal]") {
  Site site;
  Browser b{site.portal};
  b.get("/book/cert_renewal");
  b.post("/book/cert_renewal", {{"people", "1"}, {"name_1", "やまだ　たろう"}});
  b.post("/book/counter", {{"counter", "1"}});
  b.post("/book/slot", {{"slot", "1:2026-11-26T09:30"}});
  const Response confirm =
      b.post("/book/contact", {{"email", "hanako@example.jp"}, {"email_confirm", "hanako@example.jp"}, {"proxy", "yes"}});
  check_accessible(confirm.body);
  CHECK(contains(confirm.body, "ヤマダ　タロウ"));
  CHECK(contains(confirm.body, "代理の方"));
  std::smatch m;
  REQUIRE(std::regex_search(confirm.body, m, std::regex(R"re(name="draft" value="([^"]+)")re")));
  const std::string draft = m[1].str();
  const Response first = b.post("/book/confirm", {{"draft", draft}}, false);
  const Response second = b.post("/book/confirm", {{"draft", draft}}, false);
  CHECK(first.status == 303);
  CHECK(second.status == 303);
  CHECK(header(second, "Location") == "/book/done");
  CHECK(site.backend.bookings.size() == 1);
  CHECK(site.backend.bookings.begin()->second.people[0].name_kana == "ヤマダ　タロウ");
  CHECK(site.backend.bookings.begin()->second.proxy);
}

TEST_CASE("portal: a wrong postcard number, a wrong birthday and an unknown card get the same message (RSV-5)",
          "[portal]") {
  Site site;
  std::vector<std::vector<std::string>> messages;
  int i = 0;
  for (const auto& [postcard, month, day] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"ABC123456", "5", "11"}, {"ABC123457", "5", "10"}, {"ZZZ999999", "1", "1"}}) {
    Browser b{site.portal};
    b.address = "192.0.2." + std::to_string(++i);
    b.get("/book/collection");
    const Response r = b.post("/book/collection", {{"people", "1"}, {"postcard_1", postcard}, {"month_1", month}, {"day_1", day}});
    CHECK(r.status == 400);
    check_accessible(r.body);
    CHECK(contains(r.body, "<title>エラー："));
    CHECK(contains(r.body, "id=\"person_1-error\""));
    CHECK(contains(r.body, "aria-invalid=\"true\""));
    messages.push_back(summary_messages(r.body));
    CHECK(contains(r.body, "id=\"day_1\" name=\"day_1\" value=\"\""));  // the birthday is not echoed back
    CHECK(contains(r.body, "id=\"month_1\" name=\"month_1\" value=\"\""));
  }
  REQUIRE(messages[0].size() == 1);
  CHECK(messages[0] == messages[1]);
  CHECK(messages[1] == messages[2]);
  CHECK(site.backend.bookings.empty());
}

TEST_CASE("portal: input errors are listed at the top and shown next to each field (RSV-9)", "[portal]") {
  Site site;
  Browser b{site.portal};
  b.get("/book/application?people=2");
  Response r = b.post("/book/application", {{"people", "2"}, {"name_1", "山田太郎"}, {"name_2", ""}});
  CHECK(r.status == 400);
  check_accessible(r.body);
  CHECK(contains(r.body, "id=\"kind-error\""));
  CHECK(contains(r.body, "<a href=\"#kind_1\">申請の種類を選んでください。</a>"));
  CHECK(contains(r.body, "id=\"name_1-error\""));
  CHECK(contains(r.body, "aria-describedby=\"name_1-hint name_1-error\""));
  CHECK(contains(r.body, "<a href=\"#name_2\">2人目：お名前をカタカナで入力してください。</a>"));
  CHECK(contains(r.body, "value=\"山田太郎\""));  // kept for correction
  r = b.post("/book/application", {{"people", "1"}, {"kind", "reissue"}, {"name_1", "サトウ ハナコ"}});
  CHECK(contains(r.body, "窓口を選ぶ"));
  b.post("/book/counter", {{"counter", "1"}});
  r = b.post("/book/slot", {{"slot", ""}});
  CHECK(r.status == 400);
  CHECK(contains(r.body, "<a href=\"#slot-error\">日時を選んでください。</a>"));
  b.post("/book/slot", {{"slot", "1:2026-11-30T09:00"}});
  r = b.post("/book/contact", {{"email", "hanako@example"}, {"email_confirm", "other@example.jp"}, {"phone", "abc"}});
  CHECK(r.status == 400);
  check_accessible(r.body);
  for (const char* f : {"email", "email_confirm", "phone", "proxy"}) CHECK(contains(r.body, std::string("id=\"") + f + "-error\""));
  CHECK(summary_messages(r.body).size() == 4);
  CHECK(contains(r.body, "エラー：連絡先を入力する（手順4&#x2F;5）"));
  r = b.post("/book/contact", {{"email", "hanako@example.jp"}, {"email_confirm", "ｈａｎａｋｏ@example.jp"}, {"proxy", "no"}});
  CHECK(contains(r.body, "入力内容の確認"));
  CHECK(contains(r.body, "再交付"));
}

TEST_CASE("portal: identity checks are rate limited per postcard number and per client (RSV-5)", "[portal]") {
  auto o = options();
  o.check_per_number = {3, 0.0001, 100};
  o.check_per_client = {5, 0.0001, 100};
  SECTION("per number, from many addresses") {
    Site site(o);
    for (int i = 0; i < 3; ++i) {
      Browser b{site.portal};
      b.address = "192.0.2." + std::to_string(i + 1);
      b.get("/book/collection");
      CHECK(b.post("/book/collection", {{"people", "1"}, {"postcard_1", "ABC123456"}, {"month_1", "1"}, {"day_1", std::to_string(i + 1)}}).status == 400);
    }
    Browser b{site.portal};
    b.address = "192.0.2.99";
    b.get("/book/collection");
    const int checks = site.backend.card_checks;
    // Even the right birthday is refused now: the number is locked for a while.
    const Response r = b.post("/book/collection", {{"people", "1"}, {"postcard_1", "ABC123456"}, {"month_1", "5"}, {"day_1", "10"}});
    CHECK(r.status == 429);
    check_accessible(r.body);
    CHECK(contains(r.body, "入力の回数が多すぎます"));
    CHECK(header(r, "Retry-After") != "");
    CHECK(site.backend.card_checks == checks);
    // Another number is still checked.
    CHECK(contains(b.post("/book/collection", {{"people", "1"}, {"postcard_1", "DEF654321"}, {"month_1", "12"}, {"day_1", "1"}}).body, "窓口を選ぶ"));
  }
  SECTION("per client, over many numbers") {
    Site site(o);
    Browser b{site.portal};
    b.get("/book/collection");
    for (int i = 0; i < 5; ++i) {
      CHECK(b.post("/book/collection", {{"people", "1"}, {"postcard_1", "XYZ00000" + std::to_string(i)}, {"month_1", "1"}, {"day_1", "1"}}).status == 400);
    }
    CHECK(b.post("/book/collection", {{"people", "1"}, {"postcard_1", "ABC123456"}, {"month_1", "5"}, {"day_1", "10"}}).status == 429);
    Browser elsewhere{site.portal};
    elsewhere.address = "198.51.100.1";
    elsewhere.get("/book/collection");
    CHECK(contains(elsewhere.post("/book/collection", {{"people", "1"}, {"postcard_1", "ABC123456"}, {"month_1", "5"}, {"day_1", "10"}}).body, "窓口を選ぶ"));
  }
}

TEST_CASE("portal: lookup with a wrong password or receipt says the same, and is rate limited (RSV-10)", "[portal]") {
  auto o = options();
  o.sign_in_per_number = {3, 0.0001, 100};
  o.sign_in_per_client = {6, 0.0001, 100};
  Site site(o);
  Browser b{site.portal};
  const auto [receipt, password] = receipt_and_password(book_collection(b, 1, "1:2026-11-24T09:00").body);
  Browser guesser{site.portal};
  guesser.address = "192.0.2.50";
  guesser.get("/lookup");
  const Response wrong_password = guesser.post("/lookup", {{"receipt", receipt}, {"password", "WRONGPASS2"}});
  const Response wrong_receipt = guesser.post("/lookup", {{"receipt", "20991231-9999"}, {"password", password}});
  CHECK(wrong_password.status == 400);
  check_accessible(wrong_password.body);
  CHECK(summary_messages(wrong_password.body) == summary_messages(wrong_receipt.body));
  CHECK_FALSE(contains(wrong_password.body, "予約内容"));
  guesser.post("/lookup", {{"receipt", receipt}, {"password", "WRONGPASS3"}});
  guesser.post("/lookup", {{"receipt", receipt}, {"password", "WRONGPASS4"}});
  // The receipt number has used its 3 attempts: the right password is refused from anywhere.
  Browser owner{site.portal};
  owner.address = "198.51.100.20";
  owner.get("/lookup");
  CHECK(owner.post("/lookup", {{"receipt", receipt}, {"password", password}}).status == 429);
  // Per client: the guesser's address is refused for other numbers after 6 attempts.
  for (int i = 0; i < 2; ++i) guesser.post("/lookup", {{"receipt", "X-" + std::to_string(i)}, {"password", "P"}});
  CHECK(guesser.post("/lookup", {{"receipt", "X-9"}, {"password", "P"}}).status == 429);
}

TEST_CASE("portal: detail, print, change and cancel (RSV-12)", "[portal]") {
  Site site;
  Browser b{site.portal};
  const auto [receipt, password] = receipt_and_password(book_collection(b, 2, "1:2026-11-24T09:00").body);
  Browser later{site.portal};
  later.get("/lookup");
  // Lower case works (RSV-10: typed from a mail).
  std::string lower = password;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  Response detail = later.post("/lookup", {{"receipt", receipt}, {"password", lower}});
  REQUIRE(contains(detail.body, "<h1>予約内容</h1>"));
  check_accessible(detail.body);
  CHECK(header(detail, "Cache-Control") == "no-store");
  CHECK(contains(detail.body, "予約中"));
  CHECK(contains(detail.body, "2人"));
  CHECK(contains(detail.body, "本庁舎 市民課窓口"));
  CHECK(contains(detail.body, "2026年11月24日（火）9:00"));
  CHECK_FALSE(contains(detail.body, "MN0000000000000"));
  const Response print = later.get("/booking/print");
  check_accessible(print.body);
  CHECK(contains(print.body, "印刷用"));
  CHECK_FALSE(contains(print.body, "日時を変更する"));

  // Change: counter, slot (the current one is not offered), confirmation, detail with a message.
  Response r = later.get("/booking/change");
  CHECK(contains(r.body, "窓口を選ぶ"));
  r = later.post("/booking/change", {{"counter", "1"}});
  CHECK(contains(r.body, "現在の予約"));
  CHECK_FALSE(contains(r.body, "value=\"1:2026-11-24T09:00\""));
  r = later.post("/book/slot", {{"slot", "1:2026-11-27T09:30"}});
  CHECK(contains(r.body, "変更内容の確認"));
  CHECK(site.backend.bookings.at(receipt).slot == "1:2026-11-24T09:00");
  std::smatch m;
  REQUIRE(std::regex_search(r.body, m, std::regex(R"re(name="draft" value="([^"]+)")re")));
  r = later.post("/book/confirm", {{"draft", m[1].str()}});
  CHECK(contains(r.body, "予約の日時を変更しました"));
  CHECK(site.backend.bookings.at(receipt).slot == "1:2026-11-27T09:30");
  CHECK(contains(r.body, "2026年11月27日（金）9:30"));
  CHECK(contains(r.body, "変更"));

  // Cancel with confirmation; a second submission changes nothing.
  r = later.get("/booking/cancel");
  CHECK(contains(r.body, "予約の取消の確認"));
  CHECK_FALSE(site.backend.bookings.at(receipt).cancelled);
  r = later.post("/booking/cancel", {});
  CHECK(contains(r.body, "予約を取り消しました"));
  CHECK(contains(r.body, "取消済み"));
  CHECK(site.backend.bookings.at(receipt).cancelled);
  CHECK_FALSE(contains(r.body, "日時を変更する"));
  const auto history = site.backend.bookings.at(receipt).history.size();
  later.post("/booking/cancel", {});
  CHECK(site.backend.bookings.at(receipt).history.size() == history);

  // Signing out forgets the booking.
  later.post("/sign-out", {});
  CHECK(later.send("GET", "/booking").status == 303);
}

TEST_CASE("portal: after the deadline, change and cancel are refused with a message to phone (RSV-12, MST-5)",
          "[portal]") {
  Site site;
  Browser b{site.portal};
  const auto [receipt, password] = receipt_and_password(book_collection(b, 1, "1:2026-11-24T09:00").body);
  site.backend.clock_now = at("2026-11-23T17:01");  // deadline 11-23 17:00
  Browser later{site.portal};
  later.get("/lookup");
  const Response detail = later.post("/lookup", {{"receipt", receipt}, {"password", password}});
  CHECK(contains(detail.body, "受付期限を過ぎています"));
  CHECK(contains(detail.body, "0120-000-000"));
  CHECK_FALSE(contains(detail.body, "日時を変更する"));
  for (const char* path : {"/booking/change", "/booking/cancel"}) {
    const Response r = later.get(path);
    CHECK(r.status == 403);
    CHECK(contains(r.body, "お電話でお問い合わせください"));
  }
  CHECK(later.post("/booking/cancel", {}).status == 403);
  CHECK_FALSE(site.backend.bookings.at(receipt).cancelled);
}

TEST_CASE("portal: a hidden counter is never offered and cannot be posted (RSV-8)", "[portal]") {
  Site site;
  Browser b{site.portal};
  b.get("/book/collection");
  Response r = b.post("/book/collection", {{"people", "1"}, {"postcard_1", "ABC123456"}, {"month_1", "5"}, {"day_1", "10"}});
  check_accessible(r.body);
  CHECK(contains(r.body, "本庁舎 市民課窓口"));
  CHECK_FALSE(contains(r.body, "非公開の出張窓口"));
  CHECK_FALSE(contains(r.body, "value=\"9\""));
  r = b.post("/book/counter", {{"counter", "9"}});
  CHECK(r.status == 400);
  CHECK(contains(r.body, "窓口を選んでください。"));
  // A slot of the hidden counter is refused too.
  b.post("/book/counter", {{"counter", "1"}});
  r = b.post("/book/slot", {{"slot", "9:2026-11-24T09:00"}});
  CHECK(r.status == 400);
  CHECK(site.backend.bookings.empty());
}

TEST_CASE("portal: notices within their window, maintenance with its period, escaped (RSV-3, RSV-15)", "[portal]") {
  Site site;
  c::Notice info;
  info.id = "n1";
  info.title = "年末年始の窓口 <script>alert(1)</script>";
  info.body = "12月29日から1月3日までお休みです。\n<b>太字ではない</b>";
  info.publish_from = at("2026-11-01T00:00");
  c::Notice future = info;
  future.id = "n2";
  future.title = "まだ公開されないお知らせ";
  future.publish_from = at("2026-11-21T00:00");
  c::Notice past = info;
  past.id = "n3";
  past.title = "公開が終わったお知らせ";
  past.publish_until = at("2026-11-20T09:00");
  c::Notice maint;
  maint.id = "m1";
  maint.kind = c::NoticeKind::maintenance;
  maint.title = "システムメンテナンスのお知らせ";
  maint.publish_from = at("2026-11-15T00:00");
  maint.maintenance_from = at("2026-11-28T22:00");
  maint.maintenance_until = at("2026-11-29T06:00");
  site.backend.all_notices = {info, future, past, maint};
  Browser b{site.portal};
  Response top = b.get("/");
  check_accessible(top.body);
  CHECK(contains(top.body, "年末年始の窓口 &lt;script&gt;alert(1)&lt;&#x2F;script&gt;"));
  CHECK_FALSE(contains(top.body, "<script"));
  CHECK(contains(top.body, "&lt;b&gt;太字ではない&lt;&#x2F;b&gt;"));
  CHECK_FALSE(contains(top.body, "まだ公開されないお知らせ"));
  CHECK_FALSE(contains(top.body, "公開が終わったお知らせ"));
  CHECK(contains(top.body, "システムメンテナンスのお知らせ"));
  CHECK(contains(top.body, "2026年11月28日（土）22:00 から 2026年11月29日（日）6:00 まで"));
  CHECK(top.body.find("システムメンテナンス") < top.body.find("年末年始"));
  site.backend.clock_now = at("2026-11-29T06:00");  // maintenance over
  top = b.get("/");
  CHECK_FALSE(contains(top.body, "システムメンテナンスのお知らせ"));
  CHECK(contains(top.body, "まだ公開されないお知らせ"));
}

TEST_CASE("portal: CSRF, expired visits and bounds", "[portal]") {
  Site site;
  Browser b{site.portal};
  b.get("/book/collection");
  const std::string fields = form_encode({{"people", "1"}, {"postcard_1", "ABC123456"}, {"month_1", "5"}, {"day_1", "10"}});
  SECTION("a POST without or with a wrong token changes nothing") {
    CHECK(b.send("POST", "/book/collection", fields).status == 403);
    CHECK(b.send("POST", "/book/collection", fields + "&csrf_token=" + std::string(64, 'a')).status == 403);
    CHECK(site.backend.card_checks == 0);
    b.cookie.clear();
    CHECK(b.send("POST", "/book/collection", fields + "&csrf_token=" + b.csrf).status == 403);
    CHECK(site.backend.card_checks == 0);
  }
  SECTION("an idle visit expires") {
    site.clock.advance(std::chrono::minutes(31));
    CHECK(b.send("POST", "/book/collection", fields + "&csrf_token=" + b.csrf).status == 403);
    CHECK(site.backend.card_checks == 0);
  }
  SECTION("more than six people, long fields and large bodies are refused") {
    CHECK(b.post("/book/collection", {{"people", "7"}}).status == 400);
    CHECK(b.post("/book/application", {{"people", "1"}, {"kind", "new"}, {"name_1", std::string(300, 'a')}}).status == 400);
    CHECK(b.send("POST", "/book/collection", std::string(20'000, 'a')).status == 413);
    CHECK(b.get("/book/collection?people=99").body.find("2人目") == std::string::npos);
  }
  SECTION("steps out of order go back to the start") {
    Browser fresh{site.portal};
    CHECK(header(fresh.send("GET", "/book/slot"), "Location") == "/");
    CHECK(header(fresh.send("GET", "/book/confirm"), "Location") == "/");
    CHECK(header(fresh.send("GET", "/booking"), "Location") == "/lookup");
  }
}

TEST_CASE("portal: requests on many threads at once: one visit's requests in turn, the places booked exactly (issue 11)",
          "[portal][threads]") {
  FakeBackend backend;
  LockedBackend locked(backend);
  ManualClock clock;
  Portal portal(locked, clock, options());
  constexpr int kThreads = 8;

  // One resident's confirmation sent from eight connections at once: one booking, every answer
  // the done page (the others find the booking made: the visit's requests ran one at a time).
  Browser one{portal};
  one.get("/book/cert_renewal");
  one.post("/book/cert_renewal", {{"people", "1"}, {"name_1", "やまだ　たろう"}});
  one.post("/book/counter", {{"counter", "1"}});
  one.post("/book/slot", {{"slot", "1:2026-11-26T09:30"}});
  const Response confirm =
      one.post("/book/contact", {{"email", "hanako@example.jp"}, {"email_confirm", "hanako@example.jp"}, {"proxy", "no"}});
  std::smatch m;
  REQUIRE(std::regex_search(confirm.body, m, std::regex(R"re(name="draft" value="([^"]+)")re")));
  const std::string draft = m[1].str();
  {
    std::latch start(kThreads);
    std::vector<int> statuses(kThreads);
    std::vector<std::string> locations(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        Browser copy = one;  // the same cookie and CSRF token
        start.arrive_and_wait();
        const Response r = copy.post("/book/confirm", {{"draft", draft}}, false);
        statuses[static_cast<std::size_t>(i)] = r.status;
        locations[static_cast<std::size_t>(i)] = header(r, "Location");
      });
    }
    for (auto& t : threads) t.join();
    CHECK(backend.bookings.size() == 1);
    for (int i = 0; i < kThreads; ++i) {
      CHECK(statuses[static_cast<std::size_t>(i)] == 303);
      CHECK(locations[static_cast<std::size_t>(i)] == "/book/done");
    }
  }

  // Eight residents, each from an address of their own and on a thread of their own, race for
  // the last place of 11-27 09:00 (capacity 2, one taken): one booking more, no more.
  c::NewBooking first;
  first.business = c::Business::cert_renewal;
  first.slot = "1:2026-11-27T09:00";
  first.people = {c::BookingPerson{"", "サトウ　ハナコ"}};
  first.email = "first@example.jp";
  REQUIRE(backend.create(first, c::BookingActor{}).ok());
  {
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    std::vector<std::string> done(kThreads);
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        Browser b{portal};
        b.address = "198.51.100." + std::to_string(10 + i);
        b.get("/book/cert_renewal");
        b.post("/book/cert_renewal", {{"people", "1"}, {"name_1", "すずき　じろう"}});
        b.post("/book/counter", {{"counter", "1"}});
        b.post("/book/slot", {{"slot", "1:2026-11-27T09:00"}});
        const Response c =
            b.post("/book/contact", {{"email", "jiro@example.jp"}, {"email_confirm", "jiro@example.jp"}, {"proxy", "no"}});
        std::smatch dm;
        const bool has_draft = std::regex_search(c.body, dm, std::regex(R"re(name="draft" value="([^"]+)")re"));
        start.arrive_and_wait();
        if (has_draft) done[static_cast<std::size_t>(i)] = b.post("/book/confirm", {{"draft", dm[1].str()}}).body;
      });
    }
    for (auto& t : threads) t.join();
    std::size_t in_slot = 0;
    for (const auto& [receipt, b] : backend.bookings) in_slot += b.slot == "1:2026-11-27T09:00" ? 1u : 0u;
    CHECK(in_slot == 2);
    CHECK(std::count_if(done.begin(), done.end(), [](const std::string& body) { return contains(body, "予約が完了しました"); }) == 1);
  }
  CHECK(portal.visit_count() == 1 + kThreads);
}

TEST_CASE("portal: visits are bounded", "[portal]") {
  auto o = options();
  o.max_visits = 5;
  Site site(o);
  for (int i = 0; i < 20; ++i) {
    Browser b{site.portal};
    b.address = "192.0.2." + std::to_string(i);
    b.get("/lookup");
  }
  CHECK(site.portal.visit_count() == 5);
}
