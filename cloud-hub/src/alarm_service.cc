#include "madoguchi/hub/alarm_service.h"

#include <sys/statvfs.h>

#include "madoguchi/calendar/date.h"

namespace madoguchi::hub {

Expected<domain::DiskSpace> disk_space(const std::filesystem::path& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) return Error{Errc::io, "statvfs " + path.string() + " failed"};
  domain::DiskSpace d;
  d.path = path.string();
  d.free_bytes = static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
  d.total_bytes = static_cast<std::uint64_t>(st.f_blocks) * st.f_frsize;
  return d;
}

domain::AlarmInputs gather_alarm_inputs(const AlarmSources& s, std::int64_t now_ms, std::vector<std::string>& problems) {
  domain::AlarmInputs in;
  in.now_ms = now_ms;
  const auto local = calendar::local_time(now_ms, 9 * 60);
  in.jst_weekday = static_cast<int>(calendar::weekday_of(local.date));
  in.jst_minute_of_day = local.minute_of_day;
  if (s.linkage) {
    if (auto o = s.linkage->overview(); o) {
      in.linkage = domain::linkage_guard(o->agents, o->sources, now_ms, s.linkage->policy()).findings;
    } else {
      problems.push_back("linkage: " + o.error().message);
      in.unread.push_back(domain::AlarmKind::linkage);
    }
  }
  if (s.gaiji) {
    if (auto held = s.gaiji->held(10'000); held) {
      in.held_records = held->size();
    } else {
      problems.push_back("held records: " + held.error().message);
      in.unread.push_back(domain::AlarmKind::held_records);
    }
  }
  if (s.sync) {
    if (auto devices = s.sync->devices(); devices) {
      for (const auto& d : *devices) {
        domain::DeviceSeen seen;
        seen.device = d.device;
        seen.role = d.role;
        if (d.status) {
          seen.last_ms = d.status->at_ms;
          seen.cert_not_after_ms = d.status->cert_not_after_ms;
        }
        in.devices.push_back(std::move(seen));
      }
    } else {
      problems.push_back("devices: " + devices.error().message);
      in.unread.push_back(domain::AlarmKind::device_silent);
      in.unread.push_back(domain::AlarmKind::device_certificate);
    }
  }
  if (s.issuance) in.issuance = s.issuance();
  for (const auto& path : s.disks) {
    if (auto d = disk_space(path); d) {
      in.disks.push_back(std::move(*d));
    } else {
      problems.push_back(d.error().message);
      in.unread.push_back(domain::AlarmKind::disk_space);
    }
  }
  return in;
}

Expected<std::unique_ptr<HubAlarms>> HubAlarms::open(const std::filesystem::path& data_dir, const std::vector<std::string>& municipalities,
                                                     domain::AlarmPolicy policy, LogSink log) {
  std::unique_ptr<HubAlarms> a(new HubAlarms(policy, std::move(log)));
  for (const auto& muni : municipalities) {
    auto store = AlarmStore::open(data_dir / (muni + ".alarms.db"), muni);
    if (!store) return store.error().with_context("alarms of " + muni);
    a->munis_[muni] = std::make_unique<Muni>(std::move(*store));
  }
  return a;
}

Status HubAlarms::check(const std::string& municipality, const domain::AlarmInputs& inputs) {
  const auto observed = domain::observe_alarms(inputs, policy_);
  auto changes = with_store(municipality, [&](AlarmStore& s) { return s.record(observed, inputs.now_ms, inputs.unread); });
  if (!changes) return changes.error();
  for (const auto& a : changes->raised) {
    log_(a.condition.level == domain::AlarmLevel::critical ? LogLevel::error : LogLevel::warning,
         "alarm " + std::to_string(a.id) + " of " + municipality + " raised: " + std::string(domain::alarm_kind_code(a.condition.kind)) +
             " at " + a.condition.where);
  }
  for (const auto& a : changes->cleared) {
    log_(LogLevel::info, "alarm " + std::to_string(a.id) + " of " + municipality + " cleared: " +
                             std::string(domain::alarm_kind_code(a.condition.kind)) + " at " + a.condition.where);
  }
  return {};
}

Expected<std::vector<domain::Alarm>> HubAlarmBoard::current(std::size_t max) {
  return alarms_.with_store(municipality_, [&](AlarmStore& s) { return s.current(max); });
}

Expected<std::vector<domain::Alarm>> HubAlarmBoard::history(std::int64_t from_ms, std::int64_t to_ms, std::size_t max) {
  return alarms_.with_store(municipality_, [&](AlarmStore& s) { return s.raised_between(from_ms, to_ms, max); });
}

Expected<domain::AlarmCounts> HubAlarmBoard::counts() {
  return alarms_.with_store(municipality_, [&](AlarmStore& s) { return s.counts(); });
}

Expected<bool> HubAlarmBoard::acknowledge(std::int64_t id, const std::string& staff_id, std::int64_t now_ms) {
  return alarms_.with_store(municipality_, [&](AlarmStore& s) { return s.acknowledge(id, staff_id, now_ms); });
}

Expected<std::size_t> HubAlarmBoard::acknowledge_all(const std::string& staff_id, std::int64_t now_ms) {
  return alarms_.with_store(municipality_, [&](AlarmStore& s) { return s.acknowledge_all(staff_id, now_ms); });
}

}  // namespace madoguchi::hub
