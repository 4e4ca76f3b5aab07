// MailTransport over libcurl SMTP (RSV-14): smtp:// with STARTTLS required (the default),
// smtps:// (TLS from the first byte) or, only when configured so, plain smtp:// to a relay on the
// same host. Peer certificates are always verified (system CAs or ca_file).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "madoguchi/error.h"
#include "madoguchi/mail/transport.h"

namespace madoguchi::mail {

enum class SmtpTls {
  starttls,  // smtp://host:587, STARTTLS required: a relay that does not offer it gets nothing
  smtps,     // smtps://host:465, implicit TLS
  none,      // smtp:// without TLS: only for a relay on the same host (127.0.0.1 / ::1 / localhost)
};

struct SmtpConfig {
  std::string url;            // "smtp://relay.example.jp:587" or "smtps://relay.example.jp:465"
  SmtpTls tls = SmtpTls::starttls;
  std::string username;       // empty: no AUTH
  std::string password;
  std::string ca_file;        // PEM bundle to verify the relay with; empty: the system's CAs
  std::string helo_name;      // name sent in EHLO; empty: libcurl's default
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds timeout{60'000};  // the whole transaction
};

// Refuses a config that could send in the clear to another host or cannot work (scheme and tls
// disagree, credentials over a plain connection, timeouts out of range).
Status validate_smtp_config(const SmtpConfig& config);

class CurlSmtpTransport final : public MailTransport {
 public:
  static Expected<std::unique_ptr<CurlSmtpTransport>> create(SmtpConfig config);
  // One connection per message (no idle connection kept to the relay between rounds).
  SendResult send(const Envelope& envelope, std::string_view message) override;

 private:
  explicit CurlSmtpTransport(SmtpConfig config);
  SmtpConfig config_;
};

// Maps a libcurl result and the last SMTP reply code to an outcome (exposed for tests).
SendOutcome classify_smtp_failure(int curl_code, long smtp_code);

}  // namespace madoguchi::mail
