// The console's Excel exports (交付管理 ISS-7 at a counter PC and the hub; コンビニ交付記録 and
// 交付統計 OPS-3 at the hub): TableWriter over
// drivers/xlsx's SheetWriter, which keeps its rows in a work file in `work_dir` (created 0700 when
// missing) rather than in memory. A library of its own (madoguchi_console_excel): console::app
// itself writes no files.
#pragma once

#include <filesystem>

#include "madoguchi/console/app/console_app.h"

namespace madoguchi::console::app {

TableWriterFactory excel_table_writers(std::filesystem::path work_dir);

}  // namespace madoguchi::console::app
