// State of the 電話予約 screens (booking_pages.cc), held by ConsoleApp.
#pragma once

#include <map>
#include <string>

#include "madoguchi/console/app/booking_sync.h"
#include "madoguchi/console/app/console_app.h"

namespace madoguchi::console::app {

struct ConsoleApp::BookingPages {
  // A booking just made, waiting for its one showing on /phone_bookings/done (redirect after
  // POST): the password exists in clear only here, for the person who made it, until shown or
  // expired. Keyed by a random token.
  struct Made {
    std::string session_id;
    web::TimePoint expires;
    std::string receipt;
    std::string password;
  };
  std::map<std::string, Made> made;
  // The backend's sync state when it offers one (the edge's, EDGE-5); looked up once.
  BookingSyncState* sync = nullptr;
};

}  // namespace madoguchi::console::app
