#include "ws/export_action.h"

#include <cstdint>
#include <cstdlib>

#include "ws/json_fields.h"

namespace ws {
namespace {

// "job.export action 'KEY'" once the key is known: errors name the action.
std::string where(const std::string& key) {
  return "job.export action" + (key.empty() ? std::string() : " '" + key + "'");
}

Error field_error(const std::string& key, const std::string& what) {
  return make_error(ErrorKind::invalid_input, where(key) + ": " + what);
}

}  // namespace

Result<ExportAction> parse_export_action(const nlohmann::json& entry) {
  if (!entry.is_object()) return field_error("", "is not a map");
  ExportAction action;
  auto key = json_fields::string_field(entry, where(""), "key");
  if (!key) return key.error();
  action.key = std::move(key.value());
  auto kind_field = json_fields::string_field(entry, where(action.key), "action");  // a number must not throw
  const std::string kind = kind_field ? kind_field.value() : std::string();
  if (kind == "play") action.kind = ExportAction::Kind::play;
  else if (kind == "unplay") action.kind = ExportAction::Kind::unplay;
  else if (kind == "progress") action.kind = ExportAction::Kind::progress;
  else return field_error(action.key, "'action' is '" + kind.substr(0, 32) + "', not play, unplay or progress");
  auto item = entry.find("item");
  if (item == entry.end() || !item->is_object()) return field_error(action.key, "needs an 'item' map");
  try {
    item->get_to(action.item);
  } catch (const nlohmann::json::exception& e) {
    return field_error(action.key, std::string("'item' is malformed: ") + e.what());
  }
  if (action.item.item_id.empty()) return field_error(action.key, "'item' has no 'item_id'");
  auto played_at = json_fields::int_field(entry, where(action.key), "played_at", INT64_MIN, INT64_MAX, 0);
  if (!played_at) return played_at.error();
  action.played_at = *played_at;
  auto progress = json_fields::int_field(entry, where(action.key), "progress_ms", INT64_MIN, INT64_MAX, 0);
  if (!progress) return progress.error();
  if (*progress < 0) return field_error(action.key, "'progress_ms' is negative");
  action.progress_ms = *progress;
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
