// Boot-protocol keyboard reports to text and back (reports.h; docs/formats/scanner-reports.md).
// Key usages are from the HID Usage Tables, Keyboard/Keypad page (0x07).
#include <algorithm>
#include <array>
#include <cstdio>
#include <string>

#include "madoguchi/scanner/reports.h"

namespace madoguchi::scanner {
namespace {

constexpr std::uint8_t kModLeftShift = 0x02;
constexpr std::uint8_t kModRightShift = 0x20;
constexpr std::uint8_t kModShift = kModLeftShift | kModRightShift;
// Ctrl, Alt and GUI (left and right): a key typed with one of them is a command, not text.
constexpr std::uint8_t kModCommand = 0xFF & ~kModShift;

struct KeyChars {
  char plain;
  char shifted;  // 0: the layout types nothing
};

// Keys that type the same on both layouts.
std::optional<KeyChars> common_key(std::uint8_t usage) {
  if (usage >= 0x04 && usage <= 0x1D) {
    const char c = static_cast<char>('a' + (usage - 0x04));
    return KeyChars{c, static_cast<char>(c - 'a' + 'A')};
  }
  switch (usage) {
    case 0x2B: return KeyChars{'\t', 0};
    case 0x2C: return KeyChars{' ', ' '};
    case 0x36: return KeyChars{',', '<'};
    case 0x37: return KeyChars{'.', '>'};
    case 0x38: return KeyChars{'/', '?'};
    // Keypad (Num Lock on, as scanners assume). Shifted keypad keys are navigation, not text.
    case 0x54: return KeyChars{'/', 0};
    case 0x55: return KeyChars{'*', 0};
    case 0x56: return KeyChars{'-', 0};
    case 0x57: return KeyChars{'+', 0};
    case 0x62: return KeyChars{'0', 0};
    case 0x63: return KeyChars{'.', 0};
    default: break;
  }
  if (usage >= 0x59 && usage <= 0x61) return KeyChars{static_cast<char>('1' + (usage - 0x59)), 0};
  return std::nullopt;
}

std::optional<KeyChars> us_key(std::uint8_t usage) {
  static constexpr char kShiftedDigits[] = "!@#$%^&*()";
  if (usage >= 0x1E && usage <= 0x27) {
    const int i = usage - 0x1E;  // 1..9, then 0
    return KeyChars{i == 9 ? '0' : static_cast<char>('1' + i), kShiftedDigits[i]};
  }
  switch (usage) {
    case 0x2D: return KeyChars{'-', '_'};
    case 0x2E: return KeyChars{'=', '+'};
    case 0x2F: return KeyChars{'[', '{'};
    case 0x30: return KeyChars{']', '}'};
    case 0x31: return KeyChars{'\\', '|'};
    case 0x32: return KeyChars{'\\', '|'};  // "Non-US #": the same key code on Linux and Windows
    case 0x33: return KeyChars{';', ':'};
    case 0x34: return KeyChars{'\'', '"'};
    case 0x35: return KeyChars{'`', '~'};
    default: return common_key(usage);
  }
}

// Japanese 106/109 (JIS) layout, as Windows and Linux (xkb "jp") map it.
std::optional<KeyChars> jp_key(std::uint8_t usage) {
  static constexpr char kShiftedDigits[] = "!\"#$%&'()";  // Shift+0 types nothing on JIS
  if (usage >= 0x1E && usage <= 0x27) {
    const int i = usage - 0x1E;
    if (i == 9) return KeyChars{'0', 0};
    return KeyChars{static_cast<char>('1' + i), kShiftedDigits[i]};
  }
  switch (usage) {
    case 0x2D: return KeyChars{'-', '='};
    case 0x2E: return KeyChars{'^', '~'};
    case 0x2F: return KeyChars{'@', '`'};
    case 0x30: return KeyChars{'[', '{'};
    case 0x31: return KeyChars{']', '}'};  // hosts map 0x31 and 0x32 to the same key
    case 0x32: return KeyChars{']', '}'};
    case 0x33: return KeyChars{';', '+'};
    case 0x34: return KeyChars{':', '*'};
    case 0x35: return std::nullopt;        // 半角/全角 (input-method toggle)
    case 0x87: return KeyChars{'\\', '_'};  // International1, the ろ key
    case 0x89: return KeyChars{'\\', '|'};  // International3, the ￥ key (0x5C shows as ¥ in JIS)
    default: return common_key(usage);
  }
}

std::string hex2(std::uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", static_cast<unsigned>(b));
  return buf;
}

}  // namespace

std::string_view keyboard_layout_name(KeyboardLayout layout) noexcept {
  return layout == KeyboardLayout::us ? "us" : "jp106";
}

Expected<KeyboardLayout> parse_keyboard_layout(std::string_view name) {
  if (name == "us") return KeyboardLayout::us;
  if (name == "jp106" || name == "jp109" || name == "jp") return KeyboardLayout::jp106;
  return make_error(Errc::invalid_argument,
                    "unknown keyboard layout \"" + std::string(name) + "\" (us, jp106, jp109)");
}

std::optional<char> key_to_ascii(KeyboardLayout layout, std::uint8_t usage, bool shift) noexcept {
  const auto chars = layout == KeyboardLayout::us ? us_key(usage) : jp_key(usage);
  if (!chars) return std::nullopt;
  const char c = shift ? chars->shifted : chars->plain;
  if (c == 0) return std::nullopt;
  return c;
}

KeyboardDecoder::KeyboardDecoder(KeyboardLayout layout, std::size_t max_scan_bytes)
    : layout_(layout), max_scan_bytes_(max_scan_bytes) {}

bool KeyboardDecoder::reset() {
  const bool dropped = in_progress();
  text_.clear();
  untypable_ = 0;
  first_untypable_ = 0;
  held_.clear();
  discarding_ = false;
  notify_discard_ = false;
  discarded_keys_ = 0;
  return dropped;
}

DecodeResults KeyboardDecoder::feed(std::span<const std::uint8_t> report) {
  DecodeResults out;
  auto fail = [&](Errc code, std::string message) {
    const bool had_scan = in_progress();
    if (had_scan) message += " (the scan in progress is dropped)";
    text_.clear();
    untypable_ = 0;
    discarding_ = true;  // in step again after the next Enter
    // With no scan in progress, the keys up to the next Enter may be a scan whose start was in
    // the broken report: they are dropped too, and that is reported when it happens.
    notify_discard_ = !had_scan;
    discarded_keys_ = 0;
    out.emplace_back(make_error(code, "keyboard report: " + std::move(message)));
  };

  if (report.size() != kKeyboardReportSize) {
    held_.clear();
    fail(Errc::malformed, "size " + std::to_string(report.size()) + " bytes, expected " +
                              std::to_string(kKeyboardReportSize));
    return out;
  }
  const std::uint8_t modifiers = report[0];
  const auto keys = report.subspan(2, 6);
  // Phantom state: more keys down than the report can carry. It says nothing about which keys
  // are down, so it changes nothing (the next real report is compared with the last real one).
  if (std::all_of(keys.begin(), keys.end(), [](std::uint8_t k) { return k == kKeyErrorRollOver; })) {
    return out;
  }
  for (std::uint8_t k : keys) {
    if (k == kKeyErrorRollOver || k == 0x02 || k == 0x03) {  // ErrorRollOver, POSTFail, ErrorUndefined
      held_.clear();
      fail(Errc::malformed, "error usage " + hex2(k) + " among the keys");
      return out;
    }
  }

  std::vector<std::uint8_t> now;
  for (std::uint8_t k : keys) {
    if (k == 0 || (k >= 0xE0 && k <= 0xE7)) continue;  // empty slot; modifiers live in byte 0
    if (std::find(now.begin(), now.end(), k) != now.end()) continue;
    now.push_back(k);
  }
  const bool shift = (modifiers & kModShift) != 0;
  const bool command = (modifiers & kModCommand) != 0;
  for (std::uint8_t k : now) {
    if (std::find(held_.begin(), held_.end(), k) != held_.end()) continue;  // still held
    if (k == kKeyEnter || k == kKeypadEnter) {
      if (discarding_) {
        discarding_ = false;
        if (notify_discard_ && discarded_keys_ > 0) {
          out.emplace_back(make_error(Errc::malformed,
                                      "keyboard scan dropped: it followed an unreadable report"));
        }
      } else if (untypable_ > 0) {
        out.emplace_back(make_error(
            Errc::malformed, "keyboard scan of " + std::to_string(text_.size() + untypable_) +
                                 " keys had " + std::to_string(untypable_) +
                                 " that type no text in layout " +
                                 std::string(keyboard_layout_name(layout_)) + " (first: usage " +
                                 hex2(first_untypable_) + "); the scan is dropped"));
      } else if (!text_.empty()) {
        out.emplace_back(Scan{std::move(text_), {}});
      }
      text_.clear();
      untypable_ = 0;
      continue;
    }
    if (discarding_) {
      ++discarded_keys_;
      continue;
    }
    const auto c = command ? std::nullopt : key_to_ascii(layout_, k, shift);
    if (!c) {
      if (untypable_++ == 0) first_untypable_ = k;
    } else {
      text_ += *c;
    }
    if (text_.size() + untypable_ > max_scan_bytes_) {
      fail(Errc::too_large, "scan longer than " + std::to_string(max_scan_bytes_) + " bytes");
    }
  }
  held_ = std::move(now);
  return out;
}

Expected<std::vector<Report>> encode_keyboard_reports(std::string_view ascii_text,
                                                      KeyboardLayout layout) {
  std::vector<Report> reports;
  auto press = [&](std::uint8_t usage, bool shift) {
    reports.push_back(Report{static_cast<std::uint8_t>(shift ? kModLeftShift : 0), 0, usage, 0, 0, 0, 0, 0});
    reports.push_back(Report(kKeyboardReportSize, 0));
  };
  for (std::size_t i = 0; i < ascii_text.size(); ++i) {
    const char c = ascii_text[i];
    bool found = false;
    for (int u = 0x04; u <= 0xFF && !found; ++u) {
      const auto usage = static_cast<std::uint8_t>(u);
      if (usage >= 0x54 && usage <= 0x63) continue;           // prefer the main block to the keypad
      if (layout == KeyboardLayout::jp106 && usage == 0x31) continue;  // JIS keyboards send 0x32
      for (bool shift : {false, true}) {
        if (key_to_ascii(layout, usage, shift) == c) {
          press(usage, shift);
          found = true;
          break;
        }
      }
    }
    if (!found) {
      return make_error(Errc::invalid_argument,
                        "byte at offset " + std::to_string(i) + " cannot be typed in layout " +
                            std::string(keyboard_layout_name(layout)));
    }
  }
  press(kKeyEnter, false);
  return reports;
}

}  // namespace madoguchi::scanner
