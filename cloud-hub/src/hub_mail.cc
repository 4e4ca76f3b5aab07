#include "madoguchi/hub/hub_mail.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "madoguchi/domain/booking_mail.h"
#include "madoguchi/domain/counter_master.h"

namespace madoguchi::hub {

namespace c = madoguchi::domain;
using nlohmann::json;

namespace {

// The schema of a municipality's mail database (<muni>.mail.db). Append a migration to change it.
//   1: the outbox (drivers/mail), as the first releases created it.
//   2: how far the feed has been followed for mail (the release before versioned migrations
//      created it at start when missing: IF NOT EXISTS).
constexpr const char* kCursorTable = R"sql(
CREATE TABLE IF NOT EXISTS hub_mail_cursor(name TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
)sql";

//   3: the passwords of bookings being made at the hub, held from before the booking's commit
//      until its "made" mail is queued (issue 11 hole 5).
constexpr const char* kHeldTable = R"sql(
CREATE TABLE hub_mail_held(receipt TEXT PRIMARY KEY, password TEXT NOT NULL, created_ms INTEGER NOT NULL) WITHOUT ROWID;
)sql";

// A held password whose booking has not reached the feed this long after it was held belongs to
// a booking that never committed (the hub stopped between the two): it is dropped.
constexpr std::int64_t kHeldOrphanMs = 3'600'000;

const sqlite::Schema& mail_schema() {
  static const std::array<sqlite::Migration, 3> migrations{
      {{1, mail::outbox_tables_sql()}, {2, kCursorTable}, {3, kHeldTable}}};
  static const sqlite::Schema schema{
      "mail", migrations,
      // The release before versioned migrations: the outbox table, no version in the header.
      [](sqlite::Db& db) -> Expected<int> {
        auto st = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'mail_outbox'");
        if (!st) return st.error();
        auto row = st->step();
        if (!row) return row.error();
        return *row ? 1 : 0;
      },
      {}};
  return schema;
}

// Opens a mail database and brings its schema up to date.
Expected<sqlite::Db> open_mail_db(const std::filesystem::path& path) {
  auto db = sqlite::Db::open(path, {.durability = sqlite::Durability::full});
  if (!db) return db.error().with_context(path.string());
  if (auto m = sqlite::migrate(*db, mail_schema()); !m) return m.error();
  return db;
}

std::optional<c::BookingMailKind> kind_from_notifier(std::string_view kind) {
  if (kind == "made") return c::BookingMailKind::made;
  if (kind == "changed") return c::BookingMailKind::changed;
  if (kind == "cancelled") return c::BookingMailKind::cancelled;
  return std::nullopt;
}

std::optional<c::BookingMailKind> kind_from_event(std::string_view action) {
  if (action == "created") return c::BookingMailKind::made;
  if (action == "changed") return c::BookingMailKind::changed;
  if (action == "cancelled") return c::BookingMailKind::cancelled;
  return std::nullopt;  // "reminded", "note": nothing for the resident
}

std::string_view kind_name(c::BookingMailKind kind) {
  switch (kind) {
    case c::BookingMailKind::made: return "made";
    case c::BookingMailKind::changed: return "changed";
    case c::BookingMailKind::cancelled: return "cancelled";
    case c::BookingMailKind::reminder: return "reminder";
  }
  return "made";
}

// "booking:<receipt>:<action>:<at_ms>": the event the mail is about, the same whoever queues it.
std::string event_key(const c::Booking& b) {
  const c::BookingEvent* e = b.history.empty() ? nullptr : &b.history.back();
  return "booking:" + b.receipt + ":" + (e ? e->action : std::string("none")) + ":" + std::to_string(e ? e->at_ms : 0);
}

}  // namespace

HubMail::HubMail(sqlite::Db db, HubEngine& engine, HubBookingService& service, const Clock& clock, LogSink log,
                 HubMailOptions options)
    : db_(std::make_unique<sqlite::Db>(std::move(db))),
      engine_(engine),
      service_(service),
      clock_(clock),
      log_(std::move(log)),
      options_(std::move(options)),
      municipality_(service.municipality()) {}

Expected<std::unique_ptr<HubMail>> HubMail::open(const std::filesystem::path& db_path, HubEngine& engine,
                                                 HubBookingService& service, const Clock& clock, LogSink log,
                                                 HubMailOptions options) {
  auto db = open_mail_db(db_path);
  if (!db) return db.error();
  std::unique_ptr<HubMail> m(new HubMail(std::move(*db), engine, service, clock, std::move(log), std::move(options)));
  auto outbox = mail::MailOutbox::attach(*m->db_, clock, m->options_.limits);
  if (!outbox) return outbox.error().with_context(db_path.string());
  m->outbox_.emplace(std::move(*outbox));
  // A new mail database follows the feed from now on: set where before anything is written, so a
  // booking made before the first scan is mailed by it.
  if (auto at = m->cursor(); !at) return at.error().with_context(db_path.string());
  return m;
}

void HubMail::attach(std::function<void()> queued) {
  queued_ = std::move(queued);
  service_.set_notifier([this](const c::Booking& booking, std::string_view kind, const std::string& password) {
    on_booking(booking, kind, password);
  });
  service_.set_holder([this](const c::Booking& booking, const std::string& password) { return hold(booking, password); });
  holding_ = true;
}

Status HubMail::hold(const c::Booking& booking, const std::string& password) {
  if (booking.email.empty()) return {};  // no mail will be sent
  auto tx = sqlite::Tx::begin(*db_);
  if (!tx) return tx.error();
  auto st = db_->cached("INSERT OR REPLACE INTO hub_mail_held(receipt, password, created_ms) VALUES(?1, ?2, ?3)");
  if (!st) return st.error();
  if (auto s = (*st)->bind(1, booking.receipt).bind(2, password).bind(3, clock_.wall_ms()).run(); !s) return s;
  return tx->commit();
}

Status HubMail::queue_if_held(const sqlite::Tx& tx, const c::Booking& booking, const c::Settings& settings, int& queued) {
  auto password = held_password(booking.receipt);
  if (!password) return password.error();
  if (!*password) return {};
  // The "made" mail, under the key of the booking's "created" event whatever happened since.
  c::Booking made = booking;
  auto created = std::find_if(made.history.begin(), made.history.end(),
                              [](const c::BookingEvent& e) { return e.action == "created"; });
  if (created != made.history.end()) made.history.erase(created + 1, made.history.end());
  if (auto message = compose(c::BookingMailKind::made, made, **password, settings)) {
    auto e = outbox_->enqueue(tx, std::move(*message), event_key(made));
    if (!e) return e.error();
    if (e->created) {
      ++queued;
      log_(LogLevel::info, "municipality " + municipality_ + ": queued the made mail of booking " + booking.receipt +
                               " (held since before its commit) as outbox #" + std::to_string(e->id));
    }
  }
  return release_held(booking.receipt);
}

Status HubMail::drop_orphans() {
  // Called once the scan has caught up with the feed: a password held long ago whose booking never
  // reached the feed was never booked.
  auto drop = db_->cached("DELETE FROM hub_mail_held WHERE created_ms < ?1");
  if (!drop) return drop.error();
  return (*drop)->bind(1, clock_.wall_ms() - kHeldOrphanMs).run();
}

Expected<std::optional<std::string>> HubMail::held_password(const std::string& receipt) {
  auto st = db_->cached("SELECT password FROM hub_mail_held WHERE receipt = ?1");
  if (!st) return st.error();
  (*st)->bind(1, receipt);
  auto row = (*st)->step();
  if (!row) {
    (*st)->reset();
    return row.error();
  }
  std::optional<std::string> out;
  if (*row) out = (*st)->column_text(0);
  (*st)->reset();
  return out;
}

Status HubMail::release_held(const std::string& receipt) {
  auto st = db_->cached("DELETE FROM hub_mail_held WHERE receipt = ?1");
  if (!st) return st.error();
  return (*st)->bind(1, receipt).run();
}

std::string HubMail::counter_name(const std::string& counter_id) {
  HubStore* store = engine_.store(municipality_);
  if (!store) return counter_id;
  auto rec = store->get("counter", counter_id);
  if (!rec || !*rec || (*rec)->deleted) return counter_id;
  json j = json::parse((*rec)->body, nullptr, false);
  if (j.is_discarded()) return counter_id;
  auto counter = c::counter_from_json(j);
  return counter ? counter->name : counter_id;
}

std::optional<mail::Message> HubMail::compose(c::BookingMailKind kind, const c::Booking& booking, std::string_view password,
                                              const c::Settings& settings) {
  if (booking.email.empty()) return std::nullopt;  // nothing to send to; not an error
  if (settings.mail_from.empty()) {
    ++counters_.no_sender;
    log_(LogLevel::warning, "municipality " + municipality_ + ": booking " + booking.receipt + " (" +
                                std::string(kind_name(kind)) +
                                ") has an e-mail address but no sender address is set (settings: mail_from); no mail queued");
    return std::nullopt;
  }
  auto ref = c::parse_slot_key(booking.slot);
  if (!ref) {
    ++counters_.errors;
    log_(LogLevel::error, "municipality " + municipality_ + ": booking " + booking.receipt + ": bad slot key; no mail queued");
    return std::nullopt;
  }
  const c::BookingMail text =
      c::compose_booking_mail(kind, booking, counter_name(booking.counter), ref->start, settings, password, options_.site_url);
  mail::Message m;
  m.from = {settings.mail_from, settings.municipality_name};
  m.to = {{booking.email, ""}};  // never a name (the booking mail's privacy rule)
  m.subject = text.subject;
  m.body = text.body;
  return m;
}

void HubMail::on_booking(const c::Booking& booking, std::string_view kind_text, const std::string& password) {
  const auto kind = kind_from_notifier(kind_text);
  if (!kind) return;
  // With hold() installed, a "made" mail is queued by the next feed scan (within a second), with
  // the password held before the booking's commit: the mails of many bookings in one commit
  // there, rather than one more synchronous commit per booking here.
  if (*kind == c::BookingMailKind::made && holding_) return;
  auto settings = service_.settings();
  if (!settings) {
    ++counters_.errors;
    log_(LogLevel::error, "municipality " + municipality_ + ": reading settings for the mail of booking " + booking.receipt +
                              ": " + settings.error().describe());
    return;
  }
  auto message = compose(*kind, booking, password, *settings);
  if (!message) return;
  auto failed = [&](const Error& e) {
    ++counters_.errors;
    log_(LogLevel::error, "municipality " + municipality_ + ": queueing the " + std::string(kind_text) + " mail of booking " +
                              booking.receipt + ": " + e.describe());
  };
  // A change within a second of the booking, before the scan queued its "made" mail: that mail
  // first, in the same transaction, so the resident gets them in order.
  auto tx = sqlite::Tx::begin(*db_);
  if (!tx) return failed(tx.error());
  int held_queued = 0;
  if (auto s = queue_if_held(*tx, booking, *settings, held_queued); !s) return failed(s.error());
  auto r = outbox_->enqueue(*tx, std::move(*message), event_key(booking));
  if (!r) return failed(r.error());
  if (auto s = tx->commit(); !s) return failed(s.error());
  counters_.queued += static_cast<std::uint64_t>(held_queued);
  if (r->created) {
    ++counters_.queued;
    log_(LogLevel::info, "municipality " + municipality_ + ": queued the " + std::string(kind_text) + " mail of booking " +
                             booking.receipt + " as outbox #" + std::to_string(r->id));
  }
  if ((r->created || held_queued > 0) && queued_) queued_();
}

Expected<std::uint64_t> HubMail::cursor() {
  auto st = db_->cached("SELECT seq FROM hub_mail_cursor WHERE name = 'feed'");
  if (!st) return st.error();
  auto row = (*st)->step();
  if (!row) return row.error();
  std::optional<std::uint64_t> seq;
  if (*row) seq = (*st)->column_u64(0);
  (*st)->reset();
  if (seq) return *seq;
  // A new mail database: start at the feed's head (history is not mailed).
  HubStore* store = engine_.store(municipality_);
  if (!store) return make_error(Errc::not_found, "unknown municipality " + municipality_);
  auto b = store->feed_bounds();
  if (!b) return b.error();
  auto ins = db_->cached("INSERT OR IGNORE INTO hub_mail_cursor(name, seq) VALUES('feed', ?1)");
  if (!ins) return ins.error();
  if (auto s = (*ins)->bind(1, b->head).run(); !s) return s.error();
  return b->head;
}

Expected<int> HubMail::scan_feed() {
  HubStore* store = engine_.store(municipality_);
  if (!store) return make_error(Errc::not_found, "unknown municipality " + municipality_);
  auto from = cursor();
  if (!from) return from.error();
  auto bounds = store->feed_bounds();
  if (!bounds) return bounds.error();
  if (bounds->head <= *from) {
    if (auto s = drop_orphans(); !s) return s.error();
    return 0;
  }
  std::uint64_t at = *from;
  if (at + 1 < bounds->min) {
    log_(LogLevel::warning, "municipality " + municipality_ + ": the mail cursor (" + std::to_string(at) +
                                ") is behind the retained feed (" + std::to_string(bounds->min) +
                                "); bookings from devices in between get no mail");
    at = bounds->min - 1;
  }
  auto entries = store->feed_after(at, options_.feed_page);
  if (!entries) return entries.error();
  if (entries->empty()) return 0;
  std::optional<c::Settings> settings;
  const c::LocalDateTime now = c::japan_local_time(clock_.wall_ms());
  // Everything of this page in one transaction with the cursor: queued and moved together.
  auto tx = sqlite::Tx::begin(*db_);
  if (!tx) return tx.error();
  int queued = 0;
  for (const auto& r : *entries) {
    if (r.entity != c::kBookingEntity || r.deleted) continue;
    json j = json::parse(r.body, nullptr, false);
    if (j.is_discarded()) continue;
    auto booking = c::booking_from_json(j);
    if (!booking || booking->email.empty() || booking->history.empty()) continue;
    const auto kind = kind_from_event(booking->history.back().action);
    if (!kind) continue;
    auto ref = c::parse_slot_key(booking->slot);
    if (!ref || !(now < ref->start)) continue;  // a visit already past: no mail
    if (!settings) {
      auto s = service_.settings();
      if (!s) return s.error();
      settings = std::move(*s);
    }
    // A booking made at the hub whose password is held: its "made" mail is queued here with that
    // password (issue 11 hole 5), under the key of its "created" event even when a later change of
    // the booking is what the feed shows now, whether or not the hub stopped since. Other mails of
    // bookings written at the hub were queued by the notifier right after their commit: queued
    // again here under the same key (a no-op) in case the hub stopped first; without a sender the
    // notifier has warned already.
    if (r.origin_device == "hub") {
      if (auto st = queue_if_held(*tx, *booking, *settings, queued); !st) return st.error();
      if (settings->mail_from.empty() || *kind == c::BookingMailKind::made) continue;
    }
    auto message = compose(*kind, *booking, "", *settings);
    if (!message) continue;
    auto e = outbox_->enqueue(*tx, std::move(*message), event_key(*booking));
    if (!e) {
      if (e.error().code == Errc::db || e.error().code == Errc::too_large) return e.error();  // retried next scan
      ++counters_.errors;
      log_(LogLevel::error, "municipality " + municipality_ + ": queueing the " + std::string(kind_name(*kind)) +
                                " mail of booking " + booking->receipt + " (from " + r.origin_device + "): " + e.error().describe());
      continue;
    }
    if (e->created) {
      ++queued;
      log_(LogLevel::info, "municipality " + municipality_ + ": queued the " + std::string(kind_name(*kind)) +
                               " mail of booking " + booking->receipt + " (from " + r.origin_device + ") as outbox #" +
                               std::to_string(e->id));
    }
  }
  auto up = db_->cached("UPDATE hub_mail_cursor SET seq = ?1 WHERE name = 'feed'");
  if (!up) return up.error();
  if (auto s = (*up)->bind(1, entries->back().version).run(); !s) return s.error();
  if (entries->back().version >= bounds->head) {
    if (auto s = drop_orphans(); !s) return s.error();
  }
  if (auto s = tx->commit(); !s) return s.error();
  counters_.queued += static_cast<std::uint64_t>(queued);
  if (queued > 0 && queued_) queued_();
  return queued;
}

Expected<int> HubMail::run_reminders() {
  auto settings = service_.settings();
  if (!settings) return settings.error();
  if (settings->reminder_days_before <= 0) return 0;
  auto due = service_.reminders_due(options_.reminder_batch);
  if (!due) return due.error();
  const c::LocalDateTime now = service_.now();
  int queued = 0;
  for (const auto& booking : *due) {
    auto ref = c::parse_slot_key(booking.slot);
    if (!ref || !c::reminder_due(booking, ref->start, *settings, now)) continue;  // before 09:00 of the day
    auto message = compose(c::BookingMailKind::reminder, booking, "", *settings);
    if (!message) continue;  // no sender: stays due, counted, tried again on the next run
    // enqueue, THEN mark: a crash in between leaves it due; the key makes the second enqueue a no-op.
    auto e = outbox_->enqueue(std::move(*message), "booking:" + booking.receipt + ":reminder:" + booking.slot);
    if (!e) {
      ++counters_.errors;
      log_(LogLevel::error, "municipality " + municipality_ + ": queueing the reminder of booking " + booking.receipt + ": " +
                                e.error().describe());
      if (e.error().code == Errc::db || e.error().code == Errc::too_large) return e.error();
      continue;
    }
    if (auto s = service_.mark_reminded(booking.receipt); !s) {
      // Queued but not marked: found due again next run, and the key keeps it one mail.
      log_(LogLevel::warning, "municipality " + municipality_ + ": marking booking " + booking.receipt +
                                  " reminded: " + s.error().describe());
    }
    if (e->created) {
      ++queued;
      ++counters_.queued;
      ++counters_.reminders;
      log_(LogLevel::info, "municipality " + municipality_ + ": queued the reminder of booking " + booking.receipt +
                               " as outbox #" + std::to_string(e->id));
    }
  }
  if (queued > 0 && queued_) queued_();
  return queued;
}

// ---- HubMailSender ----

HubMailSender::HubMailSender(std::vector<std::filesystem::path> outboxes, std::unique_ptr<mail::MailTransport> transport,
                             const Clock& clock, LogSink log, HubMailSenderOptions options)
    : paths_(std::move(outboxes)), transport_(std::move(transport)), clock_(clock), log_(std::move(log)), options_(options) {}

HubMailSender::~HubMailSender() { stop(); }

Status HubMailSender::open_all() {
  if (!boxes_.empty()) return {};
  for (const auto& p : paths_) {
    auto db = open_mail_db(p);
    if (!db) return db.error();
    Box box;
    box.db = std::make_unique<sqlite::Db>(std::move(*db));
    auto outbox = mail::MailOutbox::attach(*box.db, clock_);
    if (!outbox) return outbox.error().with_context(p.string());
    box.outbox = std::make_unique<mail::MailOutbox>(std::move(*outbox));
    box.sender = std::make_unique<mail::MailSender>(*box.outbox, *transport_, log_, options_.retry);
    boxes_.push_back(std::move(box));
  }
  return {};
}

Status HubMailSender::start() {
  if (thread_.joinable()) return {};
  if (auto s = open_all(); !s) {
    boxes_.clear();
    return s;
  }
  {
    std::lock_guard lock(mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] { loop(); });
  return {};
}

void HubMailSender::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_one();
}

void HubMailSender::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

std::uint64_t HubMailSender::rounds() const {
  std::lock_guard lock(mu_);
  return rounds_;
}

Expected<mail::SendRound> HubMailSender::run_round() {
  if (auto s = open_all(); !s) return s.error();
  mail::SendRound total;
  for (auto& box : boxes_) {
    auto r = box.sender->run_once(options_.batch);
    if (!r) {
      log_(LogLevel::error, "mail sender: " + r.error().describe());
      continue;
    }
    total.attempted += r->attempted;
    total.sent += r->sent;
    total.retried += r->retried;
    total.failed += r->failed;
  }
  std::lock_guard lock(mu_);
  ++rounds_;
  return total;
}

void HubMailSender::loop() {
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      woken_ = false;
    }
    auto round = run_round();
    // Sleep until the next message is due, at most poll_interval; a full batch goes on at once.
    std::chrono::milliseconds wait = options_.poll_interval;
    for (auto& box : boxes_) {
      auto st = box.outbox->stats();
      if (st && st->next_due_ms) {
        // At least 200 ms: something due that a round did not take (a database error) is not spun on.
        const auto until = std::chrono::milliseconds(std::max<std::int64_t>(200, *st->next_due_ms - clock_.wall_ms()));
        wait = std::min(wait, until);
      }
    }
    if (round && round->attempted >= static_cast<int>(options_.batch)) wait = std::chrono::milliseconds(0);
    std::unique_lock lock(mu_);
    if (wait.count() > 0) cv_.wait_for(lock, wait, [this] { return stop_ || woken_; });
  }
}

}  // namespace madoguchi::hub
