#include "ws/store_recovery.h"

#include <spdlog/spdlog.h>

#include "ws/config.h"

namespace ws {

Result<Ok> reopen_if_failed(Store& store, const std::filesystem::path& config_file) {
  const Error* failure = store.failure();
  if (!failure) return Ok{};
  auto config = load_config(config_file);
  if (!config) {
    return make_error(config.error().kind, "the state store refuses writes after a failed commit (" + failure->message +
                                               "), and it cannot be re-opened: " + config.error().message);
  }
  const size_t map_size = config->config.store.map_size;
  if (auto reopened = store.reopen(map_size); !reopened) {
    spdlog::warn("state store: {}", reopened.error().message);
    return reopened.error();
  }
  spdlog::info("state store '{}': re-opened after a failed commit, map size {} bytes (store.map_size)",
               store.dir().string(), map_size);
  return Ok{};
}

nlohmann::json store_health(const Store& store) {
  const Error* failure = store.failure();
  if (!failure) return {{"ok", true}};
  return {{"ok", false}, {"error", failure->message}};
}

}  // namespace ws
