// The state of 交付管理's imports (card_import_pages.cc): QR import sessions and previewed CSV
// imports awaiting confirmation. Not installed; included where ConsoleApp is constructed.
#pragma once

#include "madoguchi/console/app/console_app.h"

namespace madoguchi::console::app {

struct ConsoleApp::CardImports {};

}  // namespace madoguchi::console::app
