#include "madoguchi/domain/lockout.h"

#include <algorithm>
#include <cassert>

namespace madoguchi::domain {

namespace {
// Longer IDs or client strings share a count with their first 128 bytes: bounds the memory of an
// entry whatever an attacker sends, and real IDs (32 bytes) and addresses (45) are shorter.
constexpr std::size_t kMaxKeyBytes = 128;
}  // namespace

SignInLimits sign_in_limits(const PasswordRules& rules) {
  SignInLimits l;
  l.per_id_threshold = rules.lockout_threshold;
  l.per_client_threshold = 4 * rules.lockout_threshold;
  l.lockout = std::chrono::minutes(rules.lockout_minutes);
  return l;
}

SignInGuard::SignInGuard(SignInLimits limits) : limits_(limits) {
  assert(limits_.max_tracked >= 2 && limits_.per_id_threshold >= 1 && limits_.per_client_threshold >= 1);
}

void SignInGuard::set_limits(SignInLimits limits) {
  std::lock_guard lock(mu_);
  assert(limits.max_tracked >= 2 && limits.per_id_threshold >= 1 && limits.per_client_threshold >= 1);
  limits_ = limits;
  while (entries_.size() > limits_.max_tracked) evict_one(TimePoint::min());
}

std::string SignInGuard::key_of(char kind, std::string_view value) {
  std::string k(1, kind);
  k.append(value.substr(0, kMaxKeyBytes));
  return k;
}

bool SignInGuard::locked(const std::string& key, TimePoint now) const {
  auto it = entries_.find(key);
  return it != entries_.end() && now < it->second.locked_until;
}

Status SignInGuard::check(std::string_view id, std::string_view client, TimePoint now) const {
  std::lock_guard lock(mu_);
  if (locked(key_of('i', id), now)) return make_error(Errc::forbidden, std::string(kSignInRefusedMessage));
  auto it = entries_.find(key_of('c', client));
  if (it != entries_.end() && now < it->second.next_attempt) {
    return make_error(Errc::unavailable, std::string(kSignInSlowedMessage));
  }
  return {};
}

SignInGuard::Entry& SignInGuard::touch(const std::string& key, TimePoint now) {
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    lru_.splice(lru_.end(), lru_, it->second.lru);
    return it->second;
  }
  if (entries_.size() >= limits_.max_tracked) evict_one(now);
  lru_.push_back(key);
  Entry e;
  e.lru = std::prev(lru_.end());
  return entries_.emplace(key, e).first->second;
}

void SignInGuard::evict_one(TimePoint now) {
  if (lru_.empty()) return;
  // The oldest entry that is not locked; only when every entry is locked, the oldest one. So a
  // flood of new keys does not lift the lock on an ID under attack before the flood itself (one
  // client's failures lock that client) has to come from very many addresses.
  auto victim = lru_.begin();
  for (auto it = lru_.begin(); it != lru_.end(); ++it) {
    if (!(now < entries_.at(*it).locked_until)) {
      victim = it;
      break;
    }
  }
  entries_.erase(*victim);
  lru_.erase(victim);
}

bool SignInGuard::count_failure(const std::string& key, int threshold, TimePoint now) {
  Entry& e = touch(key, now);
  if (now < e.locked_until) return false;
  if (e.failures > 0 && now - e.last_failure >= limits_.lockout) e.failures = 0;
  ++e.failures;
  e.last_failure = now;
  if (e.failures >= threshold) {
    e.failures = 0;
    e.locked_until = now + limits_.lockout;
    return true;
  }
  return false;
}

void SignInGuard::count_client_failure(const std::string& key, TimePoint now) {
  Entry& e = touch(key, now);
  if (e.failures > 0 && now - e.last_failure >= limits_.lockout) e.failures = 0;
  ++e.failures;
  e.last_failure = now;
  if (e.failures < limits_.per_client_threshold) return;
  // 1 s for the first failure past the threshold, doubling, up to max_client_delay.
  const int doublings = std::min(e.failures - limits_.per_client_threshold, 20);
  const auto delay = std::min<std::chrono::seconds>(std::chrono::seconds(std::int64_t{1} << doublings), limits_.max_client_delay);
  e.next_attempt = now + delay;
}

bool SignInGuard::record_failure(std::string_view id, std::string_view client, TimePoint now) {
  std::lock_guard lock(mu_);
  const bool id_locked = count_failure(key_of('i', id), limits_.per_id_threshold, now);
  count_client_failure(key_of('c', client), now);
  return id_locked;
}

void SignInGuard::record_success(std::string_view id, std::string_view /*client*/) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key_of('i', id));
  if (it == entries_.end()) return;
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

std::optional<SignInGuard::TimePoint> SignInGuard::locked_until(std::string_view id, std::string_view client,
                                                                TimePoint now) const {
  std::lock_guard lock(mu_);
  std::optional<TimePoint> out;
  (void)client;
  auto it = entries_.find(key_of('i', id));
  if (it != entries_.end() && now < it->second.locked_until) out = it->second.locked_until;
  return out;
}

std::size_t SignInGuard::tracked() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace madoguchi::domain
