// The edge database's versioned schema (edge_schema.cc). Private to the edge agent.
#pragma once

#include "madoguchi/sqlite/schema.h"

namespace madoguchi::edge {

const sqlite::Schema& edge_schema();

}  // namespace madoguchi::edge
