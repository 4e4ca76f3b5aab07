// The durable mail outbox (RSV-10, RSV-12, RSV-13, RSV-14): mails are composed and written to
// SQLite (WAL, synchronous=FULL, BEGIN IMMEDIATE) in the caller's transaction or their own; the
// MailSender hands due ones to a MailTransport and records the outcome. A relay outage delays
// mail and loses none: a message leaves the queue only as `sent` or, after the configured time,
// as `failed` with its reason.
//
// Delivery is at least once. The sender claims a message (attempts + 1, next attempt moved to
// the backoff time) in a committed transaction BEFORE it talks to the relay, and marks it sent
// after. A crash between the relay's 250 and that mark sends the message again at the next
// attempt time, with the same bytes and the same Message-ID, by which receivers dedupe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/error.h"
#include "madoguchi/log.h"
#include "madoguchi/mail/message.h"
#include "madoguchi/mail/transport.h"
#include "madoguchi/sqlite/schema.h"
#include "madoguchi/sqlite/sqlite.h"
#include "madoguchi/transport.h"

namespace madoguchi::mail {

struct OutboxLimits {
  std::int64_t max_queued_rows = 10'000;                 // messages waiting (queued)
  std::int64_t max_queued_bytes = 64LL * 1024 * 1024;    // their composed bytes together
  std::size_t max_message_bytes = 256 * 1024;            // one composed message
  ComposeLimits compose;                                 // body bound (64 KiB by default)
};

enum class EntryState { queued, sent, failed };
std::string_view entry_state_name(EntryState state);

struct EnqueueResult {
  std::int64_t id = 0;
  bool created = false;     // false: the idempotency key was known; nothing was written
  std::string message_id;   // without angle brackets
};

// A queued message as the sender needs it.
struct OutboxEntry {
  std::int64_t id = 0;
  std::string message_id;
  Envelope envelope;
  std::string content;      // the composed message
  int attempts = 0;
  std::int64_t created_ms = 0;
  std::int64_t next_attempt_ms = 0;
};

// A row as the operator sees it: addresses masked, no content.
struct OutboxRow {
  std::int64_t id = 0;
  EntryState state = EntryState::queued;
  std::string message_id;
  std::string recipients_masked;
  std::int64_t size = 0;
  int attempts = 0;
  std::int64_t created_ms = 0;
  std::int64_t next_attempt_ms = 0;
  std::optional<std::int64_t> done_ms;
  int last_smtp_code = 0;
  std::string last_error;
};

struct OutboxStats {
  std::int64_t queued = 0, sent = 0, failed = 0;
  std::int64_t queued_bytes = 0;
  std::optional<std::int64_t> oldest_queued_created_ms;
  std::optional<std::int64_t> next_due_ms;
};

// The table mail_outbox and its index, for the schema of whichever database holds the outbox
// (a migration's SQL, drivers/sqlite/schema.h). The hub's mail database includes it (hub_mail.cc).
std::string_view outbox_tables_sql() noexcept;
// The schema of a database that holds the outbox alone (tests, tools): version 1 is
// outbox_tables_sql().
const sqlite::Schema& outbox_only_schema();

class MailOutbox {
 public:
  // The outbox in `db`, whose schema includes outbox_tables_sql() (Errc::invalid_argument when
  // the table is missing). `db` (opened with Durability::full) and
  // `clock` must outlive the outbox; the outbox uses the caller's connection so a booking and its
  // mail commit together.
  static Expected<MailOutbox> attach(sqlite::Db& db, const Clock& clock, OutboxLimits limits = {});

  // Composes and queues `message` under `key` (1..128 printable ASCII characters, e.g.
  // "booking:R-000123:confirm"), in a BEGIN IMMEDIATE transaction of its own. Date and, when
  // empty, Message-ID are filled here. A known key returns the first entry and writes nothing.
  // Refusals (bad message, outbox full) change nothing.
  Expected<EnqueueResult> enqueue(Message message, std::string_view key);
  // The same inside the caller's open transaction on the same Db (the Tx is the proof of it).
  Expected<EnqueueResult> enqueue(const sqlite::Tx& caller_tx, Message message, std::string_view key);

  // Queued messages whose next attempt is due at `now_ms`, oldest due first.
  Expected<std::vector<OutboxEntry>> due(std::int64_t now_ms, std::size_t limit);
  // Takes a due entry for one attempt: attempts + 1 and next attempt at `retry_at_ms`, committed.
  // Returns false when the entry is no longer queued with the attempt count the caller read.
  Expected<bool> claim(const OutboxEntry& entry, std::int64_t retry_at_ms);
  Status mark_sent(std::int64_t id, int smtp_code, std::int64_t now_ms);
  // Keeps the entry queued for the attempt `claim` scheduled; records why this one failed.
  Status record_failure(std::int64_t id, int smtp_code, std::string_view reason);
  Status mark_failed(std::int64_t id, int smtp_code, std::string_view reason, std::int64_t now_ms);

  Expected<OutboxStats> stats();
  Expected<std::vector<OutboxRow>> list(std::optional<EntryState> state, std::size_t limit);
  Expected<std::optional<OutboxRow>> find(std::string_view key);
  // Deletes sent and failed rows finished before `before_ms` (their keys are then forgotten).
  Expected<int> purge(std::int64_t before_ms);

  const Clock& clock() const { return *clock_; }

 private:
  MailOutbox(sqlite::Db& db, const Clock& clock, OutboxLimits limits);
  Expected<EnqueueResult> enqueue_locked(Message message, std::string_view key);
  sqlite::Db* db_;
  const Clock* clock_;
  OutboxLimits limits_;
  std::mt19937_64 random_;
};

struct RetryPolicy {
  std::chrono::milliseconds initial_backoff{60'000};       // after the first failed attempt
  std::chrono::milliseconds max_backoff{3'600'000};        // doubling stops here
  // Temporary failures (no connection, 4xx) are retried until the message is this old.
  std::chrono::milliseconds give_up_after{72LL * 3'600'000};
  // Permanent failures (5xx) are retried until the message is this old, so a relay refusing
  // everything for a configuration mistake (relay access denied, AUTH) delays mail instead of
  // dropping it; 0 gives up at the first 5xx.
  std::chrono::milliseconds permanent_grace{24LL * 3'600'000};
  // Sent and failed rows are kept this long (idempotency keys are remembered as long).
  std::chrono::milliseconds retention{30LL * 24 * 3'600'000};
};

struct SendRound {
  int attempted = 0, sent = 0, retried = 0, failed = 0;
};

class MailSender {
 public:
  // random01 returns a number in [0, 1) for the jitter; empty: a seeded std::mt19937_64.
  MailSender(MailOutbox& outbox, MailTransport& transport, LogSink log, RetryPolicy policy = {},
             std::function<double()> random01 = {});

  // Sends every due message (at most `batch`), one after the other; purges old finished rows.
  Expected<SendRound> run_once(std::size_t batch = 50);
  // Delay before the next attempt after `attempts` attempts: min(max, initial * 2^(attempts-1)),
  // scaled by a jitter factor in [0.5, 1).
  std::chrono::milliseconds backoff(int attempts);

 private:
  MailOutbox* outbox_;
  MailTransport* transport_;
  LogSink log_;
  RetryPolicy policy_;
  std::function<double()> random01_;
};

}  // namespace madoguchi::mail
