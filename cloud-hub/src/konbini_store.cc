#include "madoguchi/hub/konbini_store.h"

#include <array>
#include <cstdint>
#include <cstdio>

#include "madoguchi/sqlite/schema.h"

namespace madoguchi::hub {

namespace {

// The issuance database's schema. Append a migration to change it.
//   1: requests and the certificate number sequences.
constexpr const char* kV1 = R"sql(
CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE requests(
  request TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  challenge TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  challenge_expires_ms INTEGER NOT NULL,
  claimed_ms INTEGER NOT NULL DEFAULT 0,
  store_id TEXT NOT NULL, store_name TEXT NOT NULL, prefecture TEXT NOT NULL, kiosk TEXT NOT NULL,
  jpki_serial TEXT NOT NULL DEFAULT '',
  fingerprint TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL DEFAULT '',
  options TEXT NOT NULL DEFAULT '',
  subject TEXT NOT NULL DEFAULT '',
  persons TEXT NOT NULL DEFAULT '',
  number TEXT NOT NULL DEFAULT '',
  fee INTEGER NOT NULL DEFAULT 0,
  age INTEGER NOT NULL DEFAULT -1,
  refusals TEXT NOT NULL DEFAULT '',
  text TEXT NOT NULL DEFAULT '',
  digest TEXT NOT NULL DEFAULT '',
  pdf BLOB,
  pdf_sha256 TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  verification TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX requests_by_time ON requests(created_ms, request);
CREATE INDEX requests_open ON requests(state, claimed_ms) WHERE state IN ('challenged', 'issuing', 'issued');
CREATE UNIQUE INDEX requests_by_number ON requests(number) WHERE number != '';
CREATE INDEX requests_by_pdf ON requests(pdf_sha256) WHERE pdf_sha256 != '';
CREATE TABLE sequences(name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
)sql";

constexpr std::array<sqlite::Migration, 1> kMigrations{{{1, kV1}}};

const sqlite::Schema& konbini_schema() {
  static const sqlite::Schema schema{"konbini", kMigrations, {}, {}};
  return schema;
}

constexpr std::array<std::string_view, 7> kStates{"challenged", "issuing", "issued", "refused", "completed", "cancelled", "expired"};

RequestState state_of(const std::string& s) {
  for (std::size_t i = 0; i < kStates.size(); ++i) {
    if (kStates[i] == s) return static_cast<RequestState>(i);
  }
  return RequestState::cancelled;  // unknown: treated as final, never issued from
}

constexpr const char* kColumns =
    "request, state, challenge, created_ms, updated_ms, challenge_expires_ms, store_id, store_name, prefecture, kiosk, "
    "jpki_serial, fingerprint, kind, options, subject, persons, number, fee, age, refusals, text, digest, pdf_sha256, reason, verification";

IssuanceRow read_row(const sqlite::Stmt& st) {
  IssuanceRow r;
  r.request = st.column_text(0);
  r.state = state_of(st.column_text(1));
  r.challenge = st.column_text(2);
  r.created_ms = st.column_int(3);
  r.updated_ms = st.column_int(4);
  r.challenge_expires_ms = st.column_int(5);
  r.store = {st.column_text(6), st.column_text(7), st.column_text(8), st.column_text(9)};
  r.jpki_serial = st.column_text(10);
  r.fingerprint = st.column_text(11);
  r.kind = st.column_text(12);
  r.options = st.column_text(13);
  r.subject = st.column_text(14);
  r.persons = st.column_text(15);
  r.number = st.column_text(16);
  r.fee_yen = static_cast<std::uint32_t>(st.column_int(17));
  r.age = static_cast<int>(st.column_int(18));
  r.refusals = st.column_text(19);
  r.text = st.column_text(20);
  r.digest = st.column_text(21);
  r.pdf_sha256 = st.column_text(22);
  r.reason = st.column_text(23);
  r.verification = st.column_text(24);
  return r;
}

// Every row of a bound statement through `read`, the statement reset whatever happens.
template <class T, class Read>
Expected<std::vector<T>> collect(sqlite::Stmt& st, Read read) {
  std::vector<T> out;
  for (;;) {
    auto row = st.step();
    if (!row) {
      st.reset();
      return row.error();
    }
    if (!*row) break;
    out.push_back(read(st));
  }
  st.reset();
  return out;
}

}  // namespace

std::string_view request_state_name(RequestState s) noexcept { return kStates[static_cast<std::size_t>(s)]; }

Expected<KonbiniStore> KonbiniStore::open(const std::filesystem::path& path, const std::string& municipality) {
  auto db = sqlite::Db::open(path, {.durability = sqlite::Durability::full});
  if (!db) return db.error();
  if (auto r = sqlite::migrate(*db, konbini_schema()); !r) return r.error();
  if (auto s = sqlite::claim_meta(*db, "municipality", municipality); !s) return s.error();
  KonbiniStore store(std::move(*db));
  return store;
}

Expected<std::optional<IssuanceRow>> KonbiniStore::get_in_tx(const std::string& request) {
  auto st = db_.cached(std::string("SELECT ") + kColumns + " FROM requests WHERE request = ?1");
  if (!st) return st.error();
  auto row = (*st)->bind(1, request).step();
  if (!row) return row.error();
  std::optional<IssuanceRow> out;
  if (*row) out = read_row(**st);
  (*st)->reset();
  return out;
}

Expected<std::optional<IssuanceRow>> KonbiniStore::get(const std::string& request) { return get_in_tx(request); }

namespace {
Expected<std::optional<IssuanceRow>> one_where(sqlite::Db& db, const char* where, const std::string& value) {
  auto st = db.cached(std::string("SELECT ") + kColumns + " FROM requests WHERE " + where + " = ?1 AND " + where + " != '' LIMIT 1");
  if (!st) return st.error();
  auto row = (*st)->bind(1, value).step();
  if (!row) return row.error();
  std::optional<IssuanceRow> out;
  if (*row) out = read_row(**st);
  (*st)->reset();
  return out;
}
}  // namespace

Expected<std::optional<IssuanceRow>> KonbiniStore::by_number(const std::string& number) { return one_where(db_, "number", number); }
Expected<std::optional<IssuanceRow>> KonbiniStore::by_pdf_sha256(const std::string& sha) { return one_where(db_, "pdf_sha256", sha); }

Expected<IssuanceRow> KonbiniStore::challenge(const std::string& request, const StoreInfo& store, const std::string& challenge,
                                              std::int64_t now_ms, std::int64_t ttl_ms) {
  auto tx = sqlite::Tx::begin(db_);
  if (!tx) return tx.error();
  auto cur = get_in_tx(request);
  if (!cur) return cur.error();
  if (*cur) {
    const auto& r = **cur;
    if (r.store.id != store.id || r.store.kiosk != store.kiosk) return Error{Errc::conflict, "request_conflict"};
    if (r.state != RequestState::challenged || r.challenge_expires_ms <= now_ms) return Error{Errc::conflict, "request_used"};
    return r;
  }
  auto ins = db_.cached(
      "INSERT INTO requests(request, state, challenge, created_ms, updated_ms, challenge_expires_ms, store_id, store_name, prefecture, kiosk) "
      "VALUES(?1, 'challenged', ?2, ?3, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!ins) return ins.error();
  if (auto s = (*ins)->bind(1, request).bind(2, challenge).bind(3, now_ms).bind(4, now_ms + ttl_ms).bind(5, store.id)
                   .bind(6, store.name).bind(7, store.prefecture).bind(8, store.kiosk).run();
      !s) {
    return s.error();
  }
  auto after = get_in_tx(request);
  if (!after) return after.error();
  if (auto s = tx->commit(); !s) return s.error();
  return **after;
}

Expected<IssuanceRow> KonbiniStore::claim(const std::string& request, const std::string& fingerprint, const std::string& serial,
                                          const std::string& kind, const std::string& options, std::int64_t now_ms,
                                          std::int64_t stale_ms, bool* won) {
  *won = false;
  auto tx = sqlite::Tx::begin(db_);
  if (!tx) return tx.error();
  auto up = db_.cached(
      "UPDATE requests SET state = 'issuing', fingerprint = ?2, jpki_serial = ?3, kind = ?4, options = ?5, claimed_ms = ?6, updated_ms = ?6 "
      "WHERE request = ?1 AND ((state = 'challenged' AND challenge_expires_ms > ?6) "
      "OR (state = 'issuing' AND fingerprint = ?2 AND claimed_ms <= ?6 - ?7))");
  if (!up) return up.error();
  if (auto s = (*up)->bind(1, request).bind(2, fingerprint).bind(3, serial).bind(4, kind).bind(5, options).bind(6, now_ms)
                   .bind(7, stale_ms).run();
      !s) {
    return s.error();
  }
  *won = db_.changes() == 1;
  auto after = get_in_tx(request);
  if (!after) return after.error();
  if (!*after) return Error{Errc::not_found, "request_unknown"};
  if (auto s = tx->commit(); !s) return s.error();
  return **after;
}

Status KonbiniStore::issued(const std::string& request, const std::string& fingerprint, const IssuedCertificate& c, std::int64_t now_ms) {
  auto tx = sqlite::Tx::begin(db_);
  if (!tx) return tx.error();
  auto up = db_.cached(
      "UPDATE requests SET state = 'issued', subject = ?3, persons = ?4, number = ?5, fee = ?6, age = ?7, text = ?8, digest = ?9, "
      "pdf = ?10, pdf_sha256 = ?11, updated_ms = ?12, jpki_serial = ?13, verification = ?14 WHERE request = ?1 AND state = 'issuing' AND fingerprint = ?2");
  if (!up) return up.error();
  if (auto s = (*up)->bind(1, request).bind(2, fingerprint).bind(3, c.subject).bind(4, c.persons).bind(5, c.number)
                   .bind(6, static_cast<std::int64_t>(c.fee_yen)).bind(7, c.age).bind(8, c.text).bind(9, c.digest).bind_blob(10, c.pdf)
                   .bind(11, c.pdf_sha256).bind(12, now_ms).bind(13, c.jpki_serial).bind(14, c.verification).run();
      !s) {
    return s;
  }
  if (db_.changes() != 1) return Error{Errc::conflict, "request_cancelled"};
  return tx->commit();
}

Status KonbiniStore::refused(const std::string& request, const std::string& fingerprint, const std::string& jpki_serial,
                             const std::string& subject, const std::string& refusals, std::int64_t now_ms) {
  auto tx = sqlite::Tx::begin(db_);
  if (!tx) return tx.error();
  auto up = db_.cached(
      "UPDATE requests SET state = 'refused', subject = ?3, refusals = ?4, updated_ms = ?5, jpki_serial = ?6 "
      "WHERE request = ?1 AND state = 'issuing' AND fingerprint = ?2");
  if (!up) return up.error();
  if (auto s = (*up)->bind(1, request).bind(2, fingerprint).bind(3, subject).bind(4, refusals).bind(5, now_ms).bind(6, jpki_serial).run(); !s) return s;
  if (db_.changes() != 1) return Error{Errc::conflict, "request_cancelled"};
  return tx->commit();
}

Expected<IssuanceRow> KonbiniStore::complete(const std::string& request, std::int64_t now_ms) {
  auto tx = sqlite::Tx::begin(db_);
  if (!tx) return tx.error();
  auto up = db_.cached("UPDATE requests SET state = 'completed', pdf = NULL, updated_ms = ?2 WHERE request = ?1 AND state = 'issued'");
  if (!up) return up.error();
  if (auto s = (*up)->bind(1, request).bind(2, now_ms).run(); !s) return s.error();
  auto after = get_in_tx(request);
  if (!after) return after.error();
  if (!*after) return Error{Errc::not_found, "request_unknown"};
  if (auto s = tx->commit(); !s) return s.error();
  return **after;
}

Expected<IssuanceRow> KonbiniStore::cancel(const std::string& request, const std::string& reason, std::int64_t now_ms) {
  auto tx = sqlite::Tx::begin(db_);
  if (!tx) return tx.error();
  auto up = db_.cached(
      "UPDATE requests SET state = 'cancelled', pdf = NULL, reason = ?2, updated_ms = ?3 "
      "WHERE request = ?1 AND state IN ('challenged', 'issuing', 'issued')");
  if (!up) return up.error();
  if (auto s = (*up)->bind(1, request).bind(2, reason).bind(3, now_ms).run(); !s) return s.error();
  auto after = get_in_tx(request);
  if (!after) return after.error();
  if (!*after) return Error{Errc::not_found, "request_unknown"};
  if (auto s = tx->commit(); !s) return s.error();
  return **after;
}

Expected<std::string> KonbiniStore::pdf(const std::string& request) {
  auto st = db_.cached("SELECT pdf FROM requests WHERE request = ?1 AND state = 'issued'");
  if (!st) return st.error();
  auto row = (*st)->bind(1, request).step();
  if (!row) return row.error();
  std::string out;
  const bool found = *row;
  if (found) out = (*st)->column_blob(0);
  (*st)->reset();
  if (!found) return Error{Errc::not_found, "request_unknown"};
  return out;
}

Expected<std::size_t> KonbiniStore::expire(std::int64_t now_ms, std::int64_t complete_ms) {
  auto tx = sqlite::Tx::begin(db_);
  if (!tx) return tx.error();
  std::size_t n = 0;
  auto a = db_.cached("UPDATE requests SET state = 'expired', updated_ms = ?1 WHERE state = 'challenged' AND challenge_expires_ms <= ?1");
  if (!a) return a.error();
  if (auto s = (*a)->bind(1, now_ms).run(); !s) return s.error();
  n += static_cast<std::size_t>(db_.changes());
  auto b = db_.cached(
      "UPDATE requests SET state = 'cancelled', pdf = NULL, reason = 'timeout', updated_ms = ?1 "
      "WHERE state IN ('issuing', 'issued') AND claimed_ms <= ?1 - ?2");
  if (!b) return b.error();
  if (auto s = (*b)->bind(1, now_ms).bind(2, complete_ms).run(); !s) return s.error();
  n += static_cast<std::size_t>(db_.changes());
  if (auto s = tx->commit(); !s) return s.error();
  return n;
}

Expected<std::string> KonbiniStore::next_number(char letter, int year) {
  const std::string name = std::string(1, letter) + std::to_string(year);
  auto tx = sqlite::Tx::begin(db_);
  if (!tx) return tx.error();
  auto st = db_.cached(
      "INSERT INTO sequences(name, value) VALUES(?1, 1) ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value");
  if (!st) return st.error();
  auto row = (*st)->bind(1, name).step();
  if (!row) return row.error();
  const std::int64_t v = *row ? (*st)->column_int(0) : 0;
  (*st)->reset();
  if (v <= 0) return Error{Errc::db, "certificate number sequence"};
  if (auto c = tx->commit(); !c) return c.error();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s-%07lld", name.c_str(), static_cast<long long>(v));
  return std::string(buf);
}

Expected<std::vector<IssuanceRow>> KonbiniStore::list(std::int64_t from_ms, std::int64_t to_ms, const std::string& before, std::size_t max) {
  std::int64_t before_ms = INT64_MAX;
  std::string before_key;
  if (!before.empty()) {
    auto b = get_in_tx(before);
    if (!b) return b.error();
    if (*b) {
      before_ms = (*b)->created_ms;
      before_key = before;
    }
  }
  auto st = db_.cached(std::string("SELECT ") + kColumns +
                       " FROM requests WHERE created_ms >= ?1 AND created_ms < ?2 AND (created_ms < ?3 OR (created_ms = ?3 AND request < ?4)) "
                       "ORDER BY created_ms DESC, request DESC LIMIT ?5");
  if (!st) return st.error();
  (*st)->bind(1, from_ms).bind(2, to_ms).bind(3, before_ms).bind(4, before_key).bind(5, static_cast<std::int64_t>(max));
  return collect<IssuanceRow>(**st, read_row);
}

Expected<std::vector<KonbiniStore::Tally>> KonbiniStore::tallies(std::int64_t from_ms, std::int64_t to_ms, std::size_t max) {
  auto st = db_.cached(
      "SELECT state, kind, prefecture, store_id, store_name, age, created_ms, fee FROM requests "
      "WHERE created_ms >= ?1 AND created_ms < ?2 ORDER BY created_ms LIMIT ?3");
  if (!st) return st.error();
  (*st)->bind(1, from_ms).bind(2, to_ms).bind(3, static_cast<std::int64_t>(max));
  return collect<Tally>(**st, [](const sqlite::Stmt& r) {
    return Tally{r.column_text(0), r.column_text(1), r.column_text(2), r.column_text(3), r.column_text(4),
                 static_cast<int>(r.column_int(5)), r.column_int(6), static_cast<std::uint32_t>(r.column_int(7))};
  });
}

}  // namespace madoguchi::hub
