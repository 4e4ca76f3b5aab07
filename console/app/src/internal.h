// Texts and helpers shared by the console's page modules. Not installed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "madoguchi/calendar/date.h"
#include "madoguchi/console/app/console_app.h"
#include "pages.h"
#include "madoguchi/domain/administrator.h"
#include "madoguchi/text/form.h"
#include "madoguchi/text/multipart.h"

namespace madoguchi::console::app {


// Shown when a staff edit, a role edit or a role deletion would break the administrator-remains
// invariant (domain/administrator.h); the staff CSV import says the same as a line error.
inline constexpr const char* kAdministratorRemainsMessage =
    "この変更をすると、職員管理と権限管理の両方を使える有効な職員がいなくなるため、保存できません。"
    "先に別の職員に両方を使える権限を割り当てるか、職員管理と権限管理のチェックを残してください。";

// Japanese texts of the password rules, and of one problem with a new password.
std::vector<std::string> rule_texts(const domain::PasswordRules& rules);
std::string problem_text(domain::PasswordProblem p, const domain::PasswordRules& rules);
// The Japanese label of an operation log action (the action itself when unknown).
std::string action_label(std::string_view action);
// A query parameter's value ("" when absent).
std::string query_value(const http::Request& r, const std::string& name);
// "3分前", "2時間前": how long ago, for status screens (連携状況, 同期状況).
std::string age_text(std::int64_t ms);
// 住民記録, 印鑑登録, 税 for the linkage entities "resident", "seal", "tax".
std::string linkage_kind_label(std::string_view entity);
// "2026-01-05 09:30:12" in Japan Standard Time.
std::string jst_time(std::int64_t at_ms);
// The Japanese date at `ms`, and the start of a Japanese day in UTC ms (the issuance screens' periods).
calendar::Date jst_date(std::int64_t ms);
std::int64_t day_start(const calendar::Date& d);
// URL percent-encoding of a query value (RFC 3986 unreserved characters kept).
std::string percent_encode(std::string_view s);
// 1-12 ASCII digits as a number (receipt and serial numbers), or nullopt.
std::optional<std::uint64_t> parse_decimal12(std::string_view s);
// `r` with the request's extra headers (Set-Cookie) added.
http::Response with_headers(http::Response r, const std::vector<std::pair<std::string, std::string>>& headers);

}  // namespace madoguchi::console::app
