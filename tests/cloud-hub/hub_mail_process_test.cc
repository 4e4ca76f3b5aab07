// Booking mail end to end (RSV-10, RSV-12, RSV-14): the real broker and madoguchi-hub processes
// (tests/support/stack.h) with the citizen site and smtp_url pointing at a REAL SMTP server
// (Debian's python3-aiosmtpd run by tests/mail/smtp_sink.py on a free loopback port, STARTTLS
// required, its certificate the dev PKI's server certificate verified through smtp_ca_file).
// The sender address and the counter with a slot are written through the hub's API; a resident
// books through the citizen site over HTTP like a browser (cookie, CSRF token from each form),
// and the mail with the receipt number and the password arrives at the relay. The relay is then
// stopped, the booking changed, the relay started again: the change mail arrives exactly once.
// The cancellation mail follows. No mail carries the resident's name.
//
// Real time: the slot is three days after today in Japan. Exits 77 (SKIP) when python3 with
// aiosmtpd is missing.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <regex>

#include <nlohmann/json.hpp>

#include "madoguchi/domain/booking.h"
#include "madoguchi/domain/counter_master.h"
#include "madoguchi/domain/record_body.h"
#include "madoguchi/domain/settings.h"
#include "madoguchi/domain/slots.h"
#include "madoguchi/sqlite/sqlite.h"
#include "madoguchi/transport.h"
#include "process.h"
#include "stack.h"
#include "temp_dir.h"

namespace {

namespace fs = std::filesystem;
namespace c = madoguchi::domain;
using namespace std::chrono_literals;
using madoguchi::testing::Process;
using nlohmann::json;

std::string g_python;

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

// ---- the relay ----
class Relay {
 public:
  Relay(fs::path spool, fs::path pki) : spool_(std::move(spool)), pki_(std::move(pki)) { fs::create_directories(spool_); }
  ~Relay() { process_.terminate(); }
  void start() {
    process_ = Process::spawn({g_python, MADOGUCHI_MAIL_TEST_DIR "/smtp_sink.py", "--port", std::to_string(port_), "--dir",
                               spool_.string(), "--cert", (pki_ / "broker.crt").string(), "--key", (pki_ / "broker.key").string()},
                              spool_.parent_path() / "relay.log");
    REQUIRE(madoguchi::testing::eventually([&] { return fs::exists(spool_ / "ready") && madoguchi::testing::port_open(port_); },
                                           30s));
  }
  void stop() {
    process_.terminate();
    REQUIRE_FALSE(madoguchi::testing::port_open(port_));
  }
  std::vector<json> received() const {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(spool_))
      if (e.path().extension() == ".json") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::vector<json> out;
    for (const auto& f : files) {
      std::ifstream in(f);
      out.push_back(json::parse(in));
    }
    return out;
  }
  std::uint16_t port() const { return port_; }

 private:
  fs::path spool_, pki_;
  std::uint16_t port_ = madoguchi::testing::free_port();
  Process process_;
};

// ---- a browser over a plain socket: one cookie, the last form's CSRF token ----
// (madoguchi::http::request sends no cookies or form bodies, so the site is driven with this.)
struct Page {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    for (const std::string* s : {&k, &v}) {
      for (const char sc : *s) {
        const auto ch = static_cast<unsigned char>(sc);
        if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
          out += static_cast<char>(ch);
        } else {
          char buf[4];
          std::snprintf(buf, sizeof buf, "%%%02X", ch);
          out += buf;
        }
      }
      if (s == &k) out += '=';
    }
  }
  return out;
}

class Browser {
 public:
  explicit Browser(std::uint16_t port) : port_(port) {}

  Page get(const std::string& target) {
    Page p = send("GET", target, "");
    for (int i = 0; i < 5 && p.status == 303; ++i) p = send("GET", p.headers["location"], "");
    return p;
  }
  Page post(const std::string& target, std::vector<std::pair<std::string, std::string>> fields) {
    fields.emplace_back("csrf_token", csrf_);
    Page p = send("POST", target, form_encode(fields));
    if (p.status == 303) p = get(p.headers["location"]);
    return p;
  }

 private:
  Page send(const std::string& method, const std::string& target, const std::string& body) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: localhost:" + std::to_string(port_) +
                      "\r\nConnection: close\r\n";
    if (!cookie_.empty()) req += "Cookie: " + cookie_ + "\r\n";
    if (method == "POST") {
      req += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    }
    req += "\r\n" + body;
    REQUIRE(::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size()));
    std::string raw;
    char buf[16384];
    while (true) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      raw.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    const auto end = raw.find("\r\n\r\n");
    REQUIRE(end != std::string::npos);
    Page p;
    std::istringstream head(raw.substr(0, end));
    std::string line;
    std::getline(head, line);
    p.status = std::stoi(line.substr(9, 3));
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      p.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    p.body = raw.substr(end + 4);
    if (p.headers.count("transfer-encoding")) FAIL("chunked response not expected");
    if (auto it = p.headers.find("set-cookie"); it != p.headers.end()) {
      const std::string pair = it->second.substr(0, it->second.find(';'));
      cookie_ = pair.substr(pair.find('=') + 1).empty() ? "" : pair;
    }
    std::smatch m;
    static const std::regex re(R"re(name="csrf_token" value="([^"]+)")re");
    if (std::regex_search(p.body, m, re)) csrf_ = m[1].str();
    return p;
  }

  std::uint16_t port_;
  std::string cookie_, csrf_;
};

std::string draft_of(const std::string& html) {
  std::smatch m;
  REQUIRE(std::regex_search(html, m, std::regex(R"re(name="draft" value="([^"]+)")re")));
  return m[1].str();
}

std::string two(int v) { return (v < 10 ? "0" : "") + std::to_string(v); }
std::string date_text(const madoguchi::calendar::Date& d) {
  return std::to_string(d.year) + "-" + two(d.month) + "-" + two(d.day);
}

// The mails the relay got for `to`, in arrival order.
std::vector<json> mails_to(const Relay& relay, const std::string& to) {
  std::vector<json> out;
  for (const auto& m : relay.received()) {
    if (m["rcpt_tos"].size() == 1 && m["rcpt_tos"][0] == to) out.push_back(m);
  }
  return out;
}

}  // namespace

TEST_CASE("A booking on the citizen site is mailed through a real SMTP relay, an outage delays mail and loses none",
          "[hub][mail][process][RSV-10][RSV-12][RSV-14]") {
  madoguchi::testing::TempDir dir;
  madoguchi::testing::Stack stack(dir.path(), MADOGUCHI_BIN_DIR);
  stack.start_broker();
  Relay relay(dir.path() / "relay", stack.pki());
  relay.start();
  madoguchi::testing::HubSpec spec;
  spec.portal = true;
  spec.extra_config = {{"smtp_url", "smtp://127.0.0.1:" + std::to_string(relay.port())},
                       {"smtp_ca_file", (stack.pki() / "ca.crt").string()},
                       {"smtp_retry_seconds", 1}};
  stack.start_hub(spec);
  REQUIRE(madoguchi::testing::eventually([&] { return madoguchi::testing::port_open(stack.hub_portal_port()); }, 20s));

  // The operator's sender address and no reminders (RSV-13 is tested with a manual clock).
  c::Settings settings;
  settings.municipality_name = "サンプル区";
  settings.mail_from = "yoyaku@city.example.jp";
  settings.reminder_days_before = 0;
  REQUIRE(stack.hub_put("131016", std::string(c::kSettingsEntity), std::string(c::kSettingsKey),
                        c::dump_body(c::settings_to_json(settings)), 0) == 200);
  // A counter for applications and two slots three days from now (Japan time).
  const auto today = c::japan_local_time(madoguchi::SystemClock().wall_ms()).date;
  const auto day = madoguchi::calendar::add_days(today, 3);
  c::CounterMaster counter;
  counter.id = "1";
  counter.name = "本庁舎窓口";
  counter.businesses = {c::Business::application};
  for (auto& d : counter.week) d = {c::TimeBand{9 * 60, 12 * 60}};
  counter.minutes_per_visit = 30;
  counter.capacity_per_slot = 3;
  counter.valid_from = c::LocalDateTime{madoguchi::calendar::add_days(today, -1), 0};
  counter.deadline_days_before = 1;
  counter.deadline_time = 17 * 60;
  REQUIRE(stack.hub_put("131016", "counter", "1", c::dump_body(c::counter_to_json(counter)), 0) == 200);
  std::vector<std::string> slot_keys;
  for (int minute : {10 * 60, 10 * 60 + 30}) {
    c::Slot s;
    s.counter = "1";
    s.start = c::LocalDateTime{day, minute};
    s.minutes = 30;
    s.capacity = 3;
    s.deadline = c::LocalDateTime{madoguchi::calendar::add_days(day, -1), 17 * 60};
    const std::string key = "1:" + date_text(day) + "T" + two(minute / 60) + ":" + two(minute % 60);
    slot_keys.push_back(key);
    json reply;
    INFO(key);
    REQUIRE(stack.hub_put("131016", "slot", key, c::dump_body(c::slot_to_json(s)), 0, &reply) == 200);
  }

  // A resident books an application visit on the citizen site.
  const std::string email = "hanako@example.jp";
  const std::string name = "ヤマダ ハナコ";
  Browser b(stack.hub_portal_port());
  Page p = b.get("/131016/book/application");
  REQUIRE(p.status == 200);
  p = b.post("/131016/book/application", {{"people", "1"}, {"kind", "new"}, {"name_1", name}});
  REQUIRE(contains(p.body, "窓口を選ぶ"));
  p = b.post("/131016/book/counter", {{"counter", "1"}});
  REQUIRE(contains(p.body, "日時を選ぶ"));
  p = b.post("/131016/book/slot", {{"slot", slot_keys[0]}});
  REQUIRE(contains(p.body, "連絡先を入力する"));
  p = b.post("/131016/book/contact", {{"email", email}, {"email_confirm", email}, {"proxy", "no"}});
  REQUIRE(contains(p.body, "入力内容の確認"));
  p = b.post("/131016/book/confirm", {{"draft", draft_of(p.body)}});
  std::smatch m;
  REQUIRE(std::regex_search(
      p.body, m,
      std::regex(R"re(<dt>受付番号</dt><dd class="secret">([^<]+)</dd></div>\s*<div class="summary-row"><dt>パスワード</dt><dd class="secret">([^<]+)</dd>)re")));
  const std::string receipt = m[1].str(), password = m[2].str();

  // The confirmation arrives with the receipt number and the password (RSV-10), from the
  // operator's address (RSV-14), over STARTTLS.
  REQUIRE(madoguchi::testing::eventually([&] { return mails_to(relay, email).size() == 1; }, 30s));
  json made = mails_to(relay, email)[0];
  CHECK(made["mail_from"] == "yoyaku@city.example.jp");
  CHECK(made["tls"] == true);
  CHECK(made["subject"] == "【サンプル区】来庁予約を受け付けました（受付番号 " + receipt + "）");
  const std::string made_body = made["body"];
  CHECK(contains(made_body, "受付番号：" + receipt));
  CHECK(contains(made_body, "パスワード：" + password));
  CHECK(contains(made_body, "窓口：本庁舎窓口"));
  CHECK(contains(made_body, "http://localhost:" + std::to_string(stack.hub_portal_port()) + "/131016/"));

  // The relay goes away; the resident moves the booking; the mail waits in the outbox.
  relay.stop();
  Browser later(stack.hub_portal_port());
  later.get("/131016/lookup");
  p = later.post("/131016/lookup", {{"receipt", receipt}, {"password", password}});
  REQUIRE(contains(p.body, receipt));
  p = later.get("/131016/booking/change");
  p = later.post("/131016/booking/change", {{"counter", "1"}});
  p = later.post("/131016/book/slot", {{"slot", slot_keys[1]}});
  REQUIRE(contains(p.body, "変更内容の確認"));
  p = later.post("/131016/book/confirm", {{"draft", draft_of(p.body)}});
  REQUIRE(contains(p.body, "予約の日時を変更しました"));
  // Queued, with failed attempts behind it (the sender tried the absent relay): read from the
  // outbox as the operator would (docs/operations.md).
  const auto failed_attempts = [&] {
    auto db = madoguchi::sqlite::Db::open(stack.dir() / "hub" / "131016.mail.db", {.read_only = true});
    REQUIRE(db.ok());
    auto st = db->prepare("SELECT attempts, last_error FROM mail_outbox WHERE state = 'queued'");
    REQUIRE(st.ok());
    int attempts = 0;
    while (true) {
      auto row = st->step();
      REQUIRE(row.ok());
      if (!*row) break;
      if (!st->column_text(1).empty()) attempts += static_cast<int>(st->column_int(0));
    }
    return attempts;
  };
  REQUIRE(madoguchi::testing::eventually([&] { return failed_attempts() >= 2; }, 30s));
  CHECK(stack.hub_status()["mail"]["municipalities"]["131016"]["queued"] == 1);
  std::ifstream log_in(dir.path() / "logs" / "hub.log");
  const std::string log_text((std::istreambuf_iterator<char>(log_in)), std::istreambuf_iterator<char>());
  CHECK(contains(log_text, "outbox"));
  CHECK(relay.received().size() == 1);

  relay.start();
  REQUIRE(madoguchi::testing::eventually([&] { return mails_to(relay, email).size() == 2; }, 60s));
  json changed = mails_to(relay, email)[1];
  CHECK(changed["subject"] == "【サンプル区】来庁予約を変更しました（受付番号 " + receipt + "）");
  CHECK(contains(changed["body"].get<std::string>(), "10:30"));
  CHECK_FALSE(contains(changed["body"].get<std::string>(), password));

  // Cancel: the cancellation mail. After it, exactly three mails reached the relay: the change
  // went once, although it was tried while the relay was away.
  p = later.get("/131016/booking/cancel");
  REQUIRE(contains(p.body, "予約の取消の確認"));
  p = later.post("/131016/booking/cancel", {});
  REQUIRE(contains(p.body, "予約を取り消しました"));
  REQUIRE(madoguchi::testing::eventually([&] { return mails_to(relay, email).size() == 3; }, 30s));
  json cancelled = mails_to(relay, email)[2];
  CHECK(cancelled["subject"] == "【サンプル区】来庁予約を取り消しました（受付番号 " + receipt + "）");
  REQUIRE(madoguchi::testing::eventually([&] { return stack.hub_status()["mail"]["municipalities"]["131016"]["sent"] == 3; },
                                         30s));
  auto all = relay.received();
  CHECK(all.size() == 3);
  std::set<std::string> ids;
  for (const auto& mail : all) {
    ids.insert(mail["message_id"].get<std::string>());
    CHECK(mail["defects"].empty());
    for (const char* field : {"subject", "body", "from", "to"}) {
      CHECK_FALSE(contains(mail[field].get<std::string>(), "ヤマダ"));
      CHECK_FALSE(contains(mail[field].get<std::string>(), "ハナコ"));
    }
  }
  CHECK(ids.size() == 3);
  // Never an address or a name in the hub's log.
  std::ifstream log_again(dir.path() / "logs" / "hub.log");
  const std::string log_all((std::istreambuf_iterator<char>(log_again)), std::istreambuf_iterator<char>());
  CHECK_FALSE(contains(log_all, email));
  CHECK_FALSE(contains(log_all, "ヤマダ"));
  const auto status = stack.hub_status();
  CHECK(status["mail"]["enabled"] == true);
  CHECK(status["mail"]["municipalities"]["131016"]["counted"]["no_sender"] == 0);
  CHECK(status["mail"]["municipalities"]["131016"]["failed"] == 0);
}

int main(int argc, char* argv[]) {
  const char* env = std::getenv("MADOGUCHI_PYTHON");
  g_python = env ? env : "/usr/bin/python3";
  const std::string probe = "'" + g_python + "' -c 'import aiosmtpd' >/dev/null 2>&1";
  if (std::system(probe.c_str()) != 0) {
    std::cout << "SKIP: " << g_python << " with aiosmtpd is not available (Debian package python3-aiosmtpd)\n";
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
