// システム設定 (SYS-1) at the hub console (ConsoleOptions::manage_staff): the settings that matter
// now, with 予約 and メール (MST-7, RSV-13, RSV-14) and a preview of the resident's mails from a
// sample booking (POST preview=1 shows it for the typed values without saving). Logs
// settings.update with the changed fields' names (domain::changed_settings), never their values.
//
//   GET/POST /settings
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include <mstch/mstch.hpp>

#include "internal.h"
#include "madoguchi/domain/booking_mail.h"
#include "madoguchi/console/web/page.h"
#include "madoguchi/text/form.h"
#include "modules.h"

namespace madoguchi::console::app {
namespace {


// The mail kinds whose texts this screen edits, in the order shown, with their Japanese names.
struct MailKindRow {
  domain::BookingMailKind kind;
  const char* label;
};
constexpr MailKindRow kMailKinds[] = {
    {domain::BookingMailKind::made, "予約を受け付けたとき"},
    {domain::BookingMailKind::changed, "予約を変更したとき"},
    {domain::BookingMailKind::cancelled, "予約を取り消したとき"},
    {domain::BookingMailKind::reminder, "予約の日が近づいたとき（リマインド）"},
};

// The form field of a kind's text: "mail_text_booking_made", ...
std::string mail_text_field(domain::BookingMailKind kind) { return "mail_text_" + std::string(domain::booking_mail_text_key(kind)); }

// The sample booking of the mail preview: nobody's data, only what the mails may carry.
constexpr std::string_view kSamplePassword = "7KQ3M9TX2P";
constexpr std::string_view kSampleCounter = "第1窓口";
constexpr std::string_view kSampleSiteUrl = "https://（予約サイトのアドレス）/";

std::chrono::year_month_day to_ymd(const calendar::Date& d) {
  return std::chrono::year_month_day{std::chrono::year(d.year), std::chrono::month(static_cast<unsigned>(d.month)),
                                     std::chrono::day(static_cast<unsigned>(d.day))};
}

// The fields of `s` as the form shows them, the first receipt number of `today` under its rule
// and, when `preview`, each kind's mail composed from a sample booking (the made one first).
mstch::map settings_values(const domain::Settings& s, const calendar::Date& today, bool preview) {
  mstch::map m{{"service_name", s.service_name},
               {"municipality_name", s.municipality_name},
               {"logo_path", s.logo_path},
               {"session_idle_minutes", std::to_string(s.session_idle.count())},
               {"min_length", std::to_string(s.password.min_length)},
               {"lockout_threshold", std::to_string(s.password.lockout_threshold)},
               {"lockout_minutes", std::to_string(s.password.lockout_minutes)},
               {"max_age_days", std::to_string(s.password.max_age_days)},
               {"history", std::to_string(s.password.history)},
               {"require_upper", s.password.require_upper},
               {"require_lower", s.password.require_lower},
               {"require_digit", s.password.require_digit},
               {"require_symbol", s.password.require_symbol},
               {"booking_days_ahead", std::to_string(s.booking_days_ahead)},
               {"receipt_number_rule", s.receipt_number_rule},
               {"reminder_days_before", std::to_string(s.reminder_days_before)},
               {"mail_from", s.mail_from}};
  auto first = domain::format_receipt_number(s.receipt_number_rule, to_ymd(today), 1);
  if (first) m.emplace("receipt_example", *first);
  mstch::array texts;
  for (const MailKindRow& k : kMailKinds) {
    const auto it = s.mail_texts.find(std::string(domain::booking_mail_text_key(k.kind)));
    texts.emplace_back(mstch::map{{"field", mail_text_field(k.kind)},
                                  {"label", std::string(k.label)},
                                  {"text", it == s.mail_texts.end() ? std::string() : it->second}});
  }
  m.emplace("mail_texts", std::move(texts));
  if (preview) {
    domain::Booking b;
    b.receipt = first ? *first : std::string("20260401-0001");
    b.business = domain::Business::collection;
    b.counter = "1";
    b.people.resize(2);
    const domain::LocalDateTime start{calendar::add_days(today, 7), 9 * 60 + 30};
    mstch::array mails;
    for (const MailKindRow& k : kMailKinds) {
      const domain::BookingMail mail = domain::compose_booking_mail(k.kind, b, kSampleCounter, start, s, kSamplePassword, kSampleSiteUrl);
      mails.emplace_back(mstch::map{{"label", std::string(k.label)},
                                    {"first", k.kind == domain::BookingMailKind::made},
                                    {"subject", mail.subject},
                                    {"body", mail.body}});
    }
    m.emplace("has_preview", true);
    m.emplace("preview_receipt", b.receipt);
    m.emplace("preview_mails", std::move(mails));
  }
  return m;
}

// A whole number lo-hi typed into `field`, or an error message next to it.
void read_int(const text::Form& form, const std::string& field, const std::string& label, int lo, int hi, int& out,
              std::vector<web::FieldError>& errors) {
  const std::string v = form.value(field);
  const std::string range = label + "は" + std::to_string(lo) + "から" + std::to_string(hi) + "までの整数で入力してください。";
  if (v.empty() || v.size() > 6 || v.find_first_not_of("0123456789") != std::string::npos) {
    errors.push_back({field, range});
    return;
  }
  const int n = std::stoi(v);
  if (n < lo || n > hi) {
    errors.push_back({field, range});
    return;
  }
  out = n;
}

std::size_t chars(const std::string& s) {
  std::size_t n = 0;
  for (char ch : s) n += (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
  return n;
}



// Line breaks as the mails use them ("\n"); a text of nothing but spaces and line breaks is empty
// (the built-in text applies).
std::string mail_text_from_form(const std::string& typed) {
  std::string out;
  out.reserve(typed.size());
  for (std::size_t i = 0; i < typed.size(); ++i) {
    if (typed[i] == '\r') {
      out += '\n';
      if (i + 1 < typed.size() && typed[i + 1] == '\n') ++i;
    } else {
      out += typed[i];
    }
  }
  if (out.find_first_not_of(" \t\n") == std::string::npos) out.clear();
  return out;
}

std::string trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// The Japanese message for what validate_settings refused (`key` = the field its message names),
// the form field it belongs to, and whether `s` can take that field back from `before` to look
// for further refusals.
struct DomainRefusal {
  std::string field;
  std::string message;
  bool restorable = true;
};

DomainRefusal refusal_of(const Error& e, const std::string& key) {
  const std::string& m = e.message;
  if (e.code == Errc::too_large) {
    return {mail_text_field(domain::BookingMailKind::made),
            "メールの文面が全体として長すぎて保存できません。文面を短くしてください。", false};
  }
  if (key == "logo_path") {
    return {"logo_path", "ロゴ画像のパスは「/」で始まり、半角英数字と「.」「_」「-」「/」だけの256文字以内にしてください（「..」「//」は使えません）。"};
  }
  if (key == "service_name") return {"service_name", "サービス名に使えない文字が含まれています。"};
  if (key == "municipality_name") return {"municipality_name", "自治体名に使えない文字が含まれています。"};
  if (key == "booking_days_ahead") return {key, "予約を受け付ける日数は1から365までの整数で入力してください。"};
  if (key == "reminder_days_before") return {key, "リマインドメールを送る日は0から30までの整数で入力してください。"};
  if (key == "mail_from") {
    return {key, "送信元メールアドレスは「yoyaku@city.example.jp」のような半角のメールアドレスを1つ入力してください。"};
  }
  if (key == "receipt_number_rule") {
    std::string detail;
    if (m.find("exactly one {SEQn}") != std::string::npos) {
      detail = "連番の{SEQ3}〜{SEQ8}をちょうど1つ入れてください。";
    } else if (m.find("unknown placeholder") != std::string::npos || m.find("no matching") != std::string::npos) {
      detail = "使える記号は{YYYY}{YY}{MM}{DD}{SEQ3}〜{SEQ8}だけです。";
    } else if (m.find("outside placeholders") != std::string::npos) {
      detail = "記号の外に使える文字は半角英数字と「-」「_」だけです。";
    } else {
      detail = "1文字以上64文字以内で入力してください。";
    }
    return {key, "受付番号の形式が正しくありません。" + detail};
  }
  for (const MailKindRow& k : kMailKinds) {
    if (key == "mail_texts." + std::string(domain::booking_mail_text_key(k.kind))) {
      if (m.find("at most") != std::string::npos) {
        return {mail_text_field(k.kind), "メールの文面は" + std::to_string(domain::kMaxMailTextChars) + "文字以内で入力してください。"};
      }
      return {mail_text_field(k.kind), "メールの文面に使えない文字（制御文字）が含まれています。"};
    }
  }
  return {"", "この設定は保存できません。入力内容を確かめてください。", false};
}

// Takes the refused field back from `before` (valid), so validate_settings can look further.
void restore(domain::Settings& s, const domain::Settings& before, const std::string& key) {
  if (key == "logo_path") s.logo_path = before.logo_path;
  if (key == "service_name") s.service_name = before.service_name;
  if (key == "municipality_name") s.municipality_name = before.municipality_name;
  if (key == "booking_days_ahead") s.booking_days_ahead = before.booking_days_ahead;
  if (key == "reminder_days_before") s.reminder_days_before = before.reminder_days_before;
  if (key == "mail_from") s.mail_from = before.mail_from;
  if (key == "receipt_number_rule") s.receipt_number_rule = before.receipt_number_rule;
  if (key.rfind("mail_texts.", 0) == 0) {
    const std::string kind = key.substr(11);
    if (auto it = before.mail_texts.find(kind); it != before.mail_texts.end()) {
      s.mail_texts[kind] = it->second;
    } else {
      s.mail_texts.erase(kind);
    }
  }
}


// The settings the form asks for, on top of `before` (fields this screen does not show, such as
// mail texts of other kinds, are kept); each value typed wrong adds its error.
domain::Settings settings_from_form(const text::Form& form, const domain::Settings& before,
                                    std::vector<web::FieldError>& errors) {
  domain::Settings s = before;
  s.service_name = form.value("service_name");
  s.municipality_name = form.value("municipality_name");
  s.logo_path = form.value("logo_path");
  if (s.service_name.empty() || chars(s.service_name) > 64) {
    errors.push_back({"service_name", "サービス名は1文字以上64文字以内で入力してください。"});
  }
  if (chars(s.municipality_name) > 64) errors.push_back({"municipality_name", "自治体名は64文字以内で入力してください。"});
  int idle = static_cast<int>(before.session_idle.count());
  read_int(form, "session_idle_minutes", "自動ログアウトまでの時間", 1, 480, idle, errors);
  s.session_idle = std::chrono::minutes(idle);
  read_int(form, "min_length", "パスワードの最小文字数", 8, 64, s.password.min_length, errors);
  read_int(form, "lockout_threshold", "ロックするまでの失敗回数", 1, 100, s.password.lockout_threshold, errors);
  read_int(form, "lockout_minutes", "ロックする時間", 1, 1440, s.password.lockout_minutes, errors);
  read_int(form, "max_age_days", "パスワードの有効期限", 0, 3650, s.password.max_age_days, errors);
  read_int(form, "history", "使えない世代数", 0, 24, s.password.history, errors);
  s.password.require_upper = form.value("require_upper") == "1";
  s.password.require_lower = form.value("require_lower") == "1";
  s.password.require_digit = form.value("require_digit") == "1";
  s.password.require_symbol = form.value("require_symbol") == "1";
  // 予約 (MST-7, RSV-13) and メール (RSV-14).
  read_int(form, "booking_days_ahead", "予約を受け付ける日数", 1, 365, s.booking_days_ahead, errors);
  s.receipt_number_rule = trimmed(form.value("receipt_number_rule"));
  read_int(form, "reminder_days_before", "リマインドメールを送る日", 0, 30, s.reminder_days_before, errors);
  s.mail_from = trimmed(form.value("mail_from"));
  for (const MailKindRow& k : kMailKinds) {
    const std::string key(domain::booking_mail_text_key(k.kind));
    const std::string text = mail_text_from_form(form.value(mail_text_field(k.kind)));
    if (text.empty()) {
      s.mail_texts.erase(key);
    } else {
      s.mail_texts[key] = text;
    }
  }
  return s;
}

// The domain's rules are the last word: each field it refuses gets its message, and is taken
// back from the valid settings so the next refusal shows too.
void add_domain_refusals(const domain::Settings& s, const domain::Settings& before, std::vector<web::FieldError>& errors) {
  domain::Settings probe = s;
  std::vector<std::string> seen;
  while (true) {
    auto v = domain::validate_settings(probe);
    if (v) break;
    const std::string& m = v.error().message;
    const std::string key = m.substr(0, m.find(':'));
    const DomainRefusal r = refusal_of(v.error(), key);
    if (r.field.empty()) {
      // Not a field of this screen's (nor one typed wrong above): say so once.
      if (errors.empty()) errors.push_back({"service_name", r.message});
      break;
    }
    bool already = false;
    for (const auto& e : errors) already = already || e.field == r.field;
    if (!already) errors.push_back({r.field, r.message});
    if (!r.restorable || std::find(seen.begin(), seen.end(), key) != seen.end()) break;
    seen.push_back(key);
    restore(probe, before, key);
  }
}

// The form shown again with what was typed (bounded) and each error at its field.
mstch::map typed_values(const text::Form& form, const domain::Settings& s, const calendar::Date& today,
                        const std::vector<web::FieldError>& errors) {
  mstch::map shown = settings_values(s, today, false);
  for (const char* f : {"session_idle_minutes", "min_length", "lockout_threshold", "lockout_minutes", "max_age_days",
                        "history", "booking_days_ahead", "reminder_days_before"}) {
    std::string v = form.value(f);
    if (v.size() > 16) v.resize(16);
    shown.insert_or_assign(f, v);
  }
  for (const char* f : {"service_name", "municipality_name", "logo_path", "receipt_number_rule", "mail_from"}) {
    std::string v = form.value(f);
    if (v.size() > 1024) v.resize(1024);
    shown.insert_or_assign(f, v);
  }
  // The texts as typed (bounded: a bigger one is refused anyway), each with its error.
  mstch::array texts;
  for (const MailKindRow& k : kMailKinds) {
    const std::string field = mail_text_field(k.kind);
    std::string v = mail_text_from_form(form.value(field));
    if (v.size() > 4 * domain::kMaxMailTextChars + 16) v.resize(4 * domain::kMaxMailTextChars + 16);
    mstch::map row{{"field", field}, {"label", std::string(k.label)}, {"text", v}};
    for (const auto& e : errors) {
      if (e.field == field) {
        row.emplace("error", e.message);
        break;
      }
    }
    texts.emplace_back(std::move(row));
  }
  shown.insert_or_assign("mail_texts", std::move(texts));
  return shown;
}

class SettingsPages final : public PageModule {
 public:
  explicit SettingsPages(Shell& shell) : PageModule(shell) {}

  void add_routes(RouteTable& routes) override {
    routes.add(route(Route::Methods::get_or_post, "/settings", &SettingsPages::settings, this, {domain::Menu::settings}));
  }

 private:
  http::Response settings(Context& c) { return c.post() ? post_settings(c) : settings_form(c, {}, {}, 200, false); }
  http::Response settings_form(Context& c, const mstch::map& values, const std::vector<web::FieldError>& errors,
                               int status, bool saved);
  http::Response post_settings(Context& c);
};

http::Response SettingsPages::settings_form(Context& c, const mstch::map& values, const std::vector<web::FieldError>& errors,
                                         int status, bool saved) {
  mstch::map content = values.empty() ? settings_values(c.settings, domain::japan_local_time(c.wall_ms).date, true) : values;
  if (saved) content.insert_or_assign("saved", true);
  content.insert_or_assign("csrf_token", c.session->csrf_token);
  if (!web::add_field_errors(content, errors)) return error(c, 500);
  return content_page(c, std::string(domain::menu_label(domain::Menu::settings)), domain::Menu::settings, "settings_form", std::move(content),
                      status);
}

// Posts "preview" = 1 for the mail preview without saving.
http::Response SettingsPages::post_settings(Context& c) {
  const text::Form& form = *c.form;
  const domain::Settings before = c.settings;
  const calendar::Date today = domain::japan_local_time(c.wall_ms).date;
  std::vector<web::FieldError> errors;
  const domain::Settings s = settings_from_form(form, before, errors);
  add_domain_refusals(s, before, errors);
  if (!errors.empty()) return settings_form(c, typed_values(form, s, today, errors), errors, 422, false);
  if (form.value("preview") == "1") {
    // Shown, not saved: the form keeps what was typed, the preview shows what it would send.
    mstch::map shown = settings_values(s, today, true);
    shown.insert_or_assign("previewed", true);
    return settings_form(c, shown, {}, 200, false);
  }
  const std::vector<std::string> changed = domain::changed_settings(before, s);
  if (!changed.empty()) {
    if (!store_.save_settings(s)) return error(c, 503);
    std::string detail;
    for (const std::string& field : changed) detail += (detail.empty() ? "" : ", ") + field;
    log("settings.update", c.account->id, "setting/system", detail);
    c.settings = s;
  }
  return settings_form(c, {}, {}, 200, true);
}

}  // namespace

std::unique_ptr<PageModule> make_settings_pages(Shell& shell) { return std::make_unique<SettingsPages>(shell); }

}  // namespace madoguchi::console::app
