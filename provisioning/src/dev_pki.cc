#include "madoguchi/provisioning/dev_pki.h"

#include "files.h"
#include "madoguchi/protocol/topics.h"
#include "madoguchi/provisioning/pki.h"

namespace madoguchi::provisioning {
namespace {

// Keeps an existing pair if it is complete and still signed by the current CA, issues it
// otherwise.
Expected<PkiFileReport> ensure_pair(const std::filesystem::path& dir, const IssueOptions& options) {
  const std::string stem = options.file_stem.empty() ? options.common_name : options.file_stem;
  const auto key = dir / (stem + ".key");
  const auto crt = dir / (stem + ".crt");
  if (detail::path_exists(key)) {
    if (!detail::path_exists(crt)) {
      return make_error(Errc::conflict, key.string() + " exists without " + crt.filename().string() +
                                            "; remove the key or re-issue with --force");
    }
    if (auto st = verify_certificate(dir / kCaCertFile, crt); !st) {
      return make_error(Errc::conflict, "keeping existing " + crt.filename().string() +
                                            " failed (was the CA replaced? re-issue with --force): " +
                                            st.error().describe());
    }
    return PkiFileReport{stem, false};
  }
  if (auto st = issue_certificate(dir, options); !st) return st.error();
  return PkiFileReport{stem, true};
}

}  // namespace

Expected<std::vector<PkiFileReport>> ensure_dev_pki(const std::filesystem::path& dir,
                                                    const Registry& registry) {
  std::vector<PkiFileReport> report;
  if (detail::path_exists(dir / kCaKeyFile)) {
    if (!detail::path_exists(dir / kCaCertFile)) {
      return make_error(Errc::conflict, (dir / kCaKeyFile).string() + " exists without " +
                                            std::string(kCaCertFile));
    }
    report.push_back({"ca", false});
  } else {
    CaOptions ca;
    ca.common_name = "madoguchi development CA";
    if (auto st = create_ca(dir, ca); !st) return st.error();
    report.push_back({"ca", true});
  }

  std::vector<IssueOptions> wanted;
  IssueOptions broker;
  broker.common_name = std::string(kBrokerStem);
  broker.role = Role::server;
  broker.dns_names = {"localhost"};
  broker.ip_addresses = {"127.0.0.1", "::1"};
  wanted.push_back(broker);

  IssueOptions hub;
  hub.common_name = std::string(protocol::kHubIdentity);
  hub.role = Role::client;
  wanted.push_back(hub);

  for (const auto& muni : registry.municipalities) {
    for (const auto& device : muni.devices) {
      IssueOptions opts;
      opts.common_name = protocol::device_identity(muni.code, device.id);
      opts.role = Role::client;
      wanted.push_back(std::move(opts));
    }
  }

  for (const auto& opts : wanted) {
    auto r = ensure_pair(dir, opts);
    if (!r) return r.error();
    report.push_back(*r);
  }
  return report;
}

}  // namespace madoguchi::provisioning
