#include "madoguchi/hub/konbini_flags.h"

#include "madoguchi/domain/konbini.h"
#include "madoguchi/domain/linkage_record.h"

namespace madoguchi::hub {

namespace {
const std::string kEntity(domain::kKonbiniFlagEntity);
}  // namespace

Expected<HubStore*> HubKonbiniFlags::store() {
  HubStore* s = engine_.certificate_store(municipality_);
  if (!s) return make_error(Errc::not_found, "no certificate database for " + municipality_);
  return s;
}

Expected<std::vector<domain::StaffFlag>> HubKonbiniFlags::list(std::size_t max) {
  auto s = store();
  if (!s) return s.error();
  auto rows = (*s)->records_between(kEntity, "", "", max);
  if (!rows) return rows.error();
  std::vector<domain::StaffFlag> out;
  for (const auto& r : *rows) {
    auto f = domain::staff_flag_from_body(r.body);
    // A flag that does not read still stops issuance (HubCertificateSource): show it, so it can be removed.
    out.push_back(f ? std::move(*f) : domain::StaffFlag{r.key, "（読めない記録）", "", 0});
  }
  return out;
}

Expected<std::optional<console::app::FlagSubject>> HubKonbiniFlags::subject(const std::string& person) {
  auto s = store();
  if (!s) return s.error();
  auto r = (*s)->get("resident", person);
  if (!r) return r.error();
  if (!*r || (*r)->deleted) return std::optional<console::app::FlagSubject>();
  console::app::FlagSubject out;
  out.person = person;
  if (auto rec = domain::linkage_record_from_body(domain::LinkageKind::resident, (*r)->body)) {
    out.name = std::string(rec->field("氏名"));
    out.birth = std::string(rec->field("生年月日"));
    out.household = std::string(rec->field("世帯番号"));
    out.current = rec->change != 'D';
  }
  return std::optional<console::app::FlagSubject>(std::move(out));
}

Status HubKonbiniFlags::set(const domain::StaffFlag& flag) {
  if (auto st = domain::validate_staff_flag(flag); !st) return st;
  auto who = subject(flag.person);
  if (!who) return who.error();
  if (!*who) return make_error(Errc::not_found, "no resident record " + flag.person);
  auto s = store();
  if (!s) return s.error();
  auto cur = (*s)->get(kEntity, flag.person);
  if (!cur) return cur.error();
  auto r = (*s)->write_local(kEntity, flag.person, protocol::OpKind::upsert, domain::staff_flag_body(flag),
                             *cur && !(*cur)->deleted ? (*cur)->version : 0, clock_.wall_ms());
  if (!r) return r.error();
  return {};
}

Status HubKonbiniFlags::clear(const std::string& person) {
  auto s = store();
  if (!s) return s.error();
  auto cur = (*s)->get(kEntity, person);
  if (!cur) return cur.error();
  if (!*cur || (*cur)->deleted) return make_error(Errc::not_found, "no flag on " + person);
  auto r = (*s)->write_local(kEntity, person, protocol::OpKind::remove, "", (*cur)->version, clock_.wall_ms());
  if (!r) return r.error();
  return {};
}

}  // namespace madoguchi::hub
