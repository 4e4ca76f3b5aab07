// The linkage agent's intake, through the sync engine to the hub's certificate database
// (LNK-1..LNK-6, KON-5, docs/formats/linkage-records.md): one record per person, in order,
// exactly once; a gap holds what follows; a refused file changes nothing; a file delivered again
// is verified, never applied twice.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "madoguchi/domain/linkage_file.h"
#include "madoguchi/domain/linkage_reconcile.h"
#include "madoguchi/domain/linkage_record.h"
#include "madoguchi/edge/linkage_inbox.h"
#include "madoguchi/hub/gaiji_service.h"
#include "madoguchi/hub/linkage_reconciler.h"
#include "madoguchi/hub/linkage_view.h"
#include "madoguchi/sim/town_generator.h"
#include "sync_world.h"

using namespace madoguchi;
using madoguchi::testing::SyncWorld;
using madoguchi::testing::linkage_routing;
namespace d = madoguchi::domain;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kResidentColumns = {
    "連携番号", "異動区分", "異動事由", "異動日", "宛名番号", "住民票コード", "世帯番号", "氏名", "生年月日", "性別",
    "世帯主氏名", "続柄", "住所", "住所を定めた年月日", "住民となった年月日", "支援措置"};

std::vector<std::string> resident(std::uint64_t seq, const std::string& change, const std::string& person, const std::string& address) {
  return {std::to_string(seq), change, change == "D" ? "転出" : (change == "M" ? "転居" : "転入"), "2026-12-01", person,
          "12345678901", "H01", "見本　一郎", "1980-04-01", "1", "見本　一郎", "世帯主", address, "2026-12-01", "2026-12-01", "0"};
}

std::string resident_file(const std::vector<std::vector<std::string>>& rows, bool full = false, const std::string& run = "") {
  d::LinkageFileHeader h;
  h.kind = d::LinkageKind::resident;
  h.source = "jukiA";
  h.full = full;
  h.run_id = run;
  return d::write_linkage_file(h, kResidentColumns, rows).value();
}

// Written as a core system must: under a dot name, then renamed.
void deliver(const fs::path& inbox, const std::string& kind, const std::string& name, const std::string& bytes) {
  const fs::path tmp = inbox / kind / ("." + name);
  std::ofstream(tmp, std::ios::binary) << bytes;
  fs::rename(tmp, inbox / kind / name);
}

struct World {
  std::unique_ptr<hub::LinkageReconciler> reconciler;  // as the hub process has one (re-requests, reconciliation)
  SyncWorld w{linkage_routing([this] { return reconciler.get(); })};
  SyncWorld::Edge& agent = w.add_edge("131016", "linkage");
  SyncWorld::Edge& counter = w.add_edge("131016", "counter-01");
  fs::path inbox = w.dir / "inbox";
  edge::LinkageInbox intake{*agent.store, inbox, "linkage"};

  World() {
    REQUIRE(intake.init().ok());
    reconciler = std::make_unique<hub::LinkageReconciler>(*w.hub, w.clock);
  }

  edge::InboxResult scan() {
    auto r = intake.scan(w.clock.wall_ms());
    REQUIRE(r.ok());
    REQUIRE(w.settle());
    return *r;
  }
  hub::HubStore& cert() { return *w.hub->certificate_store("131016"); }
  std::optional<d::LinkageRecord> person(const std::string& key) {
    auto r = cert().get("resident", key);
    REQUIRE(r.ok());
    if (!*r || (*r)->deleted) return std::nullopt;
    auto rec = d::linkage_record_from_body(d::LinkageKind::resident, (*r)->body);
    REQUIRE(rec.ok());
    return *rec;
  }
  d::LinkageSourceState source() {
    auto r = cert().get("linkage_source", "resident:jukiA");
    REQUIRE(r.ok());
    REQUIRE(r->has_value());
    return d::linkage_source_from_body((*r)->body).value();
  }
  std::vector<d::LinkageBatch> batches() {
    std::vector<d::LinkageBatch> out;
    auto rows = cert().records_between("linkage_batch", "", "", 1000);
    REQUIRE(rows.ok());
    for (const auto& r : *rows) out.push_back(d::linkage_batch_from_body(r.body).value());
    return out;
  }
  std::uint64_t cert_writes() { return cert().device_last_seq("linkage").value(); }
};

}  // namespace

TEST_CASE("A resident delta becomes one record per person in the certificate database, applied in 連携番号 order (LNK-1, LNK-3)",
          "[linkage][inbox]") {
  World t;
  deliver(t.inbox, "resident", "resident-jukiA-000000000001-000000000004.csv",
          resident_file({resident(1, "A", "P0001", "見本市一丁目1番"), resident(2, "A", "P0002", "見本市二丁目2番"),
                         resident(3, "M", "P0001", "見本市三丁目3番"), resident(4, "D", "P0002", "見本市二丁目2番")}));
  auto r = t.scan();
  CHECK(r.taken == 1);
  CHECK(r.rows == 4);
  // The later row of a person wins: the move (M) of P0001, the move out (D) of P0002, kept as 除票.
  auto p1 = t.person("P0001");
  REQUIRE(p1);
  CHECK(p1->change == 'M');
  CHECK(p1->seq == 3);
  CHECK(p1->field("住所") == "見本市三丁目3番");
  CHECK(p1->file == "resident-jukiA-000000000001-000000000004.csv");
  auto p2 = t.person("P0002");
  REQUIRE(p2);
  CHECK(p2->change == 'D');
  // The batch as 連携状況 shows it: counts by change, the file's checksum.
  auto b = t.batches();
  REQUIRE(b.size() == 1);
  CHECK(b[0].first_seq == 1);
  CHECK(b[0].last_seq == 4);
  CHECK(b[0].applied == 4);
  CHECK(b[0].changes.at('A') == 2);
  CHECK(b[0].changes.at('M') == 1);
  CHECK(b[0].changes.at('D') == 1);
  CHECK(b[0].sha256.size() == 64);
  CHECK(t.source().last_seq == 4);
  CHECK_FALSE(t.source().gap);
  CHECK(fs::exists(t.inbox / "done" / "resident-resident-jukiA-000000000001-000000000004.csv"));
  // Never on the feed: neither the counter nor the municipality's records have any of it (KON-5).
  for (const auto& [entity, key, body] : t.w.edge_records("131016.counter-01")) CHECK_FALSE(d::is_certificate_entity(entity));
  for (const auto& [entity, key, body] : t.w.hub_records("131016")) CHECK_FALSE(d::is_certificate_entity(entity));
  // Nor in the agent's own view: it sends and forgets.
  CHECK(t.agent.store->list("resident", 10, 0).value().empty());
}

TEST_CASE("A file that skips ahead is held with the gap reported until the missing file arrives, certificates suppressed meanwhile (LNK-3)",
          "[linkage][inbox]") {
  World t;
  deliver(t.inbox, "resident", "resident-jukiA-000000000001-000000000002.csv",
          resident_file({resident(1, "A", "P0001", "一丁目"), resident(2, "A", "P0002", "二丁目")}));
  t.scan();
  // 3..4 are late; 5..6 arrive first.
  deliver(t.inbox, "resident", "resident-jukiA-000000000005-000000000006.csv",
          resident_file({resident(5, "M", "P0001", "五丁目"), resident(6, "D", "P0002", "二丁目")}));
  auto held = t.scan();
  CHECK(held.held == 1);
  CHECK(held.taken == 0);
  CHECK(fs::exists(t.inbox / "resident" / "resident-jukiA-000000000005-000000000006.csv"));
  CHECK(t.person("P0001")->field("住所") == "一丁目");  // nothing of the held file applied
  auto s = t.source();
  REQUIRE(s.gap);
  CHECK(s.gap->expected == 3);
  CHECK(s.gap->found == 5);
  // The guard suppresses the municipality's certificates, naming the gap.
  auto beat = d::linkage_agent_from_body(t.cert().get("linkage_agent", "linkage").value()->body).value();
  auto guard = d::linkage_guard({beat}, {s}, t.w.clock.wall_ms());
  CHECK_FALSE(guard.issuable);
  REQUIRE_FALSE(guard.findings.empty());
  CHECK(guard.findings[0].concern == d::LinkageConcern::gap);
  CHECK(guard.findings[0].text.find("3 から 4") != std::string::npos);
  // Scanning again does not apply it either, nor report it twice.
  const auto writes = t.cert_writes();
  CHECK(t.scan().held == 1);
  CHECK(t.cert_writes() <= writes + 1);  // at most the heartbeat

  deliver(t.inbox, "resident", "resident-jukiA-000000000003-000000000004.csv",
          resident_file({resident(3, "M", "P0001", "三丁目"), resident(4, "M", "P0001", "四丁目")}));
  auto r = t.scan();
  CHECK(r.taken == 2);  // the missing file, then the held one, in order
  CHECK(t.person("P0001")->field("住所") == "五丁目");
  CHECK(t.person("P0002")->change == 'D');
  CHECK(t.source().last_seq == 6);
  CHECK_FALSE(t.source().gap);
  CHECK(d::linkage_guard({beat}, {t.source()}, t.w.clock.wall_ms()).issuable);

  // What 連携状況 reads at the hub: the agent, the source, the files newest first, the counts.
  hub::HubLinkageView view(*t.w.hub, "131016", {});
  auto overview = view.overview().value();
  REQUIRE(overview.agents.size() == 1);
  REQUIRE(overview.sources.size() == 1);
  CHECK(overview.sources[0].last_seq == 6);
  CHECK(overview.records.at("resident") == 2);
  auto page = view.batches("", 2).value();
  REQUIRE(page.batches.size() == 2);
  CHECK(page.batches[0].first_seq == 5);  // taken last
  CHECK(page.batches[1].first_seq == 3);
  REQUIRE_FALSE(page.next.empty());
  auto rest = view.batches(page.next, 2).value();
  REQUIRE(rest.batches.size() == 1);
  CHECK(rest.batches[0].first_seq == 1);
  CHECK(rest.next.empty());
}

TEST_CASE("A file delivered again is verified against the first delivery and applies nothing twice (LNK-6)", "[linkage][inbox]") {
  World t;
  const std::string first = resident_file({resident(1, "A", "P0001", "一丁目"), resident(2, "A", "P0002", "二丁目")});
  deliver(t.inbox, "resident", "resident-jukiA-000000000001-000000000002.csv", first);
  t.scan();
  deliver(t.inbox, "resident", "resident-jukiA-000000000003-000000000003.csv", resident_file({resident(3, "M", "P0001", "三丁目")}));
  t.scan();
  const auto writes = t.cert_writes();
  const auto version = t.cert().get("resident", "P0001").value()->version;

  // The same bytes again (a crash between commit and move leaves exactly this).
  deliver(t.inbox, "resident", "resident-jukiA-000000000001-000000000002.csv", first);
  auto again = t.scan();
  CHECK(again.duplicates == 1);
  CHECK(again.rows == 0);
  CHECK(t.cert().get("resident", "P0001").value()->version == version);
  CHECK(t.person("P0001")->field("住所") == "三丁目");  // the older rows did not come back
  auto b = t.batches();
  REQUIRE(b.size() == 3);
  CHECK(std::count_if(b.begin(), b.end(), [](const d::LinkageBatch& x) { return x.duplicates == 2 && x.applied == 0; }) == 1);
  CHECK(t.cert_writes() > writes);  // the batch record and the state, nothing else

  // The same range with other content: refused, reported, nothing applied.
  deliver(t.inbox, "resident", "resident-jukiA-000000000001-000000000002.csv",
          resident_file({resident(1, "A", "P0001", "別の住所"), resident(2, "A", "P0002", "二丁目")}));
  auto differs = t.scan();
  CHECK(differs.rejected == 1);
  CHECK(t.person("P0001")->field("住所") == "三丁目");
  auto s = t.source();
  REQUIRE(s.failure);
  CHECK(s.failure->reason.find("SHA-256") != std::string::npos);
  CHECK(s.failure->reason.find("別の住所") == std::string::npos);
  // A failure suppresses until the next file of the source is taken.
  CHECK_FALSE(d::linkage_guard({{"linkage", t.w.clock.wall_ms(), "x"}}, {s}, t.w.clock.wall_ms()).issuable);
  deliver(t.inbox, "resident", "resident-jukiA-000000000004-000000000004.csv", resident_file({resident(4, "M", "P0002", "四丁目")}));
  t.scan();
  CHECK_FALSE(t.source().failure);
}

TEST_CASE("A malformed, truncated or misfiled file is refused with its line and changes nothing (LNK-1, LNK-2)", "[linkage][inbox]") {
  World t;
  const std::string good = resident_file({resident(1, "A", "P0001", "秘密の住所"), resident(2, "A", "P0002", "二丁目")});
  deliver(t.inbox, "resident", "resident-jukiA-000000000001-000000000002.csv", good.substr(0, good.size() - 90));  // truncated
  std::string bad_date = resident_file({resident(1, "A", "P0001", "秘密の住所")});
  bad_date.replace(bad_date.find("1980-04-01"), 10, "1980-13-45");
  deliver(t.inbox, "resident", "resident-jukiA-000000000001-000000000001.csv", bad_date);
  deliver(t.inbox, "tax", "tax-jukiA-000000000001-000000000002.csv", good);  // a resident file in the tax folder
  auto r = t.scan();
  CHECK(r.rejected == 3);
  CHECK(r.taken == 0);
  CHECK(t.cert().records_between("resident", "", "", 10).value().empty());
  CHECK_FALSE(t.source().failure->reason.empty());
  // Each moved aside with its reason, which names the line and never the data.
  std::vector<std::string> reasons;
  for (const auto& e : fs::directory_iterator(t.inbox / "rejected")) {
    if (e.path().extension() != ".txt") continue;
    std::ifstream in(e.path());
    reasons.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  REQUIRE(reasons.size() == 3);
  for (const auto& why : reasons) {
    CHECK(why.find("秘密") == std::string::npos);
    CHECK(why.find("行目") != std::string::npos);
  }
  // The right file afterwards is taken from 1: nothing of the refused ones counted.
  deliver(t.inbox, "resident", "resident-jukiA-000000000001-000000000002.csv", good);
  CHECK(t.scan().taken == 1);
  CHECK(t.source().last_seq == 2);
}

TEST_CASE("A full copy in parts is resumable: parts in any order, each applied once, verified by count and checksum (LNK-2)",
          "[linkage][inbox]") {
  World t;
  std::vector<std::vector<std::string>> part1, part2;
  for (int i = 1; i <= 50; ++i) part1.push_back(resident(static_cast<std::uint64_t>(i), "F", "P" + std::to_string(1000 + i), "町"));
  for (int i = 51; i <= 80; ++i) part2.push_back(resident(static_cast<std::uint64_t>(i), "F", "P" + std::to_string(1000 + i), "町"));
  deliver(t.inbox, "resident", "resident-jukiA-full-R1-0002.csv", resident_file(part2, true, "R1"));
  CHECK(t.scan().held == 1);
  deliver(t.inbox, "resident", "resident-jukiA-full-R1-0001.csv", resident_file(part1, true, "R1"));
  auto r = t.scan();
  CHECK(r.taken == 2);
  CHECK(r.rows == 80);
  CHECK(t.cert().records_between("resident", "", "", 1000).value().size() == 80);
  // The full run's numbers are its own: the delta stream starts at 1 as before.
  CHECK(t.source().last_seq == 0);
  deliver(t.inbox, "resident", "resident-jukiA-000000000001-000000000001.csv", resident_file({resident(1, "M", "P1001", "新町")}));
  CHECK(t.scan().taken == 1);
  CHECK(t.person("P1001")->field("住所") == "新町");
  std::uint64_t rows = 0;
  for (const auto& b : t.batches()) {
    if (b.full) rows += b.applied;
  }
  CHECK(rows == 80);
}

TEST_CASE("A seal file is taken with its impressions, checked by SHA-256, and a missing or altered impression refuses the file",
          "[linkage][inbox]") {
  World t;
  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(45 * 1024, 'x');  // three parts
  const std::string sha = edge::sha256_hex(png);
  fs::create_directories(t.inbox / "seal" / "seal-inkan-impressions");
  std::ofstream(t.inbox / "seal" / "seal-inkan-impressions" / "S0001.png", std::ios::binary) << png;
  const std::vector<std::string> cols = {"連携番号", "異動区分", "異動日", "宛名番号", "印鑑登録番号", "登録状態",
                                         "登録年月日", "登録氏名", "印影ファイル", "印影SHA256"};
  d::LinkageFileHeader h;
  h.kind = d::LinkageKind::seal;
  h.source = "inkan";
  auto seal = [&](std::uint64_t seq, const std::string& digest) {
    return d::write_linkage_file(h, cols, {{std::to_string(seq), "A", "2026-12-01", "P0001", "S0001", "1", "2026-12-01",
                                            "見本　一郎", "S0001.png", digest}}).value();
  };
  deliver(t.inbox, "seal", "seal-inkan-000000000001-000000000001.csv", seal(1, std::string(64, '0')));
  CHECK(t.scan().rejected == 1);
  CHECK_FALSE(t.cert().get("seal", "S0001").value().has_value());
  deliver(t.inbox, "seal", "seal-inkan-000000000001-000000000001.csv", seal(1, sha));
  CHECK(t.scan().taken == 1);
  auto rec = t.cert().get("seal", "S0001").value();
  REQUIRE(rec);
  CHECK(d::linkage_record_from_body(d::LinkageKind::seal, rec->body).value().field("登録状態") == "1");
  auto parts = t.cert().records_between("seal_image", sha + ":", sha + ";", 10).value();
  CHECK(parts.size() == 3);
}

TEST_CASE("A generated town in CP932, full copy then a week of deltas, arrives whole: every person, seal and assessment once (LNK-1..LNK-4)",
          "[linkage][inbox]") {
  World t;
  sim::TownOptions o;
  o.people = 1500;
  o.delta_days = 7;
  o.changes_per_day = 30;
  o.part_rows = 500;
  o.encoding = text::Encoding::cp932;
  auto town = sim::write_town(o, t.inbox);  // written straight into the inbox, as a core system would
  REQUIRE(town.ok());
  // What the files say should be there: every person the register ever held, each seal and
  // assessment, by key.
  std::set<std::string> people, seals, taxes;
  std::map<std::string, std::uint64_t> last_delta;  // resident key -> the 連携番号 of its last delta row
  std::uint64_t rows = 0;
  for (const auto& path : town->files) {
    std::ifstream in(path, std::ios::binary);
    auto f = d::parse_linkage_file(std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>())).value();
    for (const auto& row : f.rows) {
      (f.kind == d::LinkageKind::resident ? people : f.kind == d::LinkageKind::seal ? seals : taxes).insert(d::linkage_record_key(f.kind, row));
      if (f.kind == d::LinkageKind::resident && !f.full) last_delta[row.person] = row.seq;
      ++rows;
    }
  }
  auto r = t.scan();
  CHECK(r.rejected == 0);
  CHECK(r.held == 0);
  CHECK(r.taken == town->files.size());
  CHECK(r.rows == rows);
  CHECK(t.cert().record_count("resident").value() == people.size());
  CHECK(t.cert().record_count("seal").value() == seals.size());
  CHECK(t.cert().record_count("tax").value() == taxes.size());
  // The full copy is the state the deltas follow: taken first (its names sort after the deltas'),
  // so a person changed since holds the last delta row, never the older full copy row.
  REQUIRE_FALSE(last_delta.empty());
  for (const auto& [person, seq] : last_delta) {
    auto rec = t.person(person);
    REQUIRE(rec);
    CHECK(rec->run_id.empty());
    CHECK(rec->seq == seq);
  }
  // Vendor external characters arrive as the vendor's codes, with the file's code table, to be
  // identified at the hub (never replaced on the way).
  std::size_t vendor_coded = 0;
  const auto records = t.cert().records_between("resident", "", "", 100000).value();
  for (const auto& rec : records) {
    auto p = d::linkage_record_from_body(d::LinkageKind::resident, rec.body).value();
    if (p.field("氏名").find("\xEE\x80") != std::string_view::npos) {
      ++vendor_coded;
      CHECK(p.code_table == "vendor-2026");
    }
  }
  CHECK(vendor_coded > 0);
}

TEST_CASE("Records with a vendor code are held at the hub until staff confirm its mapping, then print the exact character (LNK-4, LNK-7)",
          "[linkage][inbox][gaiji]") {
  World t;
  sim::TownOptions o;
  o.people = 3000;
  o.seal_images = false;
  o.encoding = text::Encoding::cp932;
  REQUIRE(sim::write_town(o, t.inbox).ok());
  REQUIRE(t.scan().rejected == 0);
  hub::HubGaiji gaiji(*t.w.hub, "131016", nullptr, t.w.clock);
  auto codes = gaiji.codes().value();
  REQUIRE_FALSE(codes.empty());
  std::size_t using_codes = 0;
  for (const auto& c : codes) {
    CHECK(c.table == "vendor-2026");
    CHECK_FALSE(c.mapping);
    using_codes += c.records;
  }
  auto held = gaiji.held(100000).value();
  REQUIRE_FALSE(held.empty());
  CHECK(held.size() <= using_codes);
  // The print check of a held record: nothing printed, the code named.
  auto fields = gaiji.print_check(held[0].entity, held[0].key).value();
  REQUIRE(fields);
  bool held_field = false;
  for (const auto& f : *fields) held_field |= !f.unresolved.empty() && f.as_printed.empty() && f.as_delivered.find("〓(F04") != std::string::npos;
  CHECK(held_field);

  // The vendor's table, proposed and then confirmed code by code: every record released.
  std::ifstream in(t.inbox / "gaiji-vendor-2026.tsv", std::ios::binary);
  auto table = d::parse_vendor_code_table(std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>())).value();
  for (const auto& row : table) {
    REQUIRE(gaiji.save_mapping({"vendor-2026", row.code, row.text, row.mj, false, "admin01", 1, "vendor"}).ok());
  }
  CHECK(gaiji.held(100000).value().size() == held.size());  // proposals release nothing
  for (const auto& row : table) {
    REQUIRE(gaiji.save_mapping({"vendor-2026", row.code, row.text, row.mj, true, "admin01", 2, "confirmed"}).ok());
  }
  CHECK(gaiji.held(100000).value().empty());
  auto printed = gaiji.print_check(held[0].entity, held[0].key).value();
  REQUIRE(printed);
  bool exact = false;
  for (const auto& f : *printed) {
    CHECK(f.unresolved.empty());
    for (const auto& row : table) exact |= f.as_printed.find(row.text) != std::string::npos;
  }
  CHECK(exact);  // the character with its IVS, as the table gives it
  // Never on a counter (the mapping records are certificate data too).
  for (const auto& [entity, key, body] : t.w.hub_records("131016")) CHECK(entity != "gaiji_map");
}

namespace {

// A reconciliation extract: a full copy stating the delta 連携番号 it reflects and its part.
std::string extract_file(const std::vector<std::vector<std::string>>& rows, std::uint64_t as_of, std::uint32_t part,
                         std::uint32_t parts, const std::string& run = "N20261206") {
  d::LinkageFileHeader h;
  h.kind = d::LinkageKind::resident;
  h.source = "jukiA";
  h.full = true;
  h.run_id = run;
  h.as_of = as_of;
  h.part = part;
  h.parts = parts;
  return d::write_linkage_file(h, kResidentColumns, rows).value();
}

std::vector<std::string> request_file_lines(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

std::vector<fs::path> request_files(const fs::path& inbox) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(inbox / "requests")) {
    if (e.path().filename().string().front() != '.') out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("A re-request reaches the core system as a request file, once, through the linkage agent's down topic (LNK-7, KON-5)",
          "[linkage][inbox][reconcile]") {
  World t;
  deliver(t.inbox, "resident", "resident-jukiA-000000000001-000000000002.csv",
          resident_file({resident(1, "A", "P0001", "見本市一丁目1番"), resident(2, "A", "P0002", "見本市二丁目2番")}));
  t.scan();
  // The municipality's own records (a card written at the counter) never reach the linkage agent:
  // it has no feed (KON-5), only its re-requests.
  REQUIRE(t.counter.store->write("memo", "m1", protocol::OpKind::upsert, R"({"n":1})", t.w.clock.wall_ms()).ok());
  REQUIRE(t.w.settle());
  CHECK(t.agent.store->list("", 100, 0).value().empty());

  auto ids = t.reconciler->request("131016", d::LinkageKind::resident, "jukiA", {"P0001", "P0002"}, "staff", "admin01");
  REQUIRE(ids.ok());
  REQUIRE(ids->size() == 1);
  // Pushed at once: the agent's view holds exactly the request.
  t.w.run(3);
  auto view = t.agent.store->list("", 100, 0).value();
  REQUIRE(view.size() == 1);
  CHECK(view[0].entity == "linkage_request");
  auto r = t.scan();
  CHECK(r.requests == 1);
  auto files = request_files(t.inbox);
  REQUIRE(files.size() == 1);
  const auto lines = request_file_lines(files[0]);
  REQUIRE(lines.size() == 5);
  CHECK(lines[0].rfind("#madoguchi-linkage-request,1,resident,jukiA,", 0) == 0);
  CHECK(lines[1] == "キー");
  CHECK(lines[2] == "P0001");
  CHECK(lines[3] == "P0002");
  CHECK(lines[4] == "#end,2");
  // Marked sent at the hub, so it is not written again, not even after a restart of the agent's scan.
  auto stored = t.cert().get("linkage_request", ids->front()).value();
  REQUIRE(stored);
  auto request = d::linkage_request_from_body(stored->key, stored->body).value();
  CHECK(request.sent);
  CHECK(request.file == files[0].filename().string());
  fs::remove(files[0]);  // the core system took it
  edge::LinkageInbox again{*t.agent.store, t.inbox, "linkage"};
  t.w.run(400);  // the agent asks again (feed check): the hub's answer no longer lists it
  // While no re-request changes, the agent's periodic asking costs no snapshot, however much it sends.
  const auto snapshots = t.agent.engine->counters().snapshots;
  deliver(t.inbox, "resident", "resident-jukiA-000000000003-000000000003.csv", resident_file({resident(3, "M", "P0002", "別町")}));
  CHECK(t.scan().taken == 1);
  t.w.run(700);
  CHECK(t.agent.engine->counters().snapshots == snapshots);
  CHECK(t.agent.engine->caught_up());
  CHECK(again.scan(t.w.clock.wall_ms()).value().requests == 0);
  CHECK(request_files(t.inbox).empty());
  CHECK(t.agent.store->list("linkage_request", 10, 0).value().empty());
  // The answer is an ordinary delta: the next 連携番号.
  deliver(t.inbox, "resident", "resident-jukiA-000000000004-000000000004.csv", resident_file({resident(4, "M", "P0001", "見本市一丁目1番")}));
  CHECK(t.scan().taken == 1);
}

TEST_CASE("Reconciliation names every resident whose data differs at the hub, and re-requests them (LNK-3, LNK-6)",
          "[linkage][inbox][reconcile]") {
  World t;
  std::vector<std::vector<std::string>> delta;
  for (int i = 1; i <= 30; ++i) delta.push_back(resident(static_cast<std::uint64_t>(i), "A", "P" + std::to_string(100 + i), "町" + std::to_string(i)));
  deliver(t.inbox, "resident", "resident-jukiA-000000000001-000000000030.csv", resident_file(delta));
  t.scan();
  // What went wrong at the hub (a restore from an old backup, say): one person altered, one lost,
  // one kept who left the source.
  auto altered = t.person("P105").value();
  altered.fields.emplace_back("方書", "違う");
  auto version = [&](const std::string& key) { return t.cert().get("resident", key).value()->version; };
  REQUIRE(t.cert().write_local("resident", "P105", protocol::OpKind::upsert, d::linkage_record_body(altered), version("P105"), 1).ok());
  REQUIRE(t.cert().write_local("resident", "P107", protocol::OpKind::remove, "", version("P107"), 1).ok());
  // A later delta the extract does not reflect: not judged by it.
  deliver(t.inbox, "resident", "resident-jukiA-000000000031-000000000031.csv", resident_file({resident(31, "M", "P110", "新町")}));
  t.scan();

  // The source's extract as of 連携番号 30, in two parts: everyone but P130 (who left the source;
  // the hub still has them current), and P199, whom the hub never received.
  std::vector<std::vector<std::string>> part1, part2;
  std::uint64_t n = 0;
  for (int i = 1; i <= 29; ++i) {
    auto row = resident(++n, "F", "P" + std::to_string(100 + i), "町" + std::to_string(i));
    row[2] = "";  // 異動事由 and 異動日 are bookkeeping: not compared
    (i <= 15 ? part1 : part2).push_back(row);
  }
  part2.push_back(resident(++n, "F", "P199", "町99"));
  deliver(t.inbox, "reconcile", "resident-jukiA-reconcile-N20261206-0002.csv", extract_file(part2, 30, 2, 2));
  // One part alone waits for the other.
  CHECK(t.scan().reconciled == 0);
  deliver(t.inbox, "reconcile", "resident-jukiA-reconcile-N20261206-0001.csv", extract_file(part1, 30, 1, 2));
  auto r = t.scan();
  CHECK(r.reconciled == 1);
  CHECK(r.rows == 0);  // nothing of an extract is applied

  auto stored = t.cert().get("linkage_reconcile", "resident:jukiA:N20261206").value();
  REQUIRE(stored);
  auto outcome = d::linkage_reconcile_from_body(stored->body).value();
  CHECK(outcome.as_of == 30);
  CHECK(outcome.source_records == 30);
  CHECK(outcome.newer == 1);      // P110, changed by 連携番号 31
  CHECK(outcome.matching == 26);
  CHECK(outcome.differing == 1);  // P105
  CHECK(outcome.missing == 2);    // P107 (lost at the hub), P199
  CHECK(outcome.extra == 1);      // P130
  std::map<std::string, std::string> named(outcome.named.begin(), outcome.named.end());
  CHECK(named == std::map<std::string, std::string>{{"P105", "differs"}, {"P107", "missing"}, {"P199", "missing"}, {"P130", "extra"}});
  // The digest is not kept once compared.
  CHECK(t.cert().records_between("linkage_digest", "", "", 10).value().empty());
  // The repair: one re-request of the four, written for the core system by the agent.
  REQUIRE(outcome.requests.size() == 1);
  t.w.run(3);
  CHECK(t.scan().requests == 1);
  auto files = request_files(t.inbox);
  REQUIRE(files.size() == 1);
  auto lines = request_file_lines(files[0]);
  CHECK(lines[0].find(",reconcile") != std::string::npos);
  std::set<std::string> keys(lines.begin() + 2, lines.end() - 1);
  CHECK(keys == std::set<std::string>{"P105", "P107", "P130", "P199"});
  CHECK(lines.back() == "#end,4");
  CHECK(fs::exists(t.inbox / "done" / "reconcile-resident-jukiA-reconcile-N20261206-0001.csv"));
  // Reconciliation never suppresses issuance by itself.
  CHECK_FALSE(t.source().failure);
}

TEST_CASE("An extract waits for the deltas it reflects, and a malformed one is refused without suppressing issuance",
          "[linkage][inbox][reconcile]") {
  World t;
  deliver(t.inbox, "resident", "resident-jukiA-000000000001-000000000001.csv", resident_file({resident(1, "A", "P0001", "町")}));
  t.scan();
  deliver(t.inbox, "reconcile", "resident-jukiA-reconcile-R2-0001.csv",
          extract_file({resident(1, "F", "P0001", "町"), resident(2, "F", "P0002", "町")}, 2, 1, 1, "R2"));
  CHECK(t.scan().reconciled == 0);  // the agent has sent up to 1 only
  deliver(t.inbox, "resident", "resident-jukiA-000000000002-000000000002.csv", resident_file({resident(2, "A", "P0002", "町")}));
  auto r = t.scan();
  CHECK(r.taken == 1);
  CHECK(r.reconciled == 1);
  auto outcome = d::linkage_reconcile_from_body(t.cert().get("linkage_reconcile", "resident:jukiA:R2").value()->body).value();
  CHECK(outcome.matching == 2);
  CHECK(outcome.differences() == 0);
  CHECK(outcome.requests.empty());

  // Not a full copy with as_of and parts; a truncated one: refused, named, nothing sent.
  deliver(t.inbox, "reconcile", "resident-jukiA-reconcile-R3-0001.csv", resident_file({resident(1, "F", "P0001", "町")}, true, "R3"));
  std::string truncated = extract_file({resident(1, "F", "P0001", "町")}, 2, 1, 1, "R4");
  truncated.resize(truncated.size() - 20);
  deliver(t.inbox, "reconcile", "resident-jukiA-reconcile-R4-0001.csv", truncated);
  const auto before = t.cert_writes();
  CHECK(t.scan().rejected == 2);
  CHECK(t.cert_writes() == before);
  CHECK(fs::exists(t.inbox / "rejected" / "reconcile-resident-jukiA-reconcile-R3-0001.csv.reason.txt"));
  CHECK(fs::exists(t.inbox / "rejected" / "reconcile-resident-jukiA-reconcile-R4-0001.csv.reason.txt"));
  CHECK_FALSE(t.source().failure);
}

TEST_CASE("A generated town and its core systems' nightly extract reconcile with no difference, and the extract waits while a delta file is missing",
          "[linkage][inbox][reconcile]") {
  World t;
  sim::TownOptions o;
  o.people = 800;
  o.delta_days = 4;
  o.changes_per_day = 25;
  o.part_rows = 300;
  o.encoding = text::Encoding::cp932;
  o.reconcile_run = "N20261205";
  auto town = sim::write_town(o, t.inbox);  // the extract lands in inbox/reconcile beside the deliveries
  REQUIRE(town.ok());
  REQUIRE(town->reconcile_files >= 3);
  // One delta file of residents is lost on the way; a copy is kept to deliver it late.
  fs::path lost;
  for (const auto& f : town->files) {
    if (f.parent_path().filename() == "resident" && f.filename().string().find("-full-") == std::string::npos) lost = f;
  }
  REQUIRE(!lost.empty());
  const fs::path kept = t.w.dir / "kept.csv";
  fs::rename(lost, kept);
  for (int i = 0; i < 60; ++i) t.scan();
  // The resident extract waits: its as_of is past what the agent could send.
  CHECK(t.cert().get("linkage_reconcile", "resident:jukiA:N20261205").value() == std::nullopt);
  // Seals and assessments reconcile with no difference at all.
  for (const char* key : {"seal:inkan:N20261205", "tax:zeimu:N20261205"}) {
    INFO(key);
    auto r = t.cert().get("linkage_reconcile", key).value();
    REQUIRE(r);
    auto outcome = d::linkage_reconcile_from_body(r->body).value();
    CHECK(outcome.source_records > 0);
    CHECK(outcome.matching == outcome.source_records);
    CHECK(outcome.differences() == 0);
    CHECK(outcome.requests.empty());
  }
  // The lost file arrives: the gap closes and the residents reconcile too, with no difference.
  fs::rename(kept, lost);
  for (int i = 0; i < 10; ++i) t.scan();
  auto r = t.cert().get("linkage_reconcile", "resident:jukiA:N20261205").value();
  REQUIRE(r);
  auto outcome = d::linkage_reconcile_from_body(r->body).value();
  CHECK(outcome.source_records == town->residents);
  CHECK(outcome.matching == town->residents);
  CHECK(outcome.differences() == 0);
}

TEST_CASE("A full copy delivered after newer deltas never replaces what they wrote, when it states its as_of (LNK-2, LNK-3)",
          "[linkage][inbox]") {
  World t;
  deliver(t.inbox, "resident", "resident-jukiA-000000000001-000000000003.csv",
          resident_file({resident(1, "A", "P0001", "旧町"), resident(2, "A", "P0002", "町"), resident(3, "M", "P0001", "新町")}));
  t.scan();
  // A copy as of 連携番号 2 (before the move), taken after it: P0001 keeps 新町; the others apply.
  d::LinkageFileHeader h;
  h.kind = d::LinkageKind::resident;
  h.source = "jukiA";
  h.full = true;
  h.run_id = "R9";
  h.as_of = 2;
  h.part = 1;
  h.parts = 1;
  deliver(t.inbox, "resident", "resident-jukiA-full-R9-0001.csv",
          d::write_linkage_file(h, kResidentColumns, {resident(1, "F", "P0001", "旧町"), resident(2, "F", "P0002", "町二"), resident(3, "F", "P0003", "町三")}).value());
  CHECK(t.scan().taken == 1);
  CHECK(t.person("P0001")->field("住所") == "新町");
  CHECK(t.person("P0002")->field("住所") == "町二");
  CHECK(t.person("P0003")->field("住所") == "町三");
  // A copy as of 3 or later does replace.
  h.run_id = "R10";
  h.as_of = 3;
  deliver(t.inbox, "resident", "resident-jukiA-full-R10-0001.csv", d::write_linkage_file(h, kResidentColumns, {resident(1, "F", "P0001", "訂正町")}).value());
  t.scan();
  CHECK(t.person("P0001")->field("住所") == "訂正町");
}

TEST_CASE("A digest committed just before the hub stopped is compared when it starts again", "[linkage][inbox][reconcile]") {
  World t;
  deliver(t.inbox, "resident", "resident-jukiA-000000000001-000000000002.csv",
          resident_file({resident(1, "A", "P0001", "町"), resident(2, "A", "P0002", "町")}));
  t.scan();
  t.reconciler.reset();  // the hub commits the digest, then stops before comparing it
  deliver(t.inbox, "reconcile", "resident-jukiA-reconcile-R5-0001.csv", extract_file({resident(1, "F", "P0001", "違う町")}, 2, 1, 1, "R5"));
  CHECK(t.scan().reconciled == 1);
  CHECK(t.cert().get("linkage_reconcile", "resident:jukiA:R5").value() == std::nullopt);
  CHECK(t.cert().records_between("linkage_digest", "", "", 10).value().size() == 1);
  t.reconciler = std::make_unique<hub::LinkageReconciler>(*t.w.hub, t.w.clock);
  REQUIRE(t.reconciler->resume("131016").ok());
  auto outcome = d::linkage_reconcile_from_body(t.cert().get("linkage_reconcile", "resident:jukiA:R5").value()->body).value();
  CHECK(outcome.differing == 1);
  CHECK(outcome.extra == 1);
  CHECK(t.cert().records_between("linkage_digest", "", "", 10).value().empty());
  // Nothing left to resume.
  REQUIRE(t.reconciler->resume("131016").ok());
}
