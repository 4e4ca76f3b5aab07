#include "madoguchi/console/web/session.h"

#include <sodium.h>

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <iterator>
#include <utility>

#include "sodium_init.h"

namespace madoguchi::console::web {

namespace detail {

void ensure_sodium() {
  if (sodium_init() < 0) std::abort();
}

}  // namespace detail

namespace {

constexpr std::size_t kTokenBytes = 32;
constexpr std::size_t kKeyHashBytes = 16;
static_assert(sodium_base64_ENCODED_LEN(kTokenBytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING) ==
              kTokenLength + 1);

// The form every id we hand out has; anything else cannot be a session and is refused before any
// lookup. The check's timing depends only on the presented string, never on stored ids.
bool well_formed_id(std::string_view id) {
  return id.size() == kTokenLength && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
         });
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  // Lengths are public (every id and token has kTokenLength characters).
  return a.size() == b.size() && (a.empty() || sodium_memcmp(a.data(), b.data(), a.size()) == 0);
}

}  // namespace

std::string random_token() {
  detail::ensure_sodium();
  unsigned char bytes[kTokenBytes];
  randombytes_buf(bytes, sizeof bytes);
  char text[kTokenLength + 1];
  sodium_bin2base64(text, sizeof text, bytes, sizeof bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(bytes, sizeof bytes);
  std::string token(text, kTokenLength);
  sodium_memzero(text, sizeof text);
  return token;
}

SessionStore::SessionStore(SessionStoreOptions options) : options_(options) {
  assert(options_.max_sessions >= 1);
  detail::ensure_sodium();
  hash_key_.resize(crypto_generichash_KEYBYTES);
  randombytes_buf(hash_key_.data(), hash_key_.size());
}

std::string SessionStore::key_of(std::string_view id) const {
  std::string key(kKeyHashBytes, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(key.data()), key.size(),
                     reinterpret_cast<const unsigned char*>(id.data()), id.size(),
                     reinterpret_cast<const unsigned char*>(hash_key_.data()), hash_key_.size());
  return key;
}

bool SessionStore::expired(const Session& s, TimePoint now, std::chrono::seconds idle_timeout) const {
  return now - s.last_seen >= idle_timeout || now - s.created >= options_.max_lifetime;
}

void SessionStore::evict_least_recently_seen() {
  // Linear, but only when the store is full, and the store is small (max_sessions).
  const auto oldest = std::min_element(sessions_.begin(), sessions_.end(), [](const auto& a, const auto& b) {
    return a.second.last_seen < b.second.last_seen;
  });
  if (oldest != sessions_.end()) sessions_.erase(oldest);
}

Session SessionStore::create(std::string staff_id, std::string client_binding, TimePoint now) {
  while (sessions_.size() >= options_.max_sessions) evict_least_recently_seen();
  Session s;
  std::string key;
  do {  // a collision of 256 random bits does not happen; the loop only states the invariant
    s.id = random_token();
    key = key_of(s.id);
  } while (sessions_.count(key) != 0);
  s.csrf_token = random_token();
  s.staff_id = std::move(staff_id);
  s.client_binding = std::move(client_binding);
  s.created = now;
  s.last_seen = now;
  sessions_.emplace(std::move(key), s);
  return s;
}

Expected<Session*> SessionStore::find(std::string_view id, std::string_view client_binding,
                                      TimePoint now, std::chrono::seconds idle_timeout) {
  if (!well_formed_id(id)) return make_error(Errc::not_found, "no such session");
  const auto it = sessions_.find(key_of(id));
  if (it == sessions_.end() || !equal_constant_time(it->second.id, id)) {
    return make_error(Errc::not_found, "no such session");
  }
  if (expired(it->second, now, idle_timeout)) {
    sessions_.erase(it);
    return make_error(Errc::timeout, "session expired");
  }
  if (!equal_constant_time(it->second.client_binding, client_binding)) {
    sessions_.erase(it);
    return make_error(Errc::forbidden, "session belongs to another client");
  }
  return &it->second;
}

Status SessionStore::touch(std::string_view id, TimePoint now) {
  if (!well_formed_id(id)) return make_error(Errc::not_found, "no such session");
  const auto it = sessions_.find(key_of(id));
  if (it == sessions_.end() || !equal_constant_time(it->second.id, id)) {
    return make_error(Errc::not_found, "no such session");
  }
  it->second.last_seen = std::max(it->second.last_seen, now);
  return {};
}

bool SessionStore::destroy(std::string_view id) {
  if (!well_formed_id(id)) return false;
  const auto it = sessions_.find(key_of(id));
  if (it == sessions_.end() || !equal_constant_time(it->second.id, id)) return false;
  sessions_.erase(it);
  return true;
}

std::size_t SessionStore::destroy_all_for(std::string_view staff_id) {
  return std::erase_if(sessions_, [&](const auto& entry) { return entry.second.staff_id == staff_id; });
}

std::size_t SessionStore::remove_expired(TimePoint now, std::chrono::seconds idle_timeout) {
  return std::erase_if(sessions_, [&](const auto& entry) { return expired(entry.second, now, idle_timeout); });
}

}  // namespace madoguchi::console::web
