#include "madoguchi/domain/staff.h"

#include "madoguchi/domain/permissions.h"
#include "text.h"

namespace madoguchi::domain {

namespace {
constexpr std::string_view kWhat = "staff";
constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;
constexpr std::size_t kMaxProofBytes = 128;  // a signature is 86 characters of base64url

// What a counter's proof signs: every part is length-free of separators (ids, hash and key strings
// never contain a newline), and the first line names the purpose so the signature means nothing
// anywhere else.
std::string change_message(const StaffAccount& before, const StaffAccount& after) {
  return "madoguchi staff password change v1\n" + after.id + "\n" + before.password_hash + "\n" + after.password_hash +
         "\n" + after.password_key + "\n";
}

bool id_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}
bool alnum(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
}  // namespace

Status validate_staff_id(std::string_view id) {
  bool ok = !id.empty() && id.size() <= kMaxStaffIdBytes && alnum(id.front());
  for (char c : id) ok = ok && id_char(c);
  if (!ok) {
    return make_error(Errc::invalid_argument, "id: must be 1-32 characters of A-Z a-z 0-9 . _ -, first a letter or digit");
  }
  return {};
}

Status validate_staff_name(std::string_view name) {
  if (auto p = detail::check_text(name, 1, kMaxStaffNameChars); p != detail::TextProblem::none) {
    return make_error(Errc::invalid_argument, "name: " + detail::text_problem_en(p, 1, kMaxStaffNameChars));
  }
  return {};
}

Status validate_staff(const StaffAccount& a) {
  if (auto st = validate_staff_id(a.id); !st) return st;
  if (auto st = validate_staff_name(a.name); !st) return st;
  if (auto st = validate_role_id(a.role_id); !st) {
    return make_error(Errc::invalid_argument, "role_" + st.error().message);  // "role_id: ..."
  }
  if (!is_password_hash(a.password_hash)) {
    return make_error(Errc::invalid_argument, "password_hash: must be an argon2id hash string");
  }
  if (a.previous_hashes.size() > kMaxPasswordHistory) {
    return make_error(Errc::invalid_argument,
                      "previous_hashes: at most " + std::to_string(kMaxPasswordHistory) + " entries");
  }
  for (const auto& h : a.previous_hashes) {
    if (!is_password_hash(h)) {
      return make_error(Errc::invalid_argument, "previous_hashes: entries must be argon2id hash strings");
    }
  }
  if (!a.password_key.empty() && !is_password_key(a.password_key)) {
    return make_error(Errc::invalid_argument, "password_key: must be a password key string");
  }
  if (a.password_proof.size() > kMaxProofBytes) return make_error(Errc::invalid_argument, "password_proof: too long");
  return {};
}

std::string staff_key(const StaffAccount& a) { return a.id; }

nlohmann::json staff_to_json(const StaffAccount& a) {
  nlohmann::json j{{"id", a.id},
                        {"name", a.name},
                        {"role_id", a.role_id},
                        {"password_hash", a.password_hash},
                        {"enabled", a.enabled},
                        {"password_changed_ms", a.password_changed_ms},
                        {"must_change_password", a.must_change_password},
                        {"previous_hashes", a.previous_hashes}};
  if (!a.password_key.empty()) j["password_key"] = a.password_key;
  if (!a.password_proof.empty()) j["password_proof"] = a.password_proof;
  return j;
}

void strip_secrets(std::string_view entity, nlohmann::json& body) {
  if (entity != kStaffEntity || !body.is_object()) return;
  body.erase("password_hash");
  body.erase("previous_hashes");
  body.erase("password_key");
  body.erase("password_proof");
}

Expected<StaffAccount> staff_from_json(const nlohmann::json& body) {
  using namespace detail;
  if (auto st = require_object(body, kWhat); !st) return st.error();
  StaffAccount a;
  for (auto [key, field] : {std::pair{"id", &a.id}, std::pair{"name", &a.name}, std::pair{"role_id", &a.role_id},
                            std::pair{"password_hash", &a.password_hash}}) {
    if (auto st = read_string(body, kWhat, key, *field, true); !st) return st.error();
  }
  for (auto [key, field] : {std::pair{"password_key", &a.password_key}, std::pair{"password_proof", &a.password_proof}}) {
    if (auto st = read_string(body, kWhat, key, *field, false); !st) return st.error();
  }
  if (auto st = read_bool(body, kWhat, "enabled", a.enabled, true); !st) return st.error();
  if (auto st = read_bool(body, kWhat, "must_change_password", a.must_change_password, true); !st) return st.error();
  if (auto st = read_i64(body, kWhat, "password_changed_ms", a.password_changed_ms, true); !st) return st.error();
  if (auto it = body.find("previous_hashes"); it != body.end()) {
    if (!it->is_array()) return make_error(Errc::malformed, "staff.previous_hashes: must be an array");
    if (it->size() > kMaxPasswordHistory) {
      return make_error(Errc::invalid_argument,
                        "previous_hashes: at most " + std::to_string(kMaxPasswordHistory) + " entries");
    }
    for (const auto& h : *it) {
      if (!h.is_string()) return make_error(Errc::malformed, "staff.previous_hashes: entries must be strings");
      a.previous_hashes.push_back(h.get<std::string>());
    }
  }
  if (auto st = validate_staff(a); !st) return st.error();
  return a;
}

bool password_expired(const StaffAccount& a, const PasswordRules& rules, std::int64_t now_ms) noexcept {
  if (rules.max_age_days <= 0) return false;
  return now_ms - a.password_changed_ms >= static_cast<std::int64_t>(rules.max_age_days) * kDayMs;
}

bool password_change_required(const StaffAccount& a, const PasswordRules& rules, std::int64_t now_ms) noexcept {
  return a.must_change_password || password_expired(a, rules, now_ms);
}

Status set_password(StaffAccount& a, const PasswordRules& rules, std::string_view new_password, std::int64_t now_ms,
                    bool must_change, bool fast_for_tests) {
  if (auto st = check_password(rules, new_password, a.id); !st) return st;
  if (rules.history > 0) {
    std::vector<const std::string*> remembered;
    if (!a.password_hash.empty()) remembered.push_back(&a.password_hash);
    for (const auto& h : a.previous_hashes) {
      if (remembered.size() >= static_cast<std::size_t>(rules.history)) break;
      remembered.push_back(&h);
    }
    for (const auto* h : remembered) {
      if (verify_password(*h, new_password)) {
        return make_error(Errc::invalid_argument,
                          "password: must differ from the last " + std::to_string(rules.history) + " passwords");
      }
    }
  }
  auto hash = hash_password(new_password, fast_for_tests);
  if (!hash) return hash.error();
  std::vector<std::string> previous;
  const std::size_t keep = rules.history > 1 ? static_cast<std::size_t>(rules.history) - 1 : 0;
  if (keep > 0 && !a.password_hash.empty()) previous.push_back(a.password_hash);
  for (const auto& h : a.previous_hashes) {
    if (previous.size() >= keep) break;
    previous.push_back(h);
  }
  auto key = make_password_key(new_password, fast_for_tests);
  if (!key) return key.error();
  a.password_hash = std::move(*hash);
  a.password_key = std::move(*key);
  a.password_proof.clear();
  a.previous_hashes = std::move(previous);
  a.password_changed_ms = now_ms;
  a.must_change_password = must_change;
  return {};
}

Status prove_password_change(const StaffAccount& before, std::string_view current_password, StaffAccount& after) {
  if (before.password_key.empty()) {
    return make_error(Errc::forbidden, "the account has no password key: its password can be changed only at the hub");
  }
  auto sig = sign_with_password(before.password_key, current_password, change_message(before, after));
  if (!sig) return sig.error();
  after.password_proof = std::move(*sig);
  return {};
}

Status verify_password_change(const StaffAccount& before, const StaffAccount& after) {
  if (before.password_key.empty()) {
    return make_error(Errc::forbidden, "the account has no password key: its password can be changed only at the hub");
  }
  if (after.password_key.empty() || after.password_proof.empty()) {
    return make_error(Errc::forbidden, "a password change from a counter must carry the new key and a proof");
  }
  if (!verify_password_signature(before.password_key, change_message(before, after), after.password_proof)) {
    return make_error(Errc::forbidden, "the password change is not signed with the current password");
  }
  return {};
}

}  // namespace madoguchi::domain
