// A simulated J-LIS issuance target list (ISS-1): the people of a made-up town, split into QR
// payloads in format JLIS-ISS v1 (docs/formats/jlis-qr.md) and laid out on printed sheets, several
// codes per page. Deterministic: the same options give the same bytes on every machine (own
// PRNG, no std::*_distribution). Pure, no I/O; madoguchi-sim jlis writes the files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/error.h"
#include "madoguchi/jlis/qr_payload.h"

namespace madoguchi::sim {

struct JlisOptions {
  std::size_t people = 40;          // 1..100000
  std::size_t per_code = 4;         // people per QR code, 1..20
  std::size_t codes_per_page = 4;   // codes per printed sheet, 1..12
  std::uint64_t seed = 1;
  std::string municipality = "131016";  // 6-digit local government code with check digit
  jlis::Date list_date{2026, 11, 22};   // 作成日 of the list
  // The first people take these names, readings, sexes, birth dates and addresses (the demo: the
  // same people as the linkage data's town); the rest of each person is generated as before.
  struct Identity {
    std::string name_kanji, name_kana;
    jlis::Sex sex = jlis::Sex::not_known;
    jlis::Date birth_date;
    std::string address;
  };
  std::vector<Identity> identities;
};

// One printed code: page (= sheet number, 1-based), its position on the page (0-based, row-major
// in the page grid), the payload and its bytes (what the code holds).
struct JlisCode {
  std::size_t page = 1;
  std::size_t position = 0;
  jlis::QrPayload payload;
  std::string bytes;
};

// Errors: invalid_argument for options out of range or a payload too large for one code (lower
// --per-code).
Expected<std::vector<JlisCode>> generate_jlis_codes(const JlisOptions& options);

// The pixel rectangle of a grid cell on a page; the code is centred in it with its quiet zone.
struct PageCell {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
};

// A page: A4 at 200 dpi (1654 x 2339 pixels), 8-bit grey.
inline constexpr int kPageWidth = 1654;
inline constexpr int kPageHeight = 2339;

// Grid cell `position` of a page that holds `codes_per_page` codes (2 columns when more than one).
PageCell page_cell(std::size_t codes_per_page, std::size_t position);

// Renders one page with the given payloads (at most codes_per_page of them) as QR codes (byte
// mode, error correction M, or L when M cannot hold the payload; no ECI), each with a 4-module
// quiet zone, on white paper with light deterministic noise; returns the PNG file bytes.
// Errors: invalid_argument when a code cannot be drawn at 2 or more pixels per module.
Expected<std::string> render_jlis_page_png(const std::vector<std::string>& payloads, std::size_t codes_per_page,
                                           std::uint64_t seed);

// What a QR scanner in HID POS mode sends when it reads `bytes` (ISS-1): the 64-byte USB HID POS
// input reports of drivers/scanner (encode_hid_pos_reports, AIM identifier "]Q1"), concatenated
// in order. The length is always a multiple of 64 (an empty payload is one report).
std::string hid_pos_report_stream(std::string_view bytes);

// One line of expected.jsonl for a code (no trailing newline): what it must decode to.
std::string expected_json_line(const JlisCode& code, std::size_t codes_per_page);

}  // namespace madoguchi::sim
