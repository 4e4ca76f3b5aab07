#include "test_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace madoguchi::testing {
namespace {

using Clock = std::chrono::steady_clock;

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

bool tcp_accepts(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr = loopback(port);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("writing " + file.string() + " failed");
}

unsigned file_mode(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return 0xFFFFu;
  return static_cast<unsigned>(st.st_mode) & 0777u;
}

std::string current_user_name() {
  const passwd* pw = ::getpwuid(::geteuid());
  return pw != nullptr ? std::string(pw->pw_name) : std::string("root");
}

// ---- BrokerProcess ------------------------------------------------------------------------------

std::unique_ptr<BrokerProcess> BrokerProcess::start(const std::filesystem::path& conf,
                                                    const std::filesystem::path& log_file,
                                                    std::uint16_t port, std::chrono::milliseconds timeout,
                                                    std::string& error) {
  const char* binary = "/usr/sbin/mosquitto";
  if (::access(binary, X_OK) != 0) {
    error = std::string(binary) + " is not installed (Debian package mosquitto)";
    return nullptr;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::string conf_arg = conf.string();
  std::string arg0 = "mosquitto", arg1 = "-c";
  char* argv[] = {arg0.data(), arg1.data(), conf_arg.data(), nullptr};
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, binary, &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    error = "posix_spawn mosquitto failed: " + std::to_string(rc);
    return nullptr;
  }
  std::unique_ptr<BrokerProcess> broker(new BrokerProcess(pid, log_file));
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      broker->pid_ = -1;
      error = "mosquitto exited during start-up:\n" + broker->log();
      return nullptr;
    }
    if (tcp_accepts(port)) return broker;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  error = "mosquitto did not listen on port " + std::to_string(port) + " in time:\n" + broker->log();
  return nullptr;  // the destructor stops it
}

BrokerProcess::~BrokerProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + std::chrono::seconds(1);
  while (Clock::now() < deadline) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

std::string BrokerProcess::log() const { return read_text(log_file_); }

// ---- MqttTestClient -----------------------------------------------------------------------------

const char* to_string(ConnectOutcome outcome) {
  switch (outcome) {
    case ConnectOutcome::accepted: return "accepted";
    case ConnectOutcome::refused: return "refused";
    case ConnectOutcome::timed_out: return "timed_out";
  }
  return "?";
}

MqttTestClient::MqttTestClient(const std::string& client_id) {
  mosquitto_lib_init();
  mosq_ = mosquitto_new(client_id.c_str(), true, this);
  if (mosq_ == nullptr) throw std::runtime_error("mosquitto_new failed");
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  mosquitto_connect_v5_callback_set(mosq_, [](mosquitto*, void* self, int rc, int, const mosquitto_property*) {
    auto* c = static_cast<MqttTestClient*>(self);
    if (rc == 0) {
      c->connected_ = true;
    } else {
      c->closed_ = true;
      c->last_error_ = std::string("CONNACK refused: ") + mosquitto_reason_string(rc);
    }
  });
  mosquitto_disconnect_v5_callback_set(mosq_, [](mosquitto*, void* self, int rc, const mosquitto_property*) {
    auto* c = static_cast<MqttTestClient*>(self);
    c->connected_ = false;
    c->closed_ = true;
    if (c->last_error_.empty()) c->last_error_ = std::string("disconnected: ") + mosquitto_strerror(rc);
  });
  mosquitto_subscribe_v5_callback_set(
      mosq_, [](mosquitto*, void* self, int mid, int count, const int* granted, const mosquitto_property*) {
        auto* c = static_cast<MqttTestClient*>(self);
        if (mid == c->pending_mid_ && count > 0) c->ack_code_ = granted[0];
      });
  mosquitto_publish_v5_callback_set(mosq_, [](mosquitto*, void* self, int mid, int reason, const mosquitto_property*) {
    auto* c = static_cast<MqttTestClient*>(self);
    if (mid == c->pending_mid_) c->ack_code_ = reason;
  });
  mosquitto_message_v5_callback_set(
      mosq_, [](mosquitto*, void* self, const mosquitto_message* m, const mosquitto_property*) {
        auto* c = static_cast<MqttTestClient*>(self);
        std::string payload(static_cast<const char*>(m->payload), static_cast<std::size_t>(m->payloadlen));
        c->messages_.push_back({m->topic, std::move(payload)});
      });
}

MqttTestClient::~MqttTestClient() {
  if (mosq_ != nullptr) {
    if (connected_) mosquitto_disconnect(mosq_);
    mosquitto_destroy(mosq_);
  }
}

bool MqttTestClient::pump_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (closed_ || Clock::now() >= deadline) return done();
    int rc = mosquitto_loop(mosq_, 20, 1);
    if (rc != MOSQ_ERR_SUCCESS) {
      closed_ = true;
      connected_ = false;
      if (last_error_.empty()) last_error_ = mosquitto_strerror(rc);
    }
  }
  return true;
}

namespace {

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const noexcept { SSL_CTX_free(ctx); }
};

// The client's whole TLS setup. We build the SSL_CTX ourselves instead of using mosquitto_tls_set
// because libmosquitto's tls_version is only a minimum and the tests must pin one version.
std::unique_ptr<SSL_CTX, SslCtxDeleter> make_client_ctx(const TlsClientConfig& tls) {
  std::unique_ptr<SSL_CTX, SslCtxDeleter> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) throw std::runtime_error("SSL_CTX_new failed");
  int min = TLS1_2_VERSION, max = 0;  // 0: the highest the library supports
  if (tls.tls_version == "tlsv1.2") {
    max = TLS1_2_VERSION;
  } else if (tls.tls_version == "tlsv1.3") {
    min = max = TLS1_3_VERSION;
  } else if (!tls.tls_version.empty()) {
    throw std::runtime_error("unknown TLS version " + tls.tls_version);
  }
  bool ok = SSL_CTX_set_min_proto_version(ctx.get(), min) == 1 &&
            SSL_CTX_set_max_proto_version(ctx.get(), max) == 1 &&
            SSL_CTX_load_verify_locations(ctx.get(), tls.ca_file.c_str(), nullptr) == 1 &&
            // We dial 127.0.0.1, so the broker certificate must carry it as an IP SAN.
            X509_VERIFY_PARAM_set1_ip_asc(SSL_CTX_get0_param(ctx.get()), "127.0.0.1") == 1;
  if (ok && tls.cert_file) {
    ok = SSL_CTX_use_certificate_chain_file(ctx.get(), tls.cert_file->c_str()) == 1 &&
         SSL_CTX_use_PrivateKey_file(ctx.get(), tls.key_file.value_or("").c_str(), SSL_FILETYPE_PEM) == 1;
  }
  if (ok && !tls.ciphers.empty()) ok = SSL_CTX_set_cipher_list(ctx.get(), tls.ciphers.c_str()) == 1;
  if (!ok) throw std::runtime_error("configuring the client SSL_CTX failed");
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  return ctx;
}

}  // namespace

ConnectOutcome MqttTestClient::connect(std::uint16_t port, const TlsClientConfig& tls,
                                       std::chrono::milliseconds timeout) {
  auto ctx = make_client_ctx(tls);
  // libmosquitto takes its own reference; without "defaults" it uses the context unchanged.
  int rc = mosquitto_int_option(mosq_, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0);
  if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_void_option(mosq_, MOSQ_OPT_SSL_CTX, ctx.get());
  if (rc != MOSQ_ERR_SUCCESS) throw std::runtime_error(std::string("MOSQ_OPT_SSL_CTX: ") + mosquitto_strerror(rc));
  rc = mosquitto_connect(mosq_, "127.0.0.1", port, 30);
  if (rc != MOSQ_ERR_SUCCESS) {
    // TLS 1.2 reports a missing or foreign client certificate during the handshake, inside
    // mosquitto_connect; TLS 1.3 only after it, while waiting for CONNACK.
    last_error_ = std::string("connect: ") + mosquitto_strerror(rc);
    closed_ = true;
    return ConnectOutcome::refused;
  }
  pump_until([this] { return connected_ || closed_; }, timeout);
  if (connected_) return ConnectOutcome::accepted;
  return closed_ ? ConnectOutcome::refused : ConnectOutcome::timed_out;
}

int MqttTestClient::negotiated_tls_version() {
  auto* ssl = static_cast<SSL*>(mosquitto_ssl_get(mosq_));
  return connected_ && ssl != nullptr ? SSL_version(ssl) : 0;
}

int MqttTestClient::subscribe(const std::string& topic, int qos, std::chrono::milliseconds timeout) {
  int mid = 0;
  ack_code_ = -1;
  if (mosquitto_subscribe(mosq_, &mid, topic.c_str(), qos) != MOSQ_ERR_SUCCESS) return -1;
  pending_mid_ = mid;
  pump_until([this] { return ack_code_ != -1; }, timeout);
  return ack_code_;
}

int MqttTestClient::publish(const std::string& topic, const std::string& payload,
                            std::chrono::milliseconds timeout) {
  int mid = 0;
  ack_code_ = -1;
  if (mosquitto_publish(mosq_, &mid, topic.c_str(), static_cast<int>(payload.size()), payload.data(), 1, false) !=
      MOSQ_ERR_SUCCESS) {
    return -1;
  }
  pending_mid_ = mid;
  pump_until([this] { return ack_code_ != -1; }, timeout);
  return ack_code_;
}

bool MqttTestClient::wait_for_message(const std::function<bool(const ReceivedMessage&)>& pred,
                                      std::chrono::milliseconds timeout) {
  return pump_until(
      [&] {
        for (const auto& m : messages_) {
          if (pred(m)) return true;
        }
        return false;
      },
      timeout);
}

}  // namespace madoguchi::testing
