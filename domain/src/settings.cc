#include "madoguchi/domain/settings.h"

#include <set>
#include <vector>

#include "madoguchi/domain/record_body.h"
#include "text.h"

namespace madoguchi::domain {

namespace {
constexpr std::string_view kWhat = "setting";

Error bad(std::string_view field, std::string_view reason) { return detail::field_error(field, reason); }

using detail::check_line;

Status check_logo_path(std::string_view p) {
  if (p.empty()) return {};
  bool ok = p.size() >= 2 && p.size() <= 256 && p.front() == '/' && p.find("..") == std::string_view::npos &&
            p.find("//") == std::string_view::npos;
  for (char c : p) {
    ok = ok && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                c == '-' || c == '/');
  }
  if (!ok) return bad("logo_path", "must be empty or a URL path like /assets/emblem.png (A-Z a-z 0-9 . _ - /)");
  return {};
}

Status check_mail_from(std::string_view a) {
  if (a.empty()) return {};
  const auto at = a.find('@');
  bool ok = a.size() <= 254 && at != std::string_view::npos && at > 0 && at + 1 < a.size() &&
            a.find('@', at + 1) == std::string_view::npos && a.find('.', at) != std::string_view::npos;
  for (char c : a) ok = ok && c > 0x20 && c < 0x7f && c != '<' && c != '>' && c != ',' && c != ';' && c != '"';
  if (!ok) return bad("mail_from", "must be empty or one mail address like yoyaku@city.example.jp");
  return {};
}

Status check_mail_texts(const std::map<std::string, std::string>& texts) {
  if (texts.size() > kMaxMailTexts) return bad("mail_texts", "at most " + std::to_string(kMaxMailTexts) + " kinds");
  for (const auto& [kind, text] : texts) {
    bool ok = !kind.empty() && kind.size() <= 32;
    for (char c : kind) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
    if (!ok) return bad("mail_texts", "kinds must be 1-32 characters of a-z 0-9 _");
    std::size_t chars = 0;
    for (std::size_t i = 0; i < text.size();) {
      auto cp = detail::next_code_point(text, i);
      if (!cp) return bad("mail_texts." + kind, "must be valid UTF-8");
      if (detail::is_control(*cp) && *cp != '\n' && *cp != '\r' && *cp != '\t') {
        return bad("mail_texts." + kind, "must not contain control characters other than line breaks and tabs");
      }
      ++chars;
    }
    if (chars > kMaxMailTextChars) {
      return bad("mail_texts." + kind, "must be at most " + std::to_string(kMaxMailTextChars) + " characters");
    }
  }
  return {};
}

// One piece of a receipt number rule.
struct RulePart {
  enum Kind { literal, yyyy, yy, mm, dd, seq } kind;
  std::string text;   // literal
  int width = 0;      // seq
};

Expected<std::vector<RulePart>> parse_rule(std::string_view rule) {
  auto fail = [](std::string_view reason) { return bad("receipt_number_rule", reason); };
  if (rule.empty() || rule.size() > 64) return fail("must be 1-64 characters");
  std::vector<RulePart> parts;
  int seqs = 0;
  for (std::size_t i = 0; i < rule.size();) {
    const char c = rule[i];
    if (c == '{') {
      const auto close = rule.find('}', i);
      if (close == std::string_view::npos) return fail("a '{' has no matching '}'");
      const auto name = rule.substr(i + 1, close - i - 1);
      if (name == "YYYY") {
        parts.push_back({RulePart::yyyy, {}, 0});
      } else if (name == "YY") {
        parts.push_back({RulePart::yy, {}, 0});
      } else if (name == "MM") {
        parts.push_back({RulePart::mm, {}, 0});
      } else if (name == "DD") {
        parts.push_back({RulePart::dd, {}, 0});
      } else if (name.size() == 4 && name.substr(0, 3) == "SEQ" && name[3] >= '3' && name[3] <= '8') {
        parts.push_back({RulePart::seq, {}, name[3] - '0'});
        ++seqs;
      } else {
        return fail("unknown placeholder (use {YYYY} {YY} {MM} {DD} {SEQ3}..{SEQ8})");
      }
      i = close + 1;
      continue;
    }
    const bool lit = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!lit) return fail("characters outside placeholders must be A-Z a-z 0-9 - _");
    if (parts.empty() || parts.back().kind != RulePart::literal) parts.push_back({RulePart::literal, {}, 0});
    parts.back().text += c;
    ++i;
  }
  if (seqs != 1) return fail("must contain exactly one {SEQn}");
  return parts;
}

std::string pad(std::uint64_t v, int width) {
  std::string s = std::to_string(v);
  if (s.size() < static_cast<std::size_t>(width)) s.insert(0, static_cast<std::size_t>(width) - s.size(), '0');
  return s;
}
}  // namespace

Status validate_receipt_number_rule(std::string_view rule) {
  auto parts = parse_rule(rule);
  if (!parts) return parts.error();
  return {};
}

Expected<std::string> format_receipt_number(std::string_view rule, std::chrono::year_month_day date,
                                            std::uint64_t seq) {
  auto parts = parse_rule(rule);
  if (!parts) return parts.error();
  if (!date.ok()) return make_error(Errc::invalid_argument, "date: not a valid calendar date");
  const int year = static_cast<int>(date.year());
  if (year < 1 || year > 9999) return make_error(Errc::invalid_argument, "date: year must be 1-9999");
  std::string out;
  for (const auto& p : *parts) {
    switch (p.kind) {
      case RulePart::literal: out += p.text; break;
      case RulePart::yyyy: out += pad(static_cast<std::uint64_t>(year), 4); break;
      case RulePart::yy: out += pad(static_cast<std::uint64_t>(year % 100), 2); break;
      case RulePart::mm: out += pad(static_cast<unsigned>(date.month()), 2); break;
      case RulePart::dd: out += pad(static_cast<unsigned>(date.day()), 2); break;
      case RulePart::seq: {
        std::string s = pad(seq, p.width);
        if (s.size() > static_cast<std::size_t>(p.width)) {
          return make_error(Errc::invalid_argument, "seq: " + std::to_string(seq) + " needs more than " +
                                                        std::to_string(p.width) + " digits");
        }
        out += s;
        break;
      }
    }
  }
  return out;
}

std::vector<std::string> changed_settings(const Settings& before, const Settings& s) {
  std::vector<std::string> out;
  auto note = [&](bool differs, std::string name) {
    if (differs) out.push_back(std::move(name));
  };
  note(s.service_name != before.service_name, "service_name");
  note(s.municipality_name != before.municipality_name, "municipality_name");
  note(s.logo_path != before.logo_path, "logo_path");
  note(s.session_idle != before.session_idle, "session_idle_minutes");
  note(s.password.min_length != before.password.min_length, "password.min_length");
  note(s.password.require_upper != before.password.require_upper, "password.require_upper");
  note(s.password.require_lower != before.password.require_lower, "password.require_lower");
  note(s.password.require_digit != before.password.require_digit, "password.require_digit");
  note(s.password.require_symbol != before.password.require_symbol, "password.require_symbol");
  note(s.password.lockout_threshold != before.password.lockout_threshold, "password.lockout_threshold");
  note(s.password.lockout_minutes != before.password.lockout_minutes, "password.lockout_minutes");
  note(s.password.max_age_days != before.password.max_age_days, "password.max_age_days");
  note(s.password.history != before.password.history, "password.history");
  note(s.booking_days_ahead != before.booking_days_ahead, "booking_days_ahead");
  note(s.receipt_number_rule != before.receipt_number_rule, "receipt_number_rule");
  note(s.reminder_days_before != before.reminder_days_before, "reminder_days_before");
  note(s.mail_from != before.mail_from, "mail_from");
  std::set<std::string> kinds;
  for (const auto& [k, v] : before.mail_texts) kinds.insert(k);
  for (const auto& [k, v] : s.mail_texts) kinds.insert(k);
  for (const std::string& k : kinds) {
    const auto a = s.mail_texts.find(k);
    const auto b = before.mail_texts.find(k);
    note((a == s.mail_texts.end()) != (b == before.mail_texts.end()) || (a != s.mail_texts.end() && a->second != b->second),
         "mail_texts." + k);
  }
  return out;
}

Status validate_settings(const Settings& s) {
  if (s.session_idle.count() < 1 || s.session_idle.count() > 480) return bad("session_idle_minutes", "must be 1-480");
  if (auto st = validate_password_rules(s.password); !st) {
    return make_error(Errc::invalid_argument, "password." + st.error().message);
  }
  if (auto st = check_line("service_name", s.service_name, 1, 64); !st) return st;
  if (auto st = check_line("municipality_name", s.municipality_name, 0, 64); !st) return st;
  if (auto st = check_logo_path(s.logo_path); !st) return st;
  if (auto st = validate_receipt_number_rule(s.receipt_number_rule); !st) return st;
  if (auto st = check_mail_texts(s.mail_texts); !st) return st;
  if (auto st = check_mail_from(s.mail_from); !st) return st;
  if (s.reminder_days_before < 0 || s.reminder_days_before > 30) return bad("reminder_days_before", "must be 0-30");
  if (s.booking_days_ahead < 1 || s.booking_days_ahead > 365) return bad("booking_days_ahead", "must be 1-365");
  if (const auto size = dump_body(settings_to_json(s)).size(); size > kMaxBodyBytes) {
    return make_error(Errc::too_large, "mail_texts: the settings are " + std::to_string(size) +
                                           " bytes, over the record bound of " + std::to_string(kMaxBodyBytes));
  }
  return {};
}

nlohmann::json settings_to_json(const Settings& s) {
  nlohmann::json mail = nlohmann::json::object();
  for (const auto& [k, v] : s.mail_texts) mail[k] = v;
  return nlohmann::json{{"session_idle_minutes", s.session_idle.count()},
                        {"password", password_rules_to_json(s.password)},
                        {"service_name", s.service_name},
                        {"municipality_name", s.municipality_name},
                        {"logo_path", s.logo_path},
                        {"receipt_number_rule", s.receipt_number_rule},
                        {"mail_texts", std::move(mail)},
                        {"mail_from", s.mail_from},
                        {"reminder_days_before", s.reminder_days_before},
                        {"booking_days_ahead", s.booking_days_ahead}};
}

Expected<Settings> settings_from_json(const nlohmann::json& body) {
  using namespace detail;
  if (auto st = require_object(body, kWhat); !st) return st.error();
  if (auto st = refuse_unknown_keys(body, kWhat,
                                    {"session_idle_minutes", "password", "service_name", "municipality_name",
                                     "logo_path", "receipt_number_rule", "mail_texts", "mail_from",
                                     "reminder_days_before", "booking_days_ahead"});
      !st) {
    return st.error();
  }
  Settings s;
  int idle = static_cast<int>(s.session_idle.count());
  // Wide conversion bounds here; validate_settings below states the real ranges.
  if (auto st = read_int_in(body, kWhat, "session_idle_minutes", idle, -1'000'000, 1'000'000, false); !st) {
    return st.error();
  }
  s.session_idle = std::chrono::minutes(idle);
  if (auto it = body.find("password"); it != body.end()) {
    auto rules = password_rules_from_json(*it);
    if (!rules) {
      auto e = rules.error();
      if (e.code == Errc::invalid_argument) e.message = "password." + e.message;
      return e;
    }
    s.password = *rules;
  }
  for (auto [key, field] : {std::pair{"service_name", &s.service_name},
                            std::pair{"municipality_name", &s.municipality_name}, std::pair{"logo_path", &s.logo_path},
                            std::pair{"receipt_number_rule", &s.receipt_number_rule},
                            std::pair{"mail_from", &s.mail_from}}) {
    if (auto st = read_string(body, kWhat, key, *field, false); !st) return st.error();
  }
  if (auto it = body.find("mail_texts"); it != body.end()) {
    if (!it->is_object()) return make_error(Errc::malformed, "setting.mail_texts: must be an object");
    for (auto m = it->begin(); m != it->end(); ++m) {
      if (!m->is_string()) return make_error(Errc::malformed, "setting.mail_texts: values must be strings");
      s.mail_texts[m.key()] = m->get<std::string>();
    }
  }
  if (auto st = read_int_in(body, kWhat, "reminder_days_before", s.reminder_days_before, -1'000'000, 1'000'000, false);
      !st) {
    return st.error();
  }
  if (auto st = read_int_in(body, kWhat, "booking_days_ahead", s.booking_days_ahead, -1'000'000, 1'000'000, false);
      !st) {
    return st.error();
  }
  if (auto st = validate_settings(s); !st) return st.error();
  return s;
}

}  // namespace madoguchi::domain
