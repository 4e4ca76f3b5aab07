// External characters (外字, LNK-4, LNK-7): a vendor's user-defined codes in the core systems'
// files are identified through the municipality's 外字対照表 (vendor code → MJ character → Unicode
// with its Moji_Joho IVS) that staff confirm at the hub. Until a code is confirmed, every record
// using it is held: stored, never issued, never altered or shrunk. Pure functions, no I/O: the hub
// reads the MJ data files (installable data, CC BY-SA 2.1 JP, never compiled in) and passes their
// bytes here.
//
// A file's external characters arrive as U+E000..U+E757 (CP932's user-defined area 0xF040..0xF9FC
// as glibc decodes it); the vendor code is the CP932 code, written as four hex digits ("F040").
//
// Records at the hub, in <muni>.cert.db (written by the hub console, origin "hub"):
//   gaiji_map   <code table>:<vendor code>   GaijiMapping
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/error.h"

namespace madoguchi::domain {

inline constexpr std::string_view kGaijiMapEntity = "gaiji_map";

// U+E000..U+E757 <-> "F040".."F9FC" (nullopt outside the area).
std::optional<std::string> vendor_code_of(char32_t code_point);
std::optional<char32_t> code_point_of_vendor_code(std::string_view code);

// The vendor codes `text` uses, in order of first use, without repeats.
std::vector<std::string> vendor_codes_in(std::string_view text);

// `text` with each vendor code shown as 〓(F040), for staff to see what arrived.
std::string mark_vendor_codes(std::string_view text);

// One row of the 外字対照表.
struct GaijiMapping {
  std::string table;        // the code table a file names in its header (e.g. "vendor-2026")
  std::string code;         // "F040"
  std::string text;         // the character as it must print: one ideograph, with its IVS if any
  std::string mj;           // the MJ figure name ("MJ022335"), "" when the character has none
  bool confirmed = false;   // staff checked it; only confirmed rows release records
  std::string decided_by;   // the staff id that confirmed (or proposed) it
  std::int64_t decided_ms = 0;
  std::string note;         // where the proposal came from ("ベンダー対照表 gaiji-vendor-2026.tsv" ...)
};

std::string gaiji_map_key(std::string_view table, std::string_view code);
std::string gaiji_map_body(const GaijiMapping& m);
Expected<GaijiMapping> gaiji_map_from_body(std::string_view body);

// Whether `text` is one character as a certificate can print it: one ideograph or other
// non-control character, optionally followed by one variation selector (U+FE00..U+FE0F or
// U+E0100..U+E01EF), and not itself a private-use character.
bool printable_single_character(std::string_view text);

// A vendor's 外字対照表 as delivered (TSV or CSV, UTF-8): a header row naming at least 外字コード
// and 文字 (MJ文字図形名 optional), then one row per code. Errors name the line, never guess.
struct VendorCodeRow {
  std::size_t line = 0;
  std::string code;
  std::string text;
  std::string mj;
};
Expected<std::vector<VendorCodeRow>> parse_vendor_code_table(std::string_view bytes);

// What `text` prints as with the confirmed mappings of `table` (code → mapping). Every vendor
// code must have a confirmed mapping, else `unresolved` lists them and `text` is empty: the
// record is held (never printed with a guess).
struct ResolvedText {
  std::string text;
  std::vector<std::string> unresolved;
};
ResolvedText resolve_vendor_codes(std::string_view text, const std::map<std::string, GaijiMapping>& by_code);

// The MJ character information (MJ文字情報一覧表, 読み(参考), MJ縮退マップ), for suggestions and the
// check of how a character will print.
struct MjCharacter {
  std::string mj;             // "MJ022335"
  std::string ucs;            // 対応するUCS as text ("葛")
  std::string ivs;            // the Moji_Joho IVS sequence as text, "" when the figure has none
  std::string jis;            // X0213 men-ku-ten, "" if none
  std::string readings;       // 読み(参考)
  std::vector<std::string> shrink;  // MJ縮退マップ: characters it may be shrunk to (JIS包摂, 戸籍 通達, 告示)
  // The text a certificate prints for it: the IVS sequence if any, else the UCS character.
  std::string text() const { return ivs.empty() ? ucs : ivs; }
};

class MjIndex {
 public:
  // Reads mji-list.tsv (required), mj-readings.tsv and MJShrinkMap json (each optional: empty
  // bytes). Errors: malformed, naming the file and line.
  static Expected<MjIndex> load(std::string_view mji_list_tsv, std::string_view readings_tsv, std::string_view shrink_map_json);

  std::size_t size() const { return by_mj_.size(); }
  const MjCharacter* find_mj(std::string_view mj) const;
  // By the character as text: an IVS sequence finds its figure; a bare character the figure
  // whose 対応するUCS it is and that has no IVS (or the first).
  const MjCharacter* find_text(std::string_view text) const;

 private:
  std::map<std::string, MjCharacter, std::less<>> by_mj_;
  std::map<std::string, std::string, std::less<>> by_text_;  // text -> mj
};

}  // namespace madoguchi::domain
