#include <catch2/catch.hpp>

#include <string>

#include "madoguchi/domain/card.h"
#include "madoguchi/domain/record_body.h"
#include "madoguchi/domain/write_policy.h"

namespace c = madoguchi::domain;
using madoguchi::Errc;

namespace {
c::Card sample() {
  c::Card k;
  k.manufacture_no = "AB12CD34EF56GH78";
  k.application_id = "12345678901234567890123";
  k.postcard_no = "AB1123456";
  k.name_kanji = "山田 太郎";
  k.name_kana = "ヤマダ タロウ";
  k.birth_date = "1980-02-29";
  k.sex = "1";
  k.address = "東京都千代田区霞が関1-1-1";
  k.card_expiry = "2036-02-28";
  k.cert_expiry = "2031-02-28";
  k.receipt_no = 1001;
  k.counter = "1";
  k.shipment_no = "S-2026-11";
  k.imported_ms = 1'767'225'600'000;
  return k;
}
}  // namespace

TEST_CASE("A card survives its record body and is keyed by the manufacture number (ISS-1)", "[console][card]") {
  auto k = sample();
  k.booking = c::CardBooking{"2026-12-01T10:30", "2"};
  k.issued = c::Issue{"2026-12-01T10:42", "2", "本人確認済", "tanaka01"};
  c::card_event(k, c::CardEvent::notice_sent) = c::DatedNote{"2026-11-20", "", "tanaka01"};
  k.renewal = c::Renewal{"2026-11", "cert", "2027-04-01", 5};
  k.reissue = true;
  k.note = "二行の\n申し送り";
  const auto text = c::dump_body(c::card_to_json(k));
  auto parsed = c::parse_body(text);
  REQUIRE(parsed);
  auto back = c::card_from_json(*parsed);
  REQUIRE(back);
  CHECK(c::dump_body(c::card_to_json(*back)) == text);
  CHECK(c::card_key(*back) == "AB12CD34EF56GH78");
  CHECK(back->issued->note == "本人確認済");
  CHECK(c::card_event(*back, c::CardEvent::notice_sent)->date == "2026-11-20");
  CHECK_FALSE(c::card_event(*back, c::CardEvent::lost));
}

TEST_CASE("Card fields are checked: dates that exist, numbers of the right shape (ISS-8)", "[console][card]") {
  auto check = [](auto mutate, std::string_view field) {
    auto k = sample();
    mutate(k);
    auto st = c::validate_card(k);
    REQUIRE_FALSE(st);
    CHECK(st.error().code == Errc::invalid_argument);
    CHECK(st.error().message.rfind(std::string(field) + ":", 0) == 0);
  };
  check([](c::Card& k) { k.manufacture_no = "ab12cd34ef56gh78"; }, "manufacture_no");
  check([](c::Card& k) { k.manufacture_no = "AB12"; }, "manufacture_no");
  check([](c::Card& k) { k.application_id = "1234"; }, "application_id");
  check([](c::Card& k) { k.postcard_no = "AB11234567"; }, "postcard_no");
  check([](c::Card& k) { k.birth_date = "1981-02-29"; }, "birth_date");  // not a leap year
  check([](c::Card& k) { k.birth_date = "2026-13-01"; }, "birth_date");
  check([](c::Card& k) { k.card_expiry = "2036/02/28"; }, "card_expiry");
  check([](c::Card& k) { k.name_kanji = ""; }, "name_kanji");
  check([](c::Card& k) { k.name_kanji = "山田\x01"; }, "name_kanji");
  check([](c::Card& k) { k.sex = "3"; }, "sex");
  check([](c::Card& k) { k.booking = c::CardBooking{"2026-12-01T24:00", "1"}; }, "booking.at");
  check([](c::Card& k) { c::card_event(k, c::CardEvent::lost) = c::DatedNote{"2026-02-30", "", ""}; }, "events.lost.date");
  CHECK(c::validate_card(sample()));
  CHECK(c::is_valid_date("2000-02-29"));
  CHECK_FALSE(c::is_valid_date("1900-02-29"));
  CHECK(c::is_valid_date_time("2026-12-31T23:59"));
}

TEST_CASE("Wrong types in a stored card body are malformed, not guessed", "[console][card]") {
  auto j = c::card_to_json(sample());
  j["receipt_no"] = "1001";
  auto r = c::card_from_json(j);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::malformed);
  j = c::card_to_json(sample());
  j["events"] = {{"lost", "2026-01-01"}};
  CHECK(c::card_from_json(j).error().code == Errc::malformed);
  j = c::card_to_json(sample());
  j.erase("birth_date");
  CHECK(c::card_from_json(j).error().code == Errc::malformed);
  j = c::card_to_json(sample());
  j["newer_field"] = 1;  // a newer writer does not break this reader
  CHECK(c::card_from_json(j));
}

TEST_CASE("The status follows what was recorded, end states first (ISS-9, ISS-11)", "[console][card]") {
  auto k = sample();
  CHECK(c::card_status(k) == c::CardStatus::received);
  c::card_event(k, c::CardEvent::notice_sent) = c::DatedNote{"2026-11-20", "", ""};
  CHECK(c::card_status(k) == c::CardStatus::notice_sent);
  c::card_event(k, c::CardEvent::notice_returned) = c::DatedNote{"2026-11-25", "宛先不明", ""};
  CHECK(c::card_status(k) == c::CardStatus::notice_returned);
  k.booking = c::CardBooking{"2026-12-01T10:30", "1"};
  CHECK(c::card_status(k) == c::CardStatus::booked);
  k.issued = c::Issue{"2026-12-01T10:40", "1", "", ""};
  CHECK(c::card_status(k) == c::CardStatus::issued);
  c::card_event(k, c::CardEvent::lost) = c::DatedNote{"2027-01-05", "", ""};
  CHECK(c::card_status(k) == c::CardStatus::lost);
  CHECK(c::card_status_label(c::CardStatus::lost) == "紛失");
  for (auto s : c::all_card_statuses()) CHECK(c::card_status_from_id(c::card_status_id(s)) == s);
  for (auto e : c::all_card_events()) CHECK(c::card_event_from_id(c::card_event_id(e)) == e);
}

TEST_CASE("CardBooking changes keep the earlier values as history (ISS-10)", "[console][card]") {
  auto k = sample();
  REQUIRE(c::change_booking(k, c::CardBooking{"2026-12-01T10:30", "1"}, "tanaka01", "電話で予約", 100).value());
  REQUIRE(c::change_booking(k, c::CardBooking{"2026-12-03T14:00", "2"}, "sato02", "本人希望で変更", 200).value());
  CHECK_FALSE(c::change_booking(k, c::CardBooking{"2026-12-03T14:00", "2"}, "sato02", "", 300).value());
  REQUIRE(k.booking_history.size() == 2);
  CHECK(k.booking_history[0].at.empty());  // there was no booking before the first
  CHECK(k.booking_history[1].at == "2026-12-01T10:30");
  CHECK(k.booking_history[1].counter == "1");
  CHECK(k.booking_history[1].staff == "sato02");
  CHECK(k.booking_history[1].note == "本人希望で変更");
  CHECK(k.booking->counter == "2");
  CHECK_FALSE(c::change_booking(k, c::CardBooking{"2026-12-03T25:00", "2"}, "sato02", "", 300));
  CHECK(k.booking->at == "2026-12-03T14:00");  // refused: unchanged
  REQUIRE(c::change_booking(k, std::nullopt, "sato02", "取消", 400).value());
  CHECK_FALSE(k.booking);
}

TEST_CASE("CardBooking history is bounded and the body stays within a record's bound", "[console][card]") {
  auto k = sample();
  const std::string note(c::kMaxNoteChars, 'x');
  for (int i = 0; i < 200; ++i) {
    const std::string at = "2026-12-" + std::string(i % 28 < 9 ? "0" : "") + std::to_string(i % 28 + 1) + "T" +
                           (i % 2 ? "10:00" : "11:00");
    REQUIRE(c::change_booking(k, c::CardBooking{at, std::to_string(i)}, "tanaka01", note, i));
  }
  CHECK(k.booking_history.size() <= c::kMaxBookingHistory);
  CHECK(c::dump_body(c::card_to_json(k)).size() <= c::kMaxBodyBytes);
  CHECK(k.booking_history.back().counter == "198");
}

TEST_CASE("Counters may write cards, the hub refuses a card body that does not decode (ISS-1)", "[console][card]") {
  const auto body = c::dump_body(c::card_to_json(sample()));
  c::WriteRequest r;
  r.entity = "card";
  r.key = "AB12CD34EF56GH78";
  r.body = body;
  r.origin = "counter1";
  CHECK(c::check_write(r));
  r.key = "ZZ12CD34EF56GH78";
  CHECK_FALSE(c::check_write(r));
  r.key = "AB12CD34EF56GH78";
  r.body = R"({"manufacture_no":"AB12CD34EF56GH78"})";
  CHECK_FALSE(c::check_write(r));
}
