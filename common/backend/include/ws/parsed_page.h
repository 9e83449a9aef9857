// What one page of a server's listing reads to, whichever parser read it: the nlohmann readers
// (ws/plex_items.h, ws/mediabrowser_items.h, the reference) or the simdjson ones
// (ws/page_reader.h, the fast path). Two pages compare equal when every entry reads the same,
// errors included, which is what the differential tests and fuzz targets check.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ws/media_item.h"
#include "ws/result.h"
#include "ws/series_cache.h"

namespace ws {

// A page of movies and episodes: one result per entry of the list (Plex `MediaContainer.Metadata`,
// Jellyfin/Emby `Items`), in order; an entry that is not a movie or episode, or has no id, is its
// invalid_input error.
struct ItemsPage {
  std::vector<Result<MediaItem>> entries;
  std::optional<int64_t> total;  // Plex MediaContainer.totalSize, Jellyfin/Emby TotalRecordCount
};

// A page of series (a library's shows listed in bulk): each entry's id (Plex ratingKey,
// Jellyfin/Emby Id) when it has one, and the ids and year read from it.
struct SeriesEntry {
  std::optional<std::string> id;
  SeriesInfo info;
};
struct SeriesPage {
  std::vector<SeriesEntry> entries;
  std::optional<int64_t> total;
};

bool same_page(const ItemsPage& a, const ItemsPage& b);
bool same_page(const SeriesPage& a, const SeriesPage& b);

}  // namespace ws
