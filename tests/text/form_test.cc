#include <catch2/catch.hpp>

#include <string>

#include "madoguchi/text/form.h"

namespace t = madoguchi::text;
using madoguchi::Errc;

TEST_CASE("A form body decodes plus as space and percent escapes as UTF-8 bytes", "[text][form]") {
  auto form = t::parse_form("name=%E9%AB%99%E6%A9%8B+%E5%A4%AA%E9%83%8E&note=a%2Bb%3Dc%26d&kana=%ef%bd%b1");
  REQUIRE(form.ok());
  CHECK(form->value("name") == "髙橋 太郎");
  CHECK(form->value("note") == "a+b=c&d");
  CHECK(form->value("kana") == "ｱ");  // lower-case hex is accepted
  CHECK(form->fields().size() == 3);
}

TEST_CASE("Repeated form fields keep every value in order", "[text][form]") {
  auto form = t::parse_form("day=mon&kind=a&day=wed&day=fri");
  REQUIRE(form.ok());
  CHECK(form->all("day") == std::vector<std::string>{"mon", "wed", "fri"});
  CHECK(*form->get("day") == "mon");
  REQUIRE(form->fields().size() == 4);
  CHECK(form->fields()[1].first == "kind");
  CHECK(form->fields()[3].second == "fri");
}

TEST_CASE("Absent form fields are reported as absent, empty ones as empty", "[text][form]") {
  auto form = t::parse_form("empty=&flag&x=1");
  REQUIRE(form.ok());
  CHECK(form->has("empty"));
  CHECK(form->get("empty") == std::optional<std::string>(""));
  CHECK(form->has("flag"));
  CHECK(form->value("flag").empty());
  CHECK_FALSE(form->has("missing"));
  CHECK_FALSE(form->get("missing").has_value());
  CHECK(form->value("missing").empty());
  CHECK(form->all("missing").empty());
}

TEST_CASE("Empty pieces between ampersands are skipped and an empty body is an empty form", "[text][form]") {
  auto form = t::parse_form("&&a=1&&b=2&");
  REQUIRE(form.ok());
  CHECK(form->fields().size() == 2);
  CHECK(form->value("b") == "2");
  auto empty = t::parse_form("");
  REQUIRE(empty.ok());
  CHECK(empty->fields().empty());
}

TEST_CASE("Only the first equals sign separates a form name from its value", "[text][form]") {
  auto form = t::parse_form("q=a=b");
  REQUIRE(form.ok());
  CHECK(form->value("q") == "a=b");
}

TEST_CASE("Broken percent escapes are refused naming the field position, not the value", "[text][form]") {
  for (const char* body : {"a=1&secret=%zz", "a=1&secret=abc%4", "a=1&secret=%", "a=1&secret=%%41"}) {
    INFO(body);
    auto form = t::parse_form(body);
    REQUIRE_FALSE(form.ok());
    CHECK(form.error().code == Errc::malformed);
    CHECK(form.error().message.find("field 2 value") != std::string::npos);
    CHECK(form.error().message.find("secret") == std::string::npos);
    CHECK(form.error().message.find("abc") == std::string::npos);
  }
  auto bad_name = t::parse_form("%G0=1");
  REQUIRE_FALSE(bad_name.ok());
  CHECK(bad_name.error().message.find("field 1 name") != std::string::npos);
}

TEST_CASE("NUL bytes in a form are refused whether escaped or raw", "[text][form]") {
  auto escaped = t::parse_form("a=x%00y");
  REQUIRE_FALSE(escaped.ok());
  CHECK(escaped.error().code == Errc::malformed);
  CHECK(escaped.error().message.find("NUL") != std::string::npos);
  auto raw = t::parse_form(std::string("a=x\0y", 5));
  REQUIRE_FALSE(raw.ok());
  CHECK(raw.error().code == Errc::malformed);
  auto in_name = t::parse_form("a%00=1");
  REQUIRE_FALSE(in_name.ok());
  CHECK(in_name.error().message.find("name") != std::string::npos);
}

TEST_CASE("Invalid UTF-8 in a form is refused, including overlong forms and Shift_JIS bytes", "[text][form]") {
  for (const char* body : {"a=%FF", "a=%C0%AF", "a=%ED%A0%80", "a=%E9%AB", "a=%92%E9%82%B5", "a=\x82\xa0"}) {
    INFO(body);
    auto form = t::parse_form(body);
    REQUIRE_FALSE(form.ok());
    CHECK(form.error().code == Errc::malformed);
    CHECK(form.error().message.find("UTF-8") != std::string::npos);
  }
}

TEST_CASE("A form body over the size limit is refused as too large", "[text][form]") {
  std::string body = "a=" + std::string(t::kMaxFormBytes - 2, 'x');
  CHECK(t::parse_form(body).ok());
  body += 'x';
  auto form = t::parse_form(body);
  REQUIRE_FALSE(form.ok());
  CHECK(form.error().code == Errc::too_large);
}

TEST_CASE("A form with more fields than the limit is refused as too large", "[text][form]") {
  std::string body;
  for (std::size_t i = 0; i < t::kMaxFormFields; ++i) body += "f=1&";
  CHECK(t::parse_form(body).ok());
  body += "f=1";
  auto form = t::parse_form(body);
  REQUIRE_FALSE(form.ok());
  CHECK(form.error().code == Errc::too_large);
}
