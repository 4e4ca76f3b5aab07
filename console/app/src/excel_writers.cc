#include "madoguchi/console/app/excel_writers.h"

#include <memory>
#include <string>
#include <vector>

#include "madoguchi/xlsx/sheet_writer.h"

namespace madoguchi::console::app {

namespace {
struct SheetTableWriter final : TableWriter {
  std::unique_ptr<xlsx::SheetWriter> w;
  Status add_row(const std::vector<std::string>& cells) override { return w->add_row(cells); }
  Expected<std::string> finish() override { return w->finish_bytes(); }
  Status finish_to(const std::filesystem::path& path) override { return w->finish_to(path); }
};
}  // namespace

TableWriterFactory excel_table_writers(std::filesystem::path work_dir) {
  return [dir = std::move(work_dir)](std::string_view sheet, const std::vector<std::string>& header)
             -> Expected<std::unique_ptr<TableWriter>> {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
    auto w = xlsx::SheetWriter::create(dir, sheet, header);
    if (!w) return w.error();
    auto out = std::make_unique<SheetTableWriter>();
    out->w = std::move(*w);
    return std::unique_ptr<TableWriter>(std::move(out));
  };
}

}  // namespace madoguchi::console::app
