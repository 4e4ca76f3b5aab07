#include <catch2/catch.hpp>

#include <string>

#include "madoguchi/domain/staff.h"

namespace c = madoguchi::domain;
using madoguchi::Errc;

namespace {
std::string repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

c::StaffAccount account() {
  c::StaffAccount a;
  a.id = "tanaka01";
  a.name = "田中 花子";
  a.role_id = "counter_clerk";
  a.password_hash = std::string(c::kDummyPasswordHash);
  a.enabled = true;
  a.password_changed_ms = 1'767'225'600'000;
  a.must_change_password = false;
  return a;
}
}  // namespace

TEST_CASE("Staff ids are 1-32 of A-Z a-z 0-9 . _ - and start with a letter or digit (ACC-1)", "[console][staff]") {
  for (const char* good : {"a", "tanaka01", "T.Suzuki_2-x", "007"}) {
    INFO(good);
    CHECK(c::validate_staff_id(good).ok());
  }
  CHECK(c::validate_staff_id(std::string(32, 'a')).ok());
  for (const std::string& bad : {std::string(), std::string(33, 'a'), std::string("-x"), std::string(".x"),
                                std::string("田中"), std::string("a b"), std::string("a/b"), std::string("a@b")}) {
    INFO(bad);
    auto st = c::validate_staff_id(bad);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code == Errc::invalid_argument);
    CHECK(st.error().message.rfind("id: ", 0) == 0);
  }
}

TEST_CASE("Staff names are 1-64 characters of UTF-8 without control characters (ACC-1)", "[console][staff]") {
  CHECK(c::validate_staff_name("田中 花子").ok());
  CHECK(c::validate_staff_name(repeat("あ", 64)).ok());
  for (const std::string& bad : {std::string(), repeat("あ", 65), std::string("田中\n花子"), std::string("a\tb"),
                                std::string("\xe7\x94"), std::string("\xc0\xaf")}) {
    auto st = c::validate_staff_name(bad);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code == Errc::invalid_argument);
    CHECK(st.error().message.rfind("name: ", 0) == 0);
  }
  CHECK(c::validate_staff_name("").error().message == "name: must not be empty");
  CHECK(c::validate_staff_name(repeat("あ", 65)).error().message == "name: must be at most 64 characters");
}

TEST_CASE("A staff account round-trips through its record body, which holds the hash and never a password",
          "[console][staff]") {
  auto a = account();
  a.previous_hashes = {std::string(c::kDummyPasswordHash)};
  CHECK(c::staff_key(a) == "tanaka01");
  auto j = c::staff_to_json(a);
  CHECK(j.at("password_hash") == std::string(c::kDummyPasswordHash));
  CHECK_FALSE(j.contains("password"));
  auto back = c::staff_from_json(j);
  REQUIRE(back.ok());
  CHECK(back->id == a.id);
  CHECK(back->name == a.name);
  CHECK(back->role_id == a.role_id);
  CHECK(back->password_hash == a.password_hash);
  CHECK(back->enabled == a.enabled);
  CHECK(back->password_changed_ms == a.password_changed_ms);
  CHECK(back->must_change_password == a.must_change_password);
  CHECK(back->previous_hashes == a.previous_hashes);
}

TEST_CASE("A staff body with a missing field, a wrong type, a bad id or no real hash is refused", "[console][staff]") {
  const auto good = c::staff_to_json(account());
  auto missing = good;
  missing.erase("enabled");
  CHECK(c::staff_from_json(missing).error().code == Errc::malformed);
  auto wrong = good;
  wrong["enabled"] = "yes";
  CHECK(c::staff_from_json(wrong).error().code == Errc::malformed);
  auto bad_id = good;
  bad_id["id"] = "a/b";
  CHECK(c::staff_from_json(bad_id).error().message.rfind("id: ", 0) == 0);
  auto plain = good;
  plain["password_hash"] = "Kawa-Sakura-2026";
  auto st = c::staff_from_json(plain);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message.rfind("password_hash: ", 0) == 0);
  auto role = good;
  role["role_id"] = "";
  CHECK(c::staff_from_json(role).error().message.rfind("role_id: ", 0) == 0);
}

TEST_CASE("A password older than max_age_days must be changed, as must an initial one (ACC-4)", "[console][staff]") {
  auto a = account();
  c::PasswordRules rules;  // max_age_days 0: never expires
  const std::int64_t day = 24LL * 60 * 60 * 1000;
  CHECK_FALSE(c::password_expired(a, rules, a.password_changed_ms + 3650 * day));
  rules.max_age_days = 90;
  CHECK_FALSE(c::password_expired(a, rules, a.password_changed_ms + 90 * day - 1));
  CHECK(c::password_expired(a, rules, a.password_changed_ms + 90 * day));
  CHECK_FALSE(c::password_change_required(a, rules, a.password_changed_ms));
  a.must_change_password = true;
  CHECK(c::password_change_required(a, rules, a.password_changed_ms));
}

TEST_CASE("Setting a password checks the rules, hashes it and refuses one of the last N passwords (ACC-4)",
          "[console][staff]") {
  auto a = account();
  c::PasswordRules rules;
  rules.history = 2;
  REQUIRE(c::set_password(a, rules, "First-Password-1", 1000, /*must_change=*/true, /*fast_for_tests=*/true).ok());
  CHECK(c::verify_password(a.password_hash, "First-Password-1"));
  CHECK(a.must_change_password);
  CHECK(a.password_changed_ms == 1000);
  CHECK(a.previous_hashes.size() == 1);  // the dummy hash it had before

  REQUIRE(c::set_password(a, rules, "Second-Password-2", 2000, false, true).ok());
  CHECK_FALSE(a.must_change_password);
  REQUIRE(a.previous_hashes.size() == 1);  // history 2 = the current one and one before
  CHECK(c::verify_password(a.previous_hashes[0], "First-Password-1"));

  const auto kept = a;
  for (const char* reused : {"Second-Password-2", "First-Password-1"}) {
    auto st = c::set_password(a, rules, reused, 3000, false, true);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message == "password: must differ from the last 2 passwords");
    CHECK(a.password_hash == kept.password_hash);
    CHECK(a.password_changed_ms == 2000);
  }
  auto weak = c::set_password(a, rules, "tanaka01-Password-3", 3000, false, true);
  REQUIRE_FALSE(weak.ok());
  CHECK(weak.error().message.find("staff id") != std::string::npos);

  REQUIRE(c::set_password(a, rules, "Third-Password-3", 3000, false, true).ok());
  REQUIRE(c::set_password(a, rules, "First-Password-1", 4000, false, true).ok());  // 3 back: allowed again
  CHECK(c::validate_staff(a).ok());
}
