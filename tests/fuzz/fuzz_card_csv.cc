// libFuzzer target: the card CSV plans of the console (ISS-4, ISS-14), plan_card_import and
// plan_renewal_import, on the rows read_csv_bytes makes of arbitrary bytes (what staff upload).
// Properties:
//   - neither plan throws (an exception escaping aborts the run);
//   - every error's line is 0 (the whole file) or a row of the input (1..rows); errors are in line
//     order with the whole-file errors last; planned cards and renewal lines are data rows
//     (2..rows), in file order;
//   - a card plan without errors has every card passing validate_card, and its cards exported with
//     card_to_csv_row and written by write_csv import again without errors to the same export rows
//     (export -> import is exact, as card_csv.h promises);
//   - a renewal plan's lines carry a kind of "card" or "cert" and dates of the form YYYY-MM-DD.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "madoguchi/domain/card.h"
#include "madoguchi/domain/card_csv.h"
#include "madoguchi/text/csv.h"

namespace {

namespace c = madoguchi::domain;
namespace t = madoguchi::text;

constexpr std::int64_t kNow = 1'767'225'600'000;  // 2026-01-01 09:00 JST

void check(bool condition) {
  if (!condition) std::abort();
}

void check_errors(const std::vector<c::LineError>& errors, std::size_t rows) {
  std::size_t last = 1;
  bool whole_file = false;
  for (const c::LineError& e : errors) {
    check(!e.message.empty());
    check(e.line <= rows);
    if (e.line == 0) {
      whole_file = true;
      continue;
    }
    check(!whole_file);  // whole-file errors come last
    check(e.line >= last);
    last = e.line;
  }
}

bool iso_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

void check_card_plan(const c::CsvRows& rows) {
  const c::CardImportPlan plan = c::plan_card_import(rows, kNow);
  check_errors(plan.errors, rows.size());
  std::size_t last = 1;
  for (const c::PlannedCard& p : plan.cards) {
    check(p.line >= 2 && p.line <= rows.size() && p.line > last);
    last = p.line;
  }
  if (!plan.ok()) return;
  c::CsvRows exported{c::card_csv_header()};
  for (const c::PlannedCard& p : plan.cards) {
    check(c::validate_card(p.card).ok());
    exported.push_back(c::card_to_csv_row(p.card));
  }
  // Through the CSV writer the export uses (formula guard on) and the reader, as a file.
  auto file = t::parse_csv(t::write_csv(exported, true));
  check(file.ok());
  const c::CardImportPlan again = c::plan_card_import(*file, kNow);
  check(again.ok());
  check(again.cards.size() == plan.cards.size());
  for (std::size_t i = 0; i < again.cards.size(); ++i) check(c::card_to_csv_row(again.cards[i].card) == exported[i + 1]);
}

void check_renewal_plan(const c::CsvRows& rows) {
  const c::RenewalPlan plan = c::plan_renewal_import(rows);
  check_errors(plan.errors, rows.size());
  std::size_t last = 1;
  for (const c::RenewalLine& l : plan.lines) {
    check(l.line >= 2 && l.line <= rows.size() && l.line > last);
    last = l.line;
    check(l.kind == "card" || l.kind == "cert");
    check(iso_date(l.birth_date) && iso_date(l.due));
    check(!l.name_kana.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // Bounds that fit the card layout's width but keep inputs small.
  t::CsvOptions options;
  options.max_fields = 96;
  options.max_field_bytes = 512;
  options.max_rows = 64;
  auto rows = t::read_csv_bytes(bytes, std::nullopt, options);
  if (!rows) return 0;
  try {
    check_card_plan(*rows);
    check_renewal_plan(*rows);
  } catch (const std::exception&) {
    std::abort();
  } catch (...) {
    std::abort();
  }
  return 0;
}
