// One job.export run against one server (docs/protocol.md "job.export"): the items are read
// first, in batches; the actions are applied (export_action.h); the items written are read back,
// in batches (DESIGN §5 "After a write"), so the reconciler stores what the server shows, never
// merely what was sent.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "ws/backend_client.h"
#include "ws/export_action.h"
#include "ws/result.h"

namespace ws {

// One action's result: its outcome or its error, and the item as the server shows it after the
// job's writes — read back when the job wrote to the item, else as read before; nullopt when it
// could not be read, and for an item that is gone.
struct ActionResult {
  std::optional<ActionOutcome> outcome;
  std::optional<Error> error;
  std::optional<MediaItem> state;
};

// Runs `actions` (all of one server): one batched read of their items (an item missing from it
// is `gone`), then the actions — those of one item in job order on one connection, different
// items on up to clients.size() connections at once — then one batched read of the items
// written. A failed first read fails every action with its error; a failed read-back leaves the
// states of the written items unknown. What a bug below throws fails its action alone.
// `cancelled` is asked between items. REQUIRES: `clients` not empty; none used elsewhere meanwhile.
std::vector<ActionResult> run_export_actions(const std::vector<BackendClient*>& clients,
                                             const std::vector<ExportAction>& actions, int64_t progress_tolerance_ms,
                                             const std::function<bool()>& cancelled);

}  // namespace ws
