// 連携状況 at the hub console (LNK-5, LNK-6, OPS-4), driven through http::dispatch over an
// in-memory LinkageView: whether certificates may be issued and why not, the agents, the sources'
// streams and the files taken, newest first, page by page.
#include <catch2/catch.hpp>

#include "console_fixture.h"
#include "madoguchi/console/app/linkage_view.h"

using namespace madoguchi::testing::console_app;
using namespace madoguchi;
namespace d = madoguchi::domain;

namespace {

struct MemoryLinkage final : console::app::LinkageView {
  console::app::LinkageOverview state;
  std::vector<std::pair<std::string, d::LinkageBatch>> batch_list;  // by key, ascending

  Expected<console::app::LinkageOverview> overview() override { return state; }
  Expected<console::app::LinkageBatchPage> batches(const std::string& before, std::size_t max) override {
    console::app::LinkageBatchPage page;
    for (auto it = batch_list.rbegin(); it != batch_list.rend(); ++it) {
      if (!before.empty() && !(it->first < before)) continue;
      if (page.batches.size() == max) {
        page.next = d::linkage_batch_key(page.batches.back());
        break;
      }
      page.batches.push_back(it->second);
    }
    return page;
  }
  d::LinkageGuardPolicy policy() const override { return {}; }
};

d::LinkageBatch batch(std::int64_t at_ms, std::uint64_t first, std::uint64_t last, const std::string& file) {
  d::LinkageBatch b;
  b.source = "jukiA";
  b.file = file;
  b.first_seq = first;
  b.last_seq = last;
  b.rows = last - first + 1;
  b.applied = b.rows;
  b.changes = {{'A', b.rows - 1}, {'D', 1}};
  b.sha256 = std::string(64, 'a');
  b.received_ms = at_ms - 120;
  b.taken_ms = at_ms;
  return b;
}

}  // namespace

TEST_CASE("連携状況 says when certificates are suppressed and why, and lists every file taken, newest first (LNK-5, OPS-4)",
          "[console][linkage]") {
  AdminSession s;
  MemoryLinkage view;
  s.w.app.attach_linkage(view);
  const std::int64_t now = s.w.clock.wall_ms();
  view.state.agents = {{"linkage", now - 30'000, "0.1.0"}};
  d::LinkageSourceState src;
  src.source = "jukiA";
  src.last_seq = 120;
  src.last_file = "resident-jukiA-000000000101-000000000120.csv";
  src.last_ms = now - 60'000;
  src.gap = d::LinkageSourceState::Gap{"resident-jukiA-000000000125-000000000130.csv", 121, 125, now - 50'000};
  view.state.sources = {src};
  view.state.records = {{"resident", 1234}, {"seal", 56}, {"tax", 789}};
  for (int i = 0; i < 60; ++i) {
    view.batch_list.emplace_back(d::linkage_batch_key(batch(now - 100'000 + i * 1000, static_cast<std::uint64_t>(i * 2 + 1),
                                                            static_cast<std::uint64_t>(i * 2 + 2), "f" + std::to_string(i) + "<x>.csv")),
                                 batch(now - 100'000 + i * 1000, static_cast<std::uint64_t>(i * 2 + 1), static_cast<std::uint64_t>(i * 2 + 2),
                                       "f" + std::to_string(i) + "<x>.csv"));
  }
  auto page = s.b.send("GET", "/linkage");
  REQUIRE(page.status == 200);
  CHECK(contains(page.body, "コンビニ交付の証明書発行を止めています"));
  CHECK(contains(page.body, "連携番号 121 から 124 が届いていません"));
  CHECK(contains(page.body, "1234"));
  CHECK(contains(page.body, "f59&lt;x&gt;.csv"));  // the newest first, escaped
  CHECK_FALSE(contains(page.body, "<x>"));
  CHECK_FALSE(contains(page.body, "f9&lt;x&gt;.csv"));  // beyond the first page
  CHECK(contains(page.body, "data-refresh=\"30\""));  // kept current by the script, never a meta refresh (WCAG 2.2.1)
  CHECK_FALSE(contains(page.body, "http-equiv=\"refresh\""));
  // The next page goes on from where the first stopped.
  std::smatch m;
  REQUIRE(std::regex_search(page.body, m, std::regex("/linkage\\?before=([^\"]+)\"")));
  auto older = s.b.send("GET", "/linkage?before=" + std::string(m[1]));
  REQUIRE(older.status == 200);
  CHECK(contains(older.body, "f9&lt;x&gt;.csv"));
  CHECK_FALSE(contains(older.body, "f10&lt;x&gt;.csv"));
  CHECK(contains(older.body, "f0&lt;x&gt;.csv"));

  // The gap closed: issuable again.
  view.state.sources[0].gap.reset();
  auto ok = s.b.send("GET", "/linkage");
  CHECK(contains(ok.body, "連携は正常です"));
  // Silent agent: suppressed again.
  s.w.clock.advance(std::chrono::minutes(11));
  CHECK(contains(s.b.send("GET", "/linkage").body, "連携サーバーからの応答が"));
}

TEST_CASE("連携状況 lists the reconciliations with every difference named, and the re-requests with their state (LNK-6, LNK-7)",
          "[console][linkage]") {
  AdminSession s;
  MemoryLinkage view;
  s.w.app.attach_linkage(view);
  CHECK(contains(s.b.send("GET", "/linkage").body, "まだ照合していません"));
  d::LinkageReconcile r;
  r.source = "jukiA";
  r.run = "N20261206";
  r.as_of = 300;
  r.finished_ms = s.w.clock.wall_ms();
  r.source_records = 1000;
  r.matching = 997;
  r.differing = 1;
  r.missing = 1;
  r.extra = 1;
  r.named = {{"P105", "differs"}, {"P199", "missing"}, {"P130", "extra"}};
  r.requests = {"1:resident:jukiA:1"};
  view.state.reconciles = {r};
  d::LinkageRequest q;
  q.source = "jukiA";
  q.keys = {"P105", "P130", "P199"};
  q.reason = "reconcile";
  q.by = "reconcile";
  q.requested_ms = r.finished_ms;
  q.sent = true;
  q.sent_ms = r.finished_ms + 1000;
  q.file = "resident-jukiA-request-1_resident_jukiA_1.csv";
  view.state.requests = {q};
  auto page = s.b.send("GET", "/linkage");
  REQUIRE(page.status == 200);
  CHECK(contains(page.body, "N20261206（300）"));
  CHECK(contains(page.body, "P105（内容が違う）、P199（ハブに無い）、P130（連携元に無い）。再送依頼 1件"));
  CHECK(contains(page.body, "照合の相違"));
  CHECK(contains(page.body, "依頼ファイル送付済み"));
  CHECK(contains(page.body, "resident-jukiA-request-1_resident_jukiA_1.csv"));
  // A clean one says so; many differences are counted beyond those named.
  r.differing = r.missing = r.extra = 0;
  r.named.clear();
  view.state.reconciles = {r};
  CHECK(contains(s.b.send("GET", "/linkage").body, "相違はありません"));
  r.differing = 50;
  for (int i = 0; i < 50; ++i) r.named.emplace_back("Q" + std::to_string(i), "differs");
  view.state.reconciles = {r};
  CHECK(contains(s.b.send("GET", "/linkage").body, "ほか30件"));
}

TEST_CASE("連携状況 is served only to a role holding its menu (SEC-2)", "[console][linkage]") {
  World w(true);
  MemoryLinkage view;
  w.app.attach_linkage(view);
  Browser clerk(w.app);
  REQUIRE(clerk.sign_in("clerk01", kClerkPw).status == 303);
  CHECK(clerk.send("GET", "/linkage").status == 403);
}

TEST_CASE("At a counter PC, 連携状況 and 同期状況 say where they are: the hub's console, never a placeholder", "[console][linkage]") {
  World w(false);  // a counter PC's console: no linkage view attached
  Browser admin(w.app);
  REQUIRE(admin.sign_in("admin01", kAdminPw).status == 303);
  for (const char* path : {"/linkage", "/sync"}) {
    auto page = admin.send("GET", path);
    REQUIRE(page.status == 200);
    CHECK(contains(page.body, "本庁の管理コンソール（ハブ）で確認します"));
    CHECK_FALSE(contains(page.body, "準備中"));
  }
}
