// The console's test fixture: an in-memory ConsoleStore, a browser that keeps cookies, and a world
// with an administrator and a clerk. Shared by the tests of tests/console/app.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <regex>
#include <string>

#include <catch2/catch.hpp>

#include "madoguchi/console/app/console_app.h"
#include "madoguchi/domain/oplog.h"
#include "madoguchi/domain/password.h"
#include "madoguchi/http/server.h"
#include "madoguchi/transport.h"

namespace madoguchi::testing::console_app {

using namespace madoguchi;
using namespace madoguchi::console;
using namespace madoguchi::domain;

// In-memory records, with a real hash chain for the log so the chain is checked too.
class MemoryStore final : public app::ConsoleStore {
 public:
  std::map<std::string, domain::StaffAccount> accounts;
  std::vector<domain::Role> stored_roles;
  domain::Settings stored_settings;
  std::vector<domain::OpLogEntry> log;
  int saves = 0;
  bool fail_writes = false;

  Expected<std::vector<domain::StaffAccount>> all_staff() override {
    std::vector<domain::StaffAccount> out;
    for (const auto& [id, a] : accounts) out.push_back(a);
    return out;
  }
  Status remove_staff(std::string_view id) override {
    accounts.erase(std::string(id));
    return {};
  }

  Expected<std::optional<domain::StaffAccount>> staff(std::string_view id) override {
    auto it = accounts.find(std::string(id));
    if (it == accounts.end()) return std::optional<domain::StaffAccount>();
    return std::optional<domain::StaffAccount>(it->second);
  }
  Expected<std::vector<domain::Role>> roles() override { return stored_roles; }
  Expected<domain::Settings> settings() override { return stored_settings; }
  Status save_staff(const domain::StaffAccount& a) override {
    if (fail_writes) return make_error(Errc::db, "disk full");
    accounts[a.id] = a;
    ++saves;
    return {};
  }
  Status append_oplog(std::string_view action, std::string_view staff_id, std::string_view target,
                      std::string_view detail, std::int64_t at_ms) override {
    const domain::OpLogEntry* last = nullptr;
    for (const auto& e : log) {
      if (e.device == "counter-01") last = &e;
    }
    log.push_back(domain::make_entry(last, "counter-01", staff_id, at_ms, action, target, detail));
    return {};
  }
  Expected<std::vector<domain::OpLogEntry>> recent_oplog(std::string_view staff_id, std::size_t limit) override {
    std::vector<domain::OpLogEntry> out;
    for (auto it = log.rbegin(); it != log.rend() && out.size() < limit; ++it) {
      if (it->staff_id == staff_id) out.push_back(*it);
    }
    return out;
  }
  // The whole log, as the hub serves it: `log` holds every device's entries (tests may push
  // entries of other devices, or tamper with one in place).
  Expected<std::vector<domain::OpLogEntry>> find_oplog(const app::OpLogFilter& f, std::size_t offset, std::size_t limit) override {
    std::vector<domain::OpLogEntry> all;
    for (const auto& e : log) {
      if (!f.staff_id.empty() && e.staff_id != f.staff_id) continue;
      if (!f.device.empty() && e.device != f.device) continue;
      if (!f.action.empty() && e.action != f.action) continue;
      if (f.from_ms && e.at_ms < *f.from_ms) continue;
      if (f.to_ms && e.at_ms >= *f.to_ms) continue;
      all.push_back(e);
    }
    std::stable_sort(all.begin(), all.end(), [](const domain::OpLogEntry& a, const domain::OpLogEntry& b) {
      return a.at_ms != b.at_ms ? a.at_ms > b.at_ms : domain::oplog_key(a) > domain::oplog_key(b);
    });
    std::vector<domain::OpLogEntry> out;
    for (std::size_t i = offset; i < all.size() && out.size() < limit; ++i) out.push_back(all[i]);
    return out;
  }
  Expected<std::vector<std::string>> oplog_devices(std::size_t limit) override {
    std::set<std::string> d;
    for (const auto& e : log) d.insert(e.device);
    std::vector<std::string> out(d.begin(), d.end());
    if (out.size() > limit) out.resize(limit);
    return out;
  }
  Expected<std::vector<domain::OpLogEntry>> oplog_chain(std::string_view device, std::uint64_t after_seq, std::size_t limit) override {
    std::vector<domain::OpLogEntry> chain;
    for (const auto& e : log) {
      if (e.device == device && e.seq > after_seq) chain.push_back(e);
    }
    std::sort(chain.begin(), chain.end(), [](const domain::OpLogEntry& a, const domain::OpLogEntry& b) { return a.seq < b.seq; });
    if (chain.size() > limit) chain.resize(limit);
    return chain;
  }
  Status save_settings(const domain::Settings& s) override {
    if (fail_writes) return make_error(Errc::db, "disk full");
    stored_settings = s;
    ++settings_saves;
    return {};
  }
  int settings_saves = 0;
  // Roles as the hub stores them: save_role replaces or appends by id, remove_role erases.
  Status save_role(const domain::Role& r) override {
    if (fail_writes || role_writes_left == 0) return make_error(Errc::db, "disk full");
    if (role_writes_left > 0) --role_writes_left;
    auto it = std::find_if(stored_roles.begin(), stored_roles.end(), [&](const domain::Role& x) { return x.id == r.id; });
    if (it == stored_roles.end()) {
      stored_roles.push_back(r);
    } else {
      *it = r;
    }
    ++role_saves;
    return {};
  }
  Status remove_role(std::string_view id) override {
    if (fail_writes || role_writes_left == 0) return make_error(Errc::db, "disk full");
    if (role_writes_left > 0) --role_writes_left;
    std::erase_if(stored_roles, [&](const domain::Role& x) { return x.id == id; });
    ++role_saves;
    return {};
  }
  int role_saves = 0;
  int role_writes_left = -1;  // >= 0: role writes that succeed before the store fails
  bool logged(std::string_view action, std::string_view who) const {
    for (const auto& e : log) {
      if (e.action == action && e.staff_id == who) return true;
    }
    return false;
  }
};

constexpr const char* kAdminPw = "Admin-Pass-2026";
constexpr const char* kClerkPw = "Clerk-Pass-2026";

inline domain::StaffAccount account(std::string id, std::string name, std::string role, const char* pw) {
  domain::StaffAccount a;
  a.id = std::move(id);
  a.name = std::move(name);
  a.role_id = std::move(role);
  a.password_hash = *domain::hash_password(pw, /*fast_for_tests=*/true);
  a.password_key = *domain::make_password_key(pw, /*fast_for_tests=*/true);
  a.must_change_password = false;
  a.password_changed_ms = 1'700'000'000'000;
  return a;
}

inline std::string field(const std::string& html, const std::string& name) {
  std::smatch m;
  if (std::regex_search(html, m, std::regex("name=\"" + name + "\" value=\"([^\"]*)\""))) return m[1];
  return {};
}

// A browser: keeps the cookies the console sets, per client address.
struct Browser {
  explicit Browser(app::ConsoleApp& a, std::string addr = "127.0.0.1", std::map<std::string, std::string> c = {})
      : app(a), address(std::move(addr)), cookies(std::move(c)) {}
  app::ConsoleApp& app;
  std::string address;
  std::map<std::string, std::string> cookies;

  http::Response send(std::string method, std::string target, std::string body = {}, std::string content_type = {}) {
    http::Request r;
    if (!content_type.empty()) r.headers["content-type"] = std::move(content_type);
    r.method = std::move(method);
    r.target = std::move(target);
    r.body = std::move(body);
    r.remote_address = address;
    std::string header;
    for (const auto& [k, v] : cookies) header += (header.empty() ? "" : "; ") + k + "=" + v;
    if (!header.empty()) r.headers["cookie"] = header;
    auto resp = http::dispatch([this](const http::Request& q) { return app.handle(q); }, r);
    for (const auto& [k, v] : resp.headers) {
      if (k != "Set-Cookie") continue;
      const auto eq = v.find('='), semi = v.find(';');
      const std::string name = v.substr(0, eq), value = v.substr(eq + 1, semi - eq - 1);
      if (value.empty() || v.find("Max-Age=0") != std::string::npos) {
        cookies.erase(name);
      } else {
        cookies[name] = value;
      }
    }
    if (resp.file) {  // a download sent from a file: read it as the browser would
      REQUIRE(resp.body.empty());
      resp.body = resp.file->read_all().value();
    }
    return resp;
  }
  std::string location(const http::Response& r) const {
    for (const auto& [k, v] : r.headers) {
      if (k == "Location") return v;
    }
    return {};
  }
  http::Response sign_in(const std::string& id, const std::string& pw) {
    auto form = send("GET", "/sign-in");
    return send("POST", "/sign-in", "login_id=" + id + "&password=" + pw + "&csrf_token=" + field(form.body, "csrf_token"));
  }
  std::string csrf() { return field(send("GET", "/").body, "csrf_token"); }
};

struct World {
  MemoryStore store;
  ManualClock clock;
  app::ConsoleApp app;
  static app::ConsoleOptions fast_options(bool manage_staff = false) {
    app::ConsoleOptions o;
    o.fast_hashes_for_tests = true;
    o.manage_staff = manage_staff;
    return o;
  }
  static app::ConsoleOptions tweaked(app::ConsoleOptions o, const std::function<void(app::ConsoleOptions&)>& tweak) {
    if (tweak) tweak(o);
    return o;
  }
  // manage_staff: the hub console (職員管理 served).
  explicit World(bool manage_staff = false, const std::function<void(app::ConsoleOptions&)>& tweak = {})
      : app(store, clock, tweaked(fast_options(manage_staff), tweak)) {
    store.accounts["admin01"] = account("admin01", "管理 太郎", "administrator", kAdminPw);
    store.accounts["clerk01"] = account("clerk01", "窓口 花子", "counter_clerk", kClerkPw);
  }
};

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// An administrator signed in at the hub console (職員管理 served), holding the session's CSRF token.
struct AdminSession {
  World w{true};
  Browser b{w.app};
  std::string token;
  AdminSession() {
    REQUIRE(b.sign_in("admin01", kAdminPw).status == 303);
    token = b.csrf();
    REQUIRE(!token.empty());
  }
  http::Response post(const std::string& path, const std::string& form) {
    return b.send("POST", path, form + "&csrf_token=" + token);
  }
};

}  // namespace madoguchi::testing::console_app
