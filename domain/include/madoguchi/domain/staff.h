// Staff accounts of the console (ACC-1, ACC-4): one per staff member or contractor.
//
// Record: entity "staff" (kStaffEntity), key = StaffAccount::id. Body (never a password; the
// argon2id hash strings replicate so that a counter can sign staff in while offline, EDGE-3):
//   {"enabled":true,"id":"tanaka01","must_change_password":false,"name":"田中 花子",
//    "password_changed_ms":1767225600000,"password_hash":"$argon2id$v=19$m=65536,t=2,p=1$...",
//    "password_key":"$ed25519$m=65536,t=2$...","previous_hashes":[],"role_id":"counter_clerk"}
// "previous_hashes" may be absent (empty). "password_key" (password.h) is absent on accounts whose
// password was last set before keys existed; such a password can be changed only at the hub.
// "password_proof" is present on a change made at a counter PC (prove_password_change). Staff ids are case-sensitive, like record keys.
//
// Validation errors are Errc::invalid_argument with "<field>: <reason>" in English, the field being
// the JSON key ("id", "name", "role_id", ...); the web layer translates by field.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "madoguchi/domain/password.h"
#include "madoguchi/error.h"

namespace madoguchi::domain {

inline constexpr std::string_view kStaffEntity = "staff";
inline constexpr std::size_t kMaxStaffIdBytes = 32;
inline constexpr std::size_t kMaxStaffNameChars = 64;
inline constexpr std::size_t kMaxPasswordHistory = 24;

struct StaffAccount {
  std::string id;             // 1-32 of [A-Za-z0-9._-], first a letter or digit
  std::string name;           // 1-64 characters of UTF-8, no control characters
  std::string role_id;        // a Role::id; a dangling id grants no menu (find_role gives nullptr)
  std::string password_hash;  // argon2id hash string (password.h)
  bool enabled = true;        // a disabled account cannot sign in
  std::int64_t password_changed_ms = 0;  // wall-clock ms of the last password change
  bool must_change_password = true;      // set for initial and reset passwords
  std::vector<std::string> previous_hashes;  // older hashes, newest first (PasswordRules::history)
  std::string password_key;    // the public key of the password (password.h), empty on old records
  std::string password_proof;  // a counter's signature of this change by the previous password's key
};

// Why the first character must be a letter or digit (stricter than the character set): an id
// starting with '-' or '.' is read as a formula or a number by spreadsheets opening the staff CSV.
Status validate_staff_id(std::string_view id);
Status validate_staff_name(std::string_view name);
// Every field: id, name, role_id (syntax of a role id), password_hash and previous_hashes (argon2id
// hash strings, at most kMaxPasswordHistory).
Status validate_staff(const StaffAccount& account);

std::string staff_key(const StaffAccount& account);
nlohmann::json staff_to_json(const StaffAccount& account);
// Errors as in record_body.h; the result is validated.
Expected<StaffAccount> staff_from_json(const nlohmann::json& body);

// A record body as the local APIs show it: a staff record without its password hashes
// (password_hash, previous_hashes) and keys (password_key, password_proof), which no tool needs
// and a reader could guess passwords against offline.
// Other entities unchanged.
void strip_secrets(std::string_view entity, nlohmann::json& body);

// True when rules.max_age_days > 0 and the password is at least that old at now_ms.
bool password_expired(const StaffAccount& account, const PasswordRules& rules, std::int64_t now_ms) noexcept;
// After a successful sign-in, the account may only change its password (ACC-4) while this is true.
bool password_change_required(const StaffAccount& account, const PasswordRules& rules, std::int64_t now_ms) noexcept;

// Sets a new password: checks it against the rules and the account's id, refuses one equal to any
// of the last rules.history passwords (the current one included; one verify each, so up to 24 hash
// computations), then hashes it, keeps the old hash in previous_hashes (at most history - 1) and
// sets password_changed_ms = now_ms and must_change_password = must_change (true for a reset by
// an administrator, false when staff change their own), a new password_key and no password_proof.
// On error the account is unchanged.
// Errors: invalid_argument "password: ...", crypto.
Status set_password(StaffAccount& account, const PasswordRules& rules, std::string_view new_password,
                    std::int64_t now_ms, bool must_change, bool fast_for_tests = false);

// A password change made at a counter PC (issue 11 hole 4): `after` is `before` after set_password.
// Signs, with the key `current_password` gives under before.password_key, the message binding the
// account id, the hash it replaces and the new hash and key, so the signature proves knowledge of
// the current password, cannot be moved to another account and cannot be replayed once the
// password changed again. Sets after.password_proof.
// Errors: forbidden when `before` has no password_key (a password set before keys existed: change
// it at the hub), invalid_argument when current_password does not match it, crypto.
Status prove_password_change(const StaffAccount& before, std::string_view current_password, StaffAccount& after);
// Errc::forbidden unless after.password_proof is a valid signature of the change from `before`
// to `after` by before.password_key, and after carries a well-formed password_key.
Status verify_password_change(const StaffAccount& before, const StaffAccount& after);

}  // namespace madoguchi::domain
