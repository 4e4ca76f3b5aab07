// The citizen booking site end to end (RSV-1, RSV-2): the real hub process serving the site over
// TLS, one municipality seeded through the hub's local API, and portal.test.mjs in headless
// Chromium visiting every page and state with axe-core (WCAG 2.x A and AA), at 320 CSS px, at
// 200% zoom, with the keyboard only, and a whole booking with JavaScript disabled.
//   1. broker + hub (HubSpec{.portal, .portal_tls}); seeded with PUT /api/v1/{muni}/records/...:
//      settings (the municipality's name), three counter masters (one hidden from the site),
//      their slots for the coming two weeks, one slot filled by a booking (満員), cards of
//      generated test people with postcard numbers and birth dates, an info notice and a
//      maintenance notice; the hub is restarted so the site takes the municipality's name;
//   2. node --test portal.test.mjs with the site's URL and the test people in the environment;
//   3. the booking made with JavaScript disabled (its receipt number written by the test to
//      RESULT_FILE) is at the hub: two people with the two cards checked, moved to another slot,
//      cancelled, with its history.
//
// Exit codes: 0 passed, 1 failed, 77 skipped (chromium, node or the npm packages unavailable).
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "madoguchi/calendar/date.h"
#include "madoguchi/domain/booking.h"
#include "madoguchi/domain/card.h"
#include "madoguchi/domain/counter_master.h"
#include "madoguchi/domain/notice.h"
#include "madoguchi/domain/settings.h"
#include "madoguchi/domain/slots.h"
#include "e2e_support.h"
#include "process.h"
#include "stack.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;
namespace con = madoguchi::domain;
namespace cal = madoguchi::calendar;

namespace {

using madoguchi::e2e::browser_tools;

constexpr const char* kMuni = "131016";

int fail(const std::string& why) {
  std::cerr << "FAILED: " << why << "\n";
  return 1;
}

// Generated test people (never real ones): postcard number, birth date, manufacture number.
struct TestPerson {
  const char* manufacture_no;
  const char* postcard_no;
  const char* birth_date;
  const char* name_kanji;
  const char* name_kana;
};
constexpr TestPerson kPeople[] = {
    {"TEST000000000001", "TST100001", "1985-04-12", "試験 一郎", "シケン イチロウ"},   // the main flow
    {"TEST000000000002", "TST100002", "1990-11-03", "試験 花子", "シケン ハナコ"},     // no-JS, 1st
    {"TEST000000000003", "TST100003", "2015-02-28", "試験 次郎", "シケン ジロウ"},     // no-JS, 2nd
    {"TEST000000000004", "TST100004", "1972-07-07", "試験 三郎", "シケン サブロウ"},   // keyboard pass
    {"TEST000000000005", "TST100005", "2001-01-31", "試験 四郎", "シケン シロウ"},     // 320 px / zoom
};

con::LocalDateTime at(cal::Date d, int minute) { return con::LocalDateTime{d, minute}; }

void put(madoguchi::testing::Stack& s, const std::string& entity, const std::string& key, const json& body) {
  json reply;
  const int status = s.hub_put(kMuni, entity, key, body.dump(), 0, &reply);
  if (status != 200) {
    throw std::runtime_error("the hub refused " + entity + "/" + key + ": status " + std::to_string(status) + " " +
                             reply.dump());
  }
}

con::CounterMaster counter(const std::string& id, const std::string& name, std::set<con::Business> businesses,
                           int capacity, bool visible, cal::Date today) {
  con::CounterMaster c;
  c.id = id;
  c.name = name;
  c.businesses = std::move(businesses);
  for (auto& day : c.week) day = {con::TimeBand{9 * 60, 12 * 60}};
  c.minutes_per_visit = 30;
  c.capacity_per_slot = capacity;
  c.valid_from = at(cal::add_days(today, -1), 0);
  c.visible_on_site = visible;
  c.deadline_days_before = 1;
  c.deadline_time = 17 * 60;
  return c;
}

// Slots of `c` for days today+2 .. today+15 (09:00-12:00, every 30 minutes), deadline the day
// before at 17:00: every one of them bookable now.
std::vector<con::Slot> slots_of(const con::CounterMaster& c, cal::Date today) {
  std::vector<con::Slot> out;
  for (int d = 2; d <= 15; ++d) {
    const cal::Date day = cal::add_days(today, d);
    for (int m = 9 * 60; m < 12 * 60; m += 30) {
      con::Slot s;
      s.counter = c.id;
      s.start = at(day, m);
      s.minutes = 30;
      s.capacity = c.capacity_per_slot;
      s.deadline = at(cal::add_days(day, -1), 17 * 60);
      out.push_back(s);
    }
  }
  return out;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

int main() {
  const fs::path e2e_dir = MADOGUCHI_E2E_DIR;
  const fs::path bin = MADOGUCHI_BIN_DIR;
  fs::path chromium;
  if (int code = browser_tools(e2e_dir, chromium); code != 0) return code;

  try {
    madoguchi::testing::TempDir tmp;
    madoguchi::testing::Stack s(tmp.path() / "stack", bin);
    s.start_broker();
    const madoguchi::testing::HubSpec spec{.console = false, .portal = true, .portal_tls = true};
    s.start_hub(spec);

    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    const con::LocalDateTime now = con::japan_local_time(now_ms);
    const cal::Date today = now.date;

    // 1. The municipality as an administrator sets it up at the hub console.
    con::Settings settings;
    settings.municipality_name = "サンプル区";
    settings.booking_days_ahead = 60;
    put(s, "setting", "system", con::settings_to_json(settings));
    const con::CounterMaster main_counter = counter("1", "本庁舎 市民課", {con::Business::collection, con::Business::application,
                                                                      con::Business::cert_renewal}, 2, true, today);
    const con::CounterMaster branch = counter("2", "北支所", {con::Business::collection, con::Business::application}, 1,
                                              true, today);
    const con::CounterMaster hidden = counter("9", "臨時窓口（非公開）", {con::Business::collection}, 3, false, today);
    for (const auto* c : {&main_counter, &branch, &hidden}) {
      put(s, "counter", con::counter_key(*c), con::counter_to_json(*c));
      for (const auto& slot : slots_of(*c, today)) put(s, "slot", con::slot_key(slot), con::slot_to_json(slot));
    }
    // The branch's first slot is full: a booking made on the phone for one person.
    const cal::Date first_day = cal::add_days(today, 2);
    con::Booking seed;
    seed.receipt = "SEED-0001";
    auto hash = con::hash_booking_password("SEEDPASS22", true);
    if (!hash) return fail(hash.error().describe());
    seed.password_hash = *hash;
    seed.business = con::Business::application;
    seed.application_kind = con::ApplicationKind::renewal;
    seed.counter = "2";
    seed.slot = "2:" + con::format_date_time(at(first_day, 9 * 60));
    seed.people = {con::BookingPerson{"", "テスト ヨヤク"}};
    seed.email = "seed@example.jp";
    seed.created_ms = seed.updated_ms = now_ms;
    seed.history.push_back(con::BookingEvent{now_ms, "created", "web", seed.slot, ""});
    put(s, "booking", seed.receipt, con::booking_to_json(seed));

    for (const auto& p : kPeople) {
      con::Card c;
      c.manufacture_no = p.manufacture_no;
      c.postcard_no = p.postcard_no;
      c.birth_date = p.birth_date;
      c.name_kanji = p.name_kanji;
      c.name_kana = p.name_kana;
      c.counter = "1";
      c.imported_ms = now_ms;
      put(s, "card", c.manufacture_no, con::card_to_json(c));
    }
    con::Notice info;
    info.id = "e2e-info";
    info.kind = con::NoticeKind::info;
    info.title = "年末年始の窓口について";
    info.body = "12月29日から1月3日までは、窓口をお休みします。\n\nこの期間の予約はできません。";
    info.publish_from = at(cal::add_days(today, -1), 0);
    put(s, "notice", info.id, con::notice_to_json(info));
    con::Notice maint;
    maint.id = "e2e-maint";
    maint.kind = con::NoticeKind::maintenance;
    maint.title = "システムメンテナンスのお知らせ";
    maint.body = "メンテナンスの間は、予約サイトをご利用いただけません。";
    maint.publish_from = at(cal::add_days(today, -1), 0);
    maint.maintenance_from = at(cal::add_days(today, 30), 22 * 60);
    maint.maintenance_until = at(cal::add_days(today, 31), 6 * 60);
    put(s, "notice", maint.id, con::notice_to_json(maint));

    // The site takes the municipality's name from the settings when the hub starts.
    s.kill_hub();
    s.start_hub(spec);

    const std::string site = "https://localhost:" + std::to_string(s.hub_portal_port()) + "/" + kMuni;
    json people = json::array();
    for (const auto& p : kPeople) {
      people.push_back({{"postcard", p.postcard_no},
                        {"month", std::stoi(std::string(p.birth_date).substr(5, 2))},
                        {"day", std::stoi(std::string(p.birth_date).substr(8, 2))},
                        {"manufacture_no", p.manufacture_no}});
    }
    const fs::path result_file = tmp.path() / "result.json";
    ::setenv("PORTAL_URL", site.c_str(), 1);
    ::setenv("CHROMIUM", chromium.c_str(), 1);
    ::setenv("PORTAL_PEOPLE", people.dump().c_str(), 1);
    ::setenv("FULL_SLOT", seed.slot.c_str(), 1);
    ::setenv("RESULT_FILE", result_file.c_str(), 1);
    ::setenv("PROFILE_DIR", (tmp.path() / "chromium").c_str(), 1);

    // 2. Every page in Chromium.
    const std::string cmd = "node --test --test-reporter=spec '" + (e2e_dir / "portal.test.mjs").string() + "'";
    std::cout << "== " << cmd << "\n" << std::flush;
    const int rc = std::system(cmd.c_str());
    if (!WIFEXITED(rc) || WEXITSTATUS(rc) != 0) return fail("portal.test.mjs failed");

    // 3. The booking made without JavaScript, as the hub holds it.
    const json result = json::parse(read_file(result_file), nullptr, false);
    if (!result.is_object() || !result.contains("nojs_receipt")) return fail("portal.test.mjs wrote no receipt number");
    const std::string receipt = result["nojs_receipt"].get<std::string>();
    json body;
    if (s.hub_get("/api/v1/" + std::string(kMuni) + "/records/booking/" + receipt, &body) != 200 || !body.contains("body")) {
      return fail("the hub has no booking " + receipt);
    }
    auto booking = con::booking_from_json(body["body"]);
    if (!booking) return fail("the hub's booking does not decode: " + booking.error().describe());
    if (booking->business != con::Business::collection || booking->channel != con::BookingChannel::web) {
      return fail("the booking is not a web booking for collection");
    }
    if (booking->people.size() != 2 || booking->people[0].manufacture_no != kPeople[1].manufacture_no ||
        booking->people[1].manufacture_no != kPeople[2].manufacture_no) {
      return fail("the booking does not hold the two checked cards");
    }
    if (booking->slot != result.value("nojs_changed_slot", "")) {
      return fail("the booking's slot " + booking->slot + " is not the one it was changed to");
    }
    if (!booking->cancelled) return fail("the booking is not cancelled at the hub");
    std::vector<std::string> actions;
    for (const auto& e : booking->history) actions.push_back(e.action);
    if (actions != std::vector<std::string>{"created", "changed", "cancelled"}) {
      return fail("the booking's history is not created, changed, cancelled");
    }
    std::cout << "PASSED: every page of the citizen site without axe violations (WCAG 2 A/AA), at 320 px and 200% "
                 "zoom, by keyboard; booking "
              << receipt << " made, changed and cancelled without JavaScript is at the hub\n";
    return 0;
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}
