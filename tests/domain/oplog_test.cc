#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "madoguchi/domain/oplog.h"

namespace c = madoguchi::domain;
using madoguchi::Errc;

namespace {
// A chain of n entries of one device, as make_entry builds them.
std::vector<c::OpLogEntry> chain(std::size_t n, const std::string& device = "counter-01") {
  std::vector<c::OpLogEntry> out;
  for (std::size_t i = 0; i < n; ++i) {
    const c::OpLogEntry* prev = out.empty() ? nullptr : &out.back();
    out.push_back(c::make_entry(prev, device, "tanaka01", 1'767'225'600'000 + static_cast<std::int64_t>(i) * 1000,
                                i % 2 ? "staff.update" : "sign_in", "staff/suzuki02", "entry " + std::to_string(i + 1)));
  }
  return out;
}
}  // namespace

TEST_CASE("An entry's hash is SHA-256 of the documented length-prefixed serialisation (SYS-3)", "[console][oplog]") {
  const auto e = c::make_entry(nullptr, "counter-01", "tanaka01", 1'767'225'600'000, "staff.update", "staff/suzuki02",
                               "権限 counter_clerk -> administrator");
  CHECK(e.seq == 1);
  CHECK(e.prev_hash == c::kZeroHash);
  // Computed independently (Python hashlib) from the format written in oplog.h.
  CHECK(e.hash == "39b56bf24348de51a81b5086c6b590d3227e933f065094eba0b7380ae4bce546");
  const std::string bytes = c::canonical_bytes(e);
  CHECK(bytes.substr(0, 22) == std::string("\0\0\0\x12madoguchi.oplog.v1", 22));
  CHECK(c::oplog_key(e) == "counter-01:000000000001");
  CHECK(c::oplog_key("hub-1", 1234567) == "hub-1:000001234567");
}

TEST_CASE("A chain made entry by entry verifies intact", "[console][oplog]") {
  auto entries = chain(5);
  CHECK(entries[4].seq == 5);
  CHECK(entries[4].prev_hash == entries[3].hash);
  auto r = c::verify_chain(entries);
  CHECK(r.intact);
  CHECK(r.entries == 5);
  CHECK_FALSE(r.first_bad_seq.has_value());
  CHECK(r.problem.empty());
  CHECK(c::verify_chain({}).intact);
}

TEST_CASE("A changed field of an entry breaks the chain at that entry", "[console][oplog]") {
  using Edit = void (*)(c::OpLogEntry&);
  const std::pair<const char*, Edit> edits[] = {
      {"staff_id", [](c::OpLogEntry& e) { e.staff_id = "suzuki02"; }},
      {"at_ms", [](c::OpLogEntry& e) { e.at_ms += 1; }},
      {"action", [](c::OpLogEntry& e) { e.action = "sign_out"; }},
      {"target", [](c::OpLogEntry& e) { e.target = "staff/sato03"; }},
      {"detail", [](c::OpLogEntry& e) { e.detail += " "; }},
      {"hash", [](c::OpLogEntry& e) { e.hash[0] = e.hash[0] == 'a' ? 'b' : 'a'; }},
  };
  for (const auto& [field, edit] : edits) {
    INFO(field);
    auto entries = chain(5);
    edit(entries[2]);
    auto r = c::verify_chain(entries);
    CHECK_FALSE(r.intact);
    CHECK(r.first_bad_seq == 3u);
    CHECK(r.entries == 2);
    CHECK_FALSE(r.problem.empty());
  }
}

TEST_CASE("A changed entry whose hash was recomputed breaks the chain at the next entry", "[console][oplog]") {
  auto entries = chain(5);
  entries[2].detail = "nothing happened";
  entries[2].hash = c::compute_hash(entries[2]);
  auto r = c::verify_chain(entries);
  CHECK_FALSE(r.intact);
  CHECK(r.first_bad_seq == 4u);
  CHECK(r.problem.find("prev_hash") != std::string::npos);
}

TEST_CASE("A deleted entry is found by the seq gap, and when renumbered by the prev_hash", "[console][oplog]") {
  auto entries = chain(5);
  entries.erase(entries.begin() + 2);
  auto gap = c::verify_chain(entries);
  CHECK_FALSE(gap.intact);
  CHECK(gap.first_bad_seq == 4u);
  CHECK(gap.problem.find("seq 3 missing") != std::string::npos);

  // Renumbering the later entries and recomputing their hashes still leaves the broken link.
  for (std::size_t i = 2; i < entries.size(); ++i) {
    entries[i].seq -= 1;
    entries[i].hash = c::compute_hash(entries[i]);
  }
  auto renumbered = c::verify_chain(entries);
  CHECK_FALSE(renumbered.intact);
  CHECK(renumbered.first_bad_seq == 3u);
  CHECK(renumbered.problem.find("prev_hash") != std::string::npos);

  auto first_gone = chain(3);
  first_gone.erase(first_gone.begin());
  auto r = c::verify_chain(first_gone);
  CHECK_FALSE(r.intact);
  CHECK(r.first_bad_seq == 2u);
}

TEST_CASE("Entries out of order are found", "[console][oplog]") {
  auto entries = chain(5);
  std::swap(entries[1], entries[3]);
  auto r = c::verify_chain(entries);
  CHECK_FALSE(r.intact);
  CHECK(r.first_bad_seq == 4u);
  CHECK(r.entries == 1);

  // Swapping the contents but keeping the seq numbers in place is found too.
  auto swapped = chain(5);
  std::swap(swapped[1].seq, swapped[3].seq);
  std::swap(swapped[1], swapped[3]);
  auto r2 = c::verify_chain(swapped);
  CHECK_FALSE(r2.intact);
  CHECK(r2.first_bad_seq == 2u);
}

TEST_CASE("An inserted entry is found", "[console][oplog]") {
  auto entries = chain(4);
  // A forged entry linked properly to entry 2, with the later entries renumbered.
  auto forged = c::make_entry(&entries[1], "counter-01", "admin01", entries[1].at_ms + 1, "staff.delete",
                              "staff/tanaka01", "");
  entries.insert(entries.begin() + 2, forged);
  for (std::size_t i = 3; i < entries.size(); ++i) {
    entries[i].seq += 1;
    entries[i].hash = c::compute_hash(entries[i]);
  }
  auto r = c::verify_chain(entries);
  CHECK_FALSE(r.intact);
  CHECK(r.first_bad_seq == 4u);  // the original entry 3 does not follow the forged one

  auto repeated = chain(4);
  repeated.insert(repeated.begin() + 2, repeated[1]);  // a copy of entry 2 slipped in
  auto r2 = c::verify_chain(repeated);
  CHECK_FALSE(r2.intact);
  CHECK(r2.first_bad_seq == 2u);
  CHECK(r2.problem.find("out of order or repeated") != std::string::npos);
}

TEST_CASE("A chain holds the entries of one device only", "[console][oplog]") {
  auto entries = chain(3);
  auto other = chain(4, "counter-02");
  entries.push_back(other[3]);
  auto r = c::verify_chain(entries);
  CHECK_FALSE(r.intact);
  CHECK(r.first_bad_seq == 4u);
  CHECK(r.problem.find("counter-02") != std::string::npos);
}

TEST_CASE("A chain can be verified page by page from an anchor entry", "[console][oplog]") {
  auto entries = chain(6);
  std::vector<c::OpLogEntry> page(entries.begin() + 3, entries.end());
  CHECK(c::verify_chain(page, c::ChainAnchor{entries[2].seq, entries[2].hash}).intact);
  CHECK_FALSE(c::verify_chain(page).intact);  // not from seq 1
  CHECK_FALSE(c::verify_chain(page, c::ChainAnchor{entries[1].seq, entries[1].hash}).intact);
}

TEST_CASE("An entry round-trips through its record body, and unknown keys and bad fields are refused",
          "[console][oplog]") {
  const auto e = chain(2)[1];
  const auto j = c::oplog_to_json(e);
  auto back = c::oplog_from_json(j);
  REQUIRE(back.ok());
  CHECK(back->seq == e.seq);
  CHECK(back->device == e.device);
  CHECK(back->staff_id == e.staff_id);
  CHECK(back->at_ms == e.at_ms);
  CHECK(back->action == e.action);
  CHECK(back->target == e.target);
  CHECK(back->detail == e.detail);
  CHECK(back->prev_hash == e.prev_hash);
  CHECK(back->hash == e.hash);
  CHECK(c::verify_chain({chain(2)[0], *back}).intact);

  auto extra = j;
  extra["note"] = "not covered by the hash";
  CHECK(c::oplog_from_json(extra).error().code == Errc::malformed);
  auto missing = j;
  missing.erase("detail");
  CHECK(c::oplog_from_json(missing).error().code == Errc::malformed);
  const std::pair<const char*, nlohmann::json> bad[] = {
      {"seq", 0},           {"device", "Counter 01"}, {"action", "Sign In"},
      {"hash", "ABC"},      {"prev_hash", std::string(64, 'g')}, {"detail", "a\nb"},
      {"target", std::string(c::kMaxOpLogTargetBytes + 1, 'x')},
  };
  for (const auto& [key, value] : bad) {
    INFO(key);
    auto b = j;
    b[key] = value;
    auto r = c::oplog_from_json(b);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::invalid_argument);
    CHECK(r.error().message.rfind(std::string(key) + ": ", 0) == 0);
  }
}

TEST_CASE("Logging never fails on untrusted text: it is made storable and cut to its bound", "[console][oplog]") {
  const auto e = c::make_entry(nullptr, "counter-01", "bad\xffid\n", 0, "sign_in.failed",
                               std::string(1000, 'x'), std::string(2000, 'y'));
  CHECK(e.staff_id == "bad\xEF\xBF\xBDid ");
  CHECK(e.target.size() == c::kMaxOpLogTargetBytes);
  CHECK(e.detail.size() == c::kMaxOpLogDetailBytes);
  CHECK(c::oplog_from_json(c::oplog_to_json(e)).ok());
  CHECK(c::verify_chain({e}).intact);
}
