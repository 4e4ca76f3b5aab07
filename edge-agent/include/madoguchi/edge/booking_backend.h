// Phone bookings at a counter PC (PHN-1..PHN-6, EDGE-5): domain::BookingBackend over the edge's
// EdgeStore, so 電話予約 works with the hub link down. Reads come from the view (the hub's counter,
// slot, booking, card, setting and notice records plus this counter's unconfirmed changes);
// bookings are written as local changes (view + outbox in one transaction) and reach the hub like
// every other operation (EDGE-3). The booking rule (check_booking_rule) is judged here against the
// view as a first check; the hub judges again when the operation arrives and a refusal comes back
// as a rejection, which sync_state()/refused() show to staff (console::app::BookingSyncState).
//
// The rules are the domain's, the same functions the hub calls (domain/booking_records.h) over
// this backend's Records, the port over the view: which counters staff may book, the booking
// rule before a write, what a change or cancellation makes of a booking, the cards that follow.
//
// Counting places. A trigger marks every changed booking record in booking_dirty, whoever
// writes it (a local write, the sync engine applying the hub's feed or a snapshot); before it
// reads them, the backend folds the marked bookings into booking_index (receipt → slot, counter,
// slot day, cancelled, places by domain::booking_places) and booking_person (receipt →
// manufacture numbers) through EdgeStore::bookings() (booking_tables.h). A slot's fill is one
// indexed SUM. A booking body that does not decode takes no place, as at the hub.
//
// Receipt numbers without coordination: Settings::receipt_number_rule formatted with today's date
// and this device's own sequence of the day (table edge_booking_seq), then "-" and the device id,
// e.g. "20261122-0001-counter-01". The rule's output has a fixed length, so the suffix keeps it
// apart from the hub's numbers (no suffix) and from every other device's (docs/bookings.md). A
// rule whose output with the suffix is over kMaxReceiptBytes is refused (invalid_argument). A
// number already in the view (a database restored from a backup) is skipped.
//
// Sent bookings. Table edge_booking_sent keeps, per receipt written here, the seq of this
// counter's latest operation on it and the body sent, so a refusal can be told apart from an
// older one and staff can call the resident back with what was agreed (the hub removes a refused
// new booking from the view). Rows older than kSentKeepDays are pruned on write.
//
// The cards follow a collection booking (console/booking_cards.h; ISS-10, PHN-6): create, update
// and cancel write the booking and the changed `card` records it names as local changes in ONE
// transaction (each record: view + outbox, so the card changes reach the hub in the same batch of
// operations as the booking, right after it). A card the view does not have (not imported yet) is
// skipped: the booking is made all the same, and the number skipped is logged with the receipt
// number (never a card number) and counted in cards_skipped(). The hub judges each operation on
// its own: a booking the hub refuses does not take its card changes back, so this counter does
// (put_back_refused_cards, domain::card_refusal_follows; EDGE-5): once a rejection of its latest
// operation on a booking has arrived, every card that write put on the refused slot and that
// still shows it goes back to what the booking as the hub holds it now implies (the replica's
// booking: its slot, or none for a refused creation), as local changes that reach the hub like
// any other; a card changed since is left alone. The history note is 「受付番号 … はハブで受け付けら
// れませんでした」, by the booking's staff. Each rejection is looked at once: table
// edge_booking_refusal_mark keeps the highest rejection seq looked at, moved in the transaction
// that writes the cards (a crash before the commit leaves both undone, a restart does it again;
// after it, never twice). The agent calls it every tick; create/update/cancel call it first too.
// A card changed at the hub meanwhile makes the card's operation a conflict, shown like any
// other rejection.
//
// No mail is sent from a counter PC (it has no mail relay); the password is read out on the phone.
// Not thread-safe, like EdgeStore: the agent's one event-loop thread calls it.
#pragma once

#include <functional>
#include <memory>

#include "madoguchi/console/app/booking_sync.h"
#include "madoguchi/domain/booking_backend.h"
#include "madoguchi/domain/booking_cards.h"
#include "madoguchi/domain/booking_records.h"
#include "madoguchi/edge/edge_store.h"
#include "madoguchi/log.h"
#include "madoguchi/transport.h"

namespace madoguchi::edge {

inline constexpr int kSentKeepDays = 400;

class EdgeBookingBackend final : public domain::BookingBackend, public console::app::BookingSyncState {
 public:
  ~EdgeBookingBackend() override;
  // after_write: called after each successful write (wakes the sender); may be empty.
  // fast_hashes_for_tests: booking passwords hashed at the minimum cost (tests only).
  static Expected<std::unique_ptr<EdgeBookingBackend>> open(EdgeStore& store, const Clock& clock,
                                                            std::function<void()> after_write,
                                                            bool fast_hashes_for_tests = false);

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

  Expected<console::app::BookingSync> sync_state(std::string_view receipt) override;
  Expected<std::vector<console::app::BookingSync>> refused(std::size_t limit) override;
  Status mark_refusal_handled(std::string_view receipt) override;

  // Puts back the cards of this counter's booking writes the hub refused (see above), for at most
  // `limit` rejections past the mark. Returns the number of cards changed (logged per receipt,
  // never a card number). Cheap when no rejection arrived: one indexed look, no transaction.
  Expected<std::size_t> put_back_refused_cards(std::size_t limit = 256);

  // Places live bookings take in the slot, leaving out `except_receipt` (the view's count).
  Expected<int> booked(std::string_view slot_key, std::string_view except_receipt = {});

  // Where skipped cards are reported (counts and receipt numbers only); null_log() until set.
  void set_log(LogSink log) { log_ = std::move(log); }
  // Cards named by bookings written here that the view did not have (since open).
  std::uint64_t cards_skipped() const { return cards_skipped_; }

 private:
  class Records;  // domain::BookingRecords over the view (booking_backend.cc)
  EdgeBookingBackend(EdgeStore& store, const Clock& clock, std::function<void()> after_write, bool fast);
  // Folds the bookings marked in booking_dirty into booking_index and booking_person (batches of
  // 2,000 keys per transaction); called before every read of the index, outside a transaction.
  Status refresh_index();
  // Sets b.receipt to this device's next free number of the day; returns its sequence.
  Expected<std::uint64_t> next_receipt(domain::Booking& b, const std::string& rule, const domain::LocalDateTime& today);
  // Writes the changed cards as local changes inside the caller's transaction; returns how many.
  Expected<std::size_t> write_cards(const domain::CardWrites& cards, std::int64_t now_ms);
  // before: the stored booking (nullptr for a new one); its cards follow in the same transaction,
  // with its sent row (and the day's receipt sequence for a new one).
  Status write_booking(const domain::Booking* before, const domain::Booking& booking, bool created,
                       const std::string& staff, std::int64_t now_ms, std::optional<std::uint64_t> receipt_day_seq,
                       const std::string& receipt_day);

  EdgeStore& store_;
  const Clock& clock_;
  std::function<void()> after_write_;
  bool fast_hashes_ = false;
  LogSink log_ = null_log();
  std::uint64_t cards_skipped_ = 0;
  std::unique_ptr<Records> records_;
};

}  // namespace madoguchi::edge
