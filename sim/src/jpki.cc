#include "madoguchi/sim/jpki.h"

#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <chrono>
#include <climits>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "madoguchi/openssl/handles.h"
#include "madoguchi/sim/jpki_ocsp.h"

namespace madoguchi::sim::jpki {

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace madoguchi::openssl;  // NOLINT(google-build-using-namespace): the RAII handles

namespace {

std::string hex(const unsigned char* p, std::size_t n) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

std::string sha256_hex(std::string_view s) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), md);
  return hex(md, sizeof md);
}

Expected<std::string> read_text(const fs::path& file, std::size_t max = 1 << 20) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error{Errc::io, "cannot read " + file.string()};
  std::string s((std::istreambuf_iterator<char>(in)), {});
  if (s.size() > max) return Error{Errc::too_large, file.string() + " is too large"};
  return s;
}

Status write_atomic(const fs::path& file, std::string_view bytes, fs::perms mode = fs::perms::owner_read | fs::perms::owner_write) {
  const fs::path tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Error{Errc::io, "cannot write " + tmp.string()};
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) return Error{Errc::io, "cannot write " + tmp.string()};
  }
  std::error_code ec;
  fs::permissions(tmp, mode, ec);
  fs::rename(tmp, file, ec);
  if (ec) return Error{Errc::io, "cannot replace " + file.string() + ": " + ec.message()};
  return {};
}

std::string bio_text(BIO* bio) {
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(bio, &mem);
  return mem ? std::string(mem->data, mem->length) : std::string();
}

Expected<std::string> key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) return openssl_error("writing key");
  return bio_text(bio.get());
}

Expected<std::string> cert_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return openssl_error("writing certificate");
  return bio_text(bio.get());
}

Expected<PkeyPtr> parse_key(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) return openssl_error("reading key");
  return key;
}

Expected<X509Ptr> parse_cert(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) return openssl_error("reading certificate");
  return cert;
}

// The card's key as the card's chip holds it: ready to sign. Decoded once per process and key
// (bounded; the PIN and its tries are still read from the card file at every use): OpenSSL 3.0's
// key decoding costs more than the signature, and the benchmark's kiosks sign thousands of times.
Expected<std::shared_ptr<EVP_PKEY>> card_key(const std::string& pem) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<EVP_PKEY>> known;
  {
    std::lock_guard lock(mutex);
    if (auto it = known.find(pem); it != known.end()) return it->second;
  }
  auto key = parse_key(pem);
  if (!key) return key.error();
  std::shared_ptr<EVP_PKEY> shared(key->release(), EVP_PKEY_free);
  std::lock_guard lock(mutex);
  if (known.size() >= 10'000) known.clear();
  known.emplace(pem, shared);
  return shared;
}

Expected<PkeyPtr> rsa_key() {
  PkeyPtr key(EVP_RSA_gen(2048));
  if (!key) return openssl_error("generating an RSA key");
  return key;
}

Status add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) return openssl_error(std::string("extension ") + OBJ_nid2sn(nid));
  return {};
}

Status set_name(X509_NAME* name, const std::string& cn) {
  if (X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("JP"), -1, -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0) != 1) {
    return openssl_error("setting a name");
  }
  return {};
}

struct Authority {
  PkeyPtr key;
  X509Ptr cert;
};

Expected<Authority> load_authority(const fs::path& dir) {
  auto k = read_text(dir / "ca.key");
  if (!k) return k.error();
  auto c = read_text(dir / "ca.pem");
  if (!c) return c.error();
  auto key = parse_key(*k);
  if (!key) return key.error();
  auto cert = parse_cert(*c);
  if (!cert) return cert.error();
  return Authority{std::move(*key), std::move(*cert)};
}

// revoked.tsv: "<serial>\t<unix seconds>" per line.
std::map<std::string, std::int64_t> read_revoked(const fs::path& dir) {
  std::map<std::string, std::int64_t> out;
  std::ifstream in(dir / "revoked.tsv");
  std::string serial;
  std::int64_t at = 0;
  while (in >> serial >> at) out[serial] = at;
  return out;
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool valid_pin(std::string_view pin) {
  return pin.size() == 4 && std::all_of(pin.begin(), pin.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string card_serial(std::string_view resident_code, int generation) {
  const std::string seed = "madoguchi-sim-jpki|" + std::string(resident_code) + "|" + std::to_string(generation);
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(seed.data()), seed.size(), md);
  md[0] = static_cast<unsigned char>((md[0] & 0x7F) | 0x10);  // positive, 16 hex digits, no leading zero
  return hex(md, 8);
}

Status init_authority(const fs::path& dir, const AuthorityOptions& o) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Error{Errc::io, "creating " + dir.string() + ": " + ec.message()};
  if (fs::exists(dir / "ca.key") && !o.force) return Error{Errc::already_exists, (dir / "ca.key").string() + " exists"};
  auto key = rsa_key();
  if (!key) return key.error();
  X509Ptr cert(X509_new());
  BignumPtr bn(BN_new());
  if (!cert || !bn || X509_set_version(cert.get(), X509_VERSION_3) != 1 || BN_rand(bn.get(), 64, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1 ||
      !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) ||
      !X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) ||
      !X509_time_adj_ex(X509_getm_notAfter(cert.get()), o.days, 0, nullptr)) {
    return openssl_error("making the CA certificate");
  }
  if (auto s = set_name(X509_get_subject_name(cert.get()), o.name); !s) return s;
  if (auto s = set_name(X509_get_issuer_name(cert.get()), o.name); !s) return s;
  if (X509_set_pubkey(cert.get(), key->get()) != 1) return openssl_error("CA public key");
  for (auto [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"}, {NID_key_usage, "critical,keyCertSign,cRLSign"},
                            {NID_subject_key_identifier, "hash"}}) {
    if (auto s = add_ext(cert.get(), cert.get(), nid, value); !s) return s;
  }
  if (X509_sign(cert.get(), key->get(), EVP_sha256()) <= 0) return openssl_error("signing the CA certificate");
  auto kp = key_pem(key->get());
  if (!kp) return kp.error();
  auto cp = cert_pem(cert.get());
  if (!cp) return cp.error();
  if (auto s = write_atomic(dir / "ca.key", *kp); !s) return s;
  if (auto s = write_atomic(dir / "ca.pem", *cp, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read); !s) return s;
  if (auto s = write_atomic(dir / "revoked.tsv", ""); !s) return s;
  return write_crl(dir);
}

Expected<Card> issue_card(const fs::path& dir, const CardOptions& o) {
  if (o.resident_code.size() != 11 || !std::all_of(o.resident_code.begin(), o.resident_code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Error{Errc::invalid_argument, "resident code: 11 digits"};
  }
  if (!valid_pin(o.pin)) return Error{Errc::invalid_argument, "PIN: 4 digits"};
  auto ca = load_authority(dir);
  if (!ca) return ca.error();
  auto key = rsa_key();
  if (!key) return key.error();
  Card card;
  card.serial = card_serial(o.resident_code, o.generation);
  X509Ptr cert(X509_new());
  BIGNUM* raw = nullptr;
  if (!cert || BN_hex2bn(&raw, card.serial.c_str()) == 0) return openssl_error("serial");
  BignumPtr bn(raw);
  const long from = static_cast<long>(o.not_before_days) * 86400;
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) ||
      !X509_gmtime_adj(X509_getm_notBefore(cert.get()), o.days < 0 ? static_cast<long>(o.days - 400) * 86400 : from - 60) ||
      !X509_time_adj_ex(X509_getm_notAfter(cert.get()), o.days, 0, nullptr)) {
    return openssl_error("making the card certificate");
  }
  // A user-authentication certificate names nobody: the subject is the serial alone.
  if (auto s = set_name(X509_get_subject_name(cert.get()), "JPKI User " + card.serial); !s) return s.error();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(ca->cert.get())) != 1 || X509_set_pubkey(cert.get(), key->get()) != 1) {
    return openssl_error("card certificate names");
  }
  for (auto [nid, value] : {std::pair{NID_basic_constraints, std::string("critical,CA:FALSE")},
                            {NID_key_usage, std::string("critical,digitalSignature")},
                            {NID_ext_key_usage, std::string("clientAuth")},
                            {NID_authority_key_identifier, std::string("keyid:always")}}) {
    if (auto s = add_ext(cert.get(), ca->cert.get(), nid, value); !s) return s.error();
  }
  if (!o.ocsp_url.empty()) {
    if (auto s = add_ext(cert.get(), ca->cert.get(), NID_info_access, "OCSP;URI:" + o.ocsp_url); !s) return s.error();
  }
  if (X509_sign(cert.get(), ca->key.get(), EVP_sha256()) <= 0) return openssl_error("signing the card certificate");
  auto kp = key_pem(key->get());
  if (!kp) return kp.error();
  auto cp = cert_pem(cert.get());
  if (!cp) return cp.error();
  card.key_pem = *kp;
  card.certificate_pem = *cp;
  card.pin_sha256 = sha256_hex(o.pin);
  return card;
}

Status save_card(const fs::path& file, const Card& card) {
  json j = {{"v", 1}, {"serial", card.serial}, {"key", card.key_pem}, {"certificate", card.certificate_pem},
            {"pin_sha256", card.pin_sha256}, {"tries_left", card.tries_left}};
  return write_atomic(file, j.dump(1) + "\n");
}

Expected<Card> load_card(const fs::path& file) {
  auto text = read_text(file, 64 * 1024);
  if (!text) return text.error();
  json j = json::parse(*text, nullptr, false);
  if (!j.is_object() || j.value("v", 0) != 1) return Error{Errc::malformed, file.string() + ": not a card file"};
  Card c;
  try {
    c.serial = j.at("serial").get<std::string>();
    c.key_pem = j.at("key").get<std::string>();
    c.certificate_pem = j.at("certificate").get<std::string>();
    c.pin_sha256 = j.at("pin_sha256").get<std::string>();
    c.tries_left = j.at("tries_left").get<int>();
  } catch (const json::exception&) {
    return Error{Errc::malformed, file.string() + ": not a card file"};
  }
  return c;
}

Status revoke(const fs::path& dir, std::string_view serial, bool publish_crl) {
  auto revoked = read_revoked(dir);
  if (!revoked.count(std::string(serial))) {
    revoked[std::string(serial)] = now_seconds();
    std::string out;
    for (const auto& [s, at] : revoked) out += s + "\t" + std::to_string(at) + "\n";
    if (auto s = write_atomic(dir / "revoked.tsv", out); !s) return s;
  }
  return publish_crl ? write_crl(dir) : Status{};
}

Status write_crl(const fs::path& dir, int hours) {
  auto ca = load_authority(dir);
  if (!ca) return ca.error();
  X509CrlPtr crl(X509_CRL_new());
  Asn1TimePtr last(ASN1_TIME_new()), next(ASN1_TIME_new());
  if (!crl || !last || !next || X509_CRL_set_version(crl.get(), 1) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca->cert.get())) != 1 ||
      !X509_gmtime_adj(last.get(), -60) || !X509_gmtime_adj(next.get(), static_cast<long>(hours) * 3600) ||
      X509_CRL_set1_lastUpdate(crl.get(), last.get()) != 1 || X509_CRL_set1_nextUpdate(crl.get(), next.get()) != 1) {
    return openssl_error("making the CRL");
  }
  for (const auto& [serial, at] : read_revoked(dir)) {
    X509RevokedPtr r(X509_REVOKED_new());
    BIGNUM* raw = nullptr;
    if (!r || BN_hex2bn(&raw, serial.c_str()) == 0) return openssl_error("revoked serial");
    BignumPtr bn(raw);
    Asn1IntegerPtr n(BN_to_ASN1_INTEGER(bn.get(), nullptr));
    Asn1TimePtr when(ASN1_TIME_set(nullptr, static_cast<time_t>(at)));
    if (!n || !when || X509_REVOKED_set_serialNumber(r.get(), n.get()) != 1 || X509_REVOKED_set_revocationDate(r.get(), when.get()) != 1 ||
        X509_CRL_add0_revoked(crl.get(), r.get()) != 1) {
      return openssl_error("adding a revoked serial");
    }
    (void)r.release();  // owned by the CRL now
  }
  X509_CRL_sort(crl.get());
  if (X509_CRL_sign(crl.get(), ca->key.get(), EVP_sha256()) <= 0) return openssl_error("signing the CRL");
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_CRL(bio.get(), crl.get()) != 1) return openssl_error("writing the CRL");
  return write_atomic(dir / "crl.pem", bio_text(bio.get()),
                      fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
}

namespace {

Expected<std::string> ocsp_der(OCSP_RESPONSE* response) {
  unsigned char* der = nullptr;
  const int n = response ? i2d_OCSP_RESPONSE(response, &der) : -1;
  if (n <= 0) return openssl_error("encoding the OCSP response");
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

Expected<std::string> ocsp_refusal(int status) {
  ERR_clear_error();
  OcspResponsePtr r(OCSP_response_create(status, nullptr));
  return ocsp_der(r.get());
}

}  // namespace

Expected<std::string> ocsp_respond(const fs::path& dir, std::string_view request_der, int valid_minutes) {
  const auto* p = reinterpret_cast<const unsigned char*>(request_der.data());
  OcspRequestPtr req(request_der.size() <= 64 * 1024 ? d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(request_der.size())) : nullptr);
  if (!req || p != reinterpret_cast<const unsigned char*>(request_der.data()) + request_der.size()) {
    return ocsp_refusal(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  }
  const int count = OCSP_request_onereq_count(req.get());
  if (count < 1 || count > 16) return ocsp_refusal(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  auto ca = load_authority(dir);
  if (!ca) return ca.error();
  const auto revoked = read_revoked(dir);
  OcspBasicPtr basic(OCSP_BASICRESP_new());
  Asn1TimePtr this_update(X509_gmtime_adj(nullptr, -60)), next_update(X509_gmtime_adj(nullptr, static_cast<long>(valid_minutes) * 60));
  if (!basic || !this_update || !next_update) return openssl_error("making the OCSP response");
  for (int i = 0; i < count; ++i) {
    OCSP_CERTID* id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req.get(), i));
    ASN1_OBJECT* md_oid = nullptr;
    ASN1_INTEGER* serial = nullptr;
    if (!id || OCSP_id_get0_info(nullptr, &md_oid, nullptr, &serial, id) != 1 || !serial) return ocsp_refusal(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
    const EVP_MD* md = EVP_get_digestbyobj(md_oid);
    if (!md) return ocsp_refusal(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
    // Ours when the issuer's name and key hash as the request computed them match the authority's.
    OcspCertIdPtr mine(OCSP_cert_id_new(md, X509_get_subject_name(ca->cert.get()), X509_get0_pubkey_bitstr(ca->cert.get()), serial));
    if (!mine) return openssl_error("OCSP certificate id");
    int status = V_OCSP_CERTSTATUS_UNKNOWN;
    std::int64_t revoked_at = 0;
    if (OCSP_id_issuer_cmp(mine.get(), id) == 0) {
      BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
      char* hex_serial = bn ? BN_bn2hex(bn.get()) : nullptr;
      if (!hex_serial) return openssl_error("OCSP serial");
      const auto it = revoked.find(hex_serial);
      OPENSSL_free(hex_serial);
      status = V_OCSP_CERTSTATUS_GOOD;
      if (it != revoked.end()) {
        status = V_OCSP_CERTSTATUS_REVOKED;
        revoked_at = it->second;
      }
    }
    Asn1TimePtr when(status == V_OCSP_CERTSTATUS_REVOKED ? ASN1_TIME_set(nullptr, static_cast<time_t>(revoked_at)) : nullptr);
    if (!OCSP_basic_add1_status(basic.get(), id, status, status == V_OCSP_CERTSTATUS_REVOKED ? OCSP_REVOKED_STATUS_UNSPECIFIED : 0,
                                when.get(), this_update.get(), next_update.get())) {
      return openssl_error("OCSP status");
    }
  }
  if (OCSP_copy_nonce(basic.get(), req.get()) <= 0) return openssl_error("OCSP nonce");
  if (OCSP_basic_sign(basic.get(), ca->cert.get(), ca->key.get(), EVP_sha256(), nullptr, 0) != 1) return openssl_error("signing the OCSP response");
  OcspResponsePtr response(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
  return ocsp_der(response.get());
}

Expected<std::string> sign_with_card(const fs::path& file, std::string_view pin, std::string_view data) {
  auto card = load_card(file);
  if (!card) return card.error();
  if (card->tries_left <= 0) return Error{Errc::forbidden, "locked: the card's PIN is locked (3 wrong tries); reset at the counter"};
  if (!valid_pin(pin) || sha256_hex(pin) != card->pin_sha256) {
    --card->tries_left;
    if (auto s = save_card(file, *card); !s) return s.error();
    if (card->tries_left == 0) return Error{Errc::forbidden, "locked: wrong PIN; the card is now locked"};
    return Error{Errc::forbidden, "wrong PIN: " + std::to_string(card->tries_left) + " tries left"};
  }
  if (card->tries_left != 3) {
    card->tries_left = 3;
    if (auto s = save_card(file, *card); !s) return s.error();
  }
  auto key = card_key(card->key_pem);
  if (!key) return key.error();
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t n = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key->get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return openssl_error("signing with the card");
  }
  std::string sig(n, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &n, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) != 1) {
    return openssl_error("signing with the card");
  }
  sig.resize(n);
  return sig;
}

Expected<std::string> card_certificate_der(const Card& card) {
  // The card hands out the same bytes every time: decoded once per process (bounded).
  static std::mutex mutex;
  static std::map<std::string, std::string> known;
  {
    std::lock_guard lock(mutex);
    if (auto it = known.find(card.certificate_pem); it != known.end()) return it->second;
  }
  auto cert = parse_cert(card.certificate_pem);
  if (!cert) return cert.error();
  unsigned char* der = nullptr;
  const int n = i2d_X509(cert->get(), &der);
  if (n <= 0) return openssl_error("encoding the certificate");
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  std::lock_guard lock(mutex);
  if (known.size() >= 10'000) known.clear();
  known.emplace(card.certificate_pem, out);
  return out;
}

}  // namespace madoguchi::sim::jpki
