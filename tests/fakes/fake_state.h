// The watch state of one fake server's single user: what a real server keeps per item, changed by
// the write routes (as the real server does) and by /__fake/act (what a person does there).
//
// Thread safety: every method may be called from any thread. Page rendering takes read_lock()
// once and then peeks at many items; writers take the exclusive lock briefly.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <vector>

#include "catalog.h"

namespace ws::fake {

struct ItemState {
  bool watched = false;
  uint32_t play_count = 0;
  int64_t last_played = 0;   // ticks; 0 = none. Plex lastViewedAt, Jellyfin/Emby LastPlayedDate
  int64_t position_ms = 0;   // resume position; 0 = none
  int64_t added_at = 0;      // unix seconds; starts as the catalogue's, moved by an "add" act
  int64_t saved = 0;         // ticks of the last user-data change (MinDateLastSavedForUser)
};

class FakeState {
 public:
  // Initial state: all unplayed, unless options.seed is set: then a deterministic share of items
  // is played (--watched) or part-watched (--progress), with dates between the item's added date
  // and 2025-06-01. The same seed gives the same state for the same catalogue entry on any type.
  FakeState(const Catalog& catalog, const StateOptions& options);

  std::shared_lock<std::shared_mutex> read_lock() const { return std::shared_lock(mutex_); }
  // REQUIRES: read_lock() held by the caller.
  const ItemState& peek(uint32_t index) const { return items_[index]; }
  ItemState get(uint32_t index) const;

  // Played at `at` (ticks): play count up, position cleared. Returns the new state.
  ItemState mark_played(uint32_t index, int64_t at);
  // Unplayed: count, date and position cleared (what all three servers do).
  ItemState mark_unplayed(uint32_t index);
  // A resume position; `at` (ticks, 0 = now) becomes the last played date.
  ItemState set_progress(uint32_t index, int64_t position_ms, int64_t at);
  // Jellyfin/Emby UserData update: each given field is set as is.
  ItemState set_user_data(uint32_t index, std::optional<bool> played, std::optional<uint32_t> play_count,
                          std::optional<int64_t> position_ms, std::optional<int64_t> last_played);
  // A newly added file for this item: unplayed, added at `at` (unix seconds).
  ItemState mark_added(uint32_t index, int64_t at);

 private:
  mutable std::shared_mutex mutex_;
  std::vector<ItemState> items_;
};

}  // namespace ws::fake
