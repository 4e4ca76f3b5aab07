#include "stack.h"

#include <pwd.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "madoguchi/http/api_token.h"
#include "madoguchi/http/client.h"
#include "madoguchi/protocol/topics.h"
#include "madoguchi/provisioning/dev_pki.h"
#include "madoguchi/sqlite/sqlite.h"

namespace madoguchi::testing {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {
void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

void require(const Status& s, const std::string& what) {
  if (!s) throw std::runtime_error(what + ": " + s.error().describe());
}

const char* kRegistry = R"({"municipalities":[
  {"code":"131016","name":"サンプル区","devices":[{"id":"counter-01","role":"counter"},{"id":"counter-02","role":"counter"},{"id":"linkage","role":"linkage"}]},
  {"code":"282014","name":"見本市","devices":[{"id":"counter-01","role":"counter"}]}]})";
}  // namespace

Stack::Stack(fs::path dir, fs::path bin_dir) : dir_(std::move(dir)), bin_(std::move(bin_dir)) {
  fs::create_directories(dir_ / "pki");
  fs::create_directories(dir_ / "broker");
  fs::create_directories(dir_ / "logs");
  write_file(dir_ / "registry.json", kRegistry);
  auto reg = provisioning::parse_registry(kRegistry);
  if (!reg) throw std::runtime_error("registry: " + reg.error().describe());
  registry_ = *reg;
  auto pki = provisioning::ensure_dev_pki(dir_ / "pki", registry_);
  if (!pki) throw std::runtime_error("pki: " + pki.error().describe());
  broker_port_ = free_port();
  hub_http_ = free_port();
}

Stack::~Stack() {
  for (auto& [name, e] : edges_) {
    e.process.terminate(std::chrono::seconds(5));
    if (e.proxy) e.proxy->stop();
  }
  hub_.terminate(std::chrono::seconds(5));
  broker_.terminate(std::chrono::seconds(5));
}

void Stack::start_broker() {
  auto opts = provisioning::broker_options_for_pki(dir_ / "pki", dir_ / "broker", broker_port_,
                                                   bin_.parent_path() / "lib" / "madoguchi_broker_acl.so");
  // mosquitto started as root drops to the 'mosquitto' user before reading its key; keep the
  // user that owns the test PKI instead.
  if (const passwd* pw = ::getpwuid(::geteuid())) opts.user = pw->pw_name;
  require(provisioning::write_broker_config(dir_ / "broker" / "mosquitto.conf", registry_, opts), "broker config");
  broker_ = Process::spawn({"/usr/sbin/mosquitto", "-c", (dir_ / "broker" / "mosquitto.conf").string()}, dir_ / "logs" / "broker.log");
  if (!eventually([&] { return port_open(broker_port_); }, std::chrono::seconds(20))) {
    throw std::runtime_error("mosquitto did not start; see " + (dir_ / "logs" / "broker.log").string());
  }
}

void Stack::kill_broker() { broker_.kill_now(); }

void Stack::start_hub(const HubSpec& spec) {
  json cfg = {{"data_dir", (dir_ / "hub").string()},
              {"registry_file", (dir_ / "registry.json").string()},
              {"broker_host", "localhost"},
              {"broker_port", broker_port_},
              {"ca_file", (dir_ / "pki" / "ca.crt").string()},
              {"cert_file", (dir_ / "pki" / "hub.crt").string()},
              {"key_file", (dir_ / "pki" / "hub.key").string()},
              {"http_port", hub_http_}};
  if (spec.console) {
    json ports = json::object();
    for (const auto& m : registry_.municipalities) {
      auto& port = hub_console_ports_[m.code];
      if (port == 0) port = free_port();
      ports[m.code] = port;
    }
    cfg["console_ports"] = ports;
  }
  if (spec.portal) {
    if (hub_portal_port_ == 0) hub_portal_port_ = free_port();
    cfg["portal_port"] = hub_portal_port_;
    cfg["public_url"] = std::string(spec.portal_tls ? "https" : "http") + "://localhost:" + std::to_string(hub_portal_port_);
    if (spec.portal_tls) {
      cfg["portal_tls_cert"] = (dir_ / "pki" / "broker.crt").string();
      cfg["portal_tls_key"] = (dir_ / "pki" / "broker.key").string();
    }
  }
  for (auto it = spec.extra_config.begin(); it != spec.extra_config.end(); ++it) cfg[it.key()] = it.value();
  write_file(dir_ / "hub.json", cfg.dump(2));
  hub_ = Process::spawn({(bin_ / "madoguchi-hub").string(), "--config", (dir_ / "hub.json").string()}, dir_ / "logs" / "hub.log");
  if (!eventually([&] { return port_open(hub_http_); }, std::chrono::seconds(20))) {
    throw std::runtime_error("hub did not start; see " + (dir_ / "logs" / "hub.log").string());
  }
}

void Stack::kill_hub() { hub_.kill_now(); }

void Stack::start_edge(const EdgeSpec& spec) {
  std::string name = protocol::device_identity(spec.municipality, spec.device);
  Edge& e = edges_[name];
  e.spec = spec;
  if (e.http_port == 0) e.http_port = free_port();
  std::uint16_t port = broker_port_;
  if (spec.via_proxy) {
    if (!e.proxy) {
      e.proxy = std::make_unique<sim::FaultProxy>("127.0.0.1", 0, "127.0.0.1", broker_port_);
      require(e.proxy->start(), "fault proxy");
    }
    port = e.proxy->port();
  }
  fs::create_directories(dir_ / "edges" / name);
  json cfg = {{"municipality", spec.municipality},
              {"device", spec.device},
              {"role", spec.linkage ? "linkage" : "counter"},
              {"data_dir", (dir_ / "edges" / name).string()},
              {"broker_host", "localhost"},
              {"broker_port", port},
              {"ca_file", (dir_ / "pki" / "ca.crt").string()},
              {"cert_file", (dir_ / "pki" / (name + ".crt")).string()},
              {"key_file", (dir_ / "pki" / (name + ".key")).string()},
              {"keepalive_seconds", 5},
              {"reconnect_max_seconds", 2},
              {"report_status", spec.report_status},
              {"ack_timeout_ms", 2000},
              {"http_port", e.http_port}};
  if (spec.linkage) cfg["inbox_dir"] = (dir_ / "edges" / name / "inbox").string();
  if (spec.console) {
    if (e.console_port == 0) e.console_port = free_port();
    cfg["console_port"] = e.console_port;
  }
  write_file(dir_ / "edges" / name / "edge.json", cfg.dump(2));
  e.process = Process::spawn({(bin_ / "madoguchi-edge").string(), "--config", (dir_ / "edges" / name / "edge.json").string()},
                             dir_ / "logs" / (name + ".log"));
  std::uint16_t http_port = e.http_port;
  if (!eventually([&] { return port_open(http_port); }, std::chrono::seconds(20))) {
    throw std::runtime_error("edge " + name + " did not start; see logs");
  }
}

void Stack::kill_edge(const std::string& name) { edges_.at(name).process.kill_now(); }
void Stack::terminate_edge(const std::string& name) { edges_.at(name).process.terminate(); }

sim::FaultProxy& Stack::proxy(const std::string& name) {
  auto& e = edges_.at(name);
  if (!e.proxy) throw std::runtime_error(name + " has no proxy");
  return *e.proxy;
}

// The Authorization header of a local API, from the token file the process wrote in its data
// directory (mode 0600).
std::vector<std::pair<std::string, std::string>> Stack::api_auth(const fs::path& data_dir) {
  auto token = http::read_api_token(data_dir / "api-token");
  if (!token) throw std::runtime_error("API token: " + token.error().describe());
  return {{"Authorization", "Bearer " + *token}};
}

json Stack::edge_get(const std::string& name, const std::string& target) {
  auto r = http::request("127.0.0.1", edges_.at(name).http_port, "GET", target, {}, std::chrono::seconds(5), nullptr,
                         api_auth(dir_ / "edges" / name));
  if (!r) throw std::runtime_error("GET " + target + ": " + r.error().describe());
  return json::parse(r->body);
}

std::uint64_t Stack::edge_put(const std::string& name, const std::string& entity, const std::string& key, const std::string& body) {
  auto r = http::request("127.0.0.1", edges_.at(name).http_port, "PUT", "/api/v1/records/" + entity + "/" + key, body,
                         std::chrono::seconds(5), nullptr, api_auth(dir_ / "edges" / name));
  if (!r || r->status != 200) return 0;
  return json::parse(r->body).at("seq").get<std::uint64_t>();
}

std::uint16_t Stack::console_port(const std::string& name) const {
  auto it = edges_.find(name);
  return it == edges_.end() ? 0 : it->second.console_port;
}

std::uint16_t Stack::hub_console_port(const std::string& muni) const {
  auto it = hub_console_ports_.find(muni);
  return it == hub_console_ports_.end() ? 0 : it->second;
}

json Stack::hub_status() {
  auto r = http::request("127.0.0.1", hub_http_, "GET", "/api/v1/status", {}, std::chrono::seconds(5), nullptr,
                         api_auth(dir_ / "hub"));
  if (!r) throw std::runtime_error("hub status: " + r.error().describe());
  return json::parse(r->body);
}

int Stack::hub_get(const std::string& target, json* body) {
  auto r = http::request("127.0.0.1", hub_http_, "GET", target, {}, std::chrono::seconds(5), nullptr, api_auth(dir_ / "hub"));
  if (!r) throw std::runtime_error("GET " + target + ": " + r.error().describe());
  if (body) *body = json::parse(r->body, nullptr, false);
  return r->status;
}

int Stack::hub_put(const std::string& muni, const std::string& entity, const std::string& key, const std::string& body,
                   std::uint64_t base_version, json* reply) {
  auto r = http::request("127.0.0.1", hub_http_, "PUT",
                         "/api/v1/" + muni + "/records/" + entity + "/" + key + "?base_version=" + std::to_string(base_version), body,
                         std::chrono::seconds(5), nullptr, api_auth(dir_ / "hub"));
  if (!r) return 0;
  if (reply) *reply = json::parse(r->body, nullptr, false);
  return r->status;
}

std::vector<std::string> Stack::dump_records(const fs::path& db, bool hub) {
  auto d = sqlite::Db::open(db, {.read_only = true});
  if (!d) throw std::runtime_error(d.error().describe());
  auto st = d->prepare(hub ? "SELECT entity, key, body FROM records WHERE deleted = 0 ORDER BY entity, key"
                           : "SELECT entity, key, body FROM records ORDER BY entity, key");
  if (!st) throw std::runtime_error(st.error().describe());
  std::vector<std::string> out;
  while (true) {
    auto row = st->step();
    if (!row) throw std::runtime_error(row.error().describe());
    if (!*row) break;
    out.push_back(st->column_text(0) + "/" + st->column_text(1) + "=" + st->column_text(2));
  }
  return out;
}

}  // namespace madoguchi::testing
