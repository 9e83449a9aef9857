// One action of a `job.export` (docs/protocol.md) and how it is applied: read the item's current
// state on the server first, write only what differs. A job re-run after a reconciler crash
// therefore never writes twice.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "ws/backend_client.h"
#include "ws/media_item.h"
#include "ws/result.h"

namespace ws {

struct ExportAction {
  enum class Kind { play, unplay, progress };
  std::string key;  // the outbox key, echoed in the answer
  Kind kind = Kind::play;
  MediaItem item;   // the server's item as the state knows it; item_id is what counts
  int64_t played_at = 0;    // play: unix seconds, where the server accepts a date (0: now)
  int64_t progress_ms = 0;  // progress: the position to set (0 clears it)
};

// Reads one entry of `actions`. Needs `key`, `action` (play|unplay|progress) and `item` with an
// `item_id`; errors name the field (and the key when it could be read).
Result<ExportAction> parse_export_action(const nlohmann::json& entry);

// Applies the action if the server differs. Returns whether a write was sent. Progress within
// `progress_tolerance_ms` of the server's counts as equal (servers round positions).
Result<bool> apply_export_action(BackendClient& client, const ExportAction& action, int64_t progress_tolerance_ms);

}  // namespace ws
