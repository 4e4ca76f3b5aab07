// madoguchi-edge: the edge agent service (counter PC or linkage server).
//   madoguchi-edge --config /etc/madoguchi/edge.json
//   madoguchi-edge --hash-password < password.txt   (prints the argon2id hash of the first line)
//   madoguchi-edge --password-key < password.txt    (prints its password key, domain/password.h)
#include <cstring>
#include <iostream>

#include <string>

#include "madoguchi/domain/password.h"
#include "madoguchi/edge/agent.h"
#include "madoguchi/edge/config.h"

namespace {
// For putting in the first administrator (console/app/README.md): the password comes on stdin, so
// it is never in the process list or the shell history.
int hash_password_from_stdin(bool key) {
  std::string password;
  std::getline(std::cin, password);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  auto hash = key ? madoguchi::domain::make_password_key(password) : madoguchi::domain::hash_password(password);
  if (!hash) {
    std::cerr << "madoguchi-edge: " << hash.error().describe() << "\n";
    return 1;
  }
  std::cout << *hash << "\n";
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--hash-password") == 0) return hash_password_from_stdin(false);
  if (argc == 2 && std::strcmp(argv[1], "--password-key") == 0) return hash_password_from_stdin(true);
  const char* config_path = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      config_path = argv[++i];
    } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::cout << "usage: madoguchi-edge --config FILE\n"
                   "       madoguchi-edge --hash-password   (reads a password on stdin, prints its argon2id hash)\n"
                   "       madoguchi-edge --password-key    (reads a password on stdin, prints its password key)\n"
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
