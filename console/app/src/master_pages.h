// State of the マスタ管理 and お知らせ screens (master_pages.cc), held by ConsoleApp.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "madoguchi/calendar/jp_holidays.h"
#include "madoguchi/console/app/console_app.h"
#include "madoguchi/console/web/session.h"

namespace madoguchi::console::app {

struct ConsoleApp::MasterPages {
  // An uploaded holiday list shown for confirmation (one per staff session, memory only; the
  // oldest goes beyond kMaxPending), by a random token the confirmation posts back.
  struct PendingHolidays {
    std::string session_id;
    web::TimePoint expires;
    std::string source;
    std::vector<calendar::PublishedHoliday> list;  // the years kept (from last year on)
  };
  static constexpr std::size_t kMaxPending = 16;
  std::map<std::string, PendingHolidays> pending;
};

}  // namespace madoguchi::console::app
