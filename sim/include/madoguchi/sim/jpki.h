// madoguchi-sim jpki: the public personal authentication service (JPKI, 公的個人認証サービス) as
// far as convenience-store issuance meets it (issue 13, KON-2): a CA (OpenSSL) that issues
// user-authentication certificates (利用者証明用電子証明書) to simulated My Number cards, one RSA
// key per card; the card's 4-digit PIN, locked after 3 wrong tries (the count is on the card);
// revocation through a CRL and an OCSP responder (jpki_ocsp.h).
//
// The authority's directory: ca.key, ca.pem (the JPKI root the hub trusts), revoked.tsv (serial,
// revoked at), crl.pem. A card is one JSON file: its key, its certificate, its PIN's SHA-256 and
// the tries left. Never a real card's format; test data only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "madoguchi/error.h"

namespace madoguchi::sim::jpki {

// The serial number of the user-authentication certificate the simulated J-LIS issues to the
// holder of `resident_code` (住民票コード) for the `generation`-th time (a renewal is the next
// generation): upper-case hex, as the linkage files' 利用者証明用電子証明書シリアル番号 column
// carries it (the town generator writes the same). Deterministic, so the two never need to talk.
std::string card_serial(std::string_view resident_code, int generation = 1);

struct AuthorityOptions {
  int days = 3650;
  std::string name = "JPKI User Authentication CA (madoguchi-sim)";
  bool force = false;  // replace an existing authority
};
Status init_authority(const std::filesystem::path& dir, const AuthorityOptions& options = {});

struct CardOptions {
  std::string resident_code;  // 11 digits: the serial is card_serial(resident_code, generation)
  int generation = 1;
  std::string pin = "1234";   // 4 digits
  int days = 1825;            // validity from now; negative: already expired that many days ago
  int not_before_days = 0;    // validity starts this many days from now (positive: not yet valid)
  std::string ocsp_url;       // written into the certificate's AIA (optional)
};
struct Card {
  std::string serial;
  std::string key_pem;
  std::string certificate_pem;
  std::string pin_sha256;
  int tries_left = 3;
};
Expected<Card> issue_card(const std::filesystem::path& authority_dir, const CardOptions& options);
Status save_card(const std::filesystem::path& file, const Card& card);
Expected<Card> load_card(const std::filesystem::path& file);

// Revokes a serial (upper-case hex) and writes a new CRL (unless `publish_crl` is false: then only
// the OCSP responder knows until the next write_crl, as between two of the real CRL's issues).
// Revoking twice is not an error.
Status revoke(const std::filesystem::path& authority_dir, std::string_view serial, bool publish_crl = true);
// crl.pem: every revoked serial, valid for `hours` (next update).
Status write_crl(const std::filesystem::path& authority_dir, int hours = 48);

// The card at a kiosk: checks the PIN (a wrong one costs a try and is written back to the card
// file; at 0 the card is locked: Errc::forbidden "locked"), then signs `data` with the card's key
// (RSA PKCS#1 v1.5, SHA-256). A right PIN restores the tries to 3.
Expected<std::string> sign_with_card(const std::filesystem::path& card_file, std::string_view pin, std::string_view data);
// The card's certificate in DER.
Expected<std::string> card_certificate_der(const Card& card);

}  // namespace madoguchi::sim::jpki
