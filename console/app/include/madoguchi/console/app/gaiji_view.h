// What the hub console's 外字対照表 screens read and write (LNK-4, LNK-7): the vendor codes the
// municipality's certificate data uses, the mappings staff propose and confirm, the records held
// for unconfirmed codes, and how a record will print. Implementation: hub::HubGaiji (cloud-hub),
// over <muni>.cert.db and the installed MJ data; a fake in the tests.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "madoguchi/domain/gaiji.h"
#include "madoguchi/error.h"

namespace madoguchi::console::app {

// A vendor code in use (or mapped): how many records use it, its mapping, what the MJ data says.
struct GaijiCode {
  std::string table;
  std::string code;
  std::size_t records = 0;
  std::optional<domain::GaijiMapping> mapping;
  std::optional<domain::MjCharacter> mj;  // of the mapping's character, when the MJ data knows it
};

// A record held for a vendor code not yet confirmed.
struct HeldRecord {
  std::string entity;  // resident, seal, tax
  std::string key;
  std::string table;
  std::vector<std::string> codes;       // the unconfirmed ones
  std::vector<std::string> columns;     // the columns they are in
  std::string file;                     // the delivery it came in
};

// One column of a record as it will print.
struct PrintField {
  std::string column;
  std::string as_delivered;   // vendor codes shown as 〓(F040)
  std::string as_printed;     // "" when held
  std::vector<std::string> unresolved;
};

class GaijiView {
 public:
  virtual ~GaijiView() = default;
  virtual Expected<std::vector<GaijiCode>> codes() = 0;
  virtual Expected<std::vector<HeldRecord>> held(std::size_t max) = 0;
  // Saves a proposal or a confirmation. Errors: invalid_argument (the text is not one character).
  virtual Status save_mapping(const domain::GaijiMapping& mapping) = 0;
  virtual std::optional<domain::MjCharacter> mj(std::string_view text_or_mj_name) const = 0;
  virtual bool has_mj_data() const = 0;
  // The record's columns that hold text, as delivered and as they will print; nullopt: no record.
  virtual Expected<std::optional<std::vector<PrintField>>> print_check(const std::string& entity, const std::string& key) = 0;
  // Asks the core systems to send these records again (LNK-7): re-requests through the linkage
  // server, one per source. Returns how many records were asked for (records that no longer
  // exist are left out). Errors: db, invalid_argument.
  virtual Expected<std::size_t> request_again(const std::vector<std::pair<std::string, std::string>>& records, const std::string& by) = 0;
};

}  // namespace madoguchi::console::app
