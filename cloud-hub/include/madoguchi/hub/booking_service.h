// Bookings at the hub (RSV, PHN, EDGE-5): the booking rule judged in the transaction that writes a
// booking record, whoever wrote it, and domain::BookingBackend for one municipality over
// HubEngine (the citizen site and the hub console's 電話予約).
//
// The rule (install_booking_rule): HubStore stays generic; this target gives it
//  - a PlaceCount for entity "booking": places = domain::booking_places of the decoded body
//    (people, 0 when cancelled; a body that does not decode takes none), kept by HubStore in its
//    derived table booking_load in the same transaction as every booking write;
//  - a Constraint for entity "booking": decodes before/after (domain::booking_from_json), reads the
//    slot and counter records and the places other bookings take in the slot inside the writing
//    transaction, computes now with domain::japan_local_time and calls domain::check_booking_rule.
//    may_override: the booking's `staff` field names a staff record whose role (effective_roles
//    over the stored "role" records) allows Menu::booking_override; a booking of channel web never
//    overrides. A refusal is an Error with code capacity / forbidden / not_found, so a device's
//    operation is rejected with that code (the edge's rejections table shows it, EDGE-5).
//  - in the same Constraint, for entity "staff" written by a device: the account's current role
//    (read in the transaction) holds no administration menu (domain::grants_administration), so
//    a counter PC never changes an administrator's password (issue 11 hole 4; the write policy
//    checks the password proof).
//
// HubBookingService: all writes go through HubEngine (one transaction each, published on the feed
// at once). Used from one thread at a time, like HubEngine (SharedBookingService below serializes
// the web threads' calls).
//
// The cards follow a collection booking (console/booking_cards.h; ISS-10, RSV-5, RSV-12, PHN-6):
// create, update and cancel write the booking and the changed `card` records it names in ONE
// HubEngine::write_local_batch (the booking constraint judges the booking; a refused booking
// changes no card). Booking and cards are written on the versions read (a change stored since is
// a conflict; a card changed meanwhile is read again, up to three tries). A card the hub does not
// have (not imported yet) or that does not decode is skipped: the booking is made all the same,
// and the number of skipped cards is logged with the receipt number (never a card number) and
// counted in cards_skipped().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/domain/booking_backend.h"
#include "madoguchi/hub/hub_engine.h"
#include "madoguchi/log.h"
#include "madoguchi/transport.h"

namespace madoguchi::hub {

// The booking rule as HubStore's constraint and place count (see the top).
Constraint booking_constraint();
PlaceCount booking_place_count();
// Installs both on `store` (rebuilds booking_load). Errors: db.
Status install_booking_rule(HubStore& store);

struct BookingServiceOptions {
  // Fast password hashing (tests only), as hash_booking_password's fast_for_tests.
  bool fast_hashing_for_tests = false;
  // Records of one entity scanned at most by one request (counters, notices, search, reminders).
  std::size_t max_scan = 200000;
  // Where a booking's skipped cards are reported (counts and receipt numbers only).
  LogSink log = null_log();
};

class HubBookingService final : public domain::BookingBackend {
 public:
  // Called after a successful create/update/cancel: kind "made", "changed", "cancelled"; the
  // password in clear only for "made" (empty otherwise). Mail wiring is the caller's.
  using Notifier = std::function<void(const domain::Booking& booking, std::string_view kind, const std::string& password)>;

  HubBookingService(HubEngine& engine, std::string municipality, const Clock& clock, BookingServiceOptions options = {});
  ~HubBookingService() override;

  void set_notifier(Notifier notifier) { notifier_ = std::move(notifier); }
  // Called by create() before the booking is written, with its receipt number and password: what
  // must be durable before the booking is (the mail's password, hub_mail.h). An error refuses the
  // booking (nothing written).
  using Holder = std::function<Status(const domain::Booking& booking, const std::string& password)>;
  void set_holder(Holder holder) { holder_ = std::move(holder); }
  const std::string& municipality() const { return municipality_; }

  domain::LocalDateTime now() override;
  Expected<domain::Settings> settings() override;
  Expected<std::vector<domain::CounterMaster>> counters(domain::Business business,
                                                         const domain::BookingActor& actor) override;
  Expected<std::vector<domain::SlotAvailability>> availability(std::string_view counter, calendar::Date from,
                                                                calendar::Date to, domain::Business business,
                                                                int places, const domain::BookingActor& actor) override;
  Expected<std::optional<domain::Card>> card_by_postcard(std::string_view postcard_no, int birth_month,
                                                          int birth_day) override;
  Expected<std::optional<domain::Card>> card(std::string_view manufacture_no) override;
  Expected<domain::MadeBooking> create(const domain::NewBooking& request, const domain::BookingActor& actor) override;
  // A new booking's password and its argon2id hash. Touches nothing of the service's state, so it
  // may run on any thread, outside the lock that guards the service (SharedBookingService).
  struct NewPassword {
    std::string password;
    std::string hash;
  };
  Expected<NewPassword> new_password() const;
  // The booking rule's verdict on `request` now, as create() would judge it before writing (the
  // slot may fill in between: create() judges again). Lets a caller skip the hashing for a
  // request that would be refused.
  Status check_new(const domain::NewBooking& request, const domain::BookingActor& actor);
  // create() with a password made by new_password().
  Expected<domain::MadeBooking> create(const domain::NewBooking& request, const domain::BookingActor& actor,
                                       NewPassword password);
  Expected<std::optional<domain::Booking>> get(std::string_view receipt) override;
  Expected<domain::Booking> update(std::string_view receipt, const domain::BookingUpdate& update,
                                    const domain::BookingActor& actor) override;
  Expected<domain::Booking> cancel(std::string_view receipt, std::string_view note,
                                    const domain::BookingActor& actor) override;
  Expected<std::vector<domain::Booking>> search(const domain::BookingQuery& query, std::size_t offset,
                                                 std::size_t limit) override;
  Expected<std::vector<domain::Notice>> notices() override;

  // RSV-13: live bookings with an e-mail, not cancelled, not yet reminded, whose slot day is
  // within Settings::reminder_days_before days from today (and not past), at most `limit`, in slot
  // order. None when reminder_days_before is 0.
  Expected<std::vector<domain::Booking>> reminders_due(std::size_t limit);
  // Records that the reminder was queued (reminded_ms = now, a "reminded" event by "hub").
  Status mark_reminded(std::string_view receipt);

  // Cards named by bookings written here that the hub did not have (since construction).
  std::uint64_t cards_skipped() const { return cards_skipped_; }

 private:
  Expected<HubStore*> store();
  Expected<domain::Booking> draft(const domain::NewBooking& request, const domain::BookingActor& actor, std::int64_t now_ms);
  Expected<std::vector<protocol::Record>> entity_records(std::string_view entity, std::string_view from_key,
                                                         std::string_view to_key);
  // domain::BookingRecords over the municipality's store (booking_service.cc).
  class Records;
  Expected<std::unique_ptr<Records>> records();
  // Writes `booking` on base_version with the cards it names (domain::follow_cards; before: the
  // stored booking, or nullptr for a new one; staff: "web" or the staff id for the cards' history).
  Expected<domain::Booking> write_booking(Records& records, const domain::Booking* before, const domain::Booking& booking,
                                           std::uint64_t base_version, const std::string& staff, std::int64_t now_ms);

  HubEngine& engine_;
  std::string municipality_;
  const Clock& clock_;
  BookingServiceOptions options_;
  Notifier notifier_;
  Holder holder_;
  std::uint64_t cards_skipped_ = 0;
  // Decoded settings, counter and slot records, reused while a record's stored body is the same
  // bytes (booking_service.cc, "DecodeCache"): the citizen site's pages read the same few records
  // on every request; parsing their JSON again was a quarter of a page's CPU.
  struct DecodeCaches;
  std::unique_ptr<DecodeCaches> decoded_;
  // Counters and slot weeks as answered to residents, while nothing changed and within the
  // minute (booking_service.cc, "ResidentAnswers"). nullptr from resident_answers(): not kept
  // (staff, or the version could not be read).
  struct ResidentAnswers;
  std::unique_ptr<ResidentAnswers> answers_;
  ResidentAnswers* resident_answers(const domain::BookingActor& actor, const domain::LocalDateTime& t);
};

// HubBookingService for several threads (the hub's web threads): every call runs under `mutex`,
// the lock the hub process takes for everything that touches the engine and its stores. Only
// create()'s password hashing (a few ms of argon2id) runs before the lock is taken.
class SharedBookingService final : public domain::BookingBackend {
 public:
  SharedBookingService(HubBookingService& inner, std::mutex& mutex) : inner_(inner), mutex_(mutex) {}

  domain::LocalDateTime now() override;
  Expected<domain::Settings> settings() override;
  Expected<std::vector<domain::CounterMaster>> counters(domain::Business business,
                                                         const domain::BookingActor& actor) override;
  Expected<std::vector<domain::SlotAvailability>> availability(std::string_view counter, calendar::Date from,
                                                                calendar::Date to, domain::Business business,
                                                                int places, const domain::BookingActor& actor) override;
  Expected<std::optional<domain::Card>> card_by_postcard(std::string_view postcard_no, int birth_month,
                                                          int birth_day) override;
  Expected<std::optional<domain::Card>> card(std::string_view manufacture_no) override;
  Expected<domain::MadeBooking> create(const domain::NewBooking& request, const domain::BookingActor& actor) override;
  Expected<std::optional<domain::Booking>> get(std::string_view receipt) override;
  Expected<domain::Booking> update(std::string_view receipt, const domain::BookingUpdate& update,
                                    const domain::BookingActor& actor) override;
  Expected<domain::Booking> cancel(std::string_view receipt, std::string_view note,
                                    const domain::BookingActor& actor) override;
  Expected<std::vector<domain::Booking>> search(const domain::BookingQuery& query, std::size_t offset,
                                                 std::size_t limit) override;
  Expected<std::vector<domain::Notice>> notices() override;

 private:
  HubBookingService& inner_;
  std::mutex& mutex_;
};

}  // namespace madoguchi::hub
