// The durable mail outbox and its sender with a fake transport and a ManualClock (RSV-10, RSV-12,
// RSV-13, RSV-14): idempotent enqueue, enqueue in the caller's transaction, the retry schedule,
// giving up, the bounds, and at-least-once delivery across a crash between send and mark-sent.
#include <catch2/catch.hpp>

#include <algorithm>

#include "madoguchi/mail/outbox.h"
#include "mail_test_util.h"
#include "temp_dir.h"

using namespace madoguchi;
using namespace madoguchi::mail;
using namespace madoguchi::mail::testing;
using namespace std::chrono_literals;

namespace {

Message booking_mail(const std::string& receipt, const std::string& to = "taro.yamada@example.jp") {
  Message m;
  m.from = {"noreply@city.example.jp", "〇〇市 マイナンバーカード予約"};
  m.to = {{to, "山田 太郎"}};
  m.subject = "【〇〇市】ご予約の確認（受付番号 " + receipt + "）";
  m.body = "山田 太郎 様\nご予約を承りました。受付番号: " + receipt + "\n";
  return m;
}

struct Fixture {
  madoguchi::testing::TempDir dir;
  ManualClock clock;
  std::optional<sqlite::Db> db;
  std::optional<MailOutbox> outbox;
  FakeTransport transport;
  std::vector<std::string> logs;
  double jitter = 1.0;  // 1.0: the full backoff, no randomness in the schedule
  RetryPolicy policy;

  explicit Fixture(OutboxLimits limits = {}) { open(limits); }
  void open(OutboxLimits limits = {}) {
    outbox.reset();
    db.reset();
    auto d = sqlite::Db::open(dir / "mail.db");
    REQUIRE(d.ok());
    db.emplace(std::move(*d));
    REQUIRE(sqlite::migrate(*db, outbox_only_schema()).ok());
    auto o = MailOutbox::attach(*db, clock, limits);
    REQUIRE(o.ok());
    outbox.emplace(std::move(*o));
  }
  MailSender sender() {
    return MailSender(*outbox, transport, [this](LogLevel, std::string_view line) { logs.emplace_back(line); }, policy,
                      [this] { return jitter; });
  }
  SendRound round() {
    auto s = sender();
    auto r = s.run_once();
    REQUIRE(r.ok());
    return *r;
  }
  OutboxRow row(const std::string& key) {
    auto r = outbox->find(key);
    REQUIRE(r.ok());
    REQUIRE(r->has_value());
    return **r;
  }
  std::int64_t count(const char* sql) {
    auto st = db->prepare(sql);
    REQUIRE(st.ok());
    auto step = st->step();
    REQUIRE(step.ok());
    return st->column_int(0);
  }
};

}  // namespace

TEST_CASE("a queued mail is sent once and marked sent, its content is not kept (RSV-10)", "[mail][outbox]") {
  Fixture f;
  auto r = f.outbox->enqueue(booking_mail("R-000123"), "booking:R-000123:confirm");
  REQUIRE(r.ok());
  CHECK(r->created);
  CHECK(r->message_id.find("@city.example.jp") != std::string::npos);

  auto round = f.round();
  CHECK(round.attempted == 1);
  CHECK(round.sent == 1);
  REQUIRE(f.transport.delivered.size() == 1);
  const auto& sent = f.transport.delivered[0];
  CHECK(sent.envelope.mail_from == "noreply@city.example.jp");
  CHECK(sent.envelope.rcpt_to == std::vector<std::string>{"taro.yamada@example.jp"});
  CHECK(header_value(sent.message, "Message-ID") == "<" + r->message_id + ">");
  CHECK(decode_header(header_value(sent.message, "Subject")) == "【〇〇市】ご予約の確認（受付番号 R-000123）");

  auto row = f.row("booking:R-000123:confirm");
  CHECK(row.state == EntryState::sent);
  CHECK(row.attempts == 1);
  CHECK(row.recipients_masked == "t***@e***.jp");
  CHECK(f.count("SELECT count(*) FROM mail_outbox WHERE content = '' AND rcpt_to = ''") == 1);

  // Nothing more to send.
  CHECK(f.round().attempted == 0);
  CHECK(f.transport.calls == 1);
  // No log line carries the address.
  for (const auto& line : f.logs) CHECK(line.find("taro") == std::string::npos);
}

TEST_CASE("enqueue is idempotent by key", "[mail][outbox]") {
  Fixture f;
  auto a = f.outbox->enqueue(booking_mail("R-1"), "booking:R-1:confirm");
  auto b = f.outbox->enqueue(booking_mail("R-1"), "booking:R-1:confirm");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->created);
  CHECK_FALSE(b->created);
  CHECK(a->id == b->id);
  CHECK(a->message_id == b->message_id);
  f.round();
  // Still known after it was sent: a retried booking request does not mail twice.
  auto c = f.outbox->enqueue(booking_mail("R-1"), "booking:R-1:confirm");
  REQUIRE(c.ok());
  CHECK_FALSE(c->created);
  CHECK(f.count("SELECT count(*) FROM mail_outbox") == 1);
  CHECK(f.transport.delivered.size() == 1);
  // A different key is a different mail.
  CHECK(f.outbox->enqueue(booking_mail("R-1"), "booking:R-1:change:1")->created);
  // Bad keys are refused.
  CHECK(f.outbox->enqueue(booking_mail("R-1"), "").error().code == Errc::invalid_argument);
  CHECK(f.outbox->enqueue(booking_mail("R-1"), "has space").error().code == Errc::invalid_argument);
  CHECK(f.outbox->enqueue(booking_mail("R-1"), std::string(129, 'k')).error().code == Errc::invalid_argument);
}

TEST_CASE("enqueue inside the caller's transaction commits or rolls back with the booking", "[mail][outbox]") {
  Fixture f;
  REQUIRE(f.db->exec("CREATE TABLE booking(receipt TEXT PRIMARY KEY)").ok());
  {
    auto tx = sqlite::Tx::begin(*f.db);
    REQUIRE(tx.ok());
    auto st = f.db->prepare("INSERT INTO booking(receipt) VALUES(?)");
    REQUIRE(st->bind(1, "R-7").run().ok());
    REQUIRE(f.outbox->enqueue(*tx, booking_mail("R-7"), "booking:R-7:confirm").ok());
    // no commit: the booking fails later, both go
  }
  CHECK(f.count("SELECT count(*) FROM booking") == 0);
  CHECK(f.count("SELECT count(*) FROM mail_outbox") == 0);
  {
    auto tx = sqlite::Tx::begin(*f.db);
    REQUIRE(tx.ok());
    auto st = f.db->prepare("INSERT INTO booking(receipt) VALUES(?)");
    REQUIRE(st->bind(1, "R-7").run().ok());
    REQUIRE(f.outbox->enqueue(*tx, booking_mail("R-7"), "booking:R-7:confirm").ok());
    REQUIRE(tx->commit().ok());
  }
  CHECK(f.count("SELECT count(*) FROM booking") == 1);
  CHECK(f.count("SELECT count(*) FROM mail_outbox WHERE state = 'queued'") == 1);
}

TEST_CASE("temporary failures are retried with exponential backoff up to the cap", "[mail][outbox]") {
  Fixture f;
  f.policy.initial_backoff = 60s;
  f.policy.max_backoff = 10min;
  REQUIRE(f.outbox->enqueue(booking_mail("R-2"), "k2").ok());
  const std::int64_t t0 = f.clock.wall_ms();
  for (int i = 0; i < 7; ++i) f.transport.script.push_back(temporary());

  // Expected gaps between attempts: 60, 120, 240, 480, 600, 600, 600 seconds.
  std::vector<std::int64_t> gaps = {60, 120, 240, 480, 600, 600, 600};
  std::int64_t expected_next = t0;
  for (std::size_t i = 0; i < gaps.size(); ++i) {
    auto r = f.round();
    CHECK(r.attempted == 1);
    CHECK(r.retried == 1);
    auto row = f.row("k2");
    CHECK(row.state == EntryState::queued);
    CHECK(row.attempts == static_cast<int>(i + 1));
    expected_next += gaps[i] * 1000;
    CHECK(row.next_attempt_ms == expected_next);
    CHECK(row.last_error.find("Failed to connect") != std::string::npos);
    // One millisecond before it is due, nothing is attempted.
    f.clock.advance(std::chrono::milliseconds(row.next_attempt_ms - f.clock.wall_ms() - 1));
    CHECK(f.round().attempted == 0);
    f.clock.advance(1ms);
  }
  // The relay is back: the next attempt sends it.
  auto r = f.round();
  CHECK(r.sent == 1);
  CHECK(f.row("k2").state == EntryState::sent);
  CHECK(f.transport.delivered.size() == 1);
}

TEST_CASE("jitter scales each delay into [half, full] of the backoff", "[mail][outbox]") {
  Fixture f;
  f.jitter = 0.0;
  auto s0 = f.sender();
  CHECK(s0.backoff(1) == 30s);
  CHECK(s0.backoff(3) == 120s);
  f.jitter = 0.5;
  auto s1 = f.sender();
  CHECK(s1.backoff(1) == 45s);
  CHECK(s1.backoff(100) == std::chrono::milliseconds(3'600'000 * 3 / 4));
}

TEST_CASE("temporary failures give up after the configured time with the reason kept", "[mail][outbox]") {
  Fixture f;
  f.policy.initial_backoff = 60s;
  f.policy.max_backoff = 60s;
  f.policy.give_up_after = 5min;
  REQUIRE(f.outbox->enqueue(booking_mail("R-3"), "k3").ok());
  for (int i = 0; i < 20; ++i) f.transport.script.push_back(temporary("smtp: 451 4.3.0 try later (curl 55, reply 451)"));
  int attempts = 0;
  SendRound last;
  while (f.row("k3").state == EntryState::queued) {
    REQUIRE(attempts < 20);
    last = f.round();
    ++attempts;
    f.clock.advance(60s);
  }
  CHECK(last.failed == 1);
  CHECK(attempts == 6);  // at 0, 1, 2, 3, 4 and 5 minutes: the sixth is 5 minutes after enqueue
  auto row = f.row("k3");
  CHECK(row.state == EntryState::failed);
  CHECK(row.last_error.find("gave up after 300 s") != std::string::npos);
  CHECK(row.last_error.find("451") != std::string::npos);
  CHECK(f.transport.delivered.empty());
  // Failed mail is not attempted again.
  f.clock.advance(1h);
  CHECK(f.round().attempted == 0);
}

TEST_CASE("a permanent 5xx gives up at once with no grace, after the grace otherwise", "[mail][outbox]") {
  SECTION("no grace") {
    Fixture f;
    f.policy.permanent_grace = 0ms;
    REQUIRE(f.outbox->enqueue(booking_mail("R-4"), "k4").ok());
    f.transport.script.push_back(permanent(550, "smtp: RCPT failed: 550 <taro.yamada@example.jp> unknown (curl 55, reply 550)"));
    auto r = f.round();
    CHECK(r.failed == 1);
    auto row = f.row("k4");
    CHECK(row.state == EntryState::failed);
    CHECK(row.last_smtp_code == 550);
    CHECK(row.last_error.find("refused by the relay") != std::string::npos);
    // The reason is stored and logged with the address masked.
    CHECK(row.last_error.find("taro") == std::string::npos);
    CHECK(row.last_error.find("t***@e***.jp") != std::string::npos);
    for (const auto& line : f.logs) CHECK(line.find("taro") == std::string::npos);
  }
  SECTION("a relay refusing everything for an hour delays mail instead of losing it") {
    Fixture f;
    f.policy.permanent_grace = 1h;
    f.policy.initial_backoff = 10min;
    f.policy.max_backoff = 10min;
    REQUIRE(f.outbox->enqueue(booking_mail("R-5"), "k5").ok());
    for (int i = 0; i < 3; ++i) f.transport.script.push_back(permanent(554, "smtp: 554 relay access denied (reply 554)"));
    for (int i = 0; i < 3; ++i) {
      CHECK(f.round().retried == 1);
      f.clock.advance(10min);
    }
    CHECK(f.round().sent == 1);  // the operator fixed the relay within the grace period
    CHECK(f.row("k5").state == EntryState::sent);
  }
}

TEST_CASE("a crash between the relay's 250 and mark-sent sends again with the same Message-ID", "[mail][outbox]") {
  // At-least-once delivery: the claim (attempts + 1, next attempt at the backoff) is committed
  // before the send; the mark after it is lost in the crash.
  Fixture f;
  auto q = f.outbox->enqueue(booking_mail("R-6"), "k6");
  REQUIRE(q.ok());
  {
    auto due = f.outbox->due(f.clock.wall_ms(), 10);
    REQUIRE(due.ok());
    REQUIRE(due->size() == 1);
    auto claimed = f.outbox->claim(due->front(), f.clock.wall_ms() + 60'000);
    REQUIRE(claimed.ok());
    CHECK(*claimed);
    // A second sender reading the same row cannot take it again.
    CHECK_FALSE(*f.outbox->claim(due->front(), f.clock.wall_ms() + 60'000));
    auto sent = f.transport.send(due->front().envelope, due->front().content);
    CHECK(sent.outcome == SendOutcome::sent);
    // crash: the process dies here
  }
  f.open();  // restart on the same file
  auto row = f.row("k6");
  CHECK(row.state == EntryState::queued);
  CHECK(row.attempts == 1);
  CHECK(f.round().attempted == 0);  // not before the claimed retry time
  f.clock.advance(60s);
  CHECK(f.round().sent == 1);
  REQUIRE(f.transport.delivered.size() == 2);
  CHECK(f.transport.delivered[0].message == f.transport.delivered[1].message);
  CHECK(header_value(f.transport.delivered[1].message, "Message-ID") == "<" + q->message_id + ">");
  CHECK(f.row("k6").state == EntryState::sent);
}

TEST_CASE("queued mail survives a restart", "[mail][outbox]") {
  Fixture f;
  REQUIRE(f.outbox->enqueue(booking_mail("R-8"), "k8").ok());
  REQUIRE(f.outbox->enqueue(booking_mail("R-9"), "k9").ok());
  f.open();
  auto stats = f.outbox->stats();
  REQUIRE(stats.ok());
  CHECK(stats->queued == 2);
  CHECK(stats->next_due_ms == f.clock.wall_ms());
  CHECK(f.round().sent == 2);
}

TEST_CASE("the outbox is bounded and a refusal writes nothing", "[mail][outbox]") {
  OutboxLimits limits;
  limits.max_queued_rows = 3;
  Fixture f(limits);
  for (int i = 0; i < 3; ++i) REQUIRE(f.outbox->enqueue(booking_mail("R-" + std::to_string(i)), "b" + std::to_string(i)).ok());
  auto full = f.outbox->enqueue(booking_mail("R-3"), "b3");
  REQUIRE_FALSE(full.ok());
  CHECK(full.error().code == Errc::too_large);
  CHECK(f.count("SELECT count(*) FROM mail_outbox") == 3);
  // Sent mail does not count against the queue.
  CHECK(f.round().sent == 3);
  CHECK(f.outbox->enqueue(booking_mail("R-3"), "b3").ok());

  OutboxLimits small;
  small.max_message_bytes = 600;
  Fixture g(small);
  auto m = booking_mail("R-10");
  m.body = std::string(2000, 'x');
  CHECK(g.outbox->enqueue(m, "big").error().code == Errc::too_large);
  OutboxLimits bytes;
  bytes.max_queued_bytes = f.row("b0").size * 3 / 2;  // room for one such mail, not two
  Fixture h(bytes);
  CHECK(h.outbox->enqueue(booking_mail("R-11"), "c1").ok());
  CHECK(h.outbox->enqueue(booking_mail("R-12"), "c2").error().code == Errc::too_large);
  // A bad message is refused and nothing is written.
  CHECK(h.outbox->enqueue(booking_mail("R-13", "not-an-address"), "c3").error().code == Errc::invalid_argument);
  CHECK(h.count("SELECT count(*) FROM mail_outbox") == 1);
}

TEST_CASE("finished rows are purged after the retention time", "[mail][outbox]") {
  Fixture f;
  f.policy.retention = 24h;
  REQUIRE(f.outbox->enqueue(booking_mail("R-20"), "p1").ok());
  CHECK(f.round().sent == 1);
  f.clock.advance(23h);
  f.round();
  CHECK(f.count("SELECT count(*) FROM mail_outbox") == 1);
  f.clock.advance(2h);
  f.round();
  CHECK(f.count("SELECT count(*) FROM mail_outbox") == 0);
  auto listed = f.outbox->list(std::nullopt, 10);
  REQUIRE(listed.ok());
  CHECK(listed->empty());
}
