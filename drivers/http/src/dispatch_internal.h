// Between dispatch.cc (pure request handling) and the Beast session: what the server needs beyond
// the public dispatch(). Not installed; include only from drivers/http/src.
#pragma once

#include <string_view>

#include "madoguchi/error.h"
#include "madoguchi/http/server.h"

namespace madoguchi::http::internal {

// How dispatch() ended, so the session can count it (ServerStats) without parsing the response.
enum class Outcome {
  handled,         // the handler was called and its response is sent
  refused,         // 4xx without calling the handler (bad target)
  handler_failed,  // the handler threw or returned an invalid response → generic 500
};

Response dispatch(const Handler& handler, Request request, Outcome& outcome);

// A response the server sends on its own, before any handler (limits, malformed HTTP): JSON error
// body with errc_name(code) as the code, plus the security headers.
Response refusal(int status, Errc code, std::string_view message);

}  // namespace madoguchi::http::internal
