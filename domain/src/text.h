// Private helpers of the domain: UTF-8 checks, trimming and strict JSON field reading.
// Not installed; nothing outside domain/src includes this.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "madoguchi/error.h"

namespace madoguchi::domain::detail {

// Decodes one code point at s[i]; advances i. Returns nullopt on invalid UTF-8 (overlong forms,
// surrogates, values over U+10FFFF, truncated sequences); i is then unspecified.
std::optional<char32_t> next_code_point(std::string_view s, std::size_t& i) noexcept;

// Number of code points, or nullopt when s is not valid UTF-8.
std::optional<std::size_t> utf8_length(std::string_view s) noexcept;

// C0 controls, DEL and C1 controls (Unicode category Cc).
bool is_control(char32_t c) noexcept;

enum class TextProblem { none, empty, bad_length, invalid_utf8, control };

// Checks a one-line text: valid UTF-8, no control characters, min_chars..max_chars code points.
TextProblem check_text(std::string_view s, std::size_t min_chars, std::size_t max_chars) noexcept;

// English reason for a TextProblem: "must not be empty", "must be at most 64 characters", ...
std::string text_problem_en(TextProblem p, std::size_t min_chars, std::size_t max_chars);

// Makes any bytes safe to store: invalid UTF-8 becomes U+FFFD, control characters become a space,
// and the result is cut at a code-point boundary to at most max_bytes bytes.
std::string sanitize(std::string_view s, std::size_t max_bytes);

// Cuts to at most max_chars code points, adding "…" when cut (for echoing input in messages).
std::string abbreviate(std::string_view s, std::size_t max_chars);

// Removes leading and trailing ASCII spaces, tabs and ideographic spaces (U+3000).
std::string_view trim(std::string_view s) noexcept;

// Errc::invalid_argument "<field>: <reason>" (record_body.h's policy for a value outside its rule).
Error field_error(std::string_view field, std::string_view reason);
// check_text as a field_error: "<field>: must be at most 64 characters", ...
Status check_line(std::string_view field, std::string_view value, std::size_t min_chars, std::size_t max_chars);

// ---- strict JSON reading ------------------------------------------------------------------------
// Every reader returns Errc::malformed naming "<what>.<key>" on a wrong type. A missing key is an
// error only when `required`; otherwise `out` keeps its value (the field's default).
Status require_object(const nlohmann::json& j, std::string_view what);
Status refuse_unknown_keys(const nlohmann::json& obj, std::string_view what,
                           std::initializer_list<std::string_view> known);
Status read_string(const nlohmann::json& obj, std::string_view what, const char* key, std::string& out,
                   bool required);
Status read_bool(const nlohmann::json& obj, std::string_view what, const char* key, bool& out, bool required);
Status read_i64(const nlohmann::json& obj, std::string_view what, const char* key, std::int64_t& out,
                bool required);
Status read_u64(const nlohmann::json& obj, std::string_view what, const char* key, std::uint64_t& out,
                bool required);
// An integer in [lo, hi]; out of range is Errc::invalid_argument "<key>: must be lo-hi".
Status read_int_in(const nlohmann::json& obj, std::string_view what, const char* key, int& out, int lo, int hi,
                   bool required);

}  // namespace madoguchi::domain::detail
