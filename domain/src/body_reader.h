// Private helper of the domain: typed reads of a decoded record body, where a missing field or
// one of the wrong type is Errc::malformed naming the body and the field. Not installed.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "madoguchi/domain/linkage_file.h"
#include "madoguchi/domain/linkage_record.h"
#include "madoguchi/error.h"

namespace madoguchi::domain::detail {

using nlohmann::json;

struct Reader {
  Reader(const json& body, std::string name) : j(body), what(std::move(name)) {}
  const json& j;
  std::string what;
  std::optional<Error> error;

  const json* at(const char* name) {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) {
      if (!error) error = Error{Errc::malformed, what + ": " + name + " missing"};
      return nullptr;
    }
    return &*it;
  }
  std::string str(const char* name) {
    const json* v = at(name);
    if (!v) return {};
    if (!v->is_string()) {
      if (!error) error = Error{Errc::malformed, what + ": " + name + " is not text"};
      return {};
    }
    return v->get<std::string>();
  }
  std::uint64_t u64(const char* name) {
    const json* v = at(name);
    if (!v) return 0;
    if (!v->is_number_unsigned()) {
      if (!error) error = Error{Errc::malformed, what + ": " + name + " is not a whole number"};
      return 0;
    }
    return v->get<std::uint64_t>();
  }
  std::int64_t i64(const char* name) {
    const json* v = at(name);
    if (!v) return 0;
    if (!v->is_number_integer()) {
      if (!error) error = Error{Errc::malformed, what + ": " + name + " is not a number"};
      return 0;
    }
    return v->get<std::int64_t>();
  }
  bool flag(const char* name) {
    const json* v = at(name);
    if (!v) return false;
    if (!v->is_boolean()) {
      if (!error) error = Error{Errc::malformed, what + ": " + name + " is not true or false"};
      return false;
    }
    return v->get<bool>();
  }
  LinkageKind kind() {
    auto k = linkage_kind_from_name(str("kind"));
    if (!k && !error) error = Error{Errc::malformed, what + ": unknown kind"};
    return k.value_or(LinkageKind::resident);
  }
};

}  // namespace madoguchi::domain::detail
