// Card issuance management (ISS-1 to ISS-15): one record per My Number card the municipality has to
// hand over, created from the J-LIS issuance target list (QR import), the renewal list, the old
// ledger or by hand, and then carried through notice, booking, issue and the exceptional ends
// (returned, disposed, lost, individual management).
//
// Record: entity "card" (kCardEntity), key = Card::manufacture_no (the card's manufacture number,
// printed on the postcard and the card; unique nationwide). Body (compact JSON, keys sorted):
//   {"address":"…","application_id":"…23 digits…","birth_date":"1980-04-01",
//    "booking":{"at":"2026-12-01T10:30","counter":"1"},
//    "booking_history":[{"at":"2026-11-30T09:00","changed_ms":…,"counter":"2","note":"…","staff":"tanaka01"}],
//    "card_expiry":"2036-04-01","cert_expiry":"2031-04-01","counter":"1",
//    "events":{"notice_sent":{"date":"2026-11-20","note":"","staff":"tanaka01"}},
//    "imported_ms":…,"issued":{"at":"2026-12-01T10:42","counter":"1","note":"","staff":"…"},
//    "manufacture_no":"…16…","name_kana":"ヤマダ タロウ","name_kanji":"山田 太郎","note":"…",
//    "postcard_no":"ABC123456","receipt_no":1001,"reissue":false,
//    "renewal":{"due":"2027-04-01","kind":"card","list":"2026-11","matched_ms":…},
//    "sex":"1","shipment_no":"S-2026-11","source":"qr"}
// Absent optional parts (booking, issued, renewal, events not recorded) are left out of the body.
//
// Status is not stored: it is derived from what was recorded (card_status()), so it can never
// disagree with the dates. Unknown keys are ignored when decoding (a newer writer does not break an
// older reader); a field of the wrong type is Errc::malformed; a value outside its rule is
// Errc::invalid_argument "<field>: <reason>" (English; the web layer shows Japanese per field).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "madoguchi/error.h"

namespace madoguchi::domain {

inline constexpr std::string_view kCardEntity = "card";
// Earlier bookings kept on a card (ISS-10); the oldest are dropped past this (the operation log
// still has every change).
inline constexpr std::size_t kMaxBookingHistory = 50;
inline constexpr std::size_t kMaxNoteChars = 500;
inline constexpr std::size_t kMaxNameChars = 64;
inline constexpr std::size_t kMaxAddressChars = 200;
inline constexpr std::size_t kMaxShortTextChars = 32;  // counter, shipment number, list name

// Where the record came from (ISS-13).
enum class CardSource { qr, renewal, ledger, manual };
std::string_view card_source_id(CardSource s) noexcept;
std::optional<CardSource> card_source_from_id(std::string_view id) noexcept;

// The dated progress entries of ISS-11 and ISS-12 (issue itself is Card::issued, ISS-9).
enum class CardEvent {
  notice_sent,      // 交付通知書発送日
  shipment,         // カード発送日 (card sent out, e.g. by registered mail)
  returned,         // カード返戻日 (card came back)
  notice_returned,  // 通知書返戻日
  reminder_sent,    // 督促通知日
  disposed,         // 廃棄日
  lost,             // 紛失日
  individual,       // 個別管理移行日
};
inline constexpr std::size_t kCardEventCount = 8;
std::span<const CardEvent> all_card_events() noexcept;
std::string_view card_event_id(CardEvent e) noexcept;
std::string_view card_event_label(CardEvent e) noexcept;  // Japanese, e.g. 「交付通知書発送日」
std::optional<CardEvent> card_event_from_id(std::string_view id) noexcept;

struct DatedNote {
  std::string date;   // YYYY-MM-DD
  std::string note;   // hand-over note, at most kMaxNoteChars
  std::string staff;  // staff id who recorded it
};

struct CardBooking {
  std::string at;       // YYYY-MM-DDTHH:MM (local time of the municipality)
  std::string counter;  // the counter's id
};

struct BookingChange {  // the booking as it was before one change (ISS-10)
  std::string at;       // empty: there was no booking
  std::string counter;
  std::int64_t changed_ms = 0;
  std::string staff;
  std::string note;
};

struct Issue {  // ISS-9
  std::string at;       // YYYY-MM-DDTHH:MM
  std::string counter;
  std::string note;
  std::string staff;
};

struct Renewal {  // ISS-4
  std::string list;  // the renewal list's name given at import
  std::string kind;  // "card" (カード更新) or "cert" (電子証明書更新)
  std::string due;   // YYYY-MM-DD, the expiry that makes renewal due
  std::int64_t matched_ms = 0;
};

struct Card {
  // From the issuance target list (ISS-1).
  std::string manufacture_no;  // 16 of [0-9A-Z]
  std::string application_id;  // 23 digits; may be empty for ledger/manual records
  std::string postcard_no;     // 3 of [0-9A-Z] + 6 digits; may be empty
  std::string name_kanji;      // 1-64 characters
  std::string name_kana;       // katakana reading, 0-64 characters
  std::string birth_date;      // YYYY-MM-DD
  std::string sex;             // "1" male, "2" female, "9" not applicable; may be empty
  std::string address;         // 0-200 characters
  std::string card_expiry;     // YYYY-MM-DD or empty
  std::string cert_expiry;     // YYYY-MM-DD or empty
  // Import batch (ISS-3).
  CardSource source = CardSource::qr;
  std::uint64_t receipt_no = 0;  // 受付番号; 0 = none
  std::string counter;           // 交付窓口 set at import
  std::string shipment_no;       // 発送番号 (J-LIS shipment)
  std::int64_t imported_ms = 0;
  // Progress.
  std::optional<CardBooking> booking;
  std::vector<BookingChange> booking_history;  // oldest first
  std::optional<Issue> issued;
  std::array<std::optional<DatedNote>, kCardEventCount> events{};
  bool reissue = false;  // 再交付
  std::optional<Renewal> renewal;
  std::string note;  // free hand-over note of the record
};

// Derived status, in the order a card normally goes (sorting by status uses this order).
enum class CardStatus {
  received,         // 受入済 (imported, nothing sent yet)
  notice_sent,      // 通知済
  notice_returned,  // 通知書返戻
  booked,           // 予約済
  shipped,          // 発送済
  returned,         // 返戻
  issued,           // 交付済
  individual,       // 個別管理
  disposed,         // 廃棄
  lost,             // 紛失
};
std::span<const CardStatus> all_card_statuses() noexcept;
std::string_view card_status_id(CardStatus s) noexcept;
std::string_view card_status_label(CardStatus s) noexcept;
std::optional<CardStatus> card_status_from_id(std::string_view id) noexcept;
// The end states win over issue, issue over the earlier stages; among the earlier stages the
// latest recorded stage of the normal flow.
CardStatus card_status(const Card& card) noexcept;

const std::optional<DatedNote>& card_event(const Card& card, CardEvent e) noexcept;
std::optional<DatedNote>& card_event(Card& card, CardEvent e) noexcept;

// Field checks shared with the CSV layouts and forms.
bool is_valid_date(std::string_view yyyy_mm_dd) noexcept;            // a day that exists, 1900-2199
bool is_valid_date_time(std::string_view yyyy_mm_ddThh_mm) noexcept;  // "YYYY-MM-DDTHH:MM"
Status validate_manufacture_no(std::string_view s);
Status validate_card(const Card& card);

std::string card_key(const Card& card);
nlohmann::json card_to_json(const Card& card);
// Errors as described at the top; the result is validated.
Expected<Card> card_from_json(const nlohmann::json& body);

// Changes the booking (ISS-10): the earlier booking goes into booking_history (with who, when and
// why), at most kMaxBookingHistory entries kept. An unchanged booking changes nothing and returns
// false. `next` nullopt cancels the booking. Errors: invalid_argument for a bad date-time.
Expected<bool> change_booking(Card& card, const std::optional<CardBooking>& next, std::string_view staff,
                              std::string_view note, std::int64_t now_ms);

}  // namespace madoguchi::domain
