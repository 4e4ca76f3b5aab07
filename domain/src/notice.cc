#include "madoguchi/domain/notice.h"

#include <algorithm>

#include "text.h"

namespace madoguchi::domain {

namespace {
constexpr std::string_view kWhat = "notice";
constexpr std::size_t kMaxNoticeIdBytes = 32;

Error bad(std::string_view field, std::string_view reason) { return detail::field_error(field, reason); }

bool valid_time(const LocalDateTime& t) noexcept {
  return calendar::valid_date(t.date) && t.minute >= 0 && t.minute < kMinutesPerDay;
}

Status check_time(const char* field, const LocalDateTime& t) {
  if (!valid_time(t)) return bad(field, "must be a date and time YYYY-MM-DDTHH:MM");
  return {};
}

Status check_body(std::string_view s) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size();) {
    auto cp = detail::next_code_point(s, i);
    if (!cp) return bad("body", "must be valid UTF-8");
    if (detail::is_control(*cp) && *cp != '\n' && *cp != '\r') {
      return bad("body", "must not contain control characters other than line breaks");
    }
    ++chars;
  }
  if (chars > kMaxNoticeBodyChars) return bad("body", "must be at most " + std::to_string(kMaxNoticeBodyChars) + " characters");
  return {};
}

Status read_time(const nlohmann::json& body, const char* key, std::optional<LocalDateTime>& out, bool required) {
  if (!required && !body.contains(key)) return {};
  std::string text;
  if (auto st = detail::read_string(body, kWhat, key, text, true); !st) return st;
  auto t = parse_date_time(text);
  if (!t) return bad(key, "must be a date and time YYYY-MM-DDTHH:MM");
  out = *t;
  return {};
}

// The end of the publication: publish_until, else a maintenance notice's end, else none.
std::optional<LocalDateTime> published_until(const Notice& n) noexcept {
  if (n.publish_until) return n.publish_until;
  if (n.kind == NoticeKind::maintenance) return n.maintenance_until;
  return std::nullopt;
}
}  // namespace

Status validate_notice(const Notice& n) {
  bool ok = !n.id.empty() && n.id.size() <= kMaxNoticeIdBytes;
  for (char c : n.id) {
    ok = ok && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-');
  }
  if (!ok) return bad("id", "must be 1-32 characters of A-Z a-z 0-9 _ -");
  if (auto st = detail::check_line("title", n.title, 1, kMaxNoticeTitleChars); !st) return st;
  if (auto st = check_body(n.body); !st) return st;
  if (auto st = check_time("publish_from", n.publish_from); !st) return st;
  if (n.publish_until) {
    if (auto st = check_time("publish_until", *n.publish_until); !st) return st;
    if (!(n.publish_from < *n.publish_until)) return bad("publish_until", "must be after publish_from");
  }
  if (n.kind == NoticeKind::maintenance) {
    if (!n.maintenance_from) return bad("maintenance_from", "is required for a maintenance notice");
    if (!n.maintenance_until) return bad("maintenance_until", "is required for a maintenance notice");
    if (auto st = check_time("maintenance_from", *n.maintenance_from); !st) return st;
    if (auto st = check_time("maintenance_until", *n.maintenance_until); !st) return st;
    if (!(*n.maintenance_from < *n.maintenance_until)) {
      return bad("maintenance_until", "must be after maintenance_from");
    }
    if (!n.publish_until && !(n.publish_from < *n.maintenance_until)) {
      return bad("publish_from", "must be before maintenance_until (the notice would never be shown)");
    }
  } else {
    if (n.maintenance_from) return bad("maintenance_from", "is only for a maintenance notice");
    if (n.maintenance_until) return bad("maintenance_until", "is only for a maintenance notice");
  }
  return {};
}

nlohmann::json notice_to_json(const Notice& n) {
  nlohmann::json j{{"id", n.id},
                   {"kind", n.kind == NoticeKind::maintenance ? "maintenance" : "info"},
                   {"title", n.title},
                   {"body", n.body},
                   {"publish_from", format_date_time(n.publish_from)}};
  if (n.publish_until) j["publish_until"] = format_date_time(*n.publish_until);
  if (n.maintenance_from) j["maintenance_from"] = format_date_time(*n.maintenance_from);
  if (n.maintenance_until) j["maintenance_until"] = format_date_time(*n.maintenance_until);
  return j;
}

Expected<Notice> notice_from_json(const nlohmann::json& body) {
  using namespace detail;
  if (auto st = require_object(body, kWhat); !st) return st.error();
  if (auto st = refuse_unknown_keys(body, kWhat,
                                    {"id", "kind", "title", "body", "publish_from", "publish_until",
                                     "maintenance_from", "maintenance_until"});
      !st) {
    return st.error();
  }
  Notice n;
  if (auto st = read_string(body, kWhat, "id", n.id, true); !st) return st.error();
  std::string kind;
  if (auto st = read_string(body, kWhat, "kind", kind, true); !st) return st.error();
  if (kind == "info") {
    n.kind = NoticeKind::info;
  } else if (kind == "maintenance") {
    n.kind = NoticeKind::maintenance;
  } else {
    return bad("kind", "must be info or maintenance");
  }
  if (auto st = read_string(body, kWhat, "title", n.title, true); !st) return st.error();
  if (auto st = read_string(body, kWhat, "body", n.body, false); !st) return st.error();
  std::optional<LocalDateTime> from;
  if (auto st = read_time(body, "publish_from", from, true); !st) return st.error();
  n.publish_from = *from;
  if (auto st = read_time(body, "publish_until", n.publish_until, false); !st) return st.error();
  if (auto st = read_time(body, "maintenance_from", n.maintenance_from, false); !st) return st.error();
  if (auto st = read_time(body, "maintenance_until", n.maintenance_until, false); !st) return st.error();
  if (auto st = validate_notice(n); !st) return st.error();
  return n;
}

bool notice_published(const Notice& n, const LocalDateTime& now) noexcept {
  if (now < n.publish_from) return false;
  const auto until = published_until(n);
  return !until || now < *until;
}

std::vector<Notice> published_notices(std::span<const Notice> notices, const LocalDateTime& now) {
  std::vector<Notice> out;
  for (const auto& n : notices) {
    if (notice_published(n, now)) out.push_back(n);
  }
  std::sort(out.begin(), out.end(), [](const Notice& a, const Notice& b) {
    const bool am = a.kind == NoticeKind::maintenance;
    const bool bm = b.kind == NoticeKind::maintenance;
    if (am != bm) return am;
    if (am && a.maintenance_from != b.maintenance_from) return a.maintenance_from < b.maintenance_from;
    if (!am && a.publish_from != b.publish_from) return b.publish_from < a.publish_from;
    return a.id < b.id;
  });
  return out;
}

}  // namespace madoguchi::domain
