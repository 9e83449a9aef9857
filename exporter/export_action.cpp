#include "ws/export_action.h"

#include <cstdint>
#include <cstdlib>

#include "ws/message_fields.h"
#include "ws/protocol.h"

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
  action.unmarked_at = fields.integer_or("unmarked_at", 0, INT64_MIN, INT64_MAX);
  if (action.unmarked_at < 0) fields.invalid("unmarked_at", "is negative");
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

std::string_view to_string(ActionOutcome::Kind kind) {
  switch (kind) {
    case ActionOutcome::Kind::written: return protocol::kOutcomeWritten;
    case ActionOutcome::Kind::unchanged: return protocol::kOutcomeUnchanged;
    case ActionOutcome::Kind::skipped: return protocol::kOutcomeSkipped;
    case ActionOutcome::Kind::gone: return protocol::kOutcomeGone;
  }
  return "?";
}

Result<ActionOutcome> apply_export_action(BackendClient& client, const ExportAction& action, MediaItem& current,
                                          int64_t progress_tolerance_ms) {
  using Kind = ActionOutcome::Kind;
  auto outcome_of = [](const Result<Ok>& written) -> Result<ActionOutcome> {
    if (written) return ActionOutcome{Kind::written, {}};
    if (written.error().kind == ErrorKind::not_found) return ActionOutcome{Kind::gone, {}};
    return written.error();
  };
  switch (action.kind) {
    case ExportAction::Kind::play: {
      if (current.watched) return ActionOutcome{};
      auto done = outcome_of(client.mark_played(current, action.played_at));
      if (done && done->written()) current.watched = true;
      return done;
    }
    case ExportAction::Kind::unplay: {
      if (!current.watched) return ActionOutcome{};
      // Rule 9: played there after the unmark — watched again since. That play is news for the
      // next import (rule 1), not something to erase.
      if (action.unmarked_at > 0 && current.played_at > action.unmarked_at)
        return ActionOutcome{Kind::skipped, std::string(protocol::kSkippedRewatched)};
      auto done = outcome_of(client.mark_unplayed(current));
      if (done && done->written()) {
        current.watched = false;
        current.progress_ms = 0;
      }
      return done;
    }
    case ExportAction::Kind::progress: {
      if (std::llabs(current.progress_ms - action.progress_ms) <= progress_tolerance_ms) return ActionOutcome{};
      auto done = outcome_of(client.set_progress(current, action.progress_ms));
      if (done && done->written()) current.progress_ms = action.progress_ms;
      return done;
    }
  }
  return ActionOutcome{};
}

}  // namespace ws
