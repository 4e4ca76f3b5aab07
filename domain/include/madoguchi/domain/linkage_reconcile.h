// Re-requests and reconciliation of the certificate data (issue 12, LNK-3, LNK-6, LNK-7;
// docs/formats/linkage-records.md, "Re-requests" and "Reconciliation"). Pure functions; the hub
// (the 外字対照表's 再送依頼, the reconciler) and the linkage agent both call them.
//
// Entities and keys in <muni>.cert.db, beside those of linkage_record.h:
//   linkage_request    <requested ms, 13 digits>:<kind>:<source>:<n>   records to send again, from the
//                      hub to the linkage agent (the only records a linkage agent receives), and by it
//                      to the core system as a request file; the agent marks it sent
//   linkage_digest     <kind>:<source>:<run>:<chunk, 6 digits>    a reconciliation extract's digest:
//                      one short digest of the content of every current record of the source
//   linkage_reconcile  <kind>:<source>:<run>                      the hub's comparison of it
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "madoguchi/domain/linkage_file.h"
#include "madoguchi/domain/linkage_record.h"
#include "madoguchi/error.h"

namespace madoguchi::domain {

inline constexpr std::string_view kLinkageRequestEntity = "linkage_request";
inline constexpr std::string_view kLinkageDigestEntity = "linkage_digest";
inline constexpr std::string_view kLinkageReconcileEntity = "linkage_reconcile";

inline constexpr std::size_t kMaxRequestKeys = 1000;            // per linkage_request (a body stays < 32 KiB)
inline constexpr std::size_t kDigestEntriesPerChunk = 600;      // per linkage_digest record
inline constexpr std::size_t kMaxNamedDifferences = 1000;       // named in one linkage_reconcile
inline constexpr std::size_t kMaxReconcileRequestKeys = 10000;  // re-requested by one reconciliation

// The content of a record, as a short digest (16 hex digits of SHA-256): every column but the
// bookkeeping ones (連携番号, 異動区分, 異動事由, 異動日, 届出日), in column-name order, empty columns
// left out. The same person delivered by a delta and by a full copy has the same digest.
std::string linkage_content_digest(const std::vector<std::pair<std::string, std::string>>& fields);

// ---- Re-requests (LNK-7): the hub asks the core system, through the linkage agent, to send
// records again (a held record after its characters were mapped, a reconciliation's differences).
struct LinkageRequest {
  std::string id;                 // the record key
  LinkageKind kind = LinkageKind::resident;
  std::string source;
  std::vector<std::string> keys;  // record keys (linkage_record.h): 宛名番号, 印鑑登録番号, 宛名番号:課税年度
  std::string reason;             // "held" (外字), "reconcile", "staff"
  std::string by;                 // the staff member, or "reconcile"
  std::int64_t requested_ms = 0;
  bool sent = false;              // the agent wrote the request file
  std::int64_t sent_ms = 0;
  std::string file;               // its name
};

std::string linkage_request_key(std::int64_t requested_ms, LinkageKind kind, std::string_view source, std::size_t n);
std::string linkage_request_body(const LinkageRequest& request);
// Errors: malformed (the body; keys outside the format or more than kMaxRequestKeys; the key).
Expected<LinkageRequest> linkage_request_from_body(std::string_view key, std::string_view body);

// The request file the agent writes to <inbox>/requests/ for the core system:
//   #madoguchi-linkage-request,1,<kind>,<source>,<request id with ':' as '_'>,<reason>
//   キー
//   <one record key per line>
//   #end,<keys>
// The core system answers with a delta of those records (異動区分 M, 異動事由 再送).
std::string linkage_request_file_name(const LinkageRequest& request);
std::string linkage_request_file(const LinkageRequest& request);

// Who may change a linkage_request in the certificate database: the hub anything; the linkage
// agent only marks a request it holds as sent (nothing else of it changes), and never removes one.
Status check_linkage_request_write(bool from_hub, std::optional<std::string_view> current_body, std::string_view body,
                                   bool remove);

// ---- Reconciliation: the core system delivers, nightly, an extract of every current record
// (a full copy stating as_of and part/parts, in <inbox>/reconcile/); the agent sends the digests
// of its records; the hub compares them with what it holds.
struct LinkageDigest {
  LinkageKind kind = LinkageKind::resident;
  std::string source;
  std::string run;
  std::uint64_t as_of = 0;        // the delta 連携番号 the extract reflects
  std::uint32_t chunk = 1;        // 1-based
  std::uint32_t chunks = 1;
  std::uint64_t records = 0;      // in the whole extract
  std::int64_t sent_ms = 0;
  std::vector<std::pair<std::string, std::string>> entries;  // record key, linkage_content_digest
};
std::string linkage_digest_key(const LinkageDigest& digest);
std::string linkage_digest_body(const LinkageDigest& digest);
Expected<LinkageDigest> linkage_digest_from_body(std::string_view body);

// The hub's comparison (連携状況 lists it).
struct LinkageReconcile {
  LinkageKind kind = LinkageKind::resident;
  std::string source;
  std::string run;
  std::uint64_t as_of = 0;
  std::int64_t sent_ms = 0;       // when the agent sent the digest
  std::int64_t finished_ms = 0;   // when the hub had compared it
  std::uint64_t source_records = 0;
  std::uint64_t matching = 0;
  std::uint64_t newer = 0;        // changed at the hub by a delta after as_of: not compared
  std::uint64_t differing = 0;    // held by both, with different content (or removed at the hub)
  std::uint64_t missing = 0;      // current at the source, absent at the hub
  std::uint64_t extra = 0;        // current at the hub, absent from the source
  // Up to kMaxNamedDifferences: the record key and "differs", "removed", "missing" or "extra".
  std::vector<std::pair<std::string, std::string>> named;
  std::vector<std::string> requests;  // the linkage_request ids made for the repair
  bool too_many = false;          // more than kMaxReconcileRequestKeys: a full copy is needed instead
  std::uint64_t differences() const { return differing + missing + extra; }
};
std::string linkage_reconcile_key(LinkageKind kind, std::string_view source, std::string_view run);
std::string linkage_reconcile_body(const LinkageReconcile& reconcile);
Expected<LinkageReconcile> linkage_reconcile_from_body(std::string_view body);

// Compares one extract's digests with the hub's records of its kind, fed in any order. Records of
// other sources are not compared.
class LinkageComparison {
 public:
  // Errc::malformed when the chunks are not exactly 1..chunks of one extract, or a key repeats.
  static Expected<LinkageComparison> start(const std::vector<LinkageDigest>& chunks);
  void stored(std::string_view key, const LinkageRecord& record);
  // The outcome, and the keys to send again (all differences, up to kMaxReconcileRequestKeys).
  LinkageReconcile finish(std::int64_t now_ms, std::vector<std::string>& repair);

 private:
  LinkageComparison() = default;
  void name(std::string_view key, const char* what);
  LinkageReconcile out_;
  std::unordered_map<std::string, std::string> digests_;  // not yet matched with a hub record
  std::vector<std::string> repair_;
};

}  // namespace madoguchi::domain
