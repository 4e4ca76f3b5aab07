// 同期状況 (EDGE-5, OPS-4), at the hub console with attach_sync: every device of the municipality,
// its last report (version, operations waiting, refusals, certificate expiry) and what the hub has
// settled, with an alarm for a device that stopped reporting or whose certificate expires soon.
//
//   GET /sync
#include <string>

#include <mstch/mstch.hpp>

#include "internal.h"
#include "madoguchi/console/app/sync_view.h"
#include "madoguchi/domain/alarm.h"
#include "modules.h"

namespace madoguchi::console::app {
namespace {

// The same thresholds as 障害通知 (domain/alarm.h) for counters and certificates; the linkage
// server's as the linkage guard's default.
const std::int64_t kCounterSilentMs = domain::AlarmPolicy{}.device_silent_ms;
const std::int64_t kLinkageSilentMs = domain::LinkageGuardPolicy{}.silence_ms;
const std::int64_t kCertWarnMs = domain::AlarmPolicy{}.certificate_warn_ms;

class SyncPages final : public PageModule {
 public:
  SyncPages(Shell& shell, SyncView& view) : PageModule(shell), view_(view) {}
  void add_routes(RouteTable& routes) override {
    Route status = call_route(this, Route::Methods::get, "/sync", &Call::status, {domain::Menu::sync});
    status.poll_is_idle = true;  // the page refreshing itself is not activity (ACC-4)
    routes.add(std::move(status));
  }

 private:
  struct Call : PageCall {
    Call(SyncPages& pages, Context& ctx) : PageCall(pages, ctx), view(pages.view_) {}
    SyncView& view;

    http::Response status() {
      auto devices = view.devices();
      if (!devices) return error(c, 503);
      mstch::array rows, alarms;
      for (const auto& d : *devices) {
        const bool linkage = d.role == "linkage";
        std::string state = "正常", reported = "報告なし", cert = "—";
        if (!d.status) {
          state = "報告なし";
          alarms.push_back(mstch::map{{"text", d.device + ": まだ報告がありません。設置と起動を確認してください。"}});
        } else {
          const std::int64_t age = c.wall_ms - d.status->at_ms;
          reported = jst_time(d.status->at_ms) + "（" + age_text(age) + "）";
          if (age > (linkage ? kLinkageSilentMs : kCounterSilentMs)) {
            state = "報告が途絶えています";
            alarms.push_back(mstch::map{{"text", d.device + ": " + age_text(age) + "から報告がありません。電源と回線を確認してください。"}});
          }
          if (d.status->cert_not_after_ms > 0) {
            const std::int64_t left = d.status->cert_not_after_ms - c.wall_ms;
            cert = jst_time(d.status->cert_not_after_ms).substr(0, 10) + (left < 0 ? "（期限切れ）" : "（あと" + std::to_string(left / 86'400'000) + "日）");
            if (left < kCertWarnMs) {
              state = left < 0 ? "証明書の期限切れ" : "証明書の更新が必要";
              alarms.push_back(mstch::map{{"text", d.device + ": 端末の証明書の期限が" + (left < 0 ? std::string("切れています") : "近づいています") +
                                                       "（" + cert + "）。技術者に証明書の更新を依頼してください。"}});
            }
          }
        }
        rows.push_back(mstch::map{{"device", d.device},
                                  {"role", linkage ? std::string("連携サーバー") : std::string("窓口のパソコン")},
                                  {"reported", reported},
                                  {"version", d.status ? d.status->version : std::string("—")},
                                  {"outbox", d.status && !linkage ? std::to_string(d.status->outbox_depth) : std::string("—")},
                                  {"rejected", d.status && !linkage ? std::to_string(d.status->rejected) : std::string("—")},
                                  {"settled", std::to_string(d.settled_seq)},
                                  {"cert", cert},
                                  {"state", state}});
      }
      mstch::map content{{"devices", rows},
                         {"count", std::to_string(devices->size())},
                         {"alarms", alarms},
                         {"has_alarms", !alarms.empty()},
                         {"now", jst_time(c.wall_ms)},
                         {"live_seconds", std::string("60")}};
      return content_page(c, std::string(domain::menu_label(domain::Menu::sync)), domain::Menu::sync, "sync_status", std::move(content), 200);
    }
  };
  SyncView& view_;
};

}  // namespace

std::unique_ptr<PageModule> make_sync_pages(Shell& shell, SyncView& view) { return std::make_unique<SyncPages>(shell, view); }

}  // namespace madoguchi::console::app
