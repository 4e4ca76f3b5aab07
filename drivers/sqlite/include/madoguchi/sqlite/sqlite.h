// A thin RAII layer over SQLite: prepared statements only, errors as madoguchi::Error (Errc::db),
// writes in BEGIN IMMEDIATE transactions. Not thread-safe: one Db per thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <memory>
#include <unordered_map>

#include "madoguchi/error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace madoguchi::sqlite {

enum class Durability {
  full,    // synchronous=FULL: a committed transaction survives a power cut (outbox, hub data)
  normal,  // synchronous=NORMAL: survives a process crash; may lose the last commits on power loss
};

struct OpenOptions {
  Durability durability = Durability::full;
  // WAL pages after which a commit triggers a passive checkpoint (bounds the WAL file).
  int wal_autocheckpoint_pages = 1000;
  // Journal size limit applied after checkpoints, in bytes (WAL file truncated back to this).
  std::int64_t journal_size_limit = 16 * 1024 * 1024;
  int busy_timeout_ms = 5000;
  bool read_only = false;
  // Reads of the database file through a memory map of up to this many bytes (PRAGMA mmap_size):
  // no read system call per page. Pages stay the kernel's page cache (shared, reclaimable); 0 = off.
  std::int64_t mmap_bytes = 256LL * 1024 * 1024;
  // This connection's page cache (PRAGMA cache_size, in KiB; SQLite's default is 2 MiB).
  std::int64_t cache_kib = 8 * 1024;
};

class Stmt;

class Db {
 public:
  // Opens (creating if needed) a database in WAL mode with the given durability.
  static Expected<Db> open(const std::filesystem::path& path, const OpenOptions& options = {});
  Db(Db&&) noexcept;
  Db& operator=(Db&&) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  // Runs SQL without parameters (schema, pragmas). Never use it with outside input.
  Status exec(std::string_view sql);
  Expected<Stmt> prepare(std::string_view sql);
  // A prepared statement kept for the life of the Db, reset and ready to bind. For hot paths.
  // The pointer stays valid until the Db is destroyed (not across moves of the Db).
  Expected<Stmt*> cached(std::string_view sql);
  // How often SQLite has compiled the cached statements again since they were prepared (a
  // schema change, or a bound value the planner looked at, e.g. against a partial index's WHERE).
  // A hot statement compiled again on every run costs more than the query: tests keep this at 0.
  std::uint64_t cached_reprepares() const;

  std::int64_t last_insert_rowid() const;
  int changes() const;
  // Truncating checkpoint: shrinks the WAL file (used at idle and after big replays).
  Status checkpoint_truncate();
  sqlite3* handle() const { return db_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  Db(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
  // Looked up by the SQL text without copying it (heterogeneous lookup).
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view sql) const noexcept { return std::hash<std::string_view>{}(sql); }
  };
  using StmtCache = std::unordered_map<std::string, std::unique_ptr<Stmt>, SqlHash, std::equal_to<>>;
  std::unique_ptr<StmtCache> cache_;
};

// A prepared statement. Bind indices start at 1. reset() clears bindings' use for re-execution.
class Stmt {
 public:
  Stmt(Stmt&&) noexcept;
  Stmt& operator=(Stmt&&) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  Stmt& bind(int index, std::int64_t value);
  Stmt& bind(int index, std::uint64_t value);
  Stmt& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Stmt& bind(int index, bool value) { return bind(index, static_cast<std::int64_t>(value ? 1 : 0)); }
  Stmt& bind(int index, std::string_view text);
  Stmt& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  Stmt& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Stmt& bind_null(int index);
  // Bytes as a BLOB (a PDF, an image): never interpreted as text.
  Stmt& bind_blob(int index, std::string_view bytes);

  // Advances: true when a row is available, false when done. A bind error surfaces here.
  Expected<bool> step();
  // Runs to completion, ignoring rows (INSERT/UPDATE/DELETE). Resets afterwards.
  Status run();
  void reset();

  std::int64_t column_int(int index) const;
  std::uint64_t column_u64(int index) const;
  std::string column_text(int index) const;
  std::string column_blob(int index) const;
  bool column_is_null(int index) const;

 private:
  friend class Db;
  Stmt(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
  int bind_error_ = 0;
};

// BEGIN IMMEDIATE on construction via begin(); rolls back in the destructor unless committed.
class Tx {
 public:
  static Expected<Tx> begin(Db& db);
  Tx(Tx&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Tx& operator=(Tx&&) = delete;
  Tx(const Tx&) = delete;
  ~Tx();
  Status commit();

 private:
  explicit Tx(Db* db) : db_(db) {}
  Db* db_;
};

}  // namespace madoguchi::sqlite
