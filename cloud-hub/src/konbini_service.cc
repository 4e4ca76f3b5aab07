#include "madoguchi/hub/konbini_service.h"

#include <sodium.h>

#include <nlohmann/json.hpp>
#include <algorithm>

#include "madoguchi/calendar/date.h"
#include "madoguchi/certpdf/certificate_pdf.h"
#include "madoguchi/text/multipart.h"

namespace madoguchi::hub {

using nlohmann::json;

namespace {

constexpr std::string_view kPrefix = "/kiosk/v1/";
constexpr std::size_t kMaxCertificateBytes = 16 * 1024;

std::string sha256_hex(std::string_view bytes) {
  unsigned char md[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(md, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : md) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::optional<std::string> from_base64(std::string_view text, std::size_t max) {
  if (text.size() > max * 2) return std::nullopt;
  std::string out(text.size(), '\0');
  std::size_t n = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr, &n, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0 || n > max) {
    return std::nullopt;
  }
  out.resize(n);
  return out;
}

std::string b64url(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.pop_back();
  return out;
}

bool valid_id(std::string_view s, std::size_t min, std::size_t max) {
  if (s.size() < min || s.size() > max) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' || c == '_')) return false;
  }
  return true;
}

bool valid_text(std::string_view s, std::size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

http::Response refuse(int status, std::string_view code, std::string_view message) { return http::Response::error(status, code, message); }

// What the resident reads at the kiosk. The reason codes are for staff (コンビニ交付記録); the
// kiosk learns only which of three things to say, so a refusal never tells a stranger holding
// someone's card and PIN why (DV support measures above all).
std::pair<std::string, std::string> citizen_message(const std::vector<domain::Refusal>& refusals) {
  for (const auto& r : refusals) {
    if (r.code == "outside_hours") return {"outside_hours", "ただいまの時間は証明書を交付できません（6時30分から23時まで）。"};
  }
  for (const auto& r : refusals) {
    if (r.code == "kind_not_offered" || r.code == "option_not_offered" || r.code == "tax_year_not_offered" || r.code == "tax_year_switch") {
      return {"not_offered", "この証明書（または選ばれた内容）はコンビニエンスストアでは交付していません。"};
    }
  }
  return {"ask_counter", "この証明書はコンビニエンスストアでは交付できません。お手数ですが市区町村の窓口にお問い合わせください。"};
}

std::string signed_text(const std::string& muni, const std::string& request, const std::string& challenge) {
  return "madoguchi-kiosk-v1\n" + muni + "\n" + request + "\n" + challenge + "\n";
}

char kind_letter(domain::CertificateKind k) {
  switch (k) {
    case domain::CertificateKind::residence: return 'R';
    case domain::CertificateKind::seal: return 'S';
    case domain::CertificateKind::tax: return 'T';
  }
  return 'X';
}

json refusals_json(const std::vector<domain::Refusal>& refusals) {
  json a = json::array();
  for (const auto& r : refusals) a.push_back({{"code", r.code}, {"detail", r.detail}});
  return a;
}

http::Response pdf_response(std::string pdf, const IssuanceRow& row) {
  http::Response res;
  res.status = 200;
  res.content_type = "application/pdf";
  res.body = std::move(pdf);
  res.headers.emplace_back("X-Madoguchi-Request", row.request);
  res.headers.emplace_back("X-Madoguchi-Certificate-Number", row.number);
  res.headers.emplace_back("X-Madoguchi-Fee", std::to_string(row.fee_yen));
  res.headers.emplace_back("X-Madoguchi-Pdf-Sha256", row.pdf_sha256);
  if (!row.verification.empty()) res.headers.emplace_back("X-Madoguchi-Verification", row.verification);
  return res;
}

// The answer for a request that is not (or no longer) ours to issue, from its recorded state.
http::Response state_answer(const IssuanceRow& row) {
  switch (row.state) {
    case RequestState::issuing: return refuse(409, "in_progress", "証明書を作成中です。少し待ってからもう一度送ってください。");
    case RequestState::refused: {
      std::vector<domain::Refusal> refusals;
      json j = json::parse(row.refusals, nullptr, false);
      if (j.is_array()) {
        for (const auto& r : j) refusals.push_back({r.value("code", ""), r.value("detail", "")});
      }
      auto [code, message] = citizen_message(refusals);
      json body = {{"error", {{"code", "refused"}, {"reason", code}, {"message", message}}}};
      return http::Response::json(403, body.dump());
    }
    case RequestState::completed: return refuse(409, "request_completed", "この申請の証明書は印刷済みです。");
    case RequestState::cancelled: return refuse(409, "request_cancelled", "この申請は取り消されました。最初からやり直してください。");
    case RequestState::expired: return refuse(409, "request_expired", "この申請は時間切れです。最初からやり直してください。");
    case RequestState::challenged:
    case RequestState::issued: break;
  }
  return refuse(409, "request_conflict", "この申請は別の内容で受け付けています。");
}

}  // namespace

KonbiniService::KonbiniService(KonbiniOptions options, CertificateSource& source, JpkiVerifier& jpki, const Clock& clock, LogSink log)
    : options_(std::move(options)), source_(source), jpki_(jpki), clock_(clock), log_(std::move(log)) {
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  if (options_.signing_seed.size() == crypto_sign_SEEDBYTES) {
    crypto_sign_seed_keypair(pk, sk, reinterpret_cast<const unsigned char*>(options_.signing_seed.data()));
  } else {
    crypto_sign_keypair(pk, sk);  // a key for this run only: codes do not verify after a restart
  }
  public_key_.assign(reinterpret_cast<char*>(pk), sizeof pk);
  secret_key_.assign(reinterpret_cast<char*>(sk), sizeof sk);
  sodium_memzero(sk, sizeof sk);
}

KonbiniService::~KonbiniService() { sodium_memzero(secret_key_.data(), secret_key_.size()); }

Status KonbiniService::open(const std::filesystem::path& data_dir) {
  // Never a certificate in a substitute font that lacks the registered characters.
  if (auto s = certpdf::check_font(options_.font_family); !s) return s;
  for (const auto& [muni, policy] : options_.policies) {
    auto store = KonbiniStore::open(data_dir / (muni + ".konbini.db"), muni);
    if (!store) return store.error().with_context("issuance database of " + muni);
    auto m = std::make_unique<Muni>();
    m->store = std::make_unique<KonbiniStore>(std::move(*store));
    munis_[muni] = std::move(m);
  }
  opened_ms_ = clock_.wall_ms();
  return {};
}

void KonbiniService::failed(const std::string& muni, Muni& m, const std::string& what) {
  log_(LogLevel::error, "issuance of " + muni + ": " + what);
  std::lock_guard lock(m.health_mutex);
  m.failures.push_back(clock_.wall_ms());
  if (m.failures.size() > 1000) m.failures.pop_front();
  m.last_failure = what;
}

std::optional<domain::IssuanceHealth> KonbiniService::health(const std::string& municipality, std::int64_t window_ms) {
  auto it = munis_.find(municipality);
  if (it == munis_.end()) return std::nullopt;
  Muni& m = *it->second;
  const std::int64_t now = clock_.wall_ms();
  domain::IssuanceHealth h;
  const auto local = calendar::local_time(now, options_.utc_offset_minutes);
  h.in_service_hours = domain::in_service_hours(options_.policies.at(municipality), local.date, local.minute_of_day);
  h.watching_since_ms = opened_ms_;
  {
    std::lock_guard lock(m.health_mutex);
    h.center_last_ms = m.last_contact_ms;
    h.errors = static_cast<std::uint64_t>(std::count_if(m.failures.begin(), m.failures.end(), [&](std::int64_t t) { return now - t < window_ms; }));
    if (h.errors > 0) h.last_error = m.last_failure;
  }
  auto rev = jpki_.revocation(now / 1000);
  h.revocation_stale = rev.stale;
  h.revocation_text = rev.text;
  h.ocsp_trouble = rev.ocsp_trouble;
  return h;
}

KonbiniStore* KonbiniService::store(const std::string& municipality) {
  auto it = munis_.find(municipality);
  return it == munis_.end() ? nullptr : it->second->store.get();
}

void KonbiniService::tick() {
  const std::int64_t now = clock_.wall_ms();
  for (auto& [muni, m] : munis_) {
    std::lock_guard lock(m->mutex);
    auto n = m->store->expire(now, options_.complete_ms);
    if (!n) {
      log_(LogLevel::warning, "issuance of " + muni + ": expiring requests failed: " + n.error().message);
    } else if (*n > 0) {
      log_(LogLevel::info, "issuance of " + muni + ": " + std::to_string(*n) + " requests expired or cancelled (timeout)");
    }
  }
}

http::Response KonbiniService::handle(const http::Request& r) {
  if (r.path == "/healthz" && r.method == "GET") return http::Response::json(200, R"({"ok":true})");
  if (r.path.compare(0, kPrefix.size(), kPrefix) != 0) return refuse(404, "not_found", "no such resource");
  const std::string rest = r.path.substr(kPrefix.size());
  const auto slash = rest.find('/');
  if (slash == std::string::npos) return refuse(404, "not_found", "no such resource");
  const std::string muni = rest.substr(0, slash), action = rest.substr(slash + 1);
  auto it = munis_.find(muni);
  // KON-5: a municipality that does not offer issuance here does not exist for the center.
  if (it == munis_.end()) return refuse(404, "unknown_municipality", "この市区町村の証明書は交付していません。");
  Muni& m = *it->second;
  {
    std::lock_guard lock(m.health_mutex);
    m.last_contact_ms = clock_.wall_ms();  // the center reached us (障害通知: center_unreachable)
  }
  if (action == "heartbeat") {
    if (r.method != "POST") return refuse(405, "method_not_allowed", "POST only");
    return http::Response::json(200, json{{"ok", true}, {"time_ms", clock_.wall_ms()}}.dump());
  }
  if (action == "status") {
    if (r.method != "GET") return refuse(405, "method_not_allowed", "GET only");
    return status(m, r);
  }
  if (r.method != "POST") return refuse(405, "method_not_allowed", "POST only");
  http::Response res = action == "challenge" ? challenge(muni, m, r)
                       : action == "issue"   ? issue(muni, m, r)
                       : action == "complete" ? finish(muni, m, r, true)
                       : action == "cancel"  ? finish(muni, m, r, false)
                                             : refuse(404, "not_found", "no such resource");
  if (res.status >= 500) failed(muni, m, action + ": the store did not answer (" + std::to_string(res.status) + ")");
  return res;
}

http::Response KonbiniService::challenge(const std::string& muni, Muni& m, const http::Request& r) {
  json j = json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("request") || !j["request"].is_string() || !j.contains("store") || !j["store"].is_object()) {
    return refuse(400, "malformed", "request and store are required");
  }
  const json& s = j["store"];
  StoreInfo store{s.value("id", ""), s.value("name", ""), s.value("prefecture", ""), j.value("kiosk", "")};
  const std::string request = j["request"].get<std::string>();
  int pref = 0;
  if (store.prefecture.size() == 2) pref = (store.prefecture[0] - '0') * 10 + (store.prefecture[1] - '0');
  if (!valid_id(request, 8, 64) || !valid_id(store.id, 1, 32) || !valid_text(store.name, 200) || !valid_id(store.kiosk, 1, 32) ||
      pref < 1 || pref > 47) {
    return refuse(400, "malformed", "request (8-64 of A-Z a-z 0-9 - _), store.id, store.name, store.prefecture (01-47) and kiosk are required");
  }
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  const std::int64_t now = clock_.wall_ms();
  std::lock_guard lock(m.mutex);
  auto row = m.store->challenge(request, store, b64url(std::string_view(reinterpret_cast<char*>(bytes), sizeof bytes)), now,
                                options_.challenge_ttl_ms);
  if (!row) {
    if (row.error().code == Errc::conflict) return refuse(409, row.error().message, "この申請番号は使われています。");
    log_(LogLevel::warning, "issuance of " + muni + ": challenge: " + row.error().message);
    return refuse(503, "unavailable", "ただいま交付できません。");
  }
  json out = {{"request", row->request},
              {"challenge", row->challenge},
              {"expires_ms", row->challenge_expires_ms},
              {"signed_data", signed_text(muni, row->request, row->challenge)}};
  return http::Response::json(200, out.dump());
}

http::Response KonbiniService::issue(const std::string& muni, Muni& m, const http::Request& r) {
  json j = json::parse(r.body, nullptr, false);
  auto text_field = [&](const char* k) { return j.is_object() && j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
  if (!j.is_object()) return refuse(400, "malformed", "a JSON object is required");
  const std::string request = text_field("request"), kind_name = text_field("kind");
  auto kind = domain::certificate_kind_from_name(kind_name);
  auto der = from_base64(text_field("certificate"), kMaxCertificateBytes);
  auto signature = from_base64(text_field("signature"), 1024);
  if (!valid_id(request, 8, 64) || !kind || !der || der->empty() || !signature || signature->empty()) {
    return refuse(400, "malformed", "request, kind, certificate (base64 DER) and signature (base64) are required");
  }
  const json options_json = j.contains("options") ? j["options"] : json::object();
  auto options = domain::certificate_options_from_json(*kind, options_json.dump());
  if (!options) return refuse(400, "malformed", options.error().message);
  const std::string canonical = domain::certificate_options_json(*kind, *options);
  // What was asked, whole: a retry must ask exactly this to get the same certificate.
  const std::string fingerprint = sha256_hex(*der + "\n" + kind_name + "\n" + canonical + "\n" + *signature);
  const std::int64_t now = clock_.wall_ms();

  IssuanceRow row;
  {
    std::lock_guard lock(m.mutex);
    auto cur = m.store->get(request);
    if (!cur) return refuse(503, "unavailable", "ただいま交付できません。");
    if (!*cur) return refuse(404, "request_unknown", "この申請は受け付けていません。最初からやり直してください。");
    if ((*cur)->state == RequestState::issued || (*cur)->state == RequestState::refused || (*cur)->state == RequestState::issuing) {
      if ((*cur)->fingerprint != fingerprint) return refuse(409, "request_conflict", "この申請は別の内容で受け付けています。");
      if ((*cur)->state == RequestState::issued) {
        auto pdf = m.store->pdf(request);  // a retry: the same certificate, never a second one
        if (pdf) return pdf_response(std::move(*pdf), **cur);
      }
      if ((*cur)->state == RequestState::refused) return state_answer(**cur);
    }
    bool won = false;
    auto claimed = m.store->claim(request, fingerprint, "", kind_name, canonical, now, options_.stale_claim_ms, &won);
    if (!claimed) return refuse(503, "unavailable", "ただいま交付できません。");
    if (!won) {
      if (claimed->state == RequestState::challenged && claimed->challenge_expires_ms <= now) {
        return refuse(409, "request_expired", "この申請は時間切れです。最初からやり直してください。");
      }
      return state_answer(*claimed);
    }
    row = *claimed;
  }

  std::string serial;
  auto record_refusal = [&](const std::string& subject, const std::vector<domain::Refusal>& refusals) {
    std::lock_guard lock(m.mutex);
    if (auto s = m.store->refused(request, fingerprint, serial, subject, refusals_json(refusals).dump(), clock_.wall_ms()); !s) {
      IssuanceRow gone;
      gone.state = RequestState::cancelled;
      return state_answer(gone);
    }
    IssuanceRow shown;
    shown.state = RequestState::refused;
    shown.refusals = refusals_json(refusals).dump();
    return state_answer(shown);
  };

  // KON-2: the card's key signed this request's challenge, and its certificate is good now.
  auto id = jpki_.verify(*der, signed_text(muni, request, row.challenge), *signature, now / 1000);
  if (!id) {
    const std::string code = id.error().code == Errc::forbidden || id.error().code == Errc::malformed ? id.error().message : "jpki_error";
    {
      std::lock_guard lock(m.mutex);
      (void)m.store->refused(request, fingerprint, "", "", refusals_json({{"authentication", code}}).dump(), clock_.wall_ms());
    }
    if (code == "jpki_error" || code == "crl_stale") {
      failed(muni, m, "request " + request + ": JPKI " + code);
    } else {
      log_(LogLevel::info, "issuance of " + muni + ": request " + request + " refused: JPKI " + code);
    }
    return refuse(403, "authentication_failed",
                  code == "certificate_revoked" ? "電子証明書が失効しています。" : code == "certificate_expired" ? "電子証明書の有効期限が切れています。"
                                                                                              : "電子証明書を確認できませんでした。");
  }

  serial = id->serial;
  auto facts = source_.facts(muni, serial, now);
  if (!facts) {
    failed(muni, m, "reading the certificate database: " + facts.error().message);
    return record_refusal("", {{"record_unreadable", "certificate database"}});
  }
  const auto local = calendar::local_time(now, options_.utc_offset_minutes);
  facts->today = local.date;
  facts->minute_of_day = local.minute_of_day;
  const auto& policy = options_.policies.at(muni);
  auto decision = domain::decide_issuance(policy, *kind, *options, *facts);
  const std::string subject = decision.subject ? decision.subject->person : std::string();
  if (!decision.issue) {
    std::string codes;
    for (const auto& x : decision.refusals) codes += (codes.empty() ? "" : ",") + x.code;
    log_(LogLevel::info, "issuance of " + muni + ": request " + request + " refused: " + codes);
    return record_refusal(subject, decision.refusals);
  }

  std::string seal_png;
  if (decision.seal) {
    auto png = source_.seal_image(muni, std::string(decision.seal->field("印影SHA256")));
    if (!png) return record_refusal(subject, {{"seal_image_missing", subject}});
    seal_png = std::move(*png);
  }
  std::string number;
  {
    std::lock_guard lock(m.mutex);
    auto n = m.store->next_number(kind_letter(*kind), facts->today.year);
    if (!n) return refuse(503, "unavailable", "ただいま交付できません。");
    number = *n;
  }
  auto doc = domain::build_certificate(policy, *kind, *options, decision, *facts, {muni, number}, std::move(seal_png));
  const std::string payload = domain::verification_payload(doc);
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(payload.data()), payload.size(),
                       reinterpret_cast<const unsigned char*>(secret_key_.data()));
  doc.verification = domain::verification_code(payload, std::string_view(reinterpret_cast<char*>(sig), sizeof sig));
  certpdf::RenderOptions ro;
  ro.font_family = options_.font_family;
  ro.verify_url = options_.verify_url;
  if (auto seal = options_.municipal_seals.find(muni); seal != options_.municipal_seals.end()) ro.municipal_seal_png = seal->second;
  if (!options_.verify_url.empty()) doc.verification = options_.verify_url + "?c=" + doc.verification;
  auto pdf = certpdf::render_certificate(doc, ro);
  if (!pdf) {
    failed(muni, m, "rendering " + number + ": " + pdf.error().message);
    return record_refusal(subject, {{"record_unreadable", "rendering"}});
  }

  IssuedCertificate cert;
  cert.jpki_serial = serial;
  cert.subject = subject;
  json persons = json::array();
  for (const auto& p : decision.persons) persons.push_back(p.person);
  cert.persons = persons.dump();
  cert.number = number;
  cert.text = domain::certificate_text(doc);
  cert.digest = domain::certificate_digest(doc);
  cert.pdf_sha256 = sha256_hex(*pdf);
  cert.fee_yen = decision.fee_yen;
  if (decision.subject) {
    auto birth = calendar::parse_iso(std::string(decision.subject->field("生年月日")));
    if (birth) {
      cert.age = facts->today.year - birth->year - ((facts->today.month < birth->month || (facts->today.month == birth->month && facts->today.day < birth->day)) ? 1 : 0);
    }
  }
  cert.pdf = *pdf;
  cert.verification = doc.verification;
  {
    std::lock_guard lock(m.mutex);
    if (auto s = m.store->issued(request, fingerprint, cert, clock_.wall_ms()); !s) {
      // Cancelled (or timed out) while it was being made: the certificate is thrown away whole.
      log_(LogLevel::info, "issuance of " + muni + ": request " + request + " was cancelled while " + number + " was made; discarded");
      return refuse(409, "request_cancelled", "この申請は取り消されました。最初からやり直してください。");
    }
    row.number = number;
    row.fee_yen = cert.fee_yen;
    row.pdf_sha256 = cert.pdf_sha256;
    row.verification = cert.verification;
  }
  log_(LogLevel::info, "issuance of " + muni + ": request " + request + " issued " + number + " (" + kind_name + ")");
  return pdf_response(std::move(*pdf), row);
}

http::Response KonbiniService::finish(const std::string& muni, Muni& m, const http::Request& r, bool complete) {
  json j = json::parse(r.body, nullptr, false);
  const std::string request = j.is_object() && j.contains("request") && j["request"].is_string() ? j["request"].get<std::string>() : "";
  if (!valid_id(request, 8, 64)) return refuse(400, "malformed", "request is required");
  std::string reason = j.is_object() ? j.value("reason", std::string("kiosk")) : std::string("kiosk");
  if (!valid_id(reason, 1, 32)) reason = "kiosk";
  std::lock_guard lock(m.mutex);
  auto row = complete ? m.store->complete(request, clock_.wall_ms()) : m.store->cancel(request, reason, clock_.wall_ms());
  if (!row) {
    if (row.error().code == Errc::not_found) return refuse(404, "request_unknown", "この申請は受け付けていません。");
    return refuse(503, "unavailable", "ただいま処理できません。");
  }
  const bool ok = complete ? row->state == RequestState::completed : row->state == RequestState::cancelled;
  if (!ok) {
    // Completing what was cancelled (a timeout) must be seen by the center: the kiosk printed a
    // certificate the hub no longer stands behind; cancelling what was printed cannot undo it.
    json body = {{"error", {{"code", "wrong_state"}, {"state", request_state_name(row->state)}, {"message", "この申請はすでに終わっています。"}}}};
    return http::Response::json(409, body.dump());
  }
  log_(LogLevel::info, "issuance of " + muni + ": request " + request + (complete ? " completed" : " cancelled (" + reason + ")"));
  return http::Response::json(200, json{{"request", request}, {"state", request_state_name(row->state)}}.dump());
}

http::Response KonbiniService::status(Muni& m, const http::Request& r) {
  auto q = r.query.find("request");
  if (q == r.query.end() || !valid_id(q->second, 8, 64)) return refuse(400, "malformed", "request is required");
  std::lock_guard lock(m.mutex);
  auto row = m.store->get(q->second);
  if (!row) return refuse(503, "unavailable", "ただいま処理できません。");
  if (!*row) return refuse(404, "request_unknown", "この申請は受け付けていません。");
  return http::Response::json(200, json{{"request", (*row)->request}, {"state", request_state_name((*row)->state)}, {"number", (*row)->number}}.dump());
}

}  // namespace madoguchi::hub

namespace madoguchi::hub {

namespace {

std::string escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

http::Response page(int status, const std::string& body) {
  http::Response res;
  res.status = status;
  res.content_type = "text/html; charset=utf-8";
  res.body = "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">"
             "<title>証明書の検証</title></head><body><main><h1>コンビニ交付証明書の検証</h1>\n" +
             body +
             "<h2>PDFファイルで確かめる</h2><form method=\"post\" enctype=\"multipart/form-data\">"
             "<p><label for=\"pdf\">交付されたPDF</label> <input id=\"pdf\" name=\"pdf\" type=\"file\" accept=\"application/pdf\"></p>"
             "<p><button type=\"submit\">確かめる</button></p></form>"
             "<h2>検証コードで確かめる</h2><form method=\"get\"><p><label for=\"c\">検証コード</label> "
             "<input id=\"c\" name=\"c\" size=\"60\" autocomplete=\"off\"></p><p><button type=\"submit\">確かめる</button></p></form>"
             "</main></body></html>\n";
  return res;
}

// A certificate's record as the page shows it: who issued what when, and whether it stands.
std::string describe(const domain::IssuancePolicy& policy, const IssuanceRow& row, domain::CertificateKind kind,
                     const calendar::Date& issued, bool show_text) {
  std::string out = "<dl><dt>交付した市区町村</dt><dd>" + escape(policy.municipality_name) + "</dd><dt>証明書</dt><dd>" +
                    escape(domain::certificate_kind_label(kind)) + "</dd><dt>証明書番号</dt><dd>" + escape(row.number) +
                    "</dd><dt>交付日</dt><dd>" + escape(domain::wareki_date(issued)) + "</dd></dl>\n";
  if (row.state == RequestState::cancelled) {
    out += "<p><strong>この証明書は交付の途中で取り消されました。有効な証明書ではありません。</strong></p>\n";
    return out;
  }
  if (show_text) {
    out += "<h2>記載事項</h2><p>紙の証明書と同じであることを確かめてください。</p><pre>" + escape(row.text) + "</pre>\n";
  }
  return out;
}

}  // namespace

http::Response KonbiniService::verify_page(const http::Request& r) {
  if (r.method == "GET" || r.method == "HEAD") {
    auto c = r.query.find("c");
    if (c == r.query.end() || c->second.empty()) return page(200, "<p>証明書の右下の二次元コードを読み取るか、検証コードを入力してください。</p>\n");
    auto code = domain::parse_verification_code(c->second);
    const std::string forged = "<p role=\"alert\"><strong>この検証コードは確認できません。</strong>当方が交付した証明書のコードではないか、書き換えられています。</p>\n";
    if (!code) return page(200, forged);
    if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(code->signature.data()),
                                    reinterpret_cast<const unsigned char*>(code->payload_text.data()), code->payload_text.size(),
                                    reinterpret_cast<const unsigned char*>(public_key_.data())) != 0) {
      return page(200, forged);
    }
    auto it = munis_.find(code->payload.municipality);
    if (it == munis_.end()) return page(200, forged);
    std::optional<IssuanceRow> row;
    {
      std::lock_guard lock(it->second->mutex);
      auto found = it->second->store->by_number(code->payload.number);
      if (!found) return page(503, "<p>ただいま確認できません。しばらくしてからお試しください。</p>\n");
      row = *found;
    }
    if (!row || row->digest != code->payload.digest) return page(200, forged);
    const bool recent = calendar::days_between(code->payload.issued, calendar::add_days({1970, 1, 1}, static_cast<int>(clock_.wall_ms() / 86'400'000))) <= 90;
    return page(200, "<p><strong>この検証コードは本物です。</strong></p>\n" +
                         describe(options_.policies.at(code->payload.municipality), *row, code->payload.kind, code->payload.issued, recent));
  }
  if (r.method != "POST") return refuse(405, "method_not_allowed", "GET or POST");
  auto ct = r.headers.find("content-type");
  auto parts = text::parse_multipart(ct == r.headers.end() ? "" : ct->second, r.body, {});
  if (!parts) return page(400, "<p role=\"alert\">PDFファイルを選んで送ってください。</p>\n");
  for (const auto& part : *parts) {
    if (part.name != "pdf") continue;
    const std::string sha = sha256_hex(part.data);
    for (auto& [muni, m] : munis_) {
      std::optional<IssuanceRow> row;
      {
        std::lock_guard lock(m->mutex);
        auto found = m->store->by_pdf_sha256(sha);
        if (!found) return page(503, "<p>ただいま確認できません。しばらくしてからお試しください。</p>\n");
        row = *found;
      }
      if (row) {
        auto kind = domain::certificate_kind_from_name(row->kind).value_or(domain::CertificateKind::residence);
        const auto issued = calendar::add_days({1970, 1, 1}, static_cast<int>((row->created_ms + options_.utc_offset_minutes * 60'000LL) / 86'400'000));
        return page(200, "<p><strong>このPDFは交付された証明書と同じです（1バイトも変わっていません）。</strong></p>\n" +
                             describe(options_.policies.at(muni), *row, kind, issued, false));
      }
    }
    return page(200, "<p role=\"alert\"><strong>このPDFは当方が交付した証明書と一致しません。</strong>書き換えられているか、別の文書です。</p>\n");
  }
  return page(400, "<p role=\"alert\">PDFファイルを選んで送ってください。</p>\n");
}

}  // namespace madoguchi::hub

namespace madoguchi::hub {

Expected<std::vector<IssuanceRow>> KonbiniService::records(const std::string& muni, std::int64_t from_ms, std::int64_t to_ms,
                                                           const std::string& before, std::size_t max) {
  auto it = munis_.find(muni);
  if (it == munis_.end()) return Error{Errc::not_found, "no issuance for " + muni};
  std::lock_guard lock(it->second->mutex);
  return it->second->store->list(from_ms, to_ms, before, max);
}

Expected<std::optional<IssuanceRow>> KonbiniService::record(const std::string& muni, const std::string& request) {
  auto it = munis_.find(muni);
  if (it == munis_.end()) return Error{Errc::not_found, "no issuance for " + muni};
  std::lock_guard lock(it->second->mutex);
  return it->second->store->get(request);
}

Expected<std::vector<KonbiniStore::Tally>> KonbiniService::tallies(const std::string& muni, std::int64_t from_ms, std::int64_t to_ms,
                                                                   std::size_t max) {
  auto it = munis_.find(muni);
  if (it == munis_.end()) return Error{Errc::not_found, "no issuance for " + muni};
  std::lock_guard lock(it->second->mutex);
  return it->second->store->tallies(from_ms, to_ms, max);
}

namespace {

console::app::KonbiniRecord to_record(const IssuanceRow& r) {
  console::app::KonbiniRecord out;
  out.request = r.request;
  out.state = std::string(request_state_name(r.state));
  out.at_ms = r.created_ms;
  out.store_id = r.store.id;
  out.store_name = r.store.name;
  out.prefecture = r.store.prefecture;
  out.kiosk = r.store.kiosk;
  out.kind = r.kind;
  out.options = r.options;
  out.subject = r.subject;
  json persons = json::parse(r.persons.empty() ? "[]" : r.persons, nullptr, false);
  if (persons.is_array()) {
    for (const auto& p : persons) {
      if (p.is_string()) out.persons.push_back(p.get<std::string>());
    }
  }
  out.number = r.number;
  out.fee_yen = r.fee_yen;
  out.age = r.age;
  json refusals = json::parse(r.refusals.empty() ? "[]" : r.refusals, nullptr, false);
  if (refusals.is_array()) {
    for (const auto& x : refusals) {
      if (x.is_object()) out.refusals.push_back({x.value("code", std::string()), x.value("detail", std::string())});
    }
  }
  out.text = r.text;
  out.reason = r.reason;
  return out;
}

}  // namespace

Expected<console::app::KonbiniRecordPage> HubKonbiniRecords::list(std::int64_t from_ms, std::int64_t to_ms, const std::string& before,
                                                                  std::size_t max) {
  auto rows = service_.records(municipality_, from_ms, to_ms, before, max + 1);
  if (!rows) return rows.error();
  console::app::KonbiniRecordPage page;
  for (std::size_t i = 0; i < rows->size() && i < max; ++i) page.records.push_back(to_record((*rows)[i]));
  if (rows->size() > max) page.next = page.records.back().request;
  return page;
}

Expected<std::vector<console::app::KonbiniTally>> HubKonbiniRecords::tallies(std::int64_t from_ms, std::int64_t to_ms, std::size_t max) {
  auto rows = service_.tallies(municipality_, from_ms, to_ms, max);
  if (!rows) return rows.error();
  std::vector<console::app::KonbiniTally> out;
  out.reserve(rows->size());
  for (auto& t : *rows) {
    out.push_back({std::move(t.state), std::move(t.kind), std::move(t.prefecture), std::move(t.store_id), std::move(t.store_name), t.age,
                   t.created_ms, t.fee_yen});
  }
  return out;
}

Expected<std::optional<console::app::KonbiniRecord>> HubKonbiniRecords::get(const std::string& request) {
  auto row = service_.record(municipality_, request);
  if (!row) return row.error();
  if (!*row) return std::optional<console::app::KonbiniRecord>();
  return std::optional<console::app::KonbiniRecord>(to_record(**row));
}

}  // namespace madoguchi::hub
