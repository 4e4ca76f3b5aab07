// HID POS report decoding and encoding (layout: reports.h and docs/formats/scanner-reports.md),
// and the report descriptor walk that finds an interface's usage pages.
#include <algorithm>
#include <cstdio>
#include <string>

#include "madoguchi/scanner/reports.h"

namespace madoguchi::scanner {
namespace {

std::string hex2(std::uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", static_cast<unsigned>(b));
  return buf;
}

bool printable(std::uint8_t b) { return b >= 0x21 && b <= 0x7E; }

}  // namespace

HidPosDecoder::HidPosDecoder(std::size_t max_scan_bytes) : max_scan_bytes_(max_scan_bytes) {}

bool HidPosDecoder::reset() {
  const bool dropped = started_;
  data_.clear();
  symbology_.clear();
  started_ = false;
  discarding_ = false;
  notify_discard_ = false;
  return dropped;
}

void HidPosDecoder::drop_until_end(bool flags_readable, bool more) {
  // When the broken report's own flags cannot be read and no scan was in progress, the reports
  // up to the end of the message may be a scan of their own (or the rest of the broken one):
  // they are dropped, and that is reported when it happens.
  notify_discard_ = !started_ && !flags_readable;
  const bool report_ended_message = flags_readable && !more;
  data_.clear();
  symbology_.clear();
  started_ = false;
  // When the offending report itself was the last of its message we are in step again;
  // otherwise the rest of that message must not be taken for a new scan.
  discarding_ = !report_ended_message;
}

DecodeResults HidPosDecoder::feed(std::span<const std::uint8_t> report) {
  DecodeResults out;
  const bool sized = report.size() == kHidPosReportSize;
  const bool more = sized && (report[kHidPosFlagsOffset] & kHidPosMoreData) != 0;
  const bool was_started = started_;
  auto fail = [&](Errc code, std::string message) {
    if (was_started) message += " (the scan in progress is dropped)";
    drop_until_end(sized, more);
    out.emplace_back(make_error(code, "HID POS report: " + std::move(message)));
    return out;
  };

  if (!sized) {
    return fail(Errc::malformed, "size " + std::to_string(report.size()) + " bytes, expected " +
                                     std::to_string(kHidPosReportSize));
  }
  if (report[0] != kHidPosReportId) {
    return fail(Errc::malformed, "unexpected report ID " + hex2(report[0]) + ", expected " +
                                     hex2(kHidPosReportId));
  }
  const std::size_t length = report[1];
  if (length > kHidPosMaxData) {
    return fail(Errc::malformed, "data length " + std::to_string(length) + " over " +
                                     std::to_string(kHidPosMaxData));
  }
  std::string aim;
  if (report[2] == 0 && report[3] == 0 && report[4] == 0) {
    // no symbology identifier
  } else if (report[2] == ']' && printable(report[3]) && printable(report[4])) {
    aim.assign(reinterpret_cast<const char*>(report.data()) + 2, 3);
  } else {
    return fail(Errc::malformed, "symbology identifier is neither \"]cm\" nor empty");
  }

  if (discarding_) {
    if (!more) {  // the broken message ends here; in step from the next one
      discarding_ = false;
      if (notify_discard_) {
        out.emplace_back(make_error(Errc::malformed,
                                    "HID POS scan dropped: it followed an unreadable report"));
      }
    }
    return out;
  }
  if (started_ && aim != symbology_) {
    return fail(Errc::malformed, "symbology identifier changed inside a continued scan");
  }
  if (data_.size() + length > max_scan_bytes_) {
    return fail(Errc::too_large, "scan longer than " + std::to_string(max_scan_bytes_) + " bytes");
  }
  if (!started_) {
    started_ = true;
    symbology_ = aim;
  }
  data_.append(reinterpret_cast<const char*>(report.data()) + kHidPosDataOffset, length);
  if (more) return out;

  Scan scan{std::move(data_), std::move(symbology_)};
  reset();
  if (scan.bytes.empty()) return out;  // an empty read (no code decoded) is not a scan
  out.emplace_back(std::move(scan));
  return out;
}

std::vector<Report> encode_hid_pos_reports(std::string_view bytes, std::string_view aim) {
  assert(aim.empty() || aim.size() == 3);
  std::vector<Report> reports;
  std::size_t offset = 0;
  do {
    const std::size_t n = std::min(kHidPosMaxData, bytes.size() - offset);
    Report r(kHidPosReportSize, 0);
    r[0] = kHidPosReportId;
    r[1] = static_cast<std::uint8_t>(n);
    for (std::size_t i = 0; i < aim.size(); ++i) r[2 + i] = static_cast<std::uint8_t>(aim[i]);
    std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(offset), n,
                r.begin() + static_cast<std::ptrdiff_t>(kHidPosDataOffset));
    offset += n;
    if (offset < bytes.size()) r[kHidPosFlagsOffset] = kHidPosMoreData;
    reports.push_back(std::move(r));
  } while (offset < bytes.size());
  return reports;
}

Expected<std::vector<std::uint16_t>> hid_usage_pages(std::span<const std::uint8_t> d) {
  std::vector<std::uint16_t> pages;
  std::size_t i = 0;
  while (i < d.size()) {
    const std::uint8_t prefix = d[i];
    if (prefix == 0xFE) {  // long item: 0xFE, data size, tag, data
      if (i + 2 >= d.size()) {
        return make_error(Errc::malformed, "HID report descriptor: long item cut at offset " +
                                               std::to_string(i));
      }
      const std::size_t size = d[i + 1];
      if (d.size() - i - 3 < size) {
        return make_error(Errc::malformed, "HID report descriptor: long item runs past the end at offset " +
                                               std::to_string(i));
      }
      i += 3 + size;
      continue;
    }
    const std::size_t size = (prefix & 0x03) == 3 ? 4 : (prefix & 0x03);
    if (d.size() - i - 1 < size) {
      return make_error(Errc::malformed, "HID report descriptor: item runs past the end at offset " +
                                             std::to_string(i));
    }
    // Usage Page: global item (type 1), tag 0 -> prefix 0000 01ss.
    if ((prefix & 0xFC) == 0x04) {
      std::uint32_t value = 0;
      for (std::size_t k = 0; k < size; ++k) value |= std::uint32_t{d[i + 1 + k]} << (8 * k);
      pages.push_back(static_cast<std::uint16_t>(value & 0xFFFF));
    }
    i += 1 + size;
  }
  return pages;
}

}  // namespace madoguchi::scanner
