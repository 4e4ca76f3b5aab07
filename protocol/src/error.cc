#include "madoguchi/error.h"

namespace madoguchi {

std::string_view errc_name(Errc code) noexcept {
  switch (code) {
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::malformed: return "malformed";
    case Errc::too_large: return "too_large";
    case Errc::unsupported_version: return "unsupported_version";
    case Errc::unknown_type: return "unknown_type";
    case Errc::forbidden: return "forbidden";
    case Errc::conflict: return "conflict";
    case Errc::not_found: return "not_found";
    case Errc::already_exists: return "already_exists";
    case Errc::io: return "io";
    case Errc::db: return "db";
    case Errc::transport: return "transport";
    case Errc::timeout: return "timeout";
    case Errc::crypto: return "crypto";
    case Errc::unavailable: return "unavailable";
    case Errc::capacity: return "capacity";
    case Errc::internal: return "internal";
  }
  return "internal";
}

std::string Error::describe() const {
  std::string out(errc_name(code));
  if (!message.empty()) {
    out += ": ";
    out += message;
  }
  return out;
}

Error Error::with_context(std::string_view context) const {
  std::string m(context);
  m += ": ";
  m += message;
  return Error{code, std::move(m)};
}

}  // namespace madoguchi
