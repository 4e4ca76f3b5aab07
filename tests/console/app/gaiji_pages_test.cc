// 外字対照表 at the hub console (LNK-4, LNK-7), driven through http::dispatch over an in-memory
// GaijiView: codes in use, the vendor's table imported as proposals only, staff confirming, held
// records released, the print check, and the operation log.
#include <catch2/catch.hpp>

#include "console_fixture.h"
#include "madoguchi/console/app/gaiji_view.h"

using namespace madoguchi::testing::console_app;
using namespace madoguchi;
namespace d = madoguchi::domain;

namespace {

const std::string kPua = "\xEE\x80\x80";                 // F040 as delivered
const std::string kKatsu = "葛\xF3\xA0\x84\x82";          // U+845B U+E0102

struct MemoryGaiji final : console::app::GaijiView {
  std::map<std::string, d::GaijiMapping> maps;  // by code (one table)
  std::map<std::string, std::string> names = {{"P1", kPua + "西　花子"}, {"P2", kPua + "西　一郎"}};
  Expected<std::vector<console::app::GaijiCode>> codes() override {
    console::app::GaijiCode g{"vendor-2026", "F040", names.size(), std::nullopt, std::nullopt};
    if (maps.count("F040")) {
      g.mapping = maps["F040"];
      g.mj = mj(g.mapping->mj);
    }
    return std::vector<console::app::GaijiCode>{g};
  }
  Expected<std::vector<console::app::HeldRecord>> held(std::size_t) override {
    std::vector<console::app::HeldRecord> out;
    if (maps.count("F040") && maps["F040"].confirmed) return out;
    for (const auto& [k, v] : names) out.push_back({"resident", k, "vendor-2026", {"F040"}, {"氏名"}, "resident-jukiA-1.csv"});
    return out;
  }
  Status save_mapping(const d::GaijiMapping& m) override {
    if (!d::printable_single_character(m.text)) return make_error(Errc::invalid_argument, "text");
    maps[m.code] = m;
    return {};
  }
  std::optional<d::MjCharacter> mj(std::string_view t) const override {
    if (t == "MJ022335" || t == kKatsu) return d::MjCharacter{"MJ022335", "葛", kKatsu, "1-19-75", "カツ・くず", {"葛"}};
    return std::nullopt;
  }
  bool has_mj_data() const override { return true; }
  std::vector<std::pair<std::string, std::string>> asked;
  std::string asked_by;
  Expected<std::size_t> request_again(const std::vector<std::pair<std::string, std::string>>& records, const std::string& by) override {
    std::size_t n = 0;
    for (const auto& r : records) {
      if (r.first != "resident") return make_error(Errc::invalid_argument, "kind");
      if (names.count(r.second)) {
        asked.push_back(r);
        ++n;
      }
    }
    asked_by = by;
    return n;
  }
  Expected<std::optional<std::vector<console::app::PrintField>>> print_check(const std::string& entity, const std::string& key) override {
    if (entity != "resident" || !names.count(key)) return std::optional<std::vector<console::app::PrintField>>();
    auto r = d::resolve_vendor_codes(names[key], maps);
    return std::optional<std::vector<console::app::PrintField>>(
        std::vector<console::app::PrintField>{{"氏名", "〓(F040)西", r.text, r.unresolved}});
  }
};

std::string percent_encode_for_test(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (char raw : s) {
    const auto ch = static_cast<unsigned char>(raw);
    if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += hex[ch >> 4];
      out += hex[ch & 15];
    }
  }
  return out;
}

std::string multipart(const std::string& token, const std::string& table, const std::string& file) {
  const std::string b = "----madoguchi";
  return "--" + b + "\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n" + token + "\r\n--" + b +
         "\r\nContent-Disposition: form-data; name=\"table\"\r\n\r\n" + table + "\r\n--" + b +
         "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"gaiji-vendor-2026.tsv\"\r\nContent-Type: text/plain\r\n\r\n" + file +
         "\r\n--" + b + "--\r\n";
}

}  // namespace

TEST_CASE("外字対照表: a vendor's table only proposes, staff confirm, and the held records are released (LNK-4, LNK-7)",
          "[console][gaiji]") {
  AdminSession s;
  MemoryGaiji view;
  s.w.app.attach_gaiji(view);
  auto page = s.b.send("GET", "/linkage/gaiji");
  REQUIRE(page.status == 200);
  CHECK(contains(page.body, "F040"));
  CHECK(contains(page.body, "未登録"));
  CHECK(contains(page.body, "保留中の記録を見る（2件）"));
  auto held = s.b.send("GET", "/linkage/held");
  CHECK(contains(held.body, "P1"));
  CHECK(contains(held.body, "/linkage/print?entity=resident&amp;key=P1"));
  auto print = s.b.send("GET", "/linkage/print?entity=resident&key=P1");
  CHECK(contains(print.body, "この記録は保留中です"));
  // Staff ask the core system to send a record again, one or all held (LNK-7), logged.
  CHECK(contains(held.body, "再送を依頼"));
  auto one = s.post("/linkage/held/request", "entity=resident&key=P1");
  REQUIRE(one.status == 200);
  CHECK(contains(one.body, "1件の再送を依頼しました"));
  CHECK(view.asked == std::vector<std::pair<std::string, std::string>>{{"resident", "P1"}});
  CHECK(view.asked_by == "admin01");
  auto all = s.post("/linkage/held/request", "all=1");
  CHECK(contains(all.body, "2件の再送を依頼しました"));
  CHECK(s.post("/linkage/held/request", "entity=card&key=P1").status == 422);
  CHECK(s.post("/linkage/held/request", "entity=resident").status == 422);
  CHECK(s.b.send("POST", "/linkage/held/request", "entity=resident&key=P1", "application/x-www-form-urlencoded").status == 403);  // no CSRF token
  bool requested = false;
  for (const auto& e : s.w.store.log) requested |= e.action == "linkage.request" && e.target == "resident/P1";
  CHECK(requested);

  // The vendor's table: proposals, not confirmations.
  auto up = s.b.send("POST", "/linkage/gaiji/upload", multipart(s.token, "vendor-2026", "外字コード\t文字\tMJ文字図形名\nF040\t" + kKatsu + "\tMJ022335\n"),
                     "multipart/form-data; boundary=----madoguchi");
  REQUIRE(up.status == 200);
  CHECK(contains(up.body, "1件を候補として登録しました"));
  CHECK_FALSE(view.maps.at("F040").confirmed);
  CHECK(contains(up.body, "カツ・くず"));  // the MJ data's reading beside the proposal
  CHECK(contains(s.b.send("GET", "/linkage/held").body, "P2"));  // still held

  // Confirmed by staff: released, and it prints the exact character (IVS kept).
  auto ok = s.post("/linkage/gaiji/save", "table=vendor-2026&code=F040&text=" + percent_encode_for_test(kKatsu) + "&confirm=1");
  REQUIRE(ok.status == 200);
  CHECK(view.maps.at("F040").confirmed);
  CHECK(view.maps.at("F040").decided_by == "admin01");
  CHECK(view.maps.at("F040").mj == "MJ022335");
  CHECK(contains(s.b.send("GET", "/linkage/held").body, "保留中の記録はありません"));
  auto printed = s.b.send("GET", "/linkage/print?entity=resident&key=P1");
  CHECK(contains(printed.body, "すべての文字を印字できます"));
  CHECK(contains(printed.body, kKatsu + "西"));
  // Logged for the audit.
  bool logged = false;
  for (const auto& e : s.w.store.log) logged |= e.action == "gaiji.confirm" && e.target == "gaiji_map/vendor-2026:F040";
  CHECK(logged);
  // A re-import does not undo a confirmation.
  s.b.send("POST", "/linkage/gaiji/upload", multipart(s.token, "vendor-2026", "外字コード\t文字\nF040\t葛\n"),
           "multipart/form-data; boundary=----madoguchi");
  CHECK(view.maps.at("F040").confirmed);
  CHECK(view.maps.at("F040").text == kKatsu);
}

TEST_CASE("外字対照表 refuses what is not one character, an MJ name it does not know, and a bad table, changing nothing", "[console][gaiji]") {
  AdminSession s;
  MemoryGaiji view;
  s.w.app.attach_gaiji(view);
  CHECK(s.post("/linkage/gaiji/save", "table=vendor-2026&code=F040&text=" + percent_encode_for_test("葛西") + "&confirm=1").status == 422);
  CHECK(s.post("/linkage/gaiji/save", "table=vendor-2026&code=F040&text=MJ999999&confirm=1").status == 422);
  CHECK(s.post("/linkage/gaiji/save", "table=vendor-2026&code=E000&text=" + percent_encode_for_test("葛") + "&confirm=1").status == 422);
  auto bad = s.b.send("POST", "/linkage/gaiji/upload", multipart(s.token, "vendor-2026", "外字コード\t文字\nF040\t葛西\n"),
                      "multipart/form-data; boundary=----madoguchi");
  CHECK(bad.status == 422);
  CHECK(contains(bad.body, "2行目"));
  CHECK(view.maps.empty());
  // The MJ name is accepted and becomes the figure's character.
  REQUIRE(s.post("/linkage/gaiji/save", "table=vendor-2026&code=F040&text=MJ022335&confirm=0").status == 200);
  CHECK(view.maps.at("F040").text == kKatsu);
  CHECK_FALSE(view.maps.at("F040").confirmed);
  // Only with the 連携状況 menu.
  Browser clerk(s.w.app);
  REQUIRE(clerk.sign_in("clerk01", kClerkPw).status == 303);
  CHECK(clerk.send("GET", "/linkage/gaiji").status == 403);
}
