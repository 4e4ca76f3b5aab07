// Sign-in failure tracking (ACC-4, SEC-3): locks a staff ID after repeated wrong passwords, and
// slows a client (its IP address) down after repeated failures on any IDs, so neither guessing
// one account's password nor spraying one password over many IDs gets far. A client is never
// locked: a city hall's counters share one address behind its NAT, and one guesser there must not
// lock the whole office out (issue 11). Past the per-client threshold every further failure makes
// that address wait before its next attempt: 1 s, 2 s, 4 s, ... up to max_client_delay.
//
// The guard is in memory, per process: a restart forgets it, and an edge and the hub count
// separately (sign-in failures are not records; they would flood the sync). Times are parameters
// (Clock::now() of the caller; tests use ManualClock), so the guard has no clock of its own.
//
// Intended use by the sign-in handler, which must answer every refusal with the same
// kSignInRefusedMessage so that nobody learns whether the ID exists, the password was wrong, the
// account is disabled or locked:
//   if (!guard.check(id, ip, clock.now())) refuse;                 // locked or slowed: do not even verify
//   account = find(id); ok = verify_password(account ? account->password_hash : kDummyPasswordHash, pw)
//                           && account->enabled;
//   ok ? guard.record_success(id, ip) : guard.record_failure(id, ip, clock.now());
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "madoguchi/domain/password.h"
#include "madoguchi/error.h"

namespace madoguchi::domain {

// The one message of every refused sign-in (Errc::forbidden). The web layer shows its translation.
inline constexpr std::string_view kSignInRefusedMessage =
    "sign-in refused: the ID or the password is wrong, or sign-in is locked for a while";
// The message of a client slowed down (Errc::unavailable): it names no ID.
inline constexpr std::string_view kSignInSlowedMessage =
    "sign-in slowed down: too many failures from this address; wait a few seconds before the next attempt";

struct SignInLimits {
  int per_id_threshold = 5;        // failures of one ID that lock it (PasswordRules::lockout_threshold)
  int per_client_threshold = 20;   // failures from one client, on any IDs, before it is slowed down
  std::chrono::minutes lockout{15};  // how long a lock lasts, and how long a failure is remembered
  std::chrono::seconds max_client_delay{30};  // the longest wait of a slowed client between attempts
  std::size_t max_tracked = 10'000;  // IDs and clients tracked together; about 300 bytes each
};

// per_id_threshold = lockout_threshold, lockout = lockout_minutes, and the per-client threshold
// 4 × lockout_threshold (several staff share a counter PC's address and mistype now and then).
SignInLimits sign_in_limits(const PasswordRules& rules);

// Thread-safe (one internal mutex); not copyable.
class SignInGuard {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit SignInGuard(SignInLimits limits = {});
  SignInGuard(const SignInGuard&) = delete;
  SignInGuard& operator=(const SignInGuard&) = delete;

  // New limits (the settings changed). Existing counts and locks are kept.
  void set_limits(SignInLimits limits);

  // OK; Errc::forbidden with kSignInRefusedMessage while the ID is locked; Errc::unavailable with
  // kSignInSlowedMessage while the client must wait before its next attempt.
  Status check(std::string_view id, std::string_view client, TimePoint now) const;

  // Counts one failed sign-in against the ID and against the client. A failure is remembered for
  // `lockout`: a count whose last failure is older starts again from zero. Reaching the per-ID
  // threshold locks the ID until now + lockout, and its count starts again from zero. Reaching the
  // per-client threshold slows the client down (see above) for as long as its failures go on.
  // Failures while locked are not counted (check() refuses before a password is verified).
  // Returns true when this failure locked the ID (the caller writes an operation log entry).
  bool record_failure(std::string_view id, std::string_view client, TimePoint now);

  // Forgets the ID's failures. The client's count is kept: one valid account must not let a
  // client reset its count between guesses at other IDs.
  void record_success(std::string_view id, std::string_view client);

  // When the lock on the ID ends, if it is locked at `now` (a client is never locked).
  std::optional<TimePoint> locked_until(std::string_view id, std::string_view client, TimePoint now) const;

  // IDs and clients tracked now (at most max_tracked).
  std::size_t tracked() const;

 private:
  struct Entry {
    int failures = 0;
    TimePoint last_failure{};
    TimePoint locked_until{};
    TimePoint next_attempt{};  // a slowed client: no attempt before this
    std::list<std::string>::iterator lru;
  };
  static std::string key_of(char kind, std::string_view value);
  bool locked(const std::string& key, TimePoint now) const;
  bool count_failure(const std::string& key, int threshold, TimePoint now);
  void count_client_failure(const std::string& key, TimePoint now);
  Entry& touch(const std::string& key, TimePoint now);
  void evict_one(TimePoint now);

  mutable std::mutex mu_;
  SignInLimits limits_;
  std::map<std::string, Entry> entries_;  // ordered map: attacker-chosen keys cannot degrade it
  std::list<std::string> lru_;            // least recently touched first
};

}  // namespace madoguchi::domain
