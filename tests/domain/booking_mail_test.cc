#include <catch2/catch.hpp>

#include <string>

#include "madoguchi/domain/booking_mail.h"

namespace c = madoguchi::domain;
using K = c::BookingMailKind;

namespace {
constexpr int hm(int h, int m) { return h * 60 + m; }
bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

const std::string kUrl = "https://yoyaku.city.example.jp/booking";
const c::LocalDateTime kStart{{2026, 11, 30}, hm(9, 0)};

// What the resident's cards say: these must never reach a mail.
constexpr std::string_view kName = "ヤマダ タロウ";
constexpr std::string_view kManufactureNo = "AB12CD34EF56GH78";
constexpr std::string_view kPostcardNo = "ABC123456";

c::Booking booking(c::Business business) {
  c::Booking b;
  b.receipt = "20261122-0001";
  b.business = business;
  b.counter = "1";
  b.slot = "1:2026-11-30T09:00";
  if (business == c::Business::collection) {
    b.people = {{std::string(kManufactureNo), std::string(kName)}, {"ZZ12CD34EF56GH79", "ヤマダ ハナコ"}};
  } else {
    b.people = {{"", std::string(kName)}, {"", "ヤマダ ハナコ"}};
  }
  if (business == c::Business::application) b.application_kind = c::ApplicationKind::renewal;
  b.email = "taro@example.jp";
  b.phone = "03-1234-5678";
  b.note = "車椅子で来庁";
  return b;
}

c::Settings settings() {
  c::Settings s;
  s.municipality_name = "みどり市";
  return s;
}

c::BookingMail mail(K kind, const c::Booking& b, const c::Settings& s = settings()) {
  return c::compose_booking_mail(kind, b, "本庁1番窓口", kStart, s, "ABCDE23456", kUrl);
}

void check_no_personal_data(const c::BookingMail& m) {
  for (const std::string* part : {&m.subject, &m.body}) {
    CHECK_FALSE(contains(*part, kName));
    CHECK_FALSE(contains(*part, "ヤマダ"));
    CHECK_FALSE(contains(*part, kManufactureNo));
    CHECK_FALSE(contains(*part, "ZZ12CD34EF56GH79"));
    CHECK_FALSE(contains(*part, kPostcardNo));
    CHECK_FALSE(contains(*part, "03-1234-5678"));
    CHECK_FALSE(contains(*part, "車椅子"));
    CHECK_FALSE(contains(*part, "taro@example.jp"));
  }
}
}  // namespace

TEST_CASE("The booking mail carries receipt number, password, visit and how to change it (RSV-10, RSV-14)",
          "[console][booking_mail][RSV-10][RSV-14]") {
  const auto m = mail(K::made, booking(c::Business::collection));
  CHECK(m.subject == "【みどり市】来庁予約を受け付けました（受付番号 20261122-0001）");
  CHECK(contains(m.body, "受付番号：20261122-0001"));
  CHECK(contains(m.body, "パスワード：ABCDE23456"));
  CHECK(contains(m.body, "日時：2026年11月30日（月） 9:00"));
  CHECK(contains(m.body, "窓口：本庁1番窓口"));
  CHECK(contains(m.body, "ご用件：交付"));
  CHECK(contains(m.body, "人数：2名"));
  CHECK(contains(m.body, "交付通知書（はがき）"));
  CHECK(contains(m.body, kUrl));
  CHECK(contains(m.body, "みどり市 マイナンバーカード交付予約・管理"));
  CHECK_FALSE(contains(m.body, "{"));  // every placeholder of the default text is filled
  CHECK_FALSE(contains(m.subject, "\n"));
}

TEST_CASE("No mail carries a name, card number, postcard number, phone or staff note (RSV-11, SMTP)",
          "[console][booking_mail][RSV-11][RSV-12][RSV-13]") {
  for (auto business : {c::Business::collection, c::Business::application, c::Business::cert_renewal}) {
    for (auto kind : {K::made, K::changed, K::cancelled, K::reminder}) {
      INFO(static_cast<int>(kind));
      auto b = booking(business);
      b.proxy = true;
      const auto m = mail(kind, b);
      check_no_personal_data(m);
      CHECK(contains(m.body, "20261122-0001"));
      CHECK(contains(m.body, "2名"));
      CHECK_FALSE(contains(m.body, "{"));
    }
  }
}

TEST_CASE("Only the mail of a new booking carries the password (RSV-10, RSV-12)", "[console][booking_mail][RSV-12]") {
  const auto b = booking(c::Business::collection);
  CHECK(contains(mail(K::made, b).body, "ABCDE23456"));
  for (auto kind : {K::changed, K::cancelled, K::reminder}) CHECK_FALSE(contains(mail(kind, b).body, "ABCDE23456"));
  CHECK(mail(K::changed, b).subject == "【みどり市】来庁予約を変更しました（受付番号 20261122-0001）");
  CHECK(mail(K::cancelled, b).subject == "【みどり市】来庁予約を取り消しました（受付番号 20261122-0001）");
  CHECK(mail(K::reminder, b).subject == "【みどり市】来庁予約のお知らせ（2026年11月30日（月） 9:00）");
  CHECK(contains(mail(K::cancelled, b).body, "取り消しました"));
}

TEST_CASE("What to bring follows the business and the proxy flag (RSV-5..RSV-7, PHN-3)",
          "[console][booking_mail][RSV-6][RSV-7][PHN-3]") {
  auto app = booking(c::Business::application);
  auto m = mail(K::made, app);
  CHECK(contains(m.body, "ご用件：申請（カード更新）"));
  CHECK(contains(m.body, "顔写真"));
  CHECK(contains(m.body, "お持ちのマイナンバーカード"));
  CHECK_FALSE(contains(m.body, "委任状"));
  app.proxy = true;
  CHECK(contains(mail(K::made, app).body, "委任状"));
  m = mail(K::reminder, booking(c::Business::cert_renewal));
  CHECK(contains(m.body, "ご用件：電子証明書更新"));
  CHECK(contains(m.body, "有効期限通知書"));
}

TEST_CASE("Administrators' mail texts replace the default and unknown placeholders stay as typed (RSV-14)",
          "[console][booking_mail][RSV-14]") {
  auto s = settings();
  s.mail_texts["booking_made"] =
      "{municipality}の{service}です。\n受付番号 {receipt} / パスワード {password}\n{date} {time} {counter} {people}\n"
      "{url}\n{name} {unknown {receipt}} {";
  s.mail_texts["booking_reminder"] = "明日です：{date}";
  const auto b = booking(c::Business::collection);
  auto m = mail(K::made, b, s);
  CHECK(m.body ==
        "みどり市のマイナンバーカード交付予約・管理です。\n受付番号 20261122-0001 / パスワード ABCDE23456\n"
        "2026年11月30日（月） 9:00 本庁1番窓口 2名\n" +
            kUrl + "\n{name} {unknown 20261122-0001} {");
  CHECK(mail(K::reminder, b, s).body == "明日です：2026年11月30日（月）");
  // {password} outside the booking mail is empty; a replaced value is not scanned again.
  s.mail_texts["booking_changed"] = "[{password}]";
  CHECK(mail(K::changed, b, s).body == "[]");
  auto tricky = b;
  tricky.receipt = "{password}";
  s.mail_texts["booking_made"] = "{receipt}";
  CHECK(mail(K::made, tricky, s).body == "{password}");
  // Kinds without a text of their own keep the default.
  CHECK(contains(mail(K::cancelled, b, s).body, "取り消しました"));
  CHECK(c::booking_mail_text_key(K::made) == "booking_made");
  CHECK(c::booking_mail_text_key(K::changed) == "booking_changed");
  CHECK(c::booking_mail_text_key(K::cancelled) == "booking_cancelled");
  CHECK(c::booking_mail_text_key(K::reminder) == "booking_reminder");
}

TEST_CASE("The reminder is due from 09:00 N days before the visit until it starts, once (RSV-13)",
          "[console][booking_mail][RSV-13]") {
  auto s = settings();
  s.reminder_days_before = 2;
  auto b = booking(c::Business::collection);
  CHECK_FALSE(c::reminder_due(b, kStart, s, {{2026, 11, 28}, hm(8, 59)}));
  CHECK(c::reminder_due(b, kStart, s, {{2026, 11, 28}, hm(9, 0)}));
  CHECK(c::reminder_due(b, kStart, s, {{2026, 11, 30}, hm(8, 59)}));
  CHECK_FALSE(c::reminder_due(b, kStart, s, kStart));
  const c::LocalDateTime now{{2026, 11, 29}, hm(12, 0)};
  // Across a month boundary.
  const c::LocalDateTime dec1{{2026, 12, 1}, hm(10, 0)};
  CHECK(c::reminder_due(b, dec1, s, {{2026, 11, 29}, hm(9, 0)}));
  CHECK_FALSE(c::reminder_due(b, dec1, s, {{2026, 11, 28}, hm(23, 0)}));
  // Once, not cancelled, with an address, and only when reminders are on.
  auto reminded = b;
  reminded.reminded_ms = 1;
  CHECK_FALSE(c::reminder_due(reminded, kStart, s, now));
  auto cancelled = b;
  cancelled.cancelled = true;
  CHECK_FALSE(c::reminder_due(cancelled, kStart, s, now));
  auto no_mail = b;
  no_mail.email.clear();
  CHECK_FALSE(c::reminder_due(no_mail, kStart, s, now));
  s.reminder_days_before = 0;
  CHECK_FALSE(c::reminder_due(b, kStart, s, now));
}

TEST_CASE("A booking made at a counter PC: its mail says the password was given on the phone (RSV-10, PHN-1)",
          "[console][booking_mail][RSV-10]") {
  auto b = booking(c::Business::collection);
  b.channel = c::BookingChannel::phone;
  b.staff = "clerk1";
  const auto m = c::compose_booking_mail(K::made, b, "本庁1番窓口", kStart, settings(), "", kUrl);
  CHECK(contains(m.body, "受付番号：20261122-0001"));
  CHECK(contains(m.body, "パスワード：予約のお電話でお伝えしたものです"));
  CHECK_FALSE(contains(m.body, "{"));
  check_no_personal_data(m);
  // Other kinds never mention a password value.
  CHECK_FALSE(contains(c::compose_booking_mail(K::changed, b, "本庁1番窓口", kStart, settings(), "", kUrl).body,
                       "お電話でお伝えしたもの"));
}
