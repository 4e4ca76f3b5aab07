// application/x-www-form-urlencoded bodies (HTML forms), parsed strictly: bounded size and field
// count, valid percent-encoding, valid UTF-8 in every name and value. Pure, no I/O; fuzzed.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "madoguchi/error.h"

namespace madoguchi::text {

inline constexpr std::size_t kMaxFormBytes = 256 * 1024;
inline constexpr std::size_t kMaxFormFields = 512;

class Form {
 public:
  Form() = default;
  // A form from fields decoded elsewhere (the text parts of a multipart/form-data body). The
  // caller has checked them as parse_form would (valid UTF-8, bounded).
  explicit Form(std::vector<std::pair<std::string, std::string>> fields) : fields_(std::move(fields)) {}
  // The first value of a field, if present.
  std::optional<std::string> get(std::string_view name) const;
  // The first value, or "" when absent.
  std::string value(std::string_view name) const;
  // Every value of a repeated field (checkboxes), in order.
  std::vector<std::string> all(std::string_view name) const;
  bool has(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  friend Expected<Form> parse_form(std::string_view body);
  std::vector<std::pair<std::string, std::string>> fields_;
};

// Errors: too_large (over kMaxFormBytes or kMaxFormFields), malformed (bad escape, NUL, invalid
// UTF-8; the message names the field position, never the value).
Expected<Form> parse_form(std::string_view body);

}  // namespace madoguchi::text
