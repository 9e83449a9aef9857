// Internal to ws_webhook: reading servers' JSON leniently (DESIGN §11: numbers may come as
// strings, values may be null or absent) and the pieces every parser shares.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ws/result.h"
#include "ws/webhook_event.h"

namespace ws::webhook_detail {

// Parses `text` as one JSON object without throwing. `what` names the payload in the error
// ("the Plex payload part"). Refuses nesting deeper than kMaxWebhookJsonDepth before parsing.
Result<nlohmann::json> parse_json_object(std::string_view text, std::string_view what);

// The member `key` of `obj` (which may be anything); nullptr when absent, null or `obj` is not
// an object.
const nlohmann::json* member(const nlohmann::json& obj, std::string_view key);
// The member when it is an object, else nullptr.
const nlohmann::json* object_member(const nlohmann::json& obj, std::string_view key);

// A string, or a number / bool written as text; "" when absent or null or another type.
std::string text_of(const nlohmann::json& obj, std::string_view key);
// An integer from a number (fractions dropped) or a string of one; nullopt otherwise.
std::optional<int64_t> int_of(const nlohmann::json& obj, std::string_view key);
// int_of narrowed to int; `fallback` when absent or out of range.
int small_int_of(const nlohmann::json& obj, std::string_view key, int fallback);
// A bool from true/false, 0/1, or "true"/"false"/"1"/"0" (any case); nullopt otherwise.
std::optional<bool> bool_of(const nlohmann::json& obj, std::string_view key);
// An ISO-8601 date member as unix seconds; 0 when absent or not a date.
int64_t date_of(const nlohmann::json& obj, std::string_view key);

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
