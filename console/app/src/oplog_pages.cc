// 操作ログ (SYS-3): one's own recent entries (every console), and at a console with
// ConsoleOptions::manage_staff, for administrators (the oplog and staff menus), every device's
// entries, the CSV export and the chain verification.
//
//   GET /oplog?staff_id=&device=&action=&from=YYYY-MM-DD&to=YYYY-MM-DD&page=N
//       every device's entries, newest first, oplog_admin_page_entries per page (administrators);
//       one's own oplog_page_entries newest entries otherwise
//   GET /oplog/export?<the same filters>&encoding=utf8|cp932   CSV of the filtered result
//   GET /oplog/verify   verify_chain per device over its whole chain, page by page
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include <mstch/mstch.hpp>

#include "internal.h"
#include "madoguchi/console/web/page.h"
#include "madoguchi/text/csv.h"
#include "madoguchi/text/encoding.h"
#include "modules.h"

namespace madoguchi::console::app {
namespace {


constexpr std::size_t kMaxPage = 10000;      // deeper pages: narrow the filter instead
constexpr std::size_t kVerifyChunk = 1000;   // entries read per step of a chain's verification
constexpr std::size_t kMaxDevices = 1000;
constexpr std::size_t kMaxFilterBytes = 256;

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



// The oplog screen's content. console/web has no table page yet, and this change may not add
// templates there; so the table is rendered here (mstch escapes every value, as in console/web)
// and put in place of the "message" page's notice (see splice_content).
constexpr const char* kOplogContent =
    "<p>{{staff_id}} の最近の操作です（新しい順、最大{{limit}}件）。</p>\n"
    "{{#has_entries}}\n"
    "<table class=\"oplog\">\n"
    "<caption>操作ログ</caption>\n"
    "<thead><tr><th scope=\"col\">日時</th><th scope=\"col\">操作</th><th scope=\"col\">対象</th>"
    "<th scope=\"col\">端末</th></tr></thead>\n"
    "<tbody>\n"
    "{{#entries}}<tr><td>{{time}}</td><td>{{action}}</td><td>{{target}}</td><td>{{device}}</td></tr>\n{{/entries}}"
    "</tbody>\n</table>\n"
    "{{/has_entries}}\n"
    "{{^has_entries}}<p>操作ログはまだありません。</p>{{/has_entries}}\n";

constexpr std::string_view kContentMarker = "MADOGUCHI-APP-CONTENT-7f3a";

// Replaces the notice holding kContentMarker (message.mustache: <div class="notice" ...><p>marker
// </p></div>) with `content`. Empty when the page does not have that shape (a template change).
std::string splice_content(const std::string& page, const std::string& content) {
  const auto marker = page.find(kContentMarker);
  if (marker == std::string::npos) return {};
  const auto open = page.rfind("<div class=\"notice\"", marker);
  const auto close = page.find("</div>", marker);
  if (open == std::string::npos || close == std::string::npos) return {};
  return page.substr(0, open) + content + page.substr(close + 6);
}


class OpLogPages final : public PageModule {
 public:
  explicit OpLogPages(Shell& shell) : PageModule(shell) {}

  void add_routes(RouteTable& routes) override {
    routes.add(route(Route::Methods::get, "/oplog", &OpLogPages::oplog, this, {domain::Menu::oplog}));
    if (!options_.manage_staff) return;
    // The whole log is for administrators: the staff menu as well.
    routes.add(route(Route::Methods::get, "/oplog/export", &OpLogPages::oplog_export, this,
                     {domain::Menu::oplog, domain::Menu::staff}));
    routes.add(route(Route::Methods::get, "/oplog/verify", &OpLogPages::oplog_verify, this,
                     {domain::Menu::oplog, domain::Menu::staff}));
  }

 private:
  // Administrators at a staff console see every device's entries; everyone else their own.
  http::Response oplog(Context& c) {
    const bool admin = options_.manage_staff && c.role && domain::allowed(*c.role, domain::Menu::staff);
    return admin ? oplog_all(c) : oplog_page(c);
  }
  http::Response oplog_page(Context& c);
  http::Response oplog_all(Context& c);
  http::Response oplog_export(Context& c);
  http::Response oplog_verify(Context& c);
};

http::Response OpLogPages::oplog_page(Context& c) {
  auto entries = store_.recent_oplog(c.account->id, options_.oplog_page_entries);
  if (!entries) return error(c, 503);
  mstch::array rows;
  for (const domain::OpLogEntry& e : *entries) {
    rows.emplace_back(mstch::map{{"time", jst_time(e.at_ms)},
                                 {"action", action_label(e.action)},
                                 {"target", e.target},
                                 {"device", e.device}});
  }
  const bool has_entries = !rows.empty();
  std::string content;
  try {
    content = mstch::render(kOplogContent, mstch::map{{"staff_id", c.account->id},
                                                      {"limit", std::to_string(options_.oplog_page_entries)},
                                                      {"has_entries", has_entries},
                                                      {"entries", std::move(rows)}});
  } catch (...) {
    return error(c, 500);
  }
  auto ctx = web::layout_context(layout(c, std::string(domain::menu_label(domain::Menu::oplog)), domain::Menu::oplog));
  if (!ctx) return error(c, 500);
  ctx->insert_or_assign("message", std::string(kContentMarker));
  auto rendered = templates_.render("message", *ctx);
  if (!rendered) return error(c, 500);
  std::string body = splice_content(*rendered, content);
  if (body.empty()) return error(c, 500);
  return with_headers(web::html(200, std::move(body)), c.headers);
}


http::Response OpLogPages::oplog_all(Context& c) {
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

http::Response OpLogPages::oplog_export(Context& c) {
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

http::Response OpLogPages::oplog_verify(Context& c) {
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
}  // namespace

std::unique_ptr<PageModule> make_oplog_pages(Shell& shell) { return std::make_unique<OpLogPages>(shell); }

}  // namespace madoguchi::console::app
