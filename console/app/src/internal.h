// Pieces shared by the console's route files (console_app.cc, staff_pages.cc). Not installed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "madoguchi/console/app/console_app.h"
#include "madoguchi/domain/administrator.h"
#include "madoguchi/text/form.h"
#include "madoguchi/text/multipart.h"

namespace madoguchi::console::app {

struct ConsoleApp::Context {
  const http::Request& req;
  web::TimePoint now;
  std::int64_t wall_ms = 0;
  domain::Settings settings;
  std::vector<domain::Role> roles;
  std::optional<web::Session> session;  // a live session, re-checked against its account
  std::optional<domain::StaffAccount> account;
  const domain::Role* role = nullptr;
  bool session_ended = false;  // the browser came with a session that just ended
  bool idle_signed_out = false;  // ... because it was idle (ACC-4): the sign-in page says so
  std::optional<text::Form> form;
  // A multipart/form-data POST (only POST /staff/import at a staff console): every part, viewing
  // req.body; `form` holds the text parts (no filename) so the CSRF check is the usual one.
  std::vector<text::Part> parts;
  std::vector<std::pair<std::string, std::string>> headers;  // added to the response (Set-Cookie)

  bool signed_in() const { return session.has_value(); }
};

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
// "2026-01-05 09:30:12" in Japan Standard Time.
std::string jst_time(std::int64_t at_ms);
// URL percent-encoding of a query value (RFC 3986 unreserved characters kept).
std::string percent_encode(std::string_view s);
// 1-12 ASCII digits as a number (receipt and serial numbers), or nullopt.
std::optional<std::uint64_t> parse_decimal12(std::string_view s);
// `r` with the request's extra headers (Set-Cookie) added.
http::Response with_headers(http::Response r, const std::vector<std::pair<std::string, std::string>>& headers);

}  // namespace madoguchi::console::app
