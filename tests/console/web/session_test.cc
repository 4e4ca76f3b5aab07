#include "madoguchi/console/web/session.h"

#include <chrono>
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "madoguchi/transport.h"

namespace web = madoguchi::console::web;
using madoguchi::Errc;
using madoguchi::ManualClock;
using namespace std::chrono_literals;

namespace {

constexpr std::chrono::seconds kIdle = 30min;

bool url_safe(const std::string& s) {
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("A session expires after the idle timeout and is deleted") {
  ManualClock clock;
  web::SessionStore store;
  const web::Session s = store.create("staff-1", "terminal-A", clock.now());

  clock.advance(29min);
  auto found = store.find(s.id, "terminal-A", clock.now(), kIdle);
  REQUIRE(found.ok());
  CHECK((*found)->staff_id == "staff-1");
  CHECK((*found)->csrf_token == s.csrf_token);
  REQUIRE(store.touch(s.id, clock.now()).ok());

  clock.advance(29min);  // 58 min after creation, 29 min after the last activity
  REQUIRE(store.find(s.id, "terminal-A", clock.now(), kIdle).ok());

  clock.advance(1min);  // 30 min idle
  auto expired = store.find(s.id, "terminal-A", clock.now(), kIdle);
  REQUIRE_FALSE(expired.ok());
  CHECK(expired.error().code == Errc::timeout);
  CHECK(store.size() == 0);
  auto again = store.find(s.id, "terminal-A", clock.now(), kIdle);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == Errc::not_found);
}

TEST_CASE("A session is refused after its maximum lifetime however active it is") {
  ManualClock clock;
  web::SessionStore store({.max_sessions = 16, .max_lifetime = 8h});
  const web::Session s = store.create("staff-1", "terminal-A", clock.now());
  for (int i = 0; i < 31; ++i) {
    clock.advance(15min);
    REQUIRE(store.find(s.id, "terminal-A", clock.now(), kIdle).ok());
    REQUIRE(store.touch(s.id, clock.now()).ok());
  }
  clock.advance(15min);  // 8 h
  auto found = store.find(s.id, "terminal-A", clock.now(), kIdle);
  REQUIRE_FALSE(found.ok());
  CHECK(found.error().code == Errc::timeout);
}

TEST_CASE("A session presented by another client is refused and deleted") {
  ManualClock clock;
  web::SessionStore store;
  const web::Session s = store.create("staff-1", "terminal-A", clock.now());
  auto elsewhere = store.find(s.id, "terminal-B", clock.now(), kIdle);
  REQUIRE_FALSE(elsewhere.ok());
  CHECK(elsewhere.error().code == Errc::forbidden);
  CHECK(elsewhere.error().message.find(s.id) == std::string::npos);
  // The cookie has leaked: the session is gone for its owner too.
  auto owner = store.find(s.id, "terminal-A", clock.now(), kIdle);
  REQUIRE_FALSE(owner.ok());
  CHECK(owner.error().code == Errc::not_found);
}

TEST_CASE("Session ids and CSRF tokens are unique, long and URL-safe") {
  ManualClock clock;
  web::SessionStore store({.max_sessions = 4096});
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    const web::Session s = store.create("staff", "terminal", clock.now());
    CHECK(s.id.size() == web::kTokenLength);
    CHECK(s.csrf_token.size() == web::kTokenLength);
    CHECK(url_safe(s.id));
    CHECK(url_safe(s.csrf_token));
    CHECK(seen.insert(s.id).second);
    CHECK(seen.insert(s.csrf_token).second);
  }
  CHECK(store.size() == 2000);
  CHECK(web::kTokenLength == 43);  // 256 bits
}

TEST_CASE("destroy_all_for signs a person out of every session") {
  ManualClock clock;
  web::SessionStore store;
  const auto a1 = store.create("staff-A", "terminal-1", clock.now());
  const auto a2 = store.create("staff-A", "terminal-2", clock.now());
  const auto a3 = store.create("staff-A", "terminal-3", clock.now());
  const auto b = store.create("staff-B", "terminal-1", clock.now());

  CHECK(store.destroy_all_for("staff-A") == 3);
  CHECK_FALSE(store.find(a1.id, "terminal-1", clock.now(), kIdle).ok());
  CHECK_FALSE(store.find(a2.id, "terminal-2", clock.now(), kIdle).ok());
  CHECK_FALSE(store.find(a3.id, "terminal-3", clock.now(), kIdle).ok());
  CHECK(store.find(b.id, "terminal-1", clock.now(), kIdle).ok());
  CHECK(store.destroy_all_for("staff-A") == 0);
}

TEST_CASE("Signing in again gives a new id and the old one stops working") {
  ManualClock clock;
  web::SessionStore store;
  const auto before = store.create("staff-1", "terminal-A", clock.now());
  // Sign-in: destroy what the browser came with, create a fresh one.
  CHECK(store.destroy(before.id));
  const auto after = store.create("staff-1", "terminal-A", clock.now());
  CHECK(after.id != before.id);
  CHECK(after.csrf_token != before.csrf_token);
  CHECK_FALSE(store.find(before.id, "terminal-A", clock.now(), kIdle).ok());
  CHECK(store.find(after.id, "terminal-A", clock.now(), kIdle).ok());
  CHECK_FALSE(store.destroy(before.id));
}

TEST_CASE("The store is bounded and evicts the least recently seen session") {
  ManualClock clock;
  web::SessionStore store({.max_sessions = 3});
  const auto s1 = store.create("1", "t", clock.now());
  clock.advance(1s);
  const auto s2 = store.create("2", "t", clock.now());
  clock.advance(1s);
  const auto s3 = store.create("3", "t", clock.now());
  clock.advance(1s);
  REQUIRE(store.touch(s1.id, clock.now()).ok());
  clock.advance(1s);
  const auto s4 = store.create("4", "t", clock.now());

  CHECK(store.size() == 3);
  CHECK(store.find(s1.id, "t", clock.now(), kIdle).ok());
  CHECK_FALSE(store.find(s2.id, "t", clock.now(), kIdle).ok());
  CHECK(store.find(s3.id, "t", clock.now(), kIdle).ok());
  CHECK(store.find(s4.id, "t", clock.now(), kIdle).ok());
}

TEST_CASE("Ids that were never handed out are not found") {
  ManualClock clock;
  web::SessionStore store;
  const auto s = store.create("staff", "t", clock.now());
  std::string altered = s.id;
  altered[0] = altered[0] == 'A' ? 'B' : 'A';
  for (const std::string& id : {std::string(), std::string("x"), std::string(43, '.'), s.id + "A",
                                s.id.substr(0, 42), altered, web::random_token()}) {
    INFO(id);
    auto found = store.find(id, "t", clock.now(), kIdle);
    REQUIRE_FALSE(found.ok());
    CHECK(found.error().code == Errc::not_found);
    CHECK(store.touch(id, clock.now()).error().code == Errc::not_found);
    CHECK_FALSE(store.destroy(id));
  }
  CHECK(store.size() == 1);
}

TEST_CASE("remove_expired drops idle sessions and keeps active ones") {
  ManualClock clock;
  web::SessionStore store;
  const auto idle = store.create("1", "t", clock.now());
  clock.advance(20min);
  const auto active = store.create("2", "t", clock.now());
  clock.advance(10min);
  CHECK(store.remove_expired(clock.now(), kIdle) == 1);
  CHECK(store.size() == 1);
  CHECK(store.find(active.id, "t", clock.now(), kIdle).ok());
  CHECK_FALSE(store.find(idle.id, "t", clock.now(), kIdle).ok());
}
