// Whether one server's import is full or a delta, and since when (DESIGN §5 "Incremental
// import"; docs/configuration.md). Pure: the caller reads the store and the clock.
#pragma once

#include <cstdint>
#include <string>

#include "ws/config.h"

namespace ws {

struct ImportKindInputs {
  bool import_command = true;  // false: an export's pull (whole libraries, never a delta, no prune)
  bool forced_full = false;    // state:import -f
  int64_t last_import = 0;     // start of the last successful import of either kind; 0 never
  int64_t last_full = 0;       // start of the last successful full import; 0 never
  int64_t now = 0;
  ServerType type = ServerType::plex;
};

struct ImportKind {
  bool full = true;    // whole libraries; for an import command, what it does not list is pruned
  int64_t since = 0;   // a delta (> 0): changes since this time, unix seconds
  std::string why;     // for the log: "first import", "-f", "import.full_every elapsed", ...
};

// A delta when the server has had a full import within import.full_every (0: never a delta),
// the request is not -f, and the server's filter is worth asking: Jellyfin's sees no
// watch-state change, so a Jellyfin server is full unless import.jellyfin_delta. The delta
// starts import.delta_margin before the last import's start (at least 1).
ImportKind choose_import_kind(const ImportKindInputs& in, const AppConfig& config);

}  // namespace ws
