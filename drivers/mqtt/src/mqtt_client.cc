#include "madoguchi/mqtt/mqtt_client.h"

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include <algorithm>
#include <mutex>

namespace madoguchi::mqtt {

void library_init() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

namespace {
Error mosq_error(std::string_view what, int rc) {
  std::string m(what);
  m += ": ";
  m += mosquitto_strerror(rc);
  return Error{Errc::transport, std::move(m)};
}
}  // namespace

Client::Client(ClientOptions options, Callbacks callbacks)
    : options_(std::move(options)), callbacks_(std::move(callbacks)) {
  library_init();
}

Client::~Client() {
  stop();
  if (mosq_) mosquitto_destroy(mosq_);
}

// Trampolines with libmosquitto's exact callback signatures.
struct ClientAccess {
  static void on_connect(struct mosquitto*, void* self, int rc, int, const mosquitto_property*) {
    auto* c = static_cast<Client*>(self);
    if (rc != 0) {
      c->mark_disconnected(std::string("connect refused: ") + mosquitto_reason_string(rc));
      return;
    }
    c->delay_seconds_ = c->options_.reconnect_min_seconds;
    c->connected_ = true;
    if (c->callbacks_.on_connected) c->callbacks_.on_connected();
  }
  static void on_disconnect(struct mosquitto*, void* self, int rc, const mosquitto_property*) {
    static_cast<Client*>(self)->mark_disconnected(rc == 0 ? "disconnected" : mosquitto_strerror(rc));
  }
  static void on_message(struct mosquitto*, void* self, const struct mosquitto_message* m, const mosquitto_property*) {
    auto* c = static_cast<Client*>(self);
    if (!c->callbacks_.on_message || !m->topic) return;
    std::string payload;
    if (m->payload && m->payloadlen > 0) payload.assign(static_cast<const char*>(m->payload), static_cast<std::size_t>(m->payloadlen));
    c->callbacks_.on_message(m->topic, std::move(payload));
  }
  static void on_subscribe(struct mosquitto*, void* self, int mid, int count, const int* granted, const mosquitto_property*) {
    auto* c = static_cast<Client*>(self);
    for (int i = 0; i < count; ++i) {
      if (granted[i] >= 0x80 && c->callbacks_.on_subscribe_refused) c->callbacks_.on_subscribe_refused(mid, granted[i]);
    }
  }
};

Status Client::start() {
  if (started_) return {};
  mosq_ = mosquitto_new(options_.client_id.c_str(), /*clean_session=*/true, this);
  if (!mosq_) return Error{Errc::transport, "mosquitto_new failed"};
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  mosquitto_max_inflight_messages_set(mosq_, static_cast<unsigned int>(options_.max_inflight));
  // Small TLS records must not wait for the peer's delayed ACK (Nagle): it cost up to 90 ms per
  // batch in the latency benchmark (docs/performance.md).
  mosquitto_int_option(mosq_, MOSQ_OPT_TCP_NODELAY, 1);
  int rc = mosquitto_tls_set(mosq_, options_.ca_file.c_str(), nullptr, options_.cert_file.c_str(), options_.key_file.c_str(), nullptr);
  if (rc != MOSQ_ERR_SUCCESS) return mosq_error("tls_set", rc);
  rc = mosquitto_tls_opts_set(mosq_, 1 /* SSL_VERIFY_PEER */, "tlsv1.2", nullptr);
  if (rc != MOSQ_ERR_SUCCESS) return mosq_error("tls_opts_set", rc);
  mosquitto_connect_v5_callback_set(mosq_, &ClientAccess::on_connect);
  mosquitto_disconnect_v5_callback_set(mosq_, &ClientAccess::on_disconnect);
  mosquitto_message_v5_callback_set(mosq_, &ClientAccess::on_message);
  mosquitto_subscribe_v5_callback_set(mosq_, &ClientAccess::on_subscribe);
  // Messages published from other threads are queued and the loop is woken to send them.
  mosquitto_threaded_set(mosq_, true);
  delay_seconds_ = options_.reconnect_min_seconds;
  stopping_ = false;
  thread_ = std::thread([this] { network_loop(); });
  started_ = true;
  return {};
}

void Client::mark_disconnected(const std::string& reason) {
  if (connected_.exchange(false) && callbacks_.on_disconnected) callbacks_.on_disconnected(reason);
}

void Client::backoff_sleep(int seconds) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::seconds(seconds), [this] { return stopping_.load(); });
}

void Client::network_loop() {
  bool first = true;
  while (!stopping_) {
    // Blocking connect, TLS handshake included; the CONNACK arrives through the loop below.
    int rc = first ? mosquitto_connect(mosq_, options_.host.c_str(), options_.port, options_.keepalive_seconds)
                   : mosquitto_reconnect(mosq_);
    if (rc == MOSQ_ERR_SUCCESS) {
      first = false;
      while (!stopping_) {
        rc = mosquitto_loop(mosq_, 100, 1);
        if (rc != MOSQ_ERR_SUCCESS) break;
      }
      mark_disconnected(mosquitto_strerror(rc));
    }
    if (stopping_) break;
    backoff_sleep(delay_seconds_);
    delay_seconds_ = std::min(delay_seconds_ * 2, options_.reconnect_max_seconds);
  }
}

void Client::stop() {
  if (!started_) return;
  started_ = false;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  mosquitto_disconnect(mosq_);
  if (thread_.joinable()) thread_.join();
  connected_ = false;
}

Status Client::subscribe(const std::string& filter, int qos) {
  if (!mosq_) return Error{Errc::transport, "not started"};
  int rc = mosquitto_subscribe_v5(mosq_, nullptr, filter.c_str(), qos, 0, nullptr);
  if (rc != MOSQ_ERR_SUCCESS) return mosq_error("subscribe " + filter, rc);
  return {};
}

Status Client::publish(const std::string& topic, const std::string& payload) {
  if (!mosq_ || !connected_) return Error{Errc::transport, "not connected"};
  int rc = mosquitto_publish_v5(mosq_, nullptr, topic.c_str(), static_cast<int>(payload.size()), payload.data(), 1, false, nullptr);
  if (rc != MOSQ_ERR_SUCCESS) return mosq_error("publish", rc);
  return {};
}

}  // namespace madoguchi::mqtt
