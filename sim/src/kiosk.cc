#include "madoguchi/sim/kiosk.h"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>
#include <algorithm>
#include <map>
#include <memory>
#include <thread>

#include "madoguchi/http/client.h"
#include "madoguchi/sim/jpki.h"

namespace madoguchi::sim::kiosk {

using nlohmann::json;

namespace {

std::string base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// The center's connection to the hub, kept open between requests as a center's would be (one per
// thread: a thread is one of the center's workers). Its requests may be repeated (request ids), so
// one the hub had let go idle is sent again on a new connection (http::Client).
http::Client& connection(const Target& t) {
  thread_local std::map<std::string, std::unique_ptr<http::Client>> clients;
  const std::string key = t.host + "\n" + std::to_string(t.port) + "\n" + t.ca_file + "\n" + t.cert_file + "\n" + t.key_file;
  auto& c = clients[key];
  if (!c) {
    if (clients.size() > 16) {  // bounded: a center talks to a handful of hubs
      clients.clear();
      return connection(t);
    }
    http::ClientTls tls{t.ca_file, t.cert_file, t.key_file};
    c = std::make_unique<http::Client>(t.host, t.port, &tls);
  }
  return *c;
}

Expected<http::ClientResponse> post(const Target& t, const std::string& action, const std::string& body,
                                    std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) {
  return connection(t).request("POST", "/kiosk/v1/" + t.municipality + "/" + action, body, timeout.count() > 0 ? timeout : t.timeout);
}

// The center's retry: the same step again after no answer (the hub restarting), 503 or "in
// progress", with a growing pause, at most `retries` times.
template <typename Step>
Expected<http::ClientResponse> with_retries(int retries, int& attempts, Step step) {
  Expected<http::ClientResponse> res = Error{Errc::timeout, "not sent"};
  for (int attempt = 0; attempt <= retries; ++attempt) {
    ++attempts;
    res = step(attempt);
    const bool again = !res || res->status == 503 || (res->status == 409 && res->body.find("in_progress") != std::string::npos);
    if (!again) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(100 * (attempt + 1), 1000)));
  }
  return res;
}

void read_error(const std::string& body, Result& r) {
  json j = json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    r.error = j["error"].value("code", "");
    r.reason = j["error"].value("reason", "");
    r.message = j["error"].value("message", "");
  }
}

}  // namespace

Expected<int> heartbeat(const Target& t) {
  auto res = post(t, "heartbeat", "{}");
  if (!res) return res.error();
  return res->status;
}

Expected<Result> run(const Target& t, const Order& o) {
  Result r;
  r.request = o.request;
  json hello = {{"request", o.request}, {"store", {{"id", o.store_id}, {"name", o.store_name}, {"prefecture", o.prefecture}}}, {"kiosk", o.kiosk}};
  const std::string hello_body = hello.dump();
  int challenge_attempts = 0;
  auto ch = with_retries(o.retries, challenge_attempts, [&](int) { return post(t, "challenge", hello_body); });
  if (!ch) return ch.error();
  if (ch->status != 200) {
    r.status = ch->status;
    read_error(ch->body, r);
    return r;
  }
  json cj = json::parse(ch->body, nullptr, false);
  if (!cj.is_object() || !cj.contains("signed_data") || !cj["signed_data"].is_string()) return Error{Errc::malformed, "challenge: no signed_data"};
  auto signature = jpki::sign_with_card(o.card, o.pin, cj["signed_data"].get<std::string>());
  if (!signature) return signature.error();
  auto card = jpki::load_card(o.card);
  if (!card) return card.error();
  auto der = jpki::card_certificate_der(*card);
  if (!der) return der.error();
  json options = json::parse(o.options, nullptr, false);
  if (options.is_discarded()) return Error{Errc::invalid_argument, "options: not JSON"};
  const json ask = {{"request", o.request}, {"certificate", base64(*der)}, {"signature", base64(*signature)}, {"kind", o.kind}, {"options", options}};
  const std::string body = ask.dump();
  if (o.think_time.count() > 0) std::this_thread::sleep_for(o.think_time);
  auto res = with_retries(o.retries, r.attempts, [&](int attempt) {
    return post(t, "issue", body, attempt == 0 ? o.first_issue_timeout : std::chrono::milliseconds(0));
  });
  if (!res) return res.error();
  r.status = res->status;
  if (res->status != 200) {
    read_error(res->body, r);
    return r;
  }
  r.pdf = res->body;
  if (auto it = res->headers.find("x-madoguchi-certificate-number"); it != res->headers.end()) r.number = it->second;
  if (auto it = res->headers.find("x-madoguchi-verification"); it != res->headers.end()) r.verification = it->second;
  if (o.retry_after_success) {
    ++r.attempts;
    auto again = post(t, "issue", body);
    r.same_on_retry = again && again->status == 200 && again->body == r.pdf;
  }
  auto done = post(t, o.complete ? "complete" : "cancel", json{{"request", o.request}, {"reason", "kiosk"}}.dump());
  if (!done) return done.error();
  json dj = json::parse(done->body, nullptr, false);
  if (dj.is_object() && dj.contains("state") && dj["state"].is_string()) r.final_state = dj["state"].get<std::string>();
  if (dj.is_object() && dj.contains("error") && dj["error"].is_object()) r.final_state = dj["error"].value("state", "");
  if (o.reissue_after_finish) {
    auto again = post(t, "issue", body);
    r.reissue_status = again ? again->status : 0;
  }
  return r;
}

}  // namespace madoguchi::sim::kiosk
