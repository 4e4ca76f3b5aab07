// 交付管理's imports through http::dispatch (card_fixture.h): QR reading from the scanner queue and
// from page images with the batch numbering and the refusal of a code read twice (ISS-1, ISS-2,
// ISS-3, ISS-13), the ledger CSV (ISS-14) and the renewal list (ISS-4).
#include <catch2/catch.hpp>
#include <regex>
#include <string>

#include "card_fixture.h"
#include "madoguchi/jlis/qr_payload.h"
#include "madoguchi/text/encoding.h"

using namespace madoguchi::testing::console_app;
namespace j = madoguchi::jlis;

namespace {

constexpr const char* kBoundary = "----WebKitFormBoundaryC4rdImp0rt";
const std::string kMultipart = std::string("multipart/form-data; boundary=") + kBoundary;

// Person `n` of the generated list: a distinct manufacture number and application id.
j::IssuanceTarget person(int n) {
  j::IssuanceTarget p;
  char buf[32];
  std::snprintf(buf, sizeof buf, "13101620261122%08d", n);
  p.application_id = std::string(buf) + j::application_id_check_digit(buf);
  std::snprintf(buf, sizeof buf, "QR%014d", n);
  p.card_serial = buf;
  std::snprintf(buf, sizeof buf, "K7X%06d", n);
  p.postcard_number = buf;
  p.name_kanji = "読取　" + std::to_string(n) + "郎";
  p.name_kana = "ヨミトリ　タロウ";
  p.birth_date = {1985, 4, 1};
  p.sex = j::Sex::male;
  p.address = "東京都千代田区丸の内１丁目";
  p.card_expiry = {2036, 4, 1};
  p.certificate_expiry = j::Date{2031, 4, 1};
  return p;
}

// The bytes of code `index` on `sheet` holding people first..first+count-1.
std::string code(std::uint32_t sheet, int index, int first, int count) {
  j::QrPayload q;
  q.header.municipality = "131016";
  q.header.list_date = {2026, 11, 22};
  q.header.sheet_number = sheet;
  q.header.code_index = index;
  q.header.code_count = 9;
  for (int i = 0; i < count; ++i) q.people.push_back(person(first + i));
  auto bytes = j::encode_v1(q);
  REQUIRE(bytes.ok());
  return *bytes + "\r\n";  // scanners append a line end
}

std::string multipart(const std::string& token, const std::string& file_field, const std::string& filename,
                      const std::string& data, const std::vector<std::pair<std::string, std::string>>& fields = {}) {
  const std::string b = std::string("--") + kBoundary + "\r\n";
  std::string body;
  if (!token.empty()) body += b + "Content-Disposition: form-data; name=\"csrf_token\"\r\n\r\n" + token + "\r\n";
  for (const auto& [k, v] : fields) body += b + "Content-Disposition: form-data; name=\"" + k + "\"\r\n\r\n" + v + "\r\n";
  body += b + "Content-Disposition: form-data; name=\"" + file_field + "\"; filename=\"" + filename +
          "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + data + "\r\n";
  body += std::string("--") + kBoundary + "--\r\n";
  return body;
}

std::string hidden(const std::string& html, const std::string& name) {
  std::smatch m;
  if (std::regex_search(html, m, std::regex("name=\"" + name + "\" value=\"([^\"]*)\""))) return m[1];
  return {};
}

std::string attr(const std::string& html, const std::string& name) {
  std::smatch m;
  if (std::regex_search(html, m, std::regex(name + "=\"([^\"]*)\""))) return m[1];
  return {};
}

struct Counter {
  app::ScanQueue scans{64};
  std::vector<std::string> page_codes;  // what the fake page decoder finds
  bool page_fails = false;
  int decodes = 0;
  ClerkCards k{services()};

  app::CardServices services() {
    app::CardServices s;
    s.scans = &scans;
    s.scanner_status = [] { return app::ScannerStatus{true, "connected", 12, 0}; };
    s.decode_page = [this](std::string_view image) -> Expected<std::vector<std::string>> {
      ++decodes;
      if (page_fails || image != "PNG-PAGE") return make_error(Errc::invalid_argument, "PNGまたはJPEGの画像ではありません。");
      return page_codes;
    };
    return s;
  }
  http::Response start(const std::string& fields) { return k.post("/cards/import/start", fields); }
  http::Response session() { return k.b.send("GET", "/cards/import/session"); }
  void scan(const std::string& bytes) { scans.push(app::Scan{bytes, 0}); }
  // Commits what the session page shows now.
  http::Response commit() {
    const auto page = session();
    return k.post("/cards/import/commit", "version=" + attr(page.body, "data-version"));
  }
};

}  // namespace

TEST_CASE("QR reading numbers every card of the batch from the start serial in read order (ISS-1, ISS-3)",
          "[card_import]") {
  Counter t;
  auto form = t.k.b.send("GET", "/cards/import");
  CHECK(form.status == 200);
  CHECK(contains(form.body, "name=\"start_serial\""));
  auto r = t.start("counter=2&shipment_no=S-2026-11&start_serial=1001");
  REQUIRE(r.status == 303);
  CHECK(t.k.b.location(r) == "/cards/import/session");

  t.scan(code(1, 1, 1, 3));
  t.scan(code(1, 2, 4, 2));
  auto page = t.session();
  REQUIRE(page.status == 200);
  CHECK(contains(page.body, "接続済み"));
  CHECK(contains(page.body, "読取　1郎"));
  CHECK(contains(page.body, "ヨミトリ　タロウ"));
  CHECK(contains(page.body, "1985-04-01"));
  CHECK(contains(page.body, "QR00000000000005"));
  CHECK(contains(page.body, "取り込み予定 2枚・5人"));
  CHECK(attr(page.body, "data-cue") == "accepted");
  CHECK(contains(page.body, "console.js?v"));  // the script tag (escaped URL)
  CHECK(t.k.cards.rows.empty());  // nothing written before the commit

  auto done = t.commit();
  REQUIRE(done.status == 200);
  CHECK(contains(done.body, "5人のカードを登録しました"));
  CHECK(contains(done.body, "1001〜1005"));
  CHECK(contains(done.body, "start=1006"));
  REQUIRE(t.k.cards.rows.size() == 5);
  CHECK(t.k.cards.batches == 1);  // one transaction
  for (int n = 1; n <= 5; ++n) {
    char id[32];
    std::snprintf(id, sizeof id, "QR%014d", n);
    const Card& c = t.k.cards.rows.at(id).card;
    CHECK(c.receipt_no == 1000u + static_cast<unsigned>(n));
    CHECK(c.counter == "2");
    CHECK(c.shipment_no == "S-2026-11");
    CHECK(c.source == CardSource::qr);
  }
  CHECK(t.k.cards.codes.size() == 2);
  CHECK(t.k.cards.codes.count("JLIS-ISS:1:131016:20261122:000001:01") == 1);
  // The operation log has the count, never a name.
  bool logged = false;
  for (const auto& e : t.k.w.store.log) {
    if (e.action != "card.import") continue;
    logged = true;
    CHECK(e.detail == "2 codes, 5 cards");
  }
  CHECK(logged);
  for (const auto& e : t.k.w.store.log) CHECK_FALSE(contains(e.detail + e.target, "読取"));
  // The session ended with the commit.
  CHECK(contains(t.session().body, "読み取り中の取込はありません"));
}

TEST_CASE("A code read twice is refused, in the session and after the commit (ISS-2)", "[card_import]") {
  Counter t;
  REQUIRE(t.start("counter=1&shipment_no=&start_serial=").status == 303);
  t.scan(code(7, 1, 1, 2));
  t.scan(code(7, 1, 1, 2));
  auto page = t.session();
  CHECK(contains(page.body, "2回目の読み取り"));
  CHECK(contains(page.body, "取り込み予定 1枚・2人、取り込めない 1枚"));
  CHECK(attr(page.body, "data-cue") == "refused");
  // A different code holding a person already read is refused too.
  t.scan(code(8, 1, 2, 1));
  CHECK(contains(t.session().body, "先に読み取った別の二次元コードにも載っています"));
  REQUIRE(t.commit().status == 200);
  CHECK(t.k.cards.rows.size() == 2);
  CHECK(t.k.cards.rows.begin()->second.card.receipt_no == 0);  // no start serial: no numbers

  // After the commit, at any counter (the record replicates), the same code is refused.
  REQUIRE(t.start("counter=3").status == 303);
  t.scan(code(7, 1, 1, 2));
  page = t.session();
  CHECK(contains(page.body, "すでに取り込まれています"));
  CHECK(attr(page.body, "data-cue") == "refused");
  CHECK_FALSE(contains(page.body, "action=\"/cards/import/commit\""));
  bool refused_logged = false;
  for (const auto& e : t.k.w.store.log) {
    refused_logged = refused_logged || (e.action == "card.import_refused" && e.detail == "already imported" &&
                                        e.target == "jlis_code/JLIS-ISS:1:131016:20261122:000007:01");
  }
  CHECK(refused_logged);
}

TEST_CASE("A code whose person is already on record, or that does not parse, is refused with a message (ISS-2)",
          "[card_import]") {
  Counter t;
  Card on_record = sample_card("QR00000000000002", "既存 次郎", "キソン ジロウ", 7);
  REQUIRE(t.k.cards.save_all({on_record}, 0).ok());
  REQUIRE(t.start("counter=1&start_serial=50").status == 303);
  t.scan(code(2, 1, 1, 3));
  t.scan("JLIS-ISS garbage");
  auto bad = code(2, 2, 10, 1);
  bad[bad.size() - 4] = bad[bad.size() - 4] == '0' ? '1' : '0';  // a checksum digit
  t.scan(bad);
  t.scan(code(2, 3, 20, 1));
  auto page = t.session();
  CHECK(contains(page.body, "2件目（製造番号 QR00000000000002）の人は、すでにカードが登録されています"));
  CHECK(contains(page.body, "読み取れない二次元コード"));
  CHECK(contains(page.body, "チェック"));  // the parser's own Japanese message (checksum)
  // Refused codes consume no receipt number: the accepted one is 50.
  CHECK(contains(page.body, "<td>50</td>"));
  CHECK(contains(page.body, "取り込み予定 1枚・1人、取り込めない 3枚"));
}

TEST_CASE("Page images are decoded code by code into the session (ISS-1, ISS-13)", "[card_import]") {
  Counter t;
  REQUIRE(t.start("counter=1&start_serial=1").status == 303);
  t.page_codes = {code(3, 1, 1, 2), code(3, 2, 3, 1), code(3, 1, 1, 2)};
  auto r = t.k.b.send("POST", "/cards/import/image", multipart(t.k.token, "image", "page.png", "PNG-PAGE"), kMultipart);
  REQUIRE(r.status == 303);
  CHECK(t.k.b.location(r) == "/cards/import/session?found=3");
  auto page = t.k.b.send("GET", t.k.b.location(r));
  CHECK(contains(page.body, "画像から3個の二次元コードを読み取りました"));
  CHECK(contains(page.body, "取り込み予定 2枚・3人、取り込めない 1枚"));
  CHECK(attr(page.body, "data-cue") == "refused");

  auto bad = t.k.b.send("POST", "/cards/import/image", multipart(t.k.token, "image", "x.txt", "hello"), kMultipart);
  CHECK(bad.status == 422);
  CHECK(contains(bad.body, "PNGまたはJPEGの画像ではありません"));
  // Without the CSRF token nothing is decoded.
  const int decodes = t.decodes;
  CHECK(t.k.b.send("POST", "/cards/import/image", multipart("", "image", "page.png", "PNG-PAGE"), kMultipart).status == 403);
  CHECK(t.decodes == decodes);
}

TEST_CASE("The poll answers the session's version, and a dropped scan is reported (ISS-1)", "[card_import]") {
  Counter t;
  auto none = t.k.b.send("GET", "/cards/import/session?poll=1");
  CHECK(none.status == 200);
  CHECK(none.body == "{\"version\":0,\"open\":false}");
  REQUIRE(t.start("counter=1").status == 303);
  const auto before = t.k.b.send("GET", "/cards/import/session?poll=1").body;
  t.scan(code(4, 1, 1, 1));
  const auto after = t.k.b.send("GET", "/cards/import/session?poll=1").body;
  CHECK(before != after);
  CHECK(contains(after, "\"open\":true"));
  CHECK(t.scans.size() == 0);
  // A stale page (a read came in after it was shown) is not committed.
  auto stale = t.k.post("/cards/import/commit", "version=0");
  CHECK(stale.status == 409);
  CHECK(t.k.cards.rows.empty());

  app::ScanQueue tiny(1);
  app::CardServices only_scanner;
  only_scanner.scans = &tiny;
  ClerkCards k2{only_scanner};
  REQUIRE(k2.post("/cards/import/start", "counter=1").status == 303);
  tiny.push({code(5, 1, 1, 1), 0});
  tiny.push({code(5, 2, 2, 1), 0});
  auto page = k2.b.send("GET", "/cards/import/session");
  CHECK(contains(page.body, "1件の読み取りを受け取れませんでした"));
  CHECK(contains(page.body, "スキャナが設定されていません"));
  CHECK_FALSE(contains(page.body, "action=\"/cards/import/image\""));  // no decoder here
}

TEST_CASE("The commit is all or nothing when the store fails (ISS-1, ISS-3)", "[card_import]") {
  Counter t;
  REQUIRE(t.start("counter=1&start_serial=10").status == 303);
  t.scan(code(6, 1, 1, 3));
  t.k.cards.fail_writes = true;
  auto r = t.commit();
  CHECK(r.status == 503);
  CHECK(contains(r.body, "1人も登録されていません"));
  CHECK(t.k.cards.rows.empty());
  CHECK(t.k.cards.codes.empty());
  // The session is kept: the clerk presses 登録する again once the store is back.
  t.k.cards.fail_writes = false;
  REQUIRE(t.commit().status == 200);
  CHECK(t.k.cards.rows.size() == 3);
  CHECK(t.k.cards.codes.size() == 1);
}

TEST_CASE("A code imported at another counter meanwhile is taken out at the commit (ISS-2)", "[card_import]") {
  Counter t;
  REQUIRE(t.start("counter=1").status == 303);
  t.scan(code(9, 1, 1, 1));
  t.scan(code(9, 2, 2, 1));
  (void)t.session();
  t.k.cards.codes["JLIS-ISS:1:131016:20261122:000009:02"] = ImportedCode{"JLIS-ISS/1/131016/20261122/000009/02", 1, 1};
  auto r = t.commit();
  CHECK(r.status == 409);
  CHECK(contains(r.body, "ほかの窓口で先に登録された"));
  CHECK(t.k.cards.rows.empty());
  REQUIRE(t.commit().status == 200);
  CHECK(t.k.cards.rows.size() == 1);
  CHECK(t.k.cards.rows.count("QR00000000000001") == 1);
}

TEST_CASE("Batch settings are checked, cancel discards the session", "[card_import]") {
  Counter t;
  auto r = t.start("counter=&start_serial=12a");
  CHECK(r.status == 422);
  CHECK(contains(r.body, "開始番号は1以上の半角数字"));
  r = t.start("counter=&start_serial=5");
  CHECK(r.status == 422);
  CHECK(contains(r.body, "交付窓口を32文字以内で入力してください"));
  REQUIRE(t.start("counter=1").status == 303);
  t.scan(code(11, 1, 1, 1));
  (void)t.session();
  // A second batch cannot start over reads not yet registered.
  CHECK(t.start("counter=2").status == 409);
  auto c = t.k.post("/cards/import/cancel", "");
  CHECK(c.status == 200);
  CHECK(contains(c.body, "登録されていません"));
  CHECK(t.k.cards.rows.empty());
  CHECK(t.start("counter=2").status == 303);
}

TEST_CASE("Every import POST needs the CSRF token, and the cards menu (SEC-2)", "[card_import]") {
  Counter t;
  for (const char* path : {"/cards/import/start", "/cards/import/commit", "/cards/import/cancel", "/cards/ledger/apply",
                           "/cards/renewal/apply", "/cards/ledger", "/cards/renewal"}) {
    INFO(path);
    CHECK(t.k.b.send("POST", path, "counter=1&version=0").status == 403);
  }
  CHECK(t.k.b.send("POST", "/cards/ledger", multipart("", "file", "a.csv", "x"), kMultipart).status == 403);
  CHECK(t.k.b.send("POST", "/cards/renewal", multipart("", "file", "a.csv", "x"), kMultipart).status == 403);
  CHECK(t.k.cards.rows.empty());

  // A call-center clerk has no 交付管理.
  t.k.w.store.accounts["call01"] = account("call01", "電話 一郎", "call_center", kClerkPw);
  Browser call(t.k.w.app, "127.0.0.2");
  REQUIRE(call.sign_in("call01", kClerkPw).status == 303);
  const std::string token = call.csrf();
  for (const char* path : {"/cards/import", "/cards/import/session", "/cards/ledger", "/cards/renewal"}) {
    INFO(path);
    CHECK(call.send("GET", path).status == 403);
  }
  CHECK(call.send("POST", "/cards/import/start", "counter=1&csrf_token=" + token).status == 403);
  CHECK(call.send("GET", "/cards/import/session?poll=1").status == 403);
}

namespace {

std::string ledger_csv(const std::vector<std::string>& lines) {
  std::string s = "製造番号,氏名,氏名カナ,生年月日,受付番号,交付窓口\r\n";
  for (const auto& l : lines) s += l + "\r\n";
  return s;
}

}  // namespace

TEST_CASE("The ledger CSV is previewed, then applied whole from the unchanged preview (ISS-14)", "[card_import]") {
  ClerkCards k;
  k.seed();
  auto form = k.b.send("GET", "/cards/ledger");
  CHECK(form.status == 200);
  CHECK(contains(form.body, "enctype=\"multipart/form-data\""));
  const auto csv = ledger_csv({"L000000000000001,台帳 一郎,ダイチョウ イチロウ,1970/1/2,501,1",
                               "L000000000000002,台帳 二郎,ダイチョウ ジロウ,1971-02-03,502,1"});
  auto preview = k.b.send("POST", "/cards/ledger", multipart(k.token, "file", "ledger.csv", csv, {{"encoding", "auto"}}),
                          kMultipart);
  REQUIRE(preview.status == 200);
  CHECK(contains(preview.body, "2件のカードを"));
  CHECK(contains(preview.body, "台帳 一郎"));
  CHECK(contains(preview.body, "1970-01-02"));
  const std::string token = hidden(preview.body, "import_token");
  REQUIRE(!token.empty());
  CHECK(k.cards.rows.size() == 3);  // the preview wrote nothing

  auto applied = k.post("/cards/ledger/apply", "import_token=" + token);
  REQUIRE(applied.status == 200);
  CHECK(contains(applied.body, "2件のカードを台帳から取り込みました"));
  CHECK(k.cards.rows.size() == 5);
  CHECK(k.cards.batches == 1);
  CHECK(k.cards.rows.at("L000000000000001").card.source == CardSource::ledger);
  CHECK(k.cards.rows.at("L000000000000002").card.receipt_no == 502);
  // Single use.
  CHECK(k.post("/cards/ledger/apply", "import_token=" + token).status == 409);

  SECTION("CP932 files are read like the staff import") {
    auto sjis = text::utf8_to_cp932(ledger_csv({"L000000000000003,台帳 三郎,ダイチョウ サブロウ,1972-03-04,,1"}));
    REQUIRE(sjis.ok());
    auto p = k.b.send("POST", "/cards/ledger", multipart(k.token, "file", "l.csv", *sjis, {{"encoding", "cp932"}}), kMultipart);
    CHECK(p.status == 200);
    CHECK(contains(p.body, "台帳 三郎"));
  }
}

TEST_CASE("A ledger with a bad line or a card already on record applies nothing (ISS-14)", "[card_import]") {
  ClerkCards k;
  k.seed();
  auto preview = k.b.send("POST", "/cards/ledger",
                          multipart(k.token, "file", "ledger.csv",
                                    ledger_csv({"L000000000000001,台帳 一郎,,1970-01-02,,1",
                                                "L000000000000002,台帳 二郎,,1971-02-30,,1",
                                                "A000000000000001,山田 太郎,,1980-04-01,,1"})),
                          kMultipart);
  CHECK(preview.status == 422);
  CHECK(contains(preview.body, "3行目"));
  CHECK(contains(preview.body, "4行目: 製造番号「A000000000000001」はすでに登録されています"));
  CHECK(hidden(preview.body, "import_token").empty());
  CHECK_FALSE(contains(preview.body, "action=\"/cards/ledger/apply\""));
  CHECK(k.cards.rows.size() == 3);
  CHECK(k.cards.batches == 0);

  // Not a CSV at all.
  auto broken = k.b.send("POST", "/cards/ledger", multipart(k.token, "file", "x.csv", "a,\"b\r\n"), kMultipart);
  CHECK(broken.status == 422);
  CHECK(contains(broken.body, "CSVファイルとして読み取れませんでした"));

  SECTION("a card added between preview and apply refuses the apply") {
    auto p = k.b.send("POST", "/cards/ledger",
                      multipart(k.token, "file", "l.csv", ledger_csv({"L000000000000009,台帳 九郎,,1970-01-02,,1"})),
                      kMultipart);
    REQUIRE(p.status == 200);
    REQUIRE(k.cards.save_all({sample_card("L000000000000009", "他 窓口", "タ マドグチ", 0)}, 0).ok());
    k.cards.batches = 0;
    auto a = k.post("/cards/ledger/apply", "import_token=" + hidden(p.body, "import_token"));
    CHECK(a.status == 409);
    CHECK(k.cards.batches == 0);
  }
}

TEST_CASE("A renewal list marks matched cards and reports unmatched lines with the reason (ISS-4)", "[card_import]") {
  ClerkCards k;
  k.seed();  // 山田 太郎 / 山田 花子 / 田中 一郎, all born 1980-04-01
  auto form = k.b.send("GET", "/cards/renewal");
  CHECK(contains(form.body, "name=\"list_name\""));
  const std::string csv =
      "製造番号,氏名カナ,生年月日,更新種別,有効期限\r\n"
      ",やまだ たろう,1980-04-01,カード,2027-04-01\r\n"           // matched by name reading + birth date
      "B000000000000003,タナカ イチロウ,1980/4/1,電子証明書,2027-05-01\r\n"  // by manufacture number
      ",スズキ ジロウ,1980-04-01,カード,2027-04-01\r\n"            // nobody
      "A000000000000002,ヤマダ ハナコ,1990-01-01,カード,2027-04-01\r\n";  // birth date disagrees
  auto preview = k.b.send("POST", "/cards/renewal",
                          multipart(k.token, "file", "renewal.csv", csv, {{"list_name", "2026年12月分"}}), kMultipart);
  REQUIRE(preview.status == 200);
  CHECK(contains(preview.body, "照合できた行 2件、照合できなかった行 2件"));
  CHECK(contains(preview.body, "スズキ ジロウ"));
  CHECK(contains(preview.body, "生年月日が一致しません"));
  CHECK(contains(preview.body, "山田 太郎"));
  const std::string token = hidden(preview.body, "import_token");
  REQUIRE(!token.empty());
  CHECK_FALSE(k.cards.rows.at("A000000000000001").card.renewal.has_value());

  auto applied = k.post("/cards/renewal/apply", "import_token=" + token);
  REQUIRE(applied.status == 200);
  CHECK(contains(applied.body, "2件のカードに更新対象"));
  CHECK(k.cards.batches == 1);
  const auto& taro = k.cards.rows.at("A000000000000001").card;
  REQUIRE(taro.renewal.has_value());
  CHECK(taro.renewal->list == "2026年12月分");
  CHECK(taro.renewal->kind == "card");
  CHECK(taro.renewal->due == "2027-04-01");
  CHECK(k.cards.rows.at("B000000000000003").card.renewal->kind == "cert");
  CHECK_FALSE(k.cards.rows.at("A000000000000002").card.renewal.has_value());
  // The list's 更新対象のみ filter finds them.
  auto list = k.b.send("GET", "/cards?renewal=1");
  CHECK(contains(list.body, "A000000000000001"));
  CHECK(contains(list.body, "B000000000000003"));
  CHECK_FALSE(contains(list.body, "A000000000000002"));

  SECTION("a list name is required") {
    auto r = k.b.send("POST", "/cards/renewal", multipart(k.token, "file", "renewal.csv", csv, {{"list_name", ""}}), kMultipart);
    CHECK(r.status == 422);
    CHECK(contains(r.body, "リスト名を32文字以内で入力してください"));
  }
}

TEST_CASE("The import screen's poll does not keep an unattended session alive (ACC-4, ISS-1)", "[card_import]") {
  using namespace std::chrono_literals;
  Counter t;
  REQUIRE(t.start("counter=1").status == 303);
  t.k.w.clock.advance(10min);
  CHECK(t.k.b.send("GET", "/cards/import/session?poll=1").status == 200);
  t.k.w.clock.advance(6min);  // 16 minutes since the last real request; the idle limit is 15
  auto r = t.k.b.send("GET", "/cards/import/session?poll=1");
  CHECK(r.status == 303);  // signed out: the script reloads and shows the sign-in page
  bool idle_logged = false;
  for (const auto& e : t.k.w.store.log) idle_logged = idle_logged || e.action == "sign_out.idle";
  CHECK(idle_logged);
}
