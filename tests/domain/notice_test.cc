#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "madoguchi/domain/notice.h"
#include "madoguchi/domain/record_body.h"

namespace c = madoguchi::domain;
using madoguchi::Errc;

namespace {
constexpr int hm(int h, int m) { return h * 60 + m; }

c::Notice info() {
  c::Notice n;
  n.id = "2026-11-info";
  n.kind = c::NoticeKind::info;
  n.title = "年末年始の窓口について";
  n.body = "12月29日から1月3日まで窓口を閉めます。\n予約サイトは開いています。";
  n.publish_from = {{2026, 11, 20}, 0};
  n.publish_until = c::LocalDateTime{{2027, 1, 4}, 0};
  return n;
}

c::Notice maintenance() {
  c::Notice n;
  n.id = "2026-12-maint";
  n.kind = c::NoticeKind::maintenance;
  n.title = "システムメンテナンスのお知らせ";
  n.body = "メンテナンス中は予約できません。";
  n.publish_from = {{2026, 11, 28}, 0};
  n.maintenance_from = c::LocalDateTime{{2026, 12, 5}, hm(22, 0)};
  n.maintenance_until = c::LocalDateTime{{2026, 12, 6}, hm(6, 0)};
  return n;
}

bool names(const madoguchi::Status& st, std::string_view field) {
  return !st.ok() && st.error().code == Errc::invalid_argument &&
         st.error().message.rfind(std::string(field) + ":", 0) == 0;
}
}  // namespace

TEST_CASE("A notice round-trips through its JSON body with keys sorted (RSV-3, RSV-15)",
          "[console][notice][RSV-3][RSV-15]") {
  for (const auto& n : {info(), maintenance()}) {
    REQUIRE(c::validate_notice(n).ok());
    auto parsed = c::parse_body(c::dump_body(c::notice_to_json(n)));
    REQUIRE(parsed.ok());
    auto back = c::notice_from_json(*parsed);
    REQUIRE(back.ok());
    CHECK(*back == n);
  }
  CHECK(c::dump_body(c::notice_to_json(maintenance())) ==
        "{\"body\":\"メンテナンス中は予約できません。\",\"id\":\"2026-12-maint\",\"kind\":\"maintenance\","
        "\"maintenance_from\":\"2026-12-05T22:00\",\"maintenance_until\":\"2026-12-06T06:00\","
        "\"publish_from\":\"2026-11-28T00:00\",\"title\":\"システムメンテナンスのお知らせ\"}");
}

TEST_CASE("Notice decoding refuses unknown keys, wrong types and missing fields", "[console][notice]") {
  auto j = c::notice_to_json(info());
  j["html"] = "<b>";
  CHECK(c::notice_from_json(j).error().code == Errc::malformed);
  for (const char* key : {"id", "kind", "title", "publish_from"}) {
    auto missing = c::notice_to_json(info());
    missing.erase(key);
    CHECK(c::notice_from_json(missing).error().code == Errc::malformed);
  }
  j = c::notice_to_json(info());
  j["title"] = 1;
  CHECK(c::notice_from_json(j).error().code == Errc::malformed);
  j = c::notice_to_json(info());
  j["kind"] = "urgent";
  CHECK(names(c::notice_from_json(j).error(), "kind"));
  j = c::notice_to_json(info());
  j["publish_from"] = "2026-11-20";
  CHECK(names(c::notice_from_json(j).error(), "publish_from"));
}

TEST_CASE("Notice validation rules name their field", "[console][notice][RSV-15]") {
  auto check = [](c::Notice n, auto edit) {
    edit(n);
    return c::validate_notice(n);
  };
  CHECK(names(check(info(), [](auto& n) { n.id = ""; }), "id"));
  CHECK(names(check(info(), [](auto& n) { n.id = std::string(33, 'a'); }), "id"));
  CHECK(names(check(info(), [](auto& n) { n.id = "a b"; }), "id"));
  CHECK(names(check(info(), [](auto& n) { n.title = ""; }), "title"));
  CHECK(names(check(info(), [](auto& n) { n.title = "一行目\n二行目"; }), "title"));
  CHECK(names(check(info(), [](auto& n) { n.title = std::string(101, 'a'); }), "title"));
  CHECK(check(info(), [](auto& n) { n.title = std::string(100, 'a'); }).ok());
  CHECK(names(check(info(), [](auto& n) { n.body = std::string(2001, 'a'); }), "body"));
  CHECK(names(check(info(), [](auto& n) { n.body = "a\x07"; }), "body"));
  CHECK(check(info(), [](auto& n) { n.body.clear(); }).ok());
  CHECK(names(check(info(), [](auto& n) { n.publish_until = n.publish_from; }), "publish_until"));
  CHECK(check(info(), [](auto& n) { n.publish_until.reset(); }).ok());
  CHECK(names(check(info(), [](auto& n) { n.maintenance_from = n.publish_from; }), "maintenance_from"));
  CHECK(names(check(maintenance(), [](auto& n) { n.maintenance_from.reset(); }), "maintenance_from"));
  CHECK(names(check(maintenance(), [](auto& n) { n.maintenance_until.reset(); }), "maintenance_until"));
  CHECK(names(check(maintenance(), [](auto& n) { n.maintenance_until = n.maintenance_from; }), "maintenance_until"));
  CHECK(names(check(maintenance(), [](auto& n) { n.publish_from = *n.maintenance_until; }), "publish_from"));
}

TEST_CASE("Notices are published within their window, maintenance ones until its end (RSV-3, RSV-15)",
          "[console][notice][RSV-3][RSV-15]") {
  const auto i = info();
  CHECK_FALSE(c::notice_published(i, {{2026, 11, 19}, hm(23, 59)}));
  CHECK(c::notice_published(i, {{2026, 11, 20}, 0}));
  CHECK(c::notice_published(i, {{2027, 1, 3}, hm(23, 59)}));
  CHECK_FALSE(c::notice_published(i, {{2027, 1, 4}, 0}));
  auto forever = i;
  forever.publish_until.reset();
  CHECK(c::notice_published(forever, {{2099, 1, 1}, 0}));

  const auto m = maintenance();
  CHECK(c::notice_published(m, {{2026, 12, 1}, 0}));                     // before the maintenance
  CHECK(c::notice_published(m, {{2026, 12, 6}, hm(5, 59)}));             // during
  CHECK_FALSE(c::notice_published(m, {{2026, 12, 6}, hm(6, 0)}));        // after its end
  auto longer = m;
  longer.publish_until = c::LocalDateTime{{2026, 12, 7}, 0};
  CHECK(c::notice_published(longer, {{2026, 12, 6}, hm(12, 0)}));
}

TEST_CASE("Published notices: maintenance first by its start, then the newest first", "[console][notice][RSV-15]") {
  auto old_info = info();
  old_info.id = "old";
  old_info.publish_from = {{2026, 11, 1}, 0};
  auto new_info = info();
  new_info.id = "new";
  new_info.publish_from = {{2026, 11, 25}, 0};
  auto later_maint = maintenance();
  later_maint.id = "later";
  later_maint.maintenance_from = c::LocalDateTime{{2026, 12, 12}, hm(22, 0)};
  later_maint.maintenance_until = c::LocalDateTime{{2026, 12, 13}, hm(6, 0)};
  auto expired = info();
  expired.id = "expired";
  expired.publish_until = c::LocalDateTime{{2026, 11, 21}, 0};
  auto future = info();
  future.id = "future";
  future.publish_from = {{2026, 12, 24}, 0};

  const std::vector<c::Notice> all{old_info, later_maint, expired, new_info, maintenance(), future};
  const auto out = c::published_notices(all, {{2026, 12, 1}, hm(12, 0)});
  std::vector<std::string> ids;
  for (const auto& n : out) ids.push_back(n.id);
  CHECK(ids == std::vector<std::string>{"2026-12-maint", "later", "new", "old"});
}
