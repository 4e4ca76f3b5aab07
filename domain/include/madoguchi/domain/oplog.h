// The operation log (SYS-3): who (staff ID), when, what, made tamper-evident by a hash chain.
//
// Each device keeps its OWN chain: an edge appends entries while offline, and they reach the hub
// later as ordinary records, so no chain ever needs entries from two places in order. A writer
// with its own chain needs its own device name: the edge's device id, and for each hub instance a
// name of its own ("hub-1", "hub-2"), always a valid device id (protocol/topics.h).
//
// Record: entity "oplog" (kOpLogEntity), key "<device>:<seq zero-padded to 12 digits>"
// (oplog_key), e.g. "counter-01:000000000042", so keys of one device sort in seq order. Body:
//   {"action":"staff.update","at_ms":1767225600000,"detail":"role counter_clerk -> administrator",
//    "device":"counter-01","hash":"<64 hex>","prev_hash":"<64 hex>","seq":42,"staff_id":"tanaka01",
//    "target":"staff/suzuki02"}
// Every key is required and unknown keys are refused: every stored byte is covered by the hash.
//
// Canonical serialisation, the input of the hash (version 1). Nine items, in this order:
//   1. the tag "madoguchi.oplog.v1"
//   2. seq    as decimal ASCII digits without leading zeros ("42")
//   3. device
//   4. staff_id
//   5. at_ms  as decimal ASCII digits, with a leading '-' when negative
//   6. action
//   7. target
//   8. detail
//   9. prev_hash (64 lower-case hex digits)
// Each item is written as its length in bytes (4-byte big-endian unsigned) followed by its bytes
// (UTF-8 as stored, no normalisation). hash = lower-case hex of SHA-256 of that input. The first
// entry of a chain (seq 1) has prev_hash = 64 zeros; each later entry has seq = previous seq + 1 and
// prev_hash = the previous entry's hash. Changing this format needs a new tag ("...v2").
//
// What the chain shows: a changed field (the entry's hash no longer matches), a removed or inserted
// entry (a seq gap, or a prev_hash that does not match), entries out of order. What it cannot show
// on its own: entries cut off at the END of a chain; compare the last seq with the device's count
// known elsewhere (the hub's records, the device's status) for that. The hash is not a signature:
// someone able to rewrite a whole chain from the changed entry on can make it consistent again;
// the copies at the hub and the edges make that visible.
//
// detail must not contain personal data (names, addresses, card numbers): ids and field names only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "madoguchi/error.h"

namespace madoguchi::domain {

inline constexpr std::string_view kOpLogEntity = "oplog";
inline constexpr std::string_view kZeroHash = "0000000000000000000000000000000000000000000000000000000000000000";
inline constexpr std::size_t kMaxOpLogStaffIdBytes = 64;
inline constexpr std::size_t kMaxOpLogActionBytes = 64;
inline constexpr std::size_t kMaxOpLogTargetBytes = 256;
inline constexpr std::size_t kMaxOpLogDetailBytes = 1024;

struct OpLogEntry {
  std::uint64_t seq = 0;  // 1, 2, 3 ... per device
  std::string device;     // the device whose chain this is
  std::string staff_id;   // who; empty for actions of the system itself
  std::int64_t at_ms = 0; // when: wall-clock ms (Clock::wall_ms); may step back after a clock fix
  std::string action;     // what: 1-64 of [a-z0-9_.], e.g. "sign_in", "sign_in.locked", "staff.update"
  std::string target;     // on what, e.g. "staff/suzuki02"; may be empty
  std::string detail;     // more, without personal data; may be empty
  std::string prev_hash;  // 64 lower-case hex digits
  std::string hash;       // 64 lower-case hex digits
};

// True for 1-64 of [a-z0-9_.].
bool valid_action(std::string_view action) noexcept;

// The next entry of a chain: seq = previous->seq + 1 and prev_hash = previous->hash, or seq 1 and
// kZeroHash when previous is null; hash computed. So that logging an action never fails, staff_id,
// target and detail are made storable: invalid UTF-8 becomes U+FFFD, control characters a space,
// and each is cut at a character boundary to its bound (kMaxOpLog*Bytes).
// Preconditions (broken ones abort): device is a valid device id, action is valid_action(),
// previous (when given) is of the same device.
OpLogEntry make_entry(const OpLogEntry* previous, std::string_view device, std::string_view staff_id,
                      std::int64_t at_ms, std::string_view action, std::string_view target, std::string_view detail);

// The canonical serialisation (header) and its hash, from every field but `hash`.
std::string canonical_bytes(const OpLogEntry& entry);
std::string compute_hash(const OpLogEntry& entry);

struct ChainReport {
  bool intact = true;
  std::uint64_t entries = 0;                  // entries verified good (all of them when intact)
  std::optional<std::uint64_t> first_bad_seq; // seq field of the first entry where the chain breaks
  std::string problem;                        // English, for the screen and the log; empty when intact
};

// The entry just before a range, for verifying a chain page by page.
struct ChainAnchor {
  std::uint64_t seq = 0;
  std::string hash;
};

// Verifies the entries of ONE device, in seq order, from seq 1 (an empty vector is intact). Stops at
// the first break. Note the first bad entry may be the one after a changed entry, when the changed
// entry's hash was recomputed.
ChainReport verify_chain(const std::vector<OpLogEntry>& entries);
// Verifies entries that continue after `anchor` (an entry already verified).
ChainReport verify_chain(const std::vector<OpLogEntry>& entries, const ChainAnchor& anchor);

std::string oplog_key(std::string_view device, std::uint64_t seq);
std::string oplog_key(const OpLogEntry& entry);
nlohmann::json oplog_to_json(const OpLogEntry& entry);
// Errors as in record_body.h. Checks the shape of every field (device id, action, bounds, UTF-8,
// hex digests); does not check the hash itself (verify_chain does).
Expected<OpLogEntry> oplog_from_json(const nlohmann::json& body);

}  // namespace madoguchi::domain
