// The edge agent's local HTTP API, as a plain function from request to response (testable
// without sockets). Served on the counter PC only (127.0.0.1 by default), for the agent's own
// tools and tests; staff use the console (console/app) on its own port.
//
//   GET    /healthz                              liveness
//   GET    /api/v1/status                        sync state and counters, the QR scanner's state
//   GET    /api/v1/records?entity=&limit=&offset= the view, paginated (limit <= 1000)
//   GET    /api/v1/records/{entity}/{key}        one record
//   PUT    /api/v1/records/{entity}/{key}        upsert (body: JSON object) → {"seq": N}
//   DELETE /api/v1/records/{entity}/{key}        remove → {"seq": N}
//   GET    /api/v1/rejections                    operations the hub refused, newest first
#pragma once

#include <functional>

#include "madoguchi/edge/edge_store.h"
#include "madoguchi/edge/scanner_feed.h"
#include "madoguchi/edge/sync_engine.h"
#include "madoguchi/http/server.h"
#include "madoguchi/transport.h"

namespace madoguchi::edge {

struct ApiContext {
  EdgeStore& store;
  const SyncEngine& engine;
  const Transport& transport;
  const Clock& clock;
  std::function<void()> after_write;  // wakes the sender
  const ScannerFeed* scanner = nullptr;  // the counter's QR scanner; null when none is configured
};

http::Response handle_api(ApiContext& ctx, const http::Request& request);

}  // namespace madoguchi::edge
