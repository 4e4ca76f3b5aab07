#include "madoguchi/provisioning/pki.h"

#include <openssl/pem.h>
#include <openssl/pkcs12.h>

#include <climits>
#include <cstddef>

#include "files.h"
#include "madoguchi/openssl/handles.h"

namespace madoguchi::provisioning {
namespace {

using namespace detail;            // NOLINT(google-build-using-namespace): internal helpers of this module
using namespace madoguchi::openssl;  // NOLINT(google-build-using-namespace): the RAII handles

constexpr mode_t kKeyMode = 0600;
constexpr mode_t kCertMode = 0644;
// A PEM certificate or EC key is a few kB; anything bigger is not ours.
constexpr std::size_t kMaxPemBytes = 1024 * 1024;
// notBefore lies this far in the past: an edge device whose clock runs a little behind must not
// reject a certificate issued a minute ago. The cost is an hour of extra validity.
constexpr long kBackdateSeconds = 60 * 60;
constexpr int kSerialBits = 128;

bool is_alnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Hostname syntax for SAN entries: labels of [A-Za-z0-9-] separated by single dots, optionally
// "*." in front. Deliberately strict: this ends up in a certificate that is hard to replace.
bool valid_dns_name(std::string_view name) noexcept {
  if (name.starts_with("*.")) name.remove_prefix(2);
  if (name.empty() || name.size() > 253) return false;
  std::size_t label = 0;
  char prev = '.';
  for (char c : name) {
    if (c == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else if (is_alnum(c) || c == '-') {
      if (c == '-' && label == 0) return false;
      if (++label > 63) return false;
    } else {
      return false;
    }
    prev = c;
  }
  return label > 0 && prev != '-';
}

Status check_days(int days) {
  if (days < kMinDays || days > kMaxDays) {
    return make_error(Errc::invalid_argument, "days must be between " + std::to_string(kMinDays) +
                                                  " and " + std::to_string(kMaxDays) + ", got " +
                                                  std::to_string(days));
  }
  return {};
}

Expected<PkeyPtr> generate_key() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return openssl_error("generating EC P-256 key");
  return key;
}

// Copies a memory BIO's contents out.
std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  long n = BIO_ctrl(bio, BIO_CTRL_INFO, 0, &data);  // BIO_get_mem_data without the C cast
  if (n <= 0 || data == nullptr) return {};
  return std::string(data, static_cast<std::size_t>(n));
}

Expected<std::string> key_to_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return openssl_error("allocating BIO");
  if (PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return openssl_error("encoding private key as PEM");
  }
  return bio_contents(bio.get());
}

Expected<std::string> cert_to_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return openssl_error("allocating BIO");
  if (PEM_write_bio_X509(bio.get(), cert) != 1) return openssl_error("encoding certificate as PEM");
  return bio_contents(bio.get());
}

Expected<BioPtr> read_pem_file(const std::filesystem::path& file) {
  auto text = read_file(file, kMaxPemBytes);
  if (!text) return text.error();
  // BIO_new_mem_buf keeps a pointer, so copy into a BIO that owns its buffer.
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return openssl_error("allocating BIO");
  if (BIO_write(bio.get(), text->data(), static_cast<int>(text->size())) != static_cast<int>(text->size())) {
    return openssl_error("buffering " + file.string());
  }
  return bio;
}

Expected<PkeyPtr> read_key(const std::filesystem::path& file) {
  auto bio = read_pem_file(file);
  if (!bio) return bio.error();
  PkeyPtr key(PEM_read_bio_PrivateKey(bio->get(), nullptr, nullptr, nullptr));
  if (!key) return openssl_error("reading private key " + file.string());
  return key;
}

Expected<X509Ptr> read_cert(const std::filesystem::path& file) {
  auto bio = read_pem_file(file);
  if (!bio) return bio.error();
  X509Ptr cert(PEM_read_bio_X509(bio->get(), nullptr, nullptr, nullptr));
  if (!cert) return openssl_error("reading certificate " + file.string());
  return cert;
}

Status set_random_serial(X509* cert) {
  BignumPtr bn(BN_new());
  if (!bn) return openssl_error("allocating serial");
  // A zero serial is invalid (RFC 5280 4.1.2.2); at 2^-128 it will not happen, but the loop
  // costs nothing.
  do {
    if (BN_rand(bn.get(), kSerialBits, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1) {
      return openssl_error("generating serial number");
    }
  } while (BN_is_zero(bn.get()));
  if (BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
    return openssl_error("setting serial number");
  }
  return {};
}

// A new unsigned certificate: version 3, random serial, validity, subject CN, public key.
Expected<X509Ptr> new_certificate(std::string_view common_name, EVP_PKEY* key, int days) {
  X509Ptr cert(X509_new());
  if (!cert) return openssl_error("allocating certificate");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1) return openssl_error("setting version");
  if (auto st = set_random_serial(cert.get()); !st) return st.error();
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kBackdateSeconds) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), days, 0, nullptr) == nullptr) {
    return openssl_error("setting validity");
  }
  X509NamePtr name(X509_NAME_new());
  if (!name) return openssl_error("allocating name");
  if (common_name.size() > INT_MAX ||
      X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.data()),
                                 static_cast<int>(common_name.size()), -1, 0) != 1) {
    // Almost always the input: not UTF-8, or longer than the 64 characters X.520 allows.
    Error e = openssl_error("common name '" + std::string(common_name) + "' is not usable");
    return make_error(Errc::invalid_argument, e.message);
  }
  if (X509_set_subject_name(cert.get(), name.get()) != 1) return openssl_error("setting subject");
  if (X509_set_pubkey(cert.get(), key) != 1) return openssl_error("setting public key");
  return cert;
}

Status add_extension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  if (!ext) return openssl_error(std::string("building extension ") + OBJ_nid2sn(nid) + "=" + value);
  if (X509_add_ext(cert, ext.get(), -1) != 1) {
    return openssl_error(std::string("adding extension ") + OBJ_nid2sn(nid));
  }
  return {};
}

// subjectAltName built from typed GENERAL_NAMEs rather than a "DNS:a,IP:b" config string, so no
// input can smuggle extra entries in through a comma.
Status add_subject_alt_names(X509* cert, const std::vector<std::string>& dns_names,
                             const std::vector<std::string>& ip_addresses) {
  GeneralNamesPtr names(GENERAL_NAMES_new());
  if (!names) return openssl_error("allocating subjectAltName");
  auto push = [&](int type, ASN1_STRING* value) -> Status {
    GeneralNamePtr gen(GENERAL_NAME_new());
    if (!gen) {
      ASN1_STRING_free(value);
      return openssl_error("allocating subjectAltName entry");
    }
    GENERAL_NAME_set0_value(gen.get(), type, value);  // gen owns value from here on
    if (sk_GENERAL_NAME_push(names.get(), gen.get()) <= 0) return openssl_error("adding subjectAltName entry");
    gen.release();  // names owns gen now
    return {};
  };
  for (const auto& dns : dns_names) {
    if (!valid_dns_name(dns)) {
      return make_error(Errc::invalid_argument, "'" + dns + "' is not a valid DNS name");
    }
    Asn1StringPtr ia5(ASN1_IA5STRING_new());
    if (!ia5 || ASN1_STRING_set(ia5.get(), dns.data(), static_cast<int>(dns.size())) != 1) {
      return openssl_error("encoding DNS name");
    }
    if (auto st = push(GEN_DNS, ia5.release()); !st) return st;
  }
  for (const auto& ip : ip_addresses) {
    Asn1StringPtr octets(a2i_IPADDRESS(ip.c_str()));
    if (!octets) {
      ERR_clear_error();
      return make_error(Errc::invalid_argument, "'" + ip + "' is not an IPv4 or IPv6 address");
    }
    if (auto st = push(GEN_IPADD, octets.release()); !st) return st;
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return openssl_error("adding subjectAltName");
  }
  return {};
}

Status sign(X509* cert, EVP_PKEY* key) {
  if (X509_sign(cert, key, EVP_sha256()) <= 0) return openssl_error("signing certificate");
  return {};
}

// Certificate first, key last: the key's presence marks a complete pair (see pki.h).
Status write_pair(const std::filesystem::path& crt_file, X509* cert,
                  const std::filesystem::path& key_file, EVP_PKEY* key) {
  auto cert_pem = cert_to_pem(cert);
  if (!cert_pem) return cert_pem.error();
  auto key_pem = key_to_pem(key);
  if (!key_pem) return key_pem.error();
  if (auto st = write_file_atomic(crt_file, *cert_pem, kCertMode); !st) return st;
  return write_file_atomic(key_file, *key_pem, kKeyMode);
}

}  // namespace

bool valid_common_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!is_alnum(c) && c != '.' && c != '-') return false;
  }
  return true;
}

Status create_ca(const std::filesystem::path& dir, const CaOptions& options) {
  ERR_clear_error();
  if (options.common_name.empty()) {
    return make_error(Errc::invalid_argument, "CA common name must not be empty");
  }
  if (auto st = check_days(options.days); !st) return st;
  const auto key_file = dir / kCaKeyFile;
  if (!options.force && path_exists(key_file)) {
    return make_error(Errc::already_exists,
                      key_file.string() + " exists; refusing to replace the CA without force");
  }

  auto key = generate_key();
  if (!key) return key.error();
  auto cert = new_certificate(options.common_name, key->get(), options.days);
  if (!cert) return cert.error();
  X509* x = cert->get();
  if (X509_set_issuer_name(x, X509_get_subject_name(x)) != 1) return openssl_error("setting issuer");

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  if (X509V3_set_issuer_pkey(&ctx, key->get()) != 1) return openssl_error("setting issuer key");
  // subjectKeyIdentifier must exist before authorityKeyIdentifier copies it.
  if (auto st = add_extension(x, &ctx, NID_basic_constraints, "critical,CA:TRUE"); !st) return st;
  if (auto st = add_extension(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign"); !st) return st;
  if (auto st = add_extension(x, &ctx, NID_subject_key_identifier, "hash"); !st) return st;
  if (auto st = add_extension(x, &ctx, NID_authority_key_identifier, "keyid:always"); !st) return st;
  if (auto st = sign(x, key->get()); !st) return st;

  return write_pair(dir / kCaCertFile, x, key_file, key->get());
}

Status issue_certificate(const std::filesystem::path& dir, const IssueOptions& options) {
  ERR_clear_error();
  if (!valid_common_name(options.common_name)) {
    return make_error(Errc::invalid_argument, "common name '" + options.common_name +
                                                  "' must be 1-64 characters of A-Z, a-z, 0-9, '.' and '-'");
  }
  const std::string& stem = options.file_stem.empty() ? options.common_name : options.file_stem;
  if (!valid_common_name(stem)) {
    return make_error(Errc::invalid_argument,
                      "file stem '" + stem + "' must be 1-64 characters of A-Z, a-z, 0-9, '.' and '-'");
  }
  if (stem == "ca") {
    return make_error(Errc::invalid_argument, "file stem 'ca' is reserved for the CA's own files");
  }
  if (auto st = check_days(options.days); !st) return st;
  if (options.role == Role::server && options.dns_names.empty() && options.ip_addresses.empty()) {
    // TLS clients match the host name against the SAN only; a server certificate without one
    // cannot be verified by anybody.
    return make_error(Errc::invalid_argument, "a server certificate needs at least one DNS name or IP address");
  }
  const auto key_file = dir / (stem + ".key");
  const auto crt_file = dir / (stem + ".crt");
  if (!options.force && path_exists(key_file)) {
    return make_error(Errc::already_exists,
                      key_file.string() + " exists; refusing to re-key without force");
  }

  auto ca_key = read_key(dir / kCaKeyFile);
  if (!ca_key) return ca_key.error();
  auto ca_cert = read_cert(dir / kCaCertFile);
  if (!ca_cert) return ca_cert.error();
  if (X509_check_private_key(ca_cert->get(), ca_key->get()) != 1) {
    return openssl_error((dir / kCaKeyFile).string() + " does not belong to " + (dir / kCaCertFile).string());
  }

  auto key = generate_key();
  if (!key) return key.error();
  auto cert = new_certificate(options.common_name, key->get(), options.days);
  if (!cert) return cert.error();
  X509* x = cert->get();
  if (X509_set_issuer_name(x, X509_get_subject_name(ca_cert->get())) != 1) {
    return openssl_error("setting issuer");
  }

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca_cert->get(), x, nullptr, nullptr, 0);
  const char* eku = options.role == Role::server ? "serverAuth" : "clientAuth";
  if (auto st = add_extension(x, &ctx, NID_basic_constraints, "critical,CA:FALSE"); !st) return st;
  if (auto st = add_extension(x, &ctx, NID_key_usage, "critical,digitalSignature"); !st) return st;
  if (auto st = add_extension(x, &ctx, NID_ext_key_usage, eku); !st) return st;
  if (auto st = add_extension(x, &ctx, NID_subject_key_identifier, "hash"); !st) return st;
  if (auto st = add_extension(x, &ctx, NID_authority_key_identifier, "keyid:always"); !st) return st;
  if (options.role == Role::server) {
    if (auto st = add_subject_alt_names(x, options.dns_names, options.ip_addresses); !st) return st;
  }
  if (auto st = sign(x, ca_key->get()); !st) return st;

  return write_pair(crt_file, x, key_file, key->get());
}

Expected<std::string> certificate_common_name(const std::filesystem::path& crt) {
  ERR_clear_error();
  auto cert = read_cert(crt);
  if (!cert) return cert.error();
  const X509_NAME* subject = X509_get_subject_name(cert->get());
  int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return make_error(Errc::not_found, crt.string() + " has no common name");
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, data);
  if (n < 0) return openssl_error("decoding common name of " + crt.string());
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

Status verify_certificate(const std::filesystem::path& ca_crt, const std::filesystem::path& crt) {
  ERR_clear_error();
  auto ca = read_cert(ca_crt);
  if (!ca) return ca.error();
  auto cert = read_cert(crt);
  if (!cert) return cert.error();
  X509StorePtr store(X509_STORE_new());
  if (!store || X509_STORE_add_cert(store.get(), ca->get()) != 1) return openssl_error("building trust store");
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), cert->get(), nullptr) != 1) {
    return openssl_error("initialising verification");
  }
  if (X509_verify_cert(ctx.get()) != 1) {
    int err = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    return make_error(Errc::crypto, crt.string() + " does not verify against " + ca_crt.string() +
                                        ": " + X509_verify_cert_error_string(err));
  }
  return {};
}

namespace {
void free_certificates(STACK_OF(X509) * s) { sk_X509_pop_free(s, X509_free); }
}  // namespace

Status export_pkcs12(const std::filesystem::path& dir, std::string_view stem, const std::filesystem::path& out,
                     std::string_view password) {
  if (!valid_common_name(stem)) return make_error(Errc::invalid_argument, "stem: must be 1-64 of A-Z a-z 0-9 . -");
  if (password.empty()) return make_error(Errc::invalid_argument, "password: must not be empty");
  const std::string name(stem);
  auto cert = read_cert(dir / (name + ".crt"));
  if (!cert) return cert.error();
  auto key = read_key(dir / (name + ".key"));
  if (!key) return key.error();
  auto ca = read_cert(dir / kCaCertFile);
  if (!ca) return ca.error();
  if (X509_check_private_key(cert->get(), key->get()) != 1) {
    return openssl_error(name + ".key does not belong to " + name + ".crt");
  }
  OpenSslPtr<STACK_OF(X509), &free_certificates> chain(sk_X509_new_null());
  if (!chain || sk_X509_push(chain.get(), ca->get()) <= 0) return openssl_error("building the certificate chain");
  (void)ca->release();  // owned by the chain now
  const std::string pass(password);
  OpenSslPtr<PKCS12, &PKCS12_free> p12(
      PKCS12_create(pass.c_str(), name.c_str(), key->get(), cert->get(), chain.get(), 0, 0, 0, 0, 0));
  if (!p12) return openssl_error("creating the PKCS#12 file");
  BioPtr mem(BIO_new(BIO_s_mem()));
  if (!mem || i2d_PKCS12_bio(mem.get(), p12.get()) != 1) return openssl_error("encoding the PKCS#12 file");
  return write_file_atomic(out, bio_contents(mem.get()), kKeyMode);
}

}  // namespace madoguchi::provisioning
