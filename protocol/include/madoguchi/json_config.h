// Small helpers shared by the JSON configuration readers of the services (edge, hub). Pure.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace madoguchi {

// Reads a TCP port (0-65535) from `j[key]`, or `fallback` when absent. A value that would wrap
// around in a uint16_t throws nlohmann::json::other_error naming the key; the config readers
// catch json exceptions and turn them into Errc::malformed.
inline std::uint16_t json_port(const nlohmann::json& j, const char* key, std::uint16_t fallback) {
  auto v = j.value(key, static_cast<std::int64_t>(fallback));
  if (v < 0 || v > 65535) throw nlohmann::json::other_error::create(501, std::string(key) + " must be 0-65535", &j);
  return static_cast<std::uint16_t>(v);
}

}  // namespace madoguchi
