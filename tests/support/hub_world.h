// A hub in-process for tests and benchmarks: a HubEngine over a temporary data directory, its feed
// published to a fake bus nobody reads, on a manual clock. Throws std::runtime_error when the
// engine does not open.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

#include "fake_bus.h"
#include "madoguchi/hub/hub_engine.h"
#include "temp_dir.h"

namespace madoguchi::testing {

struct HubWorld {
  TempDir dir;
  FakeBus bus;
  FakeBus::Client& link = bus.add("hub");
  ManualClock clock;
  hub::HubEngine engine;
  // `registry`: the municipalities and their devices; `feed_retention`: HubOptions' second field.
  explicit HubWorld(hub::DeviceRegistry registry = {{"131016", {"counter-01"}}, {"012345", {"counter-09"}}},
                    std::size_t feed_retention = 1000)
      : engine(std::move(registry), hub::HubOptions{dir.path(), feed_retention, 32}, link, clock) {
    if (auto s = engine.open(); !s) throw std::runtime_error("opening the hub: " + s.error().describe());
  }
};

}  // namespace madoguchi::testing
