// The one error vocabulary of madoguchi. Every component reports failures as an Error value
// (a code from Errc plus a human-readable message with context); no exception crosses a module
// boundary. Broken invariants are not errors: they abort loudly (see docs/architecture.md).
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace madoguchi {

enum class Errc {
  invalid_argument,     // a caller passed something the contract forbids
  malformed,            // outside input that does not parse
  too_large,            // outside input over its bound
  unsupported_version,  // schema version we do not speak
  unknown_type,         // message or operation type we do not know
  forbidden,            // identity is not allowed to do this (wrong municipality, wrong device)
  conflict,             // the operation was based on a state that is no longer current
  not_found,
  already_exists,
  io,                   // file system or socket failure
  db,                   // SQLite failure
  transport,            // MQTT / network failure
  timeout,
  crypto,               // OpenSSL failure
  unavailable,          // not ready yet (an index being built); try again later
  capacity,             // a bounded resource is used up (a booking slot's places, EDGE-5)
  internal,
};

// Stable lower-case name of a code, used on the wire (rejection reasons) and in logs.
std::string_view errc_name(Errc code) noexcept;

struct Error {
  Errc code;
  std::string message;

  // "conflict: record card/123 changed at the hub (version 7, expected 5)"
  std::string describe() const;
  // Adds context in front of the message: "opening edge.db: ...".
  Error with_context(std::string_view context) const;
};

// Expected<T>: either a value or an Error. Small on purpose (std::expected is C++23).
template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Expected(Error error) : v_(std::move(error)) {}     // NOLINT(google-explicit-constructor)

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Status: success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)
  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  const Error& error() const { assert(!ok_); return error_; }

 private:
  Error error_{Errc::internal, {}};
  bool ok_ = true;
};

inline Error make_error(Errc code, std::string message) { return Error{code, std::move(message)}; }

}  // namespace madoguchi
