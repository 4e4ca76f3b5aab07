// One versioned schema per database, with an ordered list of migrations (docs/architecture.md,
// "Databases and their schemas").
//
// The version lives in the database header (PRAGMA user_version), so it commits with the
// migration that reaches it. migrate() on open:
//   - a new, empty database gets every migration in one transaction;
//   - one at the newest version is left alone;
//   - one at an older version is first copied with SQLite's online backup (next to the file,
//     "<file>.schema-v<old>.bak", replaced by a later upgrade's copy of the same version), then
//     brought up in ONE BEGIN IMMEDIATE transaction: every pending migration, the new version and
//     the schema's after_migrate hook commit together or not at all;
//   - one written by a newer release (a version this build does not know) is refused with
//     Errc::unsupported_version, and nothing is changed.
// The version is read again inside the write transaction, so two processes opening the same file
// at once migrate it once.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string_view>

#include "madoguchi/error.h"
#include "madoguchi/sqlite/sqlite.h"

namespace madoguchi::sqlite {

struct Migration {
  int version = 0;       // 1, 2, 3, ... in order, without gaps
  std::string_view sql;  // one or more statements; never outside input
};

struct Schema {
  std::string_view name;                   // "edge", "hub", "mail": in messages
  std::span<const Migration> migrations;   // every table, index and trigger of the database
  // Databases written before the version was kept in the header (user_version 0, tables present):
  // the version they are at, or 0 when the content is not recognised (then refused).
  std::function<Expected<int>(Db&)> legacy_version;
  // Runs inside the migration transaction after the last migration, with the new version (for
  // example to mirror it where an older release looks for it).
  std::function<Status(Db&, int)> after_migrate;
};

// For schemas whose older releases kept the version as text in a key-value table `meta(k, v)`
// under k = 'schema_version' (edge and hub up to release 93879b9):
//   legacy_meta_version: reads it (`recognised` as that version, anything else 0);
//   mirror_meta_version: keeps it equal to the header's version, so that those releases refuse a
//   newer database instead of misreading it.
std::function<Expected<int>(Db&)> legacy_meta_version(int recognised);
Status mirror_meta_version(Db& db, int version);
// Binds a database to its owner through `meta(k, v)`: stores `value` under `key` on the first
// open, and refuses (Errc::invalid_argument, naming both) a database that holds another value, so
// one municipality's file never serves another (KON-5). Runs in a BEGIN IMMEDIATE transaction.
Status claim_meta(Db& db, std::string_view key, std::string_view value);

struct MigrationReport {
  int from = 0;  // 0: a new database
  int to = 0;
  std::optional<std::filesystem::path> backup;  // the copy taken before an upgrade
};

// The newest version of the schema (the last migration's).
int latest_version(const Schema& schema) noexcept;
// Brings the database to latest_version() as described above.
Expected<MigrationReport> migrate(Db& db, const Schema& schema);
// A consistent copy of the committed database at `dest` (SQLite's online backup API, through a
// read-only connection of its own; the file is replaced). Other connections may go on meanwhile.
Status backup_to(Db& db, const std::filesystem::path& dest);

}  // namespace madoguchi::sqlite
