// A counter PC's report for the hub console's 同期状況 (domain/device_status.h): every ten minutes
// while the link is up (never queued while offline: a stale report is worth nothing), and at once
// after start. Sent through the outbox like any change, so it reaches the hub exactly once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "madoguchi/edge/edge_store.h"

namespace madoguchi::edge {

class DeviceReporter {
 public:
  DeviceReporter(EdgeStore& store, std::string role, std::string version, std::int64_t cert_not_after_ms)
      : store_(store), role_(std::move(role)), version_(std::move(version)), cert_not_after_ms_(cert_not_after_ms) {}
  // Writes the report when due. Returns whether it wrote one. Errors: db.
  Expected<bool> tick(std::int64_t now_ms, bool connected);

 private:
  EdgeStore& store_;
  std::string role_, version_;
  std::int64_t cert_not_after_ms_;
  std::int64_t last_ms_ = 0;
  bool sent_ = false;
};

// The expiry (notAfter) of the first certificate in a PEM file, in ms since the epoch; 0 when the
// file cannot be read.
std::int64_t certificate_not_after_ms(const std::filesystem::path& pem_file);

}  // namespace madoguchi::edge
