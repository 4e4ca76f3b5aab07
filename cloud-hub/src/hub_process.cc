#include "madoguchi/hub/hub_process.h"

#include <sys/random.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/steady_timer.hpp>
#include <algorithm>
#include <charconv>
#include <mutex>
#include <thread>
#include <type_traits>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "madoguchi/json_config.h"
#include <set>
#include <sstream>

#include "madoguchi/domain/certificate_data.h"
#include "madoguchi/domain/linkage_reconcile.h"
#include "madoguchi/domain/staff.h"
#include "madoguchi/http/api_token.h"
#include "madoguchi/domain/write_policy.h"
#include "madoguchi/console/app/console_app.h"
#include "madoguchi/hub/booking_service.h"
#include "madoguchi/hub/hub_mail.h"
#include "madoguchi/mail/curl_transport.h"
#include "madoguchi/portal/portal.h"
#include "madoguchi/hub/console_store.h"
#include "madoguchi/hub/gaiji_service.h"
#include "madoguchi/hub/jpki_verifier.h"
#include "madoguchi/hub/card_store.h"
#include "madoguchi/hub/konbini_flags.h"
#include "madoguchi/console/app/excel_writers.h"
#include "madoguchi/console/app/page_decoder.h"
#include "madoguchi/hub/alarm_service.h"
#include "madoguchi/hub/konbini_service.h"
#include "madoguchi/hub/konbini_source.h"
#include "madoguchi/hub/linkage_reconciler.h"
#include "madoguchi/hub/linkage_view.h"
#include "madoguchi/hub/sync_view.h"
#include "madoguchi/hub/master_store.h"
#include "madoguchi/log/stderr_sink.h"
#include "madoguchi/mqtt/mqtt_client.h"
#include "madoguchi/protocol/topics.h"
#include "madoguchi/provisioning/broker_config.h"

namespace madoguchi::hub {

namespace asio = boost::asio;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// "/seg[/seg...]" of [A-Za-z0-9_-]: a site's mount point (portal_sites.*.path).
bool valid_site_path(const std::string& path) {
  if (path.size() < 2 || path.size() > 64 || path.front() != '/' || path.back() == '/') return false;
  char prev = '/';
  for (std::size_t i = 1; i < path.size(); ++i) {
    const char ch = path[i];
    const bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
                    (ch == '/' && prev != '/');
    if (!ok) return false;
    prev = ch;
  }
  return true;
}

// The relay settings as drivers/mail takes them; the password is read by the caller.
mail::SmtpConfig smtp_config(const HubConfig& c, std::string password) {
  mail::SmtpConfig m;
  m.url = c.smtp_url;
  if (c.smtp_url.rfind("smtps://", 0) == 0) {
    m.tls = mail::SmtpTls::smtps;
  } else {
    m.tls = c.smtp_starttls ? mail::SmtpTls::starttls : mail::SmtpTls::none;
  }
  m.username = c.smtp_user;
  m.password = std::move(password);
  m.ca_file = c.smtp_ca_file.string();
  return m;
}

Status check_smtp_config(const HubConfig& c) {
  if (c.smtp_url.empty()) {
    if (!c.smtp_user.empty() || !c.smtp_password_file.empty() || !c.smtp_ca_file.empty() || !c.smtp_starttls) {
      return make_error(Errc::invalid_argument, "smtp_user, smtp_password_file, smtp_ca_file and smtp_starttls need smtp_url");
    }
    return {};
  }
  if (c.smtp_user.empty() != c.smtp_password_file.empty()) {
    return make_error(Errc::invalid_argument, "smtp_user and smtp_password_file go together");
  }
  if (!c.smtp_starttls && c.smtp_url.rfind("smtps://", 0) == 0) {
    return make_error(Errc::invalid_argument, "smtp_starttls false is for a plain smtp:// relay on this host, not smtps://");
  }
  // The password itself is read at start; a placeholder lets the rules about credentials apply.
  if (auto s = mail::validate_smtp_config(smtp_config(c, c.smtp_user.empty() ? "" : "x")); !s) {
    return make_error(Errc::invalid_argument, "smtp: " + s.error().message);
  }
  return {};
}

}  // namespace

// The names the hub's web servers answer to: the loopback names, the host of public_url and the
// configured host_names.
std::vector<std::string> served_host_names(const HubConfig& c) {
  std::vector<std::string> names = http::ServerOptions{}.host_names;
  if (const auto scheme = c.public_url.find("://"); scheme != std::string::npos) {
    std::string rest = c.public_url.substr(scheme + 3);
    rest = rest.substr(0, rest.find('/'));
    if (auto name = http::host_name_of(rest); !name.empty()) names.push_back(name);
  }
  names.insert(names.end(), c.host_names.begin(), c.host_names.end());
  return names;
}

namespace {

// hub.json "konbini": the issuance service (HubConfig::Konbini). Mutual TLS is required: the
// service hands out residents' certificates.
Status read_konbini(const json& k, HubConfig::Konbini& out) {
  if (!k.is_object()) return make_error(Errc::malformed, "must be an object");
  static const std::set<std::string> keys = {"address", "port", "tls_cert", "tls_key", "client_ca", "jpki_ca", "jpki_crl",
                                             "jpki_ocsp", "signing_key", "verify_url", "font", "municipalities", "seal_images",
                                             "threads"};
  for (auto it = k.begin(); it != k.end(); ++it) {
    if (!keys.count(it.key())) return make_error(Errc::malformed, "unknown key '" + it.key() + "'");
  }
  out.address = k.value("address", out.address);
  out.port = json_port(k, "port", 0);
  out.tls_cert = k.value("tls_cert", std::string());
  out.tls_key = k.value("tls_key", std::string());
  out.client_ca = k.value("client_ca", std::string());
  out.jpki_ca = k.value("jpki_ca", std::string());
  out.jpki_crl = k.value("jpki_crl", std::string());
  out.jpki_ocsp = k.value("jpki_ocsp", std::string());  // checked by JpkiVerifier::open at start
  out.signing_key = k.value("signing_key", std::string());
  out.verify_url = k.value("verify_url", std::string());
  out.font = k.value("font", out.font);
  if (k.contains("threads")) {
    const json& t = k.at("threads");
    if (!t.is_number_integer() || t.get<std::int64_t>() < 1 || t.get<std::int64_t>() > 64) {
      return make_error(Errc::malformed, "threads must be an integer from 1 to 64");
    }
    out.threads = t.get<std::size_t>();
  }
  if (k.contains("municipalities")) {
    const json& m = k.at("municipalities");
    if (!m.is_object()) return make_error(Errc::malformed, "municipalities must be an object of policies");
    for (auto it = m.begin(); it != m.end(); ++it) {
      auto policy = domain::issuance_policy_from_json(it.value().dump());
      if (!policy) return policy.error().with_context("municipalities." + it.key());
      out.policies[it.key()] = it.value().dump();
    }
  }
  if (k.contains("seal_images")) {
    const json& m = k.at("seal_images");
    if (!m.is_object()) return make_error(Errc::malformed, "seal_images must be an object of PNG files");
    for (auto it = m.begin(); it != m.end(); ++it) out.seal_images[it.key()] = it.value().get<std::string>();
  }
  if (out.port != 0 && (out.tls_cert.empty() || out.tls_key.empty() || out.client_ca.empty())) {
    return make_error(Errc::malformed, "the issuance service needs tls_cert, tls_key and client_ca (mutual TLS with the issuing center)");
  }
  if (out.port != 0 && (out.jpki_ca.empty() || out.jpki_crl.empty())) {
    return make_error(Errc::malformed, "the issuance service needs jpki_ca and jpki_crl (KON-2)");
  }
  if (out.port != 0 && out.policies.empty()) return make_error(Errc::malformed, "municipalities: at least one policy");
  return {};
}

// hub.json "alarms": the watch of 障害通知 (HubConfig::Alarms).
Status read_alarms(const json& a, HubConfig::Alarms& out) {
  if (!a.is_object()) return make_error(Errc::malformed, "must be an object");
  static const std::set<std::string> keys = {"check_seconds", "device_silent_minutes", "center_silent_minutes", "disk_min_free_mb",
                                             "disk_min_free_percent", "office_hours", "office_saturday"};
  for (auto it = a.begin(); it != a.end(); ++it) {
    if (!keys.count(it.key())) return make_error(Errc::malformed, "unknown key '" + it.key() + "'");
  }
  auto integer = [&](const char* key, std::int64_t lo, std::int64_t hi) -> Expected<std::optional<std::int64_t>> {
    if (!a.contains(key)) return std::optional<std::int64_t>();
    const json& v = a.at(key);
    if (!v.is_number_integer() || v.get<std::int64_t>() < lo || v.get<std::int64_t>() > hi) {
      return make_error(Errc::malformed, std::string(key) + " must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
    }
    return std::optional<std::int64_t>(v.get<std::int64_t>());
  };
  auto& p = out.policy;
  if (auto v = integer("check_seconds", 1, 3600); !v) return v.error(); else if (*v) out.check_seconds = **v;
  if (auto v = integer("device_silent_minutes", 1, 10080); !v) return v.error(); else if (*v) p.device_silent_ms = **v * 60'000;
  if (auto v = integer("center_silent_minutes", 1, 1440); !v) return v.error(); else if (*v) p.center_silent_ms = **v * 60'000;
  if (auto v = integer("disk_min_free_mb", 0, 1LL << 30); !v) return v.error(); else if (*v) p.disk_min_free_bytes = static_cast<std::uint64_t>(**v) << 20;
  if (auto v = integer("disk_min_free_percent", 0, 100); !v) return v.error(); else if (*v) p.disk_min_free_percent = static_cast<unsigned>(**v);
  if (a.contains("office_hours")) {
    const json& h = a.at("office_hours");
    auto minute = [](std::string_view t) -> int {
      if (t.size() != 5 || t[2] != ':' || !std::isdigit(static_cast<unsigned char>(t[0])) || !std::isdigit(static_cast<unsigned char>(t[1])) ||
          !std::isdigit(static_cast<unsigned char>(t[3])) || !std::isdigit(static_cast<unsigned char>(t[4]))) {
        return -1;
      }
      const int hh = (t[0] - '0') * 10 + (t[1] - '0'), mm = (t[3] - '0') * 10 + (t[4] - '0');
      return hh > 24 || mm > 59 || (hh == 24 && mm != 0) ? -1 : hh * 60 + mm;
    };
    const std::string text = h.is_string() ? h.get<std::string>() : std::string();
    const int open = text.size() == 11 && text[5] == '-' ? minute(std::string_view(text).substr(0, 5)) : -1;
    const int close = text.size() == 11 && text[5] == '-' ? minute(std::string_view(text).substr(6)) : -1;
    if (open < 0 || close < 0 || open >= close) return make_error(Errc::malformed, "office_hours must be \"HH:MM-HH:MM\", opening before closing");
    p.office_open_minute = open;
    p.office_close_minute = close;
  }
  if (a.contains("office_saturday")) {
    if (!a.at("office_saturday").is_boolean()) return make_error(Errc::malformed, "office_saturday must be true or false");
    p.office_saturday = a.at("office_saturday").get<bool>();
  }
  return {};
}

}  // namespace

Expected<HubConfig> load_hub_config(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return make_error(Errc::io, "cannot read " + file.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error(Errc::malformed, file.string() + ": must be a JSON object");
  static const std::set<std::string> known = {"data_dir", "registry_file", "broker_host", "broker_port", "ca_file", "cert_file",
                                              "key_file", "instance", "http_address", "http_port", "feed_retention",
                                              "console_address", "console_ports", "console_tls_cert", "console_tls_key",
                                              "console_client_ca", "portal_address", "portal_port", "portal_tls_cert",
                                              "portal_tls_key", "portal_secret_file", "portal_sites", "public_url", "host_names",
                                              "portal_client_limit_scale", "portal_connections_per_client", "web_threads", "linkage_silence_minutes",
                                              "linkage_quiet_minutes", "mj_data_dir", "smtp_url", "smtp_user", "smtp_password_file",
                                              "smtp_ca_file", "smtp_starttls", "smtp_retry_seconds", "konbini", "alarms"};
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!known.count(it.key())) return make_error(Errc::malformed, file.string() + ": unknown key '" + it.key() + "'");
  }
  HubConfig c;
  try {
    c.data_dir = j.value("data_dir", c.data_dir.string());
    c.registry_file = j.at("registry_file").get<std::string>();
    c.broker_host = j.value("broker_host", c.broker_host);
    c.broker_port = json_port(j, "broker_port", c.broker_port);
    c.ca_file = j.at("ca_file").get<std::string>();
    c.cert_file = j.at("cert_file").get<std::string>();
    c.key_file = j.at("key_file").get<std::string>();
    c.instance = j.value("instance", c.instance);
    c.http_address = j.value("http_address", c.http_address);
    c.http_port = json_port(j, "http_port", c.http_port);
    c.feed_retention = j.value("feed_retention", c.feed_retention);
    c.console_address = j.value("console_address", c.console_address);
    if (j.contains("console_ports")) {
      const json& ports = j.at("console_ports");
      if (!ports.is_object()) return make_error(Errc::malformed, file.string() + ": console_ports must be an object");
      std::set<std::uint16_t> seen;
      for (auto it = ports.begin(); it != ports.end(); ++it) {
        const std::uint16_t port = json_port(ports, it.key().c_str(), 0);
        if (port == 0 || !seen.insert(port).second) {
          return make_error(Errc::malformed, file.string() + ": console_ports: each municipality needs a port of its own (1-65535)");
        }
        c.console_ports[it.key()] = port;
      }
    }
    c.console_tls_cert = j.value("console_tls_cert", std::string());
    c.console_tls_key = j.value("console_tls_key", std::string());
    c.console_client_ca = j.value("console_client_ca", std::string());
    c.portal_address = j.value("portal_address", c.portal_address);
    c.portal_port = json_port(j, "portal_port", c.portal_port);
    c.portal_tls_cert = j.value("portal_tls_cert", std::string());
    c.portal_tls_key = j.value("portal_tls_key", std::string());
    c.portal_secret_file = j.value("portal_secret_file", std::string());
    c.public_url = j.value("public_url", c.public_url);
    if (j.contains("host_names")) {
      const json& names = j.at("host_names");
      if (!names.is_array()) return make_error(Errc::malformed, file.string() + ": host_names must be an array of host names");
      for (const auto& n : names) {
        if (!n.is_string() || http::host_name_of(n.get<std::string>()) != n.get<std::string>() || n.get<std::string>().empty()) {
          return make_error(Errc::malformed, file.string() + ": host_names: each must be a lower-case host name without a port");
        }
        c.host_names.push_back(n.get<std::string>());
      }
    }
    auto integer = [&](const char* key, std::int64_t lo, std::int64_t hi, const std::string& rule, auto& out) -> Status {
      if (!j.contains(key)) return {};
      const json& v = j.at(key);
      if (!v.is_number_integer() || v.get<std::int64_t>() < lo || v.get<std::int64_t>() > hi) {
        return make_error(Errc::malformed, file.string() + ": " + key + " must be an integer from " + rule);
      }
      out = static_cast<std::remove_reference_t<decltype(out)>>(v.get<std::int64_t>());
      return {};
    };
    if (auto s = integer("portal_connections_per_client", 1, 1024, "1 to 1024", c.portal_connections_per_client); !s) return s.error();
    if (auto s = integer("web_threads", 0, 64, "0 (one per core) to 64", c.web_threads); !s) return s.error();
    if (auto s = integer("linkage_silence_minutes", 1, 1440, "1 to 1440", c.linkage_silence_minutes); !s) return s.error();
    if (auto s = integer("linkage_quiet_minutes", 1, 10080, "1 to 10080", c.linkage_quiet_minutes); !s) return s.error();
    if (j.contains("portal_client_limit_scale")) {
      const json& v = j.at("portal_client_limit_scale");
      if (!v.is_number() || !(v.get<double>() >= 1.0 && v.get<double>() <= 1'000'000.0)) {
        return make_error(Errc::malformed, file.string() + ": portal_client_limit_scale must be a number from 1 to 1000000");
      }
      c.portal_client_limit_scale = v.get<double>();
    }
    c.mj_data_dir = j.value("mj_data_dir", std::string());
    c.smtp_url = j.value("smtp_url", c.smtp_url);
    c.smtp_user = j.value("smtp_user", c.smtp_user);
    c.smtp_password_file = j.value("smtp_password_file", std::string());
    c.smtp_ca_file = j.value("smtp_ca_file", std::string());
    if (j.contains("smtp_starttls") && !j.at("smtp_starttls").is_boolean()) {
      return make_error(Errc::malformed, file.string() + ": smtp_starttls must be true or false");
    }
    c.smtp_starttls = j.value("smtp_starttls", c.smtp_starttls);
    if (j.contains("smtp_retry_seconds")) {
      const json& v = j.at("smtp_retry_seconds");
      if (!v.is_number_unsigned() || v.get<std::uint64_t>() < 1 || v.get<std::uint64_t>() > 3600) {
        return make_error(Errc::malformed, file.string() + ": smtp_retry_seconds must be a whole number from 1 to 3600");
      }
      c.smtp_retry_seconds = v.get<std::uint32_t>();
    }
    if (j.contains("portal_sites")) {
      const json& sites = j.at("portal_sites");
      if (!sites.is_object()) return make_error(Errc::malformed, file.string() + ": portal_sites must be an object");
      static const std::set<std::string> site_keys = {"path", "name", "contact_phone", "contact_hours"};
      for (auto it = sites.begin(); it != sites.end(); ++it) {
        const json& o = it.value();
        if (!o.is_object()) return make_error(Errc::malformed, file.string() + ": portal_sites." + it.key() + " must be an object");
        for (auto k = o.begin(); k != o.end(); ++k) {
          if (!site_keys.count(k.key())) {
            return make_error(Errc::malformed, file.string() + ": portal_sites." + it.key() + ": unknown key '" + k.key() + "'");
          }
        }
        HubConfig::PortalSite site;
        site.path = o.value("path", "/" + it.key());
        site.name = o.value("name", std::string());
        site.contact_phone = o.value("contact_phone", std::string());
        site.contact_hours = o.value("contact_hours", std::string());
        c.portal_sites[it.key()] = site;
      }
    }
    if (j.contains("konbini")) {
      if (auto s = read_konbini(j.at("konbini"), c.konbini); !s) return s.error().with_context(file.string() + ": konbini");
    }
    if (j.contains("alarms")) {
      if (auto s = read_alarms(j.at("alarms"), c.alarms); !s) return s.error().with_context(file.string() + ": alarms");
    }
  } catch (const json::exception& e) {
    return make_error(Errc::malformed, file.string() + ": " + e.what());
  }
  if (c.console_tls_cert.empty() != c.console_tls_key.empty()) {
    return make_error(Errc::malformed, file.string() + ": console_tls_cert and console_tls_key go together");
  }
  if (!c.console_client_ca.empty() && c.console_tls_cert.empty()) {
    return make_error(Errc::malformed, file.string() + ": console_client_ca needs console_tls_cert and console_tls_key");
  }
  const bool loopback = c.console_address == "127.0.0.1" || c.console_address == "::1" || c.console_address == "localhost";
  if (!c.console_ports.empty() && !loopback && (c.console_tls_cert.empty() || c.console_client_ca.empty())) {
    return make_error(Errc::malformed, file.string() +
                                           ": a console on a network address needs console_tls_cert, console_tls_key and "
                                           "console_client_ca (ACC-5, SEC-4)");
  }
  if (c.portal_tls_cert.empty() != c.portal_tls_key.empty()) {
    return make_error(Errc::malformed, file.string() + ": portal_tls_cert and portal_tls_key go together");
  }
  const bool portal_loopback = c.portal_address == "127.0.0.1" || c.portal_address == "::1" || c.portal_address == "localhost";
  if (c.portal_port != 0 && !portal_loopback && c.portal_tls_cert.empty()) {
    return make_error(Errc::malformed, file.string() + ": a citizen site on a network address needs portal_tls_cert and portal_tls_key");
  }
  for (const auto& [muni, site] : c.portal_sites) {
    if (!valid_site_path(site.path)) {
      return make_error(Errc::malformed, file.string() + ": portal_sites." + muni +
                                             ".path must be '/' followed by segments of [A-Za-z0-9_-], without a trailing '/'");
    }
  }
  if (auto s = check_smtp_config(c); !s) return make_error(Errc::malformed, file.string() + ": " + s.error().message);
  return c;
}

namespace {

http::Response error_response(const Error& e) {
  switch (e.code) {
    case Errc::invalid_argument:
    case Errc::malformed: return http::Response::error(400, errc_name(e.code), e.message);
    case Errc::too_large: return http::Response::error(413, errc_name(e.code), e.message);
    case Errc::not_found: return http::Response::error(404, errc_name(e.code), e.message);
    case Errc::conflict:
    case Errc::capacity:
    case Errc::already_exists: return http::Response::error(409, errc_name(e.code), e.message);
    case Errc::unavailable: return http::Response::error(503, errc_name(e.code), e.message);
    case Errc::forbidden: return http::Response::error(403, errc_name(e.code), e.message);
    default: return http::Response::error(500, "internal", "internal error");
  }
}

json record_json(const protocol::Record& r) {
  json j = {{"entity", r.entity}, {"key", r.key}, {"version", r.version}, {"origin", r.origin_device},
            {"origin_seq", r.origin_seq}, {"deleted", r.deleted}};
  if (!r.deleted) {
    j["body"] = json::parse(r.body);
    domain::strip_secrets(r.entity, j["body"]);  // never a password hash
  }
  return j;
}

}  // namespace

http::Response handle_hub_api(HubEngine& engine, const DeviceRegistry& registry, const http::Request& req) {
  if (req.path == "/healthz" && req.method == "GET") return http::Response::json(200, R"({"ok":true})");
  if (req.path == "/" && req.method == "GET") {
    // The root lists the API (the consoles and the citizen site are served on their own ports).
    return http::Response::json(200, R"({"service":"madoguchi-hub","routes":["/healthz","/api/v1/status","/api/v1/{municipality}/records/{entity}/{key}"]})");
  }
  if (req.path == "/api/v1/status" && req.method == "GET") {
    json munis = json::object();
    for (const auto& [muni, devices] : registry) {
      HubStore* store = engine.store(muni);
      if (!store) continue;
      auto b = store->feed_bounds();
      auto n = store->record_count();
      if (!b || !n) return http::Response::error(500, "internal", "internal error");
      json devs = json::object();
      for (const auto& d : devices) {
        auto last = store->device_last_seq(d);
        if (!last) return http::Response::error(500, "internal", "internal error");
        devs[d] = *last;
      }
      munis[muni] = {{"feed_head", b->head}, {"feed_min", b->min}, {"records", *n}, {"device_last_seq", devs}};
    }
    const auto& c = engine.counters();
    json j = {{"municipalities", munis},
              {"counters",
               {{"batches", c.batches}, {"ops_applied", c.ops_applied}, {"ops_duplicate", c.ops_duplicate},
                {"ops_rejected", c.ops_rejected}, {"ops_rejected_by_code", c.ops_rejected_by_code}, {"gaps", c.gaps}, {"refused_messages", c.refused_messages},
                {"sync_requests", c.sync_requests}, {"snapshots", c.snapshots}}}};
    return http::Response::json(200, j.dump());
  }
  // /api/v1/{muni}/records/{entity}/{key}
  constexpr std::string_view prefix = "/api/v1/";
  if (req.path.rfind(prefix, 0) == 0) {
    std::string rest = req.path.substr(prefix.size());
    auto s1 = rest.find('/');
    // POST /api/v1/{muni}/records: several changes at the hub in one transaction (loading masters
    // and slots, MST-4): [{"entity":…,"key":…,"body":{…}}, …], "body": null removes.
    if (s1 != std::string::npos && rest.compare(s1, std::string::npos, "/records") == 0) {
      std::string muni = rest.substr(0, s1);
      if (!registry.count(muni)) return http::Response::error(404, "not_found", "no such municipality");
      if (req.method != "POST") return http::Response::error(405, "method_not_allowed", "method not allowed");
      json list = json::parse(req.body, nullptr, false);
      if (list.is_discarded() || !list.is_array()) {
        return http::Response::error(400, "malformed", "the body must be a JSON array of {entity, key, body}");
      }
      if (list.empty() || list.size() > HubEngine::kMaxLocalBatch) {
        return http::Response::error(400, "invalid_argument", "1 to " + std::to_string(HubEngine::kMaxLocalBatch) + " changes");
      }
      std::vector<HubEngine::LocalWrite> writes;
      writes.reserve(list.size());
      for (std::size_t i = 0; i < list.size(); ++i) {
        const json& o = list[i];
        const std::string where = "[" + std::to_string(i) + "]";
        if (!o.is_object() || !o.contains("entity") || !o["entity"].is_string() || !o.contains("key") || !o["key"].is_string() ||
            !o.contains("body") || !(o["body"].is_object() || o["body"].is_null())) {
          return http::Response::error(400, "malformed", where + ": needs entity and key (strings) and body (object or null)");
        }
        HubEngine::LocalWrite w;
        w.entity = o["entity"].get<std::string>();
        w.key = o["key"].get<std::string>();
        w.kind = o["body"].is_null() ? protocol::OpKind::remove : protocol::OpKind::upsert;
        if (!o["body"].is_null()) w.body_json = o["body"].dump();
        writes.push_back(std::move(w));
      }
      auto r = engine.write_local_batch(muni, writes);
      if (!r) return error_response(r.error());
      return http::Response::json(200, json{{"written", r->size()}}.dump());
    }
    if (s1 != std::string::npos && rest.compare(s1, 9, "/records/") == 0) {
      std::string muni = rest.substr(0, s1);
      std::string tail = rest.substr(s1 + 9);
      auto s2 = tail.find('/');
      if (s2 != std::string::npos && registry.count(muni)) {
        std::string entity = tail.substr(0, s2), key = tail.substr(s2 + 1);
        HubStore* store = engine.store(muni);
        if (req.method == "GET") {
          auto r = store->get(entity, key);
          if (!r) return error_response(r.error());
          if (!*r || (*r)->deleted) return http::Response::error(404, "not_found", "no such record");
          return http::Response::json(200, record_json(**r).dump());
        }
        if (req.method == "PUT" || req.method == "DELETE") {
          std::uint64_t base = 0;
          if (auto it = req.query.find("base_version"); it != req.query.end()) {
            auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), base);
            if (ec != std::errc() || p != it->second.data() + it->second.size()) {
              return http::Response::error(400, "malformed", "base_version must be a number");
            }
          }
          auto r = engine.write_local(muni, entity, key, req.method == "PUT" ? protocol::OpKind::upsert : protocol::OpKind::remove,
                                      req.body, base);
          if (!r) return error_response(r.error());
          return http::Response::json(200, record_json(*r).dump());
        }
        return http::Response::error(405, "method_not_allowed", "method not allowed");
      }
    }
  }
  return http::Response::error(404, "not_found", "no such route");
}

namespace {

// Staff, roles, settings and the operation log are guarded by the console's write policy.
// Resident, seal and tax records never enter the municipality's records (domain/certificate_data.h).
WritePolicy console_write_policy() {
  return [](std::string_view origin, std::string_view entity, std::string_view key, bool remove, std::string_view body,
            const std::optional<protocol::Record>& current) {
    if (auto routed = domain::check_data_route(domain::DataStore::municipality, entity, remove); !routed) return routed;
    domain::WriteRequest r{origin, entity, key, remove, body, std::nullopt};
    if (current) r.current_body = current->body;
    return domain::check_write(r);
  };
}

// The linkage agents of each municipality (HubOptions::linkage_devices).
std::map<std::string, std::set<std::string>> linkage_devices(const provisioning::Registry& r) {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& m : r.municipalities) {
    for (const auto& d : m.devices) {
      if (d.role == provisioning::DeviceRole::linkage) out[m.code].insert(d.id);
    }
  }
  return out;
}

HubOptions hub_options(const HubConfig& config, const provisioning::Registry& r, std::function<LinkageReconciler*()> reconciler) {
  HubOptions o{config.data_dir, config.feed_retention, 32, console_write_policy()};
  o.linkage_devices = linkage_devices(r);
  set_linkage_options(o, std::move(reconciler));
  return o;
}

DeviceRegistry to_device_registry(const provisioning::Registry& r) {
  DeviceRegistry out;
  for (const auto& m : r.municipalities) {
    auto& set = out[m.code];
    for (const auto& d : m.devices) set.insert(d.id);
  }
  return out;
}

class HubProcess {
 public:
  HubProcess(const HubConfig& config, const provisioning::Registry& registry)
      : config_(config),
        registry_(to_device_registry(registry)),
        linkage_(linkage_devices(registry)),
        log_(log::stderr_sink("hub[" + config.instance + "]")),
        mqtt_(mqtt_options(), callbacks()),
        engine_(registry_,
                hub_options(config, registry, [this] { return &reconciler_; }),
                mqtt_, clock_, log_),
        reconciler_(engine_, clock_, log_),
        tick_(io_),
        signals_(io_, SIGINT, SIGTERM) {}

  Status start() {
    if (auto s = engine_.open(); !s) return s;
    for (const auto& [muni, devices] : registry_) {
      if (auto s = reconciler_.resume(muni); !s) return s.error().with_context("reconciliation of " + muni);
    }
    // Bookings (EDGE-5, PHN-5): the booking rule in every municipality's writing transaction,
    // and one HubBookingService per municipality (the consoles' 電話予約 below; the citizen
    // site reaches them through bookings()).
    for (const auto& [muni, devices] : registry_) {
      HubStore* store = engine_.store(muni);
      if (!store) return make_error(Errc::internal, "no store for municipality " + muni);
      if (auto s = install_booking_rule(*store); !s) return s.error().with_context("booking rule of " + muni);
      BookingServiceOptions booking_options;
      booking_options.log = log_;  // cards a booking names that the hub lacks (counts only)
      bookings_[muni] = std::make_unique<HubBookingService>(engine_, muni, clock_, booking_options);
    }
    if (auto s = start_mail(); !s) return s.error().with_context("starting booking mail");
    if (config_.http_port != 0) {
      http::ServerOptions o;
      o.address = config_.http_address;
      o.port = config_.http_port;
      // The local API (loopback, operators only) takes batch loads of masters and slots: a
      // municipality's year of slots is a few MB of JSON.
      o.body_limit = 64 * 1024 * 1024;
      // The API's credential (mode 0600 in the data directory): no other local user, and no web
      // page, may read staff records or write through it.
      auto token = http::ensure_api_token(config_.data_dir / "api-token");
      if (!token) return token.error().with_context("the local API's token");
      http_ = std::make_unique<http::Server>(web_pool(), o, [this, token = *token](const http::Request& r) {
        if (!(r.path == "/healthz" && r.method == "GET") && !http::has_api_token(r, token)) return http::api_token_required();
        std::lock_guard lock(app_mutex_);
        http::Response res = handle_hub_api(engine_, registry_, r);
        if (r.path == "/api/v1/status" && r.method == "GET" && res.status == 200) add_mail_status(res);
        return res;
      });
      if (auto s = http_->start(); !s) return s.error().with_context("starting the hub API");
      log_(LogLevel::info, "local API on http://" + config_.http_address + ":" + std::to_string(http_->port()));
    }
    if (!config_.console_ports.empty() && !protocol::valid_device_id("hub-" + config_.instance)) {
      return make_error(Errc::invalid_argument, "instance: 'hub-<instance>' must be a valid device id (it names the console's log chain)");
    }
    if (!config_.mj_data_dir.empty() && !config_.console_ports.empty()) {
      auto mj = load_mj_data(config_.mj_data_dir);
      if (!mj) return mj.error().with_context("mj_data_dir");
      mj_data_ = std::move(*mj);
      log_(LogLevel::info, "MJ data: " + std::to_string(mj_data_->size()) + " characters from " + config_.mj_data_dir.string());
    }
    for (const auto& [muni, port] : config_.console_ports) {
      if (!registry_.count(muni)) return make_error(Errc::invalid_argument, "console_ports: unknown municipality " + muni);
      http::ServerOptions o;
      o.address = config_.console_address;
      o.port = port;
      o.body_limit = console::app::kStaffConsoleBodyLimit;  // forms, and the staff CSV import (1 MiB)
      o.cert_file = config_.console_tls_cert.string();
      o.key_file = config_.console_tls_key.string();
      o.client_ca_file = config_.console_client_ca.string();
      o.host_names = served_host_names(config_);
      console::app::ConsoleOptions co;
      co.tls = !o.cert_file.empty();
      co.manage_staff = true;
      co.spool_dir = config_.data_dir / "tmp";  // 交付管理's big exports, beside the databases (not a small /tmp)
      auto console = std::make_unique<Console>();
      console->municipality = muni;
      console->store = std::make_unique<HubConsoleStore>(engine_, muni, "hub-" + config_.instance);
      console->app = std::make_unique<console::app::ConsoleApp>(*console->store, clock_, co);
      auto* app = console->app.get();
      app->attach_bookings(*bookings_.at(muni));
      console->masters = std::make_unique<HubMasterStore>(engine_, muni);
      app->attach_masters(*console->masters);
      // 連携状況 over the municipality's certificate database (LNK-5, OPS-4).
      domain::LinkageGuardPolicy guard;
      guard.silence_ms = config_.linkage_silence_minutes * 60'000;
      guard.quiet_alarm_ms = config_.linkage_quiet_minutes * 60'000;
      console->linkage = std::make_unique<HubLinkageView>(engine_, muni, guard, log_);
      app->attach_linkage(*console->linkage);
      console->gaiji = std::make_unique<HubGaiji>(engine_, muni, mj_data_, clock_, &reconciler_);
      app->attach_gaiji(*console->gaiji);
      // 同期状況: every device of the municipality in the registry (EDGE-5, OPS-4).
      std::map<std::string, std::string> roles;
      for (const auto& d : registry_.at(muni)) roles[d] = linkage_.count(muni) && linkage_.at(muni).count(d) ? "linkage" : "counter";
      console->sync = std::make_unique<HubSyncView>(engine_, muni, std::move(roles));
      app->attach_sync(*console->sync);
      // 交付管理 for staff without a counter PC (issue 14, ISS-1..ISS-15): the counter's pages over
      // the hub's records; QR import by page image (no scanner here), exports as at a counter.
      console->cards = std::make_unique<HubCardStore>(engine_, muni);
      console::app::CardServices card_services;
      card_services.decode_page = console::app::qr_page_decoder();
      card_services.excel = console::app::excel_table_writers(config_.data_dir / "tmp");
      app->attach_cards(*console->cards, std::move(card_services));
      console_apps_[muni] = app;
      console->http = std::make_unique<http::Server>(web_pool(), o, [this, app](const http::Request& r) {
        std::lock_guard lock(app_mutex_);
        return app->handle(r);
      });
      if (auto s = console->http->start(); !s) return s.error().with_context("starting the console of " + muni);
      log_(LogLevel::info, "console of " + muni + " on " + (co.tls ? "https://" : "http://") + config_.console_address + ":" +
                               std::to_string(console->http->port()) +
                               (config_.console_client_ca.empty() ? "" : " (client certificates required)"));
      consoles_.push_back(std::move(console));
    }
    if (config_.konbini.port != 0) {
      if (auto s = start_konbini(); !s) return s.error().with_context("starting convenience-store issuance");
    }
    if (config_.portal_port != 0) {
      if (auto s = start_portal(); !s) return s.error().with_context("starting the citizen site");
    }
    if (auto s = start_alarms(); !s) return s.error().with_context("starting 障害通知");
    if (auto s = mqtt_.start(); !s) return s;
    signals_.async_wait([this](const boost::system::error_code&, int) { stop(); });
    schedule_tick();
    log_(LogLevel::info, "started with " + std::to_string(registry_.size()) + " municipalities");
    return {};
  }
  // One thread per web io_context; this thread runs io_ (sync: MQTT messages, the tick, signals).
  void run() {
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::vector<std::thread> threads;
    for (auto& web : web_ios_) {
      work.push_back(asio::make_work_guard(*web));
      threads.emplace_back([io = web.get()] { io->run(); });
    }
    if (konbini_http_) {
      // One queue for every issuance thread: a step that waits never holds up a request that
      // another thread could take (one io_context per thread would queue behind it).
      work.push_back(asio::make_work_guard(konbini_io_));
      for (std::size_t i = 0; i < config_.konbini.threads; ++i) threads.emplace_back([this] { konbini_io_.run(); });
    }
    io_.run();
    work.clear();
    for (auto& web : web_ios_) web->stop();
    konbini_io_.stop();
    for (auto& t : threads) t.join();
  }
  // The municipality's booking service (nullptr: unknown), for the citizen site. Valid from
  // start() for the life of the process; use it on the io_context thread only.
  HubBookingService* bookings(const std::string& municipality) {
    auto it = bookings_.find(municipality);
    return it == bookings_.end() ? nullptr : it->second.get();
  }

 private:
  // The municipality's citizen site path ("/131016" unless portal_sites says otherwise).
  std::string site_path(const std::string& muni) const {
    auto it = config_.portal_sites.find(muni);
    return it != config_.portal_sites.end() && !it->second.path.empty() ? it->second.path : "/" + muni;
  }

  // The resident's booking mails (RSV-10, RSV-12..RSV-14, hub_mail.h): one outbox per
  // municipality (<data_dir>/<muni>.mail.db, KON-5), queued on this thread, sent by a thread of
  // its own. No smtp_url: no mail.
  Status start_mail() {
    if (config_.smtp_url.empty()) {
      log_(LogLevel::info, "mail: no smtp_url configured; booking mails are not sent");
      return {};
    }
    std::string password;
    if (!config_.smtp_password_file.empty()) {
      std::ifstream in(config_.smtp_password_file, std::ios::binary);
      if (!in) return make_error(Errc::io, "cannot read smtp_password_file " + config_.smtp_password_file.string());
      std::getline(in, password);
      if (!password.empty() && password.back() == '\r') password.pop_back();
      if (password.empty()) return make_error(Errc::invalid_argument, "smtp_password_file: the first line is empty");
    }
    auto transport = mail::CurlSmtpTransport::create(smtp_config(config_, std::move(password)));
    if (!transport) return transport.error().with_context("smtp");
    if (config_.public_url.empty()) {
      log_(LogLevel::warning, "mail: public_url is not set; mails cannot tell residents where to open their booking");
    }
    std::string base = config_.public_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    std::vector<std::filesystem::path> paths;
    for (const auto& [muni, devices] : registry_) {
      const auto path = config_.data_dir / (muni + ".mail.db");
      HubMailOptions mo;
      mo.site_url = base.empty() ? std::string() : base + site_path(muni) + "/";
      auto m = HubMail::open(path, engine_, *bookings_.at(muni), clock_, log_, mo);
      if (!m) return m.error().with_context("mail outbox of " + muni);
      (*m)->attach([this] {
        if (mail_sender_) mail_sender_->wake();
      });
      mail_[muni] = std::move(*m);
      paths.push_back(path);
    }
    HubMailSenderOptions so;
    so.retry.initial_backoff = std::chrono::seconds(config_.smtp_retry_seconds);
    mail_sender_ = std::make_unique<HubMailSender>(std::move(paths), std::move(*transport), clock_, log_, so);
    if (auto s = mail_sender_->start(); !s) return s;
    log_(LogLevel::info, "mail: relay " + config_.smtp_url +
                             (config_.smtp_url.rfind("smtps://", 0) == 0 ? " (TLS)"
                              : config_.smtp_starttls                    ? " (STARTTLS required)"
                                                                         : " (plain, this host only)") +
                             ", one outbox per municipality in " + config_.data_dir.string());
    return {};
  }

  // On the tick: device bookings from the feed every second, reminders every minute.
  void mail_tick() {
    if (mail_.empty()) return;
    const auto now = clock_.now();
    const bool reminders = last_reminders_ == std::chrono::steady_clock::time_point{} || now - last_reminders_ >= 60s;
    if (now - last_feed_scan_ < 1s && !reminders) return;
    last_feed_scan_ = now;
    if (reminders) last_reminders_ = now;
    for (auto& [muni, m] : mail_) {
      if (auto n = m->scan_feed(); !n) log_(LogLevel::error, "mail: " + muni + ": reading the feed: " + n.error().describe());
      if (reminders) {
        if (auto n = m->run_reminders(); !n) log_(LogLevel::error, "mail: " + muni + ": reminders: " + n.error().describe());
      }
    }
  }

  // /api/v1/status gets "mail": per municipality the outbox (queued, sent, failed, oldest queued,
  // next attempt) and what this process counted (queued, reminders, no_sender, errors).
  void add_mail_status(http::Response& res) {
    json j = json::parse(res.body, nullptr, false);
    if (j.is_discarded()) return;
    json m = json::object();
    m["enabled"] = !mail_.empty();
    json per = json::object();
    for (auto& [muni, mailer] : mail_) {
      auto st = mailer->stats();
      if (!st) continue;
      const auto& c = mailer->counters();
      per[muni] = {{"queued", st->queued}, {"sent", st->sent}, {"failed", st->failed}, {"queued_bytes", st->queued_bytes},
                   {"oldest_queued_ms", st->oldest_queued_created_ms ? json(*st->oldest_queued_created_ms) : json()},
                   {"next_attempt_ms", st->next_due_ms ? json(*st->next_due_ms) : json()},
                   {"counted", {{"queued", c.queued}, {"reminders", c.reminders}, {"no_sender", c.no_sender}, {"errors", c.errors}}}};
    }
    m["municipalities"] = per;
    j["mail"] = m;
    res.body = j.dump();
  }

  // The citizen booking site (RSV): one Portal per municipality under its path, one listener.
  Status start_portal() {
    std::string secret;
    if (!config_.portal_secret_file.empty()) {
      std::ifstream in(config_.portal_secret_file, std::ios::binary);
      if (!in) return make_error(Errc::io, "cannot read portal_secret_file " + config_.portal_secret_file.string());
      std::ostringstream ss;
      ss << in.rdbuf();
      secret = ss.str();
      if (secret.size() < 32) return make_error(Errc::invalid_argument, "portal_secret_file: needs at least 32 bytes");
    } else {
      secret.resize(32);
      if (::getrandom(secret.data(), secret.size(), 0) != static_cast<ssize_t>(secret.size())) {
        return make_error(Errc::crypto, "no random bytes for the citizen site's key");
      }
    }
    std::set<std::string> paths;
    for (const auto& [muni, devices] : registry_) {
      HubConfig::PortalSite site;
      if (auto it = config_.portal_sites.find(muni); it != config_.portal_sites.end()) site = it->second;
      if (site.path.empty()) site.path = "/" + muni;
      if (!paths.insert(site.path).second) return make_error(Errc::invalid_argument, "portal_sites: two sites at " + site.path);
      HubBookingService& backend = *bookings_.at(muni);
      portal::PortalOptions po;
      po.base_path = site.path;
      po.municipality_name = site.name;
      if (po.municipality_name.empty()) {
        auto settings = backend.settings();
        po.municipality_name = settings && !settings->municipality_name.empty() ? settings->municipality_name : muni;
      }
      po.contact_phone = site.contact_phone;
      po.contact_hours = site.contact_hours;
      po.secure_cookies = !config_.portal_tls_cert.empty();
      po.secret = secret;
      // Load tests / a trusted front proxy only (HubConfig::portal_client_limit_scale); 1 = as is.
      for (auto* limit : {&po.visits_per_client, &po.check_per_client, &po.sign_in_per_client}) {
        limit->burst = static_cast<std::size_t>(static_cast<double>(limit->burst) * config_.portal_client_limit_scale);
        limit->refill_per_second *= config_.portal_client_limit_scale;
      }
      // The site's pages are made on the web threads without the application lock; its backend
      // takes the lock for each call (SharedBookingService).
      auto shared = std::make_unique<SharedBookingService>(backend, app_mutex_);
      auto site_portal = std::make_unique<portal::Portal>(*shared, clock_, po);
      sites_.push_back(Site{site.path, std::move(shared), std::move(site_portal)});
    }
    http::ServerOptions o;
    o.address = config_.portal_address;
    o.port = config_.portal_port;
    // Forms only (the portal refuses more than its own max_body_bytes); with issuance, the
    // verification page takes a certificate's PDF.
    o.body_limit = konbini_ ? 4 * 1024 * 1024 : 64 * 1024;
    o.max_connections = 1024;
    o.max_connections_per_client = config_.portal_connections_per_client;
    o.cert_file = config_.portal_tls_cert.string();
    o.key_file = config_.portal_tls_key.string();
    o.host_names = served_host_names(config_);
    portal_http_ = std::make_unique<http::Server>(web_pool(), o, [this](const http::Request& r) { return route_portal(r); });
    if (auto s = portal_http_->start(); !s) return s;
    log_(LogLevel::info, std::string("citizen site on ") + (o.cert_file.empty() ? "http://" : "https://") +
                             config_.portal_address + ":" + std::to_string(portal_http_->port()) + " (" +
                             std::to_string(sites_.size()) + " municipalities)");
    if (config_.portal_client_limit_scale != 1.0) {
      log_(LogLevel::warning, "citizen site: per-client limits scaled by " + std::to_string(config_.portal_client_limit_scale) +
                                  " (portal_client_limit_scale: load tests or a trusted front proxy only)");
    }
    return {};
  }

  // Convenience-store issuance (issue 13): the service the issuing center calls, mutual TLS only.
  Status start_konbini() {
    const auto& k = config_.konbini;
    OcspOptions ocsp;
    ocsp.url = k.jpki_ocsp;
    auto jpki = JpkiVerifier::open(k.jpki_ca, k.jpki_crl, ocsp);
    if (!jpki) return jpki.error().with_context("konbini.jpki_ca, jpki_crl, jpki_ocsp");
    jpki_ = std::move(*jpki);
    KonbiniOptions o;
    for (const auto& [muni, text] : k.policies) {
      if (!registry_.count(muni)) return make_error(Errc::invalid_argument, "konbini.municipalities: unknown municipality " + muni);
      auto policy = domain::issuance_policy_from_json(text);
      if (!policy) return policy.error();
      o.policies[muni] = std::move(*policy);
    }
    for (const auto& [muni, file] : k.seal_images) {
      std::ifstream in(file, std::ios::binary);
      if (!in) return make_error(Errc::io, "cannot read " + file.string());
      o.municipal_seals[muni] = std::string((std::istreambuf_iterator<char>(in)), {});
    }
    // A 32-byte secret in a file of its own, mode 0600 (made at the first start, as the API token).
    auto seed_hex = http::ensure_api_token(k.signing_key.empty() ? config_.data_dir / "konbini-signing.key" : k.signing_key);
    if (!seed_hex) return seed_hex.error().with_context("the verification codes' signing key");
    for (std::size_t i = 0; i + 1 < seed_hex->size(); i += 2) {
      o.signing_seed += static_cast<char>(std::stoi(seed_hex->substr(i, 2), nullptr, 16));
    }
    o.verify_url = k.verify_url;
    o.font_family = k.font;
    domain::LinkageGuardPolicy guard;
    guard.silence_ms = config_.linkage_silence_minutes * 60'000;
    guard.quiet_alarm_ms = config_.linkage_quiet_minutes * 60'000;
    konbini_source_ = std::make_unique<HubCertificateSource>(engine_, app_mutex_, guard, log_);
    konbini_ = std::make_unique<KonbiniService>(std::move(o), *konbini_source_, *jpki_, clock_, log_);
    if (auto s = konbini_->open(config_.data_dir); !s) return s;
    // コンビニ交付記録 in the consoles of the municipalities that issue (KON-6, OPS-2).
    for (const auto& [muni, app] : console_apps_) {
      if (!k.policies.count(muni)) continue;
      auto records = std::make_unique<HubKonbiniRecords>(*konbini_, muni);
      auto flags = std::make_unique<HubKonbiniFlags>(engine_, muni, clock_);
      std::lock_guard lock(app_mutex_);
      app->attach_konbini(*records, console::app::excel_table_writers(config_.data_dir / "tmp"), flags.get());
      konbini_records_.push_back(std::move(records));
      konbini_flags_.push_back(std::move(flags));
    }
    http::ServerOptions so;
    so.address = k.address;
    so.port = k.port;
    so.body_limit = 64 * 1024;  // a certificate and a signature, base64
    // Every kiosk's request arrives through the issuing center, one client address (and only
    // holders of the center's certificate connect at all): its connections are not capped apart.
    so.max_connections = 2048;
    so.max_connections_per_client = 2048;
    so.cert_file = k.tls_cert.string();
    so.key_file = k.tls_key.string();
    so.client_ca_file = k.client_ca.string();
    so.host_names = served_host_names(config_);
    konbini_http_ = std::make_unique<http::Server>(konbini_io_, so, [this](const http::Request& r) { return konbini_->handle(r); });
    if (auto s = konbini_http_->start(); !s) return s;
    log_(LogLevel::info, "convenience-store issuance on https://" + k.address + ":" + std::to_string(konbini_http_->port()) +
                             " (client certificates required; " + std::to_string(k.policies.size()) + " municipalities)");
    return {};
  }

  // 障害通知 (OPS-1): a watch over every municipality with a console, its board in that console.
  Status start_alarms() {
    if (consoles_.empty()) return {};
    std::vector<std::string> munis;
    for (const auto& c : consoles_) munis.push_back(c->municipality);
    auto alarms = HubAlarms::open(config_.data_dir, munis, config_.alarms.policy, log_);
    if (!alarms) return alarms.error();
    alarms_ = std::move(*alarms);
    for (auto& c : consoles_) {
      const std::string muni = c->municipality;
      AlarmSources sources;
      // The linkage guard where a linkage server is registered (elsewhere "never heard" is no news).
      if (linkage_.count(muni) && !linkage_.at(muni).empty()) sources.linkage = c->linkage.get();
      sources.gaiji = c->gaiji.get();
      sources.sync = c->sync.get();
      if (konbini_ && config_.konbini.policies.count(muni)) {
        const std::int64_t window = config_.alarms.policy.issuance_error_window_ms;
        sources.issuance = [this, muni, window] { return konbini_->health(muni, window); };
      }
      sources.disks = {config_.data_dir};
      alarm_sources_.emplace_back(muni, std::move(sources));
      c->alarms = std::make_unique<HubAlarmBoard>(*alarms_, muni);
      std::lock_guard lock(app_mutex_);
      c->app->attach_alarms(*c->alarms);
    }
    log_(LogLevel::info, "障害通知: watching " + std::to_string(munis.size()) + " municipalities every " +
                             std::to_string(config_.alarms.check_seconds) + " s");
    return {};
  }

  // On the tick, every check_seconds: each watched municipality checked (alarm_service.h).
  void alarm_tick() {
    if (!alarms_) return;
    const auto now = clock_.now();
    if (last_alarm_check_ != std::chrono::steady_clock::time_point{} && now - last_alarm_check_ < std::chrono::seconds(config_.alarms.check_seconds)) {
      return;
    }
    last_alarm_check_ = now;
    for (const auto& [muni, sources] : alarm_sources_) {
      std::vector<std::string> problems;
      domain::AlarmInputs inputs;
      {
        std::lock_guard lock(app_mutex_);  // the views read the engine's stores
        inputs = gather_alarm_inputs(sources, clock_.wall_ms(), problems);
      }
      for (const auto& p : problems) log_(LogLevel::warning, "障害通知 of " + muni + ": cannot read " + p);
      if (auto s = alarms_->check(muni, inputs); !s) log_(LogLevel::error, "障害通知 of " + muni + ": " + s.error().describe());
    }
  }

  http::Response route_portal(const http::Request& r) {
    // The certificates' verification page (issue 13): public, beside the citizen site.
    if (konbini_ && r.path == "/verify") return konbini_->verify_page(r);
    for (const auto& site : sites_) {
      if (r.path == site.path || (r.path.size() > site.path.size() && r.path.compare(0, site.path.size(), site.path) == 0 &&
                                  r.path[site.path.size()] == '/')) {
        return site.portal->handle(r);
      }
    }
    if (r.path == "/" && (r.method == "GET" || r.method == "HEAD") && sites_.size() == 1) {
      http::Response res;
      res.status = 303;
      res.content_type = "";
      res.headers.emplace_back("Location", sites_.front().path + "/");
      return res;
    }
    http::Response res = http::Response::text(404, "ページが見つかりません。お住まいの市区町村のホームページから予約サイトへお進みください。\n");
    res.headers.emplace_back("Cache-Control", "no-store");
    return res;
  }

  mqtt::ClientOptions mqtt_options() const {
    mqtt::ClientOptions o;
    o.host = config_.broker_host;
    o.port = config_.broker_port;
    o.client_id = "hub-" + config_.instance + "-" + std::to_string(::getpid());
    o.ca_file = config_.ca_file.string();
    o.cert_file = config_.cert_file.string();
    o.key_file = config_.key_file.string();
    o.max_inflight = 1000;
    o.reconnect_max_seconds = 2;  // the hub is in the data centre next to the broker
    return o;
  }
  mqtt::Callbacks callbacks() {
    mqtt::Callbacks cb;
    cb.on_connected = [this] {
      (void)mqtt_.subscribe(protocol::hub_up_subscription());
      asio::post(io_, [this] {
        log_(LogLevel::info, "connected to broker");
        std::lock_guard lock(app_mutex_);
        engine_.on_connected();
      });
    };
    cb.on_disconnected = [this](std::string reason) {
      asio::post(io_, [this, reason = std::move(reason)] { log_(LogLevel::warning, "link down: " + reason); });
    };
    cb.on_message = [this](std::string topic, std::string payload) {
      asio::post(io_, [this, topic = std::move(topic), payload = std::move(payload)] {
        std::lock_guard lock(app_mutex_);
        engine_.on_message(topic, payload);
      });
    };
    return cb;
  }
  void schedule_tick() {
    tick_.expires_after(50ms);
    tick_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping_) return;
      {
        std::lock_guard lock(app_mutex_);
        engine_.tick();
        mail_tick();
      }
      if (konbini_ && ++konbini_ticks_ % 20 == 0) konbini_->tick();  // each second; its stores have locks of their own
      alarm_tick();
      schedule_tick();
    });
  }
  void stop() {
    // No web request in the middle of the engine while the link and the mail sender go.
    std::lock_guard lock(app_mutex_);
    if (stopping_) return;
    stopping_ = true;
    log_(LogLevel::info, "stopping");
    tick_.cancel();
    if (http_) http_->stop();
    for (auto& c : consoles_) c->http->stop();
    if (portal_http_) portal_http_->stop();
    if (konbini_http_) konbini_http_->stop();
    // Waits for a send in progress (bounded by the transport's timeouts); queued mail stays queued.
    if (mail_sender_) mail_sender_->stop();
    mqtt_.stop();
    io_.stop();
  }

  const HubConfig& config_;
  DeviceRegistry registry_;
  std::map<std::string, std::set<std::string>> linkage_;  // the linkage servers of each municipality
  LogSink log_;
  asio::io_context io_;
  // The web servers' io_contexts, one per web thread (HubConfig::web_threads; run()). Declared
  // before the servers, so they are destroyed after them.
  std::vector<std::unique_ptr<asio::io_context>> web_ios_ = make_web_ios(config_.web_threads);
  asio::io_context konbini_io_;  // the issuance service's, run by HubConfig::Konbini::threads threads
  std::vector<asio::io_context*> web_pool() const {
    std::vector<asio::io_context*> pool;
    for (const auto& web : web_ios_) pool.push_back(web.get());
    return pool;
  }
  static std::vector<std::unique_ptr<asio::io_context>> make_web_ios(std::size_t n) {
    if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::unique_ptr<asio::io_context>> ios;
    for (std::size_t i = 0; i < n; ++i) ios.push_back(std::make_unique<asio::io_context>(1));
    return ios;
  }
  // One request or sync step at a time through the engine, the stores, the services and their
  // caches, and the consoles (none of which is thread-safe on its own). The citizen site takes it
  // only around its backend calls (SharedBookingService): its pages are made outside it.
  std::mutex app_mutex_;
  SystemClock clock_;
  mqtt::Client mqtt_;
  HubEngine engine_;
  LinkageReconciler reconciler_;  // re-requests and reconciliation over the certificate databases
  asio::steady_timer tick_;
  asio::signal_set signals_;
  std::unique_ptr<http::Server> http_;
  std::shared_ptr<const domain::MjIndex> mj_data_;  // the 外字対照表's suggestions (mj_data_dir)
  struct Console {
    std::unique_ptr<HubConsoleStore> store;
    std::unique_ptr<HubMasterStore> masters;  // マスタ管理 and お知らせ (before the app that uses it)
    std::unique_ptr<HubLinkageView> linkage;  // 連携状況 (before the app)
    std::unique_ptr<HubGaiji> gaiji;          // 外字対照表 (before the app)
    std::unique_ptr<HubSyncView> sync;        // 同期状況 (before the app)
    std::unique_ptr<HubCardStore> cards;      // 交付管理 (before the app)
    std::unique_ptr<HubAlarmBoard> alarms;    // 障害通知 (before the app)
    std::string municipality;
    std::unique_ptr<console::app::ConsoleApp> app;
    std::unique_ptr<http::Server> http;
  };
  std::map<std::string, std::unique_ptr<HubBookingService>> bookings_;  // before the consoles that use them
  std::unique_ptr<HubAlarms> alarms_;  // 障害通知 (before the consoles whose boards use it)
  std::vector<std::unique_ptr<Console>> consoles_;
  struct Site {
    std::string path;
    std::unique_ptr<SharedBookingService> bookings;  // the portal's backend (before the portal)
    std::unique_ptr<portal::Portal> portal;
  };
  std::vector<Site> sites_;  // the citizen site, per municipality (after bookings_, which they use)
  std::unique_ptr<http::Server> portal_http_;
  std::unique_ptr<JpkiVerifier> jpki_;                      // before the issuance service that uses it
  std::unique_ptr<HubCertificateSource> konbini_source_;
  std::unique_ptr<KonbiniService> konbini_;
  std::unique_ptr<http::Server> konbini_http_;
  std::vector<std::unique_ptr<HubKonbiniRecords>> konbini_records_;
  std::vector<std::unique_ptr<HubKonbiniFlags>> konbini_flags_;
  std::map<std::string, console::app::ConsoleApp*> console_apps_;  // each municipality's console (owned by consoles_)
  std::uint64_t konbini_ticks_ = 0;
  std::vector<std::pair<std::string, AlarmSources>> alarm_sources_;
  std::chrono::steady_clock::time_point last_alarm_check_{};
  std::map<std::string, std::unique_ptr<HubMail>> mail_;  // after bookings_ (their notifiers call these)
  std::unique_ptr<HubMailSender> mail_sender_;           // after mail_ (their queued callback wakes it)
  std::chrono::steady_clock::time_point last_feed_scan_{}, last_reminders_{};
  bool stopping_ = false;
};

}  // namespace

Status run_hub(const HubConfig& config) {
  auto reg = provisioning::load_registry(config.registry_file);
  if (!reg) return reg.error();
  HubProcess hub(config, *reg);
  if (auto s = hub.start(); !s) return s;
  hub.run();
  return {};
}

}  // namespace madoguchi::hub
