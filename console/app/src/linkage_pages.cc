// 連携状況 (LNK-5, LNK-6, OPS-4), at the hub console with attach_linkage: whether the
// municipality's certificates may be issued now (domain::linkage_guard, the same judgement the
// certificate service makes), the linkage agents' heartbeats, each source's stream (last
// 連携番号, an open gap, the latest refused file) and every file taken, newest first, with its
// counts, checksum and time from arrival to commit.
//
//   GET /linkage?before=<batch key>   the screen; older files page by page
#include <string>

#include <mstch/mstch.hpp>

#include "internal.h"
#include "madoguchi/console/app/linkage_view.h"
#include "modules.h"

namespace madoguchi::console::app {
namespace {

constexpr std::size_t kBatchesPerPage = 50;
constexpr std::size_t kNamedShown = 20;  // records named per reconciliation (the rest are counted)
constexpr int kRefreshSeconds = 30;

std::string kind_label(domain::LinkageKind kind) { return linkage_kind_label(domain::linkage_kind_name(kind)); }

std::string duration_text(std::int64_t ms) {
  if (ms < 0) ms = 0;
  if (ms < 1000) return std::to_string(ms) + " ミリ秒";
  return std::to_string(ms / 1000) + "." + std::to_string((ms % 1000) / 100) + " 秒";
}

class LinkagePages final : public PageModule {
 public:
  LinkagePages(Shell& shell, LinkageView& view) : PageModule(shell), view_(view) {}

  void add_routes(RouteTable& routes) override {
    Route status = call_route(this, Route::Methods::get, "/linkage", &Call::status, {domain::Menu::linkage});
    status.poll_is_idle = true;  // the page refreshing itself is not activity (ACC-4)
    routes.add(std::move(status));
  }

 private:
  struct Call : PageCall {
    Call(LinkagePages& pages, Context& ctx) : PageCall(pages, ctx), view(pages.view_) {}
    LinkageView& view;

    http::Response status() {
      auto overview = view.overview();
      if (!overview) return error(c, 503);
      std::string before = query_value(c.req, "before");
      if (before.size() > 200) before.clear();
      auto page = view.batches(before, kBatchesPerPage);
      if (!page) return error(c, 503);
      const auto policy = view.policy();
      const auto guard = domain::linkage_guard(overview->agents, overview->sources, c.wall_ms, policy);

      mstch::array suppressing, alarms;
      for (const auto& f : guard.findings) {
        mstch::map row{{"text", f.text}, {"code", std::string(domain::linkage_concern_code(f.concern))}};
        (f.suppresses ? suppressing : alarms).push_back(std::move(row));
      }
      mstch::array agents;
      for (const auto& a : overview->agents) {
        agents.push_back(mstch::map{{"device", a.device}, {"time", jst_time(a.at_ms)}, {"age", age_text(c.wall_ms - a.at_ms)},
                                    {"version", a.version}});
      }
      mstch::array sources;
      for (const auto& s : overview->sources) {
        std::string gap, failure;
        if (s.gap) {
          gap = std::to_string(s.gap->expected) + "〜" + std::to_string(s.gap->found - 1) + " が未着（" + s.gap->file + " を保留、" +
                jst_time(s.gap->since_ms) + "から）";
        }
        if (s.failure) failure = s.failure->file + "（" + jst_time(s.failure->at_ms) + "）: " + s.failure->reason;
        sources.push_back(mstch::map{{"kind", kind_label(s.kind)},
                                     {"source", s.source},
                                     {"last_seq", std::to_string(s.last_seq)},
                                     {"last_file", s.last_file.empty() ? std::string("—") : s.last_file},
                                     {"last_time", s.last_ms ? jst_time(s.last_ms) : std::string("—")},
                                     {"gap", gap.empty() ? std::string("なし") : gap},
                                     {"failure", failure.empty() ? std::string("なし") : failure}});
      }
      mstch::array batches;
      for (const auto& b : page->batches) {
        std::string changes;
        auto count = [&](char k) {
          auto it = b.changes.find(k);
          return std::to_string(it == b.changes.end() ? 0 : it->second);
        };
        changes = b.full ? "全件 " + count('F') : count('A') + "・" + count('M') + "・" + count('D');
        batches.push_back(mstch::map{
            {"time", jst_time(b.received_ms)},
            {"kind", kind_label(b.kind)},
            {"source", b.source},
            {"file", b.file},
            {"mode", b.full ? "全件（" + b.run_id + "）" : std::string(b.applied == 0 && b.duplicates > 0 ? "再送" : "異動分")},
            {"range", b.rows == 0 ? std::string("—") : std::to_string(b.first_seq) + "〜" + std::to_string(b.last_seq)},
            {"rows", std::to_string(b.rows)},
            {"applied", std::to_string(b.applied)},
            {"duplicates", std::to_string(b.duplicates)},
            {"changes", changes},
            {"lag", duration_text(b.taken_ms - b.received_ms)},
            {"sha256", b.sha256},
            {"sha_short", b.sha256.substr(0, 12)}});
      }
      mstch::array reconciles;
      for (const auto& r : overview->reconciles) {
        std::string named;
        std::size_t shown = 0;
        for (const auto& [key, what] : r.named) {
          if (++shown > kNamedShown) break;
          const char* label = what == "differs" ? "内容が違う" : what == "removed" ? "ハブでは消除済み" : what == "missing" ? "ハブに無い" : "連携元に無い";
          named += (named.empty() ? "" : "、") + key + "（" + label + "）";
        }
        if (r.differences() > kNamedShown) named += " ほか" + std::to_string(r.differences() - kNamedShown) + "件";
        reconciles.push_back(mstch::map{{"time", jst_time(r.finished_ms)},
                                        {"kind", kind_label(r.kind)},
                                        {"source", r.source},
                                        {"run", r.run},
                                        {"as_of", std::to_string(r.as_of)},
                                        {"records", std::to_string(r.source_records)},
                                        {"matching", std::to_string(r.matching)},
                                        {"differing", std::to_string(r.differing)},
                                        {"missing", std::to_string(r.missing)},
                                        {"extra", std::to_string(r.extra)},
                                        {"newer", std::to_string(r.newer)},
                                        {"clean", r.differences() == 0},
                                        {"named", named},
                                        {"too_many", r.too_many},
                                        {"requests", std::to_string(r.requests.size())}});
      }
      mstch::array requests;
      for (const auto& q : overview->requests) {
        const char* reason = q.reason == "held" ? "保留中の記録" : q.reason == "reconcile" ? "照合の相違" : "職員の依頼";
        requests.push_back(mstch::map{{"time", jst_time(q.requested_ms)},
                                      {"kind", kind_label(q.kind)},
                                      {"source", q.source},
                                      {"count", std::to_string(q.keys.size())},
                                      {"reason", std::string(reason)},
                                      {"by", q.by == "reconcile" ? std::string("（自動）") : q.by},
                                      {"state", q.sent ? "依頼ファイル送付済み（" + jst_time(q.sent_ms) + "、" + q.file + "）"
                                                       : std::string("連携サーバーへ送信待ち")}});
      }
      auto records = [&](const char* entity) {
        auto it = overview->records.find(entity);
        return std::to_string(it == overview->records.end() ? 0 : it->second);
      };
      mstch::map content{{"issuable", guard.issuable},
                         {"suppressing", suppressing},
                         {"has_alarms", !alarms.empty()},
                         {"alarms", alarms},
                         {"agents", agents},
                         {"sources", sources},
                         {"batches", batches},
                         {"reconciles", reconciles},
                         {"requests", requests},
                         {"resident_count", records("resident")},
                         {"seal_count", records("seal")},
                         {"tax_count", records("tax")},
                         {"now", jst_time(c.wall_ms)},
                         {"live_seconds", std::to_string(kRefreshSeconds)},
                         {"refresh_label", std::to_string(kRefreshSeconds) + "秒"},
                         {"silence_minutes", std::to_string(policy.silence_ms / 60'000)},
                         {"quiet_minutes", std::to_string(policy.quiet_alarm_ms / 60'000)},
                         {"paged", !before.empty()}};
      if (!page->next.empty()) {
        content.emplace("next", true);
        content.emplace("next_q", percent_encode(page->next));
      }
      return content_page(c, std::string(domain::menu_label(domain::Menu::linkage)), domain::Menu::linkage, "linkage_status",
                          std::move(content), 200);
    }
  };

  LinkageView& view_;
};

}  // namespace

std::unique_ptr<PageModule> make_linkage_pages(Shell& shell, LinkageView& view) {
  return std::make_unique<LinkagePages>(shell, view);
}

}  // namespace madoguchi::console::app
