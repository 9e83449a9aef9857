// Plex metadata JSON -> normalized items (DESIGN §11, Plex). Free functions, no HTTP, so the
// clients, the webhook parsers (a webhook's `Metadata` has the same fields) and tests share them.
// Numbers sent as strings, absent fields and nulls are tolerated; nothing throws.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "ws/media_item.h"
#include "ws/parsed_page.h"
#include "ws/result.h"
#include "ws/series_cache.h"

namespace ws {

// One `Metadata` object of type movie or episode. Reads ratingKey, type, title, year, addedAt,
// viewCount, lastViewedAt, viewOffset, guid + Guid[].id (external ids; a legacy thetvdb
// SERIES/SEASON/EPISODE goes to `relative`), librarySectionID, Media[0].Part[0].file, and for
// episodes grandparentTitle / grandparentRatingKey / grandparentGuid (legacy series ids into
// `parent`), parentIndex, index, and `episode_end` from a multi-episode file name
// (`S01E01-E02`, `S01E01E02`). Any other type, or a missing ratingKey, is an invalid_input
// error naming the item. `server` is copied into the item.
Result<MediaItem> parse_plex_item(const nlohmann::json& metadata, std::string_view server);

// A show's `Metadata` (GET /library/metadata/{grandparentRatingKey}): its external ids and year.
SeriesInfo parse_plex_series(const nlohmann::json& metadata);

// `MediaContainer.Metadata` of a response body, or an empty array when absent.
const nlohmann::json& plex_metadata_list(const nlohmann::json& body);

// A page of a listing, read with the functions above (the reference that ws/page_reader.h's fast
// path must match): every `MediaContainer.Metadata` entry, and `MediaContainer.totalSize`.
ItemsPage plex_items_page(const nlohmann::json& body, std::string_view server);
// The same for shows: each entry's ratingKey and parse_plex_series.
SeriesPage plex_series_page(const nlohmann::json& body);

}  // namespace ws
