// FaultProxy behaviour, observed the way the edge agent would observe it: through a TCP client
// talking to an echo server behind the proxy.
#include "madoguchi/sim/fault_proxy.h"

#include <catch2/catch.hpp>

#include "net_helpers.h"

namespace Catch {
template <>
struct StringMaker<madoguchi::sim::testing::Outcome> {
  static std::string convert(madoguchi::sim::testing::Outcome outcome) {
    return madoguchi::sim::testing::outcome_name(outcome);
  }
};
}  // namespace Catch

namespace madoguchi::sim {
namespace {

using namespace std::chrono_literals;
using testing::EchoServer;
using testing::eventually;
using testing::kQuietPeriod;
using testing::Outcome;
using testing::TestClient;

// An echo server with a started proxy in front of it.
struct ProxiedEcho {
  ProxiedEcho() : proxy("127.0.0.1", 0, "127.0.0.1", echo.port()) {
    const Status started = proxy.start();
    REQUIRE(started.ok());
    REQUIRE(proxy.port() != 0);
  }
  EchoServer echo;
  FaultProxy proxy;
};

// A client that connected through the proxy and saw one echo, so the upstream leg is up.
void connect_and_echo(TestClient& client, FaultProxy& proxy, std::string_view greeting = "hello") {
  REQUIRE_FALSE(client.connect(proxy.port()));
  const testing::ReadResult echoed = client.exchange(greeting);
  REQUIRE(echoed.outcome == Outcome::data);
  REQUIRE(echoed.data == greeting);
}

TEST_CASE("bytes pass through unchanged in pass mode", "[sim][fault_proxy]") {
  ProxiedEcho setup;
  CHECK(setup.proxy.mode() == FaultMode::pass);
  TestClient client;
  REQUIRE_FALSE(client.connect(setup.proxy.port()));

  // Larger than the read buffer (64 KiB) and the per-direction queue bound (256 KiB), so the
  // pause/resume of reading is exercised too.
  const std::string payload = testing::pattern_bytes(600 * 1024);
  const testing::ReadResult echoed = client.exchange(payload);
  REQUIRE(echoed.outcome == Outcome::data);
  REQUIRE(echoed.data.size() == payload.size());
  REQUIRE((echoed.data == payload));

  CHECK(setup.proxy.active_connections() == 1);
  // Counted when the proxy's write completes, which may be just after the client read the bytes.
  REQUIRE(eventually([&] { return setup.proxy.bytes_forwarded() == 2 * payload.size(); }));
}

TEST_CASE("several connections are relayed independently", "[sim][fault_proxy]") {
  ProxiedEcho setup;
  TestClient first;
  TestClient second;
  connect_and_echo(first, setup.proxy, "first");
  connect_and_echo(second, setup.proxy, "second");
  const testing::ReadResult again = first.exchange("again");
  REQUIRE(again.outcome == Outcome::data);
  CHECK(again.data == "again");
  CHECK(setup.echo.accepted() == 2);
  CHECK(setup.proxy.active_connections() == 2);
}

TEST_CASE("a client closing its side ends the relayed connection", "[sim][fault_proxy]") {
  ProxiedEcho setup;
  TestClient client;
  connect_and_echo(client, setup.proxy);
  client.close();
  // The FIN travels to the echo server, whose FIN travels back; then the proxy lets go.
  REQUIRE(eventually([&] { return setup.echo.ended() == 1; }));
  REQUIRE(eventually([&] { return setup.proxy.active_connections() == 0; }));
}

TEST_CASE("drop closes existing connections and refuses new ones", "[sim][fault_proxy]") {
  ProxiedEcho setup;
  TestClient existing;
  connect_and_echo(existing, setup.proxy);

  setup.proxy.set_mode(FaultMode::drop);
  CHECK(setup.proxy.mode() == FaultMode::drop);
  // Graceful: an orderly end of stream, not a reset.
  CHECK(existing.read_some().outcome == Outcome::eof);
  REQUIRE(eventually([&] { return setup.echo.ended() == 1; }));  // the target saw FIN too

  TestClient fresh;
  // The kernel completes the handshake before the proxy accepts, so connect succeeds; the
  // connection is then closed at once.
  REQUIRE_FALSE(fresh.connect(setup.proxy.port()));
  CHECK(fresh.read_some().outcome == Outcome::eof);
  CHECK(setup.echo.accepted() == 1);  // the refused connection never reached the target

  existing.close();
  fresh.close();
  REQUIRE(eventually([&] { return setup.proxy.active_connections() == 0; }));
}

TEST_CASE("blackhole swallows bytes without closing", "[sim][fault_proxy]") {
  ProxiedEcho setup;
  TestClient existing;
  connect_and_echo(existing, setup.proxy);

  setup.proxy.set_mode(FaultMode::blackhole);
  REQUIRE_FALSE(existing.write("ping"));
  // No echo, no FIN, no RST: the read can only run into its deadline.
  CHECK(existing.read_some(kQuietPeriod).outcome == Outcome::timed_out);

  TestClient fresh;
  REQUIRE_FALSE(fresh.connect(setup.proxy.port()));
  REQUIRE_FALSE(fresh.write("ping"));
  CHECK(fresh.read_some(kQuietPeriod).outcome == Outcome::timed_out);

  CHECK(setup.echo.accepted() == 1);  // the new connection was never connected upstream
  CHECK(setup.echo.ended() == 0);     // and the old one was not closed towards the target
  CHECK(setup.proxy.active_connections() == 2);
}

TEST_CASE("blackhole keeps swallowing while the client sends more than the buffers hold",
          "[sim][fault_proxy]") {
  ProxiedEcho setup;
  setup.proxy.set_mode(FaultMode::blackhole);
  TestClient client;
  REQUIRE_FALSE(client.connect(setup.proxy.port()));
  // Far beyond any socket buffer: completes only because the proxy keeps reading and discarding.
  REQUIRE_FALSE(client.write(testing::pattern_bytes(8 * 1024 * 1024)));
  CHECK(setup.proxy.bytes_forwarded() == 0);
}

TEST_CASE("reset gives the client a connection reset error", "[sim][fault_proxy]") {
  ProxiedEcho setup;
  TestClient existing;
  connect_and_echo(existing, setup.proxy);

  setup.proxy.set_mode(FaultMode::reset);
  CHECK(existing.read_some().outcome == Outcome::reset);
  REQUIRE(eventually([&] { return setup.echo.ended() == 1; }));  // the target was reset too

  TestClient fresh;
  const boost::system::error_code connected = fresh.connect(setup.proxy.port());
  if (connected) {
    // The RST may land before the client's connect completion is reported.
    CHECK(connected == boost::asio::error::connection_reset);
  } else {
    CHECK(fresh.read_some().outcome == Outcome::reset);
  }
  CHECK(setup.echo.accepted() == 1);
  CHECK(setup.proxy.active_connections() == 0);
}

TEST_CASE("delay holds bytes at least the delay and keeps order", "[sim][fault_proxy]") {
  ProxiedEcho setup;
  TestClient client;
  connect_and_echo(client, setup.proxy);

  constexpr auto kDelay = 100ms;
  setup.proxy.set_mode(FaultMode::delay, kDelay);
  CHECK(setup.proxy.mode() == FaultMode::delay);
  CHECK(setup.proxy.delay() == kDelay);

  const auto sent = std::chrono::steady_clock::now();
  for (std::string_view part : {"one", "two", "three"}) {
    REQUIRE_FALSE(client.write(part));
    std::this_thread::sleep_for(10ms);  // spacing, so the parts travel as separate chunks
  }
  const testing::ReadResult echoed = client.read_exactly(11);
  const auto elapsed = std::chrono::steady_clock::now() - sent;
  REQUIRE(echoed.outcome == Outcome::data);
  CHECK(echoed.data == "onetwothree");
  // Held once on the way to the echo server and once on the way back.
  CHECK(elapsed >= 2 * kDelay);
}

TEST_CASE("shortening the delay does not let later bytes overtake earlier ones",
          "[sim][fault_proxy]") {
  ProxiedEcho setup;
  TestClient client;
  connect_and_echo(client, setup.proxy);

  setup.proxy.set_mode(FaultMode::delay, 150ms);
  REQUIRE_FALSE(client.write("first,"));
  std::this_thread::sleep_for(20ms);  // let the proxy stamp "first," with the long delay
  setup.proxy.set_mode(FaultMode::pass);
  REQUIRE_FALSE(client.write("second"));
  const testing::ReadResult echoed = client.read_exactly(12);
  REQUIRE(echoed.outcome == Outcome::data);
  CHECK(echoed.data == "first,second");
}

TEST_CASE("returning to pass serves new connections", "[sim][fault_proxy]") {
  ProxiedEcho setup;

  TestClient dropped;
  connect_and_echo(dropped, setup.proxy);
  setup.proxy.set_mode(FaultMode::drop);
  REQUIRE(dropped.read_some().outcome == Outcome::eof);
  setup.proxy.set_mode(FaultMode::pass);
  TestClient after_drop;
  connect_and_echo(after_drop, setup.proxy);

  TestClient blackholed;
  connect_and_echo(blackholed, setup.proxy);
  setup.proxy.set_mode(FaultMode::blackhole);
  setup.proxy.set_mode(FaultMode::pass);
  TestClient after_blackhole;
  connect_and_echo(after_blackhole, setup.proxy);

  // Damage done to existing connections is permanent: blackholed stays blackholed...
  REQUIRE_FALSE(blackholed.write("still there?"));
  CHECK(blackholed.read_some(kQuietPeriod).outcome == Outcome::timed_out);
  // ...and the connection cut by drop stays cut.
  CHECK(dropped.read_some().outcome == Outcome::eof);
}

TEST_CASE("stopping the proxy closes its connections", "[sim][fault_proxy]") {
  ProxiedEcho setup;
  TestClient client;
  connect_and_echo(client, setup.proxy);
  setup.proxy.stop();
  const Outcome outcome = client.read_some().outcome;
  CHECK((outcome == Outcome::eof || outcome == Outcome::reset));
  CHECK(setup.proxy.active_connections() == 0);
  setup.proxy.stop();  // idempotent
}

TEST_CASE("an unreachable target closes the client connection", "[sim][fault_proxy]") {
  // A bound but not listening socket: connecting to it is refused, and the port stays ours.
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket placeholder(io);
  placeholder.open(boost::asio::ip::tcp::v4());
  placeholder.bind({boost::asio::ip::make_address_v4("127.0.0.1"), 0});
  FaultProxy proxy("127.0.0.1", 0, "127.0.0.1", placeholder.local_endpoint().port());
  REQUIRE(proxy.start().ok());

  TestClient client;
  REQUIRE_FALSE(client.connect(proxy.port()));
  CHECK(client.read_some().outcome == Outcome::eof);
}

TEST_CASE("a proxy starts at most once and reports bind failures", "[sim][fault_proxy]") {
  EchoServer echo;
  FaultProxy first("127.0.0.1", 0, "127.0.0.1", echo.port());
  REQUIRE(first.start().ok());
  const Status again = first.start();
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == Errc::invalid_argument);

  FaultProxy clash("127.0.0.1", echo.port(), "127.0.0.1", echo.port());
  const Status clashed = clash.start();
  REQUIRE_FALSE(clashed.ok());
  CHECK(clashed.error().code == Errc::io);
}

TEST_CASE("fault mode names round-trip and unknown names are rejected", "[sim][fault_proxy]") {
  for (FaultMode mode : {FaultMode::pass, FaultMode::drop, FaultMode::blackhole, FaultMode::reset,
                         FaultMode::delay}) {
    const Expected<FaultMode> parsed = parse_fault_mode(fault_mode_name(mode));
    REQUIRE(parsed.ok());
    CHECK(*parsed == mode);
  }
  for (std::string_view bad : {"", "PASS", "pass ", "cut"}) {
    const Expected<FaultMode> parsed = parse_fault_mode(bad);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == Errc::malformed);
  }
}

}  // namespace
}  // namespace madoguchi::sim
