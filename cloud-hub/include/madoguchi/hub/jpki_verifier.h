// The hub's check of a resident's JPKI sign-in at a kiosk (KON-2, issue 13): the user-
// authentication certificate chains to the JPKI root the hub trusts, is valid at the time of the
// request, is not revoked (the CRL the hub keeps current, reloaded when its file changes, and,
// when configured, the service's OCSP responder, which knows of a revocation before the next CRL
// is published), is meant for authentication (digitalSignature, clientAuth), and its key signed
// the challenge the hub issued. OpenSSL stays in the implementation. Thread-safe: verify() may run
// on every web thread at once.
//
// OCSP (RFC 6960, HTTP POST to the configured URL, never to one a certificate names): asked only
// for a sign-in that passed every other check; the answer must be signed by the JPKI root (or a
// responder it certified for OCSP signing), carry our nonce and be current. "revoked" refuses
// (certificate_revoked), "unknown" refuses (certificate_untrusted), "good" is reused for that
// serial up to cache_seconds (never past the answer's nextUpdate). A responder that cannot be
// asked, or an answer that fails those checks, leaves the CRL's verdict standing (the CRL is
// current, or every sign-in is refused as crl_stale) and is reported by revocation() for
// 障害通知.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "madoguchi/error.h"

struct x509_st;  // OpenSSL's X509, named here only for a private member function

namespace madoguchi::hub {

struct JpkiIdentity {
  std::string serial;  // upper-case hex, as domain::normalize_jpki_serial
  std::int64_t not_after_s = 0;
};

struct OcspOptions {
  std::string url;  // http://host:port/path; empty: the CRL alone
  std::chrono::milliseconds timeout{2000};
  std::int64_t cache_seconds = 60;  // a good answer is reused this long: a revocation takes effect within it
};

class JpkiVerifier {
 public:
  // `ca_file`: the JPKI root (PEM). `crl_file`: its CRL (PEM), required: without a revocation
  // source no sign-in is accepted (KON-2: revoked cards must not get certificates). Errors:
  // Errc::invalid_argument for an OCSP URL that is not http(s)://host[:port][/path].
  static Expected<std::unique_ptr<JpkiVerifier>> open(const std::filesystem::path& ca_file, const std::filesystem::path& crl_file,
                                                      OcspOptions ocsp = {});
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
    // Non-empty: the last OCSP question within the cache period found no usable answer and none
    // has since (why, for staff); the CRL alone decides meanwhile.
    std::string ocsp_trouble;
  };
  Revocation revocation(std::int64_t now_s);

  // OCSP questions asked and their outcomes (tests, the log).
  struct OcspStats {
    std::uint64_t asked = 0, good = 0, revoked = 0, unknown = 0, failed = 0, cached = 0;
  };
  OcspStats ocsp_stats() const;

  struct State;  // the trust store (jpki_verifier.cc)
  struct Ocsp;   // the responder, its cache and counters (jpki_verifier.cc)

 private:
  JpkiVerifier() = default;
  // Asks the OCSP responder (or its cache) about a certificate that passed every other check.
  // Errc::forbidden "certificate_revoked" / "certificate_untrusted"; success also when the
  // responder could not be asked (the CRL decided).
  Status check_ocsp(const std::string& serial, ::x509_st* cert, const State& state);
  std::filesystem::path ca_file_, crl_file_;
  std::mutex mutex_;
  std::shared_ptr<State> state_;  // swapped whole on a refresh
  std::filesystem::file_time_type crl_mtime_{};
  std::chrono::steady_clock::time_point checked_{};
  std::unique_ptr<Ocsp> ocsp_;  // null: CRL only
};

}  // namespace madoguchi::hub
