// Who may do what at the broker (EDGE-4, KON-5, SEC-1): the one rule the broker plugin
// (drivers/broker_acl) applies to every publish, delivery, subscription and unsubscription.
// Pure functions, no I/O.
//
// A client is known by its certificate identity (the CN, which the broker also uses as user name
// and client id). Only identities listed by provisioning get anything:
//   - a hub identity: every topic under mg/v1 (read, write, subscribe), the hub's shared
//     subscription ($share/hub/...) and only the hub's;
//   - a device "<municipality>.<device>": writes its own up topic; reads and subscribes to its own
//     down topic and its municipality's feed, exactly those filters (no wildcard, no $share, no
//     other municipality);
//   - a linkage server "<municipality>.<device>" (the feed's roles, KON-5): writes its own up topic
//     and reads its own down topic only; it never receives the municipality's feed (cards,
//     bookings, staff), which it has no use for;
//   - anything else: nothing.
// Nobody publishes a retained message (durability lives in the agents' outboxes and the hub).
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "madoguchi/error.h"

namespace madoguchi::protocol {

enum class BrokerAccess { read, write, subscribe, unsubscribe };

struct BrokerIdentities {
  std::set<std::string> hubs;     // e.g. "hub"
  std::set<std::string> devices;  // "<municipality>.<device>"
  std::set<std::string> linkage;  // "<municipality>.<device>" of linkage servers
};

bool broker_allows(const BrokerIdentities& ids, std::string_view identity, BrokerAccess access,
                   std::string_view topic, bool retain);

// The identities file provisioning writes beside mosquitto.conf: one "hub <identity>",
// "device <identity>" or "linkage <identity>" per line. Errors: malformed (naming the line).
Expected<BrokerIdentities> parse_broker_identities(std::string_view text);
std::string render_broker_identities(const BrokerIdentities& ids);

}  // namespace madoguchi::protocol
