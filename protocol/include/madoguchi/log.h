// Logging is injected as a sink so logic stays free of I/O. Messages never carry personal data
// (names, numbers, addresses): log identifiers, sequence numbers and error codes only.
#pragma once

#include <functional>
#include <string_view>

namespace madoguchi {

enum class LogLevel { debug, info, warning, error };

inline std::string_view log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warning: return "warning";
    case LogLevel::error: return "error";
  }
  return "info";
}

using LogSink = std::function<void(LogLevel, std::string_view)>;

inline LogSink null_log() {
  return [](LogLevel, std::string_view) {};
}

}  // namespace madoguchi
