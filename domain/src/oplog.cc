#include "madoguchi/domain/oplog.h"

#include "digest.h"


#include <cassert>
#include <cstdio>

#include "madoguchi/protocol/topics.h"
#include "text.h"

namespace madoguchi::domain {

namespace {
constexpr std::string_view kTag = "madoguchi.oplog.v1";
constexpr std::string_view kWhat = "oplog";

void put_item(std::string& out, std::string_view item) {
  assert(item.size() <= 0xFFFFFFFFu);
  const auto n = static_cast<std::uint32_t>(item.size());
  out += static_cast<char>((n >> 24) & 0xFF);
  out += static_cast<char>((n >> 16) & 0xFF);
  out += static_cast<char>((n >> 8) & 0xFF);
  out += static_cast<char>(n & 0xFF);
  out.append(item);
}

bool is_hex_digest(std::string_view s) noexcept {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

ChainReport broken(std::uint64_t good, std::uint64_t seq, std::string problem) {
  ChainReport r;
  r.intact = false;
  r.entries = good;
  r.first_bad_seq = seq;
  r.problem = std::move(problem);
  return r;
}

ChainReport verify_from(const std::vector<OpLogEntry>& entries, std::uint64_t prev_seq, std::string_view prev_hash) {
  ChainReport report;
  const std::string* device = entries.empty() ? nullptr : &entries.front().device;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const OpLogEntry& e = entries[i];
    const std::string at = "entry " + std::to_string(i + 1) + " (seq " + std::to_string(e.seq) + "): ";
    const std::uint64_t want = prev_seq + 1;
    if (e.device != *device) {
      return broken(report.entries, e.seq, at + "belongs to device '" + detail::abbreviate(e.device, 32) +
                                               "', not '" + detail::abbreviate(*device, 32) + "'");
    }
    if (e.seq != want) {
      if (e.seq > want) {
        return broken(report.entries, e.seq,
                      at + "seq " + std::to_string(want) +
                          (e.seq - 1 == want ? std::string() : ".." + std::to_string(e.seq - 1)) +
                          " missing (entries were removed or reordered)");
      }
      return broken(report.entries, e.seq,
                    at + "expected seq " + std::to_string(want) + " (entries are out of order or repeated)");
    }
    if (e.prev_hash != prev_hash) {
      return broken(report.entries, e.seq,
                    at + "prev_hash does not match the previous entry (an entry was removed, inserted or changed)");
    }
    if (e.hash != compute_hash(e)) {
      return broken(report.entries, e.seq, at + "hash does not match the entry's contents (the entry was changed)");
    }
    ++report.entries;
    prev_seq = e.seq;
    prev_hash = e.hash;
  }
  return report;
}
}  // namespace

bool valid_action(std::string_view action) noexcept {
  if (action.empty() || action.size() > kMaxOpLogActionBytes) return false;
  for (char c : action) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.')) return false;
  }
  return true;
}

std::string canonical_bytes(const OpLogEntry& e) {
  std::string out;
  out.reserve(9 * 4 + kTag.size() + 40 + e.device.size() + e.staff_id.size() + e.action.size() + e.target.size() +
              e.detail.size() + e.prev_hash.size());
  put_item(out, kTag);
  put_item(out, std::to_string(e.seq));
  put_item(out, e.device);
  put_item(out, e.staff_id);
  put_item(out, std::to_string(e.at_ms));
  put_item(out, e.action);
  put_item(out, e.target);
  put_item(out, e.detail);
  put_item(out, e.prev_hash);
  return out;
}

std::string compute_hash(const OpLogEntry& e) { return detail::sha256_hex(canonical_bytes(e)); }

OpLogEntry make_entry(const OpLogEntry* previous, std::string_view device, std::string_view staff_id,
                      std::int64_t at_ms, std::string_view action, std::string_view target, std::string_view details) {
  assert(protocol::valid_device_id(device));
  assert(valid_action(action));
  assert(previous == nullptr || previous->device == device);
  OpLogEntry e;
  e.seq = previous ? previous->seq + 1 : 1;
  e.device = std::string(device);
  e.staff_id = detail::sanitize(staff_id, kMaxOpLogStaffIdBytes);
  e.at_ms = at_ms;
  e.action = std::string(action);
  e.target = detail::sanitize(target, kMaxOpLogTargetBytes);
  e.detail = detail::sanitize(details, kMaxOpLogDetailBytes);
  e.prev_hash = previous ? previous->hash : std::string(kZeroHash);
  e.hash = compute_hash(e);
  return e;
}

ChainReport verify_chain(const std::vector<OpLogEntry>& entries) { return verify_from(entries, 0, kZeroHash); }

ChainReport verify_chain(const std::vector<OpLogEntry>& entries, const ChainAnchor& anchor) {
  return verify_from(entries, anchor.seq, anchor.hash);
}

std::string oplog_key(std::string_view device, std::uint64_t seq) {
  char digits[32];
  std::snprintf(digits, sizeof digits, "%012llu", static_cast<unsigned long long>(seq));
  std::string k(device);
  k += ':';
  k += digits;
  return k;
}

std::string oplog_key(const OpLogEntry& e) { return oplog_key(e.device, e.seq); }

nlohmann::json oplog_to_json(const OpLogEntry& e) {
  return nlohmann::json{{"seq", e.seq},       {"device", e.device}, {"staff_id", e.staff_id},
                        {"at_ms", e.at_ms},   {"action", e.action}, {"target", e.target},
                        {"detail", e.detail}, {"prev_hash", e.prev_hash}, {"hash", e.hash}};
}

Expected<OpLogEntry> oplog_from_json(const nlohmann::json& body) {
  using namespace detail;
  if (auto st = require_object(body, kWhat); !st) return st.error();
  if (auto st = refuse_unknown_keys(body, kWhat,
                                    {"seq", "device", "staff_id", "at_ms", "action", "target", "detail", "prev_hash",
                                     "hash"});
      !st) {
    return st.error();
  }
  OpLogEntry e;
  if (auto st = read_u64(body, kWhat, "seq", e.seq, true); !st) return st.error();
  if (auto st = read_i64(body, kWhat, "at_ms", e.at_ms, true); !st) return st.error();
  for (auto [key, field] : {std::pair{"device", &e.device}, std::pair{"staff_id", &e.staff_id},
                            std::pair{"action", &e.action}, std::pair{"target", &e.target},
                            std::pair{"detail", &e.detail}, std::pair{"prev_hash", &e.prev_hash},
                            std::pair{"hash", &e.hash}}) {
    if (auto st = read_string(body, kWhat, key, *field, true); !st) return st.error();
  }
  auto bad = [](std::string_view m) { return make_error(Errc::invalid_argument, std::string(m)); };
  if (e.seq == 0) return bad("seq: must be 1 or more");
  if (!protocol::valid_device_id(e.device)) return bad("device: must be a device id (1-32 of a-z 0-9 -)");
  if (!valid_action(e.action)) return bad("action: must be 1-64 characters of a-z 0-9 _ .");
  const std::pair<const std::string*, std::pair<const char*, std::size_t>> texts[] = {
      {&e.staff_id, {"staff_id", kMaxOpLogStaffIdBytes}},
      {&e.target, {"target", kMaxOpLogTargetBytes}},
      {&e.detail, {"detail", kMaxOpLogDetailBytes}}};
  for (const auto& [value, rule] : texts) {
    if (value->size() > rule.second || check_text(*value, 0, rule.second) != TextProblem::none) {
      return bad(std::string(rule.first) + ": must be at most " + std::to_string(rule.second) +
                 " bytes of UTF-8 without control characters");
    }
  }
  if (!is_hex_digest(e.prev_hash)) return bad("prev_hash: must be 64 lower-case hex digits");
  if (!is_hex_digest(e.hash)) return bad("hash: must be 64 lower-case hex digits");
  return e;
}

}  // namespace madoguchi::domain
