#include "raw_mqtt.h"

#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>

#include "bench.h"

namespace madoguchi::bench {

namespace {

// One libmosquitto client on its own network thread (mosquitto_loop_start).
class RawClient {
 public:
  RawClient(const std::string& id, const RawQos1Options& o, const std::filesystem::path& cert, const std::filesystem::path& key)
      : m_(mosquitto_new(id.c_str(), /*clean_session=*/true, this)) {
    if (!m_) throw std::runtime_error("mosquitto_new failed");
    mosquitto_int_option(m_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_int_option(m_, MOSQ_OPT_SEND_MAXIMUM, o.inflight);
    mosquitto_int_option(m_, MOSQ_OPT_RECEIVE_MAXIMUM, o.inflight);
    check(mosquitto_tls_set(m_, o.ca_file.c_str(), nullptr, cert.c_str(), key.c_str(), nullptr), "tls_set");
    check(mosquitto_tls_opts_set(m_, 1, "tlsv1.2", nullptr), "tls_opts_set");
    mosquitto_connect_v5_callback_set(m_, [](mosquitto*, void* self, int rc, int, const mosquitto_property*) {
      static_cast<RawClient*>(self)->set(rc == 0 ? State::connected : State::refused);
    });
    mosquitto_subscribe_v5_callback_set(m_, [](mosquitto*, void* self, int, int count, const int* granted, const mosquitto_property*) {
      static_cast<RawClient*>(self)->set(count == 1 && granted[0] < 0x80 ? State::subscribed : State::refused);
    });
    mosquitto_message_v5_callback_set(m_, [](mosquitto*, void* self, const mosquitto_message*, const mosquitto_property*) {
      auto* c = static_cast<RawClient*>(self);
      {
        std::lock_guard lock(c->mu_);
        ++c->received_;
        c->last_received_ = Clock::now();
      }
      c->cv_.notify_all();
    });
    check(mosquitto_connect(m_, o.host.c_str(), o.port, 30), "connect");
    check(mosquitto_loop_start(m_), "loop_start");
    wait_for(State::connected, "connect");
  }
  ~RawClient() {
    mosquitto_disconnect(m_);
    mosquitto_loop_stop(m_, false);
    mosquitto_destroy(m_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  void subscribe(const std::string& filter) {
    check(mosquitto_subscribe_v5(m_, nullptr, filter.c_str(), 1, 0, nullptr), "subscribe");
    wait_for(State::subscribed, "subscribe to " + filter);
  }
  void publish(const std::string& topic, const std::string& payload) {
    check(mosquitto_publish_v5(m_, nullptr, topic.c_str(), static_cast<int>(payload.size()), payload.data(), 1, false, nullptr),
          "publish");
  }
  // Blocks until fewer than `window` of `sent` are still unreceived, or the deadline.
  bool wait_window(std::size_t sent, std::size_t window, Clock::time_point deadline) {
    std::unique_lock lock(mu_);
    return cv_.wait_until(lock, deadline, [&] { return sent - received_ < window; });
  }
  std::size_t received() {
    std::lock_guard lock(mu_);
    return received_;
  }
  Clock::time_point last_received() {
    std::lock_guard lock(mu_);
    return last_received_;
  }

 private:
  enum class State { connecting, connected, subscribed, refused };
  static void check(int rc, const std::string& what) {
    if (rc != MOSQ_ERR_SUCCESS) throw std::runtime_error("raw mqtt " + what + ": " + mosquitto_strerror(rc));
  }
  void set(State s) {
    {
      std::lock_guard lock(mu_);
      state_ = s;
    }
    cv_.notify_all();
  }
  void wait_for(State s, const std::string& what) {
    std::unique_lock lock(mu_);
    bool ok = cv_.wait_for(lock, std::chrono::seconds(20), [&] { return state_ == s || state_ == State::refused; });
    if (!ok || state_ != s) throw std::runtime_error("raw mqtt: " + what + " failed");
  }

  mosquitto* m_;
  std::mutex mu_;
  std::condition_variable cv_;
  State state_ = State::connecting;
  std::size_t received_ = 0;
  Clock::time_point last_received_{};
};

}  // namespace

RawQos1Result run_raw_qos1(const RawQos1Options& o, const std::vector<std::string>& payloads) {
  mosquitto_lib_init();
  const std::string suffix = std::to_string(::getpid());
  RawClient sub("bench-sub-" + suffix, o, o.subscriber_cert, o.subscriber_key);
  sub.subscribe(o.filter);
  RawClient pub("bench-pub-" + suffix, o, o.publisher_cert, o.publisher_key);

  RawQos1Result r;
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.timeout_seconds));
  const auto t0 = Clock::now();
  for (const auto& p : payloads) {
    if (!sub.wait_window(r.sent, o.window, deadline)) break;
    pub.publish(o.topic, p);
    ++r.sent;
  }
  sub.wait_window(r.sent, 1, deadline);
  r.received = sub.received();
  r.seconds = std::chrono::duration<double>(sub.last_received() - t0).count();
  return r;
}

}  // namespace madoguchi::bench
