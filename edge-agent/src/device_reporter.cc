#include "madoguchi/edge/device_reporter.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <ctime>
#include <memory>

#include "madoguchi/domain/device_status.h"

namespace madoguchi::edge {

Expected<bool> DeviceReporter::tick(std::int64_t now_ms, bool connected) {
  if (!connected) return false;
  if (sent_ && now_ms - last_ms_ < domain::kDeviceStatusEveryMs && now_ms >= last_ms_) return false;
  auto stats = store_.stats();
  if (!stats) return stats.error();
  domain::DeviceStatus s;
  s.device = store_.device();
  s.role = role_;
  s.version = version_;
  s.at_ms = now_ms;
  s.last_seq = stats->last_seq;
  s.outbox_depth = stats->outbox_depth;
  s.rejected = stats->rejected;
  s.cert_not_after_ms = cert_not_after_ms_;
  auto written = store_.transaction([&]() -> Status {
    auto seq = store_.send_in_tx(std::string(domain::kDeviceStatusEntity), s.device, domain::device_status_body(s), now_ms);
    if (!seq) return seq.error();
    return {};
  });
  if (!written) return written.error();
  sent_ = true;
  last_ms_ = now_ms;
  return true;
}

std::int64_t certificate_not_after_ms(const std::filesystem::path& pem_file) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(pem_file.c_str(), "rb"), &std::fclose);
  if (!f) return 0;
  std::unique_ptr<X509, void (*)(X509*)> cert(PEM_read_X509(f.get(), nullptr, nullptr, nullptr), &X509_free);
  if (!cert) return 0;
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

}  // namespace madoguchi::edge
