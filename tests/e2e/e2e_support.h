// Pieces shared by the end-to-end drivers (console_e2e.cc, cards_e2e.cc): the skip exit code,
// and staff records authored as the hub would write them.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>

#include "madoguchi/console/password.h"
#include "madoguchi/console/staff.h"

namespace madoguchi::e2e {

// ctest's SKIP_RETURN_CODE for the e2e tests (no chromium or node on the machine).
inline constexpr int kSkip = 77;

inline int skip(const std::string& why) {
  std::cout << "SKIPPED: " << why << "\n";
  return kSkip;
}

inline bool executable(const std::filesystem::path& p) { return ::access(p.c_str(), X_OK) == 0; }

// A staff record body with a real argon2id hash of `pw`, no password change due.
inline std::string staff_body(const std::string& id, const std::string& name, const std::string& role, const char* pw) {
  console::StaffAccount a;
  a.id = id;
  a.name = name;
  a.role_id = role;
  auto hash = console::hash_password(pw);
  if (!hash) throw std::runtime_error(hash.error().describe());
  a.password_hash = *hash;
  a.must_change_password = false;
  a.password_changed_ms = 1'767'225'600'000;
  return console::staff_to_json(a).dump();
}

}  // namespace madoguchi::e2e
