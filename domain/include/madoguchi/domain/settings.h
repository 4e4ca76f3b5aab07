// System settings of the console and the booking site (SYS-1, ACC-4, MST-7, RSV-13, RSV-14).
//
// Record: entity "setting" (kSettingsEntity), ONE record with key "system" (kSettingsKey) holding
// every setting. Why one record: settings change rarely and together, are validated together, and
// one record has one version, so an administrator's change either applies whole or is refused
// whole by the conflict rule (EDGE-5). The price, two administrators editing unrelated settings at
// the same moment conflict, is small. The body must stay within kMaxBodyBytes (32 KiB), which is
// why mail texts are bounded (validate_settings checks the serialised size).
//
// Body (keys absent from a stored body keep their defaults; unknown keys are refused):
//   {"booking_days_ahead":60,"logo_path":"/assets/emblem.png","mail_from":"yoyaku@city.example.jp",
//    "mail_texts":{"booking_made":"..."},"municipality_name":"〇〇市",
//    "password":{...password_rules_to_json...},"receipt_number_rule":"{YYYY}{MM}{DD}-{SEQ4}",
//    "reminder_days_before":1,"service_name":"マイナンバーカード交付予約・管理","session_idle_minutes":15}
// While no record exists, Settings{} (the defaults below) applies.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>
#include <string_view>

#include <nlohmann/json.hpp>

#include "madoguchi/domain/password.h"
#include "madoguchi/error.h"

namespace madoguchi::domain {

inline constexpr std::string_view kSettingsEntity = "setting";
inline constexpr std::string_view kSettingsKey = "system";
inline constexpr std::size_t kMaxMailTexts = 16;
inline constexpr std::size_t kMaxMailTextChars = 2000;

struct Settings {
  // Automatic sign-out after this long without a request (ACC-4), 1-480 minutes.
  std::chrono::minutes session_idle{15};
  PasswordRules password;  // ACC-4: configurable password rules and lockout
  // Shown in every screen's header (ISS-17), 1-64 characters.
  std::string service_name = "マイナンバーカード交付予約・管理";
  // e.g. "〇〇市", 0-64 characters (empty until set up).
  std::string municipality_name;
  // URL path of the emblem image in the header (SYS-1 header logo), e.g. "/assets/emblem.png":
  // empty (no logo) or "/" followed by 1-255 of [A-Za-z0-9._-/], no "..", no "//". A path, never a
  // URL: the console never makes a browser fetch from another site.
  std::string logo_path;
  // Receipt number format (MST-7, RSV-10); see format_receipt_number.
  std::string receipt_number_rule = "{YYYY}{MM}{DD}-{SEQ4}";
  // Mail texts by kind, e.g. "booking_made", "booking_changed", "booking_cancelled", "reminder":
  // kind 1-32 of [a-z0-9_], at most kMaxMailTexts kinds, each text at most kMaxMailTextChars
  // characters (line breaks and tabs allowed). Placeholders inside are the mail sender's business.
  std::map<std::string, std::string> mail_texts;
  // Sender address of confirmation mails (RSV-14), empty until the operator provides one; else
  // local@domain, at most 254 bytes of printable ASCII.
  std::string mail_from;
  // Reminder mails go this many days before the visit (RSV-13); 0 = no reminders; 0-30.
  int reminder_days_before = 1;
  // How many days ahead residents can book (MST-7), 1-365.
  int booking_days_ahead = 60;
};

// Errors: invalid_argument "<field>: <reason>" (field = JSON key; "password.min_length" for the
// rules), too_large when the serialised body is over kMaxBodyBytes.
Status validate_settings(const Settings& settings);

// The fields that differ between two settings, by JSON key ("password.min_length",
// "mail_texts.<kind>"), in the order of settings_to_json: what a settings.update log entry names.
std::vector<std::string> changed_settings(const Settings& before, const Settings& after);

nlohmann::json settings_to_json(const Settings& settings);
// Missing keys keep their defaults; unknown keys (also inside "password") are malformed; the result
// is validated.
Expected<Settings> settings_from_json(const nlohmann::json& body);

// Receipt number rule: literal characters [A-Za-z0-9-_] and placeholders {YYYY} {YY} {MM} {DD}
// and exactly one {SEQn} (n = 3-8: the day's sequence number, zero-padded to n digits); 1-64 bytes.
// Errors: invalid_argument "receipt_number_rule: ...".
Status validate_receipt_number_rule(std::string_view rule);
// Formats a receipt number for a date and sequence number. Errors: invalid_argument (bad rule, or
// seq needs more than n digits: the day's numbers are used up).
Expected<std::string> format_receipt_number(std::string_view rule, std::chrono::year_month_day date,
                                            std::uint64_t seq);

}  // namespace madoguchi::domain
