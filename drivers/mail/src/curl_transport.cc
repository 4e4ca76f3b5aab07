#include "madoguchi/mail/curl_transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "madoguchi/mail/message.h"

namespace madoguchi::mail {

namespace {

std::once_flag g_curl_init;

struct Upload {
  std::string_view data;
  std::size_t offset = 0;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* up = static_cast<Upload*>(user);
  std::size_t n = std::min(size * count, up->data.size() - up->offset);
  std::memcpy(buffer, up->data.data() + up->offset, n);
  up->offset += n;
  return n;
}

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

std::string host_of(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  auto rest = url.substr(scheme + 3);
  auto at = rest.find('@');
  if (at != std::string_view::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    return close == std::string_view::npos ? std::string() : std::string(rest.substr(1, close - 1));
  }
  auto end = rest.find_first_of(":/");
  return std::string(rest.substr(0, end));
}

}  // namespace

Status validate_smtp_config(const SmtpConfig& c) {
  auto bad = [](std::string m) { return Error{Errc::invalid_argument, "mail relay: " + std::move(m)}; };
  bool smtps = c.url.rfind("smtps://", 0) == 0;
  bool smtp = c.url.rfind("smtp://", 0) == 0;
  if (!smtp && !smtps) return bad("url must start with smtp:// or smtps://");
  if (c.url.size() > 512) return bad("url too long");
  for (char ch : c.url)
    if (static_cast<unsigned char>(ch) <= 0x20 || static_cast<unsigned char>(ch) >= 0x7F)
      return bad("url has a space, control or non-ASCII character");
  std::string host = host_of(c.url);
  if (host.empty()) return bad("url has no host");
  if (c.url.find('@') != std::string::npos) return bad("put credentials in username/password, not in the url");
  if (smtps && c.tls != SmtpTls::smtps) return bad("an smtps:// url needs tls \"smtps\"");
  if (smtp && c.tls == SmtpTls::smtps) return bad("tls \"smtps\" needs an smtps:// url");
  if (c.tls == SmtpTls::none) {
    if (host != "127.0.0.1" && host != "::1" && host != "localhost")
      return bad("tls \"none\" is allowed only for a relay on this host (127.0.0.1, ::1, localhost)");
  }
  if ((!c.username.empty() || !c.password.empty()) && c.tls == SmtpTls::none)
    return bad("credentials are never sent without TLS");
  if (c.connect_timeout.count() < 100 || c.connect_timeout.count() > 300'000) return bad("connect_timeout out of range (100 ms..300 s)");
  if (c.timeout.count() < 100 || c.timeout.count() > 600'000) return bad("timeout out of range (100 ms..600 s)");
  for (const auto* s : {&c.username, &c.password, &c.ca_file, &c.helo_name})
    if (s->find_first_of("\r\n") != std::string::npos || s->find('\0') != std::string::npos)
      return bad("line breaks in a setting");
  if (!c.helo_name.empty() && c.helo_name.find_first_of("/?#") != std::string::npos) return bad("bad helo_name");
  return {};
}

SendOutcome classify_smtp_failure(int curl_code, long smtp_code) {
  switch (static_cast<CURLcode>(curl_code)) {
    case CURLE_OK: return SendOutcome::sent;
    // Never a verdict on the message: the way to the relay failed.
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_USE_SSL_FAILED:
    case CURLE_GOT_NOTHING:
      return SendOutcome::temporary;
    default:
      break;
  }
  if (smtp_code >= 500 && smtp_code <= 599) return SendOutcome::permanent;
  return SendOutcome::temporary;
}

CurlSmtpTransport::CurlSmtpTransport(SmtpConfig config) : config_(std::move(config)) {}

Expected<std::unique_ptr<CurlSmtpTransport>> CurlSmtpTransport::create(SmtpConfig config) {
  if (auto s = validate_smtp_config(config); !s) return s.error();
  bool ok = true;
  std::call_once(g_curl_init, [&] { ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; });
  if (!ok) return Error{Errc::internal, "curl_global_init failed"};
  return std::unique_ptr<CurlSmtpTransport>(new CurlSmtpTransport(std::move(config)));
}

SendResult CurlSmtpTransport::send(const Envelope& envelope, std::string_view message) {
  SendResult result;
  std::unique_ptr<CURL, EasyDeleter> curl(curl_easy_init());
  if (!curl) {
    result.reason = "curl_easy_init failed";
    return result;
  }
  CURL* h = curl.get();
  std::string url = config_.url;
  if (!config_.helo_name.empty()) {
    // libcurl sends the URL's path as the EHLO name.
    auto scheme = url.find("://");
    auto slash = url.find('/', scheme + 3);
    url = url.substr(0, slash) + "/" + config_.helo_name;
  }
  std::string from = "<" + envelope.mail_from + ">";
  std::unique_ptr<curl_slist, SlistDeleter> rcpt;
  for (const auto& to : envelope.rcpt_to) {
    std::string r = "<" + to + ">";
    curl_slist* next = curl_slist_append(rcpt.get(), r.c_str());
    if (!next) {
      result.reason = "out of memory";
      return result;
    }
    rcpt.release();
    rcpt.reset(next);
  }
  Upload upload{message, 0};
  char errbuf[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config_.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeout.count()));
  if (config_.tls == SmtpTls::starttls) curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!config_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, config_.ca_file.c_str());
  if (!config_.username.empty()) {
    curl_easy_setopt(h, CURLOPT_USERNAME, config_.username.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, config_.password.c_str());
  }
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, read_upload);
  curl_easy_setopt(h, CURLOPT_READDATA, &upload);
  curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));

  CURLcode rc = curl_easy_perform(h);
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  result.smtp_code = static_cast<int>(code);
  result.outcome = classify_smtp_failure(rc, code);
  if (result.outcome != SendOutcome::sent) {
    // libcurl's messages name the step and the reply code ("RCPT failed: 550"), not the
    // addresses; scrub anyway, the text is stored and logged.
    std::string text = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    result.reason = scrub_addresses("smtp: " + text + " (curl " + std::to_string(static_cast<int>(rc)) +
                                    (code ? ", reply " + std::to_string(code) : std::string()) + ")");
  }
  return result;
}

}  // namespace madoguchi::mail
