// Jellyfin / Emby item JSON (BaseItemDto, the same shape on both) -> normalized items
// (DESIGN §11). Free functions, no HTTP, shared by the clients, the webhook parsers (Emby's
// webhook `Item`) and tests. Absent fields and nulls are tolerated; nothing throws.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "ws/media_item.h"
#include "ws/parsed_page.h"
#include "ws/result.h"
#include "ws/series_cache.h"

namespace ws {

// One item of Type "Movie" or "Episode" (any case). Reads Id, Type, Name, ProductionYear (else the
// year of PremiereDate), DateCreated, Path, ProviderIds (any key case, "Tv Maze" included),
// SeriesId, SeriesName, ParentIndexNumber, IndexNumber, IndexNumberEnd, and UserData{Played,
// PlayCount, PlaybackPositionTicks, LastPlayedDate}. Another type or a missing Id is an
// invalid_input error naming the item. `server` is copied into the item.
Result<MediaItem> parse_mediabrowser_item(const nlohmann::json& item, std::string_view server);

// A series item (the episode's SeriesId read back): its external ids and year.
SeriesInfo parse_mediabrowser_series(const nlohmann::json& item);

// `Items` of a query result ({Items, TotalRecordCount, StartIndex}), or an empty array.
const nlohmann::json& mediabrowser_items_list(const nlohmann::json& body);

// A page of a query result, read with the functions above (the reference that ws/page_reader.h's
// fast path must match): every `Items` entry, and `TotalRecordCount`.
ItemsPage mediabrowser_items_page(const nlohmann::json& body, std::string_view server);
// The same for series: each entry's Id and parse_mediabrowser_series.
SeriesPage mediabrowser_series_page(const nlohmann::json& body);

}  // namespace ws
