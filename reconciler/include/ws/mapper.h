// The mapper: DESIGN §5 "Reconciliation" as pure functions. Given the stored record (or none),
// one incoming item and the server's context, it returns the new record and what changed. It
// reads no clock and no store: the caller passes `now` and `last_sync`, so every rule is testable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ws/media_item.h"
#include "ws/record.h"

namespace ws {

// How the incoming item was learnt; decides which rules apply.
enum class EventKind {
  import,          // a library import (full or incremental)
  mark,            // a webhook for an explicit manual mark played/unplayed (Emby
                   // item.markplayed/markunplayed, Jellyfin UserDataSaved/TogglePlayed)
  completed_play,  // a play to completion (Plex media.scrobble, Emby playback.stop with
                   // PlayedToCompletion, Jellyfin UserDataSaved/PlaybackFinished Played:true):
                   // can only mark played (rule 3)
  tainted,         // play/pause/resume/stop, item added, progress saves: metadata and progress
                   // only, never the watched flag (rule 3)
};

std::string_view to_string(EventKind kind);

struct MapperOptions {
  int64_t progress_min_delta_ms = 5'000;        // rule 5: smaller moves are noise
  int64_t rewatch_threshold_ms = 180'000;       // rule 5: progress on a played item kept past this
  int multi_episode_max = 5;                    // rule 6
};

struct MapContext {
  std::string server;       // the reporting server's name (== item.server)
  EventKind kind = EventKind::import;
  int64_t last_sync = 0;    // this server's last successful import, unix s; 0 = never (rule 4)
  // Unix s. Webhooks pass the event's own time (never later than the clock): events may arrive
  // out of order, and the rules decide by their dates (a mark unplayed older than the record's
  // play leaves it played).
  int64_t now = 0;
  MapperOptions options;
};

// The strongest change, in this order: state > progress > metadata > none.
enum class ChangeKind { none, metadata, progress, state };
std::string_view to_string(ChangeKind change);

struct MapResult {
  Record record;            // the new record; equals the stored one when change == none
  ChangeKind change = ChangeKind::none;
  bool created = false;     // there was no stored record
  bool unmatched = false;   // no stored record and no external id: reported, never stored
  std::string reason;       // one sentence, for -vvv and state:unmatched
};

// Applies rules 1-5 and 7. `stored` must be the record the item resolved to (see Store::find),
// or nullopt. Sets record.updated_at = ctx.now when the state or the progress changed, and
// created_at on creation; the id is left for the store to assign.
//
// Order: the reports of one import may be applied in any order (several servers' batches side
// by side, one server's pages by several fetchers), and the end state must not depend on it
// (reconciler/import_order_test.cpp). So each rule is a join of what was reported — the newest
// event wins, ties go to the server whose name sorts first — and every report is judged against
// what the same server said before, never against what another server said in between:
// - The state: the newest unmark is kept (unmarked_at), whether or not it won; the newest play
//   that counts is the state's date while played (updated, via); played iff that play is newer
//   than the newest unmark (a tie is an unmark). A play counts when dated after the newest
//   unmark and not stale (rule 4), or on a record never unmarked, whatever its date (rule 1).
// - An import's rule-2 unmark is dated ctx.now, which an import run passes the same for all its
//   batches (its start, request_run.cpp); a play dated after it still wins.
// - A record never played nor unmarked is dated by the earliest added date reported.
//
// How the rules read in detail (each has a test in reconciler/mapper_*_test.cpp):
// - No stored record: an item without external ids (no guids, no relative guid, and for an
//   episode no series ids with season and episode) is `unmatched` and `record` is left empty.
//   Otherwise the record is created by the same rules over an empty record (change = state).
// - Play date: played_at; when 0, `now` for webhooks (they happen now) and unknown (0, the oldest
//   of plays) for imports: it marks a record never unmarked, but never beats an unmark nor a
//   dated play. (`now` would make the date depend on which report came first.)
// - A completed_play is a play whatever the item's watched flag says.
// - A tainted event leaves this server's stored watched/played_at as they were (the payloads
//   are unreliable about the flag), so rule 2 still recognises the next unmark here.
// - This server's metadata is merged: empty strings, a 0 added_at and (for webhooks) a 0
//   position keep the stored values; webhooks carry fewer fields than imports.
// - Ids are unioned; two values of one source keep the smaller. The title is the shortest one
//   reported (then the one that sorts first), the year and the numbers the smallest known.
// - A legacy relative guid (Plex thetvdb://SERIES/S/E) adds its series id to record.parent.
// - Rule 4 (stale) applies to the watched state. The position has its own ordering (rule 5,
//   newest report wins), since an in-progress unplayed item is dated by its added date, which
//   is almost always before the last sync.
// - Rule 5: a position is news unless it is 0, a completed play's (where it ended, not a resume
//   point), at or under the rewatch threshold on a report that says played (the tail of that
//   play), or within progress_min_delta_ms of what the same server reported before. The newest
//   news wins (by date: played_at for imports, now when 0 and for webhooks; then the further
//   position; then the server name). A position from before the state's newest event (the play
//   that counts, or at or before the unmark) is history and cleared.
MapResult map_item(const std::optional<Record>& stored, const MediaItem& incoming, const MapContext& ctx);

// Whether map_item(stored, incoming, ctx) would change nothing (change none, the record as
// stored), decided without copying the record nor wording a reason: the fast path of a re-import,
// which reports mostly what the state already holds. True only when map_item would change
// nothing; false means "maybe" (map_item decides then): it is false for every kind but an import,
// and when the record holds nothing of ctx.server yet.
bool import_changes_nothing(const Record& stored, const MediaItem& incoming, const MapContext& ctx);

// Whether expand_multi_episode(item, max) splits the item (else it gives the item back alone).
bool is_multi_episode(const MediaItem& item, int max);

// Rule 6: an episode with episode_end > episode becomes one item per episode (at most `max`),
// each keeping episode_end as the marker of a multi-episode file. The file's own guids belong to
// its first episode; later parts keep only the series' ids (they match by relative keys).
// Any other item comes back alone.
std::vector<MediaItem> expand_multi_episode(const MediaItem& item, int max);

}  // namespace ws
