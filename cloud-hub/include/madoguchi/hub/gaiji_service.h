// The 外字対照表 at the hub (console::app::GaijiView) for one municipality, over its certificate
// database: the vendor codes its records use (found by SQLite scanning the bodies for U+E000..
// U+E757, cached until the database changes), the mappings (entity gaiji_map, written at the hub),
// held records, and how a record prints. The MJ data (mji-list.tsv, mj-readings.tsv,
// MJShrinkMap.1.2.0.json) is installable data read once at start from HubConfig::mj_data_dir
// (load_mj_data); without it, staff type the character themselves. Called under the hub's
// application lock.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "madoguchi/console/app/gaiji_view.h"
#include "madoguchi/hub/hub_engine.h"
#include "madoguchi/hub/linkage_reconciler.h"

namespace madoguchi::hub {

// Reads the MJ data files from `dir`. Errors name the file.
Expected<std::shared_ptr<const domain::MjIndex>> load_mj_data(const std::filesystem::path& dir);

class HubGaiji final : public console::app::GaijiView {
 public:
  // `reconciler` sends staff's re-requests (LNK-7); without it, request_again refuses.
  HubGaiji(HubEngine& engine, std::string municipality, std::shared_ptr<const domain::MjIndex> mj, const Clock& clock,
           LinkageReconciler* reconciler = nullptr)
      : engine_(engine), municipality_(std::move(municipality)), mj_(std::move(mj)), clock_(clock), reconciler_(reconciler) {}

  Expected<std::vector<console::app::GaijiCode>> codes() override;
  Expected<std::vector<console::app::HeldRecord>> held(std::size_t max) override;
  Status save_mapping(const domain::GaijiMapping& mapping) override;
  std::optional<domain::MjCharacter> mj(std::string_view text_or_mj_name) const override;
  bool has_mj_data() const override { return mj_ != nullptr; }
  Expected<std::optional<std::vector<console::app::PrintField>>> print_check(const std::string& entity, const std::string& key) override;
  Expected<std::size_t> request_again(const std::vector<std::pair<std::string, std::string>>& records, const std::string& by) override;

 private:
  struct Use {
    std::string entity, key, table, file;
    std::vector<std::string> codes;
    std::vector<std::string> columns;
  };
  Expected<HubStore*> store();
  Status refresh();  // the uses, read again when the database changed
  Expected<std::map<std::string, domain::GaijiMapping>> mappings(const std::string& table);

  HubEngine& engine_;
  std::string municipality_;
  std::shared_ptr<const domain::MjIndex> mj_;
  const Clock& clock_;
  LinkageReconciler* reconciler_;
  std::optional<HubStore::DataVersion> seen_;
  std::vector<Use> uses_;
};

}  // namespace madoguchi::hub
