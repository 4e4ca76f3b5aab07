// The edge agent process: wires the EdgeStore, SyncEngine, MQTT client, local HTTP API and (for
// the linkage role) the delta inbox onto one Boost.Asio event loop. All logic runs on that loop's
// thread; libmosquitto's network thread only posts events to it.
#pragma once

#include "madoguchi/edge/config.h"
#include "madoguchi/error.h"

namespace madoguchi::edge {

// Runs until SIGINT or SIGTERM. Returns an error if start-up fails.
Status run_agent(const EdgeConfig& config);

}  // namespace madoguchi::edge
