// 電話予約: being built for issue 5 (PHN); until then the menu's placeholder page.
#include "booking_pages.h"

namespace madoguchi::console::app {

http::Response ConsoleApp::phone_bookings_route(Context& c) { return menu_page(c, Menu::phone_bookings); }

}  // namespace madoguchi::console::app
