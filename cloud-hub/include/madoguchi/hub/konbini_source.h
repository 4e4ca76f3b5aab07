// The certificate database as convenience-store issuance reads it (CertificateSource over
// HubEngine::certificate_store, issue 13): the residents the JPKI serial maps to, their household,
// seal registrations and assessments, the confirmed 外字 mappings, staff flags (konbini_flag) and
// the staleness guard, in one read transaction under the hub's application lock.
#pragma once

#include <mutex>
#include <string>

#include "madoguchi/domain/linkage_record.h"
#include "madoguchi/hub/hub_engine.h"
#include "madoguchi/hub/konbini_service.h"

namespace madoguchi::hub {

class HubCertificateSource final : public CertificateSource {
 public:
  HubCertificateSource(HubEngine& engine, std::mutex& app_mutex, domain::LinkageGuardPolicy guard, LogSink log = null_log())
      : engine_(engine), mutex_(app_mutex), guard_(guard), log_(std::move(log)) {}

  Expected<domain::IssuanceFacts> facts(const std::string& municipality, const std::string& serial, std::int64_t now_ms) override;
  Expected<std::string> seal_image(const std::string& municipality, const std::string& sha256) override;

 private:
  HubEngine& engine_;
  std::mutex& mutex_;
  domain::LinkageGuardPolicy guard_;
  LogSink log_;
};

}  // namespace madoguchi::hub
