// The Excel export of 交付管理 (ISS-7) at a counter PC: console::app's TableWriter over
// drivers/xlsx's SheetWriter, which keeps its rows in a work file in `work_dir` (created 0700 when
// missing) rather than in memory.
#pragma once

#include <filesystem>

#include "madoguchi/console/app/console_app.h"

namespace madoguchi::edge {

console::app::TableWriterFactory excel_table_writers(std::filesystem::path work_dir);

}  // namespace madoguchi::edge
