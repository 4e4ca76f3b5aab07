#include "madoguchi/hub/jpki_verifier.h"

#include <openssl/http.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>

#include <ctime>
#include <fstream>
#include <unordered_map>

#include "madoguchi/domain/konbini.h"
#include "madoguchi/openssl/handles.h"

namespace madoguchi::hub {

using namespace madoguchi::openssl;  // NOLINT(google-build-using-namespace): the RAII handles

struct JpkiVerifier::State {
  X509StorePtr store;
  X509Ptr root;                        // the JPKI root: the issuer OCSP questions name
  std::int64_t crl_next_update_s = 0;  // 0: the CRL names none
};

struct JpkiVerifier::Ocsp {
  OcspOptions options;
  std::string host, port, path;
  struct Known {
    bool revoked = false;
    std::chrono::steady_clock::time_point until;
  };
  static constexpr std::size_t kMaxKnown = 100'000;  // bounded: a full cache is cleared and refilled
  std::mutex mutex;
  std::unordered_map<std::string, Known> known;  // serial → the responder's last usable answer
  std::string trouble;                           // the last failure, until an answer succeeds
  std::chrono::steady_clock::time_point trouble_at{};
  OcspStats stats;
};

namespace {

Expected<std::string> read_pem(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error{Errc::io, "cannot read " + file.string()};
  std::string s((std::istreambuf_iterator<char>(in)), {});
  if (s.size() > 64 * 1024 * 1024) return Error{Errc::too_large, file.string() + " is too large"};
  return s;
}

Expected<std::shared_ptr<JpkiVerifier::State>> load(const std::filesystem::path& ca_file, const std::filesystem::path& crl_file) {
  auto ca_pem = read_pem(ca_file);
  if (!ca_pem) return ca_pem.error();
  auto crl_pem = read_pem(crl_file);
  if (!crl_pem) return crl_pem.error();
  BioPtr ca_bio(BIO_new_mem_buf(ca_pem->data(), static_cast<int>(ca_pem->size())));
  X509Ptr ca(ca_bio ? PEM_read_bio_X509(ca_bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!ca) return openssl_error("reading the JPKI root " + ca_file.string());
  BioPtr crl_bio(BIO_new_mem_buf(crl_pem->data(), static_cast<int>(crl_pem->size())));
  X509CrlPtr crl(crl_bio ? PEM_read_bio_X509_CRL(crl_bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!crl) return openssl_error("reading the JPKI CRL " + crl_file.string());
  PkeyPtr ca_key(X509_get_pubkey(ca.get()));
  if (!ca_key || X509_CRL_verify(crl.get(), ca_key.get()) != 1) {
    return Error{Errc::crypto, crl_file.string() + ": the CRL is not signed by the JPKI root"};
  }
  auto state = std::make_shared<JpkiVerifier::State>();
  X509_up_ref(ca.get());
  state->root.reset(ca.get());
  if (const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get())) {
    struct tm t {};
    if (ASN1_TIME_to_tm(next, &t) == 1) state->crl_next_update_s = static_cast<std::int64_t>(timegm(&t));
  }
  state->store.reset(X509_STORE_new());
  if (!state->store || X509_STORE_add_cert(state->store.get(), ca.get()) != 1 || X509_STORE_add_crl(state->store.get(), crl.get()) != 1) {
    return openssl_error("building the JPKI trust store");
  }
  return state;
}

Error refused(std::string_view code) { return Error{Errc::forbidden, std::string(code)}; }

enum class OcspVerdict { good, revoked, unknown, failed };
struct OcspAnswer {
  OcspVerdict verdict = OcspVerdict::failed;
  std::string why;            // failed: for staff and the log
  std::int64_t valid_s = 0;   // good/revoked: seconds until the answer's nextUpdate (0: none given)
};

OcspAnswer ocsp_failed(std::string why) {
  ERR_clear_error();
  return {OcspVerdict::failed, std::move(why), 0};
}

// One question to the responder about `cert` (issued by `root`), checked against `store`.
OcspAnswer ask_ocsp(const JpkiVerifier::Ocsp& o, X509* cert, X509* root, X509_STORE* store) {
  OcspCertIdPtr id(OCSP_cert_to_id(EVP_sha1(), cert, root));
  OcspRequestPtr req(OCSP_REQUEST_new());
  OCSP_CERTID* id_copy = id ? OCSP_CERTID_dup(id.get()) : nullptr;
  if (!req || !id_copy || !OCSP_request_add0_id(req.get(), id_copy)) {
    OCSP_CERTID_free(id_copy);
    return ocsp_failed("問い合わせを作れません");
  }
  if (OCSP_request_add1_nonce(req.get(), nullptr, -1) != 1) return ocsp_failed("問い合わせを作れません");
  BioPtr body(BIO_new(BIO_s_mem()));
  if (!body || i2d_OCSP_REQUEST_bio(body.get(), req.get()) != 1) return ocsp_failed("問い合わせを作れません");
  const int timeout_s = static_cast<int>(std::max<std::int64_t>(1, (o.options.timeout.count() + 999) / 1000));
  // proxy "": never one from the environment (the responder is on the hub's own network).
  BioPtr answer(OSSL_HTTP_transfer(nullptr, o.host.c_str(), o.port.c_str(), o.path.c_str(), 0, "", nullptr, nullptr, nullptr, nullptr,
                                   nullptr, 0, nullptr, "application/ocsp-request", body.get(), "application/ocsp-response", 1,
                                   64 * 1024, timeout_s, 0));
  if (!answer) return ocsp_failed("応答がありません");
  OcspResponsePtr response(d2i_OCSP_RESPONSE_bio(answer.get(), nullptr));
  if (!response) return ocsp_failed("応答を読めません");
  if (const int status = OCSP_response_status(response.get()); status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    return ocsp_failed(std::string("応答の状態: ") + OCSP_response_status_str(status));
  }
  OcspBasicPtr basic(OCSP_response_get1_basic(response.get()));
  if (!basic) return ocsp_failed("応答を読めません");
  if (OCSP_check_nonce(req.get(), basic.get()) != 1) return ocsp_failed("応答が問い合わせと対応しません（nonce）");
  STACK_OF(X509)* roots = sk_X509_new_null();
  if (!roots || !sk_X509_push(roots, root)) {
    sk_X509_free(roots);
    return ocsp_failed("署名を確認できません");
  }
  const int verified = OCSP_basic_verify(basic.get(), roots, store, 0);
  sk_X509_free(roots);  // the root itself belongs to the state
  if (verified != 1) return ocsp_failed("応答の署名が公的個人認証の認証局のものではありません");
  int status = 0, reason = 0;
  ASN1_GENERALIZEDTIME *revoked_at = nullptr, *this_update = nullptr, *next_update = nullptr;
  if (OCSP_resp_find_status(basic.get(), id.get(), &status, &reason, &revoked_at, &this_update, &next_update) != 1) {
    return ocsp_failed("応答に問い合わせた証明書がありません");
  }
  if (OCSP_check_validity(this_update, next_update, 300, -1) != 1) return ocsp_failed("応答の有効期間外です");
  OcspAnswer a;
  if (next_update) {
    int days = 0, secs = 0;
    if (ASN1_TIME_diff(&days, &secs, nullptr, next_update) == 1) a.valid_s = static_cast<std::int64_t>(days) * 86400 + secs;
  }
  a.verdict = status == V_OCSP_CERTSTATUS_GOOD ? OcspVerdict::good : status == V_OCSP_CERTSTATUS_REVOKED ? OcspVerdict::revoked : OcspVerdict::unknown;
  return a;
}

}  // namespace

JpkiVerifier::~JpkiVerifier() = default;

Expected<std::unique_ptr<JpkiVerifier>> JpkiVerifier::open(const std::filesystem::path& ca_file, const std::filesystem::path& crl_file,
                                                           OcspOptions ocsp) {
  std::unique_ptr<JpkiVerifier> v(new JpkiVerifier());
  if (!ocsp.url.empty()) {
    char *host = nullptr, *port = nullptr, *path = nullptr;
    int tls = 0;
    const bool parsed = OSSL_HTTP_parse_url(ocsp.url.c_str(), &tls, nullptr, &host, &port, nullptr, &path, nullptr, nullptr) == 1;
    v->ocsp_ = std::make_unique<Ocsp>();
    if (parsed) {
      v->ocsp_->host = host;
      v->ocsp_->port = port;
      v->ocsp_->path = path;
    }
    OPENSSL_free(host);
    OPENSSL_free(port);
    OPENSSL_free(path);
    ERR_clear_error();
    // OCSP answers are signed, so plain HTTP is the protocol's own transport (RFC 6960 A.1).
    if (!parsed || tls != 0 || ocsp.url.rfind("http://", 0) != 0 || v->ocsp_->host.empty()) {
      return Error{Errc::invalid_argument, "the OCSP responder: an http://host[:port][/path] URL, not '" + ocsp.url + "'"};
    }
    if (ocsp.timeout.count() <= 0 || ocsp.cache_seconds < 0) return Error{Errc::invalid_argument, "the OCSP timeout and cache: positive"};
    v->ocsp_->options = std::move(ocsp);
  }
  v->ca_file_ = ca_file;
  v->crl_file_ = crl_file;
  std::error_code ec;
  v->crl_mtime_ = std::filesystem::last_write_time(crl_file, ec);
  auto state = load(ca_file, crl_file);
  if (!state) return state.error();
  v->state_ = std::move(*state);
  v->checked_ = std::chrono::steady_clock::now();
  return v;
}

Status JpkiVerifier::refresh() {
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(crl_file_, ec);
  {
    std::lock_guard lock(mutex_);
    checked_ = std::chrono::steady_clock::now();
    if (ec || mtime == crl_mtime_) return {};
  }
  auto state = load(ca_file_, crl_file_);
  if (!state) return state.error();  // the previous CRL stays in force
  std::lock_guard lock(mutex_);
  state_ = std::move(*state);
  crl_mtime_ = mtime;
  return {};
}

JpkiVerifier::Revocation JpkiVerifier::revocation(std::int64_t now_s) {
  bool due = false;
  {
    std::lock_guard lock(mutex_);
    due = std::chrono::steady_clock::now() - checked_ > std::chrono::seconds(1);
  }
  Status read = {};
  if (due) read = refresh();
  std::lock_guard lock(mutex_);
  Revocation r;
  r.next_update_s = state_->crl_next_update_s;
  if (r.next_update_s != 0 && r.next_update_s <= now_s) {
    r.stale = true;
    r.text = "失効リストの次回更新予定を過ぎています（" + crl_file_.filename().string() + "）。";
  }
  if (!read) r.text += "新しい失効リストを読めませんでした（" + read.error().message + "）。";
  if (ocsp_) {
    std::lock_guard ocsp_lock(ocsp_->mutex);
    // A failure is news for as long as an answer would have been kept; the next good one clears it.
    if (!ocsp_->trouble.empty() && std::chrono::steady_clock::now() - ocsp_->trouble_at < std::chrono::seconds(std::max<std::int64_t>(ocsp_->options.cache_seconds, 60))) {
      r.ocsp_trouble = ocsp_->trouble;
    }
  }
  return r;
}

Status JpkiVerifier::check_ocsp(const std::string& serial, X509* cert, const State& state) {
  Ocsp& o = *ocsp_;
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(o.mutex);
    if (auto it = o.known.find(serial); it != o.known.end() && (it->second.revoked || now < it->second.until)) {
      ++o.stats.cached;
      return it->second.revoked ? Status(refused("certificate_revoked")) : Status{};
    }
    ++o.stats.asked;
  }
  const OcspAnswer a = ask_ocsp(o, cert, state.root.get(), state.store.get());
  std::lock_guard lock(o.mutex);
  switch (a.verdict) {
    case OcspVerdict::failed:
      ++o.stats.failed;
      o.trouble = a.why;
      o.trouble_at = now;
      return {};  // the CRL, current or every sign-in refused as crl_stale, decided already
    case OcspVerdict::unknown:
      ++o.stats.unknown;
      o.trouble.clear();
      return refused("certificate_untrusted");
    case OcspVerdict::good:
    case OcspVerdict::revoked: {
      const bool revoked = a.verdict == OcspVerdict::revoked;
      ++(revoked ? o.stats.revoked : o.stats.good);
      o.trouble.clear();
      std::int64_t keep = o.options.cache_seconds;
      if (a.valid_s > 0) keep = std::min(keep, a.valid_s);
      if (o.known.size() >= Ocsp::kMaxKnown) o.known.clear();
      if (revoked || keep > 0) o.known[serial] = {revoked, now + std::chrono::seconds(keep)};
      return revoked ? Status(refused("certificate_revoked")) : Status{};
    }
  }
  return {};
}

JpkiVerifier::OcspStats JpkiVerifier::ocsp_stats() const {
  if (!ocsp_) return {};
  std::lock_guard lock(ocsp_->mutex);
  return ocsp_->stats;
}

Expected<JpkiIdentity> JpkiVerifier::verify(std::string_view der, std::string_view signed_data, std::string_view signature,
                                            std::int64_t now_s) {
  bool due = false;
  {
    std::lock_guard lock(mutex_);
    due = std::chrono::steady_clock::now() - checked_ > std::chrono::seconds(1);
  }
  if (due) (void)refresh();  // a CRL that does not read keeps the last good one; it goes stale by its own date
  std::shared_ptr<State> state;
  {
    std::lock_guard lock(mutex_);
    state = state_;
  }
  if (der.empty() || der.size() > 16 * 1024) return Error{Errc::malformed, "certificate_malformed"};
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    ERR_clear_error();
    return Error{Errc::malformed, "certificate_malformed"};
  }
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), state->store.get(), cert.get(), nullptr) != 1) return openssl_error("verification context");
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(now_s));
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_X509_STRICT);
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  if (X509_verify_cert(ctx.get()) != 1) {
    const int err = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    switch (err) {
      case X509_V_ERR_CERT_REVOKED: return refused("certificate_revoked");
      case X509_V_ERR_CERT_HAS_EXPIRED:
      case X509_V_ERR_CERT_NOT_YET_VALID: return refused("certificate_expired");
      case X509_V_ERR_CRL_HAS_EXPIRED:
      case X509_V_ERR_CRL_NOT_YET_VALID:
      case X509_V_ERR_UNABLE_TO_GET_CRL: return refused("crl_stale");
      case X509_V_ERR_INVALID_PURPOSE: return refused("certificate_purpose");
      default: return refused("certificate_untrusted");
    }
  }
  if (!(X509_get_key_usage(cert.get()) & KU_DIGITAL_SIGNATURE)) return refused("certificate_purpose");
  PkeyPtr key(X509_get_pubkey(cert.get()));
  MdCtxPtr md(EVP_MD_CTX_new());
  if (!key || !md || EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1) return openssl_error("signature check");
  const int ok = EVP_DigestVerify(md.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                  reinterpret_cast<const unsigned char*>(signed_data.data()), signed_data.size());
  ERR_clear_error();
  if (ok != 1) return refused("signature_invalid");
  BignumPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
  char* hex = bn ? BN_bn2hex(bn.get()) : nullptr;
  if (!hex) return openssl_error("serial number");
  auto serial = domain::normalize_jpki_serial(hex);
  OPENSSL_free(hex);
  if (!serial) return Error{Errc::malformed, "certificate_malformed"};
  if (ocsp_) {
    if (auto s = check_ocsp(*serial, cert.get(), *state); !s) return s.error();
  }
  JpkiIdentity id;
  id.serial = *serial;
  int days = 0, secs = 0;
  Asn1TimePtr now_t(ASN1_TIME_set(nullptr, static_cast<time_t>(now_s)));
  if (now_t && ASN1_TIME_diff(&days, &secs, now_t.get(), X509_get0_notAfter(cert.get())) == 1) {
    id.not_after_s = now_s + static_cast<std::int64_t>(days) * 86400 + secs;
  }
  return id;
}

}  // namespace madoguchi::hub
