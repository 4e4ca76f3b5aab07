// madoguchi-bench portal (docs/performance.md, "The citizen site").
//
// 1. Seeds municipality 131016's hub database directly, before the hub starts, through HubStore
//    (the hub's own storage code, with the booking rule installed): counters with a year of
//    generated slots, bookings on the first weeks, and a "rush" counter whose slots hold exactly
//    --places places.
// 2. Starts mosquitto and the real madoguchi-hub with its citizen site over TLS (the Stack's
//    localhost certificate) and portal_client_limit_scale 1000, so that one client address may
//    open thousands of visits (the per-client limits are meant for single persons).
// 3. Slot page: --connections keep-alive HTTPS connections, each with its own visit at step 3,
//    GET /131016/book/slot for --seconds; then the same against nginx (no master, one worker,
//    same certificate) serving the page fetched once from the hub as a static file.
// 4. Rush: --attempts residents, --concurrency at a time, each on its own TLS connection doing the
//    application flow (no card needed) at the rush counter; a resident whose slot filled meanwhile
//    picks another one of the set, until none is left. Verified in the hub's database afterwards.
#include "portal_bench.h"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>

#include "https_load.h"
#include "madoguchi/calendar/business_days.h"
#include "madoguchi/domain/booking.h"
#include "madoguchi/domain/counter_master.h"
#include "madoguchi/domain/record_body.h"
#include "madoguchi/domain/slots.h"
#include "madoguchi/hub/booking_service.h"
#include "madoguchi/hub/hub_store.h"
#include "madoguchi/sqlite/sqlite.h"
#include "stack.h"
#include "temp_dir.h"

namespace madoguchi::bench {

namespace fs = std::filesystem;
namespace asio = boost::asio;
namespace c = madoguchi::domain;
using nlohmann::json;
using testing::Stack;
using namespace std::chrono_literals;
using namespace std::string_literals;

namespace {

const std::string kMuni = "131016";
const std::string kBase = "/131016";
const std::string kPageCounter = "1";  // the slot page of the throughput run
const std::string kRushCounter = "rush";

struct Plan {
  std::vector<std::size_t> connections{64, 256};
  std::chrono::milliseconds duration{10000};
  std::uint64_t counters = 10;        // with a year of slots each
  std::uint64_t seed_bookings = 1000;
  std::uint64_t places = 1000;        // --places: the rush's free places in all
  std::uint64_t rush_slots = 20;      // --slots: places / slots per slot (at most 99)
  std::uint64_t attempts = 10000;     // --attempts
  std::uint64_t concurrency = 1000;   // --concurrency: attempts in flight (each its own connection)
  std::string nginx = "/usr/sbin/nginx";
  std::uint64_t web_threads = 0;      // --web-threads: the hub's web_threads (0, its default: one per core)
};

template <class T>
T need(Expected<T> v, const std::string& what) {
  if (!v) throw std::runtime_error(what + ": " + v.error().describe());
  return std::move(*v);
}
void need(const Status& s, const std::string& what) {
  if (!s) throw std::runtime_error(what + ": " + s.error().describe());
}

std::vector<std::size_t> parse_list(const std::string& text) {
  std::vector<std::size_t> out;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, ',')) {
    std::size_t n = 0;
    try {
      n = std::stoul(part);
    } catch (const std::exception&) {
      n = 0;
    }
    if (n == 0 || n > 1000) throw std::invalid_argument("--connections takes numbers 1-1000 separated by commas, not '" + text + "'");
    out.push_back(n);
  }
  if (out.empty()) throw std::invalid_argument("--connections needs at least one number");
  return out;
}

Plan plan_from(const Args& args) {
  args.only({"quick", "connections", "seconds", "counters", "seed-bookings", "places", "slots", "attempts", "concurrency",
             "bin", "nginx", "web-threads"});
  Plan p;
  if (args.flag("quick")) {
    p.connections = {16};
    p.duration = 2s;
    p.counters = 2;
    p.seed_bookings = 50;
    p.places = 20;
    p.rush_slots = 2;
    p.attempts = 200;
    p.concurrency = 50;
  }
  if (auto v = args.value("connections")) p.connections = parse_list(*v);
  p.duration = std::chrono::seconds(args.count("seconds", static_cast<std::uint64_t>(p.duration.count() / 1000)));
  p.counters = args.count("counters", p.counters);
  p.seed_bookings = args.count("seed-bookings", p.seed_bookings, true);
  p.places = args.count("places", p.places);
  p.rush_slots = args.count("slots", p.rush_slots);
  p.attempts = args.count("attempts", p.attempts);
  p.concurrency = args.count("concurrency", p.concurrency);
  p.web_threads = args.count("web-threads", p.web_threads, true);
  if (auto v = args.value("nginx")) p.nginx = *v;
  if (p.counters > 20) throw std::invalid_argument("--counters: at most 20");
  if (p.places % p.rush_slots != 0 || p.places / p.rush_slots > 99) {
    throw std::invalid_argument("--places must be --slots times a capacity of 1-99 (capacity_per_slot is at most 99)");
  }
  if (p.rush_slots > 60) throw std::invalid_argument("--slots: at most 60 (15-minute slots of one day)");
  if (p.attempts < p.places) throw std::invalid_argument("--attempts must be at least --places");
  if (p.concurrency > 1000) throw std::invalid_argument("--concurrency: at most 1000 (the site takes 1024 connections)");
  return p;
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// ---- seeding (before the hub starts) ----

struct Seed {
  calendar::Date today;     // Japan date when seeded
  calendar::Date rush_day;  // the rush slots' day (today + 2: within the first slot page)
  int capacity = 0;         // per rush slot
  std::size_t slots = 0;    // slot records in all
  std::size_t bookings = 0;
};

c::CounterMaster counter_master(const std::string& id, const std::string& name, const calendar::Date& today) {
  c::CounterMaster m;
  m.id = id;
  m.name = name;
  m.businesses = {c::Business::collection, c::Business::application, c::Business::cert_renewal};
  for (int d = 1; d <= 5; ++d) m.week[static_cast<std::size_t>(d)] = {c::TimeBand{9 * 60, 12 * 60}, c::TimeBand{13 * 60, 17 * 60}};
  m.minutes_per_visit = 30;
  m.capacity_per_slot = 3;
  m.valid_from = c::LocalDateTime{calendar::add_days(today, -30), 0};
  return m;
}

Seed seed_hub(Stack& stack, const Plan& plan) {
  fs::create_directories(stack.dir() / "hub");
  auto store = need(hub::HubStore::open(stack.hub_db(kMuni), kMuni), "opening the hub's database");
  need(hub::install_booking_rule(store), "installing the booking rule");
  const std::int64_t now_ms = wall_ms();
  Seed seed;
  seed.today = c::japan_local_time(now_ms).date;
  seed.rush_day = calendar::add_days(seed.today, 2);
  seed.capacity = static_cast<int>(plan.places / plan.rush_slots);
  auto cal = need(calendar::BusinessCalendar::create({}, {}), "calendar");

  std::vector<hub::LocalWrite> writes;
  std::vector<c::Slot> bookable;  // slots whose deadline is still ahead, for the seeded bookings
  auto flush = [&] {
    if (writes.empty()) return;
    need(store.write_local_batch(writes, now_ms), "seeding");
    writes.clear();
  };
  for (std::uint64_t n = 1; n <= plan.counters; ++n) {
    const c::CounterMaster m = counter_master(std::to_string(n), "本庁舎 " + std::to_string(n) + "番窓口", seed.today);
    writes.push_back({"counter", c::counter_key(m), protocol::OpKind::upsert, c::dump_body(c::counter_to_json(m))});
    auto gen = need(c::generate_slots(m, seed.today, calendar::add_days(seed.today, 364), cal), "generating slots");
    for (const c::Slot& s : gen.slots) {
      writes.push_back({"slot", c::slot_key(s), protocol::OpKind::upsert, c::dump_body(c::slot_to_json(s))});
      if (s.deadline > c::japan_local_time(now_ms) && s.start.date <= calendar::add_days(seed.today, 30)) bookable.push_back(s);
    }
    seed.slots += gen.slots.size();
    if (writes.size() > 50'000) flush();
  }
  c::CounterMaster rush = counter_master(kRushCounter, "臨時窓口（集中受付）", seed.today);
  rush.businesses = {c::Business::application};
  rush.minutes_per_visit = 15;
  rush.capacity_per_slot = seed.capacity;
  for (auto& day : rush.week) day = {c::TimeBand{8 * 60, 23 * 60}};
  writes.push_back({"counter", c::counter_key(rush), protocol::OpKind::upsert, c::dump_body(c::counter_to_json(rush))});
  for (std::uint64_t i = 0; i < plan.rush_slots; ++i) {
    c::Slot s;
    s.counter = kRushCounter;
    s.start = c::LocalDateTime{seed.rush_day, 8 * 60 + 15 * static_cast<int>(i)};
    s.minutes = 15;
    s.capacity = seed.capacity;
    s.deadline = c::LocalDateTime{calendar::add_days(seed.rush_day, -1), 17 * 60};
    writes.push_back({"slot", c::slot_key(s), protocol::OpKind::upsert, c::dump_body(c::slot_to_json(s))});
    ++seed.slots;
  }
  flush();

  // Bookings: slot j of the first month gets j % 4 of them (0..3: empty to full), one person each.
  std::sort(bookable.begin(), bookable.end(), [](const c::Slot& a, const c::Slot& b) {
    return std::tie(a.start, a.counter) < std::tie(b.start, b.counter);
  });
  const std::string hash = need(c::hash_booking_password("SEEDPASS23"), "hashing");
  for (std::size_t j = 0; j < bookable.size() && seed.bookings < plan.seed_bookings; ++j) {
    const c::Slot& s = bookable[j];
    for (std::size_t k = 0; k < j % 4 && seed.bookings < plan.seed_bookings; ++k) {
      c::Booking b;
      b.receipt = "SEED-" + std::to_string(++seed.bookings);
      b.password_hash = hash;
      b.business = c::Business::application;
      b.application_kind = c::ApplicationKind::new_issue;
      b.counter = s.counter;
      b.slot = c::slot_key(s);
      b.people.push_back({"", "シード　タロウ"});
      b.email = "seed@example.jp";
      b.created_ms = b.updated_ms = now_ms;
      c::add_booking_event(b, c::BookingEvent{now_ms, "created", "web", b.slot, ""});
      writes.push_back({"booking", b.receipt, protocol::OpKind::upsert, c::dump_body(c::booking_to_json(b))});
    }
  }
  flush();
  return seed;
}

// ---- the site as a browser sees it ----

std::string attribute_after(const std::string& html, const std::string& marker) {
  const auto p = html.find(marker);
  if (p == std::string::npos) return "";
  const auto start = p + marker.size();
  const auto end = html.find('"', start);
  return end == std::string::npos ? "" : html.substr(start, end - start);
}

// The selectable slots of `counter` on a slot page (full ones have no radio button).
std::vector<std::string> bookable_slots(const std::string& html, const std::string& counter) {
  std::vector<std::string> out;
  const std::string marker = "value=\"" + counter + ":";
  for (auto p = html.find(marker); p != std::string::npos; p = html.find(marker, p + 1)) {
    const auto start = p + 7;
    const auto end = html.find('"', start);
    if (end != std::string::npos) out.push_back(html.substr(start, end - start));
  }
  return out;
}

struct Browser {
  explicit Browser(HttpsConnection* c) : conn(c) {}
  HttpsConnection* conn = nullptr;
  std::string cookie, csrf;
  std::uint64_t requests = 0;
};

using Fields = std::vector<std::pair<std::string, std::string>>;

asio::awaitable<HttpReply> send(Browser& b, std::string method, std::string target, std::string body) {
  HttpReply r = co_await b.conn->request(method, target, b.cookie, body);
  ++b.requests;
  if (!r.set_cookie.empty()) b.cookie = r.set_cookie;
  if (auto t = attribute_after(r.body, "name=\"csrf_token\" value=\""); !t.empty()) b.csrf = t;
  co_return r;
}

asio::awaitable<HttpReply> post(Browser& b, std::string target, std::vector<std::pair<std::string, std::string>> fields) {
  fields.emplace_back("csrf_token", b.csrf);
  co_return co_await send(b, "POST"s, std::move(target), form_encode(fields));
}

void expect(const HttpReply& r, int status, const std::string& step, const std::string& location = "") {
  if (r.status != status || (!location.empty() && r.location != location)) {
    throw std::runtime_error(step + ": HTTP " + std::to_string(r.status) + (r.location.empty() ? "" : " to " + r.location));
  }
}

// A visit at step 3 (slot choice) at counter `counter`, business application: its cookie.
asio::awaitable<std::string> visit_at_slot_page(HttpsConnection& conn, std::string counter) {
  Browser b(&conn);
  {
    HttpReply e = co_await send(b, "GET"s, kBase + "/book/application"s, ""s);
    expect(e, 200, "GET application"s);
  }
  HttpReply r;
  {
    Fields f = {{"people"s, "1"s}, {"kind"s, "new"s}, {"name_1"s, "ヤマダ　タロウ"s}};
    std::string u = kBase + "/book/application"s;
    r = co_await post(b, std::move(u), std::move(f));
  }
  expect(r, 303, "POST application", kBase + "/book/counter");
  {
    Fields f = {{"counter"s, counter}};
    std::string u = kBase + "/book/counter"s;
    r = co_await post(b, std::move(u), std::move(f));
  }
  expect(r, 303, "POST counter", kBase + "/book/slot");
  co_return b.cookie;
}

// Visits at step 3 for cookies[first], cookies[first + step], ... over one connection.
asio::awaitable<void> prepare_visits(HttpsConnection& conn, std::vector<std::string>& cookies, std::size_t first, std::size_t step) {
  for (std::size_t k = first; k < cookies.size(); k += step) cookies[k] = co_await visit_at_slot_page(conn, kPageCounter);
  co_await conn.close();
}

// One GET of `path` with `cookie` on a fresh connection: the body.
asio::awaitable<void> fetch_page(asio::io_context& io, asio::ssl::context& tls, HttpsTarget target, std::string cookie,
                                 std::string path, std::string& body) {
  HttpsConnection conn(io, tls, target);
  HttpReply r = co_await conn.request("GET"s, path, cookie);
  expect(r, 200, "GET slot page");
  body = std::move(r.body);
  co_await conn.close();
}

// ---- the rush ----

struct Rush {
  asio::io_context* io = nullptr;
  asio::ssl::context* tls = nullptr;
  HttpsTarget target;
  std::string from;  // the rush day (ISO), the slot form's "from"
  std::uint64_t attempts = 0, next = 0;
  std::uint64_t accepted = 0, full = 0, errors = 0, capacity_refusals = 0, slot_retries = 0, requests = 0;
  std::map<std::string, std::uint64_t> error_reasons;
  std::vector<std::string> receipts;
  std::vector<double> confirm_ms;
  std::vector<double> attempt_ms;
  bench::Clock::time_point start, last_accept, last_done;
  std::mt19937 rng{20261122};
};

enum class Outcome { accepted, full };

asio::awaitable<Outcome> attempt(Rush& st, HttpsConnection& conn, std::uint64_t n) {
  Browser b(&conn);
  struct Count {
    Rush& st;
    Browser& b;
    ~Count() { st.requests += b.requests; }
  } count{st, b};
  {
    HttpReply e = co_await send(b, "GET"s, kBase + "/book/application"s, ""s);
    expect(e, 200, "GET application"s);
  }
  HttpReply r;
  {
    Fields f = {{"people"s, "1"s}, {"kind"s, "new"s}, {"name_1"s, "ヤマダ　ハナコ"s}};
    std::string u = kBase + "/book/application"s;
    r = co_await post(b, std::move(u), std::move(f));
  }
  expect(r, 303, "POST application", kBase + "/book/counter");
  {
    HttpReply e = co_await send(b, "GET"s, r.location, ""s);
    expect(e, 200, "GET counter"s);
  }
  {
    Fields f = {{"counter"s, kRushCounter}};
    std::string u = kBase + "/book/counter"s;
    r = co_await post(b, std::move(u), std::move(f));
  }
  expect(r, 303, "POST counter", kBase + "/book/slot");
  r = co_await send(b, "GET"s, r.location, ""s);
  expect(r, 200, "GET slot");
  const std::string email = "rush" + std::to_string(n) + "@example.jp";
  for (int round = 0; round < 200; ++round) {
    const auto keys = bookable_slots(r.body, kRushCounter);
    if (keys.empty()) co_return Outcome::full;
    const std::string key = keys[std::uniform_int_distribution<std::size_t>(0, keys.size() - 1)(st.rng)];
    {
      Fields f = {{"slot"s, key}, {"from"s, st.from}};
      std::string u = kBase + "/book/slot"s;
      r = co_await post(b, std::move(u), std::move(f));
    }
    if (r.status == 400) {  // filled between the page and the choice: the page again, with a message
      ++st.slot_retries;
      continue;
    }
    expect(r, 303, "POST slot");
    if (r.location == kBase + "/book/contact") {
      {
        HttpReply e = co_await send(b, "GET"s, r.location, ""s);
        expect(e, 200, "GET contact"s);
      }
      {
        Fields f = {{"email"s, email}, {"email_confirm"s, email}, {"phone"s, "03-1234-5678"s}, {"proxy"s, "no"s}};
        std::string u = kBase + "/book/contact"s;
        r = co_await post(b, std::move(u), std::move(f));
      }
    }
    expect(r, 303, "to confirm", kBase + "/book/confirm");
    r = co_await send(b, "GET"s, r.location, ""s);
    expect(r, 200, "GET confirm");
    const std::string draft = attribute_after(r.body, "name=\"draft\" value=\"");
    if (draft.empty()) throw std::runtime_error("confirm page without a draft");
    const auto t0 = bench::Clock::now();
    {
      Fields f = {{"draft"s, draft}};
      std::string u = kBase + "/book/confirm"s;
      r = co_await post(b, std::move(u), std::move(f));
    }
    st.confirm_ms.push_back(std::chrono::duration<double, std::milli>(bench::Clock::now() - t0).count());
    expect(r, 303, "POST confirm");
    if (r.location == kBase + "/book/done") {
      r = co_await send(b, "GET"s, r.location, ""s);
      expect(r, 200, "GET done");
      const std::string receipt = attribute_after(r.body, "<dt>受付番号</dt><dd class=\"secret\">");
      const auto end = receipt.find('<');
      if (receipt.empty() || end == std::string::npos) throw std::runtime_error("done page without a receipt number");
      st.receipts.push_back(receipt.substr(0, end));
      co_return Outcome::accepted;
    }
    if (r.location != kBase + "/book/slot") throw std::runtime_error("POST confirm: to " + r.location);
    ++st.capacity_refusals;  // the rule refused: the slot page again, with a message (HTTP 400)
    r = co_await send(b, "GET"s, r.location, ""s);
    if (r.status != 200 && r.status != 400) expect(r, 200, "GET slot after a refusal");
  }
  throw std::runtime_error("no booking after 200 choices");
}

asio::awaitable<void> rush_worker(Rush& st) {
  while (st.next < st.attempts) {
    const std::uint64_t n = st.next++;
    HttpsConnection conn(*st.io, *st.tls, st.target);
    const auto t0 = bench::Clock::now();
    std::string failure;
    try {
      const Outcome o = co_await attempt(st, conn, n);
      if (o == Outcome::accepted) {
        ++st.accepted;
        st.last_accept = bench::Clock::now();
      } else {
        ++st.full;
      }
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (!failure.empty()) {
      ++st.errors;
      ++st.error_reasons[failure.substr(0, 80)];
    }
    st.attempt_ms.push_back(std::chrono::duration<double, std::milli>(bench::Clock::now() - t0).count());
    st.last_done = bench::Clock::now();
    co_await conn.close();
  }
}

struct Verified {
  std::uint64_t bookings = 0;  // live bookings in the rush slots
  std::int64_t places = 0;
  std::uint64_t over_capacity_slots = 0;
  std::int64_t max_fill = 0;
  std::int64_t load_places = 0;  // booking_load's sum over the rush slots
  std::uint64_t receipts_missing = 0;
  std::uint64_t rush_slots = 0;
  std::int64_t receipt_numbers_used = 0;
};

Verified verify(const fs::path& db_path, const std::vector<std::string>& receipts) {
  auto db = need(sqlite::Db::open(db_path, {.read_only = true}), "opening " + db_path.string());
  Verified v;
  std::map<std::string, std::int64_t> fill, capacity;
  std::set<std::string> found;
  auto slots = need(db.prepare("SELECT key, body FROM records WHERE entity = 'slot' AND deleted = 0 AND key >= ?1 AND key < ?2"), "slots");
  slots.bind(1, kRushCounter + ":").bind(2, kRushCounter + ";");
  while (need(slots.step(), "reading slots")) {
    const c::Slot s = need(c::slot_from_json(json::parse(slots.column_text(1))), "slot " + slots.column_text(0));
    capacity[slots.column_text(0)] = s.capacity;
  }
  v.rush_slots = capacity.size();
  auto bookings = need(db.prepare("SELECT key, body FROM records WHERE entity = 'booking' AND deleted = 0"), "bookings");
  while (need(bookings.step(), "reading bookings")) {
    const c::Booking b = need(c::booking_from_json(json::parse(bookings.column_text(1))), "booking " + bookings.column_text(0));
    if (!capacity.count(b.slot) || b.cancelled) continue;
    ++v.bookings;
    v.places += c::booking_places(b);
    fill[b.slot] += c::booking_places(b);
    found.insert(b.receipt);
  }
  for (const auto& [slot, used] : fill) {
    v.max_fill = std::max(v.max_fill, used);
    if (used > capacity[slot]) ++v.over_capacity_slots;
  }
  for (const auto& r : receipts) v.receipts_missing += found.count(r) ? 0u : 1u;
  auto load = need(db.prepare("SELECT coalesce(sum(places), 0) FROM booking_load WHERE slot >= ?1 AND slot < ?2"), "load");
  load.bind(1, kRushCounter + ":").bind(2, kRushCounter + ";");
  if (need(load.step(), "reading booking_load")) v.load_places = load.column_int(0);
  auto seq = need(db.prepare("SELECT coalesce(sum(value), 0) FROM sequences WHERE name LIKE 'receipt:%'"), "sequences");
  if (need(seq.step(), "reading sequences")) v.receipt_numbers_used = seq.column_int(0);
  return v;
}

// ---- nginx ----

testing::Process start_nginx(const Plan& plan, const fs::path& dir, std::uint16_t port, const fs::path& cert, const fs::path& key,
                             const std::string& page) {
  fs::create_directories(dir / "www" / kMuni / "book");
  fs::create_directories(dir / "tmp");
  std::ofstream(dir / "www" / kMuni / "book" / "slot", std::ios::binary) << page;
  std::ofstream conf(dir / "nginx.conf");
  // One process (no master), the baseline the issue set (it is bound by this client's one thread
  // anyway); the same security headers as the site sends, and the same TLS certificate.
  conf << "daemon off;\nmaster_process off;\nworker_processes 1;\npid " << (dir / "nginx.pid").string() << ";\n"
       << "error_log " << (dir / "error.log").string() << " warn;\n"
       << "events { worker_connections 4096; }\n"
       << "http {\n  access_log off;\n  default_type \"text/html; charset=utf-8\";\n"
       << "  client_body_temp_path " << (dir / "tmp").string() << ";\n"
       << "  proxy_temp_path " << (dir / "tmp").string() << ";\n  fastcgi_temp_path " << (dir / "tmp").string() << ";\n"
       << "  uwsgi_temp_path " << (dir / "tmp").string() << ";\n  scgi_temp_path " << (dir / "tmp").string() << ";\n"
       << "  keepalive_requests 1000000;\n  keepalive_timeout 75s;\n"
       << "  server {\n    listen 127.0.0.1:" << port << " ssl;\n    server_name localhost;\n"
       << "    ssl_certificate " << cert.string() << ";\n    ssl_certificate_key " << key.string() << ";\n"
       << "    ssl_protocols TLSv1.2 TLSv1.3;\n    root " << (dir / "www").string() << ";\n"
       << "    add_header Content-Security-Policy \"default-src 'self'; script-src 'none'; frame-ancestors 'none'\" always;\n"
       << "    add_header Referrer-Policy no-referrer always;\n    add_header X-Frame-Options DENY always;\n"
       << "    add_header X-Content-Type-Options nosniff always;\n    add_header Cache-Control no-store always;\n"
       << "  }\n}\n";
  conf.close();
  if (!fs::exists(plan.nginx)) {
    throw std::runtime_error(plan.nginx + " not found: install Debian's nginx (scripts/lib/common.sh lists it) or pass --nginx");
  }
  auto p = testing::Process::spawn({plan.nginx, "-p", dir.string(), "-c", (dir / "nginx.conf").string(), "-e",
                                    (dir / "error.log").string()},
                                   dir / "nginx.out");
  if (!testing::eventually([&] { return testing::port_open(port); }, 20s)) {
    throw std::runtime_error("nginx did not start; see " + (dir / "error.log").string());
  }
  return p;
}

template <class F>
void run_io(asio::io_context& io, F&& spawn) {
  std::exception_ptr failure;
  spawn([&](std::exception_ptr e) {
    if (e && !failure) failure = e;
  });
  io.run();
  io.restart();
  if (failure) std::rethrow_exception(failure);
}

double cores(std::optional<double> before, std::optional<double> after, double seconds) {
  return before && after && seconds > 0 ? std::round((*after - *before) / seconds * 100) / 100 : 0.0;
}

}  // namespace

int run_portal(const Args& args, Reporter& out) {
  const Plan plan = plan_from(args);
  const fs::path bin = resolve_bin_dir(args);
  out.line(machine_line());
  testing::TempDir dir;
  Stack stack(dir.path(), bin);

  auto t0 = Clock::now();
  const Seed seed = seed_hub(stack, plan);
  out.metric("portal.seed_seconds", seconds_since(t0), "s",
             {{"slots", seed.slots}, {"bookings", seed.bookings}, {"counters", plan.counters + 1},
              {"how", "HubStore::write_local_batch into the hub's database before the hub starts"}});

  stack.start_broker();
  testing::HubSpec spec;
  spec.portal = true;
  spec.portal_tls = true;
  // Every simulated resident connects from 127.0.0.1: lift the per-address caps.
  spec.extra_config = {{"portal_client_limit_scale", 1000}, {"portal_connections_per_client", 1024},
                       {"web_threads", plan.web_threads}};
  stack.start_hub(spec);
  if (!testing::eventually([&] { return testing::port_open(stack.hub_portal_port()); }, 20s)) {
    throw std::runtime_error("the citizen site did not start; see " + (stack.dir() / "logs" / "hub.log").string());
  }
  const auto hub_pid = find_process_with_arg((stack.dir() / "hub.json").string());
  HttpsTarget hub_target;
  hub_target.port = stack.hub_portal_port();
  hub_target.ca_file = stack.pki() / "ca.crt";
  const std::string page_path = kBase + "/book/slot";

  // ---- visits at step 3, and the page for nginx ----
  asio::io_context io(1);
  auto tls = make_client_tls(hub_target);
  const std::size_t max_conn = *std::max_element(plan.connections.begin(), plan.connections.end());
  std::vector<std::string> cookies(max_conn);
  {
    std::vector<std::unique_ptr<HttpsConnection>> conns;
    for (std::size_t i = 0; i < std::min<std::size_t>(max_conn, 32); ++i) {
      conns.push_back(std::make_unique<HttpsConnection>(io, *tls, hub_target));
    }
    run_io(io, [&](auto done) {
      for (std::size_t i = 0; i < conns.size(); ++i) {
        asio::co_spawn(io, prepare_visits(*conns[i], cookies, i, conns.size()), done);
      }
    });
  }
  std::string page;
  run_io(io, [&](auto done) {
    asio::co_spawn(io, fetch_page(io, *tls, hub_target, cookies[0], page_path, page), done);
  });
  const auto slots_on_page = bookable_slots(page, kPageCounter).size();
  const std::uint16_t nginx_port = testing::free_port();
  testing::Process nginx =
      start_nginx(plan, dir.path() / "nginx", nginx_port, stack.pki() / "broker.crt", stack.pki() / "broker.key", page);
  const auto nginx_pid = find_process_with_arg((dir.path() / "nginx" / "nginx.conf").string());
  HttpsTarget nginx_target = hub_target;
  nginx_target.port = nginx_port;

  // ---- slot page throughput: the hub, then nginx, at each concurrency ----
  for (const std::size_t n : plan.connections) {
    const std::vector<std::string> mine(cookies.begin(), cookies.begin() + static_cast<std::ptrdiff_t>(n));
    auto run = [&](const HttpsTarget& t, std::optional<pid_t> pid) {
      const auto s0 = pid ? cpu_seconds(*pid) : std::nullopt;
      const auto c0 = cpu_seconds(::getpid());
      LoadResult r = run_keepalive_load(t, page_path, n, plan.duration, mine);
      const auto s1 = pid ? cpu_seconds(*pid) : std::nullopt;
      const auto c1 = cpu_seconds(::getpid());
      const double rps = r.seconds > 0 ? static_cast<double>(r.requests) / r.seconds : 0;
      json extra = {{"connections", n},
                    {"requests", r.requests},
                    {"errors", r.errors},
                    {"seconds", std::round(r.seconds * 1000) / 1000},
                    {"p50_ms", std::round(percentile(r.latency_ms, 50) * 1000) / 1000},
                    {"p99_ms", std::round(percentile(r.latency_ms, 99) * 1000) / 1000},
                    {"max_ms", std::round(percentile(r.latency_ms, 100) * 1000) / 1000},
                    {"body_bytes", r.body_bytes_first},
                    {"bodies_alike_in_size", r.bodies_alike_in_size},
                    {"handshake_seconds", std::round(r.handshake_seconds * 1000) / 1000},
                    {"server_cores", cores(s0, s1, r.seconds)},
                    {"client_cores", cores(c0, c1, r.seconds)}};
      return std::pair{rps, extra};
    };
    auto [hub_rps, hub_extra] = run(hub_target, hub_pid);
    auto [nginx_rps, nginx_extra] = run(nginx_target, nginx_pid);
    out.metric("portal.nginx_static_rps", nginx_rps, "req/s", nginx_extra);
    hub_extra["slots_on_page"] = slots_on_page;
    out.compared("portal.slot_page_rps", hub_rps, "req/s", nginx_rps, hub_extra);
    out.compared("portal.slot_page_p99_ms", hub_extra["p99_ms"].get<double>(), "ms", nginx_extra["p99_ms"].get<double>(),
                 {{"connections", n}});
  }
  nginx.terminate(5s);

  // ---- the rush ----
  Rush st;
  st.io = &io;
  st.tls = tls.get();
  st.target = hub_target;
  st.from = calendar::format_iso(seed.rush_day);
  st.attempts = plan.attempts;
  const auto s0 = hub_pid ? cpu_seconds(*hub_pid) : std::nullopt;
  const auto c0 = cpu_seconds(::getpid());
  st.start = st.last_accept = st.last_done = Clock::now();
  run_io(io, [&](auto done) {
    for (std::uint64_t i = 0; i < std::min(plan.concurrency, plan.attempts); ++i) asio::co_spawn(io, rush_worker(st), done);
  });
  const auto s1 = hub_pid ? cpu_seconds(*hub_pid) : std::nullopt;
  const auto c1 = cpu_seconds(::getpid());
  const double rush_seconds = std::chrono::duration<double>(st.last_done - st.start).count();
  const double fill_seconds = std::chrono::duration<double>(st.last_accept - st.start).count();
  const json rush_ctx = {{"attempts", plan.attempts}, {"places", plan.places}, {"slots", plan.rush_slots},
                         {"capacity_per_slot", seed.capacity}, {"concurrency", plan.concurrency}};
  auto with = [&](json extra) {
    for (auto it = rush_ctx.begin(); it != rush_ctx.end(); ++it) extra[it.key()] = it.value();
    return extra;
  };
  out.count("portal.rush_accepted", st.accepted, "bookings", with({}));
  out.count("portal.rush_refused_full", st.full, "attempts",
            with({{"capacity_refusals_at_confirm", st.capacity_refusals}, {"slot_choice_retries", st.slot_retries}}));
  json reasons = json::object();
  for (const auto& [why, k] : st.error_reasons) reasons[why] = k;
  out.count("portal.rush_errors", st.errors, "attempts", with({{"reasons", reasons}}));
  out.metric("portal.rush_bookings_per_s", fill_seconds > 0 ? static_cast<double>(st.accepted) / fill_seconds : 0, "bookings/s",
             with({{"fill_seconds", std::round(fill_seconds * 1000) / 1000},
                   {"rush_seconds", std::round(rush_seconds * 1000) / 1000},
                   {"attempts_per_s", rush_seconds > 0 ? std::round(static_cast<double>(plan.attempts) / rush_seconds * 10) / 10 : 0},
                   {"requests", st.requests},
                   {"requests_per_s", rush_seconds > 0 ? std::round(static_cast<double>(st.requests) / rush_seconds * 10) / 10 : 0},
                   {"tls_handshakes", plan.attempts},
                   {"hub_cores", cores(s0, s1, rush_seconds)},
                   {"client_cores", cores(c0, c1, rush_seconds)}}));
  out.metric("portal.rush_confirm_p99_ms", percentile(st.confirm_ms, 99), "ms",
             with({{"p50", std::round(percentile(st.confirm_ms, 50) * 1000) / 1000}, {"n", st.confirm_ms.size()},
                   {"attempt_p50_ms", std::round(percentile(st.attempt_ms, 50) * 1000) / 1000},
                   {"attempt_p99_ms", std::round(percentile(st.attempt_ms, 99) * 1000) / 1000}}));

  const Verified v = verify(stack.hub_db(kMuni), st.receipts);
  const bool exact = st.accepted == plan.places && v.bookings == plan.places &&
                     v.places == static_cast<std::int64_t>(plan.places) && v.over_capacity_slots == 0 &&
                     v.receipts_missing == 0 && v.load_places == v.places && v.rush_slots == plan.rush_slots;
  out.count("portal.rush_verified_bookings", v.bookings, "bookings",
            with({{"exact", exact},
                  {"accepted", st.accepted},
                  {"places_taken", v.places},
                  {"over_capacity_slots", v.over_capacity_slots},
                  {"max_slot_fill", v.max_fill},
                  {"booking_load_places", v.load_places},
                  {"receipts_missing", v.receipts_missing},
                  {"rush_slots_found", v.rush_slots},
                  {"receipt_numbers_used", v.receipt_numbers_used},
                  {"source", "the hub's database, read-only, after the rush"}}));
  if (!exact) {
    log("the rush is NOT exact: accepted " + std::to_string(st.accepted) + ", in the database " + std::to_string(v.bookings) +
        " of " + std::to_string(plan.places) + " places, " + std::to_string(v.over_capacity_slots) + " slots over capacity, " +
        std::to_string(v.receipts_missing) + " accepted receipts missing");
    return 1;
  }
  return 0;
}

}  // namespace madoguchi::bench
