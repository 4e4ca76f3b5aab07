// One municipality's alarms, hub/<muni>.alarms.db (OPS-1, schema "alarms"): what the hub's
// watch found wrong, when it began and ended, and who acknowledged it. Each check's changes
// (domain::plan_alarms) commit in one BEGIN IMMEDIATE transaction; acknowledgements are
// conditional updates, so two consoles acknowledging at once record the first. Bounded: alarms
// that ended and were acknowledged are removed after `keep_days`, and at most `max_rows` are kept.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "madoguchi/domain/alarm.h"
#include "madoguchi/error.h"
#include "madoguchi/sqlite/sqlite.h"

namespace madoguchi::hub {

struct AlarmChanges {
  std::vector<domain::Alarm> raised;   // new, with their ids
  std::vector<domain::Alarm> cleared;  // as they stood when cleared
};

class AlarmStore {
 public:
  struct Limits {
    int keep_days = 400;
    std::size_t max_rows = 100000;
  };
  static Expected<AlarmStore> open(const std::filesystem::path& path, const std::string& municipality, Limits limits);
  static Expected<AlarmStore> open(const std::filesystem::path& path, const std::string& municipality) {
    return open(path, municipality, Limits{});
  }

  // Applies what one check observed: raises, updates and clears (domain::plan_alarms).
  // Standing alarms of the `unread` kinds are left as they are.
  Expected<AlarmChanges> record(const std::vector<domain::AlarmCondition>& observed, std::int64_t now_ms,
                                const std::vector<domain::AlarmKind>& unread = {});
  // What needs eyes: every alarm standing or not yet acknowledged, newest first, at most `max`.
  Expected<std::vector<domain::Alarm>> current(std::size_t max);
  // Alarms raised in [from_ms, to_ms), newest first, at most `max` (the history).
  Expected<std::vector<domain::Alarm>> raised_between(std::int64_t from_ms, std::int64_t to_ms, std::size_t max);
  Expected<domain::AlarmCounts> counts();
  // Marks an alarm acknowledged by `staff`; false when it does not exist or already was.
  Expected<bool> acknowledge(std::int64_t id, const std::string& staff, std::int64_t now_ms);
  // Every unacknowledged alarm; returns how many.
  Expected<std::size_t> acknowledge_all(const std::string& staff, std::int64_t now_ms);

 private:
  AlarmStore(sqlite::Db db, Limits limits) : db_(std::move(db)), limits_(limits) {}
  // Rows by `where_order` (which may use ?1 = from_ms and ?2 = to_ms), at most `max` (?3).
  Expected<std::vector<domain::Alarm>> select(const std::string& where_order, std::int64_t from_ms, std::int64_t to_ms, std::size_t max);
  Status prune(std::int64_t now_ms);
  sqlite::Db db_;
  Limits limits_;
  std::int64_t last_prune_ms_ = 0;
};

}  // namespace madoguchi::hub
