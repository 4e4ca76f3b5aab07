// madoguchi-sim jpki: the simulated public personal authentication service (sim/jpki.h).
#include <charconv>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

#include "commands.h"
#include "madoguchi/sim/asio.h"
#include "madoguchi/sim/host_port.h"
#include "madoguchi/sim/jpki.h"
#include "madoguchi/sim/jpki_ocsp.h"
#include "madoguchi/sim/town_generator.h"

namespace madoguchi::sim::cli {

namespace {

constexpr std::string_view kUsage =
    "usage: madoguchi-sim jpki init  --dir DIR [--force]\n"
    "       madoguchi-sim jpki card  --dir DIR --code 住民票コード --out FILE [--pin NNNN] [--generation N]\n"
    "                                [--days D] [--not-before-days D]\n"
    "       madoguchi-sim jpki cards --dir DIR --card-holders FILE --out-dir DIR [--pin NNNN]\n"
    "       madoguchi-sim jpki revoke --dir DIR --serial HEX [--no-crl]\n"
    "       madoguchi-sim jpki crl   --dir DIR [--hours H]\n"
    "       madoguchi-sim jpki ocsp  --dir DIR --listen HOST:PORT [--port-file FILE] [--minutes M]\n"
    "\n"
    "The public personal authentication service (JPKI) as convenience-store issuance meets it, for\n"
    "tests and the demo. init makes the authority in DIR (ca.pem is the root the hub trusts, crl.pem\n"
    "its CRL). card issues a simulated My Number card's user-authentication certificate, one RSA key\n"
    "per card, serial number as the town generator writes it in the resident records for that\n"
    "住民票コード; the card file holds the key, the certificate, its PIN (default 1234) and the tries\n"
    "left (3: a wrong PIN costs one, none left locks the card). cards issues one per line of a card\n"
    "holders file (madoguchi-sim residents --card-holders) as OUT-DIR/<宛名番号>.card.json. revoke\n"
    "revokes a serial and writes a new CRL (with --no-crl only the OCSP responder knows until the\n"
    "next crl, as between two issues of the real list); crl writes the CRL again (valid H hours,\n"
    "default 48). ocsp runs the OCSP responder (RFC 6960, HTTP POST) until SIGINT or SIGTERM: it\n"
    "answers from revoked.tsv as it is at each request, signed by the authority, good for M minutes\n"
    "(default 60); --port-file receives {\"listen\":<port>,\"control\":null} once it listens.\n"
    "Test data only: never a real card's format.\n";

int usage_error(std::string_view message) {
  std::cerr << "madoguchi-sim jpki: " << message << "\n\n" << kUsage;
  return 2;
}

int fail(const Error& e) {
  std::cerr << "madoguchi-sim jpki: " << e.message << "\n";
  return 1;
}

bool integer(std::string_view v, int& out) {
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && end == v.data() + v.size();
}

}  // namespace

int run_jpki(Args args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string_view verb = args[0];
  std::map<std::string, std::string> opt;
  bool force = false, no_crl = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--force" || a == "--no-crl") {
      (a == "--force" ? force : no_crl) = true;
      continue;
    }
    if (a.substr(0, 2) != "--" || i + 1 >= args.size()) return usage_error("unexpected " + std::string(a));
    opt[std::string(a.substr(2))] = std::string(args[++i]);
  }
  auto need = [&](const char* k) -> const std::string* { return opt.count(k) ? &opt.at(k) : nullptr; };
  const std::string* dir = need("dir");
  if (!dir) return usage_error("--dir is required");
  if (verb == "init") {
    jpki::AuthorityOptions o;
    o.force = force;
    if (auto s = jpki::init_authority(*dir, o); !s) return fail(s.error());
    std::cout << "{\"authority\":\"" << *dir << "\"}\n";
    return 0;
  }
  if (verb == "card") {
    const std::string *code = need("code"), *out = need("out");
    if (!code || !out) return usage_error("card needs --code and --out");
    jpki::CardOptions o;
    o.resident_code = *code;
    if (auto p = need("pin")) o.pin = *p;
    if (auto g = need("generation"); g && !integer(*g, o.generation)) return usage_error("--generation: a number");
    if (auto d = need("days"); d && !integer(*d, o.days)) return usage_error("--days: a number");
    if (auto d = need("not-before-days"); d && !integer(*d, o.not_before_days)) return usage_error("--not-before-days: a number");
    auto card = jpki::issue_card(*dir, o);
    if (!card) return fail(card.error());
    if (auto s = jpki::save_card(*out, *card); !s) return fail(s.error());
    std::cout << "{\"serial\":\"" << card->serial << "\",\"card\":\"" << *out << "\"}\n";
    return 0;
  }
  if (verb == "cards") {
    const std::string *holders = need("card-holders"), *out_dir = need("out-dir");
    if (!holders || !out_dir) return usage_error("cards needs --card-holders and --out-dir");
    std::ifstream in(*holders);
    if (!in) return fail(Error{Errc::io, "cannot read " + *holders});
    std::stringstream ss;
    ss << in.rdbuf();
    auto list = parse_card_holders_tsv(ss.str());
    if (!list) return fail(list.error());
    std::error_code ec;
    std::filesystem::create_directories(*out_dir, ec);
    std::size_t n = 0;
    for (const auto& h : *list) {
      if (h.resident_code.empty()) return fail(Error{Errc::malformed, *holders + ": no 住民票コード column (written by an older release)"});
      jpki::CardOptions o;
      o.resident_code = h.resident_code;
      if (auto p = need("pin")) o.pin = *p;
      auto card = jpki::issue_card(*dir, o);
      if (!card) return fail(card.error());
      if (auto s = jpki::save_card(std::filesystem::path(*out_dir) / (h.person + ".card.json"), *card); !s) return fail(s.error());
      ++n;
    }
    std::cout << "{\"cards\":" << n << ",\"out_dir\":\"" << *out_dir << "\"}\n";
    return 0;
  }
  if (verb == "revoke") {
    const std::string* serial = need("serial");
    if (!serial) return usage_error("revoke needs --serial");
    if (auto s = jpki::revoke(*dir, *serial, !no_crl); !s) return fail(s.error());
    std::cout << "{\"revoked\":\"" << *serial << "\"}\n";
    return 0;
  }
  if (verb == "crl") {
    int hours = 48;
    if (auto h = need("hours"); h && (!integer(*h, hours) || hours < 1)) return usage_error("--hours: a positive number");
    if (auto s = jpki::write_crl(*dir, hours); !s) return fail(s.error());
    std::cout << "{\"crl\":\"" << *dir << "/crl.pem\"}\n";
    return 0;
  }
  if (verb == "ocsp") {
    const std::string* listen = need("listen");
    if (!listen) return usage_error("ocsp needs --listen HOST:PORT");
    auto hp = parse_host_port(*listen);
    if (!hp) return usage_error("--listen: " + hp.error().message);
    jpki::OcspResponder::Options o;
    o.address = hp->host;
    o.port = hp->port;
    if (auto m = need("minutes"); m && (!integer(*m, o.valid_minutes) || o.valid_minutes < 1)) return usage_error("--minutes: a positive number");
    // Signals first, so a script that saw the port file can always stop us cleanly.
    boost::asio::io_context signals_io;
    boost::asio::signal_set signals(signals_io, SIGINT, SIGTERM);
    auto responder = jpki::OcspResponder::start(*dir, o);
    if (!responder) return fail(responder.error());
    if (auto f = need("port-file")) {
      if (auto s = write_port_file(*f, (*responder)->port(), std::nullopt); !s) return fail(s.error());
    }
    std::cerr << "madoguchi-sim jpki ocsp: answering for " << *dir << " on " << hp->host << ":" << (*responder)->port() << std::endl;
    signals.async_wait([](const boost::system::error_code&, int) {});
    signals_io.run();
    std::cerr << "madoguchi-sim jpki ocsp: stopping after " << (*responder)->answered() << " responses\n";
    return 0;
  }
  return usage_error("unknown verb " + std::string(verb));
}

}  // namespace madoguchi::sim::cli
