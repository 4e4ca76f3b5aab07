// Helpers for the provisioning tests: a temporary directory, a free port, a mosquitto process and
// a small synchronous MQTT-over-TLS client on libmosquitto.
//
// They live here rather than in tests/support because that directory belongs to another work
// stream right now; BrokerProcess is meant to move there.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "process.h"
#include "temp_dir.h"

struct mosquitto;

namespace madoguchi::testing {

// Shared helpers from tests/support.
using TempDir = madoguchi::testing::TempDir;
using madoguchi::testing::free_port;

std::string read_text(const std::filesystem::path& file);
void write_text(const std::filesystem::path& file, const std::string& text);
// Permission bits (st_mode & 0777).
unsigned file_mode(const std::filesystem::path& file);
// The name of the effective user, for mosquitto's `user` option when tests run as root.
std::string current_user_name();

// `/usr/sbin/mosquitto -c conf`, output to log_file. The destructor stops it (SIGTERM, then
// SIGKILL after a second) and reaps it, so no broker outlives its test.
class BrokerProcess {
 public:
  // Starts the broker and waits until `port` accepts TCP connections. Returns nullptr and fills
  // `error` (including the broker's log) if it exits or is not listening within `timeout`.
  static std::unique_ptr<BrokerProcess> start(const std::filesystem::path& conf,
                                              const std::filesystem::path& log_file,
                                              std::uint16_t port, std::chrono::milliseconds timeout,
                                              std::string& error);
  ~BrokerProcess();
  BrokerProcess(const BrokerProcess&) = delete;
  BrokerProcess& operator=(const BrokerProcess&) = delete;
  std::string log() const;

 private:
  BrokerProcess(pid_t pid, std::filesystem::path log_file) : pid_(pid), log_file_(std::move(log_file)) {}
  pid_t pid_;
  std::filesystem::path log_file_;
};

struct TlsClientConfig {
  std::filesystem::path ca_file;
  std::optional<std::filesystem::path> cert_file;  // unset: connect without a client certificate
  std::optional<std::filesystem::path> key_file;
  std::string tls_version;  // exactly "tlsv1.2" or "tlsv1.3"; empty: libmosquitto's default (1.2 or newer)
  std::string ciphers;      // TLS 1.2 cipher list the client offers; empty: OpenSSL's default
};

enum class ConnectOutcome {
  accepted,   // CONNACK with success
  refused,    // TLS or MQTT refusal, or the broker closed the connection before CONNACK
  timed_out,  // nothing decisive happened before the deadline
};

const char* to_string(ConnectOutcome outcome);

struct ReceivedMessage {
  std::string topic;
  std::string payload;
};

// One MQTT v5 client driven synchronously: every call pumps the network loop until its answer
// arrives or its deadline passes, so a test fails instead of hanging.
class MqttTestClient {
 public:
  explicit MqttTestClient(const std::string& client_id);
  ~MqttTestClient();
  MqttTestClient(const MqttTestClient&) = delete;
  MqttTestClient& operator=(const MqttTestClient&) = delete;

  ConnectOutcome connect(std::uint16_t port, const TlsClientConfig& tls, std::chrono::milliseconds timeout);
  // The TLS version of the live connection (TLS1_2_VERSION, ...), 0 if not connected.
  int negotiated_tls_version();
  // The reason code the broker returned in SUBACK (0-2 granted QoS, >= 0x80 refused), or -1 on
  // timeout.
  int subscribe(const std::string& topic, int qos, std::chrono::milliseconds timeout);
  // QoS 1 publish; returns the PUBACK reason code (0 success, 0x87 not authorized), -1 on timeout.
  int publish(const std::string& topic, const std::string& payload, std::chrono::milliseconds timeout);
  // Pumps until a message satisfying `pred` arrived; false on timeout.
  bool wait_for_message(const std::function<bool(const ReceivedMessage&)>& pred,
                        std::chrono::milliseconds timeout);
  const std::vector<ReceivedMessage>& messages() const { return messages_; }
  // What went wrong last (libmosquitto error string, CONNACK reason), for failure messages.
  const std::string& last_error() const { return last_error_; }

 private:
  bool pump_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);

  struct mosquitto* mosq_ = nullptr;
  bool connected_ = false;
  bool closed_ = false;
  std::string last_error_;
  int pending_mid_ = -1;
  int ack_code_ = -1;
  std::vector<ReceivedMessage> messages_;
};

}  // namespace madoguchi::testing
