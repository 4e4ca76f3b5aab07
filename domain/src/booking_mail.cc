#include "madoguchi/domain/booking_mail.h"

#include <array>
#include <map>

namespace madoguchi::domain {

namespace {
constexpr std::array<std::string_view, 7> kWeekdays{"日", "月", "火", "水", "木", "金", "土"};

std::string date_text(const calendar::Date& d) {
  std::string out = std::to_string(d.year) + "年" + std::to_string(d.month) + "月" + std::to_string(d.day) + "日";
  if (calendar::valid_date(d)) {
    out += "（" + std::string(kWeekdays[static_cast<std::size_t>(calendar::weekday_of(d))]) + "）";
  }
  return out;
}

std::string time_text(int minute) {
  const int m = minute % 60;
  return std::to_string(minute / 60) + ":" + (m < 10 ? "0" : "") + std::to_string(m);
}

// One pass over `text`: a known {name} is replaced, anything else copied as typed.
std::string fill(std::string_view text, const std::map<std::string, std::string, std::less<>>& values) {
  std::string out;
  out.reserve(text.size() + 64);
  std::size_t i = 0;
  while (i < text.size()) {
    const auto open = text.find('{', i);
    if (open == std::string_view::npos) break;
    const auto close = text.find('}', open + 1);
    if (close == std::string_view::npos) break;
    out.append(text.substr(i, open - i));
    const auto name = text.substr(open + 1, close - open - 1);
    if (auto it = values.find(name); it != values.end()) {
      out += it->second;
      i = close + 1;
    } else {
      out += '{';  // not a placeholder: keep it and look again after the brace
      i = open + 1;
    }
  }
  out.append(text.substr(i));
  return out;
}

std::string what_to_bring(const Booking& b) {
  std::string s = "■当日お持ちいただくもの\n";
  switch (b.business) {
    case Business::collection:
      s += "・交付通知書（はがき）\n"
           "・本人確認書類（運転免許証、パスポートなど）\n"
           "・通知カード、住民基本台帳カード（お持ちの方）\n";
      break;
    case Business::application:
      s += "・本人確認書類（運転免許証、パスポートなど）\n"
           "・顔写真（縦4.5cm×横3.5cm、6か月以内に撮影したもの）\n";
      if (b.application_kind == ApplicationKind::renewal || b.application_kind == ApplicationKind::reissue) {
        s += "・お持ちのマイナンバーカード（紛失の場合は警察への届出の受理番号）\n";
      } else {
        s += "・通知カード、住民基本台帳カード（お持ちの方）\n";
      }
      break;
    case Business::cert_renewal:
      s += "・マイナンバーカード\n"
           "・有効期限通知書（お持ちの方）\n";
      break;
  }
  if (b.proxy) s += "・代理の方が来庁される場合は、委任状と代理の方の本人確認書類\n";
  return s;
}

std::string business_text(const Booking& b) {
  std::string s(business_label(b.business));
  if (b.business == Business::application && b.application_kind) {
    s += "（" + std::string(application_kind_label(*b.application_kind)) + "）";
  }
  return s;
}

std::string visit_block(const Booking& b) {
  return "受付番号：{receipt}\n"
         "日時：{date} {time}\n"
         "窓口：{counter}\n"
         "ご用件：" + business_text(b) + "\n"
         "人数：{people}\n";
}

constexpr std::string_view kHowToChange =
    "■予約の確認・変更・取消\n"
    "次のページで受付番号とパスワードを入力してください。\n"
    "{url}\n"
    "変更・取消は予約の締切までできます。締切を過ぎたときは、お電話でご連絡ください。\n";

constexpr std::string_view kPasswordByPhone = "予約のお電話でお伝えしたものです（このメールには記載していません）";

constexpr std::string_view kFooter =
    "\n"
    "このメールは送信専用のアドレスから送っています。返信はできません。\n"
    "{municipality} {service}\n";

std::string default_body(BookingMailKind kind, const Booking& b) {
  std::string s;
  switch (kind) {
    case BookingMailKind::made:
      s = "マイナンバーカードの来庁予約を受け付けました。\n\n" + visit_block(b) +
          "パスワード：{password}\n\n"
          "受付番号とパスワードは、予約の確認・変更・取消に使います。このメールを大切に保管してください。\n\n" +
          what_to_bring(b) + "\n" + std::string(kHowToChange);
      break;
    case BookingMailKind::changed:
      s = "マイナンバーカードの来庁予約を変更しました。変更後の予約は次のとおりです。\n\n" + visit_block(b) + "\n" +
          what_to_bring(b) + "\n" + std::string(kHowToChange) +
          "パスワードは予約を受け付けたときのメールでお知らせしたものです。\n";
      break;
    case BookingMailKind::cancelled:
      s = "マイナンバーカードの来庁予約を取り消しました。\n\n" + visit_block(b) +
          "\nあらためて予約するときは、次のページからお申し込みください。\n{url}\n"
          "お心当たりのないときは、お手数ですがお電話でご連絡ください。\n";
      break;
    case BookingMailKind::reminder:
      s = "マイナンバーカードの来庁予約の日が近づきましたので、お知らせします。\n\n" + visit_block(b) + "\n" +
          what_to_bring(b) + "\n" + std::string(kHowToChange);
      break;
  }
  return s + std::string(kFooter);
}

std::string subject_of(BookingMailKind kind, const Settings& settings) {
  std::string prefix = settings.municipality_name.empty() ? "" : "【" + settings.municipality_name + "】";
  switch (kind) {
    case BookingMailKind::made: return prefix + "来庁予約を受け付けました（受付番号 {receipt}）";
    case BookingMailKind::changed: return prefix + "来庁予約を変更しました（受付番号 {receipt}）";
    case BookingMailKind::cancelled: return prefix + "来庁予約を取り消しました（受付番号 {receipt}）";
    case BookingMailKind::reminder: return prefix + "来庁予約のお知らせ（{date} {time}）";
  }
  return prefix;
}
}  // namespace

std::string_view booking_mail_text_key(BookingMailKind kind) noexcept {
  switch (kind) {
    case BookingMailKind::made: return "booking_made";
    case BookingMailKind::changed: return "booking_changed";
    case BookingMailKind::cancelled: return "booking_cancelled";
    case BookingMailKind::reminder: return "booking_reminder";
  }
  return "booking_made";
}

BookingMail compose_booking_mail(BookingMailKind kind, const Booking& booking, std::string_view counter_name,
                                 const LocalDateTime& slot_start, const Settings& settings,
                                 std::string_view password, std::string_view site_url) {
  const std::map<std::string, std::string, std::less<>> values{
      {"municipality", settings.municipality_name},
      {"service", settings.service_name},
      {"receipt", booking.receipt},
      // A booking made at a counter PC reaches the hub with only the password's hash: its "made"
      // mail says where the password came from instead.
      {"password", kind != BookingMailKind::made ? std::string()
                   : password.empty()            ? std::string(kPasswordByPhone)
                                                 : std::string(password)},
      {"date", date_text(slot_start.date)},
      {"time", time_text(slot_start.minute)},
      {"counter", std::string(counter_name)},
      {"people", std::to_string(booking.people.size()) + "名"},
      {"url", std::string(site_url)},
  };
  BookingMail mail;
  // The subject's values are one line each except those an administrator typed; keep it one line.
  mail.subject = fill(subject_of(kind, settings), values);
  for (char& c : mail.subject) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  const auto custom = settings.mail_texts.find(std::string(booking_mail_text_key(kind)));
  const std::string text = custom != settings.mail_texts.end() ? custom->second : default_body(kind, booking);
  mail.body = fill(text, values);
  return mail;
}

bool reminder_due(const Booking& booking, const LocalDateTime& slot_start, const Settings& settings,
                  const LocalDateTime& now) {
  if (settings.reminder_days_before <= 0 || booking.cancelled || booking.reminded_ms != 0 || booking.email.empty()) {
    return false;
  }
  const LocalDateTime from{calendar::add_days(slot_start.date, -settings.reminder_days_before), 9 * 60};
  return !(now < from) && now < slot_start;
}

}  // namespace madoguchi::domain
