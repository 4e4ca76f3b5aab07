// SEC-2: a counter PC may change only a person's own password among the console's records, and
// only append its own operation log; staff, roles and settings are authored at the hub. Cards and
// imported J-LIS codes must decode and match their key; only the hub removes a code (ISS-1, ISS-2).
#include <catch2/catch.hpp>

#include "madoguchi/domain/booking.h"
#include "madoguchi/domain/calendar_config.h"
#include "madoguchi/domain/card_import.h"
#include "madoguchi/domain/certificate_data.h"
#include "madoguchi/domain/device_status.h"
#include "madoguchi/domain/notice.h"
#include "madoguchi/domain/oplog.h"
#include "madoguchi/domain/permissions.h"
#include "madoguchi/domain/staff.h"
#include "madoguchi/domain/write_policy.h"

using madoguchi::Errc;
using namespace madoguchi::domain;

namespace {
StaffAccount clerk() {
  StaffAccount a;
  a.id = "clerk01";
  a.name = "窓口 花子";
  a.role_id = "counter_clerk";
  a.enabled = true;
  REQUIRE(set_password(a, PasswordRules{}, "Initial-Password-1", 1000, /*must_change=*/true, /*fast_for_tests=*/true).ok());
  return a;
}
std::string body(const StaffAccount& a) { return staff_to_json(a).dump(); }
}  // namespace

TEST_CASE("A counter may record a password change but not promote, create, enable or delete staff", "[console][policy]") {
  auto cur = clerk();
  std::string cur_body = body(cur);
  auto changed = cur;
  REQUIRE(set_password(changed, PasswordRules{}, "New-Password-22", 2000, false, true).ok());
  REQUIRE(prove_password_change(cur, "Initial-Password-1", changed).ok());
  CHECK(check_write({"counter-01", "staff", "clerk01", false, body(changed), cur_body}).ok());

  auto promoted = cur;
  promoted.role_id = "administrator";
  auto r = check_write({"counter-01", "staff", "clerk01", false, body(promoted), cur_body});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::forbidden);
  CHECK(check_write({"counter-01", "staff", "clerk01", false, body(cur), std::nullopt}).error().code == Errc::forbidden);
  CHECK(check_write({"counter-01", "staff", "clerk01", true, "", cur_body}).error().code == Errc::forbidden);
  auto disabled = cur;
  disabled.enabled = false;
  std::string disabled_body = body(disabled);
  auto re_enabled = cur;
  CHECK(check_write({"counter-01", "staff", "clerk01", false, body(re_enabled), disabled_body}).error().code == Errc::forbidden);
  // The hub (administrators) may do all of it, but only with bodies that decode and match the key.
  CHECK(check_write({"hub", "staff", "clerk01", false, body(promoted), cur_body}).ok());
  CHECK(check_write({"hub", "staff", "other", false, body(promoted), std::nullopt}).error().code == Errc::invalid_argument);
  CHECK_FALSE(check_write({"hub", "staff", "clerk01", false, R"({"id":"clerk01"})", std::nullopt}).ok());
}

TEST_CASE("A counter's password change must be signed with the current password (issue 11 hole 4, SEC-2)",
          "[console][policy]") {
  auto cur = clerk();
  const std::string cur_body = body(cur);
  auto changed = cur;
  REQUIRE(set_password(changed, PasswordRules{}, "New-Password-22", 2000, false, true).ok());
  auto forbidden = [&](const StaffAccount& a) {
    auto r = check_write({"counter-01", "staff", "clerk01", false, body(a), cur_body});
    return !r.ok() && r.error().code == Errc::forbidden;
  };
  // A hash replaced with no proof: what a local user of a counter PC could write.
  CHECK(forbidden(changed));
  // The wrong current password gives no proof at all.
  auto guessed = changed;
  auto wrong = prove_password_change(cur, "Guessed-Password-9", guessed);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().code == Errc::invalid_argument);
  // A proof is bound to the new hash and key and to the hash it replaces.
  auto proved = changed;
  REQUIRE(prove_password_change(cur, "Initial-Password-1", proved).ok());
  auto moved = proved;
  moved.password_hash = *hash_password("Other-Password-33", true);
  CHECK(forbidden(moved));
  auto rekeyed = proved;
  rekeyed.password_key = *make_password_key("Other-Password-33", true);
  CHECK(forbidden(rekeyed));
  CHECK_FALSE(check_write({"counter-01", "staff", "clerk01", false, body(proved), body(proved)}).ok());  // replayed later
  // Another account's proof does not carry over.
  auto other = clerk();
  other.id = "clerk02";
  auto other_changed = other;
  REQUIRE(set_password(other_changed, PasswordRules{}, "New-Password-22", 2000, false, true).ok());
  REQUIRE(prove_password_change(other, "Initial-Password-1", other_changed).ok());
  auto borrowed = proved;
  borrowed.password_proof = other_changed.password_proof;
  CHECK(forbidden(borrowed));
  // An account whose password predates keys can be changed only at the hub.
  auto legacy = cur;
  legacy.password_key.clear();
  auto legacy_changed = legacy;
  REQUIRE(set_password(legacy_changed, PasswordRules{}, "New-Password-22", 2000, false, true).ok());
  CHECK(prove_password_change(legacy, "Initial-Password-1", legacy_changed).error().code == Errc::forbidden);
  CHECK_FALSE(check_write({"counter-01", "staff", "clerk01", false, body(legacy_changed), body(legacy)}).ok());
  CHECK(check_write({"hub", "staff", "clerk01", false, body(legacy_changed), body(legacy)}).ok());
  CHECK(check_write({"counter-01", "staff", "clerk01", false, body(proved), cur_body}).ok());
}

TEST_CASE("Password keys sign only with their password and refuse malformed text", "[console][policy]") {
  auto key = make_password_key("Some-Password-1", true);
  REQUIRE(key);
  CHECK(is_password_key(*key));
  auto sig = sign_with_password(*key, "Some-Password-1", "message");
  REQUIRE(sig);
  CHECK(verify_password_signature(*key, "message", *sig));
  CHECK_FALSE(verify_password_signature(*key, "message2", *sig));
  CHECK_FALSE(sign_with_password(*key, "Some-Password-2", "message"));
  for (std::string bad : {std::string(), std::string("$ed25519$m=65536,t=2$$"), key->substr(0, key->size() - 1),
                          std::string("$ed25519$m=999999999,t=2") + key->substr(key->find("$", 12)),
                          *hash_password("Some-Password-1", true)}) {
    INFO(bad);
    CHECK_FALSE(is_password_key(bad));
    CHECK_FALSE(verify_password_signature(bad, "message", *sig));
  }
}

TEST_CASE("Roles and settings are changed only at the hub", "[console][policy]") {
  auto admin = default_roles().front();
  std::string role_body = role_to_json(admin).dump();
  CHECK(check_write({"counter-01", "role", role_key(admin), false, role_body, std::nullopt}).error().code == Errc::forbidden);
  CHECK(check_write({"hub", "role", role_key(admin), false, role_body, std::nullopt}).ok());
  // ACC-2: the 権限管理 screen writes and deletes role records at the hub; a counter may neither
  // change an existing role (e.g. give counter_clerk every menu) nor delete one.
  auto clerk = default_roles()[1];
  const std::string clerk_body = role_to_json(clerk).dump();
  auto widened = clerk;
  for (Menu m : all_menus()) widened.menus.insert(m);
  CHECK(check_write({"counter-01", "role", role_key(clerk), false, role_to_json(widened).dump(), std::string_view(clerk_body)})
            .error().code == Errc::forbidden);
  CHECK(check_write({"counter-01", "role", role_key(clerk), true, "", std::string_view(clerk_body)}).error().code == Errc::forbidden);
  CHECK(check_write({"hub", "role", role_key(clerk), false, role_to_json(widened).dump(), std::string_view(clerk_body)}).ok());
  CHECK(check_write({"hub", "role", role_key(clerk), true, "", std::string_view(clerk_body)}).ok());
  CHECK(check_write({"hub", "role", "other", false, clerk_body, std::nullopt}).error().code == Errc::invalid_argument);
  CHECK(check_write({"counter-01", "setting", "system", false, "{}", std::nullopt}).error().code == Errc::forbidden);
  CHECK(check_write({"hub", "setting", "system", false, "{}", std::nullopt}).ok());
}

TEST_CASE("A counter appends only its own operation log entries, and none is changed or deleted", "[console][policy]") {
  auto e = make_entry(nullptr, "counter-01", "clerk01", 1700000000000, "sign_in", "", "");
  std::string b = oplog_to_json(e).dump();
  CHECK(check_write({"counter-01", "oplog", oplog_key(e), false, b, std::nullopt}).ok());
  CHECK(check_write({"counter-02", "oplog", oplog_key(e), false, b, std::nullopt}).error().code == Errc::forbidden);
  CHECK(check_write({"counter-01", "oplog", oplog_key(e), false, b, std::string_view(b)}).error().code == Errc::forbidden);
  CHECK(check_write({"counter-01", "oplog", oplog_key(e), true, "", std::string_view(b)}).error().code == Errc::forbidden);
  auto forged = e;
  forged.action = "sign_out";  // changed after hashing
  CHECK_FALSE(check_write({"counter-01", "oplog", oplog_key(forged), false, oplog_to_json(forged).dump(), std::nullopt}).ok());
  // Other entities are not the console's business; cards and bookings must decode (card_test.cc).
  CHECK(check_write({"counter-01", "not_a_console_entity", "0001", false, "{}", std::nullopt}).ok());
  CHECK_FALSE(check_write({"counter-01", "booking", "0001", false, "{}", std::nullopt}).ok());
  CHECK_FALSE(check_write({"counter-01", "card", "0001", false, "{}", std::nullopt}).ok());
}

TEST_CASE("An imported J-LIS code record must decode and match its key, and only the hub removes one (ISS-1, ISS-2)",
          "[console][policy]") {
  ImportedCode code;
  code.code = "JLIS-ISS/1/131016/20261122/000123/02";
  code.imported_ms = 1795000000000;
  code.cards = 3;
  const std::string key = imported_code_key(code.code);
  REQUIRE(key == "JLIS-ISS:1:131016:20261122:000123:02");
  const std::string b = imported_code_to_json(code).dump();
  // The counter that read the code writes it; the hub may too.
  CHECK(check_write({"counter-01", "jlis_code", key, false, b, std::nullopt}).ok());
  CHECK(check_write({"hub", "jlis_code", key, false, b, std::nullopt}).ok());
  CHECK(check_write({"counter-02", "jlis_code", key, false, b, std::string_view(b)}).ok());

  // A body of another code under this key, or this body under another key.
  ImportedCode other = code;
  other.code = "JLIS-ISS/1/131016/20261122/000123/03";
  auto r = check_write({"counter-01", "jlis_code", key, false, imported_code_to_json(other).dump(), std::nullopt});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::invalid_argument);
  CHECK(check_write({"counter-01", "jlis_code", "JLIS-ISS:1:131016:20261122:000124:02", false, b, std::nullopt})
            .error()
            .code == Errc::invalid_argument);
  // Bodies that do not decode: not JSON, not an object, missing or mistyped fields, non-ASCII code.
  for (std::string_view bad : {std::string_view(""), std::string_view("{"), std::string_view("[]"), std::string_view("{}"),
                               std::string_view(R"({"cards":3,"code":"JLIS-ISS/1/131016/20261122/000123/02"})"),
                               std::string_view(R"({"cards":-1,"code":"JLIS-ISS/1/131016/20261122/000123/02","imported_ms":1})"),
                               std::string_view(R"({"cards":3,"code":7,"imported_ms":1})"),
                               std::string_view(R"({"cards":3,"code":"コード","imported_ms":1})")}) {
    CAPTURE(bad);
    auto bad_result = check_write({"counter-01", "jlis_code", key, false, bad, std::nullopt});
    REQUIRE_FALSE(bad_result.ok());
    CHECK(bad_result.error().code != Errc::forbidden);
    CHECK_FALSE(check_write({"hub", "jlis_code", key, false, bad, std::nullopt}).ok());
  }
  // Removal: the record is what refuses reading the code twice, so only the hub removes it.
  auto removed = check_write({"counter-01", "jlis_code", key, true, "", std::string_view(b)});
  REQUIRE_FALSE(removed.ok());
  CHECK(removed.error().code == Errc::forbidden);
  CHECK(check_write({"hub", "jlis_code", key, true, "", std::string_view(b)}).ok());
}

TEST_CASE("Counter masters and slots are the hub's to write (MST-1, SEC-2)", "[console][policy]") {
  CHECK(check_write({"counter-01", "counter", "1", false, "{}", std::nullopt}).error().code == Errc::forbidden);
  CHECK(check_write({"counter-01", "slot", "1:2026-12-01T09:00", true, "", std::nullopt}).error().code == Errc::forbidden);
  CHECK_FALSE(check_write({"hub", "counter", "1", false, "{}", std::nullopt}).ok());  // does not decode
  CHECK(check_write({"hub", "slot", "1:2026-12-01T09:00", true, "", std::nullopt}).ok());
}

namespace {
Booking policy_booking(BookingChannel channel) {
  Booking b;
  b.receipt = "20261122-0001";
  b.password_hash = *hash_booking_password("ABCDE23456", true);
  b.counter = "1";
  b.slot = "1:2026-11-30T09:00";
  b.people = {{"AB12CD34EF56GH78", ""}};
  b.channel = channel;
  if (channel == BookingChannel::web) {
    b.email = "taro@example.jp";
  } else {
    b.staff = "clerk01";
  }
  return b;
}
std::string body(const Booking& b) { return booking_to_json(b).dump(); }
}  // namespace

TEST_CASE("Bookings: any origin creates and updates, a counter keeps the password and makes no web bookings, "
          "only the hub removes (PHN-1, RSV-10, EDGE-3, EDGE-5)",
          "[console][policy][booking][PHN-1][RSV-10][EDGE-5]") {
  const auto phone = policy_booking(BookingChannel::phone);
  const auto web = policy_booking(BookingChannel::web);
  // A counter PC books by phone, offline too; the hub accepts the operation when it arrives.
  CHECK(check_write({"counter-01", "booking", phone.receipt, false, body(phone), std::nullopt}).ok());
  CHECK(check_write({"counter-01", "booking", web.receipt, false, body(web), std::nullopt}).error().code ==
        Errc::forbidden);
  CHECK(check_write({"hub", "booking", web.receipt, false, body(web), std::nullopt}).ok());
  // A counter changes a resident's web booking (note, cancel) but not its password.
  const std::string web_body = body(web);
  auto noted = web;
  noted.note = "電話で時間変更の相談あり";
  noted.cancelled = true;
  CHECK(check_write({"counter-01", "booking", web.receipt, false, body(noted), std::string_view(web_body)}).ok());
  auto taken_over = web;
  taken_over.password_hash = *hash_booking_password("XYZ", true);
  CHECK(check_write({"counter-01", "booking", web.receipt, false, body(taken_over), std::string_view(web_body)})
            .error().code == Errc::forbidden);
  CHECK(check_write({"hub", "booking", web.receipt, false, body(taken_over), std::string_view(web_body)}).ok());
  CHECK(check_write({"counter-01", "booking", web.receipt, false, body(noted), std::string_view("{}")}).error().code ==
        Errc::forbidden);
  // The key is the receipt number; the body must decode.
  CHECK(check_write({"hub", "booking", "20261122-0009", false, body(web), std::nullopt}).error().code ==
        Errc::invalid_argument);
  CHECK_FALSE(check_write({"counter-01", "booking", web.receipt, false, R"({"receipt":"20261122-0001"})", std::nullopt})
                  .ok());
  CHECK_FALSE(check_write({"counter-01", "booking", web.receipt, false, "not json", std::nullopt}).ok());
  // Removal only by the hub.
  CHECK(check_write({"counter-01", "booking", web.receipt, true, "", std::string_view(web_body)}).error().code ==
        Errc::forbidden);
  CHECK(check_write({"hub", "booking", web.receipt, true, "", std::string_view(web_body)}).ok());
}

TEST_CASE("Notices and the calendar are the hub's to write (RSV-3, RSV-15, MST-4, MST-5)",
          "[console][policy][notice][calendar]") {
  Notice n;
  n.id = "2026-12-maint";
  n.kind = NoticeKind::maintenance;
  n.title = "システムメンテナンスのお知らせ";
  n.publish_from = {{2026, 11, 28}, 0};
  n.maintenance_from = LocalDateTime{{2026, 12, 5}, 22 * 60};
  n.maintenance_until = LocalDateTime{{2026, 12, 6}, 6 * 60};
  const std::string nb = notice_to_json(n).dump();
  CHECK(check_write({"hub", "notice", n.id, false, nb, std::nullopt}).ok());
  CHECK(check_write({"counter-01", "notice", n.id, false, nb, std::nullopt}).error().code == Errc::forbidden);
  CHECK(check_write({"counter-01", "notice", n.id, true, "", std::string_view(nb)}).error().code == Errc::forbidden);
  CHECK(check_write({"hub", "notice", n.id, true, "", std::string_view(nb)}).ok());
  CHECK(check_write({"hub", "notice", "other", false, nb, std::nullopt}).error().code == Errc::invalid_argument);
  CHECK(check_write({"hub", "notice", n.id, false, R"({"id":"2026-12-maint"})", std::nullopt}).error().code ==
        Errc::invalid_argument);

  CalendarConfig config;
  config.closures = {{2026, 8, 14}};
  const std::string cb = calendar_config_to_json(config).dump();
  CHECK(check_write({"hub", "calendar", "config", false, cb, std::nullopt}).ok());
  CHECK(check_write({"counter-01", "calendar", "config", false, cb, std::nullopt}).error().code == Errc::forbidden);
  CHECK(check_write({"hub", "calendar", "other", false, cb, std::nullopt}).error().code == Errc::invalid_argument);
  CHECK(check_write({"hub", "calendar", "config", false, R"({"closures":["2026-02-30"]})", std::nullopt}).error().code ==
        Errc::invalid_argument);
  // Bounded: a body over the record body limit is refused.
  const std::string huge = R"({"closures":[)" + std::string(300 * 1024, ' ') + "]}";
  CHECK_FALSE(check_write({"hub", "calendar", "config", false, huge, std::nullopt}).ok());
}

TEST_CASE("Resident, seal and tax records belong in the certificate database only, which takes nothing else (KON-5, SEC-2)",
          "[domain][policy][linkage]") {
  for (std::string_view entity : kCertificateEntities) {
    CHECK(is_certificate_entity(entity));
    CHECK(check_data_route(DataStore::certificate, entity).ok());
    auto refused = check_data_route(DataStore::municipality, entity);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == madoguchi::Errc::forbidden);
    CHECK(check_data_route(DataStore::municipality, entity, true).ok());  // a removal carries nothing
  }
  for (std::string_view entity : {"card", "booking", "staff", "slot", "residents", "delta", "resident_delta2"}) {
    CHECK_FALSE(is_certificate_entity(entity));
    CHECK(check_data_route(DataStore::municipality, entity).ok());
    auto refused = check_data_route(DataStore::certificate, entity);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == madoguchi::Errc::forbidden);
    CHECK_FALSE(check_data_route(DataStore::certificate, entity, true).ok());
  }
}

TEST_CASE("A device reports only its own status for 同期状況, and the hub only removes one (EDGE-5, OPS-4)", "[domain][policy][sync]") {
  madoguchi::domain::DeviceStatus s{"counter-01", "counter", "0.1.0", 1000, 42, 3, 1, 2000};
  const std::string body = madoguchi::domain::device_status_body(s);
  auto back = madoguchi::domain::device_status_from_body(body);
  REQUIRE(back.ok());
  CHECK(back->outbox_depth == 3);
  CHECK(back->cert_not_after_ms == 2000);
  CHECK(check_write({"counter-01", "device_status", "counter-01", false, body, std::nullopt}).ok());
  CHECK(check_write({"counter-02", "device_status", "counter-01", false, body, std::nullopt}).error().code == madoguchi::Errc::forbidden);
  CHECK(check_write({"counter-01", "device_status", "counter-01", true, "", std::nullopt}).error().code == madoguchi::Errc::forbidden);
  CHECK(check_write({"hub", "device_status", "counter-01", false, body, std::nullopt}).error().code == madoguchi::Errc::forbidden);
  CHECK(check_write({"hub", "device_status", "counter-01", true, "", std::nullopt}).ok());
  s.device = "counter-02";  // a body naming another device under one's own key
  CHECK_FALSE(check_write({"counter-01", "device_status", "counter-01", false, madoguchi::domain::device_status_body(s), std::nullopt}).ok());
  CHECK_FALSE(check_write({"counter-01", "device_status", "counter-01", false, R"({"device":"counter-01"})", std::nullopt}).ok());
}
