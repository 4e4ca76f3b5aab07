// Visit bookings (RSV-5..RSV-13, PHN-1..PHN-6, EDGE-5): one record per booking, made by a resident
// on the citizen site (cloud-hub/portal) or by staff on the phone (console 電話予約), at the hub or
// at a counter PC (offline too). Pure logic: the record, its rules, the booking rule that protects
// slot capacity, the resident's booking window, and the identity check of a card.
//
// Record: entity "booking" (kBookingEntity), key = Booking::receipt (the receipt number, RSV-10).
// Body (compact JSON, keys sorted):
//   {"application_kind":"renewal",            (business "application" only)
//    "business":"collection","cancelled":false,"channel":"web","counter":"1",
//    "created_ms":…,"email":"taro@example.jp",
//    "history":[{"action":"created","at_ms":…,"by":"web","note":"","slot":"1:2026-11-30T09:00"}],
//    "note":"","override":{"capacity":false,"deadline":false},
//    "password_hash":"$argon2id$…","people":[{"manufacture_no":"…16…","name_kana":""}],
//    "phone":"","proxy":false,"receipt":"20261122-0001","reminded_ms":0,
//    "slot":"1:2026-11-30T09:00","staff":"","updated_ms":…}
// Unknown keys are ignored when decoding (a newer writer does not break an older reader); a field
// of the wrong type or missing is Errc::malformed; a value outside its rule is
// Errc::invalid_argument "<field>: <reason>" (English; the web layer shows Japanese per field).
//
// Rules (validate_booking):
//  - receipt: 1-64 of [A-Za-z0-9_-] (what format_receipt_number can make, plus an edge suffix).
//  - password_hash: an argon2id hash string (hash_booking_password), 1-256 bytes.
//  - business; application_kind present exactly when business == application.
//  - counter: a valid counter id; slot: a slot key "<counter>:<YYYY-MM-DDTHH:MM>" of that counter.
//  - people: 1..kMaxBookingPeople (RSV-11). For collection each person has a manufacture_no
//    (16 of [0-9A-Z], distinct within the booking) and name_kana may be empty; for the other
//    businesses each person has name_kana (1-64 characters, one line) and manufacture_no is empty
//    or a valid manufacture number (cert renewal of an existing card).
//  - email: empty or local@domain, at most 254 bytes of printable ASCII without spaces;
//    channel web requires an email (RSV-10 mails the receipt number and password).
//  - phone: empty or 1-20 of [0-9-+].
//  - note: the hand-over note (PHN-6), at most kMaxBookingNoteChars characters, line breaks allowed.
//  - channel web: staff empty and no override; channel phone: staff is a staff id (1-32).
//  - history: at most kMaxBookingEvents entries (the oldest are dropped by add_booking_event).
//
// Places: a booking takes one place per person in its slot while it is not cancelled
// (booking_places). A slot's capacity counts places.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "madoguchi/calendar/date.h"
#include "madoguchi/domain/card.h"
#include "madoguchi/domain/counter_master.h"
#include "madoguchi/domain/slots.h"
#include "madoguchi/error.h"

namespace madoguchi::domain {

inline constexpr std::string_view kBookingEntity = "booking";
inline constexpr std::size_t kMaxBookingPeople = 6;
inline constexpr std::size_t kMaxBookingEvents = 50;
inline constexpr std::size_t kMaxBookingNoteChars = 500;
inline constexpr std::size_t kMaxReceiptBytes = 64;
// Generated booking passwords: this many characters of kBookingPasswordAlphabet (50 bits).
inline constexpr std::size_t kBookingPasswordChars = 10;
// No 0/O, 1/I/L: read out on the phone and typed from a mail without confusion.
inline constexpr std::string_view kBookingPasswordAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

// RSV-6: what kind of application the visit is for.
enum class ApplicationKind { new_issue, renewal, reissue, other };
std::span<const ApplicationKind> all_application_kinds() noexcept;
std::string_view application_kind_id(ApplicationKind k) noexcept;     // "new", "renewal", "reissue", "other"
std::string_view application_kind_label(ApplicationKind k) noexcept;  // 「新規申請」「カード更新」「再交付」「その他」
std::optional<ApplicationKind> application_kind_from_id(std::string_view id) noexcept;

enum class BookingChannel { web, phone };
std::string_view booking_channel_id(BookingChannel c) noexcept;  // "web", "phone"

struct BookingPerson {
  std::string manufacture_no;  // collection: the card checked (RSV-5, PHN-2)
  std::string name_kana;       // application / cert renewal: who comes (katakana reading)
  friend bool operator==(const BookingPerson&, const BookingPerson&) = default;
};

struct BookingEvent {
  std::int64_t at_ms = 0;
  std::string action;  // "created", "changed", "cancelled", "reminded", "note"
  std::string by;      // "web" (the resident) or "staff:<id>" or "hub" (the system)
  std::string slot;    // the booking's slot key after the event
  std::string note;    // what changed, in Japanese for the booking's history page; 0-200 characters
  friend bool operator==(const BookingEvent&, const BookingEvent&) = default;
};

// PHN-5: the booking was made (or moved) past the deadline and/or beyond capacity by staff whose
// role has Menu::booking_override.
struct BookingOverride {
  bool deadline = false;
  bool capacity = false;
  friend bool operator==(const BookingOverride&, const BookingOverride&) = default;
};

struct Booking {
  std::string receipt;
  std::string password_hash;
  Business business = Business::collection;
  std::optional<ApplicationKind> application_kind;
  std::string counter;
  std::string slot;
  std::vector<BookingPerson> people;
  bool proxy = false;  // PHN-3: a proxy (代理人) will come
  std::string email;
  std::string phone;
  std::string note;
  BookingChannel channel = BookingChannel::web;
  std::string staff;
  BookingOverride override_flags;
  bool cancelled = false;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  std::int64_t reminded_ms = 0;  // when the reminder mail was queued (RSV-13); 0 = not yet
  std::vector<BookingEvent> history;  // oldest first
  friend bool operator==(const Booking&, const Booking&) = default;
};

// The slot key's parts: "<counter>:<YYYY-MM-DDTHH:MM>". nullopt when it is not one.
struct SlotRef {
  std::string counter;
  LocalDateTime start;
};
std::optional<SlotRef> parse_slot_key(std::string_view key);

// The municipality's local time (Japan Standard Time, UTC+9, no daylight saving) of a Unix time in
// milliseconds: the `now` of the booking rule and of the resident's window, at the hub and the edge.
LocalDateTime japan_local_time(std::int64_t unix_ms) noexcept;

// Places the booking takes in its slot: people.size(), 0 when cancelled.
int booking_places(const Booking& booking) noexcept;

Status validate_booking(const Booking& booking);
nlohmann::json booking_to_json(const Booking& booking);
// Errors as described at the top; the result is validated.
Expected<Booking> booking_from_json(const nlohmann::json& body);
// Appends an event, dropping the oldest past kMaxBookingEvents.
void add_booking_event(Booking& booking, BookingEvent event);

// A new random password (kBookingPasswordChars of kBookingPasswordAlphabet, libsodium randombytes).
std::string generate_booking_password();
// argon2id at a lighter cost than staff passwords (t=2, 1 MiB): the password is random (50 bits,
// not chosen by a person) and guessing online is rate limited, while a booking rush must not be
// bound by hashing. `fast_for_tests` as in password.h. Errors: invalid_argument (empty, over
// 64 bytes), crypto.
Expected<std::string> hash_booking_password(std::string_view password, bool fast_for_tests = false);
// Case-insensitive for letters (a resident may type lower case); full-width letters and digits and
// spaces are folded too (text::search_key, then upper case; hash_booking_password folds the same
// way). False for anything malformed.
bool verify_booking_password(const Booking& booking, std::string_view password);

// RSV-5 / RSV-11: the card is the resident's when the postcard number matches (compared after
// trimming, width folding and upper-casing) and the birthday's month and day match. A card without
// a postcard number or birth date never matches.
bool card_matches(const Card& card, std::string_view postcard_no, int birth_month, int birth_day);
// The postcard number as typed, folded (full-width to half-width, upper case, spaces and hyphens
// removed); empty when it cannot be a postcard number (3 of [0-9A-Z] + 6 digits after folding).
std::string normalize_postcard_no(std::string_view typed);

// ---- The booking rule (EDGE-5, PHN-5): no slot is overbooked except by a permitted override ----
//
// Judged by the hub in the transaction that applies a booking write, whoever made it (the citizen
// site, the hub console, or a counter PC's offline operation arriving later), and by the edge for
// a phone booking it makes, as a first check against its replica.
//
// A write that takes no new place keeps being allowed (a cancellation, a note, a change of e-mail,
// fewer people in the same slot), even in a slot that is now full, closed or past its deadline.
// A write that takes places (a new booking, a move to another slot, more people) needs:
//  - the slot to exist (not_found "slot <key> does not exist"), to be open and to have capacity > 0
//    (forbidden "slot <key> is closed"), and its counter to handle the business and the slot to be
//    within the counter's validity (forbidden);
//  - now <= slot.deadline, unless override_flags.deadline and may_override
//    (forbidden "deadline of slot <key> passed at <deadline>");
//  - booked_by_others + booking_places(after) <= slot.capacity, unless override_flags.capacity and
//    may_override (Errc::capacity "slot <key> is full (<booked> of <capacity> places taken)").
// An override flag set by a writer without the permission is forbidden even where it is not needed.
// A removal of a booking record is allowed (the hub decides who may remove in check_write).
struct BookingRuleInput {
  const Booking* before = nullptr;  // the stored booking, nullptr for a new one
  const Booking* after = nullptr;   // the booking as it would be stored, nullptr for a removal
  std::optional<Slot> slot;                    // the slot record of after->slot, if it exists
  std::optional<CounterMaster> counter;        // the counter record of after->counter, if it exists
  int booked_by_others = 0;         // places other live bookings take in after->slot
  LocalDateTime now;                // the municipality's local time
  bool may_override = false;        // the writer holds Menu::booking_override (PHN-5)
};
Status check_booking_rule(const BookingRuleInput& input);

// ---- The resident's window (RSV-8, MST-3, MST-5, MST-7) ----
//
// Whether a resident on the citizen site may book `places` places in this slot now: the counter is
// visible, handles the business and the slot lies within its validity; the slot is open with
// capacity > 0, now <= deadline, the slot's day is at most days_ahead days after now's day
// (counter.days_ahead, else settings' booking_days_ahead) and starts after now, and
// booked + places <= capacity. Errors (for the site to explain): forbidden / capacity with an
// English reason.
Status resident_may_book(const CounterMaster& counter, const Slot& slot, Business business, int booked, int places,
                         const LocalDateTime& now, int default_days_ahead);
// A resident may change or cancel until the slot's deadline (after that only by phone).
bool resident_may_change(const Slot& slot, const LocalDateTime& now) noexcept;

}  // namespace madoguchi::domain
