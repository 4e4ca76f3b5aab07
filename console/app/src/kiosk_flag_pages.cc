// 交付停止 (KON-7; issue 13), within コンビニ交付記録 at the hub console (attach_konbini with a
// KonbiniFlags): the persons staff stopped from getting certificates at convenience stores, and
// why. Seeing the list needs コンビニ交付記録; setting and removing a flag needs the permission
// コンビニ交付の停止・解除 (Menu::kiosk_flag). Staff confirm the resident (氏名, 生年月日, 世帯番号
// from the certificate database) before a flag is set. Each change is in the operation log.
//
//   GET  /kiosk_log/flags[?person=<宛名番号>]    the flags, and the form (prefilled from a request's page)
//   POST /kiosk_log/flags/set     person, reason: the confirmation; with confirm=1: set
//   POST /kiosk_log/flags/clear   person: remove
#include <algorithm>
#include <string>

#include <mstch/mstch.hpp>

#include "internal.h"
#include "madoguchi/console/app/konbini_flags.h"
#include "madoguchi/console/web/page.h"
#include "modules.h"

namespace madoguchi::console::app {
namespace {

constexpr std::size_t kMaxFlags = 1000;

bool valid_person(std::string_view p) { return domain::valid_linkage_id(p); }

mstch::map subject_map(const FlagSubject& s) {
  return mstch::map{{"person", s.person},
                    {"name", s.name.empty() ? std::string("—") : s.name},
                    {"birth", s.birth.empty() ? std::string("—") : s.birth},
                    {"household", s.household.empty() ? std::string("—") : s.household},
                    {"not_current", !s.current}};
}

class KioskFlagPages final : public PageModule {
 public:
  KioskFlagPages(Shell& shell, KonbiniFlags& flags) : PageModule(shell), flags_(flags) {}
  void add_routes(RouteTable& routes) override {
    routes.add(call_route(this, Route::Methods::get, "/kiosk_log/flags", &Call::list, {domain::Menu::kiosk_log}));
    routes.add(call_route(this, Route::Methods::post, "/kiosk_log/flags/set", &Call::set, {domain::Menu::kiosk_log, domain::Menu::kiosk_flag}));
    routes.add(call_route(this, Route::Methods::post, "/kiosk_log/flags/clear", &Call::clear, {domain::Menu::kiosk_log, domain::Menu::kiosk_flag}));
  }

 private:
  struct Call : PageCall {
    Call(KioskFlagPages& pages, Context& ctx) : PageCall(pages, ctx), flags(pages.flags_) {}
    KonbiniFlags& flags;

    bool may_change() const { return c.role && domain::allowed(*c.role, domain::Menu::kiosk_flag); }

    // The list with the form; `form` carries what was typed and its errors.
    http::Response page(mstch::map form, int status, std::string done = {}) {
      auto list = flags.list(kMaxFlags);
      if (!list) return error(c, 503);
      mstch::array rows;
      for (const auto& f : *list) {
        auto s = flags.subject(f.person);
        if (!s) return error(c, 503);
        rows.push_back(mstch::map{{"person", f.person},
                                  {"name", *s ? (*s)->name : std::string("（住民記録なし）")},
                                  {"reason", f.reason},
                                  {"by", f.by.empty() ? std::string("—") : f.by},
                                  {"at", f.at_ms > 0 ? jst_time(f.at_ms) : std::string("—")}});
      }
      form.emplace("flags", rows);
      form.emplace("count", std::to_string(rows.size()));
      form.emplace("full", list->size() >= kMaxFlags);
      form.emplace("may_change", may_change());
      form.emplace("csrf_token", c.session->csrf_token);
      if (!done.empty()) form.emplace("done", done);
      return content_page(c, "コンビニ交付の停止", domain::Menu::kiosk_log, "kiosk_flags", std::move(form), status);
    }

    http::Response list() {
      const std::string person = query_value(c.req, "person");
      mstch::map form{{"person", valid_person(person) ? person : std::string()}, {"reason", std::string()}};
      std::string done;
      const std::string what = query_value(c.req, "done"), who = query_value(c.req, "who");
      if (valid_person(who) && what == "set") done = "宛名番号 " + who + " のコンビニ交付を停止しました。";
      if (valid_person(who) && what == "clear") done = "宛名番号 " + who + " のコンビニ交付の停止を解除しました。";
      return page(std::move(form), 200, std::move(done));
    }

    http::Response set() {
      const auto& f = *c.form;
      const std::string person = f.value("person");
      const std::string reason = f.value("reason");
      domain::StaffFlag flag{person, reason, c.account->id, c.wall_ms};
      std::vector<web::FieldError> errors;
      // The rule is the domain's (validate_staff_flag), field by field for the form's messages.
      if (!valid_person(person)) errors.push_back({"person", "宛名番号を半角英数字20文字以内で入力してください。"});
      if (!domain::valid_staff_flag_reason(reason)) {
        errors.push_back({"reason", "停止の理由を" + std::to_string(domain::kMaxStaffFlagReasonChars) + "文字以内で入力してください（改行は使えません）。"});
      }
      std::optional<FlagSubject> subject;
      if (errors.empty()) {
        auto s = flags.subject(person);
        if (!s) return error(c, 503);
        if (!*s) errors.push_back({"person", "この宛名番号の住民記録がありません。番号を確かめてください。"});
        subject = std::move(*s);
      }
      if (!errors.empty()) {
        mstch::map form{{"person", person}, {"reason", reason}};
        if (!web::add_field_errors(form, errors)) return error(c, 500);
        return page(std::move(form), 422);
      }
      if (f.value("confirm") != "1") {
        mstch::map content{{"subject", subject_map(*subject)}, {"reason", reason}, {"csrf_token", c.session->csrf_token}};
        // Personal data shown: who looked up whom is in the operation log.
        log("konbini.flag_lookup", c.account->id, "konbini_flag/" + person, "");
        return content_page(c, "コンビニ交付の停止（確認）", domain::Menu::kiosk_log, "kiosk_flag_confirm", std::move(content), 200);
      }
      if (auto s = flags.set(flag); !s) return error(c, s.error().code == Errc::not_found ? 404 : 503);
      log("konbini.flag_set", c.account->id, "konbini_flag/" + person, reason);
      return with_headers(web::see_other("/kiosk_log/flags?done=set&who=" + percent_encode(person)), c.headers);
    }

    http::Response clear() {
      const std::string person = c.form->value("person");
      if (!valid_person(person)) return error(c, 400);
      if (auto s = flags.clear(person); !s) return error(c, s.error().code == Errc::not_found ? 404 : 503);
      log("konbini.flag_clear", c.account->id, "konbini_flag/" + person, "");
      return with_headers(web::see_other("/kiosk_log/flags?done=clear&who=" + percent_encode(person)), c.headers);
    }
  };
  KonbiniFlags& flags_;
};

}  // namespace

std::unique_ptr<PageModule> make_kiosk_flag_pages(Shell& shell, KonbiniFlags& flags) { return std::make_unique<KioskFlagPages>(shell, flags); }

}  // namespace madoguchi::console::app
