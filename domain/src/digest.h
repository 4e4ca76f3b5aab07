// Private helper of the domain: SHA-256 as lower-case hex (libsodium). Not installed.
#pragma once

#include <string>
#include <string_view>

namespace madoguchi::domain::detail {

std::string sha256_hex(std::string_view bytes);

}  // namespace madoguchi::domain::detail
