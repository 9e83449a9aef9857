// map_item(): DESIGN §5 "Reconciliation" rules 1-5 and 7. The rules are decided in this order:
// the watched state (rules 1-4), then the server's metadata and the ids (rule 7), then the resume
// position (rule 5), which depends on the state decided first.
#include "ws/mapper.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <utility>

#include "mapper_internal.h"

namespace ws {

std::string_view to_string(EventKind kind) {
  switch (kind) {
    case EventKind::import: return "import";
    case EventKind::mark: return "mark";
    case EventKind::completed_play: return "completed_play";
    case EventKind::tainted: return "tainted";
  }
  return "unknown";
}

std::string_view to_string(ChangeKind change) {
  switch (change) {
    case ChangeKind::none: return "none";
    case ChangeKind::metadata: return "metadata";
    case ChangeKind::progress: return "progress";
    case ChangeKind::state: return "state";
  }
  return "unknown";
}

namespace {

using mapper_detail::Report;

// Whether the event (date, server) comes after (current date, current server): the newer date,
// and between equal dates the server whose name sorts first, so that the winner does not depend
// on which report was applied first.
bool newer(int64_t date, const std::string& server, int64_t current, const std::string& current_server) {
  if (date != current) return date > current;
  return current_server.empty() || server < current_server;
}

// Whether an unplayed report's added date dates a record never played nor unmarked: the earliest
// added date reported (an unknown one, 0, counts as the latest), then the server whose name
// sorts first.
bool dates_never_played(const Record& rec, int64_t added_at, const std::string& server) {
  const auto key = [](int64_t added) { return added > 0 ? added : INT64_MAX; };
  return rec.via.empty() || key(added_at) < key(rec.updated) ||
         (key(added_at) == key(rec.updated) && server < rec.via);
}

// Rules 1-4: decides the watched flag, its date and server (watched, updated, via,
// unmarked_at); `why` says what was decided, for the reason sentence.
//
// The state is a join of events, so that an import's end state does not depend on the order in
// which its servers' batches are applied (reconciler/import_order_test.cpp):
// - the unmarks (rule 2, and mark-unplayed webhooks) are kept as their newest date, unmarked_at;
// - the plays that count are kept as their newest date: updated and via while played (between
//   equal dates the server whose name sorts first);
// - played iff the newest play that counts is newer than the newest unmark (a tie is an unmark).
// A play counts when it is dated after the newest unmark and not stale (rule 4), or, on a record
// never unmarked, whatever its date (rule 1: an added date is not an event); an import's play of
// unknown date counts only on a record never unmarked, and as the oldest of plays (date 0).
// A record never played and never unmarked is dated by the earliest added date reported.
void apply_state(Record& rec, const ServerMeta* before, const MediaItem& in, const MapContext& ctx,
                 const Report& report, std::string& why) {
  using mapper_detail::format_time;
  const bool was_watched = rec.watched;

  if (report.played) {
    if (ctx.kind == EventKind::tainted) {
      why = "play event reports it played; events never change the watched flag";
      return;
    }
    const int64_t date = report.event_date;  // 0: an import's play of unknown date
    if (rec.unmarked_at > 0) {
      if (date == 0) {
        why = "played at an unknown date: never beats the unmark at " + format_time(rec.unmarked_at);
        return;
      }
      if (date <= rec.unmarked_at) {
        why = "played at " + format_time(date) + ", not after the unmark at " + format_time(rec.unmarked_at) +
              ": the unmark stands";
        return;
      }
      if (report.stale) {
        why = "stale play (at " + format_time(date) + ", before the last sync at " + format_time(ctx.last_sync) +
              "): the unmark at " + format_time(rec.unmarked_at) + " stands";
        return;
      }
    }
    if (!rec.watched) {
      why = rec.unmarked_at > 0 ? "played at " + format_time(date) + ", after the unmark at " +
                                      format_time(rec.unmarked_at) + ": marked played again"
                                : "played at " + format_time(date) + " over never-played record";
      rec.watched = true;
      rec.updated = date;
      rec.via = ctx.server;
    } else if (newer(date, ctx.server, rec.updated, rec.via)) {
      why = "played here at " + format_time(date) + ", the newest play (was " + format_time(rec.updated) +
            (rec.via.empty() ? "" : " via " + rec.via) + ")";
      rec.updated = date;
      rec.via = ctx.server;
    } else {
      why = "played here too (at " + format_time(date) + "), already played at " + format_time(rec.updated) +
            ": the state stays";
    }
    return;
  }

  if (ctx.kind == EventKind::tainted) {
    why = "event reports it unplayed; events never change the watched flag";
    return;
  }
  // Servers drop the played date on unplay, so "unplayed" alone cannot tell "never watched here"
  // from "just unmarked here". Only a server that had it played, with the same item (same id,
  // same added date: not re-added media), or an explicit mark event, is unmarking it.
  const bool unmark = ctx.kind == EventKind::mark ||
                      (before != nullptr && before->watched && before->item_id == in.item_id &&
                       before->added_at == in.added_at);
  if (!unmark) {
    if (rec.watched) {
      why = before == nullptr || !before->watched
                ? "unplayed here, but never played here (new media): stays played"
                : "unplayed here, but the item was replaced or re-added (id or added date differ): stays played";
    } else if (rec.unmarked_at > 0) {
      why = "unplayed here and in the record";
    } else {
      // Never played anywhere: dated by the earliest added date reported, `via` the server that
      // reported it.
      if (dates_never_played(rec, in.added_at, ctx.server)) {
        rec.updated = std::max<int64_t>(in.added_at, 0);
        rec.via = ctx.server;
      }
      why = "unplayed here and in the record, never played";
    }
    return;
  }
  // The unmark happened at `now` (a webhook's own time; an import's run time, the same for every
  // batch of the run). It is kept whether or not it wins, so that a later play older than it
  // does not re-mark, whichever is applied first.
  const int64_t at = ctx.now;
  if (rec.watched && rec.updated > at) {
    // Events arrive out of order, and a play during an import may be dated after its start: the
    // newest real event wins.
    rec.unmarked_at = std::max(rec.unmarked_at, at);
    why = "unmarked at " + format_time(at) + ", before the play at " + format_time(rec.updated) + ": stays played";
    return;
  }
  if (rec.watched || at > rec.unmarked_at) {
    rec.unmarked_at = std::max(rec.unmarked_at, at);
    rec.watched = false;
    rec.updated = rec.unmarked_at;
    rec.via = ctx.server;
  } else if (at == rec.unmarked_at && rec.updated == at && ctx.server < rec.via) {
    rec.via = ctx.server;  // unmarks of the same date: the server whose name sorts first
  }
  why = ctx.kind == EventKind::mark ? "marked unplayed" : "unmarked here (it was played here)";
  why += " at " + format_time(at);
  if (!was_watched) why += "; it was already unplayed";
  return;
}

// Rule 7: this server's view, merged over what it said before. Webhooks carry fewer fields than
// imports, so an empty field keeps the stored value instead of erasing it.
ServerMeta merge_meta(const ServerMeta* before, const MediaItem& in, const MapContext& ctx,
                      const Report& report) {
  ServerMeta meta = before != nullptr ? *before : ServerMeta{};
  auto take = [](std::string& into, const std::string& from) {
    if (!from.empty() && into != from) into = from;
  };
  take(meta.item_id, in.item_id);
  take(meta.series_id, in.series_id);
  take(meta.library_id, in.library_id);
  // The multi-episode marker keeps each part's backend key apart (match_keys.h).
  meta.episode_end = in.episode_end;
  if (in.added_at > 0) meta.added_at = in.added_at;
  // Imports state the position exactly (an absent one is 0); an event without one says nothing.
  if (ctx.kind == EventKind::import || in.progress_ms > 0) meta.progress_ms = in.progress_ms;
  // Play events are unreliable about the flag (rule 3); keeping this server's stored flag keeps
  // rule 2 able to recognise the next unmark here.
  if (ctx.kind != EventKind::tainted || before == nullptr) {
    const bool was_played_here = meta.watched;
    meta.watched = report.played;
    if (!report.played) {
      meta.played_at = 0;
    } else if (report.event_date > 0) {
      meta.played_at = report.event_date;
    } else if (!was_played_here) {
      meta.played_at = 0;
    }
  }
  return meta;
}

// Rule 7: external ids are unioned. Two servers that disagree on one source's value keep the
// smaller value, whichever reported first (a disagreement is a wrong id on one of them; the
// choice must not depend on the order of the batches).
void union_ids(Guids& into, const Guids& from) {
  for (const auto& [source, value] : from) {
    auto [it, added] = into.try_emplace(source, value);
    if (!added && value < it->second) it->second = value;
  }
}

// Whether `candidate` should replace the known title: the shorter one ("Heat" over "Heat
// (1995)"), then the one that sorts first — a choice that does not depend on which server
// reported first.
bool better_title(const std::string& candidate, const std::string& known) {
  if (candidate.empty()) return false;
  if (known.empty()) return true;
  if (candidate.size() != known.size()) return candidate.size() < known.size();
  return candidate < known;
}

// A number where the smaller known one wins (-1 / 0 = unknown): the same from any order.
template <typename T>
bool is_smaller(T into, T value, T unknown) {
  return !(value <= unknown || (into > unknown && into <= value));
}
template <typename T>
bool take_smaller(T& into, T value, T unknown) {
  if (!is_smaller(into, value, unknown)) return false;
  into = value;
  return true;
}

// An episode's numbers as the report gives them: its own, else its legacy relative id's.
int reported_season(const MediaItem& in) { return in.season >= 0 ? in.season : (in.relative ? in.relative->season : -1); }
int reported_episode(const MediaItem& in) {
  return in.episode >= 0 ? in.episode : (in.relative ? in.relative->episode : -1);
}

// Whether union_ids(known, {source: value}) would leave `known` as it is.
bool id_known(const Guids& known, const std::string& source, const std::string& value) {
  const auto it = known.find(source);
  return it != known.end() && !(value < it->second);
}
bool ids_known(const Guids& known, const Guids& reported) {
  for (const auto& [source, value] : reported)
    if (!id_known(known, source, value)) return false;
  return true;
}

// Rule 7: ids, and the descriptive fields. Returns true when anything changed.
bool merge_ids(Record& rec, const MediaItem& in) {
  const Record was = rec;
  union_ids(rec.guids, in.guids);
  union_ids(rec.parent, in.parent);
  if (in.relative && in.type == MediaType::episode) {
    union_ids(rec.parent, Guids{{in.relative->source, in.relative->series_id}});
  }
  if (better_title(in.title, rec.title)) rec.title = in.title;
  take_smaller(rec.year, in.year, 0);
  if (rec.type == MediaType::episode) {
    take_smaller(rec.season, reported_season(in), -1);
    take_smaller(rec.episode, reported_episode(in), -1);
  }
  return rec.guids != was.guids || rec.parent != was.parent || rec.title != was.title || rec.year != was.year ||
         rec.season != was.season || rec.episode != was.episode;
}

MapResult create_record(const MediaItem& in, const MapContext& ctx, const Report& report) {
  MapResult result;
  const char* missing = mapper_detail::missing_ids(in);
  if (missing != nullptr) {
    result.unmatched = true;
    result.reason = ctx.server + ": " + mapper_detail::describe(in) + " has " + missing +
                    ": not matched";
    return result;
  }
  Record& rec = result.record;
  rec.type = in.type;
  merge_ids(rec, in);
  // The same rules as over an empty record: a play dates it by its play (an import's unknown
  // play date stays unknown, 0); unplayed, by its added date, never `now` (a fresh date would
  // make "unplayed" look newer than a real play elsewhere).
  // A play event's flag is what the server says; there is no stored flag for it to flip yet.
  MapContext as_reported = ctx;
  if (as_reported.kind == EventKind::tainted) as_reported.kind = EventKind::import;
  std::string why;
  apply_state(rec, nullptr, in, as_reported, report, why);
  rec.metadata.emplace(ctx.server, merge_meta(nullptr, in, ctx, report));
  mapper_detail::apply_progress(rec, nullptr, in, ctx, report);
  rec.created_at = ctx.now;
  rec.updated_at = ctx.now;
  result.created = true;
  result.change = ChangeKind::state;
  result.reason = ctx.server + ": new " + mapper_detail::describe(in) + ", " +
                  (rec.watched ? "played at " + mapper_detail::format_time(rec.updated) : std::string("unplayed"));
  return result;
}

}  // namespace

Report mapper_detail::read_report(const MediaItem& in, const MapContext& ctx) {
  Report report;
  // A completed play is a play, whatever flag the payload still carries (rule 3).
  report.played = in.watched || ctx.kind == EventKind::completed_play;
  // A webhook happens now; an import's missing play date is unknown, and must not beat an unmark.
  report.event_date = in.played_at > 0 ? in.played_at
                                       : (ctx.kind == EventKind::import ? 0 : ctx.now);
  const int64_t report_date = report.played ? report.event_date : in.added_at;
  report.stale = ctx.last_sync > 0 && report_date < ctx.last_sync;
  return report;
}

MapResult map_item(const std::optional<Record>& stored, const MediaItem& in, const MapContext& ctx) {
  const Report report = mapper_detail::read_report(in, ctx);

  if (!stored) return create_record(in, ctx, report);

  MapResult result;
  result.record = *stored;
  Record& rec = result.record;

  const auto found = stored->metadata.find(ctx.server);
  const ServerMeta* before = found != stored->metadata.end() ? &found->second : nullptr;

  std::string why;
  apply_state(rec, before, in, ctx, report, why);
  // A state change is one worth exporting (and, for a webhook, worth pushing at once): the flag,
  // or the date of an unmark (an unplay carries it, rule 9). A played record's newer play date
  // or another `via` changes what servers already played hold nothing to write — Jellyfin and
  // Emby echo every write as a webhook of the same date, which would otherwise push again — so
  // it is kept like metadata, as is the date of a record never played, or an unmark that a
  // newer play outweighs.
  const bool state_changed = rec.watched != stored->watched ||
                             (!rec.watched && rec.unmarked_at > 0 && rec.updated != stored->updated);

  bool meta_changed = merge_ids(rec, in) || rec.updated != stored->updated || rec.via != stored->via ||
                      rec.unmarked_at != stored->unmarked_at;
  ServerMeta meta = merge_meta(before, in, ctx, report);
  if (before == nullptr || meta != *before) {
    rec.metadata.insert_or_assign(ctx.server, std::move(meta));
    meta_changed = true;
  }

  // Likewise a position: a newer report of the same position from another server (Jellyfin's and
  // Emby's echo of a position we wrote there) moves its date and `via`, which the join needs, but
  // leaves nothing to write anywhere — pushing it again would race the export that wrote it.
  const bool progress_moved = mapper_detail::apply_progress(rec, before, in, ctx, report);
  const bool progress_changed =
      progress_moved && ((rec.progress.ms == 0) != (stored->progress.ms == 0) ||
                         std::llabs(rec.progress.ms - stored->progress.ms) > ctx.options.progress_min_delta_ms);
  if (progress_moved && !progress_changed) meta_changed = true;

  if (state_changed) {
    result.change = ChangeKind::state;
  } else if (progress_changed) {
    result.change = ChangeKind::progress;
  } else if (meta_changed) {
    result.change = ChangeKind::metadata;
  }
  // A server whose own flag just turned away from the state (a re-added file reported unplayed,
  // rule 2), or that shows the item for the first time without the state's flag (new media, a
  // library no longer ignored), needs the next push-mode export to look at this record again:
  // "the next export marks it played there too". Push mode only visits records whose updated_at
  // moved.
  const bool here = rec.metadata.at(ctx.server).watched;
  const bool server_diverged = here != rec.watched && (before == nullptr || before->watched != here);
  if (state_changed || progress_changed || server_diverged) rec.updated_at = ctx.now;

  result.reason.reserve(ctx.server.size() + why.size() + 48);
  result.reason = ctx.server;
  result.reason += ": ";
  result.reason += why;
  if (progress_changed) {
    result.reason += "; resume position " + mapper_detail::format_position(rec.progress.ms) +
                     " (was " + mapper_detail::format_position(stored->progress.ms) + ")";
  }
  if (result.change == ChangeKind::metadata) result.reason += "; metadata updated";
  if (result.change == ChangeKind::none) result.reason += "; nothing changed";
  return result;
}

// Each check below is the step of map_item above it asked "would you change anything?", in the
// same order, over the stored record (the report leaves the state as it is, so every later step
// reads the stored values). reconciler/mapper_unchanged_test.cpp holds it to map_item.
bool import_changes_nothing(const Record& rec, const MediaItem& in, const MapContext& ctx) {
  if (ctx.kind != EventKind::import) return false;
  const auto found = rec.metadata.find(ctx.server);
  if (found == rec.metadata.end()) return false;
  const ServerMeta& before = found->second;
  const Report report = mapper_detail::read_report(in, ctx);

  // Rule 7, this server's view (merge_meta): every field the report carries is the stored one.
  const auto kept = [](const std::string& stored, const std::string& reported) {
    return reported.empty() || reported == stored;
  };
  if (!kept(before.item_id, in.item_id) || !kept(before.series_id, in.series_id) ||
      !kept(before.library_id, in.library_id) || before.episode_end != in.episode_end ||
      (in.added_at > 0 && in.added_at != before.added_at) || before.progress_ms != in.progress_ms ||
      before.watched != report.played)
    return false;
  if (report.played ? report.event_date > 0 && report.event_date != before.played_at : before.played_at != 0)
    return false;

  // Rules 1-4 (apply_state). This server reports the flag it reported before, so an unplayed
  // report is no unmark (that needs it played here before).
  if (report.played) {
    const int64_t date = report.event_date;
    const bool unmark_stands = rec.unmarked_at > 0 && (date == 0 || date <= rec.unmarked_at || report.stale);
    if (!unmark_stands && (!rec.watched || newer(date, ctx.server, rec.updated, rec.via))) return false;
  } else if (!rec.watched && rec.unmarked_at == 0 && dates_never_played(rec, in.added_at, ctx.server) &&
             (rec.updated != std::max<int64_t>(in.added_at, 0) || rec.via != ctx.server)) {
    return false;
  }

  // Rule 7, the ids and the descriptive fields (merge_ids).
  if (!ids_known(rec.guids, in.guids) || !ids_known(rec.parent, in.parent)) return false;
  if (in.relative && in.type == MediaType::episode && !id_known(rec.parent, in.relative->source, in.relative->series_id))
    return false;
  if (better_title(in.title, rec.title) || is_smaller(rec.year, in.year, 0)) return false;
  if (rec.type == MediaType::episode &&
      (is_smaller(rec.season, reported_season(in), -1) || is_smaller(rec.episode, reported_episode(in), -1)))
    return false;

  // Rule 5 (apply_progress). With nothing above changed, updated_at stays too: this server's flag
  // is the one it had, so it did not just diverge from the state.
  return mapper_detail::progress_unchanged(rec, before, in, ctx, report);
}

}  // namespace ws
