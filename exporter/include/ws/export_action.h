// One action of a `job.export` (docs/protocol.md) and how it is applied to the item's current
// state on the server (read before, in batches: export_job.h): write only what differs, so a job
// re-run after a reconciler crash never writes twice; leave an unplay whose item was played there
// after the unmark (DESIGN rule 9); report an item the server no longer has as gone (rule 8).
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
  int64_t unmarked_at = 0;  // unplay: when the state became unplayed (0: not checked)
};

// How one action ended (docs/protocol.md job.export `outcome`).
struct ActionOutcome {
  enum class Kind { written, unchanged, skipped, gone };
  Kind kind = Kind::unchanged;
  std::string reason;  // skipped: why (protocol::kSkippedRewatched)
  bool written() const { return kind == Kind::written; }
};
std::string_view to_string(ActionOutcome::Kind kind);

// Reads one entry of `actions`. Needs `key`, `action` (play|unplay|progress) and `item` with an
// `item_id`; errors name the field (and the key when it could be read).
Result<ExportAction> parse_export_action(const nlohmann::json& entry);

// Applies the action to `current`, the item as the server showed it before (writes go with the
// server's own view: library, ids as it knows them now), if the server differs. Progress within
// `progress_tolerance_ms` of the server's counts as equal (servers round positions). A write the
// server answers 404 is `gone`. On a write, `current` is updated to what was written, so the
// next action on the same item compares with it.
Result<ActionOutcome> apply_export_action(BackendClient& client, const ExportAction& action, MediaItem& current,
                                          int64_t progress_tolerance_ms);

}  // namespace ws
