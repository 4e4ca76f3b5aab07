#include "madoguchi/hub/gaiji_service.h"

#include <fstream>
#include <set>

#include "madoguchi/domain/linkage_record.h"

namespace madoguchi::hub {

namespace {

constexpr std::size_t kMaxUses = 100'000;       // records with a vendor code: a few percent of a city
constexpr std::size_t kMaxMappings = 10'000;
// U+E000..U+E757 in a GLOB class: SQLite compares UTF-8 characters by code point.
const std::string kVendorCodeGlob = "*[\xEE\x80\x80-\xEE\x9D\x97]*";

Expected<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::io, "cannot read " + path.string());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

Expected<std::shared_ptr<const domain::MjIndex>> load_mj_data(const std::filesystem::path& dir) {
  auto list = read_file(dir / "mji-list.tsv");
  if (!list) return list.error();
  std::string readings, shrink;
  if (std::filesystem::exists(dir / "mj-readings.tsv")) {
    auto r = read_file(dir / "mj-readings.tsv");
    if (!r) return r.error();
    readings = std::move(*r);
  }
  if (std::filesystem::exists(dir / "MJShrinkMap.1.2.0.json")) {
    auto r = read_file(dir / "MJShrinkMap.1.2.0.json");
    if (!r) return r.error();
    shrink = std::move(*r);
  }
  auto idx = domain::MjIndex::load(*list, readings, shrink);
  if (!idx) return idx.error().with_context(dir.string());
  return std::make_shared<const domain::MjIndex>(std::move(*idx));
}

Expected<HubStore*> HubGaiji::store() {
  HubStore* s = engine_.certificate_store(municipality_);
  if (!s) return make_error(Errc::not_found, "no certificate database for " + municipality_);
  return s;
}

Status HubGaiji::refresh() {
  auto s = store();
  if (!s) return s.error();
  auto version = (*s)->data_version();
  if (!version) return version.error();
  if (seen_ && *seen_ == *version) return {};
  auto scope = (*s)->read_scope();
  if (!scope) return scope.error();
  std::vector<Use> uses;
  for (const char* entity : {"resident", "seal", "tax"}) {
    auto rows = (*s)->records_matching(entity, kVendorCodeGlob, kMaxUses);
    if (!rows) return rows.error();
    for (const auto& r : *rows) {
      auto rec = domain::linkage_record_from_body(*domain::linkage_kind_from_name(entity), r.body);
      if (!rec) continue;  // the key or a column name held the bytes, not a field: nothing to print
      Use u{entity, r.key, rec->code_table, rec->file, {}, {}};
      for (const auto& [column, value] : rec->fields) {
        const auto codes = domain::vendor_codes_in(value);
        if (codes.empty()) continue;
        u.columns.push_back(column);
        for (const auto& c : codes) {
          if (std::find(u.codes.begin(), u.codes.end(), c) == u.codes.end()) u.codes.push_back(c);
        }
      }
      if (!u.codes.empty()) uses.push_back(std::move(u));
    }
  }
  uses_ = std::move(uses);
  seen_ = *version;
  return {};
}

Expected<std::map<std::string, domain::GaijiMapping>> HubGaiji::mappings(const std::string& table) {
  auto s = store();
  if (!s) return s.error();
  auto rows = (*s)->records_between(std::string(domain::kGaijiMapEntity), table + ":", table + ";", kMaxMappings);
  if (!rows) return rows.error();
  std::map<std::string, domain::GaijiMapping> out;
  for (const auto& r : *rows) {
    auto m = domain::gaiji_map_from_body(r.body);
    if (m) out[m->code] = std::move(*m);
  }
  return out;
}

Expected<std::vector<console::app::GaijiCode>> HubGaiji::codes() {
  if (auto r = refresh(); !r) return r.error();
  std::map<std::pair<std::string, std::string>, console::app::GaijiCode> by;
  for (const auto& u : uses_) {
    for (const auto& c : u.codes) {
      auto& g = by[{u.table, c}];
      g.table = u.table;
      g.code = c;
      ++g.records;
    }
  }
  auto s = store();
  if (!s) return s.error();
  auto rows = (*s)->records_between(std::string(domain::kGaijiMapEntity), "", "", kMaxMappings);
  if (!rows) return rows.error();
  for (const auto& r : *rows) {
    auto m = domain::gaiji_map_from_body(r.body);
    if (!m) continue;
    auto& g = by[{m->table, m->code}];
    g.table = m->table;
    g.code = m->code;
    g.mj = mj(m->mj.empty() ? m->text : m->mj);
    g.mapping = std::move(*m);
  }
  std::vector<console::app::GaijiCode> out;
  for (auto& [k, v] : by) out.push_back(std::move(v));
  return out;
}

Expected<std::vector<console::app::HeldRecord>> HubGaiji::held(std::size_t max) {
  if (auto r = refresh(); !r) return r.error();
  std::map<std::string, std::map<std::string, domain::GaijiMapping>> tables;
  std::vector<console::app::HeldRecord> out;
  for (const auto& u : uses_) {
    auto it = tables.find(u.table);
    if (it == tables.end()) {
      auto m = mappings(u.table);
      if (!m) return m.error();
      it = tables.emplace(u.table, std::move(*m)).first;
    }
    console::app::HeldRecord h{u.entity, u.key, u.table, {}, u.columns, u.file};
    for (const auto& c : u.codes) {
      auto m = it->second.find(c);
      if (m == it->second.end() || !m->second.confirmed) h.codes.push_back(c);
    }
    if (h.codes.empty()) continue;
    out.push_back(std::move(h));
    if (out.size() >= max) break;
  }
  return out;
}

Status HubGaiji::save_mapping(const domain::GaijiMapping& mapping) {
  const std::string body = domain::gaiji_map_body(mapping);
  if (auto check = domain::gaiji_map_from_body(body); !check) return check.error();
  auto s = store();
  if (!s) return s.error();
  // Staff decide at the hub only, one request at a time: based on the version stored now.
  const std::string key = domain::gaiji_map_key(mapping.table, mapping.code);
  auto cur = (*s)->get(std::string(domain::kGaijiMapEntity), key);
  if (!cur) return cur.error();
  auto r = (*s)->write_local(std::string(domain::kGaijiMapEntity), key, protocol::OpKind::upsert, body,
                             *cur && !(*cur)->deleted ? (*cur)->version : 0, clock_.wall_ms());
  if (!r) return r.error();
  return {};
}

std::optional<domain::MjCharacter> HubGaiji::mj(std::string_view text_or_mj_name) const {
  if (!mj_ || text_or_mj_name.empty()) return std::nullopt;
  const domain::MjCharacter* c = text_or_mj_name.starts_with("MJ") && text_or_mj_name.size() == 8 ? mj_->find_mj(text_or_mj_name)
                                                                                                   : mj_->find_text(text_or_mj_name);
  if (!c) return std::nullopt;
  return *c;
}

Expected<std::optional<std::vector<console::app::PrintField>>> HubGaiji::print_check(const std::string& entity, const std::string& key) {
  auto kind = domain::linkage_kind_from_name(entity);
  if (!kind) return std::optional<std::vector<console::app::PrintField>>();
  auto s = store();
  if (!s) return s.error();
  auto r = (*s)->get(entity, key);
  if (!r) return r.error();
  if (!*r || (*r)->deleted) return std::optional<std::vector<console::app::PrintField>>();
  auto rec = domain::linkage_record_from_body(*kind, (*r)->body);
  if (!rec) return rec.error();
  auto table = mappings(rec->code_table);
  if (!table) return table.error();
  std::vector<console::app::PrintField> out;
  for (const auto& [column, value] : rec->fields) {
    auto resolved = domain::resolve_vendor_codes(value, *table);
    out.push_back({column, domain::mark_vendor_codes(value), resolved.text, resolved.unresolved});
  }
  return std::optional<std::vector<console::app::PrintField>>(std::move(out));
}

Expected<std::size_t> HubGaiji::request_again(const std::vector<std::pair<std::string, std::string>>& records, const std::string& by) {
  if (!reconciler_) return Error{Errc::invalid_argument, "re-requests are not available here"};
  auto s = store();
  if (!s) return s.error();
  // One re-request per kind and source, each record as it is stored (its source).
  std::map<std::pair<domain::LinkageKind, std::string>, std::vector<std::string>> by_source;
  std::size_t asked = 0;
  for (const auto& [entity, key] : records) {
    auto kind = domain::linkage_kind_from_name(entity);
    if (!kind) return Error{Errc::invalid_argument, "not a linkage record: " + entity};
    auto r = (*s)->get(entity, key);
    if (!r) return r.error();
    if (!*r || (*r)->deleted) continue;
    auto record = domain::linkage_record_from_body(*kind, (*r)->body);
    if (!record) continue;
    auto& keys = by_source[{*kind, record->source}];
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      keys.push_back(key);
      ++asked;
    }
  }
  for (const auto& [what, keys] : by_source) {
    auto ids = reconciler_->request(municipality_, what.first, what.second, keys, "held", by);
    if (!ids) return ids.error();
  }
  return asked;
}

}  // namespace madoguchi::hub
