// Topic names and identities: the routing half of the wire contract (docs/protocol.md).
//
//   mg/v1/{municipality}/{device}/up     device -> hub   (op batches, sync requests)
//   mg/v1/{municipality}/{device}/down   hub -> device   (acks, catch-up changes, snapshots)
//   mg/v1/{municipality}/feed            hub -> every device of the municipality (live changes)
//
// A municipality is its 6-digit local government code (全国地方公共団体コード, e.g. 131016).
// A device id is 1-32 of [a-z0-9-], unique within its municipality. The TLS identity (certificate
// CN, used by mosquitto as the user name) of a device is "{municipality}.{device}"; the hub's is
// "hub". Pure functions, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "madoguchi/error.h"

namespace madoguchi::protocol {

inline constexpr std::string_view kTopicRoot = "mg/v1";
inline constexpr std::string_view kHubIdentity = "hub";
// The shared-subscription group every hub instance joins (MQTT v5 $share).
inline constexpr std::string_view kHubShareGroup = "hub";

bool valid_municipality(std::string_view code) noexcept;
bool valid_device_id(std::string_view id) noexcept;

// Returns an Error (invalid_argument) naming the bad part.
Status validate_identity(std::string_view municipality, std::string_view device);

std::string device_identity(std::string_view municipality, std::string_view device);
std::string up_topic(std::string_view municipality, std::string_view device);
std::string down_topic(std::string_view municipality, std::string_view device);
std::string feed_topic(std::string_view municipality);
// What the hub subscribes to: "$share/hub/mg/v1/+/+/up".
std::string hub_up_subscription();

enum class TopicKind { up, down, feed };

struct ParsedTopic {
  TopicKind kind;
  std::string municipality;
  std::string device;  // empty for feed
};

// Parses a concrete topic (no wildcards). Unknown shapes are Errc::malformed.
Expected<ParsedTopic> parse_topic(std::string_view topic);

}  // namespace madoguchi::protocol
