// What the webhook end-to-end tests share: the webhook key of their config.yaml, db:stats, and
// "nothing waits anywhere" (ingest's spool and in-flight events, the reconciler's outbox).
#pragma once

#include <nlohmann/json.hpp>

#include "e2e_cli.h"
#include "e2e_harness.h"
#include "e2e_ingest.h"

namespace ws::e2e {

inline constexpr const char* kWebhookKey = "e2e-webhook-key-0123456789";

inline nlohmann::json db_stats(const DataFolder& folder) { return watchstate_ok(folder, {"db:stats"}); }

// Nothing waits anywhere: ingest's spool is empty, nothing is in flight to the reconciler, and the
// reconciler's outbox is empty.
inline bool quiet(const IngestProcess& ingest, const DataFolder& folder) {
  return ingest.spool_depth() == 0 && ingest.healthz().value("in_flight", 1) == 0 &&
         db_stats(folder).value("outbox", 1) == 0;
}

}  // namespace ws::e2e
