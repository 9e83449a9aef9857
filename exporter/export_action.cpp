#include "ws/export_action.h"

#include <cstdint>
#include <cstdlib>

#include "ws/message_fields.h"

namespace ws {

Result<ExportAction> parse_export_action(const nlohmann::json& entry) {
  ExportAction action;
  {
    MessageFields fields("job.export action", entry);
    action.key = fields.string("key");
    if (!fields.ok()) return fields.as_error();
  }
  // From here on, errors name the action by its key.
  MessageFields fields("job.export action '" + action.key + "'", entry);
  const std::string kind = fields.string_or("action", "");
  if (kind == "play") action.kind = ExportAction::Kind::play;
  else if (kind == "unplay") action.kind = ExportAction::Kind::unplay;
  else if (kind == "progress") action.kind = ExportAction::Kind::progress;
  else fields.invalid("action", "is '" + kind.substr(0, 32) + "', not play, unplay or progress");
  const nlohmann::json& item = fields.map("item");
  action.played_at = fields.integer_or("played_at", 0, INT64_MIN, INT64_MAX);
  action.progress_ms = fields.integer_or("progress_ms", 0, INT64_MIN, INT64_MAX);
  if (action.progress_ms < 0) fields.invalid("progress_ms", "is negative");
  if (!fields.ok()) return fields.as_error();
  try {
    item.get_to(action.item);
  } catch (const nlohmann::json::exception& e) {
    fields.invalid("item", std::string("is malformed: ") + e.what());
    return fields.as_error();
  }
  if (action.item.item_id.empty()) {
    fields.invalid("item", "has no 'item_id'");
    return fields.as_error();
  }
  return action;
}

Result<bool> apply_export_action(BackendClient& client, const ExportAction& action, int64_t progress_tolerance_ms) {
  auto current = client.fetch_item(action.item.item_id);
  if (!current) return current.error();
  // Writes go with the server's own view of the item (library, ids as it knows them now).
  switch (action.kind) {
    case ExportAction::Kind::play: {
      if (current->watched) return false;
      auto written = client.mark_played(*current, action.played_at);
      if (!written) return written.error();
      return true;
    }
    case ExportAction::Kind::unplay: {
      if (!current->watched) return false;
      auto written = client.mark_unplayed(*current);
      if (!written) return written.error();
      return true;
    }
    case ExportAction::Kind::progress: {
      if (std::llabs(current->progress_ms - action.progress_ms) <= progress_tolerance_ms) return false;
      auto written = client.set_progress(*current, action.progress_ms);
      if (!written) return written.error();
      return true;
    }
  }
  return false;
}

}  // namespace ws
