// The console's HTML templates (mustache, via mstch), embedded into the binary at build time from
// console/web/templates/*.mustache: the service never reads a template from disk, and nothing but
// the routes can be served (SEC-1). A page is the layout (layout.mustache with the header and
// footer partials) around one content template.
//
// Every {{key}} is HTML-escaped by mstch (& < > " ' /), also inside attributes; the templates
// never use {{{key}}} or {{&key}}. Escaping does not make a URL safe, so URLs put into a context
// must be local paths: layout_context() checks its own, and callers check any other (see
// is_local_path() in page.h).
//
// Pages and their context keys (the layout keys come from layout_context()):
//   layout (every page)   title, service_name, municipality_name, emblem_url (optional),
//                         signed_in (bool), staff_name, csrf_token, has_menus (bool),
//                         menus [{label, url, current (bool)}]
//   "sign_in"             login_id (the ID typed, kept after a failure), failed (bool: shows the
//                         one fixed message that never says whether the ID or the password was
//                         wrong), throttled (bool), csrf_token (optional; a pre-session token,
//                         see csrf.h). Posts login_id, password to /sign-in.
//   "password_change"     csrf_token, password_rules [string], and add_field_errors() for
//                         current_password, new_password, confirm_password. Posts those three
//                         fields to /password.
//   "message"             message, next_url (optional, local path), next_label
//   "error"               title, message: use error_page() in page.h, which fills both from a
//                         fixed table so no detail can leak.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <mstch/mstch.hpp>

#include "madoguchi/error.h"

namespace madoguchi::console::web {

// One entry of the navigation. The caller passes only the menus the signed-in person may use
// (SEC-2): the layout shows exactly what it is given.
struct MenuItem {
  std::string label;
  std::string url;       // local path ("/reservations"); anything else is refused
  bool current = false;  // the page being shown: rendered with aria-current="page"
};

// What every page's layout needs. Fields left empty are simply not shown.
struct Layout {
  std::string title;              // the page's heading and <title>
  std::string service_name;       // e.g. "マイナンバーカード交付予約 窓口システム" (ISS-17)
  std::string municipality_name;  // the emblem's alt text; shown as text when there is no emblem
  std::string emblem_url;         // local path to the emblem image (settings); empty = none
  std::string staff_name;         // signed-in person; empty = signed out (no account area)
  std::string csrf_token;         // the session's token, for the sign-out form
  std::vector<MenuItem> menus;    // already filtered by permission
  // 障害通知 (OPS-1) for a role holding the menu: the banner on every page (shown while alarms wait
  // for acknowledgement) and the URL the console's script polls to update it and sound the alarm.
  bool alarm_watch = false;
  std::size_t alarms_unacknowledged = 0;
  bool alarms_critical = false;
};

// A message about one field, shown in the page's error summary (linked to the field by its id)
// and next to the field.
struct FieldError {
  std::string field;    // the input's id, e.g. "new_password"
  std::string message;  // shown to the user, e.g. "12文字以上で入力してください。"
};

// The layout's context keys for `layout`. Errc::invalid_argument when emblem_url or a menu url is
// not a local path (a javascript: or off-site URL would survive HTML escaping).
Expected<mstch::map> layout_context(const Layout& layout);

// Sets "has_errors", "errors" [{field, message}] and "<field>_error" for each error (the first
// message per field wins for the inline one). Field ids must be [a-z0-9_]+ (they become part of
// a context key and an element id); others are refused with Errc::invalid_argument and `context`
// is left unchanged.
Status add_field_errors(mstch::map& context, const std::vector<FieldError>& errors);

// The embedded template set. Build one at start-up; immutable afterwards, so one instance may be
// shared by threads.
class Templates {
 public:
  Templates();

  // Renders page `name` (see the list above) inside the layout. Errc::not_found for a name that is
  // not a page (the layout and its partials cannot be rendered alone); Errc::internal if mstch
  // fails (a template bug). Keys missing from `context` render as empty.
  Expected<std::string> render(std::string_view name, const mstch::map& context) const;

  // The names render() accepts, sorted.
  std::vector<std::string> pages() const;

 private:
  std::string layout_;
  // For each page: the partials (header, footer, shared pieces and "content" = the page).
  std::map<std::string, std::map<std::string, std::string>, std::less<>> pages_;
};

}  // namespace madoguchi::console::web
