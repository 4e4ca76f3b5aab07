#include "madoguchi/provisioning/cli.h"

#include <charconv>
#include <fstream>
#include <random>
#include <exception>
#include <filesystem>
#include <map>
#include <optional>
#include <string_view>

#include "madoguchi/error.h"
#include "madoguchi/provisioning/broker_config.h"
#include "madoguchi/provisioning/dev_pki.h"
#include "madoguchi/provisioning/pki.h"
#include "files.h"

namespace madoguchi::provisioning {
namespace {

constexpr std::string_view kProgram = "madoguchi-provision";

constexpr std::string_view kMainUsage =
    "usage: madoguchi-provision <command> [options]\n"
    "\n"
    "commands:\n"
    "  ca             create the CA (ca.key, ca.crt) in a PKI directory\n"
    "  issue          issue a server or client certificate signed by that CA\n"
    "  dev-pki        create CA, broker, hub and device certificates for a registry (idempotent)\n"
    "  pkcs12         export a certificate and its key as PKCS#12 for a browser\n"
    "  broker-config  write mosquitto.conf and the broker's identities for a registry\n"
    "\n"
    "Run 'madoguchi-provision <command> --help' for the options of a command.\n"
    "Exit status: 0 success, 1 failure, 2 bad command line.\n";

struct OptionSpec {
  std::string_view name;  // without the leading "--"
  bool takes_value;
  bool repeatable;
  bool required;
};

// Values by option name; a flag that was given maps to one empty string.
using Parsed = std::map<std::string, std::vector<std::string>, std::less<>>;

struct Command {
  std::string_view name;
  std::string_view help;
  std::vector<OptionSpec> options;
  int (*run)(const Parsed&, std::ostream& out, std::ostream& err);
};

Error usage_error(std::string message) { return make_error(Errc::invalid_argument, std::move(message)); }

int fail(std::ostream& err, const Error& e, int code) {
  err << kProgram << ": " << e.describe() << '\n';
  return code;
}

Expected<Parsed> parse_options(const std::vector<std::string>& args, const Command& cmd) {
  Parsed parsed;
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (!arg.starts_with("--") || arg.size() == 2) {
      return usage_error("unexpected argument '" + std::string(arg) + "'");
    }
    arg.remove_prefix(2);
    std::optional<std::string> inline_value;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      inline_value = std::string(arg.substr(eq + 1));
      arg = arg.substr(0, eq);
    }
    const OptionSpec* spec = nullptr;
    for (const auto& o : cmd.options) {
      if (o.name == arg) spec = &o;
    }
    if (spec == nullptr) {
      return usage_error("unknown option --" + std::string(arg) + " for '" + std::string(cmd.name) + "'");
    }
    std::string value;
    if (spec->takes_value) {
      if (inline_value) {
        value = *inline_value;
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return usage_error("--" + std::string(arg) + " needs a value");
      }
    } else if (inline_value) {
      return usage_error("--" + std::string(arg) + " takes no value");
    }
    auto& values = parsed[std::string(arg)];
    if (!values.empty() && !spec->repeatable) {
      return usage_error("--" + std::string(arg) + " given more than once");
    }
    values.push_back(std::move(value));
  }
  for (const auto& o : cmd.options) {
    if (o.required && !parsed.contains(o.name)) {
      return usage_error("--" + std::string(o.name) + " is required for '" + std::string(cmd.name) + "'");
    }
  }
  return parsed;
}

bool has(const Parsed& p, std::string_view name) { return p.find(name) != p.end(); }

std::string one(const Parsed& p, std::string_view name, std::string fallback = {}) {
  auto it = p.find(name);
  return it == p.end() ? fallback : it->second.front();
}

std::vector<std::string> all(const Parsed& p, std::string_view name) {
  auto it = p.find(name);
  return it == p.end() ? std::vector<std::string>{} : it->second;
}

Expected<long> parse_integer(const Parsed& p, std::string_view name, long fallback, long min, long max) {
  auto it = p.find(name);
  if (it == p.end()) return fallback;
  const std::string& s = it->second.front();
  long value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size() || value < min || value > max) {
    return usage_error("--" + std::string(name) + " must be an integer from " + std::to_string(min) +
                       " to " + std::to_string(max) + ", got '" + s + "'");
  }
  return value;
}

// For ca and issue every input comes from the command line, so a value the library rejects as
// invalid_argument is a bad command line (2), not a failure (1).
int fail_library(std::ostream& err, const Error& e) {
  return fail(err, e, e.code == Errc::invalid_argument ? kExitUsage : kExitFailure);
}

int run_ca(const Parsed& p, std::ostream& out, std::ostream& err) {
  CaOptions options;
  options.common_name = one(p, "name", options.common_name);
  auto days = parse_integer(p, "days", options.days, kMinDays, kMaxDays);
  if (!days) return fail(err, days.error(), kExitUsage);
  options.days = static_cast<int>(*days);
  options.force = has(p, "force");
  const std::filesystem::path dir = one(p, "dir");
  if (auto st = create_ca(dir, options); !st) return fail_library(err, st.error());
  out << "created " << (dir / kCaCertFile).string() << " and " << (dir / kCaKeyFile).string() << '\n';
  return kExitOk;
}

int run_issue(const Parsed& p, std::ostream& out, std::ostream& err) {
  IssueOptions options;
  options.common_name = one(p, "cn");
  const std::string role = one(p, "role");
  if (role == "server") {
    options.role = Role::server;
  } else if (role == "client") {
    options.role = Role::client;
  } else {
    return fail(err, usage_error("--role must be server or client, got '" + role + "'"), kExitUsage);
  }
  options.dns_names = all(p, "dns");
  options.ip_addresses = all(p, "ip");
  if (options.role == Role::client && (!options.dns_names.empty() || !options.ip_addresses.empty())) {
    return fail(err, usage_error("--dns and --ip are for server certificates only"), kExitUsage);
  }
  auto days = parse_integer(p, "days", options.days, kMinDays, kMaxDays);
  if (!days) return fail(err, days.error(), kExitUsage);
  options.days = static_cast<int>(*days);
  options.file_stem = one(p, "stem");
  options.force = has(p, "force");
  const std::filesystem::path dir = one(p, "dir");
  if (auto st = issue_certificate(dir, options); !st) return fail_library(err, st.error());
  const std::string stem = options.file_stem.empty() ? options.common_name : options.file_stem;
  out << "created " << (dir / (stem + ".crt")).string() << " and " << (dir / (stem + ".key")).string()
      << '\n';
  return kExitOk;
}

// The password of a PKCS#12 file: the first line of `file`, or a new random one written there
// (mode 0600) when the file does not exist yet, so a rerun exports under the same password.
Expected<std::string> pkcs12_password(const std::filesystem::path& file) {
  if (std::filesystem::exists(file)) {
    std::ifstream in(file);
    std::string line;
    if (!in || !std::getline(in, line)) return make_error(Errc::io, file.string() + ": cannot read the password");
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) return make_error(Errc::invalid_argument, file.string() + ": the password is empty");
    return line;
  }
  // 20 characters of an alphabet without look-alikes (about 100 bits), typed at an import dialog.
  constexpr std::string_view kAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  std::random_device random;
  std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
  std::string password;
  for (int i = 0; i < 20; ++i) password.push_back(kAlphabet[pick(random)]);
  if (auto st = detail::write_file_atomic(file, password + "\n", 0600); !st) return st.error();
  return password;
}

int run_pkcs12(const Parsed& p, std::ostream& out, std::ostream& err) {
  const std::filesystem::path dir = one(p, "dir");
  const std::filesystem::path file = one(p, "out");
  const std::filesystem::path password_file = one(p, "password-file");
  auto password = pkcs12_password(password_file);
  if (!password) return fail_library(err, password.error());
  if (auto st = export_pkcs12(dir, one(p, "stem"), file, *password); !st) return fail_library(err, st.error());
  out << "created " << file.string() << " (password in " << password_file.string() << ")\n";
  return kExitOk;
}

int run_dev_pki(const Parsed& p, std::ostream& out, std::ostream& err) {
  auto registry = load_registry(one(p, "registry"));
  if (!registry) return fail(err, registry.error(), kExitFailure);
  const std::filesystem::path dir = one(p, "dir");
  auto report = ensure_dev_pki(dir, *registry);
  if (!report) return fail(err, report.error(), kExitFailure);
  for (const auto& entry : *report) {
    out << (entry.created ? "created " : "kept    ") << (dir / entry.stem).string() << ".{crt,key}\n";
  }
  return kExitOk;
}

// The broker plugin installed with this program: <dir of this program>/../lib/madoguchi_broker_acl.so.
std::filesystem::path default_plugin_path() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "madoguchi_broker_acl.so";
  return (self.parent_path().parent_path() / "lib" / "madoguchi_broker_acl.so").lexically_normal();
}

int run_broker_config(const Parsed& p, std::ostream& out, std::ostream& err) {
  auto port = parse_integer(p, "port", 0, 1, 65535);
  if (!port) return fail(err, port.error(), kExitUsage);
  auto registry = load_registry(one(p, "registry"));
  if (!registry) return fail(err, registry.error(), kExitFailure);
  const std::filesystem::path out_dir = one(p, "out");
  BrokerOptions options = broker_options_for_pki(one(p, "pki"), out_dir, static_cast<std::uint16_t>(*port),
                                                 one(p, "plugin", default_plugin_path().string()));
  if (has(p, "hub")) options.hub_identities = all(p, "hub");
  options.listen_address = one(p, "listen", options.listen_address);
  if (has(p, "log")) options.log_file = std::filesystem::path(one(p, "log"));
  if (has(p, "user")) options.user = one(p, "user");
  // mosquitto would refuse to start without these; say so now, while the operator is looking.
  for (const auto& f : {options.ca_file, options.cert_file, options.key_file, options.plugin_file}) {
    std::error_code ec;
    if (!std::filesystem::exists(f, ec)) {
      return fail(err, make_error(Errc::not_found, f.string() + " does not exist (run dev-pki or issue first)"),
                  kExitFailure);
    }
  }
  const auto conf = out_dir / "mosquitto.conf";
  if (auto st = write_broker_config(conf, *registry, options); !st) return fail(err, st.error(), kExitFailure);
  std::size_t devices = 0;
  for (const auto& m : registry->municipalities) devices += m.devices.size();
  out << "wrote " << conf.string() << " and " << options.identities_file.string() << " ("
      << registry->municipalities.size() << " municipalities, " << devices << " devices)\n";
  return kExitOk;
}

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"ca",
       "usage: madoguchi-provision ca --dir DIR [--name NAME] [--days N] [--force]\n"
       "\n"
       "Creates DIR/ca.key (mode 0600) and DIR/ca.crt: an EC P-256 self-signed CA.\n"
       "  --dir DIR     PKI directory, created if missing\n"
       "  --name NAME   subject CN of the CA (default \"madoguchi CA\")\n"
       "  --days N      validity in days (default 3650)\n"
       "  --force       replace an existing CA; every certificate it issued stops working\n",
       {{"dir", true, false, true}, {"name", true, false, false}, {"days", true, false, false},
        {"force", false, false, false}, {"help", false, false, false}},
       &run_ca},
      {"issue",
       "usage: madoguchi-provision issue --dir DIR --cn CN --role server|client [--dns NAME]...\n"
       "                                 [--ip ADDR]... [--days N] [--stem NAME] [--force]\n"
       "\n"
       "Issues DIR/<stem>.crt and DIR/<stem>.key (mode 0600), signed by DIR/ca.key.\n"
       "  --cn CN       common name, 1-64 of A-Z a-z 0-9 . -; for clients the MQTT identity\n"
       "                (\"hub\" or \"<municipality>.<device>\", e.g. 131016.counter-01)\n"
       "  --role ROLE   server (serverAuth, needs --dns or --ip) or client (clientAuth)\n"
       "  --dns NAME    subjectAltName DNS entry (server only, repeatable)\n"
       "  --ip ADDR     subjectAltName IP entry, IPv4 or IPv6 (server only, repeatable)\n"
       "  --days N      validity in days (default 825)\n"
       "  --stem NAME   file base name (default: the CN)\n"
       "  --force       replace an existing key (the old one stops working)\n",
       {{"dir", true, false, true}, {"cn", true, false, true}, {"role", true, false, true},
        {"dns", true, true, false}, {"ip", true, true, false}, {"days", true, false, false},
        {"stem", true, false, false}, {"force", false, false, false}, {"help", false, false, false}},
       &run_issue},
      {"pkcs12",
       "usage: madoguchi-provision pkcs12 --dir DIR --stem NAME --out FILE --password-file FILE\n"
       "\n"
       "Writes FILE (mode 0600): DIR/<stem>.crt, its key and DIR/ca.crt as PKCS#12, the form\n"
       "browsers import a terminal certificate in (the hub console's client certificate, ACC-5).\n"
       "The password is the first line of the password file; when that file does not exist a\n"
       "random password is made and written there (mode 0600).\n",
       {{"dir", true, false, true}, {"stem", true, false, true}, {"out", true, false, true},
        {"password-file", true, false, true}, {"help", false, false, false}},
       &run_pkcs12},
      {"dev-pki",
       "usage: madoguchi-provision dev-pki --dir DIR --registry FILE\n"
       "\n"
       "Makes sure DIR holds a CA, a server certificate 'broker' (localhost, 127.0.0.1, ::1),\n"
       "a client certificate 'hub' and one client certificate per registry device, named\n"
       "<municipality>.<device>. Existing pairs are kept, so it is safe to rerun after adding\n"
       "devices to the registry.\n",
       {{"dir", true, false, true}, {"registry", true, false, true}, {"help", false, false, false}},
       &run_dev_pki},
      {"broker-config",
       "usage: madoguchi-provision broker-config --pki DIR --registry FILE --port N --out DIR\n"
       "                                         [--listen ADDR] [--log FILE] [--user NAME]\n"
       "                                         [--hub CN]... [--plugin FILE]\n"
       "\n"
       "Writes OUT/mosquitto.conf (one TLS listener, client certificates required, the\n"
       "certificate CN as user name and client id, no retained messages, AEAD suites only)\n"
       "and OUT/identities, which the broker plugin reads (the hub: everything under mg/v1;\n"
       "each device: its own topics only; no other subscription, no $share).\n"
       "  --pki DIR       directory with ca.crt, broker.crt and broker.key\n"
       "  --registry FILE registry.json\n"
       "  --port N        listener port\n"
       "  --listen ADDR   bind address (default 127.0.0.1)\n"
       "  --out DIR       output directory, created if missing\n"
       "  --log FILE      log to FILE instead of stderr\n"
       "  --user NAME     account mosquitto switches to when started as root; it must be able\n"
       "                  to read broker.key (default: mosquitto's own default, \"mosquitto\")\n"
       "  --hub CN        a hub instance's certificate identity (repeatable; default \"hub\"):\n"
       "                  each instance needs its own certificate (the identity is the client id)\n"
       "  --plugin FILE   the broker plugin (default: madoguchi_broker_acl.so in ../lib beside\n"
       "                  this program)\n",
       {{"pki", true, false, true}, {"registry", true, false, true}, {"port", true, false, true},
        {"listen", true, false, false}, {"out", true, false, true}, {"log", true, false, false},
        {"user", true, false, false}, {"hub", true, true, false}, {"plugin", true, false, false},
        {"help", false, false, false}},
       &run_broker_config},
  };
  return kCommands;
}

int dispatch(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    err << kMainUsage;
    return kExitUsage;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    out << kMainUsage;
    return kExitOk;
  }
  const Command* cmd = nullptr;
  for (const auto& c : commands()) {
    if (c.name == args[0]) cmd = &c;
  }
  if (cmd == nullptr) {
    fail(err, usage_error("unknown command '" + args[0] + "'"), kExitUsage);
    err << kMainUsage;
    return kExitUsage;
  }
  // --help wins over everything else, so it works on an otherwise incomplete command line.
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      out << cmd->help;
      return kExitOk;
    }
  }
  auto parsed = parse_options(args, *cmd);
  if (!parsed) {
    fail(err, parsed.error(), kExitUsage);
    err << "Run '" << kProgram << ' ' << cmd->name << " --help' for usage.\n";
    return kExitUsage;
  }
  return cmd->run(*parsed, out, err);
}

}  // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  // The library reports through Error values; this only catches what the standard library may
  // still throw (std::bad_alloc, filesystem_error from a path operation), so main never
  // terminates with an uncaught exception.
  try {
    return dispatch(args, out, err);
  } catch (const std::exception& e) {
    return fail(err, make_error(Errc::internal, e.what()), kExitFailure);
  }
}

}  // namespace madoguchi::provisioning
