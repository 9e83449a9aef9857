// Internal to ws_webhook: the pieces every webhook parser shares. Fields of the servers' JSON are
// read with ws::lenient (ws/json_fields.h), as the backend clients read theirs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ws/json_fields.h"
#include "ws/result.h"
#include "ws/webhook_event.h"

namespace ws::webhook_detail {

// Parses `text` as one JSON object without throwing. `what` names the payload in the error
// ("the Plex payload part"). Refuses nesting deeper than kMaxWebhookJsonDepth before parsing.
Result<nlohmann::json> parse_json_object(std::string_view text, std::string_view what);

// Fills event.event_id from the event's fields and `content_date`, the date the body itself
// carries (never the arrival time), so replays of one body share the id.
void set_event_id(WebhookEvent& event, int64_t content_date);

// `text` cut to `max` bytes with anything but printable ASCII replaced by '?': request bytes quoted
// in an error message must keep it valid UTF-8 (it may be sent on as JSON) and one line.
std::string printable(std::string_view text, size_t max = 100);

// Marks the event ignored with a reason.
void ignore(WebhookEvent& event, std::string reason);

// Refuses an oversized body. `what` names the server ("Plex").
std::optional<Error> check_body_size(const WebhookRequest& request, std::string_view what);

// Jellyfin/Emby item JSON (`Item` of an Emby webhook: Id, Type, Name, SeriesName, SeriesId,
// ParentIndexNumber, IndexNumber, IndexNumberEnd, ProductionYear, ProviderIds, UserData{Played,
// PlayCount, LastPlayedDate, PlaybackPositionTicks}, DateCreated, Path) into `out`. The type is
// left for the caller to check (`type_name` receives "Movie", "Episode", ...).
void read_mediabrowser_item(const nlohmann::json& item, MediaItem& out, std::string& type_name);

}  // namespace ws::webhook_detail
