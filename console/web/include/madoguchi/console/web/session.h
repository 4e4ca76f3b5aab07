// Server-side sessions of the staff console (ACC-4, ACC-5). The browser holds only a random id in
// a cookie (cookies.h); everything else stays here. A session is bound to the client it was
// created for (ACC-5: the registered terminal, e.g. its client-certificate fingerprint or terminal
// id), so a stolen cookie is useless elsewhere.
//
// Time is a parameter (take it from a Clock), so tests move it with ManualClock. Not thread-safe:
// the console's handlers run on one io_context thread (docs/http.md); guard the store with a mutex
// if several threads run it.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

#include "madoguchi/error.h"

namespace madoguchi::console::web {

using TimePoint = std::chrono::steady_clock::time_point;

// Length of a session id and of a CSRF token: 32 random bytes, base64url without padding.
inline constexpr std::size_t kTokenLength = 43;

struct Session {
  std::string id;              // kTokenLength chars of [A-Za-z0-9_-]; the cookie value
  std::string csrf_token;      // kTokenLength chars; put into every form (csrf.h)
  std::string staff_id;
  std::string client_binding;  // the client the session belongs to (ACC-5)
  TimePoint created;
  TimePoint last_seen;
};

// Every field has a safe default.
struct SessionStoreOptions {
  // At most this many sessions are kept; creating one more evicts the least recently seen.
  std::size_t max_sessions = 1024;
  // A session older than this is refused however active it is, so a session cannot be kept alive
  // forever by a script on an unattended counter PC.
  std::chrono::seconds max_lifetime = std::chrono::hours(12);
};

// 32 random bytes (libsodium randombytes), base64url without padding: kTokenLength characters.
std::string random_token();

class SessionStore {
 public:
  explicit SessionStore(SessionStoreOptions options = {});
  SessionStore(const SessionStore&) = delete;
  SessionStore& operator=(const SessionStore&) = delete;

  // A new session with a fresh random id and CSRF token; created = last_seen = now. The id is
  // never one a client presented, so signing in cannot be fixated: on sign-in, destroy() the
  // session the browser came with (if any) and create() a new one. When the store is full, the
  // least recently seen session is evicted first. Returns a copy (the store keeps its own).
  Session create(std::string staff_id, std::string client_binding, TimePoint now);

  // The live session with this id, compared in constant time (the lookup itself goes through a
  // keyed hash of the id, so its timing says nothing about the id). Refusals, none of which
  // quote the id:
  //   Errc::not_found   no such session (also for ids of the wrong form)
  //   Errc::timeout     idle for idle_timeout or longer, or older than max_lifetime: deleted
  //   Errc::forbidden   bound to another client: deleted, because the cookie has leaked
  // Does not update last_seen (see touch()). The pointer stays valid until the next non-const
  // call on the store.
  Expected<Session*> find(std::string_view id, std::string_view client_binding, TimePoint now,
                          std::chrono::seconds idle_timeout);

  // Marks activity: last_seen = now (never moves backwards). Errc::not_found for an unknown id.
  Status touch(std::string_view id, TimePoint now);

  // Signs one session out. False if there was none.
  bool destroy(std::string_view id);

  // Signs a person out everywhere (account disabled, password changed). Returns how many
  // sessions were removed.
  std::size_t destroy_all_for(std::string_view staff_id);

  // Removes every session idle for idle_timeout or longer or past max_lifetime; returns how many.
  // Call it now and then (find() removes expired sessions it meets, but not the ones never
  // presented again).
  std::size_t remove_expired(TimePoint now, std::chrono::seconds idle_timeout);

  std::size_t size() const { return sessions_.size(); }

 private:
  // Map key: a keyed BLAKE2b hash of the id (key random per store), so lookups by an
  // attacker-chosen id leak no timing about real ids.
  std::string key_of(std::string_view id) const;
  bool expired(const Session& s, TimePoint now, std::chrono::seconds idle_timeout) const;
  void evict_least_recently_seen();

  SessionStoreOptions options_;
  std::string hash_key_;
  std::unordered_map<std::string, Session> sessions_;
};

}  // namespace madoguchi::console::web
