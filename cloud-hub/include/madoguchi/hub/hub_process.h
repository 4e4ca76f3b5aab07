// The hub process: HubEngine + MQTT client (shared subscription) + local HTTP API on one
// Boost.Asio loop. libmosquitto's network thread only posts events to the loop.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "madoguchi/error.h"
#include "madoguchi/domain/alarm.h"
#include "madoguchi/hub/hub_engine.h"
#include "madoguchi/http/server.h"

namespace madoguchi::hub {

struct HubConfig {
  std::filesystem::path data_dir = "var/hub";   // one <municipality>.db per municipality
  std::filesystem::path registry_file;          // required: registry.json (devices per municipality)
  std::string broker_host = "localhost";
  std::uint16_t broker_port = 8883;
  std::filesystem::path ca_file, cert_file, key_file;  // required: the hub's TLS identity
  std::string instance = "1";                   // distinguishes hub instances sharing the load
  std::string http_address = "127.0.0.1";
  std::uint16_t http_port = 0;                  // 0 = no HTTP listener
  std::uint64_t feed_retention = 200000;
  // The administration console (console::app with staff management), one listener per
  // municipality: console_ports maps a municipality code to its port (empty = no console). One
  // port each keeps every page's paths and cookies as the edge's, and each municipality's
  // sessions apart; a deployment gives each port its own host name at the load balancer.
  std::string console_address = "127.0.0.1";
  std::map<std::string, std::uint16_t> console_ports;
  // HTTPS (both or neither). Required, with console_client_ca, when console_address is not a
  // loopback address: plain HTTP is for development on 127.0.0.1 only.
  std::filesystem::path console_tls_cert, console_tls_key;
  // The deployment CA (PEM) that signs the registered terminals' client certificates: when set,
  // the TLS handshake fails without such a certificate (ACC-5: ID and password alone get nobody in).
  std::filesystem::path console_client_ca;
  // The citizen booking site (RSV, cloud-hub/portal): one listener for every municipality, each
  // site under its own path ("/131016/" by default). portal_port 0 = no site.
  std::string portal_address = "127.0.0.1";
  std::uint16_t portal_port = 0;
  // HTTPS (both or neither); required when portal_address is not a loopback address. Without TLS
  // (development on 127.0.0.1) the site's cookies are not marked Secure.
  std::filesystem::path portal_tls_cert, portal_tls_key;
  // A file of at least 32 bytes keying the site's visit ids, CSRF tokens and rate-limit keys.
  // Absent: a random key per start (visits in progress do not survive a restart).
  std::filesystem::path portal_secret_file;
  struct PortalSite {
    std::string path;           // "/<segment>[/...]", no trailing slash
    std::string name;           // the municipality's name on the site, e.g. "〇〇市"
    std::string contact_phone;  // for questions and changes after the deadline
    std::string contact_hours;
  };
  // Per municipality; a municipality of the registry without an entry gets path "/<code>".
  std::map<std::string, PortalSite> portal_sites;
  // The site's public address as residents reach it ("https://yoyaku.example.jp"), used in mails.
  std::string public_url;
  // The names the citizen site and the consoles answer to, besides localhost, 127.0.0.1, ::1 and
  // the host of public_url: a request for any other Host gets 421 (DNS rebinding, misdirected
  // requests). E.g. ["yoyaku.example.jp", "madoguchi-hub.lg.jp"].
  std::vector<std::string> host_names;
  // FOR LOAD TESTS, or a trusted front proxy through which every resident arrives from one
  // address: multiplies the site's per-client-address limits (new visits, identity checks and
  // sign-ins per address: burst and refill, portal::PortalOptions) by this factor. The limits per
  // postcard or receipt number are never scaled. 1 (the default) keeps the limits meant for single
  // persons; must be 1..1000000.
  double portal_client_limit_scale = 1.0;
  // Connections one client address may hold at the citizen site (1..1024): slow or idle
  // connections of an address at its cap are shed first, so 1,000 slow connections from one
  // address cannot crowd residents out. Raise it only for load tests or behind a front proxy.
  std::size_t portal_connections_per_client = 32;
  // Threads serving the web (the citizen site, the consoles, the local API), besides the sync
  // thread, each running an io_context of its own; connections are dealt to them in turn and
  // each stays on one strand (its requests in order). TLS, HTTP, the citizen site's pages and
  // the booking password hashing run on all of them at once; the stores, caches and the engine
  // one call at a time under one lock, shared with the sync thread (docs/architecture.md,
  // "Threads"). 0 (the default) = one per core; at most 64.
  std::size_t web_threads = 0;
  // The staleness guard (domain::linkage_guard, 連携状況): certificates are suppressed when no
  // linkage agent has been heard for linkage_silence_minutes; a source with no file for
  // linkage_quiet_minutes is shown as an alarm.
  std::int64_t linkage_silence_minutes = 10;
  std::int64_t linkage_quiet_minutes = 5;
  // The MJ data for the 外字対照表's suggestions (mji-list.tsv, mj-readings.tsv,
  // MJShrinkMap.1.2.0.json; installable data, CC BY-SA 2.1 JP). Empty: none, staff type characters.
  std::filesystem::path mj_data_dir;
  // The resident's booking mails (RSV-10, RSV-12..RSV-14, cloud-hub hub_mail.h): the SMTP relay.
  // Empty smtp_url = no mail at all (logged once at start). smtp://host:port uses STARTTLS, which
  // is required unless smtp_starttls is false (plain SMTP: only to a relay on 127.0.0.1 / ::1 /
  // localhost, never with credentials); smtps://host:port is TLS from the first byte.
  std::string smtp_url;
  std::string smtp_user;                        // AUTH when set, with the password in...
  std::filesystem::path smtp_password_file;     // ...this file (first line; required with smtp_user)
  std::filesystem::path smtp_ca_file;           // PEM to verify the relay with; empty: system CAs
  bool smtp_starttls = true;
  // The first retry after a failed attempt, doubling up to an hour (drivers/mail RetryPolicy).
  std::uint32_t smtp_retry_seconds = 60;
  // Convenience-store issuance (issue 13, KON-1..KON-7; docs/formats/kiosk-interface.md): the
  // issuance service the issuing center calls, over mutual TLS only. port 0 = none.
  struct Konbini {
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;
    std::filesystem::path tls_cert, tls_key;     // the hub's server identity for the center
    std::filesystem::path client_ca;             // the CA of the center's client certificates (required)
    std::filesystem::path jpki_ca, jpki_crl;     // the JPKI root and its CRL (required; the CRL is re-read when it changes)
    std::string jpki_ocsp;                       // the JPKI OCSP responder (http://...); empty: the CRL alone
    // The Ed25519 seed (64 hex digits) that signs the verification codes; empty:
    // <data_dir>/konbini-signing.key, made (mode 0600) at the first start.
    std::filesystem::path signing_key;
    std::string verify_url;                      // the verification page as residents reach it (printed in the QR)
    std::string font = "IPAmjMincho";
    std::map<std::string, std::string> policies;             // municipality → its policy (JSON, domain::issuance_policy_from_json)
    std::map<std::string, std::filesystem::path> seal_images;  // municipality → the mayor's seal (PNG); none: drawn
    // The issuance service's own threads. Each issue step blocks on the certificate database,
    // its commits' fdatasync, the OCSP question and the PDF; on threads of its own these waits
    // neither idle the cores nor hold up the consoles and the citizen site on the web threads.
    std::size_t threads = 8;
  };
  Konbini konbini;
  // 障害通知 (OPS-1, alarm_service.h): how often each municipality with a console is checked,
  // and the thresholds (domain::AlarmPolicy). hub.json "alarms": {"check_seconds",
  // "device_silent_minutes", "center_silent_minutes", "disk_min_free_mb", "disk_min_free_percent",
  // "office_hours": "08:30-17:15", "office_saturday"}.
  struct Alarms {
    std::int64_t check_seconds = 15;
    domain::AlarmPolicy policy;
  };
  Alarms alarms;
};

Expected<HubConfig> load_hub_config(const std::filesystem::path& file);
Status run_hub(const HubConfig& config);

// The hub's local API as a plain function (testable without sockets):
//   GET /healthz
//   GET /api/v1/status                                 per municipality: feed head, records, devices
//   GET /api/v1/{muni}/records/{entity}/{key}
//   PUT /api/v1/{muni}/records/{entity}/{key}?base_version=N   a change made at the hub
//   DELETE /api/v1/{muni}/records/{entity}/{key}?base_version=N
//   POST /api/v1/{muni}/records                        several changes in one transaction:
//        [{"entity":…,"key":…,"body":{…}|null}, …] → {"written":n}; the first refusal rolls back all
http::Response handle_hub_api(HubEngine& engine, const DeviceRegistry& registry, const http::Request& request);

}  // namespace madoguchi::hub
