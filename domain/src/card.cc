#include "madoguchi/domain/card.h"

#include <algorithm>
#include <utility>

#include "madoguchi/domain/record_body.h"
#include "text.h"

namespace madoguchi::domain {

namespace {
constexpr std::string_view kWhat = "card";

Error bad(std::string_view field, std::string_view reason) { return detail::field_error(field, reason); }

using detail::check_line;

// A note may hold line breaks (a hand-over note is often a few lines).
Status check_note(std::string_view field, std::string_view value) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < value.size();) {
    auto cp = detail::next_code_point(value, i);
    if (!cp) return bad(field, "must be valid UTF-8");
    if (detail::is_control(*cp) && *cp != '\n' && *cp != '\r' && *cp != '\t') {
      return bad(field, "must not contain control characters other than line breaks and tabs");
    }
    ++chars;
  }
  if (chars > kMaxNoteChars) return bad(field, "must be at most " + std::to_string(kMaxNoteChars) + " characters");
  return {};
}

bool all_of(std::string_view s, bool (*pred)(char)) { return std::all_of(s.begin(), s.end(), pred); }
bool digit(char c) { return c >= '0' && c <= '9'; }
bool upper_alnum(char c) { return digit(c) || (c >= 'A' && c <= 'Z'); }

Status check_date(std::string_view field, std::string_view value, bool required) {
  if (value.empty() && !required) return {};
  if (!is_valid_date(value)) return bad(field, "must be a date that exists, written YYYY-MM-DD");
  return {};
}

Status check_date_time(std::string_view field, std::string_view value) {
  if (!is_valid_date_time(value)) return bad(field, "must be a date and time that exist, written YYYY-MM-DDTHH:MM");
  return {};
}

constexpr std::array<std::string_view, kCardEventCount> kEventIds = {
    "notice_sent", "shipment", "returned", "notice_returned", "reminder_sent", "disposed", "lost", "individual"};
constexpr std::array<std::string_view, kCardEventCount> kEventLabels = {
    "交付通知書発送日", "カード発送日", "カード返戻日", "通知書返戻日", "督促通知日", "廃棄日", "紛失日", "個別管理移行日"};
constexpr std::array<CardEvent, kCardEventCount> kEvents = {
    CardEvent::notice_sent, CardEvent::shipment, CardEvent::returned,  CardEvent::notice_returned,
    CardEvent::reminder_sent, CardEvent::disposed, CardEvent::lost, CardEvent::individual};

constexpr std::array<CardStatus, 10> kStatuses = {
    CardStatus::received, CardStatus::notice_sent, CardStatus::notice_returned, CardStatus::booked,
    CardStatus::shipped,  CardStatus::returned,    CardStatus::issued,          CardStatus::individual,
    CardStatus::disposed, CardStatus::lost};
constexpr std::array<std::string_view, 10> kStatusIds = {"received", "notice_sent", "notice_returned", "booked",
                                                         "shipped",  "returned",    "issued",          "individual",
                                                         "disposed", "lost"};
constexpr std::array<std::string_view, 10> kStatusLabels = {"受入済", "通知済", "通知書返戻", "予約済", "発送済",
                                                            "返戻",   "交付済", "個別管理",   "廃棄",   "紛失"};

constexpr std::array<std::string_view, 4> kSourceIds = {"qr", "renewal", "ledger", "manual"};

std::size_t idx(CardEvent e) { return static_cast<std::size_t>(e); }

Status read_object(const nlohmann::json& obj, const char* key, const nlohmann::json*& out) {
  out = nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return {};
  if (!it->is_object()) return make_error(Errc::malformed, std::string(kWhat) + "." + key + " must be an object");
  out = &*it;
  return {};
}

}  // namespace

std::string_view card_source_id(CardSource s) noexcept { return kSourceIds[static_cast<std::size_t>(s)]; }
std::optional<CardSource> card_source_from_id(std::string_view id) noexcept {
  for (std::size_t i = 0; i < kSourceIds.size(); ++i) {
    if (kSourceIds[i] == id) return static_cast<CardSource>(i);
  }
  return std::nullopt;
}

std::span<const CardEvent> all_card_events() noexcept { return kEvents; }
std::string_view card_event_id(CardEvent e) noexcept { return kEventIds[idx(e)]; }
std::string_view card_event_label(CardEvent e) noexcept { return kEventLabels[idx(e)]; }
std::optional<CardEvent> card_event_from_id(std::string_view id) noexcept {
  for (std::size_t i = 0; i < kEventIds.size(); ++i) {
    if (kEventIds[i] == id) return kEvents[i];
  }
  return std::nullopt;
}

std::span<const CardStatus> all_card_statuses() noexcept { return kStatuses; }
std::string_view card_status_id(CardStatus s) noexcept { return kStatusIds[static_cast<std::size_t>(s)]; }
std::string_view card_status_label(CardStatus s) noexcept { return kStatusLabels[static_cast<std::size_t>(s)]; }
std::optional<CardStatus> card_status_from_id(std::string_view id) noexcept {
  for (std::size_t i = 0; i < kStatusIds.size(); ++i) {
    if (kStatusIds[i] == id) return kStatuses[i];
  }
  return std::nullopt;
}

const std::optional<DatedNote>& card_event(const Card& card, CardEvent e) noexcept { return card.events[idx(e)]; }
std::optional<DatedNote>& card_event(Card& card, CardEvent e) noexcept { return card.events[idx(e)]; }

CardStatus card_status(const Card& card) noexcept {
  auto has = [&](CardEvent e) { return card.events[idx(e)].has_value(); };
  if (has(CardEvent::lost)) return CardStatus::lost;
  if (has(CardEvent::disposed)) return CardStatus::disposed;
  if (has(CardEvent::individual)) return CardStatus::individual;
  if (card.issued) return CardStatus::issued;
  if (has(CardEvent::returned)) return CardStatus::returned;
  if (has(CardEvent::shipment)) return CardStatus::shipped;
  if (card.booking) return CardStatus::booked;
  if (has(CardEvent::notice_returned)) return CardStatus::notice_returned;
  if (has(CardEvent::notice_sent) || has(CardEvent::reminder_sent)) return CardStatus::notice_sent;
  return CardStatus::received;
}

bool is_valid_date(std::string_view s) noexcept {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
    if (!digit(s[i])) return false;
  }
  const int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  const int m = (s[5] - '0') * 10 + (s[6] - '0');
  const int d = (s[8] - '0') * 10 + (s[9] - '0');
  if (y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  const int max = m == 2 && leap ? 29 : kDays[m - 1];
  return d <= max;
}

bool is_valid_date_time(std::string_view s) noexcept {
  if (s.size() != 16 || s[10] != 'T' || s[13] != ':') return false;
  if (!is_valid_date(s.substr(0, 10))) return false;
  if (!digit(s[11]) || !digit(s[12]) || !digit(s[14]) || !digit(s[15])) return false;
  const int h = (s[11] - '0') * 10 + (s[12] - '0');
  const int mi = (s[14] - '0') * 10 + (s[15] - '0');
  return h < 24 && mi < 60;
}

Status validate_manufacture_no(std::string_view s) {
  if (s.size() != 16 || !all_of(s, upper_alnum)) return bad("manufacture_no", "must be 16 characters of 0-9 A-Z");
  return {};
}

Status validate_card(const Card& c) {
  if (auto st = validate_manufacture_no(c.manufacture_no); !st) return st;
  if (!c.application_id.empty() && (c.application_id.size() != 23 || !all_of(c.application_id, digit))) {
    return bad("application_id", "must be empty or 23 digits");
  }
  if (!c.postcard_no.empty() &&
      (c.postcard_no.size() != 9 || !all_of(c.postcard_no.substr(0, 3), upper_alnum) ||
       !all_of(c.postcard_no.substr(3), digit))) {
    return bad("postcard_no", "must be empty or 3 characters of 0-9 A-Z and 6 digits");
  }
  if (auto st = check_line("name_kanji", c.name_kanji, 1, kMaxNameChars); !st) return st;
  if (auto st = check_line("name_kana", c.name_kana, 0, kMaxNameChars); !st) return st;
  if (auto st = check_date("birth_date", c.birth_date, true); !st) return st;
  if (!(c.sex.empty() || c.sex == "1" || c.sex == "2" || c.sex == "9")) return bad("sex", "must be empty, 1, 2 or 9");
  if (auto st = check_line("address", c.address, 0, kMaxAddressChars); !st) return st;
  if (auto st = check_date("card_expiry", c.card_expiry, false); !st) return st;
  if (auto st = check_date("cert_expiry", c.cert_expiry, false); !st) return st;
  if (auto st = check_line("counter", c.counter, 0, kMaxShortTextChars); !st) return st;
  if (auto st = check_line("shipment_no", c.shipment_no, 0, kMaxShortTextChars); !st) return st;
  if (c.receipt_no > 999999999999ULL) return bad("receipt_no", "must be at most 12 digits");
  if (c.booking) {
    if (auto st = check_date_time("booking.at", c.booking->at); !st) return st;
    if (auto st = check_line("booking.counter", c.booking->counter, 0, kMaxShortTextChars); !st) return st;
  }
  if (c.booking_history.size() > kMaxBookingHistory) {
    return bad("booking_history", "at most " + std::to_string(kMaxBookingHistory) + " entries");
  }
  for (const auto& h : c.booking_history) {
    if (!h.at.empty()) {
      if (auto st = check_date_time("booking_history.at", h.at); !st) return st;
    }
    if (auto st = check_line("booking_history.counter", h.counter, 0, kMaxShortTextChars); !st) return st;
    if (auto st = check_line("booking_history.staff", h.staff, 0, kMaxShortTextChars); !st) return st;
    if (auto st = check_note("booking_history.note", h.note); !st) return st;
  }
  if (c.issued) {
    if (auto st = check_date_time("issued.at", c.issued->at); !st) return st;
    if (auto st = check_line("issued.counter", c.issued->counter, 0, kMaxShortTextChars); !st) return st;
    if (auto st = check_note("issued.note", c.issued->note); !st) return st;
    if (auto st = check_line("issued.staff", c.issued->staff, 0, kMaxShortTextChars); !st) return st;
  }
  for (CardEvent e : kEvents) {
    const auto& ev = c.events[idx(e)];
    if (!ev) continue;
    const std::string f = "events." + std::string(card_event_id(e));
    if (auto st = check_date(f + ".date", ev->date, true); !st) return st;
    if (auto st = check_note(f + ".note", ev->note); !st) return st;
    if (auto st = check_line(f + ".staff", ev->staff, 0, kMaxShortTextChars); !st) return st;
  }
  if (c.renewal) {
    if (auto st = check_line("renewal.list", c.renewal->list, 1, kMaxShortTextChars); !st) return st;
    if (c.renewal->kind != "card" && c.renewal->kind != "cert") return bad("renewal.kind", "must be card or cert");
    if (auto st = check_date("renewal.due", c.renewal->due, true); !st) return st;
  }
  return check_note("note", c.note);
}

std::string card_key(const Card& card) { return card.manufacture_no; }

nlohmann::json card_to_json(const Card& c) {
  nlohmann::json j = nlohmann::json::object();
  j["manufacture_no"] = c.manufacture_no;
  j["application_id"] = c.application_id;
  j["postcard_no"] = c.postcard_no;
  j["name_kanji"] = c.name_kanji;
  j["name_kana"] = c.name_kana;
  j["birth_date"] = c.birth_date;
  j["sex"] = c.sex;
  j["address"] = c.address;
  j["card_expiry"] = c.card_expiry;
  j["cert_expiry"] = c.cert_expiry;
  j["source"] = std::string(card_source_id(c.source));
  j["receipt_no"] = c.receipt_no;
  j["counter"] = c.counter;
  j["shipment_no"] = c.shipment_no;
  j["imported_ms"] = c.imported_ms;
  if (c.booking) j["booking"] = {{"at", c.booking->at}, {"counter", c.booking->counter}};
  if (!c.booking_history.empty()) {
    auto& h = j["booking_history"] = nlohmann::json::array();
    for (const auto& b : c.booking_history) {
      h.push_back({{"at", b.at}, {"counter", b.counter}, {"changed_ms", b.changed_ms}, {"staff", b.staff},
                   {"note", b.note}});
    }
  }
  if (c.issued) {
    j["issued"] = {
        {"at", c.issued->at}, {"counter", c.issued->counter}, {"note", c.issued->note}, {"staff", c.issued->staff}};
  }
  nlohmann::json events = nlohmann::json::object();
  for (CardEvent e : kEvents) {
    const auto& ev = c.events[idx(e)];
    if (ev) events[std::string(card_event_id(e))] = {{"date", ev->date}, {"note", ev->note}, {"staff", ev->staff}};
  }
  if (!events.empty()) j["events"] = std::move(events);
  j["reissue"] = c.reissue;
  if (c.renewal) {
    j["renewal"] = {{"list", c.renewal->list},
                    {"kind", c.renewal->kind},
                    {"due", c.renewal->due},
                    {"matched_ms", c.renewal->matched_ms}};
  }
  j["note"] = c.note;
  return j;
}

Expected<Card> card_from_json(const nlohmann::json& body) {
  using detail::read_string;
  if (auto st = detail::require_object(body, kWhat); !st) return st.error();
  Card c;
  struct Field {
    const char* key;
    std::string Card::*member;
    bool required;
  };
  static constexpr Field kFields[] = {
      {"manufacture_no", &Card::manufacture_no, true}, {"application_id", &Card::application_id, false},
      {"postcard_no", &Card::postcard_no, false},       {"name_kanji", &Card::name_kanji, true},
      {"name_kana", &Card::name_kana, false},           {"birth_date", &Card::birth_date, true},
      {"sex", &Card::sex, false},                       {"address", &Card::address, false},
      {"card_expiry", &Card::card_expiry, false},       {"cert_expiry", &Card::cert_expiry, false},
      {"counter", &Card::counter, false},               {"shipment_no", &Card::shipment_no, false},
      {"note", &Card::note, false},
  };
  for (const auto& f : kFields) {
    if (auto st = read_string(body, kWhat, f.key, c.*f.member, f.required); !st) return st.error();
  }
  std::string source = "qr";
  if (auto st = read_string(body, kWhat, "source", source, false); !st) return st.error();
  auto src = card_source_from_id(source);
  if (!src) return bad("source", "must be qr, renewal, ledger or manual");
  c.source = *src;
  if (auto st = detail::read_u64(body, kWhat, "receipt_no", c.receipt_no, false); !st) return st.error();
  if (auto st = detail::read_i64(body, kWhat, "imported_ms", c.imported_ms, false); !st) return st.error();
  if (auto st = detail::read_bool(body, kWhat, "reissue", c.reissue, false); !st) return st.error();

  const nlohmann::json* o = nullptr;
  if (auto st = read_object(body, "booking", o); !st) return st.error();
  if (o) {
    CardBooking b;
    if (auto st = read_string(*o, "card.booking", "at", b.at, true); !st) return st.error();
    if (auto st = read_string(*o, "card.booking", "counter", b.counter, false); !st) return st.error();
    c.booking = std::move(b);
  }
  if (auto it = body.find("booking_history"); it != body.end() && !it->is_null()) {
    if (!it->is_array()) return make_error(Errc::malformed, "card.booking_history must be an array");
    if (it->size() > kMaxBookingHistory) {
      return bad("booking_history", "at most " + std::to_string(kMaxBookingHistory) + " entries");
    }
    for (const auto& h : *it) {
      if (auto st = detail::require_object(h, "card.booking_history[]"); !st) return st.error();
      BookingChange b;
      constexpr std::string_view w = "card.booking_history[]";
      if (auto st = read_string(h, w, "at", b.at, false); !st) return st.error();
      if (auto st = read_string(h, w, "counter", b.counter, false); !st) return st.error();
      if (auto st = detail::read_i64(h, w, "changed_ms", b.changed_ms, false); !st) return st.error();
      if (auto st = read_string(h, w, "staff", b.staff, false); !st) return st.error();
      if (auto st = read_string(h, w, "note", b.note, false); !st) return st.error();
      c.booking_history.push_back(std::move(b));
    }
  }
  if (auto st = read_object(body, "issued", o); !st) return st.error();
  if (o) {
    Issue i;
    constexpr std::string_view w = "card.issued";
    if (auto st = read_string(*o, w, "at", i.at, true); !st) return st.error();
    if (auto st = read_string(*o, w, "counter", i.counter, false); !st) return st.error();
    if (auto st = read_string(*o, w, "note", i.note, false); !st) return st.error();
    if (auto st = read_string(*o, w, "staff", i.staff, false); !st) return st.error();
    c.issued = std::move(i);
  }
  if (auto st = read_object(body, "events", o); !st) return st.error();
  if (o) {
    for (CardEvent e : kEvents) {
      auto it = o->find(std::string(card_event_id(e)));
      if (it == o->end() || it->is_null()) continue;
      const std::string w = "card.events." + std::string(card_event_id(e));
      if (auto st = detail::require_object(*it, w); !st) return st.error();
      DatedNote d;
      if (auto st = read_string(*it, w, "date", d.date, true); !st) return st.error();
      if (auto st = read_string(*it, w, "note", d.note, false); !st) return st.error();
      if (auto st = read_string(*it, w, "staff", d.staff, false); !st) return st.error();
      c.events[idx(e)] = std::move(d);
    }
  }
  if (auto st = read_object(body, "renewal", o); !st) return st.error();
  if (o) {
    Renewal r;
    constexpr std::string_view w = "card.renewal";
    if (auto st = read_string(*o, w, "list", r.list, true); !st) return st.error();
    if (auto st = read_string(*o, w, "kind", r.kind, true); !st) return st.error();
    if (auto st = read_string(*o, w, "due", r.due, true); !st) return st.error();
    if (auto st = detail::read_i64(*o, w, "matched_ms", r.matched_ms, false); !st) return st.error();
    c.renewal = std::move(r);
  }
  if (auto st = validate_card(c); !st) return st.error();
  return c;
}

Expected<bool> change_booking(Card& card, const std::optional<CardBooking>& next, std::string_view staff,
                              std::string_view note, std::int64_t now_ms) {
  if (next) {
    if (auto st = check_date_time("booking.at", next->at); !st) return st.error();
    if (auto st = check_line("booking.counter", next->counter, 0, kMaxShortTextChars); !st) return st.error();
  }
  if (auto st = check_note("note", note); !st) return st.error();
  const bool same = (!next && !card.booking) ||
                    (next && card.booking && next->at == card.booking->at && next->counter == card.booking->counter);
  if (same) return false;
  BookingChange before;
  if (card.booking) {
    before.at = card.booking->at;
    before.counter = card.booking->counter;
  }
  before.changed_ms = now_ms;
  before.staff = std::string(staff);
  before.note = std::string(note);
  card.booking_history.push_back(std::move(before));
  if (card.booking_history.size() > kMaxBookingHistory) {
    card.booking_history.erase(card.booking_history.begin(),
                               card.booking_history.begin() +
                                   static_cast<std::ptrdiff_t>(card.booking_history.size() - kMaxBookingHistory));
  }
  card.booking = next;
  // The body must stay within a record's bound: the oldest history goes first (the operation
  // log keeps every change).
  while (!card.booking_history.empty() && dump_body(card_to_json(card)).size() > kMaxBodyBytes) {
    card.booking_history.erase(card.booking_history.begin());
  }
  return true;
}

}  // namespace madoguchi::domain
