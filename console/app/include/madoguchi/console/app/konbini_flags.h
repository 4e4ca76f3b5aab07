// 交付停止 (KON-7: "any flag staff set for a person"; issue 13): the persons staff stopped from
// getting certificates at convenience stores (a resident's own request, a case under
// investigation, a DV application not yet in the core system), and why. domain::decide_issuance
// refuses every certificate that shows a flagged person (staff_flag). Written at the hub only,
// into the municipality's certificate database (entity konbini_flag, key 宛名番号), which the
// counter PCs never receive. Implementation: hub::HubKonbiniFlags; a fake in the tests.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "madoguchi/domain/konbini.h"
#include "madoguchi/error.h"

namespace madoguchi::console::app {

// The resident a 宛名番号 names, as staff confirm it before they stop or resume issuance.
struct FlagSubject {
  std::string person;     // 宛名番号
  std::string name;       // 氏名 as the core system sent it
  std::string birth;      // 生年月日 (YYYY-MM-DD)
  std::string household;  // 世帯番号
  bool current = true;    // false: only a 除票 (moved out, deceased)
};

class KonbiniFlags {
 public:
  virtual ~KonbiniFlags() = default;
  // The flags standing, in 宛名番号 order, at most `max`.
  virtual Expected<std::vector<domain::StaffFlag>> list(std::size_t max) = 0;
  // The resident record of `person`; nullopt when the certificate database has none.
  virtual Expected<std::optional<FlagSubject>> subject(const std::string& person) = 0;
  // Sets (or replaces the reason of) the flag on flag.person. Errc::not_found when the
  // certificate database holds no resident record of that 宛名番号.
  virtual Status set(const domain::StaffFlag& flag) = 0;
  // Removes the flag. Errc::not_found when there is none.
  virtual Status clear(const std::string& person) = 0;
};

}  // namespace madoguchi::console::app
