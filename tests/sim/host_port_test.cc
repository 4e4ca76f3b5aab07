// Command-line endpoints and the port file.
#include "madoguchi/sim/host_port.h"

#include <fstream>
#include <iterator>
#include <string>
#include <random>

#include <catch2/catch.hpp>

namespace madoguchi::sim {
namespace {

TEST_CASE("host and port parse from the command-line forms", "[sim][cli]") {
  const Expected<HostPort> v4 = parse_host_port("127.0.0.1:1883");
  REQUIRE(v4.ok());
  CHECK(v4->host == "127.0.0.1");
  CHECK(v4->port == 1883);

  const Expected<HostPort> name = parse_host_port("localhost:0");
  REQUIRE(name.ok());
  CHECK(name->host == "localhost");
  CHECK(name->port == 0);

  const Expected<HostPort> v6 = parse_host_port("[::1]:65535");
  REQUIRE(v6.ok());
  CHECK(v6->host == "::1");
  CHECK(v6->port == 65535);

  for (std::string_view bad : {"", "broker", ":1883", "broker:", "broker:65536", "broker:-1",
                               "broker:18x3", "::1:80", "[::1]", "[::1]80", "[::1:80", "[]:80"}) {
    INFO("text: " << bad);
    const Expected<HostPort> parsed = parse_host_port(bad);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == Errc::malformed);
  }
}

// A fresh directory under the system temp dir, removed at the end of the test.
struct TempDir {
  TempDir() {
    std::random_device seed;
    path = std::filesystem::temp_directory_path() /
           ("madoguchi-sim-test-" + std::to_string(seed()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  std::filesystem::path path;
};

std::string read_file(const std::filesystem::path& path) {
  std::string contents(std::filesystem::file_size(path), '\0');
  std::ifstream in(path, std::ios::binary);
  in.read(contents.data(), static_cast<std::streamsize>(contents.size()));
  return contents;
}

TEST_CASE("the port file holds both ports and nothing else", "[sim][cli]") {
  TempDir dir;
  const std::filesystem::path file = dir.path / "proxy.json";

  REQUIRE(write_port_file(file, 18830, 18831).ok());
  CHECK(read_file(file) == "{\"listen\":18830,\"control\":18831}\n");

  // Rewriting replaces the whole object; no temporary file is left behind.
  REQUIRE(write_port_file(file, 1, std::nullopt).ok());
  CHECK(read_file(file) == "{\"listen\":1,\"control\":null}\n");
  const auto entries = std::distance(std::filesystem::directory_iterator(dir.path),
                                     std::filesystem::directory_iterator());
  CHECK(entries == 1);
}

TEST_CASE("writing the port file into a missing directory fails with an io error",
          "[sim][cli]") {
  TempDir dir;
  const Status written = write_port_file(dir.path / "missing" / "proxy.json", 1, 2);
  REQUIRE_FALSE(written.ok());
  CHECK(written.error().code == Errc::io);
}

}  // namespace
}  // namespace madoguchi::sim
