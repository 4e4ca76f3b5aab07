// Which changes of console records the hub accepts, and from whom (SEC-2, least privilege).
//
// Staff accounts, roles and settings are authored at the hub. A counter PC holds them to let staff
// sign in offline, and may change exactly one thing: a person's own password (the password
// change screen works offline), proved with the current password (staff.h,
// verify_password_change); that the account holds no administration menu is judged with the roles
// in the hub's writing transaction (hub: booking_service.h, the record rules). Operation log entries are append-only and belong to the device
// that made them. Without this check a compromised counter PC could make itself administrator of
// the whole municipality, or rewrite other counters' logs. Cards and imported J-LIS codes
// ("jlis_code") are written at the counters too, but must decode and match their key; a
// jlis_code record may be removed only by the hub (it is what refuses reading a code twice).
// Counter masters, slots, notices and the calendar configuration are hub-only. Bookings are
// written from anywhere (counter PCs take phone bookings offline, PHN-1, EDGE-3) but must decode
// and match their receipt number; a counter may not change the password_hash of an existing
// booking nor create one of channel "web", and only the hub removes one. Whether the slot has room
// is not judged here but by check_booking_rule (booking.h), in the hub's apply transaction.
//
// The hub calls check_write() for every operation before the conflict rule. Entities other than
// the console's are not judged here. Pure function.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "madoguchi/error.h"

namespace madoguchi::domain {

struct WriteRequest {
  std::string_view origin;      // "hub" or the device id (within the municipality)
  std::string_view entity;
  std::string_view key;
  bool remove = false;
  std::string_view body;        // JSON text (empty for remove)
  std::optional<std::string_view> current_body;  // the hub's live record, if any
};

// Errc::forbidden for a change this origin may not make, Errc::invalid_argument / malformed for a
// body that does not decode as its entity or whose key does not match it.
Status check_write(const WriteRequest& request);

}  // namespace madoguchi::domain
