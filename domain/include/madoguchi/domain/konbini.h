// Convenience-store issuance (KON-1, KON-2, KON-4, KON-7; issue 13): which certificate a resident
// authenticated at a kiosk may receive, and what it says. Pure functions over the certificate
// database's records (domain/linkage_record.h) and the municipality's policy; the hub's issuance
// service (cloud-hub konbini_service) gathers the facts, calls decide_issuance() and
// build_certificate(), and renders the document (drivers/certpdf). The kiosk interface itself is
// docs/formats/kiosk-interface.md.
//
// Deny by default: a certificate is issued only when the municipality offers its kind and every
// suppression rule of that kind (suppression_rules(), a table: code, label, kinds) positively
// passes. A rule that cannot tell (a birth date 不詳, a record that does not decode) refuses.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/calendar/date.h"
#include "madoguchi/domain/gaiji.h"
#include "madoguchi/domain/linkage_record.h"
#include "madoguchi/error.h"

namespace madoguchi::domain {

enum class CertificateKind { residence, seal, tax };
inline constexpr CertificateKind kCertificateKinds[] = {CertificateKind::residence, CertificateKind::seal,
                                                        CertificateKind::tax};
std::string_view certificate_kind_name(CertificateKind kind) noexcept;   // "residence", "seal", "tax"
std::string_view certificate_kind_label(CertificateKind kind) noexcept;  // 住民票の写し, 印鑑登録証明書, 所得・課税証明書
std::optional<CertificateKind> certificate_kind_from_name(std::string_view name) noexcept;

// A prefecture's name by its JIS X 0401 code ("13" → 東京都); "" for anything else.
std::string_view prefecture_name(std::string_view code) noexcept;

// The resident record's column that links a My Number card's user-authentication certificate
// (JPKI 利用者証明用電子証明書) to the person: its serial number, upper-case hex.
inline constexpr std::string_view kJpkiSerialColumn = "利用者証明用電子証明書シリアル番号";
// A JPKI serial as the column and the certificate state it: 1..40 hex digits, upper case, no
// leading zeros. nullopt when `serial` is not hex.
std::optional<std::string> normalize_jpki_serial(std::string_view serial);

// What the resident chose at the kiosk.
struct CertificateOptions {
  // residence: the whole household's current members, or the chosen ones (宛名番号, the
  // applicant's household only).
  bool whole_household = true;
  std::vector<std::string> members;
  bool head_and_relationship = false;  // 世帯主・続柄
  bool domicile = false;               // 本籍・筆頭者
  bool my_number = false;              // 個人番号
  int tax_year = 0;                    // tax: 課税年度, 0 = the latest offered
  bool operator==(const CertificateOptions&) const = default;
};
// The options as JSON (the kiosk interface's "options" object) and back; unknown keys and bad
// values are Errc::malformed.
std::string certificate_options_json(CertificateKind kind, const CertificateOptions& options);
Expected<CertificateOptions> certificate_options_from_json(CertificateKind kind, std::string_view json);

// The municipality's issuance policy ("konbini" in hub.json, per municipality).
struct KindPolicy {
  bool offered = false;
  std::uint32_t fee_yen = 0;
  bool head_and_relationship = false;  // options the municipality allows (residence)
  bool domicile = false;
  bool my_number = false;
};
struct Closure {
  calendar::Date from, to;  // inclusive
  std::string reason;       // shown to the resident, e.g. システム更新のため
};
struct IssuancePolicy {
  std::string municipality_name;          // as it prints: 〇〇市
  std::string mayor;                      // 〇〇市長 〇〇 〇〇
  int open_minute = 6 * 60 + 30;          // service hours, local time, every day (KON-4)
  int close_minute = 23 * 60;             // exclusive
  std::vector<Closure> closures;
  std::map<CertificateKind, KindPolicy> kinds;  // a kind not listed is not offered
  int tax_switch_month = 6;               // from this day the new 課税年度 is issued; before it
  int tax_switch_day = 1;                 // (the switch-over) only the previous year's
  int seal_min_age = 15;
};
// JSON: {"name","mayor","open":"06:30","close":"23:00","closures":[{"from","to","reason"}],
// "kinds":{"residence":{"fee":200,"options":["head_and_relationship","domicile","my_number"]},
// "seal":{"fee":200},"tax":{"fee":200}},"tax_switch":"06-01","seal_min_age":15}. Unknown keys,
// kinds and options are refused (a typo must not widen what is issued).
Expected<IssuancePolicy> issuance_policy_from_json(std::string_view json);
// Whether the municipality issues at `minute_of_day` (local) on `today`: within its hours and in
// none of its closures. decide_issuance refuses outside them; 障害通知 watches the center within.
bool in_service_hours(const IssuancePolicy& policy, const calendar::Date& today, int minute_of_day) noexcept;

// The 課税年度 a tax certificate is issued for on `today`.
int latest_tax_year(const IssuancePolicy& policy, const calendar::Date& today) noexcept;

// A flag staff set on a person (発行抑止 at the hub console): entity konbini_flag, key 宛名番号.
inline constexpr std::string_view kKonbiniFlagEntity = "konbini_flag";
struct StaffFlag {
  std::string person;
  std::string reason;  // for staff
  std::string by;
  std::int64_t at_ms = 0;
};
inline constexpr std::size_t kMaxStaffFlagReasonChars = 100;
// A flag as staff may set it: `person` a 宛名番号 as the linkage files carry it (valid_linkage_id),
// `reason` one line of 1..kMaxStaffFlagReasonChars characters. Errc::invalid_argument
// "person: ..." or "reason: ...". The reason's half on its own, for a form's field:
Status validate_staff_flag(const StaffFlag& flag);
bool valid_staff_flag_reason(std::string_view reason) noexcept;
std::string staff_flag_body(const StaffFlag& flag);
Expected<StaffFlag> staff_flag_from_body(std::string_view body);

// Everything the decision reads, gathered by the issuance service from the certificate database.
struct IssuanceFacts {
  calendar::Date today;                      // local (JST) date and time of the request
  int minute_of_day = 0;
  LinkageGuard guard;                        // domain::linkage_guard now
  std::vector<LinkageRecord> matches;        // resident records whose kJpkiSerialColumn is the card's (current or 除票)
  std::vector<LinkageRecord> household;      // current resident records of the matched person's 世帯番号
  std::vector<LinkageRecord> seals;          // seal records of the matched person
  bool seal_image_present = false;           // the registered seal's impression is in the database
  std::vector<LinkageRecord> taxes;          // tax records of the matched person
  std::map<std::string, std::map<std::string, GaijiMapping>> gaiji;  // mappings by code table, then code
  std::vector<StaffFlag> flags;              // for the persons above
  std::vector<std::string> unreadable;       // records of the person that did not decode (entity/key)
};

// The mappings of one code table among the facts' (empty when it has none).
const std::map<std::string, GaijiMapping>& gaiji_table(const IssuanceFacts& facts, std::string_view table);

// A seal impression from its seal_image records (linkage_record.h: "<SHA-256>:<part>", base64 in
// parts): the PNG's bytes, checked against the SHA-256 it is filed under. Errc::not_found when a
// part is missing, Errc::malformed when a part does not decode or the bytes do not match.
Expected<std::string> seal_image_from_parts(std::string_view sha256, const std::vector<std::string>& bodies);

struct SuppressionRule {
  std::string_view code;   // stable, on the wire and in records
  std::string_view label;  // for staff (Japanese)
  std::string_view kinds;  // the kinds it judges: "rst" subset (residence, seal, tax)
};
// The rules, in the order they are judged. Every one of a kind's rules runs; all that refuse are
// reported.
std::span<const SuppressionRule> suppression_rules() noexcept;
const SuppressionRule* suppression_rule(std::string_view code) noexcept;

struct Refusal {
  std::string code;     // a SuppressionRule's code
  std::string detail;   // for staff: which person (宛名番号) or source, never a name
};

struct IssuanceDecision {
  bool issue = false;
  std::vector<Refusal> refusals;
  // When issued: what the certificate shows.
  std::optional<LinkageRecord> subject;      // the authenticated resident
  std::vector<LinkageRecord> persons;        // residence: the members shown, in 世帯内順位 order
  std::optional<LinkageRecord> seal;
  std::optional<LinkageRecord> tax;
  std::uint32_t fee_yen = 0;
};

IssuanceDecision decide_issuance(const IssuancePolicy& policy, CertificateKind kind, const CertificateOptions& options,
                                 const IssuanceFacts& facts);

// What a certificate says, laid out by the renderer as the counter's form (A4).
struct CertificateField {
  std::string label;
  std::string value;
  bool operator==(const CertificateField&) const = default;
};
struct CertificateBlock {  // one person (residence), the registration (seal), the assessment (tax)
  std::vector<CertificateField> fields;
  bool operator==(const CertificateBlock&) const = default;
};
struct CertificateDocument {
  CertificateKind kind = CertificateKind::residence;
  std::string title;
  std::string number;                 // 証明書番号, unique per municipality
  std::string municipality;           // code
  std::string municipality_name;
  std::string mayor;
  calendar::Date issued;
  std::vector<CertificateField> header;   // household-wide lines (住所, 世帯主)
  std::vector<CertificateBlock> blocks;
  std::string statement;              // 証明文
  std::string seal_png;               // the seal certificate's impression (PNG bytes)
  std::string verification;           // the verification code printed as a QR (filled by the hub)
};

struct CertificateMeta {
  std::string municipality;
  std::string number;
};
CertificateDocument build_certificate(const IssuancePolicy& policy, CertificateKind kind, const CertificateOptions& options,
                                      const IssuanceDecision& decision, const IssuanceFacts& facts,
                                      const CertificateMeta& meta, std::string seal_png = {});

// A date as the forms print it (和暦): 令和8年12月6日.
std::string wareki_date(const calendar::Date& date);

// Every text the document prints, one per line in reading order: what a reader of the PDF must
// find in it, and what its digest covers.
std::string certificate_text(const CertificateDocument& doc);
// Hex SHA-256 of certificate_text.
std::string certificate_digest(const CertificateDocument& doc);

// The verification code (a QR on the certificate; the hub's verification page checks it):
// "MGV1." + base64url(payload) + "." + base64url(Ed25519 signature of the payload), where the
// payload is "<municipality>|<number>|<kind>|<issued YYYY-MM-DD>|<digest>". Signing is the hub's;
// the format is here.
struct VerificationPayload {
  std::string municipality, number;
  CertificateKind kind = CertificateKind::residence;
  calendar::Date issued;
  std::string digest;
};
std::string verification_payload(const CertificateDocument& doc);
std::string verification_code(std::string_view payload, std::string_view signature);
struct VerificationCode {
  VerificationPayload payload;
  std::string payload_text;
  std::string signature;
};
Expected<VerificationCode> parse_verification_code(std::string_view code);

}  // namespace madoguchi::domain
