// 交付管理: the imports (ISS-1 to ISS-4, ISS-13, ISS-14). See console_app.h.
#include "madoguchi/console/app/console_app.h"
#include "card_imports.h"
#include "internal.h"

namespace madoguchi::console::app {

ConsoleApp::~ConsoleApp() = default;

bool ConsoleApp::card_upload_path(std::string_view) const { return false; }

http::Response ConsoleApp::card_import_route(Context& c) { return error(c, 404); }

}  // namespace madoguchi::console::app
