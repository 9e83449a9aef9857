// Internals shared by the mapper's files (mapper.cpp, mapper_progress.cpp, mapper_text.cpp).
// Not part of the reconciler's face: include ws/mapper.h instead.
#pragma once

#include <cstdint>
#include <string>

#include "ws/mapper.h"

namespace ws::mapper_detail {

// What the incoming report says, read once per item.
struct Report {
  bool played = false;     // watched, or a completed play (rule 3)
  int64_t event_date = 0;  // the play date; `now` for webhooks without one; 0 = unknown
  bool stale = false;      // dated before this server's last sync (rule 4)
};

// What `in` reports under `ctx` (map_item reads it once; import_changes_nothing the same way).
Report read_report(const MediaItem& in, const MapContext& ctx);

// Rule 5. Updates rec.progress from the incoming position once the state is decided; returns
// true when rec.progress changed. `before`: this server's metadata before this report (null:
// none).
bool apply_progress(Record& rec, const ServerMeta* before, const MediaItem& in, const MapContext& ctx,
                    const Report& report);

// Whether apply_progress would leave rec.progress as it is. `before` is this server's metadata,
// which the report leaves as it is (import_changes_nothing checked that first).
bool progress_unchanged(const Record& rec, const ServerMeta& before, const MediaItem& in, const MapContext& ctx,
                        const Report& report);
// "2025-08-15 21:19:42" (UTC), or "an unknown date" for 0.
std::string format_time(int64_t unix_seconds);
// "1:02:03" / "2:03" for a position in ms.
std::string format_position(int64_t ms);
// "movie 'Heat' (1995), item 12" / "episode 'Lost' S01E02, item 34", for reason sentences.
std::string describe(const MediaItem& item);
// Why an item without a stored record cannot be matched, or nullptr when it has external ids.
// Must agree with has_external_keys() (match_keys.h): what has no key can never be found again.
const char* missing_ids(const MediaItem& item);

}  // namespace ws::mapper_detail
