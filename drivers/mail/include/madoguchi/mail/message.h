// Mail message composition (RSV-10, RSV-12, RSV-13, RSV-14): pure functions, no I/O.
//
// compose() turns a Message into the exact bytes handed to the SMTP relay: RFC 5322 headers with
// CRLF line endings, non-ASCII display names and subjects as RFC 2047 encoded words
// (=?UTF-8?B?...?=), a text/plain; charset=UTF-8 body in base64 (lines of 76 characters), so the
// relay needs neither 8BITMIME nor SMTPUTF8 and no line can exceed 998 octets. Every header value
// is checked: CR, LF and other control characters are refused (no header injection), addresses
// must be plain ASCII addr-spec, every size is bounded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/error.h"

namespace madoguchi::mail {

inline constexpr std::size_t kMaxAddressBytes = 254;      // RFC 5321 path limit less the brackets
inline constexpr std::size_t kMaxLocalPartBytes = 64;
inline constexpr std::size_t kMaxDomainBytes = 253;
inline constexpr std::size_t kMaxDisplayNameBytes = 200;  // UTF-8 bytes before encoding
inline constexpr std::size_t kMaxSubjectBytes = 400;      // UTF-8 bytes before encoding
inline constexpr std::size_t kMaxRecipients = 10;
inline constexpr std::size_t kDefaultMaxBodyBytes = 64 * 1024;

struct Mailbox {
  std::string address;       // addr-spec: local@domain, ASCII only
  std::string display_name;  // UTF-8, may be empty (e.g. "〇〇市 マイナンバーカード予約")
};

struct Message {
  Mailbox from;              // the sender address the operator provides (RSV-14)
  std::vector<Mailbox> to;   // 1..kMaxRecipients
  std::string subject;       // UTF-8
  std::string body;          // UTF-8 text; LF or CRLF line ends (a lone CR is refused)
  // id-left "@" id-right without the angle brackets, e.g. "1700000000000.9f86d0@city.example.jp".
  // The outbox fills it when empty; it stays the same for every retry (receivers dedupe by it).
  std::string message_id;
  // Date header, wall-clock milliseconds since the epoch; written in JST (+0900).
  std::int64_t date_ms = 0;
};

// Checks an addr-spec: dot-atom local part (RFC 5322 atext), a host name of LDH labels with at
// least one dot, lengths within RFC 5321. Quoted local parts, IP literals and non-ASCII
// (SMTPUTF8) addresses are refused on purpose: a booking form does not need them.
Status validate_address(std::string_view address);

// Checks that a header value has no CR, LF, NUL or other control character (tab allowed) and is
// valid UTF-8: the one rule that makes header injection impossible.
Status validate_header_text(std::string_view field, std::string_view value);

// "t***@e***.jp": enough for an operator to tell mails apart, never the address itself.
std::string mask_address(std::string_view address);
// Replaces every token that contains '@' with its masked form (for relay replies kept as reasons).
std::string scrub_addresses(std::string_view text);

// RFC 2047 "B" encoded words for `text` (UTF-8), each at most 75 characters and never splitting a
// UTF-8 sequence; words are joined by "\r\n " (folding white space) so a header line stays short.
// `first_line_used` is the length of "Subject: " or similar before the first word.
std::string encode_words(std::string_view text, std::size_t first_line_used);

std::string base64_encode(std::string_view data);

// "Tue, 14 Nov 2023 07:13:20 +0900" for wall-clock milliseconds since the epoch.
std::string rfc5322_date(std::int64_t wall_ms);

struct ComposeLimits {
  std::size_t max_body_bytes = kDefaultMaxBodyBytes;
};

// The whole message, headers and body, CRLF line endings. Refuses (Errc::invalid_argument or
// Errc::too_large) anything the rules above forbid; never truncates.
Expected<std::string> compose(const Message& message, const ComposeLimits& limits = {});

}  // namespace madoguchi::mail
