// The staff console's request handler (ACC-1..5, SYS-3, SEC-2, SEC-3), shared by the edge agent
// (counter PCs, works with the hub link down) and the hub. A plain function from http::Request to
// http::Response over narrow interfaces: the records behind it (ConsoleStore, CardStore,
// MasterStore, domain::BookingBackend), the time (Clock), and in-memory sessions, sign-in lockout
// and rate limits of its own. No socket, no file, no wall clock: tests drive it with a ManualClock
// and in-memory stores.
//
// ConsoleApp is a thin shell over page modules (src/pages.h, src/modules.h), one per area, each
// owning its routes in one route table (method, path → handler, with the menu the role must hold):
//   sign_in_pages.cc    /sign-in, /sign-out, /password, / and the page of a menu not served here
//   staff_pages.cc      /staff/...      職員管理 (ACC-1..3), where ConsoleOptions::manage_staff
//   role_pages.cc       /roles/...      権限管理 (ACC-2), where manage_staff
//   settings_pages.cc   /settings       システム設定 (SYS-1), where manage_staff
//   oplog_pages.cc      /oplog/...      操作ログ (SYS-3): one's own; everyone's for administrators
//   card_pages.cc       /cards/...      交付管理 (ISS-5..12, ISS-15), with attach_cards
//   card_import_pages.cc /cards/import/..., /cards/ledger, /cards/renewal (ISS-1..4, ISS-14)
//   master_pages.cc     /masters/..., /notices/...  マスタ管理 and お知らせ, with attach_masters
//   booking_pages.cc    /phone_bookings/..., /bookings  電話予約 (PHN-1..6), with attach_bookings
//   linkage_pages.cc    /linkage        連携状況 (LNK-5, OPS-4), with attach_linkage (the hub)
//   gaiji_pages.cc      /linkage/gaiji, /linkage/held, /linkage/print  外字対照表 (LNK-4, LNK-7), with attach_gaiji
//   sync_pages.cc       /sync           同期状況 (EDGE-5, OPS-4), with attach_sync (the hub)
//   kiosk_log_pages.cc  /kiosk_log      コンビニ交付記録 (KON-6, OPS-2), with attach_konbini (the hub)
//   kiosk_flag_pages.cc /kiosk_log/flags  交付停止: staff flags (KON-7), with attach_konbini's flags
//   alarm_pages.cc      /alarms         障害通知 (OPS-1), with attach_alarms (the hub)
//   home_pages.cc       /               ホーム: the day at a glance from what is attached
// A signed-out request to a served path goes to /sign-in; one to any other path is a 404. A role
// without the route's menu gets a 403 and a menu.forbidden log entry (SEC-2). Every request with a
// session re-reads the account: disabled or deleted → signed out. The idle timeout is
// Settings::session_idle, read on every request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <string_view>
#include <vector>

#include "madoguchi/console/app/alarm_board.h"
#include "madoguchi/console/app/booking_sync.h"
#include "madoguchi/console/app/card_store.h"
#include "madoguchi/console/app/gaiji_view.h"
#include "madoguchi/console/app/konbini_flags.h"
#include "madoguchi/console/app/konbini_records.h"
#include "madoguchi/console/app/linkage_view.h"
#include "madoguchi/console/app/sync_view.h"
#include "madoguchi/console/app/scan_queue.h"
#include "madoguchi/domain/booking_backend.h"
#include "madoguchi/domain/lockout.h"
#include "madoguchi/domain/oplog.h"
#include "madoguchi/domain/permissions.h"
#include "madoguchi/domain/settings.h"
#include "madoguchi/domain/staff_csv.h"
#include "madoguchi/domain/staff.h"
#include "madoguchi/console/web/rate_limit.h"
#include "madoguchi/console/web/session.h"
#include "madoguchi/console/web/templates.h"
#include "madoguchi/error.h"
#include "madoguchi/http/server.h"
#include "madoguchi/text/encoding.h"
#include "madoguchi/transport.h"

namespace madoguchi::console::app {

// Which operation log entries an administrator's /oplog screen lists. Empty strings and absent
// times match everything; at_ms must be in [from_ms, to_ms).
class MasterStore;  // master_store.h: counters, slots, calendar and notices (the hub)

struct OpLogFilter {
  std::string staff_id;
  std::string device;
  std::string action;
  std::optional<std::int64_t> from_ms;
  std::optional<std::int64_t> to_ms;
};

// The records the console reads and writes. Implementations: EdgeConsoleStore (edge-agent, over
// the edge's view and outbox), an in-memory fake in the tests; the hub's will follow. Called on
// the console's one thread only.
class ConsoleStore {
 public:
  virtual ~ConsoleStore() = default;
  // The account with this id; nullopt when there is none (or its record does not decode: an
  // account that cannot be read cannot sign in). Errors: the store failed (db, io).
  virtual Expected<std::optional<domain::StaffAccount>> staff(std::string_view id) = 0;
  // The stored roles (possibly none; the app applies effective_roles()). Records that do not
  // decode are left out (least privilege: their accounts see no menu).
  virtual Expected<std::vector<domain::Role>> roles() = 0;
  // The stored settings, or Settings{} while none is stored. Errors when the record is stored but
  // does not decode (the app then uses Settings{} and says so nowhere else: see README.md).
  virtual Expected<domain::Settings> settings() = 0;
  // Writes the account's record (replicates to the hub from an edge).
  virtual Status save_staff(const domain::StaffAccount& account) = 0;
  // Appends one entry to this device's operation log chain (oplog.h). `detail` carries no
  // personal data.
  virtual Status append_oplog(std::string_view action, std::string_view staff_id, std::string_view target,
                              std::string_view detail, std::int64_t at_ms) = 0;
  // At most `limit` entries of the operation log made by staff_id (any device), newest first.
  virtual Expected<std::vector<domain::OpLogEntry>> recent_oplog(std::string_view staff_id, std::size_t limit) = 0;

  // Staff management (the 職員管理 screens, ACC-1..3), served only where
  // ConsoleOptions::manage_staff is set (the hub console). Defaults refuse with Errc::forbidden, so
  // a store that does not manage staff (the edge's) needs no code for them.
  //
  // Every account whose record decodes, ordered by id. Errors: the store failed.
  virtual Expected<std::vector<domain::StaffAccount>> all_staff();
  // Deletes the account's record (absent: done). Errors: the store failed.
  virtual Status remove_staff(std::string_view id);

  // The municipality's whole operation log (操作ログ for administrators, SYS-3) and system
  // settings (SYS-1), served where manage_staff is set. Defaults refuse with Errc::forbidden.
  //
  // Entries of every device matching `filter`, newest first (at_ms descending, then key
  // descending), skipping the first `offset`, at most `limit`. Records that do not decode are
  // left out. Errors: the store failed.
  virtual Expected<std::vector<domain::OpLogEntry>> find_oplog(const OpLogFilter& filter, std::size_t offset, std::size_t limit);
  // The devices that have operation log records, ordered, at most `limit`.
  virtual Expected<std::vector<std::string>> oplog_devices(std::size_t limit);
  // One device's chain in seq order: entries with seq > after_seq, at most `limit`. A record
  // that does not decode is returned as an entry with only its key's seq and device set (empty
  // hash), so verify_chain reports it rather than skipping a gap silently.
  virtual Expected<std::vector<domain::OpLogEntry>> oplog_chain(std::string_view device, std::uint64_t after_seq,
                                                        std::size_t limit);
  // Writes the setting record (replicates to the edges). Errors: the store failed.
  virtual Status save_settings(const domain::Settings& settings);

  // Roles (権限管理, ACC-2), served where manage_staff is set. Defaults refuse with
  // Errc::forbidden.
  //
  // Writes the role's record `role/<id>` (replicates to the edges). Errors: the store failed.
  virtual Status save_role(const domain::Role& role);
  // Deletes the role's record (absent: done). Errors: the store failed.
  virtual Status remove_role(std::string_view id);
};

// Every field has a safe default.
struct ConsoleOptions {
  // The console is served over TLS: cookies become __Host-/Secure (cookies.h).
  bool tls = false;
  // argon2id at the minimum cost for new hashes: tests only, never a running product.
  bool fast_hashes_for_tests = false;
  // Sign-in attempts per client address (POST /sign-in): bursts of 10, then one every 5 s.
  web::RateLimitOptions sign_in_rate{};
  web::SessionStoreOptions sessions{};
  // Entries on the /oplog screen (one's own), and per page of the administrators' /oplog.
  std::size_t oplog_page_entries = 50;
  std::size_t oplog_admin_page_entries = 100;
  // Entries of one /oplog/export, and entries one /oplog/verify reads per device (a chain longer
  // than that is reported as not fully checked).
  std::size_t oplog_export_max = 100000;
  std::size_t oplog_verify_max = 1000000;
  // Serve the 職員管理 screens (/staff, /staff/new, /staff/edit, /staff/password,
  // /staff/export), the whole operation log, システム設定 and 権限管理 (/roles): the hub
  // console. Off at the edge, where /staff says where to go instead.
  bool manage_staff = false;
  // The CSV file of a staff import (POST /staff/import), in bytes; larger is refused (413).
  std::size_t max_import_file_bytes = 1024 * 1024;
  // 交付管理 (attach_cards): files uploaded there (a scanned page image, the card ledger CSV, a
  // renewal list CSV), in bytes. The console's body limit must allow them (kCardConsoleBodyLimit).
  std::size_t max_card_upload_bytes = 32 * 1024 * 1024;
  // Rows of one card result page, and the most rows one export or bulk update handles.
  std::size_t card_page_rows = 50;
  std::size_t card_export_max = 1'000'000;
  std::size_t card_bulk_max = 1000;
  // Exports of more rows than this run as a job the browser follows on a progress page, each
  // request writing card_export_chunk rows, so a 300,000-row export neither blocks the console
  // nor leaves staff wondering; smaller ones download at once. Jobs are kept per staff session
  // (at most max_card_export_jobs in all) for card_export_ttl.
  std::size_t card_export_direct_max = 5000;
  std::size_t card_export_chunk = 20000;
  std::size_t max_card_export_jobs = 4;
  std::chrono::seconds card_export_ttl{900};
  // Where those exports are written while they run (files of mode 0600, each removed when its
  // download is sent or its job expires). Empty: the system's temporary directory.
  std::filesystem::path spool_dir;
  // QR import sessions kept (one per staff session), and how long an idle one stays.
  std::size_t max_card_import_sessions = 16;
  std::chrono::seconds card_import_ttl{3600};
  // Previews of a staff import kept for their confirmation (one per session; the oldest goes
  // when full), and how long each stays valid.
  std::size_t max_pending_imports = 16;
  std::chrono::seconds pending_import_ttl{600};
};

// The request body limit (http::ServerOptions::body_limit) for a console serving staff
// management: the import's file (max_import_file_bytes by default) plus the multipart framing
// and the form's other fields. Consoles without manage_staff take forms only (64 KiB).
inline constexpr std::size_t kStaffConsoleBodyLimit = 1024 * 1024 + 64 * 1024;
// The body limit for a console serving 交付管理 with the default max_card_upload_bytes.
inline constexpr std::size_t kCardConsoleBodyLimit = 32 * 1024 * 1024 + 64 * 1024;

// Reads every QR code on a scanned page image (PNG or JPEG bytes): each code's raw bytes, in
// reading order. Errors: invalid_argument (not an image, too large) with a message for staff.
using PageDecoder = std::function<Expected<std::vector<std::string>>(std::string_view image)>;

// What the counter's QR scanner is doing, for the import screen (the agent fills it in).
struct ScannerStatus {
  bool configured = false;
  std::string state;  // "stopped", "waiting_for_device", "connected"
  std::uint64_t scans = 0;
  std::uint64_t errors = 0;
};

// Writes a table into a file format for download (an Excel workbook at the edge: drivers/xlsx),
// row by row so a large export stays small in memory.
class TableWriter {
 public:
  virtual ~TableWriter() = default;
  virtual Status add_row(const std::vector<std::string>& cells) = 0;
  // The file's bytes. Errors: io, too_large.
  virtual Expected<std::string> finish() = 0;
  // The file written to `path` instead (big exports: constant memory). Errors: io.
  virtual Status finish_to(const std::filesystem::path& path) = 0;
};
using TableWriterFactory = std::function<Expected<std::unique_ptr<TableWriter>>(
    std::string_view sheet_name, const std::vector<std::string>& header)>;

// The counter's devices and writers behind 交付管理; each may be absent.
struct CardServices {
  ScanQueue* scans = nullptr;                     // the scanner's reads
  std::function<ScannerStatus()> scanner_status;  // shown on the import screen
  PageDecoder decode_page;                        // page images (drivers/imaging at the edge)
  TableWriterFactory excel;                       // the Excel export (ISS-7); absent: not offered
};

class Shell;
class PageModule;
class RouteTable;

// A thin shell over the page modules (pages.h): reads the session and the form, finds the
// request's route and calls its handler. Not thread-safe: one thread calls handle() (the
// io_context thread that runs the server).
class ConsoleApp {
 public:
  ConsoleApp(ConsoleStore& store, const Clock& clock, ConsoleOptions options = {});
  ~ConsoleApp();
  ConsoleApp(const ConsoleApp&) = delete;
  ConsoleApp& operator=(const ConsoleApp&) = delete;

  // Handles one request (after http::dispatch() decoded path and query). Never throws on input.
  http::Response handle(const http::Request& request);

  // Serves 交付管理 (Menu::cards, ISS-1 to ISS-15) over `cards`. Without this call, /cards
  // answers with the menu's placeholder page. Everything given must outlive the app.
  void attach_cards(CardStore& cards, CardServices services = {});

  // Serves マスタ管理 (Menu::masters: counters, slot generation and editing, closure days and the
  // holiday list; MST-1..MST-7) and お知らせ (Menu::notices: the citizen site's notices and
  // maintenance notices; RSV-3, RSV-15) over `masters`. The hub console only: masters are
  // hub-authored. Without this call the menus answer with their placeholder page.
  void attach_masters(MasterStore& masters);

  // Serves 電話予約 (Menu::phone_bookings, PHN-1..PHN-6) over `bookings`: at the hub over the
  // authoritative booking service, at a counter PC over its replica (offline too).
  // `sync`: where this console's own booking writes stand on their way to the hub (a counter PC's
  // EdgeBookingBackend); absent at the hub, whose service is authoritative.
  void attach_bookings(domain::BookingBackend& bookings, BookingSyncState* sync = nullptr);
  // 連携状況 (LNK-5, OPS-4) over the municipality's certificate database: the hub only.
  void attach_linkage(LinkageView& linkage);
  // 外字対照表, held records and the print check (LNK-4, LNK-7) under 連携状況: the hub only.
  void attach_gaiji(GaijiView& gaiji);
  // 同期状況 (EDGE-5, OPS-4): the hub only.
  void attach_sync(SyncView& sync);
  // コンビニ交付記録 and 交付統計 (KON-6, OPS-2, OPS-3): the municipality's convenience-store
  // requests (the hub); `excel` adds the Excel downloads beside the CSV; `flags` adds 交付停止
  // (/kiosk_log/flags, KON-7: staff flags, set with the permission kiosk_flag).
  void attach_konbini(KonbiniRecords& records, TableWriterFactory excel = {}, KonbiniFlags* flags = nullptr);
  // 障害通知 (OPS-1): the municipality's alarms, a banner on every page of a role holding the
  // menu, and the sound (the hub).
  void attach_alarms(AlarmBoard& board);

  // Sessions alive now (for tests and status).
  std::size_t sessions() const;
  // Operation log entries that could not be written (the store failed); the request went on.
  std::uint64_t oplog_failures() const;

 private:
  void rebuild_routes();

  std::unique_ptr<Shell> shell_;
  CardServices card_services_;  // the card modules hold it by reference
  std::vector<std::unique_ptr<PageModule>> modules_;  // always served (sign-in, staff, ...)
  std::unique_ptr<PageModule> cards_, card_imports_, masters_, notices_, bookings_, linkage_, gaiji_, sync_, kiosk_log_, kiosk_flags_, alarms_;  // attached
  std::unique_ptr<RouteTable> routes_;
};

// The URL path of a menu: "/" + menu_id(m) ("/" for Menu::home).
std::string menu_path(domain::Menu m);

}  // namespace madoguchi::console::app
