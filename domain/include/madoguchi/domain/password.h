// Passwords of staff accounts (ACC-1, ACC-4): configurable rules, argon2id hashing, verification.
//
// Hashing: argon2id through libsodium (crypto_pwhash_argon2id_str) at OPSLIMIT_INTERACTIVE (t=2
// passes) and MEMLIMIT_INTERACTIVE (64 MiB), which is about 70 ms and 64 MiB per sign-in on a
// counter PC. Why this cost: an offline attacker holding a copy of the staff records (every edge
// replicates them, so a stolen counter PC holds them) must pay 64 MiB and two passes per guess,
// which defeats GPU guessing of 12-character passwords; staff sign in a few times a day, so 70 ms
// is unnoticed, and 64 MiB fits the smallest counter PC. A burst of sign-ins is bounded by the
// SignInGuard (lockout.h) and the web layer's rate limit, not by a cheaper hash. `fast_for_tests`
// uses OPSLIMIT_MIN / MEMLIMIT_MIN (t=1, 8 KiB) so test suites stay fast; it must never be used in a
// running product, and needs_rehash() reports such hashes for upgrade at the next sign-in.
//
// The hash string ("$argon2id$v=19$m=65536,t=2,p=1$<salt>$<hash>") carries its own salt and cost,
// so hashes made with other costs keep verifying. libsodium is initialised once, on first use,
// thread-safely (sodium_init under a function-local static). Every function here is thread-safe.
//
// Setting: PasswordRules is part of Settings (settings.h), stored under "password" in the
// "setting"/"system" record; its JSON is documented at password_rules_to_json.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "madoguchi/error.h"

namespace madoguchi::domain {

// Passwords are at most this many bytes of UTF-8 (about 42 Japanese characters): bounds the hashing
// work an attacker can ask for and keeps form fields small.
inline constexpr std::size_t kMaxPasswordBytes = 128;

// Every field has a documented default; validate_password_rules() states the allowed ranges.
struct PasswordRules {
  int min_length = 12;          // code points, 8-64
  bool require_upper = true;    // A-Z
  bool require_lower = true;    // a-z
  bool require_digit = true;    // 0-9
  bool require_symbol = false;  // any character that is not an ASCII letter or digit (a space, !,
                                // a kana or kanji); off by default: counter PCs use varied keyboards
  int max_age_days = 0;         // 0 = passwords never expire; else 1-3650
  int history = 0;              // a new password may not equal any of the last N (0-24)
  int lockout_threshold = 5;    // failed sign-ins of one ID before it is locked, 1-100
  int lockout_minutes = 15;     // how long the lock lasts, 1-1440
};

// Errors: invalid_argument "<field>: must be lo-hi".
Status validate_password_rules(const PasswordRules& rules);

// {"history":0,"lockout_minutes":15,"lockout_threshold":5,"max_age_days":0,"min_length":12,
//  "require_digit":true,"require_lower":true,"require_symbol":false,"require_upper":true}
nlohmann::json password_rules_to_json(const PasswordRules& rules);
// Missing keys keep their default; unknown keys are refused (malformed); the result is validated.
Expected<PasswordRules> password_rules_from_json(const nlohmann::json& j);

// What is wrong with a password, one entry per unmet rule, in this order.
enum class PasswordProblem {
  invalid_text,    // not valid UTF-8, or contains control characters
  too_long,        // over kMaxPasswordBytes bytes
  too_short,       // fewer than min_length code points
  contains_id,     // contains the staff id (ASCII case-insensitive)
  missing_upper,
  missing_lower,
  missing_digit,
  missing_symbol,
};
std::vector<PasswordProblem> password_problems(const PasswordRules& rules, std::string_view password,
                                               std::string_view staff_id);

// OK when password_problems() is empty; otherwise invalid_argument with the message
// "password: <reason>; <reason>" in English (never containing the password).
Status check_password(const PasswordRules& rules, std::string_view password, std::string_view staff_id);

// An argon2id hash string (header: cost). Errors: invalid_argument (over kMaxPasswordBytes),
// crypto (libsodium could not initialise, or could not get the memory).
Expected<std::string> hash_password(std::string_view password, bool fast_for_tests = false);

// True when `hash` is an argon2id hash string of `password`. False for anything else: a wrong
// password, a malformed hash, a password over kMaxPasswordBytes, a hash of another algorithm, or a
// hash demanding more than 256 MiB or 16 passes (a forged record must not exhaust the counter PC).
bool verify_password(std::string_view hash, std::string_view password);

// True when `hash` should be replaced, after a successful verify, by hash_password(password,
// fast_for_tests): it is not argon2id, or its cost differs from the one hash_password uses.
bool needs_rehash(std::string_view hash, bool fast_for_tests = false);

// True when `hash` has the shape of an argon2id hash string within the cost bounds above (does not
// verify anything). Used to check staff records.
bool is_password_hash(std::string_view hash) noexcept;

// Password keys (issue 11 hole 4, SEC-2). A counter PC holds every staff record (hashes included)
// so staff can sign in offline; anything the hub could check against the hash, a compromised
// counter PC could therefore forge. A password key is the public half of an Ed25519 key pair whose
// seed is argon2id(password) with a salt and cost of its own:
//   "$ed25519$m=<KiB>,t=<passes>$<salt>$<public key>"   (salt 16 bytes, key 32, base64url, no padding)
// The staff record keeps it beside the hash. Whoever types the password can sign with the private
// half; whoever holds only records can verify but not sign. A counter proves that a password change
// was made by someone who knew the current password by signing the change (staff.h,
// prove_password_change); the hub checks the signature (write_policy.h) with no argon2id work.
// Costs as hash_password (the same bounds as verify_password for keys read from records).
Expected<std::string> make_password_key(std::string_view password, bool fast_for_tests = false);
bool is_password_key(std::string_view key) noexcept;
// The detached signature (base64url, 64 bytes) of `message` by the key pair `password` gives under
// the salt and cost of `key`. Errors: invalid_argument when `key` is malformed or `password` does
// not give `key` (a wrong password); crypto.
Expected<std::string> sign_with_password(std::string_view key, std::string_view password, std::string_view message);
// True when `signature` is a valid signature of `message` by `key`'s public key.
bool verify_password_signature(std::string_view key, std::string_view message, std::string_view signature) noexcept;

// An argon2id hash (interactive cost) of a random password nobody knows. Sign-in verifies against it
// when the ID does not exist, so an unknown ID takes as long as a wrong password.
inline constexpr std::string_view kDummyPasswordHash =
    "$argon2id$v=19$m=65536,t=2,p=1$Qv0mVp1wWOuy5J2s+GjUsA$5lmb6mKug5nO3NFbMt8jLUbj5QuN0fKBVOoVEjTg2UU";

}  // namespace madoguchi::domain
