#include "madoguchi/domain/certificate_data.h"

#include <algorithm>
#include <string>

namespace madoguchi::domain {

bool is_certificate_entity(std::string_view entity) noexcept {
  return std::find(std::begin(kCertificateEntities), std::end(kCertificateEntities), entity) != std::end(kCertificateEntities);
}

Status check_data_route(DataStore store, std::string_view entity, bool remove) {
  const bool certificate = is_certificate_entity(entity);
  if (store == DataStore::municipality && certificate && !remove) {
    return make_error(Errc::forbidden, std::string(entity) + ": resident, seal and tax records go to the certificate database only");
  }
  if (store == DataStore::certificate && !certificate) {
    return make_error(Errc::forbidden, std::string(entity) + ": the certificate database takes resident, seal and tax records only");
  }
  return {};
}

}  // namespace madoguchi::domain
