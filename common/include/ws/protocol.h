// Mirrors docs/protocol.md: message type names, field names and timings of the protocol between
// watchstate processes. The document is the contract; change both together.
#pragma once

#include <chrono>
#include <cstddef>
#include <string_view>

namespace ws::protocol {

// Message types (frame 1).
inline constexpr std::string_view kJobFetch = "job.fetch";
inline constexpr std::string_view kJobExport = "job.export";
inline constexpr std::string_view kBatchItems = "batch.items";
inline constexpr std::string_view kJobDone = "job.done";
inline constexpr std::string_view kJobFailed = "job.failed";
inline constexpr std::string_view kEventWebhook = "event.webhook";
inline constexpr std::string_view kAck = "ack";
inline constexpr std::string_view kWorkerReady = "worker.ready";
inline constexpr std::string_view kHeartbeat = "heartbeat";
inline constexpr std::string_view kCtlRequest = "ctl.request";
inline constexpr std::string_view kCtlProgress = "ctl.progress";
inline constexpr std::string_view kCtlReply = "ctl.reply";

// Services a worker can offer in worker.ready `serves`.
inline constexpr std::string_view kServiceFetch = "fetch";
inline constexpr std::string_view kServiceExport = "export";

// job.fetch `kind`: list the libraries, fetch a range of a library's items, or fetch items by
// the server's ids (a webhook's one-item fetch, answered in job.done `result.items`).
inline constexpr std::string_view kFetchPlan = "plan";
inline constexpr std::string_view kFetchPages = "pages";
inline constexpr std::string_view kFetchItems = "items";
// job.fetch `import` of plan and pages jobs: the whole libraries, or (with `since`, unix seconds)
// only what the server's change filter reports changed since then (DESIGN §5 "Incremental
// import"). Absent: full.
inline constexpr std::string_view kImportField = "import";
inline constexpr std::string_view kImportFull = "full";
inline constexpr std::string_view kImportDelta = "delta";
inline constexpr std::string_view kSinceField = "since";
// Most ids one `items` job may name: a webhook burst is cut into jobs of this many.
inline constexpr size_t kMaxFetchItems = 500;

// job.export result: how each action ended (`outcome` of a `done` entry), and the one reason a
// `skipped` gives today (DESIGN rule 9).
inline constexpr std::string_view kOutcomeWritten = "written";
inline constexpr std::string_view kOutcomeUnchanged = "unchanged";
inline constexpr std::string_view kOutcomeSkipped = "skipped";
inline constexpr std::string_view kOutcomeGone = "gone";
inline constexpr std::string_view kSkippedRewatched = "rewatched";

// Heartbeats: every interval when nothing else was sent; a peer silent for
// kLiveness intervals is dead (zguide Paranoid Pirate).
inline constexpr std::chrono::milliseconds kHeartbeatInterval{1000};
inline constexpr int kLiveness = 3;

// Limits of what a peer may send (docs/protocol.md "Limits"). The size is config.yaml
// `endpoints.max_message` (this is its default) and ZMQ_MAXMSGSIZE on every socket; the depth is
// fixed: our deepest message (job.export: body, actions, action, item, guids) nests 5 levels, and
// the decoder must never recurse as deep as a hostile body asks (nlohmann's reader recurses once
// per level).
inline constexpr size_t kDefaultMaxMessage = size_t{16} << 20;
inline constexpr int kMaxMessageDepth = 32;

// Control requests that may wait behind the running one; beyond this a request is refused (a
// queue that grows without bound only hides that the work never gets done).
inline constexpr size_t kMaxQueuedRequests = 16;

// Events (docs/protocol.md "Events"): event.webhook {event, server, spool_id, received_at,
// attempt, dry_run?} from ingest, answered ack {ref, ok, spool_id, retry, error, decision?}.
inline constexpr std::string_view kEventField = "event";
inline constexpr std::string_view kServerField = "server";
inline constexpr std::string_view kSpoolIdField = "spool_id";
inline constexpr std::string_view kReceivedAtField = "received_at";
inline constexpr std::string_view kAttemptField = "attempt";
inline constexpr std::string_view kDryRunField = "dry_run";
inline constexpr std::string_view kRefField = "ref";
inline constexpr std::string_view kOkField = "ok";
inline constexpr std::string_view kRetryField = "retry";
inline constexpr std::string_view kErrorField = "error";
inline constexpr std::string_view kDecisionField = "decision";

// Embedded-mode endpoints.
inline constexpr std::string_view kInprocWorkers = "inproc://ws-workers";
inline constexpr std::string_view kInprocEvents = "inproc://ws-events";
inline constexpr std::string_view kInprocControl = "inproc://ws-control";

}  // namespace ws::protocol
