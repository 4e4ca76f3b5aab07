#include "madoguchi/domain/linkage_record.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "body_reader.h"
#include "madoguchi/domain/record_body.h"

namespace madoguchi::domain {

namespace {

using nlohmann::json;
using detail::Reader;

std::string seq12(std::uint64_t n) {
  std::string s = std::to_string(n);
  return s.size() >= 12 ? s : std::string(12 - s.size(), '0') + s;
}

Expected<json> object(std::string_view body) { return parse_body(body); }

}  // namespace

std::string_view linkage_entity(LinkageKind kind) noexcept { return linkage_kind_name(kind); }

std::optional<LinkageKind> linkage_kind_from_name(std::string_view name) noexcept {
  if (name == "resident") return LinkageKind::resident;
  if (name == "seal") return LinkageKind::seal;
  if (name == "tax") return LinkageKind::tax;
  return std::nullopt;
}

std::string linkage_record_key(LinkageKind kind, const LinkageRow& row) {
  switch (kind) {
    case LinkageKind::resident: return row.person;
    case LinkageKind::seal: return std::string(row.field("印鑑登録番号"));
    case LinkageKind::tax: return row.person + ":" + std::string(row.field("課税年度"));
  }
  return row.person;
}

std::string_view LinkageRecord::field(std::string_view column) const {
  for (const auto& [name, value] : fields) {
    if (name == column) return value;
  }
  return {};
}

LinkageRecord linkage_record(const LinkageFile& file, const LinkageRow& row, std::string_view file_name,
                             std::int64_t received_ms) {
  LinkageRecord r;
  r.kind = file.kind;
  r.source = file.source;
  r.file = std::string(file_name);
  r.line = row.line;
  r.seq = row.seq;
  r.run_id = file.run_id;
  r.as_of = file.full ? file.as_of : 0;
  r.change = row.change;
  r.person = row.person;
  r.code_table = file.code_table;
  r.received_ms = received_ms;
  r.fields = row.fields;
  return r;
}

std::string linkage_record_body(const LinkageRecord& r) {
  json fields = json::object();
  for (const auto& [name, value] : r.fields) {
    if (!value.empty()) fields[name] = value;  // an empty column is "not applicable"
  }
  json j = {{"v", 1},
            {"kind", linkage_kind_name(r.kind)},
            {"source", r.source},
            {"file", r.file},
            {"line", r.line},
            {"seq", r.seq},
            {"run", r.run_id},
            {"change", std::string(1, r.change)},
            {"person", r.person},
            {"code_table", r.code_table},
            {"received_ms", r.received_ms},
            {"fields", std::move(fields)}};
  if (r.as_of != 0) j["as_of"] = r.as_of;
  return dump_body(j);
}

Expected<LinkageRecord> linkage_record_from_body(LinkageKind kind, std::string_view body) {
  auto j = object(body);
  if (!j) return j.error();
  Reader in(*j, std::string(linkage_kind_name(kind)));
  LinkageRecord r;
  r.kind = in.kind();
  r.source = in.str("source");
  r.file = in.str("file");
  r.line = in.u64("line");
  r.seq = in.u64("seq");
  r.run_id = in.str("run");
  const std::string change = in.str("change");
  r.person = in.str("person");
  r.code_table = in.str("code_table");
  r.received_ms = in.i64("received_ms");
  if (j->contains("as_of")) r.as_of = in.u64("as_of");
  const json* fields = in.at("fields");
  if (in.error) return *in.error;
  if (r.kind != kind) return Error{Errc::malformed, in.what + ": the body is of another kind"};
  if (change.size() != 1 || std::string_view("AMDF").find(change[0]) == std::string_view::npos) {
    return Error{Errc::malformed, in.what + ": change must be A, M, D or F"};
  }
  r.change = change[0];
  if (!fields->is_object()) return Error{Errc::malformed, in.what + ": fields is not an object"};
  for (const auto& [name, value] : fields->items()) {
    if (!value.is_string()) return Error{Errc::malformed, in.what + ": a field is not text"};
    r.fields.emplace_back(name, value.get<std::string>());
  }
  return r;
}

Status check_linkage_record_order(LinkageKind kind, std::optional<std::string_view> current_body, std::string_view body) {
  if (!current_body || body.find("\"as_of\":") == std::string_view::npos) return {};
  auto incoming = linkage_record_from_body(kind, body);
  auto stored = linkage_record_from_body(kind, *current_body);
  if (!incoming || !stored || incoming->run_id.empty() || incoming->source != stored->source) return {};
  if (stored->position() > incoming->as_of) {
    return Error{Errc::conflict, "全件の行（連携番号 " + std::to_string(incoming->as_of) + " 時点）より新しい異動分（連携番号 " +
                                     std::to_string(stored->position()) + "）が反映済みです"};
  }
  return {};
}

std::string linkage_batch_key(const LinkageBatch& b) {
  std::string at = std::to_string(b.taken_ms < 0 ? 0 : b.taken_ms);
  if (at.size() < 13) at.insert(0, 13 - at.size(), '0');
  return at + ":" + std::string(linkage_kind_name(b.kind)) + ":" + b.source + ":" + (b.full ? b.run_id : std::string("-")) + ":" +
         seq12(b.first_seq);
}

std::string linkage_batch_body(const LinkageBatch& b) {
  json changes = json::object();
  for (const auto& [c, n] : b.changes) changes[std::string(1, c)] = n;
  json j = {{"v", 1},
            {"kind", linkage_kind_name(b.kind)},
            {"source", b.source},
            {"file", b.file},
            {"run", b.run_id},
            {"full", b.full},
            {"first", b.first_seq},
            {"last", b.last_seq},
            {"rows", b.rows},
            {"applied", b.applied},
            {"duplicates", b.duplicates},
            {"changes", std::move(changes)},
            {"sha256", b.sha256},
            {"received_ms", b.received_ms},
            {"taken_ms", b.taken_ms}};
  return dump_body(j);
}

Expected<LinkageBatch> linkage_batch_from_body(std::string_view body) {
  auto j = object(body);
  if (!j) return j.error();
  Reader in(*j, "linkage_batch");
  LinkageBatch b;
  b.kind = in.kind();
  b.source = in.str("source");
  b.file = in.str("file");
  b.run_id = in.str("run");
  b.full = in.flag("full");
  b.first_seq = in.u64("first");
  b.last_seq = in.u64("last");
  b.rows = in.u64("rows");
  b.applied = in.u64("applied");
  b.duplicates = in.u64("duplicates");
  b.sha256 = in.str("sha256");
  b.received_ms = in.i64("received_ms");
  b.taken_ms = in.i64("taken_ms");
  const json* changes = in.at("changes");
  if (in.error) return *in.error;
  if (!changes->is_object()) return Error{Errc::malformed, "linkage_batch: changes is not an object"};
  for (const auto& [c, n] : changes->items()) {
    if (c.size() != 1 || !n.is_number_unsigned()) return Error{Errc::malformed, "linkage_batch: changes is not counts by change"};
    b.changes[c[0]] = n.get<std::uint64_t>();
  }
  return b;
}

std::string linkage_source_key(LinkageKind kind, std::string_view source) {
  return std::string(linkage_kind_name(kind)) + ":" + std::string(source);
}

std::string linkage_source_body(const LinkageSourceState& s) {
  json j = {{"v", 1},
            {"kind", linkage_kind_name(s.kind)},
            {"source", s.source},
            {"last_seq", s.last_seq},
            {"last_file", s.last_file},
            {"last_ms", s.last_ms},
            {"gap", nullptr},
            {"failure", nullptr}};
  if (s.gap) {
    j["gap"] = {{"file", s.gap->file}, {"expected", s.gap->expected}, {"found", s.gap->found}, {"since_ms", s.gap->since_ms}};
  }
  if (s.failure) j["failure"] = {{"file", s.failure->file}, {"reason", s.failure->reason}, {"at_ms", s.failure->at_ms}};
  return dump_body(j);
}

Expected<LinkageSourceState> linkage_source_from_body(std::string_view body) {
  auto j = object(body);
  if (!j) return j.error();
  Reader in(*j, "linkage_source");
  LinkageSourceState s;
  s.kind = in.kind();
  s.source = in.str("source");
  s.last_seq = in.u64("last_seq");
  s.last_file = in.str("last_file");
  s.last_ms = in.i64("last_ms");
  if (auto it = j->find("gap"); it != j->end() && !it->is_null()) {
    if (!it->is_object()) return Error{Errc::malformed, "linkage_source: gap is not an object"};
    Reader g(*it, "linkage_source gap");
    s.gap = LinkageSourceState::Gap{g.str("file"), g.u64("expected"), g.u64("found"), g.i64("since_ms")};
    if (g.error) return *g.error;
  }
  if (auto it = j->find("failure"); it != j->end() && !it->is_null()) {
    if (!it->is_object()) return Error{Errc::malformed, "linkage_source: failure is not an object"};
    Reader f(*it, "linkage_source failure");
    s.failure = LinkageSourceState::Failure{f.str("file"), f.str("reason"), f.i64("at_ms")};
    if (f.error) return *f.error;
  }
  if (in.error) return *in.error;
  return s;
}

std::string linkage_agent_body(const LinkageAgentBeat& beat) {
  return dump_body(json{{"v", 1}, {"device", beat.device}, {"at_ms", beat.at_ms}, {"version", beat.version}});
}

Expected<LinkageAgentBeat> linkage_agent_from_body(std::string_view body) {
  auto j = object(body);
  if (!j) return j.error();
  Reader in(*j, "linkage_agent");
  LinkageAgentBeat b{in.str("device"), in.i64("at_ms"), in.str("version")};
  if (in.error) return *in.error;
  return b;
}

std::string_view linkage_concern_code(LinkageConcern c) noexcept {
  switch (c) {
    case LinkageConcern::never: return "linkage_never";
    case LinkageConcern::silent: return "linkage_silent";
    case LinkageConcern::gap: return "linkage_gap";
    case LinkageConcern::failed: return "linkage_failed";
    case LinkageConcern::quiet: return "linkage_quiet";
  }
  return "linkage_never";
}

namespace {

std::string minutes_text(std::int64_t ms) {
  const std::int64_t minutes = ms / 60000;
  if (minutes < 1) return "1分未満";
  if (minutes < 120) return std::to_string(minutes) + "分";
  return std::to_string(minutes / 60) + "時間";
}

std::string source_name(const LinkageSourceState& s) {
  return std::string(linkage_kind_name(s.kind)) + "/" + s.source;
}

}  // namespace

LinkageGuard linkage_guard(const std::vector<LinkageAgentBeat>& beats, const std::vector<LinkageSourceState>& sources,
                           std::int64_t now_ms, const LinkageGuardPolicy& policy) {
  LinkageGuard g;
  auto add = [&](LinkageConcern c, std::string text, std::string where = "連携サーバー") {
    const bool suppresses = c != LinkageConcern::quiet;
    g.findings.push_back({c, suppresses, std::move(text), std::move(where)});
  };
  if (beats.empty()) {
    add(LinkageConcern::never, "連携サーバーからの受信がまだありません。");
  } else {
    std::int64_t latest = beats.front().at_ms;
    for (const auto& b : beats) latest = std::max(latest, b.at_ms);
    if (now_ms - latest > policy.silence_ms) {
      add(LinkageConcern::silent, "連携サーバーからの応答が" + minutes_text(now_ms - latest) + "ありません。");
    }
  }
  for (const auto& s : sources) {
    if (s.gap) {
      add(LinkageConcern::gap, source_name(s) + ": 連携番号 " + std::to_string(s.gap->expected) + " から " +
                                   std::to_string(s.gap->found - 1) + " が届いていません（" + s.gap->file + " を保留中）。", source_name(s));
    }
    if (s.failure) {
      add(LinkageConcern::failed, source_name(s) + ": " + s.failure->file + " を受け付けませんでした（" + s.failure->reason + "）。", source_name(s));
    }
    if (!s.gap && now_ms - s.last_ms > policy.quiet_alarm_ms) {
      add(LinkageConcern::quiet, source_name(s) + ": " + minutes_text(now_ms - s.last_ms) + "ファイルが届いていません。", source_name(s));
    }
  }
  g.issuable = std::none_of(g.findings.begin(), g.findings.end(), [](const LinkageFinding& f) { return f.suppresses; });
  return g;
}

}  // namespace madoguchi::domain
