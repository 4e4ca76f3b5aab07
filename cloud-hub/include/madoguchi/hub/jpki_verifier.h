// The hub's check of a resident's JPKI sign-in at a kiosk (KON-2, issue 13): the user-
// authentication certificate chains to the JPKI root the hub trusts, is valid at the time of the
// request, is not revoked (the CRL the hub keeps current; reloaded when its file changes), is
// meant for authentication (digitalSignature, clientAuth), and its key signed the challenge the
// hub issued. OpenSSL stays in the implementation. Thread-safe: verify() may run on every web
// thread at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "madoguchi/error.h"

namespace madoguchi::hub {

struct JpkiIdentity {
  std::string serial;  // upper-case hex, as domain::normalize_jpki_serial
  std::int64_t not_after_s = 0;
};

class JpkiVerifier {
 public:
  // `ca_file`: the JPKI root (PEM). `crl_file`: its CRL (PEM), required: without a revocation
  // source no sign-in is accepted (KON-2: revoked cards must not get certificates).
  static Expected<std::unique_ptr<JpkiVerifier>> open(const std::filesystem::path& ca_file, const std::filesystem::path& crl_file);
  ~JpkiVerifier();

  // Errc::forbidden with a reason code as the message ("certificate_revoked", "certificate_expired",
  // "certificate_untrusted", "certificate_purpose", "signature_invalid", "crl_stale") or
  // Errc::malformed ("certificate_malformed"). `now_s` is the request's time (Unix seconds).
  Expected<JpkiIdentity> verify(std::string_view certificate_der, std::string_view signed_data, std::string_view signature,
                                std::int64_t now_s);

  // Reads the CRL again when its file changed (called by verify() at most once a second).
  Status refresh();

  // Whether revocation can be checked at `now_s` (for 障害通知): the CRL in force is past its
  // next update (every sign-in is then refused as crl_stale), or a newer file does not read.
  struct Revocation {
    bool stale = false;
    std::int64_t next_update_s = 0;
    std::string text;  // for staff; empty when all is well
  };
  Revocation revocation(std::int64_t now_s);

  struct State;  // the trust store (jpki_verifier.cc)

 private:
  JpkiVerifier() = default;
  std::filesystem::path ca_file_, crl_file_;
  std::mutex mutex_;
  std::shared_ptr<State> state_;  // swapped whole on a refresh
  std::filesystem::file_time_type crl_mtime_{};
  std::chrono::steady_clock::time_point checked_{};
};

}  // namespace madoguchi::hub
