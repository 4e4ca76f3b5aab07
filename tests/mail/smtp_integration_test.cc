// The mail outbox against a REAL SMTP server (RSV-10, RSV-13, RSV-14): Debian's python3-aiosmtpd
// run by tests/mail/smtp_sink.py on a free loopback port, our libcurl transport with STARTTLS
// required and the relay's certificate verified. Mails arrive with their Japanese headers and
// body intact (decoded by Python's email package); a relay outage leaves mail queued with
// retries scheduled and, once the relay is back, every mail arrives exactly once. Backoff runs on
// a ManualClock; only the sends touch the network. Exits 77 (SKIP) when python3 with aiosmtpd or
// openssl is missing.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "madoguchi/mail/curl_transport.h"
#include "madoguchi/mail/outbox.h"
#include "process.h"
#include "temp_dir.h"

using namespace madoguchi;
using namespace madoguchi::mail;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using madoguchi::testing::Process;

namespace {

std::string g_python;

std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

// A self-signed certificate for 127.0.0.1 and localhost; the client verifies against it.
void make_certificate(const fs::path& dir) {
  std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost"
                    " -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout " + sh_quote((dir / "relay.key").string()) +
                    " -out " + sh_quote((dir / "relay.pem").string()) + " >" + sh_quote((dir / "openssl.log").string()) + " 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
}

class Relay {
 public:
  Relay(fs::path spool, std::uint16_t port, std::optional<fs::path> cert_dir)
      : spool_(std::move(spool)), port_(port), cert_dir_(std::move(cert_dir)) {
    fs::create_directories(spool_);
  }
  void start() {
    std::vector<std::string> argv = {g_python, MADOGUCHI_MAIL_TEST_DIR "/smtp_sink.py", "--port", std::to_string(port_),
                                     "--dir", spool_.string()};
    if (cert_dir_) {
      argv.insert(argv.end(), {"--cert", (*cert_dir_ / "relay.pem").string(), "--key", (*cert_dir_ / "relay.key").string()});
    }
    process_ = Process::spawn(argv, spool_.parent_path() / ("relay-" + std::to_string(port_) + ".log"));
    REQUIRE(madoguchi::testing::eventually(
        [&] { return fs::exists(spool_ / "ready") && madoguchi::testing::port_open(port_); }, 30s));
  }
  void stop() {
    process_.terminate();
    REQUIRE_FALSE(madoguchi::testing::port_open(port_));
  }
  // Every message the server accepted, decoded by Python's email package, in arrival order.
  std::vector<nlohmann::json> received() const {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(spool_))
      if (e.path().extension() == ".json") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::vector<nlohmann::json> out;
    for (const auto& f : files) {
      std::ifstream in(f);
      out.push_back(nlohmann::json::parse(in));
    }
    return out;
  }
  std::uint16_t port() const { return port_; }

 private:
  fs::path spool_;
  std::uint16_t port_;
  std::optional<fs::path> cert_dir_;
  Process process_;
};

Message mail_for(const std::string& receipt, const std::string& to) {
  Message m;
  m.from = {"noreply@city.example.jp", "〇〇市 マイナンバーカード予約"};
  m.to = {{to, "山田 太郎"}};
  m.subject = "【〇〇市】マイナンバーカード受取予約の確認（受付番号 " + receipt + "）";
  m.body = "山田 太郎 様\n\n受取予約を承りました。\n受付番号: " + receipt + "\nパスワードは別のメールでお知らせします。\n";
  return m;
}

SmtpConfig relay_config(std::string url, SmtpTls tls, std::string ca_file = {}, std::string user = {},
                        std::string password = {}) {
  SmtpConfig c;
  c.url = std::move(url);
  c.tls = tls;
  c.ca_file = std::move(ca_file);
  c.username = std::move(user);
  c.password = std::move(password);
  return c;
}

std::string unix_lines(std::string s) {
  std::string out;
  for (char c : s)
    if (c != '\r') out += c;
  return out;
}

struct World {
  madoguchi::testing::TempDir dir;
  ManualClock clock;
  std::optional<sqlite::Db> db;
  std::optional<MailOutbox> outbox;
  std::unique_ptr<CurlSmtpTransport> transport;
  RetryPolicy policy;

  World() {
    auto d = sqlite::Db::open(dir / "mail.db");
    REQUIRE(d.ok());
    db.emplace(std::move(*d));
    REQUIRE(sqlite::migrate(*db, outbox_only_schema()).ok());
    auto o = MailOutbox::attach(*db, clock);
    REQUIRE(o.ok());
    outbox.emplace(std::move(*o));
  }
  void use(SmtpConfig config) {
    config.connect_timeout = 5s;
    config.timeout = 20s;
    auto t = CurlSmtpTransport::create(config);
    REQUIRE(t.ok());
    transport = std::move(*t);
  }
  SendRound round() {
    MailSender sender(*outbox, *transport, null_log(), policy, [] { return 1.0; });
    auto r = sender.run_once();
    REQUIRE(r.ok());
    return *r;
  }
};

}  // namespace

TEST_CASE("mail reaches a real SMTP server over STARTTLS, an outage delays it and loses none (RSV-14)",
          "[mail][smtp]") {
  World w;
  make_certificate(w.dir.path());
  Relay relay(w.dir / "spool", madoguchi::testing::free_port(), w.dir.path());
  relay.start();
  w.use(relay_config("smtp://127.0.0.1:" + std::to_string(relay.port()), SmtpTls::starttls, (w.dir / "relay.pem").string()));

  std::map<std::string, std::string> expected;  // Message-ID -> receipt
  for (int i = 1; i <= 3; ++i) {
    std::string receipt = "R-00010" + std::to_string(i);
    auto q = w.outbox->enqueue(mail_for(receipt, "resident" + std::to_string(i) + "@example.jp"), "booking:" + receipt + ":confirm");
    REQUIRE(q.ok());
    expected["<" + q->message_id + ">"] = receipt;
  }
  auto first = w.round();
  CHECK(first.sent == 3);
  auto got = relay.received();
  REQUIRE(got.size() == 3);
  for (std::size_t i = 0; i < got.size(); ++i) {
    const auto& m = got[i];
    INFO(m.dump());
    std::string receipt = "R-00010" + std::to_string(i + 1);
    CHECK(m["tls"] == true);
    CHECK(m["mail_from"] == "noreply@city.example.jp");
    CHECK(m["rcpt_tos"] == nlohmann::json::array({"resident" + std::to_string(i + 1) + "@example.jp"}));
    CHECK(m["subject"] == "【〇〇市】マイナンバーカード受取予約の確認（受付番号 " + receipt + "）");
    CHECK(m["from"] == "〇〇市 マイナンバーカード予約 <noreply@city.example.jp>");
    CHECK(m["to"] == "山田 太郎 <resident" + std::to_string(i + 1) + "@example.jp>");
    CHECK(m["content_type"] == "text/plain");
    CHECK(m["charset"] == "utf-8");
    CHECK(unix_lines(m["body"].get<std::string>()) == mail_for(receipt, "x@example.jp").body);
    CHECK(m["defects"].empty());
    CHECK(expected.at(m["message_id"].get<std::string>()) == receipt);
  }

  // The relay goes down: new mail stays queued with a retry scheduled.
  relay.stop();
  for (int i = 4; i <= 6; ++i) {
    std::string receipt = "R-00010" + std::to_string(i);
    auto q = w.outbox->enqueue(mail_for(receipt, "resident" + std::to_string(i) + "@example.jp"), "booking:" + receipt + ":confirm");
    REQUIRE(q.ok());
    expected["<" + q->message_id + ">"] = receipt;
  }
  auto down = w.round();
  CHECK(down.attempted == 3);
  CHECK(down.retried == 3);
  CHECK(down.sent == 0);
  auto queued = w.outbox->list(EntryState::queued, 10);
  REQUIRE(queued.ok());
  REQUIRE(queued->size() == 3);
  for (const auto& row : *queued) {
    CHECK(row.attempts == 1);
    CHECK(row.next_attempt_ms == w.clock.wall_ms() + 60'000);
    CHECK(row.last_error.find("curl 7") != std::string::npos);  // CURLE_COULDNT_CONNECT
  }
  CHECK(w.round().attempted == 0);  // not due yet

  // Back up: after the backoff every mail arrives, exactly once.
  relay.start();
  w.clock.advance(60s);
  CHECK(w.round().sent == 3);
  CHECK(w.round().attempted == 0);
  got = relay.received();
  REQUIRE(got.size() == 6);
  std::set<std::string> ids;
  for (const auto& m : got) ids.insert(m["message_id"].get<std::string>());
  CHECK(ids.size() == 6);
  for (const auto& [id, receipt] : expected) CHECK(ids.count(id) == 1);
  auto stats = w.outbox->stats();
  REQUIRE(stats.ok());
  CHECK(stats->sent == 6);
  CHECK(stats->queued == 0);
  relay.stop();
}

TEST_CASE("the real server's 550 and 451 replies are classified as permanent and temporary", "[mail][smtp]") {
  World w;
  w.policy.permanent_grace = 0ms;
  make_certificate(w.dir.path());
  Relay relay(w.dir / "spool", madoguchi::testing::free_port(), w.dir.path());
  relay.start();
  w.use(relay_config("smtp://127.0.0.1:" + std::to_string(relay.port()), SmtpTls::starttls, (w.dir / "relay.pem").string()));
  REQUIRE(w.outbox->enqueue(mail_for("R-1", "reject.me@example.jp"), "k-reject").ok());
  REQUIRE(w.outbox->enqueue(mail_for("R-2", "tempfail.me@example.jp"), "k-tempfail").ok());
  auto r = w.round();
  CHECK(r.failed == 1);
  CHECK(r.retried == 1);
  auto rejected = w.outbox->find("k-reject");
  REQUIRE(rejected.ok());
  CHECK((*rejected)->state == EntryState::failed);
  CHECK((*rejected)->last_smtp_code == 550);
  CHECK((*rejected)->last_error.find("reject.me") == std::string::npos);
  auto later = w.outbox->find("k-tempfail");
  REQUIRE(later.ok());
  CHECK((*later)->state == EntryState::queued);
  CHECK((*later)->last_smtp_code == 451);
  CHECK(relay.received().empty());
  relay.stop();
}

TEST_CASE("STARTTLS required: a relay that does not offer it gets nothing", "[mail][smtp]") {
  World w;
  Relay plain(w.dir / "spool", madoguchi::testing::free_port(), std::nullopt);
  plain.start();
  w.use(relay_config("smtp://127.0.0.1:" + std::to_string(plain.port()), SmtpTls::starttls));
  REQUIRE(w.outbox->enqueue(mail_for("R-3", "resident@example.jp"), "k-tls").ok());
  auto r = w.round();
  CHECK(r.retried == 1);
  CHECK(plain.received().empty());
  auto row = w.outbox->find("k-tls");
  REQUIRE(row.ok());
  CHECK((*row)->state == EntryState::queued);
  CHECK((*row)->last_error.find("curl 64") != std::string::npos);  // CURLE_USE_SSL_FAILED

  // The same server with TLS "none" (allowed for a relay on this host only) takes it.
  w.use(relay_config("smtp://127.0.0.1:" + std::to_string(plain.port()), SmtpTls::none));
  w.clock.advance(60s);
  CHECK(w.round().sent == 1);
  REQUIRE(plain.received().size() == 1);
  CHECK(plain.received()[0]["tls"] == false);
  plain.stop();
}

TEST_CASE("relay settings that could leak mail or credentials are refused", "[mail][smtp]") {
  CHECK_FALSE(validate_smtp_config(relay_config("smtp://relay.example.jp:25", SmtpTls::none)).ok());
  CHECK(validate_smtp_config(relay_config("smtp://127.0.0.1:25", SmtpTls::none)).ok());
  CHECK_FALSE(validate_smtp_config(relay_config("smtp://127.0.0.1:25", SmtpTls::none, "", "u", "p")).ok());
  CHECK_FALSE(validate_smtp_config(relay_config("smtps://relay.example.jp", SmtpTls::starttls)).ok());
  CHECK_FALSE(validate_smtp_config(relay_config("smtp://relay.example.jp", SmtpTls::smtps)).ok());
  CHECK_FALSE(validate_smtp_config(relay_config("http://relay.example.jp", SmtpTls::starttls)).ok());
  CHECK_FALSE(validate_smtp_config(relay_config("smtp://user:pw@relay.example.jp", SmtpTls::starttls)).ok());
  CHECK_FALSE(validate_smtp_config(relay_config("smtp://relay.example.jp\r\nX", SmtpTls::starttls)).ok());
  CHECK(validate_smtp_config(relay_config("smtp://relay.example.jp:587", SmtpTls::starttls, "", "u", "p")).ok());
  CHECK(validate_smtp_config(relay_config("smtps://relay.example.jp:465", SmtpTls::smtps)).ok());
  CHECK(classify_smtp_failure(7, 0) == SendOutcome::temporary);
  CHECK(classify_smtp_failure(55, 451) == SendOutcome::temporary);
  CHECK(classify_smtp_failure(55, 550) == SendOutcome::permanent);
  CHECK(classify_smtp_failure(64, 250) == SendOutcome::temporary);
}

int main(int argc, char* argv[]) {
  const char* env = std::getenv("MADOGUCHI_PYTHON");
  g_python = env ? env : "/usr/bin/python3";
  std::string probe = sh_quote(g_python) + " -c 'import aiosmtpd' >/dev/null 2>&1";
  if (std::system(probe.c_str()) != 0) {
    std::cout << "SKIP: " << g_python << " with aiosmtpd is not available (Debian package python3-aiosmtpd)\n";
    return 77;
  }
  if (std::system("openssl version >/dev/null 2>&1") != 0) {
    std::cout << "SKIP: openssl is not available to make the relay's test certificate\n";
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
