// Export planning (DESIGN §5 "Export"): which writes would make one server match the state.
// Pure over the store's records; the reconciler persists the plan in the outbox before any write.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

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
  uint64_t record_id = 0;
  PlannedExportKind kind = PlannedExportKind::play;
  MediaItem item;           // the server's view: its item id, type, titles (what the exporter needs)
  int64_t played_at = 0;    // play: the date to set where the server accepts one
  int64_t progress_ms = 0;  // progress: the position to set
  int64_t planned_at = 0;

  // Outbox key: one pending action per server, record and kind (a newer plan replaces it).
  std::string key() const;
  bool operator==(const PlannedExport&) const = default;
};

void to_json(nlohmann::json& j, const PlannedExport& action);
void from_json(const nlohmann::json& j, PlannedExport& action);

struct ExportPlanOptions {
  // Push mode compares records changed after this (the server's export lastSync); 0 = full mode
  // (every record that carries this server's metadata).
  int64_t since = 0;
  int64_t now = 0;
  int64_t progress_min_delta_ms = 5'000;
  int64_t rewatch_threshold_ms = 180'000;
  double guard_share = 0.10;   // refuse a plan unmarking more than this share of played items...
  uint64_t guard_floor = 5;    // ...and more than this many (a single unmark on a small library is fine)
};

struct ExportPlan {
  std::string server;
  std::vector<PlannedExport> actions;
  uint64_t compared = 0;       // records looked at
  uint64_t played_on_server = 0;  // records this server has as played (full mode only; push mode: from the compared)
  uint64_t unplays = 0;
  bool guard_tripped = false;  // unplays exceed the guard: refuse unless --force
  std::string guard_message;   // says the numbers and how to override
};

// Compares what the store holds for `server` with the state and plans the writes: a record whose
// watched flag differs from the server's metadata (and whose server side is not newer), and a
// resume position that moved. Records the server does not have (no metadata) are left alone.
ExportPlan plan_export(const Store& store, const std::string& server, const ExportPlanOptions& options);

// The planning rule for one record, exposed for tests.
std::vector<PlannedExport> plan_record(const Record& record, const std::string& server, const ExportPlanOptions& options);

}  // namespace ws
