// Menus and roles of the staff console (ACC-2, SEC-2). A role is a named set of menus; every staff
// account has one role; only the menus of that role are shown and served.
//
// Record: entity "role" (kRoleEntity), key = Role::id. Body:
//   {"id":"counter_clerk","menus":["home","cards","bookings","phone_bookings"],"name":"窓口職員"}
// "menus" is written in display order (all_menus(), permissions such as "booking_override" included). Unknown menu ids in a stored body are skipped,
// never an error: a role written by a newer version then grants at most what this version knows
// (least privilege), and staff can still sign in during a rolling upgrade.
//
// While no role record exists yet, effective_roles() gives the built-in default_roles().
#pragma once

#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "madoguchi/error.h"

namespace madoguchi::domain {

inline constexpr std::string_view kRoleEntity = "role";

// The console's menus: a fixed list, for this issue and the coming ones. The id strings are stored
// in role records and must never change; add new menus at the end of the list.
enum class Menu {
  home,            // ホーム: the start page after sign-in
  cards,           // 交付管理: card issuance management (ISS)
  bookings,        // 予約管理: bookings (RSV, ISS-10)
  phone_bookings,  // 電話予約: bookings by phone and call center (PHN)
  masters,         // マスタ管理: counters and slots (MST)
  notices,         // お知らせ: notices on the booking site (SYS-2, RSV-3)
  staff,           // 職員管理: staff accounts, CSV import and export (ACC-1, ACC-3)
  roles,           // 権限管理: roles and their menus (ACC-2)
  settings,        // システム設定: system settings (SYS-1)
  oplog,           // 操作ログ: the operation log (SYS-3)
  kiosk_log,       // コンビニ交付記録: convenience-store issuance records (KON-6, OPS-2)
  kiosk_stats,     // 交付統計: issuance statistics (OPS-3)
  linkage,         // 連携状況: linkage runs and logs (LNK-5, OPS-4)
  sync,            // 同期状況: sync state and refused offline changes (EDGE-5)
  alarms,          // 障害通知: failure alarms (OPS-1)
  // Permissions: granted in a role like menus, but not screens (never in the navigation, no page).
  booking_override,  // 締切後・定員超過の予約: book after the deadline and beyond capacity (PHN-5)
  kiosk_flag,        // コンビニ交付の停止・解除: set and remove staff flags (KON-7), within コンビニ交付記録
};

// Every menu in display order, permissions included (the role screen offers a checkbox for each).
std::span<const Menu> all_menus() noexcept;
// True for the entries that are permissions, not screens (booking_override, kiosk_flag): they are not in
// visible_menus() and have no page of their own.
bool is_permission(Menu m) noexcept;
// Stable id ("phone_bookings") and Japanese label ("電話予約").
std::string_view menu_id(Menu m) noexcept;
std::string_view menu_label(Menu m) noexcept;
std::optional<Menu> menu_from_id(std::string_view id) noexcept;

struct Role {
  std::string id;        // 1-32 of [a-z0-9_-], first a letter or digit
  std::string name;      // Japanese display name, 1-32 characters, unique among roles
  std::set<Menu> menus;  // may be empty (the account can sign in but sees nothing)
};

bool allowed(const Role& role, Menu menu) noexcept;
// The role's menus in display order (for building the navigation), without permissions.
std::vector<Menu> visible_menus(const Role& role);

// Built-in roles, ids "administrator" (管理者, every menu and permission), "counter_clerk"
// (窓口職員: home, cards, bookings, phone_bookings) and "call_center" (コールセンター: home,
// phone_bookings). Only the administrator holds booking_override.
std::vector<Role> default_roles();
inline constexpr std::string_view kAdministratorRoleId = "administrator";
// The stored roles, or default_roles() while none is stored.
std::vector<Role> effective_roles(std::vector<Role> stored);
// The role with this id, or nullptr.
const Role* find_role(const std::vector<Role>& roles, std::string_view id) noexcept;

// Errors: invalid_argument "id: ...", "name: ...".
Status validate_role_id(std::string_view id);
Status validate_role(const Role& role);

std::string role_key(const Role& role);
nlohmann::json role_to_json(const Role& role);
// Errors as in record_body.h; the result is validated.
Expected<Role> role_from_json(const nlohmann::json& body);

}  // namespace madoguchi::domain
