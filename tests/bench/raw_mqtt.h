// The baseline for sync throughput: what mosquitto itself moves over TLS at QoS 1 on this
// machine, with nothing of madoguchi in the path (no SQLite, no batching, no acknowledgement of
// our own). Two bare libmosquitto clients: a publisher with a device certificate on its own up
// topic and a subscriber with the hub certificate, as the ACL allows.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace madoguchi::bench {

struct RawQos1Options {
  std::string host = "localhost";  // must match the broker certificate
  std::uint16_t port = 0;
  std::filesystem::path ca_file;
  std::filesystem::path publisher_cert, publisher_key;    // a device's identity
  std::filesystem::path subscriber_cert, subscriber_key;  // the hub's identity
  std::string topic;                                      // the device's up topic
  std::string filter;                                     // what the subscriber reads
  // QoS 1 messages in flight per client (libmosquitto send/receive maximum); the broker allows 100.
  int inflight = 100;
  // Messages published but not yet received by the subscriber. The broker queues at most
  // max_queued_messages (10,000) per client and drops beyond; the window keeps the run lossless.
  std::size_t window = 1000;
  double timeout_seconds = 120;
};

struct RawQos1Result {
  std::size_t sent = 0;
  std::size_t received = 0;
  double seconds = 0;  // first publish to last message received
};

// Publishes every payload as its own QoS 1 message and waits until the subscriber has them all
// (or the timeout). Throws std::runtime_error when a client cannot connect or subscribe.
RawQos1Result run_raw_qos1(const RawQos1Options& options, const std::vector<std::string>& payloads);

}  // namespace madoguchi::bench
