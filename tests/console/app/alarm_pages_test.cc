// 障害通知 and ホーム at the hub console (OPS-1, OPS-3; issue 13) over an in-memory board: the
// alarms say where and what, acknowledgement is recorded and logged, every page of a role holding
// the menu carries the banner (with the script that sounds it), a role without the menu sees
// neither, the banner's poll is not activity, and ホーム shows the day's figures.
#include <catch2/catch.hpp>

#include "console_fixture.h"
#include "madoguchi/console/app/alarm_board.h"
#include "madoguchi/console/app/konbini_records.h"

using namespace madoguchi::testing::console_app;
using namespace madoguchi;

namespace {

struct MemoryBoard final : console::app::AlarmBoard {
  std::vector<domain::Alarm> alarms;  // oldest first
  bool fail = false;
  Expected<std::vector<domain::Alarm>> current(std::size_t max) override {
    if (fail) return Error{Errc::db, "disk I/O error"};
    std::vector<domain::Alarm> out;
    for (auto it = alarms.rbegin(); it != alarms.rend() && out.size() < max; ++it) {
      if (it->active() || !it->acknowledged()) out.push_back(*it);
    }
    return out;
  }
  Expected<std::vector<domain::Alarm>> history(std::int64_t from_ms, std::int64_t to_ms, std::size_t max) override {
    std::vector<domain::Alarm> out;
    for (auto it = alarms.rbegin(); it != alarms.rend() && out.size() < max; ++it) {
      if (it->raised_ms >= from_ms && it->raised_ms < to_ms) out.push_back(*it);
    }
    return out;
  }
  Expected<domain::AlarmCounts> counts() override {
    if (fail) return Error{Errc::db, "disk I/O error"};
    domain::AlarmCounts c;
    for (const auto& a : alarms) {
      if (!a.acknowledged()) ++c.unacknowledged;
      if (!a.acknowledged() && a.condition.level == domain::AlarmLevel::critical) ++c.critical;
      if (a.active()) ++c.standing;
    }
    return c;
  }
  Expected<bool> acknowledge(std::int64_t id, const std::string& staff, std::int64_t now_ms) override {
    for (auto& a : alarms) {
      if (a.id == id && !a.acknowledged()) {
        a.acked_ms = now_ms;
        a.acked_by = staff;
        return true;
      }
    }
    return false;
  }
  Expected<std::size_t> acknowledge_all(const std::string& staff, std::int64_t now_ms) override {
    std::size_t n = 0;
    for (auto& a : alarms) {
      if (!a.acknowledged()) {
        a.acked_ms = now_ms;
        a.acked_by = staff;
        ++n;
      }
    }
    return n;
  }
};

domain::Alarm alarm(std::int64_t id, domain::AlarmKind kind, domain::AlarmLevel level, std::string where, std::string what, std::int64_t at) {
  domain::Alarm a;
  a.id = id;
  a.condition = {std::string(domain::alarm_kind_code(kind)) + ":" + where, kind, level, std::move(where), std::move(what)};
  a.raised_ms = a.last_ms = at;
  return a;
}

struct OneDay final : console::app::KonbiniRecords {
  std::vector<console::app::KonbiniTally> rows;
  Expected<console::app::KonbiniRecordPage> list(std::int64_t, std::int64_t, const std::string&, std::size_t) override { return console::app::KonbiniRecordPage{}; }
  Expected<std::optional<console::app::KonbiniRecord>> get(const std::string&) override { return std::optional<console::app::KonbiniRecord>(); }
  Expected<std::vector<console::app::KonbiniTally>> tallies(std::int64_t from_ms, std::int64_t to_ms, std::size_t) override {
    std::vector<console::app::KonbiniTally> out;
    for (const auto& t : rows) {
      if (t.at_ms >= from_ms && t.at_ms < to_ms) out.push_back(t);
    }
    return out;
  }
};

}  // namespace

TEST_CASE("障害通知 lists alarms with where and what, acknowledgement is recorded and logged, and the banner follows (OPS-1)", "[console][alarm]") {
  AdminSession s;
  MemoryBoard board;
  s.w.app.attach_alarms(board);
  const std::int64_t now = s.w.clock.wall_ms();
  board.alarms.push_back(alarm(1, domain::AlarmKind::disk_space, domain::AlarmLevel::warning, "ハブ /var/lib/madoguchi",
                               "ディスクの空きが 1800 MiB（4%）です。", now - 3'600'000));
  board.alarms.push_back(alarm(2, domain::AlarmKind::center_unreachable, domain::AlarmLevel::critical, "交付センター",
                               "交付センターからの接続が12分ありません。", now - 60'000));

  auto page = s.b.send("GET", "/alarms");
  REQUIRE(page.status == 200);
  CHECK_FALSE(contains(page.body, "準備中"));
  CHECK(contains(page.body, "未確認の障害通知が2件あります"));
  CHECK(contains(page.body, "<td>重大</td><td>交付センター</td><td>交付センター</td><td>交付センターからの接続が12分ありません。</td>"));
  CHECK(contains(page.body, "var&#x2F;lib&#x2F;madoguchi"));
  CHECK(contains(page.body, "data-refresh=\"30\""));  // kept current by the script, never a meta refresh (WCAG 2.2.1)
  CHECK_FALSE(contains(page.body, "http-equiv=\"refresh\""));
  // The banner and its script on every page of the role, with the count.
  CHECK(contains(page.body, "id=\"alarm-banner\""));
  CHECK(contains(page.body, "alarm-banner--critical"));
  CHECK(contains(page.body, "<span class=\"alarm-count\">2</span>"));
  CHECK(contains(page.body, "console.js"));
  auto elsewhere = s.b.send("GET", "/oplog");
  CHECK(contains(elsewhere.body, "<span class=\"alarm-count\">2</span>"));

  auto state = s.b.send("GET", "/alarms/state?poll");
  REQUIRE(state.status == 200);
  CHECK(state.body == R"({"unacknowledged":2,"critical":1,"standing":2})");

  // Acknowledge one: recorded with the staff id, logged; the count drops.
  REQUIRE(s.post("/alarms/ack", "id=2").status == 303);
  CHECK(board.alarms[1].acked_by == "admin01");
  CHECK(s.b.send("GET", "/alarms/state?poll").body == R"({"unacknowledged":1,"critical":0,"standing":2})");
  page = s.b.send("GET", "/alarms");
  CHECK(contains(page.body, "未確認の障害通知が1件あります"));
  CHECK_FALSE(contains(page.body, "alarm-banner--critical"));
  // Twice is no second entry; a forged id or no CSRF token changes nothing.
  REQUIRE(s.post("/alarms/ack", "id=2").status == 303);
  CHECK(s.post("/alarms/ack", "id=abc").status == 400);
  CHECK(s.b.send("POST", "/alarms/ack", "id=1").status == 403);
  CHECK_FALSE(board.alarms[0].acknowledged());

  // The condition ends: shown until acknowledged, then only in the history.
  board.alarms[0].cleared_ms = now;
  board.alarms[1].cleared_ms = now;
  REQUIRE(s.post("/alarms/ack", "all=1").status == 303);
  CHECK(board.alarms[0].acked_by == "admin01");
  page = s.b.send("GET", "/alarms");
  CHECK(contains(page.body, "発生中の障害はありません。"));
  CHECK(contains(page.body, "解消（"));
  CHECK(contains(page.body, "hidden"));  // the banner stays, hidden, for the poll to show it again

  auto log = s.b.send("GET", "/oplog");
  CHECK(contains(log.body, "障害通知の確認"));
  CHECK(contains(log.body, "障害通知の一括確認"));
  auto count = [](const std::string& body, const std::string& part) {
    std::size_t n = 0;
    for (auto at = body.find(part); at != std::string::npos; at = body.find(part, at + 1)) ++n;
    return n;
  };
  CHECK(count(log.body, "障害通知の確認") == 1);

  // History for another period; an out-of-range one falls back to a week.
  CHECK(s.b.send("GET", "/alarms?days=30").status == 200);
  CHECK(contains(s.b.send("GET", "/alarms?days=999").body, "直近7日に発生した障害"));

  // A clerk's role has no 障害通知: no banner, no screen, no poll.
  Browser clerk(s.w.app);
  REQUIRE(clerk.sign_in("clerk01", kClerkPw).status == 303);
  board.alarms.push_back(alarm(3, domain::AlarmKind::held_records, domain::AlarmLevel::warning, "連携 外字対照表", "保留 2 件", now));
  CHECK_FALSE(contains(clerk.send("GET", "/").body, "alarm-banner"));
  CHECK(clerk.send("GET", "/alarms").status == 403);
  CHECK(clerk.send("GET", "/alarms/state?poll").status == 403);

  // The board unreadable: the screen says so (503), other pages still work without the count.
  board.fail = true;
  CHECK(s.b.send("GET", "/alarms").status == 503);
  CHECK(s.b.send("GET", "/oplog").status == 200);
}

TEST_CASE("ホーム shows the day at a glance: alarms waiting and today's convenience-store issuance (OPS-1, OPS-3)", "[console][alarm]") {
  AdminSession s;
  MemoryBoard board;
  OneDay day;
  s.w.app.attach_alarms(board);
  s.w.app.attach_konbini(day);
  const std::int64_t now = s.w.clock.wall_ms();
  board.alarms.push_back(alarm(1, domain::AlarmKind::revocation, domain::AlarmLevel::critical, "ハブ 公的個人認証", "失効リストが古い", now));
  auto add = [&](const std::string& state, const std::string& kind, std::int64_t at) {
    day.rows.push_back({state, kind, "13", "S1", "見本店", 40, at, state == "completed" ? 300u : 0u});
  };
  add("completed", "residence", now - 1000);
  add("completed", "residence", now - 2000);
  add("completed", "seal", now - 3000);
  add("refused", "tax", now - 4000);
  add("completed", "tax", now - 2LL * 86'400'000);  // another day

  auto home = s.b.send("GET", "/");
  REQUIRE(home.status == 200);
  CHECK(contains(home.body, "さん、ようこそ。"));
  CHECK(contains(home.body, "本日の状況"));
  CHECK(contains(home.body, "未確認（うち重大 1 件）"));
  CHECK(contains(home.body, "<p class=\"figure\">3<span class=\"unit\">通</span></p>"));
  CHECK(contains(home.body, "<li>住民票の写し 2 通</li>"));
  CHECK(contains(home.body, "<li>印鑑登録証明書 1 通</li>"));
  CHECK(contains(home.body, "交付できなかった申請 1 件"));
  CHECK(contains(home.body, "手数料 900 円"));
  CHECK(contains(home.body, "data-refresh=\"60\""));
  CHECK_FALSE(contains(home.body, "http-equiv=\"refresh\""));

  // A clerk's role has neither menu: the welcome only, nothing reloading.
  Browser clerk(s.w.app);
  REQUIRE(clerk.sign_in("clerk01", kClerkPw).status == 303);
  auto theirs = clerk.send("GET", "/");
  REQUIRE(theirs.status == 200);
  CHECK(contains(theirs.body, "さん、ようこそ。"));
  CHECK_FALSE(contains(theirs.body, "本日の状況"));
  CHECK_FALSE(contains(theirs.body, "data-refresh"));
}
