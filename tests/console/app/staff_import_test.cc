// The staff CSV import at the hub console (ACC-3): multipart upload, preview, confirmation, through
// http::dispatch with the in-memory store (console_fixture.h).
#include <catch2/catch.hpp>
#include <regex>
#include <string>

#include "console_fixture.h"
#include "madoguchi/text/encoding.h"

using namespace madoguchi::testing::console_app;

namespace {


constexpr const char* kBoundary = "----WebKitFormBoundaryQ1w2E3r4T5y6U7i8";

// A body as Chromium sends the import form.
std::string upload_body(const std::string& token, const std::string& csv, const std::string& encoding = "auto",
                        bool with_token = true) {
  const std::string b = std::string("--") + kBoundary + "\r\n";
  std::string body;
  if (with_token) body += b + "Content-Disposition: form-data; name=\"csrf_token\"\r\n\r\n" + token + "\r\n";
  body += b + "Content-Disposition: form-data; name=\"file\"; filename=\"staff.csv\"\r\nContent-Type: text/csv\r\n\r\n" + csv + "\r\n";
  body += b + "Content-Disposition: form-data; name=\"encoding\"\r\n\r\n" + encoding + "\r\n";
  body += std::string("--") + kBoundary + "--\r\n";
  return body;
}

std::string import_token(const std::string& html) {
  std::smatch m;
  if (std::regex_search(html, m, std::regex("name=\"import_token\" value=\"([^\"]*)\""))) return m[1];
  return {};
}

constexpr const char* kHeader = "職員ID,氏名,権限,有効,操作,初期パスワード\r\n";

// Adds sato03, renames and disables clerk01, deletes old01.
std::string good_csv() {
  return std::string(kHeader) +
         "admin01,管理 太郎,管理者,有効,,\r\n"
         "clerk01,窓口 花,窓口職員,無効,変更,\r\n"
         "sato03,佐藤 次郎,窓口職員,有効,追加,Hajime-2026xy\r\n"
         "old01,旧 職員,窓口職員,有効,削除,\r\n";
}

struct Admin : AdminSession {
  Admin() { w.store.accounts["old01"] = account("old01", "旧 職員", "counter_clerk", kClerkPw); }
  http::Response upload(const std::string& csv, const std::string& encoding = "auto") {
    return b.send("POST", "/staff/import", upload_body(token, csv, encoding),
                  std::string("multipart/form-data; boundary=") + kBoundary);
  }
  http::Response apply(const std::string& import) {
    return b.send("POST", "/staff/import/apply", "csrf_token=" + token + "&import_token=" + import);
  }
};

}  // namespace

TEST_CASE("The import page offers a CSV file input, an encoding choice and carries the CSRF token", "[staff_import]") {
  Admin a;
  auto r = a.b.send("GET", "/staff/import");
  REQUIRE(r.status == 200);
  CHECK(contains(r.body, "enctype=\"multipart/form-data\""));
  CHECK(contains(r.body, "<input type=\"file\" id=\"file\" name=\"file\" accept=\".csv,text/csv\""));
  CHECK(contains(r.body, "<label for=\"file\">"));
  CHECK(contains(r.body, "自動判定"));
  CHECK(contains(r.body, "value=\"cp932\""));
  CHECK(field(r.body, "csrf_token") == a.token);
  CHECK(contains(a.b.send("GET", "/staff").body, "href=\"/staff/import\""));
}

TEST_CASE("An upload previews every add, change and delete with before and after, and changes nothing yet", "[staff_import]") {
  Admin a;
  const int saves = a.w.store.saves;
  auto r = a.upload(good_csv());
  REQUIRE(r.status == 200);
  CHECK(contains(r.body, "（追加 1件、変更 1件、削除 1件）"));
  CHECK(contains(r.body, "<tr><td>3</td><td>変更</td><td>clerk01</td><td>窓口 花子 → 窓口 花</td><td>窓口職員</td><td>有効 → 無効</td></tr>"));
  CHECK(contains(r.body, "<tr><td>4</td><td>追加</td><td>sato03</td><td>佐藤 次郎</td><td>窓口職員</td><td>有効</td></tr>"));
  CHECK(contains(r.body, "<tr><td>5</td><td>削除</td><td>old01</td><td>旧 職員</td>"));
  CHECK(contains(r.body, "この内容で反映する"));
  CHECK(!import_token(r.body).empty());
  CHECK(!contains(r.body, "Hajime-2026xy"));  // never the initial password
  CHECK(a.w.store.saves == saves);
  CHECK(a.w.store.accounts.count("sato03") == 0);
  CHECK(a.w.store.accounts.count("old01") == 1);
}

TEST_CASE("An upload with one bad line shows the line's error and offers no way to apply", "[staff_import]") {
  Admin a;
  auto r = a.upload(std::string(kHeader) + "sato03,佐藤 次郎,窓口職員,有効,追加,Hajime-2026xy\r\nbad id!,x,窓口職員,有効,追加,Hajime-2026xy\r\n");
  CHECK(r.status == 422);
  CHECK(contains(r.body, "取り込めません（1件のエラー）"));
  CHECK(contains(r.body, "3行目"));
  CHECK(contains(r.body, "どの行も反映されません"));
  CHECK(!contains(r.body, "この内容で反映する"));
  CHECK(import_token(r.body).empty());
  CHECK(a.w.store.accounts.count("sato03") == 0);
}

TEST_CASE("Applying a preview writes every change, ends removed or disabled sessions and logs counts", "[staff_import]") {
  Admin a;
  Browser clerk(a.w.app, "127.0.0.2");
  REQUIRE(clerk.sign_in("clerk01", kClerkPw).status == 303);
  auto preview = a.upload(good_csv());
  REQUIRE(preview.status == 200);
  auto r = a.apply(import_token(preview.body));
  REQUIRE(r.status == 303);
  CHECK(a.b.location(r) == "/staff?done=imported");
  REQUIRE(a.w.store.accounts.count("sato03") == 1);
  const StaffAccount& s = a.w.store.accounts["sato03"];
  CHECK(s.name == "佐藤 次郎");
  CHECK(s.must_change_password);
  CHECK(verify_password(s.password_hash, "Hajime-2026xy"));
  CHECK(a.w.store.accounts["clerk01"].name == "窓口 花");
  CHECK(!a.w.store.accounts["clerk01"].enabled);
  CHECK(a.w.store.accounts.count("old01") == 0);
  CHECK(clerk.location(clerk.send("GET", "/")) == "/sign-in");
  REQUIRE(!a.w.store.log.empty());
  CHECK(a.w.store.log.back().action == "staff.import");
  CHECK(a.w.store.log.back().detail == "added 1, updated 1, removed 1");
  CHECK(a.w.store.logged("staff.add", "admin01"));
  CHECK(a.w.store.logged("staff.remove", "admin01"));
  // The token is single use.
  CHECK(a.apply(import_token(preview.body)).status == 409);
}

TEST_CASE("A preview is refused when the staff changed after it, and nothing is applied", "[staff_import]") {
  Admin a;
  auto preview = a.upload(good_csv());
  REQUIRE(preview.status == 200);
  a.w.store.accounts["clerk01"].role_id = "call_center";  // another administrator, meanwhile
  const int saves = a.w.store.saves;
  auto r = a.apply(import_token(preview.body));
  CHECK(r.status == 409);
  CHECK(contains(r.body, "もう一度ファイルをアップロード"));
  CHECK(a.w.store.saves == saves);
  CHECK(a.w.store.accounts.count("sato03") == 0);
  CHECK(a.w.store.accounts.count("old01") == 1);
}

TEST_CASE("A preview expires, and belongs to the session that made it", "[staff_import]") {
  Admin a;
  auto preview = a.upload(good_csv());
  const std::string import = import_token(preview.body);
  Browser other(a.w.app, "127.0.0.3");
  REQUIRE(other.sign_in("admin01", kAdminPw).status == 303);
  const std::string other_token = other.csrf();
  CHECK(other.send("POST", "/staff/import/apply", "csrf_token=" + other_token + "&import_token=" + import).status == 409);
  a.w.clock.advance(std::chrono::minutes(11));
  CHECK(a.apply(import).status == 409);
  CHECK(a.w.store.accounts.count("sato03") == 0);
}

TEST_CASE("An upload without the CSRF field, or with a wrong one, is refused", "[staff_import]") {
  Admin a;
  const std::string type = std::string("multipart/form-data; boundary=") + kBoundary;
  CHECK(a.b.send("POST", "/staff/import", upload_body(a.token, good_csv(), "auto", false), type).status == 403);
  CHECK(a.b.send("POST", "/staff/import", upload_body("wrong", good_csv()), type).status == 403);
  CHECK(a.b.send("POST", "/staff/import", "garbage", type).status == 400);
  CHECK(a.b.send("POST", "/staff/import", upload_body(a.token, good_csv()), "multipart/form-data").status == 400);
}

TEST_CASE("A Shift_JIS (CP932) file is read correctly, detected or chosen", "[staff_import]") {
  Admin a;
  auto sjis = text::utf8_to_cp932(std::string(kHeader) + "takahashi04,髙橋 ①子,窓口職員,有効,追加,Hajime-2026xy\r\n");
  REQUIRE(sjis);
  for (const char* enc : {"auto", "cp932"}) {
    CAPTURE(enc);
    auto r = a.upload(*sjis, enc);
    REQUIRE(r.status == 200);
    CHECK(contains(r.body, "<td>takahashi04</td><td>髙橋 ①子</td>"));
  }
  auto forced_utf8 = a.upload(*sjis, "utf8");
  CHECK(forced_utf8.status == 422);
  CHECK(contains(forced_utf8.body, "CSVファイルとして読み取れませんでした"));
}

TEST_CASE("An upload without a file asks for one", "[staff_import]") {
  Admin a;
  auto r = a.upload("");
  CHECK(r.status == 422);
  CHECK(contains(r.body, "ファイルが空です"));
}

TEST_CASE("The import is refused with 403 for a role without the staff menu", "[staff_import]") {
  World w(true);
  Browser b(w.app);
  REQUIRE(b.sign_in("clerk01", kClerkPw).status == 303);
  const std::string token = b.csrf();
  CHECK(b.send("GET", "/staff/import").status == 403);
  CHECK(b.send("POST", "/staff/import", upload_body(token, good_csv()), std::string("multipart/form-data; boundary=") + kBoundary)
            .status == 403);
  CHECK(b.send("POST", "/staff/import/apply", "csrf_token=" + token + "&import_token=x").status == 403);
  CHECK(w.store.accounts.count("sato03") == 0);
  CHECK(w.store.logged("menu.forbidden", "clerk01"));
}

TEST_CASE("A storage failure midway is reported with how far the import got", "[staff_import]") {
  Admin a;
  auto preview = a.upload(good_csv());
  REQUIRE(preview.status == 200);
  a.w.store.fail_writes = true;  // save_staff fails; the first change (clerk01) is a save
  auto r = a.apply(import_token(preview.body));
  CHECK(r.status == 503);
  CHECK(contains(r.body, "3件のうち0件"));
  CHECK(a.w.store.log.back().action == "staff.import");
  CHECK(contains(a.w.store.log.back().detail, "failed after 0 of 3"));
}
