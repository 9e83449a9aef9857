// The watch state of one fake server's single user: what a real server keeps per item, changed by
// the write routes (as the real server does) and by /__fake/act (what a person does there), plus
// what tests make of the library: items removed from it, items whose writes the server ignores.
//
// Thread safety: every method may be called from any thread. Page rendering takes read_lock()
// once and then peeks at many items; writers take the exclusive lock briefly.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <vector>

#include "catalog.h"

namespace ws::fake {

// What a person last did to an item through /__fake/act (webhooks fill their optional fields
// from it, as the real server fills them after that action).
enum class Act : uint8_t { none, play, unplay, progress, add };

struct ItemState {
  bool watched = false;
  uint32_t play_count = 0;
  int64_t last_played = 0;   // ticks; 0 = none. Plex lastViewedAt, Jellyfin/Emby LastPlayedDate
  int64_t position_ms = 0;   // resume position; 0 = none
  int64_t added_at = 0;      // unix seconds; starts as the catalogue's, moved by an "add" act
  int64_t saved = 0;         // ticks of the last user-data change (Emby MinDateLastSavedForUser); 0 none
  bool removed = false;      // gone from the library: 404 everywhere, in no listing or count
  bool ignore_writes = false;  // API writes answer as if done and change nothing
  Act last_act = Act::none;
};

// A change of an item's watch state, the way every one of the three servers makes it. Each sets
// `saved` to now, but `added` (a new file has no user data saved yet).
using Change = std::function<void(ItemState&)>;
// Played at `at` (ticks): play count up, position cleared.
Change played_at(int64_t at);
// Unplayed: count, date and position cleared (what all three servers do).
Change unplayed();
// A resume position; `at` (ticks, 0 = now) becomes the last played date.
Change progress_at(int64_t position_ms, int64_t at);
// Jellyfin/Emby UserData update: each given field is set as is.
Change user_data(std::optional<bool> played, std::optional<uint32_t> play_count, std::optional<int64_t> position_ms,
                 std::optional<int64_t> last_played);
// A newly added file for this item: unplayed, added at `at` (unix seconds), back in the library
// if it was removed.
Change added(int64_t at);

class FakeState {
 public:
  // Initial state: all unplayed, unless options.seed is set: then a deterministic share of items
  // is played (--watched) or part-watched (--progress), with dates between the item's added date
  // and 2025-06-01. The same seed gives the same state for the same catalogue entry on any type.
  // `catalog` must outlive the state.
  FakeState(const Catalog& catalog, const StateOptions& options);

  std::shared_lock<std::shared_mutex> read_lock() const { return std::shared_lock(mutex_); }
  // REQUIRES: read_lock() held by the caller.
  const ItemState& peek(uint32_t index) const { return items_[index]; }
  ItemState get(uint32_t index) const;

  // What a person does on the server (/__fake/act): always applied, remembered as the last act.
  ItemState act(uint32_t index, Act act, const Change& change);

  struct Written {
    ItemState state;  // what the server answers: the new state, also when the write was ignored
    bool applied = false;
  };
  // A write through the server's API: applied unless the item ignores writes.
  Written write(uint32_t index, const Change& change);

  void set_removed(uint32_t index, bool removed);
  void set_ignore_writes(uint32_t index, bool ignore);
  size_t removed_count() const { return removed_count_.load(std::memory_order_relaxed); }

  // Whether the entry is in this server's library now: a movie or episode not removed (and not
  // folded into another item); a season or show with at least one such episode.
  // REQUIRES: read_lock() held by the caller.
  bool present(uint32_t index) const;
  // Of `indices`, those present. REQUIRES: read_lock() held.
  std::vector<uint32_t> present_of(const std::vector<uint32_t>& indices) const;

 private:
  const Catalog& catalog_;
  mutable std::shared_mutex mutex_;
  std::vector<ItemState> items_;
  std::atomic<size_t> removed_count_{0};
};

}  // namespace ws::fake
