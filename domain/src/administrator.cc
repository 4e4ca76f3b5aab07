#include "madoguchi/domain/administrator.h"

#include <algorithm>

namespace madoguchi::domain {

bool administers(const Role& role) noexcept { return allowed(role, Menu::staff) && allowed(role, Menu::roles); }

bool grants_administration(const Role& role) noexcept {
  return allowed(role, Menu::staff) || allowed(role, Menu::roles) || allowed(role, Menu::settings);
}

bool is_administrator(const StaffAccount& account, const std::vector<Role>& roles) noexcept {
  const Role* r = find_role(roles, account.role_id);
  return account.enabled && r != nullptr && administers(*r);
}

bool administrator_remains(const std::vector<StaffAccount>& staff, const std::vector<Role>& roles) noexcept {
  return std::any_of(staff.begin(), staff.end(), [&](const StaffAccount& a) { return is_administrator(a, roles); });
}

Status check_administrator_remains(const std::vector<StaffAccount>& staff_before, const std::vector<Role>& roles_before,
                                   const std::vector<StaffAccount>& staff_after, const std::vector<Role>& roles_after) {
  if (administrator_remains(staff_before, roles_before) && !administrator_remains(staff_after, roles_after)) {
    return make_error(Errc::forbidden, "no enabled account would keep both staff and roles management");
  }
  return {};
}

std::vector<StaffAccount> with_account(std::vector<StaffAccount> staff, const StaffAccount& changed) {
  auto it = std::find_if(staff.begin(), staff.end(), [&](const StaffAccount& a) { return a.id == changed.id; });
  if (it == staff.end()) {
    staff.push_back(changed);
  } else {
    *it = changed;
  }
  return staff;
}

}  // namespace madoguchi::domain
