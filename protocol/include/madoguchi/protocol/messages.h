// The messages of the sync protocol and their JSON encoding (docs/protocol.md is the contract).
//
// Every message is one JSON object with "v" (schema version) and "type". Decoding is strict:
// unknown types, wrong versions, missing or mistyped fields, oversized payloads and batches are
// refused with a precise Error and never half-decoded. Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "madoguchi/error.h"

namespace madoguchi::protocol {

inline constexpr int kSchemaVersion = 1;
// Bounds. A message over kMaxMessageBytes is refused before parsing.
inline constexpr std::size_t kMaxMessageBytes = 512 * 1024;
inline constexpr std::size_t kMaxOpsPerBatch = 512;
inline constexpr std::size_t kMaxChangesPerBatch = 512;
inline constexpr std::size_t kMaxRecordsPerChunk = 512;
inline constexpr std::size_t kMaxBodyBytes = 32 * 1024;  // one record's JSON body
inline constexpr std::size_t kMaxKeyBytes = 128;
inline constexpr std::size_t kMaxEntityBytes = 32;
inline constexpr std::size_t kMaxReasonBytes = 512;

// Entity names: 1-32 of [a-z0-9_], starting with a letter ("card", "booking", "resident_delta").
bool valid_entity(std::string_view entity) noexcept;
// Keys: 1-128 bytes of printable ASCII without '/'.
bool valid_key(std::string_view key) noexcept;

enum class OpKind { upsert, remove };
std::string_view op_kind_name(OpKind kind) noexcept;

// One change made at a device. `seq` is the device's own gap-free sequence (1, 2, 3, ...);
// `op_id` is a globally unique id (device identity + seq) kept for tracing.
// `base_version` is the hub version of the record the device saw when it made the change
// (0 = the device believed the record did not exist). See the conflict rule in docs/protocol.md.
struct Op {
  std::uint64_t seq = 0;
  std::string op_id;
  std::string entity;
  std::string key;
  OpKind kind = OpKind::upsert;
  std::uint64_t base_version = 0;
  std::string body;  // compact JSON object text; empty for remove
  std::int64_t at_ms = 0;  // device wall clock when committed (informational only)
  friend bool operator==(const Op&, const Op&) = default;
};

// A record as the hub holds it. `version` is the hub feed sequence of the last change.
struct Record {
  std::string entity;
  std::string key;
  std::string body;  // compact JSON object text; empty when deleted
  bool deleted = false;
  std::uint64_t version = 0;
  std::string origin_device;  // "hub" or a device id of the same municipality
  std::uint64_t origin_seq = 0;
  friend bool operator==(const Record&, const Record&) = default;
};

// device -> hub on the device's up topic.
struct OpBatch {
  std::string municipality;
  std::string device;
  std::vector<Op> ops;  // ascending, gap-free seq
};

// device -> hub: "send me the feed after `since`" (sent on every (re)connect and on a feed gap).
struct SyncRequest {
  std::string municipality;
  std::string device;
  std::uint64_t since = 0;
};

// A rejected operation: it is acknowledged (the stream moves on) but not applied.
struct Rejection {
  std::uint64_t seq = 0;
  Errc code = Errc::conflict;
  std::string reason;             // for staff; never contains personal data
  std::optional<Record> current;  // the hub's record as it is now, if any
};

// hub -> device on its down topic, after the hub committed. Every op with seq <= `upto` is
// settled (applied, or listed in `rejected`). `expect` is the next seq the hub will accept;
// a device that sent beyond it (a gap after a hub restore, say) resends from `expect`.
struct Ack {
  std::string municipality;
  std::string device;
  std::uint64_t upto = 0;
  std::uint64_t expect = 1;
  std::vector<Rejection> rejected;
};

// hub -> devices: changes of the municipality's feed, ascending feed_seq (= record.version).
// On the feed topic for live changes; on a device's down topic for catch-up (`catchup` true).
struct ChangeBatch {
  std::string municipality;
  bool catchup = false;
  std::uint64_t head = 0;  // the hub's latest feed_seq when sent
  std::vector<Record> changes;
};

// hub -> device: a full copy of the municipality's records as of feed_seq `as_of`, sent in parts
// when the device is behind the hub's retained feed. Parts of one snapshot share `snapshot_id`.
struct SnapshotChunk {
  std::string municipality;
  std::uint64_t snapshot_id = 0;
  std::uint64_t as_of = 0;
  std::uint32_t part = 0;   // 0-based
  bool last = false;
  std::vector<Record> records;
};

using Message = std::variant<OpBatch, SyncRequest, Ack, ChangeBatch, SnapshotChunk>;

std::string_view message_type_name(const Message& message) noexcept;

// Encodes a message as compact JSON. Precondition: the message satisfies the bounds above
// (callers build batches within them); violated bounds are a bug, checked by assert.
std::string encode(const Message& message);

// Decodes and validates. Errors: too_large, malformed (not JSON, wrong shape; the message names
// the field), unsupported_version, unknown_type, invalid_argument (bad identity, entity, key).
Expected<Message> decode(std::string_view bytes);

// Checks that a body is a JSON object within kMaxBodyBytes and returns its compact form.
Expected<std::string> canonical_body(std::string_view json_text);

}  // namespace madoguchi::protocol
