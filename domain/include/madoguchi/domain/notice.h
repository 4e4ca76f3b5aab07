// Notices on the citizen booking site (RSV-3, RSV-15, SYS-2): written by administrators at the hub
// console (menu お知らせ), shown on the site's top page within their publication window.
//
// Record: entity "notice" (kNoticeEntity), key = Notice::id. Body (compact JSON, keys sorted):
//   {"body":"…","id":"2026-12-maint","kind":"maintenance","maintenance_from":"2026-12-05T22:00",
//    "maintenance_until":"2026-12-06T06:00","publish_from":"2026-11-28T00:00",
//    "publish_until":"2026-12-06T06:00","title":"システムメンテナンスのお知らせ"}
// Unknown keys are refused (Errc::malformed): a notice is an administrator's text.
//
// Rules (validate_notice):
//  - id: 1-32 of [A-Za-z0-9_-]; title: 1-100 characters, one line; body: 0-2000 characters
//    (line breaks allowed; shown as plain text, never as HTML).
//  - kind "info" or "maintenance". A maintenance notice has maintenance_from < maintenance_until
//    (RSV-15: the period is shown); an info notice has neither.
//  - publish_from (required) < publish_until (optional; absent = until removed), local date-times.
//    A maintenance notice with no publish_until is published until maintenance_until.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "madoguchi/domain/counter_master.h"  // LocalDateTime
#include "madoguchi/error.h"

namespace madoguchi::domain {

inline constexpr std::string_view kNoticeEntity = "notice";
inline constexpr std::size_t kMaxNoticeTitleChars = 100;
inline constexpr std::size_t kMaxNoticeBodyChars = 2000;

enum class NoticeKind { info, maintenance };

struct Notice {
  std::string id;
  NoticeKind kind = NoticeKind::info;
  std::string title;
  std::string body;
  LocalDateTime publish_from;
  std::optional<LocalDateTime> publish_until;
  std::optional<LocalDateTime> maintenance_from;
  std::optional<LocalDateTime> maintenance_until;
  friend bool operator==(const Notice&, const Notice&) = default;
};

Status validate_notice(const Notice& notice);
nlohmann::json notice_to_json(const Notice& notice);
Expected<Notice> notice_from_json(const nlohmann::json& body);

// Published at `now`: publish_from <= now < publish_until (or the maintenance's end).
bool notice_published(const Notice& notice, const LocalDateTime& now) noexcept;
// The notices published at `now`: maintenance notices first (by maintenance_from), then the others
// newest publish_from first.
std::vector<Notice> published_notices(std::span<const Notice> notices, const LocalDateTime& now);

}  // namespace madoguchi::domain
