// State of the マスタ管理 and お知らせ screens (master_pages.cc), held by ConsoleApp.
#pragma once

#include "madoguchi/console/app/console_app.h"

namespace madoguchi::console::app {

struct ConsoleApp::MasterPages {};

}  // namespace madoguchi::console::app
