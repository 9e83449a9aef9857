// Export planning (DESIGN §5 "Export", rules 6 and 9, "After a write"): which writes would make
// one server match the state. Pure over a RecordSource (the store, or a dry run's uncommitted
// batch); the dispatcher (export_dispatcher.h) persists the plan in the outbox before any write.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "ws/export_guard.h"
#include "ws/media_item.h"
#include "ws/record.h"
#include "ws/result.h"
#include "ws/store.h"

namespace ws {

enum class PlannedExportKind { play, unplay, progress };
std::string_view to_string(PlannedExportKind kind);
std::optional<PlannedExportKind> parse_planned_export_kind(std::string_view text);

// One write to one server, as persisted in the outbox and sent in job.export.
struct PlannedExport {
  std::string server;
  uint64_t record_id = 0;   // the record (a multi-episode file: its first part's)
  PlannedExportKind kind = PlannedExportKind::play;
  MediaItem item;           // the server's view: its item id, type, titles (what the exporter needs)
  int64_t played_at = 0;    // play: the date to set where the server accepts one
  int64_t progress_ms = 0;  // progress: the position to set
  // unplay: when the state became unplayed. Rule 9: the exporter leaves an item the server shows
  // played after this (re-watched there since); the next import brings that play in.
  int64_t unmarked_at = 0;
  // A multi-episode file (rule 6): the records of its other episodes, one write for all of them;
  // the read-back updates each part's metadata.
  std::vector<uint64_t> parts;
  int64_t planned_at = 0;
  // A push the export guard refused: it waits in the outbox, not sent, until `state:export
  // --force` (db:stats counts them).
  bool refused = false;

  // Outbox key: one pending action per server, record and kind (a newer plan replaces it).
  std::string key() const;
  // The records the action writes for: record_id and parts.
  std::vector<uint64_t> records() const;
  bool operator==(const PlannedExport&) const = default;
};

void to_json(nlohmann::json& j, const PlannedExport& action);
void from_json(const nlohmann::json& j, PlannedExport& action);

// The item as `server` has it, from the record and that server's metadata: what a write names.
MediaItem server_view(const Record& record, const std::string& server, const ServerMeta& meta);

struct ExportPlanOptions {
  // Push mode compares records changed after this (the server's export lastSync); 0 = full mode
  // (every record that carries this server's metadata).
  int64_t since = 0;
  int64_t now = 0;
  int64_t progress_min_delta_ms = 5'000;
  int64_t rewatch_threshold_ms = 180'000;
  // A write the server ignored this many times in a row is no longer planned
  // (ServerMeta::writes_given_up)... unless `retry_given_up` (state:export -f).
  int max_ignored = 3;
  bool retry_given_up = false;
  GuardPolicy guard;
  uint64_t unmarks_in_window = 0;  // unmarks written to the server within guard.window_s already
  // false: no unplay is planned for the server (its options.DISABLE_MARK_UNPLAYED); plays and
  // positions are.
  bool unplay = true;
  // The most actions ExportPlan::actions keeps; past it they are only counted (ExportPlan::planned)
  // and their records listed (ExportPlan::sources), so a plan's memory does not grow with its
  // size: the dispatcher plans those records again, a chunk at a time (plan_again).
  size_t keep_actions = SIZE_MAX;
};

// A multi-episode file whose episodes disagree in the state (rule 6): left as it is on the server.
struct MixedFile {
  MediaItem item;                         // the server's file (its first episode's view)
  std::vector<std::pair<int, bool>> parts;  // episode number, played in the state
  bool server_watched = false;            // the file's flag on the server
  // "jf: Show S01E01-E02 (item 12): E01 played, E02 unplayed; left unplayed"
  std::string describe(const std::string& server) const;
};

struct ExportPlan {
  std::string server;
  ExportPlanOptions options;            // what it was planned with (plan_again plans with them too)
  std::vector<PlannedExport> actions;   // the first options.keep_actions of them
  uint64_t planned = 0;                 // actions planned, kept or not
  // The records whose visit planned an action, in plan order (a multi-episode file's: the part
  // visited first): plan_again over them plans the same actions. 8 bytes a record (one or two
  // actions each).
  std::vector<uint64_t> sources;
  bool complete() const { return actions.size() >= planned; }
  std::vector<MixedFile> mixed;   // files left as they are (rule 6)
  uint64_t compared = 0;          // records looked at
  uint64_t played_on_server = 0;  // records this server has as played (push mode: counted when the guard needs it)
  uint64_t unplays = 0;
  uint64_t given_up = 0;          // writes not planned: the server ignored them export.max_ignored times
  GuardDecision guard;            // unforced: the dispatcher applies --force
  bool guard_tripped() const { return guard.tripped; }
};

// Compares what `source` holds for `server` with the state and plans the writes: a record whose
// watched flag differs from the server's metadata (and whose server side is not newer), and a
// resume position that moved. Records the server does not have (no metadata) are left alone. A
// server's multi-episode file is planned once, from all its parts (plan_file).
ExportPlan plan_export(const RecordSource& source, const std::string& server, const ExportPlanOptions& options);

// The push path's plan: only `records` (those a webhook changed), planned as plan_export plans
// them; the server's played count for the guard comes from `source` when the guard needs it.
ExportPlan plan_records(const RecordSource& source, const std::string& server, const std::vector<Record>& records,
                        const ExportPlanOptions& options);

// The actions of `records` (a plan's ExportPlan::sources, read again), planned as plan_export
// planned them but without its counts and guard: a large plan's next chunk, from the records as
// they are now.
std::vector<PlannedExport> plan_again(const RecordSource& source, const std::string& server,
                                      const std::vector<Record>& records, const ExportPlanOptions& options);

// The planning rule for one record (not part of a multi-episode file on this server).
std::vector<PlannedExport> plan_record(const Record& record, const std::string& server, const ExportPlanOptions& options);

// Rule 6 for one multi-episode file of `server`: `parts` are its records (records_of_item).
// Written played only when every part is played, unplayed only when every part is unplayed (and
// each part's unmark is newer than the server's play); parts that disagree give no action and a
// MixedFile. No progress is written to such a file (a position in it belongs to one episode).
struct FilePlan {
  std::vector<PlannedExport> actions;
  std::optional<MixedFile> mixed;
  bool given_up = false;
};
FilePlan plan_file(const std::vector<Record>& parts, const std::string& server, const ExportPlanOptions& options);

}  // namespace ws
