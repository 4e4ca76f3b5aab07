#include "counter_bench.h"

#include <malloc.h>
#include <stb_image.h>

#define ZX_USE_UTF8 1
#include <ZXing/ReadBarcode.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <tuple>
#include <memory>
#include <set>
#include <stdexcept>
#include <unordered_set>

#include "madoguchi/domain/card.h"
#include "madoguchi/domain/card_csv.h"
#include "madoguchi/domain/card_import.h"
#include "madoguchi/domain/record_body.h"
#include "madoguchi/console/app/console_app.h"
#include "madoguchi/domain/staff.h"
#include "madoguchi/edge/card_store.h"
#include "madoguchi/hub/card_store.h"
#include "hub_world.h"
#include "madoguchi/edge/console_store.h"
#include "madoguchi/console/app/excel_writers.h"
#include "madoguchi/http/server.h"
#include "madoguchi/transport.h"
#include "madoguchi/edge/edge_store.h"
#include "madoguchi/imaging/qr_page.h"
#include "madoguchi/jlis/qr_payload.h"
#include "madoguchi/sim/jlis_generator.h"
#include "madoguchi/text/csv.h"
#include "madoguchi/text/encoding.h"
#include "temp_dir.h"

namespace madoguchi::bench {

namespace fs = std::filesystem;
using domain::Card;
using domain::CardStatus;
using console::app::CardQuery;
using console::app::CardSort;
using nlohmann::json;

namespace {

const std::string kMuni = "131016";
// The goal of the issue (ISS-5): the list page answers a search over 300,000 cards within 20 ms.
constexpr double kSearchGoalMs = 20;

// Sizes of one run. --quick shrinks them so the smoke test finishes in seconds; the figures of a
// quick run say nothing about speed.
struct Plan {
  std::size_t people = 30000;     // --people: persons of the J-LIS import
  std::size_t per_code = 4;       // persons per QR code (the simulator's default)
  std::size_t commit_codes = 16;  // --commit-codes: codes the console commits at once
  std::size_t cards = 300000;     // --cards: cards in the store searched
  std::size_t search_reps = 50;   // --search-reps: queries of each kind
  std::size_t rows = 300000;      // --rows: rows exported (from the same store; at most --cards)
  std::size_t pages = 20;         // --pages: page images decoded
  std::size_t codes_per_page = 12;  // the most the simulator lays out on one A4 sheet
};

Plan plan_from(const Args& args) {
  Plan plan;
  if (args.flag("quick")) {
    plan.people = 400;
    plan.cards = 3000;
    plan.search_reps = 5;
    plan.rows = 3000;
    plan.pages = 1;
  }
  plan.people = args.count("people", plan.people);
  plan.commit_codes = args.count("commit-codes", plan.commit_codes);
  plan.cards = args.count("cards", plan.cards);
  plan.search_reps = args.count("search-reps", plan.search_reps);
  plan.rows = args.count("rows", plan.rows);
  plan.pages = args.count("pages", plan.pages);
  if (plan.people > 100000) throw std::invalid_argument("--people must be at most 100000 (the simulator's list)");
  if (plan.rows > plan.cards) throw std::invalid_argument("--rows must be at most --cards (rows come from that store)");
  if (plan.cards > 999999) throw std::invalid_argument("--cards must be at most 999999");
  return plan;
}

template <class T>
T need(Expected<T> e, const std::string& what) {
  if (!e) throw std::runtime_error(what + ": " + e.error().describe());
  return std::move(*e);
}
void need(const Status& s, const std::string& what) {
  if (!s) throw std::runtime_error(what + ": " + s.error().describe());
}

double ms_since(Clock::time_point t0) { return seconds_since(t0) * 1000.0; }

// ---- memory ----------------------------------------------------------------------------------

std::optional<double> status_mb(std::string_view key) {
  std::ifstream in("/proc/self/status");
  std::string l;
  while (std::getline(in, l)) {
    if (l.rfind(std::string(key) + ":", 0) == 0) return std::stod(l.substr(key.size() + 1)) / 1024.0;  // "123 kB"
  }
  return std::nullopt;
}

// Peak resident memory of one step: gives freed heap back, resets the kernel's high-water mark
// (VmHWM) to the current resident set (writing "5" to clear_refs, Linux 4.0+), runs the step and
// reads VmHWM again. When the reset is refused, the growth is measured against the process's
// earlier peak and so may read low; "hwm_reset" says which.
struct PeakMemory {
  double before_mb = 0;
  double peak_mb = 0;
  bool reset = false;
};

template <class F>
PeakMemory measure_peak(F&& step) {
  ::malloc_trim(0);
  PeakMemory m;
  {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
    clear.flush();
    m.reset = static_cast<bool>(clear);
  }
  m.before_mb = status_mb("VmRSS").value_or(0);
  step();
  m.peak_mb = status_mb("VmHWM").value_or(0);
  return m;
}

// ---- cards -----------------------------------------------------------------------------------

std::string two(int n) { return (n < 10 ? "0" : "") + std::to_string(n); }

// Day `d` (0-based) from 2026-12-01 as YYYY-MM-DD, for d < 181 (to the end of May 2027).
std::string day_from_december(int d) {
  static constexpr int kDays[] = {31, 31, 28, 31, 30, 31};  // Dec, Jan, Feb, Mar, Apr, May
  int year = 2026;
  int month = 12;
  for (int i = 0; d >= kDays[i] && i < 5; ++i) {
    d -= kDays[i];
    month = month == 12 ? 1 : month + 1;
    if (month == 1) year = 2027;
  }
  return std::to_string(year) + "-" + two(month) + "-" + two(d + 1);
}
constexpr int kBookingDays = 90;  // bookings fall within the first 90 days (Dec-Feb)

// splitmix64, as the simulator: the same cards on every machine.
struct Rng {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  int below(int n) { return static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
};

// Names the simulator writes with MJ variation selectors or 𠮷 are folded to their CP932 forms
// (渡邉, 辻, 吉田), so that the CP932 export runs to the end: a list that holds them cannot be
// exported in CP932 at all (the console refuses with 422 and asks for UTF-8).
bool fold_to_cp932(std::string& s) {
  if (text::utf8_to_cp932(s)) return false;
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    if (s.compare(i, 2, "\xF3\xA0") == 0 && i + 4 <= s.size()) {  // U+E0000..E0FFF (variation selectors)
      i += 4;
    } else if (s.compare(i, 4, "\xF0\xA0\xAE\xB7") == 0) {  // 𠮷 U+20BB7
      out += "吉";
      i += 4;
    } else {
      out += s[i++];
    }
  }
  s = std::move(out);
  if (!text::utf8_to_cp932(s)) throw std::runtime_error("a generated name has a character CP932 lacks");
  return true;
}

// Progress of a card of the search store, decided by its own random number: about 25% only
// received, 15% notice sent, 25% booked, 30% issued, 5% shipped, returned or lost. Bookings fall
// on the first 90 days from 2026-12-01, 09:00-16:30 in half hours, at counters 1-5.
void add_progress(Card& c, Rng& rng) {
  const int roll = rng.below(100);
  if (roll < 25) return;
  const int notice_day = rng.below(20);
  domain::card_event(c, domain::CardEvent::notice_sent) =
      domain::DatedNote{"2026-11-" + two(1 + notice_day % 20), "", "tanaka01"};
  if (roll < 40) return;
  if (roll >= 95) {
    const auto ev = roll < 98 ? domain::CardEvent::shipment : roll < 99 ? domain::CardEvent::returned : domain::CardEvent::lost;
    domain::card_event(c, ev) = domain::DatedNote{day_from_december(rng.below(30)), "", "suzuki02"};
    return;
  }
  const int day = rng.below(kBookingDays);
  const int slot = rng.below(16);
  const std::string at = day_from_december(day) + "T" + two(9 + slot / 2) + (slot % 2 ? ":30" : ":00");
  const std::string counter = std::to_string(1 + rng.below(5));
  if (rng.below(10) == 0) {
    c.booking_history.push_back(domain::BookingChange{day_from_december(std::max(0, day - 3)) + "T10:00", counter,
                                                       1795000000000, "tanaka01", "電話で変更"});
  }
  c.booking = domain::CardBooking{at, counter};
  if (roll < 65) return;
  c.issued = domain::Issue{at, counter, "", "sato03"};
}

// The cards of the search store: the simulator's people (chunks of at most 100,000, each its own
// list date and seed) converted as a QR import would, in batches of 1,000 per counter 1-5 with
// receipt numbers 1..n, then given progress.
std::vector<Card> make_cards(std::size_t n, std::size_t& folded) {
  std::vector<Card> cards;
  cards.reserve(n);
  std::unordered_set<std::string> seen;
  Rng rng{42};
  folded = 0;
  for (std::size_t chunk = 0; cards.size() < n; ++chunk) {
    sim::JlisOptions o;
    o.people = std::min<std::size_t>(n - cards.size(), 100000);
    o.per_code = 16;  // 20 persons can pass the 2,953 bytes of one code
    o.seed = 1000 + chunk;
    o.list_date = jlis::Date{2026, 9 + static_cast<int>(chunk % 3), 1 + static_cast<int>(chunk / 3)};
    auto codes = need(sim::generate_jlis_codes(o), "generating people");
    for (const auto& code : codes) {
      for (const auto& person : code.payload.people) {
        const std::size_t i = cards.size();
        domain::ImportBatch batch{std::to_string(1 + (i / 1000) % 5), "S-2026-" + std::to_string(1 + i / 1000), i + 1};
        Card c = need(domain::card_from_target(person, batch, i + 1, 1794000000000 + static_cast<std::int64_t>(i)),
                      "converting a person");
        if (!seen.insert(c.manufacture_no).second) throw std::runtime_error("the generator repeated a manufacture number");
        if (fold_to_cp932(c.name_kanji)) ++folded;
        add_progress(c, rng);
        need(domain::validate_card(c), "a generated card");
        cards.push_back(std::move(c));
      }
    }
  }
  return cards;
}

struct Store {
  testing::TempDir dir;
  edge::EdgeStore edge;
  std::unique_ptr<edge::EdgeCardStore> cards;
  Store()
      : edge(need(edge::EdgeStore::open(dir.path() / "edge.db", kMuni, "counter-01"), "opening the edge database")),
        cards(need(edge::EdgeCardStore::open(edge, nullptr), "opening the card store")) {}
};

std::uint64_t total_cards(console::app::CardStore& cards) {
  CardQuery all;
  all.limit = 1;
  return need(cards.search(all), "counting cards").total;
}

// ---- 1. import -------------------------------------------------------------------------------

void bench_import(const Plan& plan, Reporter& out, int& failures) {
  sim::JlisOptions o;
  o.people = plan.people;
  o.per_code = plan.per_code;
  const auto codes = need(sim::generate_jlis_codes(o), "generating the J-LIS list");
  Store s;
  const jlis::JlisQrV1Parser parser;
  double parse_s = 0, convert_s = 0, check_s = 0, save_s = 0;
  std::size_t commits = 0, imported = 0, refused = 0;
  std::uint64_t serial = 1;
  const domain::ImportBatch batch{"1", "S-2026-11", 1};
  const std::int64_t now_ms = 1795000000000;
  // As card_import_pages.cc does: each code when it is read (parse, already imported?, convert,
  // already on record?), then each commit (both checks again for the whole batch, save_import of
  // the cards and the codes' records in one transaction).
  const auto t0 = Clock::now();
  for (std::size_t first = 0; first < codes.size(); first += plan.commit_codes) {
    const std::size_t last = std::min(codes.size(), first + plan.commit_codes);
    std::vector<Card> all;
    std::vector<domain::ImportedCode> done;
    std::vector<std::string> keys;
    for (std::size_t i = first; i < last; ++i) {
      auto t = Clock::now();
      const jlis::QrPayload payload = need(parser.parse(codes[i].bytes), "parsing a payload");
      parse_s += seconds_since(t);
      t = Clock::now();
      const std::string code = jlis::code_key(payload.header);
      keys.push_back(domain::imported_code_key(code));
      refused += need(s.cards->imported_codes({keys.back()}), "checking the code").size();
      check_s += seconds_since(t);
      t = Clock::now();
      std::vector<Card> cards;
      for (const auto& person : payload.people) {
        const std::uint64_t receipt = need(domain::batch_receipt_no(batch, serial - 1 + all.size() + cards.size()), "numbering");
        cards.push_back(need(domain::card_from_target(person, batch, receipt, now_ms), "converting"));
      }
      convert_s += seconds_since(t);
      t = Clock::now();
      refused += need(s.cards->existing(cards), "checking for cards on record").size();
      check_s += seconds_since(t);
      done.push_back(domain::ImportedCode{code, now_ms, cards.size()});
      all.insert(all.end(), cards.begin(), cards.end());
    }
    auto t = Clock::now();
    refused += need(s.cards->imported_codes(keys), "checking the codes").size();
    refused += need(s.cards->existing(all), "checking for cards on record").size();
    check_s += seconds_since(t);
    t = Clock::now();
    need(s.cards->save_import(all, done, now_ms), "saving a commit");
    save_s += seconds_since(t);
    serial += all.size();
    imported += all.size();
    ++commits;
  }
  // The last commit's cards become searchable with the next read; that is part of the import.
  auto t = Clock::now();
  need(s.cards->refresh(), "indexing");
  check_s += seconds_since(t);
  const double total = seconds_since(t0);
  const std::uint64_t stored = total_cards(*s.cards);
  const json extra = {{"n", imported},
                      {"codes", codes.size()},
                      {"people_per_code", plan.per_code},
                      {"codes_per_commit", plan.commit_codes},
                      {"commits", commits},
                      {"parse_seconds", std::round(parse_s * 1000) / 1000},
                      {"convert_seconds", std::round(convert_s * 1000) / 1000},
                      {"check_and_index_seconds", std::round(check_s * 1000) / 1000},
                      {"save_seconds", std::round(save_s * 1000) / 1000}};
  out.metric("counter.import_seconds", total, "s", extra);
  out.metric("counter.import_rate", static_cast<double>(imported) / total, "cards/s", {{"n", imported}});
  const std::uint64_t missing = imported > stored ? imported - stored : 0;
  out.count("counter.import_missing", missing + refused, "cards", {{"stored", stored}, {"refused_as_duplicates", refused}});
  if (missing + refused != 0) ++failures;
}

// ---- 2. search -------------------------------------------------------------------------------

struct Kind {
  std::string name;
  std::function<CardQuery(std::size_t rep)> make;
};

std::vector<Kind> query_mix(const std::vector<std::string>& serials, std::size_t cards) {
  // Prefixes as staff type them: a family name (or its first kana, the widest), with part of the
  // given name; hiragana, katakana, kanji, half-width katakana.
  static const std::vector<std::string> kKana = {"やまだ", "さとう", "タカハシ", "すずき",  "ささき", "はせがわ",
                                                 "おのでら", "わたなべ　は", "イトウ　ケン", "さ"};
  static const std::vector<std::string> kKanji = {"山田", "佐藤", "高橋", "長谷川", "鈴木　花", "田中　一", "渡邉", "林"};
  static const std::vector<std::string> kHalf = {"ﾔﾏﾀﾞ", "ｻﾄｳ", "ﾀｶﾊｼ", "ｽｽﾞｷ", "ﾜﾀﾅﾍﾞ ﾊﾅｺ", "ｶﾄｳ"};
  static const std::vector<CardStatus> kStatuses = {CardStatus::booked, CardStatus::issued, CardStatus::notice_sent,
                                                    CardStatus::received};
  const std::size_t page = 50;  // the console's card_page_rows
  std::vector<Kind> mix;
  auto named = [](std::string name) {
    CardQuery q;
    q.name = std::move(name);
    return q;
  };
  mix.push_back({"name_kana", [=](std::size_t r) { return named(kKana[r % kKana.size()]); }});
  mix.push_back({"name_kanji", [=](std::size_t r) { return named(kKanji[r % kKanji.size()]); }});
  mix.push_back({"name_halfwidth", [=](std::size_t r) { return named(kHalf[r % kHalf.size()]); }});
  mix.push_back({"manufacture_prefix", [&serials](std::size_t r) {
                   CardQuery q;
                   const std::string& s = serials[(r * 7919) % serials.size()];
                   q.manufacture_no = s.substr(0, 3 + r % 4);  // "JPX" .. "JPXYZ1"
                   if (r % 3 == 0) std::transform(q.manufacture_no.begin(), q.manufacture_no.end(),
                                                  q.manufacture_no.begin(), [](char c) { return static_cast<char>(std::tolower(c)); });
                   return q;
                 }});
  mix.push_back({"status_by_booking_desc", [](std::size_t r) {
                   CardQuery q;
                   q.status = kStatuses[r % kStatuses.size()];
                   q.sort = CardSort::booking_at;
                   q.descending = true;
                   return q;
                 }});
  mix.push_back({"booking_week", [](std::size_t r) {
                   CardQuery q;
                   const int d = static_cast<int>((r * 11) % (kBookingDays - 7));
                   q.booking_from = day_from_december(d);
                   q.booking_to = day_from_december(d + 6);
                   q.sort = CardSort::booking_at;
                   return q;
                 }});
  mix.push_back({"deep_page", [=](std::size_t r) {
                   CardQuery q;
                   // Page 200 of 50 rows, or the last pages of a small store.
                   const std::size_t pages = std::max<std::size_t>(cards / page, 1);
                   q.offset = (std::min<std::size_t>(200, pages) - 1 - r % 5) * page;
                   if (q.offset > cards) q.offset = 0;
                   q.descending = r % 2 == 1;
                   return q;
                 }});
  mix.push_back({"counter_by_receipt", [](std::size_t r) {
                   CardQuery q;
                   q.counter = std::to_string(1 + r % 5);
                   q.descending = r % 2 == 1;
                   return q;
                 }});
  return mix;
}

// The search mix over `store`, as metrics `<prefix>search_...` (prefix "counter." for a counter
// PC's store, "hub." for the hub's: issue 14).
void bench_search(const Plan& plan, console::app::CardStore& store, const std::string& prefix, const std::vector<Card>& cards,
                  Reporter& out) {
  std::vector<std::string> serials;
  serials.reserve(cards.size());
  for (const auto& c : cards) serials.push_back(c.manufacture_no);
  const auto mix = query_mix(serials, cards.size());
  // One unmeasured pass: the counter's agent has its database open all day (page cache warm).
  for (const auto& k : mix) need(store.search(k.make(0)), "searching (" + k.name + ")");
  std::vector<double> all;
  for (const auto& k : mix) {
    std::vector<double> ms;
    std::uint64_t totals = 0, rows = 0;
    for (std::size_t r = 0; r < plan.search_reps; ++r) {
      const CardQuery q = k.make(r);
      const auto t = Clock::now();
      const auto page = need(store.search(q), "searching (" + k.name + ")");
      ms.push_back(ms_since(t));
      totals += page.total;
      rows += page.rows.size();
    }
    all.insert(all.end(), ms.begin(), ms.end());
    out.metric(prefix + "search_" + k.name + "_ms", percentile(ms, 99), "ms",
               {{"p50", std::round(percentile(ms, 50) * 1000) / 1000},
                {"max", std::round(percentile(ms, 100) * 1000) / 1000},
                {"n", ms.size()},
                {"mean_total", totals / ms.size()},
                {"mean_rows", rows / ms.size()},
                {"cards", cards.size()}});
  }
  const json extra = {{"n", all.size()}, {"cards", cards.size()}, {"kinds", mix.size()}};
  out.metric(prefix + "search_p50", percentile(all, 50), "ms", extra);
  json p99 = extra;
  p99["goal"] = "< 20 ms";
  p99["goal_met"] = percentile(all, 99) < kSearchGoalMs;
  out.metric(prefix + "search_p99", percentile(all, 99), "ms", p99);
  out.metric(prefix + "search_max", percentile(all, 100), "ms", extra);
}

// ---- 2b. search at the hub (issue 14) ------------------------------------------------------------

// The same cards and queries at the hub: HubCardStore over a municipality's hub database, whose
// index is written in each card's own transaction (so the load includes the indexing).
void bench_hub_search(const Plan& plan, const std::vector<Card>& cards, Reporter& out) {
  testing::HubWorld h(hub::DeviceRegistry{{kMuni, {"counter-01"}}});  // in-process: its feed goes to a fake bus nobody reads
  hub::HubCardStore hub_cards(h.engine, kMuni);
  log("the same " + std::to_string(cards.size()) + " cards at the hub");
  const std::size_t batch = 10000;
  auto t = Clock::now();
  for (std::size_t i = 0; i < cards.size(); i += batch) {
    std::vector<hub::LocalWrite> writes;
    for (std::size_t j = i; j < std::min(cards.size(), i + batch); ++j) {
      writes.push_back({std::string(domain::kCardEntity), domain::card_key(cards[j]), protocol::OpKind::upsert,
                        domain::dump_body(domain::card_to_json(cards[j]))});
    }
    // Straight into the municipality's database (the engine would also publish each on the feed).
    need(h.engine.store(kMuni)->write_local_batch(writes, 1795000000000), "loading cards at the hub");
  }
  out.metric("hub.load_seconds", seconds_since(t), "s", {{"n", cards.size()}, {"cards_per_tx", batch}, {"indexed_in_the_same_transaction", true}});
  const std::uint64_t stored = total_cards(hub_cards);
  if (stored != cards.size()) throw std::runtime_error("the hub holds " + std::to_string(stored) + " cards, not " + std::to_string(cards.size()));
  log("search mix over " + std::to_string(cards.size()) + " cards at the hub");
  bench_search(plan, hub_cards, "hub.", cards, out);
}

// ---- 3. export -------------------------------------------------------------------------------

void report_export(Reporter& out, const std::string& name, std::size_t rows, double seconds, std::size_t bytes,
                   const PeakMemory& m, json extra = json::object()) {
  extra["n"] = rows;
  extra["bytes"] = bytes;
  extra["rows_per_s"] = std::round(static_cast<double>(rows) / seconds);
  extra["rss_before_mb"] = std::round(m.before_mb * 10) / 10;
  extra["peak_rss_growth_mb"] = std::round((m.peak_mb - m.before_mb) * 10) / 10;
  extra["hwm_reset"] = m.reset;
  out.metric(name, seconds, "s", extra);
}

// The console of a counter PC over the bench's store, driven as a browser would: a clerk signs
// in and exports the whole card list through 交付管理's own path (a job written to a spool file
// chunk by chunk as the progress page is followed, then the download sent from that file).
class ConsoleDriver {
 public:
  ConsoleDriver(Store& s, const fs::path& spool)
      : console_store_(s.edge, clock_, [] {}), app_(console_store_, clock_, options(spool)) {
    console::app::CardServices services;
    services.excel = console::app::excel_table_writers(spool);
    app_.attach_cards(*s.cards, std::move(services));
    domain::StaffAccount clerk;
    clerk.id = "bench01";
    clerk.name = "窓口 試験";
    clerk.role_id = "counter_clerk";
    need(domain::set_password(clerk, {}, kPassword, clock_.wall_ms(), false, true), "setting the clerk's password");
    need(console_store_.save_staff(clerk), "saving the clerk");
    const auto form = send("GET", "/sign-in");
    const auto signed_in = send("POST", "/sign-in",
                                "login_id=bench01&password=" + std::string(kPassword) + "&csrf_token=" + csrf(form.body));
    if (signed_in.status != 303) throw std::runtime_error("the clerk could not sign in");
  }

  // Exports the whole list; returns the rows written and the file's size.
  std::pair<std::size_t, std::uint64_t> export_all(const std::string& query) {
    auto r = send("GET", "/cards/export?" + query);
    if (r.status != 303) throw std::runtime_error("the export did not start a job (HTTP " + std::to_string(r.status) + ")");
    const std::string job = location(r);
    std::size_t rows = 0;
    for (int i = 0; i < 10000; ++i) {
      auto page = send("GET", job);
      if (page.status != 200) throw std::runtime_error("the export job failed (HTTP " + std::to_string(page.status) + ")");
      const auto done = page.body.find("出力が終わりました（");
      if (done != std::string::npos) {
        rows = std::stoul(page.body.substr(done + std::string_view("出力が終わりました（").size()));
        break;
      }
    }
    const std::string id = job.substr(job.find("id=") + 3);
    auto file = send("GET", "/cards/export/download?id=" + id);
    if (file.status != 200 || !file.file) throw std::runtime_error("the export's download was not a file");
    return {rows, file.file->size()};
  }

 private:
  static constexpr const char* kPassword = "Bench-Clerk-Pass-2026";
  static console::app::ConsoleOptions options(const fs::path& spool) {
    console::app::ConsoleOptions o;
    o.fast_hashes_for_tests = true;
    o.spool_dir = spool;
    o.card_export_direct_max = 0;  // --quick's few rows take the job path too (300,000 do anyway)
    return o;
  }
  static std::string csrf(const std::string& html) {
    const std::string marker = "name=\"csrf_token\" value=\"";
    const auto at = html.find(marker);
    if (at == std::string::npos) throw std::runtime_error("no CSRF token on the page");
    return html.substr(at + marker.size(), html.find('"', at + marker.size()) - at - marker.size());
  }
  static std::string location(const http::Response& r) {
    for (const auto& [k, v] : r.headers) {
      if (k == "Location") return v;
    }
    return {};
  }
  http::Response send(const std::string& method, const std::string& target, std::string body = {}) {
    http::Request r;
    r.method = method;
    r.target = target;
    r.body = std::move(body);
    r.remote_address = "127.0.0.1";
    std::string cookie;
    for (const auto& [k, v] : cookies_) cookie += (cookie.empty() ? "" : "; ") + k + "=" + v;
    if (!cookie.empty()) r.headers.emplace("cookie", cookie);
    auto resp = http::dispatch([this](const http::Request& q) { return app_.handle(q); }, r);
    for (const auto& [k, v] : resp.headers) {
      if (k != "Set-Cookie") continue;
      const auto eq = v.find('='), semi = v.find(';');
      cookies_[v.substr(0, eq)] = v.substr(eq + 1, semi - eq - 1);
    }
    return resp;
  }

  SystemClock clock_;
  edge::EdgeConsoleStore console_store_;
  console::app::ConsoleApp app_;
  std::map<std::string, std::string> cookies_;
};

void bench_export(const Plan& plan, Store& s, Reporter& out) {
  (void)plan;
  testing::TempDir spool;
  ConsoleDriver console(s, spool.path());
  const std::pair<const char*, const char*> kinds[] = {
      {"counter.export_csv_utf8_seconds", "format=csv&encoding=utf8"},
      {"counter.export_csv_cp932_seconds", "format=csv&encoding=cp932"},
      {"counter.export_xlsx_seconds", "format=xlsx"},
  };
  for (const auto& [name, query] : kinds) {
    std::size_t rows = 0;
    std::uint64_t bytes = 0;
    double seconds = 0;
    const auto m = measure_peak([&] {
      const auto t = Clock::now();
      std::tie(rows, bytes) = console.export_all(query);
      seconds = seconds_since(t);
    });
    report_export(out, name, rows, seconds, static_cast<std::size_t>(bytes), m,
                  {{"path", "console job, spool file, download sent from the file"}});
  }
}

// ---- 4. page images --------------------------------------------------------------------------

struct StbFree {
  void operator()(stbi_uc* p) const { stbi_image_free(p); }
};

void bench_decode(const Plan& plan, Reporter& out, int& failures) {
  sim::JlisOptions o;
  o.per_code = 4;
  o.codes_per_page = plan.codes_per_page;
  o.people = plan.pages * plan.codes_per_page * o.per_code;
  if (o.people > 100000) throw std::invalid_argument("--pages too large for one simulated list");
  const auto codes = need(sim::generate_jlis_codes(o), "generating the pages' codes");
  std::vector<std::vector<std::string>> expected(plan.pages);
  for (const auto& c : codes) expected[c.page - 1].push_back(c.bytes);

  ZXing::DecodeHints hints;  // what decode_qr_page asks of ZXing with the default limits
  hints.setFormats(ZXing::BarcodeFormat::QRCode);
  hints.setTryHarder(true);
  hints.setTryRotate(true);
  hints.setMaxNumberOfSymbols(static_cast<std::uint8_t>(imaging::PageLimits{}.max_codes + 1));

  std::vector<std::string> pngs;
  for (std::size_t p = 0; p < plan.pages; ++p) {
    pngs.push_back(need(sim::render_jlis_page_png(expected[p], plan.codes_per_page, o.seed * 1000003u + p + 1),
                        "rendering a page"));
  }
  // One unmeasured decode: the first call pays for first touches of code and data (about 1.7x
  // in a trial), which neither side should carry alone.
  need(imaging::decode_qr_page(pngs.front()), "decoding a page");

  std::vector<double> ours, zxing, load;
  std::size_t expected_codes = 0, found = 0, zxing_found = 0, missing = 0, png_bytes = 0;
  for (std::size_t p = 0; p < plan.pages; ++p) {
    const std::string& png = pngs[p];
    png_bytes += png.size();
    expected_codes += expected[p].size();

    auto t = Clock::now();
    const auto result = need(imaging::decode_qr_page(png), "decoding a page");
    ours.push_back(ms_since(t));
    found += result.size();
    std::multiset<std::string> want(expected[p].begin(), expected[p].end());
    for (const auto& code : result) {
      if (auto it = want.find(code.bytes); it != want.end()) want.erase(it);
    }
    missing += want.size();

    // ZXing alone on the same image, already decoded to grey (stb_image, timed on its own).
    int w = 0, h = 0, ch = 0;
    t = Clock::now();
    std::unique_ptr<stbi_uc, StbFree> grey(stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(png.data()),
                                                                 static_cast<int>(png.size()), &w, &h, &ch, 1));
    load.push_back(ms_since(t));
    if (!grey) throw std::runtime_error("stb_image cannot read a rendered page");
    t = Clock::now();
    const ZXing::Results results = ZXing::ReadBarcodes(ZXing::ImageView(grey.get(), w, h, ZXing::ImageFormat::Lum), hints);
    zxing.push_back(ms_since(t));
    for (const auto& r : results) zxing_found += r.isValid() ? 1U : 0U;
  }
  auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return v.empty() ? 0 : s / static_cast<double>(v.size());
  };
  const json extra = {{"pages", plan.pages},
                      {"codes_per_page", plan.codes_per_page},
                      {"people_per_code", o.per_code},
                      {"page_pixels", std::to_string(sim::kPageWidth) + "x" + std::to_string(sim::kPageHeight)},
                      {"mean_png_bytes", png_bytes / std::max<std::size_t>(plan.pages, 1)}};
  json page = extra;
  page["p50"] = std::round(percentile(ours, 50) * 1000) / 1000;
  page["max"] = std::round(percentile(ours, 100) * 1000) / 1000;
  page["baseline_p50"] = std::round(percentile(zxing, 50) * 1000) / 1000;
  out.compared("counter.decode_page_ms", mean(ours), "ms", mean(zxing), page);
  const double per_code = static_cast<double>(std::max<std::size_t>(expected_codes, 1));
  out.compared("counter.decode_code_ms", mean(ours) * static_cast<double>(plan.pages) / per_code, "ms",
               mean(zxing) * static_cast<double>(plan.pages) / per_code, {{"codes", expected_codes}});
  out.metric("counter.decode_png_load_ms", mean(load), "ms", {{"pages", plan.pages}, {"p50", std::round(percentile(load, 50) * 1000) / 1000}});
  out.count("counter.decode_codes_missing", missing, "codes",
            {{"expected", expected_codes}, {"found", found}, {"zxing_alone_found", zxing_found}});
  if (missing != 0) ++failures;
}

}  // namespace

int run_counter(const Args& args, Reporter& out) {
  args.only({"quick", "people", "commit-codes", "cards", "search-reps", "rows", "pages"});
  const Plan plan = plan_from(args);
  out.line(machine_line());
  int failures = 0;

  log("import of " + std::to_string(plan.people) + " people from J-LIS payloads");
  bench_import(plan, out, failures);

  log("generating " + std::to_string(plan.cards) + " cards");
  std::size_t folded = 0;
  std::vector<Card> cards = make_cards(plan.cards, folded);
  {
    Store s;
    // Written in big batches, then indexed once: how the index build time is seen on its own.
    const std::size_t batch = 10000;
    auto t = Clock::now();
    for (std::size_t i = 0; i < cards.size(); i += batch) {
      const std::vector<Card> part(cards.begin() + static_cast<std::ptrdiff_t>(i),
                                   cards.begin() + static_cast<std::ptrdiff_t>(std::min(cards.size(), i + batch)));
      need(s.cards->save_all(part, 1795000000000), "loading cards");
    }
    out.metric("counter.load_seconds", seconds_since(t), "s",
               {{"n", cards.size()}, {"cards_per_tx", batch}, {"names_folded_to_cp932", folded}});
    t = Clock::now();
    const std::size_t indexed = need(s.cards->refresh(), "building the index");
    out.metric("counter.index_build_seconds", seconds_since(t), "s", {{"n", indexed}});
    const std::uint64_t stored = total_cards(*s.cards);
    if (stored != cards.size()) throw std::runtime_error("the store holds " + std::to_string(stored) + " cards, not " + std::to_string(cards.size()));

    log("search mix over " + std::to_string(cards.size()) + " cards");
    bench_search(plan, *s.cards, "counter.", cards, out);
    bench_hub_search(plan, cards, out);
    std::vector<Card>().swap(cards);  // the export measures its own memory, not the generator's

    log("export of " + std::to_string(plan.rows) + " rows");
    bench_export(plan, s, out);
  }
  log("decoding " + std::to_string(plan.pages) + " page images");
  bench_decode(plan, out, failures);
  return failures == 0 ? 0 : 1;
}

}  // namespace madoguchi::bench
