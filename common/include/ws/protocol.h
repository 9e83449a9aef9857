// Mirrors docs/protocol.md: message type names, field names and timings of the protocol between
// watchstate processes. The document is the contract; change both together.
#pragma once

#include <chrono>
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

// Heartbeats: every interval when nothing else was sent; a peer silent for
// kLiveness intervals is dead (zguide Paranoid Pirate).
inline constexpr std::chrono::milliseconds kHeartbeatInterval{1000};
inline constexpr int kLiveness = 3;

// Embedded-mode endpoints.
inline constexpr std::string_view kInprocWorkers = "inproc://ws-workers";
inline constexpr std::string_view kInprocEvents = "inproc://ws-events";
inline constexpr std::string_view kInprocControl = "inproc://ws-control";

}  // namespace ws::protocol
