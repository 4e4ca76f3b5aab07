// madoguchi-sim jlis (ISS-1): the generated list is deterministic for a seed, every payload parses
// back to exactly the people it was made from, and expected.jsonl says the same; the HID POS
// report streams it writes decode (drivers/scanner's HidPosDecoder) to exactly the payload bytes.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <span>

#include "madoguchi/jlis/qr_payload.h"
#include "madoguchi/scanner/reports.h"
#include "madoguchi/sim/jlis_generator.h"

namespace s = madoguchi::sim;
namespace j = madoguchi::jlis;
using madoguchi::Errc;

namespace {

std::vector<s::JlisCode> generate(const s::JlisOptions& o) {
  auto codes = s::generate_jlis_codes(o);
  REQUIRE(codes.ok());
  return std::move(*codes);
}

}  // namespace

TEST_CASE("jlis: the same seed gives the same bytes, another seed other people", "[sim][jlis]") {
  s::JlisOptions o;
  o.people = 120;
  o.seed = 42;
  const auto a = generate(o);
  const auto b = generate(o);
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i].bytes == b[i].bytes);
  o.seed = 43;
  const auto c = generate(o);
  REQUIRE(c.size() == a.size());
  std::size_t same = 0;
  for (std::size_t i = 0; i < a.size(); ++i) same += a[i].bytes == c[i].bytes ? 1u : 0u;
  CHECK(same == 0);
}

TEST_CASE("jlis: every payload parses back to the people it was made from", "[sim][jlis]") {
  s::JlisOptions o;
  o.people = 300;
  o.per_code = 6;
  o.codes_per_page = 5;
  o.seed = 7;
  o.municipality = "282014";
  const auto codes = generate(o);
  REQUIRE(codes.size() == 50);  // 300 / 6
  const j::JlisQrV1Parser parser;
  std::set<std::string> ids;
  std::set<std::string> serials;
  std::set<std::string> keys;
  bool escaped = false;
  bool foreign = false;
  for (std::size_t i = 0; i < codes.size(); ++i) {
    const s::JlisCode& code = codes[i];
    INFO("code " << i + 1);
    CHECK(code.page == i / 5 + 1);
    CHECK(code.position == i % 5);
    CHECK(code.payload.header.code_count == 5);
    CHECK(code.payload.header.sheet_number == code.page);
    CHECK(code.bytes.size() <= j::kMaxPayloadBytes);
    auto parsed = parser.parse(code.bytes);
    REQUIRE(parsed.ok());
    CHECK(*parsed == code.payload);
    keys.insert(j::code_key(parsed->header));
    for (const j::IssuanceTarget& p : parsed->people) {
      ids.insert(p.application_id);
      serials.insert(p.card_serial);
      CHECK(p.address.starts_with("兵庫県姫路市"));
      foreign = foreign || p.name_kanji.find("SMITH") != std::string::npos || p.name_kanji.find("KIM") != std::string::npos ||
                p.name_kanji.find("NGUYEN") != std::string::npos || p.name_kanji.find("SILVA") != std::string::npos;
    }
    escaped = escaped || code.bytes.find("&#x") != std::string::npos;

    const auto line = nlohmann::json::parse(s::expected_json_line(code, o.codes_per_page));
    CHECK(line["payload"] == "payloads/" + std::string(4 - std::to_string(i + 1).size(), '0') + std::to_string(i + 1) + ".bin");
    CHECK(line["code_key"] == j::code_key(code.payload.header));
    CHECK(line["hid"] == "hid/" + std::string(4 - std::to_string(i + 1).size(), '0') + std::to_string(i + 1) + ".bin");
    REQUIRE(line["people"].size() == code.payload.people.size());
    CHECK(line["people"][0]["application_id"] == code.payload.people[0].application_id);
    CHECK(line["people"][0]["name_kanji"] == code.payload.people[0].name_kanji);
    CHECK(line["people"][0]["birth_date"] == j::format_yyyymmdd(code.payload.people[0].birth_date));
  }
  CHECK(ids.size() == 300);
  CHECK(serials.size() == 300);
  CHECK(keys.size() == 50);
  CHECK(escaped);  // MJ variants and 𠮷 occur in a list this long
  CHECK(foreign);
}

TEST_CASE("jlis: the last code holds the remainder", "[sim][jlis]") {
  s::JlisOptions o;
  o.people = 9;
  o.per_code = 4;
  o.codes_per_page = 2;
  const auto codes = generate(o);
  REQUIRE(codes.size() == 3);
  CHECK(codes[2].payload.people.size() == 1);
  CHECK(codes[2].page == 2);
  CHECK(codes[2].payload.header.code_count == 1);
}

TEST_CASE("jlis: options out of range are refused", "[sim][jlis]") {
  s::JlisOptions o;
  o.municipality = "131017";
  CHECK(s::generate_jlis_codes(o).error().code == Errc::invalid_argument);
  o = {};
  o.people = 0;
  CHECK_FALSE(s::generate_jlis_codes(o).ok());
  o = {};
  o.per_code = 21;
  CHECK_FALSE(s::generate_jlis_codes(o).ok());
  o = {};
  o.codes_per_page = 13;
  CHECK_FALSE(s::generate_jlis_codes(o).ok());
}

TEST_CASE("jlis: pages are PNG images of the A4 size, deterministic", "[sim][jlis]") {
  s::JlisOptions o;
  o.people = 8;
  const auto codes = generate(o);
  std::vector<std::string> payloads;
  for (const auto& c : codes) payloads.push_back(c.bytes);
  auto png = s::render_jlis_page_png(payloads, 4, 1);
  REQUIRE(png.ok());
  REQUIRE(png->size() > 24);
  CHECK(png->substr(0, 8) == "\x89PNG\r\n\x1A\n");
  // IHDR: width and height, big-endian, at offset 16.
  auto be32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 4; ++k) v = (v << 8) | static_cast<unsigned char>((*png)[at + k]);
    return v;
  };
  CHECK(be32(16) == static_cast<std::uint32_t>(s::kPageWidth));
  CHECK(be32(20) == static_cast<std::uint32_t>(s::kPageHeight));
  auto again = s::render_jlis_page_png(payloads, 4, 1);
  REQUIRE(again.ok());
  CHECK(*again == *png);
  CHECK_FALSE(s::render_jlis_page_png(payloads, 1, 1).ok());  // more payloads than cells
}

namespace {

// Feeds a concatenated HID POS report stream to the decoder of drivers/scanner, 64 bytes at a
// time, and returns every result it gives.
madoguchi::scanner::DecodeResults decode_hid_stream(std::string_view stream) {
  namespace sc = madoguchi::scanner;
  REQUIRE(stream.size() % sc::kHidPosReportSize == 0);
  sc::HidPosDecoder decoder;
  sc::DecodeResults all;
  for (std::size_t at = 0; at < stream.size(); at += sc::kHidPosReportSize) {
    const auto* data = reinterpret_cast<const std::uint8_t*>(stream.data() + at);
    for (auto& r : decoder.feed(std::span<const std::uint8_t>(data, sc::kHidPosReportSize))) all.push_back(std::move(r));
  }
  CHECK_FALSE(decoder.in_progress());
  return all;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::filesystem::path fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("madoguchi-jlis-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir;
}

}  // namespace

TEST_CASE("jlis: a HID POS report stream decodes to exactly the payload", "[sim][jlis][hid]") {
  s::JlisOptions o;
  o.people = 60;
  o.per_code = 12;  // payloads of about 2 KB: dozens of reports each
  o.seed = 5;
  const auto codes = generate(o);
  for (const s::JlisCode& code : codes) {
    const std::string stream = s::hid_pos_report_stream(code.bytes);
    const std::size_t reports = (code.bytes.size() + 55) / 56;
    CHECK(stream.size() == reports * 64);
    const auto results = decode_hid_stream(stream);
    REQUIRE(results.size() == 1);
    REQUIRE(results[0].ok());
    CHECK(results[0]->bytes == code.bytes);
    CHECK(results[0]->symbology == "]Q1");
  }
  // Edge sizes of the 56-byte report data. (An empty payload is one report of length 0, which a
  // decoder reads as "nothing scanned"; the generator never makes one.)
  CHECK(s::hid_pos_report_stream("").size() == 64);
  CHECK(decode_hid_stream(s::hid_pos_report_stream("")).empty());
  for (std::size_t n : {std::size_t{1}, std::size_t{55}, std::size_t{56}, std::size_t{57}, std::size_t{112}}) {
    std::string bytes(n, '\x81');
    const auto results = decode_hid_stream(s::hid_pos_report_stream(bytes));
    REQUIRE(results.size() == 1);
    REQUIRE(results[0].ok());
    CHECK(results[0]->bytes == bytes);
  }
}

TEST_CASE("jlis: the CLI writes hid/NNNN.bin that decode to payloads/NNNN.bin, --no-hid skips them",
          "[sim][jlis][hid]") {
  const auto dir = fresh_dir("hid");
  const std::string command = std::string("\"") + MADOGUCHI_SIM_EXE + "\" jlis --out \"" + dir.string() +
                              "\" --people 25 --per-code 6 --seed 11 --no-pages 2>/dev/null";
  REQUIRE(std::system(command.c_str()) == 0);
  std::size_t count = 0;
  for (std::size_t i = 1; std::filesystem::exists(dir / "payloads" / (std::string(i < 10 ? "000" : "00") + std::to_string(i) + ".bin")); ++i) {
    const std::string name = std::string(i < 10 ? "000" : "00") + std::to_string(i) + ".bin";
    INFO(name);
    const std::string payload = read_file(dir / "payloads" / name);
    REQUIRE(std::filesystem::exists(dir / "hid" / name));
    const auto results = decode_hid_stream(read_file(dir / "hid" / name));
    REQUIRE(results.size() == 1);
    REQUIRE(results[0].ok());
    CHECK(results[0]->bytes == payload);
    ++count;
  }
  CHECK(count == 5);  // 25 people, 6 a code
  std::size_t hid_files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir / "hid")) ++hid_files;
  CHECK(hid_files == count);
  CHECK_FALSE(std::filesystem::exists(dir / "pages"));
  std::filesystem::remove_all(dir);

  const auto without = fresh_dir("nohid");
  const std::string command2 = std::string("\"") + MADOGUCHI_SIM_EXE + "\" jlis --out \"" + without.string() +
                               "\" --people 5 --no-pages --no-hid 2>/dev/null";
  REQUIRE(std::system(command2.c_str()) == 0);
  CHECK(std::filesystem::exists(without / "payloads" / "0001.bin"));
  CHECK_FALSE(std::filesystem::exists(without / "hid"));
  std::filesystem::remove_all(without);
}
