#include "madoguchi/provisioning/broker_config.h"

#include <nlohmann/json.hpp>

#include <set>
#include <system_error>

#include "files.h"
#include "madoguchi/protocol/topics.h"
#include "madoguchi/provisioning/pki.h"

namespace madoguchi::provisioning {
namespace {

using nlohmann::json;
namespace protocol = madoguchi::protocol;

constexpr mode_t kConfigMode = 0644;
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

Error bad(const std::string& where, const std::string& what) {
  return make_error(Errc::malformed, where + ": " + what);
}

// Rejects keys other than `allowed` (see parse_registry for why).
Status only_keys(const json& object, const std::string& where, std::initializer_list<std::string_view> allowed) {
  for (const auto& item : object.items()) {
    bool known = false;
    for (auto key : allowed) known = known || item.key() == key;
    if (!known) return bad(where, "unknown key '" + item.key() + "'");
  }
  return {};
}

Expected<std::string> string_field(const json& object, const std::string& where, const char* key) {
  auto it = object.find(key);
  if (it == object.end()) return bad(where, std::string("missing \"") + key + "\"");
  if (!it->is_string()) return bad(where + "." + key, "must be a string");
  return it->get<std::string>();
}

Expected<Device> parse_device(const json& j, const std::string& where) {
  if (!j.is_object()) return bad(where, "must be an object");
  if (auto st = only_keys(j, where, {"id", "role"}); !st) return st.error();
  auto id = string_field(j, where, "id");
  if (!id) return id.error();
  if (!protocol::valid_device_id(*id)) {
    return bad(where + ".id", "'" + *id + "' is not a device id (1-32 of a-z, 0-9 and '-', not starting or ending with '-')");
  }
  auto role = string_field(j, where, "role");
  if (!role) return role.error();
  Device device{*id, DeviceRole::counter};
  if (*role == "counter") {
    device.role = DeviceRole::counter;
  } else if (*role == "linkage") {
    device.role = DeviceRole::linkage;
  } else {
    return bad(where + ".role", "'" + *role + "' is not a role (counter or linkage)");
  }
  return device;
}

Expected<Municipality> parse_municipality(const json& j, const std::string& where) {
  if (!j.is_object()) return bad(where, "must be an object");
  if (auto st = only_keys(j, where, {"code", "name", "devices"}); !st) return st.error();
  auto code = string_field(j, where, "code");
  if (!code) return code.error();
  if (!protocol::valid_municipality(*code)) {
    return bad(where + ".code", "'" + *code + "' is not a 6-digit local government code");
  }
  auto name = string_field(j, where, "name");
  if (!name) return name.error();
  if (name->empty()) return bad(where + ".name", "must not be empty");

  auto devices = j.find("devices");
  if (devices == j.end()) return bad(where, "missing \"devices\"");
  if (!devices->is_array()) return bad(where + ".devices", "must be an array");
  Municipality muni{*code, *name, {}};
  std::set<std::string> seen;
  for (std::size_t i = 0; i < devices->size(); ++i) {
    std::string at = where + ".devices[" + std::to_string(i) + "]";
    auto device = parse_device((*devices)[i], at);
    if (!device) return device.error();
    if (!seen.insert(device->id).second) {
      return bad(at + ".id", "duplicate device id '" + device->id + "' in municipality " + muni.code);
    }
    muni.devices.push_back(std::move(*device));
  }
  return muni;
}

Expected<Registry> parse_registry_json(const json& root) {
  if (!root.is_object()) return bad("registry", "top level must be an object");
  if (auto st = only_keys(root, "registry", {"municipalities"}); !st) return st.error();
  auto munis = root.find("municipalities");
  if (munis == root.end()) return bad("registry", "missing \"municipalities\"");
  if (!munis->is_array()) return bad("municipalities", "must be an array");
  Registry registry;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < munis->size(); ++i) {
    std::string at = "municipalities[" + std::to_string(i) + "]";
    auto muni = parse_municipality((*munis)[i], at);
    if (!muni) return muni.error();
    if (!seen.insert(muni->code).second) {
      return bad(at + ".code", "duplicate municipality code '" + muni->code + "'");
    }
    registry.municipalities.push_back(std::move(*muni));
  }
  return registry;
}

bool has_line_break(std::string_view s) noexcept {
  return s.find_first_of("\r\n") != std::string_view::npos;
}

Status check_path(const std::filesystem::path& p, const char* field) {
  if (p.empty()) return make_error(Errc::invalid_argument, std::string(field) + " must be set");
  if (has_line_break(p.native())) {
    return make_error(Errc::invalid_argument, std::string(field) + " must not contain a line break");
  }
  return {};
}

std::filesystem::path absolute_or_same(const std::filesystem::path& p) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(p, ec);
  return ec ? p : abs.lexically_normal();
}

}  // namespace

std::string_view device_role_name(DeviceRole role) noexcept {
  switch (role) {
    case DeviceRole::counter: return "counter";
    case DeviceRole::linkage: return "linkage";
  }
  return "counter";
}

Expected<Registry> parse_registry(std::string_view json_text) {
  // nlohmann reports through exceptions; they stop here (habit 4: no exception crosses the API).
  try {
    return parse_registry_json(json::parse(json_text));
  } catch (const json::parse_error& e) {
    return make_error(Errc::malformed, std::string("registry is not valid JSON: ") + e.what());
  } catch (const json::exception& e) {
    return make_error(Errc::malformed, std::string("registry: ") + e.what());
  }
}

Expected<Registry> load_registry(const std::filesystem::path& file) {
  auto text = detail::read_file(file, kMaxRegistryBytes);
  if (!text) return text.error();
  auto registry = parse_registry(*text);
  if (!registry) return registry.error().with_context(file.string());
  return registry;
}

protocol::BrokerIdentities broker_identities(const Registry& registry, const std::vector<std::string>& hubs) {
  protocol::BrokerIdentities ids;
  ids.hubs.insert(hubs.begin(), hubs.end());
  for (const auto& muni : registry.municipalities) {
    for (const auto& device : muni.devices) {
      (device.role == DeviceRole::linkage ? ids.linkage : ids.devices).insert(protocol::device_identity(muni.code, device.id));
    }
  }
  return ids;
}

Status validate_broker_options(const BrokerOptions& o) {
  if (o.port == 0) return make_error(Errc::invalid_argument, "port must be 1-65535");
  if (o.listen_address.empty() || o.listen_address.find_first_of(" \t\r\n") != std::string::npos) {
    return make_error(Errc::invalid_argument, "listen address must be a non-empty host or IP without spaces");
  }
  if (auto st = check_path(o.ca_file, "ca_file"); !st) return st;
  if (auto st = check_path(o.cert_file, "cert_file"); !st) return st;
  if (auto st = check_path(o.key_file, "key_file"); !st) return st;
  if (auto st = check_path(o.identities_file, "identities_file"); !st) return st;
  if (auto st = check_path(o.plugin_file, "plugin_file"); !st) return st;
  if (o.hub_identities.empty()) return make_error(Errc::invalid_argument, "hub_identities must name at least one hub");
  for (const auto& h : o.hub_identities) {
    const bool device_like = h.find('.') != std::string::npos && protocol::valid_municipality(h.substr(0, h.find('.')));
    if (h.empty() || h.size() > 64 || device_like ||
        h.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-") != std::string::npos) {
      return make_error(Errc::invalid_argument, "hub identity '" + h + "' must be 1-64 of A-Z a-z 0-9 . - and not a device identity");
    }
  }
  if (o.log_file) {
    if (auto st = check_path(*o.log_file, "log_file"); !st) return st;
  }
  if (o.user && (o.user->empty() || o.user->find_first_of(" \t\r\n") != std::string::npos)) {
    return make_error(Errc::invalid_argument, "user must be a non-empty account name without spaces");
  }
  return {};
}

std::string render_mosquitto_conf(const BrokerOptions& o) {
  std::string out;
  auto line = [&out](std::string_view a, std::string_view b = {}) {
    out += a;
    if (!b.empty()) {
      out += ' ';
      out += b;
    }
    out += '\n';
  };
  line("# generated by madoguchi-provision; do not edit");
  line("# Identity is the client certificate CN, also the client id; every access is decided by the");
  line("# madoguchi_broker_acl plugin (protocol/broker_acl.h). Nothing else gets in.");
  line("per_listener_settings", "false");
  line("allow_anonymous", "false");
  // Durability lives in the agents' outboxes and the hub's database, not in the broker.
  line("persistence", "false");
  // Nobody needs retained messages; a client that sends one is disconnected.
  line("retain_available", "false");
  if (o.user) line("user", *o.user);
  line("");
  line("listener", std::to_string(o.port) + " " + o.listen_address);
  line("cafile", o.ca_file.string());
  line("certfile", o.cert_file.string());
  line("keyfile", o.key_file.string());
  line("require_certificate", "true");
  line("use_identity_as_username", "true");
  // The client id is the identity: a client cannot take over another's session (the hub's
  // included) by connecting with its client id.
  line("use_username_as_clientid", "true");
  // Since mosquitto 2.0 tls_version is the *minimum* version (in 1.6 it was the only one), so this
  // accepts TLS 1.2 and 1.3 and refuses anything older. See mosquitto.conf(5).
  line("tls_version", "tlsv1.2");
  // TLS 1.2 suites: forward secret (ECDHE) and AEAD only, as the HTTP servers offer. TLS 1.3
  // suites are all AEAD.
  line("ciphers", kTls12Ciphers);
  line("");
  line("auth_plugin", o.plugin_file.string());
  line("auth_opt_identities", o.identities_file.string());
  line("max_packet_size", std::to_string(o.max_packet_size));
  line("max_inflight_messages", std::to_string(o.max_inflight_messages));
  line("max_queued_messages", std::to_string(o.max_queued_messages));
  // Acks and feed messages are small: do not hold them back for Nagle (docs/performance.md).
  line("set_tcp_nodelay", "true");
  line("");
  if (o.log_file) {
    line("log_dest", "file " + o.log_file->string());
  } else {
    line("log_dest", "stderr");
  }
  // mosquitto reads one type per log_type line.
  for (const char* type : {"error", "warning", "notice", "information"}) line("log_type", type);
  line("connection_messages", "true");
  return out;
}

BrokerOptions broker_options_for_pki(const std::filesystem::path& pki_dir, const std::filesystem::path& out_dir,
                                     std::uint16_t port, const std::filesystem::path& plugin_file) {
  const auto pki = absolute_or_same(pki_dir);
  BrokerOptions o;
  o.port = port;
  o.ca_file = pki / kCaCertFile;
  o.cert_file = pki / (std::string(kBrokerStem) + ".crt");
  o.key_file = pki / (std::string(kBrokerStem) + ".key");
  o.identities_file = absolute_or_same(out_dir) / "identities";
  o.plugin_file = absolute_or_same(plugin_file);
  return o;
}

Status write_broker_config(const std::filesystem::path& conf_file, const Registry& registry,
                           const BrokerOptions& options) {
  BrokerOptions o = options;
  o.ca_file = absolute_or_same(o.ca_file);
  o.cert_file = absolute_or_same(o.cert_file);
  o.key_file = absolute_or_same(o.key_file);
  o.identities_file = absolute_or_same(o.identities_file);
  o.plugin_file = absolute_or_same(o.plugin_file);
  if (o.log_file) o.log_file = absolute_or_same(*o.log_file);
  if (auto st = validate_broker_options(o); !st) return st;
  const std::string identities = protocol::render_broker_identities(broker_identities(registry, o.hub_identities));
  if (auto st = detail::write_file_atomic(o.identities_file, identities, kConfigMode); !st) return st;
  return detail::write_file_atomic(conf_file, render_mosquitto_conf(o), kConfigMode);
}

}  // namespace madoguchi::provisioning
