#include "madoguchi/mail/message.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace madoguchi::mail {

namespace {

constexpr std::string_view kCrlf = "\r\n";

Error invalid(std::string message) { return Error{Errc::invalid_argument, std::move(message)}; }

bool is_atext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '/': case '=': case '?': case '^': case '_': case '`': case '{': case '|': case '}': case '~':
      return true;
    default:
      return false;
  }
}

// dot-atom-text: atext runs separated by single dots, no leading or trailing dot.
bool is_dot_atom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (char c : s) {
    if (c == '.') {
      if (prev == '.') return false;
    } else if (!is_atext(c)) {
      return false;
    }
    prev = c;
  }
  return true;
}

bool is_ldh(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'; }

// Length of the UTF-8 sequence starting at s[i], or 0 when it is not well-formed (overlong forms,
// surrogates and code points above U+10FFFF are refused).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) return 1;
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if ((b & 0xE0) == 0xC0) { n = 2; cp = b & 0x1F; }
  else if ((b & 0xF0) == 0xE0) { n = 3; cp = b & 0x0F; }
  else if ((b & 0xF8) == 0xF0) { n = 4; cp = b & 0x07; }
  else return 0;
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) return 0;
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_sequence(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

bool is_ascii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

// A display name as a phrase: plain ASCII as a quoted-string, anything else as encoded words.
std::string phrase(std::string_view name, std::size_t used) {
  if (is_ascii(name) && name.size() <= 60 && name.find("=?") == std::string_view::npos) {
    std::string out = "\"";
    for (char c : name) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
    return out;
  }
  return encode_words(name, used);
}

Status check_mailbox(std::string_view field, const Mailbox& box) {
  if (auto s = validate_address(box.address); !s) return s.error().with_context(std::string(field));
  if (box.display_name.size() > kMaxDisplayNameBytes)
    return Error{Errc::too_large, std::string(field) + ": display name over " + std::to_string(kMaxDisplayNameBytes) + " bytes"};
  return validate_header_text(std::string(field) + " display name", box.display_name);
}

std::string mailbox_text(const Mailbox& box, std::size_t used) {
  if (box.display_name.empty()) return "<" + box.address + ">";
  return phrase(box.display_name, used) + " <" + box.address + ">";
}

}  // namespace

Status validate_address(std::string_view address) {
  if (address.empty()) return invalid("address is empty");
  if (address.size() > kMaxAddressBytes) return Error{Errc::too_large, "address over " + std::to_string(kMaxAddressBytes) + " bytes"};
  for (char c : address) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u >= 0x7F) return invalid("address has a space, a control or a non-ASCII character");
  }
  auto at = address.rfind('@');
  if (at == std::string_view::npos || address.find('@') != at) return invalid("address needs exactly one '@'");
  auto local = address.substr(0, at);
  auto domain = address.substr(at + 1);
  if (local.empty() || local.size() > kMaxLocalPartBytes || !is_dot_atom(local))
    return invalid("address local part is not a dot-atom of at most 64 characters");
  if (domain.empty() || domain.size() > kMaxDomainBytes) return invalid("address domain is empty or too long");
  if (domain.find('.') == std::string_view::npos) return invalid("address domain needs a dot");
  std::size_t start = 0;
  while (start <= domain.size()) {
    auto dot = domain.find('.', start);
    auto label = domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return invalid("address domain has an empty, overlong or hyphen-edged label");
    for (char c : label)
      if (!is_ldh(c)) return invalid("address domain may hold only letters, digits, '-' and '.'");
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return {};
}

Status validate_header_text(std::string_view field, std::string_view value) {
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\r' || c == '\n') return invalid(std::string(field) + ": line break in a header value (refused)");
    if ((u < 0x20 && c != '\t') || u == 0x7F) return invalid(std::string(field) + ": control character in a header value");
  }
  if (!valid_utf8(value)) return invalid(std::string(field) + ": not valid UTF-8");
  return {};
}

std::string mask_address(std::string_view address) {
  auto at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= address.size()) return "***";
  std::string out;
  out += address[0];
  out += "***@";
  auto domain = address.substr(at + 1);
  out += domain[0];
  out += "***";
  auto dot = domain.rfind('.');
  if (dot != std::string_view::npos && dot + 1 < domain.size()) {
    auto tld = domain.substr(dot);
    if (tld.size() <= 8) out += tld;
  }
  return out;
}

std::string scrub_addresses(std::string_view text) {
  auto separator = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '<' || c == '>' || c == ',' || c == ';' ||
           c == ':' || c == '(' || c == ')' || c == '"' || c == '\'' || c == '[' || c == ']';
  };
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (separator(text[i])) {
      out += text[i++];
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && !separator(text[j])) ++j;
    auto token = text.substr(i, j - i);
    if (token.find('@') != std::string_view::npos) out += mask_address(token);
    else out += token;
    i = j;
  }
  return out;
}

std::string base64_encode(std::string_view data) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t v = (static_cast<unsigned char>(data[i]) << 16) | (static_cast<unsigned char>(data[i + 1]) << 8) |
                      static_cast<unsigned char>(data[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  std::size_t rest = data.size() - i;
  if (rest == 1) {
    std::uint32_t v = static_cast<unsigned char>(data[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    std::uint32_t v = (static_cast<unsigned char>(data[i]) << 16) | (static_cast<unsigned char>(data[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string encode_words(std::string_view text, std::size_t first_line_used) {
  constexpr std::size_t kWordOverhead = 12;  // "=?UTF-8?B?" + "?="
  constexpr std::size_t kMaxWord = 75;        // RFC 2047 section 2
  std::string out;
  std::size_t used = first_line_used;
  std::size_t i = 0;
  bool first = true;
  while (i < text.size() || first) {
    // Room on this line (78 characters recommended), but a word always carries at least one
    // character and never more than 75 characters in all.
    std::size_t room = used + kWordOverhead + 4 < 78 ? 78 - used - kWordOverhead : 4;
    room = std::min(room, kMaxWord - kWordOverhead);
    std::size_t max_raw = room / 4 * 3;
    std::size_t end = i;
    while (end < text.size()) {
      std::size_t n = utf8_sequence(text, end);
      if (n == 0) n = 1;  // callers validate first; never loop forever on bad input
      if (end + n - i > max_raw && end > i) break;
      end += n;
    }
    if (!first) out += "\r\n ";
    out += "=?UTF-8?B?";
    out += base64_encode(text.substr(i, end - i));
    out += "?=";
    used = 1;
    i = end;
    first = false;
  }
  return out;
}

std::string rfc5322_date(std::int64_t wall_ms) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  // Japan has no daylight saving time: JST is always +0900.
  std::time_t t = static_cast<std::time_t>(wall_ms / 1000) + 9 * 3600;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0900", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

Expected<std::string> compose(const Message& m, const ComposeLimits& limits) {
  if (auto s = check_mailbox("From", m.from); !s) return s.error();
  if (m.to.empty()) return invalid("To: at least one recipient is needed");
  if (m.to.size() > kMaxRecipients) return Error{Errc::too_large, "To: more than " + std::to_string(kMaxRecipients) + " recipients"};
  for (const auto& box : m.to)
    if (auto s = check_mailbox("To", box); !s) return s.error();
  if (m.subject.size() > kMaxSubjectBytes) return Error{Errc::too_large, "Subject over " + std::to_string(kMaxSubjectBytes) + " bytes"};
  if (auto s = validate_header_text("Subject", m.subject); !s) return s.error();
  if (m.message_id.size() > 200) return Error{Errc::too_large, "Message-ID over 200 bytes"};
  {
    auto at = m.message_id.find('@');
    if (at == std::string::npos || !is_dot_atom(std::string_view(m.message_id).substr(0, at)) ||
        !is_dot_atom(std::string_view(m.message_id).substr(at + 1)))
      return invalid("Message-ID must be dot-atom '@' dot-atom (without angle brackets)");
  }
  if (m.date_ms <= 0) return invalid("Date: wall-clock time missing");
  if (m.body.size() > limits.max_body_bytes)
    return Error{Errc::too_large, "body over " + std::to_string(limits.max_body_bytes) + " bytes"};
  if (!valid_utf8(m.body)) return invalid("body: not valid UTF-8");

  // Canonical text/plain: CRLF line ends (LF alone becomes CRLF, a lone CR is refused).
  std::string canonical;
  canonical.reserve(m.body.size() + m.body.size() / 32);
  for (std::size_t i = 0; i < m.body.size(); ++i) {
    char c = m.body[i];
    auto u = static_cast<unsigned char>(c);
    if (c == '\r') {
      if (i + 1 >= m.body.size() || m.body[i + 1] != '\n') return invalid("body: CR without LF");
      continue;  // the LF that follows writes the CRLF
    }
    if (c == '\n') {
      canonical += kCrlf;
      continue;
    }
    if ((u < 0x20 && c != '\t') || u == 0x7F) return invalid("body: control character");
    canonical += c;
  }

  std::string out;
  out += "Date: " + rfc5322_date(m.date_ms) + std::string(kCrlf);
  out += "From: " + mailbox_text(m.from, 6) + std::string(kCrlf);
  out += "To: ";
  for (std::size_t k = 0; k < m.to.size(); ++k) {
    if (k) out += ",\r\n ";
    out += mailbox_text(m.to[k], k ? 1 : 4);
  }
  out += kCrlf;
  out += "Subject: ";
  if (is_ascii(m.subject) && m.subject.size() <= 69 && m.subject.find("=?") == std::string::npos) out += m.subject;
  else out += encode_words(m.subject, 9);
  out += kCrlf;
  out += "Message-ID: <" + m.message_id + ">" + std::string(kCrlf);
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=UTF-8\r\n";
  out += "Content-Transfer-Encoding: base64\r\n";
  // RFC 3834: machine-made mail; auto-responders should not answer it.
  out += "Auto-Submitted: auto-generated\r\n";
  out += kCrlf;
  std::string encoded = base64_encode(canonical);
  for (std::size_t i = 0; i < encoded.size(); i += 76) {
    out.append(encoded, i, 76);
    out += kCrlf;
  }
  return out;
}

}  // namespace madoguchi::mail
