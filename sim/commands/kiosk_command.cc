// madoguchi-sim kiosk: a kiosk and the issuing center asking the hub for one certificate.
#include <charconv>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "madoguchi/sim/host_port.h"
#include "madoguchi/sim/kiosk.h"

namespace madoguchi::sim::cli {

namespace {

constexpr std::string_view kUsage =
    "usage: madoguchi-sim kiosk --hub HOST:PORT --ca FILE --cert FILE --key FILE --muni CODE\n"
    "                           --card FILE --pin NNNN --kind residence|seal|tax [--options JSON]\n"
    "                           [--out FILE] [--request ID] [--store-id S] [--store-name NAME]\n"
    "                           [--prefecture NN] [--kiosk K] [--cancel]\n"
    "       madoguchi-sim kiosk --heartbeat [--every SECONDS] --hub HOST:PORT --ca FILE --cert FILE --key FILE\n"
    "                           --muni CODE\n"
    "\n"
    "Plays a convenience-store kiosk and the issuing center (docs/formats/kiosk-interface.md): asks\n"
    "the hub's issuance service for a challenge, signs it with the card's key after its PIN\n"
    "(madoguchi-sim jpki), asks for the certificate over mutual TLS (--ca: the hub's CA; --cert and\n"
    "--key: the center's client certificate), writes the PDF to --out and confirms the print\n"
    "(--cancel: cancels instead, as after a paper jam). --options is the interface's options object,\n"
    "e.g. '{\"head_and_relationship\":true}'. Prints the outcome as JSON; exit 0 when a certificate\n"
    "was issued, 3 when it was refused, 1 on other failures.\n"
    "\n"
    "--heartbeat: the center's heartbeat instead, once or every SECONDS until stopped (the hub's\n"
    "障害通知 alarms when the center is silent during service hours).\n";

int usage_error(std::string_view message) {
  std::cerr << "madoguchi-sim kiosk: " << message << "\n\n" << kUsage;
  return 2;
}

// Once, or every `every` seconds until the process is stopped; a failed beat is reported and the
// next one tried (the hub may be restarting).
int heartbeats(const kiosk::Target& t, const std::string& every) {
  int seconds = 0;
  if (!every.empty()) {
    auto [end, ec] = std::from_chars(every.data(), every.data() + every.size(), seconds);
    if (ec != std::errc() || end != every.data() + every.size() || seconds < 1 || seconds > 3600) {
      return usage_error("--every: 1 to 3600 seconds");
    }
  }
  for (;;) {
    auto status = kiosk::heartbeat(t);
    if (!status) {
      std::cerr << "madoguchi-sim kiosk: heartbeat: " << status.error().message << "\n";
    } else if (*status != 200) {
      std::cerr << "madoguchi-sim kiosk: heartbeat: HTTP " << *status << "\n";
    }
    if (seconds == 0) return status && *status == 200 ? 0 : 1;
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
  }
}

}  // namespace

int run_kiosk(Args args) {
  std::map<std::string, std::string> opt;
  bool cancel = false, beat = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (a == "--cancel") {
      cancel = true;
      continue;
    }
    if (a == "--heartbeat") {
      beat = true;
      continue;
    }
    if (a.substr(0, 2) != "--" || i + 1 >= args.size()) return usage_error("unexpected " + std::string(a));
    opt[std::string(a.substr(2))] = std::string(args[++i]);
  }
  for (const char* k : {"hub", "ca", "cert", "key", "muni"}) {
    if (!opt.count(k)) return usage_error(std::string("--") + k + " is required");
  }
  auto hp = parse_host_port(opt["hub"]);
  if (!hp) return usage_error("--hub: HOST:PORT");
  kiosk::Target t;
  t.host = hp->host;
  t.port = hp->port;
  t.ca_file = opt["ca"];
  t.cert_file = opt["cert"];
  t.key_file = opt["key"];
  t.municipality = opt["muni"];
  if (beat) return heartbeats(t, opt.count("every") ? opt["every"] : "");
  for (const char* k : {"card", "pin", "kind"}) {
    if (!opt.count(k)) return usage_error(std::string("--") + k + " is required");
  }
  kiosk::Order o;
  std::random_device rd;
  o.request = opt.count("request") ? opt["request"] : "K" + std::to_string(rd()) + std::to_string(rd());
  o.card = opt["card"];
  o.pin = opt["pin"];
  o.kind = opt["kind"];
  if (opt.count("options")) o.options = opt["options"];
  if (opt.count("store-id")) o.store_id = opt["store-id"];
  if (opt.count("store-name")) o.store_name = opt["store-name"];
  if (opt.count("prefecture")) o.prefecture = opt["prefecture"];
  if (opt.count("kiosk")) o.kiosk = opt["kiosk"];
  o.complete = !cancel;
  auto r = kiosk::run(t, o);
  if (!r) {
    std::cerr << "madoguchi-sim kiosk: " << r.error().message << "\n";
    std::cout << nlohmann::json{{"request", o.request}, {"error", std::string(errc_name(r.error().code))}, {"message", r.error().message}}.dump() << "\n";
    return 1;
  }
  if (r->status == 200 && opt.count("out")) {
    std::ofstream out(opt["out"], std::ios::binary);
    out << r->pdf;
    if (!out) {
      std::cerr << "madoguchi-sim kiosk: cannot write " << opt["out"] << "\n";
      return 1;
    }
  }
  nlohmann::json j = {{"request", r->request}, {"status", r->status}, {"number", r->number}, {"bytes", r->pdf.size()},
                      {"state", r->final_state}};
  if (!r->error.empty()) j["error"] = r->error;
  if (!r->reason.empty()) j["reason"] = r->reason;
  if (!r->message.empty()) j["message"] = r->message;
  std::cout << j.dump() << "\n";
  return r->status == 200 ? 0 : r->status == 403 ? 3 : 1;
}

}  // namespace madoguchi::sim::cli
