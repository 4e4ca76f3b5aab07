#include "madoguchi/sim/host_port.h"

#include <charconv>
#include <cstdio>
#include <fstream>
#include <system_error>

#include <unistd.h>

#include "quote.h"

namespace madoguchi::sim {

Expected<HostPort> parse_host_port(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return make_error(Errc::malformed, "endpoint " + internal::quoted(text) + ": " +
                                           std::string(why) + " (expected HOST:PORT)");
  };
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return bad("unterminated '['");
    host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (rest.empty() || rest.front() != ':') return bad("missing port");
    port = rest.substr(1);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("missing port");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    // An unbracketed host with a colon is an IPv6 address missing its brackets.
    if (host.find(':') != std::string_view::npos) return bad("IPv6 hosts need [brackets]");
  }
  if (host.empty()) return bad("missing host");
  if (port.empty()) return bad("missing port");
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || value > 65535) {
    return bad("port must be a number from 0 to 65535");
  }
  return HostPort{std::string(host), static_cast<std::uint16_t>(value)};
}

std::string format_port_file(std::uint16_t listen_port, std::optional<std::uint16_t> control_port) {
  std::string out = "{\"listen\":" + std::to_string(listen_port) + ",\"control\":";
  out += control_port ? std::to_string(*control_port) : "null";
  out += "}\n";
  return out;
}

Status write_port_file(const std::filesystem::path& path, std::uint16_t listen_port,
                       std::optional<std::uint16_t> control_port) {
  // The pid keeps two writers of the same path from sharing a temporary file.
  std::filesystem::path temporary = path;
  temporary += ".tmp." + std::to_string(::getpid());
  const std::string contents = format_port_file(listen_port, control_port);
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.flush();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      return make_error(Errc::io, "writing port file " + temporary.string());
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    return make_error(Errc::io, "renaming port file to " + path.string() + ": " + ec.message());
  }
  return {};
}

}  // namespace madoguchi::sim
