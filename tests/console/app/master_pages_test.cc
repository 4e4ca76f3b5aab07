// マスタ管理 and お知らせ at the hub console (MST-1..MST-7, RSV-3, RSV-15, SYS-2), driven through
// http::dispatch over an in-memory MasterStore.
#include <catch2/catch.hpp>

#include <regex>

#include "console_fixture.h"
#include "madoguchi/console/app/master_store.h"

using namespace madoguchi::testing::console_app;
using namespace madoguchi;
using namespace madoguchi::console;
using namespace madoguchi::domain;

namespace {

struct MemoryMasters final : app::MasterStore {
  std::map<std::string, domain::CounterMaster> counter_map;
  std::map<std::string, domain::Slot> slot_map;
  std::map<std::string, std::int64_t> booked;  // slot key -> places
  domain::CalendarConfig config;
  std::map<std::string, domain::Notice> notice_map;
  std::size_t plans = 0;

  Expected<std::vector<domain::CounterMaster>> counters() override {
    std::vector<domain::CounterMaster> out;
    for (const auto& [k, v] : counter_map) out.push_back(v);
    return out;
  }
  Expected<std::optional<domain::CounterMaster>> counter(std::string_view id) override {
    auto it = counter_map.find(std::string(id));
    if (it == counter_map.end()) return std::optional<domain::CounterMaster>();
    return std::optional<domain::CounterMaster>(it->second);
  }
  Status save_counter(const domain::CounterMaster& k) override {
    if (auto v = domain::validate_counter(k); !v) return v;
    counter_map[k.id] = k;
    return {};
  }
  Status remove_counter(std::string_view id, calendar::Date from) override {
    counter_map.erase(std::string(id));
    for (auto it = slot_map.begin(); it != slot_map.end();) {
      it = it->second.counter == id && !(it->second.start.date < from) ? slot_map.erase(it) : std::next(it);
    }
    return {};
  }
  Expected<std::vector<domain::Slot>> slots(std::string_view counter, calendar::Date from, calendar::Date to) override {
    std::vector<domain::Slot> out;
    for (const auto& [k, s] : slot_map) {
      if (s.counter == counter && !(s.start.date < from) && !(to < s.start.date)) out.push_back(s);
    }
    return out;
  }
  Expected<std::optional<domain::Slot>> slot(std::string_view key) override {
    auto it = slot_map.find(std::string(key));
    if (it == slot_map.end()) return std::optional<domain::Slot>();
    return std::optional<domain::Slot>(it->second);
  }
  Status save_slot(const domain::Slot& s) override {
    if (auto v = domain::validate_slot(s); !v) return v;
    slot_map[domain::slot_key(s)] = s;
    return {};
  }
  Status apply_plan(const domain::RegenerationPlan& plan) override {
    ++plans;
    for (const domain::Slot& s : plan.upserts) slot_map[domain::slot_key(s)] = s;
    for (const std::string& k : plan.removals) slot_map.erase(k);
    return {};
  }
  Expected<std::map<std::string, std::int64_t>> booked_places(std::string_view counter, calendar::Date from,
                                                              calendar::Date to) override {
    std::map<std::string, std::int64_t> out;
    const std::string prefix = std::string(counter) + ":";
    for (const auto& [k, n] : booked) {
      if (k.rfind(prefix, 0) != 0) continue;
      auto d = calendar::parse_iso(k.substr(prefix.size(), 10));
      if (d && !(*d < from) && !(to < *d)) out.emplace(k, n);
    }
    return out;
  }
  Expected<domain::CalendarConfig> calendar_config() override { return config; }
  Status save_calendar_config(const domain::CalendarConfig& c) override {
    auto body = domain::calendar_config_body(c);
    if (!body) return body.error();
    config = c;
    return {};
  }
  Expected<std::vector<domain::Notice>> notices() override {
    std::vector<domain::Notice> out;
    for (const auto& [k, v] : notice_map) out.push_back(v);
    return out;
  }
  Expected<std::optional<domain::Notice>> notice(std::string_view id) override {
    auto it = notice_map.find(std::string(id));
    if (it == notice_map.end()) return std::optional<domain::Notice>();
    return std::optional<domain::Notice>(it->second);
  }
  Status save_notice(const domain::Notice& n) override {
    if (auto v = domain::validate_notice(n); !v) return v;
    notice_map[n.id] = n;
    return {};
  }
  Status remove_notice(std::string_view id) override {
    notice_map.erase(std::string(id));
    return {};
  }
};

struct Admin : AdminSession {
  MemoryMasters masters;
  Admin() { w.app.attach_masters(masters); }
  bool logged(const std::string& action) const {
    for (const auto& e : w.store.log) {
      if (e.action == action) return true;
    }
    return false;
  }
};

const std::string kCounterForm =
    "id=c1&name=%E6%9C%AC%E5%BA%81%E8%88%8E1&businesses=collection&week_mon=09%3A00-12%3A00%2C+13%3A00-17%3A00"
    "&week_tue=09%3A00-12%3A00&minutes_per_visit=15&capacity_per_slot=2&valid_from=2026-04-01T00%3A00"
    "&valid_until=&visible_on_site=1&deadline_days_before=1&deadline_time=17%3A00&days_ahead=";

}  // namespace

TEST_CASE("Masters: a counter is added through the form, field errors come back in Japanese", "[masters][console]") {
  Admin a;
  CHECK(a.b.send("GET", "/masters/counter/new").status == 200);
  // A band that is not a whole number of visits: 422, the Monday input is marked, nothing stored.
  std::string bad = std::regex_replace(kCounterForm, std::regex("17%3A00&week_tue"), "16%3A50&week_tue");
  auto r = a.post("/masters/counter/new", bad);
  CHECK(r.status == 422);
  CHECK(contains(r.body, "月曜日"));
  CHECK(contains(r.body, "割り切れません"));
  CHECK(contains(r.body, "aria-invalid"));
  CHECK(a.masters.counter_map.empty());
  // No business chosen.
  r = a.post("/masters/counter/new", std::regex_replace(kCounterForm, std::regex("businesses=collection&"), ""));
  CHECK(r.status == 422);
  CHECK(contains(r.body, "取り扱う業務を1つ以上選んでください"));

  r = a.post("/masters/counter/new", kCounterForm);
  REQUIRE(r.status == 303);
  REQUIRE(a.masters.counter_map.count("c1") == 1);
  const auto& k = a.masters.counter_map.at("c1");
  CHECK(k.week[1].size() == 2);
  CHECK(k.capacity_per_slot == 2);
  CHECK(k.visible_on_site);
  CHECK(a.logged("master.counter.add"));
  // The same id again is refused.
  CHECK(a.post("/masters/counter/new", kCounterForm).status == 422);
  auto list = a.b.send("GET", "/masters");
  CHECK(list.status == 200);
  CHECK(contains(list.body, "本庁舎1"));
  CHECK(contains(list.body, "交付"));
  // Edit: hidden on the site.
  r = a.post("/masters/counter/edit", std::regex_replace(kCounterForm, std::regex("&visible_on_site=1"), ""));
  CHECK(r.status == 303);
  CHECK_FALSE(a.masters.counter_map.at("c1").visible_on_site);
  CHECK(a.logged("master.counter.update"));
}

TEST_CASE("Masters: generation shows the plan first, applies it per counter and keeps edited slots", "[masters][console]") {
  Admin a;
  REQUIRE(a.post("/masters/counter/new", kCounterForm).status == 303);
  const std::string range = "counters=c1&from=2026-11-02&to=2026-11-08";
  auto preview = a.post("/masters/generate", range);
  REQUIRE(preview.status == 200);
  CHECK(a.masters.slot_map.empty());  // nothing written by the preview
  CHECK(contains(preview.body, "<td>28</td>"));  // Monday 11/2: 28 slots to add (Tuesday 11/3 is 文化の日)
  CHECK(a.masters.plans == 0);
  auto applied = a.post("/masters/generate", range + "&apply=1");
  REQUIRE(applied.status == 200);
  CHECK(a.masters.slot_map.size() == 28);  // 11/3 (Tue) is a holiday: Monday's 28 slots only
  CHECK(a.masters.plans == 1);
  CHECK(a.logged("master.slots.generate"));

  // Edit one slot, then regenerate: it is kept.
  const std::string key = "c1:2026-11-02T09:00";
  REQUIRE(a.masters.slot_map.count(key));
  auto form = a.b.send("GET", "/masters/slots/edit?key=c1%3A2026-11-02T09%3A00");
  CHECK(form.status == 200);
  auto bad = a.post("/masters/slots/edit", "key=c1%3A2026-11-02T09%3A00&capacity=100&open=1&note=");
  CHECK(bad.status == 422);
  auto ok = a.post("/masters/slots/edit", "key=c1%3A2026-11-02T09%3A00&capacity=5&note=%E5%A2%97%E5%93%A1");
  REQUIRE(ok.status == 303);
  CHECK(a.masters.slot_map.at(key).capacity == 5);
  CHECK_FALSE(a.masters.slot_map.at(key).open);
  CHECK(a.masters.slot_map.at(key).edited);
  CHECK(a.logged("master.slot.edit"));
  auto again = a.post("/masters/generate", range);
  CHECK(contains(again.body, "<td>27</td><td>1</td>"));  // unchanged 27, kept edited 1
  // The month view shows it with its booked places.
  a.masters.booked["c1:2026-11-02T09:15"] = 2;
  auto month = a.b.send("GET", "/masters/slots?counter=c1&month=2026-11");
  CHECK(month.status == 200);
  CHECK(contains(month.body, "増員"));
  CHECK(contains(month.body, "（満員）"));
  CHECK(contains(month.body, "文化の日"));
  // A range longer than the bound is refused per field.
  auto too_long = a.post("/masters/generate", "counters=c1&from=2026-01-01&to=2027-12-31");
  CHECK(too_long.status == 422);
  CHECK(contains(too_long.body, "400日分まで"));
}

TEST_CASE("Masters: a counter with future bookings cannot be deleted", "[masters][console]") {
  Admin a;
  REQUIRE(a.post("/masters/counter/new", kCounterForm).status == 303);
  a.masters.booked["c1:2190-01-05T09:00"] = 1;
  auto r = a.post("/masters/counter/delete", "id=c1&confirm=1");
  CHECK(r.status == 409);
  CHECK(contains(r.body, "削除できません"));
  CHECK(a.masters.counter_map.count("c1") == 1);
  a.masters.booked.clear();
  CHECK(a.post("/masters/counter/delete", "id=c1").status == 422);  // confirmation missing
  CHECK(a.post("/masters/counter/delete", "id=c1&confirm=1").status == 303);
  CHECK(a.masters.counter_map.empty());
  CHECK(a.logged("master.counter.remove"));
}

TEST_CASE("Masters: closure days and the Cabinet Office list with a preview before saving", "[masters][console]") {
  Admin a;
  CHECK(a.post("/masters/calendar/closure", "date=2026-13-01").status == 422);
  REQUIRE(a.post("/masters/calendar/closure", "date=2190-12-28").status == 303);
  CHECK(a.masters.config.closures.count(calendar::Date{2190, 12, 28}) == 1);
  CHECK(contains(a.b.send("GET", "/masters/calendar").body, "2190年12月28日"));
  const std::string csv = "国民の祝日・休日月日,国民の祝日・休日名称\r\n1955/1/1,元日\r\n2190/1/1,元日\r\n2190/1/13,テストの日\r\n";
  const std::string boundary = "XyZb0undary";
  const std::string body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n" + a.token +
                           "\r\n--" + boundary +
                           "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"syukujitsu.csv\"\r\nContent-Type: text/csv\r\n\r\n" +
                           csv + "\r\n--" + boundary + "--\r\n";
  auto preview = a.b.send("POST", "/masters/calendar/upload", body, "multipart/form-data; boundary=" + boundary);
  REQUIRE(preview.status == 200);
  CHECK(contains(preview.body, "1955年～2190年"));
  CHECK(contains(preview.body, "テストの日"));
  CHECK_FALSE(a.masters.config.has_holidays);  // not saved yet
  const std::string token = field(preview.body, "token");
  REQUIRE_FALSE(token.empty());
  REQUIRE(a.post("/masters/calendar/holidays", "token=" + token).status == 303);
  CHECK(a.masters.config.has_holidays);
  CHECK(a.masters.config.holidays.size() == 2);  // 1955 is before last year: not kept
  CHECK(a.logged("master.calendar.update"));
  CHECK(a.post("/masters/calendar/holidays", "token=" + token).status == 409);  // used once
  // Not a holiday list.
  const std::string junk = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n" + a.token +
                           "\r\n--" + boundary +
                           "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.csv\"\r\n\r\nhello,world,again\r\n--" +
                           boundary + "--\r\n";
  CHECK(a.b.send("POST", "/masters/calendar/upload", junk, "multipart/form-data; boundary=" + boundary).status == 422);
}

TEST_CASE("Notices: added with field errors first, previewed, listed, deleted", "[masters][console]") {
  Admin a;
  CHECK(a.b.send("GET", "/notices/new").status == 200);
  const std::string form = "id=maint-1&kind=maintenance&title=%E3%83%A1%E3%83%B3%E3%83%86&body=line1%0D%0Aline2"
                           "&publish_from=2026-11-28T00%3A00&publish_until=";
  auto r = a.post("/notices/new", form);  // a maintenance notice without its period
  CHECK(r.status == 422);
  CHECK(contains(r.body, "メンテナンス期間"));
  const std::string full = form + "&maintenance_from=2026-12-05T22%3A00&maintenance_until=2026-12-06T06%3A00";
  auto preview = a.post("/notices/new", full + "&preview=1");
  CHECK(preview.status == 200);
  CHECK(contains(preview.body, "予約サイトでの表示"));
  CHECK(contains(preview.body, "<p>line2</p>"));
  CHECK(a.masters.notice_map.empty());
  REQUIRE(a.post("/notices/new", full).status == 303);
  REQUIRE(a.masters.notice_map.count("maint-1"));
  CHECK(a.logged("notice.add"));
  auto list = a.b.send("GET", "/notices");
  CHECK(contains(list.body, "メンテ"));
  CHECK(a.post("/notices/delete", "id=maint-1").status == 422);
  CHECK(a.post("/notices/delete", "id=maint-1&confirm=1").status == 303);
  CHECK(a.masters.notice_map.empty());
  CHECK(a.logged("notice.remove"));
}
