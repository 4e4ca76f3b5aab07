// コンビニ交付記録 (KON-6, OPS-2; issue 13), at the hub console with attach_konbini: every
// convenience-store request of the municipality, issued, refused or cancelled, as data: who (宛名番号),
// when, which certificate and options, where (store, prefecture, kiosk), the fee, why it was
// refused (the rules' labels, for staff only), and what an issued certificate said. Exported as
// CSV (UTF-8 or CP932, Excel-ready). Viewing a record and exporting are written to the operation log.
//
//   GET /kiosk_log?from=YYYY-MM-DD&to=YYYY-MM-DD&before=<request>   the list (default: today)
//   GET /kiosk_log/view?request=<request>                           one request, with its data
//   GET /kiosk_log.csv?from=…&to=…&encoding=utf8|cp932               the period as CSV
//   GET /kiosk_log.xlsx?from=…&to=…                                   the same as an Excel workbook
//
// 交付統計 (OPS-3), in the same module: the period's counts by certificate, prefecture, store, age
// band and hour of the day (JST), as tables with a bar chart each (SVG drawn here, no script), and
// as CSV.
//
//   GET /kiosk_stats?from=…&to=…
//   GET /kiosk_stats.csv?from=…&to=…&encoding=utf8|cp932
//   GET /kiosk_stats.xlsx?from=…&to=…                                 (with an Excel writer attached)
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>

#include <mstch/mstch.hpp>
#include <nlohmann/json.hpp>

#include "internal.h"
#include "madoguchi/calendar/date.h"
#include "madoguchi/console/app/konbini_records.h"
#include "madoguchi/text/csv.h"
#include "modules.h"

namespace madoguchi::console::app {
namespace {

constexpr std::size_t kPerPage = 100;
constexpr std::size_t kCsvMax = 200'000;  // a year of a large city's requests
constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kJstMs = 9 * 3'600'000;

std::string state_label(const std::string& s) {
  if (s == "completed") return "交付済み";
  if (s == "issued") return "印刷待ち";
  if (s == "issuing") return "作成中";
  if (s == "refused") return "交付せず";
  if (s == "cancelled") return "取消";
  if (s == "expired") return "時間切れ";
  if (s == "challenged") return "認証待ち";
  return s;
}

std::string kind_label(const std::string& kind) {
  auto k = domain::certificate_kind_from_name(kind);
  return k ? std::string(domain::certificate_kind_label(*k)) : std::string("—");
}

std::string refusal_label(const domain::Refusal& r) {
  if (r.code == "authentication") return "電子証明書を確認できない（" + r.detail + "）";
  const auto* rule = domain::suppression_rule(r.code);
  return rule ? std::string(rule->label) : r.code;
}

std::string reasons_of(const KonbiniRecord& r) {
  std::string out;
  for (const auto& x : r.refusals) out += (out.empty() ? "" : "、") + refusal_label(x);
  if (r.state == "cancelled" && !r.reason.empty()) out += (out.empty() ? "" : "、") + std::string(r.reason == "timeout" ? "時間切れで取消" : "端末から取消（" + r.reason + "）");
  return out;
}

std::string store_of(const KonbiniRecord& r) {
  const auto pref = domain::prefecture_name(r.prefecture);
  return r.store_name + (pref.empty() ? std::string() : "（" + std::string(pref) + "）");
}

std::string yen(std::uint32_t fee) { return fee == 0 ? std::string("—") : std::to_string(fee) + "円"; }


constexpr std::size_t kTallyMax = 2'000'000;  // a year of a very large city

struct Bucket {
  std::string key;
  std::uint64_t issued = 0, refused = 0, cancelled = 0, fees = 0;
};
struct Dimension {
  std::string id, title;
  std::vector<Bucket> rows;
};

std::string age_band(int age) {
  if (age < 0) return "不明";
  if (age < 15) return "15歳未満";
  if (age < 20) return "15〜19歳";
  if (age >= 80) return "80歳以上";
  return std::to_string(age / 10 * 10) + "〜" + std::to_string(age / 10 * 10 + 9) + "歳";
}

// The period's counts along each dimension. Issued = printed (completed); refused; cancelled or
// expired. Rows keep a fixed order where there is one (kinds, ages, hours), else by issued.
std::vector<Dimension> tally(const std::vector<KonbiniTally>& all) {
  std::vector<Dimension> dims{{"kind", "証明書別", {}}, {"prefecture", "都道府県別", {}}, {"store", "店舗別", {}},
                              {"age", "年齢別（交付した証明書）", {}}, {"hour", "時間帯別（日本時間）", {}}};
  std::map<std::string, Bucket> maps[5];
  for (auto k : domain::kCertificateKinds) maps[0][std::string(domain::certificate_kind_name(k))].key = std::string(domain::certificate_kind_label(k));
  for (int h = 0; h < 24; ++h) {
    char key[8];
    std::snprintf(key, sizeof key, "%02d", h);
    maps[4][key].key = std::to_string(h) + "時台";
  }
  for (const auto& t : all) {
    const bool issued = t.state == "completed", refused = t.state == "refused", cancelled = t.state == "cancelled" || t.state == "expired";
    char hour[8];
    std::snprintf(hour, sizeof hour, "%02d", static_cast<int>(((t.at_ms + kJstMs) % kDayMs) / 3'600'000));
    const std::string pref(domain::prefecture_name(t.prefecture));
    const std::string keys[5] = {t.kind.empty() ? std::string("unknown") : t.kind, t.prefecture, t.store_id, "", hour};
    for (int i = 0; i < 5; ++i) {
      if (i == 3) continue;
      auto& b = maps[i][keys[i]];
      if (b.key.empty()) b.key = i == 0 ? "（認証前に終了）" : i == 1 ? (pref.empty() ? t.prefecture : pref) : t.store_name + "（" + t.store_id + "）";
      b.issued += issued;
      b.refused += refused;
      b.cancelled += cancelled;
      if (issued) b.fees += t.fee_yen;
    }
    if (issued) {
      char order[8];
      const int band = t.age < 0 ? 999 : t.age < 15 ? 0 : t.age < 20 ? 15 : std::min(t.age, 80) / 10 * 10;
      std::snprintf(order, sizeof order, "%03d", band);
      auto& b = maps[3][order];
      b.key = age_band(t.age);
      ++b.issued;
      b.fees += t.fee_yen;
    }
  }
  for (int i = 0; i < 5; ++i) {
    for (auto& [k, b] : maps[i]) dims[static_cast<std::size_t>(i)].rows.push_back(b);
    if (i == 1 || i == 2) {
      std::stable_sort(dims[static_cast<std::size_t>(i)].rows.begin(), dims[static_cast<std::size_t>(i)].rows.end(),
                       [](const Bucket& a, const Bucket& b) { return a.issued > b.issued; });
    }
  }
  return dims;
}

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += ch;
    }
  }
  return out;
}

// A horizontal bar chart of the issued counts (SVG in the page: no script, no style attribute).
std::string bar_chart(const Dimension& d, std::size_t max_rows) {
  std::uint64_t top = 1;
  for (const auto& b : d.rows) top = std::max(top, b.issued);
  const std::size_t n = std::min(d.rows.size(), max_rows);
  const int row_h = 18, label_w = 190, bar_w = 360, h = static_cast<int>(n) * row_h + 4;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(label_w + bar_w + 70) + "\" height=\"" +
                    std::to_string(h) + "\" role=\"img\" aria-label=\"" + xml_escape(d.title) + "の交付件数のグラフ（数は下の表）\">";
  for (std::size_t i = 0; i < n; ++i) {
    const auto& b = d.rows[i];
    const int y = static_cast<int>(i) * row_h + 2;
    const int w = static_cast<int>(static_cast<double>(bar_w) * static_cast<double>(b.issued) / static_cast<double>(top));
    svg += "<text x=\"" + std::to_string(label_w - 6) + "\" y=\"" + std::to_string(y + 13) + "\" text-anchor=\"end\" font-size=\"12\">" +
           xml_escape(b.key) + "</text>";
    svg += "<rect x=\"" + std::to_string(label_w) + "\" y=\"" + std::to_string(y + 2) + "\" width=\"" + std::to_string(w) +
           "\" height=\"" + std::to_string(row_h - 4) + "\" fill=\"#1d5fa7\"/>";
    svg += "<text x=\"" + std::to_string(label_w + w + 6) + "\" y=\"" + std::to_string(y + 13) + "\" font-size=\"12\">" +
           std::to_string(b.issued) + "</text>";
  }
  return svg + "</svg>";
}

class KioskLogPages final : public PageModule {
 public:
  KioskLogPages(Shell& shell, KonbiniRecords& records, TableWriterFactory excel, bool has_flags)
      : PageModule(shell), records_(records), excel_(std::move(excel)), has_flags_(has_flags) {}
  void add_routes(RouteTable& routes) override {
    routes.add(call_route(this, Route::Methods::get, "/kiosk_log", &Call::list, {domain::Menu::kiosk_log}));
    routes.add(call_route(this, Route::Methods::get, "/kiosk_log/view", &Call::view, {domain::Menu::kiosk_log}));
    routes.add(call_route(this, Route::Methods::get, "/kiosk_log.csv", &Call::csv, {domain::Menu::kiosk_log}));
    routes.add(call_route(this, Route::Methods::get, "/kiosk_stats", &Call::stats, {domain::Menu::kiosk_stats}));
    routes.add(call_route(this, Route::Methods::get, "/kiosk_stats.csv", &Call::stats_csv, {domain::Menu::kiosk_stats}));
    if (excel_) {
      routes.add(call_route(this, Route::Methods::get, "/kiosk_log.xlsx", &Call::xlsx, {domain::Menu::kiosk_log}));
      routes.add(call_route(this, Route::Methods::get, "/kiosk_stats.xlsx", &Call::stats_xlsx, {domain::Menu::kiosk_stats}));
    }
  }

 private:
  struct Call : PageCall {
    Call(KioskLogPages& pages, Context& ctx)
        : PageCall(pages, ctx), records(pages.records_), excel(pages.excel_), has_flags(pages.has_flags_) {}
    KonbiniRecords& records;
    const TableWriterFactory& excel;
    const bool has_flags;

    // The period asked for: from..to inclusive, local days; default today; at most a year.
    std::optional<std::pair<calendar::Date, calendar::Date>> period() {
      const auto today = jst_date(c.wall_ms);
      auto read = [&](const char* name) -> std::optional<calendar::Date> {
        const std::string v = query_value(c.req, name);
        if (v.empty()) return today;
        return calendar::parse_iso(v);
      };
      auto from = read("from"), to = read("to");
      if (!from || !to || *to < *from || calendar::days_between(*from, *to) > 366) return std::nullopt;
      return std::pair{*from, *to};
    }

    // ?encoding=utf8 (default) or cp932.
    std::optional<text::Encoding> csv_encoding() {
      const std::string enc = query_value(c.req, "encoding");
      if (enc.empty() || enc == "utf8") return text::Encoding::utf8;
      if (enc == "cp932") return text::Encoding::cp932;
      return std::nullopt;
    }

    // The period's CSV as a download, written to the operation log as `action`.
    http::Response csv_download(const text::CsvRows& rows, text::Encoding encoding, const std::pair<calendar::Date, calendar::Date>& p,
                                const std::string& name, const char* action) {
      auto bytes = text::to_excel_csv(rows, encoding);
      if (!bytes) return error(c, 400);  // a store name CP932 cannot write: ask for UTF-8
      const std::string span = calendar::format_iso(p.first) + ".." + calendar::format_iso(p.second);
      log(action, c.account->id, "konbini", span);
      http::Response res;
      res.status = 200;
      res.content_type = encoding == text::Encoding::cp932 ? "text/csv; charset=Shift_JIS" : "text/csv; charset=utf-8";
      res.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + name + "-" + calendar::format_iso(p.first) + "-" +
                                                          calendar::format_iso(p.second) + ".csv\"");
      res.body = std::move(*bytes);
      return with_headers(std::move(res), c.headers);
    }

    http::Response list() {
      auto p = period();
      if (!p) return error(c, 400);
      std::string before = query_value(c.req, "before");
      if (before.size() > 64) return error(c, 400);
      auto page = records.list(day_start(p->first), day_start(calendar::add_days(p->second, 1)), before, kPerPage);
      if (!page) return error(c, 503);
      mstch::array rows;
      for (const auto& r : page->records) {
        rows.push_back(mstch::map{{"request", r.request},
                                  {"at", jst_time(r.at_ms)},
                                  {"kind", kind_label(r.kind)},
                                  {"state", state_label(r.state)},
                                  {"number", r.number.empty() ? std::string("—") : r.number},
                                  {"subject", r.subject.empty() ? std::string("—") : r.subject},
                                  {"fee", r.state == "completed" ? yen(r.fee_yen) : std::string("—")},
                                  {"store", store_of(r)},
                                  {"reasons", reasons_of(r)}});
      }
      mstch::map content{{"records", rows},
                         {"count", std::to_string(page->records.size())},
                         {"from", calendar::format_iso(p->first)},
                         {"to", calendar::format_iso(p->second)},
                         {"more", !page->next.empty()},
                         {"next", page->next},
                         {"has_excel", static_cast<bool>(excel)},
                         {"has_flags", has_flags}};
      return content_page(c, std::string(domain::menu_label(domain::Menu::kiosk_log)), domain::Menu::kiosk_log, "kiosk_log",
                          std::move(content), 200);
    }

    http::Response view() {
      const std::string request = query_value(c.req, "request");
      if (request.empty() || request.size() > 64) return error(c, 400);
      auto found = records.get(request);
      if (!found) return error(c, 503);
      if (!*found) return error(c, 404);
      const auto& r = **found;
      // Personal data (OPS-2): who looked at whose certificate is in the operation log.
      log("konbini.view", c.account->id, "konbini/" + r.request, r.subject);
      mstch::array refusals;
      for (const auto& x : r.refusals) {
        refusals.push_back(mstch::map{{"label", refusal_label(x)}, {"code", x.code}, {"detail", x.detail}});
      }
      std::string persons;
      for (const auto& p : r.persons) persons += (persons.empty() ? "" : "、") + p;
      mstch::map content{{"request", r.request},
                         {"at", jst_time(r.at_ms)},
                         {"state", state_label(r.state)},
                         {"reason", r.state == "cancelled" ? reasons_of(r) : std::string()},
                         {"kind", kind_label(r.kind)},
                         {"options", r.options.empty() || r.options == "{}" ? std::string("—") : r.options},
                         {"number", r.number.empty() ? std::string("—") : r.number},
                         {"subject", r.subject.empty() ? std::string("—") : r.subject},
                         {"persons", persons.empty() ? std::string("—") : persons},
                         {"age", r.age < 0 ? std::string("—") : std::to_string(r.age) + "歳"},
                         {"fee", r.state == "completed" ? yen(r.fee_yen) : std::string("—（交付していません）")},
                         {"store", store_of(r) + "（店舗コード " + r.store_id + "）"},
                         {"kiosk", r.kiosk},
                         {"refusals", refusals},
                         {"has_refusals", !refusals.empty()},
                         {"text", r.text},
                         {"has_text", !r.text.empty()},
                         {"may_flag", has_flags && !r.subject.empty() && c.role && domain::allowed(*c.role, domain::Menu::kiosk_flag)},
                         {"subject_url", percent_encode(r.subject)}};
      return content_page(c, "コンビニ交付の申請 " + r.request, domain::Menu::kiosk_log, "kiosk_record", std::move(content), 200);
    }

    // Every request of the period, as the CSV and the workbook list them; nullopt: the store failed.
    std::optional<text::CsvRows> log_rows(const std::pair<calendar::Date, calendar::Date>& p) {
      text::CsvRows rows;
      rows.push_back({"受付日時", "申請番号", "結果", "証明書", "証明書番号", "宛名番号", "記載された人数", "手数料", "年齢", "店舗コード", "店舗名",
                      "都道府県", "端末", "理由"});
      std::string before;
      for (;;) {
        auto page = records.list(day_start(p.first), day_start(calendar::add_days(p.second, 1)), before, 1000);
        if (!page) return std::nullopt;
        for (const auto& r : page->records) {
          rows.push_back({jst_time(r.at_ms), r.request, state_label(r.state), kind_label(r.kind), r.number, r.subject,
                          std::to_string(r.persons.size()), r.state == "completed" ? std::to_string(r.fee_yen) : "0",
                          r.age < 0 ? "" : std::to_string(r.age), r.store_id, r.store_name, std::string(domain::prefecture_name(r.prefecture)),
                          r.kiosk, reasons_of(r)});
        }
        if (page->next.empty() || rows.size() > kCsvMax) break;
        before = page->next;
      }
      return rows;
    }

    // The period's counts by every dimension, as the CSV and the workbook list them.
    std::optional<text::CsvRows> stats_rows(const std::pair<calendar::Date, calendar::Date>& p) {
      auto all = records.tallies(day_start(p.first), day_start(calendar::add_days(p.second, 1)), kTallyMax);
      if (!all) return std::nullopt;
      text::CsvRows rows;
      rows.push_back({"集計", "区分", "交付", "交付せず", "取消・時間切れ", "手数料"});
      for (const auto& d : tally(*all)) {
        for (const auto& b : d.rows) {
          rows.push_back({d.title, b.key, std::to_string(b.issued), std::to_string(b.refused), std::to_string(b.cancelled), std::to_string(b.fees)});
        }
      }
      return rows;
    }

    // The rows as an Excel workbook (every cell text: codes keep their zeros), logged as `action`.
    http::Response xlsx_download(const text::CsvRows& rows, const std::pair<calendar::Date, calendar::Date>& p, const std::string& name,
                                 const std::string& sheet, const char* action) {
      auto writer = excel(sheet, rows.front());
      if (!writer) return error(c, 503);
      for (std::size_t i = 1; i < rows.size(); ++i) {
        if (auto s = (*writer)->add_row(rows[i]); !s) return error(c, 503);
      }
      auto bytes = (*writer)->finish();
      if (!bytes) return error(c, 503);
      log(action, c.account->id, "konbini", calendar::format_iso(p.first) + ".." + calendar::format_iso(p.second) + " xlsx");
      http::Response res;
      res.status = 200;
      res.content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
      res.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + name + "-" + calendar::format_iso(p.first) + "-" +
                                                          calendar::format_iso(p.second) + ".xlsx\"");
      res.body = std::move(*bytes);
      return with_headers(std::move(res), c.headers);
    }

    http::Response csv() {
      auto p = period();
      if (!p) return error(c, 400);
      const auto encoding = csv_encoding();
      if (!encoding) return error(c, 400);
      auto rows = log_rows(*p);
      if (!rows) return error(c, 503);
      return csv_download(*rows, *encoding, *p, "konbini", "konbini.export");
    }

    http::Response xlsx() {
      auto p = period();
      if (!p) return error(c, 400);
      auto rows = log_rows(*p);
      if (!rows) return error(c, 503);
      return xlsx_download(*rows, *p, "konbini", "コンビニ交付記録", "konbini.export");
    }

    http::Response stats() {
      auto p = period();
      if (!p) return error(c, 400);
      auto all = records.tallies(day_start(p->first), day_start(calendar::add_days(p->second, 1)), kTallyMax);
      if (!all) return error(c, 503);
      std::uint64_t issued = 0, refused = 0, cancelled = 0, fees = 0;
      for (const auto& t : *all) {
        issued += t.state == "completed";
        refused += t.state == "refused";
        cancelled += t.state == "cancelled" || t.state == "expired";
        if (t.state == "completed") fees += t.fee_yen;
      }
      mstch::array dims;
      for (const auto& d : tally(*all)) {
        mstch::array rows;
        for (const auto& b : d.rows) {
          rows.push_back(mstch::map{{"key", b.key}, {"issued", std::to_string(b.issued)}, {"refused", std::to_string(b.refused)},
                                    {"cancelled", std::to_string(b.cancelled)}, {"fees", std::to_string(b.fees)}});
        }
        dims.push_back(mstch::map{{"id", d.id}, {"title", d.title}, {"rows", rows}, {"chart", bar_chart(d, 30)}});
      }
      mstch::map content{{"from", calendar::format_iso(p->first)},
                         {"to", calendar::format_iso(p->second)},
                         {"issued", std::to_string(issued)},
                         {"refused", std::to_string(refused)},
                         {"cancelled", std::to_string(cancelled)},
                         {"fees", std::to_string(fees)},
                         {"truncated", all->size() >= kTallyMax},
                         {"now", jst_time(c.wall_ms)},
                         {"dimensions", dims},
                         {"has_excel", static_cast<bool>(excel)}};
      return content_page(c, std::string(domain::menu_label(domain::Menu::kiosk_stats)), domain::Menu::kiosk_stats, "kiosk_stats",
                          std::move(content), 200);
    }

    http::Response stats_csv() {
      auto p = period();
      if (!p) return error(c, 400);
      const auto encoding = csv_encoding();
      if (!encoding) return error(c, 400);
      auto rows = stats_rows(*p);
      if (!rows) return error(c, 503);
      return csv_download(*rows, *encoding, *p, "konbini-stats", "konbini.stats_export");
    }

    http::Response stats_xlsx() {
      auto p = period();
      if (!p) return error(c, 400);
      auto rows = stats_rows(*p);
      if (!rows) return error(c, 503);
      return xlsx_download(*rows, *p, "konbini-stats", "交付統計", "konbini.stats_export");
    }
  };
  KonbiniRecords& records_;
  TableWriterFactory excel_;  // absent: no Excel downloads
  bool has_flags_;            // 交付停止 is served beside (links to it)
};

}  // namespace

std::unique_ptr<PageModule> make_kiosk_log_pages(Shell& shell, KonbiniRecords& records, TableWriterFactory excel, bool has_flags) {
  return std::make_unique<KioskLogPages>(shell, records, std::move(excel), has_flags);
}

}  // namespace madoguchi::console::app
