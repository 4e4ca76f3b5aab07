// Where resident, seal and tax records live (KON-5, SEC-2, LNK-1..LNK-3): what the linkage agent
// takes from the city's core systems goes to the hub's certificate database of the municipality
// (<muni>.cert.db) and nowhere else. It is never written to the municipality's records, so it
// never rides the feed that every counter PC replicates; and the certificate database takes
// nothing else. The hub routes by the sending device's role (HubOptions::linkage_devices) and
// judges every operation with check_data_route() in both stores. Pure functions.
#pragma once

#include <string_view>

#include "madoguchi/error.h"

namespace madoguchi::domain {

// The linkage agent's entities (domain/linkage_record.h) and the hub's 外字対照表 (gaiji.h). "<kind>_delta" are whole files as one
// opaque record, as releases before the linkage file format sent them; they stay readable.
inline constexpr std::string_view kCertificateEntities[] = {
    "resident", "seal", "tax", "seal_image", "linkage_batch", "linkage_source", "linkage_agent", "linkage_request",
    "linkage_digest", "linkage_reconcile", "gaiji_map", "konbini_flag",
    "resident_delta", "seal_delta", "tax_delta"};

bool is_certificate_entity(std::string_view entity) noexcept;

// Which database an operation is being written to.
enum class DataStore { municipality, certificate };

// Errc::forbidden when `entity` does not belong in `store`: a certificate entity written to the
// municipality's records (from any device or the hub itself; removing one is allowed: it carries
// no content, and it is how the hub takes those an older release stored there off the feed), or
// anything else in the certificate database.
Status check_data_route(DataStore store, std::string_view entity, bool remove = false);

}  // namespace madoguchi::domain
