#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "madoguchi/domain/record_body.h"
#include "madoguchi/domain/settings.h"

namespace c = madoguchi::domain;
using madoguchi::Errc;
using namespace std::chrono_literals;

namespace {
std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

// The error of settings_from_json for the defaults with one key changed.
madoguchi::Error refusal(const char* key, const nlohmann::json& value) {
  auto j = c::settings_to_json(c::Settings{});
  j[key] = value;
  auto s = c::settings_from_json(j);
  REQUIRE_FALSE(s.ok());
  return s.error();
}
}  // namespace

TEST_CASE("The default settings are valid and round-trip through the setting/system record (SYS-1)",
          "[console][settings]") {
  CHECK(c::kSettingsEntity == "setting");
  CHECK(c::kSettingsKey == "system");
  const c::Settings d;
  CHECK(c::validate_settings(d).ok());
  CHECK(d.session_idle == 15min);
  CHECK(d.service_name == "マイナンバーカード交付予約・管理");
  CHECK(d.receipt_number_rule == "{YYYY}{MM}{DD}-{SEQ4}");
  auto body = c::parse_body(c::dump_body(c::settings_to_json(d)));
  REQUIRE(body.ok());
  auto back = c::settings_from_json(*body);
  REQUIRE(back.ok());
  CHECK(c::settings_to_json(*back) == c::settings_to_json(d));
}

TEST_CASE("Changed settings round-trip, Japanese texts and mail texts with line breaks included (SYS-1)",
          "[console][settings]") {
  c::Settings s;
  s.session_idle = 30min;
  s.password.min_length = 14;
  s.password.lockout_minutes = 60;
  s.municipality_name = "〇〇町";
  s.logo_path = "/assets/emblem.png";
  s.receipt_number_rule = "R{YY}{MM}-{SEQ6}";
  s.mail_texts["booking_made"] = "{name} 様\nご予約を受け付けました。\n\t受付番号: {receipt}";
  s.mail_texts["reminder"] = "明日はご来庁の日です。";
  s.mail_from = "yoyaku@town.example.jp";
  s.reminder_days_before = 2;
  s.booking_days_ahead = 90;
  REQUIRE(c::validate_settings(s).ok());
  auto back = c::settings_from_json(c::settings_to_json(s));
  REQUIRE(back.ok());
  CHECK(back->session_idle == 30min);
  CHECK(back->password.min_length == 14);
  CHECK(back->password.lockout_minutes == 60);
  CHECK(back->municipality_name == "〇〇町");
  CHECK(back->logo_path == "/assets/emblem.png");
  CHECK(back->receipt_number_rule == "R{YY}{MM}-{SEQ6}");
  CHECK(back->mail_texts == s.mail_texts);
  CHECK(back->mail_from == s.mail_from);
  CHECK(back->reminder_days_before == 2);
  CHECK(back->booking_days_ahead == 90);
}

TEST_CASE("Keys missing from a stored setting keep their defaults", "[console][settings]") {
  auto s = c::settings_from_json(nlohmann::json{{"municipality_name", "〇〇市"}});
  REQUIRE(s.ok());
  CHECK(s->municipality_name == "〇〇市");
  CHECK(s->session_idle == 15min);
  CHECK(s->password.min_length == 12);
}

TEST_CASE("Unknown setting keys are refused, inside the password rules too", "[console][settings]") {
  auto top = refusal("session_timeout", 15);
  CHECK(top.code == Errc::malformed);
  CHECK(top.message.find("session_timeout") != std::string::npos);
  auto j = c::settings_to_json(c::Settings{});
  j["password"]["minimum"] = 12;
  auto inner = c::settings_from_json(j);
  REQUIRE_FALSE(inner.ok());
  CHECK(inner.error().code == Errc::malformed);
  CHECK(c::settings_from_json(nlohmann::json::array()).error().code == Errc::malformed);
}

TEST_CASE("Setting values outside their rules are refused naming the field (SYS-1)", "[console][settings]") {
  CHECK(refusal("session_idle_minutes", 0).message == "session_idle_minutes: must be 1-480");
  CHECK(refusal("session_idle_minutes", 481).message == "session_idle_minutes: must be 1-480");
  CHECK(refusal("session_idle_minutes", "15").code == Errc::malformed);
  CHECK(refusal("session_idle_minutes", 1.5).code == Errc::malformed);
  CHECK(refusal("password", nlohmann::json{{"min_length", 7}}).message == "password.min_length: must be 8-64");
  CHECK(refusal("service_name", "").message == "service_name: must not be empty");
  CHECK(refusal("municipality_name", "〇〇\n市").message.rfind("municipality_name: ", 0) == 0);
  for (const char* logo : {"https://evil.example/logo.png", "/../etc/passwd", "//evil.example/x.png", "logo.png",
                           "/assets/<script>.png"}) {
    INFO(logo);
    auto e = refusal("logo_path", logo);
    CHECK(e.code == Errc::invalid_argument);
    CHECK(e.message.rfind("logo_path: ", 0) == 0);
  }
  CHECK(refusal("receipt_number_rule", "{YYYY}{MM}{DD}").message ==
        "receipt_number_rule: must contain exactly one {SEQn}");
  CHECK(refusal("receipt_number_rule", "{YYYY}/{SEQ4}").message.rfind("receipt_number_rule: ", 0) == 0);
  CHECK(refusal("mail_texts", nlohmann::json{{"Booking Made", "x"}}).message.rfind("mail_texts: ", 0) == 0);
  CHECK(refusal("mail_texts", nlohmann::json{{"reminder", "a\x01z"}}).message.rfind("mail_texts.reminder: ", 0) == 0);
  CHECK(refusal("mail_from", "yoyaku").message.rfind("mail_from: ", 0) == 0);
  CHECK(refusal("mail_from", "a@b.jp, c@d.jp").message.rfind("mail_from: ", 0) == 0);
  CHECK(refusal("reminder_days_before", 31).message == "reminder_days_before: must be 0-30");
  CHECK(refusal("booking_days_ahead", 0).message == "booking_days_ahead: must be 1-365");
}

TEST_CASE("Mail texts too large for one record are refused as too large", "[console][settings]") {
  c::Settings s;
  for (int i = 0; i < 8; ++i) s.mail_texts["kind" + std::to_string(i)] = repeat("あ", 1500);  // 8 x 4.5 KB
  auto st = c::validate_settings(s);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == Errc::too_large);
  s.mail_texts.clear();
  s.mail_texts["reminder"] = repeat("あ", c::kMaxMailTextChars + 1);
  CHECK(c::validate_settings(s).error().message == "mail_texts.reminder: must be at most 2000 characters");
}

TEST_CASE("A receipt number rule formats the date and the day's sequence number (MST-7)", "[console][settings]") {
  using std::chrono::year, std::chrono::month, std::chrono::day;
  const std::chrono::year_month_day d{year{2026}, month{4}, day{1}};
  CHECK(*c::format_receipt_number("{YYYY}{MM}{DD}-{SEQ4}", d, 7) == "20260401-0007");
  CHECK(*c::format_receipt_number("A{YY}_{SEQ3}", d, 123) == "A26_123");
  auto full = c::format_receipt_number("{YYYY}{MM}{DD}-{SEQ4}", d, 10000);
  REQUIRE_FALSE(full.ok());
  CHECK(full.error().code == Errc::invalid_argument);
  CHECK_FALSE(c::validate_receipt_number_rule("{SEQ9}").ok());
  CHECK_FALSE(c::validate_receipt_number_rule("{SEQ4}{SEQ4}").ok());
  CHECK_FALSE(c::validate_receipt_number_rule("{YYYY").ok());
  CHECK_FALSE(c::validate_receipt_number_rule("").ok());
  CHECK(c::validate_receipt_number_rule("{SEQ8}").ok());
}

TEST_CASE("changed_settings names the fields that differ, by their JSON keys (SYS-1, SYS-3)", "[domain][settings]") {
  madoguchi::domain::Settings before;
  before.mail_texts["booking_made"] = "a";
  madoguchi::domain::Settings after = before;
  CHECK(madoguchi::domain::changed_settings(before, after).empty());
  after.service_name = "窓口予約";
  after.password.min_length = before.password.min_length + 4;
  after.mail_texts.erase("booking_made");
  after.mail_texts["reminder"] = "r";
  after.booking_days_ahead = 30;
  const std::vector<std::string> expected{"service_name", "password.min_length", "booking_days_ahead",
                                          "mail_texts.booking_made", "mail_texts.reminder"};
  CHECK(madoguchi::domain::changed_settings(before, after) == expected);
}
