// What the linkage agent sends to the hub's certificate database, record by record (LNK-1..LNK-6,
// docs/formats/linkage-records.md), and the staleness guard that reads it (issue 12). Pure
// functions; the agent (edge linkage_inbox.h) and the hub (連携状況, the certificate service)
// both call them, so the record layout lives here once.
//
// Entities and keys in <muni>.cert.db:
//   resident        宛名番号                      one person as the register holds them (除票 too: 異動区分 D)
//   seal            印鑑登録番号                  one seal registration
//   tax             宛名番号:課税年度              one person's assessment for one year
//   seal_image      <SHA-256>:<part>              a seal impression (PNG), base64 in parts
//   linkage_batch   <taken ms, 13 digits>:<kind>:<source>:<run|->:<first seq>   one file taken (newest last in key order)
//   linkage_source  <kind>:<source>               a source's delta stream: last seq, an open gap, the last failure
//   linkage_agent   <device>                      the agent's heartbeat
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "madoguchi/domain/linkage_file.h"
#include "madoguchi/error.h"

namespace madoguchi::domain {

inline constexpr std::string_view kLinkageBatchEntity = "linkage_batch";
inline constexpr std::string_view kLinkageSourceEntity = "linkage_source";
inline constexpr std::string_view kLinkageAgentEntity = "linkage_agent";
inline constexpr std::string_view kSealImageEntity = "seal_image";

// "resident", "seal" or "tax": the entity of a row of that kind.
std::string_view linkage_entity(LinkageKind kind) noexcept;
std::optional<LinkageKind> linkage_kind_from_name(std::string_view name) noexcept;

// The record key of a row (see the table above). Rows were checked by parse_linkage_file, so the
// key's parts are ids, digits or a year.
std::string linkage_record_key(LinkageKind kind, const LinkageRow& row);

// One row as it is stored: where it came from and every column as delivered (UTF-8, 外字 still as
// U+E000..U+E757 of the file's code table; the hub identifies them, LNK-4).
struct LinkageRecord {
  LinkageKind kind = LinkageKind::resident;
  std::string source;
  std::string file;           // the delivery's file name
  std::size_t line = 0;
  std::uint64_t seq = 0;      // 連携番号
  std::string run_id;         // a full copy's run ("" for a delta)
  std::uint64_t as_of = 0;    // a full copy's: the delta 連携番号 it reflects (0: not stated)
  char change = 'A';          // A, M, D or F
  std::string person;         // 宛名番号
  std::string code_table;     // the file's 外字対照表 ("" when it has none)
  std::int64_t received_ms = 0;
  std::vector<std::pair<std::string, std::string>> fields;

  std::string_view field(std::string_view column) const;
  // Where the record stands in its source's delta stream: a delta's 連携番号, a full copy's as_of.
  std::uint64_t position() const { return run_id.empty() ? seq : as_of; }
};

LinkageRecord linkage_record(const LinkageFile& file, const LinkageRow& row, std::string_view file_name,
                             std::int64_t received_ms);
std::string linkage_record_body(const LinkageRecord& record);
Expected<LinkageRecord> linkage_record_from_body(LinkageKind kind, std::string_view body);

// A full copy's row that states its as_of never replaces a record written by a later delta (a copy
// delivered after newer deltas, or re-sent as a repair): Errc::conflict, and the stored record
// stays. Other writes are not judged (a copy without as_of replaces, as the format says).
// `current_body` is the stored record of the same key, if any. Cheap for a delta row: only a body
// stating "as_of" is decoded.
Status check_linkage_record_order(LinkageKind kind, std::optional<std::string_view> current_body, std::string_view body);

// One file taken by the agent (LNK-5): what 連携状況 lists.
struct LinkageBatch {
  LinkageKind kind = LinkageKind::resident;
  std::string source;
  std::string file;
  std::string run_id;           // "" for a delta
  bool full = false;
  std::uint64_t first_seq = 0;  // of the file's rows (0 when it has none)
  std::uint64_t last_seq = 0;
  std::uint64_t rows = 0;
  std::uint64_t applied = 0;    // rows new to the hub
  std::uint64_t duplicates = 0; // rows already sent (a file delivered again, LNK-6)
  std::map<char, std::uint64_t> changes;  // rows by 異動区分
  std::string sha256;           // of the data rows, as the trailer states and the agent checked
  std::int64_t received_ms = 0; // when the agent found the file
  std::int64_t taken_ms = 0;    // when its operations were committed at the agent
};

std::string linkage_batch_key(const LinkageBatch& batch);  // taken_ms must be set
std::string linkage_batch_body(const LinkageBatch& batch);
Expected<LinkageBatch> linkage_batch_from_body(std::string_view body);

// A source's delta stream as the agent last saw it (LNK-3).
struct LinkageSourceState {
  LinkageKind kind = LinkageKind::resident;
  std::string source;
  std::uint64_t last_seq = 0;     // the last 連携番号 sent
  std::string last_file;
  std::int64_t last_ms = 0;       // when the last file was taken
  // A file that skips ahead: held, not applied, until the missing numbers arrive.
  struct Gap {
    std::string file;
    std::uint64_t expected = 0;   // the next number the stream needs
    std::uint64_t found = 0;      // the first number of the held file
    std::int64_t since_ms = 0;
  };
  std::optional<Gap> gap;
  // The latest file refused (malformed, truncated, wrong encoding, a redelivery that differs),
  // until a later file of the source is taken.
  struct Failure {
    std::string file;
    std::string reason;           // names the line and column, never the data
    std::int64_t at_ms = 0;
  };
  std::optional<Failure> failure;
};

std::string linkage_source_key(LinkageKind kind, std::string_view source);
std::string linkage_source_body(const LinkageSourceState& state);
Expected<LinkageSourceState> linkage_source_from_body(std::string_view body);

// The agent's heartbeat: sent every minute, so silence means the agent or its link is down.
struct LinkageAgentBeat {
  std::string device;
  std::int64_t at_ms = 0;
  std::string version;
};
std::string linkage_agent_body(const LinkageAgentBeat& beat);
Expected<LinkageAgentBeat> linkage_agent_from_body(std::string_view body);

// The staleness guard (issue 12, KON-4): whether the municipality's certificates may be issued
// from the certificate database now, and every reason why not. The certificate service consults
// it before each issuance; 連携状況 shows it.
struct LinkageGuardPolicy {
  std::int64_t silence_ms = 10 * 60 * 1000;  // no heartbeat for this long: suppress
  std::int64_t quiet_alarm_ms = 5 * 60 * 1000;  // a source with no file for this long: alarm (not suppressed)
};

enum class LinkageConcern {
  never,        // no linkage agent has ever reported: suppress
  silent,       // the agent's last heartbeat is older than silence_ms: suppress
  gap,          // a source's stream has a gap: suppress
  failed,       // a source's latest file was refused: suppress (the data may be behind)
  quiet,        // a source sent nothing for quiet_alarm_ms: alarm only
};
std::string_view linkage_concern_code(LinkageConcern c) noexcept;  // "linkage_never", "linkage_silent", ...

struct LinkageFinding {
  LinkageConcern concern = LinkageConcern::never;
  bool suppresses = true;
  std::string text;  // for staff, Japanese, names the source and file, never personal data
  std::string where;  // "連携サーバー" or the source ("住民記録/juki"): where it is, for 障害通知
};

struct LinkageGuard {
  bool issuable = false;
  std::vector<LinkageFinding> findings;
};

LinkageGuard linkage_guard(const std::vector<LinkageAgentBeat>& beats, const std::vector<LinkageSourceState>& sources,
                           std::int64_t now_ms, const LinkageGuardPolicy& policy = {});

}  // namespace madoguchi::domain
