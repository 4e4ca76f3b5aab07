// 操作ログ for administrators (SYS-3) and システム設定 (SYS-1) at the hub console
// (ConsoleOptions::manage_staff). route() has already checked the session, the menus (oplog and
// staff for the whole log, settings for /settings) and, for POST, the CSRF token.
//
//   GET /oplog?staff_id=&device=&action=&from=YYYY-MM-DD&to=YYYY-MM-DD&page=N
//       every device's entries, newest first, oplog_admin_page_entries per page
//   GET /oplog/export?<the same filters>&encoding=utf8|cp932   CSV of the filtered result
//   GET /oplog/verify   verify_chain per device over its whole chain, page by page
//   GET/POST /settings  the settings that matter now (with 予約 and メール: MST-7, RSV-13, RSV-14,
//       and a preview of the resident's mails from a sample booking; POST preview=1 shows it
//       for the typed values without saving); logs settings.update with field names
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include <mstch/mstch.hpp>

#include "internal.h"
#include "madoguchi/domain/booking_mail.h"
#include "madoguchi/console/web/page.h"
#include "madoguchi/text/csv.h"
#include "madoguchi/text/encoding.h"
#include "madoguchi/text/form.h"

namespace madoguchi::console::app {
namespace {

constexpr std::size_t kMaxPage = 10000;      // deeper pages: narrow the filter instead
constexpr std::size_t kVerifyChunk = 1000;   // entries read per step of a chain's verification
constexpr std::size_t kMaxDevices = 1000;
constexpr std::size_t kMaxFilterBytes = 256;

std::string query_value(const http::Request& r, const std::string& name) {
  auto it = r.query.find(name);
  return it == r.query.end() ? std::string() : it->second;
}

// Midnight JST (UTC+9) of "YYYY-MM-DD" as wall ms; nullopt when it is not a real date.
std::optional<std::int64_t> jst_day_start(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  }
  using namespace std::chrono;
  const year_month_day ymd{year(std::stoi(s.substr(0, 4))), month(static_cast<unsigned>(std::stoi(s.substr(5, 2)))),
                           day(static_cast<unsigned>(std::stoi(s.substr(8, 2))))};
  if (!ymd.ok()) return std::nullopt;
  const auto t = sys_days(ymd) - 9h;
  return duration_cast<milliseconds>(t.time_since_epoch()).count();
}

struct ParsedFilter {
  OpLogFilter filter;
  std::vector<web::FieldError> errors;
  std::string from, to;  // as typed (bounded)
};

std::string bounded(std::string s) {
  if (s.size() > kMaxFilterBytes) s.resize(kMaxFilterBytes);
  if (!text::valid_utf8(s)) s.clear();
  return s;
}

ParsedFilter parse_filter(const http::Request& r) {
  ParsedFilter p;
  p.filter.staff_id = bounded(query_value(r, "staff_id"));
  p.filter.device = bounded(query_value(r, "device"));
  p.filter.action = bounded(query_value(r, "action"));
  p.from = bounded(query_value(r, "from"));
  p.to = bounded(query_value(r, "to"));
  if (!p.from.empty()) {
    p.filter.from_ms = jst_day_start(p.from);
    if (!p.filter.from_ms) p.errors.push_back({"from", "開始日は「2026-04-01」の形で、正しい日付を入力してください。"});
  }
  if (!p.to.empty()) {
    auto start = jst_day_start(p.to);
    if (!start) {
      p.errors.push_back({"to", "終了日は「2026-04-30」の形で、正しい日付を入力してください。"});
    } else {
      p.filter.to_ms = *start + 24LL * 3600 * 1000;  // the whole end day
    }
  }
  if (p.filter.from_ms && p.filter.to_ms && *p.filter.from_ms >= *p.filter.to_ms) {
    p.errors.push_back({"to", "終了日は開始日と同じか、それより後の日付にしてください。"});
  }
  return p;
}

std::string url_escape(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (char raw : s) {
    const auto ch = static_cast<unsigned char>(raw);
    if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
        ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += hex[ch >> 4];
      out += hex[ch & 15];
    }
  }
  return out;
}

std::string filter_query(const ParsedFilter& p) {
  return "staff_id=" + url_escape(p.filter.staff_id) + "&device=" + url_escape(p.filter.device) +
         "&action=" + url_escape(p.filter.action) + "&from=" + url_escape(p.from) + "&to=" + url_escape(p.to);
}

}  // namespace

http::Response ConsoleApp::oplog_all(Context& c) {
  ParsedFilter p = parse_filter(c.req);
  std::size_t page = 1;
  if (const std::string s = query_value(c.req, "page"); !s.empty()) {
    if (s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos) return error(c, 400);
    page = static_cast<std::size_t>(std::stoul(s));
    if (page < 1 || page > kMaxPage) return error(c, 400);
  }
  const std::size_t per = options_.oplog_admin_page_entries;
  std::vector<domain::OpLogEntry> entries;
  bool more = false;
  if (p.errors.empty()) {
    auto found = store_.find_oplog(p.filter, (page - 1) * per, per + 1);  // one more: is there a next page?
    if (!found) return error(c, 503);
    entries = std::move(*found);
    more = entries.size() > per;
    if (more) entries.resize(per);
  }
  mstch::array rows;
  for (const domain::OpLogEntry& e : entries) {
    rows.emplace_back(mstch::map{{"time", jst_time(e.at_ms)},
                                 {"staff_id", e.staff_id},
                                 {"action", action_label(e.action)},
                                 {"target", e.target},
                                 {"detail", e.detail},
                                 {"device", e.device}});
  }
  const std::string q = filter_query(p);
  mstch::map content{{"entries", std::move(rows)},
                     {"has_entries", !entries.empty()},
                     {"page_label", std::to_string(page) + "ページ目"},
                     {"f_staff_id", p.filter.staff_id},
                     {"f_device", p.filter.device},
                     {"f_action", p.filter.action},
                     {"f_from", p.from},
                     {"f_to", p.to},
                     {"export_utf8", "/oplog/export?" + q + "&encoding=utf8"},
                     {"export_cp932", "/oplog/export?" + q + "&encoding=cp932"}};
  if (more) content.emplace("next_url", "/oplog?" + q + "&page=" + std::to_string(page + 1));
  if (!web::add_field_errors(content, p.errors)) return error(c, 500);
  return content_page(c, std::string(domain::menu_label(domain::Menu::oplog)), domain::Menu::oplog, "oplog_admin", std::move(content),
                      p.errors.empty() ? 200 : 422);
}

http::Response ConsoleApp::oplog_export(Context& c) {
  const std::string enc = query_value(c.req, "encoding");
  if (enc != "utf8" && enc != "cp932" && !enc.empty()) return error(c, 400);
  const text::Encoding encoding = enc == "cp932" ? text::Encoding::cp932 : text::Encoding::utf8;
  ParsedFilter p = parse_filter(c.req);
  if (!p.errors.empty()) return error(c, 400);
  text::CsvRows rows{{"日時", "職員ID", "操作", "操作ID", "対象", "詳細", "端末", "番号"}};
  constexpr std::size_t kChunk = 1000;
  for (std::size_t offset = 0; offset < options_.oplog_export_max; offset += kChunk) {
    auto found = store_.find_oplog(p.filter, offset, std::min(kChunk, options_.oplog_export_max - offset));
    if (!found) return error(c, 503);
    for (const domain::OpLogEntry& e : *found) {
      rows.push_back({jst_time(e.at_ms), e.staff_id, action_label(e.action), e.action, e.target, e.detail, e.device,
                      std::to_string(e.seq)});
    }
    if (found->size() < kChunk) break;
  }
  auto bytes = text::to_excel_csv(rows, encoding);
  if (!bytes) {
    // A character CP932 cannot write: the UTF-8 file has it.
    return error(c, 400);
  }
  log("oplog.export", c.account->id, "oplog", (enc == "cp932" ? "cp932, " : "utf8, ") + std::to_string(rows.size() - 1) + " entries");
  http::Response r;
  r.status = 200;
  r.content_type = encoding == text::Encoding::cp932 ? "text/csv; charset=Shift_JIS" : "text/csv; charset=utf-8";
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"oplog.csv\"");
  r.body = std::move(*bytes);
  return with_headers(std::move(r), c.headers);
}

http::Response ConsoleApp::oplog_verify(Context& c) {
  auto devices = store_.oplog_devices(kMaxDevices);
  if (!devices) return error(c, 503);
  mstch::array out;
  std::size_t broken = 0;
  for (const std::string& device : *devices) {
    // Page by page: each page continues from the last verified entry (ChainAnchor), so memory
    // stays bounded by kVerifyChunk however long the chain is.
    std::optional<domain::ChainAnchor> anchor;
    std::uint64_t count = 0;
    domain::ChainReport report;
    bool cut = false;
    while (true) {
      if (count >= options_.oplog_verify_max) {
        cut = true;
        break;
      }
      auto page = store_.oplog_chain(device, anchor ? anchor->seq : 0, kVerifyChunk);
      if (!page) return error(c, 503);
      if (page->empty()) break;
      domain::ChainReport r = anchor ? domain::verify_chain(*page, *anchor) : domain::verify_chain(*page);
      if (!r.intact) {
        report = r;
        report.entries += count;
        count += page->size();
        break;
      }
      count += page->size();
      anchor = domain::ChainAnchor{page->back().seq, page->back().hash};
      if (page->size() < kVerifyChunk) break;
    }
    // A broken chain stops the reading: 件数 is then what was read up to the break's page.
    if (!report.intact) ++broken;
    mstch::map row{{"device", device}, {"count", std::to_string(count) + (cut ? "件以上（途中まで検査）" : "件")},
                   {"ok", report.intact}};
    if (!report.intact) {
      row.emplace("bad_seq", report.first_bad_seq ? std::to_string(*report.first_bad_seq) : std::string("?"));
      row.emplace("problem", report.problem);
    }
    out.emplace_back(std::move(row));
  }
  log("oplog.verify", c.account->id, "oplog",
      std::to_string(devices->size()) + " devices, " + std::to_string(broken) + " broken");
  mstch::map content{{"devices", std::move(out)}, {"has_devices", !devices->empty()}};
  return content_page(c, "操作ログの改ざん検査", domain::Menu::oplog, "oplog_verify", std::move(content), 200);
}

// ---- システム設定 ----

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

}  // namespace

http::Response ConsoleApp::settings_form(Context& c, const mstch::map& values, const std::vector<web::FieldError>& errors,
                                         int status, bool saved) {
  mstch::map content = values.empty() ? settings_values(c.settings, domain::japan_local_time(c.wall_ms).date, true) : values;
  if (saved) content.insert_or_assign("saved", true);
  content.insert_or_assign("csrf_token", c.session->csrf_token);
  if (!web::add_field_errors(content, errors)) return error(c, 500);
  return content_page(c, std::string(domain::menu_label(domain::Menu::settings)), domain::Menu::settings, "settings_form", std::move(content),
                      status);
}

namespace {

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

}  // namespace

// Posts "preview" = 1 for the mail preview without saving.
http::Response ConsoleApp::post_settings(Context& c) {
  const text::Form& form = *c.form;
  const domain::Settings before = c.settings;
  domain::Settings s = before;  // fields this screen does not show (mail texts of other kinds) are kept
  const bool preview = form.value("preview") == "1";
  const calendar::Date today = domain::japan_local_time(c.wall_ms).date;
  std::vector<web::FieldError> errors;
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
  // The domain's rules are the last word: each field it refuses gets its message, and is taken
  // back from the valid settings so the next refusal shows too.
  {
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
  if (!errors.empty()) {
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
    return settings_form(c, shown, errors, 422, false);
  }
  if (preview) {
    // Shown, not saved: the form keeps what was typed, the preview shows what it would send.
    mstch::map shown = settings_values(s, today, true);
    shown.insert_or_assign("previewed", true);
    return settings_form(c, shown, {}, 200, false);
  }
  std::string changed;
  auto note = [&](bool differs, const std::string& name) {
    if (differs) changed += (changed.empty() ? "" : ", ") + name;
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
  for (const MailKindRow& k : kMailKinds) {
    const std::string key(domain::booking_mail_text_key(k.kind));
    const auto a = s.mail_texts.find(key);
    const auto b = before.mail_texts.find(key);
    const bool differs = (a == s.mail_texts.end()) != (b == before.mail_texts.end()) ||
                         (a != s.mail_texts.end() && a->second != b->second);
    note(differs, "mail_texts." + key);
  }
  if (!changed.empty()) {
    if (!store_.save_settings(s)) return error(c, 503);
    log("settings.update", c.account->id, "setting/system", changed);
    c.settings = s;
  }
  return settings_form(c, {}, {}, 200, true);
}

}  // namespace madoguchi::console::app
