// The administrator-remains invariant (ACC-1, ACC-2): the one definition, checked on every path
// that changes accounts or roles (staff edit and disable, staff CSV import, role add, edit and
// delete), at the hub and anywhere else staff or roles are written.
//
// An administrator is an enabled account whose role (among the effective roles) grants both
// 職員管理 (Menu::staff) and 権限管理 (Menu::roles): with only one of the two nobody could give
// the other back. A change is refused when an administrator exists before it and none after it.
// Where none exists before (a municipality whose data was damaged by hand), a change that still
// leaves none is not refused: refusing would only block the repair.
#pragma once

#include <vector>

#include "madoguchi/domain/permissions.h"
#include "madoguchi/domain/staff.h"
#include "madoguchi/error.h"

namespace madoguchi::domain {

// The role grants both 職員管理 and 権限管理.
bool administers(const Role& role) noexcept;
// The role grants an administration menu: 職員管理, 権限管理 or システム設定. Such an account's
// password is never changed from a counter PC (issue 11 hole 4): only at the hub.
bool grants_administration(const Role& role) noexcept;
// The account is enabled and its role (found in `roles`) administers.
bool is_administrator(const StaffAccount& account, const std::vector<Role>& roles) noexcept;
// Some account in `staff` is an administrator under `roles`.
bool administrator_remains(const std::vector<StaffAccount>& staff, const std::vector<Role>& roles) noexcept;

// The accounts and roles before and after a change. Errc::forbidden when an administrator exists
// before and none after.
Status check_administrator_remains(const std::vector<StaffAccount>& staff_before, const std::vector<Role>& roles_before,
                                   const std::vector<StaffAccount>& staff_after, const std::vector<Role>& roles_after);

// `staff` with the record of `changed.id` replaced by `changed` (appended when absent).
std::vector<StaffAccount> with_account(std::vector<StaffAccount> staff, const StaffAccount& changed);

}  // namespace madoguchi::domain
