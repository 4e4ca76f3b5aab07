// madoguchi-sim residents (sim/town_generator.h): every file it writes is one the linkage agent
// accepts (domain::parse_linkage_file), the streams are gap-free, and the town has what real data
// has: households, foreign residents, support flags, non-taxable residents, vendor external
// characters in CP932 and IVS in UTF-8, addresses that overflow a form field (LNK-1..LNK-4).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "madoguchi/domain/linkage_file.h"
#include "madoguchi/sim/jlis_generator.h"
#include "madoguchi/sim/town_generator.h"
#include "temp_dir.h"

using namespace madoguchi;
namespace fs = std::filesystem;
namespace d = madoguchi::domain;

namespace {

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Read {
  std::map<d::LinkageKind, std::vector<d::LinkageFile>> files;
  std::size_t full_rows(d::LinkageKind k) const {
    std::size_t n = 0;
    for (const auto& f : files.at(k)) n += f.full ? f.rows.size() : 0;
    return n;
  }
};

Read read_all(const sim::TownSummary& s) {
  Read r;
  for (const auto& path : s.files) {
    auto f = d::parse_linkage_file(read(path));
    INFO(path.filename().string() << ": " << (f.ok() ? std::string() : f.error().message));
    REQUIRE(f.ok());
    r.files[f->kind].push_back(std::move(*f));
  }
  return r;
}

}  // namespace

TEST_CASE("A generated town's full copy and deltas are accepted whole, with gap-free streams (LNK-1, LNK-2, LNK-3)", "[sim][linkage]") {
  testing::TempDir dir;
  sim::TownOptions o;
  o.people = 3000;
  o.delta_days = 5;
  o.changes_per_day = 40;
  o.part_rows = 1000;
  auto s = sim::write_town(o, dir.path());
  REQUIRE(s.ok());
  auto r = read_all(*s);
  CHECK(r.full_rows(d::LinkageKind::resident) >= 3000);
  CHECK(r.files.at(d::LinkageKind::resident).front().full);
  CHECK(s->full_files >= 4);  // residents in parts of 1,000
  CHECK(s->delta_files > 10);
  CHECK(s->foreign > 0);
  CHECK(s->non_taxable > 0);
  CHECK(s->seals > 0);
  // Each kind's delta stream: 連携番号 1, 2, 3... across files, no gap, no repeat; the full copy's
  // run numbered within itself.
  for (auto& [kind, files] : r.files) {
    std::uint64_t delta = 0, full = 0;
    for (const auto& f : files) {
      for (const auto& row : f.rows) {
        std::uint64_t& last = f.full ? full : delta;
        CHECK(row.seq == last + 1);
        last = row.seq;
      }
    }
    CHECK(delta > 0);
  }
  // What the certificate service must cope with is there.
  bool overflow = false, foreign = false, support = false, former = false, moved_out = false, died = false;
  std::set<std::string> codes;
  for (const auto& f : r.files.at(d::LinkageKind::resident)) {
    for (const auto& row : f.rows) {
      overflow |= row.field("文字溢れ") == "1" && row.field("方書").size() > 90;
      foreign |= !row.field("国籍・地域").empty() && !row.field("在留カード等の番号").empty();
      support |= row.field("支援措置") != "0";
      former |= !row.field("旧氏").empty();
      moved_out |= row.change == 'D' && row.field("異動事由") == "転出";
      died |= row.change == 'D' && row.field("異動事由") == "死亡";
      CHECK(codes.insert(std::string(row.field("住民票コード"))).second == (row.change == 'F' || row.change == 'A'));
    }
  }
  CHECK(overflow);
  CHECK(foreign);
  CHECK(former);
  CHECK(moved_out);
  CHECK(died);
  (void)support;  // about 0.2 %: not certain in 3,000
  // The same seed gives the same files.
  testing::TempDir again;
  auto s2 = sim::write_town(o, again.path());
  REQUIRE(s2.ok());
  REQUIRE(s2->files.size() == s->files.size());
  for (std::size_t i = 0; i < s->files.size(); i += 7) CHECK(read(s->files[i]) == read(s2->files[i]));
}

TEST_CASE("External characters: vendor codes in a CP932 delivery with their code table, Moji_Joho IVS in UTF-8 (LNK-4)", "[sim][linkage]") {
  testing::TempDir utf8_dir, cp932_dir;
  sim::TownOptions o;
  o.people = 4000;
  o.seal_images = false;
  auto u = sim::write_town(o, utf8_dir.path());
  o.encoding = text::Encoding::cp932;
  auto c = sim::write_town(o, cp932_dir.path());
  REQUIRE(u.ok());
  REQUIRE(c.ok());
  CHECK(u->gaiji_people > 0);
  auto count = [](const sim::TownSummary& s, const std::string& needle) {
    std::size_t n = 0;
    const auto all = read_all(s);
    for (const auto& f : all.files.at(d::LinkageKind::resident)) {
      for (const auto& row : f.rows) n += row.field("氏名").find(needle) != std::string_view::npos;
    }
    return n;
  };
  const std::string ivs = "\xF3\xA0\x84";      // U+E01xx: a variation selector of the IVS range
  const std::string pua = "\xEE\x80";          // U+E000..U+E03F once decoded
  CHECK(count(*u, ivs) > 0);
  CHECK(count(*u, pua) == 0);
  CHECK(count(*c, pua) > 0);
  CHECK(count(*c, ivs) == 0);
  const std::string table = read(cp932_dir / "gaiji-vendor-2026.tsv");
  CHECK(table.find("F040\t葛\xF3\xA0\x84\x82\tMJ022335") != std::string::npos);
  const auto all = read_all(*c);
  CHECK(all.files.at(d::LinkageKind::resident).front().code_table == "vendor-2026");
}

TEST_CASE("The town's card holders are current residents, and the J-LIS list gives them their cards (the demo's same people)", "[sim][linkage]") {
  madoguchi::testing::TempDir dir;
  madoguchi::sim::TownOptions o;
  o.people = 600;
  o.delta_days = 2;
  o.card_holders = 12;
  o.seal_images = false;
  auto town = madoguchi::sim::write_town(o, dir.path());
  REQUIRE(town.ok());
  REQUIRE(town->card_holders.size() == 12);
  // Each is on the register as delivered: their 宛名番号 has a resident row with that name.
  std::map<std::string, std::string> names;
  for (const auto& f : town->files) {
    std::ifstream in(f, std::ios::binary);
    auto file = madoguchi::domain::parse_linkage_file(std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>())).value();
    if (file.kind != madoguchi::domain::LinkageKind::resident) continue;
    for (const auto& row : file.rows) names[row.person] = std::string(row.field("氏名"));
  }
  for (const auto& h : town->card_holders) {
    INFO(h.person);
    CHECK(names.at(h.person) == h.name);
    CHECK_FALSE(h.kana.empty());
  }
  auto back = madoguchi::sim::parse_card_holders_tsv(madoguchi::sim::card_holders_tsv(town->card_holders));
  REQUIRE(back.ok());
  REQUIRE(back->size() == 12);
  CHECK((*back)[3].name == town->card_holders[3].name);
  CHECK((*back)[3].birth == town->card_holders[3].birth);
  CHECK_FALSE(madoguchi::sim::parse_card_holders_tsv("h\nP1\tx\n").ok());

  madoguchi::sim::JlisOptions j;
  j.people = 16;
  for (const auto& h : *back) {
    j.identities.push_back({h.name, h.kana, h.female ? madoguchi::jlis::Sex::female : madoguchi::jlis::Sex::male,
                            madoguchi::jlis::Date{h.birth.year, h.birth.month, h.birth.day}, h.address});
  }
  auto codes = madoguchi::sim::generate_jlis_codes(j);
  REQUIRE(codes.ok());
  std::vector<madoguchi::jlis::IssuanceTarget> people;
  for (const auto& c : *codes) people.insert(people.end(), c.payload.people.begin(), c.payload.people.end());
  REQUIRE(people.size() == 16);
  CHECK(people[0].name_kanji == (*back)[0].name);
  CHECK(people[11].address == (*back)[11].address);
  CHECK(people[11].birth_date.year == (*back)[11].birth.year);
  CHECK(people[12].name_kanji != (*back)[11].name);  // beyond the holders: generated as before
}
