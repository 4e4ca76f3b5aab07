// madoguchi-edge: the edge agent service (counter PC or linkage server).
//   madoguchi-edge --config /etc/madoguchi/edge.json
#include <cstring>
#include <iostream>

#include "madoguchi/edge/agent.h"
#include "madoguchi/edge/config.h"

int main(int argc, char** argv) {
  const char* config_path = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      config_path = argv[++i];
    } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::cout << "usage: madoguchi-edge --config FILE\n"
                   "Runs the edge agent (counter or linkage role) described by the JSON config FILE.\n"
                   "See docs/operations.md for the keys.\n";
      return 0;
    } else {
      std::cerr << "madoguchi-edge: unknown argument '" << argv[i] << "' (try --help)\n";
      return 2;
    }
  }
  if (!config_path) {
    std::cerr << "madoguchi-edge: --config FILE is required\n";
    return 2;
  }
  auto config = madoguchi::edge::load_edge_config(config_path);
  if (!config) {
    std::cerr << "madoguchi-edge: " << config.error().describe() << "\n";
    return 1;
  }
  auto s = madoguchi::edge::run_agent(*config);
  if (!s) {
    std::cerr << "madoguchi-edge: " << s.error().describe() << "\n";
    return 1;
  }
  return 0;
}
