// The resident's booking mails from the hub (RSV-10, RSV-12, RSV-13, RSV-14): queueing into one
// durable outbox per municipality (drivers/mail, <data_dir>/<municipality>.mail.db, KON-5) and a
// sender thread that hands queued mail to the SMTP relay with retries.
//
// HubMail (one per municipality, used on the hub's io_context thread like HubEngine):
//  - on_booking: the HubBookingService notifier. A booking changed or cancelled at the hub
//    (citizen site, hub console's 電話予約) is composed with domain::compose_booking_mail and
//    queued right after its commit. A "made" mail too when hold() is not installed (tests).
//  - hold: the HubBookingService holder (issue 11 hole 5). Before a booking with an e-mail address
//    is written, its password (in clear only then) is held in the mail database (hub_mail_held,
//    committed). scan_feed, which follows bookings written at the hub too, finds the committed
//    booking within a second and queues its "made" mail with the held password, under the key of
//    the booking's "created" event (also when the feed already shows a later change), dropping the
//    held password in the same transaction, also when the hub stopped in between. The mails of
//    many bookings share that one commit, so a booking costs one synchronous commit here (the
//    hold), as queueing it did before. A held password whose booking never committed is dropped an
//    hour after the scan has caught up. So a committed booking always gets its mail, once.
//  - scan_feed: bookings written by counter PCs (phone bookings made at an edge, arriving through
//    the sync protocol), and at the hub, are read from the municipality's change feed after a cursor kept in the
//    mail database; the mail is queued and the cursor moved in ONE transaction, so a crash
//    neither loses nor doubles one. The kind is the booking's newest history event (created ->
//    made, changed, cancelled; "reminded" and "note" send nothing). Only the hash of such a
//    booking's password is at the hub: its "made" mail says the password was given on the phone.
//    Visits already past are not mailed. A new mail database starts at the
//    feed's head (no mail for history).
//  - run_reminders (RSV-13): HubBookingService::reminders_due, filtered by domain::reminder_due
//    (from 09:00 N days before), compose "reminder", enqueue, then mark_reminded. A crash between
//    enqueue and mark finds the reminder due again; its idempotency key
//    ("booking:<receipt>:reminder:<slot>") is already queued, so nothing is queued twice.
//
// A mail is queued only when the booking has an e-mail address and Settings::mail_from is set;
// otherwise a warning without personal data is logged and counted (counters().no_sender).
// Idempotency keys: "booking:<receipt>:<event action>:<event at_ms>" for made/changed/cancelled.
// Log lines name receipt numbers and outbox ids, never addresses or names.
//
// HubMailSender: one thread for all municipalities' outboxes, each through its own SQLite
// connection, so a slow or absent relay never blocks the io_context. It sends what is due, then
// sleeps until the next message is due (at most poll_interval) or wake() is called; stop() joins
// (waiting at most for the send in progress, bounded by the transport's timeouts).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "madoguchi/domain/booking.h"
#include "madoguchi/domain/booking_mail.h"
#include "madoguchi/hub/booking_service.h"
#include "madoguchi/hub/hub_engine.h"
#include "madoguchi/log.h"
#include "madoguchi/mail/outbox.h"
#include "madoguchi/sqlite/sqlite.h"
#include "madoguchi/transport.h"

namespace madoguchi::hub {

struct HubMailOptions {
  // Where the resident opens the booking: the hub's public_url + the site's path + "/".
  std::string site_url;
  std::size_t feed_page = 1000;      // feed entries read per scan_feed
  std::size_t reminder_batch = 500;  // reminders queued per run_reminders at most
  mail::OutboxLimits limits{};
};

struct HubMailCounters {
  std::uint64_t queued = 0;     // mails newly queued (all kinds)
  std::uint64_t reminders = 0;  // of which reminders
  std::uint64_t no_sender = 0;  // a booking with an e-mail while Settings::mail_from is empty: not queued
  std::uint64_t errors = 0;     // composing or queueing failed (logged with the receipt number)
};

class HubMail {
 public:
  // Opens (creates) the municipality's mail database with Durability::full and attaches the
  // outbox. `engine`, `service`, `clock` must outlive it.
  static Expected<std::unique_ptr<HubMail>> open(const std::filesystem::path& db_path, HubEngine& engine,
                                                 HubBookingService& service, const Clock& clock, LogSink log,
                                                 HubMailOptions options = {});

  // Installs on_booking as the service's notifier; `queued` (optional) is called after a mail was
  // queued (the sender's wake()).
  void attach(std::function<void()> queued = {});
  void on_booking(const domain::Booking& booking, std::string_view kind, const std::string& password);
  // Holds the password of a booking about to be written (committed before it returns).
  Status hold(const domain::Booking& booking, const std::string& password);
  // Returns how many mails were queued.
  Expected<int> scan_feed();
  Expected<int> run_reminders();

  Expected<mail::OutboxStats> stats() { return outbox_->stats(); }
  const HubMailCounters& counters() const { return counters_; }
  mail::MailOutbox& outbox() { return *outbox_; }
  const std::string& municipality() const { return municipality_; }

  HubMail(const HubMail&) = delete;
  HubMail& operator=(const HubMail&) = delete;

 private:
  HubMail(sqlite::Db db, HubEngine& engine, HubBookingService& service, const Clock& clock, LogSink log,
          HubMailOptions options);
  // The message for `booking`, or nullopt (counted and logged) when it cannot or must not be sent.
  std::optional<mail::Message> compose(domain::BookingMailKind kind, const domain::Booking& booking,
                                       std::string_view password, const domain::Settings& settings);
  std::string counter_name(const std::string& counter_id);
  Expected<std::uint64_t> cursor();
  Expected<std::optional<std::string>> held_password(const std::string& receipt);
  Status release_held(const std::string& receipt);
  Status drop_orphans();
  // When the booking's password is still held: its "made" mail, in the caller's transaction
  // (queued counts it), and the held password dropped. Nothing otherwise.
  Status queue_if_held(const sqlite::Tx& tx, const domain::Booking& booking, const domain::Settings& settings,
                       int& queued);

  std::unique_ptr<sqlite::Db> db_;
  std::optional<mail::MailOutbox> outbox_;
  HubEngine& engine_;
  HubBookingService& service_;
  const Clock& clock_;
  LogSink log_;
  HubMailOptions options_;
  std::string municipality_;
  HubMailCounters counters_;
  std::function<void()> queued_;
  bool holding_ = false;  // attach() installed hold(): "made" mails are queued by scan_feed
};

struct HubMailSenderOptions {
  mail::RetryPolicy retry{};
  std::chrono::milliseconds poll_interval{5000};  // also picks up mail queued by another hub instance
  std::size_t batch = 50;                          // messages per outbox per round
};

class HubMailSender {
 public:
  // `outboxes`: the municipalities' mail databases (each opened again here, for this thread).
  HubMailSender(std::vector<std::filesystem::path> outboxes, std::unique_ptr<mail::MailTransport> transport,
                const Clock& clock, LogSink log, HubMailSenderOptions options = {});
  ~HubMailSender();

  // Opens the connections and starts the thread. Errors: db (nothing started).
  Status start();
  // Something was queued: send now rather than at the next poll.
  void wake();
  // Stops the thread after the send in progress; idempotent.
  void stop();
  // One round over every outbox on the caller's thread (tests; not while the thread runs).
  Expected<mail::SendRound> run_round();
  std::uint64_t rounds() const;

 private:
  void loop();
  Status open_all();

  std::vector<std::filesystem::path> paths_;
  std::unique_ptr<mail::MailTransport> transport_;
  const Clock& clock_;
  LogSink log_;
  HubMailSenderOptions options_;
  struct Box {  // heap parts: the sender points at the outbox, the outbox at the Db
    std::unique_ptr<sqlite::Db> db;
    std::unique_ptr<mail::MailOutbox> outbox;
    std::unique_ptr<mail::MailSender> sender;
  };
  std::vector<Box> boxes_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool woken_ = false;
  std::uint64_t rounds_ = 0;
};

}  // namespace madoguchi::hub
