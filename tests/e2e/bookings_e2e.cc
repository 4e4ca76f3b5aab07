// One day of reservations end to end, through the real processes and a real browser (MST-1..MST-7,
// PHN-1..PHN-6, RSV-1, RSV-3, EDGE-5): a Stack with a hub serving the administration console and
// the citizen site (TLS), and counter-01 serving the counter console, its link through a fault
// proxy. bookings.test.mjs runs in headless Chromium in phases:
//   admin     at the hub console an administrator adds the role 窓口主任 with the permission
//             締切後・定員超過の予約 (権限管理), a counter with week bands and 2 places per slot
//             (keyboard), generates the coming weeks' slots (preview, then apply) and adds a
//             maintenance notice (お知らせ);
//   the driver picks the first day whose slots are still bookable: slot A (its first) and B (its
//   second) from the hub's records;
//   online    the administrator closes B; the counter console's 電話予約 shows the counter once the
//             masters arrived; the clerk books A by phone for a card (name shown for confirmation),
//             gets a receipt number and password; the hub console shows A's fill;
//   the driver checks the booking and A's fill at the hub, then cuts counter-01's link;
//   offline   the clerk books A's last place at the counter (accepted locally, 未送信) while a
//             resident books the same last place on the citizen site;
//   the driver: the hub holds the resident's booking, not the counter's; the link is restored;
//   restored  the counter's 電話予約 shows the hub's refusal (満員…) with what to do;
//   the driver: the hub holds exactly A's capacity of bookings;
//   override  the chief at the hub console books A beyond capacity with the explicit override; the
//             clerk at the hub console is offered no override and a hand-made request is refused;
//             the closed slot B is offered nowhere; the maintenance notice is on the site's top;
//   the driver: A holds capacity + 1 places at the hub, the extra one flagged as an override.
//
// Exit codes: 0 passed, 1 failed, 77 skipped (chromium, node or playwright-core unavailable).
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "madoguchi/calendar/date.h"
#include "madoguchi/domain/booking.h"
#include "madoguchi/domain/card.h"
#include "madoguchi/domain/counter_master.h"
#include "madoguchi/domain/settings.h"
#include "madoguchi/domain/slots.h"
#include "madoguchi/protocol/topics.h"
#include "e2e_support.h"
#include "process.h"
#include "stack.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using madoguchi::testing::eventually;
using nlohmann::json;
namespace con = madoguchi::domain;
namespace cal = madoguchi::calendar;

namespace {

using madoguchi::e2e::browser_tools;
using madoguchi::e2e::staff_body;

constexpr const char* kMuni = "131016";
constexpr const char* kCounter = "honcho";  // the counter the administrator adds in the browser
constexpr int kCapacity = 2;                 // its places per slot
constexpr const char* kAdminPw = "Admin-Pass-2026";
constexpr const char* kClerkPw = "Clerk-Pass-2026";
constexpr const char* kChiefPw = "Chief-Pass-2026";

// Generated test people (never real ones).
struct TestPerson {
  const char* manufacture_no;
  const char* postcard_no;
  const char* birth_date;
  const char* name_kanji;
  const char* name_kana;
};
constexpr TestPerson kPeople[] = {
    {"TEST000000000011", "TST200011", "1980-05-06", "試験 一郎", "シケン イチロウ"},  // online, by the clerk
    {"TEST000000000012", "TST200012", "1992-08-19", "試験 花子", "シケン ハナコ"},    // offline, by the clerk
    {"TEST000000000013", "TST200013", "1975-12-01", "試験 次郎", "シケン ジロウ"},    // the resident on the site
    {"TEST000000000014", "TST200014", "2003-03-30", "試験 三郎", "シケン サブロウ"},  // the chief's override
};

int fail(const std::string& why) {
  std::cerr << "FAILED: " << why << "\n";
  return 1;
}

int run_node(const std::string& phase) {
  ::setenv("BOOKINGS_PHASE", phase.c_str(), 1);
  const std::string cmd = "node --test --test-reporter=spec '" + std::string(MADOGUCHI_E2E_DIR) + "/bookings.test.mjs'";
  std::cout << "== " << cmd << " (phase " << phase << ")\n" << std::flush;
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 1;
}

void put(madoguchi::testing::Stack& s, const std::string& entity, const std::string& key, const std::string& body) {
  json reply;
  const int status = s.hub_put(kMuni, entity, key, body, 0, &reply);
  if (status != 200) {
    throw std::runtime_error("the hub refused " + entity + "/" + key + ": status " + std::to_string(status) + " " +
                             reply.dump());
  }
}

bool edge_has(madoguchi::testing::Stack& s, const std::string& edge, const std::string& entity, const std::string& key) {
  try {
    return s.edge_get(edge, "/api/v1/records/" + entity + "/" + key).contains("body");
  } catch (...) {
    return false;
  }
}

// The hub's records of one entity, key → body (dump lines are "entity/key=body").
std::map<std::string, json> hub_records(madoguchi::testing::Stack& s, const std::string& entity) {
  std::map<std::string, json> out;
  for (const auto& line : madoguchi::testing::Stack::dump_records(s.hub_db(kMuni), true)) {
    if (line.rfind(entity + "/", 0) != 0) continue;
    const auto eq = line.find('=');
    out[line.substr(entity.size() + 1, eq - entity.size() - 1)] = json::parse(line.substr(eq + 1));
  }
  return out;
}

// The hub's live bookings of a slot.
std::vector<con::Booking> hub_bookings_of(madoguchi::testing::Stack& s, const std::string& slot) {
  std::vector<con::Booking> out;
  for (const auto& [key, body] : hub_records(s, "booking")) {
    auto b = con::booking_from_json(body);
    if (!b) throw std::runtime_error("the hub's booking " + key + " does not decode: " + b.error().describe());
    if (b->slot == slot && !b->cancelled) out.push_back(std::move(*b));
  }
  return out;
}

int places_of(const std::vector<con::Booking>& bookings) {
  int n = 0;
  for (const auto& b : bookings) n += static_cast<int>(b.people.size());
  return n;
}

json read_json(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str(), nullptr, false);
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
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
    s.start_hub({.console = true, .portal = true, .portal_tls = true});
    s.start_edge({.municipality = kMuni, .device = "counter-01", .via_proxy = true, .linkage = false, .console = true});
    const std::string edge = madoguchi::protocol::device_identity(kMuni, "counter-01");

    // What exists before the day: settings, three staff accounts (the chief's role is added in the
    // browser), and the cards of the municipality's test people.
    con::Settings settings;
    settings.municipality_name = "サンプル区";
    put(s, "setting", "system", con::settings_to_json(settings).dump());
    put(s, "staff", "admin01", staff_body("admin01", "管理 太郎", "administrator", kAdminPw));
    put(s, "staff", "clerk01", staff_body("clerk01", "窓口 花子", "counter_clerk", kClerkPw));
    put(s, "staff", "chief01", staff_body("chief01", "主任 次郎", "chief", kChiefPw));
    const std::int64_t t0 = now_ms();
    json people = json::array();
    for (const auto& p : kPeople) {
      con::Card c;
      c.manufacture_no = p.manufacture_no;
      c.postcard_no = p.postcard_no;
      c.birth_date = p.birth_date;
      c.name_kanji = p.name_kanji;
      c.name_kana = p.name_kana;
      c.counter = "1";
      c.imported_ms = t0;
      put(s, "card", c.manufacture_no, con::card_to_json(c).dump());
      people.push_back({{"manufacture_no", p.manufacture_no},
                        {"postcard", p.postcard_no},
                        {"month", std::stoi(std::string(p.birth_date).substr(5, 2))},
                        {"day", std::stoi(std::string(p.birth_date).substr(8, 2))},
                        {"name", p.name_kanji}});
    }
    if (!eventually([&] { return edge_has(s, edge, "staff", "clerk01") && edge_has(s, edge, "card", kPeople[1].manufacture_no); },
                    30s)) {
      return fail("the accounts and cards did not replicate to counter-01");
    }

    const fs::path result_file = tmp.path() / "result.json";
    ::setenv("HUB_CONSOLE_URL", ("http://127.0.0.1:" + std::to_string(s.hub_console_port(kMuni))).c_str(), 1);
    ::setenv("CONSOLE_URL", ("http://127.0.0.1:" + std::to_string(s.console_port(edge))).c_str(), 1);
    ::setenv("PORTAL_URL", ("https://localhost:" + std::to_string(s.hub_portal_port()) + "/" + kMuni).c_str(), 1);
    ::setenv("CHROMIUM", chromium.c_str(), 1);
    ::setenv("ADMIN_ID", "admin01", 1);
    ::setenv("ADMIN_PASSWORD", kAdminPw, 1);
    ::setenv("CLERK_ID", "clerk01", 1);
    ::setenv("CLERK_PASSWORD", kClerkPw, 1);
    ::setenv("CHIEF_ID", "chief01", 1);
    ::setenv("CHIEF_PASSWORD", kChiefPw, 1);
    ::setenv("COUNTER_ID", kCounter, 1);
    ::setenv("CAPACITY", std::to_string(kCapacity).c_str(), 1);
    ::setenv("PEOPLE", people.dump().c_str(), 1);
    ::setenv("RESULT_FILE", result_file.c_str(), 1);
    const con::LocalDateTime now = con::japan_local_time(t0);
    ::setenv("TODAY", cal::format_iso(now.date).c_str(), 1);
    ::setenv("GENERATE_TO", cal::format_iso(cal::add_days(now.date, 35)).c_str(), 1);

    // 1. The administrator's morning at the hub console.
    if (run_node("admin") != 0) return 1;

    // The generated slots at the hub; A and B are the first two slots of the first day that starts
    // tomorrow or later and whose deadline is at least an hour away (the resident may book them).
    const auto slots = hub_records(s, "slot");
    std::vector<con::Slot> ours;
    for (const auto& [key, body] : slots) {
      auto slot = con::slot_from_json(body);
      if (!slot) return fail("the hub's slot " + key + " does not decode: " + slot.error().describe());
      if (slot->counter == kCounter) ours.push_back(*slot);
    }
    std::cout << "the hub holds " << ours.size() << " slots of counter " << kCounter << "\n";
    if (ours.size() < 20) return fail("the generation made too few slots at the hub");
    const con::LocalDateTime soon = con::japan_local_time(now_ms() + 3'600'000);
    std::string slot_a, slot_b;
    for (std::size_t i = 0; i + 1 < ours.size() && slot_a.empty(); ++i) {
      const con::Slot& a = ours[i];
      const con::Slot& b = ours[i + 1];
      if (!(now.date < a.start.date) || a.start.date != b.start.date) continue;
      if (a.deadline.date < soon.date || (a.deadline.date == soon.date && a.deadline.minute <= soon.minute)) continue;
      if (a.capacity != kCapacity || !a.open || !b.open) return fail("a generated slot is not open with 2 places");
      slot_a = con::slot_key(a);
      slot_b = con::slot_key(b);
    }
    if (slot_a.empty()) return fail("no bookable day among the generated slots");
    std::cout << "slot A " << slot_a << ", slot B (to be closed) " << slot_b << "\n";
    ::setenv("SLOT_A", slot_a.c_str(), 1);
    ::setenv("SLOT_B", slot_b.c_str(), 1);

    // 2./3. Masters over the feed; the clerk's first phone booking.
    if (run_node("online") != 0) return 1;
    json result = read_json(result_file);
    const std::string first_receipt = result.value("online_receipt", "");
    if (first_receipt.empty()) return fail("bookings.test.mjs wrote no receipt number for the online booking");
    if (!eventually([&] { return hub_bookings_of(s, slot_a).size() == 1; }, 30s)) {
      return fail("the clerk's booking did not reach the hub");
    }
    {
      const auto a = hub_bookings_of(s, slot_a);
      if (a[0].receipt != first_receipt || a[0].channel != con::BookingChannel::phone || a[0].staff != "clerk01" ||
          a[0].people.size() != 1 || a[0].people[0].manufacture_no != kPeople[0].manufacture_no) {
        return fail("the hub's booking of slot A is not the clerk's phone booking for the first card");
      }
    }
    json closed;
    if (s.hub_get("/api/v1/" + std::string(kMuni) + "/records/slot/" + slot_b, &closed) != 200 ||
        closed["body"].value("open", true)) {
      return fail("slot B is not closed at the hub");
    }

    // 4. EDGE-5: the link is cut; the counter and the site both take A's last place.
    s.proxy(edge).set_mode(madoguchi::sim::FaultMode::drop);
    if (!eventually([&] { return !s.edge_get(edge, "/api/v1/status")["connected"].get<bool>(); }, 30s)) {
      return fail("counter-01 did not notice the cut link");
    }
    if (run_node("offline") != 0) return 1;
    result = read_json(result_file);
    const std::string offline_receipt = result.value("offline_receipt", "");
    const std::string web_receipt = result.value("web_receipt", "");
    if (offline_receipt.empty() || web_receipt.empty()) return fail("bookings.test.mjs wrote no offline or web receipt");
    if (s.edge_get(edge, "/api/v1/status")["outbox_depth"].get<int>() == 0) return fail("the offline booking is not queued");
    {
      const auto a = hub_bookings_of(s, slot_a);
      if (a.size() != 2 || places_of(a) != kCapacity) return fail("the resident's booking did not fill slot A at the hub");
    }
    s.proxy(edge).set_mode(madoguchi::sim::FaultMode::pass);
    if (!eventually([&] {
          const json st = s.edge_get(edge, "/api/v1/status");
          return st["connected"].get<bool>() && st["outbox_depth"].get<int>() == 0;
        }, 60s)) {
      return fail("counter-01's outbox did not drain after the link came back");
    }
    if (run_node("restored") != 0) return 1;
    {
      const auto a = hub_bookings_of(s, slot_a);
      if (places_of(a) != kCapacity) {
        return fail("slot A holds " + std::to_string(places_of(a)) + " places at the hub, not its capacity");
      }
      bool web = false;
      for (const auto& b : a) {
        if (b.receipt == offline_receipt) return fail("the hub took the counter's offline booking of a full slot");
        web = web || (b.receipt == web_receipt && b.channel == con::BookingChannel::web);
      }
      if (!web) return fail("the resident's booking is not among slot A's bookings at the hub");
      json body;
      if (s.hub_get("/api/v1/" + std::string(kMuni) + "/records/booking/" + offline_receipt, &body) != 404) {
        return fail("the refused booking exists at the hub");
      }
    }

    // 5./6. The chief's override at the hub; the clerk has none; B offered nowhere; the notice.
    if (run_node("override") != 0) return 1;
    result = read_json(result_file);
    const std::string override_receipt = result.value("override_receipt", "");
    const auto a = hub_bookings_of(s, slot_a);
    int overrides = 0;
    for (const auto& b : a) {
      if (b.override_flags.capacity) {
        ++overrides;
        if (b.receipt != override_receipt || b.staff != "chief01") return fail("an override booking not made by the chief");
      }
    }
    if (places_of(a) != kCapacity + 1 || overrides != 1) {
      return fail("slot A does not hold capacity + 1 places with exactly one override at the hub");
    }
    for (const auto& [key, body] : hub_records(s, "booking")) {
      if (body.value("slot", "") == slot_b) return fail("a booking of the closed slot B exists: " + key);
    }
    std::cout << "PASSED: counter, slots, closed slot, role and maintenance notice made at the hub console; phone "
                 "booking "
              << first_receipt << " at counter-01; offline booking " << offline_receipt
              << " refused by the hub as full after resident booking " << web_receipt
              << " took the last place (EDGE-5); override booking " << override_receipt
              << " by the chief; slot A holds " << places_of(a) << " places at the hub\n";
    return 0;
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}
