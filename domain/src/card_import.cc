#include "madoguchi/domain/card_import.h"

#include <cstdio>

#include "text.h"

namespace madoguchi::domain {
namespace {

Error bad(std::string_view field, std::string_view reason) { return detail::field_error(field, reason); }

Status check_short(std::string_view field, std::string_view value, std::size_t min_chars) {
  const auto p = detail::check_text(value, min_chars, kMaxShortTextChars);
  if (p != detail::TextProblem::none) return bad(field, detail::text_problem_en(p, min_chars, kMaxShortTextChars));
  return {};
}

std::string sex_code(jlis::Sex s) {
  switch (s) {
    case jlis::Sex::male: return "1";
    case jlis::Sex::female: return "2";
    case jlis::Sex::not_applicable: return "9";
    case jlis::Sex::not_known: return "";
  }
  return "";
}

// Record keys: 1-128 printable ASCII characters.
bool printable_ascii(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char ch : s) {
    if (ch < 0x21 || ch > 0x7e) return false;
  }
  return true;
}

}  // namespace

Status validate_import_batch(const ImportBatch& batch) {
  if (auto st = check_short("counter", batch.counter, 1); !st) return st;
  if (auto st = check_short("shipment_no", batch.shipment_no, 0); !st) return st;
  if (batch.start_serial && (*batch.start_serial == 0 || *batch.start_serial > kMaxReceiptNo)) {
    return bad("start_serial", "must be 1 to 999999999999");
  }
  return {};
}

Expected<std::uint64_t> batch_receipt_no(const ImportBatch& batch, std::size_t index) {
  if (!batch.start_serial) return std::uint64_t{0};
  const std::uint64_t start = *batch.start_serial;
  if (start > kMaxReceiptNo || index > kMaxReceiptNo - start) {
    return bad("start_serial", "the numbering passes 999999999999");
  }
  return start + index;
}

std::string iso_date(const jlis::Date& d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year % 10000, d.month % 100, d.day % 100);
  return buf;
}

Expected<Card> card_from_target(const jlis::IssuanceTarget& t, const ImportBatch& batch, std::uint64_t receipt_no,
                                std::int64_t now_ms) {
  Card c;
  c.manufacture_no = t.card_serial;
  c.application_id = t.application_id;
  c.postcard_no = t.postcard_number;
  c.name_kanji = t.name_kanji;
  c.name_kana = t.name_kana;
  c.birth_date = iso_date(t.birth_date);
  c.sex = sex_code(t.sex);
  c.address = t.address;
  c.card_expiry = iso_date(t.card_expiry);
  if (t.certificate_expiry) c.cert_expiry = iso_date(*t.certificate_expiry);
  c.source = CardSource::qr;
  c.receipt_no = receipt_no;
  c.counter = batch.counter;
  c.shipment_no = batch.shipment_no;
  c.imported_ms = now_ms;
  if (auto st = validate_card(c); !st) return st.error();
  return c;
}

std::string imported_code_key(std::string_view code_key) {
  std::string k(code_key);
  for (char& ch : k) {
    if (ch == '/') ch = ':';
  }
  return k;
}

nlohmann::json imported_code_to_json(const ImportedCode& code) {
  return nlohmann::json{{"cards", code.cards}, {"code", code.code}, {"imported_ms", code.imported_ms}};
}

Expected<ImportedCode> imported_code_from_json(const nlohmann::json& body) {
  if (!body.is_object()) return make_error(Errc::malformed, "jlis_code: not an object");
  const auto code = body.find("code");
  const auto at = body.find("imported_ms");
  const auto cards = body.find("cards");
  if (code == body.end() || !code->is_string() || at == body.end() || !at->is_number_integer() ||
      cards == body.end() || !cards->is_number_unsigned()) {
    return make_error(Errc::malformed, "jlis_code: code, imported_ms and cards are required");
  }
  ImportedCode out;
  out.code = code->get<std::string>();
  out.imported_ms = at->get<std::int64_t>();
  out.cards = cards->get<std::size_t>();
  if (!printable_ascii(out.code)) return make_error(Errc::malformed, "jlis_code: code must be printable ASCII");
  return out;
}

}  // namespace madoguchi::domain
