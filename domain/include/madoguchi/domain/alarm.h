// 障害通知 (OPS-1, seed 004 ア): what is wrong inside the municipality's part of the system, where,
// and since when, so the municipality can tell at once "どこで、どのような" failure it has. Pure:
// the hub gathers the observations (linkage guard, held records, devices' reports, the issuing
// center's contact, issuance errors, disk space) and passes them in with the time; this file
// decides which alarms stand and how the stored ones change. The hub keeps them per municipality
// (cloud-hub/alarm_store.h); the console shows them, sounds them and takes acknowledgements.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/domain/linkage_record.h"

namespace madoguchi::domain {

enum class AlarmKind {
  linkage,             // the linkage server is silent, a stream has a gap or a refused file, a source is quiet
  held_records,        // records held because a character is being registered
  center_unreachable,  // no word from the issuing center during service hours
  issuance_errors,     // certificate requests the hub failed (not refusals: failures)
  revocation,          // the JPKI revocation list is stale: every issuance is refused
  disk_space,          // the hub's data directory is running out of space
  device_silent,       // a counter PC has not reported during office hours
  device_certificate,  // a device's client certificate expires soon (or has)
};
std::string_view alarm_kind_code(AlarmKind k) noexcept;   // "linkage", "held_records", ...
std::string_view alarm_kind_label(AlarmKind k) noexcept;  // 連携, 保留中の記録, 交付センター, ...
std::optional<AlarmKind> alarm_kind_from_code(std::string_view code) noexcept;

enum class AlarmLevel { warning, critical };
std::string_view alarm_level_code(AlarmLevel l) noexcept;   // "warning", "critical"
std::string_view alarm_level_label(AlarmLevel l) noexcept;  // 警告, 重大
std::optional<AlarmLevel> alarm_level_from_code(std::string_view code) noexcept;

// One thing found wrong now. `key` names the condition and the place, stable while it lasts
// ("linkage_gap:resident/juki", "disk:/var/lib/madoguchi"), so a condition seen again updates its
// alarm instead of raising another. Texts are Japanese for staff and carry no personal data.
struct AlarmCondition {
  std::string key;
  AlarmKind kind = AlarmKind::linkage;
  AlarmLevel level = AlarmLevel::warning;
  std::string where;  // どこで: "連携サーバー", "端末 counter-01", "交付センター", "ハブ /var/lib/madoguchi"
  std::string what;   // どのような: what is wrong, with counts and times
};

// What the hub saw of each counter PC (domain/device_status.h's reports).
struct DeviceSeen {
  std::string device;
  std::string role;                    // "counter" or "linkage"
  std::int64_t last_ms = 0;            // its last report (0: never)
  std::int64_t cert_not_after_ms = 0;  // its client certificate's expiry (0: unknown)
};

// Convenience-store issuance as the hub saw it (KonbiniService::health).
struct IssuanceHealth {
  bool in_service_hours = false;
  std::int64_t center_last_ms = 0;     // the center's last request or heartbeat (0: none yet)
  std::int64_t watching_since_ms = 0;  // when the hub began listening: silence counts from here
  std::uint64_t errors = 0;            // requests the hub failed within the policy's window
  std::string last_error;              // the latest failure's description (no personal data)
  bool revocation_stale = false;       // the CRL is out of date or unreadable
  std::string revocation_text;
  // Non-empty: the OCSP responder could not be asked lately (why); sign-ins are checked against
  // the CRL alone meanwhile (a warning: issuance goes on while the CRL is current).
  std::string ocsp_trouble;
};

struct DiskSpace {
  std::string path;  // the directory measured
  std::uint64_t free_bytes = 0;
  std::uint64_t total_bytes = 0;
};

struct AlarmInputs {
  std::int64_t now_ms = 0;
  int jst_weekday = 0;       // 0 = Sunday .. 6 = Saturday, in Japan
  int jst_minute_of_day = 0;
  // The linkage guard's findings; absent where the municipality has no linkage server.
  std::optional<std::vector<LinkageFinding>> linkage;
  std::size_t held_records = 0;
  std::vector<DeviceSeen> devices;
  std::optional<IssuanceHealth> issuance;  // absent where the municipality does not issue at stores
  std::vector<DiskSpace> disks;
  // Kinds whose source could not be read this time: their standing alarms stay as they are
  // (not knowing is not "resolved").
  std::vector<AlarmKind> unread;
};

struct AlarmPolicy {
  // A counter PC reports every ten minutes while it runs; silence for this long during office
  // hours (weekdays, open..close JST) is an alarm. Outside them PCs are switched off.
  std::int64_t device_silent_ms = 30 * 60 * 1000;
  int office_open_minute = 8 * 60 + 30;
  int office_close_minute = 17 * 60 + 15;
  bool office_saturday = false;
  // A device's client certificate within this of its expiry: warning; expired: critical.
  std::int64_t certificate_warn_ms = 30LL * 24 * 60 * 60 * 1000;
  // The center sends a heartbeat every minute; silence this long during service hours.
  std::int64_t center_silent_ms = 10 * 60 * 1000;
  // Issuance failures within this window; this many raise the alarm.
  std::int64_t issuance_error_window_ms = 15 * 60 * 1000;
  std::uint64_t issuance_errors = 1;
  // Free space below either: warning; below a fifth of either: critical.
  std::uint64_t disk_min_free_bytes = 2ULL * 1024 * 1024 * 1024;
  unsigned disk_min_free_percent = 5;
};

// Every condition that stands now, in a stable order (by kind, then key).
std::vector<AlarmCondition> observe_alarms(const AlarmInputs& in, const AlarmPolicy& policy);

// An alarm as kept: raised when its condition first appeared, cleared when it was no longer seen,
// acknowledged by a member of staff (both may happen, in either order).
struct Alarm {
  std::int64_t id = 0;
  AlarmCondition condition;
  std::int64_t raised_ms = 0;
  std::int64_t last_ms = 0;     // the condition's latest sighting
  std::int64_t cleared_ms = 0;  // 0: still standing
  std::int64_t acked_ms = 0;    // 0: not acknowledged
  std::string acked_by;         // staff id
  bool active() const { return cleared_ms == 0; }
  bool acknowledged() const { return acked_ms != 0; }
};

// How the standing alarms change for what was observed: a new condition is raised; one seen again
// keeps its alarm (and its acknowledgement) with the latest text; one no longer seen is cleared.
// A condition whose level rose (warning → critical) is a new alarm: it must be heard again.
struct AlarmPlan {
  std::vector<AlarmCondition> raise;
  std::vector<std::pair<std::int64_t, AlarmCondition>> update;
  std::vector<std::int64_t> clear;
  bool empty() const { return raise.empty() && update.empty() && clear.empty(); }
};
// Standing alarms of a kind in `unread` are left alone.
AlarmPlan plan_alarms(const std::vector<Alarm>& standing, const std::vector<AlarmCondition>& observed,
                      const std::vector<AlarmKind>& unread = {});

// "3 件 (重大 1)" style counts of what staff have not acknowledged yet (standing or not).
struct AlarmCounts {
  std::size_t unacknowledged = 0;
  std::size_t critical = 0;  // of those, critical
  std::size_t standing = 0;  // standing, acknowledged or not
};

}  // namespace madoguchi::domain
