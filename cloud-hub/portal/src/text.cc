#include "text.h"

#include <cstdint>

namespace madoguchi::portal::detail {
namespace {

// Decodes one code point at s[i]; advances i. Returns -1 on invalid UTF-8.
long decode(std::string_view s, std::size_t& i) {
  const auto c = static_cast<unsigned char>(s[i]);
  int len = 0;
  long cp = 0;
  if (c < 0x80) { ++i; return c; }
  if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
  else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
  else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
  else return -1;
  if (i + static_cast<std::size_t>(len) > s.size()) return -1;
  for (int k = 1; k < len; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
    if ((cc & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return -1;
  }
  i += static_cast<std::size_t>(len);
  return cp;
}

void encode(long cp, std::string& out) {
  const auto u = static_cast<std::uint32_t>(cp);
  if (u < 0x80) {
    out.push_back(static_cast<char>(u));
  } else if (u < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (u >> 6)));
    out.push_back(static_cast<char>(0x80 | (u & 0x3F)));
  } else if (u < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (u >> 12)));
    out.push_back(static_cast<char>(0x80 | ((u >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (u & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (u >> 18)));
    out.push_back(static_cast<char>(0x80 | ((u >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((u >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (u & 0x3F)));
  }
}

constexpr std::string_view kWeekdays[] = {"日", "月", "火", "水", "木", "金", "土"};

}  // namespace

std::size_t utf8_chars(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size();) {
    if (decode(s, i) < 0) return SIZE_MAX;
    ++n;
  }
  return n;
}

std::string trim(std::string_view s) {
  constexpr std::string_view kIdeographicSpace = "\xE3\x80\x80";
  for (;;) {
    if (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) {
      s.remove_prefix(1);
    } else if (s.starts_with(kIdeographicSpace)) {
      s.remove_prefix(kIdeographicSpace.size());
    } else {
      break;
    }
  }
  for (;;) {
    if (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
      s.remove_suffix(1);
    } else if (s.ends_with(kIdeographicSpace)) {
      s.remove_suffix(kIdeographicSpace.size());
    } else {
      break;
    }
  }
  return std::string(s);
}

std::string fold_width(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t start = i;
    const long cp = decode(s, i);
    if (cp < 0) {  // invalid byte: keep it, the caller's checks refuse it
      out.push_back(s[start]);
      i = start + 1;
      continue;
    }
    if (cp >= 0xFF01 && cp <= 0xFF5E) {
      out.push_back(static_cast<char>(cp - 0xFF01 + 0x21));
    } else if (cp == 0x3000) {
      out.push_back(' ');
    } else {
      out.append(s.substr(start, i - start));
    }
  }
  return out;
}

std::optional<int> parse_small_int(std::string_view typed, int lo, int hi) {
  const std::string s = trim(fold_width(typed));
  if (s.empty() || s.size() > 4) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v < lo || v > hi) return std::nullopt;
  return v;
}

std::optional<std::string> normalize_kana(std::string_view typed, std::size_t max_chars) {
  const std::string t = trim(typed);
  std::string out;
  std::size_t chars = 0;
  bool pending_space = false;
  for (std::size_t i = 0; i < t.size();) {
    long cp = decode(t, i);
    if (cp < 0) return std::nullopt;
    if (cp == ' ' || cp == 0x3000) {
      pending_space = true;
      continue;
    }
    if (cp >= 0x3041 && cp <= 0x3096) cp += 0x60;  // hiragana -> katakana
    const bool kana = (cp >= 0x30A1 && cp <= 0x30FA) || cp == 0x30FC || cp == 0x30FB;
    if (!kana) return std::nullopt;
    if (pending_space) {
      encode(0x3000, out);
      ++chars;
      pending_space = false;
    }
    encode(cp, out);
    ++chars;
  }
  if (chars == 0 || chars > max_chars) return std::nullopt;
  return out;
}

bool plausible_email(std::string_view s) {
  if (s.empty() || s.size() > 254) return false;
  std::size_t at = std::string_view::npos;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c <= 0x20 || c >= 0x7F) return false;
    if (c == '@') {
      if (at != std::string_view::npos) return false;
      at = i;
    }
  }
  if (at == std::string_view::npos || at == 0 || at + 1 >= s.size()) return false;
  const std::string_view domain = s.substr(at + 1);
  const auto dot = domain.find('.');
  return dot != std::string_view::npos && dot != 0 && domain.back() != '.';
}

std::optional<std::string> normalize_phone(std::string_view typed) {
  std::string s = trim(fold_width(typed));
  if (s.empty() || s.size() > 20) return std::nullopt;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || c == '-' || c == '+')) return std::nullopt;
  }
  return s;
}

std::vector<std::string> paragraphs(std::string_view text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const auto nl = text.find('\n', pos);
    const std::string line = trim(text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
    if (!line.empty()) out.push_back(line);
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return out;
}

std::string japanese_date(const calendar::Date& d) {
  if (!calendar::valid_date(d)) return calendar::format_iso(d);
  return std::to_string(d.year) + "年" + std::to_string(d.month) + "月" + std::to_string(d.day) + "日（" +
         std::string(kWeekdays[static_cast<int>(calendar::weekday_of(d))]) + "）";
}

std::string japanese_time(int minute) { return std::to_string(minute / 60) + ":" + (minute % 60 < 10 ? "0" : "") + std::to_string(minute % 60); }

std::string japanese_date_time(const domain::LocalDateTime& t) { return japanese_date(t.date) + japanese_time(t.minute); }

}  // namespace madoguchi::portal::detail
