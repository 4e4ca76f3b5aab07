// libFuzzer target: the scanner report decoders of drivers/scanner (HID POS and boot keyboard)
// and the HID report descriptor walk, on arbitrary report sequences. Input layout:
//   byte 0     bit 0: 0 = HID POS, 1 = keyboard; bit 1: layout (0 us, 1 jp106)
//   byte 1     max scan bytes = 64 * (byte + 1)
//   then       reports, each as one length byte and that many bytes (a length of 0xFF means
//              the decoder's natural size: 64 for HID POS, 8 for keyboard)
// Besides "no crash, no sanitizer report", it checks the contract: no scan over the bound, no
// empty scan, keyboard scans only printable ASCII and tab, AIM identifiers "]cm" or empty, and
// every scan encoded again and decoded by a fresh decoder gives the same scan back.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <vector>

#include "madoguchi/scanner/reports.h"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

namespace s = madoguchi::scanner;

void check_round_trip(const s::Scan& scan, bool keyboard, s::KeyboardLayout layout, std::size_t max) {
  std::vector<s::Report> reports;
  if (keyboard) {
    auto encoded = s::encode_keyboard_reports(scan.bytes, layout);
    check(encoded.ok());
    reports = std::move(*encoded);
  } else {
    reports = s::encode_hid_pos_reports(scan.bytes, scan.symbology);
  }
  std::unique_ptr<s::ReportDecoder> fresh;
  if (keyboard) {
    fresh = std::make_unique<s::KeyboardDecoder>(layout, max);
  } else {
    fresh = std::make_unique<s::HidPosDecoder>(max);
  }
  std::size_t scans = 0;
  for (const auto& r : reports) {
    for (auto& result : fresh->feed(r)) {
      check(result.ok());
      check(result->bytes == scan.bytes && result->symbology == scan.symbology);
      ++scans;
    }
  }
  check(scans == 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  (void)s::hid_usage_pages(input);
  if (size < 2) return 0;
  const bool keyboard = (data[0] & 1) != 0;
  const auto layout = (data[0] & 2) != 0 ? s::KeyboardLayout::jp106 : s::KeyboardLayout::us;
  const std::size_t max = 64 * (std::size_t{data[1]} + 1);
  std::unique_ptr<s::ReportDecoder> decoder;
  if (keyboard) {
    decoder = std::make_unique<s::KeyboardDecoder>(layout, max);
  } else {
    decoder = std::make_unique<s::HidPosDecoder>(max);
  }
  const std::size_t natural = keyboard ? s::kKeyboardReportSize : s::kHidPosReportSize;
  std::size_t i = 2;
  while (i < size) {
    std::size_t n = data[i++];
    if (n == 0xFF) n = natural;
    n = std::min(n, size - i);
    for (auto& result : decoder->feed(input.subspan(i, n))) {
      if (!result) continue;
      const s::Scan& scan = *result;
      check(!scan.bytes.empty() && scan.bytes.size() <= max);
      if (keyboard) {
        check(scan.symbology.empty());
        for (char c : scan.bytes) check((c >= 0x20 && c < 0x7F) || c == '\t');
      } else {
        check(scan.symbology.empty() || (scan.symbology.size() == 3 && scan.symbology[0] == ']'));
      }
      check_round_trip(scan, keyboard, layout, max);
    }
    i += n;
  }
  decoder->reset();
  check(!decoder->in_progress());
  return 0;
}
