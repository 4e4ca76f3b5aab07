// The control line protocol: parsing and executing as plain functions, then the server and the
// one-shot client over TCP.
#include "madoguchi/sim/control.h"

#include <catch2/catch.hpp>

#include "net_helpers.h"

namespace madoguchi::sim {
namespace {

using namespace std::chrono_literals;
using testing::Outcome;
using testing::TestClient;

TEST_CASE("the control protocol parses commands and rejects bad ones", "[sim][control]") {
  SECTION("mode commands") {
    for (auto [line, mode] : {std::pair{"pass", FaultMode::pass}, std::pair{"drop", FaultMode::drop},
                              std::pair{"blackhole", FaultMode::blackhole},
                              std::pair{"reset", FaultMode::reset}}) {
      const Expected<ControlCommand> command = parse_control_command(line);
      REQUIRE(command.ok());
      CHECK(command->kind == ControlCommand::Kind::set_mode);
      CHECK(command->mode == mode);
      CHECK(command->delay == 0ms);
    }
  }
  SECTION("delay takes milliseconds") {
    const Expected<ControlCommand> command = parse_control_command("delay 250");
    REQUIRE(command.ok());
    CHECK(command->kind == ControlCommand::Kind::set_mode);
    CHECK(command->mode == FaultMode::delay);
    CHECK(command->delay == 250ms);

    const Expected<ControlCommand> longest = parse_control_command("delay 600000");
    REQUIRE(longest.ok());
    CHECK(longest->delay == kMaxControlDelay);
  }
  SECTION("status") {
    const Expected<ControlCommand> command = parse_control_command("status");
    REQUIRE(command.ok());
    CHECK(command->kind == ControlCommand::Kind::status);
  }
  SECTION("surrounding blanks and a CR from telnet-style clients are ignored") {
    const Expected<ControlCommand> command = parse_control_command("  delay\t40 \r");
    REQUIRE(command.ok());
    CHECK(command->delay == 40ms);
  }
  SECTION("malformed lines are rejected") {
    for (std::string_view bad :
         {"", "   ", "fly", "PASS", "pass now", "status please", "delay", "delay 1 2",
          "delay -5", "delay +5", "delay 1.5", "delay 10ms", "delay abc", "delay 600001",
          "delay 99999999999999999999", "drop\x01"}) {
      const Expected<ControlCommand> command = parse_control_command(bad);
      INFO("line: " << bad);
      REQUIRE_FALSE(command.ok());
      CHECK(command.error().code == Errc::malformed);
    }
  }
  SECTION("lines over the limit are rejected as too large") {
    const std::string just_fits = "status" + std::string(kMaxControlLineBytes - 6, ' ');
    CHECK(parse_control_command(just_fits).ok());
    const Expected<ControlCommand> command = parse_control_command(just_fits + " ");
    REQUIRE_FALSE(command.ok());
    CHECK(command.error().code == Errc::too_large);
  }
}

TEST_CASE("control answers change the mode and report the status", "[sim][control]") {
  FaultProxy proxy("127.0.0.1", 0, "127.0.0.1", 9);  // never started: no sockets needed
  CHECK(answer_control_line("status", proxy) == "ok mode=pass connections=0 bytes=0");
  CHECK(answer_control_line("delay 250", proxy) == "ok delay");
  CHECK(proxy.mode() == FaultMode::delay);
  CHECK(proxy.delay() == 250ms);
  CHECK(answer_control_line("status", proxy) == "ok mode=delay connections=0 bytes=0");
  CHECK(answer_control_line("blackhole", proxy) == "ok blackhole");
  CHECK(proxy.delay() == 0ms);

  const std::string rejected = answer_control_line("fly away", proxy);
  CHECK(rejected.rfind("error unknown command 'fly'", 0) == 0);
  CHECK(proxy.mode() == FaultMode::blackhole);  // a bad command changes nothing
}

TEST_CASE("the control server answers several commands on one connection", "[sim][control]") {
  testing::EchoServer echo;
  FaultProxy proxy("127.0.0.1", 0, "127.0.0.1", echo.port());
  REQUIRE(proxy.start().ok());
  ControlServer server(proxy, "127.0.0.1", 0);
  REQUIRE(server.start().ok());

  TestClient client;
  REQUIRE_FALSE(client.connect(server.port()));
  REQUIRE_FALSE(client.write("drop\nstatus\r\nnonsense\n"));
  const std::string expected =
      "ok drop\nok mode=drop connections=0 bytes=0\nerror unknown command 'nonsense' "
      "(expected pass, drop, blackhole, reset, delay <ms> or status)\n";
  const testing::ReadResult answers = client.read_exactly(expected.size());
  REQUIRE(answers.outcome == Outcome::data);
  CHECK(answers.data == expected);
  CHECK(proxy.mode() == FaultMode::drop);

  // The connection stays usable after an error answer.
  REQUIRE_FALSE(client.write("pass\n"));
  const testing::ReadResult pass = client.read_exactly(8);
  REQUIRE(pass.outcome == Outcome::data);
  CHECK(pass.data == "ok pass\n");
}

TEST_CASE("the control server rejects an over-long line and closes", "[sim][control]") {
  FaultProxy proxy("127.0.0.1", 0, "127.0.0.1", 9);
  ControlServer server(proxy, "127.0.0.1", 0);
  REQUIRE(server.start().ok());

  TestClient client;
  REQUIRE_FALSE(client.connect(server.port()));
  REQUIRE_FALSE(client.write(std::string(kMaxControlLineBytes + 1, 'x') + "\npass\n"));
  const std::string expected = "error line longer than 256 bytes\n";
  const testing::ReadResult answer = client.read_exactly(expected.size());
  REQUIRE(answer.outcome == Outcome::data);
  CHECK(answer.data == expected);
  CHECK(client.read_some().outcome == Outcome::eof);  // nothing after: "pass" was not obeyed
  CHECK(proxy.mode() == FaultMode::pass);
}

TEST_CASE("send_control_command returns the answer line", "[sim][control]") {
  FaultProxy proxy("127.0.0.1", 0, "127.0.0.1", 9);
  ControlServer server(proxy, "127.0.0.1", 0);
  REQUIRE(server.start().ok());

  const Expected<std::string> ok = send_control_command("127.0.0.1", server.port(), "reset", 2s);
  REQUIRE(ok.ok());
  CHECK(*ok == "ok reset");
  CHECK(proxy.mode() == FaultMode::reset);

  const Expected<std::string> error = send_control_command("127.0.0.1", server.port(), "x", 2s);
  REQUIRE(error.ok());  // an error answer is still an answer
  CHECK(error->rfind("error ", 0) == 0);

  const Expected<std::string> two_lines =
      send_control_command("127.0.0.1", server.port(), "pass\ndrop", 2s);
  REQUIRE_FALSE(two_lines.ok());
  CHECK(two_lines.error().code == Errc::invalid_argument);
}

TEST_CASE("send_control_command reports a refused connection as a transport error",
          "[sim][control]") {
  // A bound but not listening socket: connecting to it is refused, and the port stays ours.
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket placeholder(io);
  placeholder.open(boost::asio::ip::tcp::v4());
  placeholder.bind({boost::asio::ip::make_address_v4("127.0.0.1"), 0});

  const Expected<std::string> answer = send_control_command(
      "127.0.0.1", placeholder.local_endpoint().port(), "status", 2s);
  REQUIRE_FALSE(answer.ok());
  CHECK(answer.error().code == Errc::transport);
}

}  // namespace
}  // namespace madoguchi::sim
