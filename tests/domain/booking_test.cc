#include <catch2/catch.hpp>

#include <cctype>
#include <functional>
#include <set>
#include <string>

#include "madoguchi/domain/booking.h"
#include "madoguchi/domain/record_body.h"

namespace c = madoguchi::domain;
namespace cal = madoguchi::calendar;
using madoguchi::Errc;

namespace {
constexpr int hm(int h, int m) { return h * 60 + m; }

const std::string& test_hash() {
  static const std::string h = [] {
    auto r = c::hash_booking_password("ABCDE23456", true);
    REQUIRE(r.ok());
    return *r;
  }();
  return h;
}

// A resident's collection booking for two cards at counter 1, 2026-11-30 09:00.
c::Booking web_booking() {
  c::Booking b;
  b.receipt = "20261122-0001";
  b.password_hash = test_hash();
  b.business = c::Business::collection;
  b.counter = "1";
  b.slot = "1:2026-11-30T09:00";
  b.people = {{"AB12CD34EF56GH78", ""}, {"ZZ12CD34EF56GH79", ""}};
  b.email = "taro@example.jp";
  b.channel = c::BookingChannel::web;
  b.created_ms = 1'763'000'000'000;
  b.updated_ms = b.created_ms;
  b.history = {{b.created_ms, "created", "web", "1:2026-11-30T09:00", ""}};
  return b;
}

c::Booking phone_booking() {
  c::Booking b = web_booking();
  b.receipt = "20261122-0002";
  b.business = c::Business::application;
  b.application_kind = c::ApplicationKind::renewal;
  b.people = {{"", "ヤマダ タロウ"}};
  b.email.clear();
  b.phone = "03-1234-5678";
  b.channel = c::BookingChannel::phone;
  b.staff = "clerk01";
  b.proxy = true;
  b.note = "車椅子で来庁\n付き添いあり";
  b.history = {{b.created_ms, "created", "staff:clerk01", b.slot, "電話で受付"}};
  return b;
}

c::CounterMaster counter() {
  c::CounterMaster k;
  k.id = "1";
  k.name = "1番窓口";
  k.businesses = {c::Business::collection, c::Business::application};
  k.week[1] = {{hm(9, 0), hm(12, 0)}};
  k.minutes_per_visit = 30;
  k.capacity_per_slot = 3;
  k.valid_from = {{2026, 1, 1}, 0};
  k.deadline_days_before = 1;
  k.deadline_time = hm(17, 0);
  k.visible_on_site = true;
  return k;
}

// 2026-11-30 (Monday) 09:00, 30 minutes, 3 places, deadline 11/27 17:00 (the Friday before).
c::Slot slot() {
  c::Slot s;
  s.counter = "1";
  s.start = {{2026, 11, 30}, hm(9, 0)};
  s.minutes = 30;
  s.capacity = 3;
  s.deadline = {{2026, 11, 27}, hm(17, 0)};
  return s;
}

c::Slot other_slot() {
  c::Slot s = slot();
  s.start = {{2026, 11, 30}, hm(9, 30)};
  return s;
}

const c::LocalDateTime kBeforeDeadline{{2026, 11, 20}, hm(10, 0)};
const c::LocalDateTime kAfterDeadline{{2026, 11, 28}, hm(10, 0)};

Errc code_of(const madoguchi::Status& st) {
  REQUIRE_FALSE(st.ok());
  return st.error().code;
}

// The refusal of a booking changed by `edit`: its code and the field the message starts with.
madoguchi::Error refusal(c::Booking b, const std::function<void(c::Booking&)>& edit) {
  edit(b);
  auto st = c::validate_booking(b);
  REQUIRE_FALSE(st.ok());
  return st.error();
}

bool names(const madoguchi::Error& e, std::string_view field) {
  return e.code == Errc::invalid_argument && e.message.rfind(std::string(field) + ":", 0) == 0;
}
}  // namespace

TEST_CASE("A booking round-trips through its JSON body with keys sorted (RSV-10, PHN-3, PHN-6)",
          "[console][booking][RSV-10][PHN-3][PHN-6]") {
  for (const auto& b : {web_booking(), phone_booking()}) {
    REQUIRE(c::validate_booking(b).ok());
    const auto j = c::booking_to_json(b);
    auto back = c::booking_from_json(j);
    REQUIRE(back.ok());
    CHECK(*back == b);
    // Through the stored text too.
    auto parsed = c::parse_body(c::dump_body(j));
    REQUIRE(parsed.ok());
    auto again = c::booking_from_json(*parsed);
    REQUIRE(again.ok());
    CHECK(*again == b);
  }
  const std::string text = c::dump_body(c::booking_to_json(phone_booking()));
  CHECK(text.rfind("{\"application_kind\":\"renewal\",\"business\":\"application\",\"cancelled\":false,", 0) == 0);
  CHECK(text.find("\"override\":{\"capacity\":false,\"deadline\":false}") != std::string::npos);
  CHECK(c::dump_body(c::booking_to_json(web_booking())).find("application_kind") == std::string::npos);
}

TEST_CASE("Booking decoding: unknown keys are ignored, wrong types and missing fields are malformed",
          "[console][booking]") {
  auto j = c::booking_to_json(web_booking());
  j["added_by_a_newer_version"] = 1;
  CHECK(c::booking_from_json(j).ok());

  for (const char* key : {"receipt", "password_hash", "business", "counter", "slot", "people", "email", "phone", "note",
                          "channel", "staff", "override", "cancelled", "proxy", "created_ms", "updated_ms",
                          "reminded_ms", "history"}) {
    auto missing = c::booking_to_json(web_booking());
    missing.erase(key);
    auto r = c::booking_from_json(missing);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::malformed);
  }
  auto wrong = c::booking_to_json(web_booking());
  wrong["people"] = "AB12CD34EF56GH78";
  CHECK(c::booking_from_json(wrong).error().code == Errc::malformed);
  wrong = c::booking_to_json(web_booking());
  wrong["cancelled"] = "false";
  CHECK(c::booking_from_json(wrong).error().code == Errc::malformed);
  wrong = c::booking_to_json(web_booking());
  wrong["override"] = {{"capacity", 1}, {"deadline", false}};
  CHECK(c::booking_from_json(wrong).error().code == Errc::malformed);
  wrong = c::booking_to_json(web_booking());
  wrong["history"][0].erase("by");
  CHECK(c::booking_from_json(wrong).error().code == Errc::malformed);
  CHECK(c::booking_from_json(nlohmann::json::array()).error().code == Errc::malformed);

  auto unknown = c::booking_to_json(web_booking());
  unknown["business"] = "pickup";
  CHECK(names(c::booking_from_json(unknown).error(), "business"));
  unknown = c::booking_to_json(web_booking());
  unknown["channel"] = "fax";
  CHECK(names(c::booking_from_json(unknown).error(), "channel"));
  unknown = c::booking_to_json(phone_booking());
  unknown["application_kind"] = "upgrade";
  CHECK(names(c::booking_from_json(unknown).error(), "application_kind"));
  // The decoded result is validated.
  unknown = c::booking_to_json(web_booking());
  unknown["receipt"] = "2026/11/22";
  CHECK(names(c::booking_from_json(unknown).error(), "receipt"));
}

TEST_CASE("Every booking validation rule names its field (RSV-9, RSV-11, PHN-2)", "[console][booking][RSV-9][RSV-11]") {
  const auto web = web_booking();
  const auto phone = phone_booking();
  CHECK(names(refusal(web, [](auto& b) { b.receipt.clear(); }), "receipt"));
  CHECK(names(refusal(web, [](auto& b) { b.receipt = std::string(65, '1'); }), "receipt"));
  CHECK(names(refusal(web, [](auto& b) { b.receipt = "2026 11"; }), "receipt"));
  CHECK(c::validate_booking([&] { auto b = web; b.receipt = std::string(64, 'a') ; return b; }()).ok());
  CHECK(names(refusal(web, [](auto& b) { b.password_hash = "plain"; }), "password_hash"));
  CHECK(names(refusal(web, [](auto& b) { b.password_hash.clear(); }), "password_hash"));
  CHECK(names(refusal(web, [](auto& b) { b.application_kind = c::ApplicationKind::new_issue; }), "application_kind"));
  CHECK(names(refusal(phone, [](auto& b) { b.application_kind.reset(); }), "application_kind"));
  CHECK(names(refusal(web, [](auto& b) { b.counter = "1:2"; }), "counter"));
  CHECK(names(refusal(web, [](auto& b) { b.slot = "1:2026-11-30"; }), "slot"));
  CHECK(names(refusal(web, [](auto& b) { b.slot = "2:2026-11-30T09:00"; }), "slot"));
  // RSV-11: 1..6 people.
  CHECK(names(refusal(web, [](auto& b) { b.people.clear(); }), "people"));
  CHECK(names(refusal(phone, [](auto& b) { b.people.assign(7, {"", "ヤマダ ハナコ"}); }), "people"));
  CHECK(c::validate_booking([&] { auto b = phone; b.people.assign(6, {"", "ヤマダ ハナコ"}); return b; }()).ok());
  // RSV-5 / PHN-2: collection names each card; distinct.
  CHECK(names(refusal(web, [](auto& b) { b.people[1].manufacture_no = "ab12cd34ef56gh79"; }), "people[1].manufacture_no"));
  CHECK(names(refusal(web, [](auto& b) { b.people[1].manufacture_no.clear(); }), "people[1].manufacture_no"));
  CHECK(names(refusal(web, [](auto& b) { b.people[1] = b.people[0]; }), "people[1].manufacture_no"));
  CHECK(names(refusal(web, [](auto& b) { b.people[0].name_kana = "ア\nイ"; }), "people[0].name_kana"));
  // Application / cert renewal: a name; a card number is optional but valid.
  CHECK(names(refusal(phone, [](auto& b) { b.people[0].name_kana.clear(); }), "people[0].name_kana"));
  CHECK(names(refusal(phone, [](auto& b) { b.people[0].name_kana = std::string(65, 'a'); }), "people[0].name_kana"));
  CHECK(names(refusal(phone, [](auto& b) { b.people[0].manufacture_no = "123"; }), "people[0].manufacture_no"));
  CHECK(c::validate_booking([&] {
          auto b = phone;
          b.business = c::Business::cert_renewal;
          b.application_kind.reset();
          b.people[0].manufacture_no = "AB12CD34EF56GH78";
          return b;
        }())
            .ok());
  // Contact.
  CHECK(names(refusal(web, [](auto& b) { b.email = "taro at example.jp"; }), "email"));
  CHECK(names(refusal(web, [](auto& b) { b.email = "taro@@example.jp"; }), "email"));
  CHECK(names(refusal(web, [](auto& b) { b.email = std::string(250, 'a') + "@example.jp"; }), "email"));
  CHECK(names(refusal(web, [](auto& b) { b.email.clear(); }), "email"));  // RSV-10: web bookings are mailed
  CHECK(names(refusal(phone, [](auto& b) { b.phone = "03 1234 5678"; }), "phone"));
  CHECK(names(refusal(phone, [](auto& b) { b.phone = std::string(21, '0'); }), "phone"));
  // PHN-6: the hand-over note, line breaks allowed, bounded.
  CHECK(names(refusal(phone, [](auto& b) { b.note = std::string(501, 'a'); }), "note"));
  CHECK(names(refusal(phone, [](auto& b) { b.note = "a\tb"; }), "note"));
  CHECK(c::validate_booking([&] { auto b = phone; b.note = std::string(500, 'a'); return b; }()).ok());
  // Channel.
  CHECK(names(refusal(web, [](auto& b) { b.staff = "clerk01"; }), "staff"));
  CHECK(names(refusal(web, [](auto& b) { b.override_flags.capacity = true; }), "override"));
  CHECK(names(refusal(phone, [](auto& b) { b.staff.clear(); }), "staff"));
  CHECK(names(refusal(web, [](auto& b) { b.created_ms = -1; }), "created_ms"));
  CHECK(names(refusal(web, [](auto& b) { b.reminded_ms = -1; }), "reminded_ms"));
  // History.
  CHECK(names(refusal(web, [](auto& b) { b.history.assign(c::kMaxBookingEvents + 1, b.history[0]); }), "history"));
  CHECK(names(refusal(web, [](auto& b) { b.history[0].action = "deleted"; }), "history[0].action"));
  CHECK(names(refusal(web, [](auto& b) { b.history[0].by = "staff:"; }), "history[0].by"));
  CHECK(names(refusal(web, [](auto& b) { b.history[0].slot = "nowhere"; }), "history[0].slot"));
  CHECK(names(refusal(web, [](auto& b) { b.history[0].note = std::string(201, 'a'); }), "history[0].note"));
}

TEST_CASE("add_booking_event keeps the newest kMaxBookingEvents events", "[console][booking][RSV-12]") {
  auto b = web_booking();
  for (int i = 0; i < 60; ++i) c::add_booking_event(b, {1000 + i, "note", "hub", b.slot, std::to_string(i)});
  REQUIRE(b.history.size() == c::kMaxBookingEvents);
  CHECK(b.history.front().note == "10");
  CHECK(b.history.back().note == "59");
  CHECK(c::validate_booking(b).ok());
}

TEST_CASE("Slot keys, places and Japan local time", "[console][booking]") {
  auto ref = c::parse_slot_key("1:2026-11-30T09:00");
  REQUIRE(ref);
  CHECK(ref->counter == "1");
  CHECK(ref->start == c::LocalDateTime{{2026, 11, 30}, hm(9, 0)});
  CHECK_FALSE(c::parse_slot_key("2026-11-30T09:00"));
  CHECK_FALSE(c::parse_slot_key(":2026-11-30T09:00"));
  CHECK_FALSE(c::parse_slot_key("1:2026-02-30T09:00"));
  CHECK_FALSE(c::parse_slot_key("1:2026-11-30T24:00"));

  auto b = web_booking();
  CHECK(c::booking_places(b) == 2);
  b.cancelled = true;
  CHECK(c::booking_places(b) == 0);

  CHECK(c::japan_local_time(0) == c::LocalDateTime{{1970, 1, 1}, hm(9, 0)});
  // 2026-11-29T15:00:00Z is midnight in Japan.
  CHECK(c::japan_local_time(1'795'964'400'000) == c::LocalDateTime{{2026, 11, 30}, 0});
  CHECK(c::japan_local_time(1'795'964'400'000 - 1) == c::LocalDateTime{{2026, 11, 29}, hm(23, 59)});
  CHECK(c::japan_local_time(-9 * 3'600'000 - 60'000) == c::LocalDateTime{{1969, 12, 31}, hm(23, 59)});
}

TEST_CASE("Booking passwords are random, hashed with argon2id and verified case-insensitively (RSV-10)",
          "[console][booking][RSV-10]") {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    const auto p = c::generate_booking_password();
    REQUIRE(p.size() == c::kBookingPasswordChars);
    for (char ch : p) CHECK(c::kBookingPasswordAlphabet.find(ch) != std::string_view::npos);
    seen.insert(p);
  }
  CHECK(seen.size() == 50);

  const auto password = c::generate_booking_password();
  auto hash = c::hash_booking_password(password, true);
  REQUIRE(hash.ok());
  auto b = web_booking();
  b.password_hash = *hash;
  CHECK(c::validate_booking(b).ok());
  CHECK(c::verify_booking_password(b, password));
  std::string lower = password;
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  CHECK(c::verify_booking_password(b, lower));
  CHECK_FALSE(c::verify_booking_password(b, password.substr(1)));
  CHECK_FALSE(c::verify_booking_password(b, ""));
  CHECK_FALSE(c::verify_booking_password(b, std::string(65, 'A')));

  // Typed from a Japanese IME: full-width letters and digits verify too.
  auto known = c::hash_booking_password("ab2c", true);
  REQUIRE(known.ok());
  b.password_hash = *known;
  CHECK(c::verify_booking_password(b, "AB2C"));
  CHECK(c::verify_booking_password(b, "ＡＢ２ｃ"));
  CHECK_FALSE(c::verify_booking_password(b, "AB2D"));
  b.password_hash = "$argon2id$v=19$m=1024,t=2,p=1$garbage";
  CHECK_FALSE(c::verify_booking_password(b, "AB2C"));

  // The product cost: argon2id, t=2, 1 MiB.
  auto real = c::hash_booking_password(password);
  REQUIRE(real.ok());
  CHECK(real->rfind("$argon2id$v=19$m=1024,t=2,p=1$", 0) == 0);
  b.password_hash = *real;
  CHECK(c::verify_booking_password(b, password));

  CHECK(c::hash_booking_password("").error().code == Errc::invalid_argument);
  CHECK(c::hash_booking_password(std::string(65, 'A')).error().code == Errc::invalid_argument);
}

TEST_CASE("Postcard numbers are folded from full-width, lower case, spaces and hyphens (RSV-5, PHN-2)",
          "[console][booking][RSV-5][PHN-2]") {
  CHECK(c::normalize_postcard_no("ABC123456") == "ABC123456");
  CHECK(c::normalize_postcard_no("abc-123-456") == "ABC123456");
  CHECK(c::normalize_postcard_no("ＡＢＣ１２３４５６") == "ABC123456");
  CHECK(c::normalize_postcard_no("ａｂｃ－１２３　４５６") == "ABC123456");
  CHECK(c::normalize_postcard_no("  1a2 ー 123456 ") == "1A2123456");
  CHECK(c::normalize_postcard_no("ABC12345").empty());
  CHECK(c::normalize_postcard_no("ABC1234567").empty());
  CHECK(c::normalize_postcard_no("ABCD23456").empty());
  CHECK(c::normalize_postcard_no("あいう123456").empty());
  CHECK(c::normalize_postcard_no("ABC12345\xff").empty());
  CHECK(c::normalize_postcard_no("").empty());
}

TEST_CASE("A card matches by postcard number and birthday month and day (RSV-5, RSV-11)",
          "[console][booking][RSV-5][RSV-11]") {
  c::Card card;
  card.manufacture_no = "AB12CD34EF56GH78";
  card.postcard_no = "ABC123456";
  card.birth_date = "1980-04-01";
  CHECK(c::card_matches(card, "ABC123456", 4, 1));
  CHECK(c::card_matches(card, "ａｂｃ－１２３４５６", 4, 1));
  CHECK_FALSE(c::card_matches(card, "ABC123457", 4, 1));
  CHECK_FALSE(c::card_matches(card, "ABC123456", 4, 2));
  CHECK_FALSE(c::card_matches(card, "ABC123456", 1, 4));
  CHECK_FALSE(c::card_matches(card, "", 4, 1));
  auto no_postcard = card;
  no_postcard.postcard_no.clear();
  CHECK_FALSE(c::card_matches(no_postcard, "", 4, 1));
  auto no_birthday = card;
  no_birthday.birth_date.clear();
  CHECK_FALSE(c::card_matches(no_birthday, "ABC123456", 4, 1));
}

TEST_CASE("The booking rule: a new booking takes the last place, one more is refused (EDGE-5)",
          "[console][booking][rule][EDGE-5]") {
  auto b = web_booking();  // two people
  c::BookingRuleInput in{nullptr, &b, slot(), counter(), 1, kBeforeDeadline, false};
  CHECK(c::check_booking_rule(in).ok());  // 1 + 2 = 3 of 3
  in.booked_by_others = 2;                // 2 + 2 = 4 of 3
  auto st = c::check_booking_rule(in);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == Errc::capacity);
  CHECK(st.error().message == "slot 1:2026-11-30T09:00 is full (2 of 3 places taken)");
}

TEST_CASE("The booking rule: overrides need the permission (PHN-5)", "[console][booking][rule][PHN-5]") {
  auto b = phone_booking();  // one person
  c::BookingRuleInput in{nullptr, &b, slot(), counter(), 3, kBeforeDeadline, true};
  CHECK(code_of(c::check_booking_rule(in)) == Errc::capacity);  // full, no flag
  b.override_flags.capacity = true;
  CHECK(c::check_booking_rule(in).ok());  // flag and permission
  in.may_override = false;
  CHECK(code_of(c::check_booking_rule(in)) == Errc::forbidden);  // flag without permission
  in.booked_by_others = 0;
  CHECK(code_of(c::check_booking_rule(in)) == Errc::forbidden);  // ... even where it is not needed

  // Past the deadline.
  b.override_flags = {};
  in = {nullptr, &b, slot(), counter(), 0, kAfterDeadline, true};
  {
    auto st = c::check_booking_rule(in);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code == Errc::forbidden);
    CHECK(st.error().message == "deadline of slot 1:2026-11-30T09:00 passed at 2026-11-27T17:00");
  }
  b.override_flags.deadline = true;
  CHECK(c::check_booking_rule(in).ok());
  in.may_override = false;
  CHECK(code_of(c::check_booking_rule(in)) == Errc::forbidden);
  // The deadline flag does not lift the capacity and vice versa.
  in.may_override = true;
  in.booked_by_others = 3;
  CHECK(code_of(c::check_booking_rule(in)) == Errc::capacity);
  b.override_flags.capacity = true;
  CHECK(c::check_booking_rule(in).ok());
  // Exactly at the deadline is still in time.
  b.override_flags = {};
  in = {nullptr, &b, slot(), counter(), 0, slot().deadline, false};
  CHECK(c::check_booking_rule(in).ok());
}

TEST_CASE("The booking rule: writes that take no new place are allowed in full, closed or past slots (EDGE-5)",
          "[console][booking][rule][EDGE-5][RSV-12]") {
  const auto before = web_booking();
  auto closed = slot();
  closed.open = false;
  // Cancellation in a full slot, a closed slot, past the deadline, or with the slot gone.
  auto cancelled = before;
  cancelled.cancelled = true;
  for (const auto& s : {std::optional<c::Slot>(slot()), std::optional<c::Slot>(closed), std::optional<c::Slot>()}) {
    c::BookingRuleInput in{&before, &cancelled, s, counter(), 3, kAfterDeadline, false};
    CHECK(c::check_booking_rule(in).ok());
  }
  // Fewer people, a note, another e-mail in the same full slot after the deadline.
  auto fewer = before;
  fewer.people.pop_back();
  fewer.email = "hanako@example.jp";
  c::BookingRuleInput in{&before, &fewer, slot(), counter(), 3, kAfterDeadline, false};
  CHECK(c::check_booking_rule(in).ok());
  // A booking someone overrode keeps its flag when a resident (no permission) cancels it.
  auto overridden = phone_booking();
  overridden.override_flags.capacity = true;
  auto overridden_cancelled = overridden;
  overridden_cancelled.cancelled = true;
  in = {&overridden, &overridden_cancelled, slot(), counter(), 5, kAfterDeadline, false};
  CHECK(c::check_booking_rule(in).ok());
  // A removal is the write policy's business.
  in = {&before, nullptr, std::nullopt, std::nullopt, 0, kAfterDeadline, false};
  CHECK(c::check_booking_rule(in).ok());
}

TEST_CASE("The booking rule: moves and more people need room in the target slot (EDGE-5)",
          "[console][booking][rule][EDGE-5]") {
  const auto before = web_booking();  // two people at 09:00
  auto moved = before;
  moved.slot = c::slot_key(other_slot());
  c::BookingRuleInput in{&before, &moved, other_slot(), counter(), 2, kBeforeDeadline, false};
  CHECK(code_of(c::check_booking_rule(in)) == Errc::capacity);  // 2 + 2 > 3: the own places do not count
  in.booked_by_others = 1;
  CHECK(c::check_booking_rule(in).ok());
  in.now = kAfterDeadline;
  CHECK(code_of(c::check_booking_rule(in)) == Errc::forbidden);

  auto more = before;
  more.people.push_back({"YY12CD34EF56GH70", ""});
  in = {&before, &more, slot(), counter(), 1, kBeforeDeadline, false};  // 1 other + 3 > 3
  CHECK(code_of(c::check_booking_rule(in)) == Errc::capacity);
  in.booked_by_others = 0;
  CHECK(c::check_booking_rule(in).ok());
  // Un-cancelling takes the places again.
  auto cancelled = before;
  cancelled.cancelled = true;
  in = {&cancelled, &before, slot(), counter(), 2, kBeforeDeadline, false};
  CHECK(code_of(c::check_booking_rule(in)) == Errc::capacity);
}

TEST_CASE("The booking rule: the slot must exist, be open and belong to a counter that handles the business",
          "[console][booking][rule][MST-3][PHN-4]") {
  auto b = web_booking();
  c::BookingRuleInput in{nullptr, &b, std::nullopt, counter(), 0, kBeforeDeadline, true};
  auto st = c::check_booking_rule(in);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == Errc::not_found);
  CHECK(st.error().message == "slot 1:2026-11-30T09:00 does not exist");

  auto closed = slot();
  closed.open = false;
  in.slot = closed;
  CHECK(c::check_booking_rule(in).error().message == "slot 1:2026-11-30T09:00 is closed");
  auto zero = slot();
  zero.capacity = 0;
  in.slot = zero;
  CHECK(code_of(c::check_booking_rule(in)) == Errc::forbidden);
  // Closed stays closed even for staff with the permission and both flags.
  b.channel = c::BookingChannel::phone;
  b.staff = "clerk01";
  b.override_flags = {true, true};
  CHECK(code_of(c::check_booking_rule(in)) == Errc::forbidden);
  b = web_booking();

  in.slot = slot();
  in.counter.reset();
  CHECK(code_of(c::check_booking_rule(in)) == Errc::not_found);
  auto no_collection = counter();
  no_collection.businesses = {c::Business::application};
  in.counter = no_collection;
  CHECK(code_of(c::check_booking_rule(in)) == Errc::forbidden);  // PHN-4
  auto expired = counter();
  expired.valid_until = c::LocalDateTime{{2026, 11, 30}, hm(9, 15)};
  in.counter = expired;
  CHECK(code_of(c::check_booking_rule(in)) == Errc::forbidden);  // MST-3
  in.counter = counter();
  in.slot = other_slot();  // not the booking's slot
  CHECK(code_of(c::check_booking_rule(in)) == Errc::invalid_argument);
}

TEST_CASE("The resident's window: visible counter, business, validity, deadline, days ahead, places (RSV-8, MST-3, MST-5, MST-7)",
          "[console][booking][window][RSV-8][MST-3][MST-5][MST-7]") {
  const auto k = counter();
  const auto s = slot();
  const auto biz = c::Business::collection;
  CHECK(c::resident_may_book(k, s, biz, 1, 2, kBeforeDeadline, 60).ok());
  CHECK(code_of(c::resident_may_book(k, s, biz, 2, 2, kBeforeDeadline, 60)) == Errc::capacity);

  auto hidden = k;
  hidden.visible_on_site = false;
  CHECK(code_of(c::resident_may_book(hidden, s, biz, 0, 1, kBeforeDeadline, 60)) == Errc::forbidden);  // RSV-8
  CHECK(code_of(c::resident_may_book(k, s, c::Business::cert_renewal, 0, 1, kBeforeDeadline, 60)) == Errc::forbidden);
  auto not_yet = k;
  not_yet.valid_from = {{2026, 12, 1}, 0};
  CHECK(code_of(c::resident_may_book(not_yet, s, biz, 0, 1, kBeforeDeadline, 60)) == Errc::forbidden);  // MST-3
  auto closed = s;
  closed.open = false;
  CHECK(code_of(c::resident_may_book(k, closed, biz, 0, 1, kBeforeDeadline, 60)) == Errc::forbidden);
  // MST-5: until the deadline, inclusive.
  CHECK(c::resident_may_book(k, s, biz, 0, 1, s.deadline, 60).ok());
  CHECK(code_of(c::resident_may_book(k, s, biz, 0, 1, c::add_minutes(s.deadline, 1), 60)) == Errc::forbidden);
  // A slot that has started, even with deadline == start.
  auto same_day = s;
  same_day.deadline = s.start;
  CHECK(code_of(c::resident_may_book(k, same_day, biz, 0, 1, s.start, 60)) == Errc::forbidden);
  // MST-7: 11/20 -> 11/30 is 10 days ahead.
  CHECK(c::resident_may_book(k, s, biz, 0, 1, kBeforeDeadline, 10).ok());
  CHECK(code_of(c::resident_may_book(k, s, biz, 0, 1, kBeforeDeadline, 9)) == Errc::forbidden);
  auto own_days = k;
  own_days.days_ahead = 9;  // the counter's own setting wins over the system's
  CHECK(code_of(c::resident_may_book(own_days, s, biz, 0, 1, kBeforeDeadline, 60)) == Errc::forbidden);
  own_days.days_ahead = 10;
  CHECK(c::resident_may_book(own_days, s, biz, 0, 1, kBeforeDeadline, 1).ok());
  CHECK(code_of(c::resident_may_book(k, s, biz, 0, 0, kBeforeDeadline, 60)) == Errc::invalid_argument);

  CHECK(c::resident_may_change(s, kBeforeDeadline));
  CHECK(c::resident_may_change(s, s.deadline));
  CHECK_FALSE(c::resident_may_change(s, kAfterDeadline));
}
