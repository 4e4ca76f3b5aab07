// The staff console's records at the hub (console::app::ConsoleStore over one municipality's
// HubStore). Reads come from the municipality's database; every write goes through
// HubEngine::write_local, so it is published on the municipality's feed at once and reaches the
// edges (a new clerk can sign in at a counter PC after the next feed message).
//
// The hub's operation log chain is its own device name (oplog.h), "hub-<instance>", so hub
// instances sharing the load keep separate chains. Called on the hub's io_context thread only
// (the same thread as the engine).
#pragma once

#include <optional>
#include <string>

#include "madoguchi/console/app/console_app.h"
#include "madoguchi/domain/oplog.h"
#include "madoguchi/hub/hub_engine.h"

namespace madoguchi::hub {

class HubConsoleStore final : public console::app::ConsoleStore {
 public:
  // `device` names this hub's oplog chain ("hub-1"); it must be a valid device id.
  HubConsoleStore(HubEngine& engine, std::string municipality, std::string device);

  Expected<std::optional<domain::StaffAccount>> staff(std::string_view id) override;
  Expected<std::vector<domain::Role>> roles() override;
  Expected<domain::Settings> settings() override;
  Status save_staff(const domain::StaffAccount& account) override;
  Status append_oplog(std::string_view action, std::string_view staff_id, std::string_view target,
                      std::string_view detail, std::int64_t at_ms) override;
  Expected<std::vector<domain::OpLogEntry>> recent_oplog(std::string_view staff_id, std::size_t limit) override;
  Expected<std::vector<domain::StaffAccount>> all_staff() override;
  Status remove_staff(std::string_view id) override;
  Expected<std::vector<domain::OpLogEntry>> find_oplog(const console::app::OpLogFilter& filter, std::size_t offset,
                                                        std::size_t limit) override;
  Expected<std::vector<std::string>> oplog_devices(std::size_t limit) override;
  Expected<std::vector<domain::OpLogEntry>> oplog_chain(std::string_view device, std::uint64_t after_seq,
                                                         std::size_t limit) override;
  Status save_settings(const domain::Settings& settings) override;
  Status save_role(const domain::Role& role) override;
  Status remove_role(std::string_view id) override;

  // Records of one entity scanned at most (staff, roles, oplog): a bound on one request's work.
  static constexpr std::size_t kMaxScan = 20000;

 private:
  Expected<HubStore*> store();
  // Writes one record based on the version stored now (a change at the hub wins, like the API).
  Status write(std::string_view entity, std::string_view key, protocol::OpKind kind, const std::string& body);

  HubEngine& engine_;
  std::string municipality_;
  std::string device_;
  std::optional<domain::OpLogEntry> last_;  // this device's newest entry, once loaded
  bool last_loaded_ = false;
};

}  // namespace madoguchi::hub
