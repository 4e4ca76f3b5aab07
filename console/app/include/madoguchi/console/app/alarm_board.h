// What the hub console's 障害通知 reads and writes (OPS-1): the municipality's alarms as the hub's
// watch keeps them (domain/alarm.h). Implementation: hub::HubAlarmBoard over <muni>.alarms.db; a
// fake in the tests. Every console page asks counts() for the banner, so it must be cheap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "madoguchi/domain/alarm.h"
#include "madoguchi/error.h"

namespace madoguchi::console::app {

class AlarmBoard {
 public:
  virtual ~AlarmBoard() = default;
  // Every alarm standing or not yet acknowledged, newest first, at most `max`.
  virtual Expected<std::vector<domain::Alarm>> current(std::size_t max) = 0;
  // Alarms raised in [from_ms, to_ms), newest first, at most `max`.
  virtual Expected<std::vector<domain::Alarm>> history(std::int64_t from_ms, std::int64_t to_ms, std::size_t max) = 0;
  virtual Expected<domain::AlarmCounts> counts() = 0;
  // False when there is no such alarm or it was already acknowledged.
  virtual Expected<bool> acknowledge(std::int64_t id, const std::string& staff_id, std::int64_t now_ms) = 0;
  virtual Expected<std::size_t> acknowledge_all(const std::string& staff_id, std::int64_t now_ms) = 0;
};

}  // namespace madoguchi::console::app
