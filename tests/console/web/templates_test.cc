#include "madoguchi/console/web/templates.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include <algorithm>

#include "fixture.h"
#include "madoguchi/console/web/page.h"
#include "temp_dir.h"
#include "skip.h"

namespace web = madoguchi::console::web;
using madoguchi::Errc;
using web::testing::context_of;
using web::testing::count;
using web::testing::sample_layout;

namespace {

// Markup an attacker would like to see executed, also trying to break out of an attribute.
const std::string kEvil = "\"'><script>alert(1)</script>&";
const std::string kEvilEscaped = "&quot;&#39;&gt;&lt;script&gt;alert(1)&lt;&#x2F;script&gt;&amp;";

// A context for `page` with every key the templates read, filled from `text`.
mstch::map full_context(const std::string& page, const std::string& text, bool signed_in = true) {
  web::Layout layout;
  layout.title = text;
  layout.service_name = text;
  layout.municipality_name = text;
  layout.emblem_url = "/emblem.png?" + text;
  layout.staff_name = signed_in ? text : "";
  layout.csrf_token = text;
  if (signed_in) layout.menus = {{text, "/menu?" + text, true}, {text, "/other", false}};
  mstch::map context = context_of(layout);
  if (page == "sign_in") {
    context.insert_or_assign("login_id", text);
    context.insert_or_assign("failed", true);
    context.insert_or_assign("throttled", true);
  } else if (page == "password_change") {
    context.insert_or_assign("password_rules", mstch::array{text, text});
    REQUIRE(web::add_field_errors(context, {{"current_password", text}, {"new_password", text},
                                            {"confirm_password", text}})
                .ok());
  } else if (page == "message" || page == "error") {
    context.insert_or_assign("message", text);
    context.insert_or_assign("next_url", "/next?" + text);
    context.insert_or_assign("next_label", text);
  }
  return context;
}

// The page without the one script element a page may have: the console's own external script
// (<script src="..." defer></script>, the QR import screen's enhancement, CSP script-src 'self').
// Anything else that looks like a script stays and fails the checks.
std::string without_console_script(const std::string& html) {
  static const std::regex tag("<script src=\"[^\"<>]*\" defer></script>");
  return std::regex_replace(html, tag, "");
}

std::string render(const web::Templates& t, const std::string& page, const mstch::map& context) {
  auto html = t.render(page, context);
  REQUIRE(html.ok());
  return *html;
}

// Tags whose opening and closing counts must match in every page.
const char* const kPairedTags[] = {"html", "head", "body", "header", "nav", "main", "footer", "form",
                                   "div", "ul", "li", "p", "h1", "h2", "a", "label", "button", "span",
                                   "title"};

// Opening tags "<tag" followed by whitespace or ">" (so "<a" does not count "<abbr").
std::size_t count_open(const std::string& html, const std::string& tag) {
  std::size_t n = 0;
  const std::string start = "<" + tag;
  for (auto pos = html.find(start); pos != std::string::npos; pos = html.find(start, pos + 1)) {
    const auto next = pos + start.size();
    if (next < html.size() && (html[next] == '>' || html[next] == ' ' || html[next] == '\n')) ++n;
  }
  return n;
}

void require_balanced(const std::string& html) {
  for (const char* tag : kPairedTags) {
    INFO("tag <" << tag << ">");
    CHECK(count_open(html, tag) == count(html, std::string("</") + tag + ">"));
  }
}

std::string find_chromium() {
  const char* path = std::getenv("PATH");
  if (!path) return {};
  std::stringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
      const auto candidate = std::filesystem::path(dir) / name;
      std::error_code ec;
      if (std::filesystem::is_regular_file(candidate, ec)) return candidate.string();
    }
  }
  return {};
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Renders every page, signed in and out, into `dir`; returns the files.
std::vector<std::filesystem::path> write_pages(const web::Templates& t, const madoguchi::testing::TempDir& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& page : t.pages()) {
    for (bool signed_in : {true, false}) {
      const auto path = dir / (page + (signed_in ? "-signed-in.html" : "-signed-out.html"));
      std::ofstream out(path, std::ios::binary);
      out << render(t, page, full_context(page, "見本", signed_in));
      files.push_back(path);
    }
  }
  return files;
}

// Parses each file with Chromium (--dump-dom, in parallel) and checks that the DOM it built has
// the structure the template wrote: a parser repairing a stray or unclosed tag changes the counts.
// Chromium takes about a second per page, so the default suite checks one page (see below).
void check_with_chromium(const std::vector<std::filesystem::path>& files, const madoguchi::testing::TempDir& dir) {
  const std::string chromium = find_chromium();
  if (chromium.empty()) {
    madoguchi::testing::skip_test("chromium is not installed: the DOM check cannot run");
    return;
  }
  std::string command;
  for (const auto& file : files) {
    command += "timeout 30 '" + chromium + "' --headless --no-sandbox --disable-gpu --disable-dev-shm-usage " +
               "--no-first-run --disable-extensions --user-data-dir='" + (dir / "chromium-profile").string() + "-" +
               file.filename().string() + "' --dump-dom 'file://" + file.string() + "' > '" + file.string() +
               ".dom' 2>/dev/null & ";
  }
  command += "wait";
  (void)std::system(command.c_str());
  for (const auto& file : files) {
    INFO(file.filename().string());
    const std::string dom = read_file(file.string() + ".dom");
    if (dom.empty()) {
      madoguchi::testing::skip_test("chromium produced no DOM (it does not run here)");
      return;
    }
    const std::string html = read_file(file);
    CHECK(dom.find("<html lang=\"ja\">") != std::string::npos);
    CHECK(dom.find("<a class=\"skip-link\" href=\"#main\">") != std::string::npos);
    CHECK(dom.find("<main id=\"main\"") != std::string::npos);
    for (const char* tag : kPairedTags) {
      INFO("tag <" << tag << ">");
      CHECK(count_open(dom, tag) == count_open(html, tag));
      CHECK(count(dom, std::string("</") + tag + ">") == count(html, std::string("</") + tag + ">"));
    }
  }
}

}  // namespace

TEST_CASE("The pages are sign_in, password_change, message and error, the layout's pieces are not pages") {
  const web::Templates t;
  const auto pages = t.pages();
  auto has = [&](const char* name) { return std::find(pages.begin(), pages.end(), name) != pages.end(); };
  for (const char* page : {"error", "message", "password_change", "sign_in", "card_import_session"}) CHECK(has(page));
  for (const char* piece : {"layout", "header", "footer", "error_summary"}) CHECK_FALSE(has(piece));
  for (const char* name : {"layout", "header", "footer", "error_summary", "content", "css_url", "",
                           "../layout", "sign_in.mustache", "SIGN_IN"}) {
    INFO(name);
    const auto html = t.render(name, {});
    REQUIRE_FALSE(html.ok());
    CHECK(html.error().code == Errc::not_found);
  }
}

TEST_CASE("User data is HTML-escaped in every page template, also inside attributes") {
  const web::Templates t;
  for (const auto& page : t.pages()) {
    for (bool signed_in : {true, false}) {
      INFO(page << (signed_in ? " signed in" : " signed out"));
      const std::string html = without_console_script(render(t, page, full_context(page, kEvil, signed_in)));
      CHECK(html.find("<script") == std::string::npos);
      CHECK(html.find("\"'>") == std::string::npos);
      CHECK(html.find(kEvilEscaped) != std::string::npos);
    }
  }
}

TEST_CASE("A name with markup is shown as text in the header") {
  const web::Templates t;
  auto layout = sample_layout();
  layout.staff_name = "<script>alert('x')</script>";
  const std::string html = render(t, "message", context_of(layout));
  CHECK(html.find("<script>") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;&#x2F;script&gt;") != std::string::npos);
}

TEST_CASE("The layout shows exactly the menus it is given and marks the current one") {
  // Two navigations with the same items: the wide one, and the one folded into a disclosure
  // (<details>, no script) that the style sheet shows instead below 48em (issue 14).
  const web::Templates t;
  auto layout = sample_layout();
  const std::string html = render(t, "message", context_of(layout));
  CHECK(count(html, "<nav ") == 2);
  CHECK(count(html, "<nav class=\"site-nav site-nav--narrow\" aria-label=\"メインメニュー\">\n<div class=\"container\">\n<details class=\"menu-fold\">\n<summary>メニュー</summary>") == 1);
  CHECK(count(html, "<li><a href=") == 4);
  CHECK(html.find("<li><a href=\"&#x2F;reservations\" aria-current=\"page\">予約一覧</a></li>") != std::string::npos);
  CHECK(html.find("<li><a href=\"&#x2F;settings\">設定</a></li>") != std::string::npos);
  CHECK(count(html, "aria-current") == 2);
  CHECK(html.find("staff") == std::string::npos);  // a menu this person was not given

  layout.menus = {{"設定", "/settings", false}};
  const std::string one = render(t, "message", context_of(layout));
  CHECK(count(one, "<li><a href=") == 2);
  CHECK(one.find("予約一覧</a>") == std::string::npos);
  CHECK(one.find("aria-current") == std::string::npos);

  layout.menus.clear();
  const std::string none = render(t, "message", context_of(layout));
  CHECK(none.find("<nav") == std::string::npos);
}

TEST_CASE("The header carries the emblem with the municipality's name as alt text, and the service name") {
  const web::Templates t;
  auto layout = sample_layout();
  const std::string html = render(t, "message", context_of(layout));
  CHECK(html.find("<img class=\"emblem\" src=\"&#x2F;media&#x2F;emblem.png\" alt=\"見本市\">") != std::string::npos);
  CHECK(html.find("<span>マイナンバーカード窓口</span>") != std::string::npos);
  CHECK(html.find("<title>予約一覧 | マイナンバーカード窓口</title>") != std::string::npos);

  layout.emblem_url.clear();
  const std::string text_only = render(t, "message", context_of(layout));
  CHECK(text_only.find("<img") == std::string::npos);
  CHECK(text_only.find("<span>見本市</span>") != std::string::npos);
}

TEST_CASE("The sign-out button is a POST form carrying the session's CSRF token") {
  const web::Templates t;
  const std::string html = render(t, "message", context_of(sample_layout()));
  CHECK(html.find("<form method=\"post\" action=\"" + std::string(web::kSignOutPath) + "\">\n"
                  "<input type=\"hidden\" name=\"csrf_token\" value=\"csrf-token-of-this-session\">") !=
        std::string::npos);
  CHECK(html.find("窓口 花子") != std::string::npos);
}

TEST_CASE("Signed-out pages have no account area and no sign-out form") {
  const web::Templates t;
  auto layout = sample_layout();
  layout.staff_name.clear();
  layout.menus.clear();
  const std::string html = render(t, "sign_in", context_of(layout));
  CHECK(html.find(std::string(web::kSignOutPath)) == std::string::npos);
  CHECK(html.find("class=\"account\"") == std::string::npos);
  CHECK(html.find("<nav") == std::string::npos);
}

TEST_CASE("layout_context refuses an emblem or menu URL that leaves the site") {
  for (const char* url : {"https://evil.example/e.png", "//evil.example/e.png", "javascript:alert(1)",
                          "/\\evil.example", "emblem.png", "/a\nb"}) {
    INFO(url);
    auto layout = sample_layout();
    layout.emblem_url = url;
    auto emblem = web::layout_context(layout);
    REQUIRE_FALSE(emblem.ok());
    CHECK(emblem.error().code == Errc::invalid_argument);

    layout = sample_layout();
    layout.menus.push_back({"外部", url, false});
    auto menu = web::layout_context(layout);
    REQUIRE_FALSE(menu.ok());
    CHECK(menu.error().code == Errc::invalid_argument);
  }
}

TEST_CASE("The sign-in failure message never says whether the ID or the password was wrong") {
  const web::Templates t;
  auto layout = sample_layout();
  layout.staff_name.clear();
  mstch::map context = context_of(layout);
  context.insert_or_assign("login_id", std::string("yamada"));
  context.insert_or_assign("password", std::string("hunter2"));  // never echoed, whatever the caller does
  context.insert_or_assign("failed", true);
  const std::string html = render(t, "sign_in", context);
  CHECK(html.find("role=\"alert\"") != std::string::npos);
  CHECK(html.find("IDまたはパスワードが正しくありません。") != std::string::npos);
  CHECK(html.find("href=\"#login_id\"") != std::string::npos);
  CHECK(html.find("value=\"yamada\"") != std::string::npos);
  CHECK(html.find("hunter2") == std::string::npos);
  CHECK(html.find("action=\"" + std::string(web::kSignInPath) + "\"") != std::string::npos);

  context.insert_or_assign("failed", false);
  const std::string fresh = render(t, "sign_in", context);
  CHECK(fresh.find("role=\"alert\"") == std::string::npos);
}

TEST_CASE("The sign-in form carries a pre-session CSRF token only when given one") {
  const web::Templates t;
  auto layout = sample_layout();
  layout.staff_name.clear();
  layout.csrf_token.clear();
  mstch::map context = context_of(layout);
  CHECK(render(t, "sign_in", context).find("name=\"csrf_token\"") == std::string::npos);
  context.insert_or_assign("csrf_token", std::string("pre-session-token"));
  CHECK(render(t, "sign_in", context).find("<input type=\"hidden\" name=\"csrf_token\" value=\"pre-session-token\">") !=
        std::string::npos);
}

TEST_CASE("The password change page lists the rules and links each error to its field") {
  const web::Templates t;
  mstch::map context = context_of(sample_layout());
  context.insert_or_assign("password_rules", mstch::array{std::string("12文字以上"), std::string("英字と数字を含む")});
  const std::string clean = render(t, "password_change", context);
  CHECK(clean.find("<li>12文字以上</li>") != std::string::npos);
  CHECK(clean.find("<li>英字と数字を含む</li>") != std::string::npos);
  CHECK(clean.find("role=\"alert\"") == std::string::npos);
  CHECK(clean.find("aria-invalid") == std::string::npos);
  CHECK(clean.find("action=\"" + std::string(web::kPasswordPath) + "\"") != std::string::npos);

  REQUIRE(web::add_field_errors(context, {{"new_password", "12文字以上で入力してください。"},
                                          {"new_password", "英字と数字を含めてください。"},
                                          {"confirm_password", "確認用のパスワードが一致しません。"}})
              .ok());
  const std::string html = render(t, "password_change", context);
  CHECK(count(html, "role=\"alert\"") == 1);
  CHECK(html.find("<li><a href=\"#new_password\">12文字以上で入力してください。</a></li>") != std::string::npos);
  CHECK(html.find("<li><a href=\"#new_password\">英字と数字を含めてください。</a></li>") != std::string::npos);
  CHECK(html.find("<li><a href=\"#confirm_password\">確認用のパスワードが一致しません。</a></li>") != std::string::npos);
  CHECK(html.find("id=\"new_password-error\"") != std::string::npos);
  CHECK(html.find("aria-describedby=\"password-rules-title password-rules new_password-error\" aria-invalid=\"true\"") !=
        std::string::npos);
  CHECK(html.find("aria-invalid=\"true\" aria-describedby=\"confirm_password-error\"") != std::string::npos);
  CHECK(html.find("current_password-error") == std::string::npos);
}

TEST_CASE("add_field_errors refuses field ids that are not plain identifiers and changes nothing") {
  mstch::map context;
  for (const char* id : {"", "new-password", "x\" onfocus=\"alert(1)", "Field"}) {
    INFO(id);
    const auto status = web::add_field_errors(context, {{"ok", "a"}, {id, "b"}});
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code == Errc::invalid_argument);
    CHECK(context.empty());
  }
}

TEST_CASE("No page has inline script, inline style or event handler attributes") {
  const web::Templates t;
  const std::regex handler("\\son[a-z]+\\s*=");
  for (const auto& page : t.pages()) {
    INFO(page);
    const std::string html = without_console_script(render(t, page, full_context(page, "text")));
    CHECK(html.find("<script") == std::string::npos);
    CHECK(html.find("<style") == std::string::npos);
    CHECK(html.find("style=") == std::string::npos);
    CHECK_FALSE(std::regex_search(html, handler));
  }
}

TEST_CASE("Every visible input has a label pointing at it") {
  const web::Templates t;
  const std::regex input("<input [^>]*>");
  const std::regex id_attr("\\sid=\"([^\"]+)\"");
  for (const auto& page : t.pages()) {
    const std::string html = render(t, page, full_context(page, "text"));
    for (auto it = std::sregex_iterator(html.begin(), html.end(), input); it != std::sregex_iterator(); ++it) {
      const std::string tag = it->str();
      if (tag.find("type=\"hidden\"") != std::string::npos) continue;
      INFO(page << ": " << tag);
      std::smatch id;
      REQUIRE(std::regex_search(tag, id, id_attr));
      CHECK(count(html, "<label for=\"" + id[1].str() + "\">") == 1);
    }
  }
}

TEST_CASE("Each page written to a file is a Japanese HTML document with a skip link to the main content") {
  const web::Templates t;
  const madoguchi::testing::TempDir dir;
  for (const auto& path : write_pages(t, dir)) {
    const std::string html = read_file(path);
    INFO(path.filename().string());
    CHECK(html.rfind("<!DOCTYPE html>\n<html lang=\"ja\">\n", 0) == 0);
    CHECK(html.find("<meta charset=\"utf-8\">") != std::string::npos);
    CHECK(html.find("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">") != std::string::npos);
    const auto skip = html.find("<a class=\"skip-link\" href=\"#main\">本文へ移動</a>");
    const auto main = html.find("<main id=\"main\"");
    CHECK(skip != std::string::npos);
    CHECK(main != std::string::npos);
    CHECK(skip < main);
    CHECK(count(html, "<h1>") == 1);
    CHECK(html.find("<link rel=\"stylesheet\" href=\"" + web::static_css_url() + "\">") != std::string::npos);
    CHECK(html.size() > 15);
    CHECK(html.substr(html.size() - 8) == "</html>\n");
    require_balanced(html);
  }
}

TEST_CASE("Chromium, when installed, parses the richest page into the structure the template wrote") {
  const web::Templates t;
  const madoguchi::testing::TempDir dir;
  const auto path = dir / "password_change-signed-in.html";
  {
    std::ofstream out(path, std::ios::binary);
    mstch::map context = full_context("password_change", "見本");
    out << render(t, "password_change", context);
  }
  check_with_chromium({path}, dir);
}

// Hidden from the default run (about a second per page): test_console_web "[chromium]"
TEST_CASE("Chromium, when installed, parses every page into the structure the template wrote", "[.chromium]") {
  const web::Templates t;
  const madoguchi::testing::TempDir dir;
  check_with_chromium(write_pages(t, dir), dir);
}
