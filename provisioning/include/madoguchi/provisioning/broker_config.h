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
#include "madoguchi/protocol/broker_acl.h"
#include "madoguchi/protocol/topics.h"

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

// Who may connect and what each may do at the broker: the registry's devices and the hub
// identities, for the broker plugin (protocol/broker_acl.h: the hub everything under mg/v1 and
// the hub's shared subscription; each device exactly its up topic to write and its down topic
// and municipality feed to read and subscribe; nobody retained messages). Deterministic.
protocol::BrokerIdentities broker_identities(const Registry& registry, const std::vector<std::string>& hubs);

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
  // The identities file the broker plugin reads (render_broker_identities of broker_identities),
  // and the plugin itself (madoguchi_broker_acl.so, drivers/broker_acl).
  std::filesystem::path identities_file;
  std::filesystem::path plugin_file;
  // Certificate identities of the hub instances: each instance needs a certificate of its own,
  // since the broker makes the identity the client id (one session per identity).
  std::vector<std::string> hub_identities{std::string(protocol::kHubIdentity)};
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

// Checks what render_mosquitto_conf relies on: port != 0, address and all five paths non-empty,
// at least one hub identity of [A-Za-z0-9.-],
// user (if set) non-empty without blanks, no line breaks anywhere (a newline in a path would
// inject configuration lines).
// Errc::invalid_argument naming the field.
Status validate_broker_options(const BrokerOptions& options);

// The mosquitto.conf text for one TLS listener with client-certificate authentication, the
// certificate CN as user name and as client id (a client cannot take over another's session),
// no anonymous access, no persistence, no retained messages, TLS 1.2 or newer with forward-secret
// AEAD suites only, and every access decided by the broker plugin (no acl_file: mosquitto 2.0's
// acl_file lets any subscription through, and would run before the plugin).
// Precondition: validate_broker_options(options) succeeded (otherwise the text is not usable).
std::string render_mosquitto_conf(const BrokerOptions& options);

// The options for a broker serving a PKI directory laid out as pki.h describes, with the
// identities at out_dir/identities and the plugin at plugin_file. All paths absolute.
BrokerOptions broker_options_for_pki(const std::filesystem::path& pki_dir, const std::filesystem::path& out_dir,
                                     std::uint16_t port, const std::filesystem::path& plugin_file);

// Validates the options, then writes the identities (of registry and options.hub_identities) to
// options.identities_file and render_mosquitto_conf(options) to conf_file, each atomically (temp
// file + rename, mode 0644). Creates missing parent directories. The identities are written
// first so a config never names a missing file. Errors: as validate_broker_options, Errc::io
// for file failures.
Status write_broker_config(const std::filesystem::path& conf_file, const Registry& registry,
                           const BrokerOptions& options);

}  // namespace madoguchi::provisioning
