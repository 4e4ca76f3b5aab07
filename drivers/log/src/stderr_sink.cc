#include "madoguchi/log/stderr_sink.h"

#include <chrono>
#include <iostream>
#include <mutex>

namespace madoguchi::log {

LogSink stderr_sink(std::string prefix) {
  return [prefix = std::move(prefix)](LogLevel level, std::string_view msg) {
    static std::mutex mu;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::lock_guard lock(mu);
    std::cerr << ms << ' ' << prefix << ' ' << log_level_name(level) << ": " << msg << '\n';
  };
}

}  // namespace madoguchi::log
