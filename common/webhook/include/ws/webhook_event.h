// A webhook as a server sent it, and the normalized event it means (DESIGN §8, §11). The parsers
// (webhook_parser.h) are the only code that knows the three servers' webhook shapes; ingest and the
// reconciler see only WebhookEvent.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "ws/config.h"
#include "ws/media_item.h"

namespace ws {

// One HTTP request as received. The parsers read `content_type` and `body`; `headers` (names
// lowercased) and `user_agent` are kept for logs and sender checks.
struct WebhookRequest {
  std::string content_type;
  std::string user_agent;
  std::string body;
  std::map<std::string, std::string> headers;
  // Unix seconds the request arrived; 0 = unknown. Plex and Jellyfin send no event date, so this
  // stands in for it (event_time, and the played date of a completed play). Never part of
  // event_id, so a replayed body keeps its id.
  int64_t received_at = 0;
};

// What the event means for the state. 1:1 onto the mapper's EventKind (reconciler/mapper.h):
//   state_change   -> EventKind::mark            (a manual mark played / unplayed; item.watched says which)
//   completed_play -> EventKind::completed_play  (can only mark played)
//   tainted_play   -> EventKind::tainted         (play, pause, resume, stop)
//   progress       -> EventKind::tainted         (a progress report or a progress save)
//   item_added     -> EventKind::tainted         (new media)
//   ignored        -> not sent to the mapper; ignore_reason says why
enum class WebhookKind { state_change, progress, item_added, completed_play, tainted_play, ignored };

std::string_view to_string(WebhookKind kind);
std::optional<WebhookKind> parse_webhook_kind(std::string_view text);

struct WebhookEvent {
  ServerType type = ServerType::plex;
  std::string server_id;     // Plex Server.uuid, Jellyfin ServerId, Emby Server.Id; may be empty
  std::string server_name;   // as the server calls itself (Plex Server.title, ...); may be empty
  std::string user_id;       // Plex Account.id, Jellyfin UserId, Emby User.Id; may be empty
  std::string user_name;
  std::string event_name;    // the server's own name: "media.scrobble", "UserDataSaved", ...
  WebhookKind kind = WebhookKind::ignored;
  std::string ignore_reason; // one sentence when kind == ignored, else empty
  // The item as the event reports it. `item.server` is left empty: only ingest knows which
  // configured server sent it (by server_id). For `ignored` events it may be partly filled.
  MediaItem item;
  int64_t event_time = 0;    // unix seconds: the server's date, else received_at, else 0
  // Stable for the same body whatever the arrival time: 16 hex digits of a hash of the server
  // type and id, user id, event name, item id, the event's date and the position. Replays of one
  // webhook give one id (DESIGN §4).
  std::string event_id;
};

// The `event` of event.webhook (docs/protocol.md "Events"). from_json throws
// nlohmann::json::exception on a type, kind or item it cannot read (the reconciler refuses the
// message with that sentence).
void to_json(nlohmann::json& j, const WebhookEvent& event);
void from_json(const nlohmann::json& j, WebhookEvent& event);

}  // namespace ws
