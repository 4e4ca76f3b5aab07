// マスタ管理 (MST-1..MST-7) and お知らせ (RSV-3, RSV-15, SYS-2) at the hub console, over a
// MasterStore (attach_masters). the shell has already checked the session, the menu permission
// (masters or notices) and, for POST, the CSRF token.
//
//   GET  /masters                       counters (id, name, businesses, visible, validity, deadline)
//   GET  /masters/counter/new, POST     the master form (a new counter)
//   GET  /masters/counter/edit?id=, POST /masters/counter/edit
//   POST /masters/counter/delete        refused while the counter has bookings from today on;
//                                       removes the counter and its slots from today on
//   GET  /masters/generate              counters + date range (default today .. +365 days)
//   POST /masters/generate              preview: the regeneration plan's counts per counter;
//                                       with apply=1 the plans are written, one transaction per
//                                       counter (apply_regeneration keeps edited and booked slots)
//   GET  /masters/slots?counter=&month=YYYY-MM   one counter's slots of a month with booked places
//   GET  /masters/slots/edit?key=, POST          capacity, open, note of one slot (apply_slot_edit)
//   POST /masters/slots/add             a slot added by hand (holiday opening), edited = true
//   GET  /masters/calendar?year=        closure days, the holiday list in effect, the upload form
//   POST /masters/calendar/closure      add (date) or remove (remove=date) a closure day
//   POST /masters/calendar/upload       the Cabinet Office CSV (multipart): preview of what it has
//   POST /masters/calendar/holidays     save the previewed list (token)
//   GET  /notices, /notices/new, /notices/edit?id=, POST /notices/new, /notices/edit,
//   POST /notices/delete                notices with a preview of how the site shows them
// Every change is logged: master.counter.add/update/remove, master.slots.generate,
// master.slot.edit/add, master.calendar.update, notice.add/update/remove; the detail carries
// counts, ids and dates, never a person.
#include <algorithm>
#include <charconv>
#include <cstdio>

#include <mstch/mstch.hpp>

#include "internal.h"
#include "madoguchi/console/app/master_store.h"
#include "madoguchi/console/web/page.h"
#include "madoguchi/console/web/session.h"
#include "modules.h"

namespace madoguchi::console::app {
namespace {

using calendar::Date;

// Today in Japan (UTC+9, no daylight saving).
Date today_jst(std::int64_t wall_ms) {
  constexpr std::int64_t kDay = 86'400'000;
  std::int64_t local = wall_ms + 9 * 3'600'000;
  std::int64_t days = local >= 0 ? local / kDay : -((-local + kDay - 1) / kDay);
  return calendar::add_days(Date{1970, 1, 1}, static_cast<int>(days));
}

domain::LocalDateTime now_jst(std::int64_t wall_ms) {
  const Date d = today_jst(wall_ms);
  const std::int64_t local = wall_ms + 9 * 3'600'000;
  const std::int64_t minute = ((local % 86'400'000) + 86'400'000) % 86'400'000 / 60'000;
  return {d, static_cast<int>(minute)};
}

std::optional<int> parse_int(std::string_view s, int lo, int hi) {
  int v = 0;
  if (s.empty() || s.size() > 6) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi) return std::nullopt;
  return v;
}

constexpr std::array<const char*, 7> kWeekdayLabels{"日曜日", "月曜日", "火曜日", "水曜日", "木曜日", "金曜日", "土曜日"};
constexpr std::array<const char*, 7> kWeekdayShort{"日", "月", "火", "水", "木", "金", "土"};

std::string bands_text(const std::vector<domain::TimeBand>& bands) {
  std::string out;
  for (const domain::TimeBand& b : bands) {
    if (!out.empty()) out += ", ";
    out += domain::format_minute(b.start) + "-" + domain::format_minute(b.end);
  }
  return out;
}

// "09:00-12:00, 13:00-17:00" (commas, 、 or spaces between bands). nullopt when a band does not read.
std::optional<std::vector<domain::TimeBand>> parse_bands(std::string_view text) {
  std::vector<domain::TimeBand> out;
  std::string norm;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 3, "、") == 0 || text.compare(i, 3, "，") == 0 || text.compare(i, 3, "　") == 0) {
      norm += ' ';
      i += 2;
    } else if (text[i] == ',' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n') {
      norm += ' ';
    } else {
      norm += text[i];
    }
  }
  std::size_t pos = 0;
  while (pos < norm.size()) {
    while (pos < norm.size() && norm[pos] == ' ') ++pos;
    if (pos >= norm.size()) break;
    std::size_t end = norm.find(' ', pos);
    if (end == std::string::npos) end = norm.size();
    std::string_view band(norm.data() + pos, end - pos);
    pos = end;
    auto dash = band.find('-');
    if (dash == std::string_view::npos) dash = band.find('~');
    if (dash == std::string_view::npos) return std::nullopt;
    auto s = domain::parse_minute(band.substr(0, dash), false);
    auto e = domain::parse_minute(band.substr(dash + 1), true);
    if (!s || !e) return std::nullopt;
    out.push_back({*s, *e});
    if (out.size() > domain::kMaxBandsPerDay) return std::nullopt;
  }
  return out;
}

std::string businesses_text(const domain::CounterMaster& k) {
  std::string out;
  for (domain::Business b : k.businesses) out += (out.empty() ? "" : "・") + std::string(domain::business_label(b));
  return out;
}

std::string jp_date_time(const domain::LocalDateTime& t) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d年%d月%d日 %s", t.date.year, t.date.month, t.date.day, domain::format_minute(t.minute).c_str());
  return buf;
}

std::string jp_date(const Date& d) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d年%d月%d日（%s）", d.year, d.month, d.day,
                kWeekdayShort[static_cast<std::size_t>(calendar::weekday_of(d))]);
  return buf;
}

// ---- domain errors in Japanese, per field -------------------------------------------------------

// The field of a domain message "<field>: <reason>" ("week.mon[1]" → "week.mon").
std::string error_field(const Error& e) {
  const auto colon = e.message.find(':');
  std::string field = colon == std::string::npos ? std::string() : e.message.substr(0, colon);
  if (auto b = field.find('['); b != std::string::npos) field.resize(b);
  return field;
}

std::string counter_field_message(const std::string& field, const Error& e) {
  if (field.rfind("week.", 0) == 0) {
    std::string_view reason = e.message;
    if (auto colon = reason.find(": "); colon != std::string_view::npos) reason.remove_prefix(colon + 2);
    if (reason.find("whole number") != std::string_view::npos) {
      return "時間帯の長さが1件あたりの時間で割り切れません。時間帯の終わりか1件あたりの時間を直してください。";
    }
    if (reason.find("overlap") != std::string_view::npos || reason.find("order") != std::string_view::npos ||
        reason.find("ascending") != std::string_view::npos) {
      return "時間帯は早い順に、重ならないように入力してください。";
    }
    return "時間帯は「09:00-12:00, 13:00-17:00」の形で、1日8つまで入力してください（始まり＜終わり）。";
  }
  if (field == "id") return "窓口IDは半角英数字と「_」「-」で16文字以内にしてください。";
  if (field == "name") return "窓口名を64文字以内で入力してください（改行なし）。";
  if (field == "businesses") return "取り扱う業務を1つ以上選んでください。";
  if (field == "minutes_per_visit") return "1件あたりの時間は5～240分で入力してください。";
  if (field == "capacity_per_slot") return "1枠あたりの予約数は1～99で入力してください。";
  if (field == "valid_from") return "有効期間の開始日時を入力してください。";
  if (field == "valid_until") return "有効期間の終了日時は開始日時より後にしてください。";
  if (field == "deadline_days_before") return "締切日数は0～365日で入力してください。";
  if (field == "deadline_time") return "締切時刻を「17:00」の形で入力してください。";
  if (field == "days_ahead") return "予約できる日数は1～365日で入力してください（空欄はシステム設定の値）。";
  return "入力内容を確かめてください。";
}

std::string notice_field_message(const std::string& field) {
  if (field == "id") return "お知らせIDは半角英数字と「_」「-」で32文字以内にしてください。";
  if (field == "title") return "件名を100文字以内で入力してください（改行なし）。";
  if (field == "body") return "本文は2000文字以内で入力してください。";
  if (field == "kind") return "種類を選んでください。";
  if (field == "publish_from") return "掲載開始日時を入力してください。";
  if (field == "publish_until") return "掲載終了日時は掲載開始日時より後にしてください。";
  if (field == "maintenance_from" || field == "maintenance_until") {
    return "メンテナンスのお知らせには、開始より後に終わるメンテナンス期間を入力してください（お知らせの種類では空欄）。";
  }
  return "入力内容を確かめてください。";
}

// The id of the form input a domain field is shown at.
std::string input_id(const std::string& field) {
  std::string out = field;
  std::replace(out.begin(), out.end(), '.', '_');
  return out;
}

// ---- counter form ---------------------------------------------------------------------------------

struct CounterInput {
  std::string id, name, minutes, capacity, valid_from, valid_until, deadline_days, deadline_time, days_ahead;
  std::array<std::string, 7> week;
  std::set<std::string> businesses;
  bool visible = true;
};

CounterInput input_of(const domain::CounterMaster& k) {
  CounterInput in;
  in.id = k.id;
  in.name = k.name;
  in.minutes = std::to_string(k.minutes_per_visit);
  in.capacity = std::to_string(k.capacity_per_slot);
  in.valid_from = domain::format_date_time(k.valid_from);
  in.valid_until = k.valid_until ? domain::format_date_time(*k.valid_until) : "";
  in.deadline_days = std::to_string(k.deadline_days_before);
  in.deadline_time = domain::format_minute(k.deadline_time);
  in.days_ahead = k.days_ahead ? std::to_string(*k.days_ahead) : "";
  for (std::size_t d = 0; d < 7; ++d) in.week[d] = bands_text(k.week[d]);
  for (domain::Business b : k.businesses) in.businesses.insert(std::string(domain::business_id(b)));
  in.visible = k.visible_on_site;
  return in;
}

CounterInput input_of(const text::Form& f) {
  CounterInput in;
  in.id = f.value("id");
  in.name = f.value("name");
  in.minutes = f.value("minutes_per_visit");
  in.capacity = f.value("capacity_per_slot");
  in.valid_from = f.value("valid_from");
  in.valid_until = f.value("valid_until");
  in.deadline_days = f.value("deadline_days_before");
  in.deadline_time = f.value("deadline_time");
  in.days_ahead = f.value("days_ahead");
  for (std::size_t d = 0; d < 7; ++d) in.week[d] = f.value("week_" + std::string(domain::weekday_key(static_cast<calendar::Weekday>(d))));
  for (const std::string& b : f.all("businesses")) in.businesses.insert(b);
  in.visible = f.value("visible_on_site") == "1";
  return in;
}

// The master the form describes, or the errors per field (Japanese).
std::variant<domain::CounterMaster, std::vector<web::FieldError>> counter_of(const CounterInput& in) {
  std::vector<web::FieldError> errors;
  domain::CounterMaster k;
  k.id = in.id;
  k.name = in.name;
  if (!domain::validate_counter_id(k.id)) errors.push_back({"id", counter_field_message("id", Error{})});
  if (in.name.empty()) errors.push_back({"name", "窓口名を入力してください。"});
  for (const std::string& b : in.businesses) {
    if (auto biz = domain::business_from_id(b)) {
      k.businesses.insert(*biz);
    } else {
      errors.push_back({"businesses", "業務の指定が正しくありません。画面を開き直してください。"});
    }
  }
  if (k.businesses.empty()) errors.push_back({"businesses", counter_field_message("businesses", Error{})});
  for (std::size_t d = 0; d < 7; ++d) {
    const std::string id = "week_" + std::string(domain::weekday_key(static_cast<calendar::Weekday>(d)));
    auto bands = parse_bands(in.week[d]);
    if (!bands) {
      errors.push_back({id, std::string(kWeekdayLabels[d]) + "：" + counter_field_message("week.", Error{})});
    } else {
      k.week[d] = std::move(*bands);
    }
  }
  if (auto v = parse_int(in.minutes, 5, 240)) {
    k.minutes_per_visit = *v;
  } else {
    errors.push_back({"minutes_per_visit", counter_field_message("minutes_per_visit", Error{})});
  }
  if (auto v = parse_int(in.capacity, 1, 99)) {
    k.capacity_per_slot = *v;
  } else {
    errors.push_back({"capacity_per_slot", counter_field_message("capacity_per_slot", Error{})});
  }
  if (auto t = domain::parse_date_time(in.valid_from)) {
    k.valid_from = *t;
  } else {
    errors.push_back({"valid_from", "有効期間の開始日時を「2026-04-01T00:00」の形で入力してください。"});
  }
  if (!in.valid_until.empty()) {
    if (auto t = domain::parse_date_time(in.valid_until)) {
      k.valid_until = *t;
    } else {
      errors.push_back({"valid_until", "有効期間の終了日時を「2027-03-31T23:59」の形で入力するか、空欄にしてください。"});
    }
  }
  if (auto v = parse_int(in.deadline_days, 0, 365)) {
    k.deadline_days_before = *v;
  } else {
    errors.push_back({"deadline_days_before", counter_field_message("deadline_days_before", Error{})});
  }
  if (auto t = domain::parse_minute(in.deadline_time, false)) {
    k.deadline_time = *t;
  } else {
    errors.push_back({"deadline_time", counter_field_message("deadline_time", Error{})});
  }
  if (!in.days_ahead.empty()) {
    if (auto v = parse_int(in.days_ahead, 1, 365)) {
      k.days_ahead = *v;
    } else {
      errors.push_back({"days_ahead", counter_field_message("days_ahead", Error{})});
    }
  }
  k.visible_on_site = in.visible;
  if (errors.empty()) {
    if (auto v = domain::validate_counter(k); !v) {
      const std::string field = error_field(v.error());
      std::string id = input_id(field);
      std::string message = counter_field_message(field, v.error());
      if (field.rfind("week.", 0) == 0) {
        const std::string day = field.substr(5);
        id = "week_" + day;
        for (std::size_t d = 0; d < 7; ++d) {
          if (domain::weekday_key(static_cast<calendar::Weekday>(d)) == day) message = std::string(kWeekdayLabels[d]) + "：" + message;
        }
      }
      errors.push_back({id, message});
    }
  }
  if (!errors.empty()) return errors;
  return k;
}

// "name, week, capacity_per_slot" – the fields that differ (for the operation log).
std::string counter_changes(const domain::CounterMaster& a, const domain::CounterMaster& b) {
  std::vector<std::string> f;
  if (a.name != b.name) f.push_back("name");
  if (a.businesses != b.businesses) f.push_back("businesses");
  if (a.week != b.week) f.push_back("week");
  if (a.minutes_per_visit != b.minutes_per_visit) f.push_back("minutes_per_visit");
  if (a.capacity_per_slot != b.capacity_per_slot) f.push_back("capacity_per_slot");
  if (a.valid_from != b.valid_from || a.valid_until != b.valid_until) f.push_back("validity");
  if (a.visible_on_site != b.visible_on_site) f.push_back("visible_on_site");
  if (a.deadline_days_before != b.deadline_days_before || a.deadline_time != b.deadline_time) f.push_back("deadline");
  if (a.days_ahead != b.days_ahead) f.push_back("days_ahead");
  std::string out;
  for (const auto& s : f) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// ---- notices ---------------------------------------------------------------------------------------

struct NoticeInput {
  std::string id, kind = "info", title, body, publish_from, publish_until, maintenance_from, maintenance_until;
};

NoticeInput input_of(const domain::Notice& n) {
  NoticeInput in;
  in.id = n.id;
  in.kind = n.kind == domain::NoticeKind::maintenance ? "maintenance" : "info";
  in.title = n.title;
  in.body = n.body;
  in.publish_from = domain::format_date_time(n.publish_from);
  if (n.publish_until) in.publish_until = domain::format_date_time(*n.publish_until);
  if (n.maintenance_from) in.maintenance_from = domain::format_date_time(*n.maintenance_from);
  if (n.maintenance_until) in.maintenance_until = domain::format_date_time(*n.maintenance_until);
  return in;
}

NoticeInput notice_input_of(const text::Form& f) {
  NoticeInput in;
  in.id = f.value("id");
  in.kind = f.value("kind");
  in.title = f.value("title");
  in.body = f.value("body");
  in.publish_from = f.value("publish_from");
  in.publish_until = f.value("publish_until");
  in.maintenance_from = f.value("maintenance_from");
  in.maintenance_until = f.value("maintenance_until");
  return in;
}

std::variant<domain::Notice, std::vector<web::FieldError>> notice_of(const NoticeInput& in) {
  std::vector<web::FieldError> errors;
  domain::Notice n;
  n.id = in.id;
  n.title = in.title;
  n.body = in.body;
  if (in.kind == "info") {
    n.kind = domain::NoticeKind::info;
  } else if (in.kind == "maintenance") {
    n.kind = domain::NoticeKind::maintenance;
  } else {
    errors.push_back({"kind", notice_field_message("kind")});
  }
  auto time_field = [&](const std::string& value, const char* field, bool required) -> std::optional<domain::LocalDateTime> {
    if (value.empty()) {
      if (required) errors.push_back({field, notice_field_message(field)});
      return std::nullopt;
    }
    auto t = domain::parse_date_time(value);
    if (!t) errors.push_back({field, "日時を「2026-12-05T22:00」の形で入力してください。"});
    return t;
  };
  if (auto t = time_field(in.publish_from, "publish_from", true)) n.publish_from = *t;
  n.publish_until = time_field(in.publish_until, "publish_until", false);
  n.maintenance_from = time_field(in.maintenance_from, "maintenance_from", false);
  n.maintenance_until = time_field(in.maintenance_until, "maintenance_until", false);
  if (errors.empty()) {
    if (auto v = domain::validate_notice(n); !v) {
      const std::string field = error_field(v.error());
      errors.push_back({input_id(field.empty() ? std::string("title") : field), notice_field_message(field)});
    }
  }
  if (!errors.empty()) return errors;
  return n;
}

mstch::map notice_preview(const domain::Notice& n) {
  mstch::array paragraphs;
  std::size_t pos = 0;
  while (pos <= n.body.size()) {
    auto end = n.body.find('\n', pos);
    if (end == std::string::npos) end = n.body.size();
    std::string line = n.body.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) paragraphs.emplace_back(mstch::map{{"line", line}});
    pos = end + 1;
  }
  mstch::map m{{"preview_title", n.title}, {"preview_lines", std::move(paragraphs)},
               {"preview_maintenance", n.kind == domain::NoticeKind::maintenance}};
  if (n.maintenance_from && n.maintenance_until) {
    m.emplace("preview_period", jp_date_time(*n.maintenance_from) + " ～ " + jp_date_time(*n.maintenance_until));
  }
  return m;
}

std::string message_for(const Error& e) {
  switch (e.code) {
    case Errc::conflict: return "ほかの操作と同時に変更されたため、保存できませんでした。画面を開き直して、もう一度操作してください。";
    case Errc::forbidden: return "この変更は許可されていません。";
    case Errc::too_large: return "件数が多すぎるため、保存できませんでした。";
    default: return "保存中にエラーが起きたため、保存できませんでした。もう一度操作してください。";
  }
}


class MasterPages final : public PageModule {
 public:
  MasterPages(Shell& shell, MasterStore& masters) : PageModule(shell), masters_(masters) {}

  void add_routes(RouteTable& routes) override {
    // マスタ管理 (MST): the masters menu decides, on every request (SEC-2).
    auto add = [&](Route::Methods methods, std::string path, http::Response (Call::*handler)()) {
      Route r = call_route(this, methods, std::move(path), handler, {domain::Menu::masters});
      // The Cabinet Office holiday list (at most 1 MiB).
      if (r.path == "/masters/calendar/upload") r.upload_bytes = options_.max_import_file_bytes;
      routes.add(std::move(r));
    };
    add(Route::Methods::get, "/masters", &Call::list);
    add(Route::Methods::get_or_post, "/masters/counter/new", &Call::counter_edit);
    add(Route::Methods::get_or_post, "/masters/counter/edit", &Call::counter_edit);
    add(Route::Methods::post, "/masters/counter/delete", &Call::counter_delete);
    add(Route::Methods::get_or_post, "/masters/generate", &Call::generate);
    add(Route::Methods::get, "/masters/slots", &Call::slots);
    add(Route::Methods::get_or_post, "/masters/slots/edit", &Call::slot_edit);
    add(Route::Methods::post, "/masters/slots/add", &Call::slot_add);
    add(Route::Methods::get, "/masters/calendar", &Call::calendar_view);
    add(Route::Methods::post, "/masters/calendar/closure", &Call::calendar_closure);
    add(Route::Methods::post, "/masters/calendar/upload", &Call::calendar_upload);
    add(Route::Methods::post, "/masters/calendar/holidays", &Call::calendar_holidays);
  }

 private:
  // An uploaded holiday list shown for confirmation (one per staff session, memory only; the
  // oldest goes beyond kMaxPending), by a random token the confirmation posts back.
  struct PendingHolidays {
    std::string session_id;
    web::TimePoint expires;
    std::string source;
    std::vector<calendar::PublishedHoliday> list;  // the years kept (from last year on)
  };
  static constexpr std::size_t kMaxPending = 16;

  // One request to the マスタ管理 screens.
  struct Call : PageCall {
    Call(MasterPages& pages_in, Context& ctx)
        : PageCall(pages_in, ctx), st(pages_in), store(pages_in.masters_), today(today_jst(ctx.wall_ms)),
          staff(ctx.account->id) {}

    MasterPages& st;
    MasterStore& store;
    const std::string title{domain::menu_label(domain::Menu::masters)};
    const Date today;
    const std::string staff;

    http::Response failure(const std::string& message, const std::string& next, int status) {
      return content_page(c, title, domain::Menu::masters, "message",
                          mstch::map{{"message", message}, {"next_url", next}, {"next_label", std::string("戻る")}}, status);
    }

    http::Response list();
    http::Response counter_edit();
    http::Response counter_delete();
    http::Response generate();
    http::Response slots();
    http::Response slot_edit();
    http::Response slot_add();
    http::Response calendar_view();
    http::Response calendar_closure();
    http::Response calendar_upload();
    http::Response calendar_holidays();

   private:
    http::Response counter_form(bool adding, const CounterInput& in, const std::vector<web::FieldError>& errors, int status,
                                const std::string& delete_error);
    mstch::map outcome_row(const domain::CounterMaster& k, const domain::RegenerationOutcome& o);
    std::optional<domain::CalendarConfig> load_calendar();
    http::Response calendar_page(const domain::CalendarConfig& cfg, const std::vector<web::FieldError>& errors, int status,
                                 mstch::map extra);
  };

  MasterStore& masters_;
  std::map<std::string, PendingHolidays> pending;
};

// ---- counter list ----
http::Response MasterPages::Call::list() {
  auto counters = store.counters();
  if (!counters) return error(c, 503);
  mstch::array rows;
  for (const domain::CounterMaster& k : *counters) {
    std::string validity = jp_date_time(k.valid_from) + " ～ " + (k.valid_until ? jp_date_time(*k.valid_until) : std::string("（終了なし）"));
    std::string deadline = std::to_string(k.deadline_days_before) + "日前の" + domain::format_minute(k.deadline_time);
    rows.emplace_back(mstch::map{{"id", k.id},
                                 {"id_q", percent_encode(k.id)},
                                 {"name", k.name},
                                 {"businesses", businesses_text(k)},
                                 {"visible", k.visible_on_site},
                                 {"validity", validity},
                                 {"deadline", deadline}});
  }
  mstch::map content{{"counter_rows", std::move(rows)}, {"count", std::to_string(counters->size())},
                     {"month", calendar::format_iso(today).substr(0, 7)}};
  const std::string done = query_value(c.req, "done");
  if (done == "added") content.emplace("notice", std::string("窓口を追加しました。予約枠は「予約枠の作成」で作成してください。"));
  if (done == "updated") content.emplace("notice", std::string("窓口を変更しました。予約枠に反映するには「予約枠の作成」をもう一度実行してください。"));
  if (done == "removed") content.emplace("notice", std::string("窓口を削除しました。"));
  return content_page(c, title, domain::Menu::masters, "master_list", std::move(content), 200);
}

http::Response MasterPages::Call::counter_form(bool adding, const CounterInput& in, const std::vector<web::FieldError>& errors, int status,
                                               const std::string& delete_error) {
  mstch::array biz;
  for (domain::Business b : domain::all_businesses()) {
    const std::string id(domain::business_id(b));
    biz.emplace_back(mstch::map{{"value", id}, {"label", std::string(domain::business_label(b))}, {"checked", in.businesses.count(id) > 0}});
  }
  mstch::array week;
  for (std::size_t d = 1; d <= 7; ++d) {  // Monday first, Sunday last
    const std::size_t i = d % 7;
    const std::string key(domain::weekday_key(static_cast<calendar::Weekday>(i)));
    std::string day_error;
    for (const auto& e : errors) {
      if (e.field == "week_" + key) day_error = e.message;
    }
    week.emplace_back(mstch::map{{"day_key", key}, {"day_label", std::string(kWeekdayLabels[i])}, {"bands", in.week[i]},
                                 {"day_error", day_error}});
  }
  mstch::map content{{"adding", adding},
                     {"id", in.id},
                     {"name", in.name},
                     {"business_choices", std::move(biz)},
                     {"week_rows", std::move(week)},
                     {"minutes_per_visit", in.minutes},
                     {"capacity_per_slot", in.capacity},
                     {"valid_from", in.valid_from},
                     {"valid_until", in.valid_until},
                     {"visible_on_site", in.visible},
                     {"deadline_days_before", in.deadline_days},
                     {"deadline_time", in.deadline_time},
                     {"days_ahead", in.days_ahead},
                     {"days_ahead_default", std::to_string(c.settings.booking_days_ahead)},
                     {"csrf_token", c.session->csrf_token}};
  if (!delete_error.empty()) content.emplace("delete_error", delete_error);
  if (!web::add_field_errors(content, errors)) return error(c, 500);
  return content_page(c, adding ? "窓口の追加" : "窓口の変更", domain::Menu::masters, "counter_form", std::move(content), status);
}

http::Response MasterPages::Call::counter_edit() {
  const bool adding = path == "/masters/counter/new";
  if (get) {
    if (adding) {
      domain::CounterMaster k;
      k.valid_from = {today, 0};
      k.businesses = {domain::Business::collection};
      return counter_form(true, input_of(k), {}, 200, "");
    }
    auto k = store.counter(query_value(c.req, "id"));
    if (!k) return error(c, 503);
    if (!*k) return error(c, 404);
    return counter_form(false, input_of(**k), {}, 200, "");
  }
  CounterInput in = input_of(*c.form);
  std::optional<domain::CounterMaster> before;
  if (!adding) {
    auto k = store.counter(in.id);
    if (!k) return error(c, 503);
    if (!*k) return error(c, 404);
    before = **k;
  }
  auto parsed = counter_of(in);
  if (auto* errors = std::get_if<std::vector<web::FieldError>>(&parsed)) {
    if (in.id.size() > domain::kMaxCounterIdBytes) in.id.resize(domain::kMaxCounterIdBytes);
    return counter_form(adding, in, *errors, 422, "");
  }
  const domain::CounterMaster& k = std::get<domain::CounterMaster>(parsed);
  if (adding) {
    auto existing = store.counter(k.id);
    if (!existing) return error(c, 503);
    if (*existing) return counter_form(true, in, {{"id", "この窓口IDはすでに使われています。"}}, 422, "");
  }
  if (auto s = store.save_counter(k); !s) {
    log(adding ? "master.counter.add" : "master.counter.update", staff, "counter/" + k.id, "failed: " + std::string(errc_name(s.error().code)));
    return failure(message_for(s.error()), "/masters", 503);
  }
  log(adding ? "master.counter.add" : "master.counter.update", staff, "counter/" + k.id,
      adding ? std::string() : counter_changes(*before, k));
  return with_headers(web::see_other(adding ? "/masters?done=added" : "/masters?done=updated"), c.headers);
}

http::Response MasterPages::Call::counter_delete() {
  const std::string id = c.form->value("id");
  auto k = store.counter(id);
  if (!k) return error(c, 503);
  if (!*k) return error(c, 404);
  auto booked = store.booked_places(id, today, Date{2199, 12, 31});
  if (!booked) return error(c, 503);
  if (!booked->empty()) {
    std::int64_t places = 0;
    for (const auto& [key, n] : *booked) places += n;
    return counter_form(false, input_of(**k), {}, 409,
                        "この窓口には今日以降の予約が" + std::to_string(places) +
                            "人分あるため削除できません。予約を変更するか取り消してから削除してください。");
  }
  if (c.form->value("confirm") != "1") {
    return counter_form(false, input_of(**k), {}, 422, "削除するには「削除してよい」にチェックを入れてください。");
  }
  if (auto s = store.remove_counter(id, today); !s) {
    log("master.counter.remove", staff, "counter/" + id, "failed: " + std::string(errc_name(s.error().code)));
    return failure(message_for(s.error()), "/masters", 503);
  }
  log("master.counter.remove", staff, "counter/" + id, "slots from " + calendar::format_iso(today) + " removed");
  return with_headers(web::see_other("/masters?done=removed"), c.headers);
}

// Plans (preview) or applies the regeneration of the chosen counters' slots (domain::regenerate_slots).
http::Response MasterPages::Call::generate() {
  auto counters = store.counters();
  if (!counters) return error(c, 503);
  std::string from_text = calendar::format_iso(today);
  std::string to_text = calendar::format_iso(calendar::add_days(today, 365));
  std::set<std::string> chosen;
  for (const auto& k : *counters) chosen.insert(k.id);
  std::vector<web::FieldError> errors;
  mstch::array results;
  bool previewed = false, applied = false;
  if (post) {
    from_text = c.form->value("from");
    to_text = c.form->value("to");
    chosen.clear();
    for (const std::string& id : c.form->all("counters")) chosen.insert(id);
    auto from = calendar::parse_iso(from_text);
    auto to = calendar::parse_iso(to_text);
    if (!from) errors.push_back({"from", "開始日を「2026-04-01」の形で入力してください。"});
    if (!to) errors.push_back({"to", "終了日を「2027-03-31」の形で入力してください。"});
    if (from && to && *to < *from) errors.push_back({"to", "終了日は開始日と同じか後にしてください。"});
    if (from && to && !(*to < *from) && calendar::days_between(*from, *to) + 1 > domain::kMaxGenerationDays) {
      errors.push_back({"to", "一度に作成できるのは" + std::to_string(domain::kMaxGenerationDays) + "日分までです。"});
    }
    if (chosen.empty()) errors.push_back({"counters", "窓口を1つ以上選んでください。"});
    if (errors.empty()) {
      auto config = store.calendar_config();
      if (!config) return failure("休業日・祝日の設定を読めないため、予約枠を作成できません。休業日・祝日の画面で保存し直してください。", "/masters/calendar", 503);
      auto cal = domain::business_calendar(*config);
      if (!cal) return failure("休業日・祝日の設定に誤りがあるため、予約枠を作成できません。", "/masters/calendar", 503);
      std::vector<domain::CounterMaster> picked;
      for (const domain::CounterMaster& k : *counters) {
        if (chosen.count(k.id)) picked.push_back(k);
      }
      const bool apply = c.form->value("apply") == "1";
      auto outcomes = domain::regenerate_slots(store, picked, *from, *to, *cal, apply);
      if (!outcomes) return error(c, 503);
      previewed = true;
      applied = apply;
      for (std::size_t i = 0; i < outcomes->size(); ++i) results.emplace_back(outcome_row(picked[i], (*outcomes)[i]));
    }
  }
  mstch::array choices;
  for (const auto& k : *counters) {
    choices.emplace_back(mstch::map{{"id", k.id}, {"name", k.name}, {"checked", chosen.count(k.id) > 0}});
  }
  mstch::array chosen_hidden;
  for (const auto& id : chosen) chosen_hidden.emplace_back(mstch::map{{"id", id}});
  mstch::map content{{"from", from_text},           {"to", to_text},
                     {"counter_choices", std::move(choices)}, {"chosen", std::move(chosen_hidden)},
                     {"has_results", !results.empty()}, {"results", std::move(results)}, {"previewed", previewed && !applied},
                     {"applied", applied},          {"max_days", std::to_string(domain::kMaxGenerationDays)},
                     {"has_counters", !counters->empty()}, {"csrf_token", c.session->csrf_token}};
  if (!web::add_field_errors(content, errors)) return error(c, 500);
  return content_page(c, "予約枠の作成", domain::Menu::masters, "slot_generate", std::move(content), errors.empty() ? 200 : 422);
}

// One counter's line of the generation result; an applied or failed plan is logged.
mstch::map MasterPages::Call::outcome_row(const domain::CounterMaster& k, const domain::RegenerationOutcome& o) {
  using State = domain::RegenerationOutcome::State;
  mstch::map row{{"id", k.id}, {"name", k.name}};
  if (o.state == State::not_generated) {
    row.emplace("problem", std::string("この窓口の予約枠は作成できません（日付が祝日の暦の範囲外か、設定に誤りがあります）。"));
    return row;
  }
  if (o.state == State::not_matched) {
    row.emplace("problem", std::string("保存されている予約枠と照合できませんでした。"));
    return row;
  }
  row.emplace("added", std::to_string(o.plan.added));
  row.emplace("changed", std::to_string(o.plan.changed));
  row.emplace("removed", std::to_string(o.plan.removed));
  row.emplace("unchanged", std::to_string(o.plan.unchanged));
  row.emplace("kept_edited", std::to_string(o.plan.kept_edited));
  row.emplace("kept_booked", std::to_string(o.plan.kept_booked));
  if (o.state == State::failed) {
    log("master.slots.generate", staff, "counter/" + k.id, o.log_detail);
    row.emplace("problem", message_for(o.error));
  } else if (o.state == State::applied) {
    log("master.slots.generate", staff, "counter/" + k.id, o.log_detail);
    row.emplace("done", true);
  }
  return row;
}

// ---- slots of a month ----
http::Response MasterPages::Call::slots() {
  const std::string counter_id = query_value(c.req, "counter");
  auto k = store.counter(counter_id);
  if (!k) return error(c, 503);
  if (!*k) return error(c, 404);
  std::string month = query_value(c.req, "month");
  auto first = calendar::parse_iso(month + "-01");
  if (!first) first = Date{today.year, today.month, 1};
  month = calendar::format_iso(*first).substr(0, 7);
  Date last = *first;
  while (calendar::add_days(last, 1).month == first->month) last = calendar::add_days(last, 1);
  auto slots = store.slots(counter_id, *first, last);
  if (!slots) return error(c, 503);
  auto booked = store.booked_places(counter_id, *first, last);
  if (!booked) return error(c, 503);
  auto config = store.calendar_config();
  std::optional<calendar::BusinessCalendar> cal;
  if (config) {
    if (auto bc = domain::business_calendar(*config)) cal.emplace(std::move(*bc));
  }
  mstch::array days;
  std::size_t si = 0;
  for (Date d = *first; !(last < d); d = calendar::add_days(d, 1)) {
    mstch::array day_slots;
    while (si < slots->size() && (*slots)[si].start.date == d) {
      const domain::Slot& s = (*slots)[si++];
      const std::string key = domain::slot_key(s);
      auto b = booked->find(key);
      const std::int64_t n = b == booked->end() ? 0 : b->second;
      day_slots.emplace_back(mstch::map{{"key_q", percent_encode(key)},
                                        {"time", domain::format_minute(s.start.minute) + "-" + domain::format_minute(s.start.minute + s.minutes)},
                                        {"capacity", std::to_string(s.capacity)},
                                        {"booked", std::to_string(n)},
                                        {"full", n >= s.capacity},
                                        {"open", s.open},
                                        {"edited", s.edited},
                                        {"note", s.note},
                                        {"deadline", jp_date_time(s.deadline)}});
    }
    std::string closed;
    if (cal) {
      if (auto r = cal->closed_reason(d)) closed = *r;
    }
    const bool has_slots = !day_slots.empty();
    days.emplace_back(mstch::map{{"date", jp_date(d)}, {"iso", calendar::format_iso(d)}, {"closed", closed},
                                 {"day_slots", std::move(day_slots)}, {"has_slots", has_slots}});
  }
  const Date prev = calendar::add_days(*first, -1);
  const Date next = calendar::add_days(last, 1);
  mstch::map content{{"counter_id", k->value().id},
                     {"counter_q", percent_encode(counter_id)},
                     {"counter_name", k->value().name},
                     {"month_label", std::to_string(first->year) + "年" + std::to_string(first->month) + "月"},
                     {"month", month},
                     {"prev_month", calendar::format_iso(prev).substr(0, 7)},
                     {"next_month", calendar::format_iso(next).substr(0, 7)},
                     {"days", std::move(days)},
                     {"slot_count", std::to_string(slots->size())},
                     {"add_date", calendar::format_iso(*first)},
                     {"add_minutes", std::to_string(k->value().minutes_per_visit)},
                     {"add_capacity", std::to_string(k->value().capacity_per_slot)},
                     {"csrf_token", c.session->csrf_token}};
  const std::string done = query_value(c.req, "done");
  if (done == "edited") content.emplace("notice", std::string("予約枠を変更しました。"));
  if (done == "added") content.emplace("notice", std::string("予約枠を追加しました。"));
  if (!config) content.emplace("calendar_problem", true);
  return content_page(c, "予約枠の一覧", domain::Menu::masters, "slot_calendar", std::move(content), 200);
}

http::Response MasterPages::Call::slot_edit() {
  const std::string key = get ? query_value(c.req, "key") : c.form->value("key");
  auto slot = store.slot(key);
  if (!slot) return error(c, 503);
  if (!*slot) return error(c, 404);
  const domain::Slot& s = **slot;
  auto booked = store.booked_places(s.counter, s.start.date, s.start.date);
  if (!booked) return error(c, 503);
  auto b = booked->find(key);
  const std::int64_t n = b == booked->end() ? 0 : b->second;
  auto form = [&](const std::string& capacity, bool open, const std::string& note, const std::vector<web::FieldError>& errors,
                  int status) {
    mstch::map content{{"key", key},
                       {"counter_q", percent_encode(s.counter)},
                       {"month", calendar::format_iso(s.start.date).substr(0, 7)},
                       {"when", jp_date(s.start.date) + " " + domain::format_minute(s.start.minute) + "-" +
                                    domain::format_minute(s.start.minute + s.minutes)},
                       {"counter_id", s.counter},
                       {"booked", std::to_string(n)},
                       {"deadline", jp_date_time(s.deadline)},
                       {"capacity", capacity},
                       {"open", open},
                       {"note", note},
                       {"csrf_token", c.session->csrf_token}};
    if (!web::add_field_errors(content, errors)) return error(c, 500);
    return content_page(c, "予約枠の変更", domain::Menu::masters, "slot_edit", std::move(content), status);
  };
  if (get) return form(std::to_string(s.capacity), s.open, s.note, {}, 200);
  const std::string capacity = c.form->value("capacity");
  const bool open = c.form->value("open") == "1";
  const std::string note = c.form->value("note");
  std::vector<web::FieldError> errors;
  domain::SlotEdit edit;
  edit.open = open;
  edit.note = note;
  if (auto v = parse_int(capacity, 0, 99)) {
    edit.capacity = *v;
  } else {
    errors.push_back({"capacity", "予約できる人数は0～99で入力してください。"});
  }
  std::optional<domain::Slot> edited;
  if (errors.empty()) {
    auto e = domain::apply_slot_edit(s, edit);
    if (!e) {
      errors.push_back({"note", "メモは200文字以内で入力してください（改行なし）。"});
    } else {
      edited = std::move(*e);
    }
  }
  if (!errors.empty()) return form(capacity, open, note, errors, 422);
  if (auto w = store.save_slot(*edited); !w) {
    log("master.slot.edit", staff, "slot/" + key, "failed: " + std::string(errc_name(w.error().code)));
    return failure(message_for(w.error()), "/masters/slots?counter=" + percent_encode(s.counter), 503);
  }
  log("master.slot.edit", staff, "slot/" + key,
      "capacity " + std::to_string(s.capacity) + "->" + std::to_string(edited->capacity) + ", open " +
          (s.open ? "1" : "0") + "->" + (edited->open ? "1" : "0") + (s.note != edited->note ? ", note" : ""));
  return with_headers(web::see_other("/masters/slots?counter=" + percent_encode(s.counter) + "&month=" +
                                     calendar::format_iso(s.start.date).substr(0, 7) + "&done=edited"),
                      c.headers);
}

http::Response MasterPages::Call::slot_add() {
  const std::string counter_id = c.form->value("counter");
  auto k = store.counter(counter_id);
  if (!k) return error(c, 503);
  if (!*k) return error(c, 404);
  std::vector<web::FieldError> errors;
  auto date = calendar::parse_iso(c.form->value("date"));
  auto start = domain::parse_minute(c.form->value("time"), false);
  auto minutes = parse_int(c.form->value("minutes"), 5, 240);
  auto capacity = parse_int(c.form->value("capacity"), 0, 99);
  if (!date) errors.push_back({"add_date", "日付を「2026-11-28」の形で入力してください。"});
  if (!start) errors.push_back({"add_time", "開始時刻を「09:00」の形で入力してください。"});
  if (!minutes) errors.push_back({"add_minutes", "時間は5～240分で入力してください。"});
  if (!capacity) errors.push_back({"add_capacity", "予約できる人数は0～99で入力してください。"});
  domain::Slot s;
  if (errors.empty()) {
    s.counter = counter_id;
    s.start = {*date, *start};
    s.minutes = *minutes;
    s.capacity = *capacity;
    s.open = true;
    s.edited = true;
    s.note = c.form->value("note");
    if (s.start.minute + s.minutes > domain::kMinutesPerDay) errors.push_back({"add_minutes", "枠がその日のうちに終わるようにしてください。"});
    if (!domain::within_validity(**k, s.start, s.minutes)) errors.push_back({"add_date", "窓口の有効期間の外には予約枠を追加できません。"});
  }
  if (errors.empty()) {
    auto config = store.calendar_config();
    auto bc = config ? domain::business_calendar(*config) : Expected<calendar::BusinessCalendar>(config.error());
    auto day = bc ? bc->deadline_for(*date, k->value().deadline_days_before) : Expected<Date>(bc.error());
    if (!day) {
      errors.push_back({"add_date", "この日付の締切日を決められません（休業日・祝日の設定を確かめてください）。"});
    } else {
      s.deadline = {*day, k->value().deadline_time};
      if (s.start < s.deadline) s.deadline = s.start;
    }
  }
  if (errors.empty()) {
    if (!domain::validate_slot(s)) errors.push_back({"add_note", "メモは200文字以内で入力してください（改行なし）。"});
  }
  if (errors.empty()) {
    auto existing = store.slot(domain::slot_key(s));
    if (!existing) return error(c, 503);
    if (*existing) errors.push_back({"add_time", "この日時の予約枠はすでにあります。一覧から変更してください。"});
  }
  if (!errors.empty()) {
    std::string text;
    for (const auto& e : errors) text += (text.empty() ? "" : " ") + e.message;
    return failure("予約枠を追加できませんでした。" + text, "/masters/slots?counter=" + percent_encode(counter_id), 422);
  }
  if (auto w = store.save_slot(s); !w) {
    log("master.slot.add", staff, "slot/" + domain::slot_key(s), "failed: " + std::string(errc_name(w.error().code)));
    return failure(message_for(w.error()), "/masters/slots?counter=" + percent_encode(counter_id), 503);
  }
  log("master.slot.add", staff, "slot/" + domain::slot_key(s), "capacity " + std::to_string(s.capacity));
  return with_headers(web::see_other("/masters/slots?counter=" + percent_encode(counter_id) + "&month=" +
                                     calendar::format_iso(s.start.date).substr(0, 7) + "&done=added"),
                      c.headers);
}

// ---- calendar ----
// The stored calendar configuration (one that does not decode shows as empty: saving replaces
// it); drops expired holiday previews.
std::optional<domain::CalendarConfig> MasterPages::Call::load_calendar() {
  auto config = store.calendar_config();
  auto& pending = st.pending;
  for (auto it = pending.begin(); it != pending.end();) it = it->second.expires <= c.now ? pending.erase(it) : std::next(it);
  if (!config) return domain::CalendarConfig{};
  return std::move(*config);
}

// The 休業日・祝日 screen over `cfg`, with errors and extra values (the upload's preview).
http::Response MasterPages::Call::calendar_page(const domain::CalendarConfig& cfg, const std::vector<web::FieldError>& errors,
                                                int status, mstch::map extra) {
  int year = today.year;
  if (auto y = parse_int(query_value(c.req, "year"), 1949, 2199)) year = *y;
  mstch::array closures;
  for (const Date& d : cfg.closures) {
    if (d < today) continue;
    closures.emplace_back(mstch::map{{"date", jp_date(d)}, {"iso", calendar::format_iso(d)}});
  }
  std::size_t past = 0;
  for (const Date& d : cfg.closures) past += d < today ? 1u : 0u;
  mstch::array holidays;
  if (auto bc = domain::business_calendar(cfg)) {
    for (const auto& h : bc->holidays().holidays_in(year)) {
      holidays.emplace_back(mstch::map{{"date", jp_date(h.date)}, {"name", h.name}});
    }
  }
  std::string years_text;
  for (int y : domain::published_years(cfg.holidays)) years_text += (years_text.empty() ? "" : "、") + std::to_string(y) + "年";
  mstch::map content{{"closures", std::move(closures)},
                     {"past_closures", std::to_string(past)},
                     {"closure_count", std::to_string(cfg.closures.size())},
                     {"max_closures", std::to_string(domain::kMaxClosureDays)},
                     {"holidays", std::move(holidays)},
                     {"year", std::to_string(year)},
                     {"prev_year", std::to_string(year - 1)},
                     {"next_year", std::to_string(year + 1)},
                     {"has_list", cfg.has_holidays},
                     {"list_source", cfg.holiday_source},
                     {"list_years", years_text},
                     {"csrf_token", c.session->csrf_token}};
  for (auto& [k, v] : extra) content[k] = v;
  const std::string done = query_value(c.req, "done");
  if (done == "closure") content.emplace("notice", std::string("休業日を保存しました。予約枠に反映するには「予約枠の作成」をもう一度実行してください。"));
  if (done == "holidays") content.emplace("notice", std::string("祝日の一覧を保存しました。予約枠に反映するには「予約枠の作成」をもう一度実行してください。"));
  if (!web::add_field_errors(content, errors)) return error(c, 500);
  return content_page(c, "休業日・祝日", domain::Menu::masters, "calendar_config", std::move(content), status);
}

http::Response MasterPages::Call::calendar_view() {
  auto config = load_calendar();
  return calendar_page(*config, {}, 200, {});
}

http::Response MasterPages::Call::calendar_closure() {
  auto config = load_calendar();
    domain::CalendarConfig next = *config;
  std::string detail;
  if (const std::string rm = c.form->value("remove"); !rm.empty()) {
    auto d = calendar::parse_iso(rm);
    if (!d || !next.closures.erase(*d)) return error(c, 404);
    detail = "closure -" + rm;
  } else {
    auto d = calendar::parse_iso(c.form->value("date"));
    if (!d) return calendar_page(*config, {{"date", "休業日を「2026-12-28」の形で入力してください。"}}, 422, {});
    if (next.closures.count(*d)) return calendar_page(*config, {{"date", "この日はすでに休業日です。"}}, 422, {});
    if (next.closures.size() >= domain::kMaxClosureDays) {
      return calendar_page(*config, {{"date", "休業日は" + std::to_string(domain::kMaxClosureDays) + "日までです。過ぎた休業日を削除してください。"}}, 422, {});
    }
    next.closures.insert(*d);
    detail = "closure +" + calendar::format_iso(*d);
  }
  if (auto s = store.save_calendar_config(next); !s) {
    log("master.calendar.update", staff, "calendar/config", detail + "; failed: " + std::string(errc_name(s.error().code)));
    return calendar_page(*config, {{"date", message_for(s.error())}}, s.error().code == Errc::too_large ? 422 : 503, {});
  }
  log("master.calendar.update", staff, "calendar/config", detail);
  return with_headers(web::see_other("/masters/calendar?done=closure"), c.headers);
}

http::Response MasterPages::Call::calendar_upload() {
  auto config = load_calendar();
  auto& pending = st.pending;
    const text::Part* file = nullptr;
  for (const text::Part& p : c.parts) {
    if (p.name == "file" && p.filename) file = &p;
  }
  if (!file || file->data.empty()) return calendar_page(*config, {{"file", "内閣府の「syukujitsu.csv」を選んでください。"}}, 422, {});
  auto list = calendar::parse_cabinet_office_csv(file->data);
  if (!list) {
    return calendar_page(*config, {{"file", list.error().code == Errc::too_large
                              ? std::string("ファイルが大きすぎます（1MB・1万行まで）。内閣府の「syukujitsu.csv」を選んでください。")
                              : "祝日の一覧として読めませんでした。内閣府の「syukujitsu.csv」をそのまま選んでください。（" +
                                    list.error().message + "）"}},
                422, {});
  }
  const auto all_years = domain::published_years(*list);
  if (all_years.empty()) return calendar_page(*config, {{"file", "ファイルに祝日がありません。"}}, 422, {});
  const int first_kept = today.year - 1;
  auto kept = domain::holidays_from_year(*list, first_kept);
  if (kept.empty()) {
    return calendar_page(*config, {{"file", "ファイルに" + std::to_string(first_kept) + "年以降の祝日がありません。新しい一覧を選んでください。"}}, 422, {});
  }
  domain::CalendarConfig next = *config;
  next.has_holidays = true;
  next.holidays = kept;
  next.holiday_source = std::string(file->filename->substr(0, 100));
  if (auto body = domain::calendar_config_body(next); !body) {
    return calendar_page(*config, {{"file", "この一覧は保存できません（" + body.error().message + "）。"}}, 422, {});
  }
  mstch::array kept_rows;
  for (const auto& h : kept) kept_rows.emplace_back(mstch::map{{"date", jp_date(h.date)}, {"name", h.name}});
  std::string kept_years;
  for (int y : domain::published_years(kept)) kept_years += (kept_years.empty() ? "" : "、") + std::to_string(y) + "年";
  if (pending.size() >= kMaxPending) pending.erase(pending.begin());
  for (auto it = pending.begin(); it != pending.end();) it = it->second.session_id == c.session->id ? pending.erase(it) : std::next(it);
  const std::string token = web::random_token();
  pending[token] = PendingHolidays{c.session->id, c.now + std::chrono::minutes(10), next.holiday_source, kept};
  mstch::map extra{{"upload_preview", true},
                   {"upload_token", token},
                   {"upload_name", next.holiday_source},
                   {"upload_count", std::to_string(list->size())},
                   {"upload_years", std::to_string(all_years.front()) + "年～" + std::to_string(all_years.back()) + "年"},
                   {"upload_kept_years", kept_years},
                   {"upload_kept_count", std::to_string(kept.size())},
                   {"upload_rows", std::move(kept_rows)}};
  return calendar_page(*config, {}, 200, std::move(extra));
}

http::Response MasterPages::Call::calendar_holidays() {
  auto config = load_calendar();
  auto& pending = st.pending;
    auto it = pending.find(c.form->value("token"));
  if (it == pending.end() || it->second.session_id != c.session->id) {
    return calendar_page(*config, {{"file", "確認の有効期限が切れました。もう一度ファイルを選んでください。"}}, 409, {});
  }
  domain::CalendarConfig next = *config;
  next.has_holidays = true;
  next.holidays = it->second.list;
  next.holiday_source = it->second.source;
  const std::size_t count = next.holidays.size();
  pending.erase(it);
  if (auto s = store.save_calendar_config(next); !s) {
    log("master.calendar.update", staff, "calendar/config", "holidays; failed: " + std::string(errc_name(s.error().code)));
    return calendar_page(*config, {{"file", message_for(s.error())}}, 503, {});
  }
  std::string years;
  for (int y : domain::published_years(next.holidays)) years += (years.empty() ? "" : ",") + std::to_string(y);
  log("master.calendar.update", staff, "calendar/config", "holidays " + std::to_string(count) + " days, years " + years);
  return with_headers(web::see_other("/masters/calendar?done=holidays"), c.headers);
}

// ==== お知らせ ====

class NoticePages final : public PageModule {
 public:
  NoticePages(Shell& shell, MasterStore& masters) : PageModule(shell), masters_(masters) {}

  void add_routes(RouteTable& routes) override {
    // お知らせ (RSV-3, RSV-15): the notices menu decides, on every request (SEC-2).
    auto add = [&](Route::Methods methods, std::string path, http::Response (Call::*handler)()) {
      routes.add(call_route(this, methods, std::move(path), handler, {domain::Menu::notices}));
    };
    add(Route::Methods::get, "/notices", &Call::list);
    add(Route::Methods::get_or_post, "/notices/new", &Call::edit);
    add(Route::Methods::get_or_post, "/notices/edit", &Call::edit);
    add(Route::Methods::post, "/notices/delete", &Call::remove);
  }

 private:
  // One request to the お知らせ screens.
  struct Call : PageCall {
    Call(NoticePages& pages_in, Context& ctx)
        : PageCall(pages_in, ctx), store(pages_in.masters_), staff(ctx.account->id), now(now_jst(ctx.wall_ms)) {}

    MasterStore& store;
    const std::string title{domain::menu_label(domain::Menu::notices)};
    const std::string staff;
    const domain::LocalDateTime now;

    http::Response form(bool adding, const NoticeInput& in, const std::vector<web::FieldError>& errors, int status,
                        std::optional<domain::Notice> preview) {
      mstch::map content{{"adding", adding},
                         {"id", in.id},
                         {"kind_info", in.kind != "maintenance"},
                         {"kind_maintenance", in.kind == "maintenance"},
                         {"notice_title", in.title},
                         {"body", in.body},
                         {"publish_from", in.publish_from},
                         {"publish_until", in.publish_until},
                         {"maintenance_from", in.maintenance_from},
                         {"maintenance_until", in.maintenance_until},
                         {"csrf_token", c.session->csrf_token}};
      if (preview) {
        content.emplace("has_preview", true);
        for (auto& [k, v] : notice_preview(*preview)) content[k] = v;
      }
      if (!web::add_field_errors(content, errors)) return error(c, 500);
      return content_page(c, adding ? "お知らせの追加" : "お知らせの変更", domain::Menu::notices, "notice_form", std::move(content), status);
    }

    http::Response list();
    http::Response edit();
    http::Response remove();
  };

  MasterStore& masters_;
};

http::Response NoticePages::Call::list() {
  auto notices = store.notices();
  if (!notices) return error(c, 503);
  std::sort(notices->begin(), notices->end(), [](const domain::Notice& a, const domain::Notice& b) { return b.publish_from < a.publish_from; });
  mstch::array rows;
  for (const domain::Notice& n : *notices) {
    std::string state = domain::notice_published(n, now) ? "掲載中" : (now < n.publish_from ? "掲載前" : "掲載終了");
    const auto until = n.publish_until ? n.publish_until : n.maintenance_until;
    rows.emplace_back(mstch::map{{"id", n.id},
                                 {"id_q", percent_encode(n.id)},
                                 {"title", n.title},
                                 {"kind", std::string(n.kind == domain::NoticeKind::maintenance ? "メンテナンス" : "お知らせ")},
                                 {"window", jp_date_time(n.publish_from) + " ～ " + (until ? jp_date_time(*until) : std::string("（終了なし）"))},
                                 {"state", state}});
  }
  mstch::map content{{"notice_rows", std::move(rows)}, {"count", std::to_string(notices->size())}};
  const std::string done = query_value(c.req, "done");
  if (done == "added") content.emplace("notice", std::string("お知らせを追加しました。"));
  if (done == "updated") content.emplace("notice", std::string("お知らせを変更しました。"));
  if (done == "removed") content.emplace("notice", std::string("お知らせを削除しました。"));
  return content_page(c, title, domain::Menu::notices, "notice_list", std::move(content), 200);
}

http::Response NoticePages::Call::edit() {
  const bool adding = path == "/notices/new";
  if (get) {
    if (adding) {
      NoticeInput in;
      in.publish_from = domain::format_date_time(now);
      return form(true, in, {}, 200, std::nullopt);
    }
    auto n = store.notice(query_value(c.req, "id"));
    if (!n) return error(c, 503);
    if (!*n) return error(c, 404);
    return form(false, input_of(**n), {}, 200, **n);
  }
  NoticeInput in = notice_input_of(*c.form);
  std::optional<domain::Notice> before;
  if (!adding) {
    auto n = store.notice(in.id);
    if (!n) return error(c, 503);
    if (!*n) return error(c, 404);
    before = **n;
  }
  auto parsed = notice_of(in);
  if (auto* errors = std::get_if<std::vector<web::FieldError>>(&parsed)) {
    if (in.id.size() > 32) in.id.resize(32);
    return form(adding, in, *errors, 422, std::nullopt);
  }
  const domain::Notice& n = std::get<domain::Notice>(parsed);
  if (c.form->value("preview") == "1") return form(adding, in, {}, 200, n);
  if (adding) {
    auto existing = store.notice(n.id);
    if (!existing) return error(c, 503);
    if (*existing) return form(true, in, {{"id", "このお知らせIDはすでに使われています。"}}, 422, std::nullopt);
  }
  if (auto s = store.save_notice(n); !s) {
    log(adding ? "notice.add" : "notice.update", staff, "notice/" + n.id, "failed: " + std::string(errc_name(s.error().code)));
    return content_page(c, title, domain::Menu::notices, "message",
                        mstch::map{{"message", message_for(s.error())}, {"next_url", std::string("/notices")},
                                   {"next_label", std::string("お知らせ一覧へ")}},
                        503);
  }
  log(adding ? "notice.add" : "notice.update", staff, "notice/" + n.id,
      std::string("kind ") + (n.kind == domain::NoticeKind::maintenance ? "maintenance" : "info") + ", from " +
          domain::format_date_time(n.publish_from) + (n.publish_until ? " until " + domain::format_date_time(*n.publish_until) : ""));
  return with_headers(web::see_other(adding ? "/notices?done=added" : "/notices?done=updated"), c.headers);
}

http::Response NoticePages::Call::remove() {
  const std::string id = c.form->value("id");
  auto n = store.notice(id);
  if (!n) return error(c, 503);
  if (!*n) return error(c, 404);
  if (c.form->value("confirm") != "1") {
    return form(false, input_of(**n), {{"confirm", "削除するには「削除してよい」にチェックを入れてください。"}}, 422, **n);
  }
  if (auto s = store.remove_notice(id); !s) {
    log("notice.remove", staff, "notice/" + id, "failed: " + std::string(errc_name(s.error().code)));
    return content_page(c, title, domain::Menu::notices, "message",
                        mstch::map{{"message", message_for(s.error())}, {"next_url", std::string("/notices")},
                                   {"next_label", std::string("お知らせ一覧へ")}},
                        503);
  }
  log("notice.remove", staff, "notice/" + id, "");
  return with_headers(web::see_other("/notices?done=removed"), c.headers);
}

}  // namespace

std::unique_ptr<PageModule> make_master_pages(Shell& shell, MasterStore& masters) {
  return std::make_unique<MasterPages>(shell, masters);
}

std::unique_ptr<PageModule> make_notice_pages(Shell& shell, MasterStore& masters) {
  return std::make_unique<NoticePages>(shell, masters);
}

}  // namespace madoguchi::console::app
