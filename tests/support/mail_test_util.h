// Helpers shared by the mail tests: base64 and RFC 2047 decoding written independently of the
// code under test, and a scripted fake MailTransport.
#pragma once

#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/mail/transport.h"

namespace madoguchi::mail::testing {

inline std::string b64decode(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  int bits = 0, acc = 0;
  for (char c : in) {
    int v = val(c);
    if (v < 0) continue;  // '=', CR, LF
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

// Unfolds a header value and decodes its =?UTF-8?B?...?= words (whitespace between words dropped).
inline std::string decode_header(std::string_view value) {
  std::string out;
  std::size_t i = 0;
  std::string pending_space;
  while (i < value.size()) {
    if (value.compare(i, 10, "=?UTF-8?B?") == 0) {
      auto end = value.find("?=", i + 10);
      out += b64decode(value.substr(i + 10, end - i - 10));
      i = end + 2;
      pending_space.clear();
      // skip folding white space up to the next word
      std::size_t j = i;
      while (j < value.size() && (value[j] == '\r' || value[j] == '\n' || value[j] == ' ' || value[j] == '\t')) ++j;
      if (value.compare(j, 10, "=?UTF-8?B?") == 0) i = j;
      continue;
    }
    if (value[i] != '\r' && value[i] != '\n') out += value[i];
    ++i;
  }
  return out;
}

// The raw (still folded) value of header `name` in a composed message, empty when absent.
inline std::string header_value(std::string_view message, std::string_view name) {
  std::string key = "\r\n" + std::string(name) + ": ";
  std::string msg = "\r\n" + std::string(message);
  auto pos = msg.find(key);
  if (pos == std::string::npos) return {};
  auto start = pos + key.size();
  auto end = start;
  for (;;) {
    end = msg.find("\r\n", end);
    if (end == std::string::npos || end + 2 >= msg.size() || (msg[end + 2] != ' ' && msg[end + 2] != '\t')) break;
    end += 2;
  }
  return msg.substr(start, end - start);
}

inline std::string body_of(std::string_view message) {
  auto pos = message.find("\r\n\r\n");
  return b64decode(message.substr(pos + 4));
}

class FakeTransport final : public MailTransport {
 public:
  struct Sent {
    Envelope envelope;
    std::string message;
  };
  // Outcomes to return, in order; when empty every send succeeds.
  std::deque<SendResult> script;
  // When true a scripted failure still "delivers" (the relay got it but the reply was lost).
  bool deliver_on_failure = false;
  std::vector<Sent> delivered;
  int calls = 0;

  SendResult send(const Envelope& envelope, std::string_view message) override {
    ++calls;
    SendResult r{SendOutcome::sent, 250, {}};
    if (!script.empty()) {
      r = script.front();
      script.pop_front();
    }
    if (r.outcome == SendOutcome::sent || deliver_on_failure) delivered.push_back({envelope, std::string(message)});
    return r;
  }
};

inline SendResult temporary(std::string reason = "smtp: Failed to connect (curl 7)") {
  return {SendOutcome::temporary, 0, std::move(reason)};
}
inline SendResult permanent(int code, std::string reason) { return {SendOutcome::permanent, code, std::move(reason)}; }

}  // namespace madoguchi::mail::testing
