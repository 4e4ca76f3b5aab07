#include "madoguchi/domain/permissions.h"

#include <array>

#include "text.h"

namespace madoguchi::domain {

namespace {
struct MenuInfo {
  Menu menu;
  std::string_view id;
  std::string_view label;
};

constexpr std::array<MenuInfo, 17> kMenus{{
    {Menu::home, "home", "ホーム"},
    {Menu::cards, "cards", "交付管理"},
    {Menu::bookings, "bookings", "予約管理"},
    {Menu::phone_bookings, "phone_bookings", "電話予約"},
    {Menu::masters, "masters", "マスタ管理"},
    {Menu::notices, "notices", "お知らせ"},
    {Menu::staff, "staff", "職員管理"},
    {Menu::roles, "roles", "権限管理"},
    {Menu::settings, "settings", "システム設定"},
    {Menu::oplog, "oplog", "操作ログ"},
    {Menu::kiosk_log, "kiosk_log", "コンビニ交付記録"},
    {Menu::kiosk_stats, "kiosk_stats", "交付統計"},
    {Menu::linkage, "linkage", "連携状況"},
    {Menu::sync, "sync", "同期状況"},
    {Menu::alarms, "alarms", "障害通知"},
    {Menu::booking_override, "booking_override", "締切後・定員超過の予約"},
    {Menu::kiosk_flag, "kiosk_flag", "コンビニ交付の停止・解除"},
}};

constexpr std::array<Menu, kMenus.size()> menu_order() {
  std::array<Menu, kMenus.size()> out{};
  for (std::size_t i = 0; i < kMenus.size(); ++i) out[i] = kMenus[i].menu;
  return out;
}
constexpr std::array<Menu, kMenus.size()> kOrder = menu_order();

const MenuInfo& info(Menu m) noexcept {
  for (const auto& i : kMenus) {
    if (i.menu == m) return i;
  }
  return kMenus[0];  // unreachable: every enumerator is in the table (tested)
}

constexpr std::string_view kWhat = "role";
}  // namespace

std::span<const Menu> all_menus() noexcept { return kOrder; }
std::string_view menu_id(Menu m) noexcept { return info(m).id; }
std::string_view menu_label(Menu m) noexcept { return info(m).label; }

std::optional<Menu> menu_from_id(std::string_view id) noexcept {
  for (const auto& i : kMenus) {
    if (i.id == id) return i.menu;
  }
  return std::nullopt;
}

bool is_permission(Menu m) noexcept { return m == Menu::booking_override || m == Menu::kiosk_flag; }

bool allowed(const Role& role, Menu menu) noexcept { return role.menus.count(menu) != 0; }

std::vector<Menu> visible_menus(const Role& role) {
  std::vector<Menu> out;
  for (Menu m : kOrder) {
    if (allowed(role, m) && !is_permission(m)) out.push_back(m);
  }
  return out;
}

std::vector<Role> default_roles() {
  Role admin{std::string(kAdministratorRoleId), "管理者", {}};
  for (Menu m : kOrder) admin.menus.insert(m);
  Role clerk{"counter_clerk", "窓口職員", {Menu::home, Menu::cards, Menu::bookings, Menu::phone_bookings}};
  Role call{"call_center", "コールセンター", {Menu::home, Menu::phone_bookings}};
  return {std::move(admin), std::move(clerk), std::move(call)};
}

std::vector<Role> effective_roles(std::vector<Role> stored) {
  if (stored.empty()) return default_roles();
  return stored;
}

const Role* find_role(const std::vector<Role>& roles, std::string_view id) noexcept {
  for (const auto& r : roles) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

Status validate_role_id(std::string_view id) {
  bool ok = !id.empty() && id.size() <= 32;
  for (char c : id) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-');
  }
  ok = ok && id.front() != '_' && id.front() != '-';
  if (!ok) return make_error(Errc::invalid_argument, "id: must be 1-32 characters of a-z 0-9 _ -, first a letter or digit");
  return {};
}

Status validate_role(const Role& role) {
  if (auto st = validate_role_id(role.id); !st) return st;
  if (auto p = detail::check_text(role.name, 1, 32); p != detail::TextProblem::none) {
    return make_error(Errc::invalid_argument, "name: " + detail::text_problem_en(p, 1, 32));
  }
  return {};
}

std::string role_key(const Role& role) { return role.id; }

nlohmann::json role_to_json(const Role& role) {
  nlohmann::json menus = nlohmann::json::array();
  for (Menu m : kOrder) {
    if (allowed(role, m)) menus.push_back(std::string(menu_id(m)));  // permissions included
  }
  return nlohmann::json{{"id", role.id}, {"name", role.name}, {"menus", std::move(menus)}};
}

Expected<Role> role_from_json(const nlohmann::json& body) {
  if (auto st = detail::require_object(body, kWhat); !st) return st.error();
  Role r;
  if (auto st = detail::read_string(body, kWhat, "id", r.id, true); !st) return st.error();
  if (auto st = detail::read_string(body, kWhat, "name", r.name, true); !st) return st.error();
  auto it = body.find("menus");
  if (it == body.end() || !it->is_array()) return make_error(Errc::malformed, "role.menus: must be an array");
  if (it->size() > 256) return make_error(Errc::too_large, "role.menus: more than 256 entries");
  for (const auto& m : *it) {
    if (!m.is_string()) return make_error(Errc::malformed, "role.menus: entries must be strings");
    // Unknown ids are skipped on purpose (header: least privilege across versions).
    if (auto menu = menu_from_id(m.get<std::string>())) r.menus.insert(*menu);
  }
  if (auto st = validate_role(r); !st) return st.error();
  return r;
}

}  // namespace madoguchi::domain
