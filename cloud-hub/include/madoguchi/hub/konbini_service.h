// Convenience-store issuance at the hub (KON-1..KON-7; issue 13): the municipality's issuance
// service behind the issuing center, over mutual TLS (docs/formats/kiosk-interface.md):
//
//   POST /kiosk/v1/{muni}/challenge   a request id and the store: the challenge the card signs
//   POST /kiosk/v1/{muni}/issue       the card's certificate and signature, the certificate asked
//                                     for: the PDF, or a refusal (retried: the same PDF)
//   POST /kiosk/v1/{muni}/complete    the kiosk printed it: the PDF is dropped, the record stays
//   POST /kiosk/v1/{muni}/cancel      the whole request is cancelled (a timeout at the kiosk)
//   GET  /kiosk/v1/{muni}/status?request=ID
//   POST /kiosk/v1/{muni}/heartbeat   the center is there (every minute; 障害通知 watches it)
//
// Every certificate is bound to its request and to the resident the JPKI certificate maps to, from
// the challenge to the returned bytes: the request's row (KonbiniStore) holds the fingerprint of
// what was asked and the certificate serial, each step is a conditional state change in one
// transaction, and the bytes are only ever returned for that request and that fingerprint. Nothing
// lives in process memory between steps, so the same code runs on one hub or several sharing the
// data directory.
//
// Thread-safe: handle() runs on every web thread. Reads of the certificate database go through the
// CertificateSource (the hub takes its application lock there); the PDF is rendered outside it.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "madoguchi/console/app/konbini_records.h"
#include "madoguchi/domain/alarm.h"
#include "madoguchi/domain/konbini.h"
#include "madoguchi/http/server.h"
#include "madoguchi/hub/jpki_verifier.h"
#include "madoguchi/hub/konbini_store.h"
#include "madoguchi/log.h"
#include "madoguchi/transport.h"

namespace madoguchi::hub {

// The certificate database of a municipality, as issuance reads it (a port: tests give a fake).
class CertificateSource {
 public:
  virtual ~CertificateSource() = default;
  // Everything domain::decide_issuance reads about the holder of the JPKI certificate `serial`,
  // except the date and time (the service sets them).
  virtual Expected<domain::IssuanceFacts> facts(const std::string& municipality, const std::string& serial, std::int64_t now_ms) = 0;
  // A registered seal's impression (PNG) by its SHA-256.
  virtual Expected<std::string> seal_image(const std::string& municipality, const std::string& sha256) = 0;
};

struct KonbiniOptions {
  std::map<std::string, domain::IssuancePolicy> policies;  // the municipalities that offer issuance
  std::int64_t challenge_ttl_ms = 120'000;  // a challenge must be signed and used within this
  std::int64_t complete_ms = 300'000;       // claim → completed, or the whole request is cancelled
  std::int64_t stale_claim_ms = 30'000;     // a claim older than this was a hub that stopped mid-way
  std::string signing_seed;                 // Ed25519 seed (32 bytes) signing the verification codes
  std::string verify_url;                   // the verification page, printed in the QR: <url>?c=<code>
  std::string font_family = "IPAmjMincho";
  std::map<std::string, std::string> municipal_seals;  // municipality → the mayor's seal (PNG)
  int utc_offset_minutes = 9 * 60;          // local time of the service hours and the dates (JST)
};

class KonbiniService {
 public:
  KonbiniService(KonbiniOptions options, CertificateSource& source, JpkiVerifier& jpki, const Clock& clock, LogSink log);
  ~KonbiniService();

  // Opens <data_dir>/<muni>.konbini.db for every municipality of the options.
  Status open(const std::filesystem::path& data_dir);

  http::Response handle(const http::Request& request);

  // The verification page (GET ?c=CODE, or POST a PDF): whether a code was signed by this hub and
  // which certificate it names, and whether a PDF is byte for byte one the hub issued.
  http::Response verify_page(const http::Request& request);

  // Expires unused challenges and cancels requests not completed in time (every second).
  void tick();

  // For 障害通知 (OPS-1): the center's last word, the requests the hub failed within `window_ms`
  // (failures, not refusals), and whether revocation can be checked. nullopt: the municipality
  // does not issue here.
  std::optional<domain::IssuanceHealth> health(const std::string& municipality, std::int64_t window_ms);

  // コンビニ交付記録 (the console, KON-6): requests of a municipality, under the store's lock.
  Expected<std::vector<IssuanceRow>> records(const std::string& municipality, std::int64_t from_ms, std::int64_t to_ms,
                                             const std::string& before, std::size_t max);
  Expected<std::optional<IssuanceRow>> record(const std::string& municipality, const std::string& request);
  Expected<std::vector<KonbiniStore::Tally>> tallies(const std::string& municipality, std::int64_t from_ms, std::int64_t to_ms,
                                                     std::size_t max);

  // The Ed25519 public key the verification page checks with (32 bytes).
  const std::string& public_key() const { return public_key_; }
  KonbiniStore* store(const std::string& municipality);

 private:
  struct Muni {
    std::mutex mutex;  // one statement sequence at a time on the store's connection
    std::unique_ptr<KonbiniStore> store;
    std::mutex health_mutex;  // the fields below
    std::int64_t last_contact_ms = 0;
    std::deque<std::int64_t> failures;  // when requests failed, the latest 1,000
    std::string last_failure;
  };
  // Logs a request the hub failed (not a refusal) and counts it for 障害通知.
  void failed(const std::string& muni, Muni& m, const std::string& what);
  http::Response challenge(const std::string& muni, Muni& m, const http::Request& r);
  http::Response issue(const std::string& muni, Muni& m, const http::Request& r);
  http::Response finish(const std::string& muni, Muni& m, const http::Request& r, bool complete);
  http::Response status(Muni& m, const http::Request& r);

  KonbiniOptions options_;
  CertificateSource& source_;
  JpkiVerifier& jpki_;
  const Clock& clock_;
  LogSink log_;
  std::string secret_key_, public_key_;
  std::map<std::string, std::unique_ptr<Muni>> munis_;
  std::int64_t opened_ms_ = 0;
};

// The console's コンビニ交付記録 over one municipality's issuance records.
class HubKonbiniRecords final : public console::app::KonbiniRecords {
 public:
  HubKonbiniRecords(KonbiniService& service, std::string municipality) : service_(service), municipality_(std::move(municipality)) {}
  Expected<console::app::KonbiniRecordPage> list(std::int64_t from_ms, std::int64_t to_ms, const std::string& before, std::size_t max) override;
  Expected<std::optional<console::app::KonbiniRecord>> get(const std::string& request) override;
  Expected<std::vector<console::app::KonbiniTally>> tallies(std::int64_t from_ms, std::int64_t to_ms, std::size_t max) override;

 private:
  KonbiniService& service_;
  std::string municipality_;
};

}  // namespace madoguchi::hub
