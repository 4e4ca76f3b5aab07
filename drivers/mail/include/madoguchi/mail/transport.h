// The one thing the outbox needs from the network: hand one message to the relay. Logic tests use
// a fake; drivers/mail/src/curl_transport.cc sends through libcurl SMTP.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace madoguchi::mail {

struct Envelope {
  std::string mail_from;               // MAIL FROM address (the operator's sender, RSV-14)
  std::vector<std::string> rcpt_to;    // RCPT TO addresses
};

enum class SendOutcome {
  sent,        // the relay accepted the message (250 after DATA)
  temporary,   // try again later: no connection, timeout, TLS failure, a 4xx reply
  permanent,   // a 5xx reply: the relay refuses this message (retried only within a grace period)
};

struct SendResult {
  SendOutcome outcome = SendOutcome::temporary;
  int smtp_code = 0;     // the last SMTP reply code seen, 0 when none
  std::string reason;    // for the operator; never holds addresses or message text
};

class MailTransport {
 public:
  virtual ~MailTransport() = default;
  // Sends one message (CRLF lines, as compose() made it). Blocks at most the transport's timeout.
  virtual SendResult send(const Envelope& envelope, std::string_view message) = 0;
};

}  // namespace madoguchi::mail
