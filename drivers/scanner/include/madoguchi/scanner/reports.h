// Pure decoders and encoders of the USB HID input reports a QR code scanner sends. No I/O and no
// libusb here: each decoder is a small stateful object fed one input report at a time, and it
// returns the scans (or errors) that report completes. The format is documented in full, with
// sources, in docs/formats/scanner-reports.md; in short:
//
// HID POS mode (HID Usage Page 0x8C "Bar Code Scanner"; the recommended mode). The layout
// Honeywell, Access-IS and others document for their HID POS interface, 64-byte input reports:
//
//   byte 0       report ID, 0x02
//   byte 1       number of data bytes in this report, 0..56
//   bytes 2..4   AIM symbology identifier: ']' + code character + modifier (QR: "]Q1"), or three
//                zero bytes when the scanner sends none
//   bytes 5..60  data bytes, left-aligned, zero padded; the RAW symbol bytes, so Shift_JIS kanji
//                arrive exactly as encoded in the QR code
//   byte 61      vendor's own symbology identifier (Honeywell code ID), ignored
//   byte 62      reserved, ignored
//   byte 63      bit 0 = "more data follows": this report is continued by the next one
//
// A scan longer than 56 bytes spans several reports; every one but the last has bit 0 of byte 63
// set, and all carry the same AIM identifier. A 3 KB QR payload is about 55 reports.
//
// Keyboard mode (USB HID boot-protocol keyboard). 8-byte reports: modifier bits, a reserved byte,
// six key usages (Usage Page 0x07) held down at the moment. A key counts when it newly appears
// in a report (so a held key typed once is one character, and "ll" needs a release between the
// two presses); Shift is read from the modifier byte of the report in which the key appears;
// Enter (or keypad Enter) ends a scan. The usages are mapped to ASCII with the configured layout,
// US or Japanese 106/109 (they differ on symbols: Shift+2 is '@' on US, '"' on JIS; the key right
// of P is '[' on US, '@' on JIS, and so on).
// LIMITATION: a keyboard carries only what the layout can type, i.e. printable ASCII, space and
// tab. Kanji, kana and any byte over 0x7F of a Shift_JIS QR payload cannot survive keyboard mode
// (scanners either drop them or send Alt+numpad sequences that depend on the host's code page),
// nor can a CR or LF inside the payload (it ends the scan early). Use HID POS mode for anything
// that may contain Japanese text; keyboard mode is for ASCII-only codes.
//
// Bounds and garbage: a scan over max_scan_bytes (default 8 KiB) is dropped with a too_large
// error, and so is its remaining input; it never grows without bound. A report that does not
// parse gives a malformed error, drops the scan in progress, and the decoder then resynchronises
// at the next end of a scan (a HID POS report without the continuation bit; Enter on a
// keyboard), so the tail of a broken scan is never delivered as a scan of its own. When the
// broken report came between scans, what follows up to that end is dropped as well (it may be a
// scan whose first report was the broken one) with a second error, so every dropped scan is
// reported and the operator knows to scan again.
// Error messages name sizes and offsets, never the scanned bytes (they are personal data).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/error.h"

namespace madoguchi::scanner {

// One input report as read from the interrupt IN endpoint (report ID included when the device
// uses report IDs, as HID POS scanners do).
using Report = std::vector<std::uint8_t>;

inline constexpr std::size_t kMaxScanBytes = 8 * 1024;

// HID POS report layout (see the header comment).
inline constexpr std::size_t kHidPosReportSize = 64;
inline constexpr std::uint8_t kHidPosReportId = 0x02;
inline constexpr std::size_t kHidPosDataOffset = 5;
inline constexpr std::size_t kHidPosMaxData = 56;
inline constexpr std::size_t kHidPosFlagsOffset = 63;
inline constexpr std::uint8_t kHidPosMoreData = 0x01;
// HID usage page of bar code scanners.
inline constexpr std::uint16_t kUsagePageBarCodeScanner = 0x8C;

inline constexpr std::size_t kKeyboardReportSize = 8;

struct Scan {
  std::string bytes;      // the payload exactly as read (raw bytes, not necessarily UTF-8)
  std::string symbology;  // AIM identifier such as "]Q1"; empty when the scanner sent none
};

// What one fed report completed: usually nothing, sometimes one scan or one error.
using DecodeResults = std::vector<Expected<Scan>>;

class ReportDecoder {
 public:
  virtual ~ReportDecoder() = default;
  virtual DecodeResults feed(std::span<const std::uint8_t> report) = 0;
  // Forgets any scan in progress (the device went away). Returns true if one was dropped.
  virtual bool reset() = 0;
  virtual bool in_progress() const = 0;
};

class HidPosDecoder final : public ReportDecoder {
 public:
  explicit HidPosDecoder(std::size_t max_scan_bytes = kMaxScanBytes);
  DecodeResults feed(std::span<const std::uint8_t> report) override;
  bool reset() override;
  bool in_progress() const override { return started_; }

 private:
  void drop_until_end(bool flags_readable, bool more);

  std::size_t max_scan_bytes_;
  std::string data_;
  std::string symbology_;
  bool started_ = false;
  bool discarding_ = false;  // after an error: drop reports up to the end of the message
  bool notify_discard_ = false;
};

enum class KeyboardLayout { us, jp106 };

// "us" or "jp106".
std::string_view keyboard_layout_name(KeyboardLayout layout) noexcept;
// Accepts "us", "jp106", "jp109" (the same mapping) and "jp". invalid_argument otherwise.
Expected<KeyboardLayout> parse_keyboard_layout(std::string_view name);

// The ASCII character a key usage types in `layout`, or nullopt for keys that type no text
// (function keys, Enter, keys the layout leaves empty such as JIS Shift+0).
std::optional<char> key_to_ascii(KeyboardLayout layout, std::uint8_t usage, bool shift) noexcept;

inline constexpr std::uint8_t kKeyEnter = 0x28;
inline constexpr std::uint8_t kKeypadEnter = 0x58;
inline constexpr std::uint8_t kKeyErrorRollOver = 0x01;

class KeyboardDecoder final : public ReportDecoder {
 public:
  explicit KeyboardDecoder(KeyboardLayout layout, std::size_t max_scan_bytes = kMaxScanBytes);
  DecodeResults feed(std::span<const std::uint8_t> report) override;
  bool reset() override;
  bool in_progress() const override { return !text_.empty() || untypable_ > 0; }

 private:
  KeyboardLayout layout_;
  std::size_t max_scan_bytes_;
  std::string text_;
  std::size_t untypable_ = 0;         // keys in this scan that typed no text
  std::uint8_t first_untypable_ = 0;  // the usage of the first such key (for the message)
  std::vector<std::uint8_t> held_;    // usages down in the previous report
  bool discarding_ = false;           // after an error: drop keys up to the next Enter
  bool notify_discard_ = false;
  std::size_t discarded_keys_ = 0;
};

// Encoders, for the simulator and the tests: the reports a scanner would send.
// HID POS: `bytes` split into 64-byte reports as above; an empty payload is one report with
// length 0. `aim` is empty or three characters ("]Q1").
std::vector<Report> encode_hid_pos_reports(std::string_view bytes, std::string_view aim = "]Q1");
// Keyboard: a press and a release report per character (Shift where the layout needs it), then
// Enter. invalid_argument naming the offset of a character the layout cannot type (anything but
// printable ASCII, space and tab).
Expected<std::vector<Report>> encode_keyboard_reports(std::string_view ascii_text,
                                                      KeyboardLayout layout);

// The usage pages a HID report descriptor declares (Usage Page items, in order of appearance).
// Used to check that an interface is a bar code scanner (0x8C). malformed when an item runs
// past the end of the descriptor.
Expected<std::vector<std::uint16_t>> hid_usage_pages(std::span<const std::uint8_t> descriptor);

}  // namespace madoguchi::scanner
