#include "madoguchi/domain/record_body.h"

namespace madoguchi::domain {

Expected<nlohmann::json> parse_body(std::string_view text) {
  if (text.size() > kMaxBodyBytes) {
    return make_error(Errc::too_large, "record body is over " + std::to_string(kMaxBodyBytes) + " bytes");
  }
  auto j = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return make_error(Errc::malformed, "record body is not valid JSON");
  if (!j.is_object()) return make_error(Errc::malformed, "record body must be a JSON object");
  return j;
}

std::string dump_body(const nlohmann::json& body) {
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace madoguchi::domain
