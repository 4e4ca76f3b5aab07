// The resident's booking mails from the hub (RSV-10, RSV-12, RSV-13, RSV-14): HubMail over a real
// HubEngine, HubBookingService and outbox database with a ManualClock; the mails are handed to a
// fake transport and decoded here. Device bookings arriving through sync (a phone booking made at
// a counter PC) are mailed from the change feed; reminders follow the clock; the sender thread.
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>

#include "booking_fixture.h"
#include "fake_bus.h"
#include "madoguchi/domain/booking_mail.h"
#include "madoguchi/domain/settings.h"
#include "madoguchi/hub/booking_service.h"
#include "madoguchi/hub/hub_mail.h"
#include "mail_test_util.h"
#include "process.h"
#include "temp_dir.h"

using madoguchi::ManualClock;
using madoguchi::hub::HubBookingService;
using madoguchi::hub::HubEngine;
using madoguchi::hub::HubMail;
using madoguchi::testing::FakeBus;
using madoguchi::testing::TempDir;
using namespace madoguchi::testing::booking;
namespace c = madoguchi::domain;
namespace mail = madoguchi::mail;
namespace p = madoguchi::protocol;
using namespace std::chrono_literals;

namespace {

constexpr const char* kUrl = "https://yoyaku.example.jp/131016/";
bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

struct Sent {
  std::string from, to, subject, body, message_id;
};

struct World {
  World() : link(bus.add("hub")) {
    clock.advance(std::chrono::milliseconds(kNowMs - clock.wall_ms()));
    engine = std::make_unique<HubEngine>(madoguchi::hub::DeviceRegistry{{"131016", {"counter-01"}}},
                                         madoguchi::hub::HubOptions{dir / "hub"}, link, clock);
    REQUIRE(engine->open().ok());
    link.set_link(true);
    REQUIRE(madoguchi::hub::install_booking_rule(store()).ok());
    seed(store(), 3);
    service = std::make_unique<HubBookingService>(*engine, "131016", clock,
                                                  madoguchi::hub::BookingServiceOptions{.fast_hashing_for_tests = true});
    open_mail();
  }
  void open_mail() {
    mailer.reset();
    auto m = HubMail::open(dir / "131016.mail.db", *engine, *service, clock,
                           [this](madoguchi::LogLevel, std::string_view line) { logs.emplace_back(line); },
                           madoguchi::hub::HubMailOptions{.site_url = kUrl});
    REQUIRE(m.ok());
    mailer = std::move(*m);
    mailer->attach([this] { ++wakes; });
  }
  madoguchi::hub::HubStore& store() { return *engine->store("131016"); }
  void set_settings(const std::string& mail_from, int reminder_days = 1) {
    c::Settings s;
    s.municipality_name = "サンプル区";
    s.mail_from = mail_from;
    s.reminder_days_before = reminder_days;
    auto cur = store().get(std::string(c::kSettingsEntity), std::string(c::kSettingsKey));
    REQUIRE(cur.ok());
    const std::uint64_t base = *cur ? (*cur)->version : 0;
    REQUIRE(store()
                .write_local(std::string(c::kSettingsEntity), std::string(c::kSettingsKey), OpKind::upsert,
                             c::dump_body(c::settings_to_json(s)), base, clock.wall_ms())
                .ok());
  }
  // Sends every due mail through a fake transport and returns them decoded.
  std::vector<Sent> send_all() {
    mail::testing::FakeTransport transport;
    mail::MailSender sender(mailer->outbox(), transport, madoguchi::null_log());
    REQUIRE(sender.run_once(100).ok());
    std::vector<Sent> out;
    for (const auto& d : transport.delivered) {
      Sent s;
      REQUIRE(d.envelope.rcpt_to.size() == 1);
      s.to = d.envelope.rcpt_to.front();
      s.from = d.envelope.mail_from;
      s.subject = mail::testing::decode_header(mail::testing::header_value(d.message, "Subject"));
      s.body = mail::testing::body_of(d.message);
      s.message_id = mail::testing::header_value(d.message, "Message-ID");
      out.push_back(std::move(s));
    }
    return out;
  }
  std::int64_t queued() {
    auto s = mailer->stats();
    REQUIRE(s.ok());
    return s->queued;
  }
  // A phone booking written at counter PC "counter-01" arriving through the sync protocol.
  void device_write(std::uint64_t seq, const c::Booking& b, std::uint64_t base_version) {
    p::OpBatch batch{"131016", "counter-01", {}};
    p::Op op;
    op.seq = seq;
    op.op_id = "counter-01:" + std::to_string(seq);
    op.entity = "booking";
    op.key = b.receipt;
    op.base_version = base_version;
    op.body = body(b);
    op.at_ms = clock.wall_ms();
    batch.ops.push_back(op);
    auto out = store().apply_batch(batch, clock.wall_ms());
    REQUIRE(out.ok());
    REQUIRE(out->applied == 1);
  }
  std::uint64_t version_of(const std::string& receipt) {
    auto r = store().get("booking", receipt);
    REQUIRE(r.ok());
    REQUIRE(*r);
    return (*r)->version;
  }

  TempDir dir;
  FakeBus bus;
  FakeBus::Client& link;
  ManualClock clock;
  std::unique_ptr<HubEngine> engine;
  std::unique_ptr<HubBookingService> service;
  std::unique_ptr<HubMail> mailer;
  std::vector<std::string> logs;
  int wakes = 0;
};

c::NewBooking request(const std::string& slot_key, int people, int first_person, const std::string& email) {
  c::NewBooking r;
  r.business = c::Business::collection;
  r.slot = slot_key;
  for (int i = 0; i < people; ++i) r.people.push_back({manufacture_no(first_person + i), ""});
  r.email = email;
  return r;
}

const c::BookingActor kResident{};
const c::BookingActor kClerk{c::BookingActor::Kind::staff, "clerk1", false};

void check_no_personal_data(const std::vector<std::string>& logs, const std::vector<Sent>& mails) {
  for (const auto& line : logs) {
    CHECK_FALSE(contains(line, "@example.jp"));
    CHECK_FALSE(contains(line, "MN0000"));
  }
  for (const auto& m : mails) {
    CHECK_FALSE(contains(m.body, "MN0000"));  // manufacture numbers
    CHECK_FALSE(contains(m.body, "ヤマダ"));
    CHECK_FALSE(contains(m.subject, "ヤマダ"));
  }
}

}  // namespace

TEST_CASE("A booking made, changed and cancelled at the hub queues its three mails once each (RSV-10, RSV-12, RSV-14)",
          "[hub][mail][RSV-10][RSV-12][RSV-14]") {
  World w;
  w.set_settings("yoyaku@city.example.jp");
  auto made = w.service->create(request(kSlot, 2, 1, "hanako@example.jp"), kResident);
  REQUIRE(made.ok());
  // The "made" mail is queued by the feed scan (every second in the hub) with the held password.
  CHECK(w.queued() == 0);
  REQUIRE(*w.mailer->scan_feed() == 1);
  CHECK(w.wakes == 1);
  auto mails = w.send_all();
  REQUIRE(mails.size() == 1);
  CHECK(mails[0].to == "hanako@example.jp");
  CHECK(mails[0].from == "yoyaku@city.example.jp");
  CHECK(mails[0].subject == "【サンプル区】来庁予約を受け付けました（受付番号 " + made->booking.receipt + "）");
  CHECK(contains(mails[0].body, "受付番号：" + made->booking.receipt));
  CHECK(contains(mails[0].body, "パスワード：" + made->password));
  CHECK(contains(mails[0].body, "窓口：本庁舎窓口"));  // the counter record's name
  CHECK(contains(mails[0].body, "人数：2名"));
  CHECK(contains(mails[0].body, kUrl));

  // The notifier firing again for the same event (a retry by a caller) queues nothing new.
  auto stored = w.service->get(made->booking.receipt);
  REQUIRE(stored.ok());
  w.mailer->on_booking(**stored, "made", made->password);
  CHECK(w.send_all().empty());

  c::BookingUpdate u;
  u.slot = kOtherSlot;
  REQUIRE(w.service->update(made->booking.receipt, u, kResident).ok());
  mails = w.send_all();
  REQUIRE(mails.size() == 1);
  CHECK(contains(mails[0].subject, "変更しました"));
  CHECK(contains(mails[0].body, "9:30"));
  CHECK_FALSE(contains(mails[0].body, made->password));

  REQUIRE(w.service->cancel(made->booking.receipt, "", kResident).ok());
  mails = w.send_all();
  REQUIRE(mails.size() == 1);
  CHECK(contains(mails[0].subject, "取り消しました"));
  CHECK(w.mailer->counters().queued == 3);
  CHECK(w.mailer->counters().no_sender == 0);
  // The feed holds these hub-origin writes: the feed scan finds them queued already.
  auto scanned = w.mailer->scan_feed();
  REQUIRE(scanned.ok());
  CHECK(*scanned == 0);
  CHECK(w.queued() == 0);
  check_no_personal_data(w.logs, mails);
}

TEST_CASE("A booking committed just before the hub stopped still gets its mail with the password (issue 11 hole 5, RSV-10)",
          "[hub][mail][RSV-10]") {
  World w;
  w.set_settings("yoyaku@city.example.jp");
  // The hub stops after the booking's commit, before the notifier queues the mail: what a crash
  // there leaves is the committed booking and the password held before it.
  w.service->set_notifier({});
  auto made = w.service->create(request(kSlot, 1, 1, "hanako@example.jp"), kResident);
  REQUIRE(made.ok());
  CHECK(w.queued() == 0);
  // The hub starts again: the feed scan finds the booking and queues its mail, once.
  w.open_mail();
  auto scanned = w.mailer->scan_feed();
  REQUIRE(scanned.ok());
  CHECK(*scanned == 1);
  CHECK(*w.mailer->scan_feed() == 0);
  auto mails = w.send_all();
  REQUIRE(mails.size() == 1);
  CHECK(contains(mails[0].subject, made->booking.receipt));
  CHECK(contains(mails[0].body, "パスワード：" + made->password));
  // The notifier firing late (the hub did not stop after all) queues nothing more.
  w.mailer->on_booking(made->booking, "made", made->password);
  CHECK(w.queued() == 0);

  // Stopped before queueing again, and the booking changed before the next scan: the feed shows
  // the change, and the "made" mail with its password is queued all the same, then the change's.
  w.service->set_notifier({});
  auto second = w.service->create(request(kSlot, 1, 5, "jiro@example.jp"), kResident);
  REQUIRE(second.ok());
  CHECK(w.queued() == 0);
  w.open_mail();
  c::BookingUpdate u;
  u.slot = kOtherSlot;
  REQUIRE(w.service->update(second->booking.receipt, u, kResident).ok());  // notifier back: "changed" queued
  REQUIRE(w.mailer->scan_feed().ok());
  auto two = w.send_all();
  REQUIRE(two.size() == 2);
  int with_password = 0;
  for (const auto& m : two) with_password += contains(m.body, "パスワード：" + second->password);
  CHECK(with_password == 1);

  // A password held for a booking that never committed (the hub stopped before the commit)
  // sends nothing and is dropped once the scan has caught up an hour later.
  c::Booking never = made->booking;
  never.receipt = "R-NEVER";
  REQUIRE(w.mailer->hold(never, "Held-1234").ok());
  auto held_rows = [&] {
    auto db = madoguchi::sqlite::Db::open(w.dir / "131016.mail.db", {});
    REQUIRE(db.ok());
    auto st = db->prepare("SELECT count(*) FROM hub_mail_held");
    REQUIRE(st.ok());
    REQUIRE(*st->step());
    return st->column_int(0);
  };
  CHECK(held_rows() == 1);
  REQUIRE(w.mailer->scan_feed().ok());
  CHECK(held_rows() == 1);  // too recent to tell
  w.clock.advance(2h);
  REQUIRE(w.mailer->scan_feed().ok());
  CHECK(held_rows() == 0);
  CHECK(w.send_all().empty());
  check_no_personal_data(w.logs, mails);
}

TEST_CASE("No sender address: nothing is queued, a warning without personal data is counted (RSV-14)",
          "[hub][mail][RSV-14]") {
  World w;
  w.set_settings("");
  auto made = w.service->create(request(kSlot, 1, 1, "hanako@example.jp"), kResident);
  REQUIRE(made.ok());
  REQUIRE(w.mailer->scan_feed().ok());
  CHECK(w.queued() == 0);
  CHECK(w.mailer->counters().no_sender == 1);
  CHECK(w.mailer->counters().queued == 0);
  REQUIRE_FALSE(w.logs.empty());
  CHECK(contains(w.logs.back(), made->booking.receipt));
  CHECK(contains(w.logs.back(), "mail_from"));
  // A phone booking at the hub without an e-mail address is no warning: there is nobody to mail.
  auto phone = request(kSlot, 1, 5, "");
  REQUIRE(w.service->create(phone, kClerk).ok());
  REQUIRE(w.mailer->scan_feed().ok());
  CHECK(w.mailer->counters().no_sender == 1);
  // Once the operator sets the sender, the next booking is mailed.
  w.set_settings("yoyaku@city.example.jp");
  REQUIRE(w.service->create(request(kSlot, 1, 9, "jiro@example.jp"), kResident).ok());
  REQUIRE(w.mailer->scan_feed().ok());
  CHECK(w.queued() == 1);
  check_no_personal_data(w.logs, {});
}

TEST_CASE("A phone booking made at a counter PC is mailed when the hub applies it, the password was given on the phone",
          "[hub][mail][RSV-10][RSV-12][PHN-1]") {
  World w;
  w.set_settings("yoyaku@city.example.jp");
  // Written before a new mail database was made: history, never mailed.
  auto old = booking("20261120-E0001", kSlot, 1, 20, "clerk1");
  w.device_write(1, old, 0);
  w.mailer.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(w.dir / (std::string("131016.mail.db") + suffix));
  w.open_mail();
  auto n = w.mailer->scan_feed();
  REQUIRE(n.ok());
  CHECK(*n == 0);

  auto b = booking("20261120-E0002", kSlot, 2, 30, "clerk1");
  b.email = "saburo@example.jp";
  w.device_write(2, b, 0);
  n = w.mailer->scan_feed();
  REQUIRE(n.ok());
  CHECK(*n == 1);
  CHECK(w.wakes >= 1);
  n = w.mailer->scan_feed();  // the cursor moved with the queueing
  REQUIRE(n.ok());
  CHECK(*n == 0);
  auto mails = w.send_all();
  REQUIRE(mails.size() == 1);
  CHECK(mails[0].to == "saburo@example.jp");
  CHECK(contains(mails[0].subject, "受け付けました（受付番号 20261120-E0002）"));
  CHECK(contains(mails[0].body, "パスワード：予約のお電話でお伝えしたものです"));
  CHECK_FALSE(contains(mails[0].body, "$argon2"));

  // A note-only rewrite by the device (no new event) sends nothing; a change and a cancel do.
  w.clock.advance(1min);
  auto noted = b;
  noted.note = "車椅子";
  w.device_write(3, noted, w.version_of(b.receipt));
  auto moved = noted;
  moved.slot = kOtherSlot;
  c::add_booking_event(moved, c::BookingEvent{w.clock.wall_ms(), "changed", "staff:clerk1", kOtherSlot, "日時を変更"});
  w.device_write(4, moved, w.version_of(b.receipt));
  w.clock.advance(1min);
  auto cancelled = moved;
  cancelled.cancelled = true;
  c::add_booking_event(cancelled, c::BookingEvent{w.clock.wall_ms(), "cancelled", "staff:clerk1", kOtherSlot, ""});
  w.device_write(5, cancelled, w.version_of(b.receipt));
  n = w.mailer->scan_feed();
  REQUIRE(n.ok());
  CHECK(*n == 2);
  mails = w.send_all();
  REQUIRE(mails.size() == 2);
  CHECK(contains(mails[0].subject, "変更しました"));
  CHECK(contains(mails[1].subject, "取り消しました"));
  for (const auto& m : mails) CHECK_FALSE(contains(m.body, "車椅子"));

  // Reopened (a restart): the cursor is durable, nothing is queued again.
  w.open_mail();
  n = w.mailer->scan_feed();
  REQUIRE(n.ok());
  CHECK(*n == 0);
  CHECK(w.queued() == 0);
  check_no_personal_data(w.logs, mails);
}

TEST_CASE("Device bookings: none without e-mail, none for a visit already past, none without a sender (counted)",
          "[hub][mail][RSV-14]") {
  World w;
  w.set_settings("");
  REQUIRE(w.mailer->scan_feed().ok());  // the cursor starts here
  auto b = booking("20261120-E0003", kSlot, 1, 40, "clerk1");
  b.email.clear();
  w.device_write(1, b, 0);
  auto c2 = booking("20261120-E0004", kOtherSlot, 1, 41, "clerk1");
  w.device_write(2, c2, 0);
  auto n = w.mailer->scan_feed();
  REQUIRE(n.ok());
  CHECK(*n == 0);
  CHECK(w.mailer->counters().no_sender == 1);  // only the booking with an address
  // The visit's time has passed when the hub finally applies a change: no mail about it.
  w.set_settings("yoyaku@city.example.jp");
  w.clock.advance(std::chrono::hours(24 * 11));  // 2026-12-01
  auto changed = c2;
  c::add_booking_event(changed, c::BookingEvent{w.clock.wall_ms(), "note", "staff:clerk1", kOtherSlot, "来庁済み"});
  changed.note = "来庁済み";
  // (the device is allowed to write the note after the visit: it takes no new place)
  w.device_write(3, changed, w.version_of(c2.receipt));
  n = w.mailer->scan_feed();
  REQUIRE(n.ok());
  CHECK(*n == 0);
  CHECK(w.queued() == 0);
}

TEST_CASE("Reminders go from 09:00 N days before the visit, once, and a crash before the mark queues no second one (RSV-13)",
          "[hub][mail][RSV-13]") {
  World w;
  w.set_settings("yoyaku@city.example.jp", 1);
  auto made = w.service->create(request(kSlot, 1, 1, "hanako@example.jp"), kResident);  // 2026-11-30 09:00
  REQUIRE(made.ok());
  const std::string receipt = made->booking.receipt;
  // A cancelled booking and a phone booking without e-mail get no reminder.
  auto other = w.service->create(request(kSlot, 1, 3, "jiro@example.jp"), kResident);
  REQUIRE(other.ok());
  REQUIRE(w.service->cancel(other->booking.receipt, "", kResident).ok());
  REQUIRE(w.service->create(request(kOtherSlot, 1, 4, ""), kClerk).ok());
  // Cancelled within the second, before the scan: its "made" mail is queued first, then the cancel.
  {
    auto early = w.send_all();
    REQUIRE(early.size() == 2);
    CHECK(contains(early[0].subject, "受け付けました"));
    CHECK(contains(early[0].body, "パスワード：" + other->password));
    CHECK(contains(early[1].subject, "取り消しました"));
  }
  REQUIRE(w.mailer->scan_feed().ok());
  REQUIRE(w.send_all().size() == 1);  // the first booking's made mail

  auto run = [&] {
    auto n = w.mailer->run_reminders();
    REQUIRE(n.ok());
    return *n;
  };
  CHECK(run() == 0);  // 2026-11-20 10:00
  // 2026-11-29 08:59: the day before, but before 09:00.
  w.clock.advance(std::chrono::hours(24 * 9) - 61min);
  CHECK(c::japan_local_time(w.clock.wall_ms()).date == madoguchi::calendar::Date{2026, 11, 29});
  CHECK(run() == 0);
  w.clock.advance(1min);  // 09:00
  CHECK(run() == 1);
  CHECK(w.mailer->counters().reminders == 1);
  auto after = w.service->get(receipt);
  REQUIRE(after.ok());
  CHECK((*after)->reminded_ms == w.clock.wall_ms());
  CHECK((*after)->history.back().action == "reminded");
  CHECK(run() == 0);  // marked: not due again
  auto mails = w.send_all();
  REQUIRE(mails.size() == 1);
  CHECK(mails[0].to == "hanako@example.jp");
  CHECK(mails[0].subject == "【サンプル区】来庁予約のお知らせ（2026年11月30日（月） 9:00）");
  CHECK(contains(mails[0].body, "受付番号：" + receipt));
  check_no_personal_data(w.logs, mails);

  // A crash after the enqueue and before the mark: the booking is still unmarked at restart.
  auto unmark = [&] {
    auto rec = w.store().get("booking", receipt);
    REQUIRE(rec.ok());
    auto b = c::booking_from_json(nlohmann::json::parse((*rec)->body)).value();
    b.reminded_ms = 0;
    REQUIRE(w.store().write_local("booking", receipt, OpKind::upsert, body(b), (*rec)->version, w.clock.wall_ms()).ok());
  };
  unmark();
  w.open_mail();
  CHECK(run() == 0);            // due again, but the reminder's key is already in the outbox
  CHECK(w.send_all().empty());  // no second mail
  CHECK((*w.service->get(receipt))->reminded_ms != 0);  // and now it is marked
  // Reminders off (0 days): nothing is due.
  unmark();
  w.set_settings("yoyaku@city.example.jp", 0);
  CHECK(run() == 0);
  CHECK((*w.service->get(receipt))->reminded_ms == 0);
}

namespace {
// A transport usable from the sender thread.
class LockedTransport final : public mail::MailTransport {
 public:
  mail::SendResult send(const mail::Envelope& envelope, std::string_view message) override {
    std::lock_guard lock(mu_);
    delivered_.push_back(std::string(message));
    (void)envelope;
    return {mail::SendOutcome::sent, 250, {}};
  }
  std::size_t count() {
    std::lock_guard lock(mu_);
    return delivered_.size();
  }

 private:
  std::mutex mu_;
  std::vector<std::string> delivered_;
};
}  // namespace

TEST_CASE("The sender thread sends queued mail of every municipality's outbox and stops cleanly (RSV-10, KON-5)",
          "[hub][mail][RSV-10][KON-5]") {
  TempDir dir;
  madoguchi::SystemClock clock;
  std::vector<std::filesystem::path> paths = {dir / "131016.mail.db", dir / "141003.mail.db"};
  auto transport = std::make_unique<LockedTransport>();
  LockedTransport* t = transport.get();
  madoguchi::hub::HubMailSender sender(paths, std::move(transport), clock, madoguchi::null_log(),
                                       {.poll_interval = std::chrono::milliseconds(60'000)});
  REQUIRE(sender.start().ok());
  for (const auto& path : paths) {
    auto db = madoguchi::sqlite::Db::open(path);
    REQUIRE(db.ok());
    auto outbox = mail::MailOutbox::attach(*db, clock);
    REQUIRE(outbox.ok());
    mail::Message m;
    m.from = {"yoyaku@city.example.jp", ""};
    m.to = {{"hanako@example.jp", ""}};
    m.subject = "test";
    m.body = "本文\n";
    REQUIRE(outbox->enqueue(m, "k1").ok());
    sender.wake();  // without it the next poll is a minute away
  }
  CHECK(madoguchi::testing::eventually([&] { return t->count() == 2; }, 30s));
  sender.stop();
  sender.stop();  // idempotent
  for (const auto& path : paths) {
    auto db = madoguchi::sqlite::Db::open(path);
    REQUIRE(db.ok());
    auto outbox = mail::MailOutbox::attach(*db, clock);
    REQUIRE(outbox.ok());
    auto s = outbox->stats();
    REQUIRE(s.ok());
    CHECK(s->sent == 1);
    CHECK(s->queued == 0);
  }
}
