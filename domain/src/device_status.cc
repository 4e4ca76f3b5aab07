#include "madoguchi/domain/device_status.h"

#include <nlohmann/json.hpp>

#include "madoguchi/domain/record_body.h"

namespace madoguchi::domain {

std::string device_status_body(const DeviceStatus& s) {
  return dump_body(nlohmann::json{{"v", 1},
                                  {"device", s.device},
                                  {"role", s.role},
                                  {"version", s.version},
                                  {"at_ms", s.at_ms},
                                  {"last_seq", s.last_seq},
                                  {"outbox_depth", s.outbox_depth},
                                  {"rejected", s.rejected},
                                  {"cert_not_after_ms", s.cert_not_after_ms}});
}

Expected<DeviceStatus> device_status_from_body(std::string_view body) {
  auto j = parse_body(body);
  if (!j) return j.error();
  DeviceStatus s;
  try {
    s.device = j->at("device").get<std::string>();
    s.role = j->at("role").get<std::string>();
    s.version = j->at("version").get<std::string>();
    s.at_ms = j->at("at_ms").get<std::int64_t>();
    s.last_seq = j->at("last_seq").get<std::uint64_t>();
    s.outbox_depth = j->at("outbox_depth").get<std::uint64_t>();
    s.rejected = j->at("rejected").get<std::uint64_t>();
    s.cert_not_after_ms = j->at("cert_not_after_ms").get<std::int64_t>();
  } catch (const nlohmann::json::exception&) {
    return Error{Errc::malformed, "device_status: a field is missing or of the wrong type"};
  }
  if (s.role != "counter" && s.role != "linkage") return Error{Errc::invalid_argument, "device_status: role must be counter or linkage"};
  if (s.version.size() > 64) return Error{Errc::invalid_argument, "device_status: version is too long"};
  return s;
}

Status check_device_status_write(std::string_view origin, std::string_view key, bool remove, std::string_view body) {
  if (origin == "hub") return remove ? Status{} : Error{Errc::forbidden, "device_status is written by the device itself"};
  if (remove || key != origin) return Error{Errc::forbidden, "a device writes only its own device_status"};
  auto s = device_status_from_body(body);
  if (!s) return s.error();
  if (s->device != key) return Error{Errc::invalid_argument, "device_status: device does not match the key"};
  return {};
}

}  // namespace madoguchi::domain
