#include <catch2/catch.hpp>

#include "madoguchi/protocol/messages.h"

namespace p = madoguchi::protocol;
using madoguchi::Errc;

namespace {
p::Op op(std::uint64_t seq) {
  return p::Op{seq, "131016.counter-01:" + std::to_string(seq), "card", "K" + std::to_string(seq), p::OpKind::upsert, 3,
               R"({"n":1,"status":"受付"})", 1700000000000};
}
}  // namespace

TEST_CASE("Every message type survives an encode/decode round trip", "[protocol][messages]") {
  p::OpBatch batch{"131016", "counter-01", {op(7), op(8)}};
  batch.ops[1].kind = p::OpKind::remove;
  batch.ops[1].body.clear();
  auto d = p::decode(p::encode(p::Message{batch}));
  REQUIRE(d.ok());
  auto& got = std::get<p::OpBatch>(*d);
  CHECK(got.ops == batch.ops);

  p::Record rec{"card", "K1", R"({"a":1})", false, 42, "counter-01", 7};
  p::Ack ack{"131016", "counter-01", 8, 9, {p::Rejection{8, Errc::conflict, "changed at the hub", rec}}};
  auto da = p::decode(p::encode(p::Message{ack}));
  REQUIRE(da.ok());
  auto& a = std::get<p::Ack>(*da);
  CHECK(a.upto == 8);
  CHECK(a.expect == 9);
  REQUIRE(a.rejected.size() == 1);
  CHECK(a.rejected[0].code == Errc::conflict);
  CHECK(*a.rejected[0].current == rec);

  p::Record gone{"card", "K2", "", true, 43, "hub", 0};
  p::ChangeBatch ch{"131016", true, 43, {rec, gone}};
  auto dc = p::decode(p::encode(p::Message{ch}));
  REQUIRE(dc.ok());
  CHECK(std::get<p::ChangeBatch>(*dc).changes == ch.changes);

  p::SnapshotChunk sn{"131016", 5, 43, 2, true, {rec}};
  auto ds = p::decode(p::encode(p::Message{sn}));
  REQUIRE(ds.ok());
  CHECK(std::get<p::SnapshotChunk>(*ds).records == sn.records);

  p::SyncRequest sr{"131016", "counter-01", 17};
  auto dr = p::decode(p::encode(p::Message{sr}));
  REQUIRE(dr.ok());
  CHECK(std::get<p::SyncRequest>(*dr).since == 17);
}

TEST_CASE("Bad messages are refused with a precise error", "[protocol][messages]") {
  struct Case {
    std::string payload;
    Errc code;
    std::string mentions;
  };
  std::vector<Case> cases = {
      {"not json", Errc::malformed, "JSON"},
      {"[1,2]", Errc::malformed, "object"},
      {R"({"type":"ops"})", Errc::malformed, "'v'"},
      {R"({"v":2,"type":"ops"})", Errc::unsupported_version, "version"},
      {R"({"v":1,"type":"gossip"})", Errc::unknown_type, "gossip"},
      {R"({"v":1,"type":"sync","municipality":"131016","device":"counter-01"})", Errc::malformed, "since"},
      {R"({"v":1,"type":"sync","municipality":"131016","device":"counter-01","since":-1})", Errc::malformed, "since"},
      {R"({"v":1,"type":"sync","municipality":"1310","device":"counter-01","since":1})", Errc::invalid_argument, "municipality"},
      {R"({"v":1,"type":"ops","municipality":"131016","device":"c","ops":[{"seq":1,"op_id":"x","entity":"card","key":"k","kind":"upsert","base_version":0,"at_ms":0,"body":"text"}]})",
       Errc::malformed, "body"},
      {R"({"v":1,"type":"ops","municipality":"131016","device":"c","ops":[{"seq":1,"op_id":"x","entity":"Card!","key":"k","kind":"upsert","base_version":0,"at_ms":0,"body":{}}]})",
       Errc::invalid_argument, "entity"},
      {R"({"v":1,"type":"ops","municipality":"131016","device":"c","ops":[{"seq":1,"op_id":"x","entity":"card","key":"k","kind":"explode","base_version":0,"at_ms":0}]})",
       Errc::unknown_type, "kind"},
      {R"({"v":1,"type":"ops","municipality":"131016","device":"c","ops":[{"seq":1,"op_id":"x","entity":"card","key":"k","kind":"remove","base_version":0,"at_ms":0},{"seq":3,"op_id":"x","entity":"card","key":"k","kind":"remove","base_version":0,"at_ms":0}]})",
       Errc::malformed, "consecutive"},
  };
  for (const auto& c : cases) {
    INFO(c.payload);
    auto d = p::decode(c.payload);
    REQUIRE_FALSE(d.ok());
    CHECK(d.error().code == c.code);
    CHECK_THAT(d.error().message, Catch::Contains(c.mentions));
  }
}

TEST_CASE("Oversized messages, batches and bodies are refused before use", "[protocol][messages]") {
  std::string huge(p::kMaxMessageBytes + 1, ' ');
  auto d = p::decode(huge);
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().code == Errc::too_large);

  std::string big_body = R"({"x":")" + std::string(p::kMaxBodyBytes, 'a') + R"("})";
  auto b = p::canonical_body(big_body);
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().code == Errc::too_large);

  std::string ops = R"({"v":1,"type":"ops","municipality":"131016","device":"c","ops":[)";
  for (std::size_t i = 1; i <= p::kMaxOpsPerBatch + 1; ++i) {
    if (i > 1) ops += ",";
    ops += R"({"seq":)" + std::to_string(i) + R"(,"op_id":"x","entity":"card","key":"k","kind":"remove","base_version":0,"at_ms":0})";
  }
  ops += "]}";
  auto o = p::decode(ops);
  REQUIRE_FALSE(o.ok());
  CHECK(o.error().code == Errc::too_large);
}

TEST_CASE("Bodies are canonical JSON objects and keep Japanese text", "[protocol][messages]") {
  auto b = p::canonical_body(R"({ "z": 1, "name": "山田 太郎" })");
  REQUIRE(b.ok());
  CHECK(*b == R"({"name":"山田 太郎","z":1})");
  CHECK_FALSE(p::canonical_body("[1]").ok());
  CHECK_FALSE(p::canonical_body("\"\xff\"").ok());
}
