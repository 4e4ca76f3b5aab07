// Record bodies of the staff console. Every console object replicates as a record (entity, key,
// JSON body; docs/protocol.md "Record"), like cards and bookings do:
//
//   entity    key                               body                      header
//   role      the role id                       Role                      permissions.h
//   staff     the staff id                      StaffAccount (no password) staff.h
//   setting   "system" (one record)             Settings                  settings.h
//   oplog     "<device>:<seq, 12 digits>"       OpLogEntry                oplog.h
//   card      the manufacture number            Card                      card.h
//   jlis_code the J-LIS code key ('/' -> ':')   ImportedCode              card_import.h
//   counter   the counter id                    CounterMaster             counter_master.h
//   slot      "<counter>:<YYYY-MM-DD>T<HH:MM>"  Slot                      slots.h
//   booking   the receipt number                Booking                   booking.h
//   notice    the notice id                     Notice                    notice.h
//
// Each body also carries its own key fields (a role body has "id"), so a body can be checked on
// its own; a caller reading a record must check that the key computed from the decoded body
// (role_key, staff_key, oplog_key; kSettingsKey) equals the record's key, and refuse it if not.
//
// Decoders share one policy: a body that is not an object, a field of the wrong type, or a missing
// required field is Errc::malformed; a value outside its rule is Errc::invalid_argument with a
// message "<field>: <reason>" in English (the web layer translates by field). Unknown keys are
// ignored for role and staff (as protocol decoders do, so a newer writer does not break an older
// reader) and refused for setting (a mistyped setting must not silently do nothing) and oplog
// (every stored byte of a log entry must be covered by its hash).
#pragma once

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

#include "madoguchi/error.h"

namespace madoguchi::domain {

// The bound of a record body, compact-serialised (docs/protocol.md "body").
inline constexpr std::size_t kMaxBodyBytes = 32 * 1024;

// Parses a stored body (ViewRecord::body). Errors: too_large (over kMaxBodyBytes), malformed (not
// JSON, not an object). Never throws.
Expected<nlohmann::json> parse_body(std::string_view text);

// Compact serialisation of a body, as written into a record. Invalid UTF-8 in strings (only
// possible for values that skipped validation) is replaced by U+FFFD rather than throwing.
std::string dump_body(const nlohmann::json& body);

}  // namespace madoguchi::domain
