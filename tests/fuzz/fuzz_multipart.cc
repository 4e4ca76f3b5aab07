// libFuzzer target: parse_multipart on arbitrary bytes. The first line of the input (up to the
// first LF, at most 200 bytes) is the Content-Type header, the rest the body. Besides "no crash,
// no sanitizer report", it checks the contract: accepted parts are within the bounds, their data
// lies inside the body, names are valid UTF-8, and writing the parts out again with the same
// boundary parses back to the same parts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "madoguchi/text/encoding.h"
#include "madoguchi/text/multipart.h"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace t = madoguchi::text;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nl = input.substr(0, 200).find('\n');
  const std::string_view type = nl == std::string_view::npos ? std::string_view() : input.substr(0, nl);
  const std::string_view body = nl == std::string_view::npos ? input : input.substr(nl + 1);
  t::MultipartLimits limits;
  limits.max_bytes = 64 * 1024;
  limits.max_parts = 8;
  limits.max_header_bytes = 512;
  auto parts = t::parse_multipart(type, body, limits);
  if (!parts) return 0;
  check(parts->size() <= limits.max_parts);
  auto boundary = t::multipart_boundary(type);
  check(boundary.ok());
  std::string again;
  for (const auto& p : *parts) {
    check(p.data.data() >= body.data() && p.data.data() + p.data.size() <= body.data() + body.size());
    check(t::valid_utf8(p.name));
    check(!p.filename || t::valid_utf8(*p.filename));
    check(p.name.find('"') == std::string::npos);  // a quoted value ends at the first quote
    again += "--" + *boundary + "\r\nContent-Disposition: form-data; name=\"" + p.name + "\"";
    if (p.filename) again += "; filename=\"" + *p.filename + "\"";
    again += "\r\n";
    if (!p.content_type.empty()) again += "Content-Type: " + p.content_type + "\r\n";
    again += "\r\n";
    again += p.data;
    again += "\r\n";
  }
  again += "--" + *boundary + "--\r\n";
  t::MultipartLimits loose = limits;
  loose.max_bytes = again.size();
  loose.max_header_bytes = 4096;
  auto reparsed = t::parse_multipart(type, again, loose);
  check(reparsed.ok());
  check(reparsed->size() == parts->size());
  for (std::size_t i = 0; i < parts->size(); ++i) {
    check((*reparsed)[i].name == (*parts)[i].name);
    check((*reparsed)[i].filename == (*parts)[i].filename);
    check((*reparsed)[i].content_type == (*parts)[i].content_type);
    check((*reparsed)[i].data == (*parts)[i].data);
  }
  return 0;
}
