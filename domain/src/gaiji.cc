#include "madoguchi/domain/gaiji.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "madoguchi/domain/record_body.h"
#include "madoguchi/text/csv.h"
#include "madoguchi/text/encoding.h"
#include "text.h"

namespace madoguchi::domain {

namespace {

using nlohmann::json;

constexpr char32_t kFirst = 0xE000, kLast = 0xE757;  // CP932's 1,880 user-defined codes

std::string utf8_of(char32_t c) {
  std::string out;
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
  return out;
}

bool is_variation_selector(char32_t c) { return (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xE0100 && c <= 0xE01EF); }
bool is_private_use(char32_t c) { return (c >= 0xE000 && c <= 0xF8FF) || c >= 0xF0000; }

// "U+845B" -> the character as UTF-8; "" when empty or malformed.
std::string from_u_plus(std::string_view s) {
  if (s.size() < 6 || s.substr(0, 2) != "U+") return {};
  std::uint32_t v = 0;
  for (char ch : s.substr(2)) {
    const int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
    if (d < 0) return {};
    v = v * 16 + static_cast<std::uint32_t>(d);
    if (v > 0x10FFFF) return {};
  }
  return utf8_of(v);
}

// "845B_E0102" -> 葛 + U+E0102.
std::string from_ivs_field(std::string_view s) {
  const auto us = s.find('_');
  if (us == std::string_view::npos) return {};
  const std::string base = from_u_plus("U+" + std::string(s.substr(0, us)));
  const std::string selector = from_u_plus("U+" + std::string(s.substr(us + 1)));
  return base.empty() || selector.empty() ? std::string() : base + selector;
}

std::vector<std::string_view> split(std::string_view line, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const auto at = line.find(sep, start);
    out.push_back(line.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return out;
}

bool hex4(std::string_view s) {
  return s.size() == 4 && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); });
}

}  // namespace

std::optional<std::string> vendor_code_of(char32_t cp) {
  if (cp < kFirst || cp > kLast) return std::nullopt;
  const unsigned i = static_cast<unsigned>(cp - kFirst);
  const unsigned lead = 0xF0 + i / 188;
  unsigned trail = 0x40 + i % 188;
  if (trail >= 0x7F) ++trail;  // 0x7F is never a trail byte
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02X%02X", lead, trail);
  return std::string(buf);
}

std::optional<char32_t> code_point_of_vendor_code(std::string_view code) {
  if (!hex4(code)) return std::nullopt;
  const unsigned v = static_cast<unsigned>(std::stoul(std::string(code), nullptr, 16));
  const unsigned lead = v >> 8, trail = v & 0xFF;
  if (lead < 0xF0 || lead > 0xF9 || trail < 0x40 || trail == 0x7F || trail > 0xFC) return std::nullopt;
  const unsigned i = (lead - 0xF0) * 188 + (trail - 0x40 - (trail > 0x7F ? 1 : 0));
  return static_cast<char32_t>(kFirst + i);
}

std::vector<std::string> vendor_codes_in(std::string_view text) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < text.size();) {
    // Only U+E000..U+E757 matter: their UTF-8 starts with EE 80..9D. Skip other bytes fast.
    const auto at = text.find('\xEE', i);
    if (at == std::string_view::npos) break;
    std::size_t j = at;
    auto cp = detail::next_code_point(text, j);
    i = j > at ? j : at + 1;
    if (!cp) continue;
    if (auto code = vendor_code_of(*cp); code && std::find(out.begin(), out.end(), *code) == out.end()) out.push_back(*code);
  }
  return out;
}

namespace {
// `text` with each vendor code (U+E000..U+E757) replaced by what `on_code(code, out)` appends;
// every other byte sequence, a malformed one included, is kept as it is.
template <class OnCode>
std::string replace_vendor_codes(std::string_view text, OnCode&& on_code) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t start = i;
    auto cp = detail::next_code_point(text, i);
    if (!cp) {
      out += text[start];
      i = start + 1;
      continue;
    }
    if (auto code = vendor_code_of(*cp)) {
      on_code(*code, out);
    } else {
      out.append(text.substr(start, i - start));
    }
  }
  return out;
}
}  // namespace

std::string mark_vendor_codes(std::string_view text) {
  return replace_vendor_codes(text, [](const std::string& code, std::string& out) { out += "〓(" + code + ")"; });
}

std::string gaiji_map_key(std::string_view table, std::string_view code) { return std::string(table) + ":" + std::string(code); }

std::string gaiji_map_body(const GaijiMapping& m) {
  return dump_body(json{{"v", 1},
                        {"table", m.table},
                        {"code", m.code},
                        {"text", m.text},
                        {"mj", m.mj},
                        {"confirmed", m.confirmed},
                        {"decided_by", m.decided_by},
                        {"decided_ms", m.decided_ms},
                        {"note", m.note}});
}

Expected<GaijiMapping> gaiji_map_from_body(std::string_view body) {
  auto j = parse_body(body);
  if (!j) return j.error();
  GaijiMapping m;
  try {
    m.table = j->at("table").get<std::string>();
    m.code = j->at("code").get<std::string>();
    m.text = j->at("text").get<std::string>();
    m.mj = j->value("mj", std::string());
    m.confirmed = j->at("confirmed").get<bool>();
    m.decided_by = j->value("decided_by", std::string());
    m.decided_ms = j->value("decided_ms", std::int64_t{0});
    m.note = j->value("note", std::string());
  } catch (const json::exception&) {
    return Error{Errc::malformed, "gaiji_map: a field is missing or of the wrong type"};
  }
  if (!hex4(m.code) || !code_point_of_vendor_code(m.code)) return Error{Errc::invalid_argument, "gaiji_map: code must be F040..F9FC"};
  if (!printable_single_character(m.text)) return Error{Errc::invalid_argument, "gaiji_map: text must be one printable character"};
  return m;
}

bool printable_single_character(std::string_view text) {
  std::size_t i = 0;
  auto base = detail::next_code_point(text, i);
  if (!base || detail::is_control(*base) || is_variation_selector(*base) || is_private_use(*base) || *base == ' ' || *base == 0x3000) {
    return false;
  }
  if (i == text.size()) return true;
  auto vs = detail::next_code_point(text, i);
  return vs && is_variation_selector(*vs) && i == text.size();
}

Expected<std::vector<VendorCodeRow>> parse_vendor_code_table(std::string_view bytes) {
  bytes = text::strip_utf8_bom(bytes);
  if (!text::valid_utf8(bytes)) return Error{Errc::malformed, "UTF-8 で保存してください"};
  if (bytes.size() > 1024 * 1024) return Error{Errc::too_large, "外字対照表は 1 MiB までです"};
  const char sep = bytes.substr(0, bytes.find('\n')).find('\t') != std::string_view::npos ? '\t' : ',';
  std::vector<std::vector<std::string>> rows;
  if (sep == ',') {
    auto csv = text::parse_csv(bytes);
    if (!csv) return Error{Errc::malformed, "CSV として読めません（" + csv.error().message + "）"};
    rows = std::move(*csv);
  } else {
    for (auto line : split(bytes, '\n')) {
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      std::vector<std::string> cells;
      for (auto c : split(line, '\t')) cells.emplace_back(c);
      rows.push_back(std::move(cells));
    }
  }
  while (!rows.empty() && (rows.back().empty() || (rows.back().size() == 1 && rows.back()[0].empty()))) rows.pop_back();
  if (rows.empty()) return Error{Errc::malformed, "1行目: 見出し（外字コード、文字）がありません"};
  int code_col = -1, text_col = -1, mj_col = -1;
  for (std::size_t c = 0; c < rows[0].size(); ++c) {
    if (rows[0][c] == "外字コード") code_col = static_cast<int>(c);
    if (rows[0][c] == "文字") text_col = static_cast<int>(c);
    if (rows[0][c] == "MJ文字図形名") mj_col = static_cast<int>(c);
  }
  if (code_col < 0 || text_col < 0) return Error{Errc::malformed, "1行目: 見出しに「外字コード」と「文字」の列が要ります"};
  std::vector<VendorCodeRow> out;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& cells = rows[r];
    const std::string where = std::to_string(r + 1) + "行目: ";
    if (cells.size() == 1 && cells[0].empty()) continue;
    auto cell = [&](int c) { return c >= 0 && static_cast<std::size_t>(c) < cells.size() ? cells[static_cast<std::size_t>(c)] : std::string(); };
    VendorCodeRow row{r + 1, cell(code_col), cell(text_col), cell(mj_col)};
    std::transform(row.code.begin(), row.code.end(), row.code.begin(), [](char c) { return c >= 'a' && c <= 'f' ? static_cast<char>(c - 32) : c; });
    if (!code_point_of_vendor_code(row.code)) return Error{Errc::invalid_argument, where + "外字コードは F040〜F9FC の4桁の16進数です"};
    if (!printable_single_character(row.text)) return Error{Errc::invalid_argument, where + "文字は1文字（異体字セレクタ付きも可）です"};
    if (!row.mj.empty() && (row.mj.size() != 8 || row.mj.substr(0, 2) != "MJ")) {
      return Error{Errc::invalid_argument, where + "MJ文字図形名は MJ と6桁の数字です"};
    }
    out.push_back(std::move(row));
  }
  return out;
}

ResolvedText resolve_vendor_codes(std::string_view text, const std::map<std::string, GaijiMapping>& by_code) {
  ResolvedText r;
  std::string out = replace_vendor_codes(text, [&](const std::string& code, std::string& o) {
    auto it = by_code.find(code);
    if (it != by_code.end() && it->second.confirmed) {
      o += it->second.text;
    } else if (std::find(r.unresolved.begin(), r.unresolved.end(), code) == r.unresolved.end()) {
      r.unresolved.push_back(code);
    }
  });
  if (r.unresolved.empty()) r.text = std::move(out);
  return r;
}

Expected<MjIndex> MjIndex::load(std::string_view list, std::string_view readings, std::string_view shrink) {
  MjIndex idx;
  std::size_t line_no = 0;
  for (auto line : split(list, '\n')) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_no == 1 || line.empty()) continue;
    const auto cells = split(line, '\t');
    if (cells.size() < 7 || !cells[0].starts_with("MJ")) return Error{Errc::malformed, "mji-list.tsv " + std::to_string(line_no) + "行目が読めません"};
    MjCharacter c;
    c.mj = std::string(cells[0]);
    c.ucs = from_u_plus(cells[1]);
    if (c.ucs.empty()) c.ucs = from_u_plus(cells[2]);
    c.ivs = from_ivs_field(cells[3]);
    c.jis = std::string(cells[6]);
    if (!c.ivs.empty()) idx.by_text_.emplace(c.ivs, c.mj);
    if (!c.ucs.empty()) {
      // A bare character: prefer the figure without an IVS (the character's own).
      auto [it, inserted] = idx.by_text_.emplace(c.ucs, c.mj);
      if (!inserted && c.ivs.empty()) {
        const auto& other = idx.by_mj_[it->second];
        if (!other.ivs.empty()) it->second = c.mj;
      }
    }
    idx.by_mj_.emplace(c.mj, std::move(c));
  }
  if (idx.by_mj_.empty()) return Error{Errc::malformed, "mji-list.tsv に文字がありません"};
  // 読み(参考): keyed by the character as the MJ font shows it (the IVS sequence, or the UCS).
  line_no = 0;
  for (auto line : split(readings, '\n')) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_no == 1 || line.empty()) continue;
    const auto tab = line.find('\t');
    if (tab == std::string_view::npos) continue;
    auto it = idx.by_text_.find(line.substr(0, tab));
    if (it == idx.by_text_.end()) continue;
    auto& c = idx.by_mj_[it->second];
    if (c.readings.empty()) c.readings = std::string(line.substr(tab + 1));
  }
  if (!shrink.empty()) {
    const json j = json::parse(shrink, nullptr, false);
    if (j.is_discarded() || !j.contains("content") || !j["content"].is_array()) return Error{Errc::malformed, "MJ縮退マップが読めません"};
    for (const auto& e : j["content"]) {
      if (!e.is_object() || !e.contains("MJ文字図形名") || !e["MJ文字図形名"].is_string()) continue;
      auto it = idx.by_mj_.find(e["MJ文字図形名"].get<std::string>());
      if (it == idx.by_mj_.end()) continue;
      for (const auto& [group, entries] : e.items()) {
        if (!entries.is_array()) continue;
        for (const auto& entry : entries) {
          if (!entry.is_object() || !entry.contains("UCS") || !entry["UCS"].is_string()) continue;
          const std::string ch = from_u_plus(entry["UCS"].get<std::string>());
          auto& shrink_to = it->second.shrink;
          if (!ch.empty() && std::find(shrink_to.begin(), shrink_to.end(), ch) == shrink_to.end()) shrink_to.push_back(ch);
        }
      }
    }
  }
  return idx;
}

const MjCharacter* MjIndex::find_mj(std::string_view mj) const {
  auto it = by_mj_.find(mj);
  return it == by_mj_.end() ? nullptr : &it->second;
}

const MjCharacter* MjIndex::find_text(std::string_view text) const {
  auto it = by_text_.find(text);
  return it == by_text_.end() ? nullptr : find_mj(it->second);
}

}  // namespace madoguchi::domain
