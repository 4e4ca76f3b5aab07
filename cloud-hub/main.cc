// madoguchi-hub: the cloud hub service.
//   madoguchi-hub --config /etc/madoguchi/hub.json
#include <cstring>
#include <iostream>

#include "madoguchi/hub/hub_process.h"

int main(int argc, char** argv) {
  const char* config_path = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      config_path = argv[++i];
    } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::cout << "usage: madoguchi-hub --config FILE\nRuns the cloud hub described by the JSON config FILE "
                   "(docs/operations.md).\n";
      return 0;
    } else {
      std::cerr << "madoguchi-hub: unknown argument '" << argv[i] << "' (try --help)\n";
      return 2;
    }
  }
  if (!config_path) {
    std::cerr << "madoguchi-hub: --config FILE is required\n";
    return 2;
  }
  auto config = madoguchi::hub::load_hub_config(config_path);
  if (!config) {
    std::cerr << "madoguchi-hub: " << config.error().describe() << "\n";
    return 1;
  }
  if (auto s = madoguchi::hub::run_hub(*config); !s) {
    std::cerr << "madoguchi-hub: " << s.error().describe() << "\n";
    return 1;
  }
  return 0;
}
