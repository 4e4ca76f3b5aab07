// From the device registry to a mosquitto 2.0 configuration and ACL file.
//
// The registry (registry.json) is the single list of who may talk to the broker:
//   {"municipalities":[{"code":"131016","name":"サンプル市",
//                       "devices":[{"id":"counter-01","role":"counter"},
//                                  {"id":"linkage","role":"linkage"}]}]}
// The ACL derived from it is the security boundary between municipalities: a device may write
// only its own up topic and read only its own down topic and its municipality's feed
// (docs/protocol.md, topics.h). The broker knows a client only by its certificate CN, which
// provisioning issues as protocol::device_identity(code, id).
//
// Parsing and rendering are pure; only load_registry and write_broker_config touch files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/error.h"

namespace madoguchi::provisioning {

enum class DeviceRole {
  counter,  // a counter terminal (窓口端末)
  linkage,  // the gateway to the municipality's core systems (基幹系連携)
};

std::string_view device_role_name(DeviceRole role) noexcept;

struct Device {
  std::string id;  // protocol::valid_device_id, unique within its municipality
  DeviceRole role = DeviceRole::counter;
};

struct Municipality {
  std::string code;  // protocol::valid_municipality, unique within the registry
  std::string name;  // display name, non-empty UTF-8
  std::vector<Device> devices;
};

// Order is the order of the file; rendering keeps it so generated files diff cleanly.
struct Registry {
  std::vector<Municipality> municipalities;
};

// Largest registry.json load_registry reads. A few thousand devices need well under 1 MiB.
inline constexpr std::size_t kMaxRegistryBytes = 4 * 1024 * 1024;

// Parses and validates a registry. Either the whole registry is valid or nothing is returned.
// Unknown keys are rejected rather than ignored: a misspelt "devices" must not silently produce a
// municipality without devices (and so without broker access).
// Errors are Errc::malformed; the message names the offending field by path, e.g.
//   "municipalities[0].devices[1].id: duplicate device id 'counter-01' in municipality 131016".
Expected<Registry> parse_registry(std::string_view json_text);

// Reads and parses a registry file. Errc::io if it cannot be read, Errc::too_large over
// kMaxRegistryBytes, otherwise as parse_registry (messages prefixed with the path).
Expected<Registry> load_registry(const std::filesystem::path& file);

// The mosquitto acl_file text: the hub may read and write everything under mg/v1/; each device
// gets exactly: write its up topic, read its down topic, read its municipality's feed. Nothing
// else is granted (mosquitto denies what no line allows). Deterministic: same registry, same text.
// Note for clients: mosquitto 2.0 answers SUBACK with success even for a topic the ACL does not
// let the client read, and then delivers nothing; a forbidden PUBLISH gets PUBACK 0x87 (MQTT v5).

std::string render_acl(const Registry& registry);

// Settings for one mosquitto TLS listener. Every field has a working default except the file
// paths. Paths are written into the config verbatim; mosquitto resolves relative paths against
// its working directory, so pass absolute ones (write_broker_config makes them absolute).
struct BrokerOptions {
  // Loopback by default: exposing the broker is a deployment decision, not a default.
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 8883;  // IANA port for MQTT over TLS; never 0
  std::filesystem::path ca_file;    // the CA that issued every client certificate
  std::filesystem::path cert_file;  // the broker's server certificate
  std::filesystem::path key_file;   // and its key
  std::filesystem::path acl_file;   // output of render_acl
  // Unset: log to stderr (systemd's journal, or the test's output).
  std::optional<std::filesystem::path> log_file;
  // The account mosquitto switches to when started as root (its `user` option); it must be able
  // to read key_file, which is mode 0600. Unset: no `user` line, so mosquitto's default applies
  // (it switches to "mosquitto", and a root-owned 0600 key becomes unreadable: chown the key or set
  // this). Without root, mosquitto ignores it. Tests running as root set their own user name.
  std::optional<std::string> user;
  // Bounds (habit 5). One MQTT packet: an op batch must fit, a runaway client must not.
  std::uint32_t max_packet_size = 1024 * 1024;
  // Outgoing QoS 1/2 messages in flight per client.
  std::uint32_t max_inflight_messages = 100;
  // Queued QoS 1/2 messages per client beyond those in flight; over this mosquitto drops, so an
  // agent that was offline catches up through the sync protocol, not through the queue.
  std::uint32_t max_queued_messages = 10000;
};

// Checks what render_mosquitto_conf relies on: port != 0, address and all four paths non-empty,
// user (if set) non-empty without blanks, no line breaks anywhere (a newline in a path would
// inject configuration lines).
// Errc::invalid_argument naming the field.
Status validate_broker_options(const BrokerOptions& options);

// The mosquitto.conf text for one TLS listener with client-certificate authentication, the
// certificate CN as user name, no anonymous access, no persistence, TLS 1.2 or newer.
// Precondition: validate_broker_options(options) succeeded (otherwise the text is not usable).
std::string render_mosquitto_conf(const BrokerOptions& options);

// The options for a broker serving a PKI directory laid out as pki.h describes, with the ACL at
// out_dir/acl. All paths absolute.
BrokerOptions broker_options_for_pki(const std::filesystem::path& pki_dir,
                                     const std::filesystem::path& out_dir, std::uint16_t port);

// Validates the options, then writes render_acl(registry) to options.acl_file and
// render_mosquitto_conf(options) to conf_file, each atomically (temp file + rename, mode 0644).
// Creates missing parent directories. The ACL is written first so a config never names a
// missing ACL. Errors: as validate_broker_options, Errc::io for file failures.
Status write_broker_config(const std::filesystem::path& conf_file, const Registry& registry,
                           const BrokerOptions& options);

}  // namespace madoguchi::provisioning
