// The citizen booking site (RSV-1..RSV-15): a plain request handler over domain::BookingBackend.
// No sockets, no clock of its own, no JavaScript in the pages: the hub process serves
// Portal::handle() (through http::dispatch) under PortalOptions::base_path.
//
// Pages (Japanese, WCAG 2.0 AA / JIS X 8341-3 AA, RSV-2), relative to base_path:
//   GET  /                        top: notices within their window, maintenance notices with their
//                                 period (RSV-3, RSV-15), help and FAQ links (RSV-4), start buttons
//   GET  /help, /faq              help and FAQ (PortalOptions::help / faq)
//   GET  /static/portal.css       the one style sheet (embedded)
//   GET|POST /book/<business>     step 1: identity check (collection, RSV-5, RSV-11), kind and
//                                 names (application, RSV-6), names (cert_renewal, RSV-7)
//   GET|POST /book/counter        step 2: visible counters only (RSV-8)
//   GET|POST /book/slot           step 3: slots of a week with their fill as text
//   GET|POST /book/contact        step 4: e-mail twice, phone, proxy
//   GET|POST /book/confirm        step 5: confirmation (RSV-9); the POST makes the booking once
//   GET  /book/done               receipt number and password, the password shown once (RSV-10)
//   GET|POST /lookup              receipt number + password (RSV-10)
//   GET  /booking, /booking/print detail with status and history (RSV-12)
//   GET|POST /booking/change...   another counter/slot, with confirmation (RSV-12)
//   GET|POST /booking/cancel      cancel, with confirmation (RSV-12)
//   POST /sign-out                forget the visit (draft and signed-in booking)
//
// State between steps lives server-side in a bounded store of visits keyed by a random cookie
// (PortalOptions::max_visits, visit_idle_timeout): the draft, the CSRF token, the booking signed
// in. Every POST checks the visit's CSRF token. Guessing of postcard number + birthday and of
// receipt number + password is rate limited per client address and per number (429 page).
//
// Threads: handle() may be called from several threads at once (the hub's web threads). The visits
// and rate limiters sit behind a lock of their own, held only to look them up; the requests of one
// visit run one at a time; pages are made outside any lock. The backend is called from whichever
// thread serves the request, so it must be safe for that (the hub's SharedBookingService).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "madoguchi/domain/booking_backend.h"
#include "madoguchi/console/web/rate_limit.h"
#include "madoguchi/http/server.h"
#include "madoguchi/transport.h"

namespace madoguchi::portal {

// One section of the help page: a heading and plain text (paragraphs separated by blank lines;
// never HTML).
struct HelpSection {
  std::string heading;
  std::string body;
};

// One question of the FAQ page (plain text).
struct FaqEntry {
  std::string question;
  std::string answer;
};

struct PortalOptions {
  // Shown in the header and page titles, e.g. "〇〇市".
  std::string municipality_name = "〇〇市";
  // Service name in the header and <title>.
  std::string service_name = "マイナンバーカード窓口予約";
  // Where the site is mounted: "" (the root) or "/<segment>[/<segment>...]" without a trailing
  // slash, e.g. "/yoyaku". Requests outside it get 404.
  std::string base_path;
  // The municipality's phone number and hours for questions and for changes after the deadline
  // ("お電話でお問い合わせください"). Shown as text.
  std::string contact_phone;
  std::string contact_hours;
  // Help and FAQ content (RSV-4). Empty = the built-in defaults (default_help(), default_faq()).
  std::vector<HelpSection> help;
  std::vector<FaqEntry> faq;
  // Guessing limits (token buckets): identity checks (postcard number + birthday, RSV-5) and
  // sign-ins (receipt number + password, RSV-10), each per client address and per number.
  console::web::RateLimitOptions check_per_client{20, 20.0 / 3600.0, 10'000};
  console::web::RateLimitOptions check_per_number{5, 5.0 / 3600.0, 50'000};
  console::web::RateLimitOptions sign_in_per_client{20, 20.0 / 3600.0, 10'000};
  console::web::RateLimitOptions sign_in_per_number{5, 5.0 / 3600.0, 50'000};
  // New visits (cookies) per client address: a flood cannot evict everybody's drafts at once.
  console::web::RateLimitOptions visits_per_client{60, 60.0 / 3600.0, 10'000};
  // Cookies with Secure and the __Host- prefix (the site is served over TLS).
  bool secure_cookies = true;
  // Key for the keyed hashes of the site (visit ids, CSRF tokens, rate-limit keys): at least 32
  // bytes, random per deployment. The constructor aborts on a shorter one (programming error).
  std::string secret;
  // Visits (drafts and signed-in bookings) kept at most; the least recently used is evicted.
  std::size_t max_visits = 20'000;
  std::chrono::seconds visit_idle_timeout = std::chrono::minutes(30);
  // Request bodies larger than this are refused with 413 (the server's own limit is larger).
  std::size_t max_body_bytes = 16 * 1024;
  // How many days one slot page shows (a week).
  int slot_page_days = 7;
};

std::vector<HelpSection> default_help();
std::vector<FaqEntry> default_faq();

class Portal {
 public:
  // `backend` and `clock` must outlive the Portal. Aborts (assert) on options out of range.
  Portal(domain::BookingBackend& backend, const Clock& clock, PortalOptions options);
  ~Portal();
  Portal(const Portal&) = delete;
  Portal& operator=(const Portal&) = delete;

  // The whole site: a Request (as http::dispatch() passes it: path decoded, query parsed) to a
  // Response with the site's security headers. Never throws for bad input.
  http::Response handle(const http::Request& request);

  // Visits currently kept (for tests and metrics).
  std::size_t visit_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace madoguchi::portal
