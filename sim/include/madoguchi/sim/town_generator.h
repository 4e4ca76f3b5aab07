// madoguchi-sim residents: a generated town and its core systems' linkage files
// (docs/formats/linkage-records.md): the full copy of the resident register with households,
// seal registrations (with impression PNGs) and the latest tax assessments, then a stream of
// delta files for the days after (births, deaths, moves in, out and within, marriages, seal
// registrations and abolitions, revised assessments). Deterministic for a seed. Every name,
// number and address is generated; no real person's data is used.
//
// The town has what real data has: households of one to six, foreign residents with their
// residence fields (about 3 %), support-measure (DV) flags (about 0.2 %), non-taxable residents,
// family names with characters outside CP932 and Moji_Joho IVS variants (in a CP932 delivery they
// are the vendor's external characters, U+E000.., listed in the code table file written beside
// the data), and addresses whose building part (方書) overflows a form field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/calendar/date.h"
#include "madoguchi/error.h"
#include "madoguchi/text/encoding.h"

namespace madoguchi::sim {

struct TownOptions {
  std::size_t people = 1000;           // on the register at the full copy
  std::uint64_t seed = 1;
  calendar::Date as_of{2026, 12, 1};   // the full copy's date; deltas follow day by day
  std::size_t delta_days = 0;          // days of changes after the full copy
  std::size_t changes_per_day = 20;    // resident changes a day (seal and tax changes come with them)
  std::size_t rows_per_delta_file = 5; // a delta file per so many changes ("as they change")
  std::size_t part_rows = 50'000;      // rows per full copy part (the format's bound is 200,000)
  text::Encoding encoding = text::Encoding::utf8;
  std::string code_table = "vendor-2026";  // the 外字対照表 a CP932 delivery names
  std::string resident_source = "jukiA", seal_source = "inkan", tax_source = "zeimu";
  std::string run_id = "R1";
  bool seal_images = true;             // false: no seal files (a registration needs its impression PNG)
  bool full = true;                    // write the full copy (false: only the deltas, e.g. a second run)
  // Non-empty: after the deltas, the core systems' reconciliation extract of this run id in
  // <out>/reconcile/: every current record as the files described it (residents on the register,
  // active seal registrations, every assessment sent), a full copy stating the last delta
  // 連携番号 of its source (as_of) and part/parts.
  std::string reconcile_run;
  // Current residents picked for the counter's sample data (cards and bookings of the same people
  // as the linkage data): at most so many, aged 15 or more, with a name CP932 can carry.
  std::size_t card_holders = 0;
};

// A resident of the town as the counter's data would name them (generated, like all of it).
struct CardHolder {
  std::string person;      // 宛名番号
  std::string name, kana;  // 氏名 and its reading, family and given name split by U+3000
  bool female = false;
  calendar::Date birth{};
  std::string address;
  std::string resident_code;  // 住民票コード: the simulated JPKI card's serial follows from it
};

struct TownSummary {
  std::size_t residents = 0, households = 0, foreign = 0, support = 0, gaiji_people = 0;
  std::size_t seals = 0, tax_rows = 0, non_taxable = 0;
  std::size_t full_files = 0, delta_files = 0, delta_rows = 0, reconcile_files = 0;
  std::vector<std::filesystem::path> files;  // every data file written, in delivery order
  std::vector<CardHolder> card_holders;      // TownOptions::card_holders of them
};

// The card holders as a TSV file (header 宛名番号, 氏名, 氏名フリガナ, 性別 1/2, 生年月日, 住所),
// and read back (madoguchi-sim jlis --people-from). Errors: malformed naming the line.
std::string card_holders_tsv(const std::vector<CardHolder>& holders);
Expected<std::vector<CardHolder>> parse_card_holders_tsv(std::string_view text);

// Writes <out>/resident/, <out>/seal/ (with seal-<source>-impressions/), <out>/tax/, <out>/reconcile/
// when asked, and <out>/gaiji-<code table>.tsv (vendor code, character with its IVS, MJ id). Files are written
// under a dot name and renamed, as a core system must deliver them, in delivery order: so <out>
// may be the linkage agent's inbox itself. Errors: invalid_argument (options), io.
Expected<TownSummary> write_town(const TownOptions& options, const std::filesystem::path& out);

}  // namespace madoguchi::sim
