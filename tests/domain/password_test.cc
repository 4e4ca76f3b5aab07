#include <catch2/catch.hpp>

#include <string>

#include "madoguchi/domain/password.h"

namespace c = madoguchi::domain;
using c::PasswordProblem;
using madoguchi::Errc;

namespace {
c::PasswordRules no_composition() {
  c::PasswordRules r;
  r.require_upper = r.require_lower = r.require_digit = r.require_symbol = false;
  return r;
}
std::string repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}
}  // namespace

TEST_CASE("A password containing the staff ID is refused, in any letter case (ACC-4)", "[console][password]") {
  const c::PasswordRules rules;
  CHECK(c::check_password(rules, "Kawa-Sakura-2026", "tanaka01").ok());
  for (const char* pw : {"tanaka01-Spring-2026", "Xx9TANAKA01zzzz", "prefix-Tanaka01"}) {
    INFO(pw);
    auto st = c::check_password(rules, pw, "tanaka01");
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code == Errc::invalid_argument);
    CHECK(st.error().message.find("must not contain the staff id") != std::string::npos);
  }
  // An empty id (a password being checked before an id exists) matches nothing.
  CHECK(c::check_password(rules, "Kawa-Sakura-2026", "").ok());
}

TEST_CASE("Password length is counted in characters, so each Japanese character counts one", "[console][password]") {
  const auto rules = no_composition();  // min_length 12
  CHECK(c::check_password(rules, "あいうえおかきくけこさし", "x").ok());      // 12 characters, 36 bytes
  CHECK(c::password_problems(rules, "あいうえおかきくけこさ", "x") ==      // 11 characters, 33 bytes
        std::vector<PasswordProblem>{PasswordProblem::too_short});
  // At most 128 bytes: 42 kana (126 bytes) pass, 43 (129 bytes) do not.
  CHECK(c::check_password(rules, repeat("あ", 42), "x").ok());
  CHECK(c::password_problems(rules, repeat("あ", 43), "x") ==
        std::vector<PasswordProblem>{PasswordProblem::too_long});
}

TEST_CASE("Every unmet character rule is reported, and the message never contains the password",
          "[console][password]") {
  c::PasswordRules rules;
  rules.require_symbol = true;
  const std::string pw = "alllowercaseletters";
  CHECK(c::password_problems(rules, pw, "x1") ==
        std::vector<PasswordProblem>{PasswordProblem::missing_upper, PasswordProblem::missing_digit,
                                     PasswordProblem::missing_symbol});
  auto st = c::check_password(rules, pw, "x1");
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message.rfind("password: ", 0) == 0);
  CHECK(st.error().message.find(pw) == std::string::npos);
  // Japanese characters and spaces count as symbols.
  CHECK(c::check_password(rules, "Abcdefgh1234あ", "x1").ok());
  CHECK(c::check_password(rules, "Abcdefgh1234 ", "x1").ok());
}

TEST_CASE("Passwords with control characters or invalid UTF-8 are refused", "[console][password]") {
  const auto rules = no_composition();
  CHECK(c::password_problems(rules, "abcdefghijkl\n", "x") ==
        std::vector<PasswordProblem>{PasswordProblem::invalid_text});
  CHECK(c::password_problems(rules, "abcdefghijkl\xff", "x") ==
        std::vector<PasswordProblem>{PasswordProblem::invalid_text});
  CHECK(c::password_problems(rules, std::string("abcdefghijkl\0", 13), "x") ==
        std::vector<PasswordProblem>{PasswordProblem::invalid_text});
}

TEST_CASE("A hash verifies its own password and no other", "[console][password]") {
  auto h = c::hash_password("Kawa-Sakura-2026", /*fast_for_tests=*/true);
  REQUIRE(h.ok());
  CHECK(h->rfind("$argon2id$v=19$m=8,t=1,p=1$", 0) == 0);
  CHECK(c::is_password_hash(*h));
  CHECK(c::verify_password(*h, "Kawa-Sakura-2026"));
  CHECK_FALSE(c::verify_password(*h, "kawa-sakura-2026"));
  CHECK_FALSE(c::verify_password(*h, ""));
  auto again = c::hash_password("Kawa-Sakura-2026", true);
  REQUIRE(again.ok());
  CHECK(*again != *h);  // a fresh salt each time
  auto too_long = c::hash_password(std::string(129, 'a'), true);
  REQUIRE_FALSE(too_long.ok());
  CHECK(too_long.error().code == Errc::invalid_argument);
}

TEST_CASE("The product hash is argon2id with 64 MiB and two passes, and test hashes need a rehash",
          "[console][password]") {
  auto real = c::hash_password("Kawa-Sakura-2026");
  REQUIRE(real.ok());
  CHECK(real->rfind("$argon2id$v=19$m=65536,t=2,p=1$", 0) == 0);
  CHECK_FALSE(c::needs_rehash(*real));
  auto fast = c::hash_password("Kawa-Sakura-2026", true);
  REQUIRE(fast.ok());
  CHECK(c::needs_rehash(*fast));
  CHECK_FALSE(c::needs_rehash(*fast, true));
  CHECK(c::needs_rehash("$argon2i$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2g"));
  CHECK(c::needs_rehash("not a hash"));
}

TEST_CASE("Malformed, foreign or too costly hashes never verify", "[console][password]") {
  auto h = c::hash_password("Kawa-Sakura-2026", true);
  REQUIRE(h.ok());
  std::string costly = *h;
  costly.replace(costly.find("m=8,"), 4, "m=4194304,");  // 4 GiB
  CHECK_FALSE(c::is_password_hash(costly));
  CHECK_FALSE(c::verify_password(costly, "Kawa-Sakura-2026"));
  std::string argon2i = *h;
  argon2i.replace(0, 10, "$argon2i$");
  CHECK_FALSE(c::verify_password(argon2i, "Kawa-Sakura-2026"));
  for (const char* bad : {"", "$argon2id$", "$argon2id$v=19$m=8,t=1,p=1$$", "plain-text-password"}) {
    INFO(bad);
    CHECK_FALSE(c::verify_password(bad, "Kawa-Sakura-2026"));
  }
  CHECK_FALSE(c::verify_password(*h, std::string(129, 'a')));
  // The dummy hash used for unknown IDs is a real interactive-cost hash that no password opens.
  CHECK(c::is_password_hash(c::kDummyPasswordHash));
  CHECK_FALSE(c::needs_rehash(c::kDummyPasswordHash));
  CHECK_FALSE(c::verify_password(c::kDummyPasswordHash, "Kawa-Sakura-2026"));
}

TEST_CASE("Password rules round-trip through JSON, missing keys keep defaults and bad ones are refused",
          "[console][password]") {
  c::PasswordRules r;
  r.min_length = 16;
  r.require_symbol = true;
  r.max_age_days = 90;
  r.history = 5;
  r.lockout_threshold = 3;
  r.lockout_minutes = 30;
  auto back = c::password_rules_from_json(c::password_rules_to_json(r));
  REQUIRE(back.ok());
  CHECK(back->min_length == 16);
  CHECK(back->require_symbol);
  CHECK(back->require_upper);
  CHECK(back->max_age_days == 90);
  CHECK(back->history == 5);
  CHECK(back->lockout_threshold == 3);
  CHECK(back->lockout_minutes == 30);

  auto defaults = c::password_rules_from_json(nlohmann::json::object());
  REQUIRE(defaults.ok());
  CHECK(defaults->min_length == 12);
  CHECK(defaults->lockout_threshold == 5);

  auto unknown = c::password_rules_from_json(nlohmann::json{{"min_lenght", 12}});
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == Errc::malformed);
  auto short_min = c::password_rules_from_json(nlohmann::json{{"min_length", 7}});
  REQUIRE_FALSE(short_min.ok());
  CHECK(short_min.error().code == Errc::invalid_argument);
  CHECK(short_min.error().message == "min_length: must be 8-64");
  auto no_lock = c::password_rules_from_json(nlohmann::json{{"lockout_threshold", 0}});
  REQUIRE_FALSE(no_lock.ok());
  CHECK(no_lock.error().message == "lockout_threshold: must be 1-100");
  auto wrong_type = c::password_rules_from_json(nlohmann::json{{"require_digit", "yes"}});
  REQUIRE_FALSE(wrong_type.ok());
  CHECK(wrong_type.error().code == Errc::malformed);
}
