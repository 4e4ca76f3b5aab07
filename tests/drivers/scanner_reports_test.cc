// Report decoders of drivers/scanner (ISS-1, ISS-13: QR codes read by a USB scanner). The
// sequences below are written out byte by byte the way a scanner sends them (layouts in
// docs/formats/scanner-reports.md), not produced by our own encoders, so a shared mistake in
// encoder and decoder cannot hide.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "madoguchi/scanner/reports.h"
#include "madoguchi/text/encoding.h"

namespace s = madoguchi::scanner;
using madoguchi::Errc;
using s::Report;

namespace {

// A HID POS report: ID 2, length, AIM id, data, zero padding, continuation flag in byte 63.
Report pos_report(std::string_view data, bool more, std::string_view aim = "]Q1",
                  std::uint8_t code_id = 's') {
  Report r(64, 0);
  r[0] = 0x02;
  r[1] = static_cast<std::uint8_t>(data.size());
  for (std::size_t i = 0; i < aim.size(); ++i) r[2 + i] = static_cast<std::uint8_t>(aim[i]);
  for (std::size_t i = 0; i < data.size(); ++i) r[5 + i] = static_cast<std::uint8_t>(data[i]);
  r[61] = code_id;
  r[63] = more ? 0x01 : 0x00;
  return r;
}

struct Fed {
  std::vector<s::Scan> scans;
  std::vector<madoguchi::Error> errors;
};

Fed feed_all(s::ReportDecoder& d, const std::vector<Report>& reports) {
  Fed fed;
  for (const Report& r : reports) {
    for (auto& result : d.feed(r)) {
      if (result) {
        fed.scans.push_back(std::move(*result));
      } else {
        fed.errors.push_back(result.error());
      }
    }
  }
  return fed;
}

// Shift_JIS bytes of 「東京都千代田区霞が関２丁目　山田　太郎」 and the like, repeated to ~3 KB:
// the size of a long issuance-list QR code.
std::string long_sjis_payload() {
  auto sjis = madoguchi::text::utf8_to_cp932(
      "交付対象者,131016,0001,山田　太郎,ヤマダ　タロウ,東京都千代田区霞が関２丁目１番２号,髙橋﨑\r\n");
  REQUIRE(sjis.ok());
  std::string out;
  while (out.size() < 3000) out += *sjis;
  return out;
}

Report kb(std::uint8_t modifiers, std::vector<std::uint8_t> keys) {
  Report r(8, 0);
  r[0] = modifiers;
  for (std::size_t i = 0; i < keys.size(); ++i) r[2 + i] = keys[i];
  return r;
}
const Report kUp = kb(0, {});
constexpr std::uint8_t kShift = 0x02;

}  // namespace

TEST_CASE("HID POS: a single report scan keeps the AIM identifier and ignores padding",
          "[scanner][hid_pos]") {
  s::HidPosDecoder d;
  const Fed fed = feed_all(d, {pos_report("ABC-123", false)});
  REQUIRE(fed.errors.empty());
  REQUIRE(fed.scans.size() == 1);
  CHECK(fed.scans[0].bytes == "ABC-123");
  CHECK(fed.scans[0].symbology == "]Q1");
  CHECK_FALSE(d.in_progress());
}

TEST_CASE("HID POS: a 3 KB Shift_JIS payload over many reports is joined byte for byte",
          "[scanner][hid_pos]") {
  const std::string payload = long_sjis_payload();
  std::vector<Report> reports;
  for (std::size_t off = 0; off < payload.size(); off += 56) {
    const std::string_view chunk = std::string_view(payload).substr(off, 56);
    reports.push_back(pos_report(chunk, off + 56 < payload.size()));
  }
  REQUIRE(reports.size() > 50);
  s::HidPosDecoder d;
  Fed fed;
  for (std::size_t i = 0; i < reports.size(); ++i) {
    auto out = d.feed(reports[i]);
    if (i + 1 < reports.size()) {
      REQUIRE(out.empty());  // nothing until the last report
      REQUIRE(d.in_progress());
    } else {
      REQUIRE(out.size() == 1);
      REQUIRE(out[0].ok());
      fed.scans.push_back(std::move(*out[0]));
    }
  }
  CHECK(fed.scans[0].bytes == payload);
  auto utf8 = madoguchi::text::cp932_to_utf8(fed.scans[0].bytes);
  REQUIRE(utf8.ok());
  CHECK(utf8->find("山田　太郎") != std::string::npos);
  CHECK(utf8->find("髙橋﨑") != std::string::npos);
}

TEST_CASE("HID POS: the two-report example of the vendor manuals", "[scanner][hid_pos]") {
  // 60 data bytes: 56 in the first report (flag set), 4 in the second.
  const std::string data = "M1GATHERGOOD/MICHAEL YABCDEF LHRDURAK 3542 052Y003D23  ABCDE";
  REQUIRE(data.size() == 60);
  s::HidPosDecoder d;
  const Fed fed = feed_all(d, {pos_report(data.substr(0, 56), true), pos_report(data.substr(56), false)});
  REQUIRE(fed.errors.empty());
  REQUIRE(fed.scans.size() == 1);
  CHECK(fed.scans[0].bytes == data);
}

TEST_CASE("HID POS: binary bytes, NUL included, and scans without an AIM identifier",
          "[scanner][hid_pos]") {
  const std::string data("\x00\xFF\x81\x40\x00", 5);
  s::HidPosDecoder d;
  const Fed fed = feed_all(d, {pos_report(data, false, std::string_view("\0\0\0", 3))});
  REQUIRE(fed.scans.size() == 1);
  CHECK(fed.scans[0].bytes == data);
  CHECK(fed.scans[0].symbology.empty());
}

TEST_CASE("HID POS: garbage gives errors and the decoder resynchronises", "[scanner][hid_pos]") {
  s::HidPosDecoder d;
  SECTION("wrong size between scans, then a good scan: the next message is dropped and reported") {
    // A short report's continuation flag cannot be read, so the reports up to the next end of
    // message may be the rest of its scan: dropped, with a second error.
    const Fed fed = feed_all(d, {Report(10, 0x41), pos_report("TAIL", false), pos_report("NEXT", false)});
    REQUIRE(fed.errors.size() == 2);
    CHECK(fed.errors[0].code == Errc::malformed);
    CHECK(fed.errors[1].message.find("dropped") != std::string::npos);
    REQUIRE(fed.scans.size() == 1);
    CHECK(fed.scans[0].bytes == "NEXT");
  }
  SECTION("wrong report ID in the middle of a scan drops it; its tail is not a scan") {
    Report bad = pos_report("XX", true);
    bad[0] = 0x05;
    const Fed fed = feed_all(d, {pos_report("HEAD", true), bad, pos_report("MID", true),
                                 pos_report("TAIL", false), pos_report("GOOD", false)});
    REQUIRE(fed.errors.size() == 1);
    CHECK(fed.errors[0].message.find("report ID 0x05") != std::string::npos);
    CHECK(fed.errors[0].message.find("dropped") != std::string::npos);
    REQUIRE(fed.scans.size() == 1);
    CHECK(fed.scans[0].bytes == "GOOD");
  }
  SECTION("a length over 56 is refused; a bad report that ends its message resyncs at once") {
    Report bad = pos_report("", false);
    bad[1] = 57;
    const Fed fed = feed_all(d, {bad, pos_report("OK", false)});
    REQUIRE(fed.errors.size() == 1);
    CHECK(fed.errors[0].code == Errc::malformed);
    REQUIRE(fed.scans.size() == 1);
    CHECK(fed.scans[0].bytes == "OK");
  }
  SECTION("a symbology identifier that is not ]cm") {
    const Fed fed = feed_all(d, {pos_report("A", false, "Q1x"), pos_report("B", false)});
    REQUIRE(fed.errors.size() == 1);
    REQUIRE(fed.scans.size() == 1);
    CHECK(fed.scans[0].bytes == "B");
  }
  SECTION("the identifier changing inside a continued scan") {
    const Fed fed = feed_all(d, {pos_report("A", true, "]Q1"), pos_report("B", false, "]E0"),
                                 pos_report("C", false)});
    REQUIRE(fed.errors.size() == 1);
    REQUIRE(fed.scans.size() == 1);
    CHECK(fed.scans[0].bytes == "C");
  }
  SECTION("error messages never quote the scanned bytes") {
    Report bad = pos_report("SECRET-NAME", true);
    bad[0] = 0x07;
    const Fed fed = feed_all(d, {pos_report("TARO-YAMADA", true), bad});
    REQUIRE(fed.errors.size() == 1);
    CHECK(fed.errors[0].message.find("TARO") == std::string::npos);
    CHECK(fed.errors[0].message.find("SECRET") == std::string::npos);
  }
}

TEST_CASE("HID POS: an overlong scan is dropped with too_large, never unbounded",
          "[scanner][hid_pos]") {
  s::HidPosDecoder d(200);
  std::vector<Report> reports;
  for (int i = 0; i < 10; ++i) reports.push_back(pos_report(std::string(56, 'x'), i < 9));
  reports.push_back(pos_report("after", false));
  const Fed fed = feed_all(d, reports);
  REQUIRE(fed.errors.size() == 1);
  CHECK(fed.errors[0].code == Errc::too_large);
  REQUIRE(fed.scans.size() == 1);
  CHECK(fed.scans[0].bytes == "after");
  SECTION("exactly at the limit is accepted") {
    s::HidPosDecoder exact(112);
    const Fed ok = feed_all(exact, {pos_report(std::string(56, 'a'), true), pos_report(std::string(56, 'b'), false)});
    REQUIRE(ok.scans.size() == 1);
    CHECK(ok.scans[0].bytes.size() == 112);
  }
}

TEST_CASE("HID POS: reset drops a scan cut by unplugging", "[scanner][hid_pos]") {
  s::HidPosDecoder d;
  REQUIRE(d.feed(pos_report("HALF", true)).empty());
  CHECK(d.reset());
  CHECK_FALSE(d.reset());
  const Fed fed = feed_all(d, {pos_report("WHOLE", false)});
  REQUIRE(fed.scans.size() == 1);
  CHECK(fed.scans[0].bytes == "WHOLE");
}

TEST_CASE("HID POS: encoder and decoder round trip", "[scanner][hid_pos]") {
  const std::string kanji = long_sjis_payload();
  for (const std::string& payload : {std::string("a"), std::string(56, 'z'), std::string(57, 'y'),
                                     std::string(112, 'q'), kanji, std::string("\0\x01\xFE", 3)}) {
    const auto reports = s::encode_hid_pos_reports(payload);
    CHECK(reports.size() == (payload.size() + 55) / 56);
    for (const Report& r : reports) CHECK(r.size() == 64);
    s::HidPosDecoder d;
    const Fed fed = feed_all(d, reports);
    REQUIRE(fed.errors.empty());
    REQUIRE(fed.scans.size() == 1);
    CHECK(fed.scans[0].bytes == payload);
    CHECK(fed.scans[0].symbology == "]Q1");
  }
  SECTION("an empty payload is one empty report and no scan") {
    const auto reports = s::encode_hid_pos_reports("");
    REQUIRE(reports.size() == 1);
    s::HidPosDecoder d;
    const Fed fed = feed_all(d, reports);
    CHECK(fed.scans.empty());
    CHECK(fed.errors.empty());
  }
}

TEST_CASE("keyboard: press/release pairs with Shift and Enter (US layout)", "[scanner][keyboard]") {
  s::KeyboardDecoder d(s::KeyboardLayout::us);
  // "Ab1@" then Enter: a=0x04, b=0x05, 1=0x1E, Shift+2=0x1F is '@' on US.
  const Fed fed = feed_all(d, {kb(kShift, {0x04}), kUp, kb(0, {0x05}), kUp, kb(0, {0x1E}), kUp,
                               kb(kShift, {0x1F}), kUp, kb(0, {0x28}), kUp});
  REQUIRE(fed.errors.empty());
  REQUIRE(fed.scans.size() == 1);
  CHECK(fed.scans[0].bytes == "Ab1@");
  CHECK(fed.scans[0].symbology.empty());
}

TEST_CASE("keyboard: the Japanese 106/109 layout differs on symbols", "[scanner][keyboard]") {
  // The same usages as US "@[]:" typed on a JIS keyboard: 0x2F is '@', 0x30 '[', 0x32 ']',
  // 0x34 ':'; Shift+2 is '"', Shift+0x2D is '=', 0x87 (ろ) is '\', Shift+0x87 is '_'.
  const std::vector<Report> reports = {
      kb(0, {0x2F}), kUp, kb(0, {0x30}), kUp, kb(0, {0x32}), kUp, kb(0, {0x34}), kUp,
      kb(kShift, {0x1F}), kUp, kb(kShift, {0x2D}), kUp, kb(0, {0x87}), kUp, kb(kShift, {0x87}), kUp,
      kb(0, {0x28}), kUp};
  s::KeyboardDecoder jp(s::KeyboardLayout::jp106);
  const Fed fed = feed_all(jp, reports);
  REQUIRE(fed.errors.empty());
  REQUIRE(fed.scans.size() == 1);
  CHECK(fed.scans[0].bytes == "@[]:\"=\\_");
  // On US the same reports type other characters, and 0x87 types nothing: the scan is refused.
  s::KeyboardDecoder us(s::KeyboardLayout::us);
  const Fed us_fed = feed_all(us, reports);
  CHECK(us_fed.scans.empty());
  REQUIRE(us_fed.errors.size() == 1);
  CHECK(us_fed.errors[0].message.find("0x87") != std::string::npos);
}

TEST_CASE("keyboard: rollover counts keys when they newly appear", "[scanner][keyboard]") {
  s::KeyboardDecoder d(s::KeyboardLayout::us);
  // h, then e pressed while h is still down, h released, l, l (a release between), o with
  // l still held, phantom (ErrorRollOver) state that changes nothing, and Enter.
  const std::uint8_t h = 0x0B, e = 0x08, l = 0x0F, o = 0x12;
  const Report phantom = kb(0, {0x01, 0x01, 0x01, 0x01, 0x01, 0x01});
  const Fed fed = feed_all(d, {kb(0, {h}), kb(0, {h, e}), kb(0, {e}), kb(0, {e, l}), kb(0, {l}),
                               kUp, kb(0, {l}), kb(0, {l, o}), phantom, kb(0, {o}), kUp,
                               kb(0, {0x28}), kUp});
  REQUIRE(fed.errors.empty());
  REQUIRE(fed.scans.size() == 1);
  CHECK(fed.scans[0].bytes == "hello");
}

TEST_CASE("keyboard: several scans, empty lines and keypad digits", "[scanner][keyboard]") {
  s::KeyboardDecoder d(s::KeyboardLayout::jp106);
  const Fed fed = feed_all(d, {kb(0, {0x28}), kUp,                           // empty line: nothing
                               kb(0, {0x59}), kUp, kb(0, {0x62}), kUp, kb(0, {0x58}), kUp,  // "10" keypad Enter
                               kb(kShift, {0x04}), kUp, kb(0, {0x28}), kUp});
  REQUIRE(fed.errors.empty());
  REQUIRE(fed.scans.size() == 2);
  CHECK(fed.scans[0].bytes == "10");
  CHECK(fed.scans[1].bytes == "A");
}

TEST_CASE("keyboard: garbage and command keys", "[scanner][keyboard]") {
  s::KeyboardDecoder d(s::KeyboardLayout::us);
  SECTION("a report of the wrong size drops the scan and resyncs at Enter") {
    const Fed fed = feed_all(d, {kb(0, {0x04}), kUp, Report(5, 0x04), kb(0, {0x05}), kUp,
                                 kb(0, {0x28}), kUp, kb(0, {0x06}), kUp, kb(0, {0x28}), kUp});
    REQUIRE(fed.errors.size() == 1);
    CHECK(fed.errors[0].code == Errc::malformed);
    REQUIRE(fed.scans.size() == 1);
    CHECK(fed.scans[0].bytes == "c");  // "b" was the tail of the broken scan
  }
  SECTION("garbage between scans: the next scan is dropped too, and that is reported") {
    const Fed fed = feed_all(d, {Report(3, 0), kb(0, {0x05}), kUp, kb(0, {0x28}), kUp,
                                 kb(0, {0x06}), kUp, kb(0, {0x28}), kUp});
    REQUIRE(fed.errors.size() == 2);
    CHECK(fed.errors[1].message.find("dropped") != std::string::npos);
    REQUIRE(fed.scans.size() == 1);
    CHECK(fed.scans[0].bytes == "c");
  }
  SECTION("POSTFail among the keys") {
    const Fed fed = feed_all(d, {kb(0, {0x04}), kb(0, {0x02}), kb(0, {0x28}), kUp});
    REQUIRE(fed.errors.size() == 1);
    CHECK(fed.errors[0].message.find("0x02") != std::string::npos);
    CHECK(fed.scans.empty());
  }
  SECTION("Ctrl+key is not text: the scan is refused at Enter") {
    const Fed fed = feed_all(d, {kb(0, {0x04}), kUp, kb(0x01, {0x06}), kUp, kb(0, {0x28}), kUp,
                                 kb(0, {0x07}), kUp, kb(0, {0x28}), kUp});
    REQUIRE(fed.errors.size() == 1);
    REQUIRE(fed.scans.size() == 1);
    CHECK(fed.scans[0].bytes == "d");
  }
}

TEST_CASE("keyboard: an overlong scan is dropped with too_large", "[scanner][keyboard]") {
  s::KeyboardDecoder d(s::KeyboardLayout::us, 16);
  std::vector<Report> reports;
  for (int i = 0; i < 40; ++i) {
    reports.push_back(kb(0, {0x04}));
    reports.push_back(kUp);
  }
  reports.push_back(kb(0, {0x28}));
  reports.push_back(kUp);
  reports.push_back(kb(0, {0x05}));
  reports.push_back(kUp);
  reports.push_back(kb(0, {0x28}));
  const Fed fed = feed_all(d, reports);
  REQUIRE(fed.errors.size() == 1);
  CHECK(fed.errors[0].code == Errc::too_large);
  REQUIRE(fed.scans.size() == 1);
  CHECK(fed.scans[0].bytes == "b");
}

TEST_CASE("keyboard: encoder and decoder round trip, both layouts", "[scanner][keyboard]") {
  std::string every_printable;
  for (char c = 0x20; c < 0x7F; ++c) every_printable += c;
  every_printable += '\t';
  for (auto layout : {s::KeyboardLayout::us, s::KeyboardLayout::jp106}) {
    INFO(s::keyboard_layout_name(layout));
    for (const std::string& text : {every_printable, std::string("aa  bb@@[[::"), std::string("X")}) {
      auto reports = s::encode_keyboard_reports(text, layout);
      REQUIRE(reports.ok());
      s::KeyboardDecoder d(layout);
      const Fed fed = feed_all(d, *reports);
      REQUIRE(fed.errors.empty());
      REQUIRE(fed.scans.size() == 1);
      CHECK(fed.scans[0].bytes == text);
    }
  }
  SECTION("what a keyboard cannot carry is refused by offset") {
    auto kanji = madoguchi::text::utf8_to_cp932("AB山田");
    REQUIRE(kanji.ok());
    auto r = s::encode_keyboard_reports(*kanji, s::KeyboardLayout::jp106);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("offset 2") != std::string::npos);
    CHECK_FALSE(s::encode_keyboard_reports("line\r\n", s::KeyboardLayout::us).ok());
  }
  SECTION("a JIS keyboard's ] key is sent as usage 0x32") {
    auto r = s::encode_keyboard_reports("]", s::KeyboardLayout::jp106);
    REQUIRE(r.ok());
    CHECK((*r)[0][2] == 0x32);
  }
}

TEST_CASE("layout names", "[scanner][keyboard]") {
  CHECK(*s::parse_keyboard_layout("jp109") == s::KeyboardLayout::jp106);
  CHECK(*s::parse_keyboard_layout("us") == s::KeyboardLayout::us);
  CHECK_FALSE(s::parse_keyboard_layout("dvorak").ok());
}

TEST_CASE("HID report descriptors: usage pages", "[scanner][descriptor]") {
  // Start of a HID POS scanner's descriptor: Usage Page (0x8C), Usage (Bar Code Scanner),
  // Collection (Application), Report ID 2, Usage Page (0x8C) as a 2-byte item, Logical Max
  // 4 bytes, a long item, End Collection.
  const std::vector<std::uint8_t> pos = {0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01, 0x85, 0x02,
                                         0x06, 0x8C, 0x00, 0x27, 0xFF, 0xFF, 0x00, 0x00,
                                         0xFE, 0x02, 0x10, 0xAA, 0xBB, 0xC0};
  auto pages = s::hid_usage_pages(pos);
  REQUIRE(pages.ok());
  CHECK(*pages == std::vector<std::uint16_t>{0x8C, 0x8C});
  // A boot keyboard: Generic Desktop (0x01), Keyboard page (0x07), LEDs (0x08).
  const std::vector<std::uint8_t> keyboard = {0x05, 0x01, 0x09, 0x06, 0xA1, 0x01, 0x05, 0x07,
                                              0x05, 0x08, 0xC0};
  CHECK(*s::hid_usage_pages(keyboard) == std::vector<std::uint16_t>{0x01, 0x07, 0x08});
  // Items cut short.
  CHECK_FALSE(s::hid_usage_pages(std::vector<std::uint8_t>{0x06, 0x8C}).ok());
  CHECK_FALSE(s::hid_usage_pages(std::vector<std::uint8_t>{0xFE, 0x05, 0x00, 0x01}).ok());
  CHECK_FALSE(s::hid_usage_pages(std::vector<std::uint8_t>{0xFE}).ok());
}
