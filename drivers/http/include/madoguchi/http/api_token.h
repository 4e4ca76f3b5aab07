// The credential of a local API (the edge's and the hub's, on 127.0.0.1): a random token in a
// file only the service's user can read (mode 0600), sent as "Authorization: Bearer <token>".
// Another local user cannot read it; a web page cannot send it (a cross-site request with an
// Authorization header needs a CORS preflight, which these servers never grant).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "madoguchi/error.h"
#include "madoguchi/http/server.h"

namespace madoguchi::http {

inline constexpr std::size_t kApiTokenHexChars = 64;  // 32 random bytes

// The token in `file`, creating it (0600, 32 random bytes as hex) when missing. A file that is
// readable by group or others is refused (Errc::forbidden), as is one that does not hold a token
// (Errc::malformed). Errors: io, crypto.
Expected<std::string> ensure_api_token(const std::filesystem::path& file);
// The token in `file` (for clients). Errors: io, malformed.
Expected<std::string> read_api_token(const std::filesystem::path& file);

// Whether the request carries "Authorization: Bearer <token>" (compared in constant time).
bool has_api_token(const Request& request, std::string_view token);
// 401 with WWW-Authenticate: Bearer, for a request without the token.
Response api_token_required();

}  // namespace madoguchi::http
