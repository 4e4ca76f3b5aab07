#include "madoguchi/domain/write_policy.h"

#include "madoguchi/domain/device_status.h"

#include "madoguchi/domain/booking.h"
#include "madoguchi/domain/calendar_config.h"
#include "madoguchi/domain/card.h"
#include "madoguchi/domain/counter_master.h"
#include "madoguchi/domain/slots.h"
#include "madoguchi/domain/card_import.h"
#include "madoguchi/domain/notice.h"
#include "madoguchi/domain/oplog.h"
#include "madoguchi/domain/permissions.h"
#include "madoguchi/domain/record_body.h"
#include "madoguchi/domain/settings.h"
#include "madoguchi/domain/staff.h"

namespace madoguchi::domain {

namespace {

bool from_hub(const WriteRequest& r) { return r.origin == "hub"; }

Status check_staff(const WriteRequest& r) {
  if (r.remove) {
    if (from_hub(r)) return {};
    return make_error(Errc::forbidden, "counters may not delete staff accounts");
  }
  auto body = parse_body(r.body);
  if (!body) return body.error();
  auto account = staff_from_json(*body);
  if (!account) return account.error();
  if (staff_key(*account) != r.key) return make_error(Errc::invalid_argument, "staff record key does not match its id");
  if (from_hub(r)) return {};
  // A counter may only record a password change of an existing, enabled account...
  if (!r.current_body) return make_error(Errc::forbidden, "counters may not create staff accounts");
  auto cur_body = parse_body(*r.current_body);
  if (!cur_body) return cur_body.error();
  auto current = staff_from_json(*cur_body);
  if (!current) return current.error();
  if (account->name != current->name || account->role_id != current->role_id || account->enabled != current->enabled ||
      !current->enabled) {
    return make_error(Errc::forbidden, "counters may change only a password of an enabled account");
  }
  if (account->must_change_password && !current->must_change_password) {
    return make_error(Errc::forbidden, "counters may not require a password change");
  }
  // ...made by the person who knows the current password (issue 11 hole 4): a local user of a
  // counter PC holds every hash but cannot sign with a password it does not know.
  return verify_password_change(*current, *account);
}

Status check_hub_only(const WriteRequest& r, bool (*decodes)(const WriteRequest&)) {
  if (!from_hub(r)) return make_error(Errc::forbidden, std::string("counters may not change ") + std::string(r.entity) + " records");
  if (!r.remove && !decodes(r)) return make_error(Errc::invalid_argument, std::string(r.entity) + " record does not decode");
  return {};
}

bool role_decodes(const WriteRequest& r) {
  auto body = parse_body(r.body);
  if (!body) return false;
  auto role = role_from_json(*body);
  return role && role_key(*role) == r.key;
}

bool settings_decode(const WriteRequest& r) {
  auto body = parse_body(r.body);
  return body && settings_from_json(*body) && r.key == "system";
}

Status check_oplog(const WriteRequest& r) {
  if (r.remove) return make_error(Errc::forbidden, "operation log entries cannot be deleted");
  if (r.current_body) return make_error(Errc::forbidden, "operation log entries cannot be changed");
  auto body = parse_body(r.body);
  if (!body) return body.error();
  auto entry = oplog_from_json(*body);
  if (!entry) return entry.error();
  if (oplog_key(*entry) != r.key) return make_error(Errc::invalid_argument, "operation log key does not match its entry");
  if (!from_hub(r) && entry->device != r.origin) {
    return make_error(Errc::forbidden, "a counter may only write its own operation log");
  }
  if (entry->hash != compute_hash(*entry)) return make_error(Errc::invalid_argument, "operation log entry hash does not match");
  return {};
}

// Cards are authored at the counters (QR import, progress) and at the hub alike; the hub only
// refuses a body that does not decode or does not match its key (ISS-1, ISS-8).
Status check_card(const WriteRequest& r) {
  if (r.remove) return {};
  auto body = parse_body(r.body);
  if (!body) return body.error();
  auto card = card_from_json(*body);
  if (!card) return card.error();
  if (card_key(*card) != r.key) return make_error(Errc::invalid_argument, "card record key does not match its manufacture number");
  return {};
}

// An imported J-LIS code (card_import.h) is written by the counter that read it, in the same
// transaction as its cards, so counters author it; the hub refuses a body that does not decode or
// whose key is not the record key of its code. Its existence is what refuses reading the code
// again, so only the hub may remove one (ISS-1, ISS-2).
Status check_jlis_code(const WriteRequest& r) {
  if (r.remove) {
    if (from_hub(r)) return {};
    return make_error(Errc::forbidden, "counters may not delete imported J-LIS code records");
  }
  auto body = parse_body(r.body);
  if (!body) return body.error();
  auto code = imported_code_from_json(*body);
  if (!code) return code.error();
  if (imported_code_key(code->code) != r.key) {
    return make_error(Errc::invalid_argument, "jlis_code record key does not match its code");
  }
  return {};
}

// Counter masters and slots (MST) are authored at the hub; a counter PC may not change them.
bool counter_decodes(const WriteRequest& r) {
  auto body = parse_body(r.body);
  if (!body) return false;
  auto counter = counter_from_json(*body);
  return counter && counter_key(*counter) == r.key;
}

bool slot_decodes(const WriteRequest& r) {
  auto body = parse_body(r.body);
  if (!body) return false;
  auto slot = slot_from_json(*body);
  return slot && slot_key(*slot) == r.key;
}

// Bookings (RSV, PHN, EDGE-5) are written by the citizen site and the hub console, and by counter
// PCs for phone bookings, offline too; whether the slot has room is the booking rule's business
// (check_booking_rule, judged by the hub in the same transaction). Here: the body decodes and
// matches its key; a counter may not replace the password of an existing booking (that would
// take the resident's booking over) nor create a booking as if the resident had made it on the
// web; only the hub removes booking records.
Status check_booking(const WriteRequest& r) {
  if (r.remove) {
    if (from_hub(r)) return {};
    return make_error(Errc::forbidden, "counters may not delete booking records (cancel them instead)");
  }
  auto body = parse_body(r.body);
  if (!body) return body.error();
  auto booking = booking_from_json(*body);
  if (!booking) return booking.error();
  if (booking->receipt != r.key) {
    return make_error(Errc::invalid_argument, "booking record key does not match its receipt number");
  }
  if (from_hub(r)) return {};
  if (!r.current_body) {
    if (booking->channel == BookingChannel::web) {
      return make_error(Errc::forbidden, "counters may not create bookings of channel web");
    }
    return {};
  }
  auto cur_body = parse_body(*r.current_body);
  if (!cur_body) return make_error(Errc::forbidden, "the stored booking does not decode; only the hub may replace it");
  auto current = booking_from_json(*cur_body);
  if (!current) return make_error(Errc::forbidden, "the stored booking does not decode; only the hub may replace it");
  if (booking->password_hash != current->password_hash) {
    return make_error(Errc::forbidden, "counters may not change the password of a booking");
  }
  return {};
}

// Notices and the calendar configuration are authored at the hub console only.
bool notice_decodes(const WriteRequest& r) {
  auto body = parse_body(r.body);
  if (!body) return false;
  auto notice = notice_from_json(*body);
  return notice && notice->id == r.key;
}

// The calendar's body is bounded by parse_body (kMaxBodyBytes, which is also kMaxCalendarBodyBytes:
// the record travels on the feed to every edge).
bool calendar_decodes(const WriteRequest& r) {
  auto body = parse_body(r.body);
  return body && calendar_config_from_json(*body) && r.key == kCalendarConfigKey;
}

}  // namespace

Status check_write(const WriteRequest& r) {
  if (r.entity == "staff") return check_staff(r);
  if (r.entity == "role") return check_hub_only(r, role_decodes);
  if (r.entity == "setting") return check_hub_only(r, settings_decode);
  if (r.entity == "oplog") return check_oplog(r);
  if (r.entity == "card") return check_card(r);
  if (r.entity == kJlisCodeEntity) return check_jlis_code(r);
  if (r.entity == kCounterEntity) return check_hub_only(r, counter_decodes);
  if (r.entity == kSlotEntity) return check_hub_only(r, slot_decodes);
  if (r.entity == kBookingEntity) return check_booking(r);
  if (r.entity == kNoticeEntity) return check_hub_only(r, notice_decodes);
  if (r.entity == kCalendarEntity) return check_hub_only(r, calendar_decodes);
  if (r.entity == kDeviceStatusEntity) return check_device_status_write(r.origin, r.key, r.remove, r.body);
  return {};
}

}  // namespace madoguchi::domain
