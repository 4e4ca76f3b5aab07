// multipart/form-data request bodies (RFC 7578, framing from RFC 2046 §5.1), as browsers send
// them for <form enctype="multipart/form-data"> (file uploads). Pure, no I/O; fuzzed
// (tests/fuzz/fuzz_multipart.cc).
//
// Strict and bounded; what browsers send is accepted, anything else is an error, never a guess:
//  - Content-Type must be multipart/form-data (case-insensitive) with exactly one `boundary`
//    parameter (token or quoted-string), 1-70 characters of RFC 2046 `bchars`, not ending in a
//    space. Other parameters are ignored.
//  - The body starts with "--boundary" (no preamble), every line break is CRLF, no padding after
//    a delimiter, and the body ends with the close delimiter "--boundary--", optionally followed
//    by one CRLF (no epilogue). A body without a close delimiter is truncated: malformed.
//  - Each part has header lines "Name: value" (names case-insensitive, no folded lines, no
//    control characters but TAB), then an empty line. Content-Disposition is required and must
//    be `form-data` with a `name` parameter; `filename` is optional. Values may be quoted;
//    inside quotes a backslash is an ordinary character, as in the HTML standard's encoding
//    (browsers write '"' as %22 and CR/LF as %0D/%0A there and never escape with '\'). A repeated
//    parameter or a repeated Content-Disposition / Content-Type header is an error. Other
//    headers (and other parameters, filename* included) are ignored, per RFC 7578 §4.7-4.8.
//  - Names and filenames must be valid UTF-8 (no control characters). Part data is bytes, any.
//  - Errors: malformed or too_large, naming the part (1-based) and what is wrong; never data.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/error.h"

namespace madoguchi::text {

// Bounds on what parse_multipart accepts. Going over one is Errc::too_large.
struct MultipartLimits {
  // The whole body, in bytes.
  std::size_t max_bytes = 1024 * 1024 + 64 * 1024;
  // Parts in the body.
  std::size_t max_parts = 16;
  // The header block of one part (its header lines with their CRLFs, without the empty line).
  std::size_t max_header_bytes = 2048;
};

struct Part {
  std::string name;                     // Content-Disposition name
  std::optional<std::string> filename;  // present for a file input ("" when no file was chosen)
  std::string content_type;             // as sent; "" when absent (RFC 7578: means text/plain)
  std::string_view data;                // the part's bytes: a view into the parsed body
};

// Parses `body` as sent with `content_type_header`. The parts' data view `body`, which must
// outlive them. Errors: malformed (the header or the framing), too_large (`limits`).
Expected<std::vector<Part>> parse_multipart(std::string_view content_type_header, std::string_view body,
                                            const MultipartLimits& limits = {});

// The boundary of a multipart/form-data Content-Type header value. Errors: malformed (not
// multipart/form-data, no or a repeated boundary, or one breaking RFC 2046's rules).
Expected<std::string> multipart_boundary(std::string_view content_type_header);

}  // namespace madoguchi::text
