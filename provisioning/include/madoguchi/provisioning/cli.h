// The madoguchi-provision command line, as a function so tests can run it without a process.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace madoguchi::provisioning {

// Exit codes of madoguchi-provision (scripts branch on them).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the command was understood but failed
inline constexpr int kExitUsage = 2;    // the command line is wrong (incl. a bad --cn, --dns, ...)

// Runs one command. `args` excludes the program name: {"ca", "--dir", "pki"}. Progress and help go
// to `out`; errors go to `err` as "madoguchi-provision: <Error::describe()>". Never throws.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace madoguchi::provisioning
