#include "madoguchi/sqlite/sqlite.h"

#include <sqlite3.h>

#include <limits>

namespace madoguchi::sqlite {

namespace {
Error db_error(sqlite3* db, std::string_view what) {
  std::string m(what);
  m += ": ";
  m += db ? sqlite3_errmsg(db) : "out of memory";
  return Error{Errc::db, std::move(m)};
}
}  // namespace

Expected<Db> Db::open(const std::filesystem::path& path, const OpenOptions& options) {
  sqlite3* raw = nullptr;
  int flags = options.read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  flags |= SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Db db(raw, path);
  if (rc != SQLITE_OK) return db_error(raw, "opening " + path.string());
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  sqlite3_extended_result_codes(raw, 1);
  if (!options.read_only) {
    auto st = db.prepare("PRAGMA journal_mode=WAL");
    if (!st) return st.error();
    auto row = st->step();
    if (!row) return row.error();
    std::string mode = *row ? st->column_text(0) : "";
    if (mode != "wal") return Error{Errc::db, path.string() + ": could not switch to WAL mode (got '" + mode + "')"};
  }
  std::string pragmas = "PRAGMA foreign_keys=ON; PRAGMA synchronous=";
  pragmas += options.durability == Durability::full ? "FULL" : "NORMAL";
  pragmas += "; PRAGMA wal_autocheckpoint=" + std::to_string(options.wal_autocheckpoint_pages);
  pragmas += "; PRAGMA journal_size_limit=" + std::to_string(options.journal_size_limit);
  pragmas += "; PRAGMA mmap_size=" + std::to_string(options.mmap_bytes);
  pragmas += "; PRAGMA cache_size=-" + std::to_string(options.cache_kib);
  if (auto s = db.exec(pragmas); !s) return s.error();
  return db;
}

Db::Db(Db&& o) noexcept : db_(o.db_), path_(std::move(o.path_)), cache_(std::move(o.cache_)) { o.db_ = nullptr; }
Db& Db::operator=(Db&& o) noexcept {
  if (this != &o) {
    cache_.reset();
    if (db_) sqlite3_close_v2(db_);
    db_ = o.db_;
    path_ = std::move(o.path_);
    cache_ = std::move(o.cache_);
    o.db_ = nullptr;
  }
  return *this;
}
Db::~Db() {
  cache_.reset();  // statements are finalized before the connection closes
  if (db_) sqlite3_close_v2(db_);
}

Expected<Stmt*> Db::cached(std::string_view sql) {
  if (!cache_) cache_ = std::make_unique<StmtCache>();
  auto it = cache_->find(sql);
  if (it != cache_->end()) {
    it->second->reset();
    return it->second.get();
  }
  auto st = prepare(sql);
  if (!st) return st.error();
  auto owned = std::make_unique<Stmt>(std::move(*st));
  Stmt* raw = owned.get();
  cache_->emplace(std::string(sql), std::move(owned));
  return raw;
}

std::uint64_t Db::cached_reprepares() const {
  std::uint64_t n = 0;
  if (!cache_) return 0;
  for (const auto& [sql, st] : *cache_) {
    n += static_cast<std::uint64_t>(sqlite3_stmt_status(st->stmt_, SQLITE_STMTSTATUS_REPREPARE, 0));
  }
  return n;
}

Status Db::exec(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string m = err ? err : "unknown error";
    sqlite3_free(err);
    return Error{Errc::db, "exec: " + m};
  }
  return {};
}

Expected<Stmt> Db::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return db_error(db_, "prepare");
  return Stmt(stmt, db_);
}

std::int64_t Db::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
int Db::changes() const { return sqlite3_changes(db_); }

Status Db::checkpoint_truncate() {
  int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY) return db_error(db_, "checkpoint");
  return {};
}

Stmt::Stmt(Stmt&& o) noexcept : stmt_(o.stmt_), db_(o.db_), bind_error_(o.bind_error_) { o.stmt_ = nullptr; }
Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    if (stmt_) sqlite3_finalize(stmt_);
    stmt_ = o.stmt_;
    db_ = o.db_;
    bind_error_ = o.bind_error_;
    o.stmt_ = nullptr;
  }
  return *this;
}
Stmt::~Stmt() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Stmt& Stmt::bind(int index, std::int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Stmt& Stmt::bind(int index, std::uint64_t value) {
  // SQLite integers are signed 64-bit; our sequences never approach 2^63.
  if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    bind_error_ = SQLITE_RANGE;
    return *this;
  }
  return bind(index, static_cast<std::int64_t>(value));
}

Stmt& Stmt::bind(int index, std::string_view text) {
  int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Stmt& Stmt::bind_blob(int index, std::string_view bytes) {
  int rc = sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Stmt& Stmt::bind_null(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Expected<bool> Stmt::step() {
  if (bind_error_ != 0) {
    int rc = bind_error_;
    bind_error_ = 0;
    reset();
    return Error{Errc::db, std::string("bind: ") + sqlite3_errstr(rc)};
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error e = db_error(db_, "step");
  sqlite3_reset(stmt_);
  return e;
}

Status Stmt::run() {
  while (true) {
    auto r = step();
    if (!r) return r.error();
    if (!*r) break;
  }
  reset();
  return {};
}

void Stmt::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = 0;
}

std::int64_t Stmt::column_int(int index) const { return sqlite3_column_int64(stmt_, index); }
std::uint64_t Stmt::column_u64(int index) const {
  auto v = sqlite3_column_int64(stmt_, index);
  return v < 0 ? 0 : static_cast<std::uint64_t>(v);
}
std::string Stmt::column_blob(int index) const {
  const void* p = sqlite3_column_blob(stmt_, index);
  int n = sqlite3_column_bytes(stmt_, index);
  if (!p) return {};
  return std::string(static_cast<const char*>(p), static_cast<std::size_t>(n));
}

std::string Stmt::column_text(int index) const {
  const auto* p = sqlite3_column_text(stmt_, index);
  int n = sqlite3_column_bytes(stmt_, index);
  if (!p) return {};
  return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
}
bool Stmt::column_is_null(int index) const { return sqlite3_column_type(stmt_, index) == SQLITE_NULL; }

Expected<Tx> Tx::begin(Db& db) {
  if (auto s = db.exec("BEGIN IMMEDIATE"); !s) return s.error().with_context("begin");
  return Tx(&db);
}

Tx::~Tx() {
  if (db_) (void)db_->exec("ROLLBACK");
}

Status Tx::commit() {
  if (!db_) return Error{Errc::internal, "commit of a finished transaction"};
  auto s = db_->exec("COMMIT");
  if (!s) return s.error().with_context("commit");  // destructor rolls back
  db_ = nullptr;
  return {};
}

}  // namespace madoguchi::sqlite
