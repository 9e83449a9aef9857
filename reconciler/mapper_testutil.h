// Builders for the mapper's tests: a movie known to two servers, with readable dates.
#pragma once

#include <optional>
#include <string>

#include "ws/mapper.h"

namespace ws::testutil {

// Dates used across the tests, in order: added < played < unmark < later < last sync < now.
inline constexpr int64_t kAdded = 1'700'000'000;       // 2023-11-14
inline constexpr int64_t kPlayed = 1'710'000'000;      // 2024-03-09
inline constexpr int64_t kUnmarked = 1'720'000'000;    // 2024-07-03
inline constexpr int64_t kLater = 1'730'000'000;       // 2024-10-27
inline constexpr int64_t kLastSync = 1'740'000'000;    // 2025-02-19
inline constexpr int64_t kNow = 1'750'000'000;         // 2025-06-15

inline MediaItem movie(const std::string& server, const std::string& item_id) {
  MediaItem item;
  item.server = server;
  item.item_id = item_id;
  item.library_id = "1";
  item.type = MediaType::movie;
  item.title = "Heat";
  item.year = 1995;
  item.guids = {{"imdb", "tt0113277"}, {"tmdb", "949"}};
  item.added_at = kAdded;
  item.path = "/media/movies/Heat (1995).mkv";
  return item;
}

inline MediaItem played(MediaItem item, int64_t at) {
  item.watched = true;
  item.played_at = at;
  item.play_count = 1;
  return item;
}

inline MapContext context(const std::string& server, EventKind kind = EventKind::import,
                          int64_t last_sync = 0) {
  MapContext ctx;
  ctx.server = server;
  ctx.kind = kind;
  ctx.last_sync = last_sync;
  ctx.now = kNow;
  return ctx;
}

// The record as the mapper created it from `item` on an import, stored at the last sync: its
// bookkeeping times are earlier than every context's `now`, so a test can tell whether a mapping
// moved updated_at (to kNow) or left it (kLastSync).
inline Record record_of(const MediaItem& item) {
  MapResult created = map_item(std::nullopt, item, context(item.server));
  Record rec = created.record;
  rec.id = 42;
  rec.created_at = kLastSync;
  rec.updated_at = kLastSync;
  return rec;
}

}  // namespace ws::testutil
