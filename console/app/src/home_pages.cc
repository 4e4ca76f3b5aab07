// ホーム (OPS-1, OPS-3): the day at a glance, from what this console has attached and the role may
// see: 障害通知 waiting, today's convenience-store issuance as it happens, whether issuance is
// allowed by the linkage, and the devices reporting. Reloads itself every minute; a console with
// nothing attached (a counter PC) shows the welcome and the menu.
//
//   GET /
#include <map>
#include <string>

#include <mstch/mstch.hpp>

#include "internal.h"
#include "madoguchi/domain/alarm.h"
#include "madoguchi/domain/konbini.h"
#include "madoguchi/domain/linkage_record.h"
#include "modules.h"

namespace madoguchi::console::app {
namespace {

constexpr std::size_t kTallyMax = 200'000;

class HomePages final : public PageModule {
 public:
  explicit HomePages(Shell& shell) : PageModule(shell) {}
  void add_routes(RouteTable& routes) override {
    Route home = route(Route::Methods::get, std::string(kHomePath), &HomePages::home, this, {});
    home.poll_is_idle = true;  // the dashboard refreshing itself is not activity (ACC-4)
    routes.add(std::move(home));
  }

 private:
  bool may(const Context& c, domain::Menu m) const { return c.role && domain::allowed(*c.role, m); }

  http::Response home(Context& c) {
    bool any = false;
    if (c.role) {
      for (domain::Menu m : domain::visible_menus(*c.role)) any = any || shell_.served_menus.count(m) > 0;
    }
    mstch::map content{{"welcome", c.account->name + "さん、ようこそ。"},
                       {"has_menus", any},
                       {"now", jst_time(c.wall_ms)}};
    bool live = false;
    if (shell_.alarms && may(c, domain::Menu::alarms)) {
      live = true;
      auto n = shell_.alarms->counts();
      content.emplace("alarms", n ? mstch::node(mstch::map{{"unacknowledged", std::to_string(n->unacknowledged)},
                                                             {"standing", std::to_string(n->standing)},
                                                             {"critical", std::to_string(n->critical)},
                                                             {"attention", n->unacknowledged > 0}})
                                  : mstch::node(false));
      content.emplace("alarms_shown", true);
    }
    if (shell_.konbini && (may(c, domain::Menu::kiosk_log) || may(c, domain::Menu::kiosk_stats))) {
      live = true;
      content.emplace("konbini_shown", true);
      content.emplace("konbini", konbini_today(c));
    }
    if (shell_.linkage && may(c, domain::Menu::linkage)) {
      live = true;
      content.emplace("linkage_shown", true);
      content.emplace("linkage", linkage_now(c));
    }
    if (shell_.sync && may(c, domain::Menu::sync)) {
      live = true;
      content.emplace("devices_shown", true);
      content.emplace("devices", devices_now(c));
    }
    content.emplace("dashboard", live);
    if (live) content.emplace("live_seconds", std::string("60"));
    return content_page(c, "ホーム", domain::Menu::home, "home", std::move(content), 200);
  }

  // Today's requests (JST), by certificate and outcome.
  mstch::node konbini_today(const Context& c) {
    const std::int64_t start = day_start(jst_date(c.wall_ms));
    auto all = shell_.konbini->tallies(start, c.wall_ms + 1, kTallyMax);
    if (!all) return false;
    std::map<std::string, std::size_t> issued;
    std::size_t total = 0, refused = 0, cancelled = 0;
    std::uint64_t fees = 0;
    for (const auto& t : *all) {
      if (t.state == "issued" || t.state == "completed") {
        ++total;
        ++issued[t.kind];
        fees += t.fee_yen;
      } else if (t.state == "refused") {
        ++refused;
      } else if (t.state == "cancelled" || t.state == "expired") {
        ++cancelled;
      }
    }
    mstch::array kinds;
    for (auto k : {domain::CertificateKind::residence, domain::CertificateKind::seal, domain::CertificateKind::tax}) {
      const std::string name(domain::certificate_kind_name(k));
      kinds.push_back(mstch::map{{"label", std::string(domain::certificate_kind_label(k))},
                                 {"count", std::to_string(issued.count(name) ? issued.at(name) : 0)}});
    }
    return mstch::map{{"issued", std::to_string(total)},
                      {"refused", std::to_string(refused)},
                      {"cancelled", std::to_string(cancelled)},
                      {"fees", std::to_string(fees)},
                      {"kinds", kinds},
                      {"capped", all->size() >= kTallyMax}};
  }

  mstch::node linkage_now(const Context& c) {
    auto o = shell_.linkage->overview();
    if (!o) return false;
    const auto guard = domain::linkage_guard(o->agents, o->sources, c.wall_ms, shell_.linkage->policy());
    std::int64_t latest = 0;
    for (const auto& s : o->sources) latest = std::max(latest, s.last_ms);
    return mstch::map{{"issuable", guard.issuable},
                      {"findings", std::to_string(guard.findings.size())},
                      {"latest", latest ? jst_time(latest) + "（" + age_text(c.wall_ms - latest) + "）" : std::string("まだありません")}};
  }

  mstch::node devices_now(const Context& c) {
    auto devices = shell_.sync->devices();
    if (!devices) return false;
    const domain::AlarmPolicy policy;
    std::size_t reporting = 0;
    for (const auto& d : *devices) {
      if (d.status && c.wall_ms - d.status->at_ms <= policy.device_silent_ms) ++reporting;
    }
    return mstch::map{{"total", std::to_string(devices->size())}, {"reporting", std::to_string(reporting)}};
  }
};

}  // namespace

std::unique_ptr<PageModule> make_home_pages(Shell& shell) { return std::make_unique<HomePages>(shell); }

}  // namespace madoguchi::console::app
