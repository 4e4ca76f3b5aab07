#include "madoguchi/provisioning/cli.h"

#include <catch2/catch.hpp>
#include <sstream>

#include "test_support.h"

namespace mp = madoguchi::provisioning;

namespace {

struct Run {
  int code;
  std::string out;
  std::string err;
};

Run run(std::vector<std::string> args) {
  std::ostringstream out, err;
  int code = mp::run_cli(args, out, err);
  return {code, out.str(), err.str()};
}

}  // namespace

TEST_CASE("the CLI exits 2 with usage for no command or an unknown command", "[cli]") {
  auto none = run({});
  CHECK(none.code == 2);
  CHECK_THAT(none.err, Catch::Contains("usage: madoguchi-provision"));

  auto unknown = run({"mint"});
  CHECK(unknown.code == 2);
  CHECK_THAT(unknown.err, Catch::StartsWith("madoguchi-provision: invalid_argument: unknown command 'mint'"));
}

TEST_CASE("every subcommand prints its help and exits 0 with --help", "[cli]") {
  for (const char* cmd : {"ca", "issue", "dev-pki", "broker-config"}) {
    INFO(cmd);
    auto r = run({cmd, "--help"});
    CHECK(r.code == 0);
    CHECK_THAT(r.out, Catch::StartsWith(std::string("usage: madoguchi-provision ") + cmd));
    CHECK(r.err.empty());
  }
  CHECK(run({"--help"}).code == 0);
}

TEST_CASE("the CLI exits 2 and names the option for a missing, unknown or malformed option", "[cli]") {
  auto missing = run({"issue", "--dir", "x", "--role", "client"});
  CHECK(missing.code == 2);
  CHECK_THAT(missing.err, Catch::Contains("--cn is required"));

  auto unknown = run({"ca", "--dir", "x", "--colour", "red"});
  CHECK(unknown.code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("unknown option --colour"));

  auto no_value = run({"ca", "--dir"});
  CHECK(no_value.code == 2);
  CHECK_THAT(no_value.err, Catch::Contains("--dir needs a value"));

  auto port = run({"broker-config", "--pki", "p", "--registry", "r", "--port", "88x", "--out", "o"});
  CHECK(port.code == 2);
  CHECK_THAT(port.err, Catch::Contains("--port must be an integer from 1 to 65535"));

  auto role = run({"issue", "--dir", "x", "--cn", "hub", "--role", "admin"});
  CHECK(role.code == 2);
  CHECK_THAT(role.err, Catch::Contains("--role must be server or client"));
}

TEST_CASE("the CLI exits 2 when the library rejects a value given on the command line", "[cli]") {
  madoguchi::testing::TempDir dir;
  REQUIRE(run({"ca", "--dir", dir.path().string()}).code == 0);
  auto r = run({"issue", "--dir", dir.path().string(), "--cn", "bad cn", "--role", "client"});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::StartsWith("madoguchi-provision: invalid_argument: common name 'bad cn'"));
}

TEST_CASE("the CLI exits 1 with the error when the CA already exists", "[cli]") {
  madoguchi::testing::TempDir dir;
  REQUIRE(run({"ca", "--dir", dir.path().string()}).code == 0);
  auto again = run({"ca", "--dir", dir.path().string()});
  CHECK(again.code == 1);
  CHECK_THAT(again.err, Catch::StartsWith("madoguchi-provision: already_exists: "));
  CHECK(run({"ca", "--dir", dir.path().string(), "--force", "--days=30"}).code == 0);
}

TEST_CASE("issue through the CLI writes a server certificate with repeated --dns and --ip", "[cli]") {
  madoguchi::testing::TempDir dir;
  const auto d = dir.path().string();
  REQUIRE(run({"ca", "--dir", d, "--name", "テスト CA"}).code == 0);
  auto r = run({"issue", "--dir", d, "--cn", "mqtt.example.jp", "--role", "server", "--dns", "mqtt.example.jp",
                "--dns", "localhost", "--ip", "127.0.0.1", "--stem", "broker", "--days", "90"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(std::filesystem::exists(dir / "broker.crt"));
  CHECK(madoguchi::testing::file_mode(dir / "broker.key") == 0600u);
}

TEST_CASE("dev-pki then broker-config through the CLI produce a config naming the PKI files", "[cli]") {
  madoguchi::testing::TempDir dir;
  madoguchi::testing::write_text(dir / "registry.json",
                              R"({"municipalities":[{"code":"131016","name":"サンプル市","devices":[{"id":"counter-01","role":"counter"}]}]})");
  const auto d = dir.path().string();
  auto pki = run({"dev-pki", "--dir", d + "/pki", "--registry", d + "/registry.json"});
  INFO(pki.err);
  REQUIRE(pki.code == 0);
  CHECK_THAT(pki.out, Catch::Contains("created") && Catch::Contains("131016.counter-01"));

  auto conf = run({"broker-config", "--pki", d + "/pki", "--registry", d + "/registry.json", "--port", "18883",
                   "--out", d + "/broker", "--listen", "0.0.0.0", "--log", d + "/broker.log"});
  INFO(conf.err);
  REQUIRE(conf.code == 0);
  auto text = madoguchi::testing::read_text(dir / "broker" / "mosquitto.conf");
  CHECK_THAT(text, Catch::Contains("listener 18883 0.0.0.0\n"));
  CHECK_THAT(text, Catch::Contains("keyfile " + d + "/pki/broker.key\n"));
  CHECK_THAT(text, Catch::Contains("log_dest file " + d + "/broker.log\n"));
  CHECK_THAT(text, Catch::Contains("auth_opt_identities " + d + "/broker/identities\n"));
  CHECK_THAT(text, Catch::Contains("auth_plugin "));
  const auto ids = madoguchi::testing::read_text(dir / "broker" / "identities");
  CHECK_THAT(ids, Catch::Contains("hub hub\n") && Catch::Contains("device 131016.counter-01\n"));

  // Two hub instances, each with its own certificate identity; a plugin that is not there is
  // refused while the operator is looking.
  auto two = run({"broker-config", "--pki", d + "/pki", "--registry", d + "/registry.json", "--port", "18883",
                  "--out", d + "/broker2", "--hub", "hub", "--hub", "hub-2"});
  REQUIRE(two.code == 0);
  CHECK_THAT(madoguchi::testing::read_text(dir / "broker2" / "identities"), Catch::Contains("hub hub-2\n"));
  auto missing = run({"broker-config", "--pki", d + "/pki", "--registry", d + "/registry.json", "--port", "18883",
                      "--out", d + "/broker3", "--plugin", d + "/nowhere.so"});
  CHECK(missing.code == 1);
  CHECK_THAT(missing.err, Catch::Contains("nowhere.so"));
}

TEST_CASE("broker-config fails with exit 1 when the PKI has no broker certificate", "[cli]") {
  madoguchi::testing::TempDir dir;
  madoguchi::testing::write_text(dir / "registry.json", R"({"municipalities":[]})");
  const auto d = dir.path().string();
  auto r = run({"broker-config", "--pki", d, "--registry", d + "/registry.json", "--port", "18883", "--out", d});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Catch::Contains("not_found") && Catch::Contains("ca.crt"));
}
