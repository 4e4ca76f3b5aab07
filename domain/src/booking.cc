#include "madoguchi/domain/booking.h"

#include "madoguchi/domain/booking_backend.h"

#include <sodium.h>

#include <array>
#include <set>

#include "madoguchi/domain/password.h"
#include "madoguchi/domain/staff.h"
#include "madoguchi/text/normalize.h"
#include "text.h"

namespace madoguchi::domain {

namespace {
constexpr std::string_view kWhat = "booking";
constexpr std::size_t kMaxPasswordHashBytes = 256;
constexpr std::size_t kMaxBookingPasswordBytes = 64;
constexpr std::size_t kMaxNameKanaChars = 64;
constexpr std::size_t kMaxEventNoteChars = 200;
constexpr std::size_t kMaxEmailBytes = 254;
constexpr std::size_t kMaxPhoneBytes = 20;
// Booking passwords: argon2id, t=2, 1 MiB (header: why lighter than staff passwords).
constexpr unsigned long long kBookingOpsLimit = 2;
constexpr std::size_t kBookingMemLimit = 1024 * 1024;

constexpr std::array<ApplicationKind, 4> kApplicationKinds{ApplicationKind::new_issue, ApplicationKind::renewal,
                                                           ApplicationKind::reissue, ApplicationKind::other};
constexpr std::array<std::string_view, 5> kEventActions{"created", "changed", "cancelled", "reminded", "note"};

Error bad(std::string_view field, std::string_view reason) { return detail::field_error(field, reason); }

bool sodium_ready() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

bool id_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}
bool upper_alnum(char c) noexcept { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool digit(char c) noexcept { return c >= '0' && c <= '9'; }
char ascii_upper(char c) noexcept { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

Status check_receipt(std::string_view r) {
  bool ok = !r.empty() && r.size() <= kMaxReceiptBytes;
  for (char c : r) ok = ok && id_char(c);
  if (!ok) return bad("receipt", "must be 1-64 characters of A-Z a-z 0-9 _ -");
  return {};
}

Status check_email(std::string_view a) {
  if (a.empty()) return {};
  const auto at = a.find('@');
  bool ok = a.size() <= kMaxEmailBytes && at != std::string_view::npos && at > 0 && at + 1 < a.size() &&
            a.find('@', at + 1) == std::string_view::npos && a.find('.', at) != std::string_view::npos;
  for (char c : a) ok = ok && c > 0x20 && c < 0x7f && c != '<' && c != '>' && c != ',' && c != ';' && c != '"';
  if (!ok) return bad("email", "must be empty or one mail address like taro@example.jp (at most 254 characters)");
  return {};
}

Status check_phone(std::string_view p) {
  bool ok = p.size() <= kMaxPhoneBytes;
  for (char c : p) ok = ok && (digit(c) || c == '-' || c == '+');
  if (!ok) return bad("phone", "must be empty or 1-20 characters of 0-9 - +");
  return {};
}

// Valid UTF-8, no control characters except line breaks, at most max_chars code points.
Status check_multiline(std::string_view field, std::string_view s, std::size_t max_chars) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size();) {
    auto cp = detail::next_code_point(s, i);
    if (!cp) return bad(field, "must be valid UTF-8");
    if (detail::is_control(*cp) && *cp != '\n' && *cp != '\r') {
      return bad(field, "must not contain control characters other than line breaks");
    }
    ++chars;
  }
  if (chars > max_chars) return bad(field, "must be at most " + std::to_string(max_chars) + " characters");
  return {};
}

bool valid_by(std::string_view by) {
  if (by == "web" || by == "hub") return true;
  if (by.substr(0, 6) != "staff:") return false;
  return static_cast<bool>(validate_staff_id(by.substr(6)));
}

Status check_event(const BookingEvent& e, std::size_t i) {
  const std::string f = "history[" + std::to_string(i) + "]";
  if (e.at_ms < 0) return bad(f + ".at_ms", "must not be negative");
  bool known = false;
  for (auto a : kEventActions) known = known || a == e.action;
  if (!known) return bad(f + ".action", "must be one of created, changed, cancelled, reminded, note");
  if (!valid_by(e.by)) return bad(f + ".by", "must be web, hub or staff:<staff id>");
  if (!e.slot.empty() && !parse_slot_key(e.slot)) return bad(f + ".slot", "must be empty or a slot key");
  if (auto st = detail::check_line(f + ".note", e.note, 0, kMaxEventNoteChars); !st) return st;
  return {};
}

Status check_people(const Booking& b) {
  if (b.people.empty() || b.people.size() > kMaxBookingPeople) {
    return bad("people", "must name 1-" + std::to_string(kMaxBookingPeople) + " people");
  }
  std::set<std::string_view> numbers;
  for (std::size_t i = 0; i < b.people.size(); ++i) {
    const auto& p = b.people[i];
    const std::string f = "people[" + std::to_string(i) + "]";
    if (b.business == Business::collection) {
      if (!validate_manufacture_no(p.manufacture_no)) return bad(f + ".manufacture_no", "must be 16 characters of 0-9 A-Z");
      if (auto st = detail::check_line(f + ".name_kana", p.name_kana, 0, kMaxNameKanaChars); !st) return st;
    } else {
      if (!p.manufacture_no.empty() && !validate_manufacture_no(p.manufacture_no)) {
        return bad(f + ".manufacture_no", "must be empty or 16 characters of 0-9 A-Z");
      }
      if (auto st = detail::check_line(f + ".name_kana", p.name_kana, 1, kMaxNameKanaChars); !st) return st;
    }
    if (!p.manufacture_no.empty() && !numbers.insert(p.manufacture_no).second) {
      return bad(f + ".manufacture_no", "names a card already in this booking");
    }
  }
  return {};
}

// The typed booking password folded for hashing and verifying: full-width to half-width, spaces
// removed, letters upper-cased (text::search_key folds width and case; then upper case).
std::optional<std::string> fold_password(std::string_view typed) {
  if (typed.empty() || typed.size() > kMaxBookingPasswordBytes) return std::nullopt;
  auto key = text::search_key(typed);
  if (!key || key->empty()) return std::nullopt;
  for (char& c : *key) c = ascii_upper(c);
  return *key;
}

Status read_object_array(const nlohmann::json& body, const char* key, std::size_t bound,
                         const nlohmann::json*& out) {
  const auto it = body.find(key);
  if (it == body.end()) return make_error(Errc::malformed, std::string(kWhat) + "." + key + ": missing");
  if (!it->is_array()) return make_error(Errc::malformed, std::string(kWhat) + "." + key + ": must be an array");
  if (it->size() > bound) return bad(key, "at most " + std::to_string(bound) + " entries");
  for (const auto& v : *it) {
    if (!v.is_object()) {
      return make_error(Errc::malformed, std::string(kWhat) + "." + key + ": entries must be objects");
    }
  }
  out = &*it;
  return {};
}
}  // namespace

std::span<const ApplicationKind> all_application_kinds() noexcept { return kApplicationKinds; }

std::string_view application_kind_id(ApplicationKind k) noexcept {
  switch (k) {
    case ApplicationKind::new_issue: return "new";
    case ApplicationKind::renewal: return "renewal";
    case ApplicationKind::reissue: return "reissue";
    case ApplicationKind::other: return "other";
  }
  return "other";
}

std::string_view application_kind_label(ApplicationKind k) noexcept {
  switch (k) {
    case ApplicationKind::new_issue: return "新規申請";
    case ApplicationKind::renewal: return "カード更新";
    case ApplicationKind::reissue: return "再交付";
    case ApplicationKind::other: return "その他";
  }
  return "その他";
}

std::optional<ApplicationKind> application_kind_from_id(std::string_view id) noexcept {
  for (auto k : kApplicationKinds) {
    if (application_kind_id(k) == id) return k;
  }
  return std::nullopt;
}

std::string_view booking_channel_id(BookingChannel c) noexcept {
  return c == BookingChannel::phone ? "phone" : "web";
}

std::optional<SlotRef> parse_slot_key(std::string_view key) {
  const auto colon = key.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const auto counter = key.substr(0, colon);
  if (!validate_counter_id(counter)) return std::nullopt;
  auto start = parse_date_time(key.substr(colon + 1));
  if (!start) return std::nullopt;
  return SlotRef{std::string(counter), *start};
}

LocalDateTime japan_local_time(std::int64_t unix_ms) noexcept {
  constexpr std::int64_t kMsPerDay = 86'400'000;
  const std::int64_t local = unix_ms + 9 * 3'600'000;
  std::int64_t days = local / kMsPerDay;
  std::int64_t rem = local % kMsPerDay;
  if (rem < 0) {
    rem += kMsPerDay;
    --days;
  }
  return LocalDateTime{calendar::add_days(calendar::Date{1970, 1, 1}, static_cast<int>(days)),
                       static_cast<int>(rem / 60'000)};
}

int booking_places(const Booking& booking) noexcept {
  return booking.cancelled ? 0 : static_cast<int>(booking.people.size());
}

Status validate_booking(const Booking& b) {
  if (auto st = check_receipt(b.receipt); !st) return st;
  if (b.password_hash.empty() || b.password_hash.size() > kMaxPasswordHashBytes || !is_password_hash(b.password_hash)) {
    return bad("password_hash", "must be an argon2id hash string");
  }
  if (b.business == Business::application && !b.application_kind) {
    return bad("application_kind", "is required for an application booking (new, renewal, reissue, other)");
  }
  if (b.business != Business::application && b.application_kind) {
    return bad("application_kind", "is only for an application booking");
  }
  if (!validate_counter_id(b.counter)) return bad("counter", "must be 1-16 characters of A-Z a-z 0-9 _ -");
  auto ref = parse_slot_key(b.slot);
  if (!ref) return bad("slot", "must be a slot key <counter>:<YYYY-MM-DD>T<HH:MM>");
  if (ref->counter != b.counter) return bad("slot", "must be a slot of the booking's counter");
  if (auto st = check_people(b); !st) return st;
  if (auto st = check_email(b.email); !st) return st;
  if (b.channel == BookingChannel::web && b.email.empty()) {
    return bad("email", "is required for a booking made on the web (the receipt number and password are mailed)");
  }
  if (auto st = check_phone(b.phone); !st) return st;
  if (auto st = check_multiline("note", b.note, kMaxBookingNoteChars); !st) return st;
  if (b.channel == BookingChannel::web) {
    if (!b.staff.empty()) return bad("staff", "must be empty for a booking made on the web");
    if (b.override_flags.deadline || b.override_flags.capacity) {
      return bad("override", "only staff bookings (channel phone) may override the deadline or capacity");
    }
  } else if (!validate_staff_id(b.staff)) {
    return bad("staff", "must be the staff id of who took the phone booking");
  }
  if (b.created_ms < 0) return bad("created_ms", "must not be negative");
  if (b.updated_ms < 0) return bad("updated_ms", "must not be negative");
  if (b.reminded_ms < 0) return bad("reminded_ms", "must not be negative");
  if (b.history.size() > kMaxBookingEvents) {
    return bad("history", "at most " + std::to_string(kMaxBookingEvents) + " entries");
  }
  for (std::size_t i = 0; i < b.history.size(); ++i) {
    if (auto st = check_event(b.history[i], i); !st) return st;
  }
  return {};
}

nlohmann::json booking_to_json(const Booking& b) {
  nlohmann::json people = nlohmann::json::array();
  for (const auto& p : b.people) people.push_back({{"manufacture_no", p.manufacture_no}, {"name_kana", p.name_kana}});
  nlohmann::json history = nlohmann::json::array();
  for (const auto& e : b.history) {
    history.push_back({{"action", e.action}, {"at_ms", e.at_ms}, {"by", e.by}, {"note", e.note}, {"slot", e.slot}});
  }
  nlohmann::json j{{"business", business_id(b.business)},
                   {"cancelled", b.cancelled},
                   {"channel", booking_channel_id(b.channel)},
                   {"counter", b.counter},
                   {"created_ms", b.created_ms},
                   {"email", b.email},
                   {"history", std::move(history)},
                   {"note", b.note},
                   {"override", {{"capacity", b.override_flags.capacity}, {"deadline", b.override_flags.deadline}}},
                   {"password_hash", b.password_hash},
                   {"people", std::move(people)},
                   {"phone", b.phone},
                   {"proxy", b.proxy},
                   {"receipt", b.receipt},
                   {"reminded_ms", b.reminded_ms},
                   {"slot", b.slot},
                   {"staff", b.staff},
                   {"updated_ms", b.updated_ms}};
  if (b.application_kind) j["application_kind"] = application_kind_id(*b.application_kind);
  return j;
}

Expected<Booking> booking_from_json(const nlohmann::json& body) {
  using namespace detail;
  if (auto st = require_object(body, kWhat); !st) return st.error();
  Booking b;
  for (auto [key, field] : {std::pair{"receipt", &b.receipt}, std::pair{"password_hash", &b.password_hash},
                            std::pair{"counter", &b.counter}, std::pair{"slot", &b.slot},
                            std::pair{"email", &b.email}, std::pair{"phone", &b.phone}, std::pair{"note", &b.note},
                            std::pair{"staff", &b.staff}}) {
    if (auto st = read_string(body, kWhat, key, *field, true); !st) return st.error();
  }
  std::string text;
  if (auto st = read_string(body, kWhat, "business", text, true); !st) return st.error();
  auto business = business_from_id(text);
  if (!business) return bad("business", "must be collection, application or cert_renewal");
  b.business = *business;
  if (body.contains("application_kind")) {
    text.clear();
    if (auto st = read_string(body, kWhat, "application_kind", text, true); !st) return st.error();
    auto kind = application_kind_from_id(text);
    if (!kind) return bad("application_kind", "must be new, renewal, reissue or other");
    b.application_kind = *kind;
  }
  text.clear();
  if (auto st = read_string(body, kWhat, "channel", text, true); !st) return st.error();
  if (text == "web") {
    b.channel = BookingChannel::web;
  } else if (text == "phone") {
    b.channel = BookingChannel::phone;
  } else {
    return bad("channel", "must be web or phone");
  }
  if (auto st = read_bool(body, kWhat, "proxy", b.proxy, true); !st) return st.error();
  if (auto st = read_bool(body, kWhat, "cancelled", b.cancelled, true); !st) return st.error();
  for (auto [key, field] : {std::pair{"created_ms", &b.created_ms}, std::pair{"updated_ms", &b.updated_ms},
                            std::pair{"reminded_ms", &b.reminded_ms}}) {
    if (auto st = read_i64(body, kWhat, key, *field, true); !st) return st.error();
  }

  const auto ov = body.find("override");
  if (ov == body.end()) return make_error(Errc::malformed, "booking.override: missing");
  if (!ov->is_object()) return make_error(Errc::malformed, "booking.override: must be an object");
  if (auto st = read_bool(*ov, "booking.override", "capacity", b.override_flags.capacity, true); !st) {
    return st.error();
  }
  if (auto st = read_bool(*ov, "booking.override", "deadline", b.override_flags.deadline, true); !st) {
    return st.error();
  }

  const nlohmann::json* people = nullptr;
  if (auto st = read_object_array(body, "people", kMaxBookingPeople, people); !st) return st.error();
  for (const auto& p : *people) {
    BookingPerson person;
    if (auto st = read_string(p, "booking.people", "manufacture_no", person.manufacture_no, true); !st) {
      return st.error();
    }
    if (auto st = read_string(p, "booking.people", "name_kana", person.name_kana, true); !st) return st.error();
    b.people.push_back(std::move(person));
  }

  const nlohmann::json* history = nullptr;
  if (auto st = read_object_array(body, "history", kMaxBookingEvents, history); !st) return st.error();
  for (const auto& h : *history) {
    BookingEvent e;
    if (auto st = read_i64(h, "booking.history", "at_ms", e.at_ms, true); !st) return st.error();
    for (auto [key, field] : {std::pair{"action", &e.action}, std::pair{"by", &e.by}, std::pair{"slot", &e.slot},
                              std::pair{"note", &e.note}}) {
      if (auto st = read_string(h, "booking.history", key, *field, true); !st) return st.error();
    }
    b.history.push_back(std::move(e));
  }
  if (auto st = validate_booking(b); !st) return st.error();
  return b;
}

void add_booking_event(Booking& booking, BookingEvent event) {
  booking.history.push_back(std::move(event));
  if (booking.history.size() > kMaxBookingEvents) {
    booking.history.erase(booking.history.begin(),
                          booking.history.begin() + static_cast<std::ptrdiff_t>(booking.history.size() - kMaxBookingEvents));
  }
}

std::string generate_booking_password() {
  (void)sodium_ready();  // randombytes works without it; initialising picks the best generator
  std::string out;
  out.reserve(kBookingPasswordChars);
  const auto n = static_cast<std::uint32_t>(kBookingPasswordAlphabet.size());
  for (std::size_t i = 0; i < kBookingPasswordChars; ++i) out += kBookingPasswordAlphabet[randombytes_uniform(n)];
  return out;
}

Expected<std::string> hash_booking_password(std::string_view password, bool fast_for_tests) {
  if (password.empty() || password.size() > kMaxBookingPasswordBytes) {
    return make_error(Errc::invalid_argument, "password: must be 1-64 bytes");
  }
  auto folded = fold_password(password);
  if (!folded) return make_error(Errc::invalid_argument, "password: must be valid UTF-8 with a letter or digit");
  if (!sodium_ready()) return make_error(Errc::crypto, "libsodium could not be initialised");
  char out[crypto_pwhash_STRBYTES];
  const unsigned long long ops = fast_for_tests ? crypto_pwhash_argon2id_OPSLIMIT_MIN : kBookingOpsLimit;
  const std::size_t mem = fast_for_tests ? crypto_pwhash_argon2id_MEMLIMIT_MIN : kBookingMemLimit;
  if (crypto_pwhash_str_alg(out, folded->data(), folded->size(), ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return make_error(Errc::crypto, "argon2id hashing failed (out of memory)");
  }
  return std::string(out);
}

bool verify_booking_password(const Booking& booking, std::string_view password) {
  auto folded = fold_password(password);
  if (!folded) return false;
  // verify_password checks the hash's shape and cost bounds before libsodium sees it.
  return verify_password(booking.password_hash, *folded);
}

std::string normalize_postcard_no(std::string_view typed) {
  auto key = text::search_key(typed);  // full-width ASCII to ASCII, lower case, spaces removed
  if (!key) return {};
  std::string out;
  const std::string_view k = *key;
  for (std::size_t i = 0; i < k.size();) {
    auto cp = detail::next_code_point(k, i);
    if (!cp) return {};
    const char32_t c = *cp;
    // Hyphens and what an IME makes of them: - ‐ ‑ ‒ – — ― − ー ｰ
    if (c == '-' || (c >= 0x2010 && c <= 0x2015) || c == 0x2212 || c == 0x30FC || c == 0xFF70) continue;
    if (c >= 0x80) return {};
    const char a = ascii_upper(static_cast<char>(c));
    if (!upper_alnum(a)) return {};
    out += a;
  }
  if (out.size() != 9) return {};
  for (std::size_t i = 0; i < 3; ++i) {
    if (!upper_alnum(out[i])) return {};
  }
  for (std::size_t i = 3; i < 9; ++i) {
    if (!digit(out[i])) return {};
  }
  return out;
}

bool card_matches(const Card& card, std::string_view postcard_no, int birth_month, int birth_day) {
  if (card.postcard_no.empty() || card.birth_date.size() != 10) return false;
  const auto typed = normalize_postcard_no(postcard_no);
  if (typed.empty() || typed != normalize_postcard_no(card.postcard_no)) return false;
  auto date = calendar::parse_iso(card.birth_date);
  if (!date) return false;
  return date->month == birth_month && date->day == birth_day;
}

Status check_booking_rule(const BookingRuleInput& in) {
  if (in.after == nullptr) return {};  // a removal: who may remove is check_write's business
  const Booking& after = *in.after;
  const Booking* before = in.before;
  const std::string& key = after.slot;

  const bool sets_deadline = after.override_flags.deadline && !(before && before->override_flags.deadline);
  const bool sets_capacity = after.override_flags.capacity && !(before && before->override_flags.capacity);
  if ((sets_deadline || sets_capacity) && !in.may_override) {
    return make_error(Errc::forbidden, "overriding the deadline or capacity needs the booking_override permission");
  }

  int new_places = booking_places(after);
  if (before && before->slot == after.slot) new_places -= booking_places(*before);
  if (new_places <= 0) return {};  // takes no new place: cancellation, note, fewer people, ...

  if (!in.slot) return make_error(Errc::not_found, "slot " + key + " does not exist");
  const Slot& slot = *in.slot;
  if (slot_key(slot) != key) {
    return make_error(Errc::invalid_argument, "slot record " + slot_key(slot) + " is not the booking's slot " + key);
  }
  if (!slot.open || slot.capacity <= 0) return make_error(Errc::forbidden, "slot " + key + " is closed");
  if (!in.counter || in.counter->id != after.counter) {
    return make_error(Errc::not_found, "counter " + after.counter + " does not exist");
  }
  if (in.counter->businesses.count(after.business) == 0) {
    return make_error(Errc::forbidden,
                      "counter " + after.counter + " does not handle " + std::string(business_id(after.business)));
  }
  if (!within_validity(*in.counter, slot.start, slot.minutes)) {
    return make_error(Errc::forbidden, "slot " + key + " is outside the validity of counter " + after.counter);
  }
  if (slot.deadline < in.now && !(after.override_flags.deadline && in.may_override)) {
    return make_error(Errc::forbidden, "deadline of slot " + key + " passed at " + format_date_time(slot.deadline));
  }
  if (in.booked_by_others + booking_places(after) > slot.capacity &&
      !(after.override_flags.capacity && in.may_override)) {
    return make_error(Errc::capacity, "slot " + key + " is full (" + std::to_string(in.booked_by_others) + " of " +
                                          std::to_string(slot.capacity) + " places taken)");
  }
  return {};
}

Status resident_may_book(const CounterMaster& counter, const Slot& slot, Business business, int booked, int places,
                         const LocalDateTime& now, int default_days_ahead) {
  const std::string key = slot_key(slot);
  if (places < 1 || places > static_cast<int>(kMaxBookingPeople)) {
    return make_error(Errc::invalid_argument, "people: must name 1-" + std::to_string(kMaxBookingPeople) + " people");
  }
  if (slot.counter != counter.id) {
    return make_error(Errc::invalid_argument, "slot " + key + " is not a slot of counter " + counter.id);
  }
  if (!counter.visible_on_site) {
    return make_error(Errc::forbidden, "counter " + counter.id + " is not offered on the booking site");
  }
  if (counter.businesses.count(business) == 0) {
    return make_error(Errc::forbidden, "counter " + counter.id + " does not handle " + std::string(business_id(business)));
  }
  if (!within_validity(counter, slot.start, slot.minutes)) {
    return make_error(Errc::forbidden, "slot " + key + " is outside the validity of counter " + counter.id);
  }
  if (!slot.open || slot.capacity <= 0) return make_error(Errc::forbidden, "slot " + key + " is closed");
  if (!(now < slot.start)) return make_error(Errc::forbidden, "slot " + key + " has already started");
  if (slot.deadline < now) {
    return make_error(Errc::forbidden, "deadline of slot " + key + " passed at " + format_date_time(slot.deadline));
  }
  const int days_ahead = counter.days_ahead ? *counter.days_ahead : default_days_ahead;
  if (calendar::days_between(now.date, slot.start.date) > days_ahead) {
    return make_error(Errc::forbidden,
                      "slot " + key + " is more than " + std::to_string(days_ahead) + " days ahead");
  }
  if (booked + places > slot.capacity) {
    return make_error(Errc::capacity, "slot " + key + " is full (" + std::to_string(booked) + " of " +
                                          std::to_string(slot.capacity) + " places taken)");
  }
  return {};
}

bool resident_may_change(const Slot& slot, const LocalDateTime& now) noexcept { return !(slot.deadline < now); }

Booking booking_from_request(const NewBooking& request, const BookingActor& actor, std::string counter,
                             std::int64_t now_ms) {
  const bool staff = actor.kind == BookingActor::Kind::staff;
  Booking b;
  b.business = request.business;
  b.application_kind = request.application_kind;
  b.counter = std::move(counter);
  b.slot = request.slot;
  b.people = request.people;
  b.proxy = request.proxy;
  b.email = request.email;
  b.phone = request.phone;
  b.note = request.note;
  b.channel = staff ? BookingChannel::phone : BookingChannel::web;
  b.staff = staff ? actor.staff_id : std::string();
  b.override_flags = staff ? request.override_flags : BookingOverride{};
  b.created_ms = now_ms;
  b.updated_ms = now_ms;
  add_booking_event(b, BookingEvent{now_ms, "created", staff ? "staff:" + actor.staff_id : std::string("web"), b.slot, ""});
  return b;
}

}  // namespace madoguchi::domain
