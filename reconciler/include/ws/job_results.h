// The results workers send in `job.done` (docs/protocol.md "job.fetch", "job.export"), read into
// types with every field checked before use. The broker runs check_job_result on each result
// (Options::check_result): one that does not read fails the attempt, which is retried like any
// other failure; the request run then reads the same types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ws/job_broker.h"
#include "ws/media_item.h"
#include "ws/result.h"

namespace ws {

// Most items a library may claim: a plan beyond it is refused rather than split into millions of
// jobs (no server we know of holds a library this large).
inline constexpr int64_t kMaxLibraryItems = 10'000'000;

struct PlannedLibrary {
  std::string id;
  std::string kind = "movie";  // "movie" | "episode"
  bool ignored = false;
  int64_t total = 0;           // 0..kMaxLibraryItems
};

// job.fetch kind "plan": {identity, libraries: [{id, title, kind, ignored, total}]}.
Result<std::vector<PlannedLibrary>> read_plan_result(const nlohmann::json& result);

// job.fetch kind "items" (a webhook's one-item fetch): {items: [MediaItem]}, the items the
// server still has. An item that does not read refuses the whole result.
Result<std::vector<MediaItem>> read_items_result(const nlohmann::json& result);

// What the server reports for an item after the exporter's writes (read back, in batches).
struct ReadBackState {
  bool watched = false;
  int64_t played_at = 0;    // unix seconds; 0 when none
  int64_t progress_ms = 0;
};

// How an action ended (done entries): written, the server had it already ("unchanged"), left
// alone with a reason ("skipped", rule 9), or the item is no longer there ("gone", rule 8).
enum class ExportOutcomeKind { written, unchanged, skipped, gone };
std::string_view to_string(ExportOutcomeKind kind);

struct ExportOutcome {
  std::string key;      // the outbox key of one action of the job
  bool written = true;  // done: whether the exporter wrote (false: the server had it already)
  ExportOutcomeKind outcome = ExportOutcomeKind::written;
  std::string reason;   // skipped: why ("rewatched")
  std::optional<ReadBackState> state;  // done: the server's state now; absent when it could not be read
  std::string error;    // failed: why
};
struct ExportResult {
  std::vector<ExportOutcome> done;
  std::vector<ExportOutcome> failed;
};

// job.export: {done: [{key, written, outcome?, reason?, state?: {watched, played_at,
// progress_ms}}], failed: [{key, error}]} (docs/protocol.md). `outcome` absent: from `written`
// (an exporter of before the read-back); `written` must agree with it. Every key must be one of
// the job's actions (`job_body` is the job as submitted), so a result never touches another
// job's outbox entries.
Result<ExportResult> read_export_result(const nlohmann::json& result, const nlohmann::json& job_body);

// For the broker: reads the result as its job's type and kind ask.
Result<Ok> check_job_result(const Job& job, const nlohmann::json& result);

}  // namespace ws
