// 電話予約 (PHN-1 to PHN-6, EDGE-5) through http::dispatch over an in-memory BookingBackend that
// also reports sync states, as a counter PC's does.
#include <catch2/catch.hpp>

#include "console_fixture.h"
#include "madoguchi/console/app/booking_sync.h"
#include "madoguchi/domain/booking_backend.h"

using namespace madoguchi::testing::console_app;

namespace {

constexpr const char* kCard = "A000000000000001";

app::BookingSync sync(app::BookingSync::State state, const std::string& receipt) {
  app::BookingSync s;
  s.state = state;
  s.receipt = receipt;
  return s;
}

class MemoryBookings final : public BookingBackend, public app::BookingSyncState {
 public:
  std::vector<CounterMaster> masters;
  std::vector<Slot> slots;
  std::map<std::string, Booking> bookings;
  std::map<std::string, Card> cards;
  std::map<std::string, app::BookingSync> states;
  int seq = 0;
  LocalDateTime clock = *parse_date_time("2023-11-15T09:00");

  LocalDateTime now() override { return clock; }
  Expected<Settings> settings() override { return Settings{}; }
  Expected<std::vector<CounterMaster>> counters(Business b, const BookingActor&) override {
    std::vector<CounterMaster> out;
    for (const auto& m : masters) {
      if (m.businesses.count(b)) out.push_back(m);
    }
    return out;
  }
  int booked(const std::string& key, const std::string& except = {}) {
    int n = 0;
    for (const auto& [r, b] : bookings) {
      if (b.slot == key && r != except) n += booking_places(b);
    }
    return n;
  }
  Expected<std::vector<SlotAvailability>> availability(std::string_view counter, calendar::Date from, calendar::Date to,
                                                       Business, int places, const BookingActor&) override {
    std::vector<SlotAvailability> out;
    for (const auto& s : slots) {
      if (s.counter != counter || s.start.date < from || s.start.date > to) continue;
      SlotAvailability a{s, booked(slot_key(s)), true, ""};
      if (clock > s.deadline) a.reason = "deadline of slot passed";
      if (a.booked + places > s.capacity) a.reason = "slot is full";
      a.bookable = a.reason.empty();
      out.push_back(a);
    }
    return out;
  }
  Expected<std::optional<Card>> card_by_postcard(std::string_view, int, int) override { return std::optional<Card>(); }
  Expected<std::optional<Card>> card(std::string_view no) override {
    auto it = cards.find(std::string(no));
    if (it == cards.end()) return std::optional<Card>();
    return std::optional<Card>(it->second);
  }
  Status rule(const Booking* before, const Booking& after, const BookingActor& actor) {
    BookingRuleInput in;
    in.before = before;
    in.after = &after;
    for (const auto& s : slots) {
      if (slot_key(s) == after.slot) in.slot = s;
    }
    for (const auto& m : masters) {
      if (m.id == after.counter) in.counter = m;
    }
    in.booked_by_others = booked(after.slot, after.receipt);
    in.now = clock;
    in.may_override = actor.may_override;
    return check_booking_rule(in);
  }
  Expected<MadeBooking> create(const NewBooking& r, const BookingActor& actor) override {
    MadeBooking m;
    Booking& b = m.booking;
    b.receipt = "20231115-" + std::to_string(++seq);
    m.password = "ABCDEFGH23";
    b.password_hash = *hash_booking_password(m.password, true);
    b.business = r.business;
    b.application_kind = r.application_kind;
    b.slot = r.slot;
    b.counter = parse_slot_key(r.slot)->counter;
    b.people = r.people;
    b.proxy = r.proxy;
    b.phone = r.phone;
    b.email = r.email;
    b.note = r.note;
    b.channel = BookingChannel::phone;
    b.staff = actor.staff_id;
    b.override_flags = r.override_flags;
    add_booking_event(b, {1, "created", "staff:" + actor.staff_id, r.slot, ""});
    if (auto st = validate_booking(b); !st) return st.error();
    if (auto st = rule(nullptr, b, actor); !st) return st.error();
    bookings[b.receipt] = b;
    return m;
  }
  Expected<std::optional<Booking>> get(std::string_view receipt) override {
    auto it = bookings.find(std::string(receipt));
    if (it == bookings.end()) return std::optional<Booking>();
    return std::optional<Booking>(it->second);
  }
  Expected<Booking> update(std::string_view receipt, const BookingUpdate& u, const BookingActor& actor) override {
    Booking before = bookings.at(std::string(receipt));
    Booking b = before;
    if (u.slot) {
      b.slot = *u.slot;
      b.counter = parse_slot_key(*u.slot)->counter;
      b.override_flags = u.override_flags;
    }
    if (u.proxy) b.proxy = *u.proxy;
    if (u.phone) b.phone = *u.phone;
    if (u.email) b.email = *u.email;
    if (u.note) b.note = *u.note;
    add_booking_event(b, {2, u.slot ? "changed" : "note", "staff:" + actor.staff_id, b.slot, ""});
    if (auto st = validate_booking(b); !st) return st.error();
    if (auto st = rule(&before, b, actor); !st) return st.error();
    bookings[b.receipt] = b;
    return b;
  }
  Expected<Booking> cancel(std::string_view receipt, std::string_view, const BookingActor& actor) override {
    Booking& b = bookings.at(std::string(receipt));
    b.cancelled = true;
    add_booking_event(b, {3, "cancelled", "staff:" + actor.staff_id, b.slot, ""});
    return b;
  }
  Expected<std::vector<Booking>> search(const BookingQuery& q, std::size_t offset, std::size_t limit) override {
    std::vector<Booking> out;
    for (const auto& [r, b] : bookings) {
      if (!q.receipt.empty() && r != q.receipt) continue;
      if (!q.include_cancelled && b.cancelled) continue;
      if (!q.manufacture_no.empty() &&
          std::none_of(b.people.begin(), b.people.end(), [&](const BookingPerson& p) { return p.manufacture_no == q.manufacture_no; })) {
        continue;
      }
      out.push_back(b);
    }
    if (offset >= out.size()) return std::vector<Booking>();
    out.erase(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(offset));
    if (out.size() > limit) out.resize(limit);
    return out;
  }
  Expected<std::vector<Notice>> notices() override { return std::vector<Notice>(); }

  Expected<app::BookingSync> sync_state(std::string_view receipt) override {
    auto it = states.find(std::string(receipt));
    if (it == states.end()) return sync(app::BookingSync::State::confirmed, std::string(receipt));
    return it->second;
  }
  Expected<std::vector<app::BookingSync>> refused(std::size_t) override {
    std::vector<app::BookingSync> out;
    for (const auto& [r, s] : states) {
      if (s.state == app::BookingSync::State::refused) out.push_back(s);
    }
    return out;
  }
  Status mark_refusal_handled(std::string_view receipt) override {
    states.erase(std::string(receipt));
    return {};
  }
};

CounterMaster counter(std::string id, std::string name, std::set<Business> businesses, bool visible) {
  CounterMaster c;
  c.id = std::move(id);
  c.name = std::move(name);
  c.businesses = std::move(businesses);
  c.week[1] = {TimeBand{9 * 60, 12 * 60}};
  c.minutes_per_visit = 30;
  c.valid_from = *parse_date_time("2023-01-01T00:00");
  c.visible_on_site = visible;
  return c;
}

Slot slot(const char* start, int capacity, const char* deadline = "2023-11-17T17:00") {
  Slot s;
  s.counter = "1";
  s.start = *parse_date_time(start);
  s.minutes = 30;
  s.capacity = capacity;
  s.deadline = *parse_date_time(deadline);
  return s;
}

struct Phone {
  MemoryBookings backend;
  World w;
  Browser b{w.app};
  std::string token;
  explicit Phone(const std::string& who = "clerk01", const char* pw = kClerkPw) {
    backend.masters = {counter("1", "本庁舎1番", {Business::collection, Business::application}, false),
                       counter("2", "支所", {Business::application}, true)};
    backend.slots = {slot("2023-11-20T09:00", 1), slot("2023-11-20T09:30", 2),
                     slot("2023-11-16T09:00", 2, "2023-11-14T17:00")};
    Card k;
    k.manufacture_no = kCard;
    k.name_kanji = "山田 太郎";
    k.name_kana = "ヤマダ タロウ";
    k.birth_date = "1980-04-01";
    backend.cards[kCard] = k;
    w.app.attach_bookings(backend, &backend);
    REQUIRE(b.sign_in(who, pw).status == 303);
    token = b.csrf();
    REQUIRE(!token.empty());
  }
  http::Response post(const std::string& path, const std::string& form) {
    return b.send("POST", path, form + "&csrf_token=" + token);
  }
};

const std::string kWizard = "business=collection&places=1&counter=1&week=2023-11-20&slot=1%3A2023-11-20T09%3A30";

}  // namespace

TEST_CASE("A collection booking by phone checks the card, confirms its name and shows the password once (PHN-1, PHN-2, PHN-3, PHN-6)",
          "[booking_pages]") {
  Phone ph;
  auto r = ph.b.send("GET", "/phone_bookings/new");
  REQUIRE(r.status == 200);
  CHECK(contains(r.body, "交付"));
  // PHN-4: only counters handling the business; hidden ones too, marked.
  r = ph.b.send("GET", "/phone_bookings/new?business=collection&places=1");
  REQUIRE(r.status == 200);
  CHECK(contains(r.body, "本庁舎1番"));
  CHECK(contains(r.body, "予約サイトには表示していない窓口"));
  CHECK_FALSE(contains(r.body, "支所"));
  r = ph.b.send("GET", "/phone_bookings/new?business=application&kind=new&places=1");
  CHECK(contains(r.body, "支所"));

  r = ph.b.send("GET", "/phone_bookings/new?business=collection&places=1&counter=1&week=2023-11-20");
  REQUIRE(r.status == 200);
  CHECK(contains(r.body, "09:30〜10:00　0&#x2F;2　空きあり"));
  r = ph.b.send("GET", "/phone_bookings/new?" + kWizard);
  REQUIRE(r.status == 200);
  CHECK(contains(r.body, "person_1"));

  // Field errors: an unknown card, a bad phone number.
  r = ph.post("/phone_bookings/new", kWizard + "&action=confirm&person_1=B000000000000009&phone=abc");
  CHECK(r.status == 422);
  CHECK(contains(r.body, "この製造番号のカードは見つかりません"));
  CHECK(contains(r.body, "電話番号は半角数字とハイフンで"));
  CHECK(ph.backend.bookings.empty());

  // The confirmation shows the card's name to read back to the caller.
  const std::string form = kWizard + "&person_1=a000000000000001&phone=03-1234-5678&proxy=1&note=%E6%9D%96%E3%82%92%E4%BD%BF%E3%81%86";
  r = ph.post("/phone_bookings/new", form + "&action=confirm");
  REQUIRE(r.status == 200);
  CHECK(contains(r.body, "山田 太郎"));
  CHECK(contains(r.body, "代理人が来庁する"));
  CHECK(ph.backend.bookings.empty());

  r = ph.post("/phone_bookings/new", form + "&action=create");
  REQUIRE(r.status == 303);
  const std::string done = ph.b.location(r);
  REQUIRE(ph.backend.bookings.size() == 1);
  const Booking& made = ph.backend.bookings.begin()->second;
  CHECK(made.people.front().manufacture_no == kCard);
  CHECK(made.proxy);
  CHECK(made.note == "杖を使う");
  r = ph.b.send("GET", done);
  REQUIRE(r.status == 200);
  CHECK(contains(r.body, made.receipt));
  CHECK(contains(r.body, "ABCDEFGH23"));
  r = ph.b.send("GET", done);  // only once
  CHECK(r.status == 404);
  CHECK_FALSE(contains(r.body, "ABCDEFGH23"));

  // The log names the booking, never the card number or the phone number.
  bool logged = false;
  for (const auto& e : ph.w.store.log) {
    CHECK_FALSE(contains(e.detail, kCard));
    CHECK_FALSE(contains(e.detail, "1234"));
    logged = logged || (e.action == "phone_booking.create" && e.target == "booking/" + made.receipt);
  }
  CHECK(logged);

  // PHN-6: searched by card number, shown with people and history.
  r = ph.b.send("GET", "/phone_bookings?manufacture_no=" + std::string(kCard));
  REQUIRE(r.status == 200);
  CHECK(contains(r.body, made.receipt));
  r = ph.b.send("GET", "/phone_bookings/view?receipt=" + made.receipt);
  REQUIRE(r.status == 200);
  CHECK(contains(r.body, "山田 太郎"));
  CHECK(contains(r.body, "杖を使う"));
}

TEST_CASE("予約管理 takes a role with 電話予約 to the one list of every booking (PHN-6, ISS-10)", "[booking_pages]") {
  Phone ph;
  auto r = ph.b.send("GET", "/bookings");
  REQUIRE(r.status == 303);
  CHECK(ph.b.location(r) == "/phone_bookings");
  CHECK(ph.b.send("POST", "/bookings", "csrf_token=" + ph.token).status == 405);
}

TEST_CASE("Application names must be katakana - search input errors are per field (PHN-6)", "[booking_pages]") {
  Phone ph;
  const std::string w = "business=application&kind=new&places=2&counter=1&slot=1%3A2023-11-20T09%3A30";
  auto r = ph.post("/phone_bookings/new", w + "&action=confirm&person_1=%E5%B1%B1%E7%94%B0&person_2=%E3%83%A4%E3%83%9E%E3%83%80&phone=0312345678");
  CHECK(r.status == 422);
  CHECK(contains(r.body, "1人目：氏名は全角カタカナ"));
  CHECK_FALSE(contains(r.body, "2人目："));
  r = ph.b.send("GET", "/phone_bookings?from=2023-02-30&manufacture_no=xyz");
  CHECK(r.status == 422);
  CHECK(contains(r.body, "予約日（から）は実在する日付"));
  CHECK(contains(r.body, "製造番号は半角英数字16文字"));
}

TEST_CASE("A full or past-deadline slot is booked only with the override permission and its checkbox (PHN-5)",
          "[booking_pages]") {
  SECTION("a clerk without the permission") {
    Phone ph;
    ph.backend.bookings["X"] = Booking{};
    ph.backend.bookings["X"].slot = "1:2023-11-20T09:00";
    ph.backend.bookings["X"].people = {BookingPerson{"B000000000000001", ""}};
    auto r = ph.b.send("GET", "/phone_bookings/new?business=collection&places=1&counter=1&week=2023-11-20");
    REQUIRE(r.status == 200);
    CHECK(contains(r.body, "09:00〜09:30　1&#x2F;1　満員"));
    CHECK_FALSE(contains(r.body, "value=\"1:2023-11-20T09:00\""));
    CHECK_FALSE(contains(r.body, "定員を超えて予約する"));
    r = ph.b.send("GET", "/phone_bookings/new?business=collection&places=1&counter=1&slot=1%3A2023-11-20T09%3A00&ovc=1");
    CHECK(r.status == 422);
    CHECK(contains(r.body, "この枠は満員です。別の枠を選んでください。"));
  }
  SECTION("an administrator with the permission") {
    Phone ph("admin01", kAdminPw);
    ph.backend.bookings["X"] = Booking{};
    ph.backend.bookings["X"].slot = "1:2023-11-20T09:00";
    ph.backend.bookings["X"].people = {BookingPerson{"B000000000000001", ""}};
    auto r = ph.b.send("GET", "/phone_bookings/new?business=collection&places=1&counter=1&week=2023-11-20");
    CHECK(contains(r.body, "value=\"1:2023-11-20T09:00\""));
    CHECK(contains(r.body, "定員を超えて予約する"));
    const std::string full = "business=collection&places=1&counter=1&slot=1%3A2023-11-20T09%3A00";
    r = ph.b.send("GET", "/phone_bookings/new?" + full);
    CHECK(r.status == 422);  // the checkbox is explicit
    CHECK(contains(r.body, "「定員を超えて予約する」にチェック"));
    r = ph.post("/phone_bookings/new", full + "&ovc=1&action=create&person_1=" + std::string(kCard) + "&phone=0312345678");
    REQUIRE(r.status == 303);
    Booking made;
    for (const auto& [k, b] : ph.backend.bookings) {
      if (k != "X") made = b;
    }
    CHECK(made.override_flags.capacity);
    CHECK_FALSE(made.override_flags.deadline);
    // Past the deadline (the 11/16 slot closed on 11/14).
    r = ph.b.send("GET", "/phone_bookings/new?business=collection&places=1&counter=1&week=2023-11-16");
    CHECK(contains(r.body, "受付期限切れ"));
    CHECK(contains(r.body, "value=\"1:2023-11-16T09:00\""));
  }
}

TEST_CASE("A booking is moved, edited and cancelled with confirmation, each in the log (PHN-6)", "[booking_pages]") {
  Phone ph;
  auto r = ph.post("/phone_bookings/new", kWizard + "&action=create&person_1=" + std::string(kCard) + "&phone=0312345678");
  REQUIRE(r.status == 303);
  const std::string receipt = ph.backend.bookings.begin()->first;
  r = ph.b.send("GET", "/phone_bookings/move?receipt=" + receipt);
  REQUIRE(r.status == 200);
  CHECK(contains(r.body, "今の予約"));
  r = ph.post("/phone_bookings/move", "receipt=" + receipt + "&counter=1&slot=1%3A2023-11-20T09%3A00");
  REQUIRE(r.status == 303);
  CHECK(ph.backend.bookings.at(receipt).slot == "1:2023-11-20T09:00");
  r = ph.post("/phone_bookings/edit", "receipt=" + receipt + "&phone=0311112222&note=%E5%A4%89%E6%9B%B4");
  REQUIRE(r.status == 303);
  CHECK(ph.backend.bookings.at(receipt).phone == "0311112222");
  CHECK_FALSE(ph.backend.bookings.at(receipt).proxy);
  r = ph.post("/phone_bookings/edit", "receipt=" + receipt + "&phone=x&email=nope");
  CHECK(r.status == 422);
  CHECK(contains(r.body, "メールアドレスの形式が正しくありません。"));
  r = ph.post("/phone_bookings/cancel", "receipt=" + receipt);
  CHECK(r.status == 422);
  CHECK_FALSE(ph.backend.bookings.at(receipt).cancelled);
  r = ph.post("/phone_bookings/cancel", "receipt=" + receipt + "&confirm=1&reason=%E9%83%BD%E5%90%88");
  REQUIRE(r.status == 303);
  CHECK(ph.backend.bookings.at(receipt).cancelled);
  for (const char* action : {"phone_booking.move", "phone_booking.update", "phone_booking.cancel"}) {
    CHECK(ph.w.store.logged(action, "clerk01"));
  }
  for (const auto& e : ph.w.store.log) CHECK_FALSE(contains(e.detail, "0311112222"));
}

TEST_CASE("At a counter PC, unsent bookings say so and a refusal by the hub is explained with what to do (EDGE-5)",
          "[booking_pages]") {
  Phone ph;
  auto r = ph.post("/phone_bookings/new", kWizard + "&action=create&person_1=" + std::string(kCard) + "&phone=0312345678");
  REQUIRE(r.status == 303);
  const std::string receipt = ph.backend.bookings.begin()->first;
  ph.backend.states[receipt] = sync(app::BookingSync::State::pending, receipt);
  r = ph.b.send("GET", "/phone_bookings/view?receipt=" + receipt);
  CHECK(contains(r.body, "未送信（ハブ未確認）"));

  // The hub refused it: the booking is gone from the view, what was sent is kept.
  app::BookingSync refused = sync(app::BookingSync::State::refused, receipt);
  refused.code = "capacity";
  refused.created = true;
  refused.sent = ph.backend.bookings.at(receipt);
  ph.backend.states[receipt] = refused;
  ph.backend.bookings.clear();
  r = ph.b.send("GET", "/phone_bookings");
  CHECK(contains(r.body, "満員のため受け付けられませんでした"));
  r = ph.b.send("GET", "/phone_bookings/view?receipt=" + receipt);
  REQUIRE(r.status == 200);
  CHECK(contains(r.body, "満員のため受け付けられませんでした"));
  CHECK(contains(r.body, "お客様に電話で連絡し、別の枠を選んで予約し直してください"));
  CHECK(contains(r.body, "0312345678"));
  // Booking again starts at the slot step, the people filled in from what was sent.
  r = ph.b.send("GET", "/phone_bookings/new?business=collection&places=1&counter=1&redo=" + receipt +
                           "&slot=1%3A2023-11-20T09%3A00");
  REQUIRE(r.status == 200);
  CHECK(contains(r.body, std::string("value=\"") + kCard + "\""));
  r = ph.post("/phone_bookings/handled", "receipt=" + receipt);
  REQUIRE(r.status == 303);
  CHECK(ph.backend.states.empty());
  CHECK(ph.w.store.logged("phone_booking.refusal_handled", "clerk01"));
}
