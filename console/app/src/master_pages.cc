// マスタ管理 and お知らせ: being built for issue 5 (MST, RSV-3, RSV-15); until then the menus'
// placeholder pages.
#include "master_pages.h"

namespace madoguchi::console::app {

http::Response ConsoleApp::masters_route(Context& c) { return menu_page(c, Menu::masters); }
http::Response ConsoleApp::notices_route(Context& c) { return menu_page(c, Menu::notices); }

}  // namespace madoguchi::console::app
