// A throwaway PKI for the TLS tests, made with the OpenSSL 3 C API (EC P-256, valid for a day).
#pragma once

#include <filesystem>
#include <string>

#include "madoguchi/error.h"

namespace madoguchi::http::testing {

struct TestPki {  // PEM file paths
  std::string ca_cert;
  std::string server_cert, server_key;  // SAN: DNS:localhost, IP:127.0.0.1; signed by the CA
  std::string client_cert, client_key;  // clientAuth; signed by the CA
  std::string rogue_cert, rogue_key;    // clientAuth; signed by a different, unrelated CA
};

// Writes the files into `dir`. Errc::crypto with OpenSSL's reason on failure.
Expected<TestPki> make_test_pki(const std::filesystem::path& dir);

}  // namespace madoguchi::http::testing
