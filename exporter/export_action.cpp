#include "ws/export_action.h"

#include <cstdlib>

namespace ws {
namespace {

Error field_error(const std::string& key, const std::string& what) {
  return make_error(ErrorKind::invalid_input,
                    "job.export action" + (key.empty() ? std::string() : " '" + key + "'") + ": " + what);
}

Result<int64_t> optional_int(const nlohmann::json& entry, const char* name, const std::string& key) {
  auto it = entry.find(name);
  if (it == entry.end() || it->is_null()) return int64_t{0};
  if (!it->is_number_integer()) return field_error(key, std::string("'") + name + "' is not an integer");
  return it->get<int64_t>();
}

}  // namespace

Result<ExportAction> parse_export_action(const nlohmann::json& entry) {
  if (!entry.is_object()) return field_error("", "is not a map");
  ExportAction action;
  auto key = entry.find("key");
  if (key == entry.end() || !key->is_string() || key->get_ref<const std::string&>().empty())
    return field_error("", "needs a non-empty string 'key'");
  action.key = key->get<std::string>();
  const std::string kind = entry.value("action", std::string());
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
  auto played_at = optional_int(entry, "played_at", action.key);
  if (!played_at) return played_at.error();
  action.played_at = *played_at;
  auto progress = optional_int(entry, "progress_ms", action.key);
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
