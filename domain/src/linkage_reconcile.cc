#include "madoguchi/domain/linkage_reconcile.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "body_reader.h"
#include "digest.h"
#include "madoguchi/domain/record_body.h"

namespace madoguchi::domain {

namespace {

using detail::Reader;
using nlohmann::json;

constexpr std::string_view kBookkeeping[] = {"連携番号", "異動区分", "異動事由", "異動日", "届出日"};

std::string pad(std::uint64_t n, std::size_t width) {
  std::string s = std::to_string(n);
  return s.size() >= width ? s : std::string(width - s.size(), '0') + s;
}

// Record keys as linkage_record.h makes them: 宛名番号 (0-9 A-Z), 印鑑登録番号, 宛名番号:課税年度.
bool valid_record_key(std::string_view key) {
  return !key.empty() && key.size() <= 64 && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == ':' || c == '-' || c == '_';
  });
}

bool valid_id_text(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' || c == '_';
  });
}

Expected<std::vector<std::string>> key_list(const json* keys, const std::string& what, std::size_t max) {
  if (!keys || !keys->is_array()) return Error{Errc::malformed, what + ": keys is not a list"};
  if (keys->empty() || keys->size() > max) {
    return Error{Errc::malformed, what + ": 1 to " + std::to_string(max) + " keys"};
  }
  std::vector<std::string> out;
  out.reserve(keys->size());
  for (const auto& k : *keys) {
    if (!k.is_string() || !valid_record_key(k.get<std::string>())) return Error{Errc::malformed, what + ": a key is not a record key"};
    out.push_back(k.get<std::string>());
  }
  return out;
}

}  // namespace

std::string linkage_content_digest(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::vector<const std::pair<std::string, std::string>*> kept;
  kept.reserve(fields.size());
  for (const auto& f : fields) {
    if (f.second.empty()) continue;
    if (std::find(std::begin(kBookkeeping), std::end(kBookkeeping), f.first) != std::end(kBookkeeping)) continue;
    kept.push_back(&f);
  }
  std::sort(kept.begin(), kept.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  std::string text;
  for (const auto* f : kept) {
    text += f->first;
    text += '\x1f';
    text += f->second;
    text += '\x1e';
  }
  return detail::sha256_hex(text).substr(0, 16);
}

// ---- Re-requests

std::string linkage_request_key(std::int64_t requested_ms, LinkageKind kind, std::string_view source, std::size_t n) {
  return pad(static_cast<std::uint64_t>(std::max<std::int64_t>(requested_ms, 0)), 13) + ":" + std::string(linkage_kind_name(kind)) +
         ":" + std::string(source) + ":" + std::to_string(n);
}

std::string linkage_request_body(const LinkageRequest& r) {
  json j = {{"v", 1},           {"kind", linkage_kind_name(r.kind)}, {"source", r.source},   {"keys", r.keys},
            {"reason", r.reason}, {"by", r.by},                      {"requested_ms", r.requested_ms}, {"sent", r.sent},
            {"sent_ms", r.sent_ms}, {"file", r.file}};
  return dump_body(j);
}

Expected<LinkageRequest> linkage_request_from_body(std::string_view key, std::string_view body) {
  auto j = parse_body(body);
  if (!j) return j.error();
  Reader in(*j, "linkage_request");
  LinkageRequest r;
  r.id = std::string(key);
  r.kind = in.kind();
  r.source = in.str("source");
  r.reason = in.str("reason");
  r.by = in.str("by");
  r.requested_ms = in.i64("requested_ms");
  r.sent = in.flag("sent");
  r.sent_ms = in.i64("sent_ms");
  r.file = in.str("file");
  const json* keys = in.at("keys");
  if (in.error) return *in.error;
  if (!valid_id_text(r.source)) return Error{Errc::malformed, "linkage_request: source is not a source id"};
  if (r.reason != "held" && r.reason != "reconcile" && r.reason != "staff") return Error{Errc::malformed, "linkage_request: unknown reason"};
  if (!valid_record_key(key)) return Error{Errc::malformed, "linkage_request: the key is not a request id"};
  auto list = key_list(keys, "linkage_request", kMaxRequestKeys);
  if (!list) return list.error();
  r.keys = std::move(*list);
  return r;
}

std::string linkage_request_file_name(const LinkageRequest& r) {
  std::string id = r.id;
  std::replace(id.begin(), id.end(), ':', '_');
  return std::string(linkage_kind_name(r.kind)) + "-" + r.source + "-request-" + id + ".csv";
}

std::string linkage_request_file(const LinkageRequest& r) {
  std::string id = r.id;
  std::replace(id.begin(), id.end(), ':', '_');
  std::string out = "#madoguchi-linkage-request,1," + std::string(linkage_kind_name(r.kind)) + "," + r.source + "," + id + "," +
                    r.reason + "\r\nキー\r\n";
  for (const auto& k : r.keys) out += k + "\r\n";
  out += "#end," + std::to_string(r.keys.size()) + "\r\n";
  return out;
}

Status check_linkage_request_write(bool from_hub, std::optional<std::string_view> current_body, std::string_view body, bool remove) {
  // The body alone is checked here; the key by the hub's store.
  std::optional<LinkageRequest> after;
  if (!remove) {
    auto next = linkage_request_from_body("0:resident:x:0", body);
    if (!next) return next.error();
    after = std::move(*next);
  }
  if (from_hub) return {};
  if (remove) return Error{Errc::forbidden, "連携の再送依頼を消せるのはハブだけです"};
  if (!current_body) return Error{Errc::forbidden, "連携の再送依頼を作れるのはハブだけです"};
  auto before = linkage_request_from_body("0:resident:x:0", *current_body);
  if (!before) return Error{Errc::forbidden, "連携の再送依頼が読めません"};
  LinkageRequest expected = *before;
  expected.sent = true;
  expected.sent_ms = after->sent_ms;
  expected.file = after->file;
  if (!after->sent || linkage_request_body(expected) != linkage_request_body(*after)) {
    return Error{Errc::forbidden, "連携サーバーは再送依頼を「送付済み」にすることだけができます"};
  }
  return {};
}

// ---- Reconciliation

std::string linkage_digest_key(const LinkageDigest& d) {
  return std::string(linkage_kind_name(d.kind)) + ":" + d.source + ":" + d.run + ":" + pad(d.chunk, 6);
}

std::string linkage_digest_body(const LinkageDigest& d) {
  json entries = json::array();
  for (const auto& [key, digest] : d.entries) entries.push_back(json::array({key, digest}));
  json j = {{"v", 1},           {"kind", linkage_kind_name(d.kind)}, {"source", d.source}, {"run", d.run},
            {"as_of", d.as_of}, {"chunk", d.chunk},                  {"chunks", d.chunks}, {"records", d.records},
            {"sent_ms", d.sent_ms}, {"entries", std::move(entries)}};
  return dump_body(j);
}

Expected<LinkageDigest> linkage_digest_from_body(std::string_view body) {
  auto j = parse_body(body);
  if (!j) return j.error();
  Reader in(*j, "linkage_digest");
  LinkageDigest d;
  d.kind = in.kind();
  d.source = in.str("source");
  d.run = in.str("run");
  d.as_of = in.u64("as_of");
  const std::uint64_t chunk = in.u64("chunk");
  const std::uint64_t chunks = in.u64("chunks");
  d.records = in.u64("records");
  d.sent_ms = in.i64("sent_ms");
  const json* entries = in.at("entries");
  if (in.error) return *in.error;
  if (!valid_id_text(d.source) || !valid_id_text(d.run)) return Error{Errc::malformed, "linkage_digest: source or run is not an id"};
  if (chunks == 0 || chunks > 100000 || chunk == 0 || chunk > chunks) return Error{Errc::malformed, "linkage_digest: chunk out of range"};
  d.chunk = static_cast<std::uint32_t>(chunk);
  d.chunks = static_cast<std::uint32_t>(chunks);
  if (!entries->is_array() || entries->size() > kDigestEntriesPerChunk) return Error{Errc::malformed, "linkage_digest: entries"};
  d.entries.reserve(entries->size());
  for (const auto& e : *entries) {
    if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_string()) return Error{Errc::malformed, "linkage_digest: an entry"};
    auto key = e[0].get<std::string>();
    auto digest = e[1].get<std::string>();
    if (!valid_record_key(key) || digest.size() != 16) return Error{Errc::malformed, "linkage_digest: an entry"};
    d.entries.emplace_back(std::move(key), std::move(digest));
  }
  return d;
}

std::string linkage_reconcile_key(LinkageKind kind, std::string_view source, std::string_view run) {
  return std::string(linkage_kind_name(kind)) + ":" + std::string(source) + ":" + std::string(run);
}

std::string linkage_reconcile_body(const LinkageReconcile& r) {
  json named = json::array();
  for (const auto& [key, what] : r.named) named.push_back(json::array({key, what}));
  json j = {{"v", 1},
            {"kind", linkage_kind_name(r.kind)},
            {"source", r.source},
            {"run", r.run},
            {"as_of", r.as_of},
            {"sent_ms", r.sent_ms},
            {"finished_ms", r.finished_ms},
            {"source_records", r.source_records},
            {"matching", r.matching},
            {"newer", r.newer},
            {"differing", r.differing},
            {"missing", r.missing},
            {"extra", r.extra},
            {"named", std::move(named)},
            {"requests", r.requests},
            {"too_many", r.too_many}};
  return dump_body(j);
}

Expected<LinkageReconcile> linkage_reconcile_from_body(std::string_view body) {
  auto j = parse_body(body);
  if (!j) return j.error();
  Reader in(*j, "linkage_reconcile");
  LinkageReconcile r;
  r.kind = in.kind();
  r.source = in.str("source");
  r.run = in.str("run");
  r.as_of = in.u64("as_of");
  r.sent_ms = in.i64("sent_ms");
  r.finished_ms = in.i64("finished_ms");
  r.source_records = in.u64("source_records");
  r.matching = in.u64("matching");
  r.newer = in.u64("newer");
  r.differing = in.u64("differing");
  r.missing = in.u64("missing");
  r.extra = in.u64("extra");
  r.too_many = in.flag("too_many");
  const json* named = in.at("named");
  const json* requests = in.at("requests");
  if (in.error) return *in.error;
  if (!named->is_array() || !requests->is_array()) return Error{Errc::malformed, "linkage_reconcile: named or requests"};
  for (const auto& n : *named) {
    if (!n.is_array() || n.size() != 2 || !n[0].is_string() || !n[1].is_string()) return Error{Errc::malformed, "linkage_reconcile: named"};
    r.named.emplace_back(n[0].get<std::string>(), n[1].get<std::string>());
  }
  for (const auto& q : *requests) {
    if (!q.is_string()) return Error{Errc::malformed, "linkage_reconcile: requests"};
    r.requests.push_back(q.get<std::string>());
  }
  return r;
}

Expected<LinkageComparison> LinkageComparison::start(const std::vector<LinkageDigest>& chunks) {
  if (chunks.empty()) return Error{Errc::malformed, "照合データがありません"};
  const LinkageDigest& first = chunks.front();
  std::set<std::uint32_t> seen;
  LinkageComparison c;
  for (const auto& d : chunks) {
    if (d.kind != first.kind || d.source != first.source || d.run != first.run || d.as_of != first.as_of || d.chunks != first.chunks ||
        d.records != first.records) {
      return Error{Errc::malformed, "照合データの部分が同じ抽出のものではありません"};
    }
    if (!seen.insert(d.chunk).second) return Error{Errc::malformed, "照合データの部分 " + std::to_string(d.chunk) + " が重複しています"};
    for (const auto& [key, digest] : d.entries) {
      if (!c.digests_.emplace(key, digest).second) return Error{Errc::malformed, "照合データでキーが重複しています"};
    }
  }
  if (seen.size() != first.chunks) return Error{Errc::malformed, "照合データの部分が揃っていません"};
  if (c.digests_.size() != first.records) return Error{Errc::malformed, "照合データの件数が合いません"};
  c.out_.kind = first.kind;
  c.out_.source = first.source;
  c.out_.run = first.run;
  c.out_.as_of = first.as_of;
  c.out_.sent_ms = first.sent_ms;
  c.out_.source_records = first.records;
  return c;
}

void LinkageComparison::name(std::string_view key, const char* what) {
  if (out_.named.size() < kMaxNamedDifferences) out_.named.emplace_back(std::string(key), what);
  if (repair_.size() < kMaxReconcileRequestKeys) {
    repair_.emplace_back(key);
  } else {
    out_.too_many = true;
  }
}

void LinkageComparison::stored(std::string_view key, const LinkageRecord& record) {
  if (record.source != out_.source || record.kind != out_.kind) return;
  auto it = digests_.find(std::string(key));
  if (record.position() > out_.as_of) {
    // A delta newer than the extract: the extract cannot judge it.
    ++out_.newer;
    if (it != digests_.end()) digests_.erase(it);
    return;
  }
  const bool current = record.change != 'D';
  if (it == digests_.end()) {
    if (current) {
      ++out_.extra;
      name(key, "extra");
    }
    return;
  }
  if (!current) {
    ++out_.differing;
    name(key, "removed");
  } else if (linkage_content_digest(record.fields) == it->second) {
    ++out_.matching;
  } else {
    ++out_.differing;
    name(key, "differs");
  }
  digests_.erase(it);
}

LinkageReconcile LinkageComparison::finish(std::int64_t now_ms, std::vector<std::string>& repair) {
  std::vector<std::string> missing;
  missing.reserve(digests_.size());
  for (const auto& [key, digest] : digests_) missing.push_back(key);
  std::sort(missing.begin(), missing.end());
  for (const auto& key : missing) {
    ++out_.missing;
    name(key, "missing");
  }
  digests_.clear();
  out_.finished_ms = now_ms;
  repair = std::move(repair_);
  repair_.clear();
  return std::move(out_);
}

}  // namespace madoguchi::domain
