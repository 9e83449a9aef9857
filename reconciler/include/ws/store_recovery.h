// How the reconciler gets its store writing again after a failed commit (a full map, a full
// disk), without a restart: before each request it re-reads store.map_size from config.yaml (and
// the WS_* environment) and re-opens the store with it. Until then the store answers reads and
// the status reply shows it as failed.
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

#include "ws/result.h"
#include "ws/store.h"

namespace ws {

// Ok at once when the store accepts writes. Otherwise re-opens it with the map size `config_file`
// now gives: Ok when it accepts writes again, else why not (a broken config.yaml, a map that cannot
// be reserved). A re-opened store that is still too small fails its next commit the same way.
// REQUIRES: what Store::reopen requires (no write batch open: between requests).
Result<Ok> reopen_if_failed(Store& store, const std::filesystem::path& config_file);

// {"ok": true} or {"ok": false, "error": "<the failed commit>"}: the store's part of the status
// reply (docs/protocol.md), shown by db:stats and later by ingest's /healthz.
nlohmann::json store_health(const Store& store);

}  // namespace ws
