// The broker's access rule as a mosquitto plugin (v5 API). Options in mosquitto.conf:
//   plugin /path/to/madoguchi_broker_acl.so
//   plugin_opt_identities /path/to/identities    (written by madoguchi-provision broker-config)
// Every check is decided here (no other ACL is configured): allowed → success, anything else →
// denied and logged with the identity, the access and the topic (identities and topics carry no
// personal data). A missing or malformed identities file fails the broker's start.
#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "madoguchi/protocol/broker_acl.h"

namespace {

namespace p = madoguchi::protocol;

struct PluginState {
  mosquitto_plugin_id_t* id = nullptr;
  p::BrokerIdentities identities;
};

const char* access_name(int access) {
  switch (access) {
    case MOSQ_ACL_READ: return "read";
    case MOSQ_ACL_WRITE: return "write";
    case MOSQ_ACL_SUBSCRIBE: return "subscribe";
    case MOSQ_ACL_UNSUBSCRIBE: return "unsubscribe";
    default: return "unknown";
  }
}

int on_acl_check(int /*event*/, void* event_data, void* userdata) {
  const auto* ed = static_cast<const mosquitto_evt_acl_check*>(event_data);
  const auto* state = static_cast<const PluginState*>(userdata);
  const char* user = mosquitto_client_username(ed->client);
  p::BrokerAccess access;
  switch (ed->access) {
    case MOSQ_ACL_READ: access = p::BrokerAccess::read; break;
    case MOSQ_ACL_WRITE: access = p::BrokerAccess::write; break;
    case MOSQ_ACL_SUBSCRIBE: access = p::BrokerAccess::subscribe; break;
    case MOSQ_ACL_UNSUBSCRIBE: access = p::BrokerAccess::unsubscribe; break;
    default: return MOSQ_ERR_ACL_DENIED;
  }
  if (user && ed->topic && p::broker_allows(state->identities, user, access, ed->topic, ed->retain)) {
    return MOSQ_ERR_SUCCESS;
  }
  // A read refused at delivery is the broker filtering what a client may not see; the others are
  // a client asking for what it may not have.
  mosquitto_log_printf(access == p::BrokerAccess::read ? MOSQ_LOG_DEBUG : MOSQ_LOG_NOTICE,
                       "madoguchi_broker_acl: denied %s%s of '%s' to '%s'", access_name(ed->access),
                       ed->retain ? " (retained)" : "", ed->topic ? ed->topic : "", user ? user : "(no identity)");
  return MOSQ_ERR_ACL_DENIED;
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int mosquitto_plugin_version(int supported_version_count,
                                                                    const int* supported_versions) {
  for (int i = 0; i < supported_version_count; ++i) {
    if (supported_versions[i] == 5) return 5;
  }
  return -1;
}

__attribute__((visibility("default"))) int mosquitto_plugin_init(mosquitto_plugin_id_t* identifier, void** userdata,
                                                                 struct mosquitto_opt* options, int option_count) {
  std::string path;
  for (int i = 0; i < option_count; ++i) {
    if (std::string(options[i].key) == "identities") path = options[i].value;
  }
  if (path.empty()) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "madoguchi_broker_acl: plugin_opt_identities is not set");
    return MOSQ_ERR_INVAL;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "madoguchi_broker_acl: cannot read %s", path.c_str());
    return MOSQ_ERR_INVAL;
  }
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  auto ids = p::parse_broker_identities(text);
  if (!ids) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "madoguchi_broker_acl: %s: %s", path.c_str(), ids.error().message.c_str());
    return MOSQ_ERR_INVAL;
  }
  auto state = std::make_unique<PluginState>();
  state->id = identifier;
  state->identities = std::move(*ids);
  if (int rc = mosquitto_callback_register(identifier, MOSQ_EVT_ACL_CHECK, on_acl_check, nullptr, state.get());
      rc != MOSQ_ERR_SUCCESS) {
    return rc;
  }
  mosquitto_log_printf(MOSQ_LOG_INFO, "madoguchi_broker_acl: %zu hub and %zu device identities",
                       state->identities.hubs.size(), state->identities.devices.size());
  *userdata = state.release();
  return MOSQ_ERR_SUCCESS;
}

__attribute__((visibility("default"))) int mosquitto_plugin_cleanup(void* userdata, struct mosquitto_opt* /*options*/,
                                                                    int /*option_count*/) {
  std::unique_ptr<PluginState> state(static_cast<PluginState*>(userdata));
  if (state) (void)mosquitto_callback_unregister(state->id, MOSQ_EVT_ACL_CHECK, on_acl_check, nullptr);
  return MOSQ_ERR_SUCCESS;
}

}  // extern "C"
