// MQTT v5 client over TLS with a client certificate, on libmosquitto's own network thread.
//
// Threading contract: the client runs libmosquitto's network loop on a thread of its own.
// The callbacks below are invoked on THAT thread; owners post them onto their own event loop
// (see edge-agent and cloud-hub wiring) so business logic stays single-threaded. publish(),
// subscribe() and connected() may be called from any thread.
//
// Reconnection: automatic, with exponential backoff between reconnect_min and reconnect_max.
// We drive the loop ourselves instead of mosquitto_loop_start(): libmosquitto's own loop thread
// gives up for good on a TLS error (a handshake cut by a dying link, say), and an edge agent must
// never stop trying.
// Sessions are clean (clean start): the broker keeps nothing for us while we are away, because
// our durability lives in SQLite outboxes and application acknowledgements, not in the broker.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <functional>
#include <memory>
#include <string>

#include "madoguchi/error.h"
#include "madoguchi/transport.h"

struct mosquitto;

namespace madoguchi::mqtt {

struct ClientOptions {
  std::string host = "localhost";    // must match the broker certificate's SAN
  std::uint16_t port = 8883;
  std::string client_id;             // the device identity ("131016.counter-01") or "hub-<n>"
  std::string ca_file;               // PEM of the CA that signed the broker certificate
  std::string cert_file;             // our client certificate (PEM)
  std::string key_file;              // its private key (PEM)
  int keepalive_seconds = 10;        // libmosquitto refuses < 5; a dead link is noticed in ~1.5x
  int reconnect_min_seconds = 1;
  int reconnect_max_seconds = 30;
  int max_inflight = 100;            // QoS 1 messages in flight before libmosquitto queues
};

struct Callbacks {
  std::function<void()> on_connected;                 // (re)connected; subscribe again here
  std::function<void(std::string reason)> on_disconnected;
  std::function<void(std::string topic, std::string payload)> on_message;
  // A subscription the broker refused (not authorized): topic filter and reason code.
  std::function<void(int mid, int reason_code)> on_subscribe_refused;
};

class Client final : public Transport {
 public:
  Client(ClientOptions options, Callbacks callbacks);
  ~Client() override;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Starts the network thread and the first connection attempt (asynchronous).
  Status start();
  // Disconnects and joins the network thread. Idempotent.
  void stop();

  Status subscribe(const std::string& filter, int qos = 1);
  Status publish(const std::string& topic, const std::string& payload) override;
  bool connected() const override { return connected_.load(); }

 private:
  friend struct ClientAccess;  // libmosquitto callback trampolines (in the .cc)

  void network_loop();
  void mark_disconnected(const std::string& reason);
  void backoff_sleep(int seconds);

  ClientOptions options_;
  Callbacks callbacks_;
  struct mosquitto* mosq_ = nullptr;
  std::atomic<bool> connected_{false};
  std::atomic<bool> stopping_{false};
  bool started_ = false;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  int delay_seconds_ = 1;
};

// libmosquitto needs one global init per process; call before creating clients (idempotent).
void library_init();

}  // namespace madoguchi::mqtt
