// The hub's configuration file: defaults, and the refusals that keep the console safe (ACC-5).
#include <catch2/catch.hpp>

#include <fstream>

#include "madoguchi/hub/hub_process.h"
#include "temp_dir.h"

using madoguchi::Errc;
using madoguchi::hub::load_hub_config;
using madoguchi::testing::TempDir;

namespace {
const std::string kBase = R"("registry_file":"r.json","ca_file":"ca.crt","cert_file":"hub.crt","key_file":"hub.key")";

madoguchi::Expected<madoguchi::hub::HubConfig> load(const TempDir& dir, const std::string& text) {
  auto path = dir / "hub.json";
  std::ofstream(path) << text;
  return load_hub_config(path);
}
}  // namespace

TEST_CASE("A hub config with only the required keys gets the documented defaults", "[hub][config]") {
  TempDir dir;
  auto c = load(dir, "{" + kBase + "}");
  REQUIRE(c.ok());
  CHECK(c->broker_port == 8883);
  CHECK(c->http_port == 0);
  CHECK(c->console_address == "127.0.0.1");
  CHECK(c->console_ports.empty());
  CHECK(c->portal_client_limit_scale == 1.0);  // the citizen site's per-client limits as they are
}

TEST_CASE("portal_client_limit_scale (load tests, a trusted front proxy) is read and bounded", "[hub][config]") {
  TempDir dir;
  auto c = load(dir, "{" + kBase + R"(,"portal_client_limit_scale":1000})");
  REQUIRE(c.ok());
  CHECK(c->portal_client_limit_scale == 1000.0);
  for (const char* bad : {"0.5", "0", "-3", "2000000", "\"many\"", "true"}) {
    INFO(bad);
    auto r = load(dir, "{" + kBase + R"(,"portal_client_limit_scale":)" + bad + "}");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("portal_client_limit_scale"));
  }
}

TEST_CASE("Hub config mistakes are refused naming the problem", "[hub][config]") {
  TempDir dir;
  struct Case {
    std::string extra;
    std::string mentions;
  };
  for (const auto& c : std::vector<Case>{
           {R"(,"brokr_port":1)", "brokr_port"},
           {R"(,"http_port":70000)", "http_port"},
           {R"(,"console_ports":[1])", "console_ports"},
           {R"(,"console_client_ca":"ca.crt")", "console_tls_cert"},
           // A console on a network address needs HTTPS and client certificates (ACC-5).
           {R"(,"console_address":"0.0.0.0","console_ports":{"131016":8443})", "console_client_ca"},
           {R"(,"console_address":"0.0.0.0","console_ports":{"131016":8443},"console_tls_cert":"c","console_tls_key":"k")",
            "console_client_ca"}}) {
    INFO(c.extra);
    auto r = load(dir, "{" + kBase + c.extra + "}");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains(c.mentions));
  }
  auto ok = load(dir, "{" + kBase +
                          R"(,"console_address":"0.0.0.0","console_ports":{"131016":8443},"console_tls_cert":"c","console_tls_key":"k","console_client_ca":"ca.crt"})");
  CHECK(ok.ok());
}

TEST_CASE("Mail relay settings: absent = no mail, STARTTLS by default, plain only to this host (RSV-14)",
          "[hub][config][RSV-14]") {
  TempDir dir;
  auto c = load(dir, "{" + kBase + "}");
  REQUIRE(c.ok());
  CHECK(c->smtp_url.empty());
  CHECK(c->smtp_starttls);
  CHECK(c->smtp_retry_seconds == 60);
  c = load(dir, "{" + kBase +
                    R"(,"smtp_url":"smtp://relay.example.jp:587","smtp_user":"hub","smtp_password_file":"pw",)"
                    R"("smtp_ca_file":"relay-ca.pem","smtp_retry_seconds":5})");
  REQUIRE(c.ok());
  CHECK(c->smtp_url == "smtp://relay.example.jp:587");
  CHECK(c->smtp_user == "hub");
  CHECK(c->smtp_password_file == "pw");
  CHECK(c->smtp_ca_file == "relay-ca.pem");
  CHECK(c->smtp_retry_seconds == 5);
  c = load(dir, "{" + kBase + R"(,"smtps_url":"x"})");
  REQUIRE_FALSE(c.ok());
  CHECK_THAT(c.error().message, Catch::Contains("smtps_url"));
  c = load(dir, "{" + kBase + R"(,"smtp_url":"smtps://relay.example.jp:465"})");
  REQUIRE(c.ok());
  c = load(dir, "{" + kBase + R"(,"smtp_url":"smtp://127.0.0.1:2525","smtp_starttls":false})");
  REQUIRE(c.ok());
  CHECK_FALSE(c->smtp_starttls);
  struct Case {
    std::string extra;
    std::string mentions;
  };
  for (const auto& k : std::vector<Case>{
           // Plain SMTP to another host would carry receipt numbers and passwords in the clear.
           {R"(,"smtp_url":"smtp://relay.example.jp:25","smtp_starttls":false)", "smtp"},
           {R"(,"smtp_url":"smtp://127.0.0.1:25","smtp_starttls":false,"smtp_user":"u","smtp_password_file":"p")", "smtp"},
           {R"(,"smtp_url":"smtps://relay.example.jp:465","smtp_starttls":false)", "smtp_starttls"},
           {R"(,"smtp_url":"smtp://relay.example.jp:587","smtp_user":"u")", "smtp_password_file"},
           {R"(,"smtp_url":"http://relay.example.jp")", "smtp"},
           {R"(,"smtp_url":"smtp://u:p@relay.example.jp:587")", "smtp"},
           {R"(,"smtp_user":"u","smtp_password_file":"p")", "smtp_url"},
           {R"(,"smtp_url":"smtp://relay.example.jp:587","smtp_starttls":"yes")", "smtp_starttls"},
           {R"(,"smtp_url":"smtp://relay.example.jp:587","smtp_retry_seconds":0)", "smtp_retry_seconds"},
       }) {
    INFO(k.extra);
    auto r = load(dir, "{" + kBase + k.extra + "}");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::malformed);
    CHECK_THAT(r.error().message, Catch::Contains(k.mentions));
  }
}

TEST_CASE("障害通知's thresholds are read, defaulted and bounded (OPS-1)", "[hub][config][alarm]") {
  TempDir dir;
  auto d = load(dir, "{" + kBase + "}");
  REQUIRE(d.ok());
  CHECK(d->alarms.check_seconds == 15);
  CHECK(d->alarms.policy.center_silent_ms == 10 * 60'000);
  auto c = load(dir, "{" + kBase +
                         R"(,"alarms":{"check_seconds":5,"device_silent_minutes":45,"center_silent_minutes":3,"disk_min_free_mb":100,)"
                         R"("disk_min_free_percent":10,"office_hours":"09:00-17:30","office_saturday":true}})");
  REQUIRE(c.ok());
  CHECK(c->alarms.check_seconds == 5);
  CHECK(c->alarms.policy.device_silent_ms == 45 * 60'000);
  CHECK(c->alarms.policy.center_silent_ms == 3 * 60'000);
  CHECK(c->alarms.policy.disk_min_free_bytes == 100ULL << 20);
  CHECK(c->alarms.policy.disk_min_free_percent == 10);
  CHECK(c->alarms.policy.office_open_minute == 9 * 60);
  CHECK(c->alarms.policy.office_close_minute == 17 * 60 + 30);
  CHECK(c->alarms.policy.office_saturday);
  for (const char* bad : {R"({"check_seconds":0})", R"({"disk_min_free_percent":101})", R"({"office_hours":"17:00-09:00"})",
                          R"({"office_hours":"9:00-17:00"})", R"({"office_hours":"08:30-25:00"})", R"({"sound":true})",
                          R"({"office_saturday":"yes"})", R"([])"}) {
    INFO(bad);
    auto r = load(dir, "{" + kBase + R"(,"alarms":)" + bad + "}");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::malformed);
    CHECK(r.error().message.find("alarms") != std::string::npos);
  }
}

TEST_CASE("The issuance service's own threads are read, defaulted and bounded (issue 13)", "[hub][config][konbini]") {
  TempDir dir;
  const std::string service = R"("port":9443,"tls_cert":"s.crt","tls_key":"s.key","client_ca":"ca.crt","jpki_ca":"j.pem",)"
                              R"("jpki_crl":"crl.pem","municipalities":{"131016":{"name":"見本市","mayor":"見本市長","kinds":{"tax":{"fee":200}}}})";
  auto d = load(dir, "{" + kBase + R"(,"konbini":{)" + service + "}}");
  REQUIRE(d.ok());
  CHECK(d->konbini.threads == 8);
  auto c = load(dir, "{" + kBase + R"(,"konbini":{)" + service + R"(,"threads":3}})");
  REQUIRE(c.ok());
  CHECK(c->konbini.threads == 3);
  for (const char* bad : {"0", "65", "-1", "2.5", "\"8\"", "true"}) {
    INFO(bad);
    auto r = load(dir, "{" + kBase + R"(,"konbini":{)" + service + R"(,"threads":)" + bad + "}}");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("threads"));
  }
}
