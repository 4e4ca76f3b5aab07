#include "madoguchi/console/app/console_app.h"

#include <catch2/catch.hpp>
#include <map>
#include <regex>
#include <string>

#include "madoguchi/domain/oplog.h"
#include "madoguchi/domain/password.h"
#include "madoguchi/console/web/cookies.h"
#include "card_fixture.h"
#include "console_fixture.h"

using namespace madoguchi;
using namespace madoguchi::console;
using namespace madoguchi::domain;
using namespace std::chrono_literals;

using namespace madoguchi::testing::console_app;

TEST_CASE("Signed-out visitors to the home page are sent to the Japanese sign-in form", "[console_app]") {
  World w;
  Browser b{w.app};
  auto home = b.send("GET", "/");
  CHECK(home.status == 303);
  CHECK(b.location(home) == "/sign-in");
  auto form = b.send("GET", "/sign-in");
  CHECK(form.status == 200);
  CHECK(form.body.find("ログイン") != std::string::npos);
  CHECK(field(form.body, "csrf_token").size() == web::kTokenLength);
  CHECK(b.cookies.count("madoguchi_signin") == 1);
}

TEST_CASE("A correct ID and password sign in, bind a new session to the client and are logged", "[console_app]") {
  World w;
  Browser b{w.app};
  auto r = b.sign_in("admin01", kAdminPw);
  CHECK(r.status == 303);
  CHECK(b.location(r) == "/");
  REQUIRE(b.cookies.count("madoguchi_session") == 1);
  CHECK(b.cookies.count("madoguchi_signin") == 0);
  auto home = b.send("GET", "/");
  CHECK(home.status == 200);
  CHECK(home.body.find("管理 太郎さん、ようこそ。") != std::string::npos);
  CHECK(w.store.logged("sign_in", "admin01"));
  CHECK(domain::verify_chain(w.store.log).intact);
}

TEST_CASE("A wrong password and an unknown ID get the same generic refusal", "[console_app]") {
  World w;
  Browser b{w.app};
  auto wrong = b.sign_in("admin01", "Not-The-Password-1");
  auto unknown = b.sign_in("nobody99", "Not-The-Password-1");
  for (const auto* r : {&wrong, &unknown}) {
    CHECK(r->status == 200);
    CHECK(r->body.find("IDまたはパスワードが正しくありません。") != std::string::npos);
  }
  CHECK(b.cookies.count("madoguchi_session") == 0);
  CHECK(w.store.logged("sign_in.failure", "admin01"));
  // The unknown ID is not written into the log (it may be a password typed in the wrong field).
  for (const auto& e : w.store.log) CHECK(e.staff_id != "nobody99");
}

TEST_CASE("Repeated wrong passwords lock the ID even for the right password until the lock ends", "[console_app]") {
  World w;
  w.store.stored_settings.password.lockout_threshold = 3;
  w.store.stored_settings.password.lockout_minutes = 10;
  Browser b{w.app};
  for (int i = 0; i < 3; ++i) b.sign_in("clerk01", "Wrong-Password-9");
  CHECK(w.store.logged("sign_in.locked", "clerk01"));
  auto locked = b.sign_in("clerk01", kClerkPw);
  CHECK(locked.body.find("IDまたはパスワードが正しくありません。") != std::string::npos);
  CHECK(b.cookies.count("madoguchi_session") == 0);
  w.clock.advance(11min);
  CHECK(b.sign_in("clerk01", kClerkPw).status == 303);
  CHECK(b.cookies.count("madoguchi_session") == 1);
}

TEST_CASE("A client that posts sign-ins too fast is throttled", "[console_app]") {
  World w;
  Browser b{w.app};
  int throttled = 0;
  for (int i = 0; i < 12; ++i) throttled += b.sign_in("nobody" + std::to_string(i), "x").status == 429;
  CHECK(throttled == 2);  // burst of 10
}

TEST_CASE("A guesser behind the office's NAT slows that address down but locks nobody else out (issue 11)",
          "[console_app]") {
  World w;
  w.store.stored_settings.password.lockout_threshold = 3;  // 12 failures per address before the slowdown
  Browser guesser{w.app};
  Browser colleague{w.app};  // same address: both behind the city hall's NAT
  for (int i = 0; i < 40; ++i) {
    w.clock.advance(std::chrono::seconds(6));  // under the rate limit: one request every 5 s
    (void)guesser.sign_in("guess" + std::to_string(i), "Wrong-Password-9");
  }
  // The address waits a few seconds (429, the throttle notice), then its staff sign in.
  auto slowed = colleague.sign_in("clerk01", kClerkPw);
  CHECK(slowed.status == 429);
  w.clock.advance(std::chrono::seconds(31));
  CHECK(colleague.sign_in("clerk01", kClerkPw).status == 303);
  CHECK(colleague.cookies.count("madoguchi_session") == 1);
  CHECK_FALSE(w.store.logged("sign_in.locked", "clerk01"));
}

TEST_CASE("A disabled account cannot sign in, and disabling one signs its sessions out", "[console_app]") {
  World w;
  Browser b{w.app};
  REQUIRE(b.sign_in("clerk01", kClerkPw).status == 303);
  w.store.accounts["clerk01"].enabled = false;
  auto r = b.send("GET", "/");
  CHECK(r.status == 303);
  CHECK(b.location(r) == "/sign-in");
  CHECK(b.cookies.count("madoguchi_session") == 0);
  CHECK(w.store.logged("sign_out.account_disabled", "clerk01"));
  auto again = b.sign_in("clerk01", kClerkPw);
  CHECK(again.body.find("IDまたはパスワードが正しくありません。") != std::string::npos);
  CHECK(b.cookies.count("madoguchi_session") == 0);
}

TEST_CASE("The navigation shows only the menus of the person's role", "[console_app]") {
  World w(true);
  MemoryCards cards;
  w.app.attach_cards(cards, {});
  Browser admin{w.app}, clerk{w.app};
  admin.sign_in("admin01", kAdminPw);
  clerk.sign_in("clerk01", kClerkPw);
  auto a = admin.send("GET", "/").body;
  auto c = clerk.send("GET", "/").body;
  for (const char* label : {"職員管理", "権限管理", "システム設定", "操作ログ"}) {
    CHECK(a.find(label) != std::string::npos);
    CHECK(c.find(label) == std::string::npos);
  }
  CHECK(c.find(">交付管理</a>") != std::string::npos);
  CHECK(c.find(">予約管理</a>") == std::string::npos);  // the clerk may, but this console has no bookings attached
}

TEST_CASE("A menu the role does not have is refused with 403 and logged, whatever the navigation showed", "[console_app]") {
  World w;
  MemoryCards cards;
  w.app.attach_cards(cards, {});
  Browser clerk{w.app};
  clerk.sign_in("clerk01", kClerkPw);
  auto r = clerk.send("GET", "/staff");
  CHECK(r.status == 403);
  CHECK(r.body.find("このページは表示できません") != std::string::npos);
  CHECK(clerk.send("GET", "/oplog").status == 403);
  CHECK(w.store.logged("menu.forbidden", "clerk01"));
  CHECK(clerk.send("GET", "/cards").status == 200);
  CHECK(clerk.send("GET", "/no-such-page").status == 404);
}

TEST_CASE("No menu item leads to a screen this console does not serve (issue 14)", "[console_app]") {
  // Every link of the navigation, for an administrator holding every menu, opens a real screen.
  auto every_link_works = [](World& w) {
    Browser admin{w.app};
    admin.sign_in("admin01", kAdminPw);
    const std::string home = admin.send("GET", "/").body;
    const std::regex link(R"re(<li><a href="&#x2F;([a-z_]+)"[^>]*>([^<]+)</a>)re");  // the navigation's items
    std::size_t menus = 0;
    for (auto it = std::sregex_iterator(home.begin(), home.end(), link); it != std::sregex_iterator(); ++it) {
      const std::string path = "/" + (*it)[1].str();
      REQUIRE(madoguchi::domain::menu_from_id((*it)[1].str()));
      INFO(path);
      auto page = admin.send("GET", path);
      CHECK((page.status == 200 || page.status == 303));
      CHECK_FALSE(contains(page.body, "準備中"));
      ++menus;
    }
    return menus;
  };
  SECTION("a counter console without 交付管理 attached offers no 交付管理, and /cards is not there") {
    World w;
    Browser clerk{w.app};
    clerk.sign_in("clerk01", kClerkPw);
    auto home = clerk.send("GET", "/").body;
    CHECK_FALSE(contains(home, ">交付管理</a>"));
    CHECK(clerk.send("GET", "/cards").status == 404);
    CHECK(every_link_works(w) >= 1);
  }
  SECTION("at a counter, the hub's screens are not menu items; a bookmark to one says where it is") {
    World w;
    MemoryCards cards;
    w.app.attach_cards(cards, {});
    Browser admin{w.app};
    admin.sign_in("admin01", kAdminPw);
    auto home = admin.send("GET", "/").body;
    CHECK(contains(home, ">交付管理</a>"));
    for (const char* label : {">職員管理</a>", ">連携状況</a>", ">同期状況</a>", ">コンビニ交付記録</a>", ">障害通知</a>"}) {
      INFO(label);
      CHECK_FALSE(contains(home, label));
    }
    auto staff = admin.send("GET", "/staff");
    CHECK(staff.status == 200);
    CHECK(contains(staff.body, "本庁の管理コンソール（ハブ）"));
    CHECK(admin.send("GET", "/kiosk_log").status == 404);
    CHECK(every_link_works(w) >= 2);
  }
  SECTION("at the hub, every menu offered works") {
    World w(true);
    CHECK(every_link_works(w) >= 4);  // ホーム, 職員管理, 権限管理, システム設定, 操作ログ
  }
}

TEST_CASE("The operation log screen lists the person's own entries with time, action and target", "[console_app]") {
  World w;
  Browser admin{w.app};
  admin.sign_in("admin01", "Wrong-Password-1");
  admin.sign_in("admin01", kAdminPw);
  Browser clerk{w.app};
  clerk.sign_in("clerk01", kClerkPw);
  auto r = admin.send("GET", "/oplog");
  REQUIRE(r.status == 200);
  CHECK(r.body.find("<table") != std::string::npos);
  CHECK(r.body.find("ログイン失敗") != std::string::npos);
  CHECK(r.body.find("staff&#x2F;admin01") != std::string::npos);  // mstch escapes "/"
  CHECK(r.body.find("2023-11-15 07:13:20") != std::string::npos);  // 1'700'000'000'000 ms in JST
  CHECK(r.body.find("clerk01") == std::string::npos);  // only one's own
  CHECK(r.body.find("aria-current=\"page\"") != std::string::npos);
}

TEST_CASE("A session idle for the configured time is signed out and the sign-out is logged", "[console_app]") {
  World w;
  w.store.stored_settings.session_idle = 5min;
  Browser b{w.app};
  b.sign_in("clerk01", kClerkPw);
  w.clock.advance(4min);
  CHECK(b.send("GET", "/").status == 200);  // activity resets the idle time
  w.clock.advance(4min);
  CHECK(b.send("GET", "/").status == 200);
  w.clock.advance(5min);
  auto r = b.send("GET", "/");
  CHECK(r.status == 303);
  CHECK(b.location(r) == "/sign-in?signed_out=idle");
  CHECK(w.store.logged("sign_out.idle", "clerk01"));
  CHECK(w.app.sessions() == 0);
  // The sign-in page says why (ACC-4); a plain sign-in page and a failed sign-in do not.
  const std::string notice = "一定時間操作がなかったため、自動的にログアウトしました。";
  CHECK(b.send("GET", "/sign-in?signed_out=idle").body.find(notice) != std::string::npos);
  CHECK(b.send("GET", "/sign-in").body.find(notice) == std::string::npos);
  CHECK(b.sign_in("clerk01", "Wrong-Password-1").body.find(notice) == std::string::npos);
}

TEST_CASE("An idle session presented at the sign-in page itself gets the idle notice", "[console_app]") {
  World w;
  w.store.stored_settings.session_idle = 5min;
  Browser b{w.app};
  b.sign_in("clerk01", kClerkPw);
  w.clock.advance(5min);
  auto r = b.send("GET", "/sign-in");
  CHECK(r.status == 200);
  CHECK(r.body.find("一定時間操作がなかったため") != std::string::npos);
  CHECK(b.cookies.count("madoguchi_session") == 0);
}

TEST_CASE("Signing out needs the CSRF token and ends the session", "[console_app]") {
  World w;
  Browser b{w.app};
  b.sign_in("clerk01", kClerkPw);
  CHECK(b.send("POST", "/sign-out", "csrf_token=forged").status == 403);
  CHECK(b.send("GET", "/").status == 200);
  auto r = b.send("POST", "/sign-out", "csrf_token=" + b.csrf());
  CHECK(r.status == 303);
  CHECK(b.cookies.count("madoguchi_session") == 0);
  CHECK(w.store.logged("sign_out", "clerk01"));
  CHECK(w.app.sessions() == 0);
}

TEST_CASE("A sign-in post without the double-submit cookie is refused", "[console_app]") {
  World w;
  Browser b{w.app};
  auto form = b.send("GET", "/sign-in");
  const std::string token = field(form.body, "csrf_token");
  b.cookies.clear();
  auto r = b.send("POST", "/sign-in", std::string("login_id=clerk01&password=") + kClerkPw + "&csrf_token=" + token);
  CHECK(r.status == 403);
  CHECK(w.app.sessions() == 0);
}

TEST_CASE("A session cookie presented from another client is refused and the session destroyed", "[console_app]") {
  World w;
  Browser b{w.app};
  b.sign_in("clerk01", kClerkPw);
  Browser thief{w.app, "192.0.2.7", b.cookies};
  auto r = thief.send("GET", "/");
  CHECK(r.status == 303);
  CHECK(w.app.sessions() == 0);
  CHECK(b.send("GET", "/").status == 303);  // the leaked session is gone for everyone
}

TEST_CASE("A password change is checked against the rules and signs other sessions out", "[console_app]") {
  World w;
  Browser b{w.app}, other{w.app};
  b.sign_in("clerk01", kClerkPw);
  other.sign_in("clerk01", kClerkPw);
  const std::string token = b.csrf();
  auto bad = b.send("POST", "/password",
                    "current_password=wrong&new_password=short&confirm_password=different&csrf_token=" + token);
  CHECK(bad.status == 422);
  CHECK(bad.body.find("現在のパスワードが正しくありません。") != std::string::npos);
  CHECK(bad.body.find("12文字以上で入力してください。") != std::string::npos);
  CHECK(bad.body.find("確認用のパスワードが新しいパスワードと一致しません。") != std::string::npos);
  auto with_id = b.send("POST", "/password",
                        std::string("current_password=") + kClerkPw +
                            "&new_password=Xclerk01-Longer9&confirm_password=Xclerk01-Longer9&csrf_token=" + token);
  CHECK(with_id.body.find("IDを含めないでください。") != std::string::npos);
  const domain::StaffAccount before = w.store.accounts["clerk01"];
  auto ok = b.send("POST", "/password",
                   std::string("current_password=") + kClerkPw +
                       "&new_password=New-Counter-Pass-7&confirm_password=New-Counter-Pass-7&csrf_token=" + token);
  CHECK(ok.status == 200);
  CHECK(ok.body.find("パスワードを変更しました。") != std::string::npos);
  CHECK(domain::verify_password(w.store.accounts["clerk01"].password_hash, "New-Counter-Pass-7"));
  CHECK(w.store.logged("password.change", "clerk01"));
  // At a counter PC the change carries its proof for the hub (issue 11 hole 4).
  CHECK(domain::verify_password_change(before, w.store.accounts["clerk01"]).ok());
  CHECK(b.send("GET", "/").status == 200);      // this browser got a new session
  CHECK(other.send("GET", "/").status == 303);  // the other one was signed out
  for (const auto& e : w.store.log) CHECK(e.detail.find("Pass") == std::string::npos);
}

TEST_CASE("At a counter PC an administrator's or a keyless password is changed only at the hub (issue 11 hole 4)",
          "[console_app]") {
  World w;
  w.store.accounts["clerk01"].password_key.clear();  // set before password keys existed
  for (const auto& [id, pw] : {std::pair{"admin01", kAdminPw}, std::pair{"clerk01", kClerkPw}}) {
    INFO(id);
    Browser b{w.app};
    b.sign_in(id, pw);
    const std::string hash = w.store.accounts[id].password_hash;
    auto r = b.send("POST", "/password",
                    std::string("current_password=") + pw +
                        "&new_password=New-Counter-Pass-7&confirm_password=New-Counter-Pass-7&csrf_token=" + b.csrf());
    CHECK(r.status == 422);
    CHECK(r.body.find("本庁の管理画面で変更してください") != std::string::npos);
    CHECK(w.store.accounts[id].password_hash == hash);
  }
  // At the hub both may.
  World hub(true);
  hub.store.accounts["clerk01"].password_key.clear();
  Browser b{hub.app};
  b.sign_in("clerk01", kClerkPw);
  // Signing in at the hub gave the account its key.
  CHECK(domain::is_password_key(hub.store.accounts["clerk01"].password_key));
  auto r = b.send("POST", "/password",
                  std::string("current_password=") + kClerkPw +
                      "&new_password=New-Counter-Pass-7&confirm_password=New-Counter-Pass-7&csrf_token=" + b.csrf());
  CHECK(r.status == 200);
}

TEST_CASE("An account that must change its password may open nothing but the password page", "[console_app]") {
  World w;
  MemoryCards cards;
  w.app.attach_cards(cards, {});
  w.store.accounts["clerk01"].must_change_password = true;
  Browser b{w.app};
  auto r = b.sign_in("clerk01", kClerkPw);
  CHECK(b.location(r) == "/password");
  CHECK(b.location(b.send("GET", "/cards")) == "/password");
  auto page = b.send("GET", "/password");
  CHECK(page.status == 200);
  CHECK(page.body.find("交付管理") == std::string::npos);  // no menus yet
  b.send("POST", "/password",
         std::string("current_password=") + kClerkPw +
             "&new_password=New-Counter-Pass-7&confirm_password=New-Counter-Pass-7&csrf_token=" +
             field(page.body, "csrf_token"));
  CHECK(!w.store.accounts["clerk01"].must_change_password);
  CHECK(b.send("GET", "/cards").status == 200);
}
