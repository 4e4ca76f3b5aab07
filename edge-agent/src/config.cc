#include "madoguchi/edge/config.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "madoguchi/json_config.h"
#include <set>
#include <sstream>

#include "madoguchi/protocol/topics.h"

namespace madoguchi::edge {

using nlohmann::json;

namespace {

// The "scanner" object: vid and pid required, mode and layout optional, all strings; anything
// else is refused naming the key (scanner.<key>), like the top level.
Expected<scanner::ScannerConfig> parse_scanner_object(const json& j) {
  if (!j.is_object()) {
    return make_error(Errc::malformed, R"(edge config: scanner must be an object such as {"vid":"0x0c2e","pid":"0x0b61"})");
  }
  static const std::set<std::string> keys = {"vid", "pid", "mode", "layout"};
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!keys.count(it.key())) return make_error(Errc::malformed, "edge config: unknown key 'scanner." + it.key() + "'");
  }
  std::string values[4];
  const char* names[4] = {"vid", "pid", "mode", "layout"};
  for (std::size_t i = 0; i < 4; ++i) {
    auto it = j.find(names[i]);
    if (it == j.end()) {
      if (i < 2) return make_error(Errc::malformed, std::string("edge config: scanner.") + names[i] + " is required");
      continue;
    }
    if (!it->is_string()) {
      return make_error(Errc::malformed, std::string("edge config: scanner.") + names[i] + " must be a string");
    }
    values[i] = it->get<std::string>();
  }
  auto config = scanner::make_scanner_config(values[0], values[1], values[2], values[3]);
  // make_scanner_config names the key ("scanner.vid: ..."); config mistakes are malformed input.
  if (!config) return Error{Errc::malformed, config.error().message}.with_context("edge config");
  return config;
}

}  // namespace

Expected<EdgeConfig> parse_edge_config(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error(Errc::malformed, "edge config must be a JSON object");
  static const std::set<std::string> known = {
      "municipality", "device", "role", "data_dir", "broker_host", "broker_port", "ca_file", "cert_file", "key_file",
      "keepalive_seconds", "reconnect_max_seconds", "http_address", "http_port", "console_address", "console_port",
      "console_tls_cert", "console_tls_key", "status_file", "inbox_dir", "batch_ops", "window_batches",
      "ack_timeout_ms", "scanner", "report_status"};
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!known.count(it.key())) return make_error(Errc::malformed, "edge config: unknown key '" + it.key() + "'");
  }
  EdgeConfig c;
  try {
    c.municipality = j.at("municipality").get<std::string>();
    c.device = j.at("device").get<std::string>();
    if (auto s = protocol::validate_identity(c.municipality, c.device); !s) return s.error().with_context("edge config");
    std::string role = j.value("role", std::string("counter"));
    if (role == "counter") {
      c.role = Role::counter;
    } else if (role == "linkage") {
      c.role = Role::linkage;
    } else {
      return make_error(Errc::malformed, "edge config: role must be 'counter' or 'linkage'");
    }
    c.data_dir = j.value("data_dir", c.data_dir.string());
    c.broker_host = j.value("broker_host", c.broker_host);
    c.broker_port = json_port(j, "broker_port", c.broker_port);
    c.ca_file = j.at("ca_file").get<std::string>();
    c.cert_file = j.at("cert_file").get<std::string>();
    c.key_file = j.at("key_file").get<std::string>();
    c.keepalive_seconds = j.value("keepalive_seconds", c.keepalive_seconds);
    if (c.keepalive_seconds < 5) return make_error(Errc::malformed, "edge config: keepalive_seconds must be >= 5");
    c.reconnect_max_seconds = j.value("reconnect_max_seconds", c.reconnect_max_seconds);
    if (c.reconnect_max_seconds < 1) return make_error(Errc::malformed, "edge config: reconnect_max_seconds must be >= 1");
    c.http_address = j.value("http_address", c.http_address);
    c.http_port = json_port(j, "http_port", c.http_port);
    c.console_address = j.value("console_address", c.console_address);
    c.console_port = json_port(j, "console_port", c.console_port);
    c.console_tls_cert = j.value("console_tls_cert", std::string());
    c.console_tls_key = j.value("console_tls_key", std::string());
    c.status_file = j.value("status_file", std::string());
    c.inbox_dir = j.value("inbox_dir", std::string());
    if (j.contains("report_status") && !j.at("report_status").is_boolean()) {
      return make_error(Errc::malformed, "edge config: report_status must be true or false");
    }
    c.report_status = j.value("report_status", c.report_status);
    c.sync.batch_ops = j.value("batch_ops", c.sync.batch_ops);
    c.sync.window_batches = j.value("window_batches", c.sync.window_batches);
    c.sync.ack_timeout = std::chrono::milliseconds(j.value("ack_timeout_ms", static_cast<std::int64_t>(c.sync.ack_timeout.count())));
    if (c.sync.ack_timeout.count() < 100) return make_error(Errc::malformed, "edge config: ack_timeout_ms must be >= 100");
    if (auto it = j.find("scanner"); it != j.end()) {
      auto sc = parse_scanner_object(*it);
      if (!sc) return sc.error();
      c.scanner = *sc;
    }
  } catch (const json::exception& e) {
    return make_error(Errc::malformed, std::string("edge config: ") + e.what());
  }
  if (c.console_tls_cert.empty() != c.console_tls_key.empty()) {
    return make_error(Errc::malformed, "edge config: console_tls_cert and console_tls_key go together");
  }
  if (c.role == Role::linkage && c.inbox_dir.empty()) return make_error(Errc::malformed, "edge config: linkage role needs inbox_dir");
  return c;
}

Expected<EdgeConfig> load_edge_config(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return make_error(Errc::io, "cannot read " + file.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  auto c = parse_edge_config(ss.str());
  if (!c) return c.error().with_context(file.string());
  return c;
}

}  // namespace madoguchi::edge
