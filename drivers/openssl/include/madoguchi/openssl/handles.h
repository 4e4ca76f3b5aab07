// RAII ownership of OpenSSL objects and the translation of OpenSSL's error queue into our Error.
// For implementation files only (provisioning, the JPKI simulator, the hub's JPKI verifier):
// nothing OpenSSL leaks into the public headers of the components that use it.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/ocsp.h>

#include <memory>
#include <string>
#include <string_view>

#include "madoguchi/error.h"

namespace madoguchi::openssl {

template <auto FreeFn>
struct OpenSslDeleter {
  template <class T>
  void operator()(T* p) const noexcept {
    FreeFn(p);
  }
};

template <class T, auto FreeFn>
using OpenSslPtr = std::unique_ptr<T, OpenSslDeleter<FreeFn>>;

using BioPtr = OpenSslPtr<BIO, &BIO_free_all>;
using BignumPtr = OpenSslPtr<BIGNUM, &BN_free>;
using PkeyPtr = OpenSslPtr<EVP_PKEY, &EVP_PKEY_free>;
using X509Ptr = OpenSslPtr<X509, &X509_free>;
using X509NamePtr = OpenSslPtr<X509_NAME, &X509_NAME_free>;
using X509ExtensionPtr = OpenSslPtr<X509_EXTENSION, &X509_EXTENSION_free>;
using X509StorePtr = OpenSslPtr<X509_STORE, &X509_STORE_free>;
using X509StoreCtxPtr = OpenSslPtr<X509_STORE_CTX, &X509_STORE_CTX_free>;
using GeneralNamesPtr = OpenSslPtr<GENERAL_NAMES, &GENERAL_NAMES_free>;
using GeneralNamePtr = OpenSslPtr<GENERAL_NAME, &GENERAL_NAME_free>;
using Asn1StringPtr = OpenSslPtr<ASN1_STRING, &ASN1_STRING_free>;
using Asn1IntegerPtr = OpenSslPtr<ASN1_INTEGER, &ASN1_INTEGER_free>;
using Asn1TimePtr = OpenSslPtr<ASN1_TIME, &ASN1_TIME_free>;
using X509CrlPtr = OpenSslPtr<X509_CRL, &X509_CRL_free>;
using X509RevokedPtr = OpenSslPtr<X509_REVOKED, &X509_REVOKED_free>;
using MdCtxPtr = OpenSslPtr<EVP_MD_CTX, &EVP_MD_CTX_free>;
using OcspRequestPtr = OpenSslPtr<OCSP_REQUEST, &OCSP_REQUEST_free>;
using OcspResponsePtr = OpenSslPtr<OCSP_RESPONSE, &OCSP_RESPONSE_free>;
using OcspBasicPtr = OpenSslPtr<OCSP_BASICRESP, &OCSP_BASICRESP_free>;
using OcspCertIdPtr = OpenSslPtr<OCSP_CERTID, &OCSP_CERTID_free>;

// Errc::crypto "<what>: <every queued OpenSSL error>", draining the thread's error queue so the
// next failure does not report stale entries.
inline Error openssl_error(std::string_view what) {
  std::string m(what);
  bool first = true;
  while (unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    m += first ? ": " : "; ";
    m += buf;
    first = false;
  }
  if (first) m += ": (no OpenSSL error queued)";
  return make_error(Errc::crypto, std::move(m));
}

}  // namespace madoguchi::openssl
