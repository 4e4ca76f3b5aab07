// Re-requests and reconciliation of the certificate data (issue 12, LNK-3, LNK-6, LNK-7):
// domain/linkage_reconcile.h.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "madoguchi/domain/linkage_reconcile.h"

using namespace madoguchi::domain;
using Fields = std::vector<std::pair<std::string, std::string>>;

namespace {

LinkageRecord record(const std::string& person, std::uint64_t seq, char change, const std::string& address) {
  LinkageRecord r;
  r.kind = LinkageKind::resident;
  r.source = "jukiA";
  r.seq = seq;
  r.change = change;
  r.person = person;
  r.fields = {{"連携番号", std::to_string(seq)}, {"異動区分", std::string(1, change)}, {"宛名番号", person}, {"氏名", "見本　一郎"},
              {"住所", address}};
  return r;
}

LinkageDigest digest(std::uint32_t chunk, std::uint32_t chunks, std::uint64_t records, std::uint64_t as_of,
                     const std::vector<LinkageRecord>& rows) {
  LinkageDigest d;
  d.source = "jukiA";
  d.run = "N1";
  d.as_of = as_of;
  d.chunk = chunk;
  d.chunks = chunks;
  d.records = records;
  for (const auto& r : rows) d.entries.emplace_back(r.person, linkage_content_digest(r.fields));
  return d;
}

}  // namespace

TEST_CASE("The content digest ignores the bookkeeping columns, empty columns and column order", "[domain][reconcile]") {
  const Fields a = {{"連携番号", "5"}, {"異動区分", "M"}, {"異動事由", "転居"}, {"異動日", "2026-12-01"}, {"届出日", "2026-12-02"},
                    {"宛名番号", "P1"}, {"住所", "見本町1"}, {"方書", ""}};
  const Fields b = {{"住所", "見本町1"}, {"宛名番号", "P1"}, {"連携番号", "1"}, {"異動区分", "F"}};
  CHECK(linkage_content_digest(a) == linkage_content_digest(b));
  CHECK(linkage_content_digest(a).size() == 16);
  const Fields c = {{"住所", "見本町2"}, {"宛名番号", "P1"}};
  CHECK(linkage_content_digest(c) != linkage_content_digest(b));
  // A value moving between columns is a change.
  CHECK(linkage_content_digest({{"住所", "x"}, {"方書", ""}}) != linkage_content_digest({{"住所", ""}, {"方書", "x"}}));
}

TEST_CASE("A comparison names what differs, what is missing, what is extra, and leaves newer records alone", "[domain][reconcile]") {
  const auto same = record("P1", 3, 'A', "町1");
  const auto source_changed = record("P2", 4, 'M', "町2");
  const auto source_new = record("P3", 5, 'A', "町3");
  const auto removed_at_hub = record("P4", 2, 'A', "町4");
  auto d1 = digest(1, 2, 4, 10, {same, source_changed});
  auto d2 = digest(2, 2, 4, 10, {source_new, removed_at_hub});
  auto c = LinkageComparison::start({d2, d1});
  REQUIRE(c.ok());
  c->stored("P1", same);
  c->stored("P2", record("P2", 2, 'A', "旧町"));
  auto gone = removed_at_hub;
  gone.change = 'D';
  c->stored("P4", gone);
  c->stored("P5", record("P5", 6, 'A', "町5"));   // at the hub, not at the source
  c->stored("P6", record("P6", 11, 'A', "町6"));  // newer than the extract
  c->stored("P7", record("P7", 3, 'D', "町7"));   // moved out: not current, not expected
  auto other = record("P8", 1, 'A', "町8");
  other.source = "jukiB";
  c->stored("P8", other);  // another source's
  std::vector<std::string> repair;
  auto out = c->finish(42, repair);
  CHECK(out.matching == 1);
  CHECK(out.differing == 2);
  CHECK(out.missing == 1);
  CHECK(out.extra == 1);
  CHECK(out.newer == 1);
  CHECK(out.differences() == 4);
  CHECK(out.finished_ms == 42);
  std::map<std::string, std::string> named(out.named.begin(), out.named.end());
  CHECK(named == std::map<std::string, std::string>{{"P2", "differs"}, {"P3", "missing"}, {"P4", "removed"}, {"P5", "extra"}});
  CHECK(repair.size() == 4);
  // Round trip of what 連携状況 reads.
  auto back = linkage_reconcile_from_body(linkage_reconcile_body(out));
  REQUIRE(back.ok());
  CHECK(back->named == out.named);
  CHECK(back->differing == 2);

  // A full copy's row stands at its as_of.
  auto full = record("P9", 7, 'F', "町9");
  full.run_id = "R1";
  full.as_of = 3;
  CHECK(full.position() == 3);
}

TEST_CASE("An incomplete or inconsistent digest is not compared", "[domain][reconcile]") {
  const auto a = record("P1", 1, 'A', "町1");
  CHECK_FALSE(LinkageComparison::start({}).ok());
  CHECK_FALSE(LinkageComparison::start({digest(1, 2, 1, 5, {a})}).ok());                          // a chunk missing
  CHECK_FALSE(LinkageComparison::start({digest(1, 1, 2, 5, {a})}).ok());                          // fewer records than stated
  CHECK_FALSE(LinkageComparison::start({digest(1, 2, 2, 5, {a}), digest(2, 2, 2, 5, {a})}).ok());  // a key twice
  auto d = digest(1, 1, 1, 5, {a});
  auto back = linkage_digest_from_body(linkage_digest_body(d));
  REQUIRE(back.ok());
  CHECK(back->entries == d.entries);
  CHECK_FALSE(linkage_digest_from_body(R"({"v":1,"kind":"resident","source":"jukiA","run":"N1","as_of":1,"chunk":2,"chunks":1,"records":0,"sent_ms":0,"entries":[]})").ok());
}

TEST_CASE("A re-request: its file for the core system, and the agent may only mark it sent", "[domain][reconcile]") {
  LinkageRequest r;
  r.id = linkage_request_key(1796512502898, LinkageKind::tax, "zeiA", 1);
  r.kind = LinkageKind::tax;
  r.source = "zeiA";
  r.keys = {"P1:2026", "P2:2026"};
  r.reason = "held";
  r.by = "admin01";
  r.requested_ms = 1796512502898;
  CHECK(r.id == "1796512502898:tax:zeiA:1");
  CHECK(linkage_request_file_name(r) == "tax-zeiA-request-1796512502898_tax_zeiA_1.csv");
  CHECK(linkage_request_file(r) ==
        "#madoguchi-linkage-request,1,tax,zeiA,1796512502898_tax_zeiA_1,held\r\nキー\r\nP1:2026\r\nP2:2026\r\n#end,2\r\n");
  const std::string pending = linkage_request_body(r);
  auto sent = r;
  sent.sent = true;
  sent.sent_ms = 5;
  sent.file = linkage_request_file_name(r);
  CHECK(check_linkage_request_write(true, std::nullopt, pending, false).ok());
  CHECK(check_linkage_request_write(false, pending, linkage_request_body(sent), false).ok());
  // The agent may not create one, widen one, unmark one or remove one.
  CHECK(check_linkage_request_write(false, std::nullopt, pending, false).error().code == madoguchi::Errc::forbidden);
  auto wider = sent;
  wider.keys.push_back("P3:2026");
  CHECK(check_linkage_request_write(false, pending, linkage_request_body(wider), false).error().code == madoguchi::Errc::forbidden);
  CHECK(check_linkage_request_write(false, linkage_request_body(sent), pending, false).error().code == madoguchi::Errc::forbidden);
  CHECK(check_linkage_request_write(false, pending, "", true).error().code == madoguchi::Errc::forbidden);
  // Keys are record keys, at most kMaxRequestKeys.
  auto bad = r;
  bad.keys = {"P1/../x"};
  CHECK_FALSE(linkage_request_from_body(r.id, linkage_request_body(bad)).ok());
  bad.keys.assign(kMaxRequestKeys + 1, "P1");
  CHECK_FALSE(linkage_request_from_body(r.id, linkage_request_body(bad)).ok());
}

TEST_CASE("A full copy's row stating as_of does not replace a record a later delta wrote", "[domain][reconcile]") {
  const auto delta = record("P1", 7, 'M', "新町");
  auto copy = record("P1", 1, 'F', "旧町");
  copy.run_id = "R1";
  copy.as_of = 5;
  const std::string stored = linkage_record_body(delta);
  CHECK(check_linkage_record_order(LinkageKind::resident, stored, linkage_record_body(copy)).error().code == madoguchi::Errc::conflict);
  copy.as_of = 7;
  CHECK(check_linkage_record_order(LinkageKind::resident, stored, linkage_record_body(copy)).ok());
  copy.as_of = 0;  // not stated: replaces, as the format says
  CHECK(check_linkage_record_order(LinkageKind::resident, stored, linkage_record_body(copy)).ok());
  CHECK(check_linkage_record_order(LinkageKind::resident, std::nullopt, linkage_record_body(copy)).ok());
  CHECK(check_linkage_record_order(LinkageKind::resident, stored, linkage_record_body(record("P1", 8, 'M', "x"))).ok());
}
