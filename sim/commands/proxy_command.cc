// madoguchi-sim proxy / proxy-ctl: argument parsing and wiring only; the behaviour lives in
// madoguchi_sim (FaultProxy, ControlServer, send_control_command).
#include <csignal>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "commands.h"
#include "madoguchi/sim/asio.h"
#include "madoguchi/sim/control.h"
#include "madoguchi/sim/fault_proxy.h"
#include "madoguchi/sim/host_port.h"

namespace madoguchi::sim::cli {

namespace {

constexpr std::string_view kProxyUsage =
    "usage: madoguchi-sim proxy --listen HOST:PORT --target HOST:PORT [--control HOST:PORT]\n"
    "                           [--port-file FILE] [--mode MODE] [--delay-ms MS]\n"
    "\n"
    "Forwards TCP connections from --listen to --target and injects faults on demand.\n"
    "  --listen HOST:PORT   where clients connect (port 0 picks a free port)\n"
    "  --target HOST:PORT   where connections are forwarded (e.g. the mosquitto broker)\n"
    "  --control HOST:PORT  serve the control line protocol here (port 0 picks a free port):\n"
    "                       pass | drop | blackhole | reset | delay <ms> | status\n"
    "  --port-file FILE     once listening, write {\"listen\":<port>,\"control\":<port|null>}\n"
    "                       atomically to FILE\n"
    "  --mode MODE          initial mode: pass (default), drop, blackhole, reset, delay\n"
    "  --delay-ms MS        hold time per chunk for --mode delay (default 0)\n"
    "Runs until SIGINT or SIGTERM.\n";

constexpr std::string_view kProxyCtlUsage =
    "usage: madoguchi-sim proxy-ctl --control HOST:PORT [--timeout-ms MS] COMMAND...\n"
    "\n"
    "Sends COMMAND (e.g. 'drop', 'delay 500', 'status') to a proxy's control port and prints\n"
    "the answer. Exit status 0 for an 'ok' answer, 1 for an 'error' answer or no answer.\n";

constexpr std::chrono::milliseconds kDefaultCtlTimeout{3000};

// Walks "--name value" / "--name=value" options. Stops at the first argument that is not an
// option, so that positional words (proxy-ctl's command) can follow.
class OptionWalker {
 public:
  explicit OptionWalker(Args args) : args_(args) {}

  // Advances to the next option; false at the end or at the first non-option.
  bool next() {
    if (i_ >= args_.size() || !args_[i_].starts_with("--")) return false;
    const std::string_view arg = args_[i_++];
    const std::size_t eq = arg.find('=');
    name_ = arg.substr(0, eq);
    inline_value_.reset();
    if (eq != std::string_view::npos) inline_value_ = arg.substr(eq + 1);
    return true;
  }
  std::string_view name() const { return name_; }
  // The option's value, or nullopt when it is missing.
  std::optional<std::string_view> value() {
    if (inline_value_) return inline_value_;
    if (i_ < args_.size()) return args_[i_++];
    return std::nullopt;
  }
  Args rest() const { return args_.subspan(i_); }

 private:
  Args args_;
  std::size_t i_ = 0;
  std::string_view name_;
  std::optional<std::string_view> inline_value_;
};

int usage_error(std::string_view command, std::string_view message, std::string_view usage) {
  std::cerr << "madoguchi-sim " << command << ": " << message << "\n\n" << usage;
  return 2;
}

Expected<std::chrono::milliseconds> parse_millis(std::string_view text) {
  // The control protocol's delay grammar is the one we want here too.
  Expected<ControlCommand> parsed = parse_control_command("delay " + std::string(text));
  if (!parsed) return parsed.error();
  return parsed->delay;
}

// Control lines are untrusted; keep the log one line of printable text.
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    out += (byte >= 0x20 && byte < 0x7f) ? c : '?';
  }
  return out;
}

struct ProxyOptions {
  HostPort listen;
  HostPort target;
  std::optional<HostPort> control;
  std::optional<std::string> port_file;
  FaultMode mode = FaultMode::pass;
  std::chrono::milliseconds delay{0};
};

}  // namespace

int run_proxy(Args args) {
  constexpr std::string_view kName = "proxy";
  ProxyOptions options;
  bool have_listen = false;
  bool have_target = false;
  OptionWalker walker(args);
  while (walker.next()) {
    const std::string_view name = walker.name();
    if (name == "--help") {
      std::cout << kProxyUsage;
      return 0;
    }
    const std::optional<std::string_view> value = walker.value();
    if (!value) return usage_error(kName, std::string(name) + " needs a value", kProxyUsage);
    if (name == "--listen" || name == "--target" || name == "--control") {
      Expected<HostPort> endpoint = parse_host_port(*value);
      if (!endpoint) return usage_error(kName, endpoint.error().message, kProxyUsage);
      if (name == "--listen") {
        options.listen = *endpoint;
        have_listen = true;
      } else if (name == "--target") {
        options.target = *endpoint;
        have_target = true;
      } else {
        options.control = *endpoint;
      }
    } else if (name == "--port-file") {
      options.port_file = std::string(*value);
    } else if (name == "--mode") {
      Expected<FaultMode> mode = parse_fault_mode(*value);
      if (!mode) return usage_error(kName, mode.error().message, kProxyUsage);
      options.mode = *mode;
    } else if (name == "--delay-ms") {
      Expected<std::chrono::milliseconds> delay = parse_millis(*value);
      if (!delay) return usage_error(kName, delay.error().message, kProxyUsage);
      options.delay = *delay;
    } else {
      return usage_error(kName, "unknown option " + std::string(name), kProxyUsage);
    }
  }
  if (!walker.rest().empty()) {
    return usage_error(kName, "unexpected argument '" + std::string(walker.rest().front()) + "'",
                       kProxyUsage);
  }
  if (!have_listen || !have_target) {
    return usage_error(kName, "--listen and --target are required", kProxyUsage);
  }

  // Signal handling is installed before anything listens, so a script that saw the port file
  // can always stop us cleanly.
  boost::asio::io_context signals_io;
  boost::asio::signal_set signals(signals_io, SIGINT, SIGTERM);

  FaultProxy proxy(options.listen.host, options.listen.port, options.target.host,
                   options.target.port);
  proxy.set_mode(options.mode, options.delay);
  if (Status started = proxy.start(); !started) {
    std::cerr << "madoguchi-sim proxy: " << started.error().describe() << "\n";
    return 1;
  }

  std::optional<ControlServer> control;
  if (options.control) {
    control.emplace(proxy, options.control->host, options.control->port,
                    [](std::string_view line, std::string_view answer) {
                      std::cerr << "madoguchi-sim proxy: control '" << printable(line)
                                << "' -> " << answer << "\n";
                    });
    if (Status started = control->start(); !started) {
      std::cerr << "madoguchi-sim proxy: " << started.error().describe() << "\n";
      return 1;
    }
  }

  if (options.port_file) {
    const std::optional<std::uint16_t> control_port =
        control ? std::optional<std::uint16_t>(control->port()) : std::nullopt;
    if (Status written = write_port_file(*options.port_file, proxy.port(), control_port);
        !written) {
      std::cerr << "madoguchi-sim proxy: " << written.error().describe() << "\n";
      return 1;
    }
  }

  std::cerr << "madoguchi-sim proxy: listening on " << options.listen.host << ":" << proxy.port()
            << ", forwarding to " << options.target.host << ":" << options.target.port
            << ", mode " << fault_mode_name(proxy.mode());
  if (control) std::cerr << ", control on " << options.control->host << ":" << control->port();
  std::cerr << std::endl;

  signals.async_wait([](const boost::system::error_code& ec, int signal_number) {
    if (!ec) std::cerr << "madoguchi-sim proxy: signal " << signal_number << ", stopping\n";
  });
  signals_io.run();  // returns once the signal handler ran

  if (control) control->stop();  // before the proxy it controls
  proxy.stop();
  return 0;
}

int run_proxy_ctl(Args args) {
  constexpr std::string_view kName = "proxy-ctl";
  std::optional<HostPort> control;
  std::chrono::milliseconds timeout = kDefaultCtlTimeout;
  OptionWalker walker(args);
  while (walker.next()) {
    const std::string_view name = walker.name();
    if (name == "--help") {
      std::cout << kProxyCtlUsage;
      return 0;
    }
    const std::optional<std::string_view> value = walker.value();
    if (!value) return usage_error(kName, std::string(name) + " needs a value", kProxyCtlUsage);
    if (name == "--control") {
      Expected<HostPort> endpoint = parse_host_port(*value);
      if (!endpoint) return usage_error(kName, endpoint.error().message, kProxyCtlUsage);
      control = *endpoint;
    } else if (name == "--timeout-ms") {
      Expected<std::chrono::milliseconds> parsed = parse_millis(*value);
      if (!parsed || parsed->count() == 0) {
        return usage_error(kName, "--timeout-ms must be a positive number of milliseconds",
                           kProxyCtlUsage);
      }
      timeout = *parsed;
    } else {
      return usage_error(kName, "unknown option " + std::string(name), kProxyCtlUsage);
    }
  }
  if (!control) return usage_error(kName, "--control is required", kProxyCtlUsage);
  std::string command;
  for (std::string_view word : walker.rest()) {
    if (!command.empty()) command += ' ';
    command += word;
  }
  if (command.empty()) return usage_error(kName, "missing COMMAND", kProxyCtlUsage);

  Expected<std::string> answer = send_control_command(control->host, control->port, command,
                                                      timeout);
  if (!answer) {
    std::cerr << "madoguchi-sim proxy-ctl: " << answer.error().describe() << "\n";
    return 1;
  }
  std::cout << *answer << "\n";
  return answer->starts_with("ok") ? 0 : 1;
}

}  // namespace madoguchi::sim::cli
