#include "madoguchi/edge/booking_tables.h"

#include <algorithm>

namespace madoguchi::edge {

namespace {

// Steps a cached statement through its rows, calling `row` for each; resets it in every case.
template <typename F>
Status each_row(sqlite::Stmt& st, F row) {
  for (;;) {
    auto r = st.step();
    if (!r) {
      st.reset();
      return r.error();
    }
    if (!*r) break;
    row(st);
  }
  st.reset();
  return {};
}

// A refusal is current when it is for this counter's latest operation on the booking.
constexpr const char* kRefusedColumns =
    "SELECT s.receipt, j.code, j.reason, j.at_ms, s.created, s.body FROM edge_booking_sent s "
    "JOIN rejections j ON j.entity = 'booking' AND j.key = s.receipt AND j.seq = s.last_seq ";

RefusedBooking refused_row(sqlite::Stmt& st) {
  RefusedBooking r;
  r.receipt = st.column_text(0);
  r.code = st.column_text(1);
  r.reason = st.column_text(2);
  r.at_ms = st.column_int(3);
  r.created = st.column_int(4) != 0;
  r.sent = st.column_text(5);
  return r;
}

}  // namespace

Expected<std::vector<std::string>> BookingTables::dirty(std::size_t limit) {
  auto st = db_.cached("SELECT key FROM booking_dirty LIMIT ?1");
  if (!st) return st.error();
  (*st)->bind(1, static_cast<std::int64_t>(limit));
  std::vector<std::string> keys;
  if (auto s = each_row(**st, [&](sqlite::Stmt& r) { keys.push_back(r.column_text(0)); }); !s) return s.error();
  return keys;
}

Status BookingTables::put_index(const std::string& key, const std::optional<BookingIndexRow>& row) {
  for (const char* sql : {"DELETE FROM booking_index WHERE key = ?1", "DELETE FROM booking_person WHERE key = ?1",
                          "DELETE FROM booking_dirty WHERE key = ?1"}) {
    auto st = db_.cached(sql);
    if (!st) return st.error();
    if (auto s = (*st)->bind(1, key).run(); !s) return s;
  }
  if (!row) return {};
  auto ins = db_.cached("INSERT INTO booking_index(key, slot, counter, day, cancelled, places) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
  if (!ins) return ins.error();
  (*ins)->bind(1, key);
  if (!row->decoded) return (*ins)->bind_null(2).bind_null(3).bind_null(4).bind(5, 0).bind(6, 0).run();
  (*ins)->bind(2, row->slot).bind(3, row->counter).bind(4, row->day).bind(5, row->cancelled).bind(6, row->places);
  if (auto s = (*ins)->run(); !s) return s;
  auto person = db_.cached("INSERT OR IGNORE INTO booking_person(key, manufacture_no) VALUES(?1, ?2)");
  if (!person) return person.error();
  for (const auto& no : row->manufacture_nos) {
    if (auto s = (*person)->bind(1, key).bind(2, no).run(); !s) return s;
  }
  return {};
}

Expected<int> BookingTables::places(const std::string& slot_key, const std::string& except_receipt) {
  auto st = db_.cached("SELECT coalesce(sum(places), 0) FROM booking_index WHERE slot = ?1 AND key <> ?2");
  if (!st) return st.error();
  (*st)->bind(1, slot_key).bind(2, except_receipt);
  int n = 0;
  if (auto s = each_row(**st, [&](sqlite::Stmt& r) { n = static_cast<int>(r.column_int(0)); }); !s) return s.error();
  return n;
}

Expected<std::vector<std::string>> BookingTables::search(const BookingSearch& q, std::size_t offset, std::size_t limit) {
  // One statement: an empty parameter matches everything. Bookings at one counter PC are the
  // municipality's (tens of thousands a year): the day index serves the date range; a receipt or
  // manufacture number narrows through the primary key and booking_person.
  auto st = db_.cached(
      "SELECT r.body FROM booking_index i JOIN records r ON r.entity = 'booking' AND r.key = i.key "
      "WHERE (?1 = '' OR i.key = ?1) "
      "AND (?2 = '' OR i.key IN (SELECT key FROM booking_person WHERE manufacture_no = ?2)) "
      "AND (?3 = '' OR i.counter = ?3) AND (?4 = '' OR i.day >= ?4) AND (?5 = '' OR i.day <= ?5) "
      "AND (?6 OR i.cancelled = 0) "
      "ORDER BY i.slot DESC, i.key DESC LIMIT ?7 OFFSET ?8");
  if (!st) return st.error();
  (*st)->bind(1, q.receipt).bind(2, q.manufacture_no).bind(3, q.counter).bind(4, q.from_day).bind(5, q.to_day)
      .bind(6, q.include_cancelled)
      .bind(7, static_cast<std::int64_t>(std::min<std::size_t>(limit, 1000)))
      .bind(8, static_cast<std::int64_t>(offset));
  std::vector<std::string> out;
  if (auto s = each_row(**st, [&](sqlite::Stmt& r) { out.push_back(r.column_text(0)); }); !s) return s.error();
  return out;
}

Expected<std::uint64_t> BookingTables::day_seq(const std::string& day) {
  auto st = db_.cached("SELECT seq FROM edge_booking_seq WHERE day = ?1");
  if (!st) return st.error();
  (*st)->bind(1, day);
  std::uint64_t seq = 0;
  if (auto s = each_row(**st, [&](sqlite::Stmt& r) { seq = r.column_u64(0); }); !s) return s.error();
  return seq;
}

Status BookingTables::set_day_seq(const std::string& day, std::uint64_t seq) {
  auto st = db_.cached(
      "INSERT INTO edge_booking_seq(day, seq) VALUES(?1, ?2) ON CONFLICT(day) DO UPDATE SET seq = excluded.seq");
  if (!st) return st.error();
  if (auto s = (*st)->bind(1, day).bind(2, seq).run(); !s) return s;
  auto old = db_.cached("DELETE FROM edge_booking_seq WHERE day < ?1");
  if (!old) return old.error();
  return (*old)->bind(1, day).run();
}

Status BookingTables::record_sent(const std::string& receipt, std::uint64_t seq, bool created, const std::string& body,
                                  std::int64_t at_ms, std::uint64_t acked_upto, std::int64_t prune_before_ms) {
  // created stays 1 once set: a change made before the creation reached the hub is refused along
  // with it, and the booking then does not exist either.
  auto sent = db_.cached(
      "INSERT INTO edge_booking_sent(receipt, last_seq, created, body, at_ms, handled) VALUES(?1, ?2, ?3, ?4, ?5, 0) "
      "ON CONFLICT(receipt) DO UPDATE SET last_seq = excluded.last_seq, body = excluded.body, at_ms = excluded.at_ms, "
      "handled = 0, created = CASE WHEN edge_booking_sent.created = 1 AND edge_booking_sent.last_seq > ?6 THEN 1 "
      "ELSE excluded.created END");
  if (!sent) return sent.error();
  if (auto s = (*sent)->bind(1, receipt).bind(2, seq).bind(3, created).bind(4, body).bind(5, at_ms).bind(6, acked_upto).run();
      !s) {
    return s;
  }
  auto prune = db_.cached("DELETE FROM edge_booking_sent WHERE at_ms < ?1");
  if (!prune) return prune.error();
  return (*prune)->bind(1, prune_before_ms).run();
}

Expected<bool> BookingTables::refusals_waiting() {
  auto st = db_.cached(
      "SELECT 1 FROM edge_booking_refusal_mark m WHERE EXISTS (SELECT 1 FROM rejections j WHERE j.seq > m.seq)");
  if (!st) return st.error();
  bool any = false;
  if (auto s = each_row(**st, [&](sqlite::Stmt&) { any = true; }); !s) return s.error();
  return any;
}

Expected<std::vector<BookingRefusal>> BookingTables::refusals(std::size_t limit) {
  // body is set only for a booking rejection of this counter's latest operation on the booking
  // (the refused write is what staff last wrote; after a later write the cards followed that one).
  auto st = db_.cached(
      "SELECT j.seq, j.key, s.body FROM rejections j LEFT JOIN edge_booking_sent s "
      "ON j.entity = 'booking' AND s.receipt = j.key AND s.last_seq = j.seq "
      "WHERE j.seq > (SELECT seq FROM edge_booking_refusal_mark WHERE id = 1) ORDER BY j.seq LIMIT ?1");
  if (!st) return st.error();
  (*st)->bind(1, static_cast<std::int64_t>(std::max<std::size_t>(limit, 1)));
  std::vector<BookingRefusal> out;
  auto s = each_row(**st, [&](sqlite::Stmt& r) {
    BookingRefusal f;
    f.seq = r.column_u64(0);
    f.receipt = r.column_text(1);
    if (!r.column_is_null(2)) f.sent = r.column_text(2);
    out.push_back(std::move(f));
  });
  if (!s) return s.error();
  return out;
}

Status BookingTables::set_refusal_mark(std::uint64_t seq) {
  auto st = db_.cached("UPDATE edge_booking_refusal_mark SET seq = ?1 WHERE id = 1");
  if (!st) return st.error();
  return (*st)->bind(1, seq).run();
}

Expected<std::optional<RefusedBooking>> BookingTables::refused(const std::string& receipt) {
  auto st = db_.cached(std::string(kRefusedColumns) + "WHERE s.receipt = ?1");
  if (!st) return st.error();
  (*st)->bind(1, receipt);
  std::optional<RefusedBooking> out;
  if (auto s = each_row(**st, [&](sqlite::Stmt& r) { out = refused_row(r); }); !s) return s.error();
  return out;
}

Expected<std::vector<RefusedBooking>> BookingTables::refused_unhandled(std::size_t limit) {
  auto st = db_.cached(std::string(kRefusedColumns) + "WHERE s.handled = 0 ORDER BY j.seq DESC LIMIT ?1");
  if (!st) return st.error();
  (*st)->bind(1, static_cast<std::int64_t>(limit));
  std::vector<RefusedBooking> out;
  if (auto s = each_row(**st, [&](sqlite::Stmt& r) { out.push_back(refused_row(r)); }); !s) return s.error();
  return out;
}

Status BookingTables::mark_handled(const std::string& receipt) {
  auto st = db_.cached("UPDATE edge_booking_sent SET handled = 1 WHERE receipt = ?1");
  if (!st) return st.error();
  return (*st)->bind(1, receipt).run();
}

}  // namespace madoguchi::edge
