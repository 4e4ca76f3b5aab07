#include "madoguchi/mail/outbox.h"

#include <algorithm>
#include <array>
#include <cstdio>

namespace madoguchi::mail {

namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS mail_outbox(
  id INTEGER PRIMARY KEY,
  idem_key TEXT NOT NULL UNIQUE,
  message_id TEXT NOT NULL,
  mail_from TEXT NOT NULL,
  rcpt_to TEXT NOT NULL,            -- addresses, one per line; emptied once sent
  rcpt_masked TEXT NOT NULL,        -- what the operator sees
  content TEXT NOT NULL,            -- the composed message; emptied once sent
  size INTEGER NOT NULL,
  state TEXT NOT NULL CHECK(state IN ('queued','sent','failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  next_attempt_ms INTEGER NOT NULL,
  done_ms INTEGER,
  last_smtp_code INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS mail_outbox_due ON mail_outbox(state, next_attempt_ms);
)sql";

constexpr std::array<sqlite::Migration, 1> kOutboxOnly{{{1, kSchema}}};

constexpr std::size_t kMaxReasonBytes = 300;

Status check_key(std::string_view key) {
  if (key.empty() || key.size() > 128) return Error{Errc::invalid_argument, "idempotency key must be 1..128 characters"};
  for (char c : key) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7E) return Error{Errc::invalid_argument, "idempotency key: printable ASCII without spaces only"};
  }
  return {};
}

std::string bounded_reason(std::string_view reason) {
  std::string r = scrub_addresses(reason);
  if (r.size() > kMaxReasonBytes) r.resize(kMaxReasonBytes);
  return r;
}

EntryState parse_state(const std::string& s) {
  if (s == "sent") return EntryState::sent;
  if (s == "failed") return EntryState::failed;
  return EntryState::queued;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < s.size()) {
    auto nl = s.find('\n', start);
    if (nl == std::string::npos) nl = s.size();
    out.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

constexpr std::string_view kRowColumns =
    "id, state, message_id, rcpt_masked, size, attempts, created_ms, next_attempt_ms, done_ms, last_smtp_code, last_error";

OutboxRow read_row(const sqlite::Stmt& st) {
  OutboxRow r;
  r.id = st.column_int(0);
  r.state = parse_state(st.column_text(1));
  r.message_id = st.column_text(2);
  r.recipients_masked = st.column_text(3);
  r.size = st.column_int(4);
  r.attempts = static_cast<int>(st.column_int(5));
  r.created_ms = st.column_int(6);
  r.next_attempt_ms = st.column_int(7);
  if (!st.column_is_null(8)) r.done_ms = st.column_int(8);
  r.last_smtp_code = static_cast<int>(st.column_int(9));
  r.last_error = st.column_text(10);
  return r;
}

}  // namespace

std::string_view entry_state_name(EntryState state) {
  switch (state) {
    case EntryState::queued: return "queued";
    case EntryState::sent: return "sent";
    case EntryState::failed: return "failed";
  }
  return "queued";
}

std::string_view outbox_tables_sql() noexcept { return kSchema; }

const sqlite::Schema& outbox_only_schema() {
  static const sqlite::Schema schema{"mail outbox", kOutboxOnly, {}, {}};
  return schema;
}

MailOutbox::MailOutbox(sqlite::Db& db, const Clock& clock, OutboxLimits limits)
    : db_(&db), clock_(&clock), limits_(limits), random_(std::random_device{}()) {}

Expected<MailOutbox> MailOutbox::attach(sqlite::Db& db, const Clock& clock, OutboxLimits limits) {
  if (limits.max_queued_rows <= 0 || limits.max_queued_bytes <= 0 || limits.max_message_bytes == 0)
    return Error{Errc::invalid_argument, "mail outbox limits must be positive"};
  auto st = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'mail_outbox'");
  if (!st) return st.error();
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) {
    return Error{Errc::invalid_argument, db.path().string() + " has no mail_outbox table: its schema must include outbox_tables_sql()"};
  }
  return MailOutbox(db, clock, limits);
}

Expected<EnqueueResult> MailOutbox::enqueue(Message message, std::string_view key) {
  auto tx = sqlite::Tx::begin(*db_);
  if (!tx) return tx.error();
  auto r = enqueue_locked(std::move(message), key);
  if (!r) return r;  // the Tx rolls back
  if (auto s = tx->commit(); !s) return s.error();
  return r;
}

Expected<EnqueueResult> MailOutbox::enqueue(const sqlite::Tx&, Message message, std::string_view key) {
  return enqueue_locked(std::move(message), key);
}

Expected<EnqueueResult> MailOutbox::enqueue_locked(Message message, std::string_view key) {
  if (auto s = check_key(key); !s) return s.error();
  {
    auto st = db_->cached("SELECT id, message_id FROM mail_outbox WHERE idem_key = ?");
    if (!st) return st.error();
    (*st)->bind(1, key);
    auto row = (*st)->step();
    if (!row) return row.error();
    if (*row) {
      EnqueueResult r{(*st)->column_int(0), false, (*st)->column_text(1)};
      (*st)->reset();
      return r;
    }
    (*st)->reset();
  }
  std::int64_t now = clock_->wall_ms();
  message.date_ms = now;
  if (message.message_id.empty()) {
    // Unique without coordination: time, 64 random bits, the sender's domain. No personal data.
    auto at = message.from.address.rfind('@');
    std::string domain = at == std::string::npos ? "invalid" : message.from.address.substr(at + 1);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(random_()));
    message.message_id = std::to_string(now) + "." + buf + "@" + domain;
  }
  auto content = compose(message, limits_.compose);
  if (!content) return content.error();
  if (content->size() > limits_.max_message_bytes)
    return Error{Errc::too_large, "composed mail over " + std::to_string(limits_.max_message_bytes) + " bytes"};

  {
    auto st = db_->cached("SELECT count(*), coalesce(sum(size), 0) FROM mail_outbox WHERE state = 'queued'");
    if (!st) return st.error();
    auto row = (*st)->step();
    if (!row) return row.error();
    std::int64_t rows = (*st)->column_int(0);
    std::int64_t bytes = (*st)->column_int(1);
    (*st)->reset();
    if (rows + 1 > limits_.max_queued_rows)
      return Error{Errc::too_large, "mail outbox full (" + std::to_string(rows) + " queued messages)"};
    if (bytes + static_cast<std::int64_t>(content->size()) > limits_.max_queued_bytes)
      return Error{Errc::too_large, "mail outbox full (" + std::to_string(bytes) + " queued bytes)"};
  }

  std::string rcpt, masked;
  for (const auto& box : message.to) {
    if (!rcpt.empty()) {
      rcpt += '\n';
      masked += ", ";
    }
    rcpt += box.address;
    masked += mask_address(box.address);
  }
  auto st = db_->cached(
      "INSERT INTO mail_outbox(idem_key, message_id, mail_from, rcpt_to, rcpt_masked, content, size, state,"
      " attempts, created_ms, next_attempt_ms) VALUES(?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?)");
  if (!st) return st.error();
  (*st)->bind(1, key).bind(2, message.message_id).bind(3, message.from.address).bind(4, rcpt).bind(5, masked)
      .bind(6, *content).bind(7, static_cast<std::int64_t>(content->size())).bind(8, now).bind(9, now);
  if (auto s = (*st)->run(); !s) return s.error();
  return EnqueueResult{db_->last_insert_rowid(), true, message.message_id};
}

Expected<std::vector<OutboxEntry>> MailOutbox::due(std::int64_t now_ms, std::size_t limit) {
  auto st = db_->cached(
      "SELECT id, message_id, mail_from, rcpt_to, content, attempts, created_ms, next_attempt_ms FROM mail_outbox"
      " WHERE state = 'queued' AND next_attempt_ms <= ? ORDER BY next_attempt_ms, id LIMIT ?");
  if (!st) return st.error();
  (*st)->bind(1, now_ms).bind(2, static_cast<std::int64_t>(limit));
  std::vector<OutboxEntry> out;
  for (;;) {
    auto row = (*st)->step();
    if (!row) return row.error();
    if (!*row) break;
    OutboxEntry e;
    e.id = (*st)->column_int(0);
    e.message_id = (*st)->column_text(1);
    e.envelope.mail_from = (*st)->column_text(2);
    e.envelope.rcpt_to = split_lines((*st)->column_text(3));
    e.content = (*st)->column_text(4);
    e.attempts = static_cast<int>((*st)->column_int(5));
    e.created_ms = (*st)->column_int(6);
    e.next_attempt_ms = (*st)->column_int(7);
    out.push_back(std::move(e));
  }
  (*st)->reset();
  return out;
}

Expected<bool> MailOutbox::claim(const OutboxEntry& entry, std::int64_t retry_at_ms) {
  auto tx = sqlite::Tx::begin(*db_);
  if (!tx) return tx.error();
  auto st = db_->cached(
      "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_ms = ?"
      " WHERE id = ? AND state = 'queued' AND attempts = ?");
  if (!st) return st.error();
  (*st)->bind(1, retry_at_ms).bind(2, entry.id).bind(3, entry.attempts);
  if (auto s = (*st)->run(); !s) return s.error();
  bool taken = db_->changes() == 1;
  if (auto s = tx->commit(); !s) return s.error();
  return taken;
}

Status MailOutbox::mark_sent(std::int64_t id, int smtp_code, std::int64_t now_ms) {
  auto tx = sqlite::Tx::begin(*db_);
  if (!tx) return tx.error();
  // The content and the addresses are not needed any more: keep no personal data longer than the
  // queue needs it. The row (key, Message-ID, masked recipients) stays until purged.
  auto st = db_->cached(
      "UPDATE mail_outbox SET state = 'sent', done_ms = ?, last_smtp_code = ?, last_error = '', content = '',"
      " rcpt_to = '' WHERE id = ? AND state = 'queued'");
  if (!st) return st.error();
  (*st)->bind(1, now_ms).bind(2, smtp_code).bind(3, id);
  if (auto s = (*st)->run(); !s) return s;
  return tx->commit();
}

Status MailOutbox::record_failure(std::int64_t id, int smtp_code, std::string_view reason) {
  auto tx = sqlite::Tx::begin(*db_);
  if (!tx) return tx.error();
  auto st = db_->cached("UPDATE mail_outbox SET last_smtp_code = ?, last_error = ? WHERE id = ? AND state = 'queued'");
  if (!st) return st.error();
  (*st)->bind(1, smtp_code).bind(2, bounded_reason(reason)).bind(3, id);
  if (auto s = (*st)->run(); !s) return s;
  return tx->commit();
}

Status MailOutbox::mark_failed(std::int64_t id, int smtp_code, std::string_view reason, std::int64_t now_ms) {
  auto tx = sqlite::Tx::begin(*db_);
  if (!tx) return tx.error();
  // The content stays so an operator can read what was not delivered (and requeue it by hand).
  auto st = db_->cached(
      "UPDATE mail_outbox SET state = 'failed', done_ms = ?, last_smtp_code = ?, last_error = ?"
      " WHERE id = ? AND state = 'queued'");
  if (!st) return st.error();
  (*st)->bind(1, now_ms).bind(2, smtp_code).bind(3, bounded_reason(reason)).bind(4, id);
  if (auto s = (*st)->run(); !s) return s;
  return tx->commit();
}

Expected<OutboxStats> MailOutbox::stats() {
  auto st = db_->cached(
      "SELECT (SELECT count(*) FROM mail_outbox WHERE state = 'queued'),"
      " (SELECT count(*) FROM mail_outbox WHERE state = 'sent'),"
      " (SELECT count(*) FROM mail_outbox WHERE state = 'failed'),"
      " (SELECT coalesce(sum(size), 0) FROM mail_outbox WHERE state = 'queued'),"
      " (SELECT min(created_ms) FROM mail_outbox WHERE state = 'queued'),"
      " (SELECT min(next_attempt_ms) FROM mail_outbox WHERE state = 'queued')");
  if (!st) return st.error();
  auto row = (*st)->step();
  if (!row) return row.error();
  OutboxStats s;
  s.queued = (*st)->column_int(0);
  s.sent = (*st)->column_int(1);
  s.failed = (*st)->column_int(2);
  s.queued_bytes = (*st)->column_int(3);
  if (!(*st)->column_is_null(4)) s.oldest_queued_created_ms = (*st)->column_int(4);
  if (!(*st)->column_is_null(5)) s.next_due_ms = (*st)->column_int(5);
  (*st)->reset();
  return s;
}

Expected<std::vector<OutboxRow>> MailOutbox::list(std::optional<EntryState> state, std::size_t limit) {
  std::string sql = "SELECT " + std::string(kRowColumns) + " FROM mail_outbox";
  if (state) sql += " WHERE state = ?";
  sql += " ORDER BY id LIMIT ?";
  auto st = db_->cached(sql);
  if (!st) return st.error();
  int i = 1;
  if (state) (*st)->bind(i++, entry_state_name(*state));
  (*st)->bind(i, static_cast<std::int64_t>(limit));
  std::vector<OutboxRow> out;
  for (;;) {
    auto row = (*st)->step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back(read_row(**st));
  }
  (*st)->reset();
  return out;
}

Expected<std::optional<OutboxRow>> MailOutbox::find(std::string_view key) {
  auto st = db_->cached("SELECT " + std::string(kRowColumns) + " FROM mail_outbox WHERE idem_key = ?");
  if (!st) return st.error();
  (*st)->bind(1, key);
  auto row = (*st)->step();
  if (!row) return row.error();
  std::optional<OutboxRow> out;
  if (*row) out = read_row(**st);
  (*st)->reset();
  return out;
}

Expected<int> MailOutbox::purge(std::int64_t before_ms) {
  auto tx = sqlite::Tx::begin(*db_);
  if (!tx) return tx.error();
  auto st = db_->cached("DELETE FROM mail_outbox WHERE state IN ('sent', 'failed') AND done_ms < ?");
  if (!st) return st.error();
  (*st)->bind(1, before_ms);
  if (auto s = (*st)->run(); !s) return s.error();
  int n = db_->changes();
  if (auto s = tx->commit(); !s) return s.error();
  return n;
}

// ---------------------------------------------------------------------------------------------

MailSender::MailSender(MailOutbox& outbox, MailTransport& transport, LogSink log, RetryPolicy policy,
                       std::function<double()> random01)
    : outbox_(&outbox), transport_(&transport), log_(std::move(log)), policy_(policy), random01_(std::move(random01)) {
  if (!log_) log_ = null_log();
  if (!random01_) {
    auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
    random01_ = [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
  }
}

std::chrono::milliseconds MailSender::backoff(int attempts) {
  using std::chrono::milliseconds;
  std::int64_t base = policy_.initial_backoff.count();
  for (int i = 1; i < attempts && base < policy_.max_backoff.count(); ++i) base *= 2;
  base = std::min<std::int64_t>(base, policy_.max_backoff.count());
  double r = std::clamp(random01_(), 0.0, 1.0);
  auto delay = static_cast<std::int64_t>(static_cast<double>(base) * (0.5 + 0.5 * r));
  return milliseconds(std::max<std::int64_t>(delay, 1));
}

Expected<SendRound> MailSender::run_once(std::size_t batch) {
  const Clock& clock = outbox_->clock();
  SendRound round;
  auto entries = outbox_->due(clock.wall_ms(), batch);
  if (!entries) return entries.error();
  for (const auto& e : *entries) {
    std::int64_t now = clock.wall_ms();
    auto taken = outbox_->claim(e, now + backoff(e.attempts + 1).count());
    if (!taken) return taken.error();
    if (!*taken) continue;
    ++round.attempted;
    std::string what = "mail " + std::to_string(e.id) + " <" + e.message_id + "> attempt " + std::to_string(e.attempts + 1);
    SendResult result = transport_->send(e.envelope, e.content);
    now = clock.wall_ms();
    if (result.outcome == SendOutcome::sent) {
      if (auto s = outbox_->mark_sent(e.id, result.smtp_code, now); !s) return s.error();
      ++round.sent;
      log_(LogLevel::info, what + ": sent to " + std::to_string(e.envelope.rcpt_to.size()) + " recipient(s)");
      continue;
    }
    std::string reason = bounded_reason(result.reason);
    bool permanent = result.outcome == SendOutcome::permanent;
    auto limit = permanent ? policy_.permanent_grace : policy_.give_up_after;
    if (now - e.created_ms >= limit.count()) {
      std::string why = (permanent ? "refused by the relay: " : "gave up after " + std::to_string(limit.count() / 1000) + " s: ") + reason;
      if (auto s = outbox_->mark_failed(e.id, result.smtp_code, why, now); !s) return s.error();
      ++round.failed;
      log_(LogLevel::error, what + ": failed for good: " + why);
    } else {
      if (auto s = outbox_->record_failure(e.id, result.smtp_code, reason); !s) return s.error();
      ++round.retried;
      log_(LogLevel::warning, what + (permanent ? ": refused (retried within the grace period): " : ": not sent, retried later: ") + reason);
    }
  }
  if (auto purged = outbox_->purge(clock.wall_ms() - policy_.retention.count()); !purged) return purged.error();
  return round;
}

}  // namespace madoguchi::mail
