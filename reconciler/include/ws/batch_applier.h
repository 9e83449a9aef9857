// Applies reported items to the store through the mapper: the one path by which imports (and
// later webhooks) change the state. One call = one write transaction (DESIGN §4).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "ws/mapper.h"
#include "ws/media_item.h"
#include "ws/result.h"
#include "ws/store.h"

namespace ws {

// What one or more applications did, for the import summary.
struct ApplyCounts {
  uint64_t fetched = 0;    // items reported (before multi-episode expansion)
  uint64_t matched = 0;    // resolved to a stored record
  uint64_t unchanged = 0;  // of those, left as they were without mapping (ApplyOptions::skip_unchanged)
  uint64_t created = 0;    // new records
  uint64_t unmatched = 0;  // no stored record and no external id: reported, not stored
  uint64_t changed = 0;    // records whose state or progress changed
  uint64_t metadata = 0;   // records whose metadata only changed
  uint64_t written = 0;    // records put (unchanged ones are not)

  ApplyCounts& operator+=(const ApplyCounts& other);
};

// The backend keys a full import listed (ApplyOptions::listed_keys), looked up by string_view
// (the pruning plan's keys, read from the store) without copying them into a string.
struct ListedKeyHash {
  using is_transparent = void;
  size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
};
using ListedKeys = std::unordered_set<std::string, ListedKeyHash, std::equal_to<>>;

struct ApplyOptions {
  EventKind kind = EventKind::import;
  int64_t last_sync = 0;   // the server's import lastSync before this run (rule 4)
  int64_t now = 0;
  MapperOptions mapper;
  bool dry_run = false;    // map and count, commit nothing
  // When set, the backend key of every item applied (each part of a multi-episode file: its
  // `/E<n>` key) is added: what a full import saw, so rule 8 can tell what it no longer lists.
  ListedKeys* listed_keys = nullptr;
  // When non-zero, the updated_at of records whose state or progress changed (instead of `now`):
  // webhooks map at the event's time, but push mode orders records by when they changed here.
  int64_t changed_at = 0;
  // An import's item whose record the mapper would leave as it is (import_changes_nothing,
  // mapper.h) is not mapped: it counts as matched, and its key as listed. Off: every item goes
  // through map_item (the tests compare both ways; the end state is the same).
  bool skip_unchanged = true;
  // Called for each decision with its reason (for -vvv, webhook acks); may be empty. Called after
  // the record was put, so result.record.id is its id (0 when unmatched).
  std::function<void(const MediaItem&, const MapResult&)> on_decision;
};

// Applies `items` (all of one server: item.server) in one write transaction. Unmatched items are
// recorded in the store's unmatched list (state:unmatched). Returns the counts, or the store's
// error (nothing of the batch is applied then).
Result<ApplyCounts> apply_items(Store& store, const std::vector<MediaItem>& items, const ApplyOptions& options);

// The same inside a caller's transaction (several batches in one commit).
ApplyCounts apply_items(WriteBatch& batch, const std::vector<MediaItem>& items, const ApplyOptions& options);

}  // namespace ws
