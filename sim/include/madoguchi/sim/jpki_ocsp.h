// The simulated JPKI's OCSP responder (RFC 6960 over HTTP POST; issue 13, KON-2): what the
// authority in a directory made by jpki::init_authority says of a certificate at this moment.
// revoked.tsv is read on every request, so `madoguchi-sim jpki revoke --no-crl` is seen here at
// once while the CRL still carries the old list (the real service publishes its CRL on a schedule
// and answers OCSP from its live database). Responses are signed by the authority itself (RFC 6960
// 4.2.2.2: the CA that issued the certificate), carry the request's nonce, and are good for
// `valid_minutes` (nextUpdate). A serial the authority never revoked is "good": the simulated
// authority keeps no register of what it issued. Test data only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "madoguchi/error.h"

namespace madoguchi::sim::jpki {

// One DER OCSPResponse for one DER OCSPRequest. A request that does not parse, asks for nothing
// or for more than 16 certificates is answered malformedRequest (still a response, as RFC 6960
// wants); a certificate of another issuer is "unknown". Errors only for the authority's own
// files (Errc::io, Errc::crypto).
Expected<std::string> ocsp_respond(const std::filesystem::path& authority_dir, std::string_view request_der, int valid_minutes = 60);

// The responder as an HTTP server (madoguchi_http on its own thread): POST any path with
// Content-Type application/ocsp-request, body up to 64 KiB; the answer is
// application/ocsp-response. Other methods: 405.
class OcspResponder {
 public:
  struct Options {
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;  // 0: any free port (see port())
    int valid_minutes = 60;
  };
  static Expected<std::unique_ptr<OcspResponder>> start(const std::filesystem::path& authority_dir, const Options& options);
  ~OcspResponder();  // stops and joins
  OcspResponder(const OcspResponder&) = delete;
  OcspResponder& operator=(const OcspResponder&) = delete;
  std::uint16_t port() const;
  std::uint64_t answered() const;  // responses sent (any status)

  struct Impl;

 private:
  explicit OcspResponder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace madoguchi::sim::jpki
