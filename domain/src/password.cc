#include "madoguchi/domain/password.h"

#include <sodium.h>

#include <charconv>
#include <cstring>
#include <optional>

#include "text.h"

namespace madoguchi::domain {

namespace {
constexpr std::string_view kWhat = "password_rules";
constexpr std::uint64_t kMaxMemKiB = 256 * 1024;  // verify_password refuses costlier hashes
constexpr std::uint64_t kMaxPasses = 16;

bool sodium_ready() {
  // C++ guarantees one thread runs the initialiser; sodium_init is itself idempotent.
  static const bool ok = sodium_init() >= 0;
  return ok;
}

unsigned long long ops_limit(bool fast) {
  return fast ? crypto_pwhash_argon2id_OPSLIMIT_MIN : crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
}
std::size_t mem_limit(bool fast) {
  return fast ? crypto_pwhash_argon2id_MEMLIMIT_MIN : crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;
}

bool consume(std::string_view& s, std::string_view prefix) {
  if (s.substr(0, prefix.size()) != prefix) return false;
  s.remove_prefix(prefix.size());
  return true;
}

bool consume_number(std::string_view& s, std::uint64_t& out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc{} || ptr == s.data()) return false;
  s.remove_prefix(static_cast<std::size_t>(ptr - s.data()));
  return true;
}

bool is_b64(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (!ok) return false;
  }
  return true;
}

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool contains_ci(std::string_view haystack, std::string_view needle) {
  if (needle.empty() || needle.size() > haystack.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    bool match = true;
    for (std::size_t k = 0; k < needle.size() && match; ++k) {
      match = ascii_lower(haystack[i + k]) == ascii_lower(needle[k]);
    }
    if (match) return true;
  }
  return false;
}

std::string problem_en(PasswordProblem p, const PasswordRules& rules) {
  switch (p) {
    case PasswordProblem::invalid_text: return "must be valid UTF-8 without control characters";
    case PasswordProblem::too_long: return "must be at most " + std::to_string(kMaxPasswordBytes) + " bytes";
    case PasswordProblem::too_short: return "must be at least " + std::to_string(rules.min_length) + " characters";
    case PasswordProblem::contains_id: return "must not contain the staff id";
    case PasswordProblem::missing_upper: return "must contain an upper-case letter (A-Z)";
    case PasswordProblem::missing_lower: return "must contain a lower-case letter (a-z)";
    case PasswordProblem::missing_digit: return "must contain a digit (0-9)";
    case PasswordProblem::missing_symbol: return "must contain a symbol or a character other than A-Z, a-z, 0-9";
  }
  return "is not allowed";
}
}  // namespace

Status validate_password_rules(const PasswordRules& r) {
  auto range = [](const char* field, int v, int lo, int hi) -> Status {
    if (v < lo || v > hi) {
      return make_error(Errc::invalid_argument,
                        std::string(field) + ": must be " + std::to_string(lo) + "-" + std::to_string(hi));
    }
    return {};
  };
  if (auto st = range("min_length", r.min_length, 8, 64); !st) return st;
  if (auto st = range("max_age_days", r.max_age_days, 0, 3650); !st) return st;
  if (auto st = range("history", r.history, 0, 24); !st) return st;
  if (auto st = range("lockout_threshold", r.lockout_threshold, 1, 100); !st) return st;
  if (auto st = range("lockout_minutes", r.lockout_minutes, 1, 1440); !st) return st;
  return {};
}

nlohmann::json password_rules_to_json(const PasswordRules& r) {
  return nlohmann::json{{"min_length", r.min_length},
                        {"require_upper", r.require_upper},
                        {"require_lower", r.require_lower},
                        {"require_digit", r.require_digit},
                        {"require_symbol", r.require_symbol},
                        {"max_age_days", r.max_age_days},
                        {"history", r.history},
                        {"lockout_threshold", r.lockout_threshold},
                        {"lockout_minutes", r.lockout_minutes}};
}

Expected<PasswordRules> password_rules_from_json(const nlohmann::json& j) {
  using namespace detail;
  if (auto st = require_object(j, kWhat); !st) return st.error();
  if (auto st = refuse_unknown_keys(j, kWhat,
                                    {"min_length", "require_upper", "require_lower", "require_digit", "require_symbol",
                                     "max_age_days", "history", "lockout_threshold", "lockout_minutes"});
      !st) {
    return st.error();
  }
  PasswordRules r;
  for (auto [key, field] : {std::pair{"require_upper", &r.require_upper}, std::pair{"require_lower", &r.require_lower},
                            std::pair{"require_digit", &r.require_digit},
                            std::pair{"require_symbol", &r.require_symbol}}) {
    if (auto st = read_bool(j, kWhat, key, *field, false); !st) return st.error();
  }
  // Ranges are checked by validate_password_rules below; read_int_in only bounds the conversion.
  for (auto [key, field] : {std::pair{"min_length", &r.min_length}, std::pair{"max_age_days", &r.max_age_days},
                            std::pair{"history", &r.history}, std::pair{"lockout_threshold", &r.lockout_threshold},
                            std::pair{"lockout_minutes", &r.lockout_minutes}}) {
    if (auto st = read_int_in(j, kWhat, key, *field, -1'000'000, 1'000'000, false); !st) return st.error();
  }
  if (auto st = validate_password_rules(r); !st) return st.error();
  return r;
}

std::vector<PasswordProblem> password_problems(const PasswordRules& rules, std::string_view password,
                                               std::string_view staff_id) {
  std::vector<PasswordProblem> out;
  const auto text = detail::check_text(password, 0, kMaxPasswordBytes);
  if (text == detail::TextProblem::invalid_utf8 || text == detail::TextProblem::control) {
    out.push_back(PasswordProblem::invalid_text);
  }
  if (password.size() > kMaxPasswordBytes) out.push_back(PasswordProblem::too_long);
  if (!out.empty()) return out;  // the remaining rules need decodable text

  bool upper = false, lower = false, digit = false, symbol = false;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < password.size();) {
    const char32_t c = *detail::next_code_point(password, i);
    ++chars;
    if (c >= 'A' && c <= 'Z') {
      upper = true;
    } else if (c >= 'a' && c <= 'z') {
      lower = true;
    } else if (c >= '0' && c <= '9') {
      digit = true;
    } else {
      symbol = true;
    }
  }
  if (chars < static_cast<std::size_t>(rules.min_length)) out.push_back(PasswordProblem::too_short);
  if (contains_ci(password, staff_id)) out.push_back(PasswordProblem::contains_id);
  if (rules.require_upper && !upper) out.push_back(PasswordProblem::missing_upper);
  if (rules.require_lower && !lower) out.push_back(PasswordProblem::missing_lower);
  if (rules.require_digit && !digit) out.push_back(PasswordProblem::missing_digit);
  if (rules.require_symbol && !symbol) out.push_back(PasswordProblem::missing_symbol);
  return out;
}

Status check_password(const PasswordRules& rules, std::string_view password, std::string_view staff_id) {
  auto problems = password_problems(rules, password, staff_id);
  if (problems.empty()) return {};
  std::string m = "password: ";
  for (std::size_t i = 0; i < problems.size(); ++i) {
    if (i > 0) m += "; ";
    m += problem_en(problems[i], rules);
  }
  return make_error(Errc::invalid_argument, std::move(m));
}

Expected<std::string> hash_password(std::string_view password, bool fast_for_tests) {
  if (password.size() > kMaxPasswordBytes) {
    return make_error(Errc::invalid_argument, "password: must be at most " + std::to_string(kMaxPasswordBytes) + " bytes");
  }
  if (!sodium_ready()) return make_error(Errc::crypto, "libsodium could not be initialised");
  char out[crypto_pwhash_argon2id_STRBYTES];
  if (crypto_pwhash_argon2id_str(out, password.data(), password.size(), ops_limit(fast_for_tests),
                                 mem_limit(fast_for_tests)) != 0) {
    return make_error(Errc::crypto, "argon2id hashing failed (out of memory)");
  }
  return std::string(out);
}

bool is_password_hash(std::string_view hash) noexcept {
  if (hash.size() >= crypto_pwhash_argon2id_STRBYTES) return false;
  std::string_view s = hash;
  std::uint64_t v = 0, m = 0, t = 0, p = 0;
  if (!consume(s, "$argon2id$v=") || !consume_number(s, v) || v != 19) return false;
  if (!consume(s, "$m=") || !consume_number(s, m) || !consume(s, ",t=") || !consume_number(s, t) ||
      !consume(s, ",p=") || !consume_number(s, p) || !consume(s, "$")) {
    return false;
  }
  if (m < 8 || m > kMaxMemKiB || t < 1 || t > kMaxPasses || p != 1) return false;
  const auto dollar = s.find('$');
  if (dollar == std::string_view::npos) return false;
  return is_b64(s.substr(0, dollar)) && is_b64(s.substr(dollar + 1));
}

bool verify_password(std::string_view hash, std::string_view password) {
  if (password.size() > kMaxPasswordBytes || !is_password_hash(hash) || !sodium_ready()) return false;
  const std::string z(hash);  // libsodium wants a NUL-terminated string
  return crypto_pwhash_argon2id_str_verify(z.c_str(), password.data(), password.size()) == 0;
}

bool needs_rehash(std::string_view hash, bool fast_for_tests) {
  if (!is_password_hash(hash) || !sodium_ready()) return true;
  const std::string z(hash);
  return crypto_pwhash_argon2id_str_needs_rehash(z.c_str(), ops_limit(fast_for_tests), mem_limit(fast_for_tests)) != 0;
}

namespace {

constexpr std::string_view kKeyPrefix = "$ed25519$m=";
constexpr int kB64 = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

std::string to_b64(const unsigned char* bytes, std::size_t n) {
  std::string out(sodium_base64_ENCODED_LEN(n, kB64), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes, n, kB64);
  out.resize(std::strlen(out.c_str()));
  return out;
}

// Exactly n bytes decoded from base64url without padding.
bool from_b64(std::string_view text, unsigned char* out, std::size_t n) {
  if (text.size() != sodium_base64_ENCODED_LEN(n, kB64) - 1) return false;
  std::size_t len = 0;
  const char* end = nullptr;
  return sodium_base642bin(out, n, text.data(), text.size(), nullptr, &len, &end, kB64) == 0 && len == n &&
         end == text.data() + text.size();
}

struct PasswordKey {
  std::uint64_t mem_kib = 0, passes = 0;
  unsigned char salt[crypto_pwhash_SALTBYTES]{};
  unsigned char pk[crypto_sign_PUBLICKEYBYTES]{};
};

std::optional<PasswordKey> parse_key(std::string_view s) {
  PasswordKey k;
  if (!consume(s, kKeyPrefix) || !consume_number(s, k.mem_kib) || !consume(s, ",t=") || !consume_number(s, k.passes) ||
      !consume(s, "$")) {
    return std::nullopt;
  }
  if (k.mem_kib < 8 || k.mem_kib > kMaxMemKiB || k.passes < 1 || k.passes > kMaxPasses) return std::nullopt;
  const auto dollar = s.find('$');
  if (dollar == std::string_view::npos) return std::nullopt;
  if (!from_b64(s.substr(0, dollar), k.salt, sizeof k.salt) || !from_b64(s.substr(dollar + 1), k.pk, sizeof k.pk)) {
    return std::nullopt;
  }
  return k;
}

std::string format_key(const PasswordKey& k) {
  return std::string(kKeyPrefix) + std::to_string(k.mem_kib) + ",t=" + std::to_string(k.passes) + "$" +
         to_b64(k.salt, sizeof k.salt) + "$" + to_b64(k.pk, sizeof k.pk);
}

// The key pair of `password` under k's salt and cost; the secret key is wiped by the caller.
Status derive_pair(const PasswordKey& k, std::string_view password, unsigned char* pk, unsigned char* sk) {
  if (password.size() > kMaxPasswordBytes) {
    return make_error(Errc::invalid_argument, "password: must be at most " + std::to_string(kMaxPasswordBytes) + " bytes");
  }
  if (!sodium_ready()) return make_error(Errc::crypto, "libsodium could not be initialised");
  unsigned char seed[crypto_sign_SEEDBYTES];
  if (crypto_pwhash(seed, sizeof seed, password.data(), password.size(), k.salt, k.passes,
                    static_cast<std::size_t>(k.mem_kib) * 1024, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return make_error(Errc::crypto, "argon2id key derivation failed (out of memory)");
  }
  crypto_sign_seed_keypair(pk, sk, seed);
  sodium_memzero(seed, sizeof seed);
  return {};
}

}  // namespace

Expected<std::string> make_password_key(std::string_view password, bool fast_for_tests) {
  if (!sodium_ready()) return make_error(Errc::crypto, "libsodium could not be initialised");
  PasswordKey k;
  k.mem_kib = mem_limit(fast_for_tests) / 1024;
  k.passes = ops_limit(fast_for_tests);
  randombytes_buf(k.salt, sizeof k.salt);
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  auto st = derive_pair(k, password, k.pk, sk);
  sodium_memzero(sk, sizeof sk);
  if (!st) return st.error();
  return format_key(k);
}

bool is_password_key(std::string_view key) noexcept { return parse_key(key).has_value(); }

Expected<std::string> sign_with_password(std::string_view key, std::string_view password, std::string_view message) {
  auto k = parse_key(key);
  if (!k) return make_error(Errc::invalid_argument, "password_key: malformed");
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  if (auto st = derive_pair(*k, password, pk, sk); !st) {
    sodium_memzero(sk, sizeof sk);
    return st.error();
  }
  if (sodium_memcmp(pk, k->pk, sizeof pk) != 0) {
    sodium_memzero(sk, sizeof sk);
    return make_error(Errc::invalid_argument, "password: does not match the password key");
  }
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(message.data()), message.size(), sk);
  sodium_memzero(sk, sizeof sk);
  return to_b64(sig, sizeof sig);
}

bool verify_password_signature(std::string_view key, std::string_view message, std::string_view signature) noexcept {
  auto k = parse_key(key);
  unsigned char sig[crypto_sign_BYTES];
  if (!k || !sodium_ready() || !from_b64(signature, sig, sizeof sig)) return false;
  return crypto_sign_verify_detached(sig, reinterpret_cast<const unsigned char*>(message.data()), message.size(), k->pk) ==
         0;
}

}  // namespace madoguchi::domain
