// The resident's mails about a booking (RSV-10, RSV-12, RSV-13, RSV-14): pure composition of the
// subject and body; sending goes through the durable outbox of drivers/mail, from
// Settings::mail_from.
//
// Kinds: made (受付: carries the receipt number AND the password, RSV-10), changed, cancelled
// (RSV-12), reminder (RSV-13). The body is the administrators' text from Settings::mail_texts
// under the kind's key ("booking_made", "booking_changed", "booking_cancelled",
// "booking_reminder") when present, else a built-in Japanese default that says what to bring for
// the business (and for a proxy, PHN-3) and how to open, change or cancel the booking with the
// receipt number and password at the site's URL. Subjects are fixed per kind.
//
// Placeholders, replaced in one pass (a replaced value is never scanned again):
//   {municipality} Settings::municipality_name   {service} Settings::service_name
//   {receipt}      the receipt number            {password} the password (kind made; else empty)
//   {date}         「2026年11月30日（月）」        {time}    「9:00」 (the slot's start)
//   {counter}      the counter's name            {people}  the number of people, 「2名」
//   {url}          the site's URL
// Anything else in braces is left as typed.
//
// Privacy: mails travel over SMTP, so a mail never carries names (name_kana), manufacture
// numbers, postcard numbers, phone numbers or the staff's hand-over note; the people are a count.
#pragma once

#include <string>
#include <string_view>

#include "madoguchi/domain/booking.h"
#include "madoguchi/domain/settings.h"

namespace madoguchi::domain {

enum class BookingMailKind { made, changed, cancelled, reminder };

// "booking_made", "booking_changed", "booking_cancelled", "booking_reminder": the key in
// Settings::mail_texts.
std::string_view booking_mail_text_key(BookingMailKind kind) noexcept;

struct BookingMail {
  std::string subject;  // one line
  std::string body;     // lines separated by "\n"
};

// The mail of `kind` for `booking` at `counter_name`, slot starting at `slot_start`. `password` is
// used for kind made only (the plain password, known only while the booking is being made; empty
// for a booking made at a counter PC, whose password the resident was told on the phone: then
// {password} reads 「予約のお電話でお伝えしたものです（このメールには記載していません）」);
// `site_url` is where the resident opens the booking.
BookingMail compose_booking_mail(BookingMailKind kind, const Booking& booking, std::string_view counter_name,
                                 const LocalDateTime& slot_start, const Settings& settings,
                                 std::string_view password, std::string_view site_url);

// Whether the reminder (RSV-13) is due now: settings.reminder_days_before > 0, the booking is not
// cancelled, has an e-mail address and has not been reminded (reminded_ms == 0), and
// (slot day - reminder_days_before) 09:00 <= now < slot_start. The sender sets reminded_ms in the
// same write that queues the mail, so a reminder goes once.
bool reminder_due(const Booking& booking, const LocalDateTime& slot_start, const Settings& settings,
                  const LocalDateTime& now);

}  // namespace madoguchi::domain
