// madoguchi-provision: creates the PKI and the broker configuration of a deployment.
// See `madoguchi-provision --help` and provisioning/include/madoguchi/provisioning/cli.h.
#include <iostream>
#include <string>
#include <vector>

#include "madoguchi/provisioning/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  return madoguchi::provisioning::run_cli(args, std::cout, std::cerr);
}
