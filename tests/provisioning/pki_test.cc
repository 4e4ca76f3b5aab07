#include "madoguchi/provisioning/pki.h"

#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <memory>

#include "test_support.h"

namespace mp = madoguchi::provisioning;
using madoguchi::Errc;
using madoguchi::testing::TempDir;

namespace {

struct X509Deleter {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

X509Ptr load_cert(const std::filesystem::path& file) {
  std::FILE* f = std::fopen(file.c_str(), "r");
  REQUIRE(f != nullptr);
  X509Ptr cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  REQUIRE(cert);
  return cert;
}

void require_ok(const madoguchi::Status& st) {
  INFO((st ? std::string("ok") : st.error().describe()));
  REQUIRE(st.ok());
}

mp::IssueOptions client(const std::string& cn) {
  mp::IssueOptions o;
  o.common_name = cn;
  o.role = mp::Role::client;
  return o;
}

mp::IssueOptions server(const std::string& cn) {
  mp::IssueOptions o;
  o.common_name = cn;
  o.role = mp::Role::server;
  o.dns_names = {"localhost", "broker.madoguchi.example"};
  o.ip_addresses = {"127.0.0.1", "::1"};
  return o;
}

}  // namespace

TEST_CASE("a certificate issued by a new CA verifies against that CA", "[pki]") {
  TempDir dir;
  require_ok(mp::create_ca(dir.path(), {}));
  require_ok(mp::issue_certificate(dir.path(), server("broker")));
  require_ok(mp::issue_certificate(dir.path(), client("131016.counter-01")));

  require_ok(mp::verify_certificate(dir / "ca.crt", dir / "broker.crt"));
  require_ok(mp::verify_certificate(dir / "ca.crt", dir / "131016.counter-01.crt"));
}

TEST_CASE("a certificate does not verify against a different CA", "[pki]") {
  TempDir ours, theirs;
  require_ok(mp::create_ca(ours.path(), {}));
  require_ok(mp::create_ca(theirs.path(), {}));
  require_ok(mp::issue_certificate(theirs.path(), client("hub")));

  auto st = mp::verify_certificate(ours / "ca.crt", theirs / "hub.crt");
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == Errc::crypto);
  CHECK_THAT(st.error().message, Catch::Contains("unable to get local issuer certificate"));
}

TEST_CASE("a client certificate's common name reads back as the identity it was issued for", "[pki]") {
  TempDir dir;
  require_ok(mp::create_ca(dir.path(), {}));
  require_ok(mp::issue_certificate(dir.path(), client("131016.counter-01")));

  auto cn = mp::certificate_common_name(dir / "131016.counter-01.crt");
  REQUIRE(cn.ok());
  CHECK(*cn == "131016.counter-01");
}

TEST_CASE("a CA common name may be Japanese and reads back unchanged", "[pki]") {
  TempDir dir;
  mp::CaOptions ca;
  ca.common_name = "サンプル市 madoguchi CA";
  require_ok(mp::create_ca(dir.path(), ca));
  auto cn = mp::certificate_common_name(dir / "ca.crt");
  REQUIRE(cn.ok());
  CHECK(*cn == ca.common_name);
}

TEST_CASE("private keys are written with mode 0600 and certificates 0644 whatever the umask", "[pki]") {
  TempDir dir;
  mode_t old = ::umask(0);  // the widest umask: modes must come from the code, not from luck
  auto ca = mp::create_ca(dir.path(), {});
  auto issued = mp::issue_certificate(dir.path(), client("hub"));
  ::umask(old);
  require_ok(ca);
  require_ok(issued);

  CHECK(madoguchi::testing::file_mode(dir / "ca.key") == 0600u);
  CHECK(madoguchi::testing::file_mode(dir / "hub.key") == 0600u);
  CHECK(madoguchi::testing::file_mode(dir / "ca.crt") == 0644u);
  CHECK(madoguchi::testing::file_mode(dir / "hub.crt") == 0644u);
  CHECK_FALSE(std::filesystem::exists(dir / "hub.key.tmp"));
}

TEST_CASE("create_ca refuses to replace an existing CA unless forced", "[pki]") {
  TempDir dir;
  require_ok(mp::create_ca(dir.path(), {}));
  require_ok(mp::issue_certificate(dir.path(), client("hub")));
  const std::string original_key = madoguchi::testing::read_text(dir / "ca.key");

  auto again = mp::create_ca(dir.path(), {});
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == Errc::already_exists);
  CHECK(madoguchi::testing::read_text(dir / "ca.key") == original_key);
  require_ok(mp::verify_certificate(dir / "ca.crt", dir / "hub.crt"));

  mp::CaOptions force;
  force.force = true;
  require_ok(mp::create_ca(dir.path(), force));
  CHECK(madoguchi::testing::read_text(dir / "ca.key") != original_key);
  CHECK_FALSE(mp::verify_certificate(dir / "ca.crt", dir / "hub.crt").ok());
}

TEST_CASE("issue_certificate rejects common names outside 1-64 characters of A-Za-z0-9.-", "[pki]") {
  TempDir dir;
  require_ok(mp::create_ca(dir.path(), {}));
  for (std::string bad : {std::string(), std::string("has space"), std::string("a/b"), std::string("日本"),
                          std::string("semi;colon"), std::string(65, 'a')}) {
    INFO("common name '" << bad << "'");
    auto st = mp::issue_certificate(dir.path(), client(bad));
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code == Errc::invalid_argument);
    CHECK_THAT(st.error().message, Catch::Contains("common name"));
  }
  // Nothing but the CA was written.
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()) == 2);
  require_ok(mp::issue_certificate(dir.path(), client(std::string(64, 'a'))));
}

TEST_CASE("issue_certificate refuses to re-key an existing certificate unless forced", "[pki]") {
  TempDir dir;
  require_ok(mp::create_ca(dir.path(), {}));
  require_ok(mp::issue_certificate(dir.path(), client("hub")));
  const std::string key = madoguchi::testing::read_text(dir / "hub.key");

  auto again = mp::issue_certificate(dir.path(), client("hub"));
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == Errc::already_exists);
  CHECK(madoguchi::testing::read_text(dir / "hub.key") == key);

  auto forced = client("hub");
  forced.force = true;
  require_ok(mp::issue_certificate(dir.path(), forced));
  CHECK(madoguchi::testing::read_text(dir / "hub.key") != key);
}

TEST_CASE("the file stem 'ca' cannot be used for an issued certificate", "[pki]") {
  TempDir dir;
  require_ok(mp::create_ca(dir.path(), {}));
  auto o = client("hub");
  o.file_stem = "ca";
  o.force = true;
  auto st = mp::issue_certificate(dir.path(), o);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == Errc::invalid_argument);
}

TEST_CASE("a server certificate carries the requested DNS and IP subject alternative names", "[pki]") {
  TempDir dir;
  require_ok(mp::create_ca(dir.path(), {}));
  require_ok(mp::issue_certificate(dir.path(), server("broker")));
  auto cert = load_cert(dir / "broker.crt");

  CHECK(X509_check_host(cert.get(), "localhost", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(cert.get(), "broker.madoguchi.example", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(cert.get(), "evil.example", 0, 0, nullptr) == 0);
  CHECK(X509_check_ip_asc(cert.get(), "127.0.0.1", 0) == 1);
  CHECK(X509_check_ip_asc(cert.get(), "::1", 0) == 1);
  CHECK(X509_check_ip_asc(cert.get(), "10.0.0.1", 0) == 0);
}

TEST_CASE("subject alternative names that are not a host name or IP address are rejected", "[pki]") {
  TempDir dir;
  require_ok(mp::create_ca(dir.path(), {}));
  SECTION("a DNS entry trying to smuggle in a second name") {
    auto o = server("broker");
    o.dns_names = {"localhost,IP:10.0.0.1"};
    auto st = mp::issue_certificate(dir.path(), o);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code == Errc::invalid_argument);
  }
  SECTION("a malformed IP address") {
    auto o = server("broker");
    o.ip_addresses = {"127.0.0.256"};
    auto st = mp::issue_certificate(dir.path(), o);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code == Errc::invalid_argument);
    CHECK_THAT(st.error().message, Catch::Contains("127.0.0.256"));
  }
  SECTION("a server certificate without any") {
    auto o = server("broker");
    o.dns_names.clear();
    o.ip_addresses.clear();
    auto st = mp::issue_certificate(dir.path(), o);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code == Errc::invalid_argument);
  }
  CHECK_FALSE(std::filesystem::exists(dir / "broker.key"));
}

TEST_CASE("server and client certificates are only usable for their own side of TLS", "[pki]") {
  TempDir dir;
  require_ok(mp::create_ca(dir.path(), {}));
  require_ok(mp::issue_certificate(dir.path(), server("broker")));
  require_ok(mp::issue_certificate(dir.path(), client("hub")));
  auto srv = load_cert(dir / "broker.crt");
  auto cli = load_cert(dir / "hub.crt");
  auto ca = load_cert(dir / "ca.crt");

  CHECK(X509_check_purpose(srv.get(), X509_PURPOSE_SSL_SERVER, 0) == 1);
  CHECK(X509_check_purpose(srv.get(), X509_PURPOSE_SSL_CLIENT, 0) == 0);
  CHECK(X509_check_purpose(cli.get(), X509_PURPOSE_SSL_CLIENT, 0) == 1);
  CHECK(X509_check_purpose(cli.get(), X509_PURPOSE_SSL_SERVER, 0) == 0);
  CHECK(X509_check_ca(srv.get()) == 0);
  CHECK(X509_check_ca(cli.get()) == 0);
  CHECK(X509_check_ca(ca.get()) == 1);
  CHECK((X509_get_key_usage(ca.get()) & KU_KEY_CERT_SIGN) != 0);
  CHECK((X509_get_key_usage(cli.get()) & KU_KEY_CERT_SIGN) == 0);
  CHECK(X509_get_version(cli.get()) == X509_VERSION_3);
}

TEST_CASE("issuing with a ca.key that does not belong to ca.crt is a crypto error", "[pki]") {
  TempDir a, b;
  require_ok(mp::create_ca(a.path(), {}));
  require_ok(mp::create_ca(b.path(), {}));
  std::filesystem::copy_file(b / "ca.key", a / "ca.key", std::filesystem::copy_options::overwrite_existing);

  auto st = mp::issue_certificate(a.path(), client("hub"));
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == Errc::crypto);
  CHECK_THAT(st.error().message, Catch::Contains("does not belong to"));
  CHECK_FALSE(std::filesystem::exists(a / "hub.key"));
}

TEST_CASE("issuing without a CA is an io error naming ca.key", "[pki]") {
  TempDir dir;
  auto st = mp::issue_certificate(dir.path(), client("hub"));
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == Errc::io);
  CHECK_THAT(st.error().message, Catch::Contains("ca.key"));
}

TEST_CASE("reading the common name of a file that is not a certificate is a crypto error", "[pki]") {
  TempDir dir;
  madoguchi::testing::write_text(dir / "junk.crt", "-----BEGIN CERTIFICATE-----\nnot base64\n");
  auto cn = mp::certificate_common_name(dir / "junk.crt");
  REQUIRE_FALSE(cn.ok());
  CHECK(cn.error().code == Errc::crypto);

  auto missing = mp::certificate_common_name(dir / "missing.crt");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == Errc::io);
}

TEST_CASE("validity outside 1-36500 days is rejected", "[pki]") {
  TempDir dir;
  mp::CaOptions ca;
  ca.days = 0;
  auto st = mp::create_ca(dir.path(), ca);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == Errc::invalid_argument);
  CHECK_FALSE(std::filesystem::exists(dir / "ca.key"));
}

TEST_CASE("a terminal certificate exports as PKCS#12 that opens only with its password (ACC-5, issue 11)", "[pki]") {
  TempDir dir;
  require_ok(mp::create_ca(dir.path(), {}));
  require_ok(mp::issue_certificate(dir.path(), client("terminal-demo")));
  const auto out = dir / "terminal-demo.p12";
  require_ok(mp::export_pkcs12(dir.path(), "terminal-demo", out, "Import-Me-2026"));
  struct stat st {};
  REQUIRE(::stat(out.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  std::FILE* f = std::fopen(out.c_str(), "rb");
  REQUIRE(f != nullptr);
  std::unique_ptr<PKCS12, decltype(&PKCS12_free)> p12(d2i_PKCS12_fp(f, nullptr), &PKCS12_free);
  std::fclose(f);
  REQUIRE(p12);
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  STACK_OF(X509)* ca = nullptr;
  CHECK(PKCS12_parse(p12.get(), "wrong-password", &key, &cert, &ca) == 0);
  REQUIRE(PKCS12_parse(p12.get(), "Import-Me-2026", &key, &cert, &ca) == 1);
  X509Ptr leaf(cert);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(key, &EVP_PKEY_free);
  CHECK(X509_check_private_key(leaf.get(), pkey.get()) == 1);
  REQUIRE(ca != nullptr);
  CHECK(sk_X509_num(ca) == 1);
  CHECK(X509_cmp(sk_X509_value(ca, 0), load_cert(dir / "ca.crt").get()) == 0);
  sk_X509_pop_free(ca, X509_free);
  CHECK(X509_cmp(leaf.get(), load_cert(dir / "terminal-demo.crt").get()) == 0);

  CHECK(mp::export_pkcs12(dir.path(), "terminal-demo", out, "").error().code == Errc::invalid_argument);
  CHECK(mp::export_pkcs12(dir.path(), "../x", out, "p").error().code == Errc::invalid_argument);
  CHECK_FALSE(mp::export_pkcs12(dir.path(), "absent", out, "p").ok());
}
