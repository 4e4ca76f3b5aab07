#include "test_certs.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace madoguchi::http::testing {
namespace {

struct KeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct CtxFree { void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); } };
struct CertFree { void operator()(X509* p) const { X509_free(p); } };
struct ExtFree { void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); } };
struct BioFree { void operator()(BIO* p) const { BIO_free(p); } };
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

Error openssl_error(const std::string& what) {
  std::string reason = "unknown error";
  if (const unsigned long code = ERR_get_error(); code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    reason = buf;
  }
  ERR_clear_error();
  return make_error(Errc::crypto, what + ": " + reason);
}

Expected<Key> make_p256_key() {
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256") != 1) {
    return openssl_error("preparing P-256 key generation");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_generate(ctx.get(), &raw) != 1) return openssl_error("generating P-256 key");
  return Key(raw);
}

struct Issuer {
  X509* cert;      // nullptr: self-signed
  EVP_PKEY* key;
};

// Signs a certificate for `key` with `cn` and the given extensions (NID → OpenSSL config value).
Expected<Cert> make_cert(EVP_PKEY* key, const std::string& cn, long serial, Issuer issuer,
                         const std::vector<std::pair<int, const char*>>& extensions) {
  Cert cert(X509_new());
  if (!cert) return openssl_error("X509_new");
  X509* x = cert.get();
  X509_NAME* name = X509_get_subject_name(x);
  if (X509_set_version(x, X509_VERSION_3) != 1 ||
      ASN1_INTEGER_set(X509_get_serialNumber(x), serial) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(x), -3600) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600) == nullptr ||
      X509_set_pubkey(x, key) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                 0) != 1 ||
      X509_set_issuer_name(x, issuer.cert ? X509_get_subject_name(issuer.cert) : name) != 1) {
    return openssl_error("filling certificate " + cn);
  }
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer.cert ? issuer.cert : x, x, nullptr, nullptr, 0);
  for (const auto& [nid, value] : extensions) {
    std::unique_ptr<X509_EXTENSION, ExtFree> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    if (!ext || X509_add_ext(x, ext.get(), -1) != 1) {
      return openssl_error("adding extension " + std::string(value) + " to " + cn);
    }
  }
  if (X509_sign(x, issuer.key, EVP_sha256()) <= 0) return openssl_error("signing " + cn);
  return cert;
}

Status write_cert(const std::filesystem::path& path, X509* cert) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_file(path.c_str(), "w"));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return openssl_error("writing " + path.string());
  }
  return {};
}

Status write_key(const std::filesystem::path& path, EVP_PKEY* key) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_file(path.c_str(), "w"));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return openssl_error("writing " + path.string());
  }
  return {};
}

// A CA: its key and self-signed certificate.
struct Ca {
  Key ca_key;
  Cert ca_cert;
};

Expected<Ca> make_ca(const std::string& cn, long serial) {
  auto key = make_p256_key();
  if (!key) return key.error();
  auto cert = make_cert(key->get(), cn, serial, Issuer{nullptr, key->get()},
                        {{NID_basic_constraints, "critical,CA:TRUE"},
                         {NID_key_usage, "critical,keyCertSign,cRLSign"},
                         {NID_subject_key_identifier, "hash"}});
  if (!cert) return cert.error();
  return Ca{std::move(key).value(), std::move(cert).value()};
}

Status make_leaf(const Ca& ca, const std::string& cn, long serial, const char* eku,
                 const char* san, const std::filesystem::path& cert_path,
                 const std::filesystem::path& key_path) {
  auto key = make_p256_key();
  if (!key) return key.error();
  std::vector<std::pair<int, const char*>> extensions = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, "critical,digitalSignature"},
      {NID_ext_key_usage, eku},
  };
  if (san != nullptr) extensions.emplace_back(NID_subject_alt_name, san);
  auto cert = make_cert(key->get(), cn, serial, Issuer{ca.ca_cert.get(), ca.ca_key.get()},
                        extensions);
  if (!cert) return cert.error();
  if (Status st = write_cert(cert_path, cert->get()); !st) return st;
  return write_key(key_path, key->get());
}

}  // namespace

Expected<TestPki> make_test_pki(const std::filesystem::path& dir) {
  TestPki pki;
  pki.ca_cert = (dir / "ca.pem").string();
  pki.server_cert = (dir / "server.pem").string();
  pki.server_key = (dir / "server-key.pem").string();
  pki.client_cert = (dir / "client.pem").string();
  pki.client_key = (dir / "client-key.pem").string();
  pki.rogue_cert = (dir / "rogue.pem").string();
  pki.rogue_key = (dir / "rogue-key.pem").string();

  auto ca = make_ca("madoguchi test CA", 1);
  if (!ca) return ca.error();
  if (Status st = write_cert(pki.ca_cert, ca->ca_cert.get()); !st) return st.error();
  if (Status st = make_leaf(*ca, "localhost", 2, "serverAuth", "DNS:localhost,IP:127.0.0.1",
                            pki.server_cert, pki.server_key);
      !st) {
    return st.error();
  }
  if (Status st = make_leaf(*ca, "counter-pc-01", 3, "clientAuth", nullptr, pki.client_cert,
                            pki.client_key);
      !st) {
    return st.error();
  }
  auto rogue_ca = make_ca("rogue CA", 1);
  if (!rogue_ca) return rogue_ca.error();
  if (Status st = make_leaf(*rogue_ca, "counter-pc-01", 2, "clientAuth", nullptr, pki.rogue_cert,
                            pki.rogue_key);
      !st) {
    return st.error();
  }
  return pki;
}

}  // namespace madoguchi::http::testing
