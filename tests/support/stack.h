// A whole madoguchi deployment on this machine for integration tests and benchmarks: a dev PKI,
// a real mosquitto broker with TLS, client certificates and ACLs on a free port, the hub, and
// edge agents, each a real process started from build/bin. Optionally an edge reaches the broker
// through a FaultProxy so a test can cut its link.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "madoguchi/provisioning/broker_config.h"
#include "madoguchi/sim/fault_proxy.h"
#include "process.h"

namespace madoguchi::testing {

struct EdgeSpec {
  std::string municipality;
  std::string device;
  bool via_proxy = false;
  bool linkage = false;
  bool console = false;  // also serve the staff console (on console_port(name))
  // The counter's 同期状況 reports (an operation every ten minutes while connected): off unless a
  // test wants them, so the others count their own operations exactly.
  bool report_status = false;
};

struct HubSpec {
  bool console = false;  // also serve each municipality's administration console (hub_console_port(muni))
  bool portal = false;   // also serve the citizen site (hub_portal_port(), each municipality at /<code>/)
  bool portal_tls = false;  // the citizen site over HTTPS with the broker's server certificate (CN localhost)
  // More keys of the hub's config file, set over the Stack's (e.g. portal_client_limit_scale for
  // a benchmark).
  nlohmann::json extra_config = nlohmann::json::object();
};

class Stack {
 public:
  // `dir` holds everything (PKI, configs, databases, logs). `bin_dir` holds the executables.
  Stack(std::filesystem::path dir, std::filesystem::path bin_dir);
  ~Stack();

  void start_broker();
  void kill_broker();       // SIGKILL
  void start_hub(const HubSpec& spec = {});
  void kill_hub();          // SIGKILL
  void start_edge(const EdgeSpec& spec);
  void kill_edge(const std::string& name);       // SIGKILL: a crash
  void terminate_edge(const std::string& name);  // SIGTERM: a clean stop

  sim::FaultProxy& proxy(const std::string& name);

  // HTTP to an edge's or the hub's local API. Throws on transport failure.
  nlohmann::json edge_get(const std::string& name, const std::string& target);
  // PUT a record at an edge; returns the seq, or 0 if the edge refused or was unreachable.
  std::uint64_t edge_put(const std::string& name, const std::string& entity, const std::string& key, const std::string& body);
  nlohmann::json hub_status();
  // GET from the hub's local API (e.g. /api/v1/{muni}/records/{entity}/{key}): the status code
  // and the body parsed as JSON (discarded when not JSON). Throws on transport failure.
  int hub_get(const std::string& target, nlohmann::json* body = nullptr);
  // The port of an edge's staff console (EdgeSpec::console), 0 if it has none.
  std::uint16_t console_port(const std::string& name) const;
  // The port of the hub's citizen site (HubSpec::portal), 0 if none.
  std::uint16_t hub_portal_port() const { return hub_portal_port_; }
  // The port of the hub's administration console of a municipality (HubSpec::console), 0 if none.
  std::uint16_t hub_console_port(const std::string& muni) const;
  // The port of an edge's local JSON API.
  std::uint16_t edge_http_port(const std::string& name) const { return edges_.at(name).http_port; }
  std::uint16_t hub_http_port() const { return hub_http_; }
  int hub_put(const std::string& muni, const std::string& entity, const std::string& key, const std::string& body,
              std::uint64_t base_version, nlohmann::json* reply = nullptr);

  std::filesystem::path edge_db(const std::string& name) const { return dir_ / "edges" / name / "edge.db"; }
  std::filesystem::path hub_db(const std::string& muni) const { return dir_ / "hub" / (muni + ".db"); }
  std::filesystem::path edge_data_dir(const std::string& name) const { return dir_ / "edges" / name; }
  std::filesystem::path pki() const { return dir_ / "pki"; }
  std::uint16_t broker_port() const { return broker_port_; }
  const std::filesystem::path& dir() const { return dir_; }

  // Reads a database's records as sorted "entity/key=body" lines (non-deleted), read-only.
  // The Authorization header for the local API of the process whose data directory this is.
  static std::vector<std::pair<std::string, std::string>> api_auth(const std::filesystem::path& data_dir);
  static std::vector<std::string> dump_records(const std::filesystem::path& db, bool hub);

 private:
  std::filesystem::path dir_, bin_;
  provisioning::Registry registry_;
  std::uint16_t broker_port_ = 0, hub_http_ = 0;
  Process broker_, hub_;
  std::map<std::string, std::uint16_t> hub_console_ports_;  // kept across hub restarts
  std::uint16_t hub_portal_port_ = 0;                        // kept across hub restarts
  struct Edge {
    EdgeSpec spec;
    std::uint16_t http_port = 0;
    std::uint16_t console_port = 0;
    Process process;
    std::unique_ptr<sim::FaultProxy> proxy;
  };
  std::map<std::string, Edge> edges_;
};

}  // namespace madoguchi::testing
