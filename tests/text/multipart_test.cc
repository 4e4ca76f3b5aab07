// parse_multipart: multipart/form-data as browsers send it, and what is refused.
#include <catch2/catch.hpp>
#include <string>

#include "madoguchi/text/multipart.h"

using madoguchi::Errc;
using madoguchi::text::MultipartLimits;
using madoguchi::text::multipart_boundary;
using madoguchi::text::parse_multipart;

namespace {

// What Chromium sends for a form with a hidden CSRF field, a radio button and a file input.
constexpr const char* kChromiumType = "multipart/form-data; boundary=----WebKitFormBoundaryx7Jq3LmZbRkT9aYe";
const std::string kChromiumBody =
    "------WebKitFormBoundaryx7Jq3LmZbRkT9aYe\r\n"
    "Content-Disposition: form-data; name=\"csrf_token\"\r\n"
    "\r\n"
    "abc123\r\n"
    "------WebKitFormBoundaryx7Jq3LmZbRkT9aYe\r\n"
    "Content-Disposition: form-data; name=\"encoding\"\r\n"
    "\r\n"
    "auto\r\n"
    "------WebKitFormBoundaryx7Jq3LmZbRkT9aYe\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"職員 一覧.csv\"\r\n"
    "Content-Type: text/csv\r\n"
    "\r\n"
    "職員ID,氏名\r\nsato03,佐藤\r\n\r\n"
    "------WebKitFormBoundaryx7Jq3LmZbRkT9aYe--\r\n";

std::string one_part(const std::string& headers, const std::string& data = "x") {
  return "--b\r\n" + headers + "\r\n" + data + "\r\n--b--\r\n";
}

Errc code_of(const std::string& type, const std::string& body, const MultipartLimits& limits = {}) {
  auto r = parse_multipart(type, body, limits);
  REQUIRE(!r);
  return r.error().code;
}

}  // namespace

TEST_CASE("A Chromium upload parses into its fields and the file, data viewing the body", "[multipart]") {
  auto parts = parse_multipart(kChromiumType, kChromiumBody);
  REQUIRE(parts);
  REQUIRE(parts->size() == 3);
  CHECK((*parts)[0].name == "csrf_token");
  CHECK(!(*parts)[0].filename);
  CHECK((*parts)[0].content_type.empty());
  CHECK((*parts)[0].data == "abc123");
  CHECK((*parts)[1].data == "auto");
  const auto& file = (*parts)[2];
  CHECK(file.name == "file");
  REQUIRE(file.filename);
  CHECK(*file.filename == "職員 一覧.csv");
  CHECK(file.content_type == "text/csv");
  CHECK(file.data == "職員ID,氏名\r\nsato03,佐藤\r\n");  // the CRLF before the delimiter is not data
  CHECK(file.data.data() >= kChromiumBody.data());
  CHECK(file.data.data() < kChromiumBody.data() + kChromiumBody.size());
}

TEST_CASE("An empty file input and an empty part are parts with no data", "[multipart]") {
  const std::string body =
      "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n"
      "--b\r\nContent-Disposition: form-data; name=\"empty\"\r\n\r\n--b--";
  auto parts = parse_multipart("multipart/form-data; boundary=b", body);
  REQUIRE(parts);
  REQUIRE(parts->size() == 2);
  REQUIRE((*parts)[0].filename);
  CHECK((*parts)[0].filename->empty());
  CHECK((*parts)[0].data.empty());
  CHECK((*parts)[1].data.empty());
}

TEST_CASE("The boundary is taken from a token or a quoted string, case-insensitively, and validated", "[multipart]") {
  CHECK(*multipart_boundary("Multipart/Form-Data; charset=utf-8; BOUNDARY=\"a b:c\"") == "a b:c");
  CHECK(*multipart_boundary("multipart/form-data;boundary=xyz") == "xyz");
  CHECK(multipart_boundary("multipart/form-data").error().code == Errc::malformed);
  CHECK(multipart_boundary("multipart/mixed; boundary=x").error().code == Errc::malformed);
  CHECK(multipart_boundary("application/x-www-form-urlencoded").error().code == Errc::malformed);
  CHECK(!multipart_boundary("multipart/form-data; boundary=\"\""));
  CHECK(!multipart_boundary("multipart/form-data; boundary=\"ends \""));
  CHECK(!multipart_boundary("multipart/form-data; boundary=a; boundary=b"));
  CHECK(!multipart_boundary("multipart/form-data; boundary=\"a\\\"b\""));
  CHECK(!multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'a')));
  CHECK(multipart_boundary("multipart/form-data; boundary=" + std::string(70, 'a')));
}

TEST_CASE("A body cut short anywhere is malformed", "[multipart]") {
  for (std::size_t n : {std::size_t(0), std::size_t(10), std::size_t(60), std::size_t(200), kChromiumBody.size() - 4}) {
    CAPTURE(n);
    CHECK(code_of(kChromiumType, kChromiumBody.substr(0, n)) == Errc::malformed);
  }
  auto r = parse_multipart(kChromiumType, kChromiumBody.substr(0, kChromiumBody.size() - 6));
  REQUIRE(!r);
  CHECK(r.error().message.find("part 3") != std::string::npos);
}

TEST_CASE("Bad framing and bad part headers are malformed, naming the part and never the data", "[multipart]") {
  const std::string type = "multipart/form-data; boundary=b";
  CHECK(code_of(type, "preamble\r\n" + one_part("Content-Disposition: form-data; name=\"a\"\r\n")) == Errc::malformed);
  CHECK(code_of(type, one_part("Content-Disposition: form-data; name=\"a\"\r\n") + "epilogue") == Errc::malformed);
  CHECK(code_of(type, "--b  \r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b--") == Errc::malformed);
  CHECK(code_of(type, "--b\nContent-Disposition: form-data; name=\"a\"\n\nx\n--b--") == Errc::malformed);
  CHECK(code_of(type, one_part("Content-Type: text/plain\r\n")) == Errc::malformed);
  CHECK(code_of(type, one_part("Content-Disposition: attachment; name=\"a\"\r\n")) == Errc::malformed);
  CHECK(code_of(type, one_part("Content-Disposition: form-data; filename=\"a\"\r\n")) == Errc::malformed);
  CHECK(code_of(type, one_part("Content-Disposition: form-data; name=\"a\"; name=\"b\"\r\n")) == Errc::malformed);
  CHECK(code_of(type, one_part("Content-Disposition: form-data; name=\"a\r\n")) == Errc::malformed);
  CHECK(code_of(type, one_part("Content-Disposition: form-data; name=\"a\"\r\nContent-Disposition: form-data; name=\"b\"\r\n")) ==
        Errc::malformed);
  CHECK(code_of(type, one_part("Content-Disposition: form-data;\r\n name=\"a\"\r\n")) == Errc::malformed);
  CHECK(code_of(type, one_part("Content-Disposition form-data; name=\"a\"\r\n")) == Errc::malformed);
  CHECK(code_of(type, one_part("Content-Disposition: form-data; name=\"\xFF\"\r\n")) == Errc::malformed);
  CHECK(code_of(type, one_part(std::string("Content-Disposition: form-data; name=\"a\x01\"\r\n"))) == Errc::malformed);
  auto r = parse_multipart(type, "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n"
                                 "--b\r\nX: 1\r\n\r\nsecret-data\r\n--b--");
  REQUIRE(!r);
  CHECK(r.error().message.find("part 2") != std::string::npos);
  CHECK(r.error().message.find("secret") == std::string::npos);
}

TEST_CASE("Unknown headers and parameters are ignored, a backslash in a quoted name is an ordinary character",
          "[multipart]") {
  auto parts = parse_multipart("multipart/form-data; boundary=b",
                               one_part("X-Note: hi\r\ncontent-disposition: FORM-DATA; name=\"C:\\dir\"; filename*=x\r\n", "v"));
  REQUIRE(parts);
  REQUIRE(parts->size() == 1);
  CHECK((*parts)[0].name == "C:\\dir");
  CHECK((*parts)[0].data == "v");
}

TEST_CASE("Bodies, part counts and header blocks over their limits are too_large", "[multipart]") {
  const std::string type = "multipart/form-data; boundary=b";
  MultipartLimits small;
  small.max_bytes = 40;
  CHECK(code_of(type, one_part("Content-Disposition: form-data; name=\"a\"\r\n", std::string(100, 'x')), small) == Errc::too_large);
  std::string many;
  for (int i = 0; i < 17; ++i) many += "--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nx\r\n";
  many += "--b--\r\n";
  CHECK(code_of(type, many) == Errc::too_large);
  MultipartLimits seventeen;
  seventeen.max_parts = 17;
  CHECK(parse_multipart(type, many, seventeen));
  CHECK(code_of(type, one_part("Content-Disposition: form-data; name=\"a\"\r\nX: " + std::string(3000, 'y') + "\r\n")) ==
        Errc::too_large);
  CHECK(code_of(type, "--b\r\nX: " + std::string(3000, 'y')) == Errc::too_large);
}
