#include "madoguchi/hub/konbini_source.h"

#include "madoguchi/domain/gaiji.h"

namespace madoguchi::hub {

namespace {

constexpr std::size_t kMaxMatches = 8;       // one person; more is a data error the decision names
constexpr std::size_t kMaxHousehold = 100;
constexpr std::size_t kMaxStates = 1000;     // agents, sources, 外字 mappings: a few each
constexpr std::size_t kMaxGaiji = 20000;

}  // namespace

Expected<domain::IssuanceFacts> HubCertificateSource::facts(const std::string& muni, const std::string& serial, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  HubStore* store = engine_.certificate_store(muni);
  if (!store) return Error{Errc::not_found, "no certificate database for " + muni};
  auto scope = store->read_scope();
  if (!scope) return scope.error();
  domain::IssuanceFacts f;
  auto decode = [&](domain::LinkageKind kind, const protocol::Record& r) -> std::optional<domain::LinkageRecord> {
    auto rec = domain::linkage_record_from_body(kind, r.body);
    if (!rec) {
      f.unreadable.push_back(r.entity + "/" + r.key);
      log_(LogLevel::warning, r.entity + "/" + r.key + " of " + muni + " does not decode: " + rec.error().message);
      return std::nullopt;
    }
    return std::move(*rec);
  };

  // The staleness guard, as 連携状況 computes it.
  std::vector<domain::LinkageAgentBeat> beats;
  std::vector<domain::LinkageSourceState> sources;
  auto agents = store->records_between(std::string(domain::kLinkageAgentEntity), "", "", kMaxStates);
  if (!agents) return agents.error();
  for (const auto& r : *agents) {
    if (auto b = domain::linkage_agent_from_body(r.body)) beats.push_back(std::move(*b));
  }
  auto states = store->records_between(std::string(domain::kLinkageSourceEntity), "", "", kMaxStates);
  if (!states) return states.error();
  for (const auto& r : *states) {
    if (auto s = domain::linkage_source_from_body(r.body)) {
      sources.push_back(std::move(*s));
    } else {
      f.unreadable.push_back(r.entity + "/" + r.key);  // a source state that does not read: the data may be behind
    }
  }
  f.guard = domain::linkage_guard(beats, sources, now_ms, guard_);

  auto matches = store->residents_by_jpki_serial(serial, kMaxMatches);
  if (!matches) return matches.error();
  for (const auto& r : *matches) {
    if (auto rec = decode(domain::LinkageKind::resident, r)) f.matches.push_back(std::move(*rec));
  }
  const domain::LinkageRecord* subject = nullptr;
  for (const auto& m : f.matches) {
    if (m.change != 'D') subject = &m;
  }
  std::vector<std::string> persons;
  if (subject) {
    auto household = store->residents_by_household(std::string(subject->field("世帯番号")), kMaxHousehold);
    if (!household) return household.error();
    for (const auto& r : *household) {
      if (auto rec = decode(domain::LinkageKind::resident, r)) {
        if (rec->change != 'D') {
          persons.push_back(rec->person);
          f.household.push_back(std::move(*rec));
        }
      }
    }
    auto seals = store->seals_by_person(subject->person, kMaxMatches);
    if (!seals) return seals.error();
    for (const auto& r : *seals) {
      if (auto rec = decode(domain::LinkageKind::seal, r)) f.seals.push_back(std::move(*rec));
    }
    for (const auto& s : f.seals) {
      if (s.change == 'D' || s.field("登録状態") != "1" || s.field("印影SHA256").empty()) continue;
      const std::string sha(s.field("印影SHA256"));
      auto parts = store->records_between(std::string(domain::kSealImageEntity), sha + ":", sha + ";", 64);
      if (!parts) return parts.error();
      std::vector<std::string> bodies;
      for (const auto& p : *parts) bodies.push_back(p.body);
      f.seal_image_present = static_cast<bool>(domain::seal_image_from_parts(sha, bodies));
    }
    auto taxes = store->records_between("tax", subject->person + ":", subject->person + ";", 50);
    if (!taxes) return taxes.error();
    for (const auto& r : *taxes) {
      if (auto rec = decode(domain::LinkageKind::tax, r)) f.taxes.push_back(std::move(*rec));
    }
    if (std::find(persons.begin(), persons.end(), subject->person) == persons.end()) persons.push_back(subject->person);
  }
  for (const auto& person : persons) {
    auto flag = store->get(std::string(domain::kKonbiniFlagEntity), person);
    if (!flag) return flag.error();
    if (*flag && !(*flag)->deleted) {
      auto sf = domain::staff_flag_from_body((*flag)->body);
      // A flag that does not read still stops issuance: it was set to stop it.
      f.flags.push_back(sf ? std::move(*sf) : domain::StaffFlag{person, "(読めない記録)", "", 0});
    }
  }
  auto maps = store->records_between("gaiji_map", "", "", kMaxGaiji);
  if (!maps) return maps.error();
  for (const auto& r : *maps) {
    if (auto m = domain::gaiji_map_from_body(r.body)) f.gaiji[m->table][m->code] = std::move(*m);
  }
  return f;
}

Expected<std::string> HubCertificateSource::seal_image(const std::string& muni, const std::string& sha256) {
  std::lock_guard lock(mutex_);
  HubStore* store = engine_.certificate_store(muni);
  if (!store) return Error{Errc::not_found, "no certificate database for " + muni};
  auto parts = store->records_between(std::string(domain::kSealImageEntity), sha256 + ":", sha256 + ";", 64);
  if (!parts) return parts.error();
  std::vector<std::string> bodies;
  for (const auto& p : *parts) bodies.push_back(p.body);
  return domain::seal_image_from_parts(sha256, bodies);
}

}  // namespace madoguchi::hub
