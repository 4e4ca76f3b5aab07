// A small private PKI for one madoguchi deployment: one CA, a server certificate for the mosquitto
// broker and one client certificate per identity (the hub and every edge device).
//
// Why our own CA: mosquitto runs with `require_certificate true` and `use_identity_as_username
// true`, so the certificate CN *is* the MQTT user name the ACL is written for. Any certificate
// signed by the CA in `cafile` can connect, so that CA must be ours alone and never a public one.
//
// Layout of a PKI directory (file names are part of the contract; scripts and the broker config
// refer to them):
//   ca.key, ca.crt              the CA (ca.key mode 0600)
//   <stem>.key, <stem>.crt      one pair per issued certificate (keys mode 0600)
// Keys are unencrypted PEM (PKCS#8) EC P-256, because agents and the broker start unattended.
// Protecting the directory is the operator's job; we only make sure keys are never world-readable,
// not even for a moment (they are created 0600 under a temporary name and renamed into place).
//
// All functions are blocking, touch only the given directory, and are safe to call from several
// threads at once on different directories. Two processes writing the same directory race; the
// rename makes each file whole, but a key and its certificate could come from different runs.
// Every OpenSSL failure is Errc::crypto with OpenSSL's own error text; file failures are Errc::io.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/error.h"

namespace madoguchi::provisioning {

inline constexpr std::string_view kCaKeyFile = "ca.key";
inline constexpr std::string_view kCaCertFile = "ca.crt";
// Stem of the broker's server certificate in a development PKI (see dev_pki.h).
inline constexpr std::string_view kBrokerStem = "broker";

// Validity bounds shared by CA and leaf certificates. The upper bound only catches typos
// (days=36500000); it is not a policy.
inline constexpr int kMinDays = 1;
inline constexpr int kMaxDays = 36500;

struct CaOptions {
  // Subject CN of the CA. Free UTF-8 text of 1-64 characters (X.520 limit, enforced by
  // OpenSSL), e.g. "サンプル市 madoguchi CA".
  std::string common_name = "madoguchi CA";
  // Validity in days, kMinDays..kMaxDays. Ten years: replacing a CA means re-issuing every
  // device certificate, which is a site visit at each city hall.
  int days = 3650;
  // Replace an existing CA. Every certificate issued by the old CA stops verifying.
  bool force = false;
};

// Creates dir/ca.key and dir/ca.crt: an EC P-256 key and a self-signed X509v3 CA certificate
// (basicConstraints critical CA:TRUE, keyUsage critical keyCertSign+cRLSign, subject and authority
// key identifiers, random 128-bit serial, notBefore one hour in the past to tolerate clock skew).
// Creates dir (and parents) if missing.
// Errors: Errc::already_exists if dir/ca.key exists and !options.force; Errc::invalid_argument for
// a bad common_name or days. ca.crt is written before ca.key, so a present ca.key means a complete
// CA: an interrupted run leaves no ca.key and can simply be repeated.
Status create_ca(const std::filesystem::path& dir, const CaOptions& options);

enum class Role {
  server,  // extendedKeyUsage serverAuth, subjectAltName from dns_names/ip_addresses
  client,  // extendedKeyUsage clientAuth; the CN is the MQTT identity (see topics.h)
};

struct IssueOptions {
  // 1-64 characters of [A-Za-z0-9.-]. For clients this is the MQTT user name, so it must be the
  // identity from protocol::device_identity() or protocol::kHubIdentity.
  std::string common_name;
  Role role = Role::client;
  // subjectAltName entries; only used for Role::server (clients are identified by CN alone).
  // DNS names: letters, digits, '-' and '.', optionally starting with "*.". IP addresses: IPv4 or
  // IPv6 literal. TLS clients check the host they dialled against these, not against the CN.
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  // Validity in days, kMinDays..kMaxDays. 825 is the longest leaf lifetime common TLS clients
  // accept.
  int days = 825;
  // Base name of the written files; empty means common_name. Same character rules as common_name.
  std::string file_stem;
  // Replace an existing dir/<stem>.key. Without it an existing key is Errc::already_exists,
  // because silently re-keying a device locks it out until its new key is installed.
  bool force = false;
};

// Issues a certificate signed by dir/ca.key + dir/ca.crt and writes dir/<stem>.crt then
// dir/<stem>.key (0600). Every leaf gets basicConstraints CA:FALSE, keyUsage critical
// digitalSignature, subject/authority key identifiers and a random 128-bit serial.
// Errors: Errc::invalid_argument for a bad CN, stem, SAN entry or days (also when a server
// certificate has no SAN at all); Errc::io if the CA files cannot be read; Errc::crypto if
// ca.key does not belong to ca.crt; Errc::already_exists as described for `force`.
Status issue_certificate(const std::filesystem::path& dir, const IssueOptions& options);

// The subject CN of a PEM certificate, as UTF-8. Errc::not_found if the subject has no CN.
Expected<std::string> certificate_common_name(const std::filesystem::path& crt);

// Succeeds iff `crt` chains to the self-signed certificate in `ca_crt` and is currently valid
// (X509_verify_cert against a store holding only ca_crt). The failure message is OpenSSL's
// verification reason, e.g. "unable to get local issuer certificate" for a foreign CA.
Status verify_certificate(const std::filesystem::path& ca_crt, const std::filesystem::path& crt);

// Writes `out` (mode 0600): a PKCS#12 file holding dir/<stem>.crt, its key and dir/ca.crt, the
// key and certificates encrypted under `password` (OpenSSL's defaults: AES-256-CBC, PBKDF2,
// SHA-256 MAC). For a browser's terminal certificate (ACC-5): browsers import PKCS#12, not PEM.
// Errors: invalid_argument for a bad stem or an empty password (browsers refuse those files),
// io if a file cannot be read or written, crypto.
Status export_pkcs12(const std::filesystem::path& dir, std::string_view stem, const std::filesystem::path& out,
                     std::string_view password);

// The character rules for common_name and file_stem, exposed so callers can check input early.
bool valid_common_name(std::string_view name) noexcept;

}  // namespace madoguchi::provisioning
