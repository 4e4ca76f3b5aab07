// QR import of the J-LIS issuance target list into card records (ISS-1, ISS-2, ISS-3, ISS-13).
// Pure conversion: a person of a parsed code (jlis::IssuanceTarget) becomes a Card of the batch
// the counter clerk set up (交付窓口, 発送番号, optional start serial numbering every card of the
// batch in read order), and each imported code leaves a record so that reading it again, at this
// counter or any other, is refused.
//
// Record: entity "jlis_code" (kJlisCodeEntity), key = imported_code_key(jlis::code_key(header)),
// i.e. "JLIS-ISS:1:131016:20261122:000123:02" (record keys are 1-128 printable ASCII without '/').
// Body (compact JSON, keys sorted): {"cards":3,"code":"JLIS-ISS/1/131016/20261122/000123/02",
// "imported_ms":1795000000000}. The body holds no personal data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "madoguchi/domain/card.h"
#include "madoguchi/error.h"
#include "madoguchi/jlis/qr_payload.h"

namespace madoguchi::domain {

inline constexpr std::string_view kJlisCodeEntity = "jlis_code";
// The largest receipt number a card holds (12 digits, validate_card()).
inline constexpr std::uint64_t kMaxReceiptNo = 999'999'999'999ULL;

// What staff set for one import batch (ISS-3).
struct ImportBatch {
  std::string counter;      // 交付窓口: 1..kMaxShortTextChars characters
  std::string shipment_no;  // 発送番号: 0..kMaxShortTextChars characters
  // 開始番号: the receipt number of the batch's first card; the next cards follow in read order.
  // nullopt: the cards get no receipt number (0).
  std::optional<std::uint64_t> start_serial;
};

// Errc::invalid_argument "<field>: <reason>" (field: counter, shipment_no, start_serial).
Status validate_import_batch(const ImportBatch& batch);

// The receipt number of the batch's card number `index` (0-based, in read order): start + index,
// or 0 without a start serial. Errc::invalid_argument "start_serial: ..." when it would pass
// kMaxReceiptNo.
Expected<std::uint64_t> batch_receipt_no(const ImportBatch& batch, std::size_t index);

// "YYYY-MM-DD".
std::string iso_date(const jlis::Date& date);

// The card of one person: source qr, the list's fields (dates as YYYY-MM-DD, sex "1"/"2"/"9", or
// "" for not known), the batch's counter and shipment number, `receipt_no`, imported_ms = now_ms.
// Errors: invalid_argument when the result does not pass validate_card() (the parser's bounds are
// within the card's, so this means a payload that did not come from the parser).
Expected<Card> card_from_target(const jlis::IssuanceTarget& target, const ImportBatch& batch,
                                std::uint64_t receipt_no, std::int64_t now_ms);

// The imported code's record key: jlis::code_key with '/' replaced by ':'.
std::string imported_code_key(std::string_view code_key);

struct ImportedCode {
  std::string code;  // jlis::code_key
  std::int64_t imported_ms = 0;
  std::size_t cards = 0;  // people of the code imported as cards
};
nlohmann::json imported_code_to_json(const ImportedCode& code);
// Errors: malformed (not an object, wrong types, bad key text).
Expected<ImportedCode> imported_code_from_json(const nlohmann::json& body);

}  // namespace madoguchi::domain
