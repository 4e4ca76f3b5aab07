// State of the 電話予約 screens (booking_pages.cc), held by ConsoleApp.
#pragma once

#include "madoguchi/console/app/console_app.h"

namespace madoguchi::console::app {

struct ConsoleApp::BookingPages {};

}  // namespace madoguchi::console::app
