// map_item(): DESIGN §5 "Reconciliation" rules 1-5 and 7. The rules are decided in this order:
// the watched state (rules 1-4), then the server's metadata and the ids (rule 7), then the resume
// position (rule 5), which depends on the state decided first.
#include "ws/mapper.h"

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

// Rules 1-4: decides the watched flag. Returns true when the state changed; `why` says what
// was decided, for the reason sentence.
bool apply_state(Record& rec, const ServerMeta* before, const MediaItem& in, const MapContext& ctx,
                 const Report& report, std::string& why) {
  using mapper_detail::format_time;
  const bool never_played = !rec.watched && rec.unmarked_at == 0;

  if (report.played) {
    if (ctx.kind == EventKind::tainted) {
      why = "play event reports it played; events never change the watched flag";
      return false;
    }
    if (rec.watched) {
      // Played over played: the state's date stays, so exports stay stable (Plex cannot be
      // told a play date; its next import would otherwise move the date every time).
      why = "played here too, already played: the state and its date stay";
      return false;
    }
    const int64_t date = report.event_date > 0 ? report.event_date : ctx.now;
    if (never_played) {
      // An added date is not an event: any play beats a record that was never played.
      rec.watched = true;
      rec.updated = date;
      rec.via = ctx.server;
      why = "played at " + format_time(date) + " over never-played record";
      return true;
    }
    if (report.stale) {
      why = "stale play (at " + format_time(report.event_date) + ", before the last sync at " +
            format_time(ctx.last_sync) + "): the state stays";
      return false;
    }
    if (report.event_date > rec.unmarked_at) {
      rec.watched = true;
      rec.updated = date;
      rec.via = ctx.server;
      why = "played at " + format_time(date) + ", after the unmark at " +
            format_time(rec.unmarked_at) + ": marked played again";
      return true;
    }
    why = "played at " + format_time(report.event_date) + ", not after the unmark at " +
          format_time(rec.unmarked_at) + ": stays unplayed";
    return false;
  }

  if (ctx.kind == EventKind::tainted) {
    why = "event reports it unplayed; events never change the watched flag";
    return false;
  }
  // Servers drop the played date on unplay, so "unplayed" alone cannot tell "never watched here"
  // from "just unmarked here". Only a server that had it played, with the same item (same id,
  // same added date: not re-added media), or an explicit mark event, is unmarking it.
  const bool unmark = ctx.kind == EventKind::mark ||
                      (before != nullptr && before->watched && before->item_id == in.item_id &&
                       before->added_at == in.added_at);
  if (!unmark) {
    if (!rec.watched) {
      why = "unplayed here and in the record";
    } else if (before == nullptr || !before->watched) {
      why = "unplayed here, but never played here (new media): stays played";
    } else {
      why = "unplayed here, but the item was replaced or re-added (id or added date differ): "
            "stays played";
    }
    return false;
  }
  if (!rec.watched) {
    why = "unmarked here, already unplayed";
    return false;
  }
  if (ctx.kind == EventKind::mark && rec.updated > ctx.now) {
    // Webhooks map at their own time (events arrive out of order): a play after the unmark wins.
    why = "marked unplayed at " + format_time(ctx.now) + ", before the play at " + format_time(rec.updated) +
          ": stays played";
    return false;
  }
  rec.watched = false;
  rec.updated = ctx.now;
  rec.unmarked_at = ctx.now;
  rec.via = ctx.server;
  why = ctx.kind == EventKind::mark ? "marked unplayed" : "unmarked here (it was played here)";
  why += " at " + format_time(ctx.now);
  return true;
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

// Rule 7: external ids are unioned; a source already known keeps its value.
bool union_ids(Guids& into, const Guids& from) {
  bool added = false;
  for (const auto& [source, value] : from) added |= into.try_emplace(source, value).second;
  return added;
}

// Rule 7: ids, and the descriptive fields that were unknown. Returns true when anything changed.
bool merge_ids(Record& rec, const MediaItem& in) {
  bool changed = union_ids(rec.guids, in.guids);
  changed |= union_ids(rec.parent, in.parent);
  if (in.relative && in.type == MediaType::episode) {
    changed |= rec.parent.try_emplace(in.relative->source, in.relative->series_id).second;
  }
  if (rec.title.empty() && !in.title.empty()) {
    rec.title = in.title;
    changed = true;
  }
  if (rec.year == 0 && in.year != 0) {
    rec.year = in.year;
    changed = true;
  }
  if (rec.type == MediaType::episode) {
    const int season = in.season >= 0 ? in.season : (in.relative ? in.relative->season : -1);
    const int episode = in.episode >= 0 ? in.episode : (in.relative ? in.relative->episode : -1);
    if (rec.season < 0 && season >= 0) {
      rec.season = season;
      changed = true;
    }
    if (rec.episode < 0 && episode >= 0) {
      rec.episode = episode;
      changed = true;
    }
  }
  return changed;
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
  rec.guids = in.guids;
  rec.parent = in.parent;
  merge_ids(rec, in);  // fills title, year, season, episode and the relative guid's series id
  rec.watched = report.played;
  // An unplayed record dates from its added date, never from `now`: a fresh date would make
  // "unplayed" look newer than a real play elsewhere.
  rec.updated = report.played ? (report.event_date > 0 ? report.event_date : ctx.now) : in.added_at;
  rec.via = ctx.server;
  rec.metadata.emplace(ctx.server, merge_meta(nullptr, in, ctx, report));
  mapper_detail::apply_progress(rec, in, ctx, false);
  rec.created_at = ctx.now;
  rec.updated_at = ctx.now;
  result.created = true;
  result.change = ChangeKind::state;
  result.reason = ctx.server + ": new " + mapper_detail::describe(in) + ", " +
                  (report.played ? "played at " + mapper_detail::format_time(rec.updated)
                                 : std::string("unplayed"));
  return result;
}

}  // namespace

MapResult map_item(const std::optional<Record>& stored, const MediaItem& in, const MapContext& ctx) {
  Report report;
  // A completed play is a play, whatever flag the payload still carries (rule 3).
  report.played = in.watched || ctx.kind == EventKind::completed_play;
  // A webhook happens now; an import's missing play date is unknown, and must not beat an unmark.
  report.event_date = in.played_at > 0 ? in.played_at
                                       : (ctx.kind == EventKind::import ? 0 : ctx.now);
  const int64_t report_date = report.played ? report.event_date : in.added_at;
  report.stale = ctx.last_sync > 0 && report_date < ctx.last_sync;

  if (!stored) return create_record(in, ctx, report);

  MapResult result;
  result.record = *stored;
  Record& rec = result.record;

  const auto found = stored->metadata.find(ctx.server);
  const ServerMeta* before = found != stored->metadata.end() ? &found->second : nullptr;

  std::string why;
  const bool state_changed = apply_state(rec, before, in, ctx, report, why);

  bool meta_changed = merge_ids(rec, in);
  ServerMeta meta = merge_meta(before, in, ctx, report);
  if (before == nullptr || meta != *before) {
    rec.metadata.insert_or_assign(ctx.server, std::move(meta));
    meta_changed = true;
  }

  const bool became_played = state_changed && rec.watched;
  const bool progress_changed = mapper_detail::apply_progress(rec, in, ctx, became_played);

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

}  // namespace ws
