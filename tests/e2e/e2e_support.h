// Pieces shared by the end-to-end drivers (tests/e2e/*_e2e.cc): the skip exit code, the browser
// tools check, and staff records authored as the hub would write them.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>

#include "madoguchi/domain/password.h"
#include "madoguchi/domain/staff.h"

namespace madoguchi::e2e {

// ctest's SKIP_RETURN_CODE for the e2e tests (no chromium or node on the machine).
inline constexpr int kSkip = 77;

inline int skip(const std::string& why) {
  std::cout << "SKIPPED: " << why << "\n";
  return kSkip;
}

inline bool executable(const std::filesystem::path& p) { return ::access(p.c_str(), X_OK) == 0; }

// Chromium ($CHROMIUM or /usr/bin/chromium), node, and the npm packages of tests/e2e (installed
// from the lock file by `npm ci` when any of them is missing). 0 when all are there, with the
// browser in `chromium`; otherwise the skip code, its reason printed.
inline int browser_tools(const std::filesystem::path& e2e_dir, std::filesystem::path& chromium) {
  const char* env = std::getenv("CHROMIUM");
  chromium = env ? env : "/usr/bin/chromium";
  if (!executable(chromium)) return skip(chromium.string() + " not found (apt-get install chromium)");
  if (std::system("node --version >/dev/null 2>&1") != 0) return skip("node not found (apt-get install nodejs npm)");
  const auto modules = e2e_dir / "node_modules";
  if (!std::filesystem::exists(modules / "playwright-core") || !std::filesystem::exists(modules / "axe-core")) {
    const std::string cmd = "cd '" + e2e_dir.string() + "' && npm ci --no-audit --no-fund >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) return skip("npm ci in " + e2e_dir.string() + " failed (no registry access?)");
  }
  return 0;
}

// A staff record body with a real argon2id hash of `pw`, no password change due.
inline std::string staff_body(const std::string& id, const std::string& name, const std::string& role, const char* pw) {
  domain::StaffAccount a;
  a.id = id;
  a.name = name;
  a.role_id = role;
  auto hash = domain::hash_password(pw);
  if (!hash) throw std::runtime_error(hash.error().describe());
  a.password_hash = *hash;
  a.must_change_password = false;
  a.password_changed_ms = 1'767'225'600'000;
  return domain::staff_to_json(a).dump();
}

}  // namespace madoguchi::e2e
