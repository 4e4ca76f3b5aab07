// madoguchi-sim jlis: argument parsing and file writing only; the list and the pages come from
// madoguchi_sim (generate_jlis_codes, render_jlis_page_png, hid_pos_report_stream).
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "commands.h"
#include "madoguchi/sim/jlis_generator.h"
#include "madoguchi/sim/town_generator.h"

namespace madoguchi::sim::cli {

namespace {

constexpr std::string_view kJlisUsage =
    "usage: madoguchi-sim jlis --out DIR [--people N] [--per-code K] [--codes-per-page M]\n"
    "                          [--seed S] [--municipality CODE] [--list-date YYYYMMDD]\n"
    "                          [--no-pages] [--no-hid] [--people-from FILE]\n"
    "\n"
    "Writes a simulated J-LIS issuance target list (format JLIS-ISS v1, docs/formats/jlis-qr.md):\n"
    "  DIR/payloads/NNNN.bin  the raw bytes of each QR code (CP932), numbered from 0001\n"
    "  DIR/pages/NNNN.png     A4 pages at 200 dpi with M codes each (sheet NNNN)\n"
    "  DIR/hid/NNNN.bin       the 64-byte USB HID POS input reports a scanner sends for code NNNN\n"
    "  DIR/expected.jsonl     one line per code: file names, cell on the page, header, people\n"
    "  --people N             people in the list, 1..100000 (default 40)\n"
    "  --per-code K           people per QR code, 1..20 (default 4)\n"
    "  --codes-per-page M     codes per page, 1..12 (default 4)\n"
    "  --seed S               the same seed gives the same files (default 1)\n"
    "  --municipality CODE    6-digit local government code with check digit (default 131016)\n"
    "  --list-date YYYYMMDD   the list's creation date (default 20261122)\n"
    "  --no-pages             do not write the page images\n"
    "  --no-hid               do not write the HID report streams\n"
    "  --people-from FILE     the first people are these (madoguchi-sim residents --card-holders FILE)\n";

int usage_error(std::string_view message) {
  std::cerr << "madoguchi-sim jlis: " << message << "\n\n" << kJlisUsage;
  return 2;
}

template <class T>
std::optional<T> parse_number(std::string_view text) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

Status write_file(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return make_error(Errc::io, "cannot write " + path.string());
  return {};
}

std::string zero_pad(std::size_t value) {
  std::string s = std::to_string(value);
  if (s.size() < 4) s.insert(0, 4 - s.size(), '0');
  return s;
}

}  // namespace

int run_jlis(Args args) {
  JlisOptions options;
  std::optional<std::filesystem::path> out_dir;
  bool pages = true;
  bool hid = true;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view name = args[i];
    std::optional<std::string_view> value;
    if (const std::size_t eq = name.find('='); name.starts_with("--") && eq != std::string_view::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (name == "--help") {
      std::cout << kJlisUsage;
      return 0;
    }
    if (name == "--no-pages") {
      pages = false;
      continue;
    }
    if (name == "--no-hid") {
      hid = false;
      continue;
    }
    if (!name.starts_with("--")) return usage_error("unexpected argument '" + std::string(name) + "'");
    if (!value) {
      if (i + 1 >= args.size()) return usage_error(std::string(name) + " needs a value");
      value = args[++i];
    }
    if (name == "--out") {
      out_dir = std::filesystem::path(std::string(*value));
    } else if (name == "--people" || name == "--per-code" || name == "--codes-per-page") {
      auto n = parse_number<std::size_t>(*value);
      if (!n) return usage_error(std::string(name) + " needs a number");
      (name == "--people" ? options.people : name == "--per-code" ? options.per_code : options.codes_per_page) = *n;
    } else if (name == "--seed") {
      auto n = parse_number<std::uint64_t>(*value);
      if (!n) return usage_error("--seed needs a non-negative number");
      options.seed = *n;
    } else if (name == "--municipality") {
      options.municipality = std::string(*value);
    } else if (name == "--people-from") {
      std::ifstream in{std::string(*value), std::ios::binary};
      if (!in) return usage_error("cannot read " + std::string(*value));
      auto holders = parse_card_holders_tsv(std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()));
      if (!holders) return usage_error(holders.error().message);
      for (const auto& h : *holders) {
        options.identities.push_back({h.name, h.kana, h.female ? jlis::Sex::female : jlis::Sex::male,
                                      jlis::Date{h.birth.year, h.birth.month, h.birth.day}, h.address});
      }
    } else if (name == "--list-date") {
      auto date = jlis::parse_yyyymmdd(*value);
      if (!date) return usage_error("--list-date needs an existing date as YYYYMMDD");
      options.list_date = *date;
    } else {
      return usage_error("unknown option " + std::string(name));
    }
  }
  if (!out_dir) return usage_error("--out is required");

  auto codes = generate_jlis_codes(options);
  if (!codes) return usage_error(codes.error().message);

  std::error_code ec;
  std::filesystem::create_directories(*out_dir / "payloads", ec);
  if (!ec && pages) std::filesystem::create_directories(*out_dir / "pages", ec);
  if (!ec && hid) std::filesystem::create_directories(*out_dir / "hid", ec);
  if (ec) {
    std::cerr << "madoguchi-sim jlis: cannot create " << out_dir->string() << ": " << ec.message() << "\n";
    return 1;
  }
  std::string expected;
  std::vector<std::string> page_payloads;
  auto flush_page = [&](std::size_t page) -> Status {
    if (!pages || page_payloads.empty()) return {};
    auto png = render_jlis_page_png(page_payloads, options.codes_per_page, options.seed * 1000003u + page);
    page_payloads.clear();
    if (!png) return png.error();
    return write_file(*out_dir / "pages" / (zero_pad(page) + ".png"), *png);
  };
  std::size_t people = 0;
  for (std::size_t i = 0; i < codes->size(); ++i) {
    const JlisCode& code = (*codes)[i];
    if (Status s = write_file(*out_dir / "payloads" / (zero_pad(i + 1) + ".bin"), code.bytes); !s) {
      std::cerr << "madoguchi-sim jlis: " << s.error().describe() << "\n";
      return 1;
    }
    if (hid) {
      if (Status s = write_file(*out_dir / "hid" / (zero_pad(i + 1) + ".bin"), hid_pos_report_stream(code.bytes)); !s) {
        std::cerr << "madoguchi-sim jlis: " << s.error().describe() << "\n";
        return 1;
      }
    }
    expected += expected_json_line(code, options.codes_per_page) + "\n";
    people += code.payload.people.size();
    page_payloads.push_back(code.bytes);
    if (i + 1 == codes->size() || (*codes)[i + 1].page != code.page) {
      if (Status s = flush_page(code.page); !s) {
        std::cerr << "madoguchi-sim jlis: " << s.error().describe() << "\n";
        return 1;
      }
    }
  }
  if (Status s = write_file(*out_dir / "expected.jsonl", expected); !s) {
    std::cerr << "madoguchi-sim jlis: " << s.error().describe() << "\n";
    return 1;
  }
  std::cerr << "madoguchi-sim jlis: " << people << " people in " << codes->size() << " codes on "
            << codes->back().page << " pages written to " << out_dir->string() << "\n";
  return 0;
}

}  // namespace madoguchi::sim::cli
