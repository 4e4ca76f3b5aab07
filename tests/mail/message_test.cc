// Mail composition (RSV-10, RSV-12, RSV-13, RSV-14): headers, RFC 2047, CRLF, injection refusal,
// address checks, bounds.
#include <catch2/catch.hpp>

#include "madoguchi/mail/message.h"
#include "mail_test_util.h"

using namespace madoguchi;
using namespace madoguchi::mail;
using namespace madoguchi::mail::testing;

namespace {

Message sample() {
  Message m;
  m.from = {"noreply@city.example.jp", "〇〇市 マイナンバーカード予約"};
  m.to = {{"taro.yamada@example.jp", "山田 太郎"}};
  m.subject = "【〇〇市】マイナンバーカード受取予約の確認（受付番号 R-000123）";
  m.body = "山田 太郎 様\n\nご予約を承りました。\n受付番号: R-000123\n";
  m.message_id = "1700000000000.00ab@city.example.jp";
  m.date_ms = 1'700'000'000'000;
  return m;
}

}  // namespace

TEST_CASE("compose writes RFC 5322 headers with CRLF and RFC 2047 Japanese (RSV-14)", "[mail]") {
  auto out = compose(sample());
  REQUIRE(out.ok());
  const std::string& msg = *out;

  // Every line ends in CRLF, none is longer than 78 characters plus CRLF.
  std::size_t start = 0;
  while (start < msg.size()) {
    auto end = msg.find("\r\n", start);
    REQUIRE(end != std::string::npos);
    CHECK(msg.substr(start, end - start).find('\n') == std::string::npos);
    CHECK(msg.substr(start, end - start).find('\r') == std::string::npos);
    CHECK(end - start <= 998);
    start = end + 2;
  }
  CHECK(header_value(msg, "Date") == "Wed, 15 Nov 2023 07:13:20 +0900");
  CHECK(header_value(msg, "MIME-Version") == "1.0");
  CHECK(header_value(msg, "Content-Type") == "text/plain; charset=UTF-8");
  CHECK(header_value(msg, "Content-Transfer-Encoding") == "base64");
  CHECK(header_value(msg, "Message-ID") == "<1700000000000.00ab@city.example.jp>");

  std::string subject = header_value(msg, "Subject");
  CHECK(subject.rfind("=?UTF-8?B?", 0) == 0);
  CHECK(decode_header(subject) == sample().subject);
  // Each encoded word is at most 75 characters (RFC 2047 section 2).
  for (std::size_t p = subject.find("=?"); p != std::string::npos; p = subject.find("=?", p + 2)) {
    auto e = subject.find("?=", p + 10);
    CHECK(e + 2 - p <= 75);
  }
  std::string from = header_value(msg, "From");
  CHECK(from.size() > 0);
  CHECK(from.substr(from.size() - 25) == "<noreply@city.example.jp>");
  CHECK(decode_header(from.substr(0, from.size() - 26)) == "〇〇市 マイナンバーカード予約");
  CHECK(decode_header(header_value(msg, "To")) == "山田 太郎 <taro.yamada@example.jp>");

  // The body is base64 of the text with CRLF line ends, in lines of at most 76 characters.
  CHECK(body_of(msg) == "山田 太郎 様\r\n\r\nご予約を承りました。\r\n受付番号: R-000123\r\n");
  // The message is plain ASCII: no 8BITMIME or SMTPUTF8 needed from the relay.
  for (char c : msg) CHECK(static_cast<unsigned char>(c) < 0x80);
}

TEST_CASE("compose keeps short ASCII subjects readable and quotes ASCII names", "[mail]") {
  auto m = sample();
  m.subject = "Booking R-000123 confirmed";
  m.from.display_name = "City \"Mynumber\" Desk";
  m.to = {{"a@example.jp", ""}, {"b@example.jp", "B"}};
  auto out = compose(m);
  REQUIRE(out.ok());
  CHECK(header_value(*out, "Subject") == "Booking R-000123 confirmed");
  CHECK(header_value(*out, "From") == "\"City \\\"Mynumber\\\" Desk\" <noreply@city.example.jp>");
  CHECK(header_value(*out, "To") == "<a@example.jp>,\r\n \"B\" <b@example.jp>");
}

TEST_CASE("a long Japanese subject splits into several words on character boundaries", "[mail]") {
  auto m = sample();
  m.subject.clear();
  for (int i = 0; i < 40; ++i) m.subject += "予約確認";  // 480 bytes: over the bound
  CHECK(compose(m).error().code == Errc::too_large);
  m.subject = m.subject.substr(0, 390);  // 130 characters of 3 bytes
  auto out = compose(m);
  REQUIRE(out.ok());
  std::string subject = header_value(*out, "Subject");
  CHECK(subject.find("\r\n ") != std::string::npos);
  CHECK(decode_header(subject) == m.subject);
  // Every word decodes on its own to whole characters (3 bytes each here).
  for (std::size_t p = subject.find("=?"); p != std::string::npos; p = subject.find("=?", p + 2)) {
    auto e = subject.find("?=", p + 10);
    CHECK(b64decode(subject.substr(p + 10, e - p - 10)).size() % 3 == 0);
  }
}

TEST_CASE("header injection is impossible: CR or LF in any header value is refused", "[mail]") {
  auto check_refused = [](Message m) {
    auto out = compose(m);
    REQUIRE_FALSE(out.ok());
    CHECK(out.error().code == Errc::invalid_argument);
  };
  auto m = sample();
  m.subject = "予約\r\nBcc: victim@example.jp";
  check_refused(m);
  m = sample();
  m.subject = "予約\nBcc: victim@example.jp";
  check_refused(m);
  m = sample();
  m.to[0].display_name = "山田\r\nBcc: victim@example.jp";
  check_refused(m);
  m = sample();
  m.from.display_name = "市\r";
  check_refused(m);
  m = sample();
  m.to[0].address = "taro@example.jp\r\nRCPT TO:<x@example.jp>";
  check_refused(m);
  m = sample();
  m.message_id = "a@b\r\nBcc: x@y.jp";
  check_refused(m);
  m = sample();
  m.subject = std::string("a\0b", 3);
  check_refused(m);
  m = sample();
  m.subject = "\xE3\x81";  // truncated UTF-8
  check_refused(m);
  m = sample();
  m.body = "line\rBcc: x@example.jp";  // a lone CR in the body
  check_refused(m);
}

TEST_CASE("addresses are checked", "[mail]") {
  for (const char* ok : {"a@example.jp", "taro.yamada+booking@mail.city.example.jp", "x_y-z@a-b.co.jp"}) {
    INFO(ok);
    CHECK(validate_address(ok).ok());
  }
  for (const char* bad : {"", "example.jp", "a@", "@example.jp", "a@@example.jp", "a@b@example.jp", "a b@example.jp",
                          "a@localhost", "a..b@example.jp", ".a@example.jp", "a.@example.jp", "a@-x.jp", "a@x-.jp",
                          "a@ex_ample.jp", "\"quoted\"@example.jp", "a@[127.0.0.1]", "山田@example.jp", "a@例え.jp",
                          "a@example..jp"}) {
    INFO(bad);
    CHECK_FALSE(validate_address(bad).ok());
  }
  CHECK_FALSE(validate_address(std::string(65, 'a') + "@example.jp").ok());
  CHECK(validate_address(std::string(64, 'a') + "@example.jp").ok());
  CHECK_FALSE(validate_address("a@" + std::string(64, 'b') + ".jp").ok());
}

TEST_CASE("sizes are bounded", "[mail]") {
  auto m = sample();
  m.body = std::string(kDefaultMaxBodyBytes + 1, 'x');
  CHECK(compose(m).error().code == Errc::too_large);
  m.body = std::string(kDefaultMaxBodyBytes, 'x');
  CHECK(compose(m).ok());
  CHECK(compose(m, ComposeLimits{1000}).error().code == Errc::too_large);
  m = sample();
  m.to.assign(kMaxRecipients + 1, Mailbox{"a@example.jp", ""});
  CHECK(compose(m).error().code == Errc::too_large);
  m.to.clear();
  CHECK(compose(m).error().code == Errc::invalid_argument);
  m = sample();
  m.to[0].display_name = std::string(kMaxDisplayNameBytes + 1, 'a');
  CHECK(compose(m).error().code == Errc::too_large);
}

TEST_CASE("addresses are masked for logs and stored reasons", "[mail]") {
  CHECK(mask_address("taro.yamada@example.jp") == "t***@e***.jp");
  CHECK(mask_address("nonsense") == "***");
  std::string scrubbed = scrub_addresses("550 5.1.1 <taro.yamada@example.jp>: Recipient address rejected");
  CHECK(scrubbed == "550 5.1.1 <t***@e***.jp>: Recipient address rejected");
  CHECK(scrubbed.find("yamada") == std::string::npos);
}

TEST_CASE("RFC 5322 dates are in JST", "[mail]") {
  CHECK(rfc5322_date(0) == "Thu, 01 Jan 1970 09:00:00 +0900");
  CHECK(rfc5322_date(1'782'864'000'000) == "Wed, 01 Jul 2026 09:00:00 +0900");
}
