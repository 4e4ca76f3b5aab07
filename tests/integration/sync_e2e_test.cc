// The backbone's promises, proven through the real broker and real processes (EDGE-3, EDGE-4,
// EDGE-5): exactly-once delivery across a dead link, a kill -9 of the edge, broker and hub
// restarts, and convergence of every database.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "madoguchi/domain/linkage_file.h"
#include "madoguchi/domain/password.h"
#include "madoguchi/domain/staff.h"
#include "madoguchi/http/client.h"
#include "madoguchi/domain/linkage_record.h"
#include "stack.h"
#include "temp_dir.h"

using madoguchi::sim::FaultMode;
using madoguchi::testing::EdgeSpec;
using madoguchi::testing::Stack;
using madoguchi::testing::TempDir;
using madoguchi::testing::eventually;
using namespace std::chrono_literals;

namespace {

const std::string kA = "131016.counter-01";
const std::string kB = "131016.counter-02";

std::string body(int n) { return R"({"n":)" + std::to_string(n) + R"(,"note":"窓口テスト"})"; }

std::uint64_t hub_last_seq(Stack& s, const std::string& muni, const std::string& device) {
  return s.hub_status()["municipalities"][muni]["device_last_seq"][device].get<std::uint64_t>();
}

bool edge_caught_up(Stack& s, const std::string& name) {
  auto st = s.edge_get(name, "/api/v1/status");
  return st["connected"].get<bool>() && st["outbox_depth"].get<std::uint64_t>() == 0 &&
         st["caught_up"].get<bool>();
}

bool converged_now(Stack& s, const std::string& muni, const std::vector<std::string>& edges) {
  auto hub = Stack::dump_records(s.hub_db(muni), true);
  for (const auto& e : edges) {
    if (!edge_caught_up(s, e)) return false;
    if (Stack::dump_records(s.edge_db(e), false) != hub) return false;
  }
  return true;
}

// Whether the hub and the edges hold the same records. A database that cannot be opened yet (a
// process just started: a clean-clone CI run once found the hub's file not yet openable right
// after its port answered) is "not yet"; eventually() asks again, and a last failure still fails.
bool converged(Stack& s, const std::string& muni, const std::vector<std::string>& edges) {
  try {
    return converged_now(s, muni, edges);
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

TEST_CASE("Changes made at a counter reach the hub and the other counter through the real broker", "[e2e]") {
  TempDir dir;
  Stack s(dir.path(), MADOGUCHI_BIN_DIR);
  s.start_broker();
  s.start_hub();
  s.start_edge({"131016", "counter-01"});
  s.start_edge({"131016", "counter-02"});
  s.start_edge({"282014", "counter-01"});
  for (int i = 1; i <= 50; ++i) REQUIRE(s.edge_put(kA, "memo", "A" + std::to_string(i), body(i)) == static_cast<std::uint64_t>(i));
  REQUIRE(s.edge_put(kB, "memo", "B1", body(1)) == 1);
  REQUIRE(eventually([&] { return converged(s, "131016", {kA, kB}); }));
  CHECK(Stack::dump_records(s.hub_db("131016"), true).size() == 51);
  // The other municipality saw none of it (KON-5).
  CHECK(Stack::dump_records(s.edge_db("282014.counter-01"), false).empty());
  CHECK(Stack::dump_records(s.hub_db("282014"), true).empty());
}

TEST_CASE("Work done while the link is down arrives exactly once after it returns (EDGE-3)", "[e2e][outage]") {
  TempDir dir;
  Stack s(dir.path(), MADOGUCHI_BIN_DIR);
  s.start_broker();
  s.start_hub();
  s.start_edge({"131016", "counter-01", true});
  s.start_edge({"131016", "counter-02"});
  REQUIRE(eventually([&] { return edge_caught_up(s, kA); }));

  for (FaultMode mode : {FaultMode::drop, FaultMode::reset, FaultMode::blackhole}) {
    INFO("fault mode " << madoguchi::sim::fault_mode_name(mode));
    s.proxy(kA).set_mode(mode);
    if (mode == FaultMode::blackhole) {
      // A dead link without FIN or RST: the MQTT keepalive must notice it.
      REQUIRE(eventually([&] { return !s.edge_get(kA, "/api/v1/status")["connected"].get<bool>(); }, 30s));
    }
    std::uint64_t before = hub_last_seq(s, "131016", "counter-01");
    std::uint64_t last = 0;
    for (int i = 0; i < 300; ++i) {
      last = s.edge_put(kA, "memo", "K" + std::to_string(i % 120), body(i));
      REQUIRE(last > 0);  // counter work goes on offline
    }
    std::this_thread::sleep_for(300ms);
    CHECK(hub_last_seq(s, "131016", "counter-01") == before);  // nothing got through
    s.proxy(kA).set_mode(FaultMode::pass);
    REQUIRE(eventually([&] { return hub_last_seq(s, "131016", "counter-01") == last; }));
    REQUIRE(eventually([&] { return converged(s, "131016", {kA, kB}); }));
  }
  auto counters = s.hub_status()["counters"];
  CHECK(counters["ops_applied"].get<std::uint64_t>() == 900);  // every op applied once, none twice
  CHECK(counters["ops_rejected"].get<std::uint64_t>() == 0);
}

TEST_CASE("kill -9 of the edge agent mid-stream loses no committed operation and duplicates none", "[e2e][crash]") {
  TempDir dir;
  Stack s(dir.path(), MADOGUCHI_BIN_DIR);
  s.start_broker();
  s.start_hub();
  s.start_edge({"131016", "counter-01"});
  s.start_edge({"131016", "counter-02"});

  // A writer keeps committing while the agent is killed; every write answered 200 was committed.
  std::atomic<bool> stop{false};
  std::set<int> committed;
  std::mutex mu;
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      if (s.edge_put(kA, "memo", "W" + std::to_string(i), body(i)) > 0) {
        std::lock_guard lock(mu);
        committed.insert(i);
      }
    }
  });
  REQUIRE(eventually([&] {
    std::lock_guard lock(mu);
    return committed.size() >= 200;
  }));
  s.kill_edge(kA);
  stop = true;
  writer.join();
  s.start_edge({"131016", "counter-01"});
  for (int i = 0; i < 50; ++i) REQUIRE(s.edge_put(kA, "memo", "after" + std::to_string(i), body(i)) > 0);

  auto st = s.edge_get(kA, "/api/v1/status");
  std::uint64_t last = st["last_seq"].get<std::uint64_t>();
  REQUIRE(eventually([&] { return hub_last_seq(s, "131016", "counter-01") == last; }));
  REQUIRE(eventually([&] { return converged(s, "131016", {kA, kB}); }));
  auto hub = Stack::dump_records(s.hub_db("131016"), true);
  std::set<std::string> keys;
  for (const auto& line : hub) keys.insert(line.substr(0, line.find('=')));
  for (int i : committed) CHECK(keys.count("memo/W" + std::to_string(i)) == 1);
  // Each operation the edge made was applied exactly once.
  CHECK(s.hub_status()["counters"]["ops_applied"].get<std::uint64_t>() == last);
}

TEST_CASE("A broker restart and a hub restart lose nothing", "[e2e][restart]") {
  TempDir dir;
  Stack s(dir.path(), MADOGUCHI_BIN_DIR);
  s.start_broker();
  s.start_hub();
  s.start_edge({"131016", "counter-01"});
  s.start_edge({"131016", "counter-02"});
  int n = 0;
  auto write_some = [&](const std::string& edge, int count) {
    for (int i = 0; i < count; ++i, ++n) REQUIRE(s.edge_put(edge, "memo", "R" + std::to_string(n), body(n)) > 0);
  };
  write_some(kA, 100);
  s.kill_broker();
  write_some(kA, 100);
  write_some(kB, 50);
  s.start_broker();
  write_some(kB, 50);
  REQUIRE(eventually([&] { return converged(s, "131016", {kA, kB}); }));
  s.kill_hub();
  write_some(kA, 100);
  write_some(kB, 100);
  s.start_hub();
  REQUIRE(eventually([&] { return converged(s, "131016", {kA, kB}); }));
  CHECK(Stack::dump_records(s.hub_db("131016"), true).size() == 500);
  CHECK(hub_last_seq(s, "131016", "counter-01") == 300);
  CHECK(hub_last_seq(s, "131016", "counter-02") == 200);
}

TEST_CASE("An offline counter change that lost to an online change is rejected and shown at the counter (EDGE-5)",
          "[e2e][conflict]") {
  TempDir dir;
  Stack s(dir.path(), MADOGUCHI_BIN_DIR);
  s.start_broker();
  s.start_hub();
  s.start_edge({"131016", "counter-01", true});
  REQUIRE(s.edge_put(kA, "memo", "slot-0900", R"({"holder":"none"})") == 1);
  REQUIRE(eventually([&] { return converged(s, "131016", {kA}); }));
  auto seen = s.edge_get(kA, "/api/v1/records/memo/slot-0900")["version"].get<std::uint64_t>();
  s.proxy(kA).set_mode(FaultMode::drop);
  REQUIRE(s.edge_put(kA, "memo", "slot-0900", R"({"holder":"counter"})") == 2);
  REQUIRE(s.hub_put("131016", "memo", "slot-0900", R"({"holder":"citizen"})", seen) == 200);
  s.proxy(kA).set_mode(FaultMode::pass);
  REQUIRE(eventually([&] { return converged(s, "131016", {kA}); }));
  auto rej = s.edge_get(kA, "/api/v1/rejections")["rejections"];
  REQUIRE(rej.size() == 1);
  CHECK(rej[0]["code"] == "conflict");
  CHECK(s.edge_get(kA, "/api/v1/records/memo/slot-0900")["body"]["holder"] == "citizen");
}

namespace {
// Whether any of a database's files (the database and its WAL) holds `marker` anywhere, as bytes.
bool database_files_contain(const std::filesystem::path& db, const std::string& marker) {
  for (const auto& path : {db, std::filesystem::path(db.string() + "-wal")}) {
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.find(marker) != std::string::npos) return true;
  }
  return false;
}
}  // namespace

namespace {
// The records of one entity in a hub database.
std::vector<std::string> records_of(const std::filesystem::path& db, const std::string& entity) {
  std::vector<std::string> out;
  for (auto& r : Stack::dump_records(db, true)) {
    if (r.starts_with(entity + "/")) out.push_back(std::move(r));
  }
  return out;
}

// A resident delta of rows first..last (docs/formats/linkage-records.md), one person per row,
// each carrying a marker that must never reach a counter.
std::string resident_delta(std::uint64_t first, std::uint64_t last) {
  namespace d = madoguchi::domain;
  d::LinkageFileHeader h;
  h.kind = d::LinkageKind::resident;
  h.source = "jukiA";
  std::vector<std::vector<std::string>> rows;
  for (std::uint64_t i = first; i <= last; ++i) {
    rows.push_back({std::to_string(i), "A", "転入", "2026-12-01", "P" + std::to_string(i), "12345678901", "H" + std::to_string(i),
                    "見本　太郎", "1980-04-01", "1", "見本　太郎", "世帯主", "RESIDENT-MARK-" + std::to_string(i), "2026-12-01",
                    "2026-12-01", "0"});
  }
  return d::write_linkage_file(h,
                               {"連携番号", "異動区分", "異動事由", "異動日", "宛名番号", "住民票コード", "世帯番号", "氏名",
                                "生年月日", "性別", "世帯主氏名", "続柄", "住所", "住所を定めた年月日", "住民となった年月日", "支援措置"},
                               rows)
      .value();
}

void deliver(const std::filesystem::path& folder, const std::string& name, const std::string& bytes) {
  std::ofstream(folder / ("." + name), std::ios::binary) << bytes;
  std::filesystem::rename(folder / ("." + name), folder / name);
}

// A browser of the hub's administration console of `port` (plain HTTP in the Stack): signs in and
// GETs pages with its session cookie.
struct ConsoleClient {
  std::uint16_t port;
  std::map<std::string, std::string> cookies;
  madoguchi::http::ClientResponse send(const std::string& method, const std::string& target, const std::string& form = {}) {
    std::vector<std::pair<std::string, std::string>> headers;
    std::string cookie;
    for (const auto& [k, v] : cookies) cookie += (cookie.empty() ? "" : "; ") + k + "=" + v;
    if (!cookie.empty()) headers.emplace_back("Cookie", cookie);
    if (!form.empty()) headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    auto r = madoguchi::http::request("127.0.0.1", port, method, target, form, std::chrono::seconds(10), nullptr, headers);
    REQUIRE(r.ok());
    if (auto it = r->headers.find("set-cookie"); it != r->headers.end()) {
      // Repeated headers arrive joined by ", "; each cookie's name=value ends at its first ';'.
      std::string all = it->second;
      for (std::size_t pos = 0; pos < all.size();) {
        const auto semi = all.find(';', pos);
        const std::string pair = all.substr(pos, semi - pos);
        const auto eq = pair.find('=');
        if (eq != std::string::npos) {
          const std::string name = pair.substr(0, eq), value = pair.substr(eq + 1);
          const auto next = all.find(", ", semi == std::string::npos ? all.size() : semi);
          const std::string attrs = all.substr(semi == std::string::npos ? all.size() : semi, next == std::string::npos ? std::string::npos : next - semi);
          if (value.empty() || attrs.find("Max-Age=0") != std::string::npos) {
            cookies.erase(name);
          } else {
            cookies[name] = value;
          }
          pos = next == std::string::npos ? all.size() : next + 2;
        } else {
          break;
        }
      }
    }
    return *r;
  }
  void sign_in(const std::string& id, const std::string& pw) {
    const auto form = send("GET", "/sign-in").body;
    const std::string mark = "name=\"csrf_token\" value=\"";
    const auto at = form.find(mark);
    REQUIRE(at != std::string::npos);
    const auto start = at + mark.size();
    const std::string token = form.substr(start, form.find('"', start) - start);
    REQUIRE(send("POST", "/sign-in", "login_id=" + id + "&password=" + pw + "&csrf_token=" + token).status == 303);
  }
};

std::string seq_name(std::uint64_t first, std::uint64_t last) {
  char buf[80];
  std::snprintf(buf, sizeof buf, "resident-jukiA-%012llu-%012llu.csv", static_cast<unsigned long long>(first),
                static_cast<unsigned long long>(last));
  return buf;
}
}  // namespace

TEST_CASE("Linkage files given to the linkage agent reach the hub's certificate database exactly once across kill -9, a cut link and a hub restart, never a counter PC (KON-5, SEC-2, LNK-3)",
          "[e2e][linkage]") {
  TempDir dir;
  Stack s(dir.path(), MADOGUCHI_BIN_DIR);
  s.start_broker();
  s.start_hub({.console = true});
  s.start_edge({.municipality = "131016", .device = "counter-01", .report_status = true});
  s.start_edge({"131016", "linkage", false, true});
  const auto cert_db = dir.path() / "hub" / "131016.cert.db";
  auto inbox = dir.path() / "edges" / "131016.linkage" / "inbox";
  REQUIRE(eventually([&] { return std::filesystem::exists(inbox / "resident"); }));
  // 20 files of 50 people each, and one the agent must refuse (CP932 bytes under a UTF-8 header).
  for (std::uint64_t f = 0; f < 20; ++f) deliver(inbox / "resident", seq_name(f * 50 + 1, f * 50 + 50), resident_delta(f * 50 + 1, f * 50 + 50));
  std::string bad = resident_delta(1, 1);
  bad.replace(bad.find("見本"), 6, "\x8c\xa9\x96\x7b");
  deliver(inbox / "tax", "tax-jukiA-000000000001-000000000001.csv", bad);
  // kill -9 while it works through them, and once more after: nothing lost, nothing twice.
  REQUIRE(eventually([&] { return records_of(cert_db, "resident").size() >= 50; }));
  s.kill_edge("131016.linkage");
  s.start_edge({"131016", "linkage", false, true});
  REQUIRE(eventually([&] { return records_of(cert_db, "resident").size() == 1000; }));
  s.kill_edge("131016.linkage");
  deliver(inbox / "resident", seq_name(1001, 1001), resident_delta(1001, 1001));
  s.start_edge({"131016", "linkage", false, true});
  REQUIRE(eventually([&] { return records_of(cert_db, "resident").size() == 1001; }));
  // A cut link (the broker gone) and a hub restart while files keep arriving: nothing lost, nothing twice.
  s.kill_broker();
  deliver(inbox / "resident", seq_name(1002, 1050), resident_delta(1002, 1050));
  s.start_broker();
  REQUIRE(eventually([&] { return records_of(cert_db, "resident").size() == 1050; }));
  s.kill_hub();
  deliver(inbox / "resident", seq_name(1051, 1100), resident_delta(1051, 1100));
  s.start_hub({.console = true});
  REQUIRE(eventually([&] { return records_of(cert_db, "resident").size() == 1100; }));
  CHECK(std::filesystem::exists(inbox / "rejected" / "tax-tax-jukiA-000000000001-000000000001.csv"));
  CHECK(std::filesystem::exists(inbox / "rejected" / "tax-tax-jukiA-000000000001-000000000001.csv.reason.txt"));
  // Every row applied once: 23 batches whose applied rows add up to 1,100 and no row counted twice.
  std::uint64_t applied = 0, duplicates = 0;
  for (const auto& r : records_of(cert_db, "linkage_batch")) {
    auto b = madoguchi::domain::linkage_batch_from_body(r.substr(r.find('=') + 1)).value();
    applied += b.applied;
    duplicates += b.duplicates;
  }
  CHECK(applied == 1100);
  CHECK(duplicates == 0);
  for (const auto& r : records_of(cert_db, "resident")) {
    auto rec = madoguchi::domain::linkage_record_from_body(madoguchi::domain::LinkageKind::resident, r.substr(r.find('=') + 1)).value();
    CHECK(rec.field("住所") == "RESIDENT-MARK-" + std::to_string(rec.seq));
  }
  // Through the real hub's consoles: 131016's administrators see its linkage; 282014's console
  // shows nothing of it (each console reads its own municipality's certificate database only).
  for (const char* muni : {"131016", "282014"}) {
    madoguchi::domain::StaffAccount a;
    a.id = "admin01";
    a.name = "管理 太郎";
    a.role_id = "administrator";
    a.password_hash = madoguchi::domain::hash_password("Linkage-Admin-2026!").value();
    a.must_change_password = false;
    a.password_changed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    REQUIRE(s.hub_put(muni, "staff", "admin01", madoguchi::domain::staff_to_json(a).dump(), 0) == 200);
  }
  ConsoleClient own{s.hub_console_port("131016"), {}};
  ConsoleClient other{s.hub_console_port("282014"), {}};
  own.sign_in("admin01", "Linkage-Admin-2026%21");
  other.sign_in("admin01", "Linkage-Admin-2026%21");
  const auto own_page = own.send("GET", "/linkage");
  REQUIRE(own_page.status == 200);
  CHECK(own_page.body.find("resident-jukiA-000000001001-000000001001.csv") != std::string::npos);
  CHECK(own_page.body.find("1001") != std::string::npos);
  const auto other_page = other.send("GET", "/linkage");
  REQUIRE(other_page.status == 200);
  CHECK(other_page.body.find("jukiA") == std::string::npos);
  CHECK(other_page.body.find("まだ連携がありません") != std::string::npos);
  CHECK(other.send("GET", "/linkage/print?entity=resident&key=P1").status == 404);
  CHECK(own.send("GET", "/linkage/print?entity=resident&key=P1").status == 200);
  // 再送依頼 through the real console: the hub sends it down to the linkage server, which writes
  // the request file for the core system and marks it sent (LNK-7).
  {
    const auto page = own.send("GET", "/linkage/gaiji").body;
    const std::string mark = "name=\"csrf_token\" value=\"";
    const auto at = page.find(mark);
    REQUIRE(at != std::string::npos);
    const std::string token = page.substr(at + mark.size(), page.find('"', at + mark.size()) - at - mark.size());
    const auto asked = own.send("POST", "/linkage/held/request", "entity=resident&key=P1&csrf_token=" + token);
    CHECK(asked.status == 200);
    CHECK(asked.body.find("1件の再送を依頼しました") != std::string::npos);
    std::filesystem::path request;
    REQUIRE(eventually([&] {
      for (const auto& e : std::filesystem::directory_iterator(inbox / "requests")) {
        if (e.path().filename().string().front() != '.') request = e.path();
      }
      return !request.empty();
    }));
    std::ifstream in(request);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(text.find("#madoguchi-linkage-request,1,resident,jukiA,") == 0);
    CHECK(text.find("\r\nP1\r\n#end,1\r\n") != std::string::npos);
    REQUIRE(eventually([&] { return own.send("GET", "/linkage").body.find("依頼ファイル送付済み") != std::string::npos; }));
  }
  // 同期状況: the counter's report and the linkage server's heartbeat, through the real processes.
  REQUIRE(eventually([&] { return own.send("GET", "/sync").body.find("0.1.0") != std::string::npos; }));
  const auto sync = own.send("GET", "/sync").body;
  CHECK(sync.find("counter-01") != std::string::npos);
  CHECK(sync.find("連携サーバー") != std::string::npos);
  CHECK(sync.find("counter-02: まだ報告がありません") != std::string::npos);  // in the registry, never started
  // The counter PC is in sync (a record written at the hub reaches it), and neither its database
  // nor the municipality's records hold a byte of what the linkage agent sent.
  REQUIRE(s.hub_put("131016", "memo", "MARKER-MEMO", R"({"holder":"citizen"})", 0) == 200);
  REQUIRE(eventually([&] {
    for (const auto& r : Stack::dump_records(s.edge_db("131016.counter-01"), false)) {
      if (r.find("MARKER-MEMO") != std::string::npos) return true;
    }
    return false;
  }));
  CHECK_FALSE(database_files_contain(s.edge_db("131016.counter-01"), "RESIDENT-MARK"));
  // The linkage server receives no feed (KON-5, the broker's roles): the memo never reaches it.
  CHECK_FALSE(database_files_contain(s.edge_db("131016.linkage"), "MARKER-MEMO"));
  CHECK_FALSE(database_files_contain(s.hub_db("131016"), "RESIDENT-MARK"));
  for (const auto& r : Stack::dump_records(s.hub_db("131016"), true)) CHECK(r.find("resident/") != 0);
}
