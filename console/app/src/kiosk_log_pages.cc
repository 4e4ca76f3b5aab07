// コンビニ交付記録 (KON-6, OPS-2; issue 13), at the hub console with attach_konbini: every
// convenience-store request of the municipality, issued, refused or cancelled, as data: who (宛名番号),
// when, which certificate and options, where (store, prefecture, kiosk), the fee, why it was
// refused (the rules' labels, for staff only), and what an issued certificate said. Exported as
// CSV (UTF-8 or CP932, Excel-ready). Viewing a record and exporting are written to the operation log.
//
//   GET /kiosk_log?from=YYYY-MM-DD&to=YYYY-MM-DD&before=<request>   the list (default: today)
//   GET /kiosk_log/view?request=<request>                           one request, with its data
//   GET /kiosk_log.csv?from=…&to=…&encoding=utf8|cp932               the period as CSV
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

// The local (JST) day's start in UTC ms.
std::int64_t day_start(const calendar::Date& d) {
  return static_cast<std::int64_t>(calendar::days_between({1970, 1, 1}, d)) * kDayMs - kJstMs;
}
calendar::Date jst_date(std::int64_t ms) { return calendar::add_days({1970, 1, 1}, static_cast<int>((ms + kJstMs) / kDayMs)); }

class KioskLogPages final : public PageModule {
 public:
  KioskLogPages(Shell& shell, KonbiniRecords& records) : PageModule(shell), records_(records) {}
  void add_routes(RouteTable& routes) override {
    routes.add(call_route(this, Route::Methods::get, "/kiosk_log", &Call::list, {domain::Menu::kiosk_log}));
    routes.add(call_route(this, Route::Methods::get, "/kiosk_log/view", &Call::view, {domain::Menu::kiosk_log}));
    routes.add(call_route(this, Route::Methods::get, "/kiosk_log.csv", &Call::csv, {domain::Menu::kiosk_log}));
  }

 private:
  struct Call : PageCall {
    Call(KioskLogPages& pages, Context& ctx) : PageCall(pages, ctx), records(pages.records_) {}
    KonbiniRecords& records;

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
                         {"next", page->next}};
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
                         {"has_text", !r.text.empty()}};
      return content_page(c, "コンビニ交付の申請 " + r.request, domain::Menu::kiosk_log, "kiosk_record", std::move(content), 200);
    }

    http::Response csv() {
      auto p = period();
      if (!p) return error(c, 400);
      const std::string enc = query_value(c.req, "encoding");
      if (enc != "utf8" && enc != "cp932" && !enc.empty()) return error(c, 400);
      const text::Encoding encoding = enc == "cp932" ? text::Encoding::cp932 : text::Encoding::utf8;
      text::CsvRows rows;
      rows.push_back({"受付日時", "申請番号", "結果", "証明書", "証明書番号", "宛名番号", "記載された人数", "手数料", "年齢", "店舗コード", "店舗名",
                      "都道府県", "端末", "理由"});
      std::string before;
      for (;;) {
        auto page = records.list(day_start(p->first), day_start(calendar::add_days(p->second, 1)), before, 1000);
        if (!page) return error(c, 503);
        for (const auto& r : page->records) {
          rows.push_back({jst_time(r.at_ms), r.request, state_label(r.state), kind_label(r.kind), r.number, r.subject,
                          std::to_string(r.persons.size()), r.state == "completed" ? std::to_string(r.fee_yen) : "0",
                          r.age < 0 ? "" : std::to_string(r.age), r.store_id, r.store_name, std::string(domain::prefecture_name(r.prefecture)),
                          r.kiosk, reasons_of(r)});
        }
        if (page->next.empty() || rows.size() > kCsvMax) break;
        before = page->next;
      }
      auto bytes = text::to_excel_csv(rows, encoding);
      if (!bytes) return error(c, 400);  // a store name CP932 cannot write: ask for UTF-8
      log("konbini.export", c.account->id, "konbini", calendar::format_iso(p->first) + ".." + calendar::format_iso(p->second));
      http::Response res;
      res.status = 200;
      res.content_type = encoding == text::Encoding::cp932 ? "text/csv; charset=Shift_JIS" : "text/csv; charset=utf-8";
      res.headers.emplace_back("Content-Disposition", "attachment; filename=\"konbini-" + calendar::format_iso(p->first) + "-" +
                                                          calendar::format_iso(p->second) + ".csv\"");
      res.body = std::move(*bytes);
      return with_headers(std::move(res), c.headers);
    }
  };
  KonbiniRecords& records_;
};

}  // namespace

std::unique_ptr<PageModule> make_kiosk_log_pages(Shell& shell, KonbiniRecords& records) {
  return std::make_unique<KioskLogPages>(shell, records);
}

}  // namespace madoguchi::console::app
