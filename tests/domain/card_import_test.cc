// QR import conversion (ISS-1, ISS-2, ISS-3, ISS-13): a J-LIS person becomes a card of the batch,
// the batch numbers its cards from the start serial, and imported codes get records.
#include <catch2/catch.hpp>

#include <string>

#include "madoguchi/domain/card_import.h"

namespace c = madoguchi::domain;
namespace j = madoguchi::jlis;
using madoguchi::Errc;

namespace {

j::IssuanceTarget person() {
  j::IssuanceTarget p;
  const std::string first22 = "1310162026112200000001";
  p.application_id = first22 + j::application_id_check_digit(first22);
  p.card_serial = "AB12CD34EF56GH78";
  p.postcard_number = "K7X000123";
  p.name_kanji = "渡\xE9\x82\x89\xF3\xA0\x84\x90　\xF0\xA0\xAE\xB7子";  // 渡邉 + IVS, 𠮷
  p.name_kana = "ワタナベ　ヨシコ";
  p.birth_date = {2000, 2, 29};
  p.sex = j::Sex::female;
  p.address = "東京都千代田区大手町二丁目３－４";
  p.card_expiry = {2036, 2, 29};
  p.certificate_expiry = j::Date{2031, 3, 1};
  return p;
}

}  // namespace

TEST_CASE("A J-LIS person becomes a QR-sourced card of the batch (ISS-1, ISS-3)", "[console][card_import]") {
  const c::ImportBatch batch{"2", "S-2026-11", 1001};
  auto card = c::card_from_target(person(), batch, 1005, 1'767'225'600'000);
  REQUIRE(card);
  CHECK(card->manufacture_no == "AB12CD34EF56GH78");
  CHECK(card->application_id == person().application_id);
  CHECK(card->postcard_no == "K7X000123");
  CHECK(card->name_kanji == person().name_kanji);
  CHECK(card->name_kana == "ワタナベ　ヨシコ");
  CHECK(card->birth_date == "2000-02-29");
  CHECK(card->sex == "2");
  CHECK(card->address == person().address);
  CHECK(card->card_expiry == "2036-02-29");
  CHECK(card->cert_expiry == "2031-03-01");
  CHECK(card->source == c::CardSource::qr);
  CHECK(card->receipt_no == 1005);
  CHECK(card->counter == "2");
  CHECK(card->shipment_no == "S-2026-11");
  CHECK(card->imported_ms == 1'767'225'600'000);
  CHECK(c::validate_card(*card).ok());

  SECTION("sex codes and a person without certificate") {
    auto p = person();
    p.certificate_expiry.reset();
    const std::pair<j::Sex, std::string> cases[] = {
        {j::Sex::male, "1"}, {j::Sex::female, "2"}, {j::Sex::not_applicable, "9"}, {j::Sex::not_known, ""}};
    for (const auto& [sex, code] : cases) {
      p.sex = sex;
      auto k = c::card_from_target(p, batch, 0, 0);
      REQUIRE(k);
      CHECK(k->sex == code);
      CHECK(k->cert_expiry.empty());
      CHECK(k->receipt_no == 0);
    }
  }
  SECTION("a person that cannot be a card is refused") {
    auto p = person();
    p.card_serial = "ab";
    CHECK(c::card_from_target(p, batch, 1, 0).error().code == Errc::invalid_argument);
  }
}

TEST_CASE("The batch numbers its cards from the start serial in read order (ISS-3)", "[console][card_import]") {
  c::ImportBatch batch{"1", "", 1001};
  CHECK(c::validate_import_batch(batch).ok());
  CHECK(*c::batch_receipt_no(batch, 0) == 1001);
  CHECK(*c::batch_receipt_no(batch, 41) == 1042);
  batch.start_serial.reset();
  CHECK(*c::batch_receipt_no(batch, 7) == 0);  // no start serial: no numbers
  batch.start_serial = c::kMaxReceiptNo;
  CHECK(*c::batch_receipt_no(batch, 0) == c::kMaxReceiptNo);
  CHECK(c::batch_receipt_no(batch, 1).error().code == Errc::invalid_argument);

  CHECK(c::validate_import_batch({"", "", std::nullopt}).error().message.rfind("counter:", 0) == 0);
  CHECK(c::validate_import_batch({"1", std::string(33, 'S'), std::nullopt}).error().message.rfind("shipment_no:", 0) == 0);
  CHECK(c::validate_import_batch({"1", "", 0}).error().message.rfind("start_serial:", 0) == 0);
  CHECK(c::validate_import_batch({"1", "", c::kMaxReceiptNo + 1}).error().message.rfind("start_serial:", 0) == 0);
  CHECK(c::validate_import_batch({"窓口\x01", "", std::nullopt}).error().message.rfind("counter:", 0) == 0);
}

TEST_CASE("An imported code has a record keyed without '/' (ISS-2)", "[console][card_import]") {
  j::QrHeader h;
  h.municipality = "131016";
  h.list_date = {2026, 11, 22};
  h.sheet_number = 123;
  h.code_index = 2;
  h.code_count = 3;
  const std::string code = j::code_key(h);
  const std::string key = c::imported_code_key(code);
  CHECK(key == "JLIS-ISS:1:131016:20261122:000123:02");
  CHECK(key.find('/') == std::string::npos);

  const c::ImportedCode rec{code, 1'767'225'600'000, 3};
  const auto json = c::imported_code_to_json(rec);
  CHECK(json.dump() == "{\"cards\":3,\"code\":\"" + code + "\",\"imported_ms\":1767225600000}");
  auto back = c::imported_code_from_json(json);
  REQUIRE(back);
  CHECK(back->code == code);
  CHECK(back->imported_ms == rec.imported_ms);
  CHECK(back->cards == 3);
  CHECK(c::imported_code_from_json(nlohmann::json::array()).error().code == Errc::malformed);
  CHECK(c::imported_code_from_json(nlohmann::json{{"code", 1}, {"imported_ms", 0}, {"cards", 1}}).error().code == Errc::malformed);
  CHECK(c::imported_code_from_json(nlohmann::json{{"code", "a b"}, {"imported_ms", 0}, {"cards", 1}}).error().code == Errc::malformed);
}
