// A complete PKI for a registry in one call: what `madoguchi-provision dev-pki` does, and what
// test fixtures and the simulator use to stand up a broker.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "madoguchi/error.h"
#include "madoguchi/provisioning/broker_config.h"

namespace madoguchi::provisioning {

struct PkiFileReport {
  std::string stem;  // "ca", "broker", "hub", "131016.counter-01", ...
  bool created;      // false: an existing pair was kept
};

// Makes sure dir holds, signed by one CA:
//   ca.key/ca.crt                  created if ca.key is missing
//   broker.key/broker.crt          server, SAN DNS:localhost, IP:127.0.0.1, IP:::1
//   hub.key/hub.crt                client, CN protocol::kHubIdentity
//   <muni>.<device>.key/.crt       client, CN and stem protocol::device_identity, per device
// Idempotent: an existing pair is kept, never re-keyed, so devices already deployed keep working.
// A kept certificate must still verify against ca.crt; if it does not (the CA was replaced), this
// fails with Errc::conflict naming the file rather than handing out a broker that rejects
// everyone. A key without its certificate is Errc::conflict too (it is never re-keyed silently).
// Returns one entry per pair, in the order above. Errors as pki.h; stops at the first failure,
// leaving the pairs completed so far in place (a rerun continues from there).
Expected<std::vector<PkiFileReport>> ensure_dev_pki(const std::filesystem::path& dir,
                                                    const Registry& registry);

}  // namespace madoguchi::provisioning
