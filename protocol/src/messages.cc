#include "madoguchi/protocol/messages.h"

#include <cassert>
#include <limits>
#include <nlohmann/json.hpp>

#include "madoguchi/protocol/topics.h"

namespace madoguchi::protocol {

using nlohmann::json;

bool valid_entity(std::string_view entity) noexcept {
  if (entity.empty() || entity.size() > kMaxEntityBytes) return false;
  if (entity.front() < 'a' || entity.front() > 'z') return false;
  for (char c : entity) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool valid_key(std::string_view key) noexcept {
  if (key.empty() || key.size() > kMaxKeyBytes) return false;
  for (char c : key) {
    if (c < 0x21 || c > 0x7e || c == '/') return false;
  }
  return true;
}

std::string_view op_kind_name(OpKind kind) noexcept {
  return kind == OpKind::upsert ? "upsert" : "remove";
}

std::string_view message_type_name(const Message& message) noexcept {
  static constexpr std::string_view names[] = {"ops", "sync", "ack", "changes", "snapshot"};
  return names[message.index()];
}

namespace {

// ---- encoding ---------------------------------------------------------------------------------

json body_value(const std::string& body) {
  if (body.empty()) return json(nullptr);
  return json::parse(body);  // bodies are canonical JSON produced by canonical_body()
}

json encode_record(const Record& r) {
  json j = {{"entity", r.entity}, {"key", r.key}, {"version", r.version},
            {"origin", r.origin_device}, {"origin_seq", r.origin_seq}};
  if (r.deleted) {
    j["deleted"] = true;
  } else {
    j["body"] = body_value(r.body);
  }
  return j;
}

json header(std::string_view type) { return json{{"v", kSchemaVersion}, {"type", type}}; }

json encode_one(const OpBatch& m) {
  assert(m.ops.size() <= kMaxOpsPerBatch);
  json j = header("ops");
  j["municipality"] = m.municipality;
  j["device"] = m.device;
  json ops = json::array();
  for (const auto& op : m.ops) {
    json o = {{"seq", op.seq}, {"op_id", op.op_id}, {"entity", op.entity}, {"key", op.key},
              {"kind", op_kind_name(op.kind)}, {"base_version", op.base_version}, {"at_ms", op.at_ms}};
    if (op.kind == OpKind::upsert) o["body"] = body_value(op.body);
    ops.push_back(std::move(o));
  }
  j["ops"] = std::move(ops);
  return j;
}

json encode_one(const SyncRequest& m) {
  json j = header("sync");
  j["municipality"] = m.municipality;
  j["device"] = m.device;
  j["since"] = m.since;
  return j;
}

json encode_one(const Ack& m) {
  json j = header("ack");
  j["municipality"] = m.municipality;
  j["device"] = m.device;
  j["upto"] = m.upto;
  j["expect"] = m.expect;
  json rej = json::array();
  for (const auto& r : m.rejected) {
    json o = {{"seq", r.seq}, {"code", errc_name(r.code)}, {"reason", r.reason}};
    if (r.current) o["current"] = encode_record(*r.current);
    rej.push_back(std::move(o));
  }
  j["rejected"] = std::move(rej);
  return j;
}

json encode_one(const ChangeBatch& m) {
  assert(m.changes.size() <= kMaxChangesPerBatch);
  json j = header("changes");
  j["municipality"] = m.municipality;
  j["catchup"] = m.catchup;
  j["head"] = m.head;
  json arr = json::array();
  for (const auto& r : m.changes) arr.push_back(encode_record(r));
  j["changes"] = std::move(arr);
  return j;
}

json encode_one(const SnapshotChunk& m) {
  assert(m.records.size() <= kMaxRecordsPerChunk);
  json j = header("snapshot");
  j["municipality"] = m.municipality;
  j["snapshot_id"] = m.snapshot_id;
  j["as_of"] = m.as_of;
  j["part"] = m.part;
  j["last"] = m.last;
  json arr = json::array();
  for (const auto& r : m.records) arr.push_back(encode_record(r));
  j["records"] = std::move(arr);
  return j;
}

// ---- decoding ---------------------------------------------------------------------------------

// Field readers throw FieldError, caught once in decode(): keeps the readers short while the
// public API stays exception-free.
struct FieldError {
  Error error;
};

[[noreturn]] void fail(Errc code, std::string message) { throw FieldError{Error{code, std::move(message)}}; }

const json& field(const json& obj, const char* name, std::string_view where) {
  auto it = obj.find(name);
  if (it == obj.end()) fail(Errc::malformed, std::string(where) + ": missing field '" + name + "'");
  return *it;
}

std::string get_string(const json& obj, const char* name, std::string_view where, std::size_t max_len) {
  const json& v = field(obj, name, where);
  if (!v.is_string()) fail(Errc::malformed, std::string(where) + ": field '" + name + "' must be a string");
  const auto& s = v.get_ref<const std::string&>();
  if (s.size() > max_len) fail(Errc::too_large, std::string(where) + ": field '" + name + "' is too long");
  return s;
}

std::uint64_t get_u64(const json& obj, const char* name, std::string_view where) {
  const json& v = field(obj, name, where);
  if (!v.is_number_unsigned()) {
    if (v.is_number_integer() && v.get<std::int64_t>() >= 0) return static_cast<std::uint64_t>(v.get<std::int64_t>());
    fail(Errc::malformed, std::string(where) + ": field '" + name + "' must be a non-negative integer");
  }
  return v.get<std::uint64_t>();
}

std::int64_t get_i64(const json& obj, const char* name, std::string_view where) {
  const json& v = field(obj, name, where);
  if (!v.is_number_integer()) fail(Errc::malformed, std::string(where) + ": field '" + name + "' must be an integer");
  if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    fail(Errc::malformed, std::string(where) + ": field '" + name + "' is out of range");
  }
  return v.get<std::int64_t>();
}

bool get_bool(const json& obj, const char* name, std::string_view where, bool fallback) {
  auto it = obj.find(name);
  if (it == obj.end()) return fallback;
  if (!it->is_boolean()) fail(Errc::malformed, std::string(where) + ": field '" + name + "' must be true or false");
  return it->get<bool>();
}

const json& get_array(const json& obj, const char* name, std::string_view where, std::size_t max_items) {
  const json& v = field(obj, name, where);
  if (!v.is_array()) fail(Errc::malformed, std::string(where) + ": field '" + name + "' must be an array");
  if (v.size() > max_items) fail(Errc::too_large, std::string(where) + ": '" + name + "' has more than " + std::to_string(max_items) + " items");
  return v;
}

std::string get_body(const json& obj, std::string_view where) {
  const json& v = field(obj, "body", where);
  if (!v.is_object()) fail(Errc::malformed, std::string(where) + ": 'body' must be a JSON object");
  std::string text = v.dump();
  if (text.size() > kMaxBodyBytes) fail(Errc::too_large, std::string(where) + ": 'body' exceeds " + std::to_string(kMaxBodyBytes) + " bytes");
  return text;
}

void check_identity(const std::string& municipality, const std::string& device, std::string_view where) {
  if (!valid_municipality(municipality)) fail(Errc::invalid_argument, std::string(where) + ": bad municipality code");
  if (!device.empty() && !valid_device_id(device)) fail(Errc::invalid_argument, std::string(where) + ": bad device id");
}

void check_entity_key(const std::string& entity, const std::string& key, std::string_view where) {
  if (!valid_entity(entity)) fail(Errc::invalid_argument, std::string(where) + ": bad entity name");
  if (!valid_key(key)) fail(Errc::invalid_argument, std::string(where) + ": bad record key");
}

Record decode_record(const json& j, std::string_view where) {
  if (!j.is_object()) fail(Errc::malformed, std::string(where) + ": record must be an object");
  Record r;
  r.entity = get_string(j, "entity", where, kMaxEntityBytes);
  r.key = get_string(j, "key", where, kMaxKeyBytes);
  check_entity_key(r.entity, r.key, where);
  r.version = get_u64(j, "version", where);
  r.origin_device = get_string(j, "origin", where, 32);
  r.origin_seq = get_u64(j, "origin_seq", where);
  r.deleted = get_bool(j, "deleted", where, false);
  if (!r.deleted) r.body = get_body(j, where);
  return r;
}

std::vector<Record> decode_records(const json& arr, std::string_view where) {
  std::vector<Record> out;
  out.reserve(arr.size());
  for (std::size_t i = 0; i < arr.size(); ++i) {
    out.push_back(decode_record(arr[i], std::string(where) + "[" + std::to_string(i) + "]"));
  }
  return out;
}

OpBatch decode_ops(const json& j) {
  OpBatch m;
  m.municipality = get_string(j, "municipality", "ops", 6);
  m.device = get_string(j, "device", "ops", 32);
  check_identity(m.municipality, m.device, "ops");
  if (m.device.empty()) fail(Errc::invalid_argument, "ops: device is required");
  const json& ops = get_array(j, "ops", "ops", kMaxOpsPerBatch);
  std::uint64_t prev = 0;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    std::string where = "ops[" + std::to_string(i) + "]";
    const json& o = ops[i];
    if (!o.is_object()) fail(Errc::malformed, where + ": must be an object");
    Op op;
    op.seq = get_u64(o, "seq", where);
    if (op.seq == 0) fail(Errc::malformed, where + ": seq starts at 1");
    if (i > 0 && op.seq != prev + 1) fail(Errc::malformed, where + ": seq must be consecutive within a batch");
    prev = op.seq;
    op.op_id = get_string(o, "op_id", where, 80);
    op.entity = get_string(o, "entity", where, kMaxEntityBytes);
    op.key = get_string(o, "key", where, kMaxKeyBytes);
    check_entity_key(op.entity, op.key, where);
    std::string kind = get_string(o, "kind", where, 16);
    if (kind == "upsert") {
      op.kind = OpKind::upsert;
      op.body = get_body(o, where);
    } else if (kind == "remove") {
      op.kind = OpKind::remove;
    } else {
      fail(Errc::unknown_type, where + ": unknown operation kind");
    }
    op.base_version = get_u64(o, "base_version", where);
    op.at_ms = get_i64(o, "at_ms", where);
    m.ops.push_back(std::move(op));
  }
  return m;
}

SyncRequest decode_sync(const json& j) {
  SyncRequest m;
  m.municipality = get_string(j, "municipality", "sync", 6);
  m.device = get_string(j, "device", "sync", 32);
  check_identity(m.municipality, m.device, "sync");
  if (m.device.empty()) fail(Errc::invalid_argument, "sync: device is required");
  m.since = get_u64(j, "since", "sync");
  return m;
}

Errc errc_from_name(const std::string& name) {
  for (int i = 0; i <= static_cast<int>(Errc::internal); ++i) {
    auto code = static_cast<Errc>(i);
    if (errc_name(code) == name) return code;
  }
  return Errc::internal;
}

Ack decode_ack(const json& j) {
  Ack m;
  m.municipality = get_string(j, "municipality", "ack", 6);
  m.device = get_string(j, "device", "ack", 32);
  check_identity(m.municipality, m.device, "ack");
  m.upto = get_u64(j, "upto", "ack");
  m.expect = get_u64(j, "expect", "ack");
  const json& rej = get_array(j, "rejected", "ack", kMaxOpsPerBatch);
  for (std::size_t i = 0; i < rej.size(); ++i) {
    std::string where = "ack.rejected[" + std::to_string(i) + "]";
    const json& o = rej[i];
    if (!o.is_object()) fail(Errc::malformed, where + ": must be an object");
    Rejection r;
    r.seq = get_u64(o, "seq", where);
    r.code = errc_from_name(get_string(o, "code", where, 32));
    r.reason = get_string(o, "reason", where, kMaxReasonBytes);
    if (auto it = o.find("current"); it != o.end()) r.current = decode_record(*it, where + ".current");
    m.rejected.push_back(std::move(r));
  }
  return m;
}

ChangeBatch decode_changes(const json& j) {
  ChangeBatch m;
  m.municipality = get_string(j, "municipality", "changes", 6);
  check_identity(m.municipality, "", "changes");
  m.catchup = get_bool(j, "catchup", "changes", false);
  m.head = get_u64(j, "head", "changes");
  m.changes = decode_records(get_array(j, "changes", "changes", kMaxChangesPerBatch), "changes");
  for (std::size_t i = 1; i < m.changes.size(); ++i) {
    if (m.changes[i].version <= m.changes[i - 1].version) fail(Errc::malformed, "changes: versions must ascend");
  }
  return m;
}

SnapshotChunk decode_snapshot(const json& j) {
  SnapshotChunk m;
  m.municipality = get_string(j, "municipality", "snapshot", 6);
  check_identity(m.municipality, "", "snapshot");
  m.snapshot_id = get_u64(j, "snapshot_id", "snapshot");
  m.as_of = get_u64(j, "as_of", "snapshot");
  std::uint64_t part = get_u64(j, "part", "snapshot");
  if (part > std::numeric_limits<std::uint32_t>::max()) fail(Errc::malformed, "snapshot: part out of range");
  m.part = static_cast<std::uint32_t>(part);
  m.last = get_bool(j, "last", "snapshot", false);
  m.records = decode_records(get_array(j, "records", "snapshot", kMaxRecordsPerChunk), "snapshot.records");
  return m;
}

}  // namespace

std::string encode(const Message& message) {
  json j = std::visit([](const auto& m) { return encode_one(m); }, message);
  // Replace, never throw, on invalid UTF-8: bodies were validated on the way in, so this only
  // guards against a bug elsewhere turning into a crash.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Expected<Message> decode(std::string_view bytes) {
  if (bytes.size() > kMaxMessageBytes) {
    return make_error(Errc::too_large, "message of " + std::to_string(bytes.size()) + " bytes exceeds " + std::to_string(kMaxMessageBytes));
  }
  json j = json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return make_error(Errc::malformed, "message is not valid JSON");
  if (!j.is_object()) return make_error(Errc::malformed, "message must be a JSON object");
  try {
    auto vit = j.find("v");
    if (vit == j.end()) return make_error(Errc::malformed, "missing schema version 'v'");
    if (!vit->is_number_integer() || vit->get<std::int64_t>() != kSchemaVersion) {
      return make_error(Errc::unsupported_version, "schema version " + vit->dump() + " is not supported (this build speaks 1)");
    }
    std::string type = get_string(j, "type", "message", 16);
    if (type == "ops") return Message{decode_ops(j)};
    if (type == "sync") return Message{decode_sync(j)};
    if (type == "ack") return Message{decode_ack(j)};
    if (type == "changes") return Message{decode_changes(j)};
    if (type == "snapshot") return Message{decode_snapshot(j)};
    return make_error(Errc::unknown_type, "unknown message type '" + type + "'");
  } catch (const FieldError& e) {
    return e.error;
  } catch (const json::exception& e) {
    return make_error(Errc::malformed, e.what());
  }
}

Expected<std::string> canonical_body(std::string_view json_text) {
  if (json_text.size() > kMaxBodyBytes * 2) return make_error(Errc::too_large, "body too large");
  json j = json::parse(json_text, nullptr, false);
  if (j.is_discarded()) return make_error(Errc::malformed, "body is not valid JSON");
  if (!j.is_object()) return make_error(Errc::malformed, "body must be a JSON object");
  std::string out = j.dump();
  if (out.size() > kMaxBodyBytes) return make_error(Errc::too_large, "body exceeds " + std::to_string(kMaxBodyBytes) + " bytes");
  return out;
}

}  // namespace madoguchi::protocol
