#include "madoguchi/domain/alarm.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace madoguchi::domain {

namespace {

struct KindName {
  AlarmKind kind;
  std::string_view code;
  std::string_view label;
};
constexpr KindName kKinds[] = {
    {AlarmKind::linkage, "linkage", "連携"},
    {AlarmKind::held_records, "held_records", "保留中の記録"},
    {AlarmKind::center_unreachable, "center_unreachable", "交付センター"},
    {AlarmKind::issuance_errors, "issuance_errors", "証明書交付"},
    {AlarmKind::revocation, "revocation", "失効情報"},
    {AlarmKind::disk_space, "disk_space", "ディスク容量"},
    {AlarmKind::device_silent, "device_silent", "端末"},
    {AlarmKind::device_certificate, "device_certificate", "端末の証明書"},
};

std::string duration_text(std::int64_t ms) {
  const std::int64_t minutes = std::max<std::int64_t>(ms, 0) / 60000;
  if (minutes < 1) return "1分未満";
  if (minutes < 120) return std::to_string(minutes) + "分";
  if (minutes < 48 * 60) return std::to_string(minutes / 60) + "時間";
  return std::to_string(minutes / (24 * 60)) + "日";
}

std::string size_text(std::uint64_t bytes) {
  constexpr std::uint64_t kMiB = 1024 * 1024;
  if (bytes >= 10 * 1024 * kMiB) return std::to_string(bytes / (1024 * kMiB)) + " GiB";
  return std::to_string(bytes / kMiB) + " MiB";
}

bool in_office_hours(const AlarmInputs& in, const AlarmPolicy& p) {
  const bool workday = (in.jst_weekday >= 1 && in.jst_weekday <= 5) || (p.office_saturday && in.jst_weekday == 6);
  return workday && in.jst_minute_of_day >= p.office_open_minute && in.jst_minute_of_day < p.office_close_minute;
}

void observe_devices(const AlarmInputs& in, const AlarmPolicy& p, std::vector<AlarmCondition>& out) {
  const bool office = in_office_hours(in, p);
  for (const auto& d : in.devices) {
    const std::string where = "端末 " + d.device;
    // The linkage server's silence is the linkage guard's finding; counter PCs are watched here,
    // in office hours only (they are switched off at night).
    if (d.role == "counter" && office && d.last_ms != 0 && in.now_ms - d.last_ms > p.device_silent_ms) {
      out.push_back({"device_silent:" + d.device, AlarmKind::device_silent, AlarmLevel::warning, where,
                     "端末からの報告が" + duration_text(in.now_ms - d.last_ms) + "ありません（電源、ネットワーク、エージェントの停止）。"});
    }
    if (d.cert_not_after_ms != 0 && d.cert_not_after_ms - in.now_ms < p.certificate_warn_ms) {
      const bool expired = d.cert_not_after_ms <= in.now_ms;
      out.push_back({"device_certificate:" + d.device, AlarmKind::device_certificate,
                     expired ? AlarmLevel::critical : AlarmLevel::warning, where,
                     expired ? std::string("端末の証明書の有効期限が切れています。ハブに接続できません。再発行してください。")
                             : "端末の証明書の有効期限まであと" + duration_text(d.cert_not_after_ms - in.now_ms) +
                                   "です。期限前に再発行してください。"});
    }
  }
}

void observe_issuance(const IssuanceHealth& h, std::int64_t now_ms, const AlarmPolicy& p, std::vector<AlarmCondition>& out) {
  if (h.in_service_hours) {
    const std::int64_t since = h.center_last_ms != 0 ? h.center_last_ms : h.watching_since_ms;
    if (now_ms - since > p.center_silent_ms) {
      out.push_back({"center_unreachable", AlarmKind::center_unreachable, AlarmLevel::critical, "交付センター",
                     h.center_last_ms != 0
                         ? "交付センターからの接続が" + duration_text(now_ms - since) + "ありません。コンビニで証明書を発行できていない可能性があります。"
                         : "ハブの起動から" + duration_text(now_ms - since) + "、交付センターからの接続がありません。"});
    }
  }
  if (h.errors >= p.issuance_errors && h.errors > 0) {
    out.push_back({"issuance_errors", AlarmKind::issuance_errors, AlarmLevel::critical, "ハブ 証明書交付",
                   "直近" + duration_text(p.issuance_error_window_ms) + "に証明書の交付処理が " + std::to_string(h.errors) +
                       " 件失敗しました" + (h.last_error.empty() ? std::string("。") : "（最後: " + h.last_error + "）。")});
  }
  if (h.revocation_stale) {
    out.push_back({"revocation", AlarmKind::revocation, AlarmLevel::critical, "ハブ 公的個人認証",
                   (h.revocation_text.empty() ? std::string("失効リストを確認できません。") : h.revocation_text) +
                       "確認できるまで、すべての交付を止めています。"});
  } else if (!h.ocsp_trouble.empty()) {
    out.push_back({"ocsp", AlarmKind::revocation, AlarmLevel::warning, "ハブ 公的個人認証（OCSP）",
                   "OCSPレスポンダに問い合わせできません（" + h.ocsp_trouble +
                       "）。失効リストで確認して交付を続けています。失効リストの次回更新までに復旧させてください。"});
  }
}

void observe_disks(const std::vector<DiskSpace>& disks, const AlarmPolicy& p, std::vector<AlarmCondition>& out) {
  for (const auto& d : disks) {
    if (d.total_bytes == 0) continue;
    const std::uint64_t by_percent = d.total_bytes / 100 * p.disk_min_free_percent;
    const std::uint64_t floor = std::max(p.disk_min_free_bytes, by_percent);
    if (d.free_bytes >= floor) continue;
    const bool critical = d.free_bytes < floor / 5;
    out.push_back({"disk:" + d.path, AlarmKind::disk_space, critical ? AlarmLevel::critical : AlarmLevel::warning, "ハブ " + d.path,
                   "ディスクの空きが " + size_text(d.free_bytes) + "（" +
                       std::to_string(d.free_bytes * 100 / d.total_bytes) + "%）です。" +
                       (critical ? "記録を書き込めなくなる前に、容量を空けてください。" : "容量の確保を計画してください。")});
  }
}

}  // namespace

std::string_view alarm_kind_code(AlarmKind k) noexcept {
  for (const auto& n : kKinds) {
    if (n.kind == k) return n.code;
  }
  return "linkage";
}

std::string_view alarm_kind_label(AlarmKind k) noexcept {
  for (const auto& n : kKinds) {
    if (n.kind == k) return n.label;
  }
  return "";
}

std::optional<AlarmKind> alarm_kind_from_code(std::string_view code) noexcept {
  for (const auto& n : kKinds) {
    if (n.code == code) return n.kind;
  }
  return std::nullopt;
}

std::string_view alarm_level_code(AlarmLevel l) noexcept { return l == AlarmLevel::critical ? "critical" : "warning"; }
std::string_view alarm_level_label(AlarmLevel l) noexcept { return l == AlarmLevel::critical ? "重大" : "警告"; }
std::optional<AlarmLevel> alarm_level_from_code(std::string_view code) noexcept {
  if (code == "critical") return AlarmLevel::critical;
  if (code == "warning") return AlarmLevel::warning;
  return std::nullopt;
}

std::vector<AlarmCondition> observe_alarms(const AlarmInputs& in, const AlarmPolicy& policy) {
  std::vector<AlarmCondition> out;
  if (in.linkage) {
    for (const auto& f : *in.linkage) {
      out.push_back({std::string(linkage_concern_code(f.concern)) + ":" + f.where, AlarmKind::linkage,
                     f.suppresses ? AlarmLevel::critical : AlarmLevel::warning, f.where,
                     f.text + (f.suppresses ? "この間、コンビニ交付を止めています。" : "")});
    }
  }
  if (in.held_records > 0) {
    out.push_back({"held_records", AlarmKind::held_records, AlarmLevel::warning, "連携 外字対照表",
                   "外字の登録待ちで保留中の記録が " + std::to_string(in.held_records) +
                       " 件あります。外字対照表で文字を確定してください。"});
  }
  if (in.issuance) observe_issuance(*in.issuance, in.now_ms, policy, out);
  observe_disks(in.disks, policy, out);
  observe_devices(in, policy, out);
  // One alarm per key (two findings of one kind at one place read as one).
  std::stable_sort(out.begin(), out.end(), [](const AlarmCondition& a, const AlarmCondition& b) {
    return std::tie(a.kind, a.key) < std::tie(b.kind, b.key);
  });
  out.erase(std::unique(out.begin(), out.end(), [](const AlarmCondition& a, const AlarmCondition& b) { return a.key == b.key; }),
            out.end());
  return out;
}

AlarmPlan plan_alarms(const std::vector<Alarm>& standing, const std::vector<AlarmCondition>& observed,
                      const std::vector<AlarmKind>& unread) {
  AlarmPlan plan;
  std::map<std::string, const Alarm*> by_key;
  for (const auto& a : standing) {
    if (!a.active() || std::find(unread.begin(), unread.end(), a.condition.kind) != unread.end()) continue;
    by_key.emplace(a.condition.key, &a);
  }
  for (const auto& c : observed) {
    auto it = by_key.find(c.key);
    if (it == by_key.end()) {
      plan.raise.push_back(c);
      continue;
    }
    const Alarm& a = *it->second;
    by_key.erase(it);
    if (c.level == AlarmLevel::critical && a.condition.level != AlarmLevel::critical) {
      plan.clear.push_back(a.id);  // escalated: a new alarm, to be heard and acknowledged again
      plan.raise.push_back(c);
    } else {
      plan.update.emplace_back(a.id, c);
    }
  }
  for (const auto& [key, a] : by_key) plan.clear.push_back(a->id);
  return plan;
}

}  // namespace madoguchi::domain
