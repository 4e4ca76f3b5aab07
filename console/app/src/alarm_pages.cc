// 障害通知 (OPS-1), at the hub console with attach_alarms: what is wrong in the municipality's part
// of the system, where and what, since when; acknowledged by staff, each acknowledgement in the
// operation log. Every page of a role holding the menu shows a banner while alarms wait for
// acknowledgement, and the console's script sounds them (console.js); this screen reloads itself.
//
//   GET  /alarms          standing and unacknowledged alarms, and the history (?days=N, 1-90)
//   POST /alarms/ack      id=N: acknowledge one; all=1: every unacknowledged alarm
//   GET  /alarms/state    {"unacknowledged":N,"critical":M,"standing":K} for the banner's poll
#include <string>

#include <mstch/mstch.hpp>

#include "internal.h"
#include "madoguchi/console/app/alarm_board.h"
#include "madoguchi/console/web/page.h"
#include "modules.h"

namespace madoguchi::console::app {
namespace {

constexpr std::size_t kMaxCurrent = 200;
constexpr std::size_t kMaxHistory = 500;
constexpr int kDefaultDays = 7;
constexpr int kMaxDays = 90;

mstch::map alarm_row(const domain::Alarm& a, std::int64_t now_ms) {
  const bool critical = a.condition.level == domain::AlarmLevel::critical;
  std::string state = a.active() ? "発生中" : "解消（" + jst_time(a.cleared_ms) + "）";
  std::string acked = a.acknowledged() ? jst_time(a.acked_ms) + " " + a.acked_by : std::string("未確認");
  return mstch::map{{"id", std::to_string(a.id)},
                    {"level", std::string(domain::alarm_level_label(a.condition.level))},
                    {"critical", critical},
                    {"kind", std::string(domain::alarm_kind_label(a.condition.kind))},
                    {"where", a.condition.where},
                    {"what", a.condition.what},
                    {"raised", jst_time(a.raised_ms) + "（" + age_text(now_ms - a.raised_ms) + "）"},
                    {"last", jst_time(a.last_ms)},
                    {"state", state},
                    {"active", a.active()},
                    {"acknowledged", a.acknowledged()},
                    {"acked", acked}};
}

class AlarmPages final : public PageModule {
 public:
  AlarmPages(Shell& shell, AlarmBoard& board) : PageModule(shell), board_(board) {}
  void add_routes(RouteTable& routes) override {
    Route list = call_route(this, Route::Methods::get, "/alarms", &Call::list, {domain::Menu::alarms});
    list.poll_is_idle = true;  // the page refreshing itself is not activity (ACC-4)
    routes.add(std::move(list));
    routes.add(call_route(this, Route::Methods::post, "/alarms/ack", &Call::ack, {domain::Menu::alarms}));
    Route state = call_route(this, Route::Methods::get, "/alarms/state", &Call::state, {domain::Menu::alarms});
    state.poll_is_idle = true;  // the banner's poll is not activity (ACC-4)
    routes.add(std::move(state));
  }

 private:
  struct Call : PageCall {
    Call(AlarmPages& pages, Context& ctx) : PageCall(pages, ctx), board(pages.board_) {}
    AlarmBoard& board;

    http::Response list() {
      int days = kDefaultDays;
      if (auto d = parse_decimal12(query_value(c.req, "days")); d && *d >= 1 && *d <= kMaxDays) days = static_cast<int>(*d);
      auto current = board.current(kMaxCurrent);
      auto history = board.history(c.wall_ms - std::int64_t{days} * 86'400'000, c.wall_ms + 1, kMaxHistory);
      if (!current || !history) return error(c, 503);
      mstch::array now_rows, past_rows;
      std::size_t unacked = 0;
      for (const auto& a : *current) {
        now_rows.push_back(alarm_row(a, c.wall_ms));
        if (!a.acknowledged()) ++unacked;
      }
      for (const auto& a : *history) past_rows.push_back(alarm_row(a, c.wall_ms));
      mstch::array day_options;
      for (int d : {1, 7, 30, 90}) {
        day_options.push_back(mstch::map{{"value", std::to_string(d)}, {"selected", d == days}});
      }
      mstch::map content{{"current", now_rows},
                         {"has_current", !now_rows.empty()},
                         {"unacknowledged", std::to_string(unacked)},
                         {"has_unacknowledged", unacked > 0},
                         {"history", past_rows},
                         {"has_history", !past_rows.empty()},
                         {"history_full", history->size() >= kMaxHistory},
                         {"days", std::to_string(days)},
                         {"day_options", day_options},
                         {"csrf_token", c.session->csrf_token},
                         {"now", jst_time(c.wall_ms)},
                         {"live_seconds", std::string("30")}};
      return content_page(c, std::string(domain::menu_label(domain::Menu::alarms)), domain::Menu::alarms, "alarms", std::move(content), 200);
    }

    http::Response ack() {
      const auto& f = *c.form;
      const std::string by = c.account->id;
      if (f.value("all") == "1") {
        auto n = board.acknowledge_all(by, c.wall_ms);
        if (!n) return error(c, 503);
        if (*n > 0) log("alarm.ack_all", by, "alarms", std::to_string(*n));
        return with_headers(web::see_other("/alarms"), c.headers);
      }
      auto id = parse_decimal12(f.value("id"));
      if (!id) return error(c, 400);
      auto done = board.acknowledge(static_cast<std::int64_t>(*id), by, c.wall_ms);
      if (!done) return error(c, 503);
      if (*done) log("alarm.ack", by, "alarm/" + std::to_string(*id), "");
      return with_headers(web::see_other("/alarms"), c.headers);
    }

    http::Response state() {
      auto n = board.counts();
      if (!n) return http::Response::json(503, R"({"error":"unavailable"})");
      http::Response r = http::Response::json(200, "{\"unacknowledged\":" + std::to_string(n->unacknowledged) + ",\"critical\":" +
                                                        std::to_string(n->critical) + ",\"standing\":" + std::to_string(n->standing) + "}");
      r.headers.emplace_back("Cache-Control", "no-store");
      return with_headers(std::move(r), c.headers);
    }
  };
  AlarmBoard& board_;
};

}  // namespace

std::unique_ptr<PageModule> make_alarm_pages(Shell& shell, AlarmBoard& board) { return std::make_unique<AlarmPages>(shell, board); }

}  // namespace madoguchi::console::app
