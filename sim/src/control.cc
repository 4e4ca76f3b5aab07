// The control line protocol: parsing and executing (no I/O), plus the one-shot client.
#include "madoguchi/sim/control.h"

#include <charconv>
#include <optional>
#include <system_error>
#include <vector>

#include "madoguchi/sim/asio.h"
#include "quote.h"

namespace madoguchi::sim {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_blank(line[i])) ++i;
    const std::size_t begin = i;
    while (i < line.size() && !is_blank(line[i])) ++i;
    if (i > begin) words.push_back(line.substr(begin, i - begin));
  }
  return words;
}

constexpr std::string_view kCommandList = "pass, drop, blackhole, reset, delay <ms> or status";

}  // namespace

Expected<ControlCommand> parse_control_command(std::string_view line) {
  if (line.size() > kMaxControlLineBytes) {
    return make_error(Errc::too_large,
                      "line longer than " + std::to_string(kMaxControlLineBytes) + " bytes");
  }
  const std::vector<std::string_view> words = split_words(line);
  if (words.empty()) {
    return make_error(Errc::malformed, "empty command (expected " + std::string(kCommandList) + ")");
  }
  const std::string_view verb = words.front();
  if (verb == "status" || verb == "delay") {
    // handled below
  } else if (!parse_fault_mode(verb).ok()) {
    return make_error(Errc::malformed, "unknown command " + internal::quoted(verb) +
                                           " (expected " + std::string(kCommandList) + ")");
  }

  if (verb == "delay") {
    if (words.size() != 2) {
      return make_error(Errc::malformed, "delay takes one argument: milliseconds");
    }
    const std::string_view digits = words[1];
    std::int64_t ms = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), ms);
    if (ec != std::errc{} || end != digits.data() + digits.size() || ms < 0 ||
        ms > kMaxControlDelay.count()) {
      return make_error(Errc::malformed,
                        "delay must be whole milliseconds from 0 to " +
                            std::to_string(kMaxControlDelay.count()) + ", got " +
                            internal::quoted(digits));
    }
    ControlCommand command;
    command.kind = ControlCommand::Kind::set_mode;
    command.mode = FaultMode::delay;
    command.delay = std::chrono::milliseconds{ms};
    return command;
  }

  if (words.size() != 1) {
    return make_error(Errc::malformed, std::string(verb) + " takes no argument");
  }
  ControlCommand command;
  if (verb == "status") {
    command.kind = ControlCommand::Kind::status;
    return command;
  }
  command.kind = ControlCommand::Kind::set_mode;
  command.mode = parse_fault_mode(verb).value();
  return command;
}

std::string execute_control_command(const ControlCommand& command, FaultProxy& proxy) {
  switch (command.kind) {
    case ControlCommand::Kind::status:
      return "ok mode=" + std::string(fault_mode_name(proxy.mode())) +
             " connections=" + std::to_string(proxy.active_connections()) +
             " bytes=" + std::to_string(proxy.bytes_forwarded());
    case ControlCommand::Kind::set_mode:
      proxy.set_mode(command.mode, command.delay);
      return "ok " + std::string(fault_mode_name(command.mode));
  }
  return "error internal: unknown command kind";
}

std::string answer_control_line(std::string_view line, FaultProxy& proxy) {
  Expected<ControlCommand> command = parse_control_command(line);
  if (!command) return "error " + command.error().message;
  return execute_control_command(*command, proxy);
}

Expected<std::string> send_control_command(const std::string& host, std::uint16_t port,
                                           std::string_view command,
                                           std::chrono::milliseconds timeout) {
  if (command.find('\n') != std::string_view::npos) {
    return make_error(Errc::invalid_argument, "control command must be one line");
  }
  // Answers are one short line; anything longer is not our server.
  constexpr std::size_t kMaxAnswerBytes = 4096;
  const std::string where = host + ":" + std::to_string(port);
  const std::string request = std::string(command) + "\n";
  std::string answer;
  std::optional<Error> failure;
  bool answered = false;

  // Declared after the buffers above: destroyed first, so no pending operation outlives them.
  asio::io_context io;
  tcp::resolver resolver(io);
  tcp::socket socket(io);

  auto fail = [&](std::string_view what, const error_code& ec) {
    failure = make_error(Errc::transport, std::string(what) + " " + where + ": " + ec.message());
  };
  resolver.async_resolve(
      host, std::to_string(port), tcp::resolver::numeric_service,
      [&](const error_code& ec, const tcp::resolver::results_type& results) {
        if (ec) return fail("resolving", ec);
        asio::async_connect(socket, results, [&](const error_code& cec, const tcp::endpoint&) {
          if (cec) return fail("connecting to", cec);
          asio::async_write(socket, asio::buffer(request), [&](const error_code& wec, std::size_t) {
            if (wec) return fail("sending to", wec);
            asio::async_read_until(
                socket, asio::dynamic_buffer(answer, kMaxAnswerBytes), '\n',
                [&](const error_code& rec, std::size_t n) {
                  if (rec) return fail("reading the answer from", rec);
                  answer.resize(n - 1);
                  if (!answer.empty() && answer.back() == '\r') answer.pop_back();
                  answered = true;
                });
          });
        });
      });
  io.run_for(timeout);
  if (answered) return answer;
  if (failure) return *failure;
  return make_error(Errc::timeout, "no answer from " + where + " within " +
                                       std::to_string(timeout.count()) + " ms");
}

}  // namespace madoguchi::sim
