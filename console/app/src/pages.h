// The console's page modules and what they share. Not installed.
//
// ConsoleApp (console_app.cc) is a thin shell: it reads the session and the form, finds the
// request's Route in one RouteTable and calls its handler. Each area's screens are one PageModule
// (sign-in and home, staff, roles, settings, operation log, cards, card imports, masters and
// slots, notices, phone bookings) that adds its routes to the table. A route says which menu
// the role must hold (checked, and a refusal logged, before any handler runs: SEC-2), which
// methods it answers and whether it takes an upload; handlers parse and render, and leave the
// decisions to domain/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <mstch/mstch.hpp>

#include "madoguchi/console/app/alarm_board.h"
#include "madoguchi/console/app/console_app.h"
#include "madoguchi/text/form.h"
#include "madoguchi/text/multipart.h"

namespace madoguchi::console::app {

inline constexpr std::string_view kHomePath = "/";

// One request as every page sees it: the session and account checked, the settings and roles
// read once, the form decoded (CSRF checked), headers to add to the response.
struct Context {
  const http::Request& req;
  web::TimePoint now;
  std::int64_t wall_ms = 0;
  domain::Settings settings;
  std::vector<domain::Role> roles;
  std::optional<web::Session> session;  // a live session, re-checked against its account
  std::optional<domain::StaffAccount> account;
  const domain::Role* role = nullptr;
  bool session_ended = false;    // the browser came with a session that just ended
  bool idle_signed_out = false;  // ... because it was idle (ACC-4): the sign-in page says so
  std::optional<text::Form> form;
  // A multipart/form-data POST to a route that takes an upload: every part, viewing req.body;
  // `form` holds the text parts (no filename) so the CSRF check is the usual one.
  std::vector<text::Part> parts;
  std::vector<std::pair<std::string, std::string>> headers;  // added to the response (Set-Cookie)

  bool signed_in() const { return session.has_value(); }
  bool get() const { return req.method == "GET" || req.method == "HEAD"; }
  bool post() const { return req.method == "POST"; }
};

// What every page module shares: the records, the time, the options, the templates, the sessions
// and the operation log; the layout, the content pages and the error pages.
class Shell {
 public:
  Shell(ConsoleStore& store, const Clock& clock, ConsoleOptions options);

  ConsoleStore& store;
  const Clock& clock;
  const ConsoleOptions options;
  web::Templates templates;
  web::SessionStore sessions;
  // Operation log entries that could not be written (the request went on).
  std::uint64_t oplog_failures = 0;
  // What attach_* gave, for the layout's alarm banner and the home dashboard (null: not attached).
  AlarmBoard* alarms = nullptr;
  KonbiniRecords* konbini = nullptr;
  LinkageView* linkage = nullptr;
  SyncView* sync = nullptr;
  // The menus whose screens this console serves (set by ConsoleApp with its routes): the only
  // menus the layout offers, so that no menu item leads to a page that is not there (issue 14).
  std::set<domain::Menu> served_menus;

  // Appends to the operation log; a failure is counted, never stops the request.
  void log(std::string_view action, std::string_view staff_id, std::string_view target, std::string_view detail);
  // The page layout with the role's menus (none while a password change is due, ACC-4).
  web::Layout layout(const Context& c, std::string title, std::optional<domain::Menu> current) const;
  http::Response error(Context& c, int status);
  // `template_name` inside the layout, with `content`'s values added.
  http::Response content_page(Context& c, const std::string& title, std::optional<domain::Menu> current,
                              const std::string& template_name, mstch::map content, int status);
  // A 303 to `target` with the request's headers.
  http::Response see_other(Context& c, const std::string& target) const;
};

using Handler = std::function<http::Response(Context&)>;

struct Route {
  enum class Methods { get, post, get_or_post };  // get includes HEAD
  // Who may come: anyone (sign-in, sign-out); a signed-in person even while a password change is
  // due (the password page); a signed-in person whose role holds every menu in `menus`.
  enum class Access { anyone, password_change, signed_in };

  Methods methods = Methods::get;
  std::string path;  // exact
  Handler handler;
  Access access = Access::signed_in;
  // Menus the role must hold (SEC-2); the first names the area in a refusal's log entry.
  std::vector<domain::Menu> menus;
  // A multipart/form-data POST is accepted with files of at most this many bytes (0: forms only).
  std::size_t upload_bytes = 0;
  // A request with ?poll is the page polling, not activity: it does not extend the session (ACC-4).
  bool poll_is_idle = false;
};

class RouteTable {
 public:
  // Adds a route. Routes of one path answer different methods; a path and method added twice is
  // a programming error (the first stays).
  void add(Route route);
  // The route for path and method; `path_known` tells a 405 (the path exists) from a 404.
  struct Match {
    const Route* route = nullptr;
    bool path_known = false;
    const Route* any_method = nullptr;  // some route of the path (its access and menus decide first)
  };
  Match find(std::string_view path, std::string_view method) const;
  bool has_path(std::string_view path) const;

 private:
  std::vector<Route> routes_;
};

// The screens of one area. Handlers are members; add_routes() registers them.
class PageModule {
 public:
  virtual ~PageModule() = default;
  virtual void add_routes(RouteTable& routes) = 0;

 protected:
  explicit PageModule(Shell& shell)
      : shell_(shell), store_(shell.store), clock_(shell.clock), options_(shell.options), templates_(shell.templates) {}
  PageModule(const PageModule&) = delete;
  PageModule& operator=(const PageModule&) = delete;

  void log(std::string_view action, std::string_view staff_id, std::string_view target, std::string_view detail) {
    shell_.log(action, staff_id, target, detail);
  }
  web::Layout layout(const Context& c, std::string title, std::optional<domain::Menu> current) const {
    return shell_.layout(c, std::move(title), current);
  }
  http::Response error(Context& c, int status) { return shell_.error(c, status); }
  http::Response content_page(Context& c, const std::string& title, std::optional<domain::Menu> current,
                              const std::string& template_name, mstch::map content, int status) {
    return shell_.content_page(c, title, current, template_name, std::move(content), status);
  }
  // Base of a module's per-request handler object (its `Call`): the request and the module's
  // helpers bound to it, so handlers that share per-request state are members of one object.
  struct PageCall {
    PageCall(PageModule& module, Context& ctx)
        : c(ctx), get(ctx.get()), post(ctx.post()), path(ctx.req.path), module_(module) {}
    Context& c;
    const bool get;
    const bool post;
    const std::string& path;

    http::Response error(Context& ctx, int status) { return module_.error(ctx, status); }
    void log(std::string_view action, std::string_view staff_id, std::string_view target, std::string_view detail) {
      module_.log(action, staff_id, target, detail);
    }
    http::Response content_page(Context& ctx, const std::string& title, std::optional<domain::Menu> current,
                                const std::string& template_name, mstch::map content, int status) {
      return module_.content_page(ctx, title, current, template_name, std::move(content), status);
    }

   private:
    PageModule& module_;
  };
  // A route whose handler is a member function of the module's Call type (one Call per request).
  template <class CallType, class Module>
  static Route call_route(Module* self, Route::Methods methods, std::string path, http::Response (CallType::*handler)(),
                          std::vector<domain::Menu> menus) {
    Route r;
    r.methods = methods;
    r.path = std::move(path);
    r.menus = std::move(menus);
    r.handler = [self, handler](Context& c) {
      CallType call(*self, c);
      return (call.*handler)();
    };
    return r;
  }
  // A route whose handler is a member function of this module.
  template <class Module>
  static Route route(Route::Methods methods, std::string path, http::Response (Module::*handler)(Context&), Module* self,
                     std::vector<domain::Menu> menus) {
    Route r;
    r.methods = methods;
    r.path = std::move(path);
    r.handler = [self, handler](Context& c) { return (self->*handler)(c); };
    r.menus = std::move(menus);
    return r;
  }

  Shell& shell_;
  ConsoleStore& store_;
  const Clock& clock_;
  const ConsoleOptions& options_;
  web::Templates& templates_;
};

}  // namespace madoguchi::console::app
