// A LogSink writing one line per message to stderr: "<epoch ms> <prefix> <level>: <message>".
// Services run under systemd (or the demo script), which keeps stderr in the journal or a file.
// Thread-safe: lines from several threads never interleave.
#pragma once

#include <string>

#include "madoguchi/log.h"

namespace madoguchi::log {

LogSink stderr_sink(std::string prefix);

}  // namespace madoguchi::log
