// The console's page modules, one per area (pages.h). Not installed.
#pragma once

#include <memory>

#include "madoguchi/console/app/gaiji_view.h"
#include "madoguchi/console/app/konbini_records.h"
#include "madoguchi/console/app/linkage_view.h"
#include "madoguchi/console/app/master_store.h"
#include "madoguchi/console/app/sync_view.h"
#include "pages.h"

namespace madoguchi::console::app {

// ログイン, ログアウト, パスワード変更, ホーム (sign_in_pages.cc). add_menu_fallbacks() adds, for
// 職員管理, 連携状況 and 同期状況 where the other modules left their paths free (a counter PC),
// a page that says they are at the hub's console; call it after them. These are not menu items:
// the layout offers only the menus whose screens are served (Shell::served_menus).
std::unique_ptr<PageModule> make_sign_in_pages(Shell& shell);
void add_menu_fallbacks(Shell& shell, RouteTable& routes);
// 職員管理 (staff_pages.cc) and 権限管理 (role_pages.cc): where ConsoleOptions::manage_staff is set.
std::unique_ptr<PageModule> make_staff_pages(Shell& shell);
std::unique_ptr<PageModule> make_role_pages(Shell& shell);
// 操作ログ (oplog_pages.cc): one's own entries everywhere; the whole log, its export and its
// verification for administrators where manage_staff is set.
std::unique_ptr<PageModule> make_oplog_pages(Shell& shell);
// システム設定 (settings_pages.cc): where manage_staff is set.
std::unique_ptr<PageModule> make_settings_pages(Shell& shell);
// 交付管理: search, card pages, bulk updates and exports (card_pages.cc); QR, ledger and renewal
// imports (card_import_pages.cc).
std::unique_ptr<PageModule> make_card_pages(Shell& shell, CardStore& cards, const CardServices& services);
std::unique_ptr<PageModule> make_card_import_pages(Shell& shell, CardStore& cards, const CardServices& services);
// マスタ管理: counters, slots, closure days and holidays (master_pages.cc); お知らせ
// (master_pages.cc, its own module).
std::unique_ptr<PageModule> make_master_pages(Shell& shell, MasterStore& masters);
std::unique_ptr<PageModule> make_notice_pages(Shell& shell, MasterStore& masters);
// 電話予約 and 予約管理 (booking_pages.cc).
// 連携状況 (linkage_pages.cc): at the hub, with attach_linkage.
std::unique_ptr<PageModule> make_linkage_pages(Shell& shell, LinkageView& view);
// 外字対照表, held records and the print check (gaiji_pages.cc): at the hub, with attach_gaiji.
std::unique_ptr<PageModule> make_gaiji_pages(Shell& shell, GaijiView& view);
// 同期状況 (sync_pages.cc): at the hub, with attach_sync.
std::unique_ptr<PageModule> make_sync_pages(Shell& shell, SyncView& view);
// コンビニ交付記録 (kiosk_log_pages.cc): at the hub, with attach_konbini.
std::unique_ptr<PageModule> make_kiosk_log_pages(Shell& shell, KonbiniRecords& records, TableWriterFactory excel, bool has_flags = false);
std::unique_ptr<PageModule> make_kiosk_flag_pages(Shell& shell, KonbiniFlags& flags);
// 障害通知 (alarm_pages.cc): at the hub, with attach_alarms.
std::unique_ptr<PageModule> make_alarm_pages(Shell& shell, AlarmBoard& board);
// ホーム (home_pages.cc): the day's figures from what is attached, for the role's menus.
std::unique_ptr<PageModule> make_home_pages(Shell& shell);
std::unique_ptr<PageModule> make_booking_pages(Shell& shell, domain::BookingBackend& bookings, BookingSyncState* sync);

}  // namespace madoguchi::console::app
