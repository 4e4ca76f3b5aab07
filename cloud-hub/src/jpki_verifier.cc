#include "madoguchi/hub/jpki_verifier.h"

#include <openssl/pem.h>

#include <ctime>
#include <fstream>

#include "madoguchi/domain/konbini.h"
#include "madoguchi/openssl/handles.h"

namespace madoguchi::hub {

using namespace madoguchi::openssl;  // NOLINT(google-build-using-namespace): the RAII handles

struct JpkiVerifier::State {
  X509StorePtr store;
  std::int64_t crl_next_update_s = 0;  // 0: the CRL names none
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

}  // namespace

JpkiVerifier::~JpkiVerifier() = default;

Expected<std::unique_ptr<JpkiVerifier>> JpkiVerifier::open(const std::filesystem::path& ca_file, const std::filesystem::path& crl_file) {
  std::unique_ptr<JpkiVerifier> v(new JpkiVerifier());
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
  return r;
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
