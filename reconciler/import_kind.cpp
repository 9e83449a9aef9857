#include "ws/import_kind.h"

#include <algorithm>

namespace ws {

ImportKind choose_import_kind(const ImportKindInputs& in, const AppConfig& config) {
  ImportKind kind;
  if (!in.import_command) {
    kind.why = "an export's pull";
  } else if (in.forced_full) {
    kind.why = "-f";
  } else if (in.last_import <= 0 || in.last_full <= 0) {
    kind.why = "no full import yet";
  } else if (config.import_full_every.count() == 0) {
    kind.why = "import.full_every is 0";
  } else if (in.now - in.last_full >= config.import_full_every.count()) {
    kind.why = "import.full_every elapsed";
  } else if (in.type == ServerType::jellyfin && !config.import_jellyfin_delta) {
    kind.why = "Jellyfin's change filter sees no watch-state change (import.jellyfin_delta is off)";
  } else {
    kind.full = false;
    kind.since = std::max<int64_t>(1, in.last_import - config.import_delta_margin.count());
    kind.why = "changes since the last import";
  }
  return kind;
}

}  // namespace ws
