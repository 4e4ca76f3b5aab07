// "HOST:PORT" command-line endpoints and the port file scripts read to find port-0 listeners.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "madoguchi/error.h"

namespace madoguchi::sim {

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

// Parses "host:port", "1.2.3.4:port" or "[v6addr]:port". Port 0 is allowed (pick a free port).
// Errc::malformed for a missing host, a missing or non-numeric port, or a port over 65535.
// The host is not resolved here.
Expected<HostPort> parse_host_port(std::string_view text);

// The port file contents: {"listen":<port>,"control":<port>} with "control":null when there is
// no control port. No whitespace, one trailing newline.
std::string format_port_file(std::uint16_t listen_port, std::optional<std::uint16_t> control_port);

// Writes format_port_file(...) to `path` atomically: a sibling temporary file is written,
// flushed and renamed over `path`, so a reader sees either no file or the whole object.
// Errc::io on failure (the temporary file is removed).
Status write_port_file(const std::filesystem::path& path, std::uint16_t listen_port,
                       std::optional<std::uint16_t> control_port);

}  // namespace madoguchi::sim
